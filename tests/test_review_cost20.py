"""Review of the cost area's session-20 fixes: what the dry run reads of an interrupted run, and how the leaderboard's
cost legend names the runs timed busy."""

from __future__ import annotations

import zipfile
from types import SimpleNamespace

import torch

from benchmark.checkpoint import Checkpointer, CheckpointPolicy


def _saved(path, iteration: int, fingerprint: dict, net=None) -> Checkpointer:
    ckpt = Checkpointer(path, CheckpointPolicy(), fingerprint)
    opt = SimpleNamespace(state_dict=dict)  # an optimiser's and a schedule's state (a real one imports dynamo: 6 s)
    ckpt.save(iteration, net=net or torch.nn.Linear(1, 1), opt=opt, sched=opt, loss_fn=torch.nn.L1Loss(),
              gen=torch.Generator(), device=torch.device("cpu"), progress={})
    return ckpt


def test_the_dry_run_reads_a_checkpoint_s_iteration_without_reading_its_weights(tmp_path, monkeypatch):
    """Was: the dry run read each interrupted run's whole checkpoint to learn its iteration (every tensor's CRC, then
    every tensor loaded: 8 checkpoints of 100 MB took 2.2 s, a 300 MB one of a big net each 0.8 s warm, more from a
    file server) → Checkpointer.iteration reads the record's small pickle (its fingerprint and iteration), the tensors
    mapped, not read; an unreadable or another configuration's checkpoint still resumes nothing."""
    fp = {"config": {"loss": "l1"}, "code_version": "0+c1"}
    ckpt = _saved(tmp_path / "ckpt.pt", 339, fp, torch.nn.Linear(64, 64))
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k.get("mmap")) or real_load(*a, **k))
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda self: (_ for _ in ()).throw(AssertionError("CRC of all")))
    assert ckpt.iteration() == 339 and loads == [True]
    assert Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(), {**fp, "config": {"loss": "l2"}}).iteration() == 0
    (tmp_path / "bad.pt").write_bytes(b"PK\x03\x04" + b"\0" * 64)  # cut short
    assert Checkpointer(tmp_path / "bad.pt", CheckpointPolicy(), fp).iteration() == 0
    assert Checkpointer(tmp_path / "none.pt", CheckpointPolicy(), fp).iteration() == 0


def test_a_run_killed_after_its_training_is_estimated_at_its_scoring_alone(tmp_path, monkeypatch, capsys):
    """Was: a run whose training was done when it was stopped (the runner checkpoints at its last iteration, so a kill
    during its evaluation — minutes for MAD on Kodak24 — costs no training again) was estimated by the dry run at its
    whole budget, as a run never started (`0 < it < iterations`) → it counts no iteration left, its evaluation
    still; a run at iteration 30 of 40 still counts its 10. ``estimate_grid`` gets the iterations each run has
    trained (``trained``) and charges the rest, its compile and its scoring as before."""
    from conftest import dry_run_estimate, metric_set_of

    import benchmark.metrics
    import benchmark.perf
    import benchmark.runner
    from benchmark import cli
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "res")
    done, midway = (resolve(RunConfig(task="denoise", loss=loss, iterations=40, batch_size=2, crop=32))
                    for loss in ("l1", "l2"))
    for c, it in ((done, 40), (midway, 30)):
        store.run_dir(run_id(c)).mkdir(parents=True)
        _saved(store.run_dir(run_id(c)) / "ckpt.pt", it, {"config": c.to_dict(),
                                                          "code_version": benchmark.runner.code_version()})
    asked = []
    monkeypatch.setattr(benchmark.perf, "estimate_grid", lambda configs, *a, **k: asked.append((configs, k)) or
                        dry_run_estimate(configs, {"l1": {"denoise": 7.6}}))
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, [done, midway], ("psnr",), torch.device("cpu"), "quick", store=store) == 0
    (configs, kwargs), = asked
    assert configs == [done, midway] and kwargs.get("trained") == {done: 40, midway: 30}, kwargs
    assert "2 runs resume from their checkpoints (70 of their 80 iterations trained): this estimate counts the 10 " \
           "left" in capsys.readouterr().out
    monkeypatch.undo()  # the real estimate_grid, on the test's own step and evaluation times (a StepTimes stand-in)
    def get(key, measure):  # an evaluation 0.5 s (none spilled), a step 1 s, a data part nothing
        part = key.split("|")
        if part[3] == "eval":
            return 0.0 if key.endswith("|spill") else 0.5
        return 0.0 if part[4] == "-" else (1.0, 0.0)

    times = SimpleNamespace(measured=0, busy=0, reused=0, path="steptimes.json", save=lambda: None, get=get)
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    real = benchmark.perf.estimate_grid([done, midway], ("psnr",), "cpu", times, trained={done: 40, midway: 30},
                                        inputs_scored={(done.task, done.task_params, done.test_data)})
    assert real["train_s"] == 10.0 and real["longest_s"] == 10.5, real  # midway's 10 steps of 1 s + its scoring


def test_the_cost_legend_names_the_share_of_a_core_its_notes_judge_busy_by(monkeypatch):
    """Was: the leaderboard's cost legend said "the notes name runs timed with under half a core" whatever
    PLBENCH_MIN_CPU_SHARE was, while the note itself judges by it (0.25: runs at 0.3 of a core named by the legend's
    words, by no note; 0: no note at all) → the legend names the share the notes use, and at 0 that none is judged."""
    from benchmark import export

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.25")
    text = export.cost_columns()
    assert "under 0.25 of a core per thread" in text and "half a core" not in text, text
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0")
    assert "no run's ms/it is judged timed busy (PLBENCH_MIN_CPU_SHARE is 0)" in export.cost_columns()
    monkeypatch.delenv("PLBENCH_MIN_CPU_SHARE")
    assert "under 0.5 of a core per thread" in export.cost_columns()


def test_the_grid_s_eta_charges_a_stopped_run_only_what_its_checkpoint_leaves(tmp_path):
    """Was: the runner's ETA charged a run stopped with a checkpoint (no process holding it: the grid restarted after
    a kill at 3 a.m.) its family's whole mean again, as the dry run did before bf9b5e6: one pdl run of 200 s stopped
    after 180 s of training read ETA 200 s, not 20 → a run not in flight whose folder keeps a ``ckpt.pt`` is charged
    its family's mean less the training seconds its ``curve.csv`` last records (at most the mean); one without a
    checkpoint, whose next attempt starts over, is charged in full. (The checkpoint is one the run resumes from, its
    config's and code version's: :func:`benchmark.checkpoint.resumes_at`, test_mend_mstore20.)"""
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    def cfg(loss, seed):
        from benchmark.config import RunConfig

        return RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")

    from benchmark.config import run_id

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, stopped, fresh = cfg("pdl", 0), cfg("pdl", 1), cfg("pdl", 2)
    store.write_meta(run_id(done), {"run_id": run_id(done), "status": "ok", "config": done.to_dict(), "wall_s": 200.0})
    folder = store.run_dir(run_id(stopped))
    folder.mkdir(parents=True)
    (folder / "curve.csv").write_text("iteration,seconds,loss,lr\n100,90.0,0.1,0.001\n200,180.0,0.1,0.001\n")
    p = GridProgress(store, [done, stopped], workers=1)
    assert p.eta()[0] == 200.0  # its curve alone: a kill without a checkpoint, trained again from the start
    from benchmark.config import code_version

    _saved(folder / "ckpt.pt", 200, {"config": stopped.to_dict(), "code_version": code_version()})
    assert p.eta()[0] == 20.0
    p = GridProgress(store, [done, stopped, fresh], workers=2)
    assert p.eta()[0] == 200.0  # the fresh run's whole mean: the longest left


def test_the_memory_check_counts_mad_s_filters_kept_per_image_size(monkeypatch):
    """Was: the memory check counted the metrics' reference caches, not MAD's log-Gabor filters and CSF it keeps per
    image size (fastiqa.SizeCache, 2 sizes: 168 B a pixel, 126 MB on Kodak24's landscape and portrait photos), so a
    machine 100 MB short of a Kodak24 grid scoring mad passed → check_fits gets the test images' sizes and counts
    MAD's filters of its two largest sizes kept (a size whose maps pass 128 MiB is built per call, not kept)."""
    import pytest

    from benchmark import metrics, resources
    from benchmark.config import RunConfig
    from benchmark.errors import UserError
    from benchmark.resources import check_fits, metric_cache_bytes

    # a machine with 100 MB more free than a tiny ℓ1 run on 24 photos of 500² needs for training, scoring and the
    # test set's float copies (as tests/test_probe_cost17.py's), mad's reference caches aside: its filters alone
    cfg = RunConfig(task="denoise", loss="l1", net="tiny", batch_size=1, crop=16)
    npx = 24 * 500 * 500
    est = resources.estimate("tiny", "l1", 1, 16, cfg.backbone_weights, 500 * 500)
    free = max(est.train_bytes, est.eval_bytes) + 2 * 3 * 4 * npx + 100 * 2**20
    monkeypatch.setattr(resources, "available_bytes", lambda device: (free, "available RAM (test)"))
    monkeypatch.setattr(metrics, "REF_CACHE_PER_PX", {"mad": 0.0})
    args = dict(configs=[cfg], device=torch.device("cpu"), eval_pixels={cfg.test_data: 500 * 500},
                test_pixels={cfg.test_data: npx}, metric_names=("psnr", "mad"))
    kodak = {(768, 512), (512, 768)}
    check_fits(**args, test_sizes={cfg.test_data: {(500, 500)}})  # 42 MB: fits
    with pytest.raises(UserError, match=r"the metrics. reference caches of its images \(≈ 0.1 GiB\)"):
        check_fits(**args, test_sizes={cfg.test_data: kodak})
    assert metric_cache_bytes(("mad",), "cpu", 1.0, kodak) == 2 * 168 * 768 * 512
    assert metric_cache_bytes(("mad",), "cpu", 1.0, {(100, 100), (200, 200), (300, 300)}) == 168 * (300**2 + 200**2)
    assert metric_cache_bytes(("mad",), "cpu", 1.0, {(2040, 1356)}) == 0  # DIV2K's: built per call
    assert metric_cache_bytes(("psnr",), "cpu", 1.0, kodak) == 0

"""Review of the merged final16 tree: what crosses the areas each branch fixed."""

from __future__ import annotations


def test_the_overlap_check_runs_once_per_grid_while_it_is_planned_never_in_a_run(tmp_path, monkeypatch):
    """probe-data16's turned-crop look-ups doubled the overlap check (the standard profile's 2.5 → 4.7 s CPU; 2.7 →
    11.8 s with a large test side), which the README gives as a cost paid once per grid, while it is planned: one call
    per (training, test) pair, however many tasks, losses and seeds, and none by the runner that workers run."""
    import numpy as np
    import torch
    from PIL import Image

    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import build_configs
    from benchmark.data import DataCache
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    rng = np.random.default_rng(0)
    for side in ("train", "test"):
        (tmp_path / side).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(tmp_path / side / f"{i}.png")
    calls = []
    real = DataCache.overlap

    def counted(self, train, test):
        calls.append((train, test))
        return real(self, train, test)

    monkeypatch.setattr(DataCache, "overlap", counted)
    spec = grid_spec(build_parser().parse_args(
        ["run", "--tasks", "denoise", "deblur", "--losses", "l1", "l2", "--seeds", "0", "1", "--iterations", "1",
         "--batch-size", "1", "--crop", "16", "--metrics", "psnr", "--device", "cpu",
         "--train-data", str(tmp_path / "train"), "--test-data", str(tmp_path / "test")]))
    data = DataCache()
    configs, metrics, dev = build_configs(spec, data)
    assert len(configs) == 8 and len(calls) == 1, calls

    def refused(self, train, test):
        raise AssertionError("the overlap check ran again outside planning")

    monkeypatch.setattr(DataCache, "overlap", refused)
    summary = run_grid(configs[:1], ResultsStore(tmp_path / "r"), metrics, torch.device(dev), data=DataCache())
    assert summary.trained == 1


def test_a_rerun_over_a_newer_plbench_s_runs_says_to_update_as_compare_does(tmp_path, caplog):
    """probe-store16 (517e395) had `plbench compare` on a field made by a later plbench release than this checkout
    say to update plbench (re-running the field here makes it again with older code, the colleague's runs unused),
    while `plbench run` on the same store still said of those runs only that 'the code that computes the numbers
    changed': not reused, trained again — the older code retraining the newer's grid, with no word of updating."""
    import logging

    from benchmark.cli import _warn_runs_kept_apart
    from benchmark.config import RunConfig, code_version, resolve
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c, (rid, version) in zip(grid, (("a" * 16, "99.0.0+c999"), ("b" * 16, "0.0.1+c0"))):
        store.write_meta(rid, {"run_id": rid, "status": "ok", "config": c.to_dict(), "code_version": version})
    with caplog.at_level(logging.WARNING):
        _warn_runs_kept_apart(store, grid)
    newer = [r.getMessage() for r in caplog.records if "99.0.0+c999" in r.getMessage()]
    older = [r.getMessage() for r in caplog.records if "0.0.1+c0" in r.getMessage()]
    assert len(newer) == 1 and "newer plbench" in newer[0] and "update plbench" in newer[0], newer
    assert code_version() in newer[0] and "computes the numbers changed" not in newer[0], newer
    assert len(older) == 1 and "computes the numbers changed" in older[0] and "update" not in older[0], older


def test_a_remote_job_ended_by_a_hung_rescore_names_its_stalled_mark_of_this_grid_alone(tmp_path):
    """The merge of probe-scoring16 (one `.stalled` file for a hung scoring, runner._mark_stalled) and
    probe-overnight16 (a Ray task's or SLURM job's line names what its hang recorded, matched by grid id): the
    overnight tests wrote the mark where plbench kept it before (meta.json's rescore_stalled). The file the workers
    now write is what the job's line reads: the re-score named, marked, no run failed; another grid's mark, written
    after this grid started (another node's clock), is not this job's."""
    from types import SimpleNamespace

    from benchmark import runner
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.executors import WorkUnit, _lost
    from benchmark.results import ResultsStore

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    rid = run_id(cfg)
    store.write_meta(rid, {"run_id": rid, "status": "ok", "config": cfg.to_dict(), "started": 1.0, "grid_id": "g0"})
    unit = WorkUnit(configs=(cfg,), store_root=str(store.root), metrics=("psnr",), device="cpu", since=2.0,
                    grid_id="g1")
    runner._mark_stalled(SimpleNamespace(store=store, grid_id="g2", worker=""), rid, "hung")  # another grid's
    assert (store.run_dir(rid) / runner.STALLED).is_file() and "rescore_stalled" not in store.meta(rid)
    assert not _lost(unit, "job 7_1 ended without a result (state: FAILED)").get("hung")
    runner._mark_stalled(SimpleNamespace(store=store, grid_id="g1", worker=""), rid, "hung")
    lost = _lost(unit, "job 7_1 ended without a result (state: FAILED)")
    assert lost.get("hung") and f"re-score of run {rid}" in lost["error"] and ".stalled" in lost["error"], lost
    assert "recorded failed" not in lost["error"], lost


def test_compare_lists_the_code_versions_of_an_old_field_in_release_order(tmp_path):
    """compare's refusal of a field no run of which this code made listed its runs' code versions sorted as text
    ('0.10.0+c1, 0.9.0+c1'); releases are listed in order, as ``config.newer_code`` compares them."""
    import pytest

    from benchmark.compare import compare
    from benchmark.errors import UserError
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0, 1), n_images=1, metrics=("psnr",),
                        budget_check=False)
    for rid, version in zip(sorted(store.run_ids()), ("0.10.0+c1", "0.9.0+c1")):
        atomic_write_json(store.run_dir(rid) / "meta.json", {**store.meta(rid), "code_version": version})
    with pytest.raises(UserError) as err:
        compare(store.root, losses=["l2"], device="cpu", visual=False, formats=("png",))
    assert "were made by 0.9.0+c1, 0.10.0+c1," in str(err.value)

"""Review of the cost side's third pass (2026-12-06): the CPU model in a device's kind, and what joins it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch._dynamo  # noqa: F401 - Adam's first build imports it (seconds): at collection, not in a test's time

import benchmark.runner  # noqa: F401 - at collection: no test pays for its first import

XEON, EPYC = "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", "AMD EPYC 7763 64-Core Processor"


def _cpu_metas(where):
    """test_probe_cost18's metas of l1 and l2 × 4 seeds on denoise, each on the net tiny at 8×48²."""
    from test_probe_cost18 import _cpu_metas

    return _cpu_metas(where, net="tiny", batch_size=8, crop=48, compile=False)


def test_the_dry_run_still_checks_its_estimate_against_runs_recorded_before_the_cpu_model_was():
    """Was (5587cc0): the dry run looked the store's runs up under this machine's kind, which now names its model
    (``cpu (<model>, 4 threads)``), while a run recorded before meta.json named the model (``x86_64``) joins a model
    only where the store's runs of its thread count name one: a store of such runs alone — every store before the
    upgrade — matched nothing, and the 'measured here' column the dry run printed before went away. Now this machine
    counts as one more run of its model: such runs join it, as the cost table's do, unless the store names another
    model at that thread count."""
    from benchmark import perf
    from benchmark.stats import device_kind

    metas = _cpu_metas({(loss, s): ("x86_64", 4, 20.0) for loss in ("l1", "l2") for s in range(4)})
    settings = [("denoise", "l1", "tiny", 8, 48, False)]
    here = ("cpu", XEON, 4)
    got = perf.measured_in_store(metas, settings, device_kind(*here), machine=here)
    assert got == {("l1", "denoise"): (20.0, 4, False)}, got
    metas += _cpu_metas({(loss, s): (EPYC, 4, 10.0) for loss in ("l1", "l2") for s in range(4)})  # merged, another
    got = perf.measured_in_store(metas, settings, device_kind(*here), machine=here)
    assert got == {}, got  # two models at 4 threads: the x86_64 runs belong to neither for sure


def test_a_cpu_named_by_its_architecture_alone_is_not_joined_to_another_model():
    """Was (5587cc0): every name that is no model — ``aarch64``, ``arm`` (macOS on Apple silicon), ``ppc64le`` — joined
    the one model of its thread count, as an x86 run recorded before the model was does: an ARM node, whose
    /proc/cpuinfo has no "model name" (so its runs record ``aarch64`` for good), merged into a store of an EPYC's runs
    was pooled with them into one median, the defect the model in the kind was to end. Now only the names an x86
    machine recorded before its model was (``x86_64``, ``cpu``) join a model; another architecture's name is its
    kind's."""
    from benchmark import stats as S

    where = {("l1", s): ("aarch64" if s < 2 else EPYC, 4, 30.0 if s < 2 else 10.0) for s in range(4)}
    where.update({("l2", s): (EPYC, 4, 20.0) for s in range(4)})
    costs = S.cost_table(_cpu_metas(where))[0].set_index("label")
    assert set(costs.loc["l1", "timed_on"].split("; ")) == {f"cpu ({EPYC}, 4 threads)", "cpu (aarch64, 4 threads)"}
    assert costs.loc["l2", "ms_per_it"] == 20.0, costs
    assert S.device_kind("cpu", "arm", 8) == "cpu (arm, 8 threads)"
    assert S.device_kinds(["cpu", "cpu"], ["cpu", "x86_64"], [2, 2]) == ["cpu (2 threads)"] * 2
    assert S.device_kinds(["cpu", "cpu"], ["aarch64", "cpu"], [2, 2]) == ["cpu (aarch64, 2 threads)"] * 2


def test_the_note_on_losses_timed_on_other_tasks_names_each_set_of_tasks_once():
    """Was (41edc97): the note naming the losses whose overall ms/it is of other tasks than most losses' gave each
    loss its tasks — a loss file's five losses compared on demosaic alone read "f0: demosaic; f1: demosaic; f2:
    demosaic; …". Now each set of tasks is named once, with its losses: "on demosaic: f0, f1, f2, f3, f4"."""
    from types import SimpleNamespace

    from benchmark import stats as S
    from benchmark.export import task_cost_lines
    from benchmark.synthetic import synthetic_runs

    every = ("demosaic", "denoise", "jpeg")
    on = {**{f"l{k}": every for k in range(6)}, **{f"f{k}": ("demosaic",) for k in range(5)}, "g": ("jpeg",)}
    metas = []
    for task in every:
        offsets = {loss: 0.1 * k for k, loss in enumerate(on) if task in on[loss]}
        for _, meta, _rows in synthetic_runs(tasks=(task,), offsets=offsets, seeds=range(2), metrics=("psnr",),
                                             n_images=2, budget_check=False):
            if "config" in meta:
                meta = {**meta, "device": "cpu", "device_name": XEON, "threads": 2, "ms_per_it": 10.0,
                        "timing_excluded": {}}
            metas.append(meta)
    per_loss, per_task = S.cost_table(metas)
    said = task_cost_lines(SimpleNamespace(costs=per_loss, task_costs=per_task))
    assert len(said) == 1 and "\n" not in said[0], said
    assert "on demosaic: f0, f1, f2, f3, f4; on jpeg: g;" in said[0] and said[0].count("demosaic") == 2, said
    capped = task_cost_lines(SimpleNamespace(costs=per_loss, task_costs=per_task), most=3)[0]
    assert "on demosaic: f0, f1, f2; and 3 more;" in capped, capped


def killed_after_a_checkpoint_at_900_mb(tmp_path, monkeypatch):
    """A denoise run's first attempt (4 iterations on one photo), its peak memory 900 MB, checkpointed at 2 and
    killed at 3; its resume will fail in training at iteration 4, at 300 MB. Returns (config, run id, store)."""
    import numpy as np
    from test_probe_overnight14 import _photo_run

    from benchmark import resources, runner
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import run_id
    from benchmark.data import ImageRecord
    from benchmark.results import ResultsStore
    from benchmark.task import build_task

    cfg = _photo_run(tmp_path, iterations=4)
    rid, store = run_id(cfg), ResultsStore(tmp_path / "r")
    step_call, fail_at, rss = runner.TrainStep.__call__, [3], [900.0]

    def step(self, it):
        if it == fail_at[0]:
            raise RuntimeError("killed")
        return step_call(self, it)

    monkeypatch.setattr(runner.TrainStep, "__call__", step)
    monkeypatch.setattr(resources, "peak_rss_mb", lambda: rss[0])
    ck = Checkpointer(store.run_dir(rid) / "ckpt.pt", CheckpointPolicy(every=2, seconds=0),
                      {"config": cfg.to_dict(), "code_version": runner.code_version()})
    image = ImageRecord("i", torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 32, 32), dtype=np.uint8)))
    with pytest.raises(RuntimeError, match="killed"):  # the first attempt: checkpoint at 2 (900 MB), killed at 3
        runner.train(cfg, build_task("denoise"), [image], torch.device("cpu"), checkpoint=ck)
    rss[0], fail_at[0] = 300.0, 4  # the resume fails in training at 300 MB
    return cfg, rid, store


@pytest.mark.slow  # a grid's run, resumed and failed in training: 2-8 s on 2 busy cores (the fast one: below)
def test_a_run_that_failed_in_training_after_a_resume_records_the_peak_of_its_earlier_attempts(tmp_path,
                                                                                              monkeypatch):
    """Was (70690a6): a failed run's record held ``peak_rss_fields`` of what training returned, and a run that failed
    in training returned nothing: an attempt that held 900 MB, killed after its checkpoint, then a resume that failed
    in training at 300 MB recorded ``peak_rss_mb`` 300 — the checkpoint's 900 unread. Now a run that failed before
    training returned takes the earlier attempts' peak from its checkpoint."""
    from benchmark import runner
    from benchmark.checkpoint import CheckpointPolicy

    cfg, rid, store = killed_after_a_checkpoint_at_900_mb(tmp_path, monkeypatch)  # the resume fails at 300 MB
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0,
                           checkpoint=CheckpointPolicy(every=100, seconds=0)).failed == 1
    failed = store.meta(rid)
    assert failed["status"] == "failed" and failed["failed_at"] == 4, failed
    assert failed["peak_rss_mb"] == 900.0, failed


def test_the_peak_of_the_attempts_before_a_failure_in_training_is_read_from_the_checkpoint(tmp_path, monkeypatch):
    """The fast half of the test above: a run that failed before training returned (no ``TrainResult``) takes the
    earlier attempts' peak, and whether each was its own, from its checkpoint's progress
    (:meth:`benchmark.checkpoint.Checkpointer.progress`, ``peak_rss_fields(before=)``)."""
    from benchmark import resources, runner
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.task import build_task

    step_call, rss = runner.TrainStep.__call__, [900.0]

    def step(self, it):
        if it == 3:
            raise RuntimeError("killed")
        return step_call(self, it)

    monkeypatch.setattr(runner.TrainStep, "__call__", step)
    monkeypatch.setattr(resources, "peak_rss_mb", lambda: rss[0])
    cfg = RunConfig(task="denoise", loss="l1", iterations=4, batch_size=1, crop=16, net="tiny")
    ck = Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(every=2, seconds=0), {"config": cfg.to_dict()})
    assert ck.progress() == {}
    image = ImageRecord("i", torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 32, 32), dtype=np.uint8)))
    with pytest.raises(RuntimeError, match="killed"):
        runner.train(cfg, build_task("denoise"), [image], torch.device("cpu"), checkpoint=ck, rss_own=False)
    rss[0] = 300.0
    assert runner.peak_rss_fields(None, True, before=ck.progress()) == {"peak_rss_mb": 900.0, "peak_rss_of": "process"}
    assert runner.peak_rss_fields(None, True) == {"peak_rss_mb": 300.0}


def test_a_loss_timed_on_two_cpus_on_one_task_is_not_said_to_be_timed_on_the_other_tasks_alone():
    """Was (41edc97): the note on losses timed on other tasks than most read a loss's tasks off the finite per-task
    ms/it, and a task whose runs span two CPU models has none (–, its median per device instead): l1 trained and timed
    on demosaic and denoise, one denoise run merged from an EPYC, was said to be "timed on other tasks than most —
    on demosaic: l1", though its overall ms/it is – too, no figure to explain. Now a task timed on two devices counts
    as timed, and a loss with no overall ms/it is not named."""
    from types import SimpleNamespace

    from benchmark import stats as S
    from benchmark.export import task_cost_lines
    from benchmark.synthetic import synthetic_runs

    metas = []
    for task in ("demosaic", "denoise"):
        for _, meta, _rows in synthetic_runs(tasks=(task,), offsets={"l1": 0.0, "l2": 0.3, "l3": 0.2}, seeds=range(2),
                                             metrics=("psnr",), n_images=2, budget_check=False):
            if "config" in meta:
                merged = (meta["config"]["loss"], task, meta["config"]["seed"]) == ("l1", "denoise", 1)
                meta = {**meta, "device": "cpu", "device_name": EPYC if merged else XEON, "threads": 2,
                        "ms_per_it": 10.0, "timing_excluded": {}}
            metas.append(meta)
    per_loss, per_task = S.cost_table(metas)
    assert task_cost_lines(SimpleNamespace(costs=per_loss, task_costs=per_task)) == []

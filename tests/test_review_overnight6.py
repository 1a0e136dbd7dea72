"""Review of overnight 6: a stop during a diverging step with checkpoints off, SLURM summaries without a
requeue, a job whose loss file no longer registers the planned loss."""
import os
import signal

import pytest
import torch
from conftest import step_images


@pytest.fixture
def images():
    return step_images()


@pytest.fixture
def nan_at_3():
    from benchmark.registry import LOSSES

    class NaNAt3(torch.nn.Module):
        calls = 0

        def forward(self, pred, target):
            NaNAt3.calls += 1
            loss = (pred - target).abs().mean()
            if NaNAt3.calls == 4:  # the stop comes during a later step, the divergence not yet read back
                os.kill(os.getpid(), signal.SIGINT)
            return loss * float("nan") if NaNAt3.calls == 3 else loss

    LOSSES.add("review6_nan_at_3", NaNAt3)
    yield
    LOSSES.remove("review6_nan_at_3")


def test_a_stop_after_an_unread_divergence_with_checkpoints_off_still_records_it(images, nan_at_3):
    """GPU step (device-side flag read every ``check_every`` iterations) with checkpoints off (no checkpointer):
    a stop that came after the loss went non-finite, before the flag was read, raised KeyboardInterrupt
    without reading it, so the divergence went unrecorded and the next command trained the run again from
    iteration 0 only to diverge again. The flag is read at the stop, as it is when a checkpoint is saved."""
    from benchmark.config import RunConfig
    from benchmark.runner import train
    from benchmark.task import build_task

    cfg = RunConfig(task="denoise", loss="review6_nan_at_3", iterations=12, batch_size=2, crop=32)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        r = train(cfg, build_task("denoise"), images, torch.device("cpu"), check_every=10, device_path=True,
                  checkpoint=None, defer_stop=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (r.status, r.diverged_at, r.stop_requested) == ("diverged", 3, True)


def test_a_stop_without_divergence_and_checkpoints_off_still_stops(images):
    from benchmark.config import RunConfig
    from benchmark.runner import TrainStep, train
    from benchmark.task import build_task

    real = TrainStep.__call__

    def stop_at_4(self, it):
        if it == 4:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, it)

    cfg = RunConfig(task="denoise", loss="l1", iterations=12, batch_size=2, crop=32)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    mp = pytest.MonkeyPatch()
    mp.setattr(TrainStep, "__call__", stop_at_4)
    try:
        with pytest.raises(KeyboardInterrupt):
            train(cfg, build_task("denoise"), images, torch.device("cpu"), check_every=10, device_path=True,
                  checkpoint=None, defer_stop=True)
    finally:
        mp.undo()
        signal.signal(signal.SIGINT, previous)


def _slurm_grid(tmp_path, seeds):
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=seeds, iterations=2, crop=32,
                    batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    return list(build_configs(spec)[0])


def _finished(store, cfg, status="ok"):
    import time

    from benchmark.config import run_id

    store.write_meta(run_id(cfg), {"run_id": run_id(cfg), "status": status, "config": cfg.to_dict(),
                                   "started": time.time(), "diverged_at": 2 if status == "diverged" else None})
    if status == "ok":
        store.write_eval(run_id(cfg), [], ["psnr"], {})


@pytest.mark.parametrize("requeued", [False, True])
def test_slurm_summary_counts_a_run_another_process_finished_as_skipped_unless_a_job_was_requeued(
        tmp_path, monkeypatch, requeued):
    """Every SLURM grid counted the runs the store says were started during it as trained by it (meant for runs
    a requeued job finished before its requeue): a run another process (a second driver, a local command on the
    same store) finished while its job queued — the job found it done, 'skipped' — was 'trained 2' for a grid
    that trained 1. The store is asked only when a job was actually requeued (its last attempt says so)."""
    import sys
    from pathlib import Path

    import submitit

    import benchmark.executors as ex
    from benchmark.results import ResultsStore

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    configs = _slurm_grid(tmp_path, (0, 1))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()

    class Job:
        def __init__(self, i):
            self.i, self.job_id = i, f"1000_{i}"

        def done(self):
            return True

        def result(self):
            _finished(store, configs[self.i])  # seed 0 by this job; seed 1 by another process (or before a requeue)
            summary = {"trained": int(self.i == 0), "skipped": int(self.i == 1)}
            return {"summary": summary, **({"requeued": True} if requeued and self.i == 1 else {})}

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: [Job(i) for i in range(n)]))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    summary = ex.execute_slurm(configs, store.root, ("psnr",), "cpu", split="run")
    assert (summary.trained, summary.skipped) == ((2, 0) if requeued else (1, 1)), summary


def test_a_requeued_slurm_job_says_so_in_its_result(tmp_path):
    """What tells the driver a job was requeued: submitit requeues the unit :meth:`RequeueableUnit.checkpoint`
    returns, and that attempt's result carries ``requeued``."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy

    configs = _slurm_grid(tmp_path, (0,))
    unit = ex._units(configs, 1, "run", tmp_path / "r", ("psnr",), "cpu", CheckpointPolicy(0, 0), (), "none", 1)[0]
    first = ex._worker_main(unit)
    assert "summary" in first and not first.get("requeued"), first
    again = ex.RequeueableUnit().checkpoint(unit)
    result = ex._worker_main(*again.args)
    assert result.get("requeued") and result["summary"]["skipped"] == 1, result


_LOSS_FILE = """import torch
from benchmark.registry import register_loss


@register_loss("{name}")
class Renamed(torch.nn.Module):
    def forward(self, pred, target):
        return (pred - target).abs().mean()
"""


def test_a_job_whose_loss_file_no_longer_registers_the_planned_loss_says_it_changed(tmp_path):
    """A ``--loss-file`` edited while the job queued so that it registers the loss under another name: the job's
    check of its planned run ids stopped on 'unknown loss …' (the run id could not be computed), not the
    refusal that says the run changed since submission and what to do; its 'gone' branch was never reached."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import GridSpec, build_configs

    loss_file = tmp_path / "my_loss.py"
    loss_file.write_text(_LOSS_FILE.format(name="review6_before"))
    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("review6_before",), seeds=(0,), iterations=2,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False,
                    loss_files=(str(loss_file),))
    configs = list(build_configs(spec)[0])
    unit = ex._units(configs, 1, "run", tmp_path / "r", ("psnr",), "cpu", CheckpointPolicy(0, 0), (str(loss_file),),
                     "none", 1)[0]
    loss_file.write_text(_LOSS_FILE.format(name="review6_after"))  # renamed while the job queued
    result = ex._worker_main(unit)
    err = result.get("error", "")
    assert result.get("user") and "changed since the grid was submitted" in err and "\n" not in err, result
    assert "loss review6_before 1+" in err and "→ gone" in err, err
    assert not list((tmp_path / "r").glob("runs/*/meta.json"))


@pytest.mark.parametrize("split", ["shard", "run"])
def test_planned_run_ids_are_computed_once_per_run_not_once_per_job(tmp_path, monkeypatch, split):
    """Each shard job carries the whole grid's planned ids (its own runs and those it may take over): they
    were computed again for every job, jobs × runs run ids (~0.4 ms each: 600 runs on 32 jobs, 8 s before
    anything was submitted). Each run's is computed once."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy

    configs = _slurm_grid(tmp_path, (0, 1, 2, 3))
    calls = []
    real = ex._identity
    monkeypatch.setattr(ex, "_identity", lambda c: calls.append(c) or real(c))
    units = ex._units(configs, 4, split, tmp_path / "r", ("psnr",), "cpu", CheckpointPolicy(0, 0), (), "none", 1)
    assert len(calls) == len(configs), f"{len(calls)} run ids computed for {len(configs)} runs"
    for u in units:  # each job's own ids, in its order
        assert len(u.planned) == len((*u.configs, *u.steal))
        ex.check_planned(u)


def test_a_slurm_resubmission_still_repairs_a_damaged_run(tmp_path, monkeypatch):
    """The same command again repairs a damaged run (rows truncated or gone behind an intact pass record:
    run_grid sets it aside and scores or trains it anew). A SLURM resubmission now leaves out the runs the
    store calls finished, and a damaged run's pass record says finished: no job was submitted for it, and the
    damage stayed. The driver sets damaged runs aside first, as run_grid does, and submits them."""
    import sys
    from pathlib import Path

    import benchmark.executors as ex
    from benchmark.config import run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    configs = _slurm_grid(tmp_path, (0,))
    store = ResultsStore(tmp_path / "r")
    assert run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False, logger="none").trained == 1
    rows = sorted(store.run_dir(run_id(configs[0])).glob("eval-*.parquet"))
    assert rows, "the run's rows"
    rows[0].write_bytes(rows[0].read_bytes()[:20])  # truncated (a disk fault, a copy cut short)
    assert store.damage(run_id(configs[0]))
    submitted = fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    ex.execute_slurm(configs, store.root, ("psnr",), "cpu", split="run")  # the fake job trains nothing
    assert submitted == [1], "no job for a damaged run"
    assert not store.damage(run_id(configs[0]), lost_rows=False), "the damaged rows are set aside for the job"


def test_a_slurm_resubmission_with_a_metric_whose_weights_are_missing_leaves_nothing_to_another_process(
        tmp_path, monkeypatch):
    """A finished run asked now for a metric whose weights are not cached (lpips offline, never asked before):
    nothing can score it, so no job is submitted; the summary then called it 'left 1 to another process' (it
    is not attempted on lpips) where a local run_grid says 'skipped'. It counts as skipped."""
    import sys
    from pathlib import Path

    import submitit

    import benchmark.executors as ex
    from benchmark.metrics import MetricSet
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    if "lpips" not in MetricSet(("lpips",)).skipped:
        pytest.skip("lpips weights are cached here")
    configs = _slurm_grid(tmp_path, (0,))
    store = ResultsStore(tmp_path / "r")
    assert run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False, logger="none").trained == 1

    def no_jobs(n):
        raise AssertionError(f"{n} job(s) submitted although no metric can be scored anew")

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(no_jobs))
    summary = ex.execute_slurm(configs, store.root, ("psnr", "lpips"), "cpu", split="run")
    local = run_grid(configs, store, ("psnr", "lpips"), torch.device("cpu"), progress=False, logger="none")
    assert (summary.skipped, summary.locked) == (local.skipped, local.locked) == (1, 0), (summary, local)


def test_a_job_slurm_restarted_on_its_own_says_it_was_requeued(tmp_path, monkeypatch):
    """A job SLURM requeues without submitit's checkpoint (a node failure with --requeue, ``scontrol requeue``)
    starts again from the unit as submitted: SLURM_RESTART_COUNT says it is a later attempt."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy

    configs = _slurm_grid(tmp_path, (0,))
    unit = ex._units(configs, 1, "run", tmp_path / "r", ("psnr",), "cpu", CheckpointPolicy(0, 0), (), "none", 1)[0]
    monkeypatch.setenv("SLURM_RESTART_COUNT", "0")
    assert not ex._worker_main(unit).get("requeued")
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert ex._worker_main(unit).get("requeued")


def test_a_stop_taken_over_at_a_divergence_is_still_honoured_when_recording_it_fails(tmp_path, monkeypatch):
    """The stop that came during the diverging step is taken over from the training loop, to be raised once
    the run is recorded. When recording failed (an error writing meta.json: the run is recorded as failed
    instead), the stop was dropped: the grid went on to its next run, and a SLURM job warned by USR2 trained
    on without a checkpoint or a requeue until its time-out killed it. The stop is honoured either way."""
    import benchmark.runner as runner
    from benchmark.config import run_id
    from benchmark.registry import LOSSES
    from benchmark.results import ResultsStore

    class NaNAt2(torch.nn.Module):
        calls = -10**9  # armed once the grid is planned (build_configs probes the loss)

        def forward(self, pred, target):
            NaNAt2.calls += 1
            if NaNAt2.calls == 2:
                os.kill(os.getpid(), signal.SIGINT)
                return (pred - target).abs().mean() * float("nan")
            return (pred - target).abs().mean()

    def broken(*a, **k):
        raise OSError("Stale file handle")

    import benchmark.resources

    LOSSES.add("review6_nan_at_2", NaNAt2)
    monkeypatch.setattr(runner, "git_commit", broken)
    monkeypatch.setattr(benchmark.resources, "check_fits", lambda *a, **k: None)  # its probe calls the loss too
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("review6_nan_at_2",), seeds=(0, 1), iterations=4,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        configs = list(build_configs(spec)[0])
        ids = [run_id(c) for c in configs]
        NaNAt2.calls = 0
        store = ResultsStore(tmp_path / "r")
        with pytest.raises(KeyboardInterrupt):
            runner.run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False, logger="none",
                            checkpoint=runner.CheckpointPolicy(0, 0))
    finally:
        signal.signal(signal.SIGINT, previous)
        LOSSES.remove("review6_nan_at_2")
    metas = [store.meta(i) or {} for i in ids]
    assert [m.get("status") for m in metas] == ["failed", None], metas  # the grid stopped after the first run


def test_a_slurm_resubmission_scores_the_inputs_on_a_new_metric_when_every_run_is_finished(tmp_path, monkeypatch):
    """run_grid scores a task's inputs (the degraded baseline) on a metric they lack even when none of its runs
    is pending (every run diverged: nothing to score on them). A SLURM resubmission with that metric now
    submits jobs for unfinished runs only, and looked at the runs alone: no job, and the inputs were never
    scored on it. A job is submitted for such a group (its run is skipped there; its inputs are scored)."""
    import sys
    from pathlib import Path

    import benchmark.executors as ex
    from benchmark.config import run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    configs = _slurm_grid(tmp_path, (0,))
    store = ResultsStore(tmp_path / "r")
    assert run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False, logger="none").trained == 1
    rid = run_id(configs[0])
    store.write_meta(rid, {**store.meta(rid), "status": "diverged", "diverged_at": 2})  # the grid's only run
    submitted = fake_slurm.count_submissions(monkeypatch, {"skipped": 1})
    ex.execute_slurm(configs, store.root, ("psnr", "ssim"), "cpu", split="run")
    assert submitted == [1], "no job to score the inputs on ssim"
    from benchmark.runner import input_groups

    (inputs,) = input_groups(configs).values()  # what that job does (run_grid), here in this process
    assert "ssim" not in store.coverage(inputs)["scored"]
    assert run_grid(configs, store, ("psnr", "ssim"), torch.device("cpu"), progress=False, logger="none").skipped == 1
    assert "ssim" in store.coverage(inputs)["scored"]


def test_eta_of_a_resumed_run_reads_past_a_row_cut_mid_write(tmp_path):
    """The live curve.csv is read while its run writes it: a last row cut mid-number ('920,18' of
    '920,184.000,…') was read as 18 s trained, not the 180 s of the row before, and the ETA jumped by minutes
    for that moment. A row without its seconds complete (no field after them) is passed over."""
    import time

    from benchmark.progress import _trained_s

    curve = tmp_path / "curve.csv"
    rows = "".join(f"{i},{i * 0.2:.3f},0.1,0.001\n" for i in range(20, 901, 20))
    curve.write_text("iteration,seconds,loss,lr\n" + rows + "920,18")
    assert _trained_s(curve, time.time() - 60) == pytest.approx(180.0)
    curve.write_text("iteration,seconds,loss,lr\n900,180.000,0.1,0.001\n920,184.000,0.1,")  # lr cut: seconds whole
    assert _trained_s(curve, time.time() - 60) == pytest.approx(184.0)
    curve.write_text("iteration,seconds,loss,lr\n")
    assert _trained_s(curve, time.time() - 60) == 0.0


def test_a_loss_only_the_driver_registered_is_still_an_unknown_loss_in_the_job(tmp_path):
    """A loss registered in the driver's process alone (the Python API, a notebook) is unknown to a job: that
    is not a loss file changed since submission, and the job says what it always said (unknown loss, load it
    with --loss-file)."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.registry import LOSSES

    class Mine(torch.nn.Module):
        def forward(self, pred, target):
            return (pred - target).abs().mean()

    LOSSES.add("review6_in_process", Mine)
    try:
        cfg = RunConfig(task="denoise", loss="review6_in_process", iterations=2, batch_size=2, crop=32,
                        train_fingerprint="x", test_fingerprint="y")
        unit = ex._units([cfg], 1, "run", tmp_path / "r", ("psnr",), "cpu", CheckpointPolicy(0, 0), (), "none", 1)[0]
    finally:
        LOSSES.remove("review6_in_process")  # the job's process never had it
    result = ex._worker_main(unit)
    assert result.get("user") and "unknown loss 'review6_in_process'" in result["error"], result
    assert "changed since" not in result["error"], result["error"]

"""Probe (ray 7): the Ray executor's resubmissions, and what a stopped debug-cluster grid says."""
import logging
import types

import torch


class FakeRay:
    """A stand-in for ``ray`` (monkeypatched over ``executors._require``): records ``init`` and the units it is
    given as tasks; each task reports ``summary``, or runs in this process when ``summary`` is None."""

    exceptions = types.SimpleNamespace(RayError=RuntimeError)

    def __init__(self, summary=None):
        self.summary, self.units, self.inits, self.up = summary, [], 0, False

    def is_initialized(self):
        return self.up

    def init(self, **kw):
        self.inits, self.up = self.inits + 1, True

    def shutdown(self):
        self.up = False

    def cluster_resources(self):
        return {"CPU": 2.0}

    def remote(self, **opts):
        return lambda fn: types.SimpleNamespace(remote=lambda unit: self.units.append(unit) or (fn, unit))

    def get(self, ref):
        fn, unit = ref
        return fn(unit) if self.summary is None else {"summary": dict(self.summary)}

    def wait(self, refs, num_returns=1, timeout=None):  # every task done at once (get runs it)
        return list(refs)[:num_returns], list(refs)[num_returns:]


def _grid(tmp_path, seeds):
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=seeds, iterations=2, crop=32,
                    batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    return list(build_configs(spec)[0])


def _ray(monkeypatch, summary=None) -> FakeRay:
    import benchmark.executors as ex

    ray = FakeRay(summary)
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    return ray


def _train(configs, store, metrics=("psnr",)):
    from benchmark.runner import run_grid

    return run_grid(configs, store, metrics, torch.device("cpu"), progress=False, logger="none")


def test_a_ray_resubmission_starts_no_task_for_a_run_finished_meanwhile(tmp_path, monkeypatch, caplog):
    """Running the same ``--executor ray`` command again (after a lost worker, a stopped driver) made each
    finished run a Ray task (a worker start, a data load) only to say it was done: SLURM's driver leaves those
    out at submission, Ray's did not. Finished runs are now left out, in one line, and counted as skipped."""
    import benchmark.executors as ex
    from benchmark.results import ResultsStore

    configs = _grid(tmp_path, (0, 1))
    store = ResultsStore(tmp_path / "r")
    assert _train(configs[:1], store).trained == 1
    ray = _ray(monkeypatch)  # its task trains the other run here
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        summary = ex.execute_ray(configs, store.root, ("psnr",), "cpu", split="run")
    assert [u.configs for u in ray.units] == [(configs[1],)], "a task for the finished run"
    assert "1 of 2 runs is finished already: no task for it" in caplog.text
    assert (summary.trained, summary.skipped) == (1, 1), summary


def test_a_ray_resubmission_of_a_finished_grid_starts_nothing(tmp_path, monkeypatch):
    """Not even a local Ray instance (tens of seconds to start) when every run is finished."""
    import benchmark.executors as ex
    from benchmark.results import ResultsStore

    configs = _grid(tmp_path, (0,))
    store = ResultsStore(tmp_path / "r")
    assert _train(configs, store).trained == 1
    ray = _ray(monkeypatch, {})
    summary = ex.execute_ray(configs, store.root, ("psnr",), "cpu", workers=2)
    assert ray.units == [] and ray.inits == 0, (ray.units, ray.inits)
    assert (summary.skipped, summary.trained, summary.locked) == (1, 0, 0), summary


def test_a_ray_resubmission_repairs_a_damaged_run_and_scores_inputs_on_a_new_metric(tmp_path, monkeypatch):
    """The rule is SLURM's (one helper): a damaged run is set aside and submitted; a finished grid asked for a
    metric its task's inputs lack (every run diverged) still gets a task, which scores the inputs."""
    import benchmark.executors as ex
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    configs = _grid(tmp_path, (0,))
    store = ResultsStore(tmp_path / "r")
    assert _train(configs, store).trained == 1
    rid = run_id(configs[0])
    rows = sorted(store.run_dir(rid).glob("eval-*.parquet"))
    rows[0].write_bytes(rows[0].read_bytes()[:20])  # truncated
    assert store.damage(rid)
    ray = _ray(monkeypatch, {"trained": 1})  # its task trains nothing here
    ex.execute_ray(configs, store.root, ("psnr",), "cpu", split="run")
    assert [u.configs for u in ray.units] == [(configs[0],)], "no task for a damaged run"
    assert not store.damage(rid, lost_rows=False), "the damaged rows are set aside for the task"

    assert _train(configs, store).rescored == 1  # repaired, as the task would have
    store.write_meta(rid, {**store.meta(rid), "status": "diverged", "diverged_at": 2})
    ray = _ray(monkeypatch, {"skipped": 1})
    ex.execute_ray(configs, store.root, ("psnr", "ssim"), "cpu", split="run")
    assert [u.configs for u in ray.units] == [(configs[0],)], "no task to score the inputs on ssim"


def test_a_stopped_debug_cluster_grid_with_checkpoints_off_does_not_say_checkpoints_are_saved(
        tmp_path, monkeypatch, capsys, caplog):
    """Ctrl-C of ``plbench run --executor slurm --submitit-cluster debug --checkpoint-every 0 --checkpoint-seconds
    0`` ended on 'finished runs and checkpoints are saved': the SLURM exemption (a job saves a checkpoint when
    stopped, under submitit's USR2 handler) was taken for the debug cluster too, whose jobs run in this process
    with no such handler, so nothing was saved and the resume trains the run from iteration 0. It says so now,
    as the local executor does."""
    import signal

    import pytest

    pytest.importorskip("submitit")
    from conftest import signal_at_iteration

    from benchmark.cli import main

    seen = signal_at_iteration(monkeypatch, 2, signal.SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    out = tmp_path / "out"
    try:
        code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "6", "--crop", "32",
                     "--batch-size", "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
                     "--no-progress", "--no-budget-check", "--no-report", "--logger", "none", "--checkpoint-every", "0",
                     "--checkpoint-seconds", "0", "--executor", "slurm", "--submitit-cluster", "debug",
                     "--out", str(out)])
    finally:
        signal.signal(signal.SIGINT, previous)
    err = capsys.readouterr().err
    assert code == 130 and "Resume with" in err, err
    assert seen["n"] >= 2 and not list(out.glob("runs/*/ckpt.pt")), "a checkpoint was saved after all"
    assert "checkpoints are saved" not in err and "from iteration 0" in err, err
    assert "their checkpoints resume them" not in caplog.text, caplog.text


def test_a_run_a_requeued_job_rescored_before_its_requeue_counts_as_rescored(tmp_path):
    """A SLURM job re-scores a finished run on a new metric, then is requeued (time-out, preemption): its last
    attempt finds the run complete ('skipped') and the first attempt's summary is in no result, so the grid said
    'skipped 1' for a run it re-scored. The store's word is taken as for runs trained before a requeue: a run
    started before the grid whose pass was written during it was re-scored by the grid."""
    import time

    import benchmark.executors as ex
    from benchmark.results import ResultsStore

    configs = _grid(tmp_path, (0,))
    store = ResultsStore(tmp_path / "r")
    assert _train(configs, store).trained == 1  # by an earlier command
    since = time.time()  # the grid asking for psnry starts; its job re-scores the run, then is requeued
    assert _train(configs, store, ("psnr", "psnry")).rescored == 1
    result = {"summary": {"skipped": 1}, "requeued": True}  # the requeued attempt's word
    summary = ex._collect(list(configs), store.root, ("psnr", "psnry"), [result], "slurm jobs", since=since,
                          requeued=True)
    assert (summary.rescored, summary.skipped, summary.trained) == (1, 0, 0), summary

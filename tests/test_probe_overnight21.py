"""Probe of the overnight run (session 21): finished.log's failure met by workers on other machines (a Ray cluster's
nodes, SLURM's), and the claim files of a grid's warnings left in the temp folder."""
from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time

import pytest


def _broken_after_probe(tmp_path):
    from benchmark.results import ResultsStore

    root = tmp_path / "r"
    ResultsStore(root).ensure_writable()
    return root


def _a_node_meets_it(monkeypatch, unit, node_tmp):
    """Run ``unit`` as a worker on another machine (its own temp folder) whose only run is noted finished while
    finished.log cannot be written; its result."""
    from benchmark import executors, runner

    def run_grid(configs, store, *a, **k):
        store.note_finished("a", {"status": "ok"})
        return runner.GridSummary(trained=1)

    monkeypatch.setattr(runner, "run_grid", run_grid)
    monkeypatch.setattr(tempfile, "tempdir", str(node_tmp))
    try:
        return executors.run_unit(unit)
    finally:
        monkeypatch.setattr(tempfile, "tempdir", str(node_tmp.parent / "driver"))


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "could not note in" in r.getMessage()]


@pytest.mark.parametrize("own_log", [False, True], ids=["ray", "slurm"])
def test_a_worker_on_another_node_says_finished_log_failing_once_in_the_drivers_log_and_leaves_no_claim(
        tmp_path, monkeypatch, caplog, own_log):
    """Was (after 27ff0d7b): a worker on another machine than the driver's claimed the line in its own temp folder,
    said it there as the first of its node, and the driver, finding no claim on its own machine, said it again: a Ray
    cluster's workers' output is the driver's console (log_to_driver), so the line was said twice there, once more for
    each node; and the claims on those nodes were never removed (the driver's forget_said reaches its own machine
    only). A worker where the driver is not keeps it for the driver, which says it once; a SLURM job also says it in
    its own log; no claim is made on a node."""
    from benchmark import executors, results
    from benchmark.results import FINISHED_LOG

    driver_tmp, node_tmp = tmp_path / "driver", tmp_path / "node"
    driver_tmp.mkdir(), node_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(driver_tmp))
    root = _broken_after_probe(tmp_path)
    units = executors._units([], 1, "shard", root, ("psnr",), "cpu", None, (), "csv", 1, own_log=own_log)
    if not own_log:  # a Ray driver opens its grid's claims as its tasks start (a SLURM driver none)
        results.open_claims(units[0].grid_id)
    (root / FINISHED_LOG).mkdir()  # went bad after the driver's probe
    with caplog.at_level(logging.WARNING):
        result = _a_node_meets_it(monkeypatch, units[0], node_tmp)
    on_node = _said(caplog)
    assert len(on_node) == (1 if own_log else 0), on_node  # a SLURM job's log is its own; a Ray task's the driver's
    assert not list(node_tmp.iterdir()), "no claim left on the node"
    assert result["said"], result
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        executors._collect([], root, ("psnr",), [result], "slurm jobs" if own_log else "ray tasks",
                           grid_id=units[0].grid_id)
    assert len(_said(caplog)) == 1
    assert not list(driver_tmp.iterdir()), "the driver removes its grid's claims"


def test_a_local_worker_still_says_it_when_first_met_and_the_driver_not_again(tmp_path, monkeypatch, caplog):
    """The driver's machine as before (27ff0d7b): its worker says it at once; the driver does not repeat it."""
    from benchmark import executors, results
    from benchmark.results import FINISHED_LOG

    driver_tmp = tmp_path / "driver"
    driver_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(driver_tmp))
    root = _broken_after_probe(tmp_path)
    units = executors._units([], 1, "shard", root, ("psnr",), "cpu", None, (), "csv", 1)
    results.open_claims(units[0].grid_id)  # as the Ray driver opens them
    (root / FINISHED_LOG).mkdir()
    with caplog.at_level(logging.WARNING):
        result = _a_node_meets_it(monkeypatch, units[0], driver_tmp)  # the same temp folder: the driver's machine
        executors._collect([], root, ("psnr",), [result], "ray tasks", grid_id=units[0].grid_id)
    assert len(_said(caplog)) == 1
    assert not list(driver_tmp.iterdir())


def test_a_killed_drivers_claims_are_swept_by_the_next_grid_here(tmp_path, monkeypatch):
    """Was: a driver killed (kill -9, a node's reboot of the login shell, an OOM kill) never reached forget_said, and
    the claims of its grid stayed in the temp folder for good, one folder per grid. The next grid started on the
    machine removes those of a driver no longer running (and, from before drivers were recorded, those untouched for a
    day); a live driver's stay."""
    from benchmark import results

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    results.open_claims("glive", pid=None)  # this process: alive
    results.open_claims("gdead", pid=dead.pid)
    assert results.said_first_here("gdead", "a line") and results.said_first_here("glive", "a line")
    old, recent = tmp_path / "plbench-said-gold", tmp_path / "plbench-said-grecent"  # made by the code before
    for d in (old, recent):
        d.mkdir()
        (d / "0123").touch()
    long_ago = time.time() - 2 * 86400
    import os

    os.utime(old, (long_ago, long_ago))
    os.utime(old / "0123", (long_ago, long_ago))
    results.open_claims("gnext")  # the next grid's driver
    left = sorted(p.name for p in tmp_path.glob("plbench-said-*"))
    assert left == sorted(["plbench-said-glive", "plbench-said-grecent", "plbench-said-gnext"])


def test_a_slurm_job_on_the_drivers_machine_says_it_in_its_own_log_and_the_driver_in_its(tmp_path, monkeypatch,
                                                                                          caplog):
    """A SLURM job's log is a file of its own (submitit's local cluster on the driver's machine too): the job says the
    line there, and the driver, whose log is another, says it once in its own; the job claims nothing."""
    from benchmark import executors
    from benchmark.results import FINISHED_LOG

    driver_tmp = tmp_path / "driver"
    driver_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(driver_tmp))
    root = _broken_after_probe(tmp_path)
    units = executors._units([], 1, "shard", root, ("psnr",), "cpu", None, (), "csv", 1, own_log=True)
    (root / FINISHED_LOG).mkdir()
    with caplog.at_level(logging.WARNING):
        result = _a_node_meets_it(monkeypatch, units[0], driver_tmp)
    assert len(_said(caplog)) == 1 and result["said"]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        executors._collect([], root, ("psnr",), [result], "slurm jobs", grid_id=units[0].grid_id)
    assert len(_said(caplog)) == 1
    assert not list(driver_tmp.iterdir())


def test_the_ray_tasks_last_lines_reach_the_console_before_the_instance_is_shut_down(tmp_path, monkeypatch):
    """Was: Ray forwards a task's output to the driver's console (log_to_driver) a moment after it is written (its log
    monitor polls the workers' files), and the driver shut its local instance down (or, joined to a cluster, ended)
    as soon as the last task's result was in: the task's last lines — its last run's 'ok', the runs it left to another
    worker, a warning said there for the grid — never reached the console (seen with 2 tasks: w0's 'run … ok' lost).
    The driver now waits until the forwarded output has been quiet a moment (at most a few seconds)."""
    import threading
    import types

    from benchmark import executors
    from benchmark.config import RunConfig, resolve

    class Dispatcher:
        def __init__(self):
            self.handlers = {}

        def add_handler(self, name, handler):
            self.handlers[name] = handler

        def remove_handler(self, name):
            self.handlers.pop(name, None)

        def emit(self, data):
            for h in list(self.handlers.values()):
                h(data)

    shown, at_shutdown = [], []
    dispatcher = Dispatcher()
    dispatcher.add_handler("ray_print_logs", lambda data: shown.extend(data["lines"]))

    class FakeRay:
        exceptions = types.SimpleNamespace(RayError=RuntimeError)
        up = False

        def is_initialized(self):
            return self.up

        def init(self, **kw):
            self.up = True

        def shutdown(self):
            at_shutdown.append(list(shown))
            self.up = False

        def cluster_resources(self):
            return {"CPU": 2.0}

        def remote(self, **opts):
            return lambda fn: types.SimpleNamespace(remote=lambda unit: unit.tag)

        def get(self, ref):  # the task's last line, written before it returned, forwarded a moment later
            threading.Timer(0.3, dispatcher.emit, ({"lines": [f"{ref} run ok"]},)).start()
            return {"summary": {"trained": 1}}

        def wait(self, refs, num_returns=1, timeout=None):
            return list(refs)[:num_returns], list(refs)[num_returns:]

    monkeypatch.setattr(executors, "_require", lambda module, extra: FakeRay())
    monkeypatch.setattr(executors, "_stdstream_dispatcher", lambda: dispatcher, raising=False)
    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    t0 = time.monotonic()
    executors.execute_ray([cfg], tmp_path / "r", ("psnr",), "cpu", workers=1)
    assert at_shutdown == [["[w0] run ok"]], at_shutdown
    assert time.monotonic() - t0 < 4 and dispatcher.handlers.keys() == {"ray_print_logs"}


def test_ray_workers_beyond_the_runs_left_give_each_task_the_cores_a_local_worker_gets(tmp_path, monkeypatch):
    """Was: `--executor ray --workers 8` on 16 cores with 2 runs left made 2 tasks (one per run) of 16 // 8 = 2 threads
    each, 12 cores idle, where `--workers 8` locally makes 2 workers of 8 threads (workers beyond the runs left are not
    started, so they share no cores): 4x slower, and other CPU numbers than the local executor's (reductions split per
    thread), and the dry run timed the steps at 2 threads. The slots are capped at the runs left first, as locally."""
    import torch

    from benchmark import executors
    from benchmark.config import RunConfig, resolve
    from tests.test_probe_faults import _local_ray_on_16_cores

    ray = _local_ray_on_16_cores(monkeypatch)
    monkeypatch.setattr(executors, "_ray_output_settled", lambda: None)
    cfgs = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    executors.execute_ray(cfgs, tmp_path / "r", ("psnr",), "cpu", workers=8)
    local = executors.worker_threads(executors.local_workers("cpu", 8, 1, len(cfgs))[0])
    assert local == 8
    assert [u.threads for u in ray.units] == [local, local] and ray.opts["num_cpus"] == local
    assert ray.init_kwargs["num_cpus"] == 16
    assert executors.threads_per_run("ray", {"workers": 8}, torch.device("cpu"), 8, runs=2) == local


def test_a_grid_interrupted_leaves_no_claim_folder(tmp_path, monkeypatch):
    """Was (after open_claims): a grid stopped by Ctrl-C or SIGTERM (a scheduler's preemption, systemd's stop) ended
    before _collect, so its claim folder stayed in the temp folder until the next grid on the machine swept it. The
    driver removes it on the way out too."""
    from benchmark import executors
    from benchmark.config import RunConfig, resolve

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def stopped(units, envs, monitor=None):
        assert list((tmp_path / "tmp").glob("plbench-said-*")), "the grid's claims open while its workers run"
        raise KeyboardInterrupt

    monkeypatch.setattr(executors, "_run_processes", stopped)
    cfgs = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    with pytest.raises(KeyboardInterrupt):
        executors.execute_local(cfgs, tmp_path / "r", ("psnr",), "cpu", workers=2)
    assert not list((tmp_path / "tmp").iterdir())


def test_a_run_stopped_with_a_checkpoint_under_another_id_is_said_to_train_again(tmp_path, caplog):
    """Was: a run stopped at night with a checkpoint (a kill, a time limit) whose id changed before the resume — its
    --loss-file edited (its hash is part of the id), the code's version bumped — was trained from the start under the
    new id without a word, the hours its checkpoint held lost and the file left behind; finished runs of another id
    were said (made_by_other_code), stopped ones not. The run now says how many such runs train again, and where
    their checkpoints are."""
    import torch

    from benchmark.checkpoint import FORMAT
    from benchmark.cli import _warn_runs_kept_apart
    from benchmark.config import RunConfig, code_version, resolve, run_id
    from benchmark.results import ResultsStore

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4000, batch_size=2, crop=32, seed=0))
    other = resolve(RunConfig(task="denoise", loss="l1", iterations=4000, batch_size=2, crop=32, seed=1))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    old = store.run_dir("0123456789abcdef")  # the id it had before the edit
    old.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {"config": cfg.to_dict(), "code_version": code_version()},
                "iteration": 2500, "progress": {}}, old / "ckpt.pt")
    (old / "curve.csv").write_text("iteration,loss\n")
    with caplog.at_level(logging.WARNING):
        _warn_runs_kept_apart(store, [cfg, other])
    said = [r.getMessage() for r in caplog.records if "checkpoint" in r.getMessage()]
    assert len(said) == 1 and "1 of the 2 runs" in said[0] and "2500" in said[0] and str(old) in said[0], said
    assert run_id(cfg) != old.name
    caplog.clear()
    resumed = store.run_dir(run_id(cfg))  # once it trains under its id: nothing more to say
    resumed.mkdir(parents=True)
    (resumed / "ckpt.pt").write_bytes((old / "ckpt.pt").read_bytes())
    with caplog.at_level(logging.WARNING):
        _warn_runs_kept_apart(store, [cfg, other])
    assert not [r for r in caplog.records if "checkpoint" in r.getMessage()]

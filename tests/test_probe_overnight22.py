"""Probe of the overnight run (session 22): what a stopped SLURM driver says of its runs, the claim folders tests
left in the temp folder, and the local driver's word on checkpoints when they are off."""
from __future__ import annotations

import logging

import pytest


def _grid(seeds):
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=seeds, iterations=2, crop=32,
                    batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    return list(build_configs(spec)[0])


def _raised_and_said(call, raises: type[BaseException] = KeyboardInterrupt, starting: str = "",
                     level: int = logging.NOTSET) -> tuple[BaseException, str]:
    """``call()``, which must raise ``raises``: what it raised, and the lines of the benchmark.executors log at
    ``level`` or above that begin ``starting``, joined by spaces."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("benchmark.executors").addHandler(handler)
    try:
        with pytest.raises(raises) as info:
            call()
    finally:
        logging.getLogger("benchmark.executors").removeHandler(handler)
    said = (r.getMessage() for r in records if r.levelno >= level)
    return info.value, " ".join(m for m in said if m.startswith(starting))


def _said_when_stopped(call, starting: str) -> str:
    """The lines of the benchmark.executors log that begin ``starting`` while ``call()`` is stopped by a Ctrl-C."""
    return _raised_and_said(call, starting=starting)[1]


def _slurm_jobs(monkeypatch, cluster: str) -> list:
    """submitit monkeypatched (fake_slurm.executor on ``cluster``) to submit one job per run, the first done (its
    result in), the others queued or running; the jobs the driver cancels go in the list returned."""
    submitit = pytest.importorskip("submitit")
    import fake_slurm

    import benchmark.executors as ex

    class Job:
        def __init__(self, i):
            self.job_id, self.i = f"1000_{i}", i

        def done(self):
            return self.i == 0

        def result(self):
            return {"summary": {"trained": 1}}

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: [Job(i) for i in range(n)], cluster))
    cancelled = []
    monkeypatch.setattr(ex, "_cancel", lambda jobs, cluster: cancelled.extend(jobs) or True)
    return cancelled


def _workers_that_never_report(monkeypatch, alive: bool = True) -> tuple[list, list, list]:
    """multiprocessing's spawn context monkeypatched so the local driver's workers start, stay alive (``alive``;
    False: read as exited) and never report (each keeps its end of the pipe open), and benchmark.executors' os.kill
    recorded: the (pid, signal)s sent, the pids joined and the pids started, lists filled as the driver goes."""
    import multiprocessing as mp

    import benchmark.executors as ex

    real = mp.get_context("spawn")
    signalled, joined, pids, kept = [], [], [], []

    class Process:
        def __init__(self, target=None, args=(), name=""):
            self.name, self.pid = name, 10**7 + len(kept)
            pids.append(self.pid)

        def start(self):
            pass

        def is_alive(self):
            return alive

        def join(self, timeout=None):
            joined.append(self.pid)

    class Open:  # the worker's end of its pipe, kept open (the driver closes its copy)
        def __init__(self, conn):
            self.conn = conn

        def close(self):
            pass

    class Ctx:
        @staticmethod
        def Pipe(duplex=False):  # noqa: N802 - multiprocessing's name
            recv, send = real.Pipe(duplex=duplex)
            kept.append(send)
            return recv, Open(send)

    Ctx.Process = Process
    monkeypatch.setattr(mp, "get_context", lambda kind: Ctx)
    monkeypatch.setattr(ex.os, "kill", lambda pid, sig: signalled.append((pid, sig)))
    return signalled, joined, pids


def _ray_stopped_at_its_second_task():
    """A fake ``ray`` (test_probe_ray7's FakeRay) on which submitting a second task is stopped by a Ctrl-C; the tasks
    it cancels in ``cancelled``."""
    from test_probe_ray7 import FakeRay

    class Stopped(FakeRay):
        def __init__(self):
            super().__init__({})
            self.cancelled = []

        def remote(self, **opts):
            def submit(unit):
                if self.units:  # the second task: Ctrl-C
                    raise KeyboardInterrupt
                self.units.append(unit)
                return unit

            return lambda fn: type("Remote", (), {"remote": staticmethod(submit)})

        def wait(self, refs, num_returns=1, timeout=None):  # FakeRay's 'all done' is get's running them: a task
            return [], list(refs)  # submitted here is never got, so never done (the stopped driver asks)

        def cancel(self, ref):
            self.cancelled.append(ref)

    return Stopped()


def _stopped_slurm_driver(tmp_path, monkeypatch, begun: int, pending: int, checkpoint=None, again=False,
                          cluster="local") -> str:
    """A SLURM driver (submitit's local cluster, monkeypatched) of one job per run: one job done, ``begun`` jobs whose
    run had begun (its folder made), ``pending`` jobs SLURM never started; Ctrl-C while it polls (``again``: a second
    one while it reads the store for its warning). Its warning."""
    import benchmark.executors as ex
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    cancelled = _slurm_jobs(monkeypatch, cluster)
    configs = _grid(tuple(range(1 + begun + pending)))
    store = ResultsStore(tmp_path / "r")
    for c in configs[1:1 + begun]:
        store.run_dir(run_id(c)).mkdir(parents=True)

    def sleep(s):
        raise KeyboardInterrupt

    monkeypatch.setattr(ex._time, "sleep", sleep)
    if again:
        monkeypatch.setattr(ex, "_cancelled_said", lambda *a: sleep(0))
    said = _said_when_stopped(lambda: ex.execute_slurm(configs, store.root, ("psnr",), "cpu", cluster=cluster,
                                                       checkpoint=checkpoint, logger="none"), "interrupted")
    assert len(cancelled) == len(configs)
    return said


def test_a_stopped_slurm_driver_does_not_promise_checkpoints_to_runs_slurm_never_started(tmp_path, monkeypatch):
    """Ctrl-C of a SLURM driver said 'cancelling N jobs; their checkpoints resume them' whatever the jobs were: the
    array tasks SLURM had not started yet (pending), and the runs a job had not begun, have no checkpoint and none is
    saved when they are cancelled — the next command trains them from iteration 0. It now says how many runs were in
    progress (they save a checkpoint as they stop and resume from it) and how many had not begun (they start then)."""
    said = _stopped_slurm_driver(tmp_path, monkeypatch, begun=1, pending=2)
    assert "their checkpoints resume them" not in said, said
    assert "1 run in progress" in said and "2 runs not begun yet" in said, said
    said = _stopped_slurm_driver(tmp_path / "b", monkeypatch, begun=0, pending=2)
    assert "in progress" not in said and "2 runs not begun yet" in said and "checkpoint" not in said, said


def test_a_second_ctrl_c_while_the_slurm_driver_reads_the_store_still_cancels_every_job(tmp_path, monkeypatch):
    """The stopped SLURM driver's warning reads the store for each run not finished (a 500-run grid on NFS: seconds)
    before it cancels the jobs: a second Ctrl-C there must not leave the array queued to run all night."""
    said = _stopped_slurm_driver(tmp_path, monkeypatch, begun=1, pending=1, again=True)  # asserts every job cancelled
    assert said.startswith("interrupted: cancelling 2 jobs still queued or running (of 3"), said  # 1 finished


@pytest.mark.parametrize("off", [False, True], ids=["checkpoints", "no-checkpoints"])
def test_a_stopped_local_driver_says_no_checkpoint_is_saved_with_checkpoints_off(tmp_path, monkeypatch, off):
    """Ctrl-C of ``plbench run --workers 2 --checkpoint-every 0 --checkpoint-seconds 0`` said 'stopping 2 workers;
    each saves a checkpoint first', but with checkpoints off a local worker's run has no checkpointer: it stops with
    none, and the next command trains it from iteration 0 (the SLURM debug cluster's line says so; the local one did
    not). It says so now; with checkpoints on the line is as it was."""
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy

    signalled, _, _ = _workers_that_never_report(monkeypatch)

    class Monitor:  # the driver polls, then is stopped
        def tick(self):
            raise KeyboardInterrupt

    policy = CheckpointPolicy(every=0, seconds=0) if off else CheckpointPolicy()
    units = [ex.dataclasses.replace(u, checkpoint=policy)
             for u in ex._units([], 2, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), "none", 1)]
    said = _said_when_stopped(lambda: ex._run_processes(units, [{}] * len(units), Monitor()), "stopping")
    assert units and len(signalled) == len(units) and said.startswith("stopping"), (signalled, said)
    if off:
        assert "saves a checkpoint" not in said and "from iteration 0" in said, said
    else:
        assert said.endswith("saves a checkpoint first"), said


def test_a_local_driver_stopped_while_it_plans_its_workers_leaves_no_claim_folder(tmp_path, monkeypatch):
    """The local driver opened its grid's claim folder (``plbench-said-<grid>`` in the temp folder, naming its
    process) before planning its workers — decoding the images they share takes minutes on a big set — and removed it
    only once they had started: a Ctrl-C or an error there left the folder, for good in a long-lived process (a
    notebook calling the API), and kept the file of the images it shares with them (an unlinked file of up to the
    decoded set's size) open. The folder is opened just before the workers start, the file closed when stopped."""
    import tempfile

    import benchmark.executors as ex

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(ex, "check_local_memory", lambda *a, **k: None)

    def planned(todo):
        raise KeyboardInterrupt  # Ctrl-C while the driver plans

    shared = tempfile.TemporaryFile()

    class Data:  # the driver's decoded images, written for its workers to map
        def share(self, specs):
            return shared, ("/proc/self/fd/0", ())

    monkeypatch.setattr(ex, "_planned", planned)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_local(_grid((0, 1)), tmp_path / "r", ("psnr",), "cpu", workers=2, logger="none", data=Data())
    assert not list((tmp_path / "tmp").glob("plbench-said-*"))
    assert shared.closed


def test_a_ray_driver_stopped_while_it_submits_its_tasks_cancels_those_submitted_and_leaves_no_claim_folder(
        tmp_path, monkeypatch):
    """The Ray driver opened its grid's claim folder and submitted every task before its try: a Ctrl-C while it
    submitted a big grid's tasks (one per run: seconds) left the claim folder and cancelled none of the tasks already
    submitted, which ran on without a driver to say so (on a cluster: until its job ended). They are cancelled (and
    waited for to checkpoint) as when stopped later, and the folder removed."""
    import tempfile

    import benchmark.executors as ex

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    ray = _ray_stopped_at_its_second_task()
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    monkeypatch.setattr(ex, "check_local_memory", lambda *a, **k: None)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_ray(_grid((0, 1, 2)), tmp_path / "r", ("psnr",), "cpu", split="run", logger="none")
    assert len(ray.units) == 1 and ray.cancelled == ray.units, (ray.units, ray.cancelled)
    assert not list((tmp_path / "tmp").glob("plbench-said-*"))


def test_a_stopped_slurm_driver_forgets_the_jobs_it_cancelled_so_the_same_command_submits_their_runs(
        tmp_path, monkeypatch):
    """The store's SLURM ledger (.slurm-jobs.json) kept the runs of the jobs a stopped driver had just cancelled: the
    same command run again at once (as the stop says) took them as 'queued or running in SLURM, submitted by an
    earlier driver: not submitted again' while the controller still listed them COMPLETING (no accounting: squeue),
    or sacct did not list them yet (for up to SLURM_ACCOUNTING_LAG_S after sbatch) — and left them unfinished. Once
    its scancel succeeded the driver drops its jobs from the ledger."""
    import json

    import benchmark.executors as ex

    _stopped_slurm_driver(tmp_path, monkeypatch, begun=1, pending=1, cluster="slurm")
    ledger = json.loads((tmp_path / "r" / ex.SLURM_LEDGER).read_text())
    assert not ledger["runs"], ledger

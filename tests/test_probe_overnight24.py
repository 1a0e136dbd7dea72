"""Probe of the overnight run (session 24): what the stopped drivers say, the spill folder, the dry run's reads of old
checkpoints, and the faults of a night found fresh."""
from __future__ import annotations

import logging

import pytest
from test_probe_overnight22 import _raised_and_said
from test_probe_overnight23 import _driver_fails, _endless_ray


def test_a_ray_connection_lost_while_the_stopped_driver_waits_is_said(tmp_path, monkeypatch):
    """A Ctrl-C'd Ray driver said 'waiting up to 120 s for 2 ray tasks to checkpoint and stop' and then, its connection
    to Ray lost during that wait, nothing more: the user could not tell whether the tasks stopped, or still trained
    into the store. A line now says the connection was lost, that whether they stopped is not known, how to see them
    and that the same command resumes their runs."""
    ray = _endless_ray(stubborn=True)
    ray.up = True  # the user's own instance

    def lost(refs, num_returns=1, timeout=None):
        if timeout:  # the grace wait (the driver's own polls wait with no timeout or a short one)
            raise ConnectionError("GCS connection lost\nmore of Ray's text")
        return [], list(refs)

    import benchmark.executors as ex

    real_stop = ex._stop_ray_tasks

    def stop(r, refs, exc, checkpoint):
        r.wait = lost
        return real_stop(r, refs, exc, checkpoint)

    monkeypatch.setattr(ex, "_stop_ray_tasks", stop)
    raised, said = _driver_fails(tmp_path, monkeypatch, ray, KeyboardInterrupt(), seeds=(0, 1))
    assert isinstance(raised, KeyboardInterrupt), raised
    assert "waiting up to" in said, said
    tail = said[said.index("waiting up to"):]
    assert "connection to Ray was lost" in tail and "GCS connection lost" in tail and "more of Ray" not in tail, said
    assert "2 ray tasks" in tail and "same command" in tail, said


def _slurm_jobs_in_states(monkeypatch, states: list[str], polled: int) -> list:
    """submitit monkeypatched (fake_slurm.executor on SLURM) to submit one job per run, in ``states`` as the jobs'
    shared sacct watcher last read them (submitit's cache), the first ``polled`` of them done when the driver polls;
    the jobs the driver cancels go in the list returned."""
    submitit = pytest.importorskip("submitit")
    import fake_slurm

    import benchmark.executors as ex

    class Watcher:  # sacct as last read: one job's poll refreshed them all
        def get_state(self, job_id, mode="standard"):
            assert mode == "cache", "the stopped driver asked sacct again"
            return states[int(job_id.split("_")[1])]

    class Job:
        watcher = Watcher()

        def __init__(self, i):
            self.job_id, self.i = f"1000_{i}", i

        def done(self):
            return self.i < polled

        def result(self):
            return {"summary": {"trained": 1}}

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: [Job(i) for i in range(n)], "slurm"))
    cancelled = []
    monkeypatch.setattr(ex, "_cancel", lambda jobs, cluster: cancelled.extend(jobs) or True)
    return cancelled


@pytest.mark.parametrize("stop", ["ctrl-c", "disk-full"])
def test_a_stopped_slurm_driver_counts_only_the_jobs_still_queued_or_running(tmp_path, monkeypatch, stop):
    """A SLURM driver of 4 jobs, one collected, one known COMPLETED by the sacct read of a later job's poll (its result
    not collected yet), two PENDING/RUNNING, stopped by a Ctrl-C said 'interrupted: cancelling 4 jobs', and stopped by
    a full disk '3 jobs not finished are left to SLURM': jobs that had finished counted as jobs still to run. Both
    lines now count the 2 the driver knows are queued or running (a state it has not read counts as queued)."""
    import errno

    from test_probe_overnight22 import _grid
    from test_probe_overnight23 import _monitor_raises

    import benchmark.executors as ex

    cancelled = _slurm_jobs_in_states(monkeypatch, ["COMPLETED", "COMPLETED", "PENDING", "RUNNING"], polled=1)
    if stop == "ctrl-c":
        def sleep(s):
            raise KeyboardInterrupt

        monkeypatch.setattr(ex._time, "sleep", sleep)
        error = KeyboardInterrupt
    else:
        _monitor_raises(monkeypatch, OSError(errno.ENOSPC, "No space left on device", "r/runs"))
        error = OSError
    raised, said = _raised_and_said(lambda: ex.execute_slurm(_grid((0, 1, 2, 3)), tmp_path / "r", ("psnr",), "cpu",
                                                             cluster="slurm", split="run", logger="none"),
                                    error, level=logging.WARNING)
    if stop == "ctrl-c":
        assert "interrupted: cancelling 2 jobs still queued or running (of 4" in said, said
        assert len(cancelled) == 4, cancelled  # scancel of the array: the ended ones are no matter
    else:
        assert "2 jobs not finished are left to SLURM" in said and "scancel 1000" in said, said
        assert not cancelled, cancelled


@pytest.mark.parametrize("bad", ["missing", "file"])
def test_a_spill_folder_that_is_not_there_is_refused_before_any_work(tmp_path, monkeypatch, capsys, bad):
    """``PLBENCH_SPILL_DIR`` naming a folder that is not there (a typo, a scratch disk not mounted) or a file was only
    a warning once a big source passed PLBENCH_DECODED_RAM_MB, hours into reading it — and the rest of its images then
    stayed in the memory the setting was there to spare. It is now a one-line error (exit 2) before planning, from the
    command line and api.run alike; nothing is written to the results folder, and a folder that is there is taken."""
    from benchmark import api
    from benchmark.cli import main
    from benchmark.errors import UserError

    spill = tmp_path / "spil"
    if bad == "file":
        spill.write_text("")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(spill))
    out = tmp_path / "r"
    rc = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "2", "--out", str(out),
               "--no-budget-check"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "PLBENCH_SPILL_DIR" in err[0] and str(spill) in err[0], (rc, err)
    assert ("is a file" if bad == "file" else "names no folder") in err[0], err
    assert not out.exists(), list(out.rglob("*"))
    with pytest.raises(UserError, match="PLBENCH_SPILL_DIR"):
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=2, out=str(out), report=False)
    assert not out.exists()
    from benchmark.data import spill_folder

    (tmp_path / "disk").mkdir()
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path / "disk"))
    assert spill_folder() == str(tmp_path / "disk")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", "")
    assert spill_folder() is None


def test_the_dry_run_reads_an_old_gpl_checkpoint_once(tmp_path, monkeypatch, capsys):
    """``run --dry-run`` of a grid with a gpl run stopped under ``--backbone-weights pretrained`` before gpl had one id
    read the store's stopped checkpoints twice: in planning's warnings (which say it would resume) and again for the
    estimate (each a torch.load of a checkpoint's record: on a store of 1000 stopped runs on NFS, seconds each time).
    They are read once; the estimate still counts the run from the checkpoint's iteration."""
    import torch

    import benchmark.ckptrecord as ckptrecord
    import benchmark.perf as perf
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.cli import main
    from benchmark.config import RunConfig, code_version, run_id

    asked = []

    def estimate(configs, *a, trained=None, **k):
        asked.append((list(configs), dict(trained or {})))
        raise KeyboardInterrupt  # the timing itself is not what is tested

    monkeypatch.setattr(perf, "estimate_grid", estimate)
    out = tmp_path / "r"
    argv = ["run", "--tasks", "denoise", "--losses", "gpl", "--seeds", "0", "--iterations", "8", "--out", str(out),
            "--no-budget-check", "--backbone-weights", "pretrained", "--device", "cpu", "--dry-run"]
    assert main(argv) == 130
    (cfg,), _ = asked.pop()
    then = {**cfg.to_dict(), "backbone_weights": "pretrained"}
    old = run_id(RunConfig.from_dict(then))
    assert old != run_id(cfg)
    (out / "runs" / old).mkdir(parents=True)
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    Checkpointer(out / "runs" / old / "ckpt.pt", CheckpointPolicy(), {"config": then, "code_version": code_version()}
                 ).save(3, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
                        gen=torch.Generator(), device=torch.device("cpu"), progress={"curve": [[1, 0.5]]})
    reads = []
    real = ckptrecord.record
    monkeypatch.setattr(ckptrecord, "record", lambda path: reads.append(path) or real(path))
    assert main(argv) == 130
    (cfg2,), trained = asked.pop()
    assert cfg2 == cfg and trained == {cfg: 3}, trained
    assert reads == [out / "runs" / old / "ckpt.pt"], reads


@pytest.mark.parametrize("cluster", ["slurm", "local"])
def test_jobs_a_stopped_slurm_driver_could_not_cancel_are_said(tmp_path, monkeypatch, cluster):
    """A stopped SLURM driver whose ``scancel`` failed (not on this node's PATH, the controller down) cancelled the
    jobs one by one, and where those cancels failed too it said nothing: the user went home believing the array
    cancelled while it trained on into the store. A line now names the jobs not cancelled, why, and the scancel
    that stops them (submitit's local jobs: that their processes may need ending by hand)."""
    import subprocess

    import benchmark.executors as ex

    def no_scancel(*a, **k):
        raise FileNotFoundError(2, "No such file or directory", "scancel")

    monkeypatch.setattr(subprocess, "run", no_scancel)

    class Job:
        def __init__(self, i, fails):
            self.job_id, self.fails = f"1000_{i}", fails

        def cancel(self, check=True):
            if self.fails:
                raise RuntimeError(f"Could not cancel job {self.job_id}\nslurm_load_jobs error")

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("benchmark.executors").addHandler(handler)
    try:
        assert ex._cancel([Job(0, False), Job(1, True), Job(2, True)], cluster) is False
    finally:
        logging.getLogger("benchmark.executors").removeHandler(handler)
    said = [r.getMessage() for r in records if "could not cancel" in r.getMessage()]
    assert len(said) == 1 and "2 jobs" in said[0] and "Could not cancel job 1000_1" in said[0], said
    assert "slurm_load_jobs" not in said[0], said
    assert ("`scancel 1000`" if cluster == "slurm" else "job 1000_1 1000_2") in said[0], said


def test_a_stopped_ray_driver_counts_only_the_tasks_still_running(tmp_path, monkeypatch):
    """The Ray driver collects its tasks' results in order: stopped while it waited for the first of 3 (a full disk),
    it said 'cancelling 3 ray tasks' and cancelled the third, which had finished — as the SLURM driver counted
    finished jobs. Ray is asked which are done (no wait): the 2 still running are cancelled and counted."""
    import errno

    ray = _endless_ray()
    ray.stopped.add(2)  # the third task finished while the driver waited for the first
    error = OSError(errno.ENOSPC, "No space left on device", "r/runs")
    raised, said = _driver_fails(tmp_path, monkeypatch, ray, error)
    assert raised is error, raised
    assert sorted(ray.cancelled) == [0, 1] and not ray.forced, (ray.cancelled, ray.forced)
    assert "cancelling 2 ray tasks" in said and "waiting up to 120 s for 2 ray tasks" in said, said

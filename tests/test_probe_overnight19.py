"""Probe 19 of overnight and cluster runs under faults: a night script's SIGTERM outside training, the lines an
api.run caller reads, a store copied mid-grid."""
from __future__ import annotations

import pytest

from benchmark.progress import GridProgress
from benchmark.results import ResultsStore
from tests.test_probe_store17 import _one_done

_A_SCRIPT_TERMINATED_WHILE_SCORING = '''
import logging, os, signal, sys
from benchmark import api, metrics

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname).1s %(name)s: %(message)s")
    score = metrics.MetricSet.score

    def terminated(self, *args, **kwargs):  # SIGTERM (a scheduler's preemption) while the grid scores a run
        os.kill(os.getpid(), signal.SIGTERM)
        return score(self, *args, **kwargs)

    metrics.MetricSet.score = terminated
    try:
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=2, batch_size=2, crop=32, metrics=["psnr"],
                budget_check=False, out=sys.argv[1], report=False)
    except KeyboardInterrupt:
        print("the script's own except KeyboardInterrupt ran")
        sys.exit(130)
'''


def _script(tmp_path, text: str, *args: str):
    """``text`` run as a script in a subprocess on this checkout (not the install's): its CompletedProcess."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "night.py").write_text(text)
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(tmp_path / "night.py"), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


@pytest.mark.slow
def test_a_night_script_terminated_while_scoring_stops_cleanly_and_says_where_the_grid_stands(tmp_path):
    """api.run turned SIGTERM (a scheduler's preemption, `kill`) into a clean stop only while a run trained (its
    DeferredInterrupt): terminated while it planned or scored, the script died at once (-15), its own `except
    KeyboardInterrupt` never ran and its log never said where the grid stood. SIGTERM anywhere in api.run is an
    interrupt now, as in `plbench run`: where the grid stands, then the KeyboardInterrupt, the script's own handler."""
    proc = _script(tmp_path, _A_SCRIPT_TERMINATED_WHILE_SCORING, str(tmp_path / "r"))
    assert proc.returncode == 130, (proc.returncode, proc.stderr[-2000:])
    assert "the script's own except KeyboardInterrupt ran" in proc.stdout, proc.stdout
    said = [line for line in proc.stderr.splitlines() if "the grid stands at" in line]
    assert len(said) == 1 and "the same api.run() call resumes" in said[0], proc.stderr[-2000:]


@pytest.mark.slow
def test_a_full_disk_met_by_api_run_says_to_run_the_same_call_again(tmp_path, monkeypatch):
    """A full disk met by api.run raised 'free space and run the same command again to resume': a script has no
    command to run again (its grid's last lines say 'the same api.run() call' already). Every line that says what
    retries or resumes the grid says the call under api.run — its error, and the lines its workers log."""
    from benchmark import api, faults
    from benchmark.errors import UserError

    monkeypatch.setattr(faults, "_passed", {})
    monkeypatch.setenv(faults.DISK_FULL_ENV, "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with pytest.raises(UserError) as err:
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=2, batch_size=2, crop=32, metrics=["psnr"],
                budget_check=False, out=tmp_path / "r", report=False)
    assert "disk full while writing" in str(err.value), err.value
    assert "run the same api.run() call again" in str(err.value) and "same command" not in str(err.value), err.value
    from benchmark.errors import again

    assert again() == "the same command", "the call's wording ends with the call"


@pytest.mark.parametrize("cp", ["cp -r", "cp -a"])
def test_a_store_copied_mid_grid_to_another_machine_holds_no_run_there(tmp_path, monkeypatch, cp):
    """A store copied mid-grid (cp -r, which gives each file the copy's time, or cp -a) and read on another machine:
    the copy's lock files name the first machine's live worker, so the copy's progress line counted the run as
    'running on another machine' and `report`/`check` said it was in flight there, until three times the longest run
    had passed unchanged — a copy cannot be told from a shared (NFS) store by its text or times. A lock now records
    the file it locked (its inode, which every client of a shared store sees alike and a copy never has): on the copy
    the run is one still to do at once; on the shared store itself it stays in flight."""
    import shutil
    import socket


    store, cfgs, ids = _one_done(tmp_path / "a")
    lock = store.lock(ids[1])  # node A's worker, training it now
    try:
        shutil.copytree(tmp_path / "a", tmp_path / "b", copy_function=shutil.copy if cp == "cp -r" else shutil.copy2)
        real = socket.gethostname()
        monkeypatch.setattr(socket, "gethostname", lambda: f"{real}-node-b")  # read from machine B
        copy = ResultsStore(tmp_path / "b")
        assert copy.in_flight() == {}, copy.in_flight()
        line = GridProgress(copy, cfgs, workers=1).line()
        assert "another machine" not in line and "running" not in line.split("ETA")[0].replace("0 running", ""), line
        assert list(store.in_flight()) == [ids[1]], "the shared store itself, read from B: in flight on A"
        assert "1 on another machine" in GridProgress(store, cfgs, workers=1).line()
    finally:
        lock.release()


_A_SLURM_JOB = '''
import atexit, os, sys
from benchmark import slurmjob

class AbortsInTeardown:  # destroyed only by the interpreter's teardown, as pyarrow's thread pool
    def __del__(self, abort=os.abort, write=os.write):
        write(2, b"terminate called without an active exception\\\\n")
        abort()

keep = AbortsInTeardown()
register = atexit.register
atexit.register(lambda: print("a handler registered with the job's function ran"))  # torch's, multiprocessing's


def process_job(folder):  # submitit's: the job's function, then its result saved (or its error, raised again)
    print("atexit.register is atexit's own while the job runs:", atexit.register is register)
    atexit.register(lambda: print("a handler registered while the job trained ran"))  # a logger's (wandb, mlflow)
    if sys.argv[1] == "error":
        raise RuntimeError("the job's function raised")


slurmjob.main(["-u", "-m", "submitit.core._submit", "folder"], process_job=process_job)
'''


@pytest.mark.parametrize("outcome, code", [("success", 0), ("error", -6)])
def test_a_slurm_job_ends_through_its_own_entry_without_patching_atexit(outcome, code):
    """A SLURM job ended past the interpreter's teardown (where pyarrow's thread aborted it, FAILED in sacct) through an
    atexit handler registered at the job function's start that replaced atexit.register for the job's life, to know
    which handlers ran before it. The job's process is plbench's own entry now (benchmark.slurmjob, submitit's
    `python`): submitit's process_job, then exit_now(0) once its result is saved — each handler once, atexit untouched;
    a job whose function raised ends as submitit's entry ends it."""
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.run([sys.executable, "-c", _A_SLURM_JOB, outcome], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert proc.returncode == code, (proc.returncode, proc.stderr[-1000:])
    assert "atexit.register is atexit's own while the job runs: True" in proc.stdout, proc.stdout
    if outcome == "success":
        assert "terminate called" not in proc.stderr, proc.stderr[-1000:]
        assert proc.stdout.count("a handler registered while the job trained ran") == 1, proc.stdout
        assert proc.stdout.count("a handler registered with the job's function ran") == 1, proc.stdout



def test_slurm_jobs_are_started_through_plbenchs_own_entry(tmp_path, monkeypatch):
    """execute_slurm names benchmark.slurmjob as submitit's python for the slurm cluster and the local one."""
    import sys
    from pathlib import Path

    import submitit

    import benchmark.executors as ex
    from benchmark import slurmjob
    from tests.test_probe_fa14 import _cheap_config

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    submitted = fake_slurm.count_submissions(monkeypatch, {"trained": 1})
    ex.execute_slurm([_cheap_config()], tmp_path / "r", ("psnr",), "cpu", split="run")
    assert submitted == [1]
    made = submitit.AutoExecutor.made
    assert made["slurm_python"] == made["local_python"] == slurmjob.COMMAND, made
    assert slurmjob.COMMAND.endswith(" -u -m benchmark.slurmjob"), slurmjob.COMMAND


_A_LOSS_THAT_PRINTS = '''
import torch

from benchmark.registry import register_loss


@register_loss("probe19_prints")
class Prints(torch.nn.Module):
    def forward(self, pred, target):
        loss = (pred - target).abs().mean()
        print("loss", float(loss.detach()))  # a user's debugging, a library's chatter
        return loss
'''


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_grid_whose_stdout_reader_went_away_still_trains(tmp_path, workers):
    """`plbench run … | head`, a `| tee night.log` killed, an ssh session's pipe gone: the first print of a loss
    (a user's debugging, a library's chatter on stdout) met a broken pipe, and every run of the night failed at its
    first iteration with 'BrokenPipeError: [Errno 32] Broken pipe' — the reader of the output, not the run. What is
    written to a stream whose reader is gone goes nowhere now, in the command and in each worker; the runs train."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "prints.py").write_text(_A_LOSS_THAT_PRINTS)
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    with open(tmp_path / "err.log", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses",
                                 "probe19_prints", "--loss-file", str(tmp_path / "prints.py"), "--seeds", "0", "1",
                                 "--iterations", "4", "--batch-size", "2", "--crop", "32", "--metrics", "psnr",
                                 "--no-budget-check", "--no-report", "--workers", workers,
                                 "--out", str(tmp_path / "r")],
                                stdout=subprocess.PIPE, stderr=err, env=env, cwd=Path(__file__).resolve().parents[1])
        proc.stdout.close()  # the reader gone before the first line
        code = proc.wait(timeout=300)
    said = (tmp_path / "err.log").read_text()
    assert code == 0, said[-2000:]
    assert "trained 2, skipped 0 (already done), re-scored 0, diverged 0, failed 0" in said, said[-2000:]
    assert "BrokenPipeError" not in said, said[-2000:]


_PRINTS_TO_A_READER_GONE = '''
import os, sys
from benchmark.errors import output_to_a_reader_gone_goes_nowhere

r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.close(w)
with output_to_a_reader_gone_goes_nowhere():
    for i in range(3):
        print("line", i, flush=True)
sys.stderr.write("printed past the reader gone")
'''


def test_a_print_to_a_reader_gone_goes_nowhere():
    """The mechanism: once the reader of stdout is gone, a print (flushed) raised BrokenPipeError; now stdout is the
    null device from then on, and the process goes on."""
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.run([sys.executable, "-c", _PRINTS_TO_A_READER_GONE], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert proc.returncode == 0 and "printed past the reader gone" in proc.stderr, proc.stderr[-1000:]
    assert "BrokenPipeError" not in proc.stderr, proc.stderr[-1000:]

"""Review of the overnight fixes (probe 17): what the morning finds after a night's grid, its exit code included."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_entry_ends_with_the_commands_code_past_an_abort_in_the_interpreters_teardown(tmp_path):
    """Was: a command that ended with its code (a full disk's 3) aborted now and then in the interpreter's teardown —
    a C++ library's thread destroyed at exit (pyarrow's: 'terminate called without an active exception') — and the
    night script reading the exit code saw 134. Now the entry (``plbench``, ``python -m benchmark``, run_all.py)
    runs what Python runs at exit (non-daemon threads joined, atexit handlers, logging closed, stdout flushed) and
    ends there. A teardown that aborts stands in for pyarrow's."""
    script = textwrap.dedent(f"""
        import atexit, logging, os, sys, threading, time
        import benchmark.cli as cli

        class AbortsInTeardown:  # an object destroyed only by the interpreter's teardown, as pyarrow's thread pool
            def __del__(self):
                os.abort()

        keep = AbortsInTeardown()
        done = {str(tmp_path)!r}
        atexit.register(lambda: open(os.path.join(done, "atexit"), "w").close())
        threading.Thread(target=lambda: (time.sleep(0.2), open(os.path.join(done, "thread"), "w").close())).start()
        logging.basicConfig(filename=os.path.join(done, "log"), level=logging.INFO)
        cli.main = lambda: (logging.getLogger("x").info("the grid's last line"), print("said", end=""), 3)[-1]
        cli.main_entry()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert proc.stdout == "said", proc.stdout  # flushed, a pipe's block buffer
    assert (tmp_path / "atexit").is_file() and (tmp_path / "thread").is_file()
    assert "the grid's last line" in (tmp_path / "log").read_text()


def test_main_returns_its_code_and_the_entry_alone_ends_the_process(monkeypatch):
    """Tests (and scripts) call :func:`benchmark.cli.main`, which returns; the entry hands main's code, or a
    SystemExit's (argparse's --help 0, a usage error 2), to the exit."""
    import benchmark.cli as cli

    ended = []
    monkeypatch.setattr(cli, "exit_now", ended.append)
    monkeypatch.setattr(cli, "main", lambda: 3)
    cli.main_entry()

    def usage():
        raise SystemExit(2)

    monkeypatch.setattr(cli, "main", usage)
    cli.main_entry()
    assert ended == [3, 2]
    assert "main_entry()" in (ROOT / "run_all.py").read_text()  # run_all.py's exit is the entry's


@pytest.mark.slow
def test_a_full_disk_ends_with_exit_code_3_every_time(tmp_path):
    """The reported night: ``PLBENCH_DISK_FULL_AT=7`` on a two-run grid exited 134 (an abort at teardown) in about 2
    of 13 runs, 3 otherwise. Ten in a row: 3 each."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", PLBENCH_DISK_FULL_AT="7")
    for i in range(10):
        proc = subprocess.run([sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", "l1", "l2",
                               "--seeds", "0", "--iterations", "10", "--metrics", "psnr", "--no-budget-check",
                               "--checkpoint-every", "0", "--checkpoint-seconds", "0", "--no-report",
                               "--out", str(tmp_path / str(i))], capture_output=True, text=True, env=env, cwd=ROOT,
                              timeout=300)
        assert proc.returncode == 3, (i, proc.returncode, proc.stderr[-2000:])


def test_a_local_worker_started_again_is_not_said_to_have_hung_in_its_predecessors_run(tmp_path):
    """A local worker ended by a hang in C code is started again in its place (same unit, same name, same grid id);
    when that one hangs too and its record could not be written (a stalled file system: 60 s, then the process ends
    without it), the driver's line said the first start's hang, found by the grid's id alone, where it said 'no
    record': a local worker's hangs are found by their time, after its own start (its clock is the driver's)."""
    import time

    from benchmark import executors
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore, atomic_write_json

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    unit = executors.WorkUnit((cfg,), str(store.root), ("psnr",), "cpu", tag="[w0]", grid_id="g1",
                              since=time.time() - 60)
    rid = run_id(cfg)
    atomic_write_json(store.run_dir(rid) / "meta.json", {  # the first start's hang
        "run_id": rid, "status": "failed", "stalled": True, "config": cfg.to_dict(), "error": "hung", "worker": "w0",
        "grid_id": "g1"})
    assert executors._hang_said(unit, time.time() - 1).startswith(f"its hung run {rid}")
    again = time.time() + 5  # the worker in its place started after that record
    assert executors._hang_said(unit, again).startswith("no record of the hang found"), executors._hang_said(unit,
                                                                                                              again)

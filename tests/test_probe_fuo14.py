"""Probe of overnight follow-ups (session 14, fuo): each test failed on the code before its fix."""

from __future__ import annotations

import pytest


def test_a_full_disk_in_any_worker_decides_the_exit_code_over_another_workers_bug_or_bad_input(caplog):
    """When several workers failed, the first one's error decided the grid's exit code: a bug in w0 (internal error,
    exit 1) or a refusal in it (exit 2) hid w1's full disk, whose documented code is 3 (free space, run the same
    command). The error the README ranks first decides now — full disk (3), then bad input (2), then a bug (1) — and
    each other error is still said in its own line."""
    import logging

    from benchmark import executors
    from benchmark.errors import UserError

    disk = {"error": "disk full while writing x (No space left on device)", "user": True, "exit_code": 3,
            "worker": "w1"}
    bug = {"error": "ZeroDivisionError: division by zero", "user": False, "worker": "w0"}
    bad = {"error": "the loss file l.py was edited since the grid was planned", "user": True, "worker": "w2"}
    with caplog.at_level(logging.ERROR, logger="benchmark"), pytest.raises(UserError) as exc:
        executors._raise_failures([bug, bad, disk], "workers")
    assert exc.value.exit_code == 3 and str(exc.value).startswith(disk["error"]), str(exc.value)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(bug["error"] in s for s in said) and any(bad["error"] in s for s in said), said
    with pytest.raises(UserError) as exc:  # no disk full: bad input before a bug
        executors._raise_failures([bug, bad], "workers")
    assert exc.value.exit_code == 2 and str(exc.value).startswith(bad["error"]), str(exc.value)


def _store_with_runs_in_flight(tmp_path):
    """A synthetic store, two runs of another command in flight (their locks held, no record yet), and a run whose
    process died (its lock file left, held by nobody): (store, the held locks, the runs in flight)."""
    import socket

    from benchmark.results import RunLock
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=3, metrics=("psnr",),
                        budget_check=False)
    training = ["0123456789abcdef", "fedcba9876543210"]
    held = [RunLock.acquire(store.run_dir(rid) / ".lock") for rid in training]
    (store.run_dir("00000000deadbeef")).mkdir()
    (store.run_dir("00000000deadbeef") / ".lock").write_text(f"pid 999999999 on {socket.gethostname()} since 01:00")
    return store, held, training


def test_the_runs_another_process_trains_are_found_and_said_on_the_runs_last_line(tmp_path):
    """The runs a board written now would lack — another process's, in flight — are found without taking their
    locks (a taken lock would make that process leave its run), and the run's last line says how many of its grid's
    are still being trained (the slow test below: the board's note)."""
    from benchmark.cli import leaderboard_line
    from benchmark.report import in_flight_lines

    store, held, training = _store_with_runs_in_flight(tmp_path)
    try:
        assert set(store.in_flight()) == set(training) and set(store.in_flight(training[:1])) == set(training[:1])
        (note,) = in_flight_lines(store, store.in_flight())
        assert note.startswith("2 runs in this results directory were being trained by another process"), note
        line = leaderboard_line({"markdown": store.root / "leaderboard.md"}, store.in_flight(set(training[:1])))
        assert line.startswith("leaderboard: ") and "1 run of this grid is still being trained by" in line, line
    finally:
        for lock in held:
            lock.release()
    assert store.in_flight() == {}


@pytest.mark.slow  # two reports written (5-10 s on a loaded machine)
def test_a_board_written_while_another_process_trains_runs_says_how_many_are_not_in_it(tmp_path):
    """Two `plbench run` on one store at once: the first to finish wrote a leaderboard without the runs the other was
    still training, without a word — read in the morning after one command ended, a partial board looked whole. The
    board's notes now say how many runs another live process holds unfinished, and by whom; the run's last line (the
    leaderboard's) says how many of its own grid's runs are still being trained there."""
    from benchmark.report import write_report

    store, held, training = _store_with_runs_in_flight(tmp_path)
    try:
        paths = write_report(store, formats=(), visual=False, n_boot=50)
        md = paths["markdown"].read_text()
        (note,) = [line for line in md.splitlines() if "being trained" in line]
        assert "2 runs" in note and "another process" in note and "not in these tables" in note, note
        assert paths["html"].read_text().count("being trained by another process") == 1
    finally:
        for lock in held:
            lock.release()
    md = write_report(store, formats=(), visual=False, html=False, n_boot=50)["markdown"].read_text()
    assert "being trained" not in md  # the other command done: a whole board, no note

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

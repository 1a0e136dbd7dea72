"""Review of the overnight14 fixes: what a reviewer found left in them."""

from __future__ import annotations

import pytest


@pytest.mark.slow  # a worker process starts (torch imported: 2-3 s)
def test_a_worker_that_exits_after_it_started_is_not_named_by_what_it_said_while_starting(tmp_path, monkeypatch,
                                                                                                 capfd):
    """The tail of a local worker's stderr while Python started it names the error of a worker that failed there
    (3c9ff2e). A worker that started — its stderr the driver's again — and exited later without reporting (a loss
    file's os._exit, a C library's exit(1)) was named by that tail all the same: a harmless line it printed while
    starting (a deprecation warning of an import) read as the cause of its exit, hours later."""
    import importlib
    import sys

    from benchmark import executors

    (tmp_path / "chatty_review14").mkdir()
    (tmp_path / "chatty_review14" / "__init__.py").write_text(
        "import sys\nprint('DeprecationWarning: chatty_review14 is old', file=sys.stderr)\nclass Policy:\n    pass\n")
    (tmp_path / "exits_review14.py").write_text("import os\nos._exit(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("chatty_review14")
    try:
        unit = executors.WorkUnit((), str(tmp_path / "r"), ("psnr",), "cpu", checkpoint=module.Policy(), tag="[w0]",
                                  loss_files=(str(tmp_path / "exits_review14.py"),))
        results = executors._run_processes([unit], [{}])
    finally:
        sys.modules.pop("chatty_review14", None)
    assert results[0]["error"] == "worker w0 exited with code 1 without reporting", results
    err = capfd.readouterr().err
    assert "chatty_review14 is old" in err and "plbench-worker-started" not in err, err  # passed on, the mark not


def test_several_workers_errors_are_counted_and_each_distinct_one_said(caplog):
    """When several workers failed, the grid's line was the first one's error and '(and 1 more workers)': wrong in
    number, and what the others failed with was in no line at all (a disk full in one, a bug in another). The same
    error elsewhere is counted now ('also in 1 other worker'), and each other error is one line of its own."""
    import logging

    import pytest

    from benchmark import executors
    from benchmark.errors import UserError

    disk = {"error": "disk full while writing x (No space left on device)", "user": True, "exit_code": 3}
    with pytest.raises(UserError) as exc:
        executors._raise_failures([{"summary": {}}, disk, dict(disk)], "workers")
    assert str(exc.value) == f"{disk['error']} (also in 1 other worker)" and exc.value.exit_code == 3
    bug = {"error": "ZeroDivisionError: division by zero", "user": False}
    with caplog.at_level(logging.ERROR, logger="benchmark"), pytest.raises(UserError) as exc:
        executors._raise_failures([disk, {**bug, "worker": "r1 (job 7_1)"}, disk, bug, disk], "slurm jobs")
    assert str(exc.value) == (f"{disk['error']} (also in 2 other slurm jobs; 2 other slurm jobs failed otherwise, "
                              "said above)"), str(exc.value)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert said == ["2 other slurm jobs (r1 (job 7_1)) failed too: ZeroDivisionError: division by zero"], said

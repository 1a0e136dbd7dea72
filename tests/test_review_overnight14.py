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

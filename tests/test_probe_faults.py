"""Overnight faults found by probing the executors, the runner and the CLI: each test failed on the
code before its fix (a lost exit code, a misleading message, a wrong number)."""

from __future__ import annotations

import pytest

from benchmark import executors
from benchmark.errors import UserError
from benchmark.results import DiskFull


def test_disk_full_in_a_worker_keeps_exit_code_3(monkeypatch):
    """A full disk gives exit code 3 (README) with any executor: a worker's DiskFull crossed the
    process boundary as a plain UserError, exit 2 — a script that frees space and retries on 3
    never saw it."""
    def full(unit):
        raise DiskFull("disk full while writing runs/x/ckpt.pt (No space left on device)")

    monkeypatch.setattr(executors, "run_unit", full)
    result = executors._worker_main(executors.WorkUnit((), "/nonexistent", ("psnr",), "cpu"))
    with pytest.raises(UserError) as err:
        executors._raise_failures([{"summary": {}}, result], "workers")
    assert err.value.exit_code == 3
    assert str(err.value).startswith("disk full while writing runs/x/ckpt.pt")

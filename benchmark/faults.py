"""Crash points for fault-injection tests.

``PLBENCH_CRASH_AT=KIND:N`` makes the process kill itself with SIGKILL (no cleanup, no
``finally``, exactly like a power cut or the OOM killer) the N-th time it passes a crash point
of that kind. Kinds:

* ``write``     a result/metadata/checkpoint file is fully written and fsynced under its
                temporary name, not yet renamed into place (the worst moment for a writer);
* ``written``   just after such a rename;
* ``iteration`` after a training iteration (optimiser and scheduler stepped);
* ``image``     after one test image is scored.

``PLBENCH_DISK_FULL_AT=N`` makes the N-th atomic file write of the process fail with ``ENOSPC``
after its temporary file has been written, as a full disk would (:func:`disk_full_point`).

Unset (the normal case) a crash point costs one dictionary lookup. Counters are per process.
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "PLBENCH_CRASH_AT"
_passed: dict[str, int] = {}  # per-process counters; only used when ENV is set


def crash_point(kind: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    want, _, n = spec.partition(":")
    if want != kind:
        return
    _passed[kind] = _passed.get(kind, 0) + 1
    if _passed[kind] == int(n or 1):
        os.kill(os.getpid(), signal.SIGKILL)


DISK_FULL_ENV = "PLBENCH_DISK_FULL_AT"


def disk_full_point(path) -> None:
    """Raise ``OSError(ENOSPC)`` at the N-th call when ``PLBENCH_DISK_FULL_AT=N`` is set."""
    n = os.environ.get(DISK_FULL_ENV)
    if not n:
        return
    _passed["disk_full"] = _passed.get("disk_full", 0) + 1
    if _passed["disk_full"] == int(n):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

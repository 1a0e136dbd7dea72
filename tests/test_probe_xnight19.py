"""Overnight leftovers: the 'again' wording and the broken-pipe guard of concurrent calls, a host's MemoryError,
dead workers' lines."""

from __future__ import annotations

import logging


def test_two_killed_workers_say_the_oom_killer_clause_once(tmp_path, caplog):
    """Two workers killed by SIGKILL: 'worker a was killed by SIGKILL (the out-of-memory killer sends it, as does kill
    -9); worker b was killed by SIGKILL (the out-of-memory killer …)' said the clause once per worker."""
    from benchmark import executors

    results = [executors._died("w0", -9), executors._died("w1", -9), executors._died("w2", -15)]
    with caplog.at_level(logging.WARNING, logger="benchmark.executors"):
        executors._collect([], tmp_path, ("psnr",), results, "workers")
    text = " ".join(r.getMessage() for r in caplog.records)
    assert text.count("out-of-memory killer") == 1, text
    assert "worker w0 was killed by SIGKILL (the out-of-memory killer" in text
    assert "worker w1 was killed by SIGKILL" in text and "worker w2 was killed by SIGTERM" in text

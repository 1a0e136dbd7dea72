"""Probe of the store's leftovers (session 25, r3store): a garbled finished.log said by the report, …"""
from __future__ import annotations

import pytest


def _garbled(root):
    """A small store whose runs are noted in finished.log, then two lines of garbage appended (a sync tool's copy)."""
    from test_review_store11 import _noted

    store = _noted(root)
    log = store.root / "finished.log"
    log.write_bytes(log.read_bytes() + b"\x00\xff garbage\n+01234")
    return store


def test_gone_counts_a_garbled_finished_log_s_lines_in_its_one_read(tmp_path, monkeypatch):
    """`plbench report` read a garbled finished.log without a word (only check named it): the store's one read for
    gone() counts the lines that are no note, and the report's line says them and the repair, reading nothing again."""
    from benchmark.report import garbled_log_line
    from benchmark.results import ResultsStore

    store = _garbled(tmp_path / "r")
    assert store.gone() == {}
    reads = []
    real = ResultsStore.finished_log
    monkeypatch.setattr(ResultsStore, "finished_log", lambda self: reads.append(1) or real(self))
    said = garbled_log_line(store)
    assert reads == [] and said is not None
    assert "2 lines unreadable" in said and "--repair" in said and str(store.root) in said, said
    assert len(store.finished_log_garbled()) == 2
    (store.root / "finished.log").write_bytes(b"")
    store.gone()
    assert garbled_log_line(store) is None


@pytest.mark.slow
def test_a_report_of_a_store_with_a_garbled_finished_log_warns_once(tmp_path, caplog):
    """The report itself says the garbled finished.log in one warning line, with check --repair. Slow: a report."""
    import logging

    from benchmark.report import write_report

    store = _garbled(tmp_path / "r")
    with caplog.at_level(logging.WARNING):
        write_report(store, visual=False, n_boot=50)
    said = [r.getMessage() for r in caplog.records if "finished.log" in r.getMessage()]
    assert len(said) == 1 and "unreadable" in said[0] and "check" in said[0] and "--repair" in said[0], said

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


def test_check_names_checkpoints_set_aside_under_damaged_without_failing(tmp_path, capsys):
    """Checkpoints a merge (an unfinished run replaced) or --repair (a damaged run, an unusable checkpoint) moved to
    ``runs/<id>/damaged/<n>/`` may be hundreds of MB each and stayed for ever, unnamed by check. check names them
    (count, total size, paths) and what to do; set aside on purpose, they are no error: the exit code stays 0."""
    from test_review_store11 import _noted

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    assert main(["check", "--out", str(store.root)]) == 0
    capsys.readouterr()
    rids = [r for r in store.run_ids() if not r.startswith("input-")][:2]
    sizes = {"ckpt.pt": 3 * 2**20, "ckpt-b4.pt": 2**20}
    for rid, n in zip(rids, (0, 1)):
        aside = store.run_dir(rid) / "damaged" / str(n)
        aside.mkdir(parents=True)
        for name, size in sizes.items():
            (aside / name).write_bytes(b"\0" * size)
        (aside / "curve.csv").write_text("iteration,loss\n")  # not a checkpoint: not counted
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr().out
    line = next((x for x in said.splitlines() if "damaged/" in x), "")
    assert "4 checkpoints" in line and f"{2 * sum(sizes.values()) / 2**20:.1f} MB" in line, said
    assert f"runs/{rids[0]}/damaged/0/ckpt.pt" in line and "delete" in line, said


def test_check_names_saved_nets_set_aside_under_damaged_as_it_names_checkpoints(tmp_path, capsys):
    """A damaged saved net (``net.pt``, ``loss.pt``: hundreds of MB) that a merge replaced with the intact copy, or
    --repair moved with a damaged run's files, lies in ``runs/<id>/damaged/<n>/`` as a set-aside checkpoint does: the
    same leftover, named in the same line (count, size, paths), no error; a small record there (meta.json) is not."""
    from test_review_store11 import _noted

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    aside = store.run_dir(rid) / "damaged" / "0"
    aside.mkdir(parents=True)
    (aside / "net.pt").write_bytes(b"\0" * 2**20)
    (aside / "loss.pt").write_bytes(b"\0" * 2**20)
    (aside / "meta.json").write_text("{")
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr().out
    line = next((x for x in said.splitlines() if "damaged/" in x), "")
    assert f"runs/{rid}/damaged/0/net.pt" in line and f"runs/{rid}/damaged/0/loss.pt" in line, said
    assert "2.0 MB" in line and "meta.json" not in line, said

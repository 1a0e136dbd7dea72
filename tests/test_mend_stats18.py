"""Session-18 mends of stats, report, compare, figures and findings: one helper per rule, no work repeated."""
from __future__ import annotations

import os

import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.cli  # noqa: F401 - the command line's imports at collection, not in a test's time
import benchmark.compare  # noqa: F401
import benchmark.figures  # noqa: F401
import benchmark.metrics  # noqa: F401 (torch, scipy.stats)
import benchmark.report  # noqa: F401
import benchmark.synthetic  # noqa: F401
from benchmark.registry import FINDINGS, TASKS

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time
KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def _count(monkeypatch, cls, name: str) -> list:
    """Count the calls of ``cls.name`` (each call's args appended), the method still run."""
    calls, orig = [], getattr(cls, name)

    def counted(*a, **k):
        calls.append((a, k))
        return orig(*a, **k)

    monkeypatch.setattr(cls, name, counted)
    return calls


def test_a_store_with_nothing_gone_is_not_listed_again_for_renamed_runs(tmp_path, monkeypatch):
    """Was: gone_lines listed runs/ for copies (store.copies(), a record read per copy) on every report, every task of
    compare and check, though no run was gone to be named as renamed. Now it asks
    ResultsStore.renamed_copies only when some run is gone."""
    from benchmark.report import gone_lines
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    store.note_finished(rid, store.meta(rid))
    copies = _count(monkeypatch, ResultsStore, "copies")
    renamed = _count(monkeypatch, ResultsStore, "renamed_copies")
    assert gone_lines(store, {}) == [] and gone_lines(store) == []
    assert copies == [] and renamed == []
    store.run_dir(rid).rename(store.runs / "best")
    (line,) = gone_lines(store)
    assert "renamed runs/best" in line and len(renamed) == 1, line


def test_check_the_report_and_merge_agree_on_which_copies_are_renamed_runs(tmp_path, capsys):
    """Was: three copies of 'a copy whose run's folder is gone' — check's tested is_dir(), the report's and merge's
    os.path.lexists — so where runs/<id> was a file or a link to nothing beside runs/<id>.bak, check told the user to
    `mv` the copy onto it while the board named the file (or the link) and no rename. Now all three read
    ResultsStore.renamed_copies: a copy is a renamed run only where nothing at all is at runs/<id>."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, **KW)
    a, b = sorted(r for r in store.run_ids() if not r.startswith("input-"))
    store.run_dir(a).rename(store.runs / "best")  # mv: the only copy of run a
    store.run_dir(b).rename(store.runs / f"{b}.bak")
    os.symlink(tmp_path / "usb" / b, store.run_dir(b))  # a disk not mounted: runs/<b> is there, a link to nothing
    assert store.renamed_copies() == {"best": a}
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert f"mv {store.runs / 'best'} {store.run_dir(a)}" in said, said
    assert f"mv {store.runs / f'{b}.bak'}" not in said and f"runs/{b} is a link to" in said, said
    here = write_store(tmp_path / "here", offsets={"l3": 0.0}, **KW)
    assert here.merge_from(store)["renamed_there"] == ["best"]

"""Mends of duplicated helpers (session 17): one rule for a report's figure formats, one fragile note, one
word-agreement helper."""
from __future__ import annotations


def test_report_options_formats_follow_report_formats(monkeypatch):
    """cli.report_options kept its own copy of figures.report_formats' rule and disagreed on no formats
    (("png",) there, () here): api.report(formats=()) drew every figure as PNG, write_report(formats=()) none.
    report_options now calls report_formats: PNG first, then the others; none asked for: tables only."""
    from benchmark import figures as F
    from benchmark.cli import report_options

    calls = []
    real = F.report_formats
    monkeypatch.setattr(F, "report_formats", lambda f: calls.append(tuple(f)) or real(f))
    assert report_options(formats=("pdf",))["formats"] == ("png", "pdf")
    assert report_options(formats="svg")["formats"] == ("png", "svg")
    assert report_options(formats=())["formats"] == ()
    assert calls == [("pdf",), ("svg",), ()]

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


def test_one_fragile_note_for_the_leaderboard_and_compare(monkeypatch):
    """The "fragile" note was built three times (export's ▲/▼ and out-of-bold notes, differing only in columns,
    head and rule; compare's summary inline): export.fragile_note words all three, export.fragile_cells_text
    takes the columns; the text is as before."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark import export as E
    from benchmark.stats import FRAGILE

    cells = pd.DataFrame({"task": ["denoise", "deblur"], "metric": ["psnr", "ssim"], "label": ["l2", "ssim"],
                          "vs_base": [1, -1], "decided_by": ["3", None], "p_without": [0.081, None],
                          "bold_decided_by": [None, "0;1"], "bold_p_without": [None, 0.12]})
    st = SimpleNamespace(cells=cells, alpha=0.05)
    calls = []
    real = E.fragile_note
    monkeypatch.setattr(E, "fragile_note", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    assert E.fragile_cells_text(st) == (
        f"Fragile ▲/▼ ({FRAGILE} — its p Holm-adjusted over the table ≥ α = 0.05, or its effect turned): "
        "denoise/psnr: l2 ▲ (seed 3: p_holm = 0.081) — more seeds settle it.")
    assert E.fragile_cells_text(st, "bold_decided_by", "bold_p_without") == (
        f"Fragile out of bold ({FRAGILE} — none of the pairs it is significantly worse in stays significant after "
        "Holm over the column's pairs): deblur/ssim: ssim (any of seeds 0, 1: max p_holm = 0.12) — more seeds "
        "settle it.")
    assert calls == ["Fragile ▲/▼", "Fragile out of bold"]
    assert E.fragile_cells_text(SimpleNamespace(cells=cells.drop(columns="bold_decided_by"), alpha=0.05),
                                "bold_decided_by", "bold_p_without") == ""
    assert real("Fragile", "the pair's p …", ["better than `l1` on psnr (seed 3)", "worse than `l2` on ssim (seed 1)"],
                lead="`new` significantly ") == (
        f"Fragile ({FRAGILE} — the pair's p …): `new` significantly better than `l1` on psnr (seed 3); worse than "
        "`l2` on ssim (seed 1) — more seeds settle it.")

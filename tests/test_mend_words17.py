"""Mends of duplicated helpers (session 17): one rule for a report's figure formats, one fragile note, one
word-agreement helper."""
from __future__ import annotations

import re


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
        f"Fragile out of bold ({FRAGILE} — it is significantly worse than no other loss after Holm over the column's "
        "pairs): deblur/ssim: ssim (any of seeds 0, 1: max p_holm = 0.12) — more seeds "
        "settle it.")
    assert calls == ["Fragile ▲/▼", "Fragile out of bold"]
    assert E.fragile_cells_text(SimpleNamespace(cells=cells.drop(columns="bold_decided_by"), alpha=0.05),
                                "bold_decided_by", "bold_p_without") == ""
    assert real("Fragile", "the pair's p …", ["better than `l1` on psnr (seed 3)", "worse than `l2` on ssim (seed 1)"],
                lead="`new` significantly ") == (
        f"Fragile ({FRAGILE} — the pair's p …): `new` significantly better than `l1` on psnr (seed 3); worse than "
        "`l2` on ssim (seed 1) — more seeds settle it.")


#: A plain string, or a tuple of them (``("it", "has") if n == 1 else ("them", "have")``)
_WORDS = r"""(?:'[^'\n{}\\]*'|"[^"\n{}\\]*")"""
_WORDS = rf"""(?:{_WORDS}|\(\s*{_WORDS}(?:\s*,\s*{_WORDS})+\s*,?\s*\))"""
#: ``"A" if <count> == 1 else "B"`` (also ``!= 1``, ``== "1"``, ``> 1``, ``>= 2``, ``< 2``, ``<= 1``, ``len(x) - 1``,
#: or a flag named ``one``/``many``) between two plain strings (or tuples of them) on one line: a singular/plural
#: choice written by hand instead of docmarkup.agree/plural (a regex: parsing the product's large modules takes seconds)
_HAND = re.compile(rf"""{_WORDS}\s+if\s+(?:[^\n]{{0,80}}?\s(?:[=!]=\s*(?P<c>['"]?)1(?P=c)|>\s*1|>=\s*2|<\s*2|<=\s*1|"""
                   rf"""-\s*1)|one|many)\s+else\s+{_WORDS}""")


def _hand_written_agreements(paths):
    """Each :data:`_HAND` in ``paths``, as ``file:line: text``."""
    found = []
    for path in paths:
        text = path.read_text()
        found += [f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)[:90]}"
                  for m in _HAND.finditer(text)]
    return found


def test_agree_and_no_hand_written_singular_or_plural_comes_back():
    """Singular/plural words were chosen by hand ~100 times across the product ("is" if n == 1 else "are",
    run{'s' if n != 1 else ''}, 'was' if one else 'were', ...) beside docmarkup.plural: docmarkup.agree(n, one,
    many) makes each choice (plural is written with it), and a scan of the product (benchmark/, losses/, tasks/,
    run_all.py; scripts/ are developer tools run outside it) keeps a hand-written one from coming back."""
    from pathlib import Path

    from benchmark.docmarkup import agree, plural

    assert [agree(n, "is", "are") for n in (0, 1, 2, 1.0, "1", "1–3")] == ["are", "is", "are", "is", "is", "are"]
    assert (plural(1, "run"), plural(0, "run"), plural(2, "loss", "losses"), plural("1–3", "run")) == \
        ("1 run", "0 runs", "2 losses", "1–3 runs")
    root = Path(__file__).resolve().parents[1]
    paths = [p for d in ("benchmark", "losses", "tasks") for p in sorted((root / d).glob("*.py"))]
    found = _hand_written_agreements([*paths, root / "run_all.py"])
    assert not found, "\n".join(found)


def test_the_scan_finds_each_kind_of_hand_written_choice(tmp_path):
    """The scan above is not vacuous: each form it looks for, written in a file, is found."""
    f = tmp_path / "m.py"
    f.write_text("n = 2\none = n == 1\n"
                 "a = 'is' if n == 1 else 'are'\nb = f\"run{'s' if n != 1 else ''}\"\n"
                 "c = 'were' if n != 1 else 'was'\nd = 'it' if one else 'them'\ne = 0.5 if n == 1 else 1\n"
                 "g = 'tasks' if len(x) > 1 else 'task'\nh = f\"key{'s' if len(x) >= 2 else ''}\"\n"
                 "i = 'it finishes' if n < 2 else 'they finish'\nj = f\"pair{'' if k == '1' else 's'}\"\n"
                 "k = 'them' if n <= 1 else 'it'\nm = ', the first' if len(x) - 1 else ''\n"
                 "o = 'x' if n > 10 else 'y'\np = 'x' if n > 1.5 else 'y'\n"
                 "q, r = ('it', 'has') if n == 1 else ('them', 'have')\ns = (1, 'a') if n == 1 else (2, 'b')\n")
    assert sorted((x.split(":")[1] for x in _hand_written_agreements([f])), key=int) == \
        ["3", "4", "5", "6", "8", "9", "10", "11", "12", "13", "16"]

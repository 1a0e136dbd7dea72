"""Probe of the published leaderboards with verdicts (leaderboard.md/.tex, report.html, figures):
what a reader of a paper would stumble on."""

from __future__ import annotations

import re

import numpy as np
import pytest

from benchmark import stats as S
from benchmark.synthetic import synthetic_table

FIVE = tuple(range(5))


def _clear_field():
    """Four losses, five seeds, clearly apart: the permutation Friedman test finds no relabelling as
    extreme as the data, so its p sits at its floor 1 / (1 + n_perm)."""
    t = synthetic_table(tasks=("denoise",), seeds=FIVE, seed_sd=0.1, metrics=("psnr", "ssim", "lpips"),
                        n_images=10)
    return S.compute(t, n_boot=20)


def test_friedman_p_at_the_permutation_floor_is_a_bound_not_a_value():
    """With 2000 relabellings the smallest p the permutation test can give is 1/2001: the leaderboard
    printed it as ``p = 0.0005``, an exact-looking value a reader quotes (and compares with another
    report's ``p = 1e-12``), when it only says no relabelling reached χ². It now reads ``p ≤ 0.0005``
    in the Friedman line and the critical-difference figure's title alike."""
    from benchmark.export import friedman_p_text, friedman_text

    st = _clear_field()
    f = st.friedman
    assert f.get("method") == "permutation", f
    assert np.isclose(f["p"], 1 / (1 + f["n_perm"])), f  # at the floor
    text = friedman_text(st)
    assert "p = 0.0005" not in text and "p ≤ 0.0005;" in text, text
    assert friedman_p_text(f) == "≤ 0.0005"
    # a p above the floor keeps its value
    assert friedman_p_text({**f, "p": 0.034}) == "= 0.034"
    # the asymptotic test's p is a value, not a bound
    assert friedman_p_text({"p": 1 / 2001, "method": "asymptotic"}) == "= 0.0005"


def test_cd_diagram_title_gives_the_permutation_floor_as_a_bound():
    """The critical-difference figure's title says ``Friedman p ≤ 0.0005`` like the Friedman line."""
    from benchmark import figures as F

    st = _clear_field()
    with F.style():
        title = F.draw_cd_diagram(st).get_suptitle().replace("\n", " ")
    assert title.endswith("Friedman p ≤ 0.0005") and "p = 0.0005" not in title, title


LONG = "l1 + 0.1*ssim + 0.01*lpips_vgg(layers=[relu1_2,relu2_2,relu3_3])"


def _chunks(cell: str) -> list[str]:
    """The pieces of a LaTeX cell that cannot be broken across lines (split at spaces and
    ``\\allowbreak``), with escapes counted as the one character they print."""
    import re

    text = re.sub(r"\\parbox\[t\]\{[^}]*\}\{\\raggedright ", "", cell).replace(r"\allowbreak{}", " ")
    text = re.sub(r"\\([_&%$#{}])", r"\1", text)
    return [c for c in text.split() if c]


def test_latex_wraps_a_long_loss_spec_inside_the_text_width():
    """``tex_column_groups`` sizes each table for the text width counting the loss name "up to 30"
    characters, but the name sat in an ``l`` column, which never wraps: a 65-character spec
    (``l1 + 0.1*ssim + 0.01*lpips_vgg(layers=[…])``) pushed every table holding it past the page
    edge. A name over 30 characters is now a ragged-right ``\\parbox`` of that width with break
    points after commas and brackets, so no unbreakable piece exceeds 30 characters; short names
    are unchanged."""
    from benchmark.export import latex

    t = synthetic_table(tasks=("denoise",), seeds=FIVE, metrics=("psnr", "ssim"), n_images=8,
                        offsets={"l1": 0.0, LONG: 0.3, "ssim": -0.5})
    tex = latex(S.compute(t, n_boot=20))
    rows = [ln for ln in tex.splitlines() if ln.endswith(r"\\") and "lpips" in ln.split(" & ")[0]]
    assert len(rows) >= 2, tex  # the task table and the overall ranking
    for row in rows:
        label = row.split(" & ")[0]
        assert label.startswith(r"\parbox[t]{"), row
        assert max(map(len, _chunks(label))) <= 30, (_chunks(label), row)
    assert any(ln.startswith("l1 & ") for ln in tex.splitlines()), tex  # a short name stays as it was


def test_rank_heatmap_marks_a_loss_ranked_on_fewer_blocks():
    """A loss trained on one task of two: the leaderboard lists it last, marked, and says its mean rank
    (over fewer blocks and fewer rivals) is not comparable, but the rank heatmap's ``all`` column showed
    its number bare, next to the others' — ``only_dn 1.0`` read as the best overall. Its ``all`` cell now
    carries ``*`` and the title says what it means; complete losses are unmarked."""
    from benchmark import figures as F

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=FIVE, metrics=("psnr", "ssim"), n_images=8,
                        offsets={"l1": 0.0, "l2": 0.1, "only_dn": 1.0})
    t = t[~((t["loss"] == "only_dn") & (t["task"] == "sr4"))]
    st = S.compute(t, n_boot=20)
    assert not st.ranks.set_index("label").loc["only_dn", "complete"]
    with F.style():
        fig = F.draw_rank_heatmap(st)
    ax = fig.axes[0]
    labels = [lab.get_text().replace("\n", "") for lab in ax.get_yticklabels()]
    n_cols = len(ax.get_xticklabels())
    at = {(round(x.get_position()[1] - 0.5), round(x.get_position()[0] - 0.5)): x.get_text() for x in ax.texts}
    cells = {lab: [at.get((i, j), "") for j in range(n_cols)] for i, lab in enumerate(labels)}  # by the cell it is in
    assert cells["only_dn"][-1].endswith("*"), cells
    assert not any(c.endswith("*") for lab in ("l1", "l2") for c in cells[lab]), cells
    title = fig.get_supxlabel().replace("\n", " ")  # the key to the marks, under the figure (fit_title)
    assert "*" in title and "not comparable" in title, title


def test_a_loss_on_fewer_blocks_is_not_marked_with_the_worse_than_input_sign():
    """Every export's legend reads ``⚠: some runs worse than the degraded input``, yet the overall
    ranking of the Markdown and HTML put the same ⚠ on a loss that merely lacks some blocks (``csr ⚠``
    in the HTML, where the task tables write ``l2 ⚠`` for runs below the input): a reader took a loss
    run on one task for a loss that damages images. The LaTeX already used ``*``; Markdown, HTML and
    the rank heatmap now do too, and ⚠ keeps its one meaning."""
    from benchmark.export import WORSE, _rank_table, latex, markdown, rank_caveat

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=FIVE, metrics=("psnr", "ssim"), n_images=8)
    t = t[~((t["loss"] == "good") & (t["task"] == "sr4"))]
    st = S.compute(t, n_boot=20)
    html_table = _rank_table(st)
    assert f"good {WORSE}" not in html_table and "good *" in html_table, html_table
    assert WORSE not in html_table.split("<table")[1], html_table
    md = markdown(st)
    rank_md = md.split("## Overall ranking")[1].split("\n## ")[0]
    row = next(ln for ln in rank_md.splitlines() if ln.startswith("| good |"))
    assert WORSE not in rank_md.split("|---|")[1] and r" \*" in row, rank_md
    assert "(*)" in rank_caveat(st) and WORSE not in rank_caveat(st)
    assert r"($^{*}$)" in latex(st)


def _decimals_of(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def test_findings_effect_and_interval_share_their_decimals():
    """findings.md printed a part's effect to 4 significant digits and its interval to 3
    (``+1.138 | [+0.597, +1.68]``, ``-0.005289 | [-0.0205, +0.00992]``): three precisions in one row,
    more digits than the interval supports. Effect and interval now share fixed decimals — two
    significant digits of the half-width, as the leaderboard cells — in the parts tables and the
    headline alike."""
    import re

    from benchmark.findings import check_all, to_markdown

    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "ssim"), offsets={"l1": 0.6, "l2": 0.0}, seeds=FIVE,
                        n_images=10)
    results = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=100)
    md = to_markdown(results)
    rows = [ln for ln in md.splitlines() if ln.startswith("| sr4 |")]
    assert rows, md
    for row in rows:
        effect, ci = row.split(" | ")[5:7]
        lo, hi = re.findall(r"[+-]\d+(?:\.\d+)?", ci)
        assert _decimals_of(effect) == _decimals_of(lo) == _decimals_of(hi), row
        half = (float(hi) - float(lo)) / 2
        assert 2 <= len(f"{half:.{_decimals_of(lo)}f}".replace(".", "").lstrip("0-")) <= 3, row
    head = results[0].effect_text()
    m = re.search(r": ([+-][\d.]+) \[([+-][\d.]+), ([+-][\d.]+)\]", head)
    assert m and len({_decimals_of(x) for x in m.groups()}) == 1, head


def test_too_few_runs_note_names_the_metric_a_non_finite_run_left_short():
    """One run of ``good`` scored inf on psnr (a metric that could not score it): left out as missing,
    good has 4 psnr runs but 5 ssim runs, and its ssim cell is rightly bold ▲. The notes said "Too few
    runs for a verdict on good (denoise: 4 run(s)) … those cells are never bold or ▲/▼" and the LaTeX
    caption "Too few runs for a verdict on good" — next to its bold ▲ ssim cell. They now name the
    metric: ``good (denoise/psnr: 4 run(s))`` and ``good on psnr``; the smoke-test line said "no verdict
    on it". One thin cell of 8 no longer opens the notes with "Smoke test" at all (test_probe_rank7): the note
    that names it says the other cells keep their verdicts."""
    from benchmark.export import latex, markdown, notes

    t = synthetic_table(tasks=("denoise",), seeds=FIVE, metrics=("psnr", "ssim"), n_images=8)
    t.loc[(t["loss"] == "good") & (t["metric"] == "psnr") & (t["seed"] == 0), "value"] = np.inf
    st = S.compute(t, n_boot=20)
    c = st.cells.set_index(["label", "metric"])
    assert c.loc[("good", "ssim"), "n_seeds"] == 5 and c.loc[("good", "psnr"), "n_seeds"] == 4
    assert "**" in next(ln for ln in markdown(st).splitlines() if ln.startswith("| good | 4–5 |"))  # ssim bold
    text = " ".join(notes(st))
    assert "Too few runs for a verdict on good (denoise/psnr: 4 runs)" in text, text
    assert "(no verdict on it)" not in text and "Smoke test" not in text, text
    assert "1 of 8 scored cells, not most: the other cells keep their verdicts" in text, text
    caption = next(ln for ln in latex(st).splitlines() if ln.startswith(r"\caption{denoise"))
    assert "Too few runs for a verdict on good on psnr (4 runs" in caption, caption


# ------------------------------------------------------------------------------------------------
# LaTeX: a loss name typesets as the characters it has
# ------------------------------------------------------------------------------------------------
#: names whose ASCII LaTeX typesets as other characters: ` is an opening quote ‘, two of them “, '' a
#: closing ”, -- and --- dashes, " a closing ” in the default (OT1) encoding, ,, a low quote „ (T1)
TEX_TRAPS = ("tick`loss`", "q(s='a',t=\"b\")", "a--b---c", "``q''", "s(tag='')", "f(a,,b)")

#: the text each escape typesets (a LaTeX reader's view of what ``_tex`` wrote)
_TYPESET = {r"\textasciigrave{}": "`", r"\textquotesingle{}": "'", '\\texttt{"}': '"', r"\_": "_", "-{}": "-",
            ",{}": ",", "'{}": "'"}


def _typeset(tex: str) -> str:
    """``tex`` as pdfLaTeX prints it, for the constructs the names here use: escapes resolved, the
    ligatures and quote glyphs TeX forms from plain ASCII made visible (‘ “ ” – — „)."""
    out, i = [], 0
    lig = {"---": "—", "--": "–", "``": "“", "''": "”", ",,": "„", "`": "‘", '"': "”"}
    while i < len(tex):
        esc = next((e for e in _TYPESET if tex.startswith(e, i)), None)
        if esc:
            out.append(_TYPESET[esc])
            i += len(esc)
            continue
        lg = next((k for k in lig if tex.startswith(k, i)), None)
        out.append(lig[lg] if lg else tex[i])
        i += len(lg) if lg else 1
    return "".join(out)


def test_latex_names_typeset_as_written():
    """``leaderboard.tex`` wrote a loss name's ASCII as it was, which TeX typesets as other
    characters: ``tick`loss``` as ``tick‘loss‘``, ``a--b---c`` as ``a–b—c``, ``s(tag='')`` as
    ``s(tag=”)``, ``"b"`` as ``”b”`` — a reader copying the spec from the paper got another loss.
    Every name (its table row and the notes naming it) now typesets as written."""
    from benchmark.export import _tex, latex, tex_label

    for name in TEX_TRAPS:
        assert _typeset(tex_label(name)) == name, (name, tex_label(name))
        assert _typeset(_tex(name)) == name, (name, _tex(name))
    # prose keeps its apostrophe and its typographic dashes
    assert _tex("Student's t – a note — here") == "Student's t -- a note --- here"
    t = synthetic_table(offsets={"l1": 0.0, **{n: 0.1 * i for i, n in enumerate(TEX_TRAPS, 1)}}, seeds=(0, 1),
                        n_images=3, metrics=("psnr",))
    tex = latex(S.compute(t, n_boot=10))
    rows = [line.split(" & ")[0] for line in tex.splitlines() if line.count(" & ") >= 2]
    assert {_typeset(r) for r in rows} >= set(TEX_TRAPS), rows


# ------------------------------------------------------------------------------------------------
# a scatter of more than 60 losses draws no two alike
# ------------------------------------------------------------------------------------------------
def test_loss_styles_stay_distinct_as_markers_beyond_60_labels():
    """10 colours × 6 markers: the 61st label got the (colour, marker) of the 1st, and only its line style
    told them apart — which a scatter does not draw (80 losses: loss00 and loss76 both a sky-blue plus in
    the P–D plane and its legend). A marker is now used filled, then half-filled: (colour, marker, fill)
    is unique for 240 labels, and the first 60 keep their styles."""
    from benchmark import figures as F

    labels = [f"loss{i:03d}" for i in range(240)]
    styles = F.loss_styles(labels)
    drawn = [(styles[l].color, styles[l].marker, styles[l].fill) for l in labels]
    assert len(set(drawn)) == len(labels)
    assert {styles[l].fill for l in labels[:60]} == {"full"}
    first = F.loss_styles(labels[:60])
    assert all(first[l] == styles[l] for l in labels[:60])  # a field of ≤ 60 is drawn as before
    lines = [(styles[l].color, styles[l].marker, styles[l].linestyle) for l in labels[:120]]
    assert len(set(lines)) == 120  # the training curves' lines, as before


@pytest.mark.slow
def test_pd_plane_of_80_losses_draws_and_names_each_distinctly():
    """The P–D plane of 80 losses: every legend entry's (colour, marker, fill) differs, and each drawn point
    has its legend entry's look."""
    from matplotlib.colors import to_rgb

    from benchmark import figures as F

    offsets = {f"loss{i:02d}": 0.01 * i for i in range(80)}
    t = synthetic_table(offsets=offsets, seeds=(0,), n_images=2, metrics=("psnr", "lpips"))
    st = S.compute(t, n_boot=5)
    with F.style():
        fig = F.draw_pd_plane(st)
    leg = fig.legends[0]
    look = {t.get_text().replace("\n", ""): (to_rgb(h.get_color()), h.get_marker(), h.get_fillstyle())
            for t, h in zip(leg.get_texts(), leg.legend_handles) if t.get_text().startswith("loss")}
    assert len(look) == 80 and len(set(look.values())) == 80
    half = [ln for ln in fig.axes[0].lines if ln.get_fillstyle() != "full"]  # the half-filled points
    assert len(half) == sum(v[2] != "full" for v in look.values()) == 20
    drawn = {(to_rgb(ln.get_markerfacecolor()), ln.get_marker(), ln.get_fillstyle()) for ln in half}
    assert drawn == {v for v in look.values() if v[2] != "full"}


# ------------------------------------------------------------------------------------------------
# Markdown: a name with a backtick shows whole
# ------------------------------------------------------------------------------------------------
def _rendered(md: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(md)


def test_compare_heading_shows_a_spec_with_a_backtick_whole():
    """``compare/<name>.md`` opened with ``# Where `tick`loss`` lands``: the name's own backtick closed the
    code span, so the heading showed ``tick`` in code and ``loss`` beside it, backticks lost. Each spec is
    now a code span fenced past its backticks; a plain spec's heading is as before (old files still match)."""
    import html

    from benchmark.compare import _header
    from benchmark.export import md_code

    for spec in ("tick`loss`", "a``b", "`x", "plain(w=0.5)"):
        out = _rendered(_header([spec, "l1"]))
        codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", out)]
        assert codes == [spec, "l1"], (spec, out)
        assert html.unescape(re.findall(r"<code>(.*?)</code>", _rendered(md_code(spec)))[0]) == spec
    assert _header(["plain(w=0.5)"]) == "# Where `plain(w=0.5)` lands"


def test_leaderboard_md_table_shows_a_name_with_backticks_whole():
    """leaderboard.md's rows read the name ``tick`loss``` as Markdown: the pair of backticks made ``loss`` a
    code span and dropped them (a reader saw ``tickloss``). A name's backticks are now literal."""
    import html

    from benchmark.export import markdown

    t = synthetic_table(offsets={"l1": 0.0, "tick`loss`": 0.3}, seeds=(0, 1), n_images=3, metrics=("psnr",))
    out = _rendered(markdown(S.compute(t, n_boot=10)))
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", out)]
    assert cells.count("tick`loss`") >= 2, [c for c in cells if "tick" in c]  # the overall and the task table


# ------------------------------------------------------------------------------------------------
# the one-task P–D plane (a report of one task, every `plbench compare`) fits one column of a paper
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("offsets", [
    {"l1": 0.0, "l2": 0.3},
    {"l1": 0.0, "contextual(layers=conv1_2+conv2_2+conv3_4,band_width=0.5)": 0.3, "my_loss%50&#$x{y}": 0.4},
    {f"loss{i:02d}": 0.05 * i for i in range(30)},
])
def test_one_task_pd_plane_is_one_column_wide(offsets):
    """The P–D plane of one task was 4.9 in wide: placed in a 3.5 in column of a paper its 7–8 pt text came
    out at 5–5.7 pt (and its 5.5 pt off-scale values at 3.9 pt). It is now drawn at the column's width
    (:data:`~benchmark.figures.COL1`), the title on more lines, nothing clipped or overlapping, and no taller
    than its legend needs (the legend's height was counted for one column where two fit: blank bands)."""
    from test_figure_layout import layout_problems

    from benchmark import figures as F

    t = synthetic_table(offsets=offsets, seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    st = S.compute(t, n_boot=10)
    with F.style():
        fig = F.draw_pd_plane(st)
        w, h = fig.get_size_inches()
        assert w <= F.COL1 + 0.01, w
        assert layout_problems(fig) == []
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        # no blank bands above and below the panel: the title, the panel and the legend fill the height
        used = sum(a.get_window_extent(r).height for a in (fig._suptitle, fig.legends[0]))
        used += fig.axes[0].get_tightbbox(r).height
        assert h - used / fig.dpi < 0.6, (h, used / fig.dpi)


# ------------------------------------------------------------------------------------------------
# P–D plane: losses drawn on one spot are named
# ------------------------------------------------------------------------------------------------
def test_pd_plane_names_losses_drawn_on_one_spot():
    """Three losses with equal means (as the tables print them) were drawn on one spot: the last one's marker
    hid the others, the legend listed all three, and the plane read as one loss there. The caption now names
    the losses that share a spot; losses apart are not named."""
    from benchmark import figures as F

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.0, "l3": 0.0, "good": 1.0}, noise=0.0, seeds=(0, 1),
                        n_images=3, metrics=("psnr", "lpips"))
    st = S.compute(t, n_boot=10)
    with F.style():
        fig = F.draw_pd_plane(st)
    caption = fig.legends[0].get_title().get_text().replace("\n", " ")
    assert "l1, l2, l3" in caption and "one spot" in caption, caption
    assert "good" not in caption
    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    with F.style():
        fig = F.draw_pd_plane(S.compute(t, n_boot=10))
    assert "one spot" not in fig.legends[0].get_title().get_text().replace("\n", " ")


# ------------------------------------------------------------------------------------------------
# a metric of tiny values keeps its digits
# ------------------------------------------------------------------------------------------------
def test_tiny_metric_values_are_not_printed_as_zeros():
    """Decimals were capped at 6: a metric whose values are ~1e-7 (an error measure of near-perfect
    restorations) printed every cell as ``0.000000 ± 0.000000`` in leaderboard.md/.tex/.html — the losses
    and their intervals gone. The decimals follow the interval (two significant digits) however small."""
    from benchmark.export import markdown

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4, metrics=("psnr", "lpips"))
    t.loc[t["metric"] == "lpips", "value"] *= 1e-7
    st = S.compute(t, n_boot=10)
    md = markdown(st)
    table = md.split("## denoise", 1)[1]
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[3] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| loss")}
    means = {k: float(v.split()[0]) for k, v in rows.items()}
    assert all(m > 0 for m in means.values()), rows
    c = st.cells[st.cells["metric"] == "lpips"].set_index("label")["mean"]
    for label, m in means.items():  # each printed mean is the mean to its printed digits
        assert abs(m - c[label]) <= 0.05 * c[label], (label, m, c[label])
    assert "0.000000 ± 0.000000" not in md


def test_latex_long_spec_breaks_within_its_cell():
    """The brief's ``contextual(layers=conv1_2+conv2_2+conv3_4,band_width=0.5)`` had break points only after
    ``(`` and ``,``: its 31-character ``layers=conv1_2+conv2_2+conv3_4,`` could not break inside the 15 em cell
    (pdfLaTeX: Overfull \\hbox, 13 pt into the Seeds column under T1). A ``+`` is a break point too."""
    from benchmark.export import TEX_LABEL, tex_label

    spec = "contextual(layers=conv1_2+conv2_2+conv3_4,band_width=0.5)"
    cell = tex_label(spec)
    assert cell.startswith(r"\parbox")
    body = cell.split(r"\raggedright ", 1)[1][:-1]
    pieces = [_typeset(p) for p in body.split(r"\allowbreak{}")]
    assert "".join(pieces) == spec
    assert max(map(len, pieces)) <= TEX_LABEL * 2 // 3, pieces  # each fits the 15 em (~25 characters) line

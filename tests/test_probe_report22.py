"""Probe of the published figures, tables and report (round 22): what a figure's smoke-test caption counts, the
LaTeX leaderboard of right-to-left names, many long-named losses."""

from __future__ import annotations

import dataclasses

import pandas as pd
import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports, at collection)
import benchmark.metrics  # noqa: F401
from benchmark import figures as F
from benchmark import stats as S
from benchmark.synthetic import synthetic_table

with F.style():  # matplotlib's fonts looked up at collection, not in a test's time
    pass


def _costs(st, unconverged=()):
    """A synthetic table has no meta.json: each (task, loss) given its runs, those in ``unconverged`` not shown
    converged."""
    c = S.scored_cells(st.cells)
    runs = c.groupby(["task", "label"], observed=True)["n_seeds"].max().reset_index()
    tc = pd.DataFrame([{"task": r.task, "label": r.label, "loss": r.label, "runs": int(r.n_seeds),
                        "ok": int(r.n_seeds), "unconverged": int(r.n_seeds) * (r.label in unconverged)}
                       for r in runs.itertuples()])
    return dataclasses.replace(st, task_costs=tc)


def _title_text(fig) -> str:
    return " ".join([fig._suptitle.get_text() if fig._suptitle else ""] +
                    [t.get_text() for leg in fig.legends for t in [leg.get_title()]])


def test_the_pd_plane_s_smoke_caption_counts_only_the_runs_it_draws():
    """Was: the P–D plane opened with the grid's smoke test (``smoke_test(stats)``): a loss scored on psnr alone
    (no point on the plane) with one run, or not shown converged, made the plane — every point of which rests on
    5 converged runs — say "Smoke test, not a ranking: …". Now it counts the cells and runs it draws."""
    good = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(5),
                           metrics=("psnr", "lpips"), n_images=4)
    thin = synthetic_table(tasks=("denoise",), offsets={"psnr_only": 0.5, "psnr_only2": 0.2}, seeds=(0,),
                           metrics=("psnr",), n_images=4)
    thin = thin[thin["loss"] != "input"]
    st = _costs(S.compute(pd.concat([good, thin], ignore_index=True), n_boot=10), unconverged=("psnr_only",))
    assert S.smoke_test(st, short=True)  # the grid as a whole is a smoke test (most cells short of runs)
    with F.style():
        fig = F.draw_pd_plane(st)
    text = _title_text(fig)
    assert "psnr_only" in text  # named as not drawn
    assert "Smoke test" not in text, text
    # a drawn loss's runs still count: l2 not shown converged is said
    st2 = _costs(S.compute(pd.concat([good, thin], ignore_index=True), n_boot=10), unconverged=("l2",))
    with F.style():
        fig2 = F.draw_pd_plane(st2)
    text2 = _title_text(fig2)
    assert "5 of 10 runs not shown converged" in text2, text2


ARABIC, HEBREW = "خسارة_عربية", "עברית"
LONG_ARABIC = "خسارة_عربية_طويلة_جدا_للاختبار"


def _rtl_groups(tex: str) -> tuple[list[str], list[str]]:
    """(the text of each ``\\plbRL{…}`` group, the right-to-left letters outside any) of ``tex``; raises on an
    unbalanced brace or ``\\begin``/``\\end``."""
    import unicodedata

    groups, stray, stack, envs = [], [], [], []
    i = 0
    while i < len(tex):
        if tex.startswith("\\plbRL{", i) and not tex.startswith("\\plbRL}", i):
            stack.append(len(groups))
            groups.append("")
            i += len("\\plbRL{")
            continue
        ch = tex[i]
        if ch == "\\" and tex[i + 1:i + 2] in "{}\\_&%$#":
            i += 2
            continue
        if ch == "%":  # a comment to the line's end
            i = tex.find("\n", i) if "\n" in tex[i:] else len(tex)
            continue
        if ch == "{":
            stack.append(None)
        elif ch == "}":
            assert stack, f"unbalanced }} at {tex[max(0, i - 40):i + 5]!r}"
            stack.pop()
        elif unicodedata.bidirectional(ch) in ("R", "AL"):
            inside = [g for g in stack if g is not None]
            if inside:
                groups[inside[-1]] += ch
            else:
                stray.append(ch)
        i += 1
    assert not stack, "unbalanced {"
    for m in __import__("re").finditer(r"\\(begin|end)\{(\w+\*?)\}", tex):
        if m.group(1) == "begin":
            envs.append(m.group(2))
        else:
            assert envs and envs.pop() == m.group(2), m.group(0)
    assert not envs, envs
    return groups, stray


def test_leaderboard_tex_sets_each_right_to_left_name_in_a_macro_it_defines_and_says_what_it_needs():
    """Was: leaderboard.tex wrote an Arabic or Hebrew loss name as it is: TeX sets every letter left to right, so
    XeLaTeX and LuaLaTeX compiled it with its letters reversed (and Arabic unjoined), and its header named only the
    engine. Now each right-to-left run is in ``\\plbRL{…}``, defined in the file's first lines as bidi's ``\\textRL``
    where that package is loaded, else the text as it is; the header says what each engine needs; a long name's
    line-break pieces stay in one run (each apart, they were set left to right); the file's braces and environments
    balance."""
    from benchmark import export as E

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, ARABIC: 1.0, HEBREW: 0.5, LONG_ARABIC: 0.2,
                                                     f"l1+{HEBREW}": 0.3}, seeds=range(2), metrics=("psnr",),
                        n_images=4)
    tex = E.latex(S.compute(t, n_boot=10))
    groups, stray = _rtl_groups(tex)
    assert not stray, "".join(stray)
    letters = {"".join(c for c in n if c != "_") for n in (ARABIC, HEBREW, LONG_ARABIC)}
    assert letters <= set(groups), (letters, groups)  # each name one group, the long one's pieces too
    head = tex.split("\n")[:6]
    define = next(i for i, line in enumerate(tex.split("\n")) if line.startswith(r"\providecommand{\plbRL}"))
    lines = tex.split("\n")
    use = next(i for i, line in enumerate(lines) if "\\plbRL{" in line and not line.startswith(("%", r"\pro")))
    assert define < use and r"\ifdefined\textRL" in tex.split("\n")[define]
    assert any("bidi" in line and line.startswith("%") for line in head), head
    # a table of left-to-right names is unchanged: no macro, no note
    plain = E.latex(S.compute(synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(2),
                                               metrics=("psnr",), n_images=4), n_boot=10))
    assert "plbRL" not in plain


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rules(css: str) -> dict[str, dict[str, str]]:
    import re

    out: dict[str, dict[str, str]] = {}
    for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for one in sel.split(","):
            for decl in body.split(";"):
                if ":" in decl:
                    k, v = decl.split(":", 1)
                    out.setdefault(one.strip(), {})[k.strip()] = v.strip()
    return out


def test_report_html_has_a_dark_mode_whose_text_reads_and_whose_figures_sit_on_a_white_card():
    """Was: report.html had one light stylesheet: a reader whose system is dark got a white page (or, in a browser
    forcing dark, dark text on dark cells). Now a ``prefers-color-scheme: dark`` block sets a dark page whose text,
    table headers, best cells, notes, code and tabs keep a WCAG AA contrast (≥ 4.5), and the figures — drawn on
    white — on a white card; the page declares ``color-scheme: light dark``."""
    import re

    from benchmark import export as E

    m = re.search(r"@media\s*\(prefers-color-scheme:\s*dark\)\s*\{(.*)\}\s*$", E.CSS.strip(), re.S)
    assert m, "no dark stylesheet"
    dark, light = _rules(m.group(1)), _rules(E.CSS[:m.start()])
    text = dark["body"]["color"]
    page = dark["body"]["background"]
    assert _contrast(text, page) >= 7
    for sel in ("th", "td.top", "pre", ".note", ".method code", "nav"):  # a light background made dark
        assert sel in dark and "background" in dark[sel], sel
        assert _contrast(text, dark[sel]["background"]) >= 4.5, sel
    for sel in (".pm", ".up", ".down", ".circ", ".worse", "figcaption", "tr.input td", "tr.lost td"):
        assert sel in light and _contrast(dark[sel]["color"], page) >= 4.5, sel  # every coloured text restated
    btn = dark["nav button.active"]
    assert _contrast(btn["color"], btn["background"]) >= 4.5
    assert dark["figure img"]["background"] == "#fff"
    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0}, seeds=range(2), metrics=("psnr",),
                        n_images=4)
    assert '<meta name="color-scheme" content="light dark">' in E.html_report(S.compute(t, n_boot=10), {})


def test_the_pd_plane_rings_a_loss_trained_on_one_of_its_axes_metrics():
    """Was: the P–D plane drew a loss trained on its perceptual metric (``lpips_vgg`` on lpips: † circular in every
    table, ringed in metrics_<task>.png) as a plain point at the top of the lpips axis — a reviewer reads it as the
    best perception of the grid. Now such a point is ringed, and the key says what the ring means; a plane with no
    circular point has neither."""
    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "lpips_vgg": 1.0, "ssim": 0.5}, seeds=range(2),
                        metrics=("psnr", "lpips"), n_images=4)
    st = S.compute(t, n_boot=10)
    assert st.cells.loc[(st.cells["label"] == "lpips_vgg") & (st.cells["metric"] == "lpips"), "circular"].all()
    with F.style():
        fig = F.draw_pd_plane(st)
    ax = fig.axes[0]
    rings = [c for c in ax.collections if c.get_gid() == F.CIRCULAR_GID]
    assert len(rings) == 1, rings
    x = st.cells.loc[(st.cells["label"] == "lpips_vgg") & (st.cells["metric"] == "psnr"), "mean"].item()
    assert abs(rings[0].get_offsets()[0][0] - x) < 1e-9
    assert any("circular" in s for s in _legend_texts(fig)), _legend_texts(fig)
    t2 = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "ssim": 1.0}, seeds=range(2),
                         metrics=("psnr", "lpips"), n_images=4)
    with F.style():
        fig2 = F.draw_pd_plane(S.compute(t2, n_boot=10))
    assert not [c for c in fig2.axes[0].collections if c.get_gid() == F.CIRCULAR_GID]
    assert not any("circular" in s for s in _legend_texts(fig2))


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends + [a.get_legend() for a in fig.axes if a.get_legend()]
            for t in leg.get_texts()]


def test_leaderboard_png_marks_a_circular_cell_as_the_tables_do():
    """Was: leaderboard.png printed the lpips of a loss trained on lpips (and l2's psnr) as any other mean, where
    leaderboard.md, .tex and report.html mark it † circular: the figure, published alone, gave the loss's own
    objective as a win. Now such a cell reads "0.212 †", coloured by its number still, and the key under the figure
    says what † is; a board with no circular cell has neither."""
    from benchmark import report as R

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "lpips_vgg": 1.0}, seeds=range(2),
                        metrics=("psnr", "lpips"), n_images=4)
    st = S.compute(t, n_boot=10)
    panels = R.heatmap_panels(t, None, st)
    ranks, text = panels["denoise"]
    assert text.loc["lpips_vgg", "lpips"].endswith(" †") and "†" not in text.loc["lpips_vgg", "psnr"]
    assert "†" not in text.loc["l1", "lpips"]
    vals = F._board_values(panels["denoise"])
    assert vals.notna().all().all(), vals  # the number still read for its colour
    with F.style():
        fig = F.draw_leaderboard_heatmap(panels)
    drawn = [x.get_text() for ax in fig.axes for x in ax.texts]
    assert any(s.endswith("†") for s in drawn), drawn
    caption = " ".join(x.get_text() for x in fig.texts) + (fig._suptitle.get_text() if fig._suptitle else "")
    assert "†: circular" in caption.replace("\u00a0", " "), caption
    t2 = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "ssim": 1.0}, seeds=range(2),
                         metrics=("psnr", "lpips"), n_images=4)
    with F.style():
        fig2 = F.draw_leaderboard_heatmap(R.heatmap_panels(t2, None, S.compute(t2, n_boot=10)))
    assert "circular" not in " ".join(x.get_text() for x in fig2.texts)


def test_the_cd_diagram_s_smoke_caption_counts_only_the_losses_it_draws():
    """Was: the CD diagram opened with the grid's smoke test: the runs of a loss it leaves out (not in every block
    most losses have: "Not shown … psnr_only"), one not shown converged, made a diagram of losses with 5 converged
    runs each say "Smoke test, not a ranking: 1 of 11 runs not shown converged". Now it counts the losses drawn."""
    good = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 1.0, "ssim": 0.5}, seeds=range(5),
                           metrics=("psnr", "lpips"), n_images=4)
    thin = synthetic_table(tasks=("denoise",), offsets={"psnr_only": 0.5}, seeds=range(5), metrics=("psnr",),
                           n_images=4)
    thin = thin[thin["loss"] != "input"]
    st = _costs(S.compute(pd.concat([good, thin], ignore_index=True), n_boot=10), unconverged=("psnr_only",))
    assert "psnr_only" not in st.friedman["ranks"]
    assert S.smoke_test(st, short=True)
    with F.style():
        fig = F.draw_cd_diagram(st)
    text = _title_text(fig) + " ".join(t.get_text() for t in fig.texts)
    assert "psnr_only" in text  # named as not shown
    assert "Smoke test" not in text, text


def test_the_pd_plane_names_losses_left_out_of_several_tasks_alike_once():
    """Was: a loss not placed on the P–D plane for the same reason in every task was named once per task: 15
    long-named losses not scored on lpips in denoise and sr made a 20-line 'Not drawn' caption of two identical
    lists. Now tasks whose losses are left out alike share one entry ("denoise, sr: a, b (lpips not scored)");
    a task left out otherwise keeps its own."""
    offs = {f"variant_{i:02d}": i / 10 for i in range(6)}
    t = synthetic_table(tasks=("denoise", "sr", "deblur"), offsets=offs, seeds=range(2), metrics=("psnr", "lpips"),
                        n_images=4)
    out = (t["metric"] == "lpips") & t["loss"].isin(["variant_00", "variant_01"])
    out |= (t["metric"] == "lpips") & (t["task"] == "deblur") & (t["loss"] == "variant_02")
    st = S.compute(t[~out], n_boot=10)
    with F.style():
        fig = F.draw_pd_plane(st)
    text = " ".join(_title_text(fig).split())
    assert text.count("variant_00") == 2, text  # deblur's entry and the shared one
    assert "denoise, sr: variant_00, variant_01 (lpips not scored)" in text, text
    assert "deblur: variant_00, variant_01, variant_02 (lpips not scored)" in text, text

"""Probe of publishing at scale (figures, exports, report): a field of every registered loss over five
tasks, a single run, two losses, long unicode loss specs, a task only one metric scores, losses missing on
some tasks. One test per defect found; each failed on the code before its fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_figure_layout import layout_problems

from benchmark import figures as F
from benchmark import stats as S
from benchmark.synthetic import synthetic_table

TWO = (0, 1)


def _ladder(n: int) -> dict[str, float]:
    """``n`` losses clearly apart on every metric: ``loss00`` best, ``loss{n-1}`` worst."""
    return {f"loss{i:02d}": -0.8 * i for i in range(n)}


def _mesh_cells(fig):
    """The rank heatmap's (row labels, column labels, colour-scale position in [0, 1] per cell)."""
    ax = fig.axes[0]
    mesh = ax.collections[0]
    rows = [t.get_text().replace("\n", "") for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    pos = np.asarray(mesh.norm(np.ma.filled(mesh.get_array(), np.nan)), float).reshape(len(rows), len(cols))
    return rows, cols, pos


def test_rank_heatmap_colour_means_the_same_in_every_column():
    """16 losses on denoise, 14 of them on sr4: sr4's worst loss has mean rank 14, and the one colour
    scale (1 to 16) drew it two steps short of the scale's end, as if two losses were worse — while
    denoise's worst sat at the end. Each column now colours the rank relative to the losses ranked in
    it (its best at one end, its worst at the other, in every column); the text keeps the mean rank, and
    the column says how many losses it ranks."""
    losses = _ladder(16)
    t = synthetic_table(tasks=("denoise", "sr4"), seeds=TWO, metrics=("psnr", "ssim"), n_images=6,
                        offsets=losses, noise=0.01)
    t = t[~((t["task"] == "sr4") & t["loss"].isin(["loss03", "loss07"]))]
    st = S.compute(t, n_boot=20)
    with F.style() as plt:
        fig = F.draw_rank_heatmap(st)
        rows, cols, pos = _mesh_cells(fig)
        texts = [x.get_text() for x in fig.axes[0].texts]
        problems = layout_problems(fig)
        plt.close(fig)
    sr4 = next(i for i, c in enumerate(cols) if c.startswith("sr4"))
    dn = next(i for i, c in enumerate(cols) if c.startswith("denoise"))
    worst, best = rows.index("loss15"), rows.index("loss00")
    assert texts[worst * len(cols) + sr4].startswith("14.0"), texts  # the text is still the mean rank
    for c in (dn, sr4):
        assert np.isclose(pos[worst, c], 1.0), (cols[c], pos[:, c])
        assert np.isclose(pos[best, c], 0.0), (cols[c], pos[:, c])
    assert "14" in cols[sr4] and "16" in cols[dn], cols  # how many losses each column ranks
    assert problems == []
    # a short heatmap (5 losses) with the longer title: its colourbar's name stays clear of the title
    with F.style() as plt:
        small = F.draw_rank_heatmap(_partial_field({"vgg": ("sr4", "jpeg"), "pdl": ("denoise",)}))
        assert "scaled per column" in small._supxlabel.get_text().replace("\n", " ")  # its key: under it (fit_title)
        assert layout_problems(small) == []
        plt.close(small)


def _fig_texts(fig) -> list[str]:
    texts = [t.get_text() for t in fig.texts] + [fig._suptitle.get_text() if fig._suptitle else ""]
    for leg in fig.legends:
        texts += [leg.get_title().get_text()] + [t.get_text() for t in leg.get_texts()]
    return texts


def test_pd_plane_task_without_a_perceptual_score_leaves_no_blank_panel():
    """A task scored on psnr only (demosaic) beside one scored on psnr and lpips: the plane kept an
    invisible panel for demosaic, so the one real panel sat in the right half of a blank figure and
    nothing said where demosaic went. Now only tasks with both metrics get a panel, and the figure names
    the task it leaves out and why."""
    t = synthetic_table(tasks=("demosaic", "denoise"), seeds=TWO, metrics=("psnr", "lpips"), n_images=6,
                        offsets={"l1": 0.0, "l2": 0.2, "vgg": 0.5})
    t = t[(t["task"] != "demosaic") | (t["metric"] == "psnr")]
    st = S.compute(t, n_boot=20)
    with F.style() as plt:
        fig = F.draw_pd_plane(st)
        titles = [a.get_title() for a in fig.axes]
        hidden = [a for a in fig.axes if not a.get_visible()]
        texts = " ".join(_fig_texts(fig)).replace("\n", " ")
        problems = layout_problems(fig)
        plt.close(fig)
    assert titles == ["denoise"] and not hidden, (titles, hidden)
    assert "demosaic" in texts and "lpips" in texts.split("demosaic", 1)[1], texts
    assert problems == []


def test_latex_names_characters_pdflatex_cannot_typeset():
    """Loss names from a loss file may hold any identifier character: ``ℓ1_perceptual`` reached the
    .tex as a raw ℓ and ``感知损失`` as raw CJK, and pdfLaTeX stops at both ("Unicode character ℓ (U+2113)
    not set up for use with LaTeX") while the header promised booktabs and amssymb were all it needs.
    ℓ is now ``$\\ell$`` like the Greek letters; a character with no LaTeX macro is kept, and the header
    says which ones and to compile with XeLaTeX or LuaLaTeX (and the report logs it)."""
    from benchmark.export import latex

    t = synthetic_table(tasks=("denoise",), seeds=TWO, metrics=("psnr",), n_images=6,
                        offsets={"l1": 0.0, "ℓ1_perceptual": 0.3, "感知损失": 0.1, "charbonnier_é": 0.2})
    tex = latex(S.compute(t, n_boot=20))
    head = tex.splitlines()[:3]
    assert "ℓ" not in tex and r"$\ell$1\_perceptual" in tex, tex
    assert "感知损失" in tex  # kept: no macro for it
    assert any("XeLaTeX" in ln and "感" in ln and ln.startswith("%") for ln in head), head
    assert not any("é" in ln for ln in head if "XeLaTeX" in ln), head  # pdfLaTeX's UTF-8 input has é
    plain = latex(S.compute(synthetic_table(tasks=("denoise",), seeds=TWO, metrics=("psnr",), n_images=6,
                                            offsets={"l1": 0.0, "l2": 0.1}), n_boot=20))
    assert "XeLaTeX" not in plain


def test_report_parses_each_setting_and_provenance_once_not_per_row(monkeypatch):
    """``report`` on an overnight grid (23 losses × 5 tasks × 5 seeds × 12 metrics × 100 images, 690k
    rows) spent ≈ 40 s of its findings and statistics re-parsing the same few settings JSON and weights
    provenances once per row (1.4 M ``json.loads``, 4 M ``weights_kind`` calls). They are now parsed once
    per distinct value; the results are unchanged."""
    import benchmark.settings as settings_mod
    from benchmark import findings as FD

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=TWO, metrics=("psnr", "ssim"), n_images=40,
                        offsets={"l1": 0.0, "l2": 0.1, "vgg": 0.3}, weights={"vgg": "vgg16:random(seed=0)"})
    expected_labels = S.labels(t)
    expected = [(r.name, r.verdict, r.setting) for r in FD.check_all(t, n_boot=20)]
    calls = {"parse": 0, "kind": 0}
    parse, kind = settings_mod._parse, S.weights_kind

    def counted_parse(text):
        calls["parse"] += 1
        return parse(text)

    def counted_kind(p):
        calls["kind"] += 1
        return kind(p)

    monkeypatch.setattr(settings_mod, "_parse", counted_parse)
    monkeypatch.setattr(S, "weights_kind", counted_kind)
    assert S.labels(t).equals(expected_labels)
    assert calls["kind"] <= t["weights"].nunique(dropna=False), calls
    got = [(r.name, r.verdict, r.setting) for r in FD.check_all(t, n_boot=20)]
    assert got == expected
    n_settings = t["setting"].nunique(dropna=False)
    assert calls["parse"] <= 20 * n_settings < len(t) / 10, (calls, n_settings, len(t))


def _font_has(ch: str) -> bool:
    from matplotlib import ft2font
    from matplotlib.font_manager import fontManager

    for f in fontManager.ttflist:
        if f.name.startswith("Last Resort"):  # matplotlib's placeholder boxes for every code point
            continue
        try:
            if ord(ch) in ft2font.FT2Font(f.fname).get_charmap():
                return True
        except (OSError, RuntimeError):
            continue
    return False


def test_loss_name_glyphs_no_font_has_are_one_clear_warning(tmp_path, caplog, recwarn):
    """A loss registered as ``感知损失`` on a machine without a CJK font: ``report`` printed ≈ 100 lines of
    matplotlib ``UserWarning: Glyph 24863 (\\N{CJK UNIFIED IDEOGRAPH-611F}) missing from font(s) DejaVu
    Sans`` (a pair of lines per glyph, figure and draw) and the figures showed empty boxes. Now an
    installed font that has the glyphs is used as a fallback; where none has them, one logged warning per
    figure names the characters and what to install, and no raw warning reaches the user."""
    import logging

    t = synthetic_table(tasks=("denoise",), seeds=TWO, metrics=("psnr", "ssim"), n_images=6,
                        offsets={"l1": 0.0, "感知损失": 0.3})
    st = S.compute(t, n_boot=20)
    with caplog.at_level(logging.WARNING, logger="benchmark.figures"):
        paths = F.rank_heatmap(st, tmp_path / "rank_heatmap", formats=("png",))
    assert paths
    raw = [str(w.message) for w in recwarn if "missing from font" in str(w.message)]
    assert raw == [], raw[:3]
    said = [r.getMessage() for r in caplog.records if "感" in r.getMessage()]
    if _font_has("感"):
        assert said == [], said
    else:
        assert len(said) == 1 and "font" in said[0], said


def _partial_field(drop: dict[str, tuple[str, ...]]):
    t = synthetic_table(tasks=("denoise", "sr4", "jpeg"), seeds=TWO, metrics=("psnr", "ssim"), n_images=6,
                        offsets={"l1": 0.0, "l2": 0.1, "charbonnier": 0.05, "vgg": 0.4, "pdl": 0.6})
    for loss, tasks in drop.items():
        t = t[~((t["loss"] == loss) & t["task"].isin(tasks))]
    return S.compute(t, n_boot=20)


def test_rank_caveat_names_only_a_common_blocks_column_that_exists():
    """Losses missing on some tasks such that no (task, metric) block has every loss: the overall
    ranking said "`common blocks` gives every loss's mean rank over the 0 block(s) all of them have" above
    a column of dashes; and the LaTeX caption sent the reader to a `common blocks` column its table never
    had. With no common block the notes say so and no such column is drawn; with some, every format that
    names the column has it."""
    from benchmark.export import html_report, latex, markdown

    none = _partial_field({"vgg": ("sr4", "jpeg"), "pdl": ("denoise",)})
    assert int(none.ranks["n_common"].iloc[0]) == 0
    md, tex, page = markdown(none), latex(none), html_report(none, {})
    for text in (md, tex, page):
        assert "0 block(s)" not in text and "0 blocks" not in text
        assert "common blocks" not in text.lower().replace("no block is", ""), text[:2000]
    assert "no (task, metric) block that every loss has" in md.replace("\n", " ")
    some = _partial_field({"vgg": ("sr4",)})
    assert int(some.ranks["n_common"].iloc[0]) == 4
    tex = latex(some)
    rank_table = tex[tex.index("Mean rank over the (task, metric) blocks most losses have"):]
    assert "common blocks" in rank_table and "Common" in rank_table.split(r"\toprule", 1)[1].split(r"\\")[0]
    assert "| common blocks |" in markdown(some)


def test_cd_diagram_names_the_losses_it_leaves_out():
    """Losses missing on some tasks are left out of the Friedman test (it needs every block); the
    leaderboard's Friedman line says so, but the critical-difference figure drew the rest with nothing
    said — pdl and vgg, ranked first wherever they ran, simply vanished and l2 read as the best loss.
    The figure now names the losses it leaves out and why."""
    st = _partial_field({"vgg": ("sr4", "jpeg"), "pdl": ("denoise", "jpeg")})
    assert set(st.friedman.get("excluded", ())) == {"vgg", "pdl"}, st.friedman
    with F.style() as plt:
        fig = F.draw_cd_diagram(st)
        ax = fig.axes[0]
        said = [fig.get_suptitle(), fig.get_supxlabel()]  # the title and, under the figure, its caption (fit_title)
        texts = " ".join(said + [t.get_text() for t in ax.texts]).replace("\n", " ")
        problems = layout_problems(fig)
        plt.close(fig)
    assert "vgg" in texts and "pdl" in texts and "not in every" in texts, texts
    assert problems == []


def test_leaderboard_cells_as_wide_in_a_task_with_fewer_metrics():
    """leaderboard.png with demosaic scored on psnr only beside denoise on four metrics: both panels
    took half the figure, so demosaic's one psnr cell was four cells wide and its column sat under
    nothing of denoise's. Every panel now has every metric column, in one order (a metric a task
    lacks is a column of "–", as a loss a task lacks is a row of them): cells equally wide, columns aligned."""
    from benchmark.report import heatmap_panels

    t = synthetic_table(tasks=("demosaic", "denoise"), seeds=TWO, metrics=("psnr", "ssim", "lpips", "vsi"),
                        n_images=6, offsets={"l1": 0.0, "l2": 0.2, "vgg": 0.5})
    t = t[(t["task"] != "demosaic") | (t["metric"] == "psnr")]
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(heatmap_panels(t))
        fig.canvas.draw()
        panels = [a for a in fig.axes if a.get_title() in ("demosaic", "denoise")]
        widths = {a.get_title(): a.get_window_extent().width / len(a.get_xticks()) for a in panels}
        # each panel's columns, named (figures13) under the last panel row only
        columns = {a.get_title(): [t.label1.get_text() for t in a.xaxis.get_major_ticks()] for a in panels}
        cells = {a.get_title(): [x.get_text() for x in a.texts] for a in panels}
        blank = {a.get_title(): int(np.ma.getmaskarray(a.collections[0].get_array()).sum()) for a in panels}
        problems = layout_problems(fig)
        plt.close(fig)
    assert columns["demosaic"] == columns["denoise"], columns
    assert abs(widths["demosaic"] / widths["denoise"] - 1) < 0.02, widths
    assert cells["demosaic"].count("–") == 3 * 4, cells["demosaic"]  # 3 unscored metrics × (3 losses + input)
    # a "–" cell is left uncoloured, never painted as the input's white (gain_over_input gave NaN → 0)
    assert blank == {"demosaic": 12, "denoise": 0}, blank
    assert np.isnan(F.gain_over_input(pd.Series([20.0, 25.0, np.nan], index=["input", "a", "b"]), True)["b"])
    assert problems == []


@pytest.mark.slow
def test_many_long_named_losses_keep_their_legend_below_the_panels():
    """A loss file's sweep of 40 variants (``perceptual_variant_07(layer=relu2_2, w=0.7)``): the P–D
    plane sized its legend for three columns while it drew two (its own entries, "Pareto front (black
    rim)", are wider than the 20 characters the estimate assumed), the legend outgrew the figure,
    constrained layout gave up ("axes sizes collapsed to zero") and the legend was drawn over both
    panels; the training curves alike. The figure now grows until the legend is clear of every panel."""
    from benchmark.synthetic import synthetic_runs

    offs = {f"perceptual_variant_{i:02d}(layer=relu{i % 5}_2, w={i / 10:.1f})": 0.05 * i for i in range(40)}
    kw = dict(tasks=("denoise", "sr4"), seeds=TWO, metrics=("psnr", "lpips"), n_images=4,
              offsets={"l1": 0.0, **offs})
    t = synthetic_table(**kw)
    metas = [m for _, m, _ in synthetic_runs(**kw, budget_check=False)]
    st = S.compute(t, metas, n_boot=10)
    with F.style() as plt:
        for fig in (F.draw_pd_plane(st), F.draw_training_curves(metas)):
            fig.canvas.draw()
            legend = fig.legends[0].get_window_extent()
            panels = [a.get_window_extent() for a in fig.axes if a.get_visible() and a.get_title()]
            assert all(legend.y1 <= p.y0 for p in panels), (legend, panels)
            assert layout_problems(fig) == []
            plt.close(fig)


@pytest.mark.slow
def test_leaderboard_panels_as_wide_as_their_long_row_names():
    """leaderboard.png for a 40-variant sweep whose names are 44 characters long (kept on one line) and
    three metrics: each panel was 0.5 in per metric + 2.6 in whatever its row names' length, so the right
    panel's names were written across the left panel's cells (80 overlapping texts). A panel is now as
    wide as its row names need."""
    from benchmark.report import heatmap_panels

    offs = {f"perceptual_variant_{i:02d}(layer=relu{i % 5}_2, w={i / 10:.1f})": 0.05 * i for i in range(40)}
    t = synthetic_table(tasks=("denoise", "sr4", "jpeg"), seeds=(0,), metrics=("psnr", "ssim", "lpips"),
                        n_images=3, offsets={"l1": 0.0, **offs})
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(heatmap_panels(t))
        problems = layout_problems(fig)
        plt.close(fig)
    assert problems == [], problems[:3]


def _colourbar_text(fig) -> tuple[str, list[str]]:
    cb = fig.axes[0].collections[0].colorbar
    return cb.ax.get_ylabel(), [t.get_text() for t in cb.ax.get_yticklabels()]


def test_rank_heatmap_scaled_colourbar_claims_no_rank_a_column_cannot_have():
    """Losses missing on some tasks (5 losses, jpeg ranking 3): the colour is the rank stretched per
    column, but the colourbar still read "mean rank (1 = best, 5 = worst)" with ticks 1…5, so jpeg's
    last loss (text 3.0) was painted at "5" — a rank no loss can have there (and with 16 losses, the
    loser of a 2-loss column read as 16th). A scaled colourbar now names what the colour is, the place
    between its column's best and worst, with no rank numbers; a complete grid keeps its ranks 1…k."""
    with F.style() as plt:
        fig = F.draw_rank_heatmap(_partial_field({"vgg": ("sr4", "jpeg"), "pdl": ("denoise", "jpeg")}))
        label, ticks = _colourbar_text(fig)
        cols = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        problems = layout_problems(fig)
        plt.close(fig)
    assert "jpeg (3)" in cols, cols
    assert not any(ch.isdigit() for ch in label + "".join(ticks)), (label, ticks)
    assert ticks[0] == "best" and ticks[-1] == "worst", ticks
    assert problems == []
    with F.style() as plt:
        fig = F.draw_rank_heatmap(_partial_field({}))
        label, ticks = _colourbar_text(fig)
        plt.close(fig)
    assert ticks == ["1", "2", "3", "4", "5"] and "5 = worst" in label.replace("\n", " "), (label, ticks)


def test_cd_diagram_names_the_blocks_it_leaves_out():
    """Most losses not run on jpeg (l1, l2 everywhere; charbonnier, vgg, pdl on denoise and sr4): the
    Friedman test keeps every loss and drops the jpeg blocks instead, and the critical-difference figure
    said "Mean rank over 4 (task, metric) blocks" of a grid with 6, with nothing said of jpeg — a reader
    took the ranks for the whole grid's. The figure now names the blocks it leaves out and why."""
    st = _partial_field({loss: ("jpeg",) for loss in ("charbonnier", "vgg", "pdl")})
    assert st.friedman["n_blocks"] == 4 and not st.friedman.get("excluded"), st.friedman
    with F.style() as plt:
        fig = F.draw_cd_diagram(st)
        title = " ".join(f"{fig.get_suptitle()} {fig.get_supxlabel()}".split())  # and its caption
        problems = layout_problems(fig)
        plt.close(fig)
    assert "jpeg" in title and "psnr" in title.split("jpeg", 1)[1], title
    assert problems == []
    with F.style() as plt:  # a complete grid names no left-out block
        fig = F.draw_cd_diagram(_partial_field({}))
        assert "left out" not in f"{fig.get_suptitle()} {fig.get_supxlabel()}".replace("\n", " ")
        plt.close(fig)


def test_glyph_warnings_under_an_error_filter_are_no_crash(tmp_path, caplog):
    """A loss named ``感知损失`` drawn where warnings are errors (``python -W error``, a project's
    ``filterwarnings = error`` under pytest): matplotlib's glyph warning was raised, not caught, and
    ``report`` stopped with "internal error: UserWarning: Glyph 24863 … missing from font(s)"; where
    UserWarnings are ignored, the one logged warning was never given. The figure module now handles its
    own glyph warnings whatever the filters: the figure is written and the characters named (no font)."""
    import logging
    import warnings

    t = synthetic_table(tasks=("denoise",), seeds=TWO, metrics=("psnr", "ssim"), n_images=6,
                        offsets={"l1": 0.0, "感知损失": 0.3})
    st = S.compute(t, n_boot=20)
    for action in ("error", "ignore"):
        caplog.clear()
        with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="benchmark.figures"):
            warnings.simplefilter(action)
            paths = F.rank_heatmap(st, tmp_path / f"rank_{action}", formats=("png",))
        assert paths and paths[0].is_file(), action
        said = [r.getMessage() for r in caplog.records if "感" in r.getMessage()]
        assert len(said) == (0 if _font_has("感") else 1), (action, said)


def test_report_says_once_which_characters_no_font_has(tmp_path, caplog):
    """``report`` on a store with a loss named ``感知损失`` on a machine without a CJK font: the warning
    that replaced matplotlib's ≈ 100 glyph warnings came once per figure — the same line five times
    for one task (leaderboard, rank heatmap, CD diagram, curves, metric plot), twice more per extra
    task. A report now says it once, for all its figures."""
    import logging

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise",), seeds=TWO, n_images=4, metrics=("psnr", "ssim"),
                offsets={"l1": 0.0, "感知损失": 0.5, "l2": 0.2}, budget_check=False)
    with caplog.at_level(logging.WARNING, logger="benchmark.figures"):
        assert main(["report", "--out", str(tmp_path), "--formats", "png", "--bootstrap", "100", "-q"]) == 0
    said = [r.getMessage() for r in caplog.records if r.name == "benchmark.figures" and "感" in r.getMessage()]
    assert (tmp_path / "figures" / "rank_heatmap.png").is_file()
    assert len(said) == (0 if _font_has("感") else 1), said


def test_friedman_line_names_the_blocks_it_leaves_out():
    """The tables' Friedman line, like the CD figure: with charbonnier, vgg and pdl not run on jpeg the
    test keeps every loss and drops jpeg's blocks, and markdown, LaTeX and HTML said "its 4 blocks" with
    nothing said of jpeg. Each now names the blocks left out."""
    from benchmark.export import friedman_text

    st = _partial_field({loss: ("jpeg",) for loss in ("charbonnier", "vgg", "pdl")})
    text = friedman_text(st)
    assert "jpeg (psnr, ssim)" in text, text
    assert "jpeg" not in friedman_text(_partial_field({})), friedman_text(_partial_field({}))

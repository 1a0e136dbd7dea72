"""Probe of the published figures, tables and report (figures13): reports drawn from synthetic stores of 1–60 losses
with names holding Markdown/LaTeX syntax, 1–5 tasks, and every figure measured against a journal page."""

from __future__ import annotations

import pytest

#: loss names a loss file may bring that Markdown or LaTeX would read as syntax
LINKISH = ("[a](b)", "![img](x.png)", "[ref][r]", "[x]: http://e.com")


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (torch and scipy.stats through :func:`benchmark.stats.compute`,
    pyplot through :func:`benchmark.figures.style`): once for the file, not in the first test's time."""
    import scipy.stats  # noqa: F401

    import benchmark.metrics  # noqa: F401
    from benchmark import figures as F

    with F.style():
        pass


def _md_html(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def test_a_loss_name_in_link_syntax_is_text_in_every_markdown_output():
    """A loss named ``[a](b)`` showed in leaderboard.md (and findings.md, compare/<loss>.md: one escaping) as a link
    'a' to the file 'b', ``![img](x.png)`` as a broken image: ``*``, ``_``, ``|``, ``<`` and backticks were escaped,
    brackets not. A ``]`` that could close a link is escaped: every such name reads as written."""
    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), seeds=(0,), offsets={n: 0.1 * i for i, n in enumerate(LINKISH)},
              metrics=("psnr",), n_images=3)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    html = _md_html(E.markdown(compute(synthetic_table(**kw), metas, n_boot=20)))
    assert "<a " not in html.split("<h2>Figures")[0] and "<img" not in html, html
    for name in LINKISH:
        assert f"<td>{name}</td>" in html, name
    assert E.md_text("mean [low, high]") == "mean [low, high]"  # a bracket that opens no link stays as written


def test_a_loss_name_starting_with_a_bracket_is_not_an_argument_of_the_row_break_in_latex():
    """leaderboard.tex wrote a row ``[a](b) & …`` after the previous row's ``\\\\`` (or a ``\\midrule``), which
    LaTeX reads as the optional argument ``\\\\[a]``: 'Illegal unit of measure', the table did not compile. A name's
    ``[`` is now braced, ``{[}``, as LaTeX's own documentation advises."""
    import re

    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), seeds=(0,), offsets={"l1": 0.0, "[a](b)": 0.5, "[x]y": 0.2}, metrics=("psnr",),
              n_images=3)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    tex = E.latex(compute(synthetic_table(**kw), metas, n_boot=20))
    assert "{[}a]" in tex and "{[}x]y" in tex
    assert not re.search(r"(\\\\|\\[a-z]*rule)\s*\[", tex), re.findall(r"(?:\\\\|rule)\s*\[.{0,20}", tex)
    assert E.tex_label("[" + "x" * 40).startswith(r"\parbox[t]{15em}{\raggedright {[}")


def _png_inches(path) -> tuple[float, float]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size[0] / 200, im.size[1] / 200  # every figure is written at 200 dpi


def _sizes(monkeypatch) -> dict:
    """:func:`benchmark.figures.save` without writing the files: {file name: figure size (in)} of every figure saved,
    the size its PNG has (the canvas is saved as laid out, at 200 dpi: :func:`_png_inches`)."""
    from benchmark import figures as F

    saved = {}

    def save(fig, base, formats=("png",)):
        saved[base.name] = tuple(fig.get_size_inches())
        fig.clear()
        return [base.with_name(base.name + ".png")]

    monkeypatch.setattr(F, "save", save)
    return saved


def _quick_boards():
    import numpy as np
    import pandas as pd

    from benchmark.config import DEFAULT_TASKS, PIXEL_LOSSES, QUICK_FEATURE_LOSSES, QUICK_METRICS
    from benchmark.synthetic import HIGHER

    losses = ["input", *PIXEL_LOSSES, *QUICK_FEATURE_LOSSES]
    rng = np.random.default_rng(0)
    return {t: pd.DataFrame({f"{m} {'↑' if HIGHER[m] else '↓'}": rng.uniform(0.1, 0.9, len(losses))
                             for m in QUICK_METRICS}, index=losses) for t in DEFAULT_TASKS}


@pytest.mark.slow
def test_the_quick_profiles_leaderboard_figure_fits_a_page(tmp_path):
    """The quick profile's leaderboard.png (5 tasks × 10 rows × 7 metrics, one task a row) was 6.1 × 16.75 in, taller
    than a journal page's ~9-in text height (figures were split only past 24 in), and every panel repeated the
    metric names under it (0.9 in each). The names are written once, under the last panel row, and the figure is
    split by task into parts no taller than a page, every task in one part."""
    from benchmark import figures as F

    boards = _quick_boards()
    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap(boards, path)
    parts = [path, *F.leaderboard_parts(path)]
    assert len(parts) == 2
    for p in parts:
        w, h = _png_inches(p)
        assert h <= F.PAGE_IN <= 9.0 and w <= F.COL2, (p.name, w, h)


def test_a_task_of_many_losses_is_split_by_rows_into_page_sized_parts(tmp_path, monkeypatch):
    """One task of 60 losses drew a 13.6-in leaderboard.png: splitting by task could not help. Its rows go into
    balanced parts no taller than a page, each with the input row, the colours on the whole task's scale (a loss's
    cell is the same colour in whichever part it is), the title saying which rows. (A 3.3-in page and 8 losses:
    the same split, drawn in a fraction of the time.)"""
    import numpy as np
    import pandas as pd

    from benchmark import figures as F

    monkeypatch.setattr(F, "PAGE_IN", 3.3)
    losses = ["input", *(f"loss_{i:02d}" for i in range(8))]
    board = {"denoise": pd.DataFrame({"psnr ↑": np.linspace(20, 30, 9)}, index=losses)}
    drawn, draw = [], F.draw_leaderboard_heatmap

    def spy(*a, **kw):
        fig = draw(*a, **kw)
        ax = fig.axes[0]
        drawn.append(([t.get_text() for t in ax.get_yticklabels()], ax.collections[0].get_facecolors()[:, :3],
                      fig._suptitle.get_text()))
        return fig

    monkeypatch.setattr(F, "draw_leaderboard_heatmap", spy)
    sizes = _sizes(monkeypatch)
    # a loss with no restoration to score (all its runs diverged) keeps its row, last, in a part too
    F.leaderboard_heatmap(board, tmp_path / "leaderboard.png", lost={("denoise", "boom"): "diverged 2/2"})
    assert list(sizes) == ["leaderboard", "leaderboard-2"] and all(h <= F.PAGE_IN for _, h in sizes.values())
    (order, whole, _), (one, c1, t1), (two, c2, t2) = drawn
    assert one[0] == two[0] == order[0] == "input" and one[1:] + two[1:] == order[1:]
    assert two[-1] == order[-1] == "boom (diverged 2/2)" and abs(len(one) - len(two)) <= 1
    assert np.allclose(np.vstack([c1, c2[1:]]), whole)  # one colour scale for the whole task
    assert "part 1 of 2: denoise, rows 1–5 of 9" in t1.replace("\n", " ")
    assert "rows 6–9 of 9" in t2.replace("\n", " ")


def test_a_twelve_metric_leaderboard_fits_a_page_width():
    """The standard and full profiles score 12 metrics: their leaderboard.png panel was 0.5 in a metric + 2.6 in,
    8.6 in wide, past a page's 7.2 in (its 6-pt numbers printed at 5 pt once scaled to fit). A panel wider than the
    page narrows its cells to what fits, never below what their numbers need: no number leaves its cell or runs
    into its neighbour."""
    import numpy as np
    import pandas as pd
    from test_figure_layout import layout_problems

    from benchmark import figures as F
    from benchmark.config import DEFAULT_METRICS
    from benchmark.synthetic import BASE, HIGHER, SCALE

    losses = ["input", "ms_ssim_l1", "pdl"]  # the width is the columns': three rows are enough
    rng = np.random.default_rng(0)
    board = {"sr4": pd.DataFrame({f"{m} {'↑' if HIGHER[m] else '↓'}": BASE[m] + SCALE[m] * rng.normal(0, 1, 3)
                                  for m in DEFAULT_METRICS}, index=losses)}
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(board)
        w = fig.get_size_inches()[0]
        problems = layout_problems(fig)
        plt.close(fig)
    assert w <= F.COL2, w
    assert problems == [], problems


def test_a_metrics_figure_of_many_losses_is_split_by_rows_into_page_sized_parts(tmp_path, monkeypatch):
    """metrics_<task>.png of one task with 60 losses on 3 metrics (one panel row) was 19.5 in tall: splitting by
    rows of metric panels could not shorten it. Its losses go into balanced parts no taller than a page, each with
    the input row and, per metric, the whole figure's axis range (a point sits where it would in the whole figure).
    (A 2.8-in page and 8 losses: the same split, drawn in a fraction of the time.)"""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    st = compute(synthetic_table(offsets={f"loss_{i:02d}": 0.1 * i for i in range(8)}, metrics=("psnr", "lpips"),
                                 seeds=(0,), n_images=3), n_boot=10)
    monkeypatch.setattr(F, "PAGE_IN", 2.8)
    drawn, draw = [], F.draw_metric_points

    def spy(*a, **kw):
        fig = draw(*a, **kw)
        drawn.append(([t.get_text() for t in fig.axes[0].get_yticklabels()], [a.get_xlim() for a in fig.axes[:2]],
                      fig._suptitle.get_text()))
        return fig

    monkeypatch.setattr(F, "draw_metric_points", spy)
    sizes = _sizes(monkeypatch)
    F.metric_points(st, "denoise", tmp_path / "metrics_denoise", ("png",))
    assert list(sizes) == ["metrics_denoise", "metrics_denoise-2"] and all(h <= F.PAGE_IN for _, h in sizes.values())
    (order, lims, _), (one, l1, t1), (two, l2, t2) = drawn
    assert one[-1] == two[-1] == order[-1] == "input" and one[:-1] + two[:-1] == order[:-1]
    assert abs(len(one) - len(two)) <= 1
    assert l1 == l2 == lims
    assert "part 1 of 2" in t1 and "rows 1–4 of 8" in t1.replace("\n", " ") and "rows 5–8 of 8" in t2


def test_a_rank_heatmap_of_many_losses_is_split_by_rows_into_page_sized_parts(tmp_path, monkeypatch):
    """rank_heatmap.png of 60 losses was 3.8 × 12.6 in, taller than a page. Its rows go into balanced parts no
    taller than a page, each on the whole figure's rank scale (1 to 60) with its colourbar, the title saying which
    rows; a later report with fewer losses leaves no part behind. (A 3-in page and 12 losses: the same split.)"""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    st = compute(synthetic_table(offsets={f"loss_{i:02d}": 0.1 * i for i in range(12)}, metrics=("psnr",),
                                 seeds=(0,), n_images=3), n_boot=10)
    monkeypatch.setattr(F, "PAGE_IN", 3.0)
    drawn, draw = [], F.draw_rank_heatmap

    def spy(*a, **kw):
        fig = draw(*a, **kw)
        ax = fig.axes[0]
        drawn.append(([t.get_text() for t in ax.get_yticklabels()], ax.collections[0].get_clim(),
                      fig.axes[0].get_title()))
        return fig

    monkeypatch.setattr(F, "draw_rank_heatmap", spy)
    sizes = _sizes(monkeypatch)
    base = tmp_path / "figures" / "rank_heatmap"
    F.rank_heatmap(st, base, ("png",))
    assert len(sizes) >= 2 and all(h <= F.PAGE_IN for _, h in sizes.values()), sizes
    (order, clim, _), *parts = drawn
    assert sum((p[0] for p in parts), []) == order and all(p[1] == clim == (1, 12) for p in parts)
    assert max(len(p[0]) for p in parts) - min(len(p[0]) for p in parts) <= 1
    assert f"(part 1 of {len(parts)}, rows 1–" in parts[0][2].replace("\n", " ")
    base.parent.mkdir()
    for name in ("rank_heatmap.png", "rank_heatmap-2.png", "rank_heatmap-3.pdf"):  # parts of a longer report
        (base.parent / name).write_bytes(b"")
    F.prune_figures(base.parent, [base.with_suffix(".png")])
    assert sorted(p.name for p in base.parent.iterdir()) == ["rank_heatmap.png"]


def test_negative_values_in_latex_tables_are_minus_signs_not_hyphens():
    """A metric with negative scores (niqe shifted, a score difference, an effect) was written into leaderboard.tex
    as ``-0.44 [-2.70, 1.81]``: in LaTeX's text mode a hyphen, shorter and higher than the minus sign, which a
    journal's copy editor sends back; the notes' ``−`` (U+2212) became a hyphen too. Both are ``$-$`` now."""
    import re

    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), seeds=(0, 1), offsets={"l1": 0.0, "l2": 0.5}, metrics=("niqe",), n_images=4)
    t = synthetic_table(**kw)
    t["value"] -= 6.5  # every niqe score negative
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    tex = E.latex(compute(t, metas, n_boot=20))
    rows = [r for r in tex.splitlines() if r.startswith(("l1 ", "l2 ", "input "))]
    assert len([r for r in rows if "$-$0." in r]) == 2, rows  # the task table's l1 and l2 rows
    assert not [r for r in rows if re.search(r"(?<!\$)-\d", r)], rows
    assert E.tex_text("images − 1") == "images $-$ 1"


def test_negative_means_in_the_leaderboard_figure_print_a_minus_sign():
    """leaderboard.png printed a negative mean as the task table's text, '-0.44' with a hyphen, beside axes whose
    negative numbers matplotlib prints with a minus sign '−': the cells now print '−0.44' too."""
    import pandas as pd

    from benchmark import figures as F

    board = {"denoise": pd.DataFrame({"niqe ↓": [0.5, -0.44, -1.2]}, index=["input", "l1", "l2"])}
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(board)
        cells = [t.get_text() for t in fig.axes[0].texts]
        plt.close(fig)
    assert "−0.44" in cells and "−1.20" in cells and not [c for c in cells if "-" in c], cells


class _Board:
    """A stand-in for a drawn leaderboard of ``n`` task panels, one a row, 2 in each, beside 1.5 in of title, column
    names and colourbar: the sizes :func:`benchmark.figures.leaderboard_heatmap` splits by, without drawing."""

    def __init__(self, n: int):
        self.plb_rows, self.plb_columns, self.plb_panel_height, self.plb_row_height = n, 1, 2.0, 0.2

    def get_size_inches(self):
        return 6.0, 1.5 + 2.0 * self.plb_rows

    def clear(self):
        pass


def test_a_leaderboard_split_by_task_is_balanced(monkeypatch, tmp_path):
    """Five task panels where four fit a page were split 4 + 1: a last part of one small panel beside a full page.
    The parts are balanced (3 + 2), each still within the page. (Stand-in figures: the split, not the drawing;
    test_the_quick_profiles_leaderboard_figure_fits_a_page draws it.)"""
    from benchmark import figures as F

    boards = {f"task{t}": None for t in range(5)}
    monkeypatch.setattr(F, "PAGE_IN", 1.5 + 0.3 + 4 * 2.0 + 0.05)  # four panel rows fit
    drawn = []
    monkeypatch.setattr(F, "draw_leaderboard_heatmap", lambda b, *a, **k: drawn.append(sorted(b)) or _Board(len(b)))
    monkeypatch.setattr(F, "leaderboard_order", lambda boards: ["input", "l1"])
    sizes = _sizes(monkeypatch)
    F.leaderboard_heatmap(boards, tmp_path / "leaderboard.png")
    assert drawn[1:] == [["task0", "task1", "task2"], ["task3", "task4"]], drawn
    assert all(h <= F.PAGE_IN for _, h in sizes.values()), sizes


def test_every_panel_of_the_leaderboard_has_its_metric_names_in_line_with_its_columns():
    """The metric names are written once, under the last row of panels. Three tasks of two metrics, two panels a
    row, left the last panel centred alone under the other two: their columns, half a panel to its side, had no
    names in line with them. A row whose panels have none in line below them names its columns too."""
    import numpy as np
    import pandas as pd
    from test_figure_layout import layout_problems

    from benchmark import figures as F

    rng = np.random.default_rng(0)
    boards = {t: pd.DataFrame({"psnr ↑": rng.normal(25, 2, 3), "lpips ↓": rng.uniform(0.1, 0.4, 3)},
                              index=["input", "l1", "vgg"]) for t in ("denoise", "jpeg", "sr4")}
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(boards)
        fig.canvas.draw()
        panels = [a for a in fig.axes if a.get_title() in boards]
        named = {a.get_title(): [t.get_text() for t in a.get_xticklabels() if t.get_visible() and t.get_text()]
                 for a in panels}
        problems = layout_problems(fig)
        plt.close(fig)
    assert fig.plb_columns == 2
    assert all(names == ["psnr (dB) ↑", "lpips ↓"] for names in named.values()), named
    assert problems == [], problems

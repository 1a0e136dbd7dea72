"""Probe of the published figures, tables and report (figures14): the quick profile's leaderboard parts as its real
loss labels draw them, the files a report may replace, and figures and tables drawn from awkward synthetic stores."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (pandas and matplotlib through :mod:`benchmark.figures`, the CLI's
    parser, what :func:`benchmark.stats.compute` imports): once for the file, not in the first test's time."""
    import benchmark.cli  # noqa: F401
    import benchmark.figures  # noqa: F401

    _long_field(n=2, chars=4)


def _png_inches(path) -> tuple[float, float]:
    from matplotlib.image import imread

    h, w = imread(path).shape[:2]
    return w / 200, h / 200  # every figure is written at 200 dpi


def _quick_boards(labels: dict[str, str] | None = None):
    """The quick profile's leaderboard boards (5 tasks × 10 rows × 7 metrics), its losses named as a report labels
    them (``labels``: {loss: label})."""
    import numpy as np
    import pandas as pd

    from benchmark.config import DEFAULT_TASKS, PIXEL_LOSSES, QUICK_FEATURE_LOSSES, QUICK_METRICS
    from benchmark.synthetic import HIGHER

    losses = [(labels or {}).get(n, n) for n in ("input", *PIXEL_LOSSES, *QUICK_FEATURE_LOSSES)]
    rng = np.random.default_rng(0)
    return {t: pd.DataFrame({f"{m} {'↑' if HIGHER[m] else '↓'}": rng.uniform(0.1, 0.9, len(losses))
                             for m in QUICK_METRICS}, index=losses) for t in DEFAULT_TASKS}


#: the quick profile's feature losses as its report labels them (random backbones, lpips' linear layers)
QUICK_LABELS = {"lpips": "lpips [alexnet:random+lpips:alex:v0.1]",
                "lpips_squeeze": "lpips_squeeze [squeezenet1_1:random+lpips:squeeze:v0.1]",
                "vgg": "vgg [vgg16:random]"}


@pytest.mark.slow
def test_the_quick_profiles_leaderboard_is_split_into_as_few_parts_as_fit_a_page(tmp_path):
    """With its real labels (two wrap: every row 2 lines tall) the quick profile's leaderboard was split into 5 parts
    of one task each, 5.4 in tall, where two tasks (8.9 in) fit the 9-in page: a guessed 0.3-in margin for a part's
    longer title tipped them over. Parts are sized on the measured figure and a part drawn taller than the page is
    drawn again with a panel row fewer: 3 parts (2 + 2 + 1), each within the page."""
    from benchmark import figures as F

    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap(_quick_boards(QUICK_LABELS), path)
    parts = [path, *F.leaderboard_parts(path)]
    sizes = [_png_inches(p) for p in parts]
    assert len(parts) == 3, sizes
    assert all(h <= F.PAGE_IN and w <= F.COL2 for w, h in sizes), sizes
    assert sizes[0][1] > F.PAGE_IN - 0.5 and sizes[0] == sizes[1], sizes  # two tasks a part, as tall as each other


def test_a_users_own_dated_copy_beside_the_leaderboard_is_no_part_of_it(tmp_path):
    """``leaderboard_parts`` took any ``leaderboard-<number>``: a user's ``leaderboard-2026.png`` (a dated copy kept
    beside the figure) was named a part on the run's last line and deleted, with its PDF, by the next report whose
    leaderboard had fewer parts. Parts are numbered on from 2 without a gap, as written: only those are taken."""
    from benchmark import figures as F
    from benchmark.cli import leaderboard_line

    path = tmp_path / "leaderboard.png"
    mine = [tmp_path / "leaderboard-2026.png", tmp_path / "leaderboard-2026.pdf", tmp_path / "leaderboard-7.png"]
    for p in [path, tmp_path / "leaderboard-2.png", tmp_path / "leaderboard-3.png", *mine]:
        p.write_bytes(b"x")
    assert F.leaderboard_parts(path) == [tmp_path / "leaderboard-2.png", tmp_path / "leaderboard-3.png"]
    line = leaderboard_line({"markdown": tmp_path / "leaderboard.md", "heatmap": path})
    assert "leaderboard-3.png (3 parts)" in line and "2026" not in line, line
    F.remove_leaderboard(path, keep=[path])  # a report whose leaderboard is one figure now
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["leaderboard.png", *(p.name for p in mine)])


@pytest.mark.slow
def test_every_part_of_the_leaderboard_figure_is_linked_from_leaderboard_md_and_shown_in_report_html(
        tmp_path, monkeypatch):
    """leaderboard.md's Figures list and report.html showed every figure under figures/ but not the leaderboard figure
    itself, nor its parts (the quick profile's is in 3): a reader of either never learnt that it existed. Both name
    it now, every part, the HTML with each part's caption."""
    import re

    from benchmark import figures as F
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    # two tasks of three losses, one a panel row (3.8 in since 043d897d's column-name band): one task a part
    monkeypatch.setattr(F, "PAGE_IN", 3.0)
    store = write_store(tmp_path / "r", tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.5, "good": 1.0},
                        seeds=(0,), metrics=("psnr", "ssim", "lpips"), n_images=3, budget_check=False)
    write_report(store, formats=("png",), visual=False, n_boot=20)
    parts = [store.root / "leaderboard.png", *F.leaderboard_parts(store.root / "leaderboard.png")]
    assert len(parts) == 2 and all(_png_inches(p)[1] <= F.PAGE_IN for p in parts)
    md = (store.root / "leaderboard.md").read_text()
    assert "- leaderboard: [leaderboard.png](leaderboard.png), [leaderboard-2.png](leaderboard-2.png)" in md, md
    page = (store.root / "report.html").read_text()
    overview = page.split('id="overview"')[1].split("</section>")[0]
    assert re.findall(r"<figcaption>(leaderboard[^<:]*)[^<]*</figcaption>", overview) == [
        "leaderboard (part 1 of 2)", "leaderboard (part 2 of 2)"]


def _long_field(n: int = 60, chars: int = 40, tasks=("denoise", "sr4"), metrics=("psnr", "ssim")):
    """Stats of ``n`` losses named with ``chars`` characters each (one seed), and their run records."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    names = [(f"loss_{i}_" + "long_name_part_" * 4)[:chars] for i in range(n)]
    kw = dict(tasks=tasks, seeds=(0,), offsets={nm: 0.01 * i for i, nm in enumerate(names)}, metrics=metrics,
              n_images=3)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    return compute(synthetic_table(**kw), metas, n_boot=10), metas


@pytest.mark.slow
def test_the_cd_diagram_of_60_long_names_fits_a_page_without_clipped_or_overlapping_text():
    """The CD diagram wrapped every label at 30 characters: 60 losses of 40 characters took two lines each, a
    7.2 × 10.4-in figure, past a page's 9-in text height. Labels are wrapped wider where that keeps the figure within
    the page (one line each here), the text still on the canvas and apart."""
    from test_figure_layout import layout_problems

    from benchmark import figures as F

    stats, _ = _long_field()
    with F.style():
        fig = F.draw_cd_diagram(stats)
        w, h = fig.get_size_inches()
        assert h <= F.PAGE_IN and w <= F.COL2 + 0.01, (w, h)
        assert not layout_problems(fig)
        names = [t.get_text() for t in fig.axes[0].texts if "long_name" in t.get_text()]
        assert len(names) == 60 and all("\n" not in t for t in names), names[:3]


@pytest.mark.slow
def test_a_legend_that_takes_a_figure_past_a_page_is_its_key_on_a_page_of_its_own(tmp_path):
    """60 losses of 40 characters under a 5-task P–D plane made one 7.2 × 11.2-in figure and the training curves one
    of 9.6 in: their legends alone were 5–6 in tall. Where the legend is what takes a figure past the page, it is
    drawn as the figure's part 2 (``pd_plane-2.png``: the key, every loss), part 1 keeps its caption and says where
    the key is; each part within the page, no text clipped or overlapping; a shorter report removes part 2."""
    from test_figure_layout import layout_problems

    from benchmark import figures as F

    stats, metas = _long_field(tasks=("deblur", "demosaic", "denoise", "jpeg", "sr4"), metrics=("psnr", "lpips"))
    with F.style():
        for name, draw in (("pd_plane", lambda: F.draw_pd_plane(stats)),
                           ("training_curves", lambda: F.draw_training_curves(metas))):
            parts = F.legend_apart(draw())
            assert len(parts) == 2, name
            for fig in parts:
                w, h = fig.get_size_inches()
                assert h <= F.PAGE_IN and w <= F.COL2 + 0.01, (name, w, h)
                assert not layout_problems(fig), name
            key = [t.get_text() for t in parts[1].legends[0].get_texts()]
            assert sum("long_name" in t for t in key) == 60, name
            assert "part 2 of this figure" in parts[0].legends[0].get_title().get_text()
            assert "part 2 of 2: key" in parts[1].get_suptitle()
        paths = F.pd_plane(stats, tmp_path / "pd_plane", ("png",))
        assert [p.name for p in paths] == ["pd_plane.png", "pd_plane-2.png"]
        short, _ = _long_field(n=3, tasks=("denoise",), metrics=("psnr", "lpips"))
        assert [p.name for p in F.pd_plane(short, tmp_path / "pd_plane", ("png",))] == ["pd_plane.png"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pd_plane.png"]


@pytest.mark.slow
def test_a_latex_table_of_60_long_names_is_split_into_tables_that_each_fit_a_page():
    """leaderboard.tex set a task's 60 losses of 40 characters (each name two lines in its 15-em cell) in one
    ``table`` float, and the overall ranking in another: 120-odd lines, 20 in of a 9-in page — a float cannot break,
    LaTeX ran it off the page. Each is split into balanced tables of whole rows that fit a page, every task table
    with the input row, the later ones captioned as continuations of the first; a short table stays one."""
    import re

    from benchmark import export as E

    stats, _ = _long_field(tasks=("denoise",), metrics=("psnr",))
    tex = E.latex(stats)
    tables = tex.split(r"\begin{table}")[1:]
    assert [re.search(r"\\label\{([^}]*)\}", t).group(1) for t in tables] == [
        "tab:denoise", "tab:denoise-2", "tab:denoise-3", "tab:ranks", "tab:ranks-2", "tab:ranks-3"]
    for t in tables:
        caption = re.search(r"\\caption\{(.*)\}\n", t).group(1)
        rows = t.split(r"\midrule")[-1].split(r"\bottomrule")[0].strip().splitlines()
        lines = sum(2 if "parbox" in r else 1 for r in rows) + len(caption) // E.TEX_LINE + 1 + 4
        assert lines <= E.TEX_PAGE_LINES, (lines, caption[:40])
    names = [r for t in tables[:3] for r in re.findall(r"\\raggedright (\S+)", t)]
    assert len(names) == len(set(names)) == 60  # every loss once
    assert all("\ninput & " in t for t in tables[:3])
    assert r"continued from Table~\ref{tab:ranks} (part 2 of 3)" in tables[4]
    short, _ = _long_field(n=4, chars=8, tasks=("denoise",), metrics=("psnr",))
    assert E.latex(short).count(r"\begin{table}") == 2


@pytest.mark.slow
def test_a_comparisons_markdown_shows_both_parts_of_a_pd_plane_whose_key_is_apart(tmp_path):
    """``plbench compare`` against a field of 60 losses of 40 characters draws its P–D plane with the key apart
    (:func:`benchmark.figures.legend_apart`: 7.2 × 9.1 in otherwise), but compare/<loss>.md showed the first file
    only, whose caption sends the reader to a part 2 the page never showed. It shows every part."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    names = [(f"loss_{i}_" + "long_name_part_" * 4)[:40] for i in range(60)]
    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "l2": 0.5, **{n: 0.01 * i for i, n in enumerate(names)}},
                        seeds=(0,), n_images=3, metrics=("psnr", "lpips"), budget_check=False)
    chosen = {"denoise": [m for m in store.metas() if m.get("kind") != "input"]}
    md, _ = _summary(store, chosen, ["l2"], {"denoise": []}, 0.05, 10, "l1", ("png",))
    shown = [line for line in md.splitlines() if line.startswith("![perception–distortion")]
    assert shown == ["![perception–distortion](l2_denoise_pd_plane.png)",
                     "![perception–distortion, part 2: its key](l2_denoise_pd_plane-2.png)"], shown
    assert (store.root / "compare" / "l2_denoise_pd_plane-2.png").is_file()


@pytest.mark.slow
def test_a_task_too_long_for_a_page_is_split_into_as_few_row_parts_as_fit(tmp_path):
    """A task of 68 losses (one 15-in panel) was split into 3 parts of 6.7 in where 2 of 34 rows (8.8 in) fit the
    9-in page: a guessed 0.3-in margin for a part's title again. Row parts are sized on the measured figure and a
    part drawn taller than the page is drawn again with fewer rows."""
    import numpy as np
    import pandas as pd

    from benchmark import figures as F

    rng = np.random.default_rng(0)
    losses = ["input"] + [f"loss_{i}" for i in range(68)]
    metrics = ["psnr ↑", "ssim ↑", "ms_ssim ↑", "vsi ↑", "fsim ↑", "gmsd ↓", "nlpd ↓"]
    boards = {"denoise": pd.DataFrame({m: rng.uniform(0.1, 0.9, len(losses)) for m in metrics}, index=losses)}
    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap(boards, path)
    sizes = [_png_inches(p) for p in [path, *F.leaderboard_parts(path)]]
    assert len(sizes) == 2 and all(h <= F.PAGE_IN for _, h in sizes), sizes


def test_a_latex_table_taller_than_the_top_fraction_of_a_page_may_take_a_float_page():
    """leaderboard.tex placed every table ``[t]`` only: LaTeX puts a float at a page's top only where it takes at most
    ``\\topfraction`` (0.7) of the text height, so a table of 16 losses of 40 characters (44 lines, 0.8 of a page),
    and every part of a table split to fit a page (:func:`benchmark.export.tex_row_groups`), was held back to the end
    of the document, every later table behind it (past 18 of them: "Too many unprocessed floats"). Each may take a
    float page of its own (``[tp]``)."""
    import re

    from benchmark import export as E

    stats, _ = _long_field(n=16, tasks=("denoise",), metrics=("psnr",))
    tex = E.latex(stats)
    places = re.findall(r"\\begin\{table\}(\[[a-z!]*\])?", tex)
    assert len(places) == 2 and all("p" in p for p in places), places


def test_a_report_removes_only_the_key_part_it_wrote_not_a_users_dash_2_copy_of_another_figure(tmp_path):
    """Drawing, or skipping, any figure removed ``<figure>-2`` beside it (:func:`benchmark.figures.legend_apart`'s
    cleanup, in every figure's :func:`~benchmark.figures._drawn`): a user's own ``cd_diagram-2.png`` or
    ``visual_sr4-2.pdf``, which no report writes, was deleted. Only the key a P–D plane or the training curves drew
    apart (``training_curves-2``) is removed where a report no longer needs it."""
    from types import SimpleNamespace

    from benchmark import figures as F

    mine = [tmp_path / "cd_diagram-2.png", tmp_path / "visual_sr4-2.pdf"]
    for p in [*mine, tmp_path / "training_curves-2.png"]:
        p.write_bytes(b"x")
    assert F.cd_diagram(SimpleNamespace(friedman={}), tmp_path / "cd_diagram", ("png",)) == []
    assert F.visual_grid(SimpleNamespace(metas_as_read=lambda: []), "sr4", tmp_path / "visual_sr4", ("png",)) == []
    assert F.training_curves([], tmp_path / "training_curves", ("png",)) == []
    assert sorted(tmp_path.iterdir()) == mine

"""Defects found probing the published outputs at their extremes (long specs, holes in the metrics, CSVs):
each test failed before its fix."""

from __future__ import annotations

import re

import pytest
import torch

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_table

pytestmark = pytest.mark.usefixtures("one_thread")

#: two specs of the brief's length that differ only in their last layer: every figure must tell them apart
LONG_A = "ffl(alpha=1.0)+0.1*lpips+0.01*style(layers='relu1_2,relu2_2')"
LONG_B = "ffl(alpha=1.0)+0.1*lpips+0.01*style(layers='relu1_2,relu3_3')"
#: and two sweeps of a long spec that differ past the 4 lines × 34 characters a figure label had
SWEEP = "0.5*l1 + 0.25*perceptual(layers='relu1_1,relu1_2,relu2_1,relu2_2,relu3_1,relu3_2,relu3_3,relu4_1', " \
        "weights=(0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.5, {}))"


# ------------------------------------------------------------------------------------------------
# a long loss name is never cut to the same text as another loss's in a figure
# ------------------------------------------------------------------------------------------------
def test_wrapped_labels_of_two_long_specs_stay_distinct():
    """:func:`benchmark.figures.wrap_label` cut a label past 4 lines with "…": at the visual grid's 18
    characters a line the brief's 62-character spec ``ffl(alpha=1.0)+0.1*lpips+0.01*style(layers='relu1_2,
    relu2_2')`` became ``…layers='relu1_2,…``, the same text as the spec with ``relu3_3``: two panels of one
    name. :func:`benchmark.figures.wrap_labels` wraps a set of labels so that distinct labels stay distinct
    (one that would be cut to another's text is wrapped whole); a label no other shares a cut with is cut
    as before."""
    got = F.wrap_labels([LONG_A, LONG_B, "l1"], 18)
    assert len(set(got)) == 3, got
    assert [g.replace("\n", "") for g in got[:2]] == [LONG_A, LONG_B]  # whole, only line breaks added
    alone = F.wrap_labels([LONG_A, "l1"], 18)
    assert alone == [F.wrap_label(LONG_A, 18), "l1"] and alone[0].endswith("…")  # no clash: cut as before


def _bare(text: str) -> str:
    return re.sub(r"\s", "", text)


def _long_stats():
    t = synthetic_table(offsets={"l1": 0.0, SWEEP.format("0.5"): 0.4, SWEEP.format("0.7"): 0.2}, seeds=(0, 1),
                        n_images=4, metrics=("psnr", "lpips"))
    return compute(t, n_boot=20)


def test_every_figure_names_two_long_sweeps_apart():
    """A weight sweep of a 180-character spec differs only in its last number: the rank heatmap's rows, the
    metric plot's ticks, the CD diagram's names and the P–D plane's legend each cut both to the same 4 lines,
    so which row was which could not be read off any figure. Each now shows both names whole."""
    st = _long_stats()
    a, b = (_bare(SWEEP.format(w)) for w in ("0.5", "0.7"))

    def names(texts):  # the loss names shown, without the spaces and line breaks the wrapping moved
        return [t for t in map(_bare, texts) if t.startswith("0.5*l1")]

    with F.style():
        fig = F.draw_rank_heatmap(st)
        rows = names(t.get_text() for ax in fig.axes for t in ax.get_yticklabels())
        assert sorted(rows) == sorted([a, b]), rows
        fig = F.draw_metric_points(st, "denoise")
        ticks = names(t.get_text() for t in fig.axes[0].get_yticklabels())
        assert sorted(ticks) == sorted([a, b]), ticks
        fig = F.draw_pd_plane(st)
        legend = names(t.get_text() for leg in fig.legends for t in leg.get_texts())
        assert sorted(legend) == sorted([a, b]), legend


def test_visual_grid_panel_titles_of_two_long_specs_differ():
    """The visual grid titled the panels of ``…relu2_2')`` and ``…relu3_3')`` alike (both cut to
    ``layers='relu1_2,…``); each panel now carries its whole name."""
    panels = [(n, torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(i)))
              for i, n in enumerate(["clean", "input", LONG_A, LONG_B])]
    with F.style():
        fig = F.draw_visual_grid(panels, "denoise: Set/im.png, 32×32 crop", 32, 8)
    titles = [ax.get_title().replace("\n", "") for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles == ["clean", "input", LONG_A, LONG_B], titles


# ------------------------------------------------------------------------------------------------
# the P–D plane says which losses it leaves out for want of one of its two metrics
# ------------------------------------------------------------------------------------------------
def test_pd_plane_names_the_losses_it_cannot_place():
    """A loss not scored on the plane's perceptual metric (lpips skipped for its runs) vanished from the
    P–D plane without a word: the plane, its Pareto front and legend read as the whole field, while the
    metric plot said "not scored". The caption now names each such loss and the metric it lacks, as it
    already did for a whole task."""
    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -0.5, "odd": 0.3}, seeds=(0, 1), n_images=4,
                        metrics=("psnr", "lpips"))
    t = t[~((t["loss"].isin(["bad", "good"]) & (t["metric"] == "lpips")) | ((t["loss"] == "odd") &
                                                                            (t["metric"] == "psnr")))]
    st = compute(t.reset_index(drop=True), n_boot=20)
    with F.style():
        fig = F.draw_pd_plane(st)
    (leg,) = fig.legends
    shown = {x.get_text() for x in leg.get_texts()}
    assert "l1" in shown and not shown & {"bad", "good", "odd"}, shown
    caption = " ".join(leg.get_title().get_text().split())
    assert "Not drawn: denoise: bad, good (lpips not scored); odd (psnr not scored)" in caption, caption


def test_pd_plane_caption_unchanged_when_every_loss_is_placed():
    """Every loss scored on both metrics: no "Not drawn" line."""
    st = compute(synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4,
                                 metrics=("psnr", "lpips")), n_boot=20)
    with F.style():
        fig = F.draw_pd_plane(st)
    (leg,) = fig.legends
    assert "Not drawn" not in leg.get_title().get_text()


# ------------------------------------------------------------------------------------------------
# a loss whose every run diverged is in the figures as it is in the tables: a row that says so
# ------------------------------------------------------------------------------------------------
def _boom_stats():
    """l1 and good, 2 seeds; ``boom``: both runs diverged (no rows), as ``leaderboard.md`` lists it."""
    from benchmark.results import to_frame
    from benchmark.synthetic import synthetic_runs

    rows, metas = [], []
    for _, meta, rs in synthetic_runs(offsets={"l1": 0.0, "good": 1.0, "boom": 0.5}, seeds=(0, 1), n_images=4,
                                      metrics=("psnr", "lpips"), budget_check=False):
        if meta.get("config", {}).get("loss") == "boom":
            meta, rs = {**meta, "status": "diverged", "diverged_at": 3}, []
        rows += rs
        metas.append(meta)
    return to_frame(rows), metas


def test_figures_show_a_loss_whose_every_run_diverged_as_the_tables_do(tmp_path, monkeypatch):
    """``leaderboard.md`` and ``.tex`` list ``boom | 0 | diverged 2/2 | …``, but ``leaderboard.png``, the
    metric plot and the P–D plane drew l1 and good alone, with no word of boom: the quick-look figure read
    as a field of two losses. Each now names it where it would stand: a row ``boom (diverged 2/2)`` of "–"
    in the leaderboard figure, a row saying ``diverged 2/2`` in the metric plot, and "Not drawn: … boom
    (diverged 2/2)" under the P–D plane."""
    from benchmark.export import markdown
    from benchmark.report import heatmap

    table, metas = _boom_stats()
    st = compute(table, metas, n_boot=20)
    assert "| boom | 0 | diverged 2/2 |" in markdown(st)  # the tables' row: the case at hand
    drawn = []  # (row names, texts drawn outside seaborn's annotations) of the denoise panel, before it is saved

    def draw(*a, _draw=F.draw_leaderboard_heatmap, **k):
        fig = _draw(*a, **k)
        (ax,) = [x for x in fig.axes if x.get_title() == "denoise"]
        drawn.append(([t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]))
        return fig

    monkeypatch.setattr(F, "draw_leaderboard_heatmap", draw)
    with F.style():
        assert heatmap(table, tmp_path / "leaderboard.png", st.worse, st.blocks, st) is not None
        ((rows, texts),) = drawn
        assert rows[-1] == "boom (diverged 2/2)" and len(rows) == 4, rows
        assert texts[-2:] == ["–", "–"], texts  # its cells: "–", as a missing mean
        fig = F.draw_metric_points(st, "denoise")
        ax = fig.axes[0]
        assert "boom" in [t.get_text() for t in ax.get_yticklabels()]
        assert "diverged 2/2" in [t.get_text() for t in ax.texts], [t.get_text() for t in ax.texts]
        fig = F.draw_pd_plane(st)
        caption = " ".join(fig.legends[0].get_title().get_text().split())
        assert "Not drawn: denoise: boom (diverged 2/2)" in caption, caption


# ------------------------------------------------------------------------------------------------
# every CSV a report writes has its columns documented beside it
# ------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("no_report_figures")  # the report's CSVs are checked; its figures write none
def test_every_csv_column_a_report_writes_is_documented_beside_it(tmp_path):
    """A report wrote six CSVs (results, summary, ranks, costs, convergence, findings: 98 columns) and no word
    of what a column holds: ``p_best_adj``, ``no_spread``, ``vs_base``, ``complete``, ``n_common``,
    ``timed_with_warmup``, ``dz``, ``counted`` … were documented nowhere a reader of the files looks (some in
    docstrings, most not at all). The report now writes ``csv_columns.md`` beside them: per file, every
    column in its order with what it holds; the descriptions live in one registry
    (:data:`benchmark.export.CSV_COLUMNS`) that names exactly the columns each file has."""
    import pandas as pd

    from benchmark.export import CSV_COLUMNS
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4,
                        metrics=("psnr", "lpips"), diverged=("good",), budget_check=False)
    out = write_report(store, n_boot=20, formats=("png",), visual=False, html=False)
    doc = (tmp_path / "s" / "csv_columns.md").read_text()
    assert out["csv_columns"] == tmp_path / "s" / "csv_columns.md"
    csvs = sorted(p.name for p in (tmp_path / "s").glob("*.csv"))
    assert csvs == sorted(CSV_COLUMNS), csvs
    for name in csvs:
        header = list(pd.read_csv(tmp_path / "s" / name, nrows=0).columns)
        assert list(CSV_COLUMNS[name]) == header, (name, header)
        section = doc.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        for col in header:
            line = next((ln for ln in section.splitlines() if ln.startswith(f"| `{col}` |")), None)
            assert line is not None and len(line.split("|")[2].strip()) > 10, (name, col, line)
    # what it says of the values holds: results.csv reads back, through pandas, exactly as the store holds them
    import numpy as np

    key = ["run_id", "image", "metric"]
    back = pd.read_csv(tmp_path / "s" / "results.csv").sort_values(key).reset_index(drop=True)
    held = store.table().sort_values(key).reset_index(drop=True)
    assert len(back) == len(held) and np.array_equal(back["value"].to_numpy(), held["value"].to_numpy(float))


# ------------------------------------------------------------------------------------------------
# a metric that scored none of a loss's images is "not scored", not "0 runs": no smoke-test banner
# ------------------------------------------------------------------------------------------------
def _unscored_ssim(seeds):
    """l1, good, bad with ``seeds``; ssim NaN on every image of every run of bad (a metric that cannot
    score its outputs), so bad's ssim cell rests on no run while bad has every seed."""
    import numpy as np

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -0.7}, seeds=seeds, n_images=6,
                        metrics=("psnr", "ssim"))
    t.loc[(t["loss"] == "bad") & (t["metric"] == "ssim"), "value"] = np.nan
    return compute(t, n_boot=20)


def test_a_cell_no_run_could_score_does_not_make_the_leaderboard_a_smoke_test():
    """With 5 seeds of every loss and ssim unable to score any output of ``bad``, leaderboard.md opened with
    "Smoke test, not a ranking: bad with 0 run(s) where a verdict needs ≥ 5" and "Too few runs for a verdict on
    bad (denoise/ssim: 0 run(s))" — the whole table branded a smoke test for runs it has, while the
    non-finite note already says ssim scored none of bad's images. A cell resting on no run is a missing
    score ("–", the non-finite note), not a count of runs: no banner, no "0 run(s)"; the verdicts stand."""
    from benchmark.export import latex, markdown
    from benchmark.stats import smoke_test

    st = _unscored_ssim(tuple(range(5)))
    md = markdown(st)
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| bad | 5 |")]  # the case at hand: ssim "–"
    assert row.split(" | ")[3] == "–", row
    assert smoke_test(st) == "" and "Smoke test" not in md and "0 run" not in md, md[:2000]
    assert "Smoke test" not in latex(st) and "0 run" not in latex(st)
    assert "▲" in md  # the verdicts the runs support are there


def test_too_few_runs_counts_the_runs_a_loss_has_not_a_cell_none_could_score():
    """With 3 seeds the banner said "0 run(s) per loss where a verdict needs ≥ 5", and the metric plot's key
    "not tested: 0 run(s) per loss": every loss has 3. Both now say 3."""
    from benchmark.export import markdown

    st = _unscored_ssim((0, 1, 2))
    md = markdown(st)
    assert "3 runs per loss where a verdict needs ≥ 5" in md and "0 run" not in md, md[:1500]
    with F.style():
        fig = F.draw_metric_points(st, "denoise")
    keys = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "not tested: 3 runs per loss, a test needs ≥ 5" in keys, keys


# ------------------------------------------------------------------------------------------------
# a figure regenerated from the same results is the same file
# ------------------------------------------------------------------------------------------------
def test_pdf_and_svg_figures_are_byte_identical_when_redrawn(tmp_path):
    """Every report rewrote each PDF and SVG with new bytes from unchanged results — the PDF's CreationDate,
    the SVG's ``<dc:date>`` and its random element ids — so a results folder under version control showed every
    vector figure changed, and a figure could not be checked against a recorded hash as the CSVs, ``.md`` and
    ``.tex`` can. They are now written without a date and with fixed ids: the same results, the same bytes."""
    st = compute(synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4,
                                 metrics=("psnr", "lpips")), n_boot=20)
    first = {p.suffix: p.read_bytes() for p in F.rank_heatmap(st, tmp_path / "a" / "rank", ("png", "pdf", "svg"))}
    again = {p.suffix: p.read_bytes() for p in F.rank_heatmap(st, tmp_path / "b" / "rank", ("png", "pdf", "svg"))}
    assert b"/CreationDate" not in first[".pdf"] and b"<dc:date>" not in first[".svg"]
    assert first == again


# ------------------------------------------------------------------------------------------------
# a cell with no finite score says so in the figures, as "–" does in the tables
# ------------------------------------------------------------------------------------------------
def test_figures_say_why_a_loss_has_no_point_when_every_score_was_non_finite():
    """lpips NaN on every image of every run of ``bad``: the table prints "–" and the notes say why, but the
    metric plot left bad's lpips row empty without a word (its "not scored" text only covered a loss with no
    cell at all), and the P–D plane, placing bad at a NaN height, drew nothing and named nothing. The metric
    plot's row now reads "no finite score" and the P–D plane's "Not drawn" line names bad."""
    import numpy as np

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -0.7}, seeds=(0, 1), n_images=4,
                        metrics=("psnr", "lpips"))
    t.loc[(t["loss"] == "bad") & (t["metric"] == "lpips"), "value"] = np.nan
    st = compute(t, n_boot=20)
    cell = st.cells[(st.cells["label"] == "bad") & (st.cells["metric"] == "lpips")]
    assert len(cell) == 1 and np.isnan(cell["mean"].iloc[0])  # the case at hand: a cell with no mean
    with F.style():
        fig = F.draw_metric_points(st, "denoise")
        (lpips,) = [ax for ax in fig.axes if ax.get_title().startswith("lpips")]
        assert [t.get_text() for t in lpips.texts] == ["no finite score"], [t.get_text() for t in lpips.texts]
        fig = F.draw_pd_plane(st)
    (leg,) = fig.legends
    assert "bad" not in {x.get_text() for x in leg.get_texts()}
    caption = " ".join(leg.get_title().get_text().split())
    assert "Not drawn: denoise: bad (no finite lpips score)" in caption, caption


# ------------------------------------------------------------------------------------------------
# guard (passed before this probe): leaderboard.tex stays well-formed over awkward names and extremes
# ------------------------------------------------------------------------------------------------
AWKWARD = ["l1", "a_b", "x&y", "50%off", "#hash", "$money$", "c^2", "t~lde", "back\\slash", "{brace}", "a|b", "<lt>",
           "λ=0.5", "naïve", "100 % & 5 $ # _ ^ ~ \\ { }", LONG_A]


def _tex_problems(tex: str) -> list[str]:
    """Structural faults of a booktabs LaTeX export: unbalanced braces or math, an unescaped special outside
    math, a tabular row whose cells (``\\multicolumn`` spans counted) differ from its column spec, unmatched
    environments, a package used but not in the first line's ``\\usepackage`` comment."""
    body = "\n".join(re.sub(r"(?<!\\)%.*$", "", ln) for ln in tex.splitlines())
    plain = re.sub(r"\\[\\{}$&%#_^~]|\\textbackslash\{\}|\\textasciitilde\{\}|\\\^\{\}", "", body)  # escapes
    out = []
    depth = 0
    for ch in plain:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            out.append("a } closes nothing")
            depth = 0
    if depth:
        out.append(f"{depth} unclosed {{")
    for ln in plain.splitlines():
        if ln.count("$") % 2:
            out.append(f"odd $: {ln[:100]}")
        text = re.sub(r"\$[^$]*\$", "", ln)
        for ch in "#_^~":  # (a raw & is a cell too many, counted below)
            if ch in text and not (ch == "~" and "Table~" in ln):
                out.append(f"raw {ch}: {ln[:100]}")
    for m in re.finditer(r"\\begin\{tabular\}\{([^}]*)\}(.*?)\\end\{tabular\}", body, re.S):
        ncol = len(re.findall(r"[lrcp]", m.group(1)))
        for ln in (x.strip() for x in m.group(2).splitlines()):
            if ln.endswith("\\\\"):
                cells = len(re.findall(r"(?<!\\)&", re.sub(r"\{[^{}]*\}", "", ln))) + 1
                cells += sum(int(k) - 1 for k in re.findall(r"\\multicolumn\{(\d+)\}", ln))
                if cells != ncol:
                    out.append(f"{cells} cells, {ncol} columns: {ln[:100]}")
    for env in ("table", "tabular", "flushleft"):
        if body.count(rf"\begin{{{env}}}") != body.count(rf"\end{{{env}}}"):
            out.append(f"unmatched {env}")
    head = tex.splitlines()[0]
    for cmd, pkg in ((r"\toprule", "booktabs"), (r"\blacktriangle", "amssymb"), (r"\SI{", "siunitx"),
                     (r"\multirow", "multirow"), (r"\textcolor", "xcolor")):
        if cmd in body and pkg not in head:
            out.append(f"{cmd} needs {pkg}, not declared")
    return out


def test_latex_is_well_formed_over_awkward_names_and_extremes():
    """Every LaTeX special in loss names (``_ & % # $ ^ ~ \\ { }``), Greek and accented letters, a 62-character
    spec, a diverged loss, a loss worse than the input, a metric one loss lacks, NaN scores and eleven metrics
    (split tables) — and the checker finds the faults it is there for."""
    from benchmark.export import latex
    from benchmark.results import to_frame
    from benchmark.synthetic import synthetic_runs

    offs = {n: i * 0.1 for i, n in enumerate(AWKWARD)} | {"boom_%&": 0.0, "worse#1": -9.0}
    rows, metas = [], []
    for _, meta, rs in synthetic_runs(tasks=("denoise", "sr4"), offsets=offs, seeds=tuple(range(5)), n_images=3,
                                      metrics=("psnr", "ssim", "lpips", "ms_ssim", "dists", "vsi", "fsim", "gmsd",
                                               "nlpd", "vif", "mad"), budget_check=False):
        loss = meta.get("config", {}).get("loss")
        if loss == "boom_%&":
            meta, rs = {**meta, "status": "diverged"}, []
        rs = [r for r in rs if not (loss == "a|b" and r["metric"] == "ssim")]
        rs = [{**r, "value": float("nan")} if loss == "c^2" and r["metric"] == "psnr" else r for r in rs]
        rows += rs
        metas.append(meta)
    tex = latex(compute(to_frame(rows), metas, n_boot=20))
    assert tex.count(r"\begin{tabular}") > 3  # split tables, the ranking
    for name in ("a\\_b", "x\\&y", "50\\%off", "\\#hash", "\\$money\\$", "c\\^{}2", "t\\textasciitilde{}lde",
                 "back\\textbackslash{}slash", "\\{brace\\}", "$\\lambda$=0.5", "boom\\_\\%\\& & 0 & diverged 5/5",
                 "worse\\#1 (!)"):
        assert name in tex, name
    assert _tex_problems(tex) == []
    # the checker sees what it looks for
    assert _tex_problems("% needs \\usepackage{booktabs}\n\\begin{tabular}{lr}\na_b & 1 & 2 \\\\\n\\end{tabular}")
    assert _tex_problems("% x\n\\textbf{a\n") and len(_tex_problems("% x\na_b costs $x\n")) == 2


# ------------------------------------------------------------------------------------------------
# a CI over one run says that it holds no run-to-run spread
# ------------------------------------------------------------------------------------------------
def test_intervals_of_one_run_say_they_hold_no_run_to_run_spread():
    """With one seed per loss every cell printed ``25.71 [25.12, 26.19]`` under the legend "a bootstrap
    resampling images and seeds …, never narrower than Student's t with the run-to-run and image levels":
    with one run there is no seed to resample and no t interval (it needs 2 runs), so the interval is the
    image-to-image spread alone — narrower than a seed-to-seed difference can be (README: ℓ1 vs ℓ2 differ
    by about the seed-to-seed spread) — and nothing said so. The notes (md, tex, html) now say which
    cells rest on one run and that their intervals leave the run-to-run spread out."""
    from benchmark.export import latex, markdown, notes

    one = compute(synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=6,
                                  metrics=("psnr", "ssim")), n_boot=20)
    (line,) = [n for n in notes(one) if n.startswith("One run per cell")]
    assert "denoise (good, l1)" in line and "image-to-image spread alone" in line, line
    assert line in markdown(one) and "image-to-image spread alone" in latex(one)
    two = compute(synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=6,
                                  metrics=("psnr", "ssim")), n_boot=20)
    assert not [n for n in notes(two) if n.startswith("One run per cell")]


# ------------------------------------------------------------------------------------------------
# the visual grid names the losses it has no restoration of
# ------------------------------------------------------------------------------------------------
def test_visual_grid_names_a_loss_whose_every_run_diverged(tmp_path, monkeypatch):
    """The visual grid shows each loss's restoration of one crop; a loss whose every run diverged has no net
    to run, and its panel was simply absent: the grid read as the whole field. Its title now names it with
    its table status (``no restoration: boom (diverged 2/2)``), and ``make_figures`` hands the grid each
    task's lost losses."""
    import numpy as np
    from PIL import Image

    import benchmark.report as R
    from benchmark.data import DataSpec
    from benchmark.nets import build_net
    from benchmark.results import ResultsStore, atomic_write_json

    folder = tmp_path / "Set"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(folder / "im.png")
    store = ResultsStore(tmp_path / "store")
    store.ensure_writable()
    run = store.run_dir("r_l1")
    run.mkdir(parents=True, exist_ok=True)
    torch.save(build_net("tiny").state_dict(), run / "net.pt")
    cfg = {"task": "denoise", "task_params": {}, "test_data": [DataSpec.parse(str(folder), role="test").token()],
           "loss": "l1", "seed": 0, "net": "tiny"}
    atomic_write_json(run / "meta.json", {"run_id": "r_l1", "status": "ok", "config": cfg, "weights": "none"})
    titles = []
    monkeypatch.setattr(F, "draw_visual_grid",
                        lambda panels, title, crop, zoom, note="", **_: titles.append(title + note))
    monkeypatch.setattr(F, "save", lambda fig, base, formats: [base])
    F.visual_grid(store, "denoise", tmp_path / "fig", formats=("png",), lost={"boom": "diverged 2/2"})
    assert titles and titles[-1].endswith("; no restoration: boom (diverged 2/2)"), titles
    F.visual_grid(store, "denoise", tmp_path / "fig", formats=("png",))
    assert "no restoration" not in titles[-1]
    # the report's figures pass each task's lost losses (lost_labels) to its grid
    table, metas = _boom_stats()
    st = compute(table, metas, n_boot=20)
    seen = {}
    monkeypatch.setattr(F, "visual_grid", lambda store, t, base, formats, run_ids=None, lost=None:
                        seen.setdefault(t, lost) and [])
    for name in ("rank_heatmap", "cd_diagram", "pd_plane", "training_curves", "metric_points"):
        monkeypatch.setattr(F, name, lambda *a, **k: [])
    R.make_figures(st, store, metas, tmp_path / "figures", ("png",))
    assert seen == {"denoise": {"boom": "diverged 2/2"}}, seen

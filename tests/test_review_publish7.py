"""Review of the publish7 probe: defects its fixes left, each test failed before its fix."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_table

pytestmark = pytest.mark.usefixtures("one_thread")


def _unscorable(seeds=tuple(range(5)), thin=False):
    """l1, good, bad with ``seeds`` (and ``thin`` with 3 of them when asked); ssim NaN on every image of every run
    of bad, so bad's ssim cell rests on no run while bad has every seed."""
    offs = {"l1": 0.0, "good": 1.0, "bad": -0.7} | ({"thin": 0.2} if thin else {})
    t = synthetic_table(offsets=offs, seeds=seeds, n_images=6, metrics=("psnr", "ssim"))
    t = t[~((t["loss"] == "thin") & (t["seed"] >= 3))].reset_index(drop=True)
    t.loc[(t["loss"] == "bad") & (t["metric"] == "ssim"), "value"] = np.nan
    return compute(t, n_boot=20)


def test_friedman_note_does_not_count_a_cell_no_run_could_score_as_zero_runs():
    """The 0-run fix left the Friedman/Nemenyi note counting per loss over every cell: with bad's ssim unscorable
    (5 runs of bad) and thin at 3 runs, it said "bad (0 run(s)), thin (3 run(s)) where a verdict needs ≥ 5"."""
    from benchmark.export import friedman_text

    text = friedman_text(_unscorable(thin=True))
    assert "thin (3 runs)" in text and "0 run" not in text and "bad (" not in text, text


def test_metric_plot_key_does_not_call_an_unscorable_cell_too_few_runs():
    """Every loss has 5 runs and bad's ssim scored none of its images: the metric plot's key read "filled: not
    significantly worse than another, or too few runs to be tested (a test needs ≥ 5)", as though some loss had
    fewer than 5 runs (the cell with no run counted as 0 runs)."""
    with F.style():
        fig = F.draw_metric_points(_unscorable(), "denoise")
    keys = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "filled: not significantly worse than another" in keys, keys


def test_seeds_column_does_not_count_a_cell_no_run_could_score():
    """The tables' Seeds column of bad read "0–5": the unscorable ssim cell counted as a cell resting on 0 runs,
    which the banner and notes no longer say. It reads "5", the runs bad has; its ssim is "–"."""
    from benchmark.export import markdown

    md = markdown(_unscorable())
    (row,) = [ln for ln in md.splitlines() if ln.startswith("| bad | ") and ln.split(" | ")[3] == "–"]
    assert row.split(" | ")[1] == "5", row


def test_pd_plane_names_both_metrics_a_loss_has_no_finite_score_on():
    """A loss with no finite score on psnr nor lpips was named "(no finite psnr score)" alone: the caption said its
    lpips was fine. It names both."""
    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -0.7, "odd": 0.2}, seeds=(0, 1), n_images=4,
                        metrics=("psnr", "lpips"))
    t.loc[t["loss"] == "bad", "value"] = np.nan
    t.loc[(t["loss"] == "odd") & (t["metric"] == "psnr"), "value"] = np.nan  # and odd has no lpips at all
    t = t[~((t["loss"] == "odd") & (t["metric"] == "lpips"))].reset_index(drop=True)
    with F.style():
        fig = F.draw_pd_plane(compute(t, n_boot=20))
    caption = " ".join(fig.legends[0].get_title().get_text().split())
    assert "Not drawn: denoise: odd (lpips not scored, no finite psnr score); bad (no finite psnr or lpips score)" \
        in caption, caption


LONG_A = "ffl(alpha=1.0)+0.1*lpips+0.01*style(layers='relu1_2,relu2_2')"
LONG_B = "ffl(alpha=1.0)+0.1*lpips+0.01*style(layers='relu1_2,relu3_3')"


def test_a_cut_panel_name_never_reads_as_a_loss_the_title_names_lost():
    """wrap_labels kept apart only the names in one list: the visual grid cut LONG_A's panel to
    ``…layers='relu1_2,…`` while its title named LONG_B (every run diverged) as having no restoration — the one
    panel could be either loss's. A name cut to the same text as a name the figure gives elsewhere is wrapped
    whole."""
    import torch

    assert F.wrap_labels([LONG_A], 18, also=[LONG_B]) == [F.wrap_labels([LONG_A, LONG_B], 18)[0]]
    assert F.wrap_labels([LONG_A], 18, also=["l1"]) == [F.wrap_label(LONG_A, 18)]  # no clash: cut as before
    panels = [(n, torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(i)))
              for i, n in enumerate(["clean", "input", LONG_A])]
    with F.style():
        fig = F.draw_visual_grid(panels, "denoise: Set/im.png, 32×32 crop", 32, 8,
                                 f"; no restoration: {LONG_B} (diverged 2/2)", named=[LONG_B])
    titles = [ax.get_title().replace("\n", "") for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles == ["clean", "input", LONG_A], titles


def test_pd_plane_legend_never_cuts_a_name_to_one_its_caption_names():
    """The P–D plane's legend cut a 180-character sweep to 4 lines while its 'Not drawn' caption named the other
    sweep (no lpips), whose cut is the same text. The legend entry is the whole name."""
    sweep = ("0.5*l1 + 0.25*perceptual(layers='relu1_1,relu1_2,relu2_1,relu2_2,relu3_1,relu3_2,relu3_3,relu4_1', "
             "weights=(0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.5, {}))")
    a, b = sweep.format("0.5"), sweep.format("0.7")
    t = synthetic_table(offsets={"l1": 0.0, a: 0.4, b: 0.2}, seeds=(0, 1), n_images=4, metrics=("psnr", "lpips"))
    t = t[~((t["loss"] == b) & (t["metric"] == "lpips"))].reset_index(drop=True)
    with F.style():
        fig = F.draw_pd_plane(compute(t, n_boot=20))
    texts = [x.get_text() for x in fig.legends[0].get_texts()]
    assert "".join(a.split()) in ["".join(x.split()) for x in texts], texts


def test_save_writes_the_same_svg_outside_style(tmp_path):
    """The fixed SVG id salt lived in the drawing style's rcParams, so a figure drawn with the API and saved with
    :func:`benchmark.figures.save` outside :func:`benchmark.figures.style` got random ids again: the same figure,
    new bytes. save() fixes the salt itself, for its own write only (the caller's rcParams are left as they were)."""
    import matplotlib

    st = compute(synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4,
                                 metrics=("psnr", "lpips")), n_boot=20)
    salt = matplotlib.rcParams["svg.hashsalt"]
    got = []
    for where in ("a", "b"):
        with F.style():
            fig = F.draw_rank_heatmap(st)
        (p,) = F.save(fig, tmp_path / where / "rank", ("svg",))
        got.append(p.read_bytes())
    assert got[0] == got[1]
    assert matplotlib.rcParams["svg.hashsalt"] == salt


def test_every_csv_has_its_header_when_no_loss_was_scored(tmp_path):
    """Every run of every loss diverged: summary.csv and ranks.csv were written as a bare newline (no header:
    pandas raises EmptyDataError reading them) while csv_columns.md says every file has a header row and listed
    no column for them. Each CSV now has its documented header, with no rows."""
    import pandas as pd

    from benchmark.export import CSV_COLUMNS
    from benchmark.report import write_report
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path / "s")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"boom": 0.0, "bang": 0.0}, seeds=(0, 1), n_images=2,
                                          metrics=("psnr",), budget_check=False):
        if meta.get("config", {}).get("loss") in ("boom", "bang"):
            meta, rows = {**meta, "status": "diverged"}, []
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    write_report(store, n_boot=20, formats=("png",), visual=False, html=False)
    doc = (tmp_path / "s" / "csv_columns.md").read_text()
    for name in ("summary.csv", "ranks.csv"):
        frame = pd.read_csv(tmp_path / "s" / name)
        assert frame.empty and list(frame.columns) == list(CSV_COLUMNS[name]), (name, list(frame.columns))
        assert f"| `{next(iter(CSV_COLUMNS[name]))}` |" in doc.split(f"## {name}\n", 1)[1]


def test_leaderboard_figure_gives_a_lost_loss_its_row_without_an_order():
    """draw_leaderboard_heatmap(boards, lost=…) drew no row for a lost loss unless the caller also built a row
    order holding it (only report.heatmap did): the documented ``boom (diverged 2/2)`` row was silently absent.
    The figure now adds each lost loss after the others itself."""
    import pandas as pd

    board = pd.DataFrame({"psnr (dB) ↑": [20.0, 26.0, 27.0]}, index=["input", "l1", "good"])
    with F.style():
        fig = F.draw_leaderboard_heatmap({"denoise": board}, lost={("denoise", "boom"): "diverged 2/2"})
    (ax,) = [x for x in fig.axes if x.get_title() == "denoise"]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[-1] == "boom (diverged 2/2)" and len(rows) == 4, rows

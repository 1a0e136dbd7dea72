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
    assert "thin (3 run(s))" in text and "0 run(s)" not in text and "bad (" not in text, text


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

"""Probe zblau (round 21): the Blau & Michaeli finding's wording for lower-is-better metrics, and the
perception–distortion plane's one-run key decided over the cells it draws."""

from __future__ import annotations

import re
import warnings

import pytest

from benchmark.findings import check_all, to_markdown
from benchmark.synthetic import synthetic_table

R16 = "vgg16:random(seed=0)"
FIVE = tuple(range(5))


def _blau(offsets, metrics=("psnr", "niqe")):
    t = synthetic_table(tasks=("sr4",), metrics=metrics, offsets={"l2": 0.0, "vgg": offsets}, weights={"vgg": R16},
                        seeds=FIVE, n_images=16, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["blau2018_pd_tradeoff"], n_boot=100)
    return r


@pytest.mark.parametrize("metric", ["niqe", "lpips"])
def test_blau_reads_right_for_a_lower_is_better_perception_metric(metric):
    """Was: the finding's refuted_by read "a deep-feature loss scoring below ℓ2 on the perception axis, or above it
    on PSNR" and its parts' notes named no direction, so with niqe (or lpips, dists, gmsd, nlpd: lower is better) a
    reader took a lower — better — score for the refutation. Now every sentence it prints says better/worse and each
    part's note names its metric's direction; the verdicts treat a lower-is-better metric right (offsets here are in
    'better' units: +1 is a better score, a lower niqe)."""
    trade = _blau({metric: 1.0, "psnr": -1.0}, metrics=("psnr", metric))
    assert trade.verdict in ("reproduced", "out of regime"), trade.verdict
    perception = [p for p in trade.parts if p.metric == metric]
    assert perception and all(p.effect > 0 for p in perception)  # a lower niqe/lpips is A better
    assert all(p.verdict in ("reproduced", "out of regime") for p in perception)
    worse = _blau({metric: -1.0, "psnr": -1.0}, metrics=("psnr", metric))
    assert all(p.effect < 0 for p in worse.parts if p.metric == metric)
    if metric == "niqe":  # no-reference: in the paper's regime, a worse niqe goes against the reading, not the paper
        assert worse.verdict == "inconclusive" and any(p.verdict == "contradicted" for p in worse.parts)
        assert "not the paper" in worse.verdict_text, worse.verdict_text  # was "mixed": tests/test_probe_verdicts22
    text = to_markdown([trade, worse])
    said = " ".join([trade.claim, trade.refuted_by, *(p.note for r in (trade, worse) for p in r.parts)])
    assert not re.search(r"\b(below|above|higher|lower) (than )?ℓ2|scoring (below|above)", said), said
    assert "worse than ℓ2 on the perception axis" in trade.refuted_by, trade.refuted_by
    for p in trade.parts:
        assert ("lower is better" if p.metric == metric else "higher is better") in p.note, p.note
    assert f"{metric}: lower is better" in text


def _keys(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def _figure_keys(table, **points):
    import matplotlib.pyplot as plt

    from benchmark import figures as F
    from benchmark.stats import compute

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = compute(table, n_boot=20)
        with F.style():
            fig = F.draw_pd_plane(stats) if not points else F.draw_metric_points(stats, "denoise", **points)
    keys = _keys(fig)
    plt.close(fig)
    return keys


def _one_seed(t, keep):
    """``t`` without the second run's rows where ``keep`` (a boolean mask) is False: those cells rest on one run."""
    return t[keep | (t["seed"].fillna(0).astype(int) != 1)].reset_index(drop=True)


@pytest.mark.parametrize("case", ["task not drawn", "loss not drawn", "metric not on the plane", "drawn cell"])
def test_pd_plane_s_one_run_key_is_decided_over_the_cells_it_draws(case):
    """Was: the plane's key read "bars: 95% CI (one run: over images alone)" when any loss of any of its tasks
    had a one-run cell on any metric — a task left out of the plane (no lpips), a loss not placed (no lpips score),
    a metric not on its axes — though every point it drew rested on two runs. Now it is decided over the drawn
    points' cells (their task, loss, and the plane's two metrics) alone; a drawn one-run cell still says it."""
    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "vgg": 0.5, "pdl": 0.3}, metrics=("psnr", "lpips", "vsi"),
                        seeds=(0, 1), n_images=6, seed=3, tasks=("denoise", "sr4"))
    t = t[~((t["task"] == "sr4") & (t["metric"] == "lpips"))]  # sr4: no panel
    t = t[~((t["loss"] == "pdl") & (t["metric"] == "lpips"))]  # pdl: no point
    one = {"task not drawn": t["task"] == "sr4", "loss not drawn": t["loss"] == "pdl",
           "metric not on the plane": t["metric"] == "vsi",
           "drawn cell": (t["loss"] == "vgg") & (t["metric"] == "lpips") & (t["task"] == "denoise")}[case]
    keys = _figure_keys(_one_seed(t, ~one))
    if case == "drawn cell":
        assert "bars: 95% CI (one run: over images alone)" in keys, keys
    else:
        assert "bars: 95% CI" in keys and not any("images alone" in k for k in keys), keys


def test_metric_points_part_s_one_run_key_is_decided_over_its_own_panels():
    """Was: a part of a metric-points figure (``metrics=``: some panels only) said "bars of a one-run cell: over
    images alone" for a one-run cell of a panel it does not draw. Now only its own panels' cells decide it."""
    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "vgg": 0.5}, metrics=("psnr", "lpips"), seeds=(0, 1),
                        n_images=6, seed=3)
    t = _one_seed(t, ~((t["loss"] == "vgg") & (t["metric"] == "lpips")))
    assert not any("images alone" in k for k in _figure_keys(t, metrics=["psnr"]))
    assert any("images alone" in k for k in _figure_keys(t, metrics=["lpips"]))

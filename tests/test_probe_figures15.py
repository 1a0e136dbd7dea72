"""Probe of the published figures, tables and report (figures15): awkward synthetic stores drawn and written."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (pandas and matplotlib through :mod:`benchmark.figures`): once for
    the file, not in the first test's time."""
    import benchmark.export  # noqa: F401
    import benchmark.figures  # noqa: F401


def test_tied_losses_and_a_legends_user_losses_go_in_natural_order_l2_before_l10():
    """Equal mean ranks were listed by name as strings, and a legend's user losses (a weight sweep) by string too:
    ``l1 + 10*vgg`` before ``l1 + 2*vgg``, ``w10`` before ``w2``. A number in a name is read as a number: 0.5, 2, 10."""
    from benchmark.figures import loss_styles
    from benchmark.stats import name_key, rank_order

    assert rank_order({"w10": 1.0, "w2": 1.0, "w1": 1.0, "best": 0.5, "none": float("nan")}) == [
        "best", "w1", "w2", "w10", "none"]
    sweep = ["l1 + 10*vgg", "l1 + 2*vgg", "l1 + 0.5*vgg", "l1 + 0.05*vgg", "l1 + 2*vgg [vgg16:random]"]
    styles = loss_styles(sweep)
    assert [s for s in styles if s != "input"] == [
        "l1 + 0.05*vgg", "l1 + 0.5*vgg", "l1 + 2*vgg", "l1 + 2*vgg [vgg16:random]", "l1 + 10*vgg"]
    assert sorted(["w10", "w02", "a", "A", "w2"], key=name_key) == ["A", "a", "w02", "w2", "w10"]
    from benchmark.export import JS

    assert "nameCmp" in JS  # report.html's click-to-sort on the loss column: l2 before l10, as the tables (name_key)


def _title_boxes(fig):
    """The drawn panel titles' boxes (display units) of ``fig``."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return [ax.title.get_window_extent(r) for ax in fig.axes if ax.get_title()]


@pytest.mark.slow
def test_a_long_task_name_is_wrapped_to_its_panel_not_run_off_the_canvas_or_past_the_page():
    """A plugin task's name (``super_resolution_x4_bicubic_then_jpeg_q10``) was each P–D plane's and training-curve
    panel's title as it was: at a row's last panel of four tasks it ran past the canvas (the P–D plane grown to
    8.2 in, past the page's 7.2, to hold it). The name is wrapped to its panel's share of the figure's width."""
    import matplotlib.pyplot as plt

    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("deblur_motion_kernel_levin_2009", "denoise_poisson_gaussian_mixture_σ",
                     "super_resolution_x4_bicubic_then_jpeg_q10", "t4"),
              offsets={"l1": 0.0, "l2": 0.2}, seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    metas = [m for _, m, _ in synthetic_runs(**kw, budget_check=False)]
    stats = compute(synthetic_table(**kw), metas, n_boot=10)
    with F.style():
        for fig in (F.draw_pd_plane(stats), F.draw_training_curves(metas)):
            boxes, width = _title_boxes(fig), fig.bbox.width
            assert len(boxes) == 4 and all(0 <= b.x0 and b.x1 <= width for b in boxes), [(b.x0, b.x1) for b in boxes]
            assert width <= F.COL2 * fig.dpi + 1, width / fig.dpi
            assert "super_resolution_x4_bicubic_\nthen_jpeg_q10" in [ax.get_title() for ax in fig.axes]
            plt.close(fig)


@pytest.mark.slow
def test_the_leaderboard_figure_marks_a_loss_ranked_over_fewer_blocks_as_its_tables_and_rank_heatmap_do(
        tmp_path, monkeypatch):
    """A loss not scored on one metric of one task is ranked over fewer (task, metric) blocks: the overall ranking and
    the rank heatmap list it last with ``*`` and say why. ``leaderboard.png`` took that order for every panel but
    unmarked: in the task it was scored whole its row sat under losses its numbers beat (``l10`` below ``bad``),
    with nothing to say why. Its row name carries the ``*`` and the title says what it means."""
    from benchmark import figures as F
    from benchmark.report import heatmap
    from benchmark.results import to_frame
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs

    kw = dict(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "bad": -1.0, "l10": 0.5}, seeds=(0,), n_images=3,
              metrics=("psnr", "lpips"), budget_check=False)
    runs = list(synthetic_runs(**kw))
    rows = [r for _, _, rs in runs for r in rs
            if not (r["task"] == "sr4" and r["loss"] == "l10" and r["metric"] == "lpips")]
    table = to_frame(rows)
    stats = compute(table, [m for _, m, _ in runs], n_boot=10)
    drawn = {}

    def keep(fig, base, formats=("png",)):
        fig.canvas.draw()
        drawn["rows"] = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
        said = (fig._suptitle, fig._supxlabel)  # the title and, under the figure, its key (fit_title)
        drawn["title"] = " ".join(t.get_text() for t in said if t is not None).replace("\n", " ")
        return []

    monkeypatch.setattr(F, "save", keep)
    heatmap(table, tmp_path / "leaderboard.png", stats=stats)
    assert drawn["rows"][:4] == ["input", "l1", "bad", "l10 *"], drawn["rows"]
    assert "*: ranked over fewer (task, metric) blocks" in drawn["title"], drawn["title"]


def test_a_metric_no_run_could_score_leaves_the_budget_check_to_the_others_not_every_run_unconverged(caplog):
    """A metric with no finite score in any run (ssim NaN for every image: the metric could not score the outputs)
    made every arm's budget check on it 'unclear', so every run of the leaderboard was 'not shown converged' and its
    banner read 'Smoke test, not a ranking: 6 of 6 runs not shown converged', with a warning per arm that 'not every
    run scored on every test image; bounds over 0 of 3 runs × 0 of 3 images'. A metric with no finite change is no
    evidence either way: left out of the check (as one without a practical margin), said once."""
    import logging

    import numpy as np
    import pandas as pd

    from benchmark.convergence import CONVERGED, arm_budget

    rows = []
    for loss in ("l1", "bad"):
        for run in range(3):
            for item in range(3):
                for metric, gain in (("psnr", 0.001 * (run - 1) + 0.0005 * (item - 1)), ("ssim", np.nan)):
                    rows.append({"setting": "s", "task": "denoise", "loss": loss, "weights_kind": "none",
                                 "loss_version": "", "metric": metric, "run_id": f"{loss}{run}", "item": f"i{item}",
                                 "gain": gain})
    with caplog.at_level(logging.INFO, logger="benchmark.convergence"):
        arms = arm_budget(pd.DataFrame(rows))
    assert set(arms["metric"]) == {"psnr"} and (arms["status"] == CONVERGED).all(), arms
    said = [r.getMessage() for r in caplog.records]
    assert not any("not every run scored" in m for m in said), said
    assert sum("ssim" in m for m in said) == 1 and "no finite" in " ".join(said), said


def test_a_column_no_run_could_score_is_one_short_note_not_every_loss_listed():
    """A metric that scored no image at all (NaN everywhere: nlpd on images too small for it) was noted per loss, as
    a column with a few bad images is: 'denoise/nlpd (every loss on the 0 of 3 images) — bad: 3 (NaN; every image of
    1 run, seed 0: that run is left out of the column); good: …', every loss of every task, 60 losses × 5 tasks a
    wall of text in the notes of leaderboard.md, .tex and report.html. Such columns are named once, together."""
    from benchmark.results import to_frame
    from benchmark.stats import nonfinite_lines
    from benchmark.synthetic import synthetic_runs

    kw = dict(tasks=("denoise", "sr4"), offsets={f"loss{i}": 0.1 * i for i in range(6)}, seeds=(0,), n_images=3,
              metrics=("psnr", "nlpd"), budget_check=False)
    rows = [{**r, "value": float("nan")} if r["metric"] == "nlpd" or (r["loss"] == "loss1" and r["image"] == "img0000"
                                                                      and r["metric"] == "psnr") else r
            for _, _, rs in synthetic_runs(**kw) for r in rs]
    (line,) = nonfinite_lines(to_frame(rows))
    assert "denoise/nlpd, sr4/nlpd: no finite score in any run (NaN), the input's included: an empty column" in line
    assert "0 of 3 images" not in line and line.count("loss3") == 0, line
    assert "denoise/psnr (every loss on the 2 of 3 images) — loss1: 1 (NaN)" in line, line


@pytest.mark.slow
def test_the_converged_note_names_a_metric_left_out_of_the_check_for_having_no_finite_score():
    """A metric that scored nothing is left out of the budget check (no evidence either way), but the leaderboard's
    'Converged: … within ± every metric's practical margin' then read true of it too: it is named as the metrics
    without a margin are ('nlpd not checked for convergence (no finite score)')."""
    from benchmark.export import unchecked_metrics_text
    from benchmark.results import to_frame
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs

    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), n_images=3,
              metrics=("psnr", "nlpd", "mad"), budget_check=False)
    runs = list(synthetic_runs(**kw))
    rows = [{**r, "value": float("nan")} if r["metric"] == "nlpd" else r for _, _, rs in runs for r in rs]
    text = unchecked_metrics_text(compute(to_frame(rows), [m for _, m, _ in runs], n_boot=10))
    assert "mad not checked for convergence (no practical margin registered" in text, text
    assert "nlpd not checked for convergence (no finite score" in text, text
    assert "psnr" not in text, text

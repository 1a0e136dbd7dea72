"""Published figures, tables and the report on awkward inputs (session 19)."""

from __future__ import annotations

import pytest

from benchmark import figures as F

#: the rank heatmap's key where every mark is drawn (a smoke test, a column ranking fewer losses, a loss without every
#: block, a cell with no score): the caption that broke "(no" from "score)"
RANK_KEY = ("Smoke test, not a ranking: 18 of 18 runs not shown converged; 3 runs per loss where a verdict needs ≥ 5. "
            "colour: rank scaled per column, its best to its worst (in brackets: the losses it ranks); all: the "
            "overall ranking's mean rank over the blocks most losses have, text and colour (1 = best, 6 = worst); "
            "*: not every (task, metric) block, a mean over fewer blocks and rivals, not comparable; –: not ranked "
            "there (no score).")


def _phrases(text: str) -> list[str]:
    """Every bracketed phrase of ``text``, innermost ones too."""
    out, opened = [], []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            out.append(text[opened.pop():i + 1])
    return out


def test_a_wrapped_caption_never_breaks_inside_a_bracketed_phrase_that_fits_a_line():
    """Was: the rank heatmap's caption ended '–: not ranked' / 'there (no' / 'score).' and broke '(in brackets: the'
    from 'losses it ranks)': the line breaker (figures._break_lines, behind every title and caption) broke at any
    space. A bracketed phrase that fits on a line is now kept on one, whatever the width; only one longer than a line
    is broken, and no character changes."""
    for chars in range(20, 90):
        lines = F._break_lines(RANK_KEY, chars).split("\n")
        assert " ".join(lines) == RANK_KEY
        assert all(len(line) <= chars for line in lines), (chars, lines)
        for phrase in _phrases(RANK_KEY):
            if len(phrase) + 1 <= chars:  # with the ";" or "." that follows it
                assert any(phrase in line for line in lines), (chars, phrase, lines)


def test_the_rank_heatmaps_caption_keeps_no_score_on_one_line():
    """The same, as the figure's caption is fitted to its measured width (fit_title, 7 pt)."""
    with F.style() as plt:
        for width in (3.0, 4.4, 5.2):
            fig = plt.figure(figsize=(width, 3))
            fig.set_dpi(F.PNG_DPI)
            _, caption, _ = F.fit_title(fig, "Mean rank over each task's metrics", key=RANK_KEY)
            plt.close(fig)
            lines = caption.split("\n")
            for phrase in ("(no score)", "(in brackets: the losses it ranks)", "(1 = best, 6 = worst)"):
                assert any(phrase in line for line in lines), (width, phrase, lines)


def _board(metrics, tasks=("denoise",)):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return {t: pd.DataFrame({m: rng.normal(25, 2, 4) for m in metrics}, index=["input", "l1", "l2", "ssim"])
            for t in tasks}


def test_a_one_metric_leaderboard_has_no_gap_above_its_colour_bar():
    """Was: a one-metric leaderboard.png set its one column's name upright under a 2-in wide column, in a 0.9-in band
    kept for names, 0.78 in between the cells and the colour bar's label, most of it white beside a word. Names that
    fit their columns with room to spare are now set across them, in a band as tall as they are: 0.32 in, measured as
    drawn; nothing overlaps or leaves the canvas."""
    from test_figure_layout import layout_problems

    tasks = ("denoise",)
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(_board(["psnr ↑"], tasks))
        r = fig.canvas.get_renderer()
        panel = [a for a in fig.axes if a.get_title() in tasks][-1]
        label = next(t for t in fig.findobj(lambda a: hasattr(a, "get_text"))
                     if str(t.get_text()).startswith("change from the degraded input"))
        name = next(t for t in panel.get_xticklabels() if t.get_visible() and t.get_text())
        white = (panel.get_window_extent(r).y0 - label.get_window_extent(r).y1) / fig.dpi
        box = name.get_window_extent(r)
        problems = layout_problems(fig)
        plt.close(fig)
    assert name.get_text() == "psnr (dB) ↑" and box.width > box.height, "the name across its column"
    assert white <= 0.45, f"{white:.2f} in between the cells and the colour bar's label"
    assert problems == [], problems


@pytest.mark.slow  # compare's summary, its statistics and findings: 2.5 s on a loaded 2-core machine
def test_compares_summary_says_the_test_sets_are_pooled(tmp_path, monkeypatch):
    """Was: `plbench compare` scored on two test sets (`--test-data natural medical`) printed its verdicts and ranks
    over both sets' images with nothing said, where the leaderboard's notes say the marks pool the sets. Its task
    notes now say it in the same words, naming each set with its images; a board of one set says nothing of it."""
    import warnings

    from conftest import two_seed_store

    from benchmark.compare import _summary

    store = two_seed_store(tmp_path, monkeypatch,
                           datasets=lambda r: "medical" if r["image"] >= "img0003" else "natural")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text, _ = _summary(store, {"sr4": [m for m in store.metas() if m.get("config")]}, ["mine"], {"sr4": []},
                           0.05, 20, "l1", ())
    text = " ".join(text.split())
    assert "Test sets pooled: every cell's mean, interval, bold and" in text, text[:3000]
    assert "medical (2 images), natural (3 images)" in text


@pytest.fixture(scope="module")
def failed_vgg():
    """One task, l1, good and bad scored over 5 seeds, and vgg, whose 3 runs all failed: nothing of it to rank."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0}, seeds=range(5), n_images=3,
              metrics=("psnr", "ssim"), budget_check=False)
    setting = {"task": "denoise", "task_params": {"sigma": 0.1}, "net": "tiny", "iterations": 150,
               "code_version": "0.1.0+c1"}
    failed = [{"run_id": f"vgg{s}", "status": "failed", "error": "RuntimeError: boom", "setting": setting,
               "config": {"task": "denoise", "loss": "vgg", "seed": s, "iterations": 150}} for s in range(3)]
    return compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(**kw)] + failed, n_boot=5)


@pytest.mark.parametrize("figure", ["rank", "cd"])
def test_the_ranking_figures_name_a_loss_whose_every_run_failed(failed_vgg, figure):
    """Was: a loss whose every run failed was named by the leaderboard figure ('vgg (failed 3/3)'), the P–D plane
    ('Not drawn: vgg (failed 3/3)'), the metrics figure and the tables ('Not ranked — every run failed: vgg (denoise
    3/3)' under the overall ranking), but the rank heatmap and the CD diagram — the overall ranking drawn — left it out
    unsaid, as if it had never been run. Both now say it under the figure, in the tables' words."""
    from test_figure_layout import layout_problems

    from benchmark.export import not_ranked_text

    said = not_ranked_text(failed_vgg).rstrip(".")
    assert said == "Not ranked — every run failed: vgg (denoise 3/3)", said
    with F.style() as plt:
        fig = F.draw_rank_heatmap(failed_vgg) if figure == "rank" else F.draw_cd_diagram(failed_vgg)
        caption = " ".join(fig.get_supxlabel().split())
        problems = layout_problems(fig)
        plt.close(fig)
    assert said in caption, caption
    assert problems == [], problems


def test_the_leaderboard_figure_does_not_say_starred_losses_are_listed_last_when_every_loss_is_starred():
    """Was: two tasks trained with disjoint loss sets (no (task, metric) block every loss has) starred every row of
    leaderboard.png and its key said "*: ranked over fewer (task, metric) blocks, listed last" — false, every loss
    was starred and none listed after another for it. The key now says what the tables say: no block is every
    loss's, so no mean rank compares them; where some losses have every block it still says the starred are last."""
    boards = {**_board(["psnr ↑"], ("denoise",)), **_board(["psnr ↑"], ("sr4",))}
    boards["denoise"].loc[["l2", "ssim"]] = float("nan")  # denoise: l1 alone; sr4: l2 and ssim alone
    boards["sr4"].loc["l1"] = float("nan")
    with F.style() as plt:
        keys = []
        for partial in (("l1", "l2", "ssim"), ("l1",)):
            fig = F.draw_leaderboard_heatmap(boards, partial=partial)
            keys.append(" ".join(fig.get_supxlabel().split()))
            plt.close(fig)
    assert "listed last" not in keys[0], keys[0]
    assert "*: no (task, metric) block is every loss's: each ranked over its own, none comparable" in keys[0], keys[0]
    assert "*: ranked over fewer (task, metric) blocks, listed last" in keys[1], keys[1]


def test_the_training_curves_title_takes_two_lines_and_the_smoothing_heads_its_key():
    """Was: the training curves' title was a 3-line paragraph on one task's 3.5-in figure ("Training loss, moving
    average over 5 logged values," / "relative to its first value" / "(mean over 3 seeds; band: min–max)"), where
    every other figure's title takes at most 2 lines. Its title now says what is drawn and over which seeds, fitted
    (fit_title); how the curves are smoothed heads their key, under the panels."""
    from test_figure_layout import layout_problems
    from test_probe_report18 import _title_lines

    from benchmark.synthetic import synthetic_runs

    metas = [m for _, m, _ in synthetic_runs(offsets={"l1": 0.0, "ℓ1_ünïcode": 0.3, "Ωmega loss (plugin)": 0.2},
                                             n_images=2, budget_check=False)]
    with F.style() as plt:
        fig = F.draw_training_curves(metas)
        fig.draw_without_rendering()
        title = fig._suptitle.get_text().replace("\n", " ")
        key = " ".join(fig.legends[0].get_title().get_text().split())
        lines = _title_lines(fig, fig._suptitle)
        problems = layout_problems(fig)
        plt.close(fig)
    assert lines <= F.TITLE_LINES, title
    assert title == "Training loss relative to its first value (mean over 3 seeds; band: min–max)", title
    assert key == "Each curve a moving average over 5 logged values.", key
    assert problems == [], problems


def test_a_one_task_rank_heatmap_sets_its_column_names_across(failed_vgg):
    """Was: one task's rank heatmap stood 'denoise' and 'all' upright under columns twice as wide as the words, a
    band of white beside them between the cells and the caption. Column names that fit their columns with room to
    spare are now set across them, the figure shorter by what that frees, measured as drawn; nothing overlaps."""
    from test_figure_layout import layout_problems

    with F.style() as plt:
        fig = F.draw_rank_heatmap(failed_vgg)
        r = fig.canvas.get_renderer()
        ax = fig.axes[0]
        names = [t for t in ax.get_xticklabels() if t.get_text()]
        below = (ax.get_window_extent(r).y0 - fig._supxlabel.get_window_extent(r).y1) / fig.dpi
        across = all(t.get_window_extent(r).width > t.get_window_extent(r).height for t in names)
        problems = layout_problems(fig)
        plt.close(fig)
    assert [t.get_text() for t in names] == ["denoise", "all"] and across, "the names across their columns"
    assert below <= 0.35, f"{below:.2f} in between the cells and the caption"
    assert problems == [], problems

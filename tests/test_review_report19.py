"""Review of session 19's report fixes (probe-report): the shared line breaker, caption sentences."""

from __future__ import annotations

import pytest

from benchmark import figures as F


@pytest.mark.parametrize("text, shortest", [
    # Was: a bracketed phrase that fits a line was glued with what touches it, but the comparison sign glued before
    # it ("needs ≥ (five runs per loss)", 28 characters) was not counted as touching it ("\u00a0" is whitespace to
    # str.isspace), so at 20 characters the run was longer than a line and cut inside a word: "… (five runs p" over
    # "er loss)". What touches a phrase is now everything up to a breakable space; a run longer than a line is not
    # glued, and no line breaks inside a word.
    ("aaaa bbbb cccc needs ≥ (five runs per loss) and more and more words to wrap over lines", 14),
    # Two phrases touching each other ("(a b)(c d)") make one run once both are glued: each is measured with what is
    # already glued beside it, so no run of glued phrases is longer than a line, nor cut inside a word.
    ("some words first (alpha beta)(gamma delta)[eps zeta] then more words to wrap over lines", 12),
], ids=["glued to a comparison sign", "adjacent phrases"])
def test_glued_bracketed_phrases_stay_within_a_line_and_are_never_cut_inside_a_word(text, shortest):
    """A bracketed phrase glued with what touches it (a comparison sign, another phrase) is wrapped at every line
    width from ``shortest`` to 39 characters with every word kept and no line longer than the width."""
    for chars in range(shortest, 40):
        lines = F._break_lines(text, chars).split("\n")
        assert " ".join(lines) == text, (chars, lines)
        assert all(len(line) <= chars for line in lines), (chars, lines)


def test_a_caption_keeps_a_loss_name_that_opens_a_sentence_as_written():
    """Was (86bb290): fit_title opened every part of a caption with a capital, so a key that opens with a loss's name
    — the CD diagram's, where the test is descriptive only and a loss short of runs everywhere is left out of it —
    printed "Bad (3 runs) is left out of the test", a name the tables print as "bad" ("l1", "lpips" alike). A
    caption's parts are as written; the figure whose key opens with its own word says it with a capital."""
    with F.style() as plt:
        fig = plt.figure(figsize=(4.4, 3))
        fig.set_dpi(F.PNG_DPI)
        for name in ("bad", "l1", "lpips"):
            key = f"{name} (3 runs) is left out of the test: fewer than 5 runs in every block"
            _, caption, _ = F.fit_title(fig, "Mean rank over 2 (task, metric) blocks", key=key)
            assert " ".join(caption.split()) == key + ".", caption
        plt.close(fig)


def test_the_rank_heatmaps_key_opens_its_sentence_with_a_capital():
    """The rank heatmap of tasks ranking different numbers of losses printed "… needs ≥ 5." over "colour: rank scaled
    per column, …" (86bb290's case): its key, its own words, opens with a capital ("Colour:") — said by the figure,
    not by fit_title for every caption (above)."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise", "deblur"), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0}, seeds=range(5), n_images=3,
              metrics=("psnr",), budget_check=False)
    table = synthetic_table(**kw)
    keep = ~((table["task"] == "deblur") & (table["loss"] == "bad"))  # deblur ranks 2 losses, denoise 3: scaled

    def kept(m):
        cfg = m.get("config") or {}
        return not (cfg.get("task") == "deblur" and cfg.get("loss") == "bad")

    stats = compute(table[keep], [m for _, m, _ in synthetic_runs(**kw) if kept(m)], n_boot=5)
    with F.style() as plt:
        fig = F.draw_rank_heatmap(stats)
        caption = " ".join(fig._supxlabel.get_text().split())
        plt.close(fig)
    assert ". Colour: rank scaled per column" in caption, caption


def test_the_training_curves_name_a_loss_whose_every_run_stopped_before_logging_its_loss():
    """Was: a loss whose every run failed before logging any training loss had no curve and was in no panel of the
    training curves, left out unsaid, where the ranking figures and the tables name it ("Not ranked — every run
    failed: vgg (denoise 3/3)"). The figure's caption now names it, per task where it has no curve; a loss with
    curves is not named."""
    from benchmark.synthetic import synthetic_runs

    metas = [m for _, m, _ in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0}, seeds=range(2),
                                             n_images=2, metrics=("psnr",), budget_check=False)]
    failed = [{"run_id": f"vgg{s}", "status": "failed", "error": "RuntimeError: boom", "loss_curve": [],
               "config": {"task": "denoise", "loss": "vgg", "seed": s, "iterations": 150}} for s in range(3)]
    with F.style() as plt:
        fig = F.draw_training_curves(metas + failed)
        legend = fig.legends[0] if fig.legends else None
        texts = [fig._suptitle.get_text()] + ([legend.get_title().get_text()] if legend else [])
        plt.close(fig)
    text = " ".join(" ".join(texts).split())
    assert "No curve — every run failed before logging its loss: vgg (denoise 3/3)" in text, text
    assert "l1 (" not in text and "good (" not in text, text


def test_the_cd_diagrams_tied_losses_across_its_columns_draw_their_markers_apart():
    """Was: a loss of the left column and one of the right tied on one mean rank (l1 and l2 at 3.00), at one height,
    drew their corner markers on one point, the right one's hiding the left one's. The right column now starts half a
    row lower where that happens: every loss's marker is drawn apart from the others'."""
    from test_figure_layout import layout_problems

    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "l1_twin": 0.0, "l2": 0.0, "good": 1.0, "bad": -1.0},
              seeds=range(5), n_images=3, metrics=("psnr", "ssim"), budget_check=False, noise=0.0)
    stats = compute(synthetic_table(**kw), [m for _, m, _ in synthetic_runs(**kw)], n_boot=5)
    assert stats.friedman["ranks"]["l1"] == stats.friedman["ranks"]["l2"]  # the tie across the columns
    with F.style() as plt:
        fig = F.draw_cd_diagram(stats)
        ax = fig.axes[0]
        corners = [tuple(ax.transData.transform((ln.get_xdata()[1], ln.get_ydata()[1])) / fig.dpi)
                   for ln in ax.lines if len(ln.get_xdata()) == 3 and ln.get_marker() not in ("None", "", None)]
        problems = layout_problems(fig)
        plt.close(fig)
    assert len(corners) == 5, corners
    apart = [((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5
             for i, (x1, y1) in enumerate(corners) for x2, y2 in corners[i + 1:]]
    assert min(apart) >= 4 / 72, f"markers {min(apart):.3f} in apart"  # 4-pt markers
    assert problems == [], problems

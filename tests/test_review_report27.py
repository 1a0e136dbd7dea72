"""Review of the report round 27 (4a069c0c … 58da4e5a): the name lists its notes' rule (docmarkup.capped_text) left
uncapped — the Friedman line's losses left out of the test, short of runs in every block, and lacking runs in
some blocks (export.friedman_text, the tables' line in md, tex and html, and the CD diagram's caption)."""

from __future__ import annotations

import functools

import pytest

NAMES = [(f"loss_{i}_" + "long_name_part_" * 4)[:40] for i in range(25)]
#: what a note says in place of the losses it counts (export.TOO_MANY)
COUNTED = "(too many to name here; the tables give each loss's runs)"


@functools.cache
def _dropped(n: int):
    """Stats of two tasks × psnr, ssim: l1, good, mid with 5 seeds, and ``n`` losses of 40 characters with 3 (short
    of runs in every block: the run-level test leaves them out, ``runs_dropped``)."""
    import pandas as pd

    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    kw = dict(metrics=("psnr", "ssim"), n_images=2, seed=1, seed_sd=0.1, tasks=("denoise", "deblur"))
    ok = synthetic_table(seeds=tuple(range(5)), offsets={"l1": 0.0, "good": 1.0, "mid": 0.5}, **kw)
    short = synthetic_table(seeds=(0, 1, 2), offsets=dict.fromkeys(NAMES[:n], 0.2), **kw)
    return compute(pd.concat([ok, short], ignore_index=True), None, baseline="l1", n_boot=5)


@functools.cache
def _left(n: int):
    """Stats of three tasks × psnr, ssim, 5 seeds: l1, good and ``n`` losses of 40 characters without seed 4 in sr4
    (the run-level test leaves sr4's blocks out for every loss, ``runs_left_by`` those ``n``)."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "deblur", "sr4"), seeds=tuple(range(5)),
                        offsets={"l1": 0.0, "good": 1.0, **dict.fromkeys(NAMES[:n], 0.1)}, metrics=("psnr", "ssim"),
                        n_images=2, seed=1, seed_sd=0.1)
    return compute(t[~(t["loss"].isin(NAMES[:n]) & (t["task"] == "sr4") & (t["seed"] == 4))], None, baseline="l1",
                   n_boot=5)


@functools.cache
def _excluded(n: int):
    """Stats of two tasks × psnr, ssim, 5 seeds: l1 and 15 losses with every block, ``n`` losses of 40 characters
    without sr4 (not in every block most losses have: left out of the test, ``excluded``)."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    names = NAMES[15:15 + n]
    t = synthetic_table(tasks=("denoise", "sr4"), seeds=tuple(range(5)),
                        offsets={lab: 0.05 * i for i, lab in enumerate(["l1"] + NAMES[:15] + names)},
                        metrics=("psnr", "ssim"), n_images=2, seed=1, seed_sd=0.1)
    return compute(t[~(t["loss"].isin(names) & (t["task"] == "sr4"))], None, baseline="l1", n_boot=5)


def test_the_friedman_line_counts_many_losses_short_of_runs_and_names_a_few():
    """Was: export.runs_dropped_text (in friedman_text: the line under the overall ranking of leaderboard.md,
    leaderboard.tex's caption and report.html, and the CD diagram's caption) named every loss the run-level test left
    out for too few runs in every block, whatever their number: 12 losses of 40 characters made 700 characters of
    names, beside the notes the round's commits capped (docmarkup.capped_text). Past NOTE_LINES lines of TEX_LINE
    characters they are counted; one such loss is named as before."""
    from benchmark.export import friedman_text

    st = _dropped(12)
    assert st.friedman["method"] == "permutation" and len(st.friedman["runs_dropped"]) == 12, st.friedman
    line = friedman_text(st)
    assert "long_name" not in line, line
    assert f" 12 losses {COUNTED} are left out of the test: fewer than 5 runs in every block; the other losses are " \
        "tested without them." in line, line
    assert f" {NAMES[0]} (3 runs) is left out of the test: fewer than 5 runs in every block; the other losses are " \
        "tested without it." in friedman_text(_dropped(1))


def test_the_friedman_line_counts_many_losses_lacking_runs_in_its_blocks_left_out_and_names_a_few():
    """Was: export.runs_left_text (friedman_text's 'Those of sr4 (…) are left out for every loss because …', and the
    CD diagram's caption) named every loss lacking runs there, whatever their number: 12 losses of 40 characters made
    500 characters of names. Past NOTE_LINES lines of TEX_LINE characters (docmarkup.capped_text) they are counted;
    one such loss is named as before."""
    from benchmark.export import friedman_text

    st = _left(12)
    assert st.friedman["method"] == "permutation" and len(st.friedman["runs_left_by"]) == 12, st.friedman
    left = friedman_text(st).split(" Those of ", 1)[1]  # the mean run ranks before it give each ranked loss's rank
    assert "long_name" not in left, left
    assert left.startswith(f"sr4 (psnr, ssim) are left out for every loss because 12 losses {COUNTED} lack runs "
                           "there (diverged or unscored), so the test does not see how they did there"), left
    assert f"because {NAMES[0]} lacks runs there (diverged or unscored), so the test does not see how it did there" \
        in friedman_text(_left(1))


def test_the_friedman_line_counts_many_losses_not_in_every_block_and_names_a_few():
    """Was: friedman_text's 'Not in every block (left out): …' (the tables' line) named every loss left out of the
    test, whatever their number, where the CD diagram's same note counts them (b29e3d6c): 10 losses of 40 characters
    made 430 characters of names. Past NOTE_LINES lines of TEX_LINE characters counted, as the figure; one such loss
    named as before."""
    from benchmark.export import friedman_text

    st = _excluded(10)
    assert st.friedman["excluded"] == NAMES[15:25], st.friedman
    left = friedman_text(st).split("Not in every block (left out):", 1)[1]
    assert left.startswith(" 10 losses (too many to name here; the tables give each loss's blocks)."), left
    assert not any(n in left for n in NAMES[15:25]), left
    assert f"Not in every block (left out): {NAMES[15]}." in friedman_text(_excluded(1))


@pytest.mark.slow
def test_the_cd_diagram_counts_many_losses_left_out_of_its_test():
    """The CD diagram's caption says what friedman_text says of the losses short of runs (runs_dropped_text) and of
    those lacking runs in some blocks (runs_left_text): counted past NOTE_LINES lines, as the tables (was: 12 losses
    of 40 characters named in each)."""
    from benchmark import figures as F

    with F.style() as plt:
        for st, said in ((_dropped(12), f"12 losses {COUNTED} are left out of the test"),
                         (_left(12), f"because 12 losses {COUNTED} lack runs there")):
            fig = F.draw_cd_diagram(st)
            caption = " ".join(fig.get_supxlabel().split())
            plt.close(fig)
            assert said in caption and "long_name" not in caption, caption

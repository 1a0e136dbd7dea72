"""Review of the verdict families and statistics change (probe-stats2): edge cases of the common
images, the families, the pooled interval and the calibration's binomial check."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark import stats as S
from benchmark.synthetic import synthetic_table

FIVE = tuple(range(5))


def _psnr_table(**kw):
    return synthetic_table(offsets={"l1": 0.0, "a": 0.0, "b": 0.0}, metrics=("psnr",), seeds=FIVE, n_images=4, **kw)


def test_a_column_with_no_image_every_run_scored_is_not_said_to_be_over_the_same_images():
    """Two runs unscored on disjoint halves of the images leave no image every run scored: the column cannot
    be put on common images and its cells stay over each run's own images (a: 3 of 4 images in one run), yet
    the non-finite note said 'so every mean is over the same images'. Now that column's note says it is not."""
    t = _psnr_table()
    bad = (((t["loss"] == "a") & (t["seed"] == 0) & t["image"].isin(["img0000", "img0001"]))
           | ((t["loss"] == "b") & (t["seed"] == 0) & t["image"].isin(["img0002", "img0003"])))
    st = S.compute(t.assign(value=t["value"].where(~bad)), n_boot=50)
    (line,) = st.nonfinite
    assert "denoise/psnr (no image every run scored" in line, line
    assert "so every mean is over the same images: " not in line, line
    # a column that could be put on common images still says so
    one = ((t["loss"] == "a") & (t["seed"] == 0) & (t["image"] == "img0000"))
    (line,) = S.compute(t.assign(value=t["value"].where(~one)), n_boot=50).nonfinite
    assert "denoise/psnr (every loss on the 3 of 4 images)" in line, line


def test_calibrate_states_an_alpha_below_one_percent_as_it_is():
    """``plbench calibrate --alpha 0.025`` (or 0.005) printed 'Target ≤ 2%' ('≤ 0%'): the target rounded to
    a whole percent, and 1 false verdict in 1000 nulls at α = 0.005 read 'TOO HIGH: above 0%'. Now the α is
    printed as it is (2.5 %, 0.5 %)."""
    import pandas as pd

    from benchmark.calibrate import Calibration, null_status, to_text

    comps = pd.DataFrame([{"task": "denoise", "metric": "psnr", "higher": True, "run_sd": 0.1, "image_sd": 1.0,
                           "image_x_run_sd": 0.1, "n_images": 20, "losses": 2, "runs": 10}])
    for alpha, shown in ((0.025, "2.5%"), (0.005, "0.5%"), (0.05, "5%")):
        nulls = pd.DataFrame([{"task": "denoise", "metric": "psnr", "n_nulls": 1000, "false": 1, "rate": 0.001}])
        cal = Calibration(comps, nulls, pd.DataFrame(),
                          pd.DataFrame(columns=["task", "metric", "effect", "runs", "power"]), 5, "no A/A", alpha=alpha)
        text = to_text(cal)
        assert f"Target ≤ {shown}." in text, text
        assert "(ok)" in text
    assert "above 0.5%" in null_status(20, 1000, 0.005) and "0%" not in null_status(20, 1000, 0.005)


def test_calibrate_judges_the_checker_it_names_at_any_alpha():
    """calibrate's shortcut (:func:`benchmark.calibrate.fast_verdict`) called a part contradicted when A − B
    was significant at α and its 95 % CI lay below −margin; the checker (:func:`benchmark.findings.judge`)
    asks the contradiction's own test (worse by the margin) to pass α. The two agree at α = 0.05 only: at
    α = 0.01 the shortcut said 'contradicted' where ``plbench findings --alpha 0.01`` says 'inconclusive', so
    ``calibrate --alpha 0.01`` counted false verdicts of another checker. Now they agree at any α."""
    from benchmark import calibrate as C

    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(12):
        b = 26 + rng.normal(0, 1, (1, 20)) + rng.normal(0, 0.05, (6, 1)) + rng.normal(0, 0.05, (6, 20))
        a = b - 0.12 + rng.normal(0, 0.04, (6, 1)) + rng.normal(0, 0.02, (6, 20))
        for alpha in (0.01, 0.05):
            v = C.verdict(a, b, "denoise", "psnr", True, alpha=alpha)
            assert C.fast_verdict(a, b, "denoise", "psnr", True, alpha=alpha) == v, alpha
            seen.add((alpha, v))
    assert {(0.01, "inconclusive"), (0.01, "contradicted")} <= seen, seen


def test_the_mark_legend_says_none_was_tested_rather_than_a_family_of_zero():
    """With 3 runs per loss no comparison with the baseline is tested, yet every legend (Markdown, HTML) said
    '▲/▼ … (Holm over the 0 comparisons with the baseline in this leaderboard …)'. Now it says none was
    tested and why; a tested leaderboard still names its family and size."""
    from benchmark import export as E

    few = S.compute(synthetic_table(offsets={"l1": 0.0, "a": 0.0}, metrics=("psnr",), seeds=(0, 1, 2),
                                    n_images=4), n_boot=20)
    for text in (E.markdown(few), E.html_report(few, {})):
        assert "Holm over the 0 comparisons" not in text
        assert "none tested in this leaderboard: each needs the baseline and ≥ 5 paired runs" in text
        assert "paired runs))" not in text  # one flat clause, no parentheses inside the legend's parentheses
    enough = S.compute(_psnr_table(), n_boot=20)
    assert "Holm over the 2 comparisons with the baseline in this leaderboard" in E.markdown(enough)


def test_a_run_the_metric_failed_on_every_image_is_said_to_be_left_out():
    """A run whose metric is NaN on every image (a diverged run that still has rows) is left out of its column
    as a missing run — the column keeps all its images, rightly — but the notes said only 'a: 4 (NaN) … left
    out as missing images', while the cell showed 4 runs and the seeds note 'losses run on different seeds'.
    Now the non-finite note says that run is left out, so the 4 runs are explained."""
    t = _psnr_table()
    st = S.compute(t.assign(value=t["value"].where(~((t["loss"] == "a") & (t["seed"] == 0)))), n_boot=20)
    c = st.cells.set_index("label")
    assert c.loc["a", "n_seeds"] == 4 and c.loc["a", "n_images"] == 4 and c.loc["l1", "n_images"] == 4
    (line,) = st.nonfinite
    assert "denoise/psnr — a: 4 (NaN; every image of 1 run, seed 0: that run is left out of the column)" in line, line
    # the degraded input's run has no seed: none is named (the seed column may hold None there)
    keep = t["loss"] != "input"
    inp = t.assign(value=t["value"].where(keep), seed=t["seed"].astype(object).where(keep))
    (line,) = S.compute(inp, n_boot=20).nonfinite
    assert "input: 4 (NaN; every image of 1 run: that run is left out of the column)" in line, line


def test_best_mean_not_bold_points_to_a_note_that_is_there():
    """A loss whose metric failed on every image of one run (left out of that column only) can have the best
    mean of the column over its other runs and still be significantly worse than a neighbour on the seeds
    they share. The note sent the reader to 'the note on losses run on different seeds', which is not there
    (the loss has that seed in its other columns); now it points to the note that says why (non-finite)."""
    from benchmark import export as E

    t = synthetic_table(offsets={"l1": 0.0, "a": 0.0, "b": 0.0}, metrics=("psnr", "lpips"), seeds=tuple(range(6)),
                        n_images=6, noise=0.02)
    psnr = t["metric"] == "psnr"
    key = ["seed", "image"]
    b = t[psnr & (t["loss"] == "b")].set_index(key)["value"]
    a_rows = psnr & (t["loss"] == "a")
    v = t["value"].copy()
    v[a_rows] = b.reindex(pd.MultiIndex.from_frame(t.loc[a_rows, key])).to_numpy() - 0.05  # a trails b by 0.05
    v[psnr & t["loss"].isin(["b", "l1"]) & (t["seed"] == 0)] -= 5.0                        # their seed 0: poor
    v[a_rows & (t["seed"] == 0)] = np.nan                                                  # a's: unscored
    st = S.compute(t.assign(value=v), n_boot=20)
    c = st.cells.set_index(["metric", "label"])
    assert c.loc[("psnr", "a"), "best"] and not c.loc[("psnr", "a"), "top_group"]
    assert E.unequal_seeds_text(st) == ""
    note = E.best_not_bold_text(st)
    assert "denoise/psnr: a" in note and "different seeds" not in note, note
    assert "the note on non-finite scores" in note, note


def test_a_run_scored_on_few_images_is_left_out_not_shrinking_its_column():
    """A run whose metric scored only 1 of 10 images cut every loss's cell in its column to that one image
    (common images: the images every run scored). A run scored on fewer than half the images is now a
    missing run of that column, as a run scored on none is: the column keeps its other images, and the
    note says which run was left out."""
    t = synthetic_table(offsets={"l1": 0.0, "a": 0.0, "b": 0.0}, metrics=("psnr",), seeds=FIVE, n_images=10)
    bad = (t["loss"] == "a") & (t["seed"] == 0) & (t["image"] != "img0000")
    st = S.compute(t.assign(value=t["value"].where(~bad)), n_boot=20)
    c = st.cells.set_index("label")
    assert c.loc["l1", "n_images"] == 10 and c.loc["b", "n_images"] == 10
    assert c.loc["a", "n_seeds"] == 4 and c.loc["a", "n_images"] == 10
    (line,) = st.nonfinite
    assert "a: 9 (NaN; more than half the images of 1 run, seed 0: that run is left out of the column)" in line, line
    # half the images scored is not fewer than half: the run stays and the column keeps its 5 common images
    half = (t["loss"] == "a") & (t["seed"] == 0) & t["image"].isin([f"img{i:04d}" for i in range(5)])
    kept = S.compute(t.assign(value=t["value"].where(~half)), n_boot=20).cells.set_index("label")
    assert kept.loc["a", "n_seeds"] == 5 and kept.loc["l1", "n_images"] == 5

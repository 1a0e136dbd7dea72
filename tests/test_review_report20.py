"""Review of the report round 20 fixes (tests/test_probe_report20.py): right-to-left names in figures and report.html,
and the leaderboard's columns."""

from __future__ import annotations

import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports: at collection, not in a test's time)
import benchmark.export  # noqa: F401
import benchmark.metrics  # noqa: F401
import benchmark.stats  # noqa: F401


def test_a_right_to_left_name_with_vowel_marks_is_isolated_whole():
    """Was: isolate_rtl cut a right-to-left name at each combining mark (not alphanumeric): the Hebrew 'שָׁלוֹם' (with
    its niqqud) or an Arabic 'خَسارة' (a fatha), both valid loss names, became several isolated pieces, set left to
    right in their written order (the name's letters scrambled) with the marks left outside, off their letters; a
    Persian name's ZWNJ cut it in two the same way. Now a name's marks and ZWNJ are in its one run."""
    from benchmark.docmarkup import bdi_html, isolate_rtl

    hebrew, arabic, persian = "שָׁלוֹם", "خَسارة_عربيةٌ", "می\u200cخواهم"
    for name in (hebrew, arabic, persian):
        assert isolate_rtl(f"{name} (12.20)") == f"\u2068{name}\u2069 (12.20)", isolate_rtl(name)
        assert bdi_html(f"<p>l1 + {name} 0.9</p>") == f"<p>l1 + <bdi>{name}</bdi> 0.9</p>"
    assert isolate_rtl(f"{arabic}, {hebrew}") == f"\u2068{arabic}\u2069, \u2068{hebrew}\u2069"


def test_metric_columns_after_the_common_ones_are_in_natural_order():
    """Was: the metrics after the common ones (psnr, ssim, …) were in string order, 'm10' before 'm2' and
    'pyiqa_v10' before 'pyiqa_v2', where losses and every other name list read a number as a number. Now they are in
    the losses' name order (stats.name_key): the leaderboard's header reads psnr, m2, m10."""
    from benchmark.stats import metric_order

    assert metric_order(["m10", "psnr", "m2", "ahiq", "topiq_fr"]) == ["psnr", "ahiq", "m2", "m10", "topiq_fr"]
    assert metric_order({"clip_v10", "clip_v2", "ssim"}) == ["ssim", "clip_v2", "clip_v10"]


def test_a_by_test_set_column_of_dashes_says_why():
    """Was: leaderboard.md's 'By test set' table showed a column of '–' only (ssim on set B, whose images some run
    could not score: each such image is out of the whole column) with nothing in that section saying why, beside
    'Images per set: A 3 images, B 3 images'. Now one line under the table names the column and the reason; a table
    with a value in every column has no such line."""
    import warnings

    import numpy as np

    from benchmark.export import by_dataset_markdown
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2}, metrics=("psnr", "ssim"), seeds=range(2), n_images=4, seed=3)
    t["dataset"] = np.where(t["image"].isin(["img0000", "img0001"]), "A", "B")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "– throughout" not in by_dataset_markdown(t, compute(t, n_boot=10))
        t.loc[(t["metric"] == "ssim") & (t["dataset"] == "B") & (t["loss"] != "input"), "value"] = np.nan
        md = by_dataset_markdown(t, compute(t, n_boot=10))
    (row,) = [line for line in md.splitlines() if line.startswith("| l1 |")]
    assert row.endswith("| – |") and "ssim ↑ (B) |" in md, md
    (note,) = [line for line in md.splitlines() if line.startswith("– throughout")]
    assert note.startswith("– throughout in ssim (B): none of the set's images has a score from every loss's runs")


def test_a_difference_of_float_rounding_is_no_difference_in_the_pair_tests():
    """Was: a saturated metric (0.9 throughout) where one loss's scores came out 0.9000000000000001 on most images got
    a ▲ against ℓ1 (Holm p = 0.004, effect 8e-17) and cast ℓ1 out of the bold top group, while its cell showed
    '0.900' with no interval (the cells' rounding rule, fa4a00d) and the ranks tied: compare_runs judged the
    spread against the differences' own size, not the values'. Now one rule (runstats.within_rounding) makes a
    difference within 1e-12 of its values none, in the pair tests as in the cells; a real difference of 1e-8 between
    values of 1e-6 is still tested."""
    import warnings

    import numpy as np

    from benchmark.export import markdown
    from benchmark.runstats import compare_runs
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    rng = np.random.default_rng(0)
    up = np.where(rng.random((5, 6)) < 0.8, np.nextafter(0.9, 1.0), 0.9)
    r = compare_runs(up, np.full((5, 6), 0.9))
    assert (r.effect, r.p) == (0.0, 1.0), r
    tiny = 1e-6 * (1 + 0.01 * rng.standard_normal((5, 6)))
    assert compare_runs(tiny + 1e-8 * (1 + 0.1 * rng.standard_normal((5, 6))), tiny).p < 1e-3

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2}, metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=3,
                        seed_sd=0.1)
    sat = (t["metric"] == "ssim") & (t["loss"] != "input")
    t.loc[sat, "value"] = 0.9
    t.loc[sat & (t["loss"] == "l2"), "value"] = np.where(rng.random((sat & (t["loss"] == "l2")).sum()) < 0.8,
                                                         np.nextafter(0.9, 1.0), 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = compute(t, n_boot=10)
    c = stats.cells[(stats.cells["metric"] == "ssim") & (stats.cells["label"] != "input")].set_index("label")
    assert c["top_group"].all() and (c.loc["l2", "vs_base"] == 0), c[["p_base_adj", "vs_base", "top_group"]]
    rows = [line for line in markdown(stats).splitlines() if line.startswith(("| l1 | 5 |", "| l2 | 5 |"))]
    assert len(rows) == 2 and all("| **0.900** |" in row for row in rows), rows

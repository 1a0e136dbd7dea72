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


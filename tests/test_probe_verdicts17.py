"""Probe of verdicts (round 17): calibration on stale scores, and synthetic stores a demanding user would bring."""

from __future__ import annotations

import warnings

import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import write_store

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def test_calibrate_says_which_metrics_rest_on_scores_made_before_a_metric_fix(tmp_path, capsys):
    """Was: a store whose runs scored vsi before today's vsi fix (none re-scored: the table keeps them) was
    calibrated on those scores without a word, while the report's coverage and the findings say so. Now
    calibration.md names the metric, how many of the runs calibrated on carry such scores, and that a re-score may
    change its rows."""
    from benchmark.cli import main

    write_store(tmp_path, tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.1}, metrics=("vsi", "psnr"),
                seeds=range(4), n_images=4, seed=3, seed_sd=0.1, budget_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["calibrate", "--out", str(tmp_path), "--nulls", "20", "--splits", "1", "--metrics", "vsi",
                     "-q"]) == 0
    text = (tmp_path / "calibration.md").read_text()
    line = [x for x in text.splitlines() if "vsi" in x and "re-score" in x]
    assert len(line) == 1 and "8 of the 8 runs" in line[0] , text
    assert line[0] in capsys.readouterr().out

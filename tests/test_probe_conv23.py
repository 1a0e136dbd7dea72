"""Probes of the convergence and budget verdicts (session 23): what the leaderboard says of arms near the margin."""

from __future__ import annotations

import re

from benchmark.results import ResultsStore
from benchmark.synthetic import SCALE, write_store

FIVE = tuple(range(5))


def test_a_gain_just_past_the_psnr_margin_is_not_printed_as_the_margin(tmp_path):
    """An arm still improving by +0.054 dB (every seed and image alike: bounds = the mean, past the 0.05 dB margin)
    was named "still improving on psnr (+0.05 dB)" beside "0.05 dB PSNR" margin: a gain that reads as at the margin,
    not past it. The gain is printed with the digits that tell it from the margin."""
    from benchmark.report import write_report

    gain = 0.054  # dB
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=FIVE, n_images=6, offsets={"l1": 0.0, "good": 1.0},
                half_offsets={"good": 1.0 - gain / SCALE["psnr"]})
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=50)
    md = (tmp_path / "leaderboard.md").read_text()
    said = re.search(r"sr4/good still improving on psnr \(([+-][0-9.]+) dB\)", md)
    assert said, md
    assert abs(float(said.group(1)) - gain) < 0.0015 and float(said.group(1)) > 0.05

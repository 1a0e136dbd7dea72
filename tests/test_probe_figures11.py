"""Probe of the published figures (figures11): defects found by drawing reports of 1–60 losses, 1–8 tasks and
1–12 metrics and looking at every PNG."""

from __future__ import annotations

import numpy as np

from benchmark import figures as F


def test_robust_limits_pad_every_point_they_leave_on_the_panel():
    """30 losses with a tight spread and the degraded input just past 4 IQRs: the input was left out of the range,
    but fell inside its 6 % padding, so the P–D plane drew it as an ordinary marker on the panel's edge, half of it
    cut off (30-loss report, lpips 0.405 against an axis ending at 0.407). A point the range shows is padded like
    every other; one beyond it stays out (drawn as an off-scale triangle)."""
    rng = np.random.default_rng(0)
    losses = 0.24 + 0.01 * rng.standard_normal(30)
    bars = 0.1  # CI bars far wider than the losses' spread: they set the range
    pad = 0.06
    for near in (losses.max() + bars + 0.01, losses.min() - bars - 0.01):  # past 4 IQRs, within the padding
        means = np.append(losses, near)
        lows, highs = np.append(losses - bars, np.nan), np.append(losses + bars, np.nan)  # the input: no bar
        ref = np.arange(len(means)) == len(losses)
        for reference in (ref, None):  # the input (a reference point) or a loss
            lo, hi = F.robust_limits(means, lows, highs, reference=reference, pad=pad)
            inside = means[(means >= lo) & (means <= hi)]
            margin = pad / (1 + 2 * pad) * (hi - lo)  # the padding of the points the range was made for
            assert (np.minimum(inside - lo, hi - inside) >= margin * (1 - 1e-9)).all(), (near, lo, hi)
    far = np.append(losses, 0.24 + 5.0)  # a real outlier still does not squash the others
    lo, hi = F.robust_limits(far, reference=np.arange(31) == 30)
    assert hi < 1.0


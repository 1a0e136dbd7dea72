"""The range each metric's score has by its definition: a plain lookup with no torch, so that the statistics of a
results table (:func:`benchmark.stats.cell_table`) and the reports' notes read it without importing
:mod:`benchmark.metrics` (torch at its top); :mod:`benchmark.metrics` re-exports both names."""

from __future__ import annotations

import math

#: The range each metric's score has by its definition (not as observed), where it is certain: a CI is cut
#: at it (:func:`benchmark.stats.cell_table`) — a Student-t interval of 2 seeds reached vsi 1.05 — and cutting
#: to the true range never lowers coverage. ssim/ssimc/ms_ssim/cw_ssim/fsim/vsi and the harness's ssim_y are
#: (weighted means or products of) similarity terms (2xy + c)/(x² + y² + c), each at most 1 in magnitude: ≤ 1
#: (their lower bound is not certain — a negative correlation term makes ssim negative — so none is given).
#: gmsd is a standard deviation: ≥ 0; nlpd a mean of root-mean-squares: ≥ 0. entropy is the Shannon entropy in
#: bits of a 256-bin histogram: 0 (a constant image) to log2(256) = 8 (a 2-seed interval reached 9.1). psnr has
#: no upper bound; pyiqa's other stated ranges are approximate ("~40") or rest on learned weights, so they are
#: not used. A metric not here: (−inf, inf), never cut.
RANGE: dict[str, tuple[float, float]] = {
    **{m: (-math.inf, 1.0) for m in ("ssim", "ssimc", "ms_ssim", "cw_ssim", "fsim", "vsi", "ssim_y")},
    "gmsd": (0.0, math.inf),
    "nlpd": (0.0, math.inf),
    "entropy": (0.0, 8.0),
}


def metric_range(name: str) -> tuple[float, float]:
    """(low, high) that ``name``'s score lies in by definition (:data:`RANGE`); ±inf where not certain."""
    return RANGE.get(name.partition("@")[0], (-math.inf, math.inf))

"""Probe of verdicts (round 18): printed p's, ... (synthetic stores a demanding user would bring)."""

from __future__ import annotations

import warnings

import pytest
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def _zhao(t, alpha: float = 0.05):
    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark.findings import check_all

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("psnr",))
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20, alpha=alpha)
    return r


@pytest.mark.parametrize("offset", [3.0, -3.0])
def test_a_finding_prints_its_p_as_every_table_does(offset):
    """Was: ℓ1 ≥ ℓ2 by 6 dB on 8 seeds × 24 images printed its headline 'p_holm = 3.2e-17' in findings.md's table of
    findings (and `plbench findings`) while the same part's row in the parts table read '< 1e-16' (export.p_text, the
    one rule: never a value below the float floor, never 0). Now the headline, the verdict sentences and the
    contradiction's note write p as the parts table does."""
    from benchmark.findings import to_markdown

    t = synthetic_table(tasks=("sr4",), offsets={"l1": offset, "l2": 0.0}, metrics=("psnr",), seeds=range(8),
                        n_images=24, seed=1, seed_sd=0.01, noise=0.01)
    r = _zhao(t)
    (p,) = r.parts
    assert p.p_adj < 1e-16 and p.verdict == ("reproduced" if offset > 0 else "contradicted")
    text = to_markdown([r]) + r.effect_text() + p.note + r.verdict_text
    assert "p_holm < 1e-16" in r.effect_text(), r.effect_text()
    assert "e-17" not in text, text


def test_calibrates_binomial_p_is_written_as_every_p():
    """Was: a checker far above its target printed 'binomial p = 1.1e-67' (and 0 once it underflowed). Now
    '< 1e-16', as every p."""
    from scipy.stats import binom

    from benchmark.calibrate import null_status

    assert binom.sf(199, 400, 0.05) < 1e-16
    assert null_status(200, 400).endswith("binomial p < 1e-16"), null_status(200, 400)
    p = float(binom.sf(15, 200, 0.05))
    assert f"binomial p = {p:.2g}" in null_status(16, 200), null_status(16, 200)

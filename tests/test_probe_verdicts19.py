"""Probe of verdicts (round 19): p's printed in the fewest digits on their side of α, …"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal

import numpy as np


def _digits(num: str) -> int:
    """Significant digits of a printed number ('0.0496' → 3, '1.5e-05' → 2)."""
    mant = num.split("e")[0].replace(".", "").lstrip("0")
    return max(len(mant), 1)


def test_a_p_a_hair_below_alpha_prints_the_fewest_digits_on_its_side():
    """Was: p_text added significant digits until the rounded p stayed on its side of α, so a Holm p a hair under
    α printed up to 17 of them ('= 0.049999999999999996' for the float below 0.05, '= 0.009999999' at α = 0.01).
    Now, where 4 digits do not keep it on its side, it prints the bound between it and α with the fewest digits:
    '< 0.05'; a p a hair above an α of more digits, '≥ 0.012341'."""
    from benchmark.stats import p_text

    assert p_text(math.nextafter(0.05, 0)) == "< 0.05"
    assert p_text(0.05 - 1e-12) == "< 0.05" and p_text(0.04999999) == "< 0.05"
    assert p_text(0.009999999, alpha=0.01) == "< 0.01"
    assert p_text(0.0123410001, alpha=0.012341) == "≥ 0.012341"
    # the readings earlier rounds pinned: 2 significant digits, up to 4 where 2 cross α
    assert p_text(0.0496) == "= 0.0496" and p_text(0.04999) == "= 0.04999" and p_text(0.0504) == "= 0.05"
    assert p_text(0.034) == "= 0.034" and p_text(0.05) == "= 0.05" and p_text(0.00996, alpha=0.01) == "= 0.00996"
    assert p_text(1e-20) == "< 1e-16" and p_text(float("nan")) == "= –"
    # whatever the p and α: on the p's side of α, and a bound in the fewest digits that stay on it
    rng = np.random.default_rng(0)
    for alpha in (0.05, 0.01, 0.05 / 12, 0.1, 0.05 / 7, 0.012341):
        near = alpha * (1 + rng.normal(0, 1, 120) * 10.0 ** -rng.integers(1, 16, 120))
        for p in np.concatenate([near, [alpha, math.nextafter(alpha, 0), math.nextafter(alpha, 1)]]):
            t = p_text(p, alpha)
            rel, num = t.split(" ", 1)
            v, d = float(num), _digits(num)
            if rel == "=":
                assert (v < alpha) == (p < alpha) and d <= 4, (p, alpha, t)
            elif rel == "<":
                assert p < v <= alpha, (p, alpha, t)
                if d > 1:  # no decimal of fewer digits lies between them: α cut down to d − 1 digits is ≤ p
                    cut = Decimal(alpha).quantize(Decimal(1).scaleb(Decimal(alpha).adjusted() - d + 2), ROUND_FLOOR)
                    assert not p < float(cut), (p, alpha, t)
            else:
                assert rel == "≥" and alpha <= v <= p, (p, alpha, t)

"""Probes of the verdicts and statistics (session 25): what an unsettled finding advises, by why it is unsettled."""

from __future__ import annotations

import pytest
from conftest import one_finding

from benchmark.synthetic import synthetic_table


def _zhao(**kw):
    """zhao2017_l1_vs_l2 on sr4/psnr, l1 = l2 at the full budget, 5 seeds × 6 images with budget checks (``kw``:
    :func:`benchmark.synthetic.synthetic_runs`' ``unconverged`` / ``half_offsets``, what l2's check scores)."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=tuple(range(5)),
                        n_images=6, seed=3, seed_sd=0.2, budget_check=True, **kw)
    return one_finding(t, "zhao2017_l1_vs_l2", convergence=True)


@pytest.mark.parametrize("kw, status, longer", [
    ({"unconverged": ("l2",)}, "still improving", True),
    # l2's checks 0.03 SCALE above its runs: the second half of the budget lost 0.06 dB, shown over the seeds
    ({"half_offsets": {"l2": 0.03}}, "worse with more budget", False),
])
def test_an_unsettled_finding_advises_a_longer_schedule_only_for_runs_still_improving(kw, status, longer):
    """Every part unsettled by its arms' budget checks read "runs not converged (a longer schedule, or check the
    budget curves)" — also where the arm is *worse with more budget*: the second half of the budget made its runs
    worse, and a longer schedule trains further the way that hurt. The advice follows why the part is unsettled:
    a longer schedule for runs still improving, not for runs the budget made worse."""
    r = _zhao(**kw)
    (p,) = r.parts
    assert p.verdict == "unsettled (not converged)" and f"l2 {status} on psnr" in p.note, p.note
    clause = r.verdict_text.split("runs not converged (", 1)[1]
    assert clause.startswith(status), r.verdict_text
    assert ("a longer schedule does not settle" not in clause) is longer, r.verdict_text
    assert "or check the budget curves" not in r.verdict_text
    assert status in p.unsettled_by, p.unsettled_by

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


@pytest.mark.parametrize("bad", [float("inf"), -float("inf")])
def test_the_paired_test_leaves_an_infinite_score_out_as_it_leaves_a_nan_out(bad):
    """benchmark.runstats.compare_runs, the one paired test, left a NaN score's image out but read ±inf as a tie with
    its pair: the difference ±inf was zeroed as float rounding (|inf| ≤ 1e-12 · inf), so the image stayed in at 0 —
    another effect, SE and p than the same run with that score missing. An infinite score is no score (README: an
    image a metric could not score, NaN/±inf, is left out)."""
    import numpy as np

    from benchmark.runstats import compare_runs, without_each_run

    rng = np.random.default_rng(0)
    a = rng.normal(30.0, 0.1, (6, 8))
    b = a + rng.normal(0.05, 0.1, (6, 8))
    missing, unscored = a.copy(), a.copy()
    missing[2, 3], unscored[2, 3] = np.nan, bad
    want, got = compare_runs(missing, b), compare_runs(unscored, b)
    assert want.n_images == 7 and got == want, (got, want)
    assert compare_runs(b, unscored, higher=False) == compare_runs(b, missing, higher=False)
    assert without_each_run(unscored, b) == without_each_run(missing, b)  # the fragility check's re-tests too


def test_calibrate_says_its_a_a_rate_is_judged_pooled_not_cell_by_cell():
    """README's *Calibration* said "each (task, metric) cell's count is tested too, binomial with Holm over the cells,
    so one cell far above α is TOO HIGH, named, whatever the pooled rate" of the false verdicts calibrate measures —
    true of the simulated nulls only: the A/A rate is judged pooled (a cell's splits share its runs: no binomial
    count), so 30/100 on one A/A cell beside 0/100 on eleven read "2.5 % (ok)" with no word that no cell was judged.
    calibration.md's A/A line and the README say what was judged."""
    import dataclasses
    import re
    from pathlib import Path

    import pandas as pd

    from benchmark.calibrate import calibrate, to_text

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=tuple(range(10)),
                        n_images=4, seed=1, seed_sd=0.1)
    cal = calibrate(t, n_nulls=10, splits=5, aa_sims=0, max_runs=5)
    cells = [{"task": "sr4", "metric": f"m{i}", "loss": "l1", "splits": 100, "false": 30 if i == 0 else 0,
              "rate": 0.3 if i == 0 else 0.0, "ref_p95": 0.05} for i in range(12)]
    text = to_text(dataclasses.replace(cal, aa=pd.DataFrame(cells)))
    line = next(x for x in text.splitlines() if x.startswith("**A/A on real runs**"))
    assert "30/1200 false verdicts = 2.5% (ok)" in line, line
    assert "judged pooled" in line and "no cell is judged on its own" in line, line
    readme = Path(__file__).resolve().parents[1] / "README.md"
    section = " ".join(re.search(r"### Calibration\n(.*?)\n### ", readme.read_text(), re.S).group(1).split())
    assert "each (task, metric) cell's count of simulated nulls is tested too" in section
    assert "The A/A rate is judged pooled" in section


def _convergence_said(runs, main, checks):
    """(the board's "Not shown converged" note, zhao2017_l1_vs_l2's one part) of ``runs`` (synthetic_runs'), split
    into ``main`` runs and their budget ``checks`` (drop_budget_checks')."""
    import warnings

    import pandas as pd

    from benchmark.export import convergence_notes
    from benchmark.findings import check_all
    from benchmark.stats import compute

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = compute(main, metas=[m for _, m, _ in runs if m["run_id"] in set(main["run_id"])], n_boot=20,
                     checks=checks)
        (r,) = check_all(pd.concat([main, checks]), ["zhao2017_l1_vs_l2"], n_boot=20, convergence=True)
    (note,) = [n for n in convergence_notes(st) if n.startswith("Not shown converged")]
    (part,) = r.parts
    return note, part


def test_an_arm_of_one_seed_is_said_unclear_for_want_of_seeds_not_for_its_gain():
    """l1 and l2 × 1 seed, each run scoring what its budget check scored: the board said "sr4/l1 unclear on psnr
    (+0.00 dB)" — a gain of 0, well within the 0.05 dB margin, called unclear with no word why (one gain has no
    spread to test, README *Convergence*), and the findings' part "l2 not shown converged on psnr (+0 from ½ budget to
    the end, margin 0.05)" the same. Both now say it is one seed's gain."""
    from benchmark.results import to_frame
    from benchmark.settings import drop_budget_checks
    from benchmark.synthetic import synthetic_runs

    runs = list(synthetic_runs(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=(0,),
                               n_images=6))
    main, checks = drop_budget_checks(to_frame([r for _, _, rows in runs for r in rows]))
    note, p = _convergence_said(runs, main, checks)
    assert "sr4/l1 unclear on psnr (+0.00 dB; one seed: no spread to test its gain against the margin)" in note, note
    assert "l2 not shown converged on psnr (+0 from ½ budget to the end, margin 0.05; one seed: no spread to test " \
           "its gain against the margin)" in p.note, p.note


def test_a_budget_gain_on_a_lower_is_better_metric_says_which_way_the_metric_moved():
    """l2's budget checks score lpips 0.05 above its runs (lower is better: the second half of the budget lowered it).
    The gain is signed positive = better, so the board read "sr4/l2 still improving on lpips (+0.0494)" and the
    findings part "(+0.0494 from ½ budget to the end, margin 0.005)" — an lpips that read as risen by 0.05, beside
    "still improving". Both now say the metric is lower-is-better and that it fell."""
    import numpy as np

    from benchmark.results import to_frame
    from benchmark.settings import drop_budget_checks
    from benchmark.synthetic import synthetic_runs

    runs = list(synthetic_runs(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr", "lpips"),
                               seeds=tuple(range(5)), n_images=6))
    main, checks = drop_budget_checks(to_frame([r for _, _, rows in runs for r in rows]))
    m = (checks["loss"] == "l2") & (checks["metric"] == "lpips")
    checks.loc[m, "value"] += 0.05 + np.random.default_rng(0).normal(0, 0.005, int(m.sum()))
    note, p = _convergence_said(runs, main, checks)
    assert "sr4/l2 still improving on lpips (+0.0" in note and "; lower is better: lpips fell)" in note, note
    assert "l2 still improving on lpips (+0.0" in p.note and "; lower is better: lpips fell)" in p.note, p.note

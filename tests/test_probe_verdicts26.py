"""Probe of the verdicts area, session 26: each defect found, with its test (failing before its fix)."""

from __future__ import annotations

import numpy as np
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.findings  # noqa: F401 (imported once at collection, not in a test's time)
from benchmark import calibrate as C
from benchmark.synthetic import synthetic_table

#: the rates a stand-in aa_reference gives: 20 simulated sets, each a distinct multiple of 5 %
RATES = np.arange(20) / 20


def _stand_in_reference(comp, n, runs, sims, splits, rng, alpha=0.05):
    """Every cell's simulated A/A rates are RATES, in an order of the cell's metric's own."""
    return np.random.default_rng(len(comp["metric"]) + 7 * (comp["metric"] == "psnr")).permutation(RATES)


def test_the_pooled_aa_reference_takes_the_metrics_of_one_loss_s_runs_as_moving_together(monkeypatch):
    """Was: calibrate's pooled A/A reference (the "≤ x in 95 % of sets" an A/A rate above α is excused within) averaged
    the cells' simulated rates index by index, so psnr and ssim of one loss — the same runs, A/A rates that move
    together — were drawn independently: its spread understated, an honest checker's A/A read TOO HIGH beyond it. Now
    the cells of one task are pooled in rank order (fully correlated, an upper bound, as findings.pooled takes the
    parts of one task), the tasks independently."""
    monkeypatch.setattr(C, "aa_reference", _stand_in_reference)
    monkeypatch.setattr(C, "false_verdict", lambda *a, **k: False)
    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), seeds=range(10), n_images=4,
                        offsets={"l1": 0.0}, seed_sd=0.2)
    cal = C.calibrate(t, n_nulls=1, splits=20, aa_sims=20, effect=0.0, max_runs=5)
    assert len(cal.aa) == 2 and set(cal.aa["splits"]) == {20}
    # psnr and ssim of l1's runs, fully correlated: the pooled sets' rates are RATES themselves, not two averaged
    assert cal.aa_ref_p95 == C.upper95(RATES) and np.isclose(cal.aa_ref_mean, RATES.mean())
    # two tasks, other runs: independent, a pooled spread narrower than one task's (the same mean)
    pooled = C.pooled_reference([{"task": "denoise", "splits": 20}, {"task": "sr4", "splits": 20}], [RATES, RATES],
                                np.random.default_rng(0))
    assert C.upper95(pooled) < C.upper95(RATES) and np.isclose(pooled.mean(), RATES.mean())


def test_calibrate_leaves_out_and_names_a_cell_without_variance_components_instead_of_crashing():
    """Was: a (task, metric) cell whose runs share fewer than 2 test images scored in every run (niqe, which scores
    no image under 96 px, on a test set of one large image and small ones) has no variance components and so no
    simulated nulls — but a loss with ≥ 10 seeds still ran its A/A splits there, and their simulated reference looked
    the cell's components up: KeyError ('denoise', 'niqe'), the whole calibration (psnr's included) lost. Now such a
    cell is left out of the A/A as of the nulls, and calibration.md names it, with why, in one line."""
    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "niqe"), seeds=range(10), n_images=4,
                        offsets={"l1": 0.0}, seed_sd=0.2)
    t = t[(t["metric"] != "niqe") | (t["image"] == "img0000")]
    cal = C.calibrate(t, n_nulls=5, splits=10, aa_sims=2, max_runs=5)
    assert list(cal.nulls["metric"]) == ["psnr"] and list(cal.aa["metric"]) == ["psnr"]
    text = C.to_text(cal)
    (line,) = [x for x in text.splitlines() if "denoise/niqe" in x]
    assert line.startswith("> Not calibrated") and "2 test images" in line, line


def test_a_missing_runs_part_says_which_seeds_were_lost_and_which_never_ran():
    """Was: a part whose arm lacks seeds the other has said "missing or diverged seeds: l2 5, 6, 7" whether l2 diverged
    there (its loss's result: nothing to run) or was never run on them (run it), while the verdict's reason promised
    "each part names them: a failed run can be run again; a diverged one is its loss's result". Now each arm's seeds
    say which: "(diverged)", "(failed)", "(no run in these results)"."""
    import pandas as pd

    from benchmark import findings

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), n_images=4, seed_sd=0.2, seeds=range(7),
                        offsets={"l1": 1.0, "l2": 0.0})
    t = t[~((t["loss"] == "l2") & (t["seed"] >= 4))]
    lost = pd.DataFrame([{"task": "sr4", "loss": "l2", "arm_weights": "none", "seed": 4, "status": "diverged",
                          "setting": t["setting"].dropna().iloc[0], "loss_version": ""}])
    (r,) = findings.check_all(t, names=("zhao2017_l1_vs_l2",), lost=lost)
    (p,) = [p for p in r.parts if p.metric == "psnr"]
    assert p.status == "missing runs"
    said = p.note.split("missing or diverged seeds: ")[1]
    assert said.startswith("l2 4 (diverged), 5, 6 (no run in these results)"), p.note

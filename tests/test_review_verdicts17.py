"""Review of verdicts (round 17): the leave-one-run-out flag names every seed that undoes a result, alike in the
findings, the leaderboard's ▲/▼ and bold, and `plbench compare`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time

FRAGILE = "fragile: leaving out one seed's runs makes it non-significant"


def test_the_decider_names_every_seed_that_undoes_a_result_and_the_largest_p():
    """Was: of several seeds whose runs, left out, each leave p ≥ α, the one with the largest p was named alone
    ("one run decides it: without seed 2's runs") — a marginal result on few runs read as resting on one odd run.
    Now every such seed is named, with the largest Holm p; one seed alone reads without "max"."""
    from benchmark.stats import decider, fragile_text

    drops = [(0, 0.2, 1.0), (1, 0.01, 1.0), (2, 0.3, 1.0), (3, 0.02, -0.1)]  # seed 3: the effect turns
    assert decider(drops, np.array([0.01]), 0, 1.0, 0.05) == ((0, 2, 3), 0.3)
    assert fragile_text((0, 2, 3), 0.3) == "any of seeds 0, 2, 3: max p_holm = 0.3"
    assert decider(drops[1:2] + drops[2:3], np.array([0.01]), 0, 1.0, 0.05) == ((2,), 0.3)
    assert fragile_text((2,), 0.3) == "seed 2: p_holm = 0.3"
    assert fragile_text("0; 2", 0.3) == "any of seeds 0, 2: max p_holm = 0.3"  # the CSV cell read back
    assert decider(drops[1:2], np.array([0.01]), 0, 1.0, 0.05) is None


def _marginal():
    """5 paired seeds, l2 ▼ vs l1 at p_holm = 0.024; any of four seeds' runs left out leaves p ≥ 0.07."""
    from benchmark.runstats import compare_runs

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=10, seed_sd=0.1, noise=0.05)
    a, b = (t[t["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("l2", "l1"))
    without = {s: compare_runs(np.delete(a, s, 0), np.delete(b, s, 0), min_runs=2).p for s in range(5)}
    undo = [s for s in sorted(without) if without[s] >= 0.05]
    assert len(undo) >= 2
    return t, without, undo


def test_the_leaderboard_and_compare_name_every_seed_that_undoes_a_mark():
    """The ▲/▼ note, the bold note, summary.csv's decided_by/bold_decided_by/p_without/bold_p_without and compare's
    pair (stats.pair_decided_by) all name the same seeds, in the same words."""
    from benchmark.export import notes
    from benchmark.stats import compute, pair_decided_by

    t, without, undo = _marginal()
    st = compute(t, n_boot=20)
    (cell,) = st.cells[st.cells["label"] == "l2"].itertuples(index=False)
    joined, listed = "; ".join(map(str, undo)), ", ".join(map(str, undo))
    worst = max(without[s] for s in undo)
    assert cell.vs_base == -1 and cell.decided_by == joined and abs(cell.p_without - worst) < 1e-12
    assert cell.bold_decided_by == joined and cell.bold_p_without >= 0.05
    said = [n for n in notes(st) if FRAGILE in n]
    assert len(said) == 2, notes(st)
    assert f"denoise/psnr: l2 ▼ (any of seeds {listed}: max p_holm = {worst:.2g})" in said[0], said
    assert f"denoise/psnr: l2 (any of seeds {listed}: max p_holm = " in said[1], said
    assert pair_decided_by(st, "denoise", "psnr", "l1", "l2") == (tuple(undo), pytest.approx(worst))


def test_a_findings_verdict_names_every_seed_that_undoes_it():
    """The part's note and the verdict sentence name every seed, in the leaderboard's words."""
    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark.findings import check_all

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=55, seed_sd=0.1, noise=0.05)
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("psnr",))
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    (p,) = r.parts
    assert p.verdict == "reproduced" and len(p.decided_by) >= 2, p.decided_by
    listed = ", ".join(map(str, p.decided_by))
    assert f"{FRAGILE} (any of seeds {listed}: max p_holm = " in p.note, p.note
    assert r.verdict_text == (f"reproduced on 1 of 1 part; {FRAGILE} (sr4/psnr: any of seeds {listed}); not tested on "
                              "tasks jpeg/demosaic, metrics ssim/ms_ssim: not in these results"), r.verdict_text


def test_compares_effects_line_says_its_ci_is_not_holm_adjusted():
    """Was: 'better than l1 by +0.12 dB [+0.05, +0.19] (p_holm = 0.003)' under '95 % CI; p Holm …' — the CI is the
    pair's own t interval, not the adjusted test's, which the line did not say; at α = 0.1 a significant p_holm can
    sit beside a CI across 0. Now the line says 'unadjusted', and at another α that the CI may cross 0."""
    from benchmark.compare import _effects_line

    line = _effects_line("mine", ["psnr: better than l1 by +0.12 dB [+0.05, +0.19] (p_holm = 0.003, 5 runs)"], 0.05)
    assert "; unadjusted 95 % CI; p Holm over the column's pairs): psnr: better" in line, line
    assert "\n" not in line and "may cross 0" not in line
    assert "unadjusted 95 % CI — at α = 0.1 the p decides, the CI may cross 0;" in _effects_line("mine", ["x"], 0.1)


def test_leave_one_run_out_is_computed_from_sums_and_equals_the_re_run_test(monkeypatch):
    """Was: without_each_run re-ran the paired test once per seed left out (≈ 1.2 ms a cell of 5 × 24, +0.4 s on a
    1.8 s board). Now the mean squares of each grid less one run come from the whole grid's sums (closed form), the
    test itself only near its no-spread floor — equal to the re-run to 1e-9, degenerate grids included."""
    import benchmark.runstats as R

    rng = np.random.default_rng(17)
    grids = [rng.normal(rng.normal() * 3, rng.uniform(0.01, 2), (S, I)) + rng.normal(0, 1, (S, 1))
             + rng.normal(0, 1, (1, I)) + (100.0 if k % 5 == 0 else 0.0)
             for k, (S, I) in enumerate([(3, 1), (3, 24), (5, 1), (5, 2), (5, 3), (5, 24), (10, 5), (12, 24)] * 4)]
    grids += [np.zeros((5, 3)), np.full((5, 3), 0.2), np.vstack([np.full((4, 3), 0.2), np.full((1, 3), 0.5)]),
              np.tile([0.1, 0.2, 0.3], (5, 1)), np.tile([[0.1], [0.2], [0.3], [0.1], [0.2]], (1, 3))]
    for d in grids:
        for margin in (0.0, 0.05):
            ref = [R._paired_test(np.delete(d, k, 0), margin, 0, 2) for k in range(len(d))]
            got = R.without_each_run(d, np.zeros_like(d), margin=margin)
            for (s, p, e), r in zip(got, ref):
                assert (np.isnan(p) and np.isnan(r.p)) or abs(p - r.p) <= 1e-9 * max(r.p, 1e-12), (d, s, p, r.p)
                assert abs(e - r.effect) <= 1e-9 * max(1.0, abs(e))
    calls = []
    monkeypatch.setattr(R, "_paired_test", lambda *a, **k: calls.append(1))
    R.without_each_run(grids[5], np.zeros_like(grids[5]))
    assert not calls  # a grid with spread: no test re-run


def test_the_readme_says_the_marks_pool_the_test_sets():
    """Was: the README's quick start showed two test sets 'side by side' and its *Statistics* never said that a
    cell's bold and ▲/▼ pool the images of every test set (leaderboard.md's *By test set* said so, after the
    tables). Now *Statistics* says so, and that the per-set means carry no test; the pooling it describes is the
    code's: a cell's items are the images of both sets."""
    from pathlib import Path

    from benchmark.stats import blocks

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    stats = readme[readme.index("## Statistics"):]
    assert "**Test sets pooled.**" in stats and "bold and ▲/▼ pool the images of every set" in stats
    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.1}, metrics=("psnr",), seeds=range(2),
                        n_images=2, seed=1)
    t2 = t.assign(dataset="other")
    (b,) = [b for b in blocks(pd.concat([t, t2], ignore_index=True)) if b.task == "denoise"]
    assert len(b.items) == 2 * t["image"].nunique()

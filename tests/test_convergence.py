"""Convergence (issue 21): every run is also trained at half its budget (its budget check); an arm is
converged when doubling the budget changes it by less than the metric's practical margin. Known
answers for the test, budget checks planned, trained and paired by the runner, kept out of
leaderboards, unconverged arms marked on the leaderboard, and findings parts on arms not shown
converged — or whose sign flips between ½ budget and the end — unsettled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from benchmark import convergence as C
from benchmark.findings import check_all
from benchmark.results import ResultsStore
from benchmark.synthetic import synthetic_runs, synthetic_table, write_store

FIVE = tuple(range(5))


def _curve(f, T=300, every=6):
    return [[it, float(f(it))] for it in range(every, T + 1, every)]


def test_plateau_diagnostic_of_known_curves():
    flat = _curve(lambda it: 0.05 + np.exp(-it / 10))
    falling = _curve(lambda it: 1.0 - it / 400)                   # still falling steeply at the end
    assert abs(C.plateau(flat, 300)) < 0.01
    # windows (180, 240] and (240, 300]: mean iterations 213 and 273 → drop (60/400) / (1 − 273/400)
    assert C.plateau(falling, 300) == pytest.approx((60 / 400) / (1 - 273 / 400))
    assert np.isnan(C.plateau([[1, 1.0], [2, 0.9]], 2))


def test_gain_bounds_and_status_known_answers():
    """One-sided 95 % t bounds on the mean gain over runs against the practical margin (0.05 dB)."""
    n, mean, low, high = C.gain_bounds([0.1, 0.2, 0.3, np.nan])
    half = 2.919986 * 0.1 / np.sqrt(3)                            # t(0.95, 2) × sd / √n
    assert n == 3 and (mean, low, high) == pytest.approx((0.2, 0.2 - half, 0.2 + half), rel=1e-5)

    def status(gains, m=0.05):
        n, _, low, high = C.gain_bounds(gains)
        return C.classify(n, low, high, m)

    assert status([0.0, 0.01, -0.01, 0.02, 0.0]) == C.CONVERGED
    assert status([0.3, 0.25, 0.35, 0.2, 0.3]) == C.IMPROVING
    assert status([0.2, -0.1, 0.15, -0.05, 0.1]) == C.UNCLEAR
    assert status([0.0, np.nan]) == C.UNCLEAR                     # one finite gain cannot show convergence
    m = 0.05
    assert C.classify(1, 0.2, 0.2, m) == C.UNCLEAR                # one run above the margin: no test of a direction
    assert C.classify(1, 0.0, 0.0, m) == C.UNCLEAR                # one run cannot show convergence
    assert status([-0.3, -0.25, -0.35, -0.2, -0.3]) == C.DECLINING
    assert C.classify(0, np.nan, np.nan, m) == C.NOT_CHECKED
    assert C.classify(5, 0.0, 0.01, float("inf")) == C.NOT_CHECKED   # a metric without a margin


def test_a_flat_training_curve_is_not_convergence():
    """The cosine tail is flat whether or not the net is trained: a run whose curve passes the plateau
    diagnostic but which doubling the budget still improves is *still improving* (the issue's known
    unconverged case)."""
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.0}, unconverged=("l1",),
                        budget_check=True)
    from benchmark.settings import drop_budget_checks

    main, checks = drop_budget_checks(t)
    flat = _curve(lambda it: 0.05 + np.exp(-it / 10), T=150, every=3)   # what each run's curve looks like
    assert abs(C.plateau(flat, 150)) < 0.01                       # the diagnostic says "flat"
    arms = C.arm_budget(C.budget_gains(main, checks))
    assert C.arm_status(arms, "sr4", "l1") == C.IMPROVING
    (row,) = arms.itertuples()
    assert row.gain == pytest.approx(2.0) and row.runs == 5       # 1 SCALE unit of psnr = 2 dB


def test_kendall_tau():
    assert C.kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert C.kendall_tau([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    assert np.isnan(C.kendall_tau([1, 2], [1, 2]))


def test_budget_checks_are_planned_unless_turned_off():
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(tasks=("denoise",), losses=("l1", "l2"), seeds=(0, 1), iterations=9, train_data=("skimage:train",),
                    test_data=("skimage-natural:test",), metrics=("psnr",))
    on, _, _ = build_configs(spec)
    off, _, _ = build_configs(GridSpec(**{**spec.__dict__, "budget_check": False}))
    assert sorted(c.iterations for c in on) == [4] * 4 + [9] * 4 and [c.iterations for c in off] == [9] * 4
    assert {(c.loss, c.seed) for c in on if c.iterations == 4} == {(c.loss, c.seed) for c in off}


@pytest.mark.usefixtures("one_thread")
def test_runner_trains_the_checks_and_the_leaderboard_pairs_them(tmp_path, random_images):
    """A real grid with its checks: two settings in the store, the leaderboard is the full budget's,
    each run is paired with its own check (same seed), and ``--where iterations=…`` still picks the check."""
    import dataclasses

    from benchmark.config import RunConfig
    from benchmark.runner import resolve_all, run_grid
    from benchmark.settings import select

    data = random_images(3, 48)
    base = [RunConfig(task="denoise", loss="l1", seed=s, iterations=8, batch_size=2, crop=32, train_data=data,
                      test_data=(data,)) for s in (0, 1)]
    cfgs = resolve_all(base + [dataclasses.replace(c, iterations=4) for c in base])
    store = ResultsStore(tmp_path / "r")
    run_grid(cfgs, store, ("psnr",), torch.device("cpu"), progress=False)
    full = store.table()
    chosen = select(full)
    assert chosen.settings[0]["iterations"] == 8
    assert set(chosen.checks["seed"].astype(int)) == {0, 1}
    gains = C.budget_gains(chosen.table, chosen.checks)
    assert C.budget_gains(chosen.table, chosen.checks[chosen.checks["seed"] == 0])["seed"].tolist() == [0]
    assert len(gains) == 2 and set(gains["seed"].astype(int)) == {0, 1} and np.isfinite(gains["gain"]).all()
    assert (gains["run_id"] != gains["check_id"]).all()
    half = select(full, where={"iterations": "4"})
    assert half.settings[0]["iterations"] == 4 and half.checks.empty


@pytest.mark.usefixtures("no_report_figures")  # leaderboard.md's text is checked: 6× faster
def test_leaderboard_marks_unconverged_runs_and_budget_stability(tmp_path):
    from benchmark.report import write_report

    write_store(tmp_path, tasks=("sr4",), metrics=("psnr", "ssim"), seeds=FIVE,
                half_offsets={"good": -1.0, "bad": 1.0})  # the ranking at ½ budget is reversed for those two
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=100)
    md = (tmp_path / "leaderboard.md").read_text()
    assert "Not shown converged: 10 of 20 runs" in md and "from 75 to 150 iterations" in md
    assert "mean change over seeds and test images" in md   # the rule the bounds follow (gain_stats)
    assert "sr4/good still improving on psnr (+4.00 dB)" in md
    assert "sr4/bad worse with more budget on psnr (-3.40 dB)" in md
    assert "| unconv. |" in md and "| 5/5 |" in md and "| 0/5 |" in md
    assert "Budget stability: Kendall τ" in md and "the ranking still moves in sr4" in md
    assert "75 iterations" not in md.split("\n")[4]               # the checks are no leaderboard of their own


@pytest.mark.usefixtures("no_report_figures")  # leaderboard.md's text is checked: 6× faster
def test_no_budget_checks_means_no_run_is_shown_converged(tmp_path):
    from benchmark.report import write_report

    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0},
                budget_check=False)
    store = ResultsStore(tmp_path)
    write_report(store, html=False, visual=False, n_boot=100)
    md = (tmp_path / "leaderboard.md").read_text()
    assert "Convergence not checked: none of the 10 runs has a budget check" in md
    (r,) = check_all(store.table(), ["zhao2017_l1_vs_l2"], convergence=True)
    (p,) = r.parts
    assert p.verdict == C.UNSETTLED and "convergence not checked" in p.note


@pytest.mark.usefixtures("no_report_figures")  # leaderboard.md's text is checked: 6× faster
def test_seeds_added_without_checks_are_not_counted_as_checked(tmp_path):
    """Seeds 0-2 with budget checks, 3-4 added with --no-budget-check: the note said doubling the
    budget "changed none of the 10 runs"; it names the 6 checked and what the other 4 take."""
    from benchmark.report import write_report

    offsets = {"l1": 0.0, "good": 1.0}
    for root, extra in ((tmp_path / "part", True), (tmp_path / "full", False)):
        write_store(root, seeds=(0, 1, 2), offsets=offsets, metrics=("psnr",), n_images=8)
        if extra:
            write_store(root, seeds=(3, 4), offsets=offsets, metrics=("psnr",), n_images=8, budget_check=False)
        write_report(ResultsStore(root), html=False, visual=False, n_boot=50)
    part = (tmp_path / "part" / "leaderboard.md").read_text()
    assert "Converged: doubling the budget" in part and "none of the 6 runs with a budget check by" in part
    assert ("The other 4 runs (seeds whose budget checks have no score: not trained, diverged or failed) take the "
            "status of their task and loss.") in part
    full = (tmp_path / "full" / "leaderboard.md").read_text()
    assert "none of the 6 runs by" in full and "The other" not in full


def test_findings_parts_with_unconverged_arms_are_unsettled(tmp_path):
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0},
                unconverged=("l2",))
    store = ResultsStore(tmp_path)
    (r,) = check_all(store.table(), ["zhao2017_l1_vs_l2"], convergence=True)
    (p,) = r.parts
    assert p.verdict == C.UNSETTLED
    assert "l2 still improving on psnr (+2 from ½ budget to the end, margin 0.05)" in p.note
    assert r.verdict == "inconclusive" and "1 unsettled (not converged)" in r.tally()
    assert len(check_all(store.table(), ["zhao2017_l1_vs_l2"])) == 1   # the checks are no setting of their own
    (plain,) = check_all(store.table(), ["zhao2017_l1_vs_l2"])  # a table without its store: not judged
    assert plain.verdict == "reproduced"


def test_a_part_on_a_metric_that_stopped_moving_is_unsettled_while_the_arm_still_improves(tmp_path):
    """Convergence is the arm's, as on the leaderboard: l2's SSIM no longer moves with the budget but
    its PSNR does, so its SSIM part is unsettled too (a net still improving is not trained out)."""
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr", "ssim"), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0},
                half_offsets={"l2": {"psnr": -1.0, "ssim": 0.0}})
    store = ResultsStore(tmp_path)
    from benchmark.settings import drop_budget_checks

    arms = C.arm_budget(C.budget_gains(*drop_budget_checks(store.table())))
    assert C.arm_status(arms, "sr4", "l2", "ssim") == C.CONVERGED and C.arm_status(arms, "sr4", "l2") == C.IMPROVING
    (r,) = check_all(store.table(), ["zhao2017_l1_vs_l2"], convergence=True)
    by_metric = {p.metric: p for p in r.parts}
    assert set(by_metric) == {"psnr", "ssim"}
    assert by_metric["ssim"].verdict == C.UNSETTLED and "l2 still improving on psnr (+2" in by_metric["ssim"].note
    assert by_metric["psnr"].verdict == C.UNSETTLED and r.verdict == "inconclusive"


def test_findings_part_whose_sign_flips_at_half_budget_is_unsettled(tmp_path):
    write_store(tmp_path / "moving", tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0},
                half_offsets={"l1": -0.6})  # l1 behind l2 at ½ budget, ahead at the end
    store = ResultsStore(tmp_path / "moving")
    (r,) = check_all(store.table(), ["zhao2017_l1_vs_l2"], convergence=True)
    (p,) = r.parts
    assert p.verdict == C.UNSETTLED and "changes sign between ½ budget" in p.note
    write_store(tmp_path / "steady", tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0})
    s2 = ResultsStore(tmp_path / "steady")
    (ok,) = check_all(s2.table(), ["zhao2017_l1_vs_l2"], convergence=True)
    assert ok.verdict == "reproduced"


@pytest.mark.usefixtures("no_report_figures")  # leaderboard.md's text is checked: 6× faster
def test_smoke_test_is_said_plainly(tmp_path):
    """Runs not shown converged or < 5 seeds: the leaderboard and the P–D plane say it is a smoke test."""
    from benchmark import stats as S
    from benchmark.figures import draw_pd_plane
    from benchmark.report import write_report
    from benchmark.settings import drop_budget_checks

    write_store(tmp_path / "few", tasks=("sr4",), metrics=("psnr", "vsi"), seeds=(0, 1),
                weights={"vgg": "vgg16:random(seed=0)"}, offsets={"l1": 0.0, "vgg": 0.5})
    write_report(ResultsStore(tmp_path / "few"), html=False, visual=False, n_boot=100)
    md = (tmp_path / "few" / "leaderboard.md").read_text()
    assert "> Smoke test, not a ranking: 2 runs per loss where a verdict needs ≥ 5 — no verdicts." in md
    kw = dict(tasks=("sr4",), metrics=("psnr", "vsi"), seeds=FIVE, offsets={"l1": 0.0, "vgg": 0.5})
    t, checks = drop_budget_checks(synthetic_table(**kw, unconverged=("vgg",), budget_check=True))
    metas = [m for _, m, _ in synthetic_runs(**kw) if m.get("config", {}).get("iterations") == 150]
    st = S.compute(t, metas, n_boot=50, checks=checks)
    assert S.smoke_test(st).startswith("Smoke test, not a ranking: 5 of 10 runs not shown converged")
    fig = draw_pd_plane(st, None, None)
    assert "Smoke test" in fig._suptitle.get_text()
    t, checks = drop_budget_checks(synthetic_table(**kw, budget_check=True))
    assert S.smoke_test(S.compute(t, metas, n_boot=50, checks=checks)) == ""


def test_calibrate_leaves_budget_checks_out():
    """A run and its budget check are not two runs of one arm: the variance components and the
    simulated nulls are those of the table without its checks."""
    from benchmark.calibrate import calibrate

    kw = dict(tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.0, "l2": 0.0}, seed_sd=0.1,
              half_offsets={"l1": -0.5})
    with_checks = calibrate(synthetic_table(**kw, budget_check=True), n_nulls=20, max_runs=5, aa_sims=2)
    without = calibrate(synthetic_table(**kw), n_nulls=20, max_runs=5, aa_sims=2)
    assert with_checks.components.equals(without.components) and with_checks.nulls.equals(without.nulls)


def test_runs_are_paired_with_the_checks_of_their_own_setting():
    """Two settings (nets) in one store, each with its checks: every run gets its own setting's
    check, so one setting's convergence is not averaged into the other's."""
    from benchmark.settings import drop_budget_checks

    kw = dict(tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0}, budget_check=True)
    a = synthetic_table(**kw)
    b = synthetic_table(**kw, unconverged=("l1",), seed=1)
    b = b.assign(setting=b["setting"].str.replace('"net": "tiny"', '"net": "small"'),
                 run_id=b["run_id"].astype(str) + "-small")
    main, checks = drop_budget_checks(pd.concat([a, b], ignore_index=True))
    gains = C.budget_gains(main, checks)
    assert len(gains) == 20 and gains["run_id"].is_unique
    small = gains["setting"].str.contains('"small"')
    assert (gains.loc[~small, "gain"] == 0).all()
    assert gains.loc[small & (gains["loss"] == "l1"), "gain"].tolist() == pytest.approx([2.0] * 5)
    arms = C.arm_budget(gains)
    assert (arms["status"] == C.IMPROVING).sum() == 1 and (arms["status"] == C.CONVERGED).sum() == 3
    results = check_all(pd.concat([a, b], ignore_index=True), ["zhao2017_l1_vs_l2"], convergence=True)
    verdicts = {r.setting.split("net ")[1].split(",")[0]: r.verdict for r in results}  # one per setting
    assert verdicts == {"tiny": "reproduced", "small": "inconclusive"}

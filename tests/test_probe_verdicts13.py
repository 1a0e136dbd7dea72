"""Probe of verdicts (round 13): the seeds a verdict asks for, calibration's runs needed, and what a table claims."""

from __future__ import annotations

import os
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.stats  # noqa: F401

# imported once at collection (compare's report imports torch and scipy.stats): the tests below time their own work
import benchmark.calibrate  # noqa: F401
import benchmark.compare  # noqa: F401
import benchmark.convergence  # noqa: F401
import benchmark.export  # noqa: F401
import benchmark.figures  # noqa: F401
import benchmark.findings  # noqa: F401
import benchmark.settings  # noqa: F401
import benchmark.synthetic  # noqa: F401
import benchmark.task  # noqa: F401
from benchmark.registry import LOSSES

LOSSES.declared_names()  # the loss files' names, parsed once (a figure's colour order): not the first figure's cost


def _no_fsync(monkeypatch) -> None:
    """The store's writes without their fsyncs (durability is not what these tests check; 21 fsyncs of a 7-run
    store took 0.3–0.45 s of a loaded machine)."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def _decisive(I: int, sd_run: float, sd_res: float, effect: float, n: int, draws: int, level: float = 0.05) -> float:
    """The share of ``draws`` re-runs of ``n`` paired seeds on ``I`` images that the part's test (compare_runs) calls
    significant in the effect's direction."""
    from benchmark.runstats import compare_runs

    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(draws):
        a = effect + rng.normal(0, sd_run, (n, 1)) + rng.normal(0, sd_res, (n, I))
        c = compare_runs(a, np.zeros((n, I)))
        hits += bool(c.p < level and c.effect > 0)
    return hits / draws


def test_seeds_to_settle_plans_with_the_degrees_of_freedom_the_test_will_have():
    """Was: seeds_to_settle planned its Student's t at min(seeds, images) − 1 degrees of freedom — 2 on 3 test images
    — while the test it plans for (runstats.two_level_se) has Satterthwaite's 3.3–4.3 there when the runs' level
    dominates: 5 seeds × 3 images (run sd 0.3, run × image 0.2, an effect of 0.35 dB) were told '≈ 50 paired seeds
    per arm', and 25 of them already reproduce it 98 % of the time. Over 5-seed pilots of that design the seeds named
    reached 0.97 power (median 39 seeds); now the t's degrees of freedom are the test's own at the mean squares
    expected of the seeds tried (two_level_df, with the part's residual mean square): 0.91 (median 20 seeds; the rest
    above 0.80 is SETTLE_BOUND's margin). Checked from the design's true variances (the formula, not one pilot)."""
    from benchmark.findings import Part, seeds_to_settle

    I, sd_run, sd_res, effect = 3, 0.3, 0.2, 0.35
    se = float(np.sqrt(sd_run ** 2 / 5 + sd_res ** 2 / (5 * I)))
    p = Part("sr4", "psnr", "A", "B", "better", effect, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, I, 5, 5, False, True,
             n_runs=5, se=se, practical=0.05, se_images=0.0, settle_level=0.05, residual=sd_res ** 2)
    s = seeds_to_settle(p)
    m = re.search(r"≈ (\d+) paired seeds", s)
    assert m, s
    n = int(m.group(1))
    assert _decisive(I, sd_run, sd_res, effect, n, 150) >= 0.8, s             # the power it states, at least
    assert _decisive(I, sd_run, sd_res, effect, n // 2, 150) < 0.8, s         # not twice the seeds it needs


def _three_image_pilot(seed: int, loss_x_image: float) -> pd.DataFrame:
    """3 losses × 5 seeds × 3 test images of sr4/psnr with a loss × image level (run sd 0.05, run × image 0.1)."""
    rng = np.random.default_rng(seed)
    img = rng.normal(0, 1.0, 3)
    rows = []
    for loss in ("l0", "l1", "l2"):
        v = img + rng.normal(0, loss_x_image, 3) + rng.normal(0, 0.05, (5, 1)) + rng.normal(0, 0.1, (5, 3))
        rows += [("sr4", loss, s, f"img{i}", float(v[s, i])) for s in range(5) for i in range(3)]
    t = pd.DataFrame(rows, columns=["task", "loss", "seed", "image", "value"])
    return t.assign(metric="psnr", higher_is_better=True, dataset="calibration", weights="none")


def test_calibrate_says_when_no_count_of_runs_reaches_the_power_on_few_test_images():
    """Was: on 3 test images with a loss × image level (sd 0.15 per loss: 0.3 dB has an SE of 0.12 dB from the images
    alone, on 2 degrees of freedom) `plbench calibrate` read 'needs runs for effect 0.3: > 12 runs' — as if a 13th run
    would do — where no count of runs reaches 80 % (0.2–0.3 at 48 runs, simulated with the true components): the
    images limit it. So did 22 of 30 pilots of test_probe_calib12's design (a level a third that size) once planned
    at the bounds; the 8 that named a count were those whose level came out low, which is why the runs named there
    reached 0.77–0.78 power on average, not 0.80 (not the test's degrees of freedom: calibrate simulates the test
    itself). Now the
    curve goes on at 4 and 16 × max_runs with the components as measured, and says 'not with runs alone … more test
    images' where none of them reaches it, '> 12 runs (80 % by 48)' where one does."""
    from benchmark import calibrate as C

    comp = C.components(_three_image_pilot(0, 0.15)).iloc[0].to_dict()
    curve = C.power_curve(C.planned(comp), 0.3, np.random.default_rng(1), 5, 6, 20, far_comp=comp)
    power = pd.DataFrame([{"task": "sr4", "metric": "psnr", "effect": 0.3, "runs": k, "power": pw} for k, pw in curve])
    text = C._needs_text(C.needs_runs(power).iloc[0], comp)
    assert "not with runs alone" in text and "more test images" in text, text
    true = {"task": "sr4", "metric": "psnr", "higher": True, "run_sd": 0.05, "image_sd": 1.0, "image_x_run_sd": 0.1,
            "loss_x_image_sd": 0.15, "n_images": 3}
    rng = np.random.default_rng(2)
    hits = np.mean([C.fast_verdict(*C.simulate(true, 48, rng, 0.3), "sr4", "psnr", True) == "reproduced"
                    for _ in range(60)])
    assert hits < C.POWER, hits  # the truth: 48 runs do not reach it either


def test_compare_says_its_wins_and_losses_hold_alpha_per_column_not_across_them(tmp_path, monkeypatch):
    """Was: compare's header said 'Holm over each metric column's pairs of losses … α = 0.05' and nothing of what it
    means across columns: a new loss equal to a field of four equal losses showed some 'significantly better / worse
    than' in 4 of 40 simulated null stores of 3 tasks × 3 metrics (twice α), and a user adding one loss reads its
    wins over every task and metric at once. The leaderboard says it of bold; compare now says it too, with the
    number of its columns tested (≥ 5 runs: an untested column shows no win or loss)."""
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the text is tested, not the figure
    _no_fsync(monkeypatch)
    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "mine": 0.0}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=3, budget_check=False)
    metas = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": metas}, ["mine"], {"denoise": []}, 0.05, 20, "l1", ())
    assert "Each metric column is its own family: across the 2 tested columns below" in text, text[:2000]
    assert "more often than α" in text


def test_calibrate_says_a_metric_without_spread_needs_no_runs_count():
    """Was: a metric every run scores the same on every image (saturated: SSIM 1.0 throughout) has variance
    components of 0, its simulated tables no spread (SE 0: never tested), so its power is 0 at any count — and
    calibration.md read 'needs runs for effect 0.012: > 12 runs', as if more runs would do (and, with the far counts,
    'the test images limit it'). It now says there is no spread to test at any count."""
    from benchmark import calibrate as C
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("ssim",), seeds=range(5), n_images=4,
                        seed=3, seed_sd=0.1)
    t["value"] = 1.0
    text = C.to_text(C.calibrate(t, n_nulls=10, aa_sims=0, max_runs=5))
    row = next(line for line in text.splitlines() if line.startswith("| sr4"))
    assert "no spread" in row and "> 5 runs" not in row and "test images" not in row, row


def _loss_x_image_null(seed: int, level: float, n_images: int) -> pd.DataFrame:
    """4 losses equal over the population of images (synthetic offsets 0) that differ image by image: each (task,
    loss, image, metric) gets its own shift of ``level`` metric scale units (sd)."""
    from benchmark.synthetic import SCALE, synthetic_table

    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim", "lpips"), seeds=range(5), n_images=n_images,
                        seed=seed, seed_sd=0.2, offsets={"l1": 0.0, "l2": 0.0, "a": 0.0, "b": 0.0})
    rng = np.random.default_rng(1000 + seed)
    key = t["task"].astype(str) + "|" + t["loss"].astype(str) + "|" + t["image"].astype(str) + "|" + t["metric"]
    shift = {k: rng.normal() for k in key.unique()}
    return t.assign(value=t["value"] + level * key.map(shift).astype(float) * t["metric"].map(SCALE).astype(float))


def test_the_friedman_line_says_its_relabellings_keep_the_test_images_fixed():
    """Was: the leaderboard's 'Friedman test … p ≤ 0.0005; critical difference …' (and the CD diagram) read as a
    test of the losses like the pair tests, but its relabellings move runs, each scored on the same test images: a
    difference that holds on these images only counts. Losses equal over images with a loss × image level (1 scale
    unit) on 4 test images were called different in 15 of 20 null grids of 2 tasks × 3 metrics (7 of 20 on 12
    images; this one: 1 task), where the pair tests
    (their SE has the image level) marked some pair in 4 of 20. The line now says the images are fixed in it and what
    that means, and so does the CD diagram's title."""
    from benchmark.export import friedman_text
    from benchmark.stats import compute

    st = compute(_loss_x_image_null(0, 1.0, 4), n_boot=20)
    assert st.friedman["p"] < 0.05, st.friedman  # the null grid the test calls different
    text = friedman_text(st)
    assert "keep the 4 test images fixed" in text and "not over images" in text, text
    from benchmark.figures import draw_cd_diagram

    fig = draw_cd_diagram(st)  # the published diagram's title too
    title = " ".join(f"{fig.get_suptitle()} {fig.get_supxlabel()}".split())  # its explanation: the caption
    plt.close(fig)
    assert "on these 4 test images, not over images" in title, title


def test_compare_says_a_value_on_one_run_has_the_images_spread_alone_in_its_interval(tmp_path, monkeypatch):
    """Was: a field trained on one seed (a quick first look) gives the new loss one run too, and compare's
    'value ± CI' column showed an interval that is the image-to-image spread alone — no second run to estimate the
    run-to-run spread — with no word; the leaderboard says so of such cells ('One run per cell …'), compare now too.
    And its columns, untested with one run, show no win or loss: the header's note on the columns' families (6841cd6)
    was said of them too, and is not now."""
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    _no_fsync(monkeypatch)
    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.0, "mine": 0.0}, metrics=("psnr", "ssim"),
                        seeds=(0,), n_images=4, budget_check=False)
    metas = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": metas}, ["mine"], {"denoise": []}, 0.05, 20, "l1", ())
    assert "One run per cell in denoise (l1, l2, mine)" in text and "image-to-image spread alone" in text, text
    assert "its own family" not in text, text[:1500]


def test_findings_md_says_each_finding_holds_alpha_alone_across_the_findings_tested():
    """Was: findings.md said 'Holm over a finding's parts … one family per finding' and nothing of what that means
    over the findings of a store — several claims, each at α, give a wrong verdict somewhere more often than α, as
    the leaderboard says of bold's per-column families and compare of its columns. It now says so, with the number
    of findings that have a tested part (one alone: nothing to say)."""
    from benchmark.findings import FindingResult, Part, to_markdown

    def result(name: str, p_adj: float) -> FindingResult:
        part = Part("sr4", "psnr", "l1", "l2", "better", 0.1, -0.1, 0.3, 0.0, p_adj, p_adj, 0.0, 6, 5, 5, False, True,
                    n_runs=5, se=0.1, practical=0.05)
        return FindingResult(name, "a claim", "someone", "somewhere", "inconclusive", "sr4", parts=[part])

    three = to_markdown([result("a", 0.3), result("b", 0.6), result("c", float("nan"))])
    assert "Each finding holds α on its own: across the 2 findings tested here" in three, three[:1500]
    assert "Each finding holds α" not in to_markdown([result("a", 0.3)])


def test_calibrate_draws_the_far_counts_fully_only_near_the_power(monkeypatch):
    """Was: where no count up to max_runs reached 80 %, power_curve drew (1 + CONFIRM) × n_pow tables at each far count
    (48 and 192 runs) whatever the first of them showed — 1000 tables of up to 192 runs per cell, which more than
    doubled a calibrate of a grid like the quick profile's (5 tasks × 3 test images; PSNR and SSIM: 1.9 → 4.2 s of
    CPU; now 3.1 s). A far count whose first n_pow draws lie well below the power (0.2–0.3 here) is said from them;
    the extra draws are kept for those near it, where '80 % by 48' or 'not with runs alone' turns on them."""
    from benchmark import calibrate as C

    drawn = []
    simulate = C.simulate
    monkeypatch.setattr(C, "simulate", lambda comp, k, rng, effect=0.0: drawn.append(k) or simulate(comp, k, rng,
                                                                                                     effect))
    comp = C.components(_three_image_pilot(0, 0.15)).iloc[0].to_dict()
    curve = C.power_curve(C.planned(comp), 0.3, np.random.default_rng(1), 5, 6, 20, far_comp=comp)
    far = dict(curve[5:])
    assert sorted(far) == [24, 96] and max(far.values()) < 0.65, curve
    assert drawn.count(24) == drawn.count(96) == 20, (drawn.count(24), drawn.count(96))  # n_pow each, not 5 × n_pow
    # near the power the far count is still confirmed with the extra draws (as the counts up to max_runs are)
    drawn.clear()
    easy = {**comp, "loss_x_image_sd": 0.0, "image_x_run_sd": 0.3, "run_sd": 0.3}
    curve = C.power_curve(easy, 0.3, np.random.default_rng(1), 5, 3, 20)
    assert [k for k, _ in curve[2:]] == [12, 48] and curve[-1][1] >= C.POWER, curve
    assert drawn.count(12) == 20 and drawn.count(48) == 20 * (1 + C.CONFIRM), (drawn.count(12), drawn.count(48))


def test_a_finding_that_takes_one_of_a_losss_weight_sets_says_which_and_which_not():
    """Was: with two weight sets of one kind for a loss (vgg on a random VGG16 and on a random VGG19), a finding that
    asks for the loss (Results.arm, as liu2021_random_vgg does) took the first by name and said nothing of the other:
    the VGG19 runs were left out of the verdict without a word. The parts now say which set they test and which they
    do not."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    kw = dict(tasks=("sr4",), metrics=("vsi",), seeds=range(5), n_images=3)
    t16 = synthetic_table(offsets={"vgg": 1.0, "l2": 0.0}, weights={"vgg": "vgg16:random(seed=0)"}, **kw)
    t19 = synthetic_table(offsets={"vgg": 1.0}, weights={"vgg": "vgg19:random(seed=0)"}, seed=1, **kw)
    t19 = t19[t19["loss"].astype(str) == "vgg"].assign(run_id=lambda d: d["run_id"].astype(str) + "-19")
    r = check_all(pd.concat([t16, t19], ignore_index=True), ["liu2021_random_vgg"], n_boot=50)[0]
    assert r.parts and all(p.a == "vgg [vgg16:random]" for p in r.parts), [p.a for p in r.parts]
    assert all("also vgg [vgg19:random]" in p.note and "not tested" in p.note for p in r.parts), r.parts[0].note
    # one weight set: nothing to say
    r = check_all(t16, ["liu2021_random_vgg"], n_boot=50)[0]
    assert r.parts and not any("not tested" in p.note for p in r.parts), r.parts[0].note


def test_the_report_and_the_terminal_say_each_finding_holds_alpha_alone_too():
    """Was: findings.md said what one Holm family per finding means across the findings tested (2a21e48), but the
    report's Findings tab (findings.to_html: 'Holm over the claim's parts') and `plbench findings`'s table
    (findings.to_text) — where most readers see the verdicts side by side — did not."""
    from benchmark.findings import FindingResult, Part, to_html, to_text

    def result(name: str, p_adj: float) -> FindingResult:
        part = Part("sr4", "psnr", "l1", "l2", "better", 0.1, -0.1, 0.3, 0.0, p_adj, p_adj, 0.0, 6, 5, 5, False, True,
                    n_runs=5, se=0.1, practical=0.05)
        return FindingResult(name, "a claim", "someone", "somewhere", "inconclusive", "sr4", parts=[part])

    three = [result("a", 0.3), result("b", 0.6), result("c", float("nan"))]
    said = "Each finding holds α on its own: across the 2 findings tested here"
    assert said in to_html(three), to_html(three)[:600]
    assert said in to_text(three), to_text(three)
    assert "Each finding holds α" not in to_html(three[:1]) + to_text(three[:1])


def test_calibrate_says_not_with_runs_alone_only_where_a_loss_x_image_level_bounds_the_power():
    """Was: where no far count reached 80 % and the cell had no loss × image level, calibration.md read 'not with runs
    alone (under 80 % at 192 runs)' — but without that level the SE shrinks to 0 with the runs and some count does
    reach it (7d7dd37 dropped only the images as the reason). It reads '> 192 runs' there now."""
    from benchmark import calibrate as C

    row = {"effect": 0.3, "runs": float("nan"), "max_tried": 12, "reached_by": float("nan"), "far": 192}
    none = {"run_sd": 1.0, "image_x_run_sd": 1.0, "loss_x_image_sd": 0.0}
    text = C._needs_text(row, none)
    assert text == "0.3: > 192 runs", text
    assert "not with runs alone" in C._needs_text(row, {**none, "loss_x_image_sd": 0.1})
    # the truth: with no loss × image level a count past 192 reaches it (SE √(2 · (1 + 1/3) / runs): 0.04 at 1536)
    comp = {"task": "sr4", "metric": "psnr", "higher": True, "image_sd": 1.0, "n_images": 3, **none}
    rng = np.random.default_rng(0)

    def power(k: int) -> float:
        return np.mean([C.fast_verdict(*C.simulate(comp, k, rng, 0.3), "sr4", "psnr", True) == "reproduced"
                        for _ in range(20)])

    assert power(192) < C.POWER <= power(1536)


def test_liu_says_which_of_several_l2_plus_random_vgg_arms_it_tests():
    """Was: liu2021_random_vgg took the first ℓ2 + random-VGG arm by name (its own loop over the arms, not
    Results.arm) and said nothing of the others: 'l2 + 0.1*gpl' on a random VGG16 and on a random VGG19 — the VGG19
    runs left out of the verdict without a word. Its parts now name them, as a loss's weight sets taken by
    Results.arm are named."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    mix = "l2 + 0.1*gpl"
    kw = dict(tasks=("sr4",), metrics=("vsi",), seeds=range(5), n_images=3)
    t16 = synthetic_table(offsets={mix: 1.0, "l2": 0.0}, weights={mix: "vgg16:random(seed=0)"}, **kw)
    t19 = synthetic_table(offsets={mix: 1.0}, weights={mix: "vgg19:random(seed=0)"}, seed=1, **kw)
    t19 = t19[t19["loss"].astype(str) == mix].assign(run_id=lambda d: d["run_id"].astype(str) + "-19")
    r = check_all(pd.concat([t16, t19], ignore_index=True), ["liu2021_random_vgg"], n_boot=50)[0]
    assert r.parts and all(p.a == f"{mix} [vgg16:random]" for p in r.parts), [p.a for p in r.parts]
    assert all(f"the first by name of 2 ℓ2 + random-VGG arms here (also {mix} [vgg19:random]: not tested" in p.note
               for p in r.parts), r.parts[0].note


def test_the_weight_sets_one_finding_passed_over_are_not_said_of_the_next_findings_parts():
    """Was (0c79b94): the weight sets Results.arm passed over were kept on the Results that check_all shares between
    findings, so a finding checked after liu2021_random_vgg (which took vgg [vgg16:random] of two) said 'vgg
    [vgg19:random]: not tested by this finding' of its own parts against vgg [vgg16:random] — delbracio2021_pdl
    tests both. Each finding's choices are its own."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    kw = dict(tasks=("sr4",), metrics=("vsi",), seeds=range(5), n_images=3)
    t16 = synthetic_table(offsets={"vgg": 0.0, "pdl": 0.0, "l2": 0.0}, weights={"vgg": "vgg16:random(seed=0)",
                                                                               "pdl": "vgg16:random(seed=0)"}, **kw)
    t19 = synthetic_table(offsets={"vgg": 0.0}, weights={"vgg": "vgg19:random(seed=0)"}, seed=1, **kw)
    t19 = t19[t19["loss"].astype(str) == "vgg"].assign(run_id=lambda d: d["run_id"].astype(str) + "-19")
    # a pdl on pretrained weights too: without one delbracio2021 'needs weights' (tests/test_probe_methods16.py) and
    # compares nothing; its random parts are then listed (out of regime), with their notes
    tpre = synthetic_table(offsets={"pdl": 0.0}, weights={"pdl": "vgg16:IMAGENET1K_V1"}, seed=2, **kw)
    tpre = tpre[tpre["loss"].astype(str) == "pdl"].assign(run_id=lambda d: d["run_id"].astype(str) + "-pre")
    liu, pdl = check_all(pd.concat([t16, t19, tpre], ignore_index=True), ["liu2021_random_vgg", "delbracio2021_pdl"],
                         n_boot=50)
    assert any("not tested by this finding" in p.note for p in liu.parts), [p.note for p in liu.parts]
    assert {p.b for p in pdl.parts} == {"vgg [vgg16:random]", "vgg [vgg19:random]"}, [p.b for p in pdl.parts]
    assert not any("not tested by this finding" in p.note for p in pdl.parts), [p.note for p in pdl.parts]

"""Probe of the verdicts, session 23: a "reproduced" that says more than was tested, claim lines that say what the
rule tests."""

from __future__ import annotations

from conftest import one_finding

from benchmark.synthetic import synthetic_table


def _mix(offset: float):
    return synthetic_table(tasks=("sr4",), metrics=("psnr", "ssim"), seeds=range(8), seed_sd=0.005, noise=0.005,
                           offsets={"ms_ssim_l1": offset, "l1": 0.0}, n_images=6)


def test_zhao_s_mix_is_not_the_best_on_a_tie():
    """Zhao et al. claim Mix is *the best* loss (Tables I–II: Mix's means above every other loss's; METHODS.md: "the
    MS-SSIM+L1 mix is best overall"). The finding tested non-inferiority (Mix ≥ rival − margin) and printed
    "reproduced" for a Mix equal to every rival on 8 tight seeds (a null simulation: 20 of 20 draws reproduced,
    README *Findings*) — among the best, not the best. Now each part is Mix > rival: a tie is inconclusive (not
    contradicted), Mix clearly ahead is still reproduced, and the claim and refutation lines say "better" and "tie"."""
    from benchmark.registry import FINDINGS

    tie = one_finding(_mix(0.0), "zhao2017_mix_best")
    assert tie.verdict not in ("reproduced", "contradicted"), tie.verdict_text
    assert all(p.relation == "better" for p in tie.parts), [p.relation for p in tie.parts]
    assert not any(p.verdict == "reproduced" for p in tie.parts), [p.verdict for p in tie.parts]
    ahead = one_finding(_mix(0.2), "zhao2017_mix_best")
    assert ahead.verdict == "reproduced", ahead.verdict_text
    assert "at least as good" not in tie.claim and "better than" in tie.claim, tie.claim
    assert "tie" in tie.refuted_by and "inconclusive" in tie.refuted_by, tie.refuted_by
    assert FINDINGS.get("zhao2017_mix_best").version == "4"


def _blau_on(metrics: tuple[str, str], vgg: dict):
    t = synthetic_table(tasks=("sr4",), metrics=metrics, offsets={"l2": 0.0, "vgg": vgg}, seeds=range(5),
                        seed_sd=0.05, n_images=8, weights={"vgg": "vgg16:imagenet"})
    return one_finding(t, "blau2018_pd_tradeoff")


def test_blau_s_printed_sentences_say_what_its_rule_tests():
    """Was: the claim line read "deep-feature losses trade distortion for perception: better perceptual score, worse
    PSNR than ℓ2" — a loss worse on perception reads as against it, where the rule (v5) is contradicted only by a loss
    better than ℓ2 on *both* axes (the paper's bound) and calls any other miss inconclusive; and every verdict said
    "PSNR" when the distortion axis was SSIM (a store without psnr: the P–D plane's first fidelity metric), e.g.
    "contradicted: better than ℓ2 on both axes (perception and PSNR)" on an ssim part. Now the claim line names both
    outcomes, and the verdict names the distortion metric its parts were tested on."""
    both = _blau_on(("ssim", "niqe"), {"ssim": 1.0, "niqe": 1.0})
    assert both.verdict == "contradicted", both.verdict_text
    assert "PSNR" not in both.verdict_text and "ssim" in both.verdict_text, both.verdict_text
    other_way = _blau_on(("ssim", "niqe"), {"ssim": 1.0, "niqe": -1.0})
    assert other_way.verdict == "inconclusive", other_way.verdict_text
    assert "PSNR" not in other_way.verdict_text and "ssim" in other_way.verdict_text, other_way.verdict_text
    on_psnr = _blau_on(("psnr", "niqe"), {"psnr": 1.0, "niqe": 1.0})
    assert "(perception and PSNR)" in on_psnr.verdict_text, on_psnr.verdict_text
    assert "better than ℓ2 on both" in both.claim and "contradicted only" in both.claim, both.claim
    assert "distortion" in both.refuted_by and "SSIM" in both.refuted_by, both.refuted_by


def test_calibrate_does_not_call_the_checker_ok_on_a_pooled_rate_one_cell_exceeds():
    """Was: `plbench calibrate` judged only the nulls pooled over its (task, metric) cells: 15/100 false verdicts on
    sr4/psnr (15 %, binomial p ≈ 4e-4 against 5 %, under Holm over the 3 cells too) beside 0/100 on two others printed
    "15/300 false verdicts = 5.0% (ok)" — a rate no cell measured, hiding the one the checker fails. Now each cell is
    tested too (one-sided binomial, Holm over the cells): the line says TOO HIGH and names the cell and its count;
    the same counts spread evenly stay ok."""
    import pandas as pd

    from benchmark.calibrate import Calibration, to_text

    def said(counts):
        cells = [("sr4", "psnr"), ("sr4", "ssim"), ("jpeg", "psnr")]
        comps = pd.DataFrame([{"task": t, "metric": m, "higher": True, "run_sd": 0.1, "image_sd": 1.0,
                               "image_x_run_sd": 0.1, "loss_x_image_sd": 0.0, "n_images": 20, "losses": 2,
                               "runs": 10} for t, m in cells])
        nulls = pd.DataFrame([{"task": t, "metric": m, "n_nulls": 100, "false": k, "rate": k / 100}
                              for (t, m), k in zip(cells, counts)])
        cal = Calibration(comps, nulls, pd.DataFrame(),
                          pd.DataFrame(columns=["task", "metric", "effect", "runs", "power"]), 5, "no A/A")
        return next(x for x in to_text(cal).splitlines() if x.startswith("**Simulated nulls**"))

    one = said([15, 0, 0])
    assert "15/300" in one and "(ok)" not in one and "TOO HIGH" in one, one
    assert "sr4/psnr: 15/100" in one and "sr4/ssim" not in one, one
    even = said([5, 5, 5])
    assert "(ok)" in even and "TOO HIGH" not in even, even


def test_a_reproduced_claim_says_which_of_its_tasks_and_metrics_it_was_not_tested_on():
    """Was: Zhao's "ℓ1 is better than ℓ2 on PSNR, SSIM and MS-SSIM for super-resolution, JPEG deblocking and
    demosaicking", checked on a store of sr4 scored on psnr alone, printed "REPRODUCED on 1 of 1 part" beside that
    claim line — 1 of the 9 (task, metric) pairs it names, the other 8 not in the store, said nowhere but in a
    "checked on: tasks sr4" line. Now the verdict says which of the claim's tasks and metrics were not tested; a store
    with all of them says nothing more."""
    from benchmark.findings import to_text

    sub = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l2": 0.0, "l1": 1.0}, seeds=range(5),
                          seed_sd=0.05, n_images=6)
    r = one_finding(sub, "zhao2017_l1_vs_l2")
    assert r.verdict == "reproduced", r.verdict_text
    said = "not tested on tasks jpeg/demosaic, metrics ssim/ms_ssim: not in these results"
    assert said in r.verdict_text, r.verdict_text
    assert "not tested on tasks jpeg/demosaic" in to_text([r])
    full = synthetic_table(tasks=("sr4", "jpeg", "demosaic"), metrics=("psnr", "ssim", "ms_ssim"),
                           offsets={"l2": 0.0, "l1": 1.0}, seeds=range(5), seed_sd=0.05, n_images=6)
    r = one_finding(full, "zhao2017_l1_vs_l2")
    assert r.verdict == "reproduced" and "not tested" not in r.verdict_text, r.verdict_text


def test_mix_reproduced_against_some_of_its_rivals_says_which_it_was_not_tested_against():
    """Was: "Mix is better than each of ℓ1, ℓ2, SSIM and MS-SSIM", checked on a store with ℓ1 as its only rival,
    read "reproduced on 1 of 1 part" — the claim about four rivals held against one, the others said nowhere. Now the
    sentence names the rivals no part was tested against, with the tasks and metrics."""
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"ms_ssim_l1": 1.0, "l1": 0.0}, seeds=range(5),
                        seed_sd=0.05, n_images=6)
    r = one_finding(t, "zhao2017_mix_best")
    assert r.verdict == "reproduced", r.verdict_text
    assert ("not tested on tasks jpeg/demosaic, metrics ssim/ms_ssim, rivals l2/ssim/ms_ssim: not in these "
            "results") in r.verdict_text, r.verdict_text

"""Probe of verdicts (round 18): printed p's, a compared loss's effect on the field's verdicts and findings, runs at
half the iterations that check no run, the fragile flag in a Holm family."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)
from test_probe_verdicts17 import _zhao  # zhao2017 on psnr alone

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


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


def _holm_by_hand(p):
    p = np.asarray(p, float)
    order = np.argsort(p)
    adj = np.maximum.accumulate([(len(p) - k) * p[i] for k, i in enumerate(order)])
    out = np.empty(len(p))
    out[order] = np.minimum(adj, 1)
    return out


def test_a_field_mark_that_adding_losses_took_out_of_significance_is_named():
    """Was: l2 ▼ vs l1 at p_holm = 0.023 on a field of l1, l2, l3 (denoise, psnr + ssim, 5 seeds × 6 images) went
    plain when `plbench compare` added two losses — their tests joined the table's ▲/▼ family (4 → 8 comparisons) —
    and nothing said so: the published ▼ was gone from the regenerated leaderboard. Now stats.family_losses names
    each field verdict a comparison took out of significance, with its Holm p before and after (recomputed here from
    compare_runs' raw p's and Holm by hand); a verdict it left alone is not named."""
    from benchmark.runstats import compare_runs
    from benchmark.stats import compute, family_losses

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": -0.35, "l3": 0.0, "mine": 0.0, "mine2": 0.0},
                        metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=13, seed_sd=0.1, noise=0.05)
    arm = {(loss, m): t[(t["loss"] == loss) & (t["metric"] == m)].pivot(index="seed", columns="image",
                                                                       values="value").to_numpy()
           for loss in ("l1", "l2", "l3", "mine", "mine2") for m in ("psnr", "ssim")}
    raw = {(loss, m): compare_runs(arm[loss, m], arm["l1", m]).p
           for loss in ("l2", "l3", "mine", "mine2") for m in ("psnr", "ssim")}
    field = [k for k in raw if k[0] in ("l2", "l3")]
    before = dict(zip(field, _holm_by_hand([raw[k] for k in field])))
    after = dict(zip(raw, _holm_by_hand(list(raw.values()))))
    assert before["l2", "psnr"] < 0.05 <= after["l2", "psnr"]
    changed = family_losses([compute(t, n_boot=20)], {"mine", "mine2"}, 0.05)
    assert (f"denoise/psnr: l2 ▼ vs l1 (p_holm {before['l2', 'psnr']:.2g} → {after['l2', 'psnr']:.2g})"
            in changed), changed
    kept = [k for k in field if before[k] < 0.05 and after[k] < 0.05]
    assert not any(f"{loss} ▼" in c and f"/{m}:" in c for loss, m in kept for c in changed), (kept, changed)
    # no verdict of the field changes without the new losses' tests in its families
    assert family_losses([compute(t, n_boot=20)], set(), 0.05) == []


@pytest.mark.slow  # ≈ 1.5 s: compare's whole summary of a written store
def test_compare_says_which_field_verdicts_its_new_losses_took_out_of_significance(tmp_path, monkeypatch):
    """The same field and two new losses through `plbench compare`'s summary: a section names the field's ▼ its
    comparison took away, with the Holm p before and after."""
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.stats import compute
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = write_store(tmp_path / "r", tasks=("denoise",),
                        offsets={"l1": 0.0, "l2": -0.35, "l3": 0.0, "mine": 0.0, "mine2": 0.0},
                        metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=13, seed_sd=0.1, noise=0.05,
                        budget_check=False)
    t = store.table()
    c = compute(t[~t["loss"].isin(["mine", "mine2"])], n_boot=20).cells
    old = float(c.loc[(c["label"] == "l2") & (c["metric"] == "psnr"), "p_base_adj"].iloc[0])
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["mine", "mine2"], {"denoise": []}, 0.05, 20, "l1", ())
    assert "## The field's verdicts this comparison changed" in text, text
    line = text.split("## The field's verdicts this comparison changed")[1]
    assert f"denoise/psnr: l2 ▼ vs l1 (p_holm {old:.2g} → " in line, line


def test_runs_at_half_the_iterations_that_check_no_run_are_said_not_dropped_silently():
    """Was: l1 and l2 × 10 seeds at 150 iterations, then 5 more l1 seeds (5–9) at 300: the leaderboard showed l1's 5
    runs at 300 alone ('one loss in denoise', no test) and said 'none of the 5 runs has a budget check' — the 15 runs
    at 150, half of 300, were read as budget checks of runs that do not exist and were in no table, with no word. Now
    a note counts them, names each loss's seeds and the --where that shows them; a store whose every check has its
    run says nothing of it."""
    import json

    from benchmark.export import notes
    from benchmark.settings import select
    from benchmark.stats import compute

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(10),
                        n_images=6, seed=1, seed_sd=0.1)
    later = (t["loss"] == "l1") & (t["seed"] >= 5)
    t.loc[later, "setting"] = t.loc[later, "setting"].map(
        lambda s: json.dumps({**json.loads(s), "iterations": 300}, sort_keys=True))
    t.loc[later, "run_id"] = t.loc[later, "run_id"].astype(str) + "-300"
    sel = select(t)
    assert set(sel.table.loc[sel.table["loss"] != "input", "seed"]) == {5, 6, 7, 8, 9}  # the board: l1 at 300
    st = compute(sel.table, checks=sel.checks, n_boot=20)
    line = ("15 runs at 150 iterations — half this setting's 300, so read as budget checks — have no run of their loss "
            "and seed at the full budget and are in no table or test here: denoise/l1 (seeds 0–4); denoise/l2 (seeds "
            "0–9) (`--where iterations=150` shows them).")
    assert st.unpaired_checks == [line] and line in notes(st), st.unpaired_checks
    # budget checks that each check their run: nothing said
    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=4, seed=1, budget_check=True)
    sel = select(t)
    st = compute(sel.table, checks=sel.checks, n_boot=20)
    assert len(sel.checks) and st.unpaired_checks == []


def test_the_fragile_flag_simulation_measures_a_holm_family_as_the_leaderboard_flags_it():
    """Was: scripts/sim_one_run.py measured the fragile flag for one comparison only, and the README gave its 40 % as
    what the flag does; in a 10-loss table's ▲/▼ (a Holm family of 9) the leaderboard flags by stats.decider with the
    family re-adjusted, which fires on more real effects (61 % at 80 % power on 5 seeds). Now the script takes
    --family and --images: in a family a result is significant at its Holm p (less often) and flagged by the family's
    re-adjusted p (more often: its Holm p without a seed is ≥ that p alone), as the leaderboard flags it."""
    from conftest import load_script

    sim = load_script("sim_one_run")
    one = sim.rates(np.random.default_rng(3), 0.3, 5, 80, family=1, images=3)
    many = sim.rates(np.random.default_rng(3), 0.3, 5, 80, family=9, images=3)  # 9 tests a draw since 8271412
    assert many[0] < one[0] and many[1] > one[1] and many[2] < one[2], (one, many)


def test_a_p_just_below_alpha_is_not_printed_as_alpha():
    """Was: p_text wrote every p with two significant digits, so a significant p_holm of 0.0496 read '= 0.05' beside
    'significantly better than l1' at α = 0.05, as a p of 0.0504 that is not significant does. Now a p gets the
    digits that keep it on its side of the verdicts' α; compare's effects line passes its α."""
    from benchmark.export import p_text

    assert p_text(0.0496) == "= 0.0496" and p_text(0.0504) == "= 0.05" and p_text(0.034) == "= 0.034"
    assert p_text(0.04999) == "= 0.04999" and p_text(0.05) == "= 0.05"
    assert p_text(0.0096, alpha=0.01) == "= 0.0096" and p_text(0.00996, alpha=0.01) == "= 0.00996"
    assert p_text(0.0996, alpha=0.1) == "= 0.0996" and p_text(0.0996) == "= 0.1"
    assert p_text(1e-20) == "< 1e-16" and p_text(float("nan")) == "= –"


def test_a_finding_whose_verdict_a_compared_loss_changes_is_named():
    """Was: Ding et al.'s claim (pretrained DISTS at least as good as every other objective on the perceptual
    metrics) was reproduced on l1 and l2; `plbench compare` of a loss as good as DISTS added a part on it, and the
    regenerated findings.md said inconclusive — the published verdict changed with no word in the comparison. Now
    findings.verdicts_changed names each finding whose verdict the new loss's runs change, before → after, with the
    verdict sentence; one it leaves alone is not named."""
    from benchmark.findings import check_all, verdicts_changed

    t = synthetic_table(tasks=("sr4",), offsets={"dists": 0.5, "l1": 0.0, "l2": 0.0, "mine": 0.5},
                        metrics=("psnr", "ms_ssim", "lpips"), seeds=range(5), n_images=6, seed=2, seed_sd=0.1,
                        noise=0.05, weights={"dists": "vgg16:IMAGENET1K_V1+dists:v1"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = check_all(t[t["loss"] != "mine"], ["ding2021_dists_lpips"], n_boot=20)
        after = check_all(t, ["ding2021_dists_lpips"], n_boot=20)
    assert [r.verdict for r in before] == ["reproduced"] and [r.verdict for r in after] == ["inconclusive"]
    assert verdicts_changed(before, after) == [f"ding2021_dists_lpips: reproduced → inconclusive "
                                               f"({after[0].verdict_text})"]
    assert verdicts_changed(before, before) == []


@pytest.mark.slow  # ≈ 3–7 s: compare's whole summary of a written store, its findings judged twice
def test_compare_names_the_findings_its_new_loss_changed(tmp_path, monkeypatch):
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = write_store(tmp_path / "r", tasks=("sr4",), offsets={"dists": 0.5, "l1": 0.0, "l2": 0.0, "mine": 0.5},
                        metrics=("psnr", "ms_ssim", "lpips"), seeds=range(5), n_images=6, seed=2, seed_sd=0.1,
                        noise=0.05, weights={"dists": "vgg16:IMAGENET1K_V1+dists:v1"})
    group = [m for m in store.metas() if m.get("config")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text, _ = _summary(store, {"sr4": group}, ["mine"], {"sr4": []}, 0.05, 20, "l1", ())
    assert "## Findings this comparison changed" in text, text
    assert "ding2021_dists_lpips: reproduced → inconclusive" in text.split("## Findings this comparison changed")[1]


def test_calibrate_and_the_findings_say_stale_scores_in_one_sentence():
    """Was: calibrate ('vsi: scored … in 4 of the 4 runs calibrated on, not re-scored yet (the same `plbench run`
    re-scores them)') and a findings part ('vsi scored … in 10 of the part's 10 runs (the same …)') wrote the same
    message as two f-strings that had drifted apart. Now both are metric_code.not_rescored_text's sentence."""
    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark import calibrate as C
    from benchmark.findings import check_all
    from benchmark.metric_code import not_rescored_text

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.1}, metrics=("psnr",), seeds=range(5), n_images=3,
                        seed=3, seed_sd=0.1)
    runs = set(t["run_id"].astype(str))
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        cal = C.calibrate(t, n_nulls=20, splits=1, metrics=["psnr"], aa_sims=0, max_runs=5, rescore={"psnr": runs})
        mp.setattr(zhao, "METRICS", ("psnr",))
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20, rescore={"psnr": runs})
    line = f"> {not_rescored_text('psnr', 10, 'the 10 runs calibrated on')}: a re-score may change its rows."
    assert line in C.to_text(cal).splitlines(), C.to_text(cal)
    assert not_rescored_text("psnr", 10, "the part's 10 runs") in r.parts[0].note, r.parts[0].note

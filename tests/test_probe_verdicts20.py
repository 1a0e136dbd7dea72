"""Probe of verdicts (round 20): a finding on runs outside its paper's regime is out of regime whatever they lack, …"""

from __future__ import annotations

import scipy.special  # noqa: F401 (imported once at collection, not in a test's time)
import scipy.stats  # noqa: F401 (budget_stability's tests, ~1 s on first use)

import benchmark.data  # noqa: F401
import benchmark.settings  # noqa: F401
import benchmark.stats  # noqa: F401
from benchmark.findings import FINDINGS, check_all
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time


def test_a_part_outside_the_regime_is_out_of_regime_whatever_it_lacks():
    """Was: a part was marked out of regime only when it could be tested, so Zhao's ℓ1 ≥ ℓ2 on demosaicking without
    noise (3 seeds) read 'inconclusive: 3 of 3 parts with too few runs (…: train 2 more seeds of each arm)' — and
    once those seeds were trained, 'out of regime': the advice cost runs that can never count. Now such a part is out
    of regime whatever its runs lack (too few, missing, not converged), and so is the finding when every part is."""
    t = synthetic_table(tasks=("demosaic", "sr4"), metrics=("psnr",), offsets={"l1": 0.5, "l2": 0.0},
                        seeds=range(3), n_images=6)
    t.loc[t["task"] == "demosaic", "task_params"] = '{"noise_sigma": 0.0}'
    (r,) = check_all(t, ["zhao2017_l1_vs_l2"])
    by_task = {p.task: p for p in r.parts}
    assert by_task["demosaic"].verdict == "out of regime" and "without noise" in by_task["demosaic"].note
    assert by_task["sr4"].verdict == "too few runs"  # in the regime: more seeds do settle it
    assert "1 of 2 parts with too few runs" in r.verdict_text and "1 of 2 parts outside the paper's regime" in \
        r.verdict_text
    (r,) = check_all(t[t["task"] != "sr4"], ["zhao2017_l1_vs_l2"])
    assert r.verdict == "out of regime" and "train 2 more seeds" not in r.verdict_text
    assert r.parts[0].verdict == "out of regime"


def test_a_loss_trained_in_another_setting_is_not_said_absent():
    """Was: ℓ1 run at 150 iterations and ℓ2 at 400 (a schedule changed between two `plbench run`s) gave Zhao's claim
    'not applicable: l2 not in these results' in one setting and 'l1 not in these results' in the other — false of
    the store, and silent on why the pair is never compared. Now the reason says where the loss's runs are: in
    another setting, with what differs, and that runs of two settings are never compared."""
    import json

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(5),
                        n_images=4)
    l2 = t["loss"] == "l2"
    t.loc[l2, "setting"] = t.loc[l2, "setting"].map(lambda s: json.dumps({**json.loads(s), "iterations": 400},
                                                                           sort_keys=True))
    by_it = {"150" if "150 iterations" in r.setting else "400": r for r in check_all(t, ["zhao2017_l1_vs_l2"])}
    assert by_it["150"].verdict == by_it["400"].verdict == "not applicable"
    assert by_it["150"].reason.startswith("l2 not in this setting") and "iterations 400 there" in by_it["150"].reason
    assert by_it["400"].reason.startswith("l1 not in this setting") and "iterations 150 there" in by_it["400"].reason
    assert "never compared" in by_it["150"].reason
    # a loss in no setting at all is still not in these results
    (r,) = check_all(t[~l2], ["zhao2017_l1_vs_l2"])
    assert r.reason.startswith("l2 not in these results")


def test_the_readme_gives_the_fragile_flags_20_seed_figures_as_the_script_measured_them():
    """Was: the fragile flag in a Holm family of 9 was measured at 5 and 10 seeds only (3 images) and at 80 % power on
    5 seeds only, so the README could not say how often a real effect on 20 seeds reads fragile in a 10-loss table.
    Now scripts/sim_one_run.py's docstring holds both 20-seed measurements and the README's rounded figures are
    read from it here."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    doc = " ".join(ast.get_docstring(ast.parse((root / "scripts" / "sim_one_run.py").read_text())).split())
    readme = " ".join((root / "README.md").read_text().split())
    three = re.search(r"``--family 9 --images 3 --runs 20`` \(δ [\d.]+\): ([\d.]+) % \(null ([\d.]+) %, (\d+) draws\)",
                      doc)
    power = re.search(r"``--family 9 --power-runs 20 --runs 20`` \(δ [\d.]+, [^)]*\): ([\d.]+) % of \d+ "
                      r"\(null ([\d.]+) %, (\d+) draws\)", doc)
    assert three and power, doc
    r = re.search(r"on 20: (\d+) %, against (\d+) % of the (\d+) false positives\); at 80 % power on 20 seeds in that "
                  r"family (\d+) % are fragile \(false positives (\d+) %, (\d+) draws\)", readme)
    assert r, "README's 20-seed sentence"
    assert (round(float(three[1])), round(float(three[2])), int(three[3])) == tuple(map(int, r.groups()[:3]))
    assert (round(float(power[1])), round(float(power[2])), int(power[3])) == tuple(map(int, r.groups()[3:]))


def test_an_out_of_regime_verdict_says_why_and_what_held_in_it():
    """Was: a finding out of its paper's regime printed a bare 'OUT OF REGIME' (plbench findings, findings.md's
    table): why — demosaicking without noise, and the flag that runs the paper's task — was in the parts' notes of
    findings.md alone, and where the parts in the regime were reproduced the verdict line did not say so. Now the
    verdict says how many parts lie outside the regime and why, and what held in it."""
    t = synthetic_table(tasks=("demosaic", "sr4"), metrics=("psnr",), offsets={"l1": 1.0, "l2": 0.0},
                        seeds=range(5), n_images=6)
    t.loc[t["task"] == "demosaic", "task_params"] = '{"noise_sigma": 0.0}'
    (r,) = check_all(t, ["zhao2017_l1_vs_l2"])
    assert r.verdict == "out of regime"
    assert r.verdict_text.startswith("out of regime: 1 of 2 parts outside the paper's regime (demosaic: "
                                     "demosaicking without noise"), r.verdict_text
    assert "demosaic.noise_sigma" in r.verdict_text and "reproduced on 1 part in it" in r.verdict_text
    (r,) = check_all(t[t["task"] != "sr4"], ["zhao2017_l1_vs_l2"])
    assert r.verdict_text.startswith("out of regime: 1 of 1 part outside the paper's regime (demosaic: ")
    assert "reproduced" not in r.verdict_text


def test_the_ranking_still_moves_counts_pairs_of_losses_not_pairs_times_metrics():
    """Was: the leaderboard's Budget-stability note summed the pairs that changed order over the task's metrics, so
    'good' alone overtaking l1 and l2 (still improving; the other losses converged) on psnr, ssim and lpips read
    'the ranking still moves in denoise (6 pairs of losses change order)' — every pair of its 4 losses, a ranking
    reshuffled (here on psnr and lpips: 4). Now it counts each pair of losses once, whatever the metrics, and names
    them."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.convergence import budget_gains, budget_stability
    from benchmark.export import convergence_notes
    from benchmark.settings import drop_budget_checks

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 0.6, "l2": 0.0, "bad": -2.0},
                        metrics=("psnr", "lpips"), seeds=range(5), n_images=4, seed_sd=0.3,
                        unconverged=("good",), budget_check=True)
    cv = budget_stability(budget_gains(*drop_budget_checks(t), per_item=True))  # as stats.compute has it
    assert int(cv["moved"].sum()) == 4  # per metric: good vs l1 and vs l2, on each of 2 metrics
    st = SimpleNamespace(task_costs=pd.DataFrame(columns=["task", "label", "ok", "unconverged"]), budget=None,
                         budget_iterations=None, convergence=cv)
    line = next(x for x in convergence_notes(st) if x.startswith("Budget stability"))
    assert "the ranking still moves in denoise (2 pairs of losses change order: good–l1, good–l2)" in line, line

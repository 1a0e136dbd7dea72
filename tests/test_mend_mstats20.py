"""Mends of repeated work (round 20): each test counts the calls a mend removed, or pins text it must keep."""

from __future__ import annotations

import json

import pandas as pd
import scipy.special  # noqa: F401 (imported once at collection, not in a test's time)
import scipy.stats  # noqa: F401

import benchmark.data  # noqa: F401
import benchmark.settings  # noqa: F401
import benchmark.stats  # noqa: F401
from benchmark.findings import FINDINGS, Results, check_all
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time


def test_applicable_reads_the_arms_once(monkeypatch):
    """Was: Finding.applicable built its tasks' arms, then missing_losses read res.tasks()/res.arms(t) again (an
    uncached filter over the whole table, +52 % per setting). Now missing_losses takes the caller's arms."""
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0}, seeds=range(5), n_images=4)
    res = Results(t)
    finding = FINDINGS.get("zhao2017_l1_vs_l2").obj()
    calls = []
    real = Results.arms
    monkeypatch.setattr(Results, "arms", lambda self, task: calls.append(task) or real(self, task))
    verdict, reason = finding.applicable(res)
    assert reason.startswith("l2 not in these results")
    assert calls == ["sr4"]  # once per task, not twice


def _settings(t, loss_iterations: dict[str, int]):
    """``t`` with each loss's runs in a setting of its own number of iterations."""
    t = t.copy()
    for loss, it in loss_iterations.items():
        rows = t["loss"] == loss
        t.loc[rows, "setting"] = t.loc[rows, "setting"].map(
            lambda s, it=it: json.dumps({**json.loads(s), "iterations": it}, sort_keys=True))
    return t


def test_a_loss_elsewhere_is_looked_for_once_per_setting_and_only_where_missing(monkeypatch):
    """Was: check_all ran _elsewhere for every finding × setting before _unjudged knew the claim was blocked, and it
    called missing_losses again per missing loss × other setting, parsing each setting again each pass. Now each
    setting's missing losses are read once per finding, the settings parsed once per check_all, and _elsewhere runs
    only where a loss is missing."""
    import benchmark.findings as f

    calls, parsed = [], []
    real, real_setting = f.Finding.missing_losses, f._setting_fields
    monkeypatch.setattr(f.Finding, "missing_losses", lambda self, res, arms=None: calls.append(arms is None)
                        or real(self, res, arms))
    monkeypatch.setattr(f, "_setting_fields", lambda rows: parsed.append(1) or real_setting(rows))
    # three settings, each training both losses: nothing to look for elsewhere
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(2),
                        n_images=2)
    both = pd.concat([_settings(t.assign(run_id=t["run_id"].astype(str) + f"-{it}"), {"l1": it, "l2": it})
                      for it in (150, 250, 400)], ignore_index=True)
    assert len(check_all(both, ["zhao2017_l1_vs_l2"])) == 3
    assert calls == [False] * 3 and not parsed  # applicable's own, on the arms it read; no setting parsed
    calls.clear()
    # ℓ1 at 150, ℓ2 at 250 and 400: every setting lacks a loss another trains
    t3 = pd.concat([_settings(t, {"l1": 150, "l2": 400}),
                    _settings(t[t["loss"] == "l2"].assign(run_id=lambda d: d["run_id"].astype(str) + "-250"),
                              {"l2": 250})], ignore_index=True)
    by_it = {r.setting.split(" iterations")[0].split()[-1]: r for r in check_all(t3, ["zhao2017_l1_vs_l2"])}
    assert by_it["150"].reason.startswith("l2 not in this setting (l2's runs: iterations 250 there, 150 here; "
                                          "iterations 400 there, 150 here)"), by_it["150"].reason
    assert by_it["400"].reason.startswith("l1 not in this setting (l1's runs: iterations 150 there, 400 here)")
    # per setting: applicable's and _unjudged's (on the arms they read), then once per other setting for the finding
    # (was 15, each reading the arms again)
    assert calls.count(False) == 3 + 3 and calls.count(True) == 3, calls
    assert len(parsed) == 3


def test_a_loss_elsewhere_is_said_by_what_differs_not_by_the_data_hashes():
    """Was: _elsewhere wrote its own "how two settings differ" and skipped the rule that leaves out net_signature and
    the data fingerprints, so a reason read 'train_fingerprint fp150abcdef… there, fp100abcdef… here'. Now it and
    select's refusal share settings.differences: the hashes only where nothing else differs."""
    from benchmark.settings import differences

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(2),
                        n_images=2)
    for loss, it in (("l1", 150), ("l2", 400)):
        rows = t["loss"] == loss
        t.loc[rows, "setting"] = t.loc[rows, "setting"].map(lambda s, it=it: json.dumps(
            {**json.loads(s), "iterations": it, "train_fingerprint": f"fp{it}abcdef"}, sort_keys=True))
    by_it = {"150" if "150 iterations" in r.setting else "400": r for r in check_all(t, ["zhao2017_l1_vs_l2"])}
    assert "(l2's runs: iterations 400 there, 150 here)" in by_it["150"].reason, by_it["150"].reason
    assert "fingerprint" not in by_it["150"].reason + by_it["400"].reason
    # where only a hash differs, it is what is said
    assert differences({"train_fingerprint": "a", "iterations": 1}, {"train_fingerprint": "b", "iterations": 1}) == \
        {"train_fingerprint": ["a", "b"]}


def test_budget_stability_labels_each_arm_once(monkeypatch):
    """Was: budget_stability kept a second copy of _arm_namer's labeller and called it for both losses of every pair
    on every metric (L²·M calls). Now the one labeller (convergence._arm_labeller) names each arm once per task."""
    import benchmark.runstats
    from benchmark.convergence import budget_gains, budget_stability
    from benchmark.settings import drop_budget_checks

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 0.6, "l2": 0.0, "bad": -2.0},
                        metrics=("psnr", "lpips"), seeds=range(3), n_images=2, seed_sd=0.3,
                        unconverged=("good",), budget_check=True)
    gains = budget_gains(*drop_budget_checks(t), per_item=True)
    calls = []
    real = benchmark.runstats.loss_label
    monkeypatch.setattr(benchmark.runstats, "loss_label", lambda loss, kind: calls.append(loss) or real(loss, kind))
    cv = budget_stability(gains)
    assert sorted(calls) == ["bad", "good", "l1", "l2"]  # was 2 × 6 pairs × 2 metrics = 24
    assert all(isinstance(a, str) for pairs in cv["moved_pairs"] for pair in pairs for a in pair)


def test_the_absent_loss_reason_is_built_by_one_method_variants_note_and_all(monkeypatch):
    """Was: _unjudged rebuilt applicable's "l2 not in these results (…)" by startswith + slicing, and verdict_text
    removed open_reason's out-of-regime clause with str.replace: both broke once two f-strings stopped matching word
    for word. Now Finding.absent_reason builds the clause for both (the variants note kept after "not in this
    setting"), and open_reason(skip=...) leaves the clause out."""
    import benchmark.findings as f

    monkeypatch.setattr(f, "_variants_note", lambda res, arms, missing: " (NOTE)")
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(2),
                        n_images=2)
    t = _settings(t, {"l1": 150, "l2": 400})
    by_it = {"150" if "150 iterations" in r.setting else "400": r for r in check_all(t, ["zhao2017_l1_vs_l2"])}
    assert by_it["150"].reason == ("l2 not in this setting (l2's runs: iterations 400 there, 150 here): runs of two "
                                   "settings are never compared, train l1 and l2 in one (NOTE)")
    (r,) = check_all(t[t["loss"] != "l2"], ["zhao2017_l1_vs_l2"])
    assert r.reason == "l2 not in these results (NOTE)"


def test_compares_half_batch_note_uses_runners_rule_and_each_run_id_once(monkeypatch):
    """Was: compare's half-batch note kept a second copy of runner.halved_runs' rule, and found the batch asked by
    recomputing every config's run id. Now both use runner.halved_batch, and the config rides with its run id."""
    import benchmark.config
    import benchmark.runner
    from benchmark.compare import _lost_run_notes
    from benchmark.config import RunConfig, run_id

    configs = [RunConfig(task="denoise", loss="l2", seed=s, iterations=2, batch_size=16) for s in range(4)]
    ids = [run_id(c) for c in configs]
    metas = {ids[0]: {"status": "ok"}, ids[1]: {"status": "ok", "batch_size_used": 8},
             ids[2]: {"status": "failed", "batch_size_used": 8}, ids[3]: {"status": "diverged", "batch_size_used": 8}}
    assert [benchmark.runner.halved_batch(metas[r]) for r in ids] == [None, 8, None, 8]
    calls = []
    monkeypatch.setattr(benchmark.config, "run_id", lambda c: calls.append(c) or run_id(c))
    rules = []
    real = benchmark.runner.halved_batch
    monkeypatch.setattr(benchmark.runner, "halved_batch", lambda m: rules.append(m) or real(m))

    class Store:
        root = "/data/results"

        def meta(self, rid):
            return metas.get(rid)

    notes = _lost_run_notes(Store(), configs)
    assert any(n.startswith(f"l2: 2 of 4 runs of the new loss ran out of memory at batch size 16 and trained at "
                            f"batch size 8 (runs/{ids[1]}, the first)") for n in notes), notes
    assert len(calls) == 4 and len(rules) == 4  # one run id per config; runner's rule for each run

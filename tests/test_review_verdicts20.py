"""Review of verdicts (round 20): one row's direction never flips a whole metric's column, …"""

from __future__ import annotations

import pytest

import benchmark.stats  # noqa: F401 (imported once at collection, not in a test's time)
from benchmark.errors import UserError


def _store(tmp_path, flip: str = "", to=True):
    from conftest import direction_store

    return direction_store(tmp_path, flip, to)


@pytest.mark.parametrize("flip", ["input", "first"])
def test_rows_that_disagree_on_a_metrics_direction_are_refused_naming_the_metric_and_runs(tmp_path, flip):
    """Was: stats.blocks took a metric's direction from its first row and findings.Results from its first value, so
    the degraded input's rows saying lpips is higher-is-better (a hand-edited record, two pyiqa versions) judged the
    whole lpips column the wrong way (the run read first flipped: every ▲ a ▼) without a word. Now the table refuses
    it: one line naming the metric, the runs on each side and what to do."""
    store = _store(tmp_path, flip)
    flipped = min(store.run_ids()) if flip == "first" else \
        next(m["run_id"] for m in store.metas() if m.get("kind") == "input")
    with pytest.raises(UserError) as e:
        store.table()
    msg = str(e.value)
    assert "\n" not in msg and "lpips" in msg and "psnr" not in msg
    assert flipped in msg and "higher" in msg and "lower" in msg
    assert "plbench run" in msg  # what to do


@pytest.mark.parametrize("flip", ["", "first"])
def test_a_metric_whose_rows_agree_reads_as_before(tmp_path, flip):
    """A metric whose rows agree reads as written; a row without a direction (NA) reads as its metric's others, never
    as higher-is-better whatever the others say."""
    t = _store(tmp_path, flip, to=None).table()
    assert set(t.groupby("metric", observed=True)["higher_is_better"].unique().map(tuple)) == {(True,), (False,)}


def test_a_loss_in_no_setting_is_not_said_to_be_in_another():
    """Was (a8b3ff5): where a claim lacked two losses in a setting and another setting trained one of them, the reason
    read 'l1, l2 not in this setting (l2's runs: iterations 400 there, 150 here): …, train both in one' — l1 is in no
    setting of the store, and 'train both in one' is no advice for it. Now the absent loss is 'not in these results'
    and only the one trained elsewhere is said to be there; two losses of one other setting are said once."""
    import json

    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"good": 0.0, "l2": 0.0}, seeds=range(3),
                        n_images=3, budget_check=False)
    l2 = t["loss"] == "l2"
    t.loc[l2, "setting"] = t.loc[l2, "setting"].map(lambda s: json.dumps({**json.loads(s), "iterations": 400},
                                                                           sort_keys=True))
    by_it = {"150" if "150 iterations" in r.setting else "400": r for r in check_all(t, ["zhao2017_l1_vs_l2"])}
    assert by_it["150"].reason.startswith("l1 not in these results; l2 not in this setting (l2's runs: iterations "
                                          "400 there, 150 here)"), by_it["150"].reason
    assert "train l1 and l2 in one" in by_it["150"].reason and "both" not in by_it["150"].reason
    assert by_it["400"].reason.startswith("l1 not in these results") and "this setting" not in by_it["400"].reason
    # both losses in the other setting: named together, their difference once
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"good": 0.0, "l1": 0.0, "l2": 0.0},
                        seeds=range(3), n_images=3, budget_check=False)
    pair = t["loss"].isin(["l1", "l2"])
    t.loc[pair, "setting"] = t.loc[pair, "setting"].map(lambda s: json.dumps({**json.loads(s), "iterations": 400},
                                                                             sort_keys=True))
    (r,) = [r for r in check_all(t, ["zhao2017_l1_vs_l2"]) if "150 iterations" in r.setting]
    assert r.reason.startswith("l1, l2 not in this setting (their runs: iterations 400 there, 150 here)"), r.reason


def test_an_out_of_regime_verdict_says_which_parts_in_the_regime_are_still_open():
    """Was (2a96304): ℓ1 ≥ ℓ2 on demosaicking without noise (out of regime), sr4 (reproduced) and jpeg on 2 seeds read
    'out of regime: 1 of 3 parts outside the paper's regime (…); reproduced on 1 part in it' — as if the regime held
    one part, silent that jpeg, in it, had too few runs and what to train. Now: 'reproduced on 1 of 2 parts in it; 1
    of 3 parts with too few runs (… train 3 more seeds of each arm)'."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("demosaic", "sr4", "jpeg"), metrics=("psnr",), offsets={"l1": 1.0, "l2": 0.0},
                        seeds=range(5), n_images=4)
    t.loc[t["task"] == "demosaic", "task_params"] = '{"noise_sigma": 0.0}'
    (r,) = check_all(t[~((t["task"] == "jpeg") & (t["seed"] >= 2))], ["zhao2017_l1_vs_l2"])
    assert r.verdict == "out of regime"
    text = r.verdict_text
    assert "reproduced on 1 of 2 parts in it; 1 of 3 parts with too few runs" in text, text
    assert "train 3 more seeds" in text and text.count("outside the paper's regime") == 1
    (r,) = check_all(t[t["task"] != "jpeg"], ["zhao2017_l1_vs_l2"])  # every part in it reproduced: as it was
    assert r.verdict_words.endswith("reproduced on 1 part in it"), r.verdict_text  # then the scope note (findings24)
    assert r.verdict_text == r.verdict_words + r.scope_note(), r.verdict_text


def test_a_reshuffled_ranking_names_a_few_pairs_not_every_one():
    """Was (4230d62): the Budget-stability note named every pair of losses that changed order, so a 40-loss table whose
    ranking reshuffled wrote 780 'a–b' pairs into one sentence of the leaderboard. Now the first few are named and
    the rest counted."""
    from itertools import combinations
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.export import convergence_notes

    pairs = tuple(combinations([f"loss{i:02d}" for i in range(40)], 2))
    cv = pd.DataFrame([{"task": "sr4", "metric": "psnr", "tau": 0.1, "losses": 40, "moved": len(pairs),
                        "reversed": len(pairs), "moved_pairs": pairs, "reversed_pairs": pairs}])
    st = SimpleNamespace(task_costs=pd.DataFrame(columns=["task", "label", "ok", "unconverged"]), budget=None,
                         budget_iterations=None, convergence=cv)
    line = next(x for x in convergence_notes(st) if x.startswith("Budget stability"))
    assert "780 pairs of losses change order: loss00–loss01, loss00–loss02" in line, line
    assert "and 775 more" in line and len(line) < 800, line

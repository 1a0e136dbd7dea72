"""One voice across leaderboard, findings and notes (probe zvoice, round 20)."""

from __future__ import annotations

import pytest
import scipy.stats  # noqa: F401 (the Friedman test's)
from test_probe_verdicts17 import as_mix, mix_at_least  # a non-inferiority part (zhao2017_l1_vs_l2's until v4)

import benchmark.export  # noqa: F401 (imported once at collection, not in a test's time)
import benchmark.findings  # noqa: F401
import benchmark.metrics  # noqa: F401 (torch)
from benchmark.errors import UserError


def _saturated_table():
    """sr4, l1 vs l2 over 5 seeds: psnr tells them apart, ssim is 0.9 for every run on every image."""
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.5}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=4)
    t.loc[(t["metric"] == "ssim") & (t["loss"] != "input"), "value"] = 0.9
    return t


def test_the_leaderboard_names_a_saturated_column_as_the_findings_do():
    """Was: on a saturated metric (ssim 0.9 for every loss) the leaderboard bolded every loss with no note, while
    the findings called the same pair "no spread … saturated?". Now one note line names the column(s) and says no
    loss is told apart there, from the same rule (RunComparison.no_spread); a column that tells losses apart is not
    named."""
    from benchmark.export import notes
    from benchmark.findings import check_all
    from benchmark.stats import compute

    t = _saturated_table()
    st = compute(t, n_boot=20)
    ssim = st.cells[(st.cells["metric"] == "ssim") & (st.cells["label"] != "input")]
    assert ssim["top_group"].all()  # every loss bold: the note must say why
    lines = [x for x in notes(st) if x.startswith("Saturated")]
    assert len(lines) == 1 and "sr4/ssim" in lines[0] and "psnr" not in lines[0]
    assert "no loss is told apart" in lines[0]
    with mix_at_least():
        part = next(p for f in check_all(as_mix(t), ["zhao2017_mix_best"]) for p in f.parts
                    if p.metric == "ssim" and p.b == "l1")  # Mix ≥ ℓ1, a margin's part (l1 ≥ l2 here; ℓ1 > ℓ2 since v4)
    assert part.status == "no spread"  # the findings' word for the same column
    t2 = t[t["metric"] == "psnr"]
    assert not [x for x in notes(compute(t2, n_boot=20)) if x.startswith("Saturated")]


def test_the_budget_stability_note_names_its_pairs_in_name_order():
    """Was: the Budget-stability note named "the first 5" pairs that changed order in block order (the first metric's
    pairs first, each pair as its block held it: "w10–w11, …" and "w10–w9"), where every other list of losses is in
    natural name order. Now the pairs, and each pair's two losses, are in name order (stats.name_key)."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.export import convergence_notes

    lp = (("w10", "w11"), ("w10", "w12"), ("w11", "w12"), ("w12", "w13"), ("w10", "w9"))
    ps = (("w2", "w3"),)
    cv = pd.DataFrame([{"task": "sr4", "metric": m, "tau": 0.1, "losses": 6, "moved": len(p), "reversed": len(p),
                        "moved_pairs": p, "reversed_pairs": p} for m, p in (("lpips", lp), ("psnr", ps))])
    st = SimpleNamespace(task_costs=pd.DataFrame(columns=["task", "label", "ok", "unconverged"]), budget=None,
                         budget_iterations=None, convergence=cv)
    line = next(x for x in convergence_notes(st) if x.startswith("Budget stability"))
    assert "6 pairs of losses change order: w2–w3, w9–w10, w10–w11, w10–w12, w11–w12 and 1 more" in line, line


def test_the_direction_refusal_counts_runs_and_says_the_degraded_input_apart():
    """Was: results.one_direction's refusal counted the degraded input's entry as a run ("lower in 4" of 3 trained
    runs and the input), and _runs_named's docstring showed "<id> (<loss> seed <s>, <task>)" where it prints
    "<id>: <loss> seed <s>, <task>". Now each side counts its runs, the inputs said apart and named after them."""
    from benchmark.results import one_direction
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "lpips"), offsets={"good": 0.0, "l1": 0.0},
                        seeds=range(2), n_images=2)
    runs = t.loc[t["loss"] != "input"].drop_duplicates("run_id").sort_values("run_id")
    first = runs.iloc[0]
    flip = (t["run_id"] == first["run_id"]) & (t["metric"] == "lpips")
    t["higher_is_better"] = t["higher_is_better"].astype(object)
    t.loc[flip, "higher_is_better"] = True
    with pytest.raises(UserError) as e:
        one_direction(t.astype({"higher_is_better": bool}))
    msg = str(e.value)
    rest = runs.iloc[1:]
    inp = t.loc[t["loss"] == "input", "run_id"].iloc[0]
    assert f"higher in 1 run ({first['run_id']}: {first['loss']} seed {int(first['seed'])}, denoise)" in msg, msg
    named = "; ".join(f"{r.run_id}: {r.loss} seed {int(r.seed)}, denoise" for r in rest.itertuples())
    assert f"lower in 3 runs and 1 degraded input ({named}; and 1 more)" in msg, msg
    assert one_direction(t[t["loss"] == "input"].assign(higher_is_better=False)).shape[0] > 0
    with pytest.raises(UserError) as e:
        one_direction(t[(t["loss"] == "input") | flip].astype({"higher_is_better": bool}))
    assert f"lower in 1 degraded input ({inp}: denoise input)" in str(e.value), str(e.value)

"""Probe of the verdicts area, session 27: each defect found, with its test (failing before its fix)."""

from __future__ import annotations

from conftest import one_finding
from test_probe_findings25 import _PRE, _table

import benchmark.findings  # noqa: F401 (imported once at collection, not in a test's time)


def test_a_claim_on_a_store_scored_by_a_no_reference_metric_without_a_margin_says_why_it_is_not_tested():
    """Was: a store scored by psnr and nima read "not applicable: needs metric perceptual; results have psnr, nima" —
    as if nima measured no perception, while Blau–Michaeli's finding beside it tests on nima. brisque, nima and pi have
    no practical margin with a stated source (a paper's run-to-run or just-noticeable difference), so these claims do
    not count them; the reason now says so, and names the metrics that would count."""
    from benchmark.runstats import practical_margin
    from benchmark.stats import PERCEPTUAL_METRICS

    t = _table(("sr4",), ("psnr", "nima"), {"pdl": 1.0, "vgg": 0.0}, {"pdl": _PRE, "vgg": _PRE}, seeds=range(2),
               n_images=2)
    r = one_finding(t, "delbracio2021_pdl")
    assert r.verdict == "not applicable", r.verdict_text
    assert practical_margin("nima") == float("inf")
    assert "nima" in r.reason and "no practical margin" in r.reason and "source" in r.reason, r.reason
    assert "lpips" in r.reason and "blau2018_pd_tradeoff" in r.reason, r.reason
    assert "nima" not in PERCEPTUAL_METRICS  # the fix says why; it does not count nima
    from benchmark.findings import _unmargined_note

    assert _unmargined_note(["psnr"]) == "" and "nima, pi" in _unmargined_note(["pi", "nima", "psnr"])


def test_nonfinite_seeds_reads_the_table_s_values_once_not_once_per_arm(monkeypatch):
    """Was: Results.nonfinite_seeds took every column of an arm's rows (table.iloc) and converted their values anew on
    each call — 784 calls, 13 s of a 32k-row check_all (scripts/bench_findings.py shows the ratio). Now the
    table's values are read as finite/not and its seeds once, and each call indexes those arrays: the same seeds."""
    import numpy as np
    import pandas as pd

    from benchmark import findings
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "lpips"), seeds=range(3), n_images=3,
                        offsets={"l1": 0.0, "l2": 0.1})
    bad = (t["loss"] == "l2") & (t["metric"] == "lpips") & (t["seed"] == 1)
    t.loc[bad, "value"] = np.where(t.loc[bad, "image"] == "img0000", np.inf, np.nan)
    res = findings.Results(t)
    calls = []
    real = pd.to_numeric
    monkeypatch.setattr(pd, "to_numeric", lambda *a, **k: calls.append(1) or real(*a, **k))
    got = {(m, a.loss): res.nonfinite_seeds("sr4", m, a) for m in ("psnr", "lpips") for a in res.arms("sr4")}
    assert got[("lpips", "l2")] == {1} and not any(v for k, v in got.items() if k != ("lpips", "l2")), got
    assert len(calls) <= 1, len(calls)


def test_the_leaderboard_s_note_on_unequal_seeds_says_the_findings_leave_such_a_pair_untested():
    """Was: l1 on seeds 0–7 and l2 on 0–4 read l1 ▲ on the leaderboard (tested on the 5 seeds both share) while
    zhao2017_l1_vs_l2's part on the same runs read *missing runs*, untested — the leaderboard's note on different seeds
    said its tests use the shared seeds, but not that the findings do not, so the two disagreed without a word. Now the
    note says the findings leave such a pair untested, as *missing runs*, until both arms have the same seeds."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark import export, findings, stats
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), n_images=3, seed_sd=0.1, seeds=range(7),
                        offsets={"l1": 1.0, "l2": 0.0})
    t = t[~((t["loss"] == "l2") & (t["seed"] >= 5))]
    # the leaderboard's ▲ on the 5 shared seeds (Stats.cells' vs_base, as stats.cell_table tests it)
    (cell,) = stats.cell_table(stats.blocks(t), baseline="l2", n_boot=20).query("label == 'l1'").itertuples()
    assert cell.vs_base == 1.0
    st = SimpleNamespace(blocks=stats.blocks(t), cells=pd.DataFrame(), baseline="l2")
    (p,) = findings.check_all(t, names=("zhao2017_l1_vs_l2",), n_boot=20)[0].parts
    assert p.status == "missing runs"
    note = export.unequal_seeds_text(st)
    assert "findings" in note and '"missing runs"' in note, note


def test_a_task_s_arms_and_an_arm_s_seeds_are_read_from_the_table_once():
    """Was: Results.arms filtered the whole table for its task on every call (100 calls, 9.6 s of a 21k-row check_all
    on this machine) and ok_seeds rebuilt an arm's seed set on each of its 784 calls (9 s). Now both are kept once
    read: the same arms and seeds (scripts/bench_findings.py checks every verdict equal), the table not read again."""
    from benchmark import findings
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4", "jpeg"), metrics=("psnr",), seeds=range(3), n_images=2,
                        offsets={"l1": 0.0, "l2": 0.1})
    res = findings.Results(t)
    arms = {task: res.arms(task) for task in ("sr4", "jpeg")}
    seeds = {(task, a): res.ok_seeds(task, a) for task, got in arms.items() for a in got}
    assert [a.loss for a in arms["sr4"]] == ["l1", "l2"] and all(v == {0, 1, 2} for v in seeds.values()), seeds
    res.table = None  # read once: a second look at the table would fail here
    assert {task: res.arms(task) for task in ("sr4", "jpeg")} == arms
    assert {(task, a): res.ok_seeds(task, a) for task, got in arms.items() for a in got} == seeds
    res.arms("sr4").clear()
    res.ok_seeds("sr4", arms["sr4"][0]).clear()  # a caller's change is its own
    assert res.arms("sr4") == arms["sr4"] and res.ok_seeds("sr4", arms["sr4"][0]) == {0, 1, 2}


def test_an_arm_s_values_are_pivoted_from_the_four_columns_they_need(monkeypatch):
    """Was: Results.values took an arm's rows with every column of the table (about 30: settings, provenance, ids)
    before pivoting four of them — 160 calls, 18 s of a 21k-row check_all here. Now it takes rows of the columns
    _pivot reads alone: the same (seed × item) table (scripts/bench_findings.py checks every verdict equal)."""
    from benchmark import findings
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), seeds=range(2), n_images=2, offsets={"l1": 0.0, "l2": 0.1})
    res = findings.Results(t)
    seen, real = [], findings._pivot
    monkeypatch.setattr(findings, "_pivot", lambda rows: seen.append(list(rows.columns)) or real(rows))
    (a, _) = res.arms("sr4")
    got = res.values("sr4", "psnr", a)
    want = real(t[(t["loss"] == a.loss) & (t["metric"] == "psnr")])
    assert got.equals(want), (got, want)
    assert seen and all(set(cols) <= {"dataset", "image", "seed", "value"} for cols in seen), seen

"""Probes of the convergence verdicts (session 24): one rule for a seed lost at one budget and finished at the other,
read alike by the leaderboard, convergence.csv and the findings."""

from __future__ import annotations

import csv
import math

import pytest

from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import synthetic_runs

# their reports are read for their text and tables: the figures (half of each report) are not drawn
pytestmark = pytest.mark.usefixtures("no_report_figures")

THREE = (0, 1, 2)


def _store(root, lost: dict, offsets=None, seeds=THREE, metrics=("psnr",), twice=()):
    """A synthetic store of sr4 (150 iterations, budget checks at 75), the runs of ``lost`` {(loss, seed,
    iterations): status} left without rows under that status; ``twice``: (loss, seed) whose budget check is stored a
    second time, finished, under another id."""
    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(tasks=("sr4",), metrics=metrics, seeds=seeds, n_images=6,
                                          offsets=offsets or {"l1": 0.0, "good": 1.0}):
        cfg = meta.get("config", {})
        key = (cfg.get("loss"), cfg.get("seed"), cfg.get("iterations"))
        if key[:2] in twice and key[2] == 75:
            again = rid[::-1]
            store.write_eval(again, [{**r, "run_id": again} for r in rows], sorted({r["metric"] for r in rows}), {})
            atomic_write_json(store.run_dir(again) / "meta.json", {**meta, "run_id": again})
        if key in lost:
            meta, rows = {**meta, "status": lost[key], "diverged_at": key[2] - 5}, []
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


def _report(root) -> tuple[str, list[dict]]:
    from benchmark.report import write_report

    write_report(ResultsStore(root), html=False, visual=False, n_boot=50, formats=())
    with open(root / "convergence.csv", newline="") as f:
        return (root / "leaderboard.md").read_text(), list(csv.DictReader(f))


def test_a_seed_whose_budget_check_diverged_while_its_run_finished_reads_still_improving(tmp_path):
    """good × 3 seeds, seed 2's budget check diverged at 75 iterations while its 150-iteration run finished: the other
    2 seeds' gains are 0, and the board said "Converged: doubling the budget … changed none of the 5 runs", unconv.
    0/3 — the half budget could not make a run the full one made. It is still improving (the mirror of a run that
    diverged where its check finished: worse with more budget), on the board, in convergence.csv — whose
    diverged_checks column names the seed, so the status is read off the file alone, not off its gain of 0 — with
    the same words. A check that *failed* (an error, no evidence on the budget) sets nothing: l1 stays converged."""
    _store(tmp_path, {("good", 2, 75): "diverged", ("l1", 2, 75): "failed"})
    md, conv = _report(tmp_path)
    assert ("sr4/good still improving (seed 2 diverged in its budget check at 75, its 150-iteration run finished)"
            in md), md
    assert "Converged: doubling" not in md
    assert any(line.startswith("| good | 3 |") and "| 3/3 |" in line for line in md.splitlines())
    assert any(line.startswith("| l1 | 3 |") and "| 0/3 |" in line for line in md.splitlines())
    good = [r for r in conv if r["loss"] == "good"]
    assert len(good) == 1 and all(r["status"] == "still improving" and r["diverged_checks"] == "2"
                                  and r["diverged_runs"] == "" for r in good), good
    assert all(r["status"] == "converged" and r["diverged_checks"] == "" for r in conv if r["loss"] == "l1"), conv


def test_an_arm_with_one_seed_broken_and_another_mended_by_the_budget_is_unclear(tmp_path):
    """good: seed 2's run diverged at 150 iterations (its check fine), seed 3's check diverged at 75 (its run fine).
    The budget broke one seed and mended another: neither direction is shown, so the arm is unclear (it read "worse
    with more budget", seed 3 unseen), and the note names both."""
    _store(tmp_path, {("good", 2, 150): "diverged", ("good", 3, 75): "diverged"}, seeds=(0, 1, 2, 3))
    md, conv = _report(tmp_path)
    assert ("sr4/good unclear (seed 2 diverged in its 150-iteration run, its budget check at 75 finished; seed 3 "
            "diverged in its budget check at 75, its 150-iteration run finished)") in md, md
    good = [r for r in conv if r["loss"] == "good"]
    assert good and all(r["status"] == "unclear" and r["diverged_runs"] == "2" and r["diverged_checks"] == "3"
                        for r in good), good


def test_a_diverged_check_of_a_seed_whose_check_also_finished_under_another_id_sets_nothing(tmp_path):
    """good's seed 2: one budget check diverged, the same check stored again under another id finished (a gain is
    there). And l1's seed 2 check diverged while its run finished. Only l1 is still improving: a seed with a gain is
    judged by its gain, not by its lost copy."""
    _store(tmp_path, {("good", 2, 75): "diverged", ("l1", 2, 75): "diverged"}, twice={("good", 2)})
    md, conv = _report(tmp_path)
    assert all(r["status"] == "converged" for r in conv if r["loss"] == "good"), conv
    assert all(r["status"] == "still improving" for r in conv if r["loss"] == "l1"), conv


@pytest.mark.parametrize("lost, word, said", [
    (("l2", 2, 150), "worse with more budget",
     "seed 2 diverged in its run at the full budget, its budget check at half of it finished"),
    (("l2", 2, 75), "still improving",
     "seed 2 diverged in its budget check at half the budget, its run at the full one finished"),
])
def test_the_findings_read_a_seed_lost_at_one_budget_as_the_board_does(tmp_path, lost, word, said):
    """l1 = l2 × 3 seeds, l2's seed 2 lost at one budget and finished at the other. The board and convergence.csv
    said "worse with more budget" of a run that diverged where its check finished; the findings computed their own
    arm status from the other seeds' gains alone — converged — so their part on l2 read settled (the note said only
    "missing or diverged seeds: l2 2"). A check that diverged where its run finished was read by neither. Each part
    on l2 now carries the arm's status and why, as the board words it."""
    from benchmark.findings import check_store

    _store(tmp_path, {lost: "diverged"}, offsets={"l1": 0.0, "l2": 0.0})
    res = check_store(ResultsStore(tmp_path), ["zhao2017_l1_vs_l2"], n_boot=50)
    parts = [p for r in res for p in r.parts]
    assert parts and all(f"l2 {word} ({said})" in p.note for p in parts), [p.note for p in parts]


def test_a_status_set_by_a_diverged_seed_is_not_widened_over_the_metrics():
    """An arm whose run diverged where its check finished is worse with more budget on every metric, whatever its
    bounds. Where its bounds happened to say so too (−0.1 dB, upper bound −0.06 dB), the Bonferroni widening over its
    3 metrics turned the row into "unclear" — a status the diverged seed alone decides is no bounds' claim."""
    import pandas as pd

    from benchmark.convergence import ARM_COLUMNS, DECLINING, family_statuses

    row = {"setting": "", "task": "sr4", "loss": "good", "weights_kind": "none", "loss_version": "", "runs": 4,
           "df": 3.0, "diverged_runs": "4", "diverged_checks": ""}
    rows = pd.DataFrame([{**row, "metric": "psnr", "gain": -0.1, "low": -0.143, "high": -0.057, "margin": 0.05,
                          "status": DECLINING},
                         {**row, "metric": "ssim", "gain": 0.0, "low": 0.0, "high": 0.0, "margin": 0.002,
                          "status": DECLINING},
                         {**row, "metric": "lpips", "gain": 0.0, "low": 0.0, "high": 0.0, "margin": 0.002,
                          "status": DECLINING}], columns=ARM_COLUMNS)
    assert math.isfinite(rows["df"].iloc[0])
    assert family_statuses(rows) == [DECLINING] * 3


def test_an_arm_whose_only_seed_s_budget_check_diverged_is_still_improving_not_unchecked(tmp_path):
    """good × 1 seed, its budget check diverged at 75 iterations while its 150-iteration run finished: the arm has no
    budget gain at all, so convergence.csv had no row of it and the board read "sr4/good not checked" — its check was
    trained. It is still improving, with a row in convergence.csv (runs 0, no gain, diverged_checks 0), and the
    findings' part on it says so too."""
    from benchmark.findings import check_store

    _store(tmp_path, {("l2", 0, 75): "diverged"}, offsets={"l1": 0.0, "l2": 0.0}, seeds=(0,))
    md, conv = _report(tmp_path)
    assert "sr4/l2 still improving (seed 0 diverged in its budget check at 75, its 150-iteration run finished)" in md
    assert [(r["runs"], r["gain"], r["status"], r["diverged_checks"]) for r in conv if r["loss"] == "l2"] == [
        ("0", "", "still improving", "0")], conv
    parts = [p for r in check_store(ResultsStore(tmp_path), ["zhao2017_l1_vs_l2"], n_boot=50) for p in r.parts]
    assert parts and all("l2 still improving (seed 0 diverged in its budget check" in p.note for p in parts), \
        [p.note for p in parts]


def test_the_simulation_of_arms_still_improving_past_the_margin_counts_what_the_rule_calls_them():
    """scripts/sim_budget_rule.py's past_margin (README, *Convergence*: how often "converged" is said of an arm still
    improving by more than the margin per doubling): at 2 × the margin, 5 seeds × 6 images, none of 60 draws is called
    converged and some are called still improving; at a true gain of 0 most are converged — the code path the README's
    figure comes from tells the two apart."""
    import numpy as np
    from conftest import load_script

    sim = load_script("sim_budget_rule")
    rng = np.random.default_rng(0)
    conv, up = sim.past_margin(rng, 5, 6, 2.0, (0.05, 0.05, 0.02), 60)
    assert conv == 0.0 and 0.0 < up <= 1.0
    conv0, up0 = sim.past_margin(rng, 5, 6, 0.0, (0.01, 0.01, 0.01), 60)
    assert conv0 > 0.5 and up0 == 0.0


def test_compare_reads_a_diverged_budget_check_as_the_leaderboard_does(tmp_path, monkeypatch):
    """plbench compare's convergence line for a new loss `mine` × 3 seeds, seed 2's budget check diverged at 75
    iterations while its run finished: it said "3 of 3 runs of mine shown converged" (the check's record is in no
    setting compare chose); it reads the check as the leaderboard does — still improving, none shown converged."""
    import warnings

    from benchmark import figures, findings
    from benchmark.compare import _summary

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the figures and findings: not this test's (seconds)
    monkeypatch.setattr(findings, "check_store", lambda *a, **k: [])
    store = _store(tmp_path, {("mine", 2, 75): "diverged"}, offsets={"l1": 0.0, "mine": 0.5})
    group = [m for m in store.metas() if (m.get("config") or {}).get("loss") == "mine"
             and m["config"].get("iterations") == 150]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text, _ = _summary(store, {"sr4": group}, ["mine"], {"sr4": []}, 0.05, 20, "l1", ())
    assert "Convergence: 0 of 3 runs of mine shown converged" in text, text

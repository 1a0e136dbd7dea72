"""Review of the verdicts-7 probe: stale settings (a newer code version, a task version bumped for one task), a
baseline row label that a setting prints otherwise, and the findings' family text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


def _table(rng, cells, seeds: int = 5, n_images: int = 8, effect: float = 0.4) -> pd.DataFrame:
    """l1 and l2 (psnr), l1 better by ``effect`` dB, for each (task, code_version, task_version) of ``cells``."""
    rows = []
    for task, code, tver in cells:
        setting = json.dumps({"net": "tiny", "iterations": 100, "task": task, "task_params": {},
                              "task_version": tver, "code_version": code}, sort_keys=True)
        base = rng.normal(0, 1, n_images)
        for loss, mean in (("l1", 30.0 + effect), ("l2", 30.0)):
            for s in range(seeds):
                v = mean + base + rng.normal(0, 0.1) + 0.05 * rng.normal(size=n_images)
                rows += [dict(run_id=f"{loss}-{s}-{task}-{code}-{tver}", task=task, task_version=tver,
                              task_params="{}", loss=loss, loss_version="1", seed=s, net="tiny", weights="none",
                              weights_kind="none", setting=setting, dataset="d", image=f"im{i}", metric="psnr",
                              higher_is_better=True, value=float(v[i])) for i in range(n_images)]
    return pd.DataFrame(rows)


def test_a_task_version_bumped_for_one_task_leaves_the_other_tasks_runs_current():
    """Was: sr4 re-run at a new task version beside its old runs, and jpeg (unchanged) in the same setting: the old
    sr4 runs and the current jpeg runs were one group, so jpeg's verdict was marked "stale: sr4 task version 0, now
    1" and judged in the stale family, apart from the current runs it belongs with. A stale run's task goes to the
    stale family, the current runs of every other task stay current."""
    from benchmark.config import code_version
    from benchmark.findings import check_all

    now = code_version()
    t = _table(np.random.default_rng(0), [("sr4", now, "0"), ("sr4", now, "1"), ("jpeg", now, "1")])
    res = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    jpeg = [(r, p) for r in res for p in r.parts if p.task == "jpeg"]
    assert len(jpeg) == 1
    r, _ = jpeg[0]
    assert r.stale == "", (r.setting, r.stale)
    old = [r for r in res for p in r.parts if p.task == "sr4" and r.stale]
    assert len(old) == 1 and "sr4 task version 0" in old[0].stale and not any(p.task == "jpeg" for p in old[0].parts)
    current = [r for r in res if not r.stale]
    assert {p.task for r in current for p in r.parts} == {"sr4", "jpeg"}


def test_a_newer_code_version_is_never_called_earlier():
    """Was: runs of a newer release left in the store (this checkout older) were said to be "stale: code 0.9.0+c9,
    now 0.1.0+c3", in a family of "runs of an earlier code or task version" — they are newer. Now the outputs say
    which way the version differs."""
    from benchmark.config import code_version
    from benchmark.findings import check_all, to_html, to_markdown, to_text

    now = code_version()
    t = _table(np.random.default_rng(1), [("sr4", now, "1"), ("sr4", "9.0.0+c99", "1")])
    res = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    (newer,) = [r for r in res if r.stale]
    assert "newer" in newer.stale and "earlier" not in newer.stale, newer.stale
    assert "earlier" not in newer.family, newer.family
    (cur,) = [r for r in res if not r.stale]
    assert "earlier" not in cur.family and "newer" in cur.family, cur.family
    for text in (to_text([newer]), to_html([newer])):
        assert "earlier" not in text.split("source:")[0], text
    assert "newer" in to_markdown(res)


def test_findings_csv_tells_a_stale_setting_from_the_current_one_that_prints_alike():
    """sr4 at an old and the current task version, alone in the store: both settings print as "tasks sr4; …";
    findings.csv says which rows are stale."""
    from benchmark.config import code_version
    from benchmark.findings import check_all, parts_frame

    now = code_version()
    t = _table(np.random.default_rng(2), [("sr4", now, "0"), ("sr4", now, "1")])
    csv = parts_frame(check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20))
    assert len(csv) == 2 and sorted(csv["stale"].fillna("")) == ["", "sr4 task version 0, now 1"], csv


def _versions_store(root):
    """Two settings (150 and 300 iterations) of l1 and ``mine``: at 150 iterations ``mine`` ran at loss versions 1
    (far worse than l1) and 2 (far better), at 300 iterations at version 2 alone. The store labels the version-2 row
    ``mine (v2)``; the 300-iteration setting alone prints it ``mine``."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for k, (iters, ver, off) in enumerate(((150, "1", -2.0), (150, "2", 2.0), (300, "2", 2.0))):
        for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "mine": off}, seeds=range(5), metrics=("psnr",),
                                              n_images=4, budget_check=False, seed=k):
            loss = meta.get("config", {}).get("loss")
            if meta.get("kind") == "input" and k or loss == "l1" and k == 1:
                continue
            rid2 = f"{rid}{k}"
            rows = [{**r, "run_id": rid2, "loss_version": ver if loss == "mine" else "1",
                     "setting": r["setting"].replace('"iterations": 150', f'"iterations": {iters}')
                     if r["setting"] else r["setting"]} for r in rows]
            store.write_eval(rid2, rows, ["psnr"], {})
            if loss:
                meta = {**meta, "setting": {**meta["setting"], "iterations": iters},
                        "config": {**meta["config"], "iterations": iters}}
            atomic_write_json(store.run_dir(rid2) / "meta.json", {**meta, "run_id": rid2})
    return store


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_a_baseline_version_label_marks_its_runs_in_a_setting_that_prints_it_without_the_version(tmp_path, capsys):
    """Was: `plbench report --baseline 'mine (v2)' --where iterations=300` — the label the store prints for mine's
    version-2 row, accepted as a baseline — gave a report with no ▲/▼ marks and "Baseline `mine (v2)` is not in the
    results", though that setting holds mine v2 alone (printed `mine` there, with no other version beside it). The
    baseline is the runs its label names: the marks are against them, under the setting's own label."""
    from benchmark.cli import main
    from benchmark.stats import labels

    root = tmp_path / "s"
    store = _versions_store(root)
    assert "mine (v2)" in set(labels(store.table()))
    assert main(["report", "--out", str(root), "--no-visual", "-q", "--baseline", "mine (v2)",
                 "--where", "iterations=300"]) == 0, capsys.readouterr().err
    md = (root / "leaderboard.md").read_text()
    assert "is not in the results" not in md, md
    l1 = [line for line in md.splitlines() if line.startswith("| l1 |")][-1]
    assert "▼" in l1, l1  # l1 is far worse than mine v2


def test_mix_best_is_not_reproduced_on_some_of_its_rivals_only():
    """Was: Zhao's "Mix is the best loss" (at least as good as ℓ1, ℓ2, SSIM and MS-SSIM on each metric) came out
    REPRODUCED with Mix shown non-inferior to SSIM alone and ℓ1 left open (wide run-to-run spread): "the best loss"
    resting on one rival of the four. A claim about every rival needs every part: the rest is inconclusive, and
    says on how many parts it held."""
    from benchmark.findings import check_all, to_markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"ms_ssim_l1": 0.0, "l1": 0.0, "ssim": -6.0}, metrics=("psnr",),
                        seeds=tuple(range(5)), n_images=8, seed=3, seed_sd=1.0)
    (r,) = check_all(t, ["zhao2017_mix_best"], n_boot=50)
    by = {p.b: p.verdict for p in r.parts}
    assert by["ssim"] == "reproduced" and by["l1"] != "reproduced", by
    assert r.verdict == "inconclusive", r.verdict_text
    assert "reproduced on 1 of 2 parts only" in r.verdict_text, r.verdict_text
    (row,) = [line for line in to_markdown([r]).splitlines() if line.startswith("| zhao2017_mix_best |")]
    assert "**inconclusive**: reproduced on 1 of 2 parts only" in row, row


def test_compare_reads_a_baseline_version_label_as_its_board_labels_the_runs(tmp_path):
    """compare's per-task tables are labelled over its board (:func:`benchmark.stats.version_scope`): a store label
    `mine (v2)` names the runs that board prints `mine` (:func:`benchmark.report.baseline_here`, as the report)."""
    from benchmark.report import baseline_here
    from benchmark.settings import select
    from benchmark.stats import version_scope

    store = _versions_store(tmp_path / "s")
    full = store.table()
    board = select(full, where={"iterations": "300"}).table
    assert baseline_here(full, board, "mine (v2)", version_scope(board)) == "mine"
    assert baseline_here(full, full, "mine (v2)") == "mine (v2)" and baseline_here(full, board, "l1") == "l1"


def test_a_metric_scored_for_one_loss_alone_does_not_put_it_first_in_its_task_table():
    """Was: lpips scored for `bad` alone (the others' runs made before its weights were cached): every other loss was
    "ranked over fewer metrics" and listed after it, so `bad` — worst on psnr and ssim, rank 1 of 1 on lpips — topped
    the denoise table. A loss is listed after the others only when it lacks a metric most of its task's losses have."""
    from benchmark.export import partial_rank_text, task_frame
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0},
                        metrics=("psnr", "lpips", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = t[~((t["loss"] != "bad") & (t["metric"] == "lpips"))]
    st = compute(t, None, baseline="l1", n_boot=50)
    _, _, order = task_frame(st, "denoise")
    assert order == ["input", "good", "l1", "bad"], order
    assert "good (2 of 3 metrics" not in partial_rank_text(st)

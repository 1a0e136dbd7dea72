"""Review of the verdicts-7 probe: stale settings (a newer code version, a task version bumped for one task), a
baseline row label that a setting prints otherwise, and the findings' family text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


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

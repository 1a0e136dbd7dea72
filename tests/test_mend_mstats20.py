"""Mends of repeated work (round 20): each test counts the calls a mend removed, or pins text it must keep."""

from __future__ import annotations

import json

import scipy.special  # noqa: F401 (imported once at collection, not in a test's time)
import scipy.stats  # noqa: F401

import benchmark.data  # noqa: F401
import benchmark.settings  # noqa: F401
import benchmark.stats  # noqa: F401
from benchmark.findings import FINDINGS, Results
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time


def _two_settings():
    """ℓ1 at 150 iterations, ℓ2 at 400: each setting lacks the loss the other trains."""
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(5),
                        n_images=4)
    l2 = t["loss"] == "l2"
    t.loc[l2, "setting"] = t.loc[l2, "setting"].map(lambda s: json.dumps({**json.loads(s), "iterations": 400},
                                                                           sort_keys=True))
    return t


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

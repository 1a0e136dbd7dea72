"""Probe of the results store's integrity and scale (store4): each test failed before its fix."""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import write_store


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1, 2), "n_images": 4,
          "metrics": ("psnr", "ssim"), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_report_parses_each_meta_json_once(tmp_path, monkeypatch):
    """``report`` read and parsed every run's meta.json about six times (table, selection, metas,
    coverage, figures): each is now parsed once per store, and a rewritten one is read again."""
    store = _small(tmp_path / "s")
    reads = collections.Counter()
    orig = Path.read_text

    def counting(self, *a, **kw):
        if self.name == "meta.json":
            reads[self.parent.name] += 1
        return orig(self, *a, **kw)

    monkeypatch.setattr(Path, "read_text", counting)
    from benchmark.report import write_report

    write_report(store, formats=("png",), visual=False, html=False, n_boot=100)
    assert set(reads) == set(store.run_ids())
    assert max(reads.values()) == 1, reads.most_common(3)
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    meta = store.meta(rid)
    meta["status"] = "failed"  # a copy: the store's own record is not changed
    assert store.meta(rid)["status"] == "ok"
    atomic_write_json(store.run_dir(rid) / "meta.json", meta)  # a rewrite (new file renamed in) is read again
    assert store.meta(rid)["status"] == "failed" and reads[rid] == 2
    (store.run_dir(rid) / "meta.json").unlink()
    assert store.meta(rid) is None

"""Probe of the results store and overnight runs (store7): results already computed are never lost or mixed.
Each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

ROOT = Path(__file__).resolve().parents[1]


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_check_does_not_import_torch(tmp_path):
    """``plbench check`` reads JSON and parquet footers only, yet it imported torch (≈1.6-3 s of its start-up,
    more where CUDA loads): results → config → data imported torch at module level. ``benchmark.data`` now
    imports torch on first use; check, in a fresh interpreter, leaves it out of ``sys.modules``."""
    store = _small(tmp_path / "r")
    code = ("import sys, json\nfrom benchmark.cli import main\nrc = main(['check', '--out', sys.argv[1]])\n"
            "print(json.dumps({'rc': rc, 'torch': 'torch' in sys.modules}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-c", code, str(store.root)], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got == {"rc": 0, "torch": False}, p.stdout + p.stderr

"""The one-command GPU check (``scripts/gpu_check.py``) runs its reduced version on the CPU: every
section's code path (step times, utilisation sampling, runs/hour through the executor, same-seed
identity) works before a GPU sees it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.usefixtures("one_thread")
def test_gpu_check_reduced_on_cpu(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--device", "cpu", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    md = (tmp_path / "gpu_check.md").read_text()
    assert res["environment"]["device"] == "cpu" and res["environment"]["torch"]
    assert {r["loss"] for r in res["steps"]} >= set(mod.CPU_FAMILIES)
    assert all(r["ms_per_step"] > 0 and r["x_l1"] > 0 for r in res["steps"])
    assert [r["workers"] for r in res["runs_per_hour"]] == [1, 2]
    assert all(r["runs_per_hour"] > 0 for r in res["runs_per_hour"])
    assert res["identity"]["bit_identical"] and res["identity"]["rows"] > 0  # the CPU step is deterministic
    for section in ("## Training step", "## GPU utilisation", "## Runs per hour", "## Same seed, trained twice"):
        assert section in md
    assert res["wall_s"] < 120

"""The one-command GPU check (``scripts/gpu_check.py``) runs its reduced version on the CPU: every
section's code path (step times, utilisation sampling, runs/hour through the executor, same-seed
identity) works before a GPU sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.usefixtures("one_thread")
def test_gpu_check_reduced_on_cpu(tmp_path, capsys):
    mod = load_script("gpu_check")
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
    # the reduced version, section by section (what keeps it to about a minute on 2 cores; no timed assertion):
    # the tiny net at its small sizes, two runs per worker count, none skipped past --budget-s
    assert {(r["net"], r["batch"], r["crop"]) for r in res["steps"]} == {("tiny", 2, 48)}
    u = res["utilisation"]
    assert (u["iterations"], u["net"], u["batch"], u["crop"]) == (20, "tiny", 2, 32), u
    assert [(r["runs"], r["iterations"]) for r in res["runs_per_hour"]] == [(2, 10), (2, 10)]
    assert res["identity"]["runs"] == 2
    assert not [k for k in ("steps", "utilisation", "runs_per_hour", "identity")
                if isinstance(res[k], dict) and ("skipped" in res[k] or "error" in res[k])]


@pytest.mark.usefixtures("one_thread")
def test_a_loss_that_fails_costs_only_its_own_row():
    """On a lent GPU, one loss that cannot be built (missing weights, a kernel the device lacks) must not
    lose the other losses' times."""
    import torch

    rows = load_script("gpu_check").step_times(torch.device("cpu"), ("tiny",), 1, 32, ("l1", "no_such_loss", "l2"),
                                               reps=1)
    by = {r["loss"]: r for r in rows}
    assert "no_such_loss" in by["no_such_loss"]["error"]
    assert by["l1"]["ms_per_step"] > 0 and by["l2"]["ms_per_step"] > 0 and "error" not in by["l2"]
    assert [r["loss"] for r in rows].count("l1") == 1


def test_a_failed_or_late_section_keeps_the_others(tmp_path, monkeypatch):
    """A section that raises is reported as failed (exit 1) and the rest still run; sections not started
    within --budget-s are skipped; the files are written after every section."""
    mod = load_script("gpu_check")
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [
        {"net": "tiny", "batch": 1, "crop": 32, "loss": "l1", "ms_per_step": 2.0, "x_l1": 1.0, "x_naive": None,
         "peak_mem_mb": None, "tflops": None, "weights": "-"}])

    def boom(*a, **k):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(mod, "utilisation_during_run", boom)
    monkeypatch.setattr(mod, "runs_per_hour", lambda *a, **k: [
        {"workers": 1, "runs": 2, "iterations": 10, "wall_s": 1.0, "runs_span_s": 0.5, "runs_per_hour": 14400.0,
         "runs_per_hour_wall": 7200.0}])
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})
    assert mod.main(["--device", "cpu", "--out", str(tmp_path)]) == 1
    md = (tmp_path / "gpu_check.md").read_text()
    assert "failed: RuntimeError: CUDA error: an illegal memory access" in md
    assert "7200" in md and "bit-identical" in md and "| l1 | 2.00 |" in md

    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "-1"]) == 0
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert all("skipped" in res[k] for k in mod.SECTIONS)
    assert (tmp_path / "gpu_check.md").read_text().count("skipped:") == len(mod.SECTIONS)

"""Review of the overnight/cluster commits: the GPU check keeps measured rows when a section fails later,
the lent-GPU wrapper accepts carried abi3 wheels, and a remote worker's interrupt is not taken for the
driver's own Ctrl-C because its pid happens to equal the driver's."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _gpu_check():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gpu_check_keeps_the_rows_measured_before_a_section_fails(tmp_path, monkeypatch):
    """runs/hour: 1 worker measured (minutes of device time, written at once), then 2 workers raise (out of
    GPU memory): the section's error replaced its rows in gpu_check.json/.md, so the 1-worker figure
    written a moment earlier was overwritten and lost. It now stays beside the error."""
    import benchmark.executors

    mod = _gpu_check()
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})
    calls = []

    def fake_execute_local(configs, *a, **k):
        calls.append(k.get("workers"))
        if len(calls) == 2:
            raise RuntimeError("CUDA out of memory")
    monkeypatch.setattr(benchmark.executors, "execute_local", fake_execute_local)

    assert mod.main(["--device", "cpu", "--out", str(tmp_path)]) == 1  # a failed section still fails the check
    res = json.loads((tmp_path / "gpu_check.json").read_text())["runs_per_hour"]
    assert "CUDA out of memory" in res["error"]
    assert [r["workers"] for r in res["rows"]] == [1] and res["rows"][0]["runs_per_hour"] > 0
    md = (tmp_path / "gpu_check.md").read_text()
    assert "failed: RuntimeError: CUDA out of memory" in md and "| 1 | 2 | 10 |" in md

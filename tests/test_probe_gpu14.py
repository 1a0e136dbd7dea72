"""GPU readiness, probed on the CPU (session 14): the lent-GPU recipe (``scripts/gpu_device.sh`` →
``scripts/gpu_check.py``) dry-run as the device runs it. Each test failed on the code before its fix."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _no_sections(mod, monkeypatch):
    for name in ("step_times", "utilisation_during_run", "runs_per_hour", "same_seed_identity"):
        monkeypatch.setattr(mod, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("not reached")))


def test_a_device_the_check_cannot_use_is_one_line_with_the_tables_written(tmp_path, monkeypatch, capsys):
    """``gpu_device.sh --device cuda`` (or a typo, ``--device gpu``, or ``cuda:1`` on a one-GPU machine) ended the check
    in a UserError traceback before anything was written: under $OUT only the log, no gpu_check.md/.json saying why.
    Now one line on stderr, exit 2, and both files written, naming what was asked and why it was refused."""
    mod = _gpu_check()
    _no_sections(mod, monkeypatch)
    for device, why in (("gpu", "unknown device 'gpu'"), ("cuda:7", "device 'cuda:7' requested")):
        out = tmp_path / device.replace(":", "_")
        assert mod.main(["--device", device, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("gpu_check: ") and why in err and "Traceback" not in err, err
        res = json.loads((out / "gpu_check.json").read_text())
        assert why in res["error"] and res["environment"]["device"] == device, res
        md = (out / "gpu_check.md").read_text()
        assert "not run: " in md and why in md, md


def test_a_failing_environment_query_keeps_the_check_and_is_reported(tmp_path, monkeypatch):
    """The environment (device properties, cuDNN version, weights) was read before any file was written and unguarded:
    a CUDA that ``torch.cuda.is_available()`` accepts (gpu_device.sh's pre-check) but whose first context fails
    (``CUDA error: ... busy or unavailable``) ended the check in a traceback with no gpu_check.md/.json. Now the
    failure is recorded in the environment, the sections still run (each failing on its own if the device is
    unusable), the files are written and the exit status is 1."""
    import torch

    from benchmark import weights

    mod = _gpu_check()
    monkeypatch.setattr(weights, "weights_report", lambda losses=None: [])  # (the real one imports every loss)

    def props(device):
        raise RuntimeError("CUDA error: CUDA-capable device(s) is/are busy or unavailable")

    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: (_ for _ in ()).throw(RuntimeError("no cuDNN")))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", props)
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "runs_per_hour", lambda *a, **k: [])
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})
    env = mod.environment(torch.device("cuda"))
    assert "busy or unavailable" in env["error"] and "no cuDNN" in env["error"], env
    assert env["torch"] == torch.__version__ and env["cudnn"] is None and "gpu" not in env, env
    import benchmark.devices

    monkeypatch.setattr(benchmark.devices, "resolve_device", lambda name: torch.device("cuda"))
    assert mod.main(["--device", "cuda", "--out", str(tmp_path)]) == 1
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert "busy or unavailable" in res["environment"]["error"] and res["identity"]["bit_identical"], res
    md = (tmp_path / "gpu_check.md").read_text()
    assert "Environment: RuntimeError: CUDA error: CUDA-capable device(s) is/are busy or unavailable" in md, md

"""GPU readiness, probed on the CPU (session 24, issue 23): what the first lent-GPU run of
``scripts/gpu_device.sh`` → ``scripts/gpu_check.py`` would leave out or mislead on."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake_gpu_check(mod, monkeypatch, seen: dict) -> None:
    """``mod.main`` on a faked CUDA device: the environment query and every section stubbed, the losses the
    step-time section is handed recorded in ``seen``."""
    import benchmark.devices

    monkeypatch.setattr(mod, "environment", lambda device: {
        "device": str(device), "torch": torch.__version__, "cuda": "13.0", "cudnn": None, "plbench": "0", "threads": 1})
    monkeypatch.setattr(benchmark.devices, "resolve_device", lambda name: torch.device("cuda"))

    def steps(device, nets, batch, crop, losses, reps, **kw):
        seen["losses"] = tuple(losses)
        return []

    monkeypatch.setattr(mod, "step_times", steps)
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "runs_per_hour", lambda *a, **k: [])
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})


def test_the_gpu_step_times_cover_every_registered_loss_family(tmp_path, monkeypatch):
    """gpu_check's docstring says it times "one loss of every family", but its GPU section was handed a fixed list of
    8 (l1, ms_ssim, ffl, vgg, lpips, dists, pdl, contextual): 4 of the 12 registered families — contrastive
    (contrastive_select), contrique, csr, psycho — would have had no ms/step, memory or × ℓ1 on the first GPU run,
    and a new loss file none either. Now the hand-picked 8 come first, then one loss of every other family."""
    from benchmark.lossfn import loss_family
    from benchmark.registry import LOSSES

    mod = _gpu_check()
    seen: dict = {}
    _fake_gpu_check(mod, monkeypatch, seen)
    assert mod.main(["--device", "cuda", "--out", str(tmp_path)]) == 0
    losses = seen["losses"]
    registered = {loss_family(n) for n in LOSSES.names() if not n.startswith("test_")}
    assert {loss_family(n) for n in losses} == registered, losses
    assert losses[:len(mod.FAMILIES)] == mod.FAMILIES  # the long-standing rows first, as before
    assert len({loss_family(n) for n in losses}) == len(losses)  # one loss per family, none timed twice
    assert json.loads((tmp_path / "gpu_check.json").read_text())["identity"]["bit_identical"]


def test_a_new_loss_file_is_timed_by_the_gpu_check(tmp_path, monkeypatch):
    """A loss family added by a new file (here a user's file, registered for the test) is in the GPU step times."""
    from benchmark.lossfn import loss_family
    from benchmark.registry import LOSSES

    src = tmp_path / "my_new_family.py"
    src.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                   "@register_loss('gpu24_newfam')\nclass NewFam(torch.nn.Module):\n"
                   "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    spec = importlib.util.spec_from_file_location("my_new_family", src)
    new = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(new)
        mod = _gpu_check()
        seen: dict = {}
        _fake_gpu_check(mod, monkeypatch, seen)
        assert mod.main(["--device", "cuda", "--out", str(tmp_path / "out")]) == 0
        assert "gpu24_newfam" in seen["losses"] and loss_family("gpu24_newfam") == "my_new_family", seen
    finally:
        LOSSES.remove("gpu24_newfam")

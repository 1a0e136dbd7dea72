"""GPU readiness, probed on the CPU (session 24, issue 23): what the first lent-GPU run of
``scripts/gpu_device.sh`` → ``scripts/gpu_check.py`` would leave out or mislead on."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from conftest import load_script, step_images

ROOT = Path(__file__).resolve().parents[1]


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

    mod = load_script("gpu_check")
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
        mod = load_script("gpu_check")
        seen: dict = {}
        _fake_gpu_check(mod, monkeypatch, seen)
        assert mod.main(["--device", "cuda", "--out", str(tmp_path / "out")]) == 0
        assert "gpu24_newfam" in seen["losses"] and loss_family("gpu24_newfam") == "my_new_family", seen
    finally:
        LOSSES.remove("gpu24_newfam")


# ---- the GPU step's paths a first CUDA run takes, run on the CPU (device_path=True) and, where CUDA is, on it --------

@functools.cache
def _dense():
    import runpy

    return runpy.run_path(str(ROOT / "scripts" / "bench_imresize.py"))["dense_imresize"]


def _dense_imresize(img: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The dense-matrix, 8-bit imresize scripts/bench_imresize.py times the banded one against (the reference)."""
    return _dense()(img, size, uint8=True)


def _sr4_matlab_batches(device: torch.device, device_path: bool, iterations: int = 2) -> list:
    """The (clean, degraded) batches a sr4 resize=matlab TrainStep on ``device`` trains on, each on the host."""
    from benchmark.config import RunConfig
    from benchmark.runner import TrainStep
    from benchmark.task import build_task

    task = build_task("sr4", resize="matlab")
    cfg = RunConfig(task="sr4", loss="l1", task_params=(("resize", "matlab"),), iterations=iterations, batch_size=2,
                    crop=32, device_type=device.type, precision="bf16" if device.type == "cuda" else "fp32")
    step = TrainStep(cfg, task, step_images(), device, device_path=device_path)
    seen = []
    real = task.degrade

    def spy(clean, generator):
        degraded = real(clean, generator)
        seen.append((clean.detach().cpu(), degraded.detach().cpu(), clean.is_contiguous(
            memory_format=torch.channels_last), clean.device.type))
        return degraded

    object.__setattr__(task, "degrade", spy)  # (a frozen dataclass: this instance only)
    for it in range(1, iterations + 1):
        assert step(it) is not None
    assert step.check() is None
    return seen


def test_sr4_matlab_trains_on_the_device_path_with_the_cpu_path_s_input(one_thread):
    """sr4 resize=matlab's banded imresize on the GPU step's path (the device sampler's channels-last uint8 crops, the
    device generator, fused Adam), run on the CPU: every batch's input equals the dense reference's of the same crops
    bit for bit at 8 bit — what the CPU path gives them (issue 23's "imresize blocks' CUDA path untested"; on CUDA:
    test_sr4_matlab_imresize_on_cuda_equals_the_cpu_s)."""
    seen = _sr4_matlab_batches(torch.device("cpu"), device_path=True)
    assert len(seen) == 2
    for clean, degraded, channels_last, _ in seen:
        assert channels_last  # the device sampler's batch, as on a GPU (not the CPU path's sample_batch)
        assert torch.equal(clean, torch.round(clean * 255) / 255)  # 8-bit levels, as the matlab path reads them
        ref = _dense_imresize(_dense_imresize(clean.contiguous(), (8, 8)), (32, 32))
        assert torch.equal(torch.round(degraded * 255), torch.round(ref * 255))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_sr4_matlab_imresize_on_cuda_equals_the_cpu_s():
    """GPU only (gpu_device.sh runs it after the check): the banded imresize in float64 on CUDA (cuBLAS's batched
    matmul, device constants, the device sampler's batch) rounds to the same 8-bit levels as the CPU path, on the
    crops a GPU run trains on and on a whole photo-sized image."""
    from tasks.super_resolution import imresize

    for clean, degraded, _, where in _sr4_matlab_batches(torch.device("cuda"), device_path=None):
        assert where == "cuda"
        ref = imresize(imresize(clean, (8, 8), uint8=True), (32, 32), uint8=True)
        assert torch.equal(torch.round(degraded * 255), torch.round(ref * 255))
    g = torch.Generator().manual_seed(7)
    photo = torch.floor(torch.rand(1, 3, 480, 640, generator=g) * 255 + 0.5) / 255
    for size in ((120, 160), (160, 213)):
        on_cpu = imresize(photo, size, uint8=True)
        on_cuda = imresize(photo.cuda(), size, uint8=True).cpu()
        assert torch.equal(torch.round(on_cuda * 255), torch.round(on_cpu * 255)), size


def test_a_loss_that_fails_leaves_no_memory_of_the_whole_set_to_the_retries(monkeypatch):
    """step_times builds every loss's step at once (``perf.measure``); where one fails — a GPU out of memory at 16 ×
    128² on the base net — it times each loss again on its own. Those retries ran inside the ``except`` block, so the
    failed attempt's exception, its traceback and every frame of it (the built steps: nets, trunks, Adam states,
    activations) stayed alive through all of them: on a GPU each retry then met the memory the failed set still held.
    Now the retries start once the failure is only its one line, and nothing of the failed attempt is alive. (Since
    session 24 each loss is timed on its own call: the loss timed after a failed one meets none of its memory.)"""
    import gc
    import weakref

    import benchmark.perf

    mod = load_script("gpu_check")
    alive_in_retries = []
    held: list = []

    class Built:  # what a built step holds on the device
        pass

    def measure(names, **kw):
        if "vgg" in names:  # builds, then fails
            steps = Built()
            held.append(weakref.ref(steps))
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        gc.collect()
        alive_in_retries.append(bool(held) and held[0]() is not None)
        return [benchmark.perf.PerfRow(n, 1.0, 1000.0, 1.0, None, None, None, None, "random")
                for n in dict.fromkeys(["l1", *names])]

    monkeypatch.setattr(benchmark.perf, "measure", measure)
    rows = mod.step_times(torch.device("cpu"), ("small",), 16, 128, ("l1", "vgg", "pdl"), reps=1)
    assert [r["loss"] for r in rows] == ["l1", "vgg", "pdl"] and "out of memory" in rows[1]["error"], rows
    assert alive_in_retries == [False, False], alive_in_retries


def test_utilisation_samples_the_gpu_the_run_trains_on(monkeypatch):
    """The utilisation section read nvidia-smi's first line: nvidia-smi counts every GPU of the machine in PCI order,
    whatever CUDA_VISIBLE_DEVICES says, so on a SLURM node that gave the job its GPU 5 (torch's cuda:0), or under
    ``--device cuda:1``, the table showed another GPU's utilisation and memory — another job's, or 0 % of an idle one.
    Now nvidia-smi is asked for the run's own GPU by its UUID."""
    import subprocess
    import threading
    import types

    mod = load_script("gpu_check")
    uuid = "6f3c1a2b-0d4e-5f60-7182-93a4b5c6d7e8"
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda device: types.SimpleNamespace(uuid=uuid, name="NVIDIA H100 80GB HBM3"))
    monkeypatch.setattr(mod.shutil, "which", lambda name: "/usr/bin/" + name)
    asked, done = [], threading.Event()

    def nvidia_smi(args, **kw):
        if "-L" in args:  # the listing the id is read from (session 24: a MIG partition's is MIG-…)
            return subprocess.CompletedProcess(args, 0, stdout=f"GPU 0: NVIDIA H100 (UUID: GPU-0-idle)\n"
                                               f"GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-{uuid})\n", stderr="")
        asked.append(list(args))
        done.set()
        gpu = 1 if f"--id=GPU-{uuid}" in args else 0  # the machine's two GPUs: 0 idle, 1 the run's
        return subprocess.CompletedProcess(args, 0, stdout=["0, 3\n", "87, 40960\n"][gpu], stderr="")

    monkeypatch.setattr(mod.subprocess, "run", nvidia_smi)
    with mod.Utilisation(every=0.01, device=torch.device("cuda", 1)) as u:
        assert done.wait(5)
    assert all(f"--id=GPU-{uuid}" in a for a in asked), asked
    assert u.summary()["max_mem_mib"] == 40960 and u.summary()["mean_util"] == 87, u.summary()
    with mod.Utilisation(every=0.01, device=torch.device("cpu")) as cpu:  # no GPU: nvidia-smi as before, unnamed
        pass
    assert cpu.gpu == []

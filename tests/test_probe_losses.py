"""Defects of the loss zoo and of the one-file loss journey, each found by probing as a user would.

The CLI cases run the real entry point (:func:`benchmark.cli.main`) against a results directory
that already holds a finished run, and check what tests/test_bad_inputs.py checks: the exit code,
one ``error:`` line matching the case (no traceback, no "internal error"), and not one file of the
results changed (no failed or diverged run recorded for a broken loss).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from test_bad_inputs import _snapshot, finished_store

from benchmark.cli import main
from benchmark.registry import LOSSES

_HEAD = "import torch\nfrom benchmark.registry import register_loss\n\n"
_LOSS = _HEAD + ("@register_loss('{name}')\nclass Bad(torch.nn.Module):\n    def forward(self, p, t):\n"
                 "        return {body}\n")

LOSS_FILES = {
    "nan_value.py": _LOSS.format(name="probe_nan", body="(p - t).abs().mean() * float('nan')"),
    "inf_value.py": _LOSS.format(name="probe_inf", body="(p - t).abs().mean() + float('inf')"),
    "complex_value.py": _LOSS.format(name="probe_complex", body="torch.fft.fft2(p - t).mean()"),
    "init_raises.py": _HEAD + "@register_loss('probe_init')\nclass Bad(torch.nn.Module):\n"
                              "    def __init__(self):\n        super().__init__()\n"
                              "        raise RuntimeError('oops in init')\n"
                              "    def forward(self, p, t):\n        return (p - t).abs().mean()\n",
    "not_a_module.py": _HEAD + "@register_loss('probe_plain')\nclass Bad:\n"
                               "    def forward(self, p, t):\n        return (p - t).abs().mean()\n",
    "function.py": _HEAD + "@register_loss('probe_func')\ndef probe_func(pred, target):\n"
                           "    return (pred - target).abs().mean()\n",
    "required_arg.py": _HEAD + "@register_loss('probe_req')\nclass Bad(torch.nn.Module):\n"
                               "    def __init__(self, scale):\n        super().__init__()\n"
                               "        self.scale = scale\n"
                               "    def forward(self, p, t):\n        return self.scale * (p - t).abs().mean()\n",
    # finite value, NaN gradient: sqrt at 0 (a norm without eps) — the net's weights went NaN at the first step
    "nan_gradient.py": _LOSS.format(name="probe_nangrad",
                                    body="(p - t).abs().mean() + (p - p.detach()).pow(2).mean().sqrt()"),
    # depends on its own parameter only, not on pred: the net got no gradient and the run was recorded 'ok'
    "own_param_only.py": _HEAD + "@register_loss('probe_own')\nclass Bad(torch.nn.Module):\n"
                                 "    def __init__(self):\n        super().__init__()\n"
                                 "        self.w = torch.nn.Parameter(torch.ones(()))\n"
                                 "    def forward(self, p, t):\n"
                                 "        return self.w * (p.detach() - t).abs().mean()\n"
                                 "    def train_step(self, p, t):\n        pass\n",  # else refused for no train_step
    # a typo in needs: the forward's degraded=None default was what it got, silently, every step
    "needs_typo.py": _HEAD + "@register_loss('probe_needs', needs=('degrade',))\nclass Bad(torch.nn.Module):\n"
                             "    def forward(self, p, t, degraded=None):\n"
                             "        return (p - (t if degraded is None else degraded)).abs().mean()\n",
    "forward_raises.py": _LOSS.format(name="probe_fwd",
                                      body="(p - t).abs().mean() + torch.zeros(5, 7) @ torch.zeros(3, 2)"),
}


def probe_dir(d: Path, loss_files: bool = True) -> Path:
    """What the CLI cases run against, written into ``d``: 48×48 train (``imgs``) and test (``timgs``) images,
    a finished (synthetic) run in ``existing`` that must survive every case, and (``loss_files``) :data:`LOSS_FILES`."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for folder in ("imgs", "timgs"):
        (d / folder).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(d / folder / f"im{i}.png")
    for name, text in LOSS_FILES.items() if loss_files else ():
        (d / name).write_text(text)
    finished_store(d / "existing")
    return d


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    return probe_dir(tmp_path_factory.mktemp("probe_losses"))


BASE = ["--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--crop", "32", "--batch-size", "2",
        "--metrics", "psnr", "--device", "cpu", "--train-data", "{d}/imgs", "--test-data", "{d}/timgs",
        "--out", "{d}/existing", "--no-progress", "--no-report", "--no-budget-check", "-q"]


def _one_line_error(args, d, capsys) -> tuple[int, str]:
    """Run the CLI; assert one ``error:`` line and untouched results; return (exit code, the line)."""
    before = _snapshot(d / "existing")
    registered = set(LOSSES.names())
    capsys.readouterr()
    try:
        code = main([a.replace("{d}", str(d)) for a in BASE + args])
    finally:
        for extra in set(LOSSES.names()) - registered:
            LOSSES.remove(extra)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("W ", "I "))
             and "Warning" not in line and not line.startswith("  ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "internal error" not in err, err
    after = _snapshot(d / "existing")
    assert before == after, f"files changed: {sorted(set(before.items()) ^ set(after.items()))}"
    return code, lines[0]


# ------------------------------------------------------------------------ the one-file loss journey
@pytest.mark.parametrize("file,name,pattern", [
    # a loss returning NaN on its very first (finite) batch was recorded as a run 'diverged at iteration 1',
    # exit 0: a broken loss, not a diverging training
    ("nan_value.py", "probe_nan", r"loss 'probe_nan' returned nan .*first"),
    ("inf_value.py", "probe_inf", r"loss 'probe_inf' returned inf .*first"),
    # a NaN gradient at a finite value: recorded as a run 'diverged at iteration 2', exit 0
    ("nan_gradient.py", "probe_nangrad", r"loss 'probe_nangrad' has a non-finite gradient .*first"),
    # no gradient reaches pred (only the loss's own parameter has one): recorded 'ok', an untrained net scored
    ("own_param_only.py", "probe_own", r"loss 'probe_own' does not depend differentiably on pred"),
    # a complex value was cast to its real part with a UserWarning and trained on, exit 0
    ("complex_value.py", "probe_complex", r"loss 'probe_complex' returned a complex tensor"),
    # --- a loss file that cannot be built
    # was "error: internal error: RuntimeError: oops in init (rerun with --debug ...)", exit 1: the user's code
    # failed, not the harness
    ("init_raises.py", "probe_init",
     r"loss 'probe_init' \(init_raises\.py\) failed to build: RuntimeError: oops in init"),
    # was "bad arguments {}: Bad() takes no arguments" (the harness passed seed= to object.__init__)
    ("not_a_module.py", "probe_plain", r"loss 'probe_plain' must build an nn\.Module, got Bad"),
    # was "bad arguments {}: probe_func() missing 2 required positional arguments: 'pred' and 'target'"
    ("function.py", "probe_func", r"loss 'probe_func' is a function of \(pred, target\).*nn\.Module class"),
    # was accepted: the runner passes only 'degraded', so the loss trained against the target instead
    ("needs_typo.py", "probe_needs", r"loss 'probe_needs' declares needs=\('degrade',\).*only 'degraded'.*did you "
                                     r"mean degraded"),
    # was "bad arguments {}: Bad.__init__() missing 1 required positional argument: 'scale'"
    ("required_arg.py", "probe_req", r"loss 'probe_req' needs argument 'scale' \(no default\).*probe_req\(scale="),
])
def test_a_broken_loss_file_is_one_clear_line(file, name, pattern, d, capsys):
    """A loss file whose loss gives a bad value or gradient at the first batch, or cannot be built."""
    code, line = _one_line_error(["--loss-file", f"{{d}}/{file}", "--losses", name], d, capsys)
    assert code == 2
    assert re.search(pattern, line), line


# ------------------------------------------------------------------ a loss that cannot run on the crop
@pytest.mark.parametrize("args,pattern", [
    # every run was trained up to its first step, then recorded 'failed: RuntimeError: Given input size:
    # (64x1x1). Calculated output size: (64x0x0). Output size is too small' (and ValueError for MS-SSIM)
    (["--losses", "lpips", "--crop", "8"], r"loss 'lpips' fails on 8×8 training crops \(RuntimeError: .*\): it runs "
                                           r"from --crop (\d+)"),
    # (the MS-SSIM message now names the smallest side, as the loss's docstring: a bare 'too small' was pinned here)
    (["--losses", "ms_ssim", "--crop", "8"], r"loss 'ms_ssim' fails on 8×8 training crops \(ValueError: image too "
                                             r"small for 5-level MS-SSIM: it needs ≥ \d+ px per side\): it runs from "
                                             r"--crop (\d+)"),
    # a user's loss whose forward raises: every run recorded as failed, one by one
    (["--loss-file", "{d}/forward_raises.py", "--losses", "probe_fwd"],
     r"loss 'probe_fwd' fails on 32×32 training crops \(RuntimeError: mat1 and mat2 shapes cannot be multiplied"),
])
def test_loss_failing_on_the_training_crop_is_refused_before_training(args, pattern, d, capsys):
    code, line = _one_line_error(args, d, capsys)
    assert code == 2
    m = re.search(pattern, line)
    assert m, line
    if m.groups():  # the crop it names does run the loss
        import torch

        from benchmark.lossfn import build_loss

        side = int(m.group(1))
        loss = build_loss(args[1], weights="random")
        with torch.no_grad():
            assert torch.isfinite(loss(torch.rand(1, 3, side, side), torch.rand(1, 3, side, side)))


def test_perf_with_a_crop_too_small_for_the_loss_is_one_line(capsys):
    """``plbench perf --losses lpips --crop 8`` was 'error: internal error: RuntimeError: Given input size:
    (64x1x1) ... Output size is too small (rerun with --debug ...)', exit 1."""
    code = main(["perf", "--losses", "lpips", "--crop", "8", "--batch", "2", "--reps", "1", "--warmup", "0",
                 "--device", "cpu", "--no-naive", "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "internal error" not in err
    assert re.search(r"error: loss 'lpips' fails on 8×8 training crops .*: it runs from --crop \d+", err), err


def test_two_loss_files_registering_one_name_name_the_first_file(tmp_path):
    """The clash named the first file by its internal module name ('by plbench_user_a_19ef81a6'), not its path."""
    from benchmark.errors import UserError
    from benchmark.registry import load_user_file

    for stem, body in (("first_file", "(p - t).abs().mean()"), ("second_file", "(p - t).pow(2).mean()")):
        (tmp_path / f"{stem}.py").write_text(_LOSS.format(name="probe_same", body=body))
    try:
        load_user_file(tmp_path / "first_file.py")
        with pytest.raises(UserError, match=r"second_file\.py failed to import: ValueError: loss 'probe_same' is "
                                             r"already registered \(by .*first_file\.py\)"):
            load_user_file(tmp_path / "second_file.py")
        # one file registering the name twice: named by its path too, not 'by plbench_user_twice_<hash>'
        (tmp_path / "twice.py").write_text(_LOSS.format(name="probe_twice", body="(p - t).abs().mean()")
                                           + _LOSS.format(name="probe_twice", body="(p - t).abs().mean()"))
        with pytest.raises(UserError, match=r"loss 'probe_twice' is already registered \(by .*twice\.py\)"):
            load_user_file(tmp_path / "twice.py")
        assert "probe_twice" not in LOSSES  # the failed file left nothing registered
    finally:
        LOSSES.remove("probe_same")


def test_checkpoint_of_a_whole_pickled_model_is_not_called_damaged(tmp_path):
    """``torch.save(model)`` (not its state_dict) as --backbone-weights was 'cannot load checkpoint … (damaged):
    UnpicklingError: Weights only load failed. … [1mdo those steps only if you trust …' — the file is sound,
    it holds a pickled object, and the line carried terminal escape codes."""
    import torch

    from benchmark import weights as W
    from benchmark.errors import UserError

    path = tmp_path / "whole_model.pt"
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), path)
    with pytest.raises(UserError) as info:
        W.load_state(path)
    msg = str(info.value)
    assert "damaged" not in msg and "\x1b" not in msg, msg
    assert re.search(r"whole_model\.pt holds pickled Python objects .*state_dict\(\)", msg), msg


def test_focal_frequency_loss_refuses_a_negative_alpha():
    """``ffl(alpha=-1.0)`` was accepted: its spectrum weight |ΔF|^α is 1/0 where a frequency is already right, so
    the loss is NaN at pred == target (and wherever one bin matches) and the run diverges mid-training."""
    import torch

    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss, check_loss_arguments

    with pytest.raises(UserError, match=r"alpha"):
        check_loss_arguments("ffl(alpha=-1.0)")
    x = torch.rand(1, 3, 16, 16)
    assert float(build_loss("ffl(alpha=0.0)")(x, x.clone())) == 0.0  # α = 0 (no focusing) stays allowed


def test_a_loss_registered_in_a_script_is_versioned_by_its_source(tmp_path):
    """A loss registered in a script or notebook (module ``__main__``) had only its version ('1') in the run
    identity: edited and run again, the runs of the earlier code were found 'already done' and reused."""
    import os
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "my_script.py"
    script.write_text(textwrap.dedent('''
        import torch
        from benchmark.registry import LOSSES, register_loss
        from benchmark.lossfn import loss_versions

        @register_loss("probe_script")
        class Mine(torch.nn.Module):
            def forward(self, pred, target):
                return (pred - target).abs().mean()

        print(loss_versions("probe_script")["probe_script"])
        LOSSES.remove("probe_script")

        @register_loss("probe_script")
        class Mine(torch.nn.Module):  # the same loss, edited
            def forward(self, pred, target):
                return (pred - target).pow(2).mean()

        print(loss_versions("probe_script")["probe_script"])
    '''))
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    first, edited = out.stdout.split()
    assert first.startswith("1+") and edited.startswith("1+") and first != edited, out.stdout


def test_the_crop_probe_does_not_refuse_a_loss_that_works_in_training(tmp_path):
    """The planning probe must not refuse what training accepts: an in-place clamp of pred works on a net's
    output (a non-leaf) and must pass the probe too."""
    import torch

    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.registry import load_user_file
    from benchmark.task import build_task

    f = tmp_path / "inplace.py"
    f.write_text(_LOSS.format(name="probe_inplace", body="(p.clamp_(0, 1) - t).abs().mean()"))
    try:
        load_user_file(f)
        loss = build_loss("probe_inplace")
        check_loss_on_crop("probe_inplace", loss, [build_task("denoise")], crop=32)  # no error
        net = torch.nn.Conv2d(3, 3, 3, padding=1)  # as in training: pred is a net's output
        loss = build_loss("probe_inplace")
        loss(net(torch.rand(1, 3, 32, 32)), torch.rand(1, 3, 32, 32)).backward()
        assert torch.isfinite(net.weight.grad).all()
    finally:
        LOSSES.remove("probe_inplace")


def test_the_crop_probe_uses_a_batch_as_training_does(tmp_path):
    """A loss with statistics over the batch (unbiased std: NaN for one image) works at the grid's batch size of
    8; the probe ran it on one crop and refused it ('returned nan')."""
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.registry import load_user_file
    from benchmark.task import build_task

    f = tmp_path / "batch_stats.py"
    f.write_text(_LOSS.format(name="probe_batchstd", body="(p - t).abs().mean() + (p - t).mean((1, 2, 3)).std()"))
    try:
        load_user_file(f)
        check_loss_on_crop("probe_batchstd", build_loss("probe_batchstd"), [build_task("denoise")], crop=32,
                           batch=8)  # no error
    finally:
        LOSSES.remove("probe_batchstd")


def test_the_crop_probe_does_not_refuse_a_loss_file_that_needs_the_grids_gpu(tmp_path, caplog):
    """The probe runs on the CPU: a loss file written for the GPU the grid trains on (its own CUDA-only code) fails
    there. Refusing it would block a grid that runs; it is a warning when the grid is not a CPU one."""
    import logging

    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.registry import load_user_file
    from benchmark.task import build_task

    f = tmp_path / "gpu_only.py"
    f.write_text(_HEAD + "@register_loss('probe_gpu')\nclass Gpu(torch.nn.Module):\n    def forward(self, p, t):\n"
                 "        if p.device.type == 'cpu':\n            raise RuntimeError('written for CUDA tensors')\n"
                 "        return (p - t).abs().mean()\n")
    try:
        load_user_file(f)
        with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
            check_loss_on_crop("probe_gpu", build_loss("probe_gpu"), [build_task("denoise")], crop=32, batch=2,
                               device_type="cuda")
        assert "written for CUDA tensors" in caplog.text and "cuda" in caplog.text
        with pytest.raises(UserError, match="written for CUDA tensors"):  # a CPU grid would fail: refused
            check_loss_on_crop("probe_gpu", build_loss("probe_gpu"), [build_task("denoise")], crop=32, batch=2)
    finally:
        LOSSES.remove("probe_gpu")


def test_a_loss_files_weights_are_listed_by_plbench_weights(tmp_path, capsys, monkeypatch):
    """``weights="vgg16:IMAGENET1K_V1"`` (one key, as needs="degraded" is one extra) was read as its letters
    ('unknown weights 'v''), and ``plbench weights`` had no --loss-file: 'argument action: invalid choice:
    '<the file>'' — a loss file's weights could not be listed or prefetched."""
    from benchmark.weights import loss_weight_keys

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty cache: the file is missing
    f = tmp_path / "needs_vgg.py"
    f.write_text(_HEAD + "@register_loss('probe_wts', weights='vgg16:IMAGENET1K_V1')\n"
                 "class W(torch.nn.Module):\n    def forward(self, p, t):\n        return (p - t).abs().mean()\n")
    registered = set(LOSSES.names())
    try:
        code = main(["weights", "--loss-file", str(f), "--losses", "probe_wts"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert loss_weight_keys("probe_wts") == ("vgg16:IMAGENET1K_V1",)
        assert re.search(r"probe_wts\s+MISSING\s+vgg16-397923af\.pth", out), out
    finally:
        for extra in set(LOSSES.names()) - registered:
            LOSSES.remove(extra)

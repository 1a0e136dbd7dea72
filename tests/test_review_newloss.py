"""Review of probe-newloss: the zero-gradient refusal, plugin versioning and compare's new refusals, probed
further as a user adding a loss of their own would meet them."""

from __future__ import annotations

import pytest


def _loss_file(tmp_path, name: str, body: str):
    f = tmp_path / f"{name}.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                 f"@register_loss({name!r}, version='1')\nclass Z(torch.nn.Module):\n"
                 "    '''pred, target: (N, 3, H, W) in [0, 1] -> scalar.'''\n\n"
                 f"    def forward(self, pred, target):\n        return {body}\n")
    return f


@pytest.mark.parametrize("body", [
    # errors under a visibility threshold do not count (an ε-insensitive loss): none near the target, many at
    # the noisy input the identity-initialised net outputs at its first step
    "torch.relu((pred - target).abs() - 0.25).mean()",
    # a PSNR hinge: only while PSNR < 24 dB (26 dB at σ 0.05, 20 dB at denoise's σ 25/255)
    "torch.relu(24 + 10 * torch.log10(((pred - target) ** 2).mean()))",
])
def test_a_loss_flat_only_near_the_target_is_not_refused_as_zero_gradient(tmp_path, body):
    """Was: check_loss_on_crop refused a loss whose gradient is zero at pred = target + noise of σ 0.05 — but
    the net starts as the identity, so its first output is the degraded input, where such a loss (a dead
    zone, a hinge on PSNR) has a gradient and trains; 'the net would train nothing' was false. The refusal is
    for a loss with no gradient there either (round, sign, a detached path)."""
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.task import build_task

    load_user_file(_loss_file(tmp_path, "near_flat_ok", body), LOSSES)
    try:
        loss = build_loss("near_flat_ok")
        task = build_task("denoise")
        # it does train from the identity net's first output: a gradient at pred = degraded
        import torch

        clean = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
        pred = task.degrade(clean, torch.Generator().manual_seed(1)).requires_grad_(True)
        loss(pred, clean).backward()
        assert pred.grad.any()
        check_loss_on_crop("near_flat_ok", loss, [task], crop=32, batch=2)  # not refused
    finally:
        LOSSES.remove("near_flat_ok")


def test_a_plugin_loss_whose_helper_module_is_edited_is_a_new_version(tmp_path, monkeypatch):
    """Was: a plugin loss was versioned by the hash of the one file that defines its class: a plugin package
    whose loss calls a helper of another of its modules (my_pkg/losses.py importing my_pkg/helpers.py — a
    package is free to have several files, unlike a self-contained --loss-file) kept its run ids after the
    helper was edited, so compare/run took the old code's runs as done and pooled them. Every module of the
    plugin's package versions it now; the same code is still the same version."""
    import importlib
    import sys

    from benchmark.lossfn import loss_versions
    from benchmark.registry import LOSSES

    dist = tmp_path / "helper_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: helper-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[plbench.losses]\nhp = hp_pkg.losses\n")
    pkg = tmp_path / "hp_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "losses.py").write_text(
        "import torch\nfrom benchmark.registry import register_loss\n\nfrom hp_pkg.helpers import distance\n\n\n"
        "@register_loss('hp_loss')\nclass H(torch.nn.Module):\n    def forward(self, pred, target):\n"
        "        return distance(pred, target)\n")
    (pkg / "helpers.py").write_text("def distance(pred, target):\n    return (pred - target).abs().mean()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    LOSSES.names()  # the built-ins scanned first

    def load(expr: str) -> dict:
        LOSSES.remove("hp_loss")
        for m in ("hp_pkg", "hp_pkg.losses", "hp_pkg.helpers"):
            sys.modules.pop(m, None)
        (pkg / "helpers.py").write_text(f"def distance(pred, target):\n    return {expr}\n")
        importlib.invalidate_caches()  # a file written since the folder was last listed
        LOSSES._load_plugins()
        return loss_versions("hp_loss")

    try:
        first = load("(pred - target).abs().mean()")
        assert first == load("(pred - target).abs().mean()")
        assert load("(pred - target).pow(2).mean()") != first
    finally:
        LOSSES.remove("hp_loss")
        for m in ("hp_pkg", "hp_pkg.losses", "hp_pkg.helpers"):
            sys.modules.pop(m, None)

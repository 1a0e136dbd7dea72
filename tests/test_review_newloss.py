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


@pytest.mark.slow
def test_compare_of_tasks_whose_field_is_all_another_code_version_is_refused_beside_an_earlier_compare(tmp_path,
                                                                                                      capsys):
    """Was: the refusal of a field made entirely by another code version looked at every task kept in the
    comparison, so `compare --loss charbonnier --tasks sr4` — sr4's field all made by an earlier plbench, denoise
    compared with charbonnier before (its section kept) — trained nothing, wrote a comparison whose sr4 section
    said 'skipped' and exited 0. The tasks asked for are what must be comparable: exit 2, nothing written."""
    import json

    from benchmark.cli import main

    out = tmp_path / "r"
    assert main(["run", "--losses", "l1", "l2", "--tasks", "denoise", "sr4", "--crop", "16", "--batch-size", "2",
                 "--metrics", "psnr", "--iterations", "2", "--no-budget-check", "--no-report", "--no-progress",
                 "--device", "cpu", "--out", str(out)]) == 0
    assert main(["compare", "--loss", "charbonnier", "--no-visual", "--out", str(out), "--device", "cpu", "-q"]) == 0
    for p in (out / "runs").glob("*/meta.json"):  # sr4's field made by an earlier release of the numbers' code
        m = json.loads(p.read_text())
        if (m.get("config") or {}).get("task") == "sr4" and m["config"]["loss"] != "charbonnier":
            p.write_text(json.dumps({**m, "code_version": "0.0.9+c0"}))
    capsys.readouterr()
    before = {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["compare", "--loss", "charbonnier", "--tasks", "sr4", "--no-visual", "--out", str(out),
                 "--device", "cpu", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "0.0.9+c0" in err and "re-run the field" in err, err
    assert {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_a_loss_file_whose_hugging_face_download_fails_offline_names_the_repo_file_and_hf_cache(tmp_path,
                                                                                                  monkeypatch):
    """Was: download_hint (documented for 'a Hugging Face file' too) read only torch.hub's `url`/`dst` frames, so a
    loss whose __init__ calls huggingface_hub.hf_hub_download offline was told 'torch.hub and torchvision weights
    go in ~/.cache/torch/hub/checkpoints' — a folder the Hub never reads — and not which repo and file it wanted.
    The line now names the repo, the file and the Hugging Face cache it is read from."""
    pytest.importorskip("huggingface_hub")
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "hf_cache"
    f = tmp_path / "hf_review_loss.py"
    f.write_text("import torch\nfrom huggingface_hub import hf_hub_download\nfrom benchmark.registry import "
                 "register_loss\n\n\n@register_loss('hf_review_loss', version='1')\nclass Z(torch.nn.Module):\n"
                 "    def __init__(self):\n        super().__init__()\n"
                 "        self.path = hf_hub_download('someone/some-model', 'weights.safetensors',\n"
                 f"                                    cache_dir={str(cache)!r})\n"
                 "\n    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    load_user_file(f, LOSSES)
    try:
        with pytest.raises(UserError) as e:
            build_loss("hf_review_loss")
    finally:
        LOSSES.remove("hf_review_loss")
    msg = str(e.value)
    assert "\n" not in msg and "someone/some-model" in msg and "weights.safetensors" in msg, msg
    assert str(cache) in msg and "torch/hub" not in msg and "HF_HUB_OFFLINE=1" in msg, msg


def test_a_plugin_that_fails_after_importing_another_plugin_leaves_that_plugins_losses(tmp_path, monkeypatch, caplog):
    """Was: a plugin failing half-way has what it registered removed — including the losses of another plugin
    it imported first (`from zz_base_mod import Base`, a plugin building on another): that module stayed
    imported, so its own entry point, loaded next, registered nothing again and its losses were gone from
    `plbench list losses` with no word (only the failing plugin was named). A plugin's failure now takes away
    its own losses only; the other plugin loads as if alone."""
    import sys

    from benchmark.registry import LOSSES

    for name, ep, body in (("aa_fail", "aa = aa_fail_mod", "import zz_base_mod  # noqa\nimport not_installed_dep_q\n"),
                           ("zz_base", "zz = zz_base_mod", "import torch\nfrom benchmark.registry import register_loss"
                            "\n\n\n@register_loss('zz_base_loss')\nclass B(torch.nn.Module):\n    def forward(self, "
                            "pred, target):\n        return (pred - target).abs().mean()\n")):
        dist = tmp_path / f"{name}-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (dist / "entry_points.txt").write_text(f"[plbench.losses]\n{ep}\n")
        (tmp_path / f"{name}_mod.py").write_text(body)
    LOSSES.names()  # the built-ins scanned first
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with caplog.at_level("WARNING"):
            LOSSES._load_plugins()
        assert "zz_base_loss" in LOSSES.names(), caplog.text
        assert "zz_base_mod" in LOSSES.get("zz_base_loss").meta["plugin"]
        assert "plugin aa = aa_fail_mod (group plbench.losses) failed to load" in caplog.text
    finally:
        LOSSES.remove("zz_base_loss")
        for m in ("aa_fail_mod", "zz_base_mod"):
            sys.modules.pop(m, None)


def test_a_loss_failing_the_same_way_on_every_crop_is_not_said_to_be_too_small(tmp_path):
    """Was: a loss file whose forward raises whatever the crop (a bug: `ValueError: unsupported reduction 'avg'`)
    was refused with '(nor on crops up to 256 px)', which reads as 'your crop is too small, and so is every
    larger one' and sent the user resizing crops. When every crop of the ladder fails with the same error, the
    line says the crop's size is not why."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.task import build_task

    f = tmp_path / "always_bad.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                 "@register_loss('always_bad', version='1')\nclass Z(torch.nn.Module):\n"
                 "    def forward(self, pred, target):\n        raise ValueError(\"unsupported reduction 'avg'\")\n")
    load_user_file(f, LOSSES)
    try:
        with pytest.raises(UserError) as e:
            check_loss_on_crop("always_bad", build_loss("always_bad"), [build_task("denoise")], crop=32, batch=2)
    finally:
        LOSSES.remove("always_bad")
    msg = str(e.value)
    assert "unsupported reduction" in msg and "nor on crops" not in msg and "not why" in msg, msg


def test_a_metric_or_task_plugin_is_not_warned_about_run_ids_its_code_never_versions(tmp_path, monkeypatch, caplog):
    """Was: every plugin entry — metrics and tasks too — had its source hashed, and one whose source cannot be
    read was warned about: 'its source file cannot be read, so an edit to it will not change its run ids'. Only
    a loss's hash enters its run ids (benchmark.lossfn.loss_versions); a metric's or task's never did, so the
    warning implied the readable ones were versioned, and the hash (a package's every file) was work for
    nothing. Only losses were hashed; since zoo15 a metric's is too (its digest: scores of other code re-scored,
    test_probe_zoo15), and its warning says that, not run ids."""
    from benchmark.registry import METRICS

    dist = tmp_path / "abs_metric-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: abs-metric\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[plbench.metrics]\nabs_review = builtins:abs\n")
    METRICS.names()
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with caplog.at_level("WARNING"):
            METRICS._load_plugins()
        assert "abs_review" in METRICS.names()
        assert "run ids" not in caplog.text and "re-score its stored scores" in caplog.text, caplog.text
        assert "file_sha256" not in METRICS.get("abs_review").meta  # builtins' abs: no source to hash
    finally:
        METRICS.remove("abs_review")

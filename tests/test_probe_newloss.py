"""User 2's journey (probe-newloss): add a loss in one file, compare it with a cached field without
re-running the field — the field's leftovers (diverged runs, other settings) and the loss's mistakes."""

from __future__ import annotations

import json

import pytest


def _meta(loss, iterations, seed=0, status="ok"):
    return {"run_id": f"{loss}-{iterations}-{seed}", "status": status, "code_version": "x",
            "config": {"task": "denoise", "loss": loss, "seed": seed, "iterations": iterations}}


@pytest.mark.parametrize("diverged_losses", [("l1", "l2", "ssim"), ("l1", "l2")])
def test_a_setting_whose_every_run_diverged_is_not_the_field(diverged_losses):
    """Was: `field_groups` counted diverged runs as field members, so a setting tried once with a learning
    rate that blew up (l1, l2, ssim: every run diverged, no score) outranked the field that trained (l1, l2
    at another iteration count): compare trained the new loss at the setting that diverges and ranked it
    against nothing; with as many diverged losses as the finished field it refused as a tie of two settings.
    A group is ranked by its finished (scored) runs: the field is the setting that trained."""
    from benchmark.compare import _pick_group, field_groups

    ok = [_meta(loss, 5, s) for loss in ("l1", "l2") for s in (0, 1)]
    blown = [_meta(loss, 60, s, status="diverged") for loss in diverged_losses for s in (0, 1)]
    groups, _ = field_groups(ok + blown, set())
    group, notes = _pick_group(groups["denoise"], "x", task="denoise")
    assert {m["config"]["iterations"] for m in group} == {5}, [m["run_id"] for m in group]
    assert len(notes) == 1 and "diverged" in notes[0], notes  # the set-aside setting is said to have diverged


def test_a_diverged_run_in_the_field_still_counts_its_seed():
    """A field setting with one diverged run among finished ones stays the field, its seeds included."""
    from benchmark.compare import _pick_group, field_groups

    ok = [_meta(loss, 5, s) for loss in ("l1", "l2") for s in (0, 1)] + [_meta("ssim", 5, 0, status="diverged")]
    other = [_meta(loss, 60, 0) for loss in ("l1",)]
    groups, _ = field_groups(ok + other, set())
    group, _ = _pick_group(groups["denoise"], "x", task="denoise")
    assert len(group) == 5 and {m["config"]["iterations"] for m in group} == {5}


PRETRAINED = '''import torch
from benchmark.registry import register_loss

URL = "https://download.example.org/models/featnet-0123abcd.pth"
{at_import}

@register_loss("{name}", version="1")
class Pre(torch.nn.Module):
    """Features of a pretrained net. pred, target: (N, 3, H, W) in [0, 1] -> scalar."""

    def __init__(self):
        super().__init__()
        {in_init}

    def forward(self, pred, target):
        return (pred - target).abs().mean()
'''


@pytest.mark.parametrize("where", ["init", "import"])
def test_a_loss_file_whose_pretrained_weights_cannot_be_downloaded_says_which_file_and_where(
        tmp_path, monkeypatch, where):
    """Was: a loss file building a pretrained net (`torchvision.models.vgg16(weights="DEFAULT")`,
    `torch.hub.load_state_dict_from_url`) offline said only "failed to build: URLError: <urlopen error
    [Errno -2] Name or service not known>" — no word of which file it wanted, where it goes, or that the
    machine is offline. Now the line names the URL, the file's path in the torch hub cache, and what to do."""
    import urllib.error
    import urllib.request

    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(*a, **k):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr("torch.hub.urlopen", no_network, raising=False)
    fetch = "torch.hub.load_state_dict_from_url(URL, progress=False)"
    name = f"pre_{where}"
    f = tmp_path / f"{name}.py"
    f.write_text(PRETRAINED.format(name=name, at_import=fetch if where == "import" else "",
                                   in_init=fetch if where == "init" else "pass"))
    try:
        with pytest.raises(UserError) as e:
            load_user_file(f, LOSSES)
            build_loss(name)
    finally:
        if name in LOSSES:
            LOSSES.remove(name)
    msg = str(e.value)
    want = tmp_path / "torch" / "hub" / "checkpoints" / "featnet-0123abcd.pth"
    assert "\n" not in msg and "URLError" in msg, msg
    assert "https://download.example.org/models/featnet-0123abcd.pth" in msg and str(want) in msg, msg
    assert "offline" in msg and "HF_HUB_OFFLINE" in msg, msg


@pytest.mark.parametrize("role", ["train", "test"])
def test_compare_when_the_fields_data_folder_is_gone_says_the_field_was_made_on_it(tmp_path, role):
    """Was: after the field's test (or training) folder was moved, `plbench compare --loss-file my_loss.py`
    said only "dataset folder not found: /data/test" — a folder the user never passed to compare, with no
    word that the field was scored (trained) on it, nor what to do. Now the line says so."""
    import shutil

    import numpy as np
    from PIL import Image

    from benchmark.compare import _config_from
    from benchmark.config import RunConfig, resolve, setting
    from benchmark.errors import UserError
    from benchmark.runner import DataCache

    rng = np.random.default_rng(0)
    for part in ("train", "test"):
        (tmp_path / part).mkdir()
        for i in range(2):
            Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(tmp_path / part / f"{i}.png")
    cfg = resolve(RunConfig(task="denoise", loss="l1", seed=0, iterations=2, batch_size=2, crop=32,
                            train_data=(str(tmp_path / "train"),), test_data=(str(tmp_path / "test"),)), DataCache())
    meta = json.loads(json.dumps({"config": cfg.to_dict(), "setting": setting(cfg)}, default=str))
    _config_from(meta, "l2", 0, DataCache(), "cpu")  # the field's settings, rebuilt: comparable
    shutil.move(tmp_path / role, tmp_path / f"{role}_moved")
    with pytest.raises(UserError) as e:
        _config_from(meta, "l2", 0, DataCache(), "cpu")
    msg = str(e.value)
    assert "\n" not in msg and str(tmp_path / role) in msg, msg
    assert "field of task 'denoise'" in msg and ("trained" if role == "train" else "scored") in msg, msg
    assert "restore" in msg, msg


@pytest.mark.parametrize("body", [
    "(torch.round(pred * 255) - torch.round(target * 255)).abs().mean() / 255",  # 8-bit quantised: round's grad is 0
    "(pred.detach() - target).abs().mean() + 0 * pred.sum()",  # a detached path kept 'differentiable' by a 0 term
    "(torch.sign(pred - target) != 0).float().mean() + 0.0 * pred.mean()",
])
def test_a_loss_whose_gradient_is_zero_everywhere_is_refused_before_training(tmp_path, body):
    """Was: a loss file computing its value through round/floor/sign (8-bit quantisation, a count) or through a
    detached path plus a zero term passed every check — its value depends on pred, a gradient 'reaches' pred —
    and compare trained the new loss for the field's full budget with d loss / d pred = 0 everywhere: the net
    never moved, and the 'new loss' was ranked as the untrained net. It is now one line before anything trains."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.task import build_task

    f = tmp_path / "zero_grad.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                 "@register_loss('zero_grad', version='1')\nclass Z(torch.nn.Module):\n"
                 "    '''pred, target: (N, 3, H, W) in [0, 1] -> scalar.'''\n\n"
                 f"    def forward(self, pred, target):\n        return {body}\n")
    load_user_file(f, LOSSES)
    try:
        with pytest.raises(UserError) as e:
            check_loss_on_crop("zero_grad", build_loss("zero_grad"), [build_task("denoise")], crop=32, batch=2)
        check_loss_on_crop("zero_grad + l1", build_loss("zero_grad + l1"), [build_task("denoise")], crop=32, batch=2)
    finally:
        LOSSES.remove("zero_grad")
    msg = str(e.value)
    assert "\n" not in msg and "zero_grad" in msg and "gradient" in msg and "zero" in msg, msg


def test_a_plugin_that_fails_half_way_through_its_import_leaves_none_of_its_losses(tmp_path, monkeypatch, caplog):
    """Was: an installed plugin module registering `half_a` and then failing (`import not_installed_dep` after
    its first class) was logged as "failed to load" — yet `half_a` stayed registered, without the plugin's
    name as its origin: listed and trained as if it were a built-in loss (and so never gradient-checked), by a
    module that was never whole. A plugin that fails is left out entirely, as a loss file that fails is."""
    import sys

    from benchmark.registry import LOSSES

    dist = tmp_path / "half_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: half-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[plbench.losses]\nhalf = half_plugin_mod\n")
    (tmp_path / "half_plugin_mod.py").write_text(
        "import torch\nfrom benchmark.registry import register_loss\n\n\n@register_loss('half_a')\n"
        "class A(torch.nn.Module):\n    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n"
        "\n\nimport not_installed_dep_xyz  # noqa\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    LOSSES.names()  # the built-ins scanned first
    try:
        with caplog.at_level("WARNING"):
            LOSSES._load_plugins()
        assert "half_a" not in LOSSES.names()
        assert "plugin half = half_plugin_mod (group plbench.losses) failed to load" in caplog.text
    finally:
        LOSSES.remove("half_a")
        sys.modules.pop("half_plugin_mod", None)


def test_an_edited_plugin_loss_is_a_new_version_not_mixed_with_its_earlier_runs(tmp_path, monkeypatch):
    """Was: a loss of an installed plugin (entry point `plbench.losses`, often `pip install -e`) was versioned by
    its decorator's `version="1"` alone: after its forward was edited, its run ids were those of the old code,
    so `compare`/`run` took the earlier runs as done and the leaderboard pooled them with nothing to say the
    code had changed — while the same class in a `--loss-file` is a new version (its file's hash). A plugin's
    loss is now versioned by its module file's hash too."""
    import sys

    from benchmark.lossfn import loss_versions
    from benchmark.registry import LOSSES

    dist = tmp_path / "ver_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ver-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[plbench.losses]\nver = ver_plugin_mod\n")
    mod = tmp_path / "ver_plugin_mod.py"
    body = ("import torch\nfrom benchmark.registry import register_loss\n\n\n@register_loss('ver_loss')\n"
            "class V(torch.nn.Module):\n    def forward(self, pred, target):\n        return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    LOSSES.names()  # the built-ins scanned first

    def load(expr: str) -> dict:
        LOSSES.remove("ver_loss")
        sys.modules.pop("ver_plugin_mod", None)
        mod.write_text(body.format(expr))
        LOSSES._load_plugins()
        assert "plugin" in LOSSES.get("ver_loss").meta
        return loss_versions("ver_loss")

    try:
        first = load("(pred - target).abs().mean()")
        assert first == load("(pred - target).abs().mean()")  # the same code: the same version, the same run ids
        edited = load("(pred - target).pow(2).mean()")
        assert edited != first and edited["ver_loss"].startswith("1+"), (first, edited)
    finally:
        LOSSES.remove("ver_loss")
        sys.modules.pop("ver_plugin_mod", None)


def test_compare_given_one_loss_written_two_ways_trains_it_once(tmp_path, caplog, monkeypatch):
    """Was: `plbench compare --loss charbonnier --loss 'charbonnier(eps=0.001)'` (its default written out, as
    after reading its docstring) kept both as new losses: each would be trained under its own run ids and ranked
    as two rows of one loss — where `plbench run --losses` with the same two runs it once, with a warning."""
    import benchmark.compare as C
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0, "l2": 0.1},
                budget_check=False)
    planned = []

    class Planned(Exception):
        pass

    def probe(groups, new, *a, **k):  # the new losses compare goes on to check and train
        planned.extend(new)
        raise Planned

    monkeypatch.setattr(C, "_probe_new_losses", probe)
    with caplog.at_level("WARNING"), pytest.raises(Planned):
        C.compare(tmp_path, losses=["charbonnier", "charbonnier(eps=0.001)", "charbonnier(eps=1e-3)"],
                  device="cpu", visual=False, formats=("png",), n_boot=100)
    assert planned == ["charbonnier"], planned
    assert "charbonnier(eps=0.001) is charbonnier written differently" in caplog.text


def test_compare_against_a_field_of_another_code_version_only_is_refused_not_a_success(tmp_path, capsys):
    """Was: after plbench was updated (its numbers' code version changed), `plbench compare --loss l2` against a
    store whose every field run was made by the earlier code trained nothing, wrote a comparison whose only
    section said "skipped", and exited 0 — a script (or a glance at the exit status) took it for a comparison.
    With no task comparable it is one error line saying why, exit 2, and nothing is written."""
    import json

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0, "l2": 0.1},
                budget_check=False)
    for p in (tmp_path / "runs").glob("*/meta.json"):  # made by an earlier release of the numbers' code
        m = json.loads(p.read_text())
        p.write_text(json.dumps({**m, "code_version": "0.0.9+c0"}))
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert main(["compare", "--loss", "charbonnier", "--out", str(tmp_path), "--device", "cpu", "--no-visual",
                 "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: "), err
    assert "0.0.9+c0" in err and "code version" in err and "re-run the field" in err, err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before  # nothing written

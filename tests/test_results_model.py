"""The results model: seeds pooled, identities that cannot go stale, one setting per leaderboard,
skipped is not scored, resource limits as input errors, attempts kept, per-device RNG restore."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from benchmark.cli import main
from benchmark.config import RunConfig, resolve, run_id, setting, setting_json
from benchmark.data import DataSpec
from benchmark.errors import UserError
from benchmark.results import ResultsStore
from benchmark.runner import DataCache, resolve_all, run_grid

CPU = torch.device("cpu")


def _folder(root: Path, n: int = 3, size: int = 48, seed: int = 0) -> Path:
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(root / f"im{i}.png")
    return root


@pytest.fixture(scope="module")
def imgs(tmp_path_factory) -> Path:
    return _folder(tmp_path_factory.mktemp("imgs"))


def _args(imgs: Path, out: Path, *extra: str) -> list[str]:
    return ["--tasks", "denoise", "--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--device", "cpu",
            "--train-data", str(imgs), "--test-data", str(imgs), "--out", str(out), "--no-progress", "-q", *extra]


# --------------------------------------------------------------------------------------------
# 1 + 3: seeds pooled; settings separated
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_settings(tmp_path_factory, imgs) -> Path:
    """Two seeds of l1 and of a random-backbone lpips, at 2 and at 3 iterations, in one directory (no
    budget checks: 3 iterations is not twice 2, so neither is the other's check)."""
    out = tmp_path_factory.mktemp("two")
    for it in ("2", "3"):
        assert main(_args(imgs, out, "--losses", "l1", "lpips", "--seeds", "0", "1", "--iterations", it,
                          "--no-report", "--no-budget-check")) == 0
    return out


def test_report_refuses_mixed_settings_naming_the_field(two_settings, capsys):
    before = {p: p.stat().st_mtime_ns for p in (two_settings / "runs").rglob("*") if p.is_file()}
    assert main(["report", "--out", str(two_settings), "--no-visual", "-q"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "differ in iterations (2 | 3)" in err[0] and "--where iterations=" in err[0]
    assert {p: p.stat().st_mtime_ns for p in before} == before


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_report_pools_seeds_of_a_random_backbone_loss(two_settings):
    assert main(["report", "--out", str(two_settings), "--where", "iterations=2", "--no-visual", "--formats", "png",
                 "-q"]) == 0
    md = (two_settings / "leaderboard.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith("| lpips") or line.startswith("| l1")]
    denoise = md.split("## denoise")[1]
    lp = [line for line in denoise.splitlines() if line.startswith("| lpips [")]
    assert len(lp) == 1, rows  # one row, not one per backbone seed
    # seeds = 2 (the label may carry the ⚠ of a restoration worse than the input: a 2-iteration run)
    assert re.match(r"\| lpips \[alexnet:random\+lpips:alex:v0\.1\]( ⚠)? \| 2 \|", lp[0]), lp[0]
    assert "seed=" not in md
    assert "2 iterations" in md  # the setting is stated
    table = pd.read_csv(two_settings / "results.csv")
    restored = table[table["loss"] != "input"]
    assert set(restored["setting"].map(lambda s: json.loads(s)["iterations"])) == {2}  # the other setting left out
    assert set(restored.loc[restored["loss"] == "lpips", "backbone_seed"]) == {0, 1}


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_the_run_command_reports_its_own_setting(two_settings, imgs, capsys):
    """A grid run into a directory holding another setting reports its own (the whole field of that
    setting, earlier runs included), without refusing."""
    assert main(_args(imgs, two_settings, "--losses", "l1", "--seeds", "0", "--iterations", "2",
                      "--no-budget-check")) == 0
    md = (two_settings / "leaderboard.md").read_text()
    assert "2 iterations" in md and "| lpips [" in md
    table = pd.read_csv(two_settings / "results.csv")
    restored = table[table["loss"] != "input"]
    assert set(restored["setting"].map(lambda s: json.loads(s)["iterations"])) == {2}


def test_where_with_an_unknown_field(two_settings, capsys):
    assert main(["report", "--out", str(two_settings), "--where", "iteratons=2", "-q"]) == 2
    assert "no such setting field" in capsys.readouterr().err


def test_select_separates_task_parameters():
    from benchmark.settings import select

    rows = []
    for sigma in (0.1, 0.2):
        s = {"net": "tiny", "iterations": 5, "task": "denoise", "task_params": {"sigma": sigma}}
        for seed in (0, 1):
            rows.append({"run_id": f"r{sigma}{seed}", "task": "denoise", "loss": "l1", "seed": seed,
                         "weights": "none", "setting": json.dumps(s, sort_keys=True), "dataset": "d", "image": "a",
                         "metric": "psnr", "value": 30.0, "higher_is_better": True})
    table = pd.DataFrame(rows)
    with pytest.raises(UserError, match=r"task_params .*--where denoise\.sigma="):
        select(table)
    got = select(table, where={"denoise.sigma": "0.2"})
    assert set(got.table["run_id"]) == {"r0.20", "r0.21"}


# --------------------------------------------------------------------------------------------
# 2: run identity
# --------------------------------------------------------------------------------------------
def test_identity_covers_data_content(tmp_path):
    a = _folder(tmp_path / "a", seed=0)
    b = _folder(tmp_path / "b", seed=1)  # same names and sizes, other pixels
    ca = resolve(RunConfig(task="denoise", loss="l1", train_data=DataSpec(str(a)), test_data=(DataSpec(str(a)),)),
                 DataCache())
    cb = resolve(RunConfig(task="denoise", loss="l1", train_data=DataSpec(str(a)), test_data=(DataSpec(str(b)),)),
                 DataCache())
    assert ca.test_fingerprint != cb.test_fingerprint and run_id(ca) != run_id(cb)
    _folder(a, seed=5)  # the folder is edited after the grid was planned
    with pytest.raises(UserError, match="changed since this grid was set up"):
        resolve(ca, DataCache())


def test_identity_covers_net_definition_device_and_code(monkeypatch):
    import benchmark.config as config
    from benchmark import nets

    cfg = RunConfig(task="denoise", loss="l1", train_fingerprint="x", test_fingerprint="y")
    base = run_id(cfg)
    assert run_id(dataclasses.replace(cfg, device_type="cuda", precision="bf16")) != base
    monkeypatch.setattr(config, "CODE_VERSION", "999")
    assert run_id(cfg) != base
    monkeypatch.undo()
    nets.signature.cache_clear()
    monkeypatch.setitem(nets.NET_PRESETS, "tiny", nets.NetPreset(channels=24, blocks=2))  # same name, wider
    try:
        assert run_id(cfg) != base
    finally:
        monkeypatch.undo()
        nets.signature.cache_clear()
    assert run_id(cfg) == base


def test_identity_covers_loss_versions(monkeypatch):
    from benchmark.registry import LOSSES

    cfg = RunConfig(task="denoise", loss="l1 + 0.1*ssim", train_fingerprint="x", test_fingerprint="y")
    base = run_id(cfg)
    entry = LOSSES.get("ssim")
    monkeypatch.setitem(LOSSES._entries, "ssim", dataclasses.replace(entry, version=entry.version + "-bumped"))
    assert run_id(cfg) != base


def test_pixel_losses_share_an_id_across_backbone_weights():
    a = resolve(RunConfig(task="denoise", loss="l1", backbone_weights="random", train_fingerprint="x",
                          test_fingerprint="y"))
    b = resolve(RunConfig(task="denoise", loss="l1", backbone_weights="pretrained", train_fingerprint="x",
                          test_fingerprint="y"))
    assert a.backbone_weights == b.backbone_weights == "none" and run_id(a) == run_id(b)
    v = resolve(RunConfig(task="denoise", loss="vgg", backbone_weights="random", train_fingerprint="x",
                          test_fingerprint="y"))
    assert v.backbone_weights == "random"


def test_run_grid_refuses_a_config_planned_for_another_device(tmp_path, imgs):
    cfg = resolve_all([RunConfig(task="denoise", loss="l1", iterations=1, batch_size=2, crop=32,
                                 train_data=DataSpec(str(imgs)), test_data=(DataSpec(str(imgs)),))])[0]
    gpu_cfg = dataclasses.replace(cfg, device_type="cuda", precision="bf16")
    with pytest.raises(UserError, match="planned for cuda but runs on cpu"):
        run_grid([gpu_cfg], ResultsStore(tmp_path / "r"), ("psnr",), CPU, progress=False)


def test_setting_round_trips_through_meta(tmp_path, imgs):
    out = tmp_path / "r"
    assert main(_args(imgs, out, "--losses", "l1", "--iterations", "1", "--no-report")) == 0
    store = ResultsStore(out)
    meta = next(m for m in store.metas() if m.get("config"))
    cfg = RunConfig.from_dict(meta["config"])
    assert run_id(cfg) == meta["run_id"] and setting(cfg) == meta["setting"]
    rows = store.table()
    assert set(rows.loc[rows["loss"] == "l1", "setting"]) == {setting_json(meta["setting"])}


def test_old_results_directory_is_refused_in_one_line(tmp_path, capsys):
    old = tmp_path / "old"
    (old / "runs").mkdir(parents=True)
    (old / "store.json").write_text('{"store_version": 1}')
    assert main(["report", "--out", str(old), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "written by plbench 0.1 (store_version 1)" in err[0] and "another --out" in err[0]


# --------------------------------------------------------------------------------------------
# 4: skipped is not scored
# --------------------------------------------------------------------------------------------
def test_a_metric_skipped_for_weights_is_scored_once_they_are_cached(tmp_path, imgs, monkeypatch):
    import benchmark.metrics as metrics

    real = metrics.open_metric
    missing = {"gmsd"}

    def fake_open(name, device="cpu"):
        if name in missing:
            return None, f"{name}_weights.pth is not cached (expected at /nowhere/{name}_weights.pth)"
        return real(name, device)

    monkeypatch.setattr(metrics, "open_metric", fake_open)
    cfg = resolve_all([RunConfig(task="denoise", loss="l1", iterations=1, batch_size=2, crop=32,
                                 train_data=DataSpec(str(imgs)), test_data=(DataSpec(str(imgs)),))])
    store = ResultsStore(tmp_path / "r")
    first = run_grid(cfg, store, ("psnr", "gmsd"), CPU, progress=False)
    assert first.trained == 1
    rid = run_id(cfg[0])
    assert store.coverage(rid)["skipped"] == {"gmsd": "gmsd_weights.pth is not cached (expected at "
                                                      "/nowhere/gmsd_weights.pth)"}
    again = run_grid(cfg, store, ("psnr", "gmsd"), CPU, progress=False)  # still missing: nothing to do
    assert (again.trained, again.rescored, again.skipped) == (0, 0, 1)
    missing.clear()  # "the weights are in the cache now"
    net_before = (store.run_dir(rid) / "net.pt").stat().st_mtime_ns
    third = run_grid(cfg, store, ("psnr", "gmsd"), CPU, progress=False)
    assert (third.trained, third.rescored) == (0, 1)
    assert (store.run_dir(rid) / "net.pt").stat().st_mtime_ns == net_before  # scored from the saved net
    assert "gmsd" in set(store.table()["metric"]) and store.coverage(rid)["skipped"] == {}


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_partial_and_skipped_metrics_are_listed_in_every_output(tmp_path, monkeypatch, capsys):
    """ms_ssim needs ≥ 161 px: one small test image makes it partial; a missing metric is skipped.
    The leaderboard, the HTML report and compare all list both, with the reason."""
    import benchmark.metrics as metrics

    data = tmp_path / "mixed"
    _folder(tmp_path / "small", n=2, size=48, seed=1)
    _folder(tmp_path / "big", n=1, size=192, seed=2)
    data.mkdir()
    for p in [*(tmp_path / "small").iterdir(), *(tmp_path / "big").iterdir()]:
        p.rename(data / f"{p.parent.name}_{p.name}")
    real = metrics.open_metric
    monkeypatch.setattr(metrics, "open_metric", lambda n, device="cpu": (None, "weights not cached (test)")
                        if n == "vif" else real(n, device))
    out = tmp_path / "r"
    base = ["--tasks", "denoise", "--iterations", "1", "--crop", "32", "--batch-size", "2", "--device", "cpu",
            "--train-data", str(data), "--test-data", str(data), "--out", str(out), "--no-progress", "-q"]
    assert main([*base, "--losses", "l1", "--metrics", "psnr", "ms_ssim", "vif"]) == 0
    md = (out / "leaderboard.md").read_text()
    assert re.search(r"`ms_ssim` scored on some images only in \d+ of \d+ runs.*scored 1 of 3 images "
                     r"\(needs ≥ 161 px per side", md)
    assert re.search(r"`vif` not scored in \d+ of \d+ runs.*weights not cached \(test\)", md)
    html = (out / "report.html").read_text()
    assert "scored on some images only" in html and "weights not cached (test)" in html
    loss_file = tmp_path / "huber.py"
    loss_file.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                         "@register_loss('rm_huber')\nclass H(torch.nn.Module):\n"
                         "    def forward(self, p, t):\n        return torch.nn.functional.smooth_l1_loss(p, t)\n")
    capsys.readouterr()
    try:
        assert main(["compare", "--loss-file", str(loss_file), "--out", str(out), "--device", "cpu", "--no-visual",
                     "--formats", "png", "--bootstrap", "100", "--no-progress", "-q"]) == 0
    finally:
        from benchmark.registry import LOSSES

        LOSSES.remove("rm_huber")
    text = capsys.readouterr().out
    assert "`ms_ssim` scored on some images only" in text and "`vif` not scored" in text


# --------------------------------------------------------------------------------------------
# 5: resource limits
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["l1", "vgg", "contextual"])
def test_memory_estimate_matches_the_real_step(loss):
    """The estimate from probes of 1 and 2 samples predicts what autograd saves for a real batch of 6
    within 10 % (contextual: pairwise distances; vgg: a frozen backbone's weights)."""
    from benchmark.lossfn import build_loss
    from benchmark.nets import build_net
    from benchmark.resources import _saved_bytes, per_batch

    net, fn = build_net("tiny"), build_loss(loss, weights="random")
    for side in (48, 96):
        saved, _ = per_batch(net, fn, side)
        actual, _ = _saved_bytes(net, fn, side, False, batch=6)
        assert abs(saved(6) - actual) < 0.1 * actual, (loss, side, saved(6), actual)


def test_a_batch_that_cannot_fit_is_refused_before_training(tmp_path, imgs, capsys):
    out = tmp_path / "r"
    assert main(_args(imgs, out, "--losses", "l1", "--iterations", "1", "--batch-size", "100000")) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and re.search(r"needs ≈ [\d.]+ GiB, but only [\d.]+ GiB is available RAM", err[0])
    assert not any(p.name == "meta.json" for p in out.rglob("*"))  # nothing trained or recorded


# --------------------------------------------------------------------------------------------
# 7: attempts are kept
# --------------------------------------------------------------------------------------------
def test_retrying_a_failed_run_keeps_the_earlier_record(tmp_path, imgs, monkeypatch):
    from benchmark.registry import LOSSES

    class FailsOnce(torch.nn.Module):
        failing = True

        def forward(self, pred, target):
            if FailsOnce.failing and pred.shape[0] == 2:
                raise RuntimeError("flaky filesystem")
            return (pred - target).abs().mean()

    LOSSES.add("rm_fails_once", FailsOnce)
    try:
        cfg = resolve_all([RunConfig(task="denoise", loss="rm_fails_once", iterations=1, batch_size=2, crop=32,
                                     train_data=DataSpec(str(imgs)), test_data=(DataSpec(str(imgs)),))])
        store = ResultsStore(tmp_path / "r")
        assert run_grid(cfg, store, ("psnr",), CPU, progress=False).failed == 1
        FailsOnce.failing = False
        assert run_grid(cfg, store, ("psnr",), CPU, progress=False).trained == 1
        rid = run_id(cfg[0])
        assert store.meta(rid)["status"] == "ok"
        (earlier,) = store.attempts(rid)
        assert earlier["status"] == "failed" and "flaky filesystem" in earlier["error"]
    finally:
        LOSSES.remove("rm_fails_once")


# --------------------------------------------------------------------------------------------
# 8: checkpoints restore the run's own GPU's RNG only
# --------------------------------------------------------------------------------------------
def test_checkpoint_rng_is_per_device(monkeypatch):
    import benchmark.checkpoint as ck

    calls = []
    state = torch.arange(8, dtype=torch.uint8)
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device=None: calls.append(("get", device)) or state)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda s, device=None: calls.append(("set", device)))
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: pytest.fail("saved every visible GPU"))
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda s: pytest.fail("restored every visible GPU"))
    dev = torch.device("cuda", 1)
    saved = ck._rng_state(dev)
    assert torch.equal(saved["cuda"], state)
    ck._restore_rng(saved, dev)
    assert calls == [("get", dev), ("set", dev)]
    calls.clear()
    ck._restore_rng({**saved, "cuda": [state, state]}, dev)  # an old checkpoint's list of states: ignored
    assert calls == []

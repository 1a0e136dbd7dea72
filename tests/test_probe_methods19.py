"""Probe of the five research methods, round 19: what a demanding user of each paper's loss and claim hits."""

import pytest

from benchmark.findings import check_all
from benchmark.synthetic import synthetic_table

PRE = "vgg16:IMAGENET1K_V1"
VGG3 = "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"  # config.FINDING_BASELINES: tariq's and mei's baseline
VGG23 = "vgg(layers=('relu2_2', 'relu3_3'))"


@pytest.mark.parametrize("name, loss", [("delbracio2021_pdl", "pdl"), ("ding2021_dists_lpips", "dists")])
def test_two_variants_of_a_rival_without_it_are_one_rival(name, loss):
    """Two layer settings of the VGG loss trained on the same weights with no ``vgg`` as registered beside them were
    both counted: the VGG loss was two rivals, so a store where PDL (or DISTS) beats one and ties the other read
    inconclusive. A rival is each loss as registered, counted once: the first variant by spec counts as it (as
    ``res.arm`` takes the first weight set by name), the other is listed, its note naming the one counted."""
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, VGG3: 0.0, VGG23: {"vsi": 0.8}, "l2": 0.0},
                        weights={loss: PRE, VGG3: PRE, VGG23: PRE}, tasks=("sr4",), metrics=("psnr", "vsi"),
                        n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    counted = {p.b.split(" [")[0] for p in r.parts if p.counted and p.b.startswith("vgg(")}
    aside = [p for p in r.parts if p.b.startswith(VGG23)]
    assert counted == {VGG3}, [(p.b, p.counted) for p in r.parts]
    assert aside and not any(p.counted for p in aside), [(p.b, p.counted) for p in r.parts]
    assert all(VGG3 in p.note and "variant of vgg" in p.note for p in aside), [p.note for p in aside]
    assert r.verdict == "reproduced", (r.verdict, r.reason)


# ------------------------------------------------------------------ the dry run and csr's self-trained encoder
DRY = ["run", "--tasks", "denoise", "--seeds", "0", "--dry-run", "--backbone-weights", "pretrained",
       "--no-budget-check", "--iterations", "10"]


def _timed(monkeypatch, tmp_path):
    """A dry run's pretraining timer stood in for (its real steps take seconds): what it was asked to time."""
    from benchmark import pretrain as P

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    # nothing cached (TORCH_HOME above), said without building the zoo's file table, which imports torchvision (~5 s
    # on a loaded machine; tests/test_probe_methods18.py reads the cache for real)
    monkeypatch.setattr("losses.csr._cached_encoder", lambda *a, **k: None)
    monkeypatch.setattr(P, "pretrain", lambda cfg, **_: pytest.fail(f"the dry run pretrained {cfg.name}"))
    timed = []

    def estimate(cfg, device="cpu", steps=P.TIMED_STEPS):
        timed.append(cfg)
        return 754.0, 0.66

    monkeypatch.setattr(P, "estimate_seconds", estimate)
    return timed


def test_the_dry_runs_refusal_says_how_long_the_encoder_takes_here_as_measured(monkeypatch, tmp_path, capsys):
    """The dry run's refusal for csr's self-trained encoder said "about 2 min on 2 idle CPU cores" — timed by no one:
    the same 500 steps ran at 0.22–0.44 steps/s on this project's loaded 2-core machine (20–40 min), and no machine's
    load was looked at. It now times a few of the very steps the command it names would run (that command's config,
    parsed as `plbench pretrain` parses it: the file csr loads) and says the time measured, on one line."""
    from benchmark.cli import main
    from losses.csr import selftrained_simclr_config

    timed = _timed(monkeypatch, tmp_path)
    assert main([*DRY, "--out", str(tmp_path / "r"), "--losses", "csr"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "idle" not in err, err
    assert "`plbench pretrain --recipe simclr --data skimage:train --device cpu`" in err, err
    assert "about 0.21 h here: 3 of its 500 steps timed on cpu (" in err and "), 0.66 steps/s" in err, err
    assert timed == [selftrained_simclr_config()], timed


@pytest.mark.slow
def test_the_dry_run_estimates_the_rest_of_the_grid_beside_csrs_encoder(monkeypatch, tmp_path, capsys, caplog):
    """With csr's encoder not yet self-trained, a dry run of a grid holding other losses too refused it all: no
    estimate of l1's runs either. It now leaves out csr's runs alone (their ids need the encoder), says so with the
    command and its time here, and estimates the rest."""
    from benchmark.cli import main

    _timed(monkeypatch, tmp_path)
    assert main([*DRY, "--out", str(tmp_path / "r"), "--losses", "l1", "csr"]) == 0
    out = capsys.readouterr().out
    assert "dry run: 1 run " in out and "l1" in out, out
    said = [r.getMessage() for r in caplog.records if "the estimate below leaves out" in r.getMessage()]
    assert len(said) == 1 and "run ids of csr" in said[0] and "about 0.21 h here" in said[0], said


@pytest.mark.slow
def test_estimate_seconds_times_real_steps_and_caches_nothing(monkeypatch, tmp_path):
    from benchmark import pretrain as P

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cfg = P.PretrainConfig(recipe="simclr", steps=40, batch_size=4, crop=16, bn_recalibrate=False)
    seconds, rate = P.estimate_seconds(cfg, steps=2)
    assert rate > 0 and seconds >= 40 / rate, (seconds, rate)
    assert not P.output_path(cfg).exists() and not any((tmp_path / "torch").rglob("*.pt"))


def test_perf_never_self_trains_csrs_encoder_to_time_a_step(monkeypatch, tmp_path, capsys):
    """``plbench perf --losses "csr(weights='pretrained')"`` with no contrastive encoder cached self-trained the
    SimCLR encoder first — 500 steps, 20–40 min on a loaded 2-core machine — to time one step, where the dry run
    refuses the same. It refuses as the dry run does: one line, the command that makes the encoder and its time here."""
    from benchmark.cli import main

    timed = _timed(monkeypatch, tmp_path)
    assert main(["perf", "--losses", "l1", "csr(weights='pretrained')", "--reps", "1", "--crop", "32"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "`plbench pretrain --recipe simclr --data skimage:train --device cpu`" in err, err
    assert "about 0.21 h here" in err and len(timed) == 1, err


# ------------------------------------------------------------------------------ findings without torch
def test_a_store_of_fileless_metrics_is_read_without_importing_the_metrics(monkeypatch):
    """``plbench findings --out DIR`` on a store scored with psnr imported torch (a second or more, and a machine
    without torch could not check its findings): every table asks for the digests of the metrics' files, and psnr —
    no file, no code tag — was looked up by importing benchmark.metrics. pyiqa's metrics that read no file are known
    without it (benchmark.metric_code.OFFLINE_OK); a metric of a file is still hashed."""
    from conftest import refuse_imports

    from benchmark.metric_code import OFFLINE_OK
    from benchmark.results import current_digests
    from benchmark.weights import OFFLINE_OK as RE_EXPORTED

    assert RE_EXPORTED is OFFLINE_OK
    refuse_imports(monkeypatch, "benchmark.metrics", "benchmark.weights", "torch")
    digests = current_digests(["psnr", "ssim", "vsi", "gmsd", "mad"])
    assert set(digests) == {"vsi", "gmsd", "mad"}, digests  # their code tags, read from the source text


# ------------------------------------------------------------------------------ contrique_fr is not CONTRIQUE-FR
def test_contrique_fr_says_it_is_the_unweighted_mean_not_the_authors_regressed_score(monkeypatch):
    """CONTRIQUE's FR score is a ridge regressor (the authors' LIVE_FR.save, CSIQ_FR.save) applied to |q_ref − q_dist|;
    ``contrique_fr`` takes the unweighted mean of it, with no regressor — said in its docstring alone, while the weights
    each pass records (``resnet50:contrique+contrique_features(v2)``) and ``plbench list metrics``' citation read as
    CONTRIQUE's own FR model, scores a user could set beside the paper's. Both now say which reduction it is."""
    from benchmark import backbones
    from benchmark.metrics import ContriqueFR
    from benchmark.registry import METRICS

    class Encoder:  # the ResNet-50 stands in: its provenance is what the metric's is built on
        provenance = "resnet50:contrique"

        def __init__(self, *a, **k):
            pass

        def to(self, device):
            return self

    monkeypatch.setattr(backbones, "Backbone", Encoder)
    m = ContriqueFR()
    assert m.provenance == "resnet50:contrique+contrique_features(v2)+mean_abs_diff(no_ridge_regressor)", m.provenance
    assert "without the authors' ridge regressors" in METRICS.get("contrique_fr").citation


# ------------------------------------------------------------------ a self-trained encoder's file is its weights
@pytest.mark.slow  # two pretrainings: ~1 s with torchvision imported, several s on a cold or loaded machine
def test_the_same_encoder_pretrained_again_is_the_same_file(tmp_path):
    """A self-trained checkpoint held its pretraining's wall time (manifest wall_s, steps/s): the same config trained
    again — on another node, or after a cache was cleared — gave the very same weights (deterministic on a CPU) in a
    file of another SHA-256, and csr's run ids, which hold that SHA-256, changed: a merge of two nodes' stores had
    each csr run twice under two ids. The timings are in the sidecar JSON alone; the file is the same bytes."""
    import hashlib
    import json

    import torch

    from benchmark.data import ImageRecord
    from benchmark.pretrain import PretrainConfig, pretrain

    photo = [ImageRecord("a", torch.randint(0, 256, (3, 40, 40), dtype=torch.uint8,
                                            generator=torch.Generator().manual_seed(0)))]
    cfg = PretrainConfig(recipe="simclr", steps=1, batch_size=2, crop=16, bn_recalibrate=False)
    a, b = (pretrain(cfg, out_dir=tmp_path / d, quiet=True, images=photo) for d in ("node1", "node2"))
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    side = json.loads(a.with_suffix(".json").read_text())
    assert {"wall_s", "loop_s", "steps_per_s"} <= set(side) and side["steps"] == 1, side

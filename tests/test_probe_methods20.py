"""Probe of the five research methods, session 20."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch


def _nothing_cached(monkeypatch, tmp_path):
    from benchmark import pretrain as P
    from benchmark import weights as W

    monkeypatch.setattr(W, "get_file", lambda key: SimpleNamespace(key=key, present=False))
    monkeypatch.setattr(W, "cache_dir", lambda subdir="plbench": tmp_path / subdir)
    trained = []
    monkeypatch.setattr(P, "pretrain", lambda cfg, **k: trained.append((cfg, str(k.get("device", "cpu"))))
                        or P.output_path(cfg))
    return trained


@pytest.mark.parametrize("machine", ["cuda", "cpu"])
def test_csr_self_trains_on_the_cpu_on_a_gpu_machine_and_says_why_and_how_to_use_the_gpu(monkeypatch, tmp_path,
                                                                                        caplog, machine):
    """On a machine with a GPU, csr's automatic self-training ran on the CPU (20–40 min on a busy 2-core machine)
    saying only 'self-training the SimCLR encoder … (once, cached)': nothing said why the GPU sat idle, nor how to make
    the encoder there. It stays on the CPU (its bytes are the same on every node that makes it again: the run ids
    hold them) and, where the device resolver finds a GPU, the warning says so and names the GPU command."""
    import losses.csr as C
    from benchmark import devices

    trained = _nothing_cached(monkeypatch, tmp_path)
    monkeypatch.setattr(devices, "resolve_device", lambda device, setting="": torch.device(
        machine if device == "auto" else device))
    with caplog.at_level(logging.WARNING, logger="losses.csr"):
        C.resolve_encoder(selftrain_data="skimage-medical:train")
    assert [(c.data, dev) for c, dev in trained] == [("skimage-medical:train", "cpu")]
    line = caplog.records[-1].getMessage()
    assert "on the CPU" in line
    gpu = "plbench pretrain --recipe simclr --data skimage-medical:train --device cuda"
    assert (gpu in line and "run ids" in line) if machine == "cuda" else "GPU" not in line


def test_a_pyiqa_metric_never_opened_is_digested_without_torch(monkeypatch, tmp_path):
    """``plbench findings`` / ``report`` on a store scored with a pyiqa metric outside the weights table and never
    opened here (brisque, topiq_nr: no file remembered) imported benchmark.metrics and torch only to learn its digest
    is pyiqa's files' — none known, "". A name the harness does not register is pyiqa's, known from the source
    without importing it (metric_code.REGISTERED), and its digest is read as the table's metrics' are."""
    from conftest import refuse_imports

    from benchmark import weights as W
    from benchmark.results import current_digests

    monkeypatch.setattr(W, "remembered_metrics", lambda: [])  # never opened on this machine
    refuse_imports(monkeypatch, "benchmark.metrics", "torch")
    assert current_digests(["brisque", "topiq_nr", "psnr_y"]) == {}


def test_the_harness_metric_names_read_from_the_source_are_the_registrys():
    """metric_code.REGISTERED, read from the ``register_metric("name"`` calls of the harness's files, is every
    metric the harness registers and no other (a docstring's example is none)."""
    import benchmark.metrics  # noqa: F401 - its registrations
    from benchmark.metric_code import REGISTERED
    from benchmark.registry import METRICS

    own = {e.name for e in METRICS.entries() if str(e.source).startswith("benchmark.")}
    assert set(REGISTERED) == own and "contrique_fr" in REGISTERED, (REGISTERED, own)


@pytest.mark.slow  # resolves two configs on the embedded photos: 8 s the first time in a process
@pytest.mark.parametrize("order", [("l1", "vgg"), ("vgg", "l1")])
def test_a_new_deep_loss_takes_the_fields_weights_whatever_run_comes_first(tmp_path, order):
    """``plbench compare --loss pdl`` against a field of l1 (weights ``none``) and vgg on pretrained VGG-16 (one
    setting): the new loss took the weights of the group's first run alone — ``random`` where that was l1's, by the
    order of run ids —, so PDL trained on a random VGG beside the field's pretrained one. It takes the field's."""
    from benchmark.compare import _config_from
    from benchmark.config import RunConfig, resolve
    from benchmark.runner import DataCache

    data = DataCache()
    metas = []
    for loss in order:
        cfg = resolve(RunConfig(task="denoise", loss=loss, iterations=10, backbone_weights="pretrained"), data)
        metas.append({"config": cfg.to_dict()})
    assert [m["config"]["backbone_weights"] for m in metas] == ["none" if x == "l1" else "pretrained" for x in order]
    new = _config_from(metas[0], "pdl", 0, data, "cpu", metas)
    assert new.backbone_weights == "pretrained" and new.loss == "pdl"


@pytest.mark.parametrize("field, want", [(("none", "pretrained"), "pretrained"), (("pretrained", "none"), "pretrained"),
                                         (("none", "none"), "random"), (("random", "none"), "random")])
def test_the_fields_weights_are_its_deep_losses_not_its_first_runs(field, want):
    """The weights compare gives a new loss: those of the field group's losses that take weights, in any order (the
    first run's alone gave ``random`` wherever it was a pixel loss's, ``none``)."""
    from benchmark.compare import _field_weights

    assert _field_weights([{"config": {"backbone_weights": w}} for w in field], "pdl") == want


def test_a_field_planned_with_auto_gives_the_new_loss_what_auto_gives_it(monkeypatch):
    """A field planned with ``--backbone-weights auto`` holds pretrained runs (files cached) and random ones: the new
    loss gets what auto gives it here."""
    import benchmark.config as C
    from benchmark.compare import _field_weights

    field = [{"config": {"backbone_weights": w}} for w in ("random", "none", "pretrained")]
    for here in ("pretrained", "random"):
        monkeypatch.setattr(C, "weights_for", lambda loss, w, here=here: here if w == "auto" else w)
        assert _field_weights(field, "pdl") == here

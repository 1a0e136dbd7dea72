"""Probe (methods, round 23): the loss zoo's weights hints and identities, and the five methods' readings."""

from __future__ import annotations

import pytest

from benchmark.config import GridSpec, build_configs
from benchmark.errors import UserError


def _none_refusal(data, losses) -> str:
    with pytest.raises(UserError) as exc:
        build_configs(GridSpec(tasks=("denoise",), losses=losses, seeds=(0,), metrics=("psnr",), device="cpu",
                               iterations=2, train_data=(data,), test_data=(data,), backbone_weights="none"))
    return str(exc.value)


def test_backbone_weights_none_hint_for_a_trunk_with_no_published_file_names_only_values_that_work(random_images):
    """``vgg(arch='tinycnn')`` under ``--backbone-weights none`` was told to 'give random, pretrained, auto, a weights
    key or a checkpoint'; pretrained is refused for tinycnn (no published file) and no weights key is for it."""
    loss = "vgg(arch='tinycnn', layers=('layer1',))"
    msg = _none_refusal(random_images(n=2, size=40).token(), (loss,))
    assert loss in msg and "\n" not in msg, msg
    assert "pretrained" not in msg.split(";", 1)[1] and "weights key" not in msg, msg
    assert "random" in msg and "auto" in msg and "checkpoint" in msg, msg


def test_backbone_weights_none_hint_beside_a_trunk_with_a_file_names_the_values_every_loss_takes(random_images):
    data = random_images(n=2, size=40).token()
    msg = _none_refusal(data, ("vgg", "vgg(arch='tinycnn', layers=('layer1',))"))
    assert "vgg, vgg(arch='tinycnn'" in msg and "weights key" not in msg, msg
    assert "pretrained" not in msg.split(";", 1)[1], msg
    alone = _none_refusal(data, ("vgg",))
    assert "random, pretrained, auto, a weights key or a checkpoint" in alone, alone


@pytest.mark.parametrize("loss", ["l1", "gpl", "pdl(layers=())", "vgg", "l1 + 0.1*gpl", "vgg(weights='random')",
                                  "vgg(arch='tinycnn', layers=('layer1',))"])
@pytest.mark.parametrize("weights", ["random", "pretrained", "none"])
def test_the_weights_a_run_records_and_builds_with_are_one_rule(loss, weights):
    """'none means random for a loss loading no pretrained file' was written in both ``resolve`` (a run's id) and
    ``weights_for`` (its build) → one ``config.recorded_weights`` both read: they cannot drift apart."""
    from benchmark.config import RunConfig, recorded_weights, resolve, weights_for
    from benchmark.weights import NoPretrainedWeights

    want = recorded_weights(loss, weights)
    if weights == "none":
        assert weights_for(loss, weights) == want
    try:
        got = resolve(RunConfig(task="denoise", loss=loss, backbone_weights=weights)).backbone_weights
    except NoPretrainedWeights:  # tinycnn under pretrained: refused, never recorded as random
        assert "tinycnn" in loss and weights == "pretrained" and want == "pretrained"
        return
    assert got == want
    assert want == ("none" if loss == "l1" else "random" if loss in ("gpl", "pdl(layers=())", "l1 + 0.1*gpl",
                                                                     "vgg(weights='random')") and weights != "random"
                    else weights)


def test_a_self_trained_encoder_says_which_instruction_set_and_torch_made_its_bytes(tmp_path, random_images):
    """The same recipe gives other bytes on a CPU of another instruction set (oneDNN's convolutions; measured:
    ``ONEDNN_MAX_CPU_ISA=AVX2`` against AVX-512), so two nodes' files of one config have two SHA-256s (two run ids:
    honest) — but the sidecar said only ``device: cpu``, nothing telling which machine made which. Now it names the
    CPU capability and torch version, in the sidecar alone (the checkpoint's bytes, hence run ids, unchanged)."""
    import torch

    from benchmark.data import load_images
    from benchmark.pretrain import PretrainConfig, made_on, pretrain, read_manifest

    images = load_images(random_images(n=4, size=64))
    cfg = PretrainConfig(arch="tinycnn", data="skimage-natural:train", steps=1, batch_size=4, crop=32,
                         recipe="simclr", bn_recalibrate=False)
    path = pretrain(cfg, out_dir=tmp_path, images=images)
    side = read_manifest(path)
    assert side["made_on"] == {"device": "cpu", "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                               "onednn": made_on("cpu")["onednn"], "torch": torch.__version__}, side
    inside = torch.load(path, weights_only=True)["manifest"]
    assert "made_on" not in inside and "wall_s" not in inside, inside

"""Review of the loss-zoo method fixes (probe-methods): regressions and gaps they left."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark.errors import UserError
from benchmark.lossfn import build_loss


@pytest.fixture
def tinycnn_encoder(tmp_path) -> str:
    """A self-trained-style tinycnn checkpoint with its manifest (what ``plbench pretrain`` writes)."""
    from benchmark import backbones as B

    torch.manual_seed(0)
    net = B._build_tinycnn(len(B._RESNET_NAMES) - 1, True)
    path = tmp_path / "enc.pt"
    torch.save(net.state_dict(), path)
    (tmp_path / "enc.json").write_text(json.dumps({"arch": "tinycnn", "provenance": "tinycnn:selftrained(test)"}))
    return str(path)


def test_psycho_on_a_self_trained_encoder_still_builds(tinycnn_encoder):
    """Was (7b47a48): the probe-size check looked the layers up in VGG-16's names, so psycho on a self-trained
    encoder's own taps (README: a loss with layers=(…) can tap them) failed with 'tuple.index(x): x not in tuple'."""
    loss = build_loss(f"psycho(weights={tinycnn_encoder!r}, layers=('layer1', 'layer4'), n_freq=2, n_orient=2, "
                      "n_phase=1, cache=False)", seed=0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(1, 3, 32, 32, generator=g), torch.rand(1, 3, 32, 32, generator=g)
    assert torch.isfinite(loss(x, y)) and float(loss(y, y)) == 0.0


def test_psycho_too_small_probe_names_the_smallest_size_that_runs():
    """The refusal turns a crash into a UserError; it names the smallest probe that runs (8 px: pool4 of a 1×1 map
    fails), and a size that runs (relu5_3 at 16 px, a 1×1 map: no pooling follows it) is not refused."""
    with pytest.raises(UserError, match="use probe_size ≥ 16"):
        build_loss("psycho(layers=('relu5_3',), probe_size=8, cache=False)", seed=0, weights="random")
    build_loss("psycho(layers=('relu5_3',), probe_size=16, n_freq=2, n_orient=2, n_phase=1, cache=False)",
               seed=0, weights="random")


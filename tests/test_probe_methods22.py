"""Probe of the loss zoo and the five research methods, session 22."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["vgg", "vgg_esrgan", "gpl"])
def test_a_vgg_feature_loss_with_no_layers_says_so_not_that_its_layer_weights_are_bad(name):
    """``vgg(layers=())`` (and vgg_esrgan, gpl) was refused with 'layer_weights must be ≥ 0 and not all 0, got ()' —
    an argument the user never gave — where every other backbone loss says its trunk has no layers to tap. The
    refusal now names ``layers`` and what to give instead; a layer_weights mistake keeps its own line."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss

    with pytest.raises(UserError) as err:
        build_loss(f"{name}(layers=())", weights="random")
    msg = str(err.value)
    assert "layer_weights" not in msg, msg
    assert "layers=()" in msg and "no layer" in msg and "\n" not in msg, msg
    with pytest.raises(UserError, match="layer_weights must"):
        build_loss(f"{name}(layers=('relu1_2',), layer_weights=(-1.0,))", weights="random")

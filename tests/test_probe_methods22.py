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


@pytest.mark.parametrize("spec", ["gpl", "pdl(layers=())", "pdl_proj(layers=())", "l1 + 0.1*gpl"])
def test_the_pixel_field_note_leaves_out_losses_pretrained_weights_do_not_change(spec):
    """``compare --loss gpl`` beside a pixel-only field was told 'gpl trains on random backbone weights …; to train it
    on pretrained weights, compare --loss "gpl(weights='pretrained')"' — but gpl's random VGG *is* the method
    (weights='pretrained' builds the same random net), and the pixel-only ``pdl(layers=())`` has no backbone at all:
    the note advised a spec that changes nothing. The note now names only terms that would load a pretrained file."""
    from benchmark.compare import field_weights_note

    pixel_field = [{"config": {"backbone_weights": "none"}}]
    assert field_weights_note(pixel_field, spec) == ""


def test_the_pixel_field_note_still_names_the_terms_pretrained_weights_change():
    """The note keeps what it said for a deep loss with a pretrained trunk, beside a term it leaves alone."""
    from benchmark.compare import field_weights_note

    pixel_field = [{"config": {"backbone_weights": "none"}}]
    note = field_weights_note(pixel_field, "0.1*gpl + 0.1*vgg")
    assert "random backbone weights" in note, note
    assert "compare --loss \"0.1*gpl + 0.1*vgg(weights='pretrained')\"" in note, note
    assert field_weights_note([{"config": {"backbone_weights": "random"}}], "vgg") == ""

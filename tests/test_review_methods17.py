"""Review of the methods fixes of round 17 (8c6d9f3..probe-methods): what the review found, one test each."""

import pytest

from benchmark.errors import UserError


@pytest.mark.parametrize("field, value", [("view_flips", "independent"), ("view_scales", "random"),
                                          ("batch_design", "random"), ("classes_per_batch", 4),
                                          ("colour_spaces", False), ("lab_ab", "wrap"), ("stages", ("layer3",))])
def test_simclr_refuses_a_contrique_view_setting_it_would_ignore(field, value):
    """``--recipe simclr --view-flips independent`` trained SimCLR's own views exactly as without it, under another
    file name (the field is hashed): the user believed the flag acted. A contrique-only field at a value other than
    its default is refused under simclr, in one line naming the field; at its default it is accepted as before."""
    from benchmark.pretrain import PretrainConfig

    with pytest.raises(UserError) as err:
        PretrainConfig(recipe="simclr", **{field: value})
    msg = str(err.value)
    assert field in msg and "simclr" in msg and "contrique" in msg and "\n" not in msg, msg
    PretrainConfig(recipe="contrique", **{field: value})  # the recipe that reads it
    assert PretrainConfig(recipe="simclr").digest == "e5bf23"  # defaults: the cached encoder's file, as before


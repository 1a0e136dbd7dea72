"""Review of the image-input commits (474d74b..probe-inputs4): each test failed before its fix."""

from __future__ import annotations

import logging

import numpy as np

from benchmark.data import DataSpec, load_images

# sRGB's own colorants, D50-adapted (what an sRGB matrix/TRC profile holds)
SRGB_COLORANTS = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))


def _hwc(pixels):
    return pixels.permute(1, 2, 0).numpy()


def test_a_linear_light_profile_named_srgb_is_converted(tmp_path, caplog):
    """A profile is taken as sRGB by its name alone: a linear-light 'sRGB' (GIMP's 'Linear sRGB', Elle Stone's
    sRGB-…-g10: sRGB's primaries, tone curve gamma 1.0) kept its stored numbers, mid-grey 128 read as 128 where a
    viewer shows 188 — every pixel far too dark, unsaid. Its name still lets an sRGB approximation through
    (gamma 2.2 under sRGB's name: kept, as test_probe_inputs4 asserts)."""
    from PIL import Image
    from test_probe_inputs4 import _srgb_reference, icc_rgb_profile

    rgb = np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    linear = icc_rgb_profile("sRGB linear (g1.0)", SRGB_COLORANTS, gamma=1.0)
    Image.fromarray(rgb).save(tmp_path / "linear.png", icc_profile=linear)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    want = _srgb_reference(rgb, linear)
    assert np.abs(want.astype(int) - rgb).max() > 50  # the profile matters
    np.testing.assert_array_equal(_hwc(rec.pixels), want)
    assert "sRGB linear (g1.0)" in caplog.text and "converted to sRGB" in caplog.text

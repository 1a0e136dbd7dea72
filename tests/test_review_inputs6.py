"""Review of probe-inputs6 (colour management and image I/O of files a user brings): each test failed before its
fix."""

from __future__ import annotations

import io
import logging

import numpy as np
from test_probe_inputs6 import _chrm, _gama, _hwc, _with_chunks

from benchmark.data import DataSpec, load_images


# ------------------------------------------------------------------------------------------------
# PNG cHRM that describes no colour space
# ------------------------------------------------------------------------------------------------
def test_a_png_with_an_invalid_chrm_still_loads_its_gama_applied(tmp_path, caplog):
    """A PNG whose cHRM chunk is degenerate (every primary at the white point: what some encoders write as a
    placeholder) loaded before probe-inputs6; then it was skipped as unreadable with numpy's 'Singular matrix'. libpng
    and browsers ignore an invalid cHRM (sRGB's primaries assumed) and still apply the gAMA: so here (a converted file
    is named with 'cHRM invalid: ignored')."""
    from PIL import Image

    rgb8 = np.random.default_rng(30).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="PNG")
    white = (0.3127, 0.3290)
    (tmp_path / "flat.png").write_bytes(_with_chunks(buf.getvalue(), _gama(0.45455), _chrm(*white * 4)))
    (tmp_path / "linear.png").write_bytes(_with_chunks(buf.getvalue(), _gama(1.0), _chrm(*white * 4)))
    # collinear primaries (all y = 0.3): nearly singular, no triangle around the white
    (tmp_path / "line.png").write_bytes(_with_chunks(buf.getvalue(), _gama(0.45455),
                                                     _chrm(0.3127, 0.329, 0.6, 0.3, 0.4, 0.3, 0.2, 0.3)))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels).astype(int) for r in load_images(DataSpec(str(tmp_path)))}
    assert sorted(px) == ["flat", "line", "linear"]
    np.testing.assert_array_equal(px["flat"], rgb8)  # gAMA 1/2.2 and no valid cHRM: sRGB as far as it says
    np.testing.assert_array_equal(px["line"], rgb8)
    lin = rgb8 / 255
    want = np.round(np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055) * 255)
    assert np.abs(px["linear"] - want).max() <= 1
    assert "Singular" not in caplog.text and "skipping" not in caplog.text
    assert "PNG gAMA 1 (cHRM invalid: ignored)" in caplog.text and "linear.png" in caplog.text

"""Review of probe-inputs6 (colour management and image I/O of files a user brings): each test failed before its
fix."""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
import torch
from test_probe_inputs6 import _chrm, _gama, _hwc, _with_chunks

from benchmark.data import DataSpec, decode_image, load_images


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


# ------------------------------------------------------------------------------------------------
# a JPEG 2000 whose codestream starts after a large box
# ------------------------------------------------------------------------------------------------
def test_a_16_bit_jpeg_2000_with_a_large_box_before_its_codestream_is_read_at_16_bits():
    """The depth of a JPEG 2000 was read off its first 4 KiB only: a JP2 whose XMP/XML box (or a large ICC profile)
    comes before the codestream — Photoshop's and GDAL's files — was read by Pillow at 8 bits, unsaid. Now the JP2
    boxes are walked to the codestream, wherever it starts."""
    import cv2

    yy, xx = np.mgrid[0:64, 0:64]
    rgb16 = np.stack([xx * 1000 + 7, yy * 1000 + 3, (xx + yy) * 500 + 1], -1).astype(np.uint16)
    ok, enc = cv2.imencode(".jp2", rgb16[..., ::-1])
    raw = enc.tobytes()
    at = raw.find(b"jp2c") - 4
    xml = b"<x:xmpmeta>" + b" " * 6000 + b"</x:xmpmeta>"
    big = raw[:at] + struct.pack(">I", 8 + len(xml)) + b"xml " + xml + raw[at:]
    notes: dict = {}
    px = decode_image(big, "scan.jp2", notes=notes)
    assert px.dtype == torch.float32 and notes == {}
    np.testing.assert_array_equal(_hwc(px), (rgb16 / 65535).astype(np.float32))

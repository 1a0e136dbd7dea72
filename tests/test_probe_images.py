"""Every kind of image file a folder or a dataset can hold: each is converted to the (3, H, W) image a
viewer shows, on the scale of its format, or skipped by name with the reason."""

from __future__ import annotations

import logging

import numpy as np
import torch

from benchmark.data import DataSpec, load_images, to_float


def _pgm16(path, values: np.ndarray) -> None:
    """A binary 16-bit PGM (maxval 65535), which Pillow opens as mode ``I``."""
    h, w = values.shape
    path.write_bytes(b"P5\n%d %d\n65535\n" % (w, h) + values.astype(">u2").tobytes())


def test_a_dark_16_bit_image_keeps_the_16_bit_scale(tmp_path):
    """A 16-bit PGM whose brightest pixel is ≤ 255 was read as 8-bit (200/255: near white, 257× too bright)."""
    from PIL import Image

    _pgm16(tmp_path / "dark.pgm", np.full((16, 16), 200))
    _pgm16(tmp_path / "bright.pgm", np.full((16, 16), 60000))
    assert Image.open(tmp_path / "dark.pgm").mode == "I"  # the mode the scale was guessed for
    px = {r.image_id: to_float(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    assert torch.allclose(px["dark"], torch.full((3, 16, 16), 200 / 65535))
    assert torch.allclose(px["bright"], torch.full((3, 16, 16), 60000 / 65535))


def test_integer_pixels_beyond_16_bits_are_skipped_with_the_reason_not_clipped(tmp_path, caplog):
    from PIL import Image

    Image.fromarray(np.full((16, 16), 100000, dtype=np.int32)).save(tmp_path / "deep32.tif")
    Image.fromarray(np.zeros((16, 16, 3), dtype=np.uint8)).save(tmp_path / "ok.png")
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path)))
    assert [r.image_id for r in recs] == ["ok"]
    assert "deep32.tif" in caplog.text and "outside the 16-bit range" in caplog.text

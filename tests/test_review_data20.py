"""Review of the session-20 data fixes: what they left of their own category."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_a_multi_page_tiff_whose_turned_main_page_follows_a_preview_is_read_turned(tmp_path, mode):
    """524c8d9 read a TIFF turned by 90° from memory only where its first page was turned: a scanner's file of a
    preview (NewSubfileType 1) then the full page, turned, was read unturned from its path, turned from a hub
    dataset's bytes."""
    import numpy as np
    import tifffile
    import torch

    yy, xx = np.mgrid[0:24, 0:40]
    grey = (xx * 6 + yy).astype(np.uint8)
    kw = {"photometric": "minisblack"}
    page, preview = grey, grey[:6, :10]
    if mode == "RGBA":
        page = np.stack([grey, 255 - grey, grey // 2, np.full_like(grey, 255)], -1)
        preview, kw = page[:6, :10], {"photometric": "rgb", "extrasamples": [2]}
    with tifffile.TiffWriter(tmp_path / "scan.tif") as tif:
        tif.write(preview, subfiletype=1, **kw)
        tif.write(page, extratags=[(0x0112, 3, 1, 6, True)], **kw)
    (record,) = load_images(DataSpec.parse(str(tmp_path)))
    planes = page[..., :3] if mode == "RGBA" else np.stack([grey] * 3, -1)
    expected = torch.from_numpy(np.rot90(planes, -1).copy()).permute(2, 0, 1)
    assert record.pixels.shape == expected.shape and torch.equal(record.pixels, expected), mode

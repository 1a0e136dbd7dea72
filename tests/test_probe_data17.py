"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 17)."""

from __future__ import annotations

import logging

import datasets
import numpy as np
import pytest

from benchmark.data import DataSpec, load_images


@pytest.mark.parametrize("dtype, opaque", [("uint8", 255), ("uint16", 65535), ("float32", 1.0)])
def test_transparent_pixel_arrays_are_named_as_transparent_files_are(tmp_path, caplog, dtype, opaque):
    """A dataset of RGBA pixel arrays (Dataset.from_dict of a renderer's H×W×4 frames) whose alpha is not opaque had
    its alpha dropped in silence, where a PNG with transparent pixels is named in a warning → named alike; an opaque
    RGBA array says nothing."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 16, 20, 3)).astype(np.float64) / 255 * opaque
    alpha = np.full((2, 16, 20, 1), opaque, dtype=np.float64)
    alpha[0, :4] = 0  # the first frame's top rows transparent
    frames = np.concatenate([rgb, alpha], -1).astype(dtype)
    path = tmp_path / "frames"
    datasets.Dataset.from_dict({"image": list(frames), "image_id": ["cut", "whole"]}).save_to_disk(str(path))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(path)))
    assert [tuple(r.pixels.shape) for r in recs] == [(3, 16, 20)] * 2
    said = [r.getMessage() for r in caplog.records if "transparent pixels" in r.getMessage()]
    assert len(said) == 1 and "1 image(s)" in said[0] and "row 0" in said[0], said

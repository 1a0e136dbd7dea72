"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 16)."""

from __future__ import annotations

import logging
from pathlib import Path

import datasets  # noqa: F401  (imported once here, not inside the first test's time)
import numpy as np
from PIL import Image
from skimage import data as skdata

from benchmark.data import DataCache, DataSpec


def _jpeg_folder(path: Path, images: dict[str, np.ndarray], quality: int = 85) -> str:
    path.mkdir()
    for name, arr in images.items():
        Image.fromarray(np.ascontiguousarray(arr)).save(path / f"{name}.jpg", quality=quality)
    return str(path)


def test_turned_or_mirrored_crops_saved_again_are_warned_of_both_ways(tmp_path, caplog):
    """A training set saved with its augmentations (a test photo's patches turned by 90° or mirrored, then saved as
    JPEG), or a test image cut from a training photo, turned and saved again, passed the overlap check (re-encoded
    crops were looked for upright only) → found the eight ways and marked so; an unrelated photo's crop (coffee) is not.
    """
    photo, other, coffee = skdata.astronaut()[::2, ::2], skdata.chelsea()[::2, ::2], skdata.coffee()[::2, ::2]
    test = DataSpec.parse(_jpeg_folder(tmp_path / "mine", {"holiday": photo, "cat": other}, quality=95))
    train = DataSpec.parse(_jpeg_folder(tmp_path / "patches", {
        "p0": np.rot90(photo[18:118, 26:106]), "p1": coffee[10:110, 15:95], "p2": other[:, :100][::-1]}))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        both = DataCache().overlap((train,), (test,))
    assert both == ["mine/cat (1 training image cut from it, saved again, turned or mirrored)",  # upside down
                    "mine/holiday (1 training image cut from it, saved again, turned or mirrored)"]
    said = [r.getMessage() for r in caplog.records if "also training images" in r.getMessage()]
    assert len(said) == 1 and "re-encoded" in said[0] and "turned or mirrored" in said[0]
    big = DataSpec.parse(_jpeg_folder(tmp_path / "big", {"photo": photo, "coffee": coffee}))
    crops = DataSpec.parse(_jpeg_folder(tmp_path / "crops", {
        "c": photo[50:150, 37:165][:, ::-1], "d": other[25:125, 50:150], "e": np.rot90(photo[20:100, 150:240], 3)}))
    assert DataCache().overlap((big,), (crops,)) == [
        "crops/c (cut from a training image, saved again, turned or mirrored)",
        "crops/e (cut from a training image, saved again, turned or mirrored)"]

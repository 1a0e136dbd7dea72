"""Cross-area review of the day's merges (probe-report's counts in their number, probe-data's lines, …)."""
import logging
from pathlib import Path

import numpy as np


def _png(path: Path, seed: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(path)


def test_one_test_image_that_is_a_training_image_is_counted_in_the_singular(tmp_path, caplog):
    """probe-report made every count read in its number; probe-data moved the overlap warning (DataCache._overlap)
    the same day with its fixed plural, which the report's scan ("of %d images") does not match: one test image, a
    copy of a training one, was "1 of 1 test images are also training images"."""
    from benchmark.data import DataCache, DataSpec

    _png(tmp_path / "train" / "a.png", 1)
    _png(tmp_path / "train" / "b.png", 2)
    _png(tmp_path / "test" / "a.png", 1)
    with caplog.at_level(logging.WARNING):
        assert len(DataCache().overlap((DataSpec.parse(str(tmp_path / "train")),),
                                       (DataSpec.parse(str(tmp_path / "test")),))) == 1
    assert "1 of 1 test image is also a training image (identical pixels" in caplog.text
    assert "its scores are not held out" in caplog.text and "test images are" not in caplog.text

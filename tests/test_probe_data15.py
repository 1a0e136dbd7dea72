"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 15)."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from benchmark.data import DataSpec, load_images


def _colour(seed: int = 0, h: int = 24, w: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_system_files_beside_photos_are_passed_over_unsaid(tmp_path, caplog):
    """A folder copied from Windows or a Mac holds Thumbs.db, desktop.ini (and Icon\\r): they were listed in the
    'not an image' warning as if the user had misnamed a photo → passed over silently, as hidden files are; a file
    that is really not an image is still named."""
    Image.fromarray(_colour(0)).save(tmp_path / "a.png")
    (tmp_path / "sub").mkdir()
    Image.fromarray(_colour(1)).save(tmp_path / "sub" / "b.jpg")
    for name in ("Thumbs.db", "sub/thumbs.db", "desktop.ini", "sub/Desktop.ini", "ehthumbs.db", "Icon\r"):
        (tmp_path / name).write_bytes(b"\0" * 32)
    (tmp_path / "notes.docx").write_bytes(b"PK")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(tmp_path)))
    assert [r.image_id for r in recs] == ["a", "sub/b"]
    said = [r.getMessage() for r in caplog.records if "not an image" in r.getMessage()]
    assert len(said) == 1 and "notes.docx" in said[0] and "2 of 3 files" in said[0]
    assert not any(s in said[0].lower() for s in ("thumbs", "desktop", "icon"))

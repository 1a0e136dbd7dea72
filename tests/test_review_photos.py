"""Review of the user-photo datasets work (tests/test_probe_photos.py): each test failed before its fix."""

from __future__ import annotations

import logging

import numpy as np

from benchmark.data import DataCache, DataSpec


def _photo(h: int, w: int, seed: int, scale: float = 1.0) -> np.ndarray:
    """A smooth 8-bit RGB picture (a random 6×8 field upsampled), its levels times ``scale`` (1/32: a low-light frame,
    LOL's or SID's, its levels 0-8)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    px = np.asarray(Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC))
    return np.round(px * scale).astype(np.uint8)


def test_distinct_dark_photos_are_not_named_as_copies_of_each_other(tmp_path, caplog):
    """Low-light photos (LOL's test inputs: levels 0-8) are all within 25 dB PSNR of each other, as any two images
    with little signal are: every dark test photo was named as a repeat of the first, and as a training photo where
    the training set is dark too, though none is the other saved again. A copy is now also closer to its original
    than the original's own contrast (its per-channel variance): distinct dark photos are not, a JPEG copy still is."""
    from PIL import Image

    for d in ("train", "test"):
        (tmp_path / d).mkdir()
    for i in range(3):
        Image.fromarray(_photo(48, 64, seed=i, scale=1 / 32)).save(tmp_path / "train" / f"t{i}.png")
        Image.fromarray(_photo(48, 64, seed=10 + i, scale=1 / 32)).save(tmp_path / "test" / f"low{i}.png")
    Image.fromarray(_photo(48, 64, seed=1, scale=1 / 32)).save(tmp_path / "test" / "t1copy.jpg", quality=90)
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    with caplog.at_level(logging.WARNING):
        cache = DataCache()
        both = cache.overlap((train,), (test,))
    assert both == ["test/t1copy (near-identical: re-encoded)"]
    assert cache.repeats(test) == []
    assert "low" not in caplog.text


def test_flat_frames_of_nearby_levels_are_not_named_as_copies(tmp_path):
    """Flat frames (a grey card, a black frame) a few levels apart: within 25 dB, and not one photo saved twice."""
    from PIL import Image

    (tmp_path / "test").mkdir()
    for i, level in enumerate((3, 6, 9, 128, 131)):
        Image.fromarray(np.full((40, 40, 3), level, np.uint8)).save(tmp_path / "test" / f"flat{i}.png")
    assert DataCache().repeats(DataSpec.parse(str(tmp_path / "test"))) == []


def test_low_contrast_textures_are_not_each_compared_whole(tmp_path, monkeypatch):
    """Textures (sand, fabric: one grey level, ±15 levels of grain) have equal 8×8 thumbnails, so every pair of a
    size passed the thumbnail filter and was compared whole: 100 of 512×512 took 78 s in repeats alone, O(n²) full
    images. A strided sample of each image now rules them out first; a JPEG copy among them is still named."""
    import io

    from PIL import Image

    import benchmark.data as data

    rng = np.random.default_rng(0)
    for d in ("train", "test"):
        (tmp_path / d).mkdir()
    for i in range(24):
        grain = np.clip(128 + 15 * rng.standard_normal((64, 64, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(grain).save(tmp_path / ("train" if i % 2 else "test") / f"tex{i}.png")
    buf = io.BytesIO()
    Image.fromarray(_photo(64, 64, seed=3)).save(buf, "JPEG", quality=90)
    Image.fromarray(_photo(64, 64, seed=3)).save(tmp_path / "train" / "photo.png")
    (tmp_path / "test" / "photo_copy.jpg").write_bytes(buf.getvalue())
    calls = []
    near_copy = data._near_copy
    monkeypatch.setattr(data, "_near_copy", lambda a, b: calls.append(1) or near_copy(a, b))
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    cache = DataCache()
    assert cache.overlap((train,), (test,)) == ["test/photo_copy (near-identical: re-encoded)"]
    assert cache.repeats(train) == []
    assert len(calls) <= 2, f"{len(calls)} images compared whole"


def test_a_headerless_csv_with_captions_first_keeps_its_first_image(tmp_path):
    """``a red dog,photos/0.png`` a line (captions, then paths: an image-text pair list): no header, but only the
    first column was asked whether it is an image path, so the first line was read as the header and its image
    dropped without a word. Any header cell that is an image path now means no header; that column is ``path``."""
    from PIL import Image

    (tmp_path / "photos").mkdir()
    for i in range(3):
        Image.fromarray(_photo(24, 32, seed=i)).save(tmp_path / "photos" / f"{i}.png")
    (tmp_path / "cap.csv").write_text("a red dog,photos/0.png\nthe sea,photos/1.png\nsky,photos/2.png\n")
    from benchmark.data import load_images

    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "cap.csv")))] == ["0", "1", "2"]


def test_a_missing_table_is_not_called_a_folder(tmp_path):
    """``--test-data split.csv`` mistyped: 'dataset folder not found: split.csv' sent the user looking for a folder."""
    import pytest

    from benchmark.data import load_images
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"table of images not found: .*split\.csv"):
        load_images(DataSpec.parse(str(tmp_path / "split.csv")))

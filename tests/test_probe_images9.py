"""Probe of large training sets and users' photo folders and hub datasets (probe-images): memory, layouts, splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataCache, DataSpec, load_images, sample_batch


def _mapped(px: torch.Tensor) -> bool:
    """Whether a tensor's pixels lie in a mapping of one of plbench's pixel files (/proc/self/maps), not in the
    process's own memory."""
    at = px.data_ptr()
    for line in open("/proc/self/maps"):
        span, *_, name = line.split(maxsplit=5) if len(line.split()) > 5 else (line.split()[0], "")
        lo, hi = (int(x, 16) for x in span.split("-"))
        if lo <= at < hi:
            return "plbench-pixels-" in name
    return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps (Linux)")
def test_images_beyond_the_ram_budget_are_memory_mapped_with_the_same_pixels_run_id_and_crops(
        image_folder, monkeypatch, tmp_path):
    """Every training image was held decoded in memory: 60 JPEGs of 3000×2000 took 1.1 GB above imports, 200 would
    take 3.6 GB (a hub set of 100 000 photos cannot be trained on). Beyond PLBENCH_DECODED_RAM_MB the decoded images
    are memory-mapped from a file: the same tensors, so the same fingerprint (run ids) and the same crops per seed."""
    spec = DataSpec(str(image_folder))
    in_ram = DataCache()
    before = in_ram.pooled((spec,))
    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "0")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    spilled = DataCache()
    after = spilled.pooled((spec,))
    assert [r.image_id for r in after] == [r.image_id for r in before]
    assert all(_mapped(r.pixels) for r in after) and not any(_mapped(r.pixels) for r in before)
    for a, b in zip(after, before):
        assert a.pixels.dtype == b.pixels.dtype and torch.equal(a.pixels, b.pixels)
    assert spilled.fingerprint((spec,), "train") == in_ram.fingerprint((spec,), "train")
    crops = [sample_batch(recs, 4, 24, 1, torch.Generator().manual_seed(3)) for recs in (before, after)]
    assert torch.equal(*crops)
    assert not list(tmp_path.glob("plbench-pixels-*"))  # the files' names are gone; the mappings hold the data


def test_a_budget_that_is_no_number_is_one_clear_error(image_folder, monkeypatch):
    from benchmark.errors import UserError

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "lots")
    with pytest.raises(UserError, match="PLBENCH_DECODED_RAM_MB='lots' is not a number"):
        load_images(DataSpec(str(image_folder)))


def _smooth(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth 8-bit RGB picture: a random 6×8 field upsampled (a photo's low detail, JPEG-friendly)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    return np.asarray(Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC))


def test_a_test_photo_that_is_a_training_photo_turned_and_re_encoded_is_named(tmp_path, caplog):
    """A phone photo stored sideways with EXIF orientation 6 in the training folder, and in the test folder the same
    photo whose copy lost its EXIF (re-saved as JPEG) or was turned when exported: the test image is the training
    image turned by 90° and re-encoded. Exact turned copies and same-orientation re-encodings were named; the two
    together were not (its scores silently not held out) → re-encoded copies are looked for in all eight turnings."""
    import logging

    from PIL import Image

    for d in ("train", "test"):
        (tmp_path / d).mkdir()
    upright = _smooth(48, 64, seed=0)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned by 90° counter-clockwise; a viewer turns it back
    Image.fromarray(np.rot90(upright).copy()).save(tmp_path / "train" / "phone.jpg", quality=95, exif=exif)
    Image.fromarray(_smooth(48, 64, seed=1)).save(tmp_path / "train" / "other.png")
    Image.fromarray(np.rot90(upright).copy()).save(tmp_path / "test" / "phone_no_exif.jpg", quality=90)
    Image.fromarray(np.rot90(upright, 2).copy()).save(tmp_path / "test" / "phone_upside_down.jpg", quality=90)
    Image.fromarray(_smooth(48, 64, seed=2)).save(tmp_path / "test" / "new.png")
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    cache = DataCache()
    assert cache.images(train)[0].size == (48, 64)  # the EXIF turn is applied to the training photo
    with caplog.at_level(logging.WARNING):
        both = cache.overlap((train,), (test,))
    assert sorted(both) == ["test/phone_no_exif (near-identical: re-encoded, turned or mirrored)",
                            "test/phone_upside_down (near-identical: re-encoded, turned or mirrored)"]
    assert "2 of 3 test images are also training images" in caplog.text


def test_a_test_photo_that_is_a_training_photo_resized_is_named(tmp_path):
    """A user's folder of originals for training and of their web-size exports for testing: each test image is a
    training image at half its size. Only copies of one size (or turned) were looked for, so the leak was silent →
    resized copies are named '(near-identical: resized)'; a distinct photo of that size is not."""
    from PIL import Image

    for d in ("train", "test"):
        (tmp_path / d).mkdir()
    for i in range(3):
        Image.fromarray(_smooth(96, 128, seed=i)).save(tmp_path / "train" / f"full{i}.png")
    Image.fromarray(_smooth(96, 128, seed=1)).resize((64, 48), Image.BICUBIC).save(tmp_path / "test" / "web1.jpg",
                                                                                    quality=90)
    Image.fromarray(_smooth(48, 64, seed=7)).save(tmp_path / "test" / "new.png")
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    assert DataCache().overlap((train,), (test,)) == ["test/web1 (near-identical: resized)"]

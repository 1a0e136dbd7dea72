"""A new user's first run on a folder of their own photos (probe-newuser, session 9)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from benchmark.data import DataSpec, load_images


def test_a_jpeg_named_heic_is_read_as_the_jpeg_it_is(tmp_path, caplog):
    """A phone export or a renaming script leaves JPEG bytes under a .HEIC name; Pillow reads the file by its
    content, yet the folder skipped it by its suffix as 'a HEIC/HEIF photo, which no decoder here reads
    (pip install pillow-heif …)' — advice that does not help, since the photo is a JPEG."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "IMG_0001.HEIC", format="JPEG", quality=95)
    Image.fromarray(pixels).save(tmp_path / "ok.png")
    (tmp_path / "IMG_0002.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        records = {r.image_id: r for r in load_images(DataSpec(str(tmp_path)))}
    assert sorted(records) == ["IMG_0001", "ok"]
    assert tuple(records["IMG_0001"].pixels.shape[-2:]) == (24, 32)
    # the real HEIC beside it is still named as one, the JPEG is not
    line = next(r.getMessage() for r in caplog.records if "HEIC/HEIF photo" in r.getMessage())
    assert "IMG_0002.HEIC" in line and "IMG_0001.HEIC" not in line


@pytest.mark.parametrize("suffix", [".heif", ".dng"])
def test_other_not_decoded_suffixes_holding_a_png_are_read(tmp_path, suffix):
    """The same for the rest of the suffixes skipped unread: the file's own signature decides."""
    Image.fromarray(np.full((16, 16, 3), 7, np.uint8)).save(tmp_path / f"x{suffix}", format="PNG")
    assert [r.image_id for r in load_images(DataSpec(str(tmp_path)))] == ["x"]


def test_one_photo_passed_as_a_source_names_its_folder_and_a_list_file(tmp_path):
    """`--test-data ~/photos/cat.jpg` (one photo, as a new user tries first) was 'is a file, not a dataset: a source
    is an image folder, a saved dataset … or a hub id' — no word of the photo's folder, nor of a .txt list of paths,
    which the README accepts and which is how to score chosen photos."""
    from benchmark.errors import UserError

    photo = tmp_path / "cat.jpg"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(photo)
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(photo)))
    message = str(err.value)
    assert "\n" not in message and str(tmp_path) in message and ".txt" in message
    # the suggested list file is read
    (tmp_path / "chosen.txt").write_text("cat.jpg\n")
    assert [r.image_id for r in load_images(DataSpec(str(tmp_path / "chosen.txt")))] == ["cat"]

"""A folder of a user's own photos, and the files they point at (each test failed before its fix): a table of image
paths (CSV, a plain list, parquet) given as the source."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from benchmark.data import DataSpec, fingerprint, load_images
from benchmark.errors import UserError


def _png(path, h: int, w: int, seed: int = 0, mode: str = "RGB"):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).convert(mode).save(path)
    return path


# ------------------------------------------------------------------------------------------------
# a table of image paths as the source: what a researcher keeps beside a folder (train.csv, test.txt)
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def photos(tmp_path):
    """Three photos under photos/ (two in a sub-folder) and the folder they are in, as the tables name them."""
    for i, rel in enumerate(("a.png", "trip/b.png", "trip/c.png")):
        _png(tmp_path / "photos" / rel, 24, 32, seed=i)
    return tmp_path


def test_a_csv_of_relative_paths_is_read_from_its_own_folder(photos, tmp_path, monkeypatch):
    """A CSV with a header and a column of paths relative to the CSV's folder: its rows' images, whatever the cwd
    (it was 'is a file, not a dataset')."""
    (photos / "split.csv").write_text("path,label\nphotos/a.png,0\nphotos/trip/c.png,1\n")
    monkeypatch.chdir(tmp_path / "photos" / "trip")  # elsewhere: the paths are the CSV's, not the cwd's
    spec = DataSpec.parse(str(photos / "split.csv"), role="test")
    recs = load_images(spec)
    folder = {r.image_id: r for r in load_images(DataSpec.parse(str(photos / "photos")))}
    assert [r.pixels.tolist() for r in recs] == [folder["a"].pixels.tolist(), folder["trip/c"].pixels.tolist()]
    assert spec.name == "split.csv"


def test_a_csv_with_no_header_and_a_plain_list_keep_their_first_image(photos):
    """A CSV (or .txt) of one path a line, no header: every line is an image (a header guess would drop the first)."""
    (photos / "list.csv").write_text("photos/a.png\nphotos/trip/b.png\nphotos/trip/c.png\n")
    (photos / "list.txt").write_text(f"{photos / 'photos/trip/b.png'}\n\nphotos/a.png\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(photos / "list.csv")))] == ["a", "b", "c"]
    assert [r.image_id for r in load_images(DataSpec.parse(str(photos / "list.txt")))] == ["b", "a"]


def test_a_parquet_file_of_paths_is_a_source(photos):
    import pandas as pd

    pd.DataFrame({"file": ["photos/trip/b.png", "photos/a.png"]}).to_parquet(photos / "test.parquet")
    recs = load_images(DataSpec.parse(str(photos / "test.parquet")))
    assert [r.image_id for r in recs] == ["b", "a"] and recs[0].size == (24, 32)


def test_a_table_file_takes_no_split_and_names_a_missing_image(photos, caplog):
    (photos / "list.txt").write_text("photos/a.png\nphotos/gone.png\n")
    with pytest.raises(UserError, match="no splits"):
        load_images(DataSpec.parse(str(photos / "list.txt") + ":test"))
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec.parse(str(photos / "list.txt")))
    assert [r.image_id for r in recs] == ["a"] and "gone.png" in caplog.text
    assert fingerprint(recs) == fingerprint(load_images(DataSpec.parse(str(photos / "list.txt"))))


def test_an_image_file_as_a_source_is_still_refused(photos):
    with pytest.raises(UserError, match="is a file, not a dataset"):
        load_images(DataSpec.parse(str(photos / "photos" / "a.png")))


# ------------------------------------------------------------------------------------------------
# a very large photo (a stitched panorama, a 100 MP camera): decoding must not hold several copies of it
# ------------------------------------------------------------------------------------------------
_PEAK = """
import sys
from benchmark.data import decode_image

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024  # kB

small, big = sys.argv[1:3]
decode_image(small, "small", None, {})  # every import and first-use cost paid before the big one
with open("/proc/self/clear_refs", "w") as f:  # the peak (VmHWM) from here on: ru_maxrss would keep the
    f.write("5")  # forking parent's (pytest's) peak, hiding this process's
before = status("VmRSS")
px = decode_image(big, "big", None, {})
print(px.shape[-2] * px.shape[-1] * 3, status("VmHWM") - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(__import__("sys").platform != "linux", reason="/proc/self/status and clear_refs are Linux's")
def test_a_large_photo_is_decoded_without_several_copies_of_it(tmp_path):
    """A 4000×3000 JPEG (36 MB as uint8) raised the process's peak memory by ≈ 4.7× its size: Pillow's decoded image
    (4 bytes a pixel), exif_transpose's copy of it (made even with no orientation to apply), numpy's read of it, a
    copy of that and the (3, H, W) permuted copy (a 12000×9000 photo, 324 MB: +1.51 GB). Now ≈ 3.3× (Pillow's decoded
    image at 4 bytes a pixel, the result, a band at a time; the 12000×9000 one: +0.97 GB)."""
    import subprocess
    import sys

    from PIL import Image

    h, w = 3000, 4000
    y, x = np.mgrid[0:h:8, 0:w:8]  # smooth: a small file, quick to write
    small = np.stack([y % 256, x % 256, (x + y) % 256], -1).astype(np.uint8)
    Image.fromarray(small).resize((w, h)).save(tmp_path / "big.jpg", quality=80)
    Image.fromarray(small[:16, :16]).save(tmp_path / "small.jpg")
    out = subprocess.run([sys.executable, "-c", _PEAK, str(tmp_path / "small.jpg"), str(tmp_path / "big.jpg")],
                         capture_output=True, text=True, check=True, timeout=120)
    size, grew = map(int, out.stdout.split())
    assert size == h * w * 3
    assert grew <= 3.75 * size, f"decoding raised peak memory by {grew / size:.1f}× the image's size"


# ------------------------------------------------------------------------------------------------
# names in NFD (macOS) and NFC (Linux, Windows): one photo, one id, one fingerprint
# ------------------------------------------------------------------------------------------------
def test_a_folder_copied_from_a_mac_has_the_ids_and_fingerprint_it_has_on_linux(tmp_path):
    """macOS (HFS+, and files named by its apps) writes 'é' decomposed (NFD: e + U+0301); rsync or a USB disk keeps
    those bytes on Linux, where the same name typed is one code point (NFC). The ids (and so the fingerprint, part of
    every run's id) differed: the same photos were a new data set (runs redone, results never merged: rows of
    'Café' that look the same and are not). Ids are NFC now."""
    import unicodedata

    nfc, nfd = "Café/crème brûlée", unicodedata.normalize("NFD", "Café/crème brûlée")
    assert nfc != nfd
    _png(tmp_path / "linux" / f"{nfc}.png", 16, 24, seed=1)
    _png(tmp_path / "mac" / f"{nfd}.png", 16, 24, seed=1)
    linux, mac = (load_images(DataSpec.parse(str(tmp_path / d))) for d in ("linux", "mac"))
    assert [r.image_id for r in mac] == [r.image_id for r in linux] == [nfc]
    assert fingerprint(mac) == fingerprint(linux)
    assert DataSpec.parse(str(tmp_path / "mac" / unicodedata.normalize("NFD", "Café"))).name == "Café"  # its rows'
    assert load_images(DataSpec.parse(str(tmp_path / "mac" / unicodedata.normalize("NFD", "Café")))) \
        [0].image_id == "crème brûlée"


def test_two_files_whose_names_differ_only_in_normalisation_stay_two_images(tmp_path):
    import unicodedata

    _png(tmp_path / "d" / "é.png", 16, 16, seed=1)
    _png(tmp_path / "d" / f"{unicodedata.normalize('NFD', 'é')}.png", 16, 16, seed=2)
    ids = [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "d")))]
    assert len(ids) == len(set(ids)) == 2 and all(unicodedata.is_normalized("NFC", i) for i in ids)


# ------------------------------------------------------------------------------------------------
# paired sets whose columns say which is the ground truth with a suffix: gt_path, hr_file, clean_img
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def pairs(tmp_path):
    """Two (noisy, clean) pairs of distinct pixels under pairs/."""
    for i in range(2):
        _png(tmp_path / "pairs" / f"noisy{i}.png", 16, 16, seed=10 + i)
        _png(tmp_path / "pairs" / f"clean{i}.png", 16, 16, seed=20 + i)
    return tmp_path


def _pixels(recs):
    return [r.pixels.tolist() for r in recs]


def test_a_path_column_beside_gt_path_is_not_read_as_the_clean_images(pairs):
    """``path`` (the noisy input) beside ``gt_path`` (BasicSR's meta files name them so): ``path`` was read, silently,
    as the clean images (``gt`` was only a ground truth's name without a suffix). Now refused, naming both, as
    ``image`` beside ``gt`` is."""
    (pairs / "meta.csv").write_text("path,gt_path\n" + "".join(f"pairs/noisy{i}.png,pairs/clean{i}.png\n"
                                                                 for i in range(2)))
    with pytest.raises(UserError, match="'gt_path' is named as the clean one"):
        load_images(DataSpec.parse(str(pairs / "meta.csv")))
    chosen = load_images(DataSpec.parse(str(pairs / "meta.csv") + "#gt_path"))
    assert _pixels(chosen) == _pixels(load_images(DataSpec.parse(str(pairs / "pairs") + "#image")))[:2]


def test_lq_path_beside_gt_path_says_which_is_named_as_the_ground_truth(pairs):
    """``lq_path`` + ``gt_path``: asked for with '#COLUMN' (two candidates, as ``input`` + ``target`` image columns),
    now naming ``gt_path`` as the clean one (it said only "several columns"); ``#gt_path`` reads the clean images."""
    (pairs / "meta.csv").write_text("lq_path,gt_path\n" + "".join(f"pairs/noisy{i}.png,pairs/clean{i}.png\n"
                                                                    for i in range(2)))
    with pytest.raises(UserError, match="'gt_path' is named as the clean one"):
        load_images(DataSpec.parse(str(pairs / "meta.csv")))
    assert [r.image_id for r in load_images(DataSpec.parse(str(pairs / "meta.csv") + "#gt_path"))] == \
        ["clean0", "clean1"]


def test_an_image_column_beside_gt_img_is_not_read_as_the_clean_images(pairs):
    """Image columns ``image`` (the degraded input) and ``gt_img``: ``image`` was read, silently, as the clean images;
    refused now, as ``image`` beside ``gt`` was."""
    import datasets

    files = {c: [str(pairs / "pairs" / f"{n}{i}.png") for i in range(2)] for c, n in (("image", "noisy"),
                                                                                      ("gt_img", "clean"))}
    datasets.Dataset.from_dict(files, features=datasets.Features({c: datasets.Image() for c in files})) \
        .save_to_disk(str(pairs / "saved"))
    with pytest.raises(UserError, match="'gt_img' is named as the clean one"):
        load_images(DataSpec.parse(str(pairs / "saved")))
    recs = load_images(DataSpec.parse(str(pairs / "saved") + "#gt_img"))
    assert _pixels(recs) == _pixels(load_images(DataSpec.parse(str(pairs / "pairs"))))[:2]  # clean0, clean1


# ------------------------------------------------------------------------------------------------
# a folder of greyscale photos (Set12, BSD68's grey copies, scans, X-rays): read as three equal channels
# ------------------------------------------------------------------------------------------------
def test_a_test_set_of_grey_photos_is_said_when_the_grid_is_planned(tmp_path, caplog):
    """Every image of a greyscale folder is replicated to three equal channels, and every task degrades the channels
    apart (denoise draws noise per channel: three noisy looks at each grey pixel, an easier problem than the grey
    denoising Set12/BSD68 scores report; demosaic samples one channel a pixel of an image all of whose channels agree).
    Nothing said so; a WARNING naming the source now, when the grid is planned. A colour set stays quiet."""
    from benchmark.config import GridSpec, build_configs
    from benchmark.data import DataCache

    for i in range(3):
        _png(tmp_path / "grey" / f"g{i}.png", 40, 40, seed=i, mode="L")
        _png(tmp_path / "colour" / f"c{i}.png", 40, 40, seed=i)
    _png(tmp_path / "mixed" / "c.png", 40, 40, seed=5)
    _png(tmp_path / "mixed" / "g.png", 40, 40, seed=6, mode="L")
    spec = GridSpec(tasks=("denoise",), losses=("l1",), metrics=("psnr",), device="cpu", iterations=2, crop=32,
                    batch_size=2, train_data=(str(tmp_path / "colour"),),
                    test_data=(str(tmp_path / "grey"), str(tmp_path / "mixed")))
    with caplog.at_level(logging.INFO, logger="benchmark"):
        build_configs(spec, DataCache())
    said = [r for r in caplog.records if "greyscale" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.WARNING, logging.INFO], [r.getMessage() for r in said]
    assert said[0].getMessage().startswith(f"{tmp_path / 'grey'}: every one of its 3 images is greyscale")
    assert "1 of 2 images" in said[1].getMessage() and "g" in said[1].getMessage()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark"):
        build_configs(GridSpec(tasks=("denoise",), losses=("l1",), metrics=("psnr",), device="cpu", iterations=2,
                               crop=32, batch_size=2, train_data=(str(tmp_path / "colour"),),
                               test_data=(str(tmp_path / "colour"),)), DataCache())
    assert "greyscale" not in caplog.text


def test_a_table_written_on_windows_names_its_images_with_backslashes(photos):
    """A CSV made on Windows (pandas' to_csv of WindowsPath, Excel): ``photos\\trip\\b.png``; on Linux no such file,
    so every row was unreadable ('contains no readable image'). A relative path with backslashes that is not found
    as written is looked up with them read as folder separators."""
    (photos / "win.csv").write_text("path\nphotos\\trip\\b.png\nphotos\\a.png\n")
    recs = load_images(DataSpec.parse(str(photos / "win.csv")))
    assert [r.image_id for r in recs] == ["b", "a"]


# ------------------------------------------------------------------------------------------------
# a test photo that is a training photo saved again (JPEG re-encoded, PNG → JPEG) under another name
# ------------------------------------------------------------------------------------------------
def _photo(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth (8-bit RGB) picture: a random 6×8 field upsampled, as photos are smooth at JPEG's block scale."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    return np.asarray(Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC))


def test_a_test_photo_that_is_a_training_photo_saved_again_is_named(tmp_path, caplog):
    """A photo in train/ as PNG and in test/ re-encoded as a JPEG (quality 85) under another name: its pixels differ,
    so the identical-pixels check passed it as held out, and its scores were a training image's. Now named as
    near-identical (PSNR ≥ 25 dB to a training image of its size; distinct photos are ≤ 14 dB apart); other photos
    of that size are not."""
    from PIL import Image

    from benchmark.data import DataCache

    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    for i in range(3):
        Image.fromarray(_photo(48, 64, seed=i)).save(tmp_path / "train" / f"t{i}.png")
    Image.fromarray(_photo(48, 64, seed=1)).save(tmp_path / "test" / "holiday.jpg", quality=85)
    Image.fromarray(_photo(48, 64, seed=7)).save(tmp_path / "test" / "other.jpg", quality=85)
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    with caplog.at_level(logging.WARNING):
        both = DataCache().overlap((train,), (test,))
    assert both == ["test/holiday (near-identical: re-encoded)"]
    assert "holiday" in caplog.text and "other" not in caplog.text


def test_a_test_folder_holding_a_photo_and_its_jpeg_copy_says_so(tmp_path, caplog):
    """holiday.png and holiday.jpg (the same photo exported twice) in one test folder: both scored, the photo weighing
    twice in every mean, and only identical pixels were named as repeats. Now the copy is named, as near-identical."""
    from PIL import Image

    from benchmark.data import DataCache

    (tmp_path / "test").mkdir()
    Image.fromarray(_photo(48, 64, seed=1)).save(tmp_path / "test" / "holiday.png")
    Image.fromarray(_photo(48, 64, seed=1)).save(tmp_path / "test" / "holiday.jpg", quality=85)
    Image.fromarray(_photo(48, 64, seed=2)).save(tmp_path / "test" / "other.jpg", quality=85)
    with caplog.at_level(logging.WARNING):
        said = DataCache().repeats(DataSpec.parse(str(tmp_path / "test")))
    assert said == ["holiday.png (≈ holiday.jpg, saved again)"]
    assert "holiday.png (≈ holiday.jpg" in caplog.text

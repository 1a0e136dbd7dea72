"""Review of round 7's images and datasets (each test failed before its fix): an imagefolder whose metadata pairs
images without a ``file_name`` column."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from test_probe_inputs6 import _hwc

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


# ------------------------------------------------------------------------------------------------
# imagefolder metadata of *_file_name columns only (input_file_name + target_file_name)
# ------------------------------------------------------------------------------------------------
def test_paired_metadata_without_file_name_is_read_by_its_columns(tmp_path):
    """``datasets`` reads metadata of ``input_file_name`` + ``target_file_name`` (no ``file_name``) as the image columns
    input and target; the folder was read as every image file in it, the degraded inputs trained on and scored as
    clean images beside their targets, unsaid. Now as datasets reads it: two image columns, one named as the clean one,
    so '#COLUMN' is asked for, and ``FOLDER#target`` reads the targets only."""
    import datasets
    from PIL import Image

    root = tmp_path / "pairs"
    rng = np.random.default_rng(7)
    targets, rows = [], []
    for sub in ("input", "target"):
        (root / sub).mkdir(parents=True)
    for i in range(3):
        clean = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
        Image.fromarray(clean).save(root / "target" / f"{i}.png")
        Image.fromarray(clean // 2).save(root / "input" / f"{i}.png")
        targets.append(clean)
        rows.append({"input_file_name": f"input/{i}.png", "target_file_name": f"target/{i}.png"})
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = datasets.load_dataset("imagefolder", data_dir=str(root), split="train")
    assert sorted(n for n, f in ds.features.items() if isinstance(f, datasets.Image)) == ["input", "target"]

    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(root)))
    assert "#COLUMN" in str(err.value) and "'target'" in str(err.value) and "\n" not in str(err.value)
    recs = load_images(DataSpec.parse(f"{root}#target"))
    assert [r.image_id for r in recs] == ["0", "1", "2"]
    for rec, arr in zip(recs, targets):
        np.testing.assert_array_equal(_hwc(rec.pixels), arr)


# ------------------------------------------------------------------------------------------------
# owner/name/FILE not cached, offline
# ------------------------------------------------------------------------------------------------
def test_an_uncached_hub_data_file_offline_says_how_to_bring_that_file():
    """The profiles' fallback ``goodfellowliu/DIV2K/DIV2K_train_HR.zip:train`` uncached, offline, said to download
    the whole repo (``huggingface-cli download goodfellowliu/DIV2K``: every LR archive too) and pass that folder,
    which is refused ('holds no image file': zip archives), or to fill the datasets cache, which a plain download of
    the repo does not. Now: that one file, into the hub cache it is read from, or into a folder, unpacked."""
    from huggingface_hub import constants

    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("nobody/photos/HR.zip:train"))
    text = str(err.value)
    assert "huggingface-cli download nobody/photos HR.zip --repo-type dataset)" in text
    assert f"hub cache {constants.HF_HUB_CACHE}" in text and "--local-dir DIR), unpack it" in text
    assert "no local folder" not in text and "there is no local file 'nobody/photos/HR.zip'" in text
    assert "\n" not in text


# ------------------------------------------------------------------------------------------------
# turned or mirrored training copies: the cost on a large training set whose corners agree
# ------------------------------------------------------------------------------------------------
def test_turned_copies_hash_the_test_side_turned_not_every_training_image(monkeypatch):
    """Candidates for a turned copy share their four corner pixels, which white- or black-bordered sets (product shots,
    scans, letterboxed frames) all do; every such training image was then turned and hashed seven ways (300 training
    images of 512² with white corners: 0.4 s → 30 s of planning). Turning is undone by turning, so the test
    candidates (a few) are turned instead and the training images hashed once each, as the identical-pixels check does;
    what is found is the same."""
    import torch

    from benchmark import data
    from benchmark.data import DataCache, ImageRecord

    g = torch.Generator().manual_seed(3)

    def bordered(n, tag):
        out = []
        for i in range(n):
            px = torch.randint(0, 256, (3, 24, 40), dtype=torch.uint8, generator=g)
            px[:, 0, 0] = px[:, 0, -1] = px[:, -1, 0] = px[:, -1, -1] = 255
            out.append(ImageRecord(f"{tag}{i}", px))
        return out

    train, test = DataSpec("skimage"), DataSpec("skimage-medical")
    recs = {train: bordered(60, "t"), test: bordered(4, "q")}
    recs[test][1] = ImageRecord("turned", torch.rot90(recs[train][7].pixels, 1, (-2, -1)).contiguous())
    recs[test][2] = ImageRecord("mirrored", recs[train][9].pixels.flip(-1).contiguous())
    recs[test][3] = ImageRecord("same", recs[train][11].pixels.clone())
    cache = DataCache()
    monkeypatch.setattr(cache, "images", lambda s: recs[s])
    calls = []
    real = data.image_hash
    monkeypatch.setattr(data, "image_hash", lambda px: calls.append(1) or real(px))
    assert sorted(cache.overlap((train,), (test,))) == [
        "skimage-medical/mirrored (turned or mirrored)", "skimage-medical/same",
        "skimage-medical/turned (turned or mirrored)"]
    assert len(calls) <= 60 + 4 * 8  # each image once, and each test candidate turned seven ways


# ------------------------------------------------------------------------------------------------
# a local copy of an image-file hub dataset whose README declares several configs
# ------------------------------------------------------------------------------------------------
def test_a_local_copy_of_images_with_several_configs_is_not_read_whole(tmp_path, caplog):
    """A local copy of a hub dataset of image files whose README declares a config per folder (x2/, x4/ low-resolution
    inputs, hr/ targets) was read as one folder of images, every config's together: the LR inputs trained on and scored
    as clean images beside the HR ones, unsaid (README.md 'not an image'); only a copy of data files (parquet) named
    its configs. Now the same line: the configs and the folder of each to pass, which reads as that config."""
    from PIL import Image

    root = tmp_path / "copy"
    for cfg, side in (("x2", 16), ("x4", 8), ("hr", 32)):
        (root / cfg).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.full((side, side, 3), 40 * i, np.uint8)).save(root / cfg / f"{i}.png")
    (root / "README.md").write_text("---\nlicense: mit\nconfigs:\n" + "".join(
        f"- config_name: {c}\n  data_files:\n  - split: train\n    path: {c}/*.png\n" for c in ("x2", "x4", "hr"))
        + "---\n# SR pairs\n")
    for role in ("train", "test"):
        with pytest.raises(UserError) as err:
            load_images(DataSpec.parse(str(root), role=role))
        text = str(err.value)
        assert "x2, x4, hr" in text and f"hr: {root / 'hr'}" in text and "\n" not in text
    assert [r.size for r in load_images(DataSpec.parse(str(root / "hr"), role="train"))] == [(32, 32)] * 2
    assert [r.size for r in load_images(DataSpec.parse(f"{root}:hr", role="train"))] == [(32, 32)] * 2  # a sub-folder
    (root / "README.md").write_text("---\nlicense: mit\n---\n# photos\n")  # no configs: a folder of images, as before
    assert len(load_images(DataSpec.parse(str(root), role="train"))) == 6


# ------------------------------------------------------------------------------------------------
# an unreadable folder given as test data
# ------------------------------------------------------------------------------------------------
def test_an_unreadable_folder_as_test_data_is_the_one_line_not_a_permission_error(tmp_path, monkeypatch):
    """An image folder this user cannot list is one line saying it cannot be read, and why; as test data
    (``DataSpec.parse(role="test")``, what ``--test-data`` does) it was a bare PermissionError out of the look for
    train/ and test/ sub-folders, before that line could be said."""
    import os

    (tmp_path / "d").mkdir()
    denied = str(tmp_path / "d")

    def refusing(real):
        def listing(path="."):
            if os.fspath(path) == denied:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real(path)
        return listing

    monkeypatch.setattr(os, "scandir", refusing(os.scandir))
    monkeypatch.setattr(os, "listdir", refusing(os.listdir))
    for role in ("test", "train"):
        with pytest.raises(UserError) as err:
            load_images(DataSpec.parse(denied, role=role))
        assert "cannot be read (Permission denied)" in str(err.value) and "\n" not in str(err.value)


# ------------------------------------------------------------------------------------------------
# imagefolder metadata: only its file-name columns are read
# ------------------------------------------------------------------------------------------------
def test_imagefolder_metadata_is_read_for_its_file_name_columns_only(tmp_path, monkeypatch):
    """Every folder holding an imagefolder metadata file has it read, to see whether it pairs images; a
    metadata.parquet was turned whole into Python objects, every column (a CLIP embedding a row: 512 floats, so
    gigabytes for a large set that loaded before without reading it). Now only its file-name columns are read;
    the pairing is read as before."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    root = tmp_path / "pairs"
    for sub in ("clean", "noisy"):
        (root / sub).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.full((16, 16, 3), 30 * i + (7 if sub == "noisy" else 0), np.uint8)).save(
                root / sub / f"{i}.png")
    pq.write_table(pa.table({"file_name": ["clean/0.png", "clean/1.png"],
                             "noisy_file_name": ["noisy/0.png", "noisy/1.png"],
                             "embedding": [[0.5] * 512, [0.25] * 512]}), root / "metadata.parquet")
    asked = []
    real = pq.read_table
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: asked.append(k.get("columns")) or real(*a, **k))
    recs = load_images(DataSpec.parse(str(root)))
    assert [r.image_id for r in recs] == ["clean/0", "clean/1"] and int(recs[1].pixels[0, 0, 0]) == 30
    assert asked and all(cols is not None and "embedding" not in cols for cols in asked)


def test_an_unreadable_sibling_of_the_split_read_is_not_said_to_be_left_out(tmp_path, monkeypatch, caplog):
    """FOLDER:test walks the whole folder; a train/ beside it that this user cannot list (a licence-restricted part of a
    shared set) was warned of as 'could not be read, their images left out', though none of its images is of the split
    read. Now only a folder of the split read is named; FOLDER read whole still names train/."""
    import os

    from PIL import Image

    for sub in ("train", "test"):
        (tmp_path / "d" / sub).mkdir(parents=True)
        Image.fromarray(np.full((16, 16, 3), 9, np.uint8)).save(tmp_path / "d" / sub / "a.png")
    denied = str(tmp_path / "d" / "train")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(tmp_path / "d"), "test"))] == ["test/a"]
    assert "could not be read" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(tmp_path / "d")))] == ["test/a"]
    assert "could not be read" in caplog.text and "train/ (Permission denied)" in caplog.text


# ------------------------------------------------------------------------------------------------
# owner/name/FILE downloaded online, read offline
# ------------------------------------------------------------------------------------------------
def test_a_hub_data_file_downloaded_online_is_read_offline(tmp_path, monkeypatch):
    """``load_dataset(repo, data_files=...)`` caches its prepared data under a config id hashed from the file's URL
    resolved at a commit (online) but looks for it offline under one hashed from the name as given, so it never finds
    it (huggingface/datasets#7551): the profiles' DIV2K_train_HR.zip fallback, downloaded on a connected machine, was
    'not cached' on the offline one. The file itself is in the hub cache (datasets downloads it with
    hf_hub_download); it is now read from there, online and offline alike."""
    from hubcache import cache_hub_file, png_zip
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    rng = np.random.default_rng(77)
    arrays = [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(3)]
    cache_hub_file("someone/SR", "SR_train_HR.zip", png_zip("SR_train_HR", arrays), tmp_path / "hub")
    recs = load_images(DataSpec.parse("someone/SR/SR_train_HR.zip:train"))
    assert [r.image_id for r in recs] == ["0000", "0001", "0002"]
    for rec, arr in zip(recs, arrays):
        np.testing.assert_array_equal(_hwc(rec.pixels), arr)

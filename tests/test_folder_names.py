"""A local folder loads every image file in it, whatever the file names (issue 26): no name is read
as a split, sub-folders are read at any depth, and what is skipped is counted and named by reason."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED

from benchmark.data import DataSpec, folder_files, image_extensions, load_images
from benchmark.errors import UserError

SPLIT_LIKE = ["train_railway_sun.jpg", "test_0001.png", "validation_cat.png", "a-train-b.png", "TRAIN.png",
              "dev_x.png", "eval-test.bmp", "plain.png"]


def _images(root: Path, names) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (36, 44, 3), dtype=np.uint8)).save(p)


@pytest.mark.parametrize("names", [
    SPLIT_LIKE,
    ["train_only.jpg"] + [f"img{i:02d}.jpg" for i in range(12)],           # the case: 1 train_ file
    ["train/a.png", "test/b.png", "misc/train_c.png", "d.png", "misc/deep/validation_e.png"],  # mixed sub-folders
])
def test_every_image_file_loads_whatever_its_name(tmp_path, names):
    _images(tmp_path, names)
    recs = load_images(DataSpec(str(tmp_path)))
    on_disk = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(recs) == len(on_disk) == len(names)
    assert sorted(r.image_id for r in recs) == sorted(str(Path(n).with_suffix("")) for n in names)


def test_split_sub_folder_still_selects(tmp_path):
    _images(tmp_path, ["train/a.png", "train/train_b.png", "test/c.png", "test/sub/d.png", "top.png"])
    assert sorted(r.image_id for r in load_images(DataSpec(str(tmp_path), "train"))) == ["train/a", "train/train_b"]
    assert sorted(r.image_id for r in load_images(DataSpec(str(tmp_path), "test"))) == ["test/c", "test/sub/d"]
    assert len(load_images(DataSpec(str(tmp_path)))) == 5  # no split: everything
    with pytest.raises(UserError, match=r"no sub-folder 'validation'.*sub-folders: test, train"):
        load_images(DataSpec(str(tmp_path), "validation"))


def test_skipped_files_are_counted_and_named_by_reason(tmp_path, caplog):
    _images(tmp_path, ["a.png", "b.jpg"])
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / ".DS_Store").write_bytes(b"\0")          # hidden: left out, by the documented rule
    os.symlink(tmp_path / "gone.png", tmp_path / "dangling.png")
    files, skipped = folder_files(tmp_path)
    assert [f.name for f in files] == ["a.png", "b.jpg", "broken.png"]
    assert skipped == {"not an image": ["notes.txt"], "dangling link": ["dangling.png"]}
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path)))
    assert len(recs) == 2
    assert "3 of 5 files are image files" in caplog.text and "1 not an image: notes.txt" in caplog.text
    assert "1 dangling link: dangling.png" in caplog.text
    assert "loaded 2 of 3 image files; 1 unreadable" in caplog.text and "broken.png" in caplog.text


def test_a_folder_without_images_is_one_line(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match="holds no image file"):
        load_images(DataSpec(str(tmp_path)))


@pytest.mark.parametrize("name", ["CSet5", "CSet14", "Kodak24", "BSD200", "T91"])
def test_shared_folders_load_every_image(name):
    root = SHARED / name
    if not root.is_dir():
        pytest.skip(f"{root} not on this machine")
    exts = image_extensions()
    expected = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in exts]
    recs = load_images(DataSpec(str(root)))
    assert len(recs) == len(expected) > 0

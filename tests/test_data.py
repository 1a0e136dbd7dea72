"""Data loading: embedded set, imagefolder, save_to_disk, odd modes, corrupt files, hub ids offline."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from benchmark.data import EMBEDDED, DataSpec, load_images, mod_crop, pil_to_tensor, to_float, usable_for_crop
from benchmark.errors import UserError


def test_embedded_split_is_disjoint_and_fixed():
    train = {r.image_id for r in load_images(DataSpec("skimage", "train"))}
    test = {r.image_id for r in load_images(DataSpec("skimage", "test"))}
    assert train and test and not train & test
    assert train | test == set(EMBEDDED["skimage"])
    assert {"astronaut", "coffee", "chelsea", "immunohistochemistry"} == test
    for sub in ("skimage-natural", "skimage-medical"):  # the domain splits agree with the union
        assert {r.image_id for r in load_images(DataSpec(sub, "test"))} <= test
        assert {r.image_id for r in load_images(DataSpec(sub, "train"))} <= train


def test_embedded_images_are_rgb():
    for r in load_images(DataSpec("skimage", "test")):
        assert r.pixels.dtype == torch.uint8 and r.pixels.shape[0] == 3 and min(r.size) >= 256
    cell = next(r for r in load_images(DataSpec("skimage-medical", "train")) if r.image_id == "cell")
    assert torch.equal(cell.pixels[0], cell.pixels[2])  # greyscale replicated to RGB


def test_imagefolder_modes_and_corrupt_file(image_folder, caplog):
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(image_folder)))
    ids = {r.image_id for r in recs}
    assert ids == {"rgb", "grey", "rgba", "palette", "la", "deep16", "photo"}
    assert "broken.png" in caplog.text  # reported by name
    for r in recs:
        f = to_float(r.pixels)
        assert f.shape == (3, 40, 48) and f.dtype == torch.float32
        assert 0 <= float(f.min()) and float(f.max()) <= 1
    by_id = {r.image_id: r for r in recs}
    assert by_id["deep16"].pixels.dtype == torch.float32  # 16-bit keeps its precision
    grey = to_float(by_id["grey"].pixels)
    assert torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])
    assert torch.equal(by_id["rgba"].pixels, by_id["rgb"].pixels)  # alpha dropped, colours kept


def test_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    arr = np.zeros((20, 30, 3), dtype=np.uint8)
    arr[:, :10] = 255  # white band on the left
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    d = tmp_path / "exif"
    d.mkdir()
    img.save(d / "rot.jpg", exif=exif, quality=100)
    rec = load_images(DataSpec(str(d)))[0]
    assert rec.size == (30, 20)  # displayed upright: width and height swapped
    top = to_float(rec.pixels)[:, :5].mean()
    assert top > 0.8  # the band is now along the top


def test_i16_and_float_modes():
    from PIL import Image

    a16 = Image.fromarray(np.full((4, 5), 65535, dtype=np.uint16))
    assert torch.allclose(pil_to_tensor(a16), torch.ones(3, 4, 5))
    af = Image.fromarray(np.full((4, 5), 0.25, dtype=np.float32))
    assert torch.allclose(pil_to_tensor(af), torch.full((3, 4, 5), 0.25))
    cmyk = Image.new("CMYK", (5, 4), (0, 0, 0, 0))
    assert pil_to_tensor(cmyk).shape == (3, 4, 5)


def test_save_to_disk_roundtrip(image_folder, tmp_path):
    import datasets

    ds = datasets.load_dataset("imagefolder", data_dir=str(image_folder), split="train")
    # drop the corrupt file before saving: save_to_disk must hold decodable images
    ds = ds.cast_column("image", datasets.Image(decode=False))
    ds = ds.filter(lambda v: not v["path"].endswith("broken.png"), input_columns="image")
    ds = ds.cast_column("image", datasets.Image())
    out = tmp_path / "saved"
    datasets.DatasetDict({"train": ds}).save_to_disk(str(out))
    spec = DataSpec(str(out), "train")
    assert spec.kind == "saved"
    recs = load_images(spec)
    assert len(recs) == 7 and all(r.pixels.shape[0] == 3 for r in recs)


def test_folder_of_only_corrupt_files(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    for i in range(3):
        (d / f"x{i}.png").write_bytes(b"not a png")
    with pytest.raises(UserError, match="no readable image"):
        load_images(DataSpec(str(d)))


def test_hub_id_offline_fails_fast(no_network):
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("someone/no-such-dataset-xyz:train"))
    assert not no_network  # said at once: no lookup, no connection (nothing to wait for)
    msg = str(err.value)
    assert "\n" not in msg and "no-such-dataset-xyz" in msg


def test_missing_path_is_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_images(DataSpec(str(tmp_path / "nope")))


def test_spec_parsing():
    s = DataSpec.parse("owner/name@v1:validation#hr")
    assert (s.source, s.revision, s.split, s.image_column) == ("owner/name", "v1", "validation", "hr")
    assert str(s) == "owner/name@v1:validation#hr"
    assert DataSpec.parse("skimage:test") == DataSpec("skimage", "test")
    assert DataSpec.parse("skimage").kind == "embedded"


@pytest.mark.parametrize("text,match", [(":test", "names no source"), ("@main", "names no source"),
                                        ("#image", "names no source"), ("https://example.com/d.zip", "is a URL")])
def test_a_source_that_is_no_source_is_one_line(text, match, tmp_path, monkeypatch):
    """':test' alone read the cwd as an image folder; a URL read as the hub id 'https'."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=match) as err:
        DataSpec.parse(text)
    assert "\n" not in str(err.value)


def test_small_images_skipped_or_error(image_folder):
    recs = load_images(DataSpec(str(image_folder)))
    assert len(usable_for_crop(recs, 40, DataSpec("x"))) == len(recs)
    with pytest.raises(UserError, match="smaller than the 64 px crop"):
        usable_for_crop(recs, 64, DataSpec("x"))


def test_set5_loads_through_imagefolder(set5):
    recs = load_images(DataSpec(str(set5)))
    assert {r.image_id for r in recs} == {"baby", "bird", "butterfly", "head", "woman"}
    assert all(min(r.size) >= 200 for r in recs)


def test_mod_crop():
    x = torch.zeros(3, 13, 22)
    assert mod_crop(x, 8).shape == (3, 8, 16)

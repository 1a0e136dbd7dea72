"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 15)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import datasets  # imported once here, not inside the first test's time
import numpy as np
import pytest
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


def _png_cell(seed: int) -> dict:
    buf = io.BytesIO()
    Image.fromarray(_colour(seed)).save(buf, "PNG")
    return {"bytes": buf.getvalue(), "path": f"{seed}.png"}


def test_a_capped_copy_of_a_hub_dataset_reads_only_the_rows_it_needs(tmp_path):
    """``--max-train-images 3`` on a hub dataset's parquet shards (``huggingface-cli download`` copy, or a hub id,
    which downloads the same way) prepared the whole split — every shard converted into an Arrow copy in the
    datasets cache, hours and gigabytes for DIV2K-sized sets — to keep 3 images → the split is streamed and only its
    first rows read (the same images, in the same order, as before); a row that cannot be decoded among them is made
    up from the rows after it, as before."""

    root = tmp_path / f"copy-{tmp_path.name}"
    (root / "data").mkdir(parents=True)
    features = datasets.Features({"image": datasets.Image(), "label": datasets.Value("int64")})
    for shard in range(2):
        cells = [_png_cell(10 * shard + i) for i in range(6)]
        if shard == 0:
            cells[1] = {"bytes": b"not an image", "path": "1.png"}
        datasets.Dataset.from_dict({"image": cells, "label": list(range(6))}, features=features).to_parquet(
            str(root / "data" / f"train-0000{shard}-of-00002.parquet"))
    recs = load_images(DataSpec.parse(f"{root}:train", max_images=3))
    assert [r.image_id for r in recs] == ["0", "2", "3"]
    assert np.array_equal(recs[1].pixels.permute(1, 2, 0).numpy(), _colour(2))
    cache = Path(datasets.config.HF_DATASETS_CACHE)
    assert not list(cache.glob(f"{root.name}/**/*.arrow")), "the whole split was prepared in the datasets cache"
    assert [r.image_id for r in load_images(DataSpec.parse(f"{root}:train"))][-2:] == ["14", "15"]  # uncapped: all


def _photo() -> np.ndarray:
    """A real photograph (scikit-image's astronaut, 512 × 512), textured as the photos a user tests on."""
    from skimage import data as skdata

    return skdata.astronaut()


def _jpeg_folder(path: Path, images: dict[str, np.ndarray], quality: int = 85) -> str:
    path.mkdir()
    for name, arr in images.items():
        Image.fromarray(np.ascontiguousarray(arr)).save(path / f"{name}.jpg", quality=quality)
    return str(path)


def test_cropped_and_re_encoded_copies_across_train_and_test_are_warned_of(tmp_path, caplog):
    """A crop of a test photo saved again as JPEG in the training set (patches cut from a scraped copy), or a test
    image cropped from a training photo and saved again, were not found by the overlap check (only exact windows, or
    whole images re-encoded or resized) → both are named in planning's overlap warning, marked as re-encoded crops;
    an unrelated photo cropped the same way is not."""
    from skimage import data as skdata

    from benchmark.data import DataCache

    photo = _photo()
    other = skdata.chelsea()  # 300 × 451, another photo
    test = DataSpec.parse(_jpeg_folder(tmp_path / "mine", {"holiday": photo, "cat": other}, quality=95))
    train = DataSpec.parse(_jpeg_folder(tmp_path / "patches", {
        "p0": photo[37:237, 53:213], "p1": skdata.coffee()[20:220, 30:190], "p2": other[:, :200][::-1]}))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        both = DataCache().overlap((train,), (test,))
    assert both == ["mine/cat (1 training image cut from it, saved again, turned or mirrored)",  # p2: upside down
                    "mine/holiday (1 training image cut from it, saved again)"]  # (test_probe_data16)
    said = [r.getMessage() for r in caplog.records if "also training images" in r.getMessage()]
    assert len(said) == 1 and "re-encoded" in said[0]
    big = DataSpec.parse(_jpeg_folder(tmp_path / "big", {"photo": photo, "coffee": skdata.coffee()}))
    crop = DataSpec.parse(_jpeg_folder(tmp_path / "crops", {"c": photo[101:301, 75:331], "d": other[50:250, 99:300]}))
    assert DataCache().overlap((big,), (crop,)) == ["crops/c (cut from a training image, saved again)"]


def test_a_capped_copy_reads_a_struct_fields_image_as_the_whole_split_does(tmp_path):
    """Streamed for a cap, a split whose image is a struct's field (``#sample.img``) lost its image feature (the
    stream's undecoded one flattened into ``sample.img.bytes`` / ``.path``): 'has no column sample.img' → the rows
    taken keep the declared features, and the capped source reads the first images of the uncapped one."""
    root = tmp_path / "st"
    (root / "data").mkdir(parents=True)
    cells = [{"img": _png_cell(i), "cls": i} for i in range(4)]
    features = datasets.Features({"sample": {"img": datasets.Image(), "cls": datasets.Value("int64")}})
    datasets.Dataset.from_dict({"sample": cells}, features=features).to_parquet(
        str(root / "data" / "train-00000-of-00001.parquet"))
    whole = load_images(DataSpec.parse(f"{root}#sample.img"))
    capped = load_images(DataSpec.parse(f"{root}#sample.img", max_images=2))
    assert [r.image_id for r in capped] == [r.image_id for r in whole][:2] == ["0", "1"]
    assert all((a.pixels == b.pixels).all() for a, b in zip(capped, whole))


@pytest.mark.slow  # ~2 s: five photos decoded, two hold-outs drawn
def test_re_encoded_crops_in_a_folder_fall_on_one_side_of_its_hold_out(tmp_path, caplog):
    """A folder of one's photos holding a detail of a photo exported again as JPEG: [holdout=P%] put the detail and its
    photo on sides of their own (re-encoded crops were no near copies), so a held-out photo's detail was trained on →
    they are one image of the hold-out, as the overlap check now finds them: no share leaves one across."""
    from skimage import data as skdata

    from benchmark.data import DataCache

    photos = {"astronaut": skdata.astronaut(), "coffee": skdata.coffee(), "chelsea": skdata.chelsea(),
              "rocket": skdata.rocket(), "ihc": skdata.immunohistochemistry()}
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, arr in photos.items():
        half = np.asarray(Image.fromarray(arr).reduce(3))
        Image.fromarray(half).save(folder / f"{name}.png")
        if name in ("astronaut", "coffee", "chelsea"):
            Image.fromarray(np.ascontiguousarray(half[10:74, 15:95])).save(folder / f"{name}_detail.jpg", quality=85)
    data = DataCache()
    with caplog.at_level(logging.WARNING, "benchmark.data"):
        for share in (40, 60):
            train = DataSpec.parse(f"{folder}[holdout={share}%]", role="train")
            test = DataSpec.parse(f"{folder}[holdout={share}%]", role="test")
            held = {r.image_id for r in data.images(test)}
            assert len(held | {r.image_id for r in data.images(train)}) == 8
            for name in ("astronaut", "coffee", "chelsea"):
                assert (name in held) == (f"{name}_detail" in held), (share, name)
            assert data.overlap((train,), (test,)) == [], share
    assert "also a training image" not in caplog.text and "also training images" not in caplog.text


def test_a_capped_hub_id_the_hub_cannot_serve_fails_once_not_streamed_then_loaded(monkeypatch):
    """Online, a capped hub id is streamed first (80b8957); where the hub could not be reached, or the id was not
    there, that attempt's error was logged and the whole split's load asked the hub again — an unreachable hub's
    retries waited twice before the one-line error → an error the whole load would meet too is raised at once, in the
    same one line."""
    import datasets as ds_module
    from huggingface_hub import constants

    from benchmark.errors import UserError

    calls = []

    def unreachable(*args, **kwargs):
        calls.append(kwargs.get("streaming", False))
        raise ConnectionError("Couldn't reach 'someone/photos' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(ds_module.config, "HF_HUB_OFFLINE", False)  # online for datasets too
    monkeypatch.setattr(ds_module, "load_dataset", unreachable)
    with pytest.raises(UserError, match=r"not cached and the hub cannot be reached") as err:
        load_images(DataSpec.parse("someone/photos:train", max_images=4))
    assert calls == [True] and "\n" not in str(err.value)

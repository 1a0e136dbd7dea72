"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 16)."""

from __future__ import annotations

import logging
from pathlib import Path

import datasets  # noqa: F401  (imported once here, not inside the first test's time)
import numpy as np
import pytest
import skimage.io  # noqa: F401  (skdata.astronaut() imports it: once here, not inside the first test's time)
from PIL import Image
from skimage import data as skdata

from benchmark.data import DataCache, DataSpec, load_images


def _jpeg_folder(path: Path, images: dict[str, np.ndarray], quality: int = 85) -> str:
    path.mkdir()
    for name, arr in images.items():
        Image.fromarray(np.ascontiguousarray(arr)).save(path / f"{name}.jpg", quality=quality)
    return str(path)


@pytest.mark.slow  # ~0.6 s on idle cores, over 1 s on a busy machine: ten JPEGs decoded, two overlap checks
def test_turned_or_mirrored_crops_saved_again_are_warned_of_both_ways(tmp_path, caplog):
    """A training set saved with its augmentations (a test photo's patches turned by 90° or mirrored, then saved as
    JPEG), or a test image cut from a training photo, turned and saved again, passed the overlap check (re-encoded
    crops were looked for upright only) → found the eight ways and marked so; an unrelated photo's crop (coffee) is not.
    """
    photo, other, coffee = skdata.astronaut()[::2, ::2], skdata.chelsea()[::2, ::2], skdata.coffee()[::2, ::2]
    test = DataSpec.parse(_jpeg_folder(tmp_path / "mine", {"holiday": photo, "cat": other}, quality=95))
    train = DataSpec.parse(_jpeg_folder(tmp_path / "patches", {
        "p0": np.rot90(photo[18:118, 26:106]), "p1": coffee[10:110, 15:95], "p2": other[:, :100][::-1]}))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        both = DataCache().overlap((train,), (test,))
    assert both == ["mine/cat (1 training image cut from it, saved again, turned or mirrored)",  # upside down
                    "mine/holiday (1 training image cut from it, saved again, turned or mirrored)"]
    said = [r.getMessage() for r in caplog.records if "also training images" in r.getMessage()]
    assert len(said) == 1 and "re-encoded" in said[0] and "turned or mirrored" in said[0]
    big = DataSpec.parse(_jpeg_folder(tmp_path / "big", {"photo": photo, "coffee": coffee}))
    crops = DataSpec.parse(_jpeg_folder(tmp_path / "crops", {
        "c": photo[50:150, 37:165][:, ::-1], "d": other[25:125, 50:150], "e": np.rot90(photo[20:100, 150:240], 3)}))
    assert DataCache().overlap((big,), (crops,)) == [
        "crops/c (cut from a training image, saved again, turned or mirrored)",
        "crops/e (cut from a training image, saved again, turned or mirrored)"]


def _frames_and_photos(n: int, photos: int) -> list:
    """``n`` frames of a clip (each a near copy of the one before, the first and last far apart: a hold-out takes
    several rounds to put them on one side), then ``photos`` other photos (tiles of scikit-image's)."""
    import torch

    from benchmark.data import ImageRecord

    rng = np.random.default_rng(2)
    base, out = skdata.astronaut()[::4, ::4].astype(np.float32), []
    walk = np.zeros_like(base)
    for i in range(n):
        walk += rng.normal(0, 2.0, walk.shape).astype(np.float32)
        px = np.clip(base + walk, 0, 255).astype(np.uint8)
        out.append(ImageRecord(f"f{i:02d}", torch.from_numpy(px.transpose(2, 0, 1).copy())))
    tiles = [a[y:y + 96, x:x + 128] for a in (skdata.coffee(), skdata.chelsea(), skdata.rocket())
             for y in (0, 100, 200) for x in (0, 150, 300)]
    for i, t in enumerate(tiles[:photos]):
        out.append(ImageRecord(f"p{i:02d}", torch.from_numpy(np.ascontiguousarray(t.transpose(2, 0, 1)))))
    return out


@pytest.mark.slow  # ~1.5 s: a hold-out of 28 images drawn twice, with and without the memo
def test_a_hold_out_s_rounds_key_each_image_for_re_encoded_crops_once(monkeypatch):
    """holdout_split draws the split again after each near copy joined across it, and the re-encoded crop check
    (_reencoded_crops) keyed every image's block means again each round (a clip of frames and 200 photos: 43 rounds,
    47 of the split's 77 s there) → each image's index and look-up keys are made once for all rounds (the near-copy
    memo's); the same split as each round on its own."""
    import hashlib

    import benchmark.data as bd

    whole = _frames_and_photos(12, 16)
    keyed = []
    for name in ("_indexed_grid_keys", "_look_up_keys", "_grid_keys"):
        if not hasattr(bd, name):  # the code before this test kept neither
            continue

        def counted(px, *a, _f=getattr(bd, name), _name=name):  # noqa: B008 (the function patched, bound now)
            keyed.append((_name, hashlib.sha1(np.ascontiguousarray(px).tobytes()).hexdigest(), np.shape(px), a[:1]
                          if _name != "_grid_keys" else ()))
            return _f(px, *a)
        monkeypatch.setattr(bd, name, counted)
    rounds = []
    pairs = bd.near_copy_pairs
    monkeypatch.setattr(bd, "near_copy_pairs", lambda *a: rounds.append(1) or pairs(*a))
    held = bd.holdout_split(whole, 10.0)
    assert len(rounds) > 2 and sum(held[:12]) in (0, 12)  # the clip on one side, found in several rounds
    made = [k for k in keyed if k[0] != "_grid_keys"]
    assert made and len(made) == len(set(made))  # each image's index and look-up keys made once
    once = sum(k[0] == "_grid_keys" for k in keyed)
    keyed.clear()
    monkeypatch.setattr(bd, "near_copy_pairs", lambda train, test, memo=None: pairs(train, test))
    assert bd.holdout_split(whole, 10.0) == held  # each round on its own: the same answer
    assert 2 * once < sum(k[0] == "_grid_keys" for k in keyed)


def test_an_imagefolder_s_caption_metadata_is_not_warned_of_as_a_misnamed_image(tmp_path, caplog):
    """A Hugging Face imagefolder (images + metadata.jsonl/.csv of captions or labels: the layout its docs teach) was
    read whole, as it should be, but every load warned 'N of N+1 files are image files; skipped 1 not an image:
    metadata.jsonl', as if a photo were misnamed → its metadata files are passed over unsaid, as the pairing
    metadata files are; a real non-image is still named."""
    import json

    for i in range(3):
        Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    (tmp_path / "metadata.jsonl").write_text("".join(json.dumps({"file_name": f"{i}.png", "text": "a cat"}) + "\n"
                                                     for i in range(3)))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "metadata.csv").write_text("file_name,label\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path)))] == ["0", "1", "2"]
    assert "not an image" not in caplog.text
    (tmp_path / "notes.docx").write_bytes(b"PK")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        load_images(DataSpec.parse(str(tmp_path)))
    said = [r.getMessage() for r in caplog.records if "not an image" in r.getMessage()]
    assert len(said) == 1 and "3 of 4 files" in said[0] and "notes.docx" in said[0] and "metadata" not in said[0]


def test_a_table_of_file_urls_is_read_as_the_local_paths_they_are(tmp_path):
    """A CSV/JSONL of paths written as file:// URLs (pathlib's as_uri(), a photo manager's or a labelling tool's export,
    spaces as %20) was refused row by row, 'a URL: images are not downloaded here', and the source as holding no
    readable image → a file URL is its local path (a source given as one too); a file URL that is not there is
    named, as a missing path is."""
    folder = tmp_path / "my photos"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((16, 16, 3), 60 * i, np.uint8)).save(folder / f"ph ö{i}.png")
    uris = [(folder / f"ph ö{i}.png").as_uri() for i in range(2)]  # file:///…/my%20photos/ph%20%C3%B60.png
    (tmp_path / "list.csv").write_text("path\n" + "".join(f"{u}\n" for u in uris) + f"file://{folder}/gone.png\n")
    recs = load_images(DataSpec.parse(str(tmp_path / "list.csv")))
    assert [r.image_id for r in recs] == ["ph ö0", "ph ö1"] and int(recs[1].pixels.max()) == 60
    assert [r.image_id for r in load_images(DataSpec.parse(folder.as_uri()))] == ["ph ö0", "ph ö1"]  # the folder
    (tmp_path / "gone.csv").write_text(f"path\nfile://{folder}/gone.png\n")
    with pytest.raises(Exception, match=r"no such file: .*gone\.png"):
        load_images(DataSpec.parse(str(tmp_path / "gone.csv")))


def test_the_turned_crop_check_holds_no_turned_copy_of_the_test_images(monkeypatch):
    """The turned re-encoded crop check (this session's) turned every test image the eight ways and held all the
    copies at once: a set of 100 2K photos (DIV2K's validation set, 0.9 GB decoded) took 6 GB more while it ran → the
    turnings are views of the images' pixels; at most a candidate's window is copied to be compared."""
    import torch

    import benchmark.data as bd

    photo = np.ascontiguousarray(skdata.astronaut()[::2, ::2])
    test = {None: [bd.ImageRecord("holiday", torch.from_numpy(np.ascontiguousarray(photo.transpose(2, 0, 1))))]}
    patch = np.ascontiguousarray(np.rot90(photo[50:150, 100:180]).transpose(2, 0, 1))
    train = [bd.ImageRecord("p0", torch.from_numpy(patch))]
    turned = []
    for name in ("rot90", "flip"):
        def counted(x, *a, _f=getattr(torch, name), **k):  # noqa: B008 (the function patched, bound now)
            out = _f(x, *a, **k)
            turned.append(out.numel())
            return out
        monkeypatch.setattr(torch, name, counted)
    found = bd._reencoded_both_ways(train, test, {None: "mine"}, set())
    assert found == ["mine/holiday (1 training image cut from it, saved again, turned or mirrored)"]
    assert sum(turned) < photo.size  # no whole turned copy of the test image


@pytest.mark.parametrize("on_disk, in_table", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_table_names_a_file_whose_accents_are_composed_otherwise_on_disk(tmp_path, on_disk, in_table):
    """A folder copied from a Mac holds 'café.png' decomposed (e + U+0301) while a CSV written elsewhere names it
    composed (or the other way): every row was 'no such file: photos/café.png' — a name the user sees in the folder —
    and the source refused → a path not found as written is looked for in the other Unicode form; its id is the
    composed name, as a folder's ids are."""
    import unicodedata

    (tmp_path / "photos").mkdir()
    name = unicodedata.normalize(on_disk, "café crème")
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(tmp_path / "photos" / f"{name}.png")
    (tmp_path / "list.csv").write_text(f"path\nphotos/{unicodedata.normalize(in_table, 'café crème')}.png\n")
    (tmp_path / "abs.txt").write_text(f"{tmp_path}/photos/{unicodedata.normalize(in_table, 'café crème')}.png\n")
    for table in ("list.csv", "abs.txt"):
        recs = load_images(DataSpec.parse(str(tmp_path / table)))
        assert [r.image_id for r in recs] == [unicodedata.normalize("NFC", "café crème")]
        assert int(recs[0].pixels.max()) == 90


@pytest.mark.parametrize("on_disk, typed", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_source_folder_typed_with_its_accents_composed_otherwise_is_read(tmp_path, on_disk, typed):
    """--train-data 'Vacances été' (typed or pasted composed) for a folder copied from a Mac (its name decomposed on
    disk), or the other way: 'dataset folder not found: …/Vacances été; did you mean …/Vacances été?', the same name
    to the eye → the folder is read, as its name on disk; its images' ids as before."""
    import unicodedata

    folder = tmp_path / unicodedata.normalize(on_disk, "Vacances été")
    folder.mkdir()
    Image.fromarray(np.full((16, 16, 3), 30, np.uint8)).save(folder / "a.png")
    spec = DataSpec.parse(str(tmp_path / unicodedata.normalize(typed, "Vacances été")))
    assert spec.source == str(folder) and [r.image_id for r in load_images(spec)] == ["a"]

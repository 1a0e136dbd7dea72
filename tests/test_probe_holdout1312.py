"""SOURCE[holdout=P%], probed as a researcher splitting a folder of their own photos would (session 13)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from PIL import Image

from benchmark.data import DataCache, DataSpec, ImageRecord, holdout_part, holdout_split, upright_hash


def _records(n: int, seed: int = 0, side: int = 8) -> list[ImageRecord]:
    """``n`` distinct tiny images (3, side, side) uint8, ids p000…"""
    rng = np.random.default_rng(seed)
    return [ImageRecord(f"p{i:03d}", torch.from_numpy(rng.integers(0, 256, (3, side, side), dtype=np.uint8)))
            for i in range(n)]


def _parts(whole: list[ImageRecord], share: float) -> tuple[list[ImageRecord], list[ImageRecord]]:
    """Both parts of ``whole``'s hold-out, each image keyed once and the split drawn once (as DataCache does)."""
    keys = {id(r): upright_hash(r.pixels) for r in whole}
    spec = DataSpec("x", holdout=(share, "test"))
    held = holdout_split(whole, share, lambda r: keys[id(r)], spec)
    test = holdout_part(spec, whole, held=held)
    train = holdout_part(DataSpec("x", holdout=(share, "train")), whole, held=held)
    return test, train


@pytest.mark.parametrize("n", [2, 3, 10, 200])
def test_a_hold_out_holds_out_exactly_its_share_of_the_images(n):
    """Each image's side was drawn from its own pixel hash alone, so the held-out share was only roughly P % (BSD200
    at 10 %: 23 of 200 held out; a 10-image folder held out nothing about a third of the time, an error) → exactly
    k = round(P % × N) images held out, at least 1, at most N − 1; the rest trained on, in the source's order."""
    whole = _records(n, seed=n)
    for share in (1, 5, 10, 25, 33.33, 50, 90, 99.99):
        test, train = _parts(whole, share)
        want = min(n - 1, max(1, int(share * n / 100 + 0.5)))
        assert len(test) == want, (n, share)
        assert {r.image_id for r in test} | {r.image_id for r in train} == {r.image_id for r in whole}
        assert not {r.image_id for r in test} & {r.image_id for r in train}
        assert [r.image_id for r in train] == [r.image_id for r in whole if r not in test]


def test_a_hold_out_does_not_depend_on_file_order_or_names():
    """The same photos read in another order (a copied folder, another file system) or renamed: the same pixels
    held out."""
    whole = _records(40, seed=1)
    held = {bytes(r.pixels.numpy()) for r in _parts(whole, 10)[0]}
    shuffled = whole[:]
    random.Random(3).shuffle(shuffled)
    renamed = [ImageRecord(f"IMG_{i}", r.pixels) for i, r in enumerate(shuffled)]
    for other in (shuffled, renamed):
        assert {bytes(r.pixels.numpy()) for r in _parts(other, 10)[0]} == held


def test_copies_of_an_image_fall_on_one_side_and_count_once():
    """A photo saved twice in a folder must not be tested on and trained on at once: copies share a side, and the
    share is of the distinct images."""
    whole = _records(10, seed=2)
    copies = whole + [ImageRecord(f"{r.image_id}_copy", r.pixels.clone()) for r in whole[:5]]
    test, train = _parts(copies, 20)
    pixels = {bytes(r.pixels.numpy()) for r in test}
    assert len(pixels) == 2 and not pixels & {bytes(r.pixels.numpy()) for r in train}


def test_adding_one_image_moves_at_most_one_other_across():
    whole = _records(60, seed=4)
    for share in (10, 30):
        before = {r.image_id for r in _parts(whole[:-1], share)[0]}
        after = {r.image_id for r in _parts(whole, share)[0]} - {whole[-1].image_id}
        assert len(before ^ after) <= 1


def test_a_ten_image_folder_s_hold_out_reads_back_and_is_the_same_when_copied_and_renamed(tmp_path):
    """Through the cache as plbench run reads it: 1 of 10 photos held out, whatever the folder or its files are
    named; each part's token reads back as the spec it was written from."""
    rng = np.random.default_rng(7)
    photos = [rng.integers(0, 256, (12, 16, 3), dtype=np.uint8) for _ in range(10)]
    held = []
    for folder, names in ((tmp_path / "mine", [f"p{i}.png" for i in range(10)]),
                          (tmp_path / "copy", [f"z{9 - i}.png" for i in range(10)])):
        folder.mkdir()
        for name, px in zip(names, photos):
            Image.fromarray(px).save(folder / name)
        test = DataSpec.parse(f"{folder}[holdout=10%]", role="test")
        train = DataSpec.parse(f"{folder}[holdout=10%]", role="train")
        assert DataSpec.parse(test.token()) == test and DataSpec.parse(train.token()) == train
        cache = DataCache()
        got = cache.images(test)
        assert len(got) == 1 and len(cache.images(train)) == 9
        held.append(bytes(got[0].pixels.numpy()))
    assert held[0] == held[1]


def test_a_hold_out_of_one_distinct_image_is_refused_in_one_line():
    whole = _records(1) + [ImageRecord("again", _records(1)[0].pixels.clone())]
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"x\[holdout=10%:test\]: a hold-out needs at least 2 distinct images"):
        _parts(whole, 10)


def test_turned_and_mirrored_copies_of_an_image_fall_on_one_side(monkeypatch):
    """A set saved with its augmentations (each photo beside its copy turned by 90° and its mirror image, as many
    downloaded sets are) was split image by image, so a held-out photo's turned copy was trained on — the very
    overlap plbench warns of ('also training images … turned or mirrored') → an image and its seven turnings count
    as one and fall on one side, and no test image of the hold-out is a training image."""
    base = _records(10, seed=5, side=12)
    base = [ImageRecord(r.image_id, r.pixels[:, :, :9].clone()) for r in base]  # not square: a turning changes it
    augmented = [ImageRecord(f"{r.image_id}_{how}", px.contiguous()) for r in base
                 for how, px in (("", r.pixels), ("rot", torch.rot90(r.pixels, 1, (1, 2))),
                                 ("flip", r.pixels.flip(-1)), ("rotflip", torch.rot90(r.pixels.flip(-2), 3, (1, 2))))]
    random.Random(1).shuffle(augmented)
    test, train = _parts(augmented, 30)
    groups = {r.image_id.split("_")[0] for r in test}
    assert len(groups) == 3 and len(test) == 12
    assert not groups & {r.image_id.split("_")[0] for r in train}
    import benchmark.data as data_mod

    monkeypatch.setattr(data_mod, "load_images", lambda spec: augmented)  # the folder, decoded
    cache = DataCache()
    te, tr = DataSpec("x", holdout=(30.0, "test")), DataSpec("x", holdout=(30.0, "train"))
    assert {r.image_id for r in cache.images(te)} == {r.image_id for r in test}
    assert cache.overlap((tr,), (te,)) == []


@pytest.mark.slow  # an encoder pretrained (2 steps) and probed twice: ~10 s on a busy core
def test_pretrain_takes_a_hold_out_s_parts_by_their_roles(tmp_path, capsys):
    """`plbench pretrain --data mine[holdout=25%] --probe mine[holdout=25%]` (self-train on one's photos, probe on the
    held-out ones, as `run` takes the same text for --train-data and --test-data) was refused: 'name the part …, or
    give it as --test-data or --train-data', options pretrain has not → --data reads the training part, --probe the
    held-out one, each named by its part."""
    from benchmark.cli import main

    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(9)
    for i in range(8):
        Image.fromarray(rng.integers(0, 256, (72, 80, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    assert main(["pretrain", "--data", f"{folder}[holdout=25%]", "--steps", "2", "--batch-size", "4", "--crop", "32",
                 "--out-dir", str(tmp_path / "enc"), "--device", "cpu", "--probe", f"{folder}[holdout=25%]",
                 "--probe-random-seeds", "1", "-q"]) == 0
    out = capsys.readouterr().out
    assert f"probe: distortion type × level on {folder}[holdout=25%:test] (2 held-out images" in out
    assert "mine[holdout=25%-train]" in out  # the encoder's file names the part it was trained on


def test_a_framed_photo_is_hashed_once_to_find_its_upright_turning(monkeypatch):
    """A letterboxed scan or a screenshot (a uniform frame) has the same border in all eight turnings, and each was
    hashed whole to choose among them (8 hashes of a 12 MP image per hold-out) → ties are broken at a grid of its
    pixels first; the key is still one for the photo and its turned copies."""
    import benchmark.data as data_mod

    rng = np.random.default_rng(3)
    px = torch.from_numpy(rng.integers(0, 256, (3, 60, 90), dtype=np.uint8))
    px[:, :6], px[:, -6:], px[:, :, :6], px[:, :, -6:] = 0, 0, 0, 0
    want = {data_mod.upright_hash(px)}
    calls = []
    real = data_mod.image_hash
    monkeypatch.setattr(data_mod, "image_hash", lambda p: calls.append(1) or real(p))
    for k, v in enumerate((px, torch.rot90(px, 1, (1, 2)), px.flip(-1), torch.rot90(px, 3, (1, 2)).flip(-2))):
        calls.clear()
        want.add(data_mod.upright_hash(v.contiguous(), real(v.contiguous())))
        assert len(calls) <= 1, k
    assert len(want) == 1

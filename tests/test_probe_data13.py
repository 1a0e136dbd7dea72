"""Data inputs, probed as a researcher with a folder of their own photos would hit them (session 13)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmark.config import GridSpec, build_configs
from benchmark.data import DataCache
from benchmark.errors import UserError


def _folder(path, n: int, side: int = 24, seed: int = 0) -> str:
    """``n`` distinct random PNG photos of ``side``² px in a new folder ``path``."""
    path.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path / f"p{i:02d}.png")
    return str(path)


def _plan(train, test, data=None):
    return build_configs(GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu",
                                  iterations=2, crop=16, batch_size=2, budget_check=False, train_data=tuple(train),
                                  test_data=tuple(test)), data or DataCache())


@pytest.mark.parametrize("train, test", [
    ("{f}[holdout=10%]", "{f}[holdout=20%]"),  # the 10–20 % band: held out by the test, trained on by the training
    ("{f}[holdout=20%]", "{f}[holdout=10%]"),
    ("{f}", "{f}[holdout=10%]"),               # the whole folder trained on, its held-out part tested
    ("{f}[holdout=10%]", "{f}"),               # the whole folder tested, its training part trained on
    ("{f}[holdout=10%:test]", "{f}[holdout=10%]"),  # the held-out part trained on
])
def test_hold_out_parts_that_overlap_are_refused_when_the_grid_is_planned(tmp_path, train, test):
    """`--train-data mine[holdout=10%] --test-data mine[holdout=20%]` (a share changed on one side only) planned and
    trained, the images ranked 10–20 % tested and trained on, said only by the overlap warning among planning's lines
    → refused in one line before anything is decoded, naming both and the form that splits the source in two."""
    f = _folder(tmp_path / "mine", 20)
    with pytest.raises(UserError, match=r"mine.* and .*mine.* (overlap|split one source in two places).*the same "
                                        r".*\[holdout=\d+%\] as --train-data "
                                        r"and --test-data"):
        _plan([train.format(f=f)], [test.format(f=f)])


def test_pretrain_refuses_a_probe_that_overlaps_its_data_before_it_trains(tmp_path, monkeypatch, capsys):
    """`plbench pretrain --data mine[holdout=10%] --probe mine[holdout=20%]` pretrained (17 min on BSD200) and then
    probed quality awareness on images it had trained on, unsaid → refused in one line before pretraining."""
    import benchmark.pretrain
    from benchmark.cli import main

    f = _folder(tmp_path / "mine", 20)
    monkeypatch.setattr(benchmark.pretrain, "pretrain", lambda *a, **k: pytest.fail("pretrained"))
    assert main(["pretrain", "--data", f"{f}[holdout=10%]", "--probe", f"{f}[holdout=20%]", "--steps", "2",
                 "--out-dir", str(tmp_path / "enc"), "--device", "cpu", "-q"]) != 0
    err = capsys.readouterr().err
    assert "--data" in err and "--probe" in err and "overlap (hold-outs of 10% and 20%" in err
    assert len(err.strip().splitlines()) == 1


def _smooth(rng, h: int, w: int) -> np.ndarray:
    """A photo-like (h, w, 3) uint8 image: a random 4×4 colour field, resized smoothly, plus fine detail."""
    field = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    return np.clip(np.asarray(field, np.int16) + rng.integers(-12, 13, (h, w, 3)), 0, 255).astype(np.uint8)


def test_near_copies_in_a_folder_fall_on_one_side_of_its_hold_out(tmp_path, caplog):
    """A folder of one's photos holds the same photo saved again (a PNG beside its JPEG export), resized (a web-size
    copy) or cropped: [holdout=P%] put each on a side by its own pixels, so a held-out photo's copy was trained on (the
    overlap warning then named it; the user could only delete files) → near-copies, as the overlap check finds them,
    are one image of the hold-out and fall on one side: no share leaves a copy across."""
    import logging

    from benchmark.data import DataSpec

    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i in range(12):
        photo = _smooth(rng, 48, 64)
        Image.fromarray(photo).save(folder / f"p{i:02d}.png")
        if i % 4 == 0:
            Image.fromarray(photo).save(folder / f"p{i:02d}_export.jpg", quality=90)
        elif i % 4 == 1:
            Image.fromarray(photo).resize((32, 24), Image.BOX).save(folder / f"p{i:02d}_web.png")
        elif i % 4 == 2:
            Image.fromarray(photo[8:40, 16:56]).save(folder / f"p{i:02d}_crop.png")
    data = DataCache()
    with caplog.at_level(logging.WARNING, "benchmark.data"):
        for share in (10, 30, 50):
            train = DataSpec.parse(f"{folder}[holdout={share}%]", role="train")
            test = DataSpec.parse(f"{folder}[holdout={share}%]", role="test")
            assert data.overlap((train,), (test,)) == [], share
            held = {r.image_id for r in data.images(test)}
            trained = {r.image_id for r in data.images(train)}
            assert not held & trained and len(held | trained) == 21
            for i in range(12):  # each copy on its photo's side
                copy = {0: "_export", 1: "_web", 2: "_crop", 3: ""}[i % 4]
                assert (f"p{i:02d}" in held) == (f"p{i:02d}{copy}" in held), (share, i)
    assert "also a training image" not in caplog.text and "also training images" not in caplog.text


def test_the_two_parts_of_one_hold_out_are_planned_whichever_side_reads_which(tmp_path):
    """The parts of one share are apart whichever is trained on: `X[holdout=10%]` on both sides, or, named so, the
    held-out part trained on and the rest tested."""
    f = _folder(tmp_path / "mine", 20)
    for train, test in ((f"{f}[holdout=10%]", f"{f}[holdout=10%]"),
                        (f"{f}[holdout=10%:test]", f"{f}[holdout=10%:train]")):
        configs, _, _ = _plan([train], [test])
        assert {r.image_id for r in DataCache().images(configs[0].train_data[0])}.isdisjoint(
            r.image_id for r in DataCache().images(configs[0].test_data[0]))


def _lfs_pointer(path) -> None:
    path.write_text("version https://git-lfs.github.com/spec/v1\n"
                    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 482213\n")


def test_git_lfs_pointers_cloned_in_place_of_images_are_named_so(tmp_path, caplog):
    """A dataset repository cloned without Git LFS (`git clone` of a hub or GitHub dataset, git-lfs not installed)
    holds a 130-byte text pointer under each image's name: every one was 'not an image file (no image format's
    signature)', a dead end → named as a Git LFS pointer, with what fetches the images."""
    import logging

    from benchmark.data import DataSpec, load_images

    folder = tmp_path / "cloned"
    folder.mkdir()
    for i in range(3):
        _lfs_pointer(folder / f"p{i}.png")
    with pytest.raises(UserError, match=r"every one: a Git LFS pointer file, not the image \(cloned without Git LFS\): "
                                        r"run 'git lfs pull' in its repository"):
        load_images(DataSpec.parse(str(folder), role="test"))
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / "real.png")
    with caplog.at_level(logging.WARNING, "benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(folder), role="test"))] == ["real"]
    assert "p0.png: a Git LFS pointer file" in caplog.text


@pytest.mark.parametrize("layout", ["table", "data files", "saved"])
def test_a_table_shards_or_saved_dataset_cloned_as_git_lfs_pointers_are_named_so(tmp_path, layout):
    """The same clone of a dataset of parquet or arrow files: 'Parquet magic bytes not found in footer. Either the file
    is corrupted or this is not a parquet file.' → the pointer named, with what fetches the data."""
    from benchmark.data import DataSpec, load_images

    if layout == "table":
        source = tmp_path / "photos.parquet"
        _lfs_pointer(source)
    elif layout == "data files":
        source = tmp_path / "clone"
        (source / "data").mkdir(parents=True)
        for split in ("train", "test"):
            _lfs_pointer(source / "data" / f"{split}-00000-of-00001.parquet")
    else:
        import datasets

        source = tmp_path / "saved"
        datasets.Dataset.from_dict({"image": [np.zeros((8, 8, 3), np.uint8)]}).save_to_disk(str(source))
        _lfs_pointer(next(source.glob("*.arrow")))
    with pytest.raises(UserError, match=r"Git LFS pointer file, not the (table|data) \(cloned without Git LFS\): run "
                                        r"'git lfs pull' in its repository"):
        load_images(DataSpec.parse(str(source), role="train"))


def test_a_long_decoding_says_how_far_it_has_come(tmp_path, monkeypatch, caplog):
    """Planning decodes every image of every source before anything else: DIV2K's 800 photos (the standard profile's
    data where ../shared/datasets is absent) or a folder of a few thousand photos took minutes on 2 cores without a
    line after the command, as if hung → every DECODE_REPORT_S seconds a line says how many of the source's images
    are read, and for how long; a source read within that time says nothing more."""
    import logging

    import benchmark.data as data_mod
    from benchmark.data import DataSpec, load_images

    folder = _folder(tmp_path / "many", 6, side=8)
    with caplog.at_level(logging.INFO, "benchmark.data"):
        load_images(DataSpec.parse(folder, role="train"))
        assert "images read" not in caplog.text
        monkeypatch.setattr(data_mod, "DECODE_REPORT_S", 0.0)
        load_images(DataSpec.parse(folder, role="train"))
    said = [r.getMessage() for r in caplog.records if "images read" in r.getMessage()]
    assert [m.split(": ", 1)[1].split(" (")[0] for m in said] == [f"{n} of 6 images read" for n in range(1, 6)]
    assert all(m.startswith(f"{folder}: ") and m.endswith(" s)") for m in said)


def test_a_hub_id_s_hold_outs_overlap_whether_its_train_split_is_named_or_not():
    """`--train-data user/set[holdout=10%] --test-data user/set:train[holdout=20%]`: one split (a hub id's default is
    'train'), two spellings, so the check took them for two sources and planned the overlap → refused as one."""
    from benchmark.data import DataSpec, check_holdouts

    train = [DataSpec.parse("user/set[holdout=10%]", role="train")]
    with pytest.raises(UserError, match=r"overlap \(hold-outs of 10% and 20%"):
        check_holdouts(train, [DataSpec.parse("user/set:train[holdout=20%]", role="test")])
    check_holdouts(train, [DataSpec.parse("user/set:test[holdout=20%]", role="test")])  # another split: apart

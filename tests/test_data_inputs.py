"""Awkward data inputs load, or fail in one line that says what is wrong: images too small for any
task, saved datasets (splits, revisions, empty, damaged, look-alikes), paths that are files, missing
or hold '#', '@' or ':', folder links that loop, ids of same-named files, odd cells, and overlap
between training and test data."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import (
    MIN_IMAGE_SIDE,
    DataCache,
    DataSpec,
    dataset_names,
    load_images,
    pil_to_tensor,
    to_float,
)
from benchmark.errors import UserError


def _png(path: Path, h: int, w: int, seed: int = 0) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def _saved(tmp_path: Path, name: str, splits: dict[str, int] | None = None, n: int = 2) -> Path:
    """A saved Dataset of ``n`` images (``splits`` None) or a DatasetDict {split: n images}."""
    import datasets

    def make(k: int, seed: int):
        files = [str(_png(tmp_path / f"src_{name}_{seed}" / f"im{i}.png", 16, 24, seed * 10 + i)) for i in range(k)]
        return datasets.Dataset.from_dict({"image": files}, features=datasets.Features({"image": datasets.Image()}))

    out = tmp_path / name
    if splits is None:
        make(n, 0).save_to_disk(str(out))
    else:
        datasets.DatasetDict({s: make(k, i + 1) for i, (s, k) in enumerate(splits.items())}).save_to_disk(str(out))
    return out


# --- 1. images under 8 px on a side -----------------------------------------------------------
def test_min_image_side_is_what_tasks_and_crops_need():
    from benchmark.config import MIN_CROP
    from benchmark.runner import TEST_MULTIPLE

    assert MIN_IMAGE_SIDE == TEST_MULTIPLE == MIN_CROP


def test_images_too_small_for_every_task_are_skipped_by_name(tmp_path, caplog):
    from benchmark.registry import TASKS
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    for h, w in ((1, 1), (5, 7), (7, 30), (8, 8), (9, 9), (12, 16)):
        _png(tmp_path / "d" / f"s{h}x{w}.png", h, w)
    spec = DataSpec(str(tmp_path / "d"))
    with caplog.at_level(logging.WARNING):
        recs = load_images(spec)
    # loaded and named, for a task with modcrop=true to test on (tests/test_probe_data24.py); cut to 8 px, left out
    assert {r.image_id for r in recs} == {"s1x1", "s5x7", "s7x30", "s8x8", "s9x9", "s12x16"}
    assert all(f"s{h}x{w}.png" in caplog.text for h, w in ((1, 1), (5, 7), (7, 30)))
    assert "smaller than 8 px" in caplog.text
    for name in TASKS.names():  # every task degrades what is left (jpeg segfaulted, others raised on 0×0)
        items = held_out_items(build_task(name), {spec: recs})
        assert len(items) == 3 and all(min(it.degraded.shape[-2:]) >= 8 for it in items), name


def test_a_source_of_only_tiny_images_is_one_line(tmp_path):
    """Loaded (a modcrop=true task tests on them: tests/test_probe_data25.py); training on them: one line naming."""
    from benchmark.data import usable_for_crop

    for h, w in ((1, 1), (3, 3), (5, 7)):
        _png(tmp_path / f"s{h}x{w}.png", h, w)
    spec = DataSpec(str(tmp_path))
    with pytest.raises(UserError) as err:
        usable_for_crop(load_images(spec), 8, spec)
    assert "smaller than 8 px on a side" in _one_line(err) and "s5x7 (7×5)" in str(err.value)  # W×H


# --- 3. a saved DatasetDict without :SPLIT ---------------------------------------------------------
def test_test_data_defaults_to_the_test_split_and_training_data_to_train(tmp_path):
    root = _saved(tmp_path, "dd", {"train": 3, "test": 2})
    test, train = DataSpec.parse(str(root), role="test"), DataSpec.parse(str(root), role="train")
    assert (test.split, train.split) == ("test", "train")
    assert test.token().endswith(":test")  # the split used is recorded
    assert len(load_images(test)) == 2 and len(load_images(train)) == 3
    assert DataSpec.parse(str(root)).split is None and len(load_images(DataSpec.parse(str(root)))) == 3  # old tokens


def test_test_data_falls_back_to_validation_and_says_so(tmp_path, caplog):
    root = _saved(tmp_path, "dd", {"train": 1, "validation": 2})
    with caplog.at_level(logging.INFO, logger="benchmark.data"):
        spec = DataSpec.parse(str(root), role="test")
    assert spec.split == "validation" and "'validation' split" in caplog.text


def test_an_ambiguous_split_is_refused_listing_the_splits(tmp_path):
    root = _saved(tmp_path, "dd", {"a": 1, "b": 1})
    for role in ("test", "train"):
        with pytest.raises(UserError) as err:
            DataSpec.parse(str(root), role=role)
        assert "has splits a, b" in _one_line(err) and ":SPLIT" in str(err.value)
    only = _saved(tmp_path, "one", {"train": 2})
    assert DataSpec.parse(str(only), role="test").split == "train"  # the only split there is


# --- 4. splits and revisions a source cannot honour -------------------------------------------------
def test_a_split_on_a_saved_dataset_without_splits_is_refused(tmp_path):
    root = _saved(tmp_path, "plain")
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(f"{root}:train"))
    assert "no splits" in _one_line(err) and "':train'" in str(err.value)


@pytest.mark.parametrize("kind", ["folder", "saved", "embedded"])
def test_a_revision_on_a_source_without_revisions_is_refused(tmp_path, kind):
    src = {"folder": lambda: str(_png(tmp_path / "f" / "a.png", 16, 16).parent),
           "saved": lambda: str(_saved(tmp_path, "plain")), "embedded": lambda: "skimage"}[kind]()
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(f"{src}@v2"))
    assert "has no revisions" in _one_line(err) and "'@v2'" in str(err.value)


# --- 5. two sources with one name ------------------------------------------------------------------
def test_sources_sharing_a_folder_name_get_distinct_names(tmp_path):
    a, b, c = (DataSpec.parse(str(_png(tmp_path / p / "Set5" / "x.png", 16, 16).parent)) for p in ("a", "b", "c/d"))
    k = DataSpec.parse(str(_png(tmp_path / "Kodak" / "x.png", 16, 16).parent))
    names = dataset_names([a, b, c, k])
    assert names[k] == "Kodak"  # a unique name is kept as it was
    assert (names[a], names[b], names[c]) == ("a/Set5", "b/Set5", "d/Set5")
    hub = [DataSpec("owner/x", "test", revision="v1"), DataSpec("owner/x", "test", revision="v2")]
    assert len(set(dataset_names(hub).values())) == 2


# --- 6. folder links -------------------------------------------------------------------------------
def test_a_link_to_a_folder_above_is_not_followed(tmp_path, caplog):
    photos = _png(tmp_path / "root" / "photos" / "bird.png", 16, 16).parent
    (photos / "up").symlink_to("..")
    (photos / "top").symlink_to(tmp_path)  # above the folder that was named
    other = _png(tmp_path / "root" / "real" / "x.png", 16, 16).parent
    (photos / "again").symlink_to(other)  # a second way into a folder: read once
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path / "root")))
    assert sorted(r.image_id for r in recs) == ["photos/bird", "real/x"]
    assert "not following 3 links" in caplog.text
    assert [r.image_id for r in load_images(DataSpec(str(photos)))] == ["again/x", "bird"]  # a real folder's link


# --- 7-9. saved datasets: empty, damaged, look-alikes ---------------------------------------------------
def test_an_empty_saved_dataset_is_one_line(tmp_path):
    import datasets

    datasets.Dataset.from_dict({"image": []}, features=datasets.Features({"image": datasets.Image()})).save_to_disk(
        str(tmp_path / "empty"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(tmp_path / "empty")))
    assert "holds no rows" in _one_line(err)


def test_a_damaged_saved_dataset_names_the_file(tmp_path):
    root = _saved(tmp_path, "plain")
    arrow = next(root.glob("*.arrow"))
    arrow.write_bytes(arrow.read_bytes()[:1000])
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(root)))
    assert "is damaged" in _one_line(err) and arrow.name in str(err.value)
    arrow.unlink()
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(root)))
    assert "incomplete" in _one_line(err) and arrow.name in str(err.value)


def test_an_image_folder_with_another_programs_state_json_is_an_image_folder(tmp_path):
    d = _png(tmp_path / "photos" / "bird.png", 16, 16).parent
    (d / "state.json").write_text(json.dumps({"app": "lightroom"}))
    spec = DataSpec(str(d))
    assert spec.kind == "folder" and [r.image_id for r in load_images(spec)] == ["bird"]
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "state.json").write_text("{}")
    with pytest.raises(UserError) as err:  # no images either: what is wrong with it as a saved dataset
        load_images(DataSpec(str(tmp_path / "nothing")))
    assert "not a readable saved dataset" in _one_line(err)


# --- 10. paths ----------------------------------------------------------------------------------------
def test_a_file_given_as_a_source_says_it_is_a_file(tmp_path):
    f = _png(tmp_path / "one.png", 16, 16)
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(f)))
    assert "is a file, not a dataset" in _one_line(err)


def test_a_mistyped_relative_path_says_no_local_folder_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("probe_data/empty"))
    msg = _one_line(err)
    assert "no local folder 'probe_data/empty'" in msg and str(tmp_path) in msg and "not cached" in msg


@pytest.mark.parametrize("folder", ["with#hash", "at@sign", "col:on"])
def test_folder_names_with_separators_stay_whole(tmp_path, folder):
    _png(tmp_path / folder / "train" / "bird.png", 16, 16)
    _png(tmp_path / folder / "head.png", 16, 16)
    spec = DataSpec.parse(f"{tmp_path / folder}:train")
    assert (spec.source, spec.split) == (str(tmp_path / folder), "train")
    assert [r.image_id for r in load_images(spec)] == ["train/bird"]
    assert DataSpec.parse(str(tmp_path / folder)) == DataSpec(str(tmp_path / folder))


# --- 11. ids, modes, cells, relative paths -------------------------------------------------------------
def test_files_differing_only_by_suffix_keep_their_suffix_as_id(tmp_path):
    from PIL import Image

    rgb = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    for ext in ("webp", "tiff", "bmp"):
        Image.fromarray(rgb).save(tmp_path / f"photo.{ext}")
    _png(tmp_path / "other.png", 16, 16)
    ids = sorted(r.image_id for r in load_images(DataSpec(str(tmp_path))))
    assert ids == ["other", "photo.bmp", "photo.tiff", "photo.webp"]


def test_a_float_image_is_converted_without_a_warning():
    from PIL import Image

    img = Image.fromarray(np.full((4, 5), 0.5, dtype=np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = pil_to_tensor(img)
    assert not caught and torch.allclose(t, torch.full((3, 4, 5), 0.5))


def test_odd_cells_say_what_they_hold(tmp_path, caplog):
    import datasets

    files = [str(_png(tmp_path / "src" / f"im{i}.png", 16, 16, i)) for i in range(2)]
    datasets.Dataset.from_dict({"image": [*files, None]}, features=datasets.Features({"image": datasets.Image()})
                               ).save_to_disk(str(tmp_path / "none"))
    with caplog.at_level(logging.WARNING):
        assert len(load_images(DataSpec(str(tmp_path / "none")))) == 2
    assert "row 2: empty image cell" in caplog.text and "NoneType" not in caplog.text
    # uint8 pixel arrays are images (tests/test_probe_tasks.py), as are uint16 and float ones
    # (tests/test_probe_inputs4.py); arrays of another type say what they hold
    arrays = np.zeros((2, 16, 16, 3), dtype=np.uint8)
    datasets.Dataset.from_dict({"img": list(arrays)}, features=datasets.Features(
        {"img": datasets.Array3D((16, 16, 3), "uint8")})).save_to_disk(str(tmp_path / "arr"))
    assert [r.size for r in load_images(DataSpec.parse(f"{tmp_path / 'arr'}#img"))] == [(16, 16)] * 2
    datasets.Dataset.from_dict({"img": list(arrays.astype(np.int32))}, features=datasets.Features(
        {"img": datasets.Array3D((16, 16, 3), "int32")})).save_to_disk(str(tmp_path / "farr"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(f"{tmp_path / 'farr'}#img"))
    assert "column 'img'" in _one_line(err) and "holds arrays" in str(err.value)


def test_relative_paths_in_a_path_column_resolve_from_the_datasets_folder(tmp_path, monkeypatch):
    import datasets

    root = tmp_path / "saved"
    _png(root / "files" / "a.png", 16, 16)
    datasets.Dataset.from_dict({"path": ["files/a.png"]}).save_to_disk(str(root))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    recs = load_images(DataSpec(str(root)))
    assert [r.image_id for r in recs] == ["a"] and recs[0].size == (16, 16)


def test_a_binary_column_of_encoded_images_loads(tmp_path):
    import datasets

    files = [_png(tmp_path / "src" / f"im{i}.png", 16, 24, i) for i in range(2)]
    datasets.Dataset.from_dict({"image": [f.read_bytes() for f in files]}).save_to_disk(str(tmp_path / "auto"))
    datasets.Dataset.from_dict({"data": [f.read_bytes() for f in files]}).save_to_disk(str(tmp_path / "named"))
    struct = datasets.Features({"img": {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}})
    datasets.Dataset.from_dict({"img": [{"bytes": f.read_bytes(), "path": None} for f in files]}, features=struct
                               ).save_to_disk(str(tmp_path / "struct"))  # an Image column's storage, untyped
    for source in (str(tmp_path / "auto"), f"{tmp_path / 'named'}#data", str(tmp_path / "struct")):
        recs = load_images(DataSpec.parse(source))
        assert [r.size for r in recs] == [(16, 24)] * 2
        assert torch.equal(recs[1].pixels, load_images(DataSpec(str(tmp_path / "src")))[1].pixels)


def test_of_several_image_columns_the_clean_one_is_taken_or_asked_for(tmp_path, caplog):
    import datasets

    lr = [str(_png(tmp_path / "lr" / f"im{i}.png", 8, 8, i)) for i in range(2)]
    hr = [str(_png(tmp_path / "hr" / f"im{i}.png", 32, 32, i)) for i in range(2)]
    two = datasets.Features({"lr": datasets.Image(), "hr": datasets.Image()})
    datasets.Dataset.from_dict({"lr": lr, "hr": hr}, features=two).save_to_disk(str(tmp_path / "lrhr"))
    with caplog.at_level(logging.INFO):
        assert [r.size for r in load_images(DataSpec(str(tmp_path / "lrhr")))] == [(32, 32)] * 2
    assert "using image column 'hr'" in caplog.text
    ab = datasets.Features({"a": datasets.Image(), "b": datasets.Image()})
    datasets.Dataset.from_dict({"a": lr, "b": hr}, features=ab).save_to_disk(str(tmp_path / "ab"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(tmp_path / "ab")))
    assert "several image columns (a, b)" in _one_line(err) and "#COLUMN" in str(err.value)
    assert [r.size for r in load_images(DataSpec.parse(f"{tmp_path / 'ab'}#b"))] == [(32, 32)] * 2


def test_16_bit_grey_stays_float_as_documented(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((16, 16), 1000, dtype=np.uint16)).save(tmp_path / "g16.png")
    px = load_images(DataSpec(str(tmp_path)))[0].pixels
    assert px.dtype == torch.float32 and abs(float(to_float(px)[0, 0, 0]) - 1000 / 65535) < 1e-6


# --- 12. training images among the test images -------------------------------------------------------------
def test_overlap_between_training_and_test_data_is_warned(tmp_path, caplog):
    for i in range(3):
        _png(tmp_path / "d" / "train" / f"t{i}.png", 16, 16, i)
    _png(tmp_path / "d" / "test" / "x.png", 16, 16, 9)
    folder, train = DataSpec.parse(str(tmp_path / "d")), DataSpec.parse(f"{tmp_path / 'd'}:train")
    test = DataSpec.parse(f"{tmp_path / 'd'}:test")
    data = DataCache()
    with caplog.at_level(logging.WARNING):
        assert data.overlap((train,), (test,)) == []
        assert "also a training image" not in caplog.text and "also training images" not in caplog.text
        assert len(data.overlap((train,), (folder,))) == 3  # FOLDER vs FOLDER:train
        assert "3 of 4 test images are also training images" in caplog.text
        assert len(data.overlap((folder,), (folder,))) == 4  # the same source for both


def test_test_data_named_twice_is_scored_once_with_the_same_run_ids(tmp_path, caplog):
    from benchmark.config import GridSpec, build_configs, run_id
    from benchmark.runner import DataCache

    folder = tmp_path / "d"
    _png(folder / "a.png", 16, 16)
    data = DataCache()
    ids = []
    for test in ((str(folder),), (str(folder), str(folder) + "/")):
        spec = GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=2, crop=8,
                        train_data=("skimage-medical:train",), test_data=test, metrics=("psnr",))
        with caplog.at_level(logging.WARNING):
            configs, _, _ = build_configs(spec, data)
        ids.append([run_id(c) for c in configs])
    assert ids[0] == ids[1] and "test data named more than once" in caplog.text


def test_a_folder_with_train_and_test_subfolders_as_test_data_warns(tmp_path, caplog):
    for split in ("train", "test"):
        _png(tmp_path / "d" / split / "cat" / "a.png", 16, 16)
    with caplog.at_level(logging.WARNING):
        DataSpec.parse(str(tmp_path / "d"), role="train")
        DataSpec.parse(f"{tmp_path / 'd'}:test", role="test")
        assert not caplog.text
        DataSpec.parse(str(tmp_path / "d"), role="test")
    assert "train/ sub-folder included" in caplog.text and f"{tmp_path / 'd'}:test" in caplog.text


def test_a_repeated_data_flag_adds_its_sources():
    """`--test-data A --test-data B` kept only B, silently."""
    from benchmark.cli import build_parser

    args = build_parser().parse_args(["run", "--test-data", "a", "--test-data", "b", "c", "--train-data", "x",
                                      "--train-data", "y"])
    assert args.test_data == ["a", "b", "c"] and args.train_data == ["x", "y"]
    assert build_parser().parse_args(["run"]).test_data is None  # not given: the profile's


def test_the_whole_embedded_set_overlaps_its_training_split():
    data = DataCache()
    both = data.overlap((DataSpec.parse("skimage-medical:train"),), (DataSpec.parse("skimage-medical"),))
    assert sorted(both) == ["skimage-medical/cell", "skimage-medical/retina"]


def test_nothing_here_reads_the_cwd_by_accident(tmp_path, monkeypatch):
    """A relative source that exists in the cwd is that folder (taken whole), never a hub id."""
    _png(tmp_path / "local" / "a.png", 16, 16)
    monkeypatch.chdir(tmp_path)
    spec = DataSpec.parse("local")
    assert spec.kind == "folder" and spec.source == os.path.join(str(tmp_path), "local")

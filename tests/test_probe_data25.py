"""Data edge cases, round 25 (each test failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.data import DataCache, DataSpec
from benchmark.errors import UserError


def _png8(path, h=32, w=40, seed=0):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)).save(path)


# --- a source of images under 8 px alone -------------------------------------------------------------------------
def test_a_source_of_images_under_8px_alone_is_tested_on_by_modcrop_tasks_and_refused_for_training(tmp_path):
    """A folder holding only images under 8 px was refused at load ('every image … is smaller than 8 px'), though
    denoise and jpeg with modcrop=true test on such images whole (as on the same images beside a larger one). Now it
    loads; denoise modcrop=true tests every image; without modcrop planning says modcrop=true would; and as training
    data it is refused in words that do not say 'lower --crop' (no crop under 8 px is taken)."""
    from benchmark.config import MIN_CROP, check_test_sides
    from benchmark.data import MIN_IMAGE_SIDE, usable_for_crop
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    sizes = {"t5": (5, 5), "t4": (4, 6), "t7": (7, 7)}
    for name, (h, w) in sizes.items():
        _png8(tmp_path / "icons" / f"{name}.png", h, w, seed=h * w)
    spec = DataSpec(str(tmp_path / "icons"))
    recs = DataCache().images(spec)  # before: UserError at load
    assert {r.image_id: r.size for r in recs} == sizes
    items = held_out_items(build_task("denoise", modcrop=True), {spec: recs})
    assert {it.image: tuple(it.clean.shape[-2:]) for it in items} == sizes
    check_test_sides(build_task("jpeg", modcrop=True), "jpeg", {spec: recs})  # not refused
    with pytest.raises(UserError, match=r"no test image is at least 8 px.*modcrop=true it tests them whole "
                                        r"\(--task-param denoise\.modcrop=true\)"):
        check_test_sides(build_task("denoise"), "denoise", {spec: recs})
    assert MIN_CROP == MIN_IMAGE_SIDE  # the least crop is the side: no --crop can train on them
    with pytest.raises(UserError, match=r"smaller than 8 px on a side \(largest short side 7 px: t4 \(6×4\)") as err:
        usable_for_crop(recs, MIN_CROP, spec)
    assert "lower --crop" not in str(err.value)


# --- ids never name this machine's folders -----------------------------------------------------------------------
def test_an_image_of_bytes_beside_an_absolute_file_name_is_named_by_the_files_name_not_its_folders(tmp_path):
    """A saved Dataset (or a Parquet table of it) whose images are bytes alone, no stored path, beside a ``file_name``
    column of absolute paths, named its result rows (and its fingerprint) by this machine's folders
    ('/home/me/photos/a.png'; a Windows machine's 'C:\\Users\\…' too): 0ff3551d gave no id only where the image's own
    stored path was the same file's name. Now an absolute file path in the id column names its file ('a'), same names
    told apart by their folders ('trip/c', 'home/c'); a relative file_name stays the id it was ('x/e.png')."""
    import io

    import datasets
    from PIL import Image

    from benchmark.data import load_images

    names = [str(tmp_path / "photos" / "a.png"), str(tmp_path / "photos" / "b.jpg"), "C:\\Users\\me\\w.png",
             str(tmp_path / "trip" / "c.png"), str(tmp_path / "home" / "c.png"), "x/e.png"]
    images = []
    for seed in range(len(names)):
        raw = io.BytesIO()
        Image.fromarray(np.random.default_rng(seed).integers(0, 256, (16, 16, 3)).astype(np.uint8)).save(raw, "PNG")
        images.append({"bytes": raw.getvalue(), "path": None})
    ds = datasets.Dataset.from_dict({"image": images, "file_name": names}, features=datasets.Features(
        {"image": datasets.Image(), "file_name": datasets.Value("string")}))
    ds.save_to_disk(str(tmp_path / "saved"))
    ds.to_parquet(str(tmp_path / "rows.parquet"))
    want = ["a", "b", "w", "trip/c", "home/c", "x/e.png"]
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "saved")))] == want
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "rows.parquet")))] == want


# --- run ids and the device -----------------------------------------------------------------------------------------
def test_sr4_matlab_on_a_16bit_training_pool_keeps_its_training_id_on_a_gpu_whose_crops_are_8bit(tmp_path):
    """de080b07/5655043 tag the training fingerprint of sr4 resize=matlab runs on a 16-bit pool, as their float crops'
    input is no longer rounded to 8-bit levels. On a GPU the step's DeviceSampler quantises every training crop to
    uint8, so its input is rounded exactly as before: its runs got another id (re-trained, not resumed) for nothing.
    Now the tag is left out of the training fingerprint where the runs train on 8-bit crops (cuda, a task not
    host_only); the CPU's, and the test set's on either device, keep it."""
    import tifffile
    import torch

    from benchmark.config import RunConfig, resolve
    from benchmark.sampler import DeviceSampler
    from tasks.super_resolution import on_8bit_levels

    (tmp_path / "deep").mkdir()
    tifffile.imwrite(tmp_path / "deep" / "a.tif", np.random.default_rng(0).integers(0, 65536, (32, 40, 3)).astype(
        np.uint16), photometric="rgb")
    _png8(tmp_path / "eight" / "b.png")
    deep, eight = DataSpec(str(tmp_path / "deep")), DataSpec(str(tmp_path / "eight"))
    data = DataCache()
    crops = DeviceSampler(data.images(deep), "cpu").sample(4, 16, 4, torch.Generator().manual_seed(0))
    assert bool(on_8bit_levels(crops).all())  # what the GPU step trains on: 8-bit levels, rounded as before

    def fps(device_type, test=eight, **params):
        cfg = RunConfig(task="sr4", loss="l1", task_params=tuple(params.items()), train_data=(deep,),
                        test_data=(test,), device_type=device_type)
        cfg = resolve(cfg, data)
        return cfg.train_fingerprint, cfg.test_fingerprint

    plain = data.fingerprint((deep,), role="train")
    assert fps("cuda", resize="matlab")[0] == plain == fps("cuda")[0]  # before: a tagged id on the GPU too
    assert fps("cpu", resize="matlab")[0] != plain  # the CPU trains on its float crops: tagged as before
    assert fps("cuda", deep, resize="matlab")[1] == fps("cpu", deep, resize="matlab")[1] != fps("cuda", deep)[1]


def test_a_hold_out_refused_for_too_few_images_counts_the_images_under_8px_it_read(tmp_path):
    """A hold-out of a source with one photo and images under 8 px (never counted by a hold-out) was refused as 'its
    source has 1 (1 image read …)', and one of such images alone, loaded since 17ae44c8, as '0 (0 images read …)':
    as if the folder's icons were not there. Now the line counts them apart, saying why they do not count."""
    from benchmark.data import holdout_split

    _png8(tmp_path / "d" / "photo.png", 32, 32)
    for k, (h, w) in enumerate(((5, 5), (4, 6))):
        _png8(tmp_path / "d" / f"icon{k}.png", h, w, seed=k + 1)
    spec = DataSpec.parse(str(tmp_path / "d") + "[holdout=50%]", role="test")
    recs = DataCache().images(DataSpec(str(tmp_path / "d")))
    with pytest.raises(UserError, match=r"has 1 \(1 image read, not counting 2 images under 8 px on a side, never "
                                        r"trained on;"):
        holdout_split(recs, 0.5, spec=spec)
    with pytest.raises(UserError, match=r"has 0 \(0 images read, not counting 2 images under 8 px"):
        holdout_split([r for r in recs if min(r.size) < 8], 0.5, spec=spec)


def test_the_warning_on_images_under_8px_does_not_say_deblur_tests_them_whole(tmp_path, caplog):
    """The loading warning listed 'denoise, jpeg, deblur whole' among the tasks that test images under 8 px, though
    deblur leaves out every one at its default kernel_size 21 (README: 'deblur leaves them out'). Now it says deblur
    tests only one wider than its kernel's reach, none at kernel_size 15 or more — as held_out_items does. And a test
    set of such images alone, all left out by deblur, passed planning (check_test_sides) and failed every run with
    'no test image is at least 1 px on each side' (they are 7 px): now planning refuses it, naming the reach, and
    held_out_items says the same."""
    import logging

    from benchmark.config import check_test_sides
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    _png8(tmp_path / "d" / "t7.png", 7, 7)
    spec = DataSpec(str(tmp_path / "d"))
    with caplog.at_level(logging.WARNING):
        recs = DataCache().images(spec)
    said = next(r.getMessage() for r in caplog.records if "smaller than 8 px" in r.getMessage())
    assert "deblur whole" not in said and "none at kernel_size 15 or more" in said

    def kept(size):
        task = build_task("deblur", modcrop=True, kernel_size=size, motion_length=(5.0, size - 1.0))
        return [it.image for it in held_out_items(task, {spec: recs})]

    assert kept(13) == ["t7"]
    with pytest.raises(UserError, match=r"less than the 8 px it needs"):  # kernel_size 15: none, as the warning says
        check_test_sides(build_task("deblur", modcrop=True, kernel_size=15, motion_length=(5.0, 14.0)), "deblur",
                         {spec: recs})
    deblur = build_task("deblur", modcrop=True)
    with pytest.raises(UserError, match=r"every test image task deblur could take is under 8 px on a side and cut to "
                                        r"less than the 11 px it needs \(more than the 10 px"):
        check_test_sides(deblur, "deblur", {spec: recs})
    with pytest.raises(UserError, match=r"no test image is at least 11 px on each side, as task deblur needs "
                                        r"\(more than the 10 px .*every one is under 8 px"):
        held_out_items(deblur, {spec: recs})

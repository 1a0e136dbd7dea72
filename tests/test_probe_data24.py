"""Data edge cases, round 24 (each test failed before its fix): sr4 ``resize=matlab`` on 16-bit sources, images under
8 px on a side under ``modcrop=true``."""

from __future__ import annotations

import numpy as np
import torch

from benchmark.config import RunConfig, resolve
from benchmark.data import DataCache, DataSpec


def _tiff16(path, h=32, w=40, seed=0):
    import tifffile

    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, np.random.default_rng(seed).integers(0, 65536, (h, w, 3)).astype(np.uint16),
                     photometric="rgb")


def _png8(path, h=32, w=40, seed=0):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)).save(path)


# --- sr4 resize=matlab on a 16-bit source ------------------------------------------------------------------------
def test_sr4_matlab_keeps_a_16bit_images_input_at_its_precision_and_8bit_ones_as_they_were():
    """The low-resolution input of a 16-bit image was rounded to 8-bit levels (each imresize pass) while its target
    stayed 16-bit: 2 % of a level's error in the input the net could never undo. Now a 16-bit (or float) image's
    passes are not rounded (MATLAB on a double image); an 8-bit image's are, to the bit as before, in a batch of both
    too."""
    from benchmark.task import build_task
    from tasks.super_resolution import imresize

    task = build_task("sr4", resize="matlab")
    g = torch.Generator().manual_seed(0)
    deep = torch.from_numpy(np.random.default_rng(1).integers(0, 65536, (1, 3, 32, 32)) / 65535).float()
    eight = torch.from_numpy(np.random.default_rng(2).integers(0, 256, (1, 3, 32, 32))).float() / 255
    out = task.degrade(deep, g)
    levels = out.double() * 255
    assert (levels - levels.round()).abs().max() > 0.01  # not 8-bit levels (before: every value was one)
    want = imresize(imresize(deep, (8, 8)), (32, 32)).clamp(0, 1)
    assert torch.allclose(out, want, atol=1e-6)
    old8 = imresize(imresize(eight, (8, 8), uint8=True), (32, 32), uint8=True)  # the 8-bit input before
    assert torch.equal(task.degrade(eight, g), old8)
    both = task.degrade(torch.cat([eight, deep]), g)
    assert torch.equal(both[:1], old8) and torch.allclose(both[1:], want, atol=1e-6)


def test_sr4_matlab_runs_on_16bit_sources_get_other_ids_and_8bit_sources_keep_theirs(tmp_path):
    """The 16-bit input's numbers changed, so runs of sr4 resize=matlab on 16-bit data must not resume results stored
    before: their data fingerprints (in the run id) differ; 8-bit sources' (the quick and standard profiles' data, all
    8-bit), other tasks' and resize=torch's are the content hash as before."""
    from benchmark.config import PROFILES
    from benchmark.task import build_task

    _tiff16(tmp_path / "deep" / "a.tif")
    _png8(tmp_path / "eight" / "b.png")
    deep, eight = DataSpec(str(tmp_path / "deep")), DataSpec(str(tmp_path / "eight"))
    data = DataCache()
    raw = {s: data.fingerprint((s,), role="test") for s in (deep, eight)}
    raw_train = data.fingerprint((eight,), role="train")

    def fps(task, params, train, test):
        cfg = resolve(RunConfig(task=task, loss="l1", task_params=params, train_data=(train,), test_data=(test,)), data)
        return cfg.train_fingerprint, cfg.test_fingerprint

    matlab = (("resize", "matlab"),)
    assert fps("sr4", matlab, eight, deep)[1] != raw[deep]  # before: the same id as the 8-bit-rounded runs
    assert fps("sr4", matlab, deep, deep)[0] != data.fingerprint((deep,), role="train")
    assert fps("sr4", matlab, eight, eight) == (raw_train, raw[eight])
    assert fps("sr4", (), eight, deep)[1] == raw[deep] and fps("denoise", (), eight, deep)[1] == raw[deep]
    for name in ("quick", "standard"):  # their images are 8-bit: no tag, so no id of theirs moves
        for task in PROFILES[name].tasks:
            assert build_task(task).data_tag({torch.uint8}) == ""


# --- images under 8 px on a side --------------------------------------------------------------------------------
def _tiny_folder(root):
    for name, (h, w) in {"a": (64, 72), "b": (56, 64), "t5": (5, 5), "s1": (1, 30), "t4": (4, 6)}.items():
        _png8(root / f"{name}.png", h, w, seed=h * w)
    return DataSpec(str(root))


def test_images_under_8px_are_tested_on_by_modcrop_tasks_never_trained_on_and_scored_by_psnr_alone(tmp_path, caplog):
    """Images under 8 px were skipped at loading for every task, though denoise, jpeg and deblur with modcrop=true
    score the whole image, sr4 one cut to its scale and demosaic to even sides. Now they are loaded, named once in a
    warning saying where they are used, tested on where the task's cut keeps them, left out of deblur (within its
    kernel's reach, not refused: no run scored them before), scored by psnr alone (gmsd gave NaN on 2×2), and never
    trained on."""
    import logging

    from benchmark.config import check_test_sides
    from benchmark.data import usable_for_crop
    from benchmark.metrics import MetricSet
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    spec = _tiny_folder(tmp_path / "d")
    data = DataCache()
    with caplog.at_level(logging.WARNING):
        recs = data.images(spec)
    assert {r.image_id for r in recs} == {"a", "b", "t5", "s1", "t4"}
    said = [r.getMessage() for r in caplog.records if "smaller than 8 px" in r.getMessage()]
    assert len(said) == 1 and "modcrop=true" in said[0] and "t5.png (5×5)" in said[0] and "s1.png (30×1)" in said[0]

    def tested(task, **params):
        return {it.image: tuple(it.clean.shape[-2:]) for it in held_out_items(build_task(task, **params), {spec: recs})}

    assert tested("denoise", modcrop=True) == {"a": (64, 72), "b": (56, 64), "t5": (5, 5), "s1": (1, 30), "t4": (4, 6)}
    assert tested("jpeg", modcrop=True)["s1"] == (1, 30)
    assert tested("sr4", modcrop=True, resize="matlab") == {"a": (64, 72), "b": (56, 64), "t5": (4, 4), "t4": (4, 4)}
    assert tested("demosaic", modcrop=True)["t5"] == (4, 4) and "s1" not in tested("demosaic", modcrop=True)
    for name in ("denoise", "sr4", "deblur", "jpeg", "demosaic"):  # cut to multiples of 8: as before
        assert set(tested(name)) == {"a", "b"}, name
    deblur = build_task("deblur", modcrop=True)
    check_test_sides(deblur, "deblur", {spec: recs})  # not refused: the tiny ones are left out
    assert set(tested("deblur", modcrop=True)) == {"a", "b"}
    item = held_out_items(build_task("denoise", modcrop=True), {spec: recs})
    tiny = next(it for it in item if it.image == "t5")
    assert set(MetricSet(["psnr", "ssim", "gmsd"]).score(tiny.degraded, tiny.clean)) == {"psnr"}
    assert {r.image_id for r in usable_for_crop(recs, 8, spec)} == {"a", "b"}


def test_only_sources_holding_images_under_8px_change_their_test_fingerprint(tmp_path):
    """Loading the tiny images changes the test fingerprint (so the run ids) of a source that holds one, and nothing
    else: the training fingerprint leaves them out (never trained on), and the quick profile's skimage sets and the
    standard profile's shared folders hold none (their fingerprints and ids are unchanged)."""
    from PIL import Image

    from benchmark.data import SHARED_DATASETS, fingerprint

    spec = _tiny_folder(tmp_path / "d")
    data = DataCache()
    recs = data.images(spec)
    big = [r for r in recs if min(r.size) >= 8]
    assert data.fingerprint((spec,), role="train") == fingerprint(big)  # the training pool's id as before
    assert data.fingerprint((spec,), role="test") != fingerprint(big)  # before: the same id, tiny ones skipped
    quick = DataCache()  # the fingerprints the quick profile's runs carried at 75737ba9
    assert quick.fingerprint((DataSpec("skimage", "train"),), role="train") == "7610136dc344"
    assert quick.fingerprint((DataSpec("skimage-natural", "test"),), role="test") == "fb936c5d72ae"
    for folder in ("BSD200", "T91", "Kodak24", "CSet14", "CSet5"):  # the standard and full profiles' images
        for f in sorted((SHARED_DATASETS / folder).glob("*")):
            if f.suffix.lower() in (".png", ".bmp", ".jpg"):
                with Image.open(f) as im:
                    assert min(im.size) >= 8, f


# --- a saved dataset whose id column is its column of absolute image paths ---------------------------------------
def test_a_saved_datasets_absolute_file_name_paths_give_ids_by_file_not_by_this_machines_folders(tmp_path):
    """A saved Dataset of one ``file_name`` column of absolute paths (how a script lists its photos) took that column
    as its ids: '/home/me/photos/a.png', so result rows named images by this machine's folders, and the same photos
    and table in another folder (another machine) had another fingerprint, so other run ids. Now such an id is the
    file's, as a folder's images are: 'a', the same wherever the folder is; a relative name keeps its id."""
    import datasets

    from benchmark.data import fingerprint, load_images

    def saved(where):
        paths = []
        for name in ("a", "b"):
            _png8(where / "photos" / f"{name}.png", seed=ord(name))
            paths.append(str(where / "photos" / f"{name}.png"))
        datasets.Dataset.from_dict({"file_name": paths}).save_to_disk(str(where / "ds"))
        return load_images(DataSpec(str(where / "ds")))

    here, there = saved(tmp_path / "one"), saved(tmp_path / "two")
    assert [r.image_id for r in here] == ["a", "b"]
    assert fingerprint(here) == fingerprint(there)
    rel = tmp_path / "rel"
    _png8(rel / "c.png")
    datasets.Dataset.from_dict({"file_name": ["c.png"]}).save_to_disk(str(rel / "ds"))
    (rel / "ds" / "c.png").write_bytes((rel / "c.png").read_bytes())
    assert [r.image_id for r in load_images(DataSpec(str(rel / "ds")))] == ["c.png"]  # as before

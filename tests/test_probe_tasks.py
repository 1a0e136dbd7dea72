"""Defects found probing task adapters, degradations and data paths (each test failed before its fix)."""

from __future__ import annotations

import pytest
import torch

from benchmark.data import DataSpec, ImageRecord
from benchmark.task import build_task


def _items(task, size=(24, 32), n=1, name="x"):
    from benchmark.runner import held_out_items

    g = torch.Generator().manual_seed(0)
    recs = [ImageRecord(f"im{i}", torch.randint(0, 256, (3, *size), dtype=torch.uint8, generator=g)) for i in range(n)]
    return held_out_items(task, {DataSpec(name): recs})


def test_the_input_row_of_unclipped_noise_is_scored_like_a_nets_output():
    """``denoise clip=False`` gives inputs outside [0, 1]: the input baseline was passed to pyiqa as
    it was (an AssertionError, "internal error", that stopped the grid) while every net's output is
    clamped to [0, 1] before scoring. The input is scored as the nets' outputs are: clamped."""
    from benchmark.metrics import MetricSet, psnr
    from benchmark.runner import evaluate

    items = _items(build_task("denoise", sigma=0.3, clip=False))
    assert float(items[0].degraded.min()) < 0 and float(items[0].degraded.max()) > 1  # the case at hand
    (item, vals), = evaluate(None, items, MetricSet(("psnr",)), torch.device("cpu"))
    want = float(psnr(item.degraded.clamp(0, 1), item.clean))
    assert vals["psnr"] == pytest.approx(want, abs=1e-4)


def test_deblur_motion_longer_than_its_kernel_is_refused_not_clamped():
    """``deblur.kernel_size=9`` with the default motion lengths U(5, 15): every length over 8 px was cut
    to 8 in silence (half the motion kernels), while the results recorded ``motion_length (5, 15)``.
    Now a one-line error naming both; without motion blur (``p_motion=0``) any kernel size is fine."""
    from benchmark.errors import UserError
    from tasks.deblur import motion_kernel

    k = build_task("deblur", kernel_size=9, p_motion=1.0, motion_length=(5.0, 8.0))  # fits: up to size − 1
    assert k.sample_kernel(torch.Generator().manual_seed(0)).shape == (9, 9)
    assert motion_kernel(9, 8.0, 0.0)[4].gt(0).sum() == 9  # a length of size − 1 spans the kernel
    with pytest.raises(UserError, match=r"motion_length.*kernel_size") as err:
        build_task("deblur", kernel_size=9)
    assert "\n" not in str(err.value)
    assert build_task("deblur", kernel_size=9, p_motion=0.0, gaussian_sigma=(1.0, 2.0)).kernel_size == 9


def test_the_visual_grid_shows_the_input_that_was_scored(tmp_path, monkeypatch):
    """Two test folders of one name (``a/Set5``, ``b/Set5``) are named ``a/Set5``/``b/Set5`` in the grid,
    and (then) each image's degradation was seeded by that name. The visual grid re-made its input from the
    first folder alone (named ``Set5``): another noise draw than the one the nets were scored on, and a
    title naming a data set the leaderboard does not have. Now it names the sources as the grid did;
    an input outside [0, 1] (``denoise clip=False``) is shown clamped, as it is scored."""
    import numpy as np
    from PIL import Image

    import benchmark.figures as F
    from benchmark.nets import build_net
    from benchmark.runner import held_out_items

    rng = np.random.default_rng(0)
    for parent in ("a", "b"):
        (tmp_path / parent / "Set5").mkdir(parents=True)
        Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(tmp_path / parent / "Set5" / "im.png")
    specs = [DataSpec.parse(str(tmp_path / p / "Set5"), role="test") for p in ("a", "b")]
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    torch.save(build_net("tiny").state_dict(), run / "net.pt")
    cfg = {"task": "denoise", "task_params": {"sigma": 0.5, "clip": False}, "test_data": [s.token() for s in specs],
           "loss": "l1", "seed": 0, "net": "tiny"}

    class Store:
        def metas(self):
            return [{"run_id": "r1", "status": "ok", "config": cfg, "weights": "none"}]

        metas_as_read = metas  # one spelling per loss: read as recorded

        def run_dir(self, rid):
            return tmp_path / "runs" / rid

    seen = {}

    def capture(panels, title, crop, zoom, note=""):
        seen.update(panels=dict(panels), title=title)

    monkeypatch.setattr(F, "draw_visual_grid", capture)
    monkeypatch.setattr(F, "save", lambda fig, base, formats: [])
    F.visual_grid(Store(), "denoise", tmp_path / "fig", formats=("png",))
    from benchmark.data import load_images

    task = build_task("denoise", sigma=0.5, clip=False)
    scored = held_out_items(task, {s: load_images(s) for s in specs})[0]
    assert scored.dataset == "a/Set5" and f"{scored.dataset}/{scored.image}" in seen["title"]
    assert torch.equal(seen["panels"]["input"], scored.degraded.clamp(0, 1))


def _png(arr) -> dict:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return {"bytes": buf.getvalue(), "path": None}


def test_a_damaged_image_in_a_column_not_used_does_not_stop_loading(tmp_path):
    """Every column of every row was decoded while the images were read, so a damaged picture in a
    column not used (a ``mask`` beside the ``image`` taken, an ``lr`` beside ``hr``) raised Pillow's
    UnidentifiedImageError out of the loop: "internal error" (and each such column was decoded for
    nothing). Only the image column (and the id column) is read now."""
    import datasets
    import numpy as np

    from benchmark.data import load_images

    rng = np.random.default_rng(0)
    good = [_png(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)) for _ in range(2)]
    broken = {"bytes": b"\x89PNG\r\n\x1a\n damaged", "path": None}
    feats = datasets.Features({"image": datasets.Image(), "mask": datasets.Image(), "name": datasets.Value("string")})
    datasets.Dataset.from_dict({"image": good, "mask": [broken, good[0]], "name": ["p", "q"]},
                               features=feats).save_to_disk(str(tmp_path / "saved"))
    recs = load_images(DataSpec.parse(str(tmp_path / "saved")))
    assert [r.image_id for r in recs] == ["p", "q"] and all(r.size == (16, 16) for r in recs)


def test_the_api_takes_paths_as_data_sources_and_says_what_to_do_with_a_dataset_object(tmp_path):
    """``api.run(test_data=Path(...))`` — how Python code names a folder — was refused ("expects
    tuple[str, ...], got [PosixPath(...)]"), as were ``out=Path`` and ``loss_files=[Path]``; a
    ``datasets.Dataset`` in memory was refused with its multi-line repr and no way forward. Paths
    are taken as their strings; a Dataset object is a one-line error saying to save it to disk."""
    from pathlib import Path

    import datasets

    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    folder = tmp_path / "photos"
    spec = GridSpec.from_mapping({"test_data": folder, "train_data": [folder, "skimage:train"], "out": tmp_path / "o",
                                  "loss_files": [Path("my_loss.py")]}, "api.run()")
    assert spec.test_data == (str(folder),) and spec.train_data == (str(folder), "skimage:train")
    assert spec.out == str(tmp_path / "o") and spec.loss_files == ("my_loss.py",)
    capped = GridSpec.from_mapping({"train_data": DataSpec("skimage", "train", max_images=2)}, "api.run()")
    assert capped.train_data == ("skimage:train[max_images=2]",)  # benchmark.data's own record of a source
    ds = datasets.Dataset.from_dict({"image_id": ["a", "b"]})
    for value in (ds, [ds], datasets.DatasetDict({"test": ds})):
        with pytest.raises(UserError, match=r"test_data.*save_to_disk") as err:
            GridSpec.from_mapping({"test_data": value}, "api.run()")
        assert "\n" not in str(err.value)


def _parquet_repo(root, splits: dict[str, int]):
    """A hub dataset's files as ``huggingface-cli download --local-dir`` leaves them: data/<split>-….parquet."""
    import datasets
    import numpy as np

    rng = np.random.default_rng(1)
    (root / "data").mkdir(parents=True)
    (root / "README.md").write_text("# photos\n")
    for split, n in splits.items():
        cells = [_png(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)) for _ in range(n)]
        datasets.Dataset.from_dict({"image": cells}, features=datasets.Features({"image": datasets.Image()})) \
            .to_parquet(str(root / "data" / f"{split}-00000-of-00001.parquet"))
    return root


def test_a_local_copy_of_a_hub_dataset_loads_with_its_splits(tmp_path, caplog):
    """Offline, the way to a hub dataset is its files copied from a connected machine
    (``huggingface-cli download owner/name --repo-type dataset --local-dir DIR``: parquet shards). Such a
    folder was read as an image folder: "holds no image file (3 other file(s))". It is read as the
    dataset it is: ``DIR:test`` is its test split; without a split, test data is its ``test`` split and
    training data its ``train`` split; a split it lacks is a one-line error listing those it has."""
    from benchmark.data import load_images
    from benchmark.errors import UserError

    root = _parquet_repo(tmp_path / "photos", {"train": 3, "test": 2})
    assert len(load_images(DataSpec.parse(f"{root}:test"))) == 2
    test = DataSpec.parse(str(root), role="test")
    assert test.split == "test" and test.name == "photos:test" and len(load_images(test)) == 2
    train = DataSpec.parse(str(root), role="train")
    assert train.split == "train" and len(load_images(train)) == 3
    with pytest.raises(UserError, match=r"splits (train, test|test, train); got 'validation'") as err:
        load_images(DataSpec.parse(f"{root}:validation"))
    assert "\n" not in str(err.value)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # no README metadata: nothing to warn of
    with pytest.raises(UserError, match="no revisions"):
        load_images(DataSpec.parse(f"{root}@main:test"))


def test_an_uncached_hub_id_offline_says_how_to_bring_its_files():
    """The offline message named the cache and "a local folder"; a folder of the dataset's own files is
    now a source, so it says how to get them (the command, with this id)."""
    from benchmark.data import load_images
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"huggingface-cli download nobody/photos --repo-type dataset --local-dir DIR"):
        load_images(DataSpec.parse("nobody/photos:test"))
    with pytest.raises(UserError, match=r"download nobody/photos --repo-type"):  # a config is no part of the repo
        load_images(DataSpec.parse("nobody/photos/bicubic_x4:test"))


def test_deblur_gaussian_wider_than_its_kernel_is_refused_not_truncated():
    """``deblur.kernel_size=3`` (or 9) with σ ~ U(1, 3): the Gaussian was cut to the kernel in silence, its
    real spread 0.74–0.81 px (2.2 px at 9) while the results recorded σ (1, 3). A kernel must reach 2σ
    from its centre; without Gaussian kernels (``p_motion=1``) σ does not matter."""
    import math

    from benchmark.errors import UserError
    from tasks.deblur import gaussian_kernel

    ok = build_task("deblur", kernel_size=13, p_motion=0.0)  # radius 6 = 2 × σ 3
    k = gaussian_kernel(ok.kernel_size, 3.0)
    x = torch.arange(13) - 6.0
    assert math.sqrt(float((k.sum(0) * x**2).sum())) > 0.85 * 3.0  # what "2σ" keeps of the spread
    for size in (3, 9, 11):
        with pytest.raises(UserError, match=r"gaussian_sigma.*kernel_size.*13") as err:
            build_task("deblur", kernel_size=size, p_motion=0.0)
        assert "\n" not in str(err.value)
    assert build_task("deblur", kernel_size=9, p_motion=1.0, motion_length=(1.0, 8.0)).kernel_size == 9


def test_task_params_on_the_command_line_read_as_a_config_file_reads_them():
    """``--task-param denoise.clip=false`` (as a config file's ``clip: false``) was refused — "expects
    bool, got 'false' (str)" —, and so was ``denoise.sigma=25/255``, σ as the task's citation writes it.
    Both are read now; anything else that is not a literal is still the string it was."""
    from benchmark.config import parse_task_params
    from benchmark.errors import UserError

    params = dict(parse_task_params(["denoise.clip=false", "denoise.sigma=25/255"])[0][1])
    assert params == {"clip": False, "sigma": 25 / 255}
    assert dict(parse_task_params(["denoise.clip=True"])[0][1]) == {"clip": True}
    task = build_task("denoise", **params)
    assert task.sigma == build_task("denoise").sigma and task.clip is False
    with pytest.raises(UserError, match="expects bool, got 'maybe'"):
        build_task("denoise", **dict(parse_task_params(["denoise.clip=maybe"])[0][1]))


def test_a_task_whose_degrade_changes_the_shape_is_a_one_line_error(monkeypatch):
    """A plugin task returning the low-resolution image itself (the net must see the clean image's size)
    was found out only inside pyiqa, after training: "AssertionError: Input and reference images should
    have the same shape" as an internal error. The held-out items, made before any run trains, name the
    task, both shapes and what to do; a degradation that gives NaN is named the same way."""
    from dataclasses import dataclass

    import torch.nn.functional as F

    from benchmark.errors import UserError
    from benchmark.registry import TASKS, register_task
    from benchmark.task import Task

    TASKS.names()  # scanned before the copy: the throw-away entry below goes with the test
    monkeypatch.setattr(TASKS, "_entries", dict(TASKS._entries))

    @register_task("probe_lowres", version="1")
    @dataclass(frozen=True)
    class LowRes(Task):
        nan: bool = False

        def degrade(self, clean, generator):
            return clean * float("nan") if self.nan else F.avg_pool2d(clean, 2)

    with pytest.raises(UserError, match=r"probe_lowres.*\(1, 3, 12, 16\).*\(1, 3, 24, 32\)") as err:
        _items(build_task("probe_lowres"))
    assert "\n" not in str(err.value)
    with pytest.raises(UserError, match=r"probe_lowres.*not finite"):
        _items(build_task("probe_lowres", nan=True))


@pytest.mark.parametrize("text", ["skimage:train[:2]", "owner/name:train[:10%]", "owner/name:test[10:20]#image"])
def test_a_split_slice_is_named_not_misread_as_a_hub_id(text):
    """``datasets``' split slices (``train[:100]``, ``train[:10%]``) were cut at their ':' — ``skimage:train[:2]``
    became the hub id ``skimage:train[``, "not cached and the hub is offline". Now a one-line error says
    slices are not read and how to cap a source instead."""
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"slice.*not read.*max-train-images") as err:
        DataSpec.parse(text, role="train")
    assert "not cached" not in str(err.value) and "\n" not in str(err.value)
    assert DataSpec.parse("skimage:train[max_images=2]").max_images == 2  # the form a token records still reads


def test_a_damaged_shard_of_a_local_copy_is_one_line(tmp_path, caplog):
    """A truncated parquet shard in a hub dataset's local copy: one line naming the folder and the reason,
    and no second ERROR from the parquet reader before it."""
    from benchmark.data import load_images
    from benchmark.errors import UserError

    root = _parquet_repo(tmp_path / "photos", {"test": 2})
    shard = root / "data" / "test-00000-of-00001.parquet"
    shard.write_bytes(shard.read_bytes()[:100])
    with pytest.raises(UserError, match=r"photos.*cannot be read") as err:
        load_images(DataSpec.parse(str(root), role="test"))
    assert "\n" not in str(err.value)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_panorama_wider_than_jpeg_allows_is_left_out_not_a_crash(caplog):
    """libjpeg encodes at most 65 500 px a side; torchvision's encode_jpeg beyond that killed the whole
    process with a segmentation fault (no message, no results) when a test set held such a panorama. The
    jpeg task now declares that limit: a larger test image is left out of it with a warning (as one
    smaller than the task's multiple is), and degrade itself refuses such a batch with a ValueError."""
    from benchmark.runner import held_out_items

    task = build_task("jpeg")
    assert task.max_side == 65500
    wide = ImageRecord("panorama", torch.zeros(3, 8, 65536, dtype=torch.uint8))
    small = ImageRecord("small", torch.full((3, 16, 24), 128, dtype=torch.uint8))
    with caplog.at_level("WARNING"):
        items = held_out_items(task, {DataSpec("x"): [wide, small]})
    assert [i.image for i in items] == ["small"]
    assert any("panorama" in r.getMessage() and "65500" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="65500"):
        task.degrade(torch.zeros(1, 3, 8, 65504), torch.Generator())
    assert len(held_out_items(build_task("denoise"), {DataSpec("x"): [wide]})) == 1  # no limit elsewhere


def test_a_dataset_of_pixel_arrays_loads(tmp_path):
    """``Dataset.from_dict({"image": [numpy arrays]})`` stores pixels as nested uint8 lists. Such a
    column was "no image column; name one with '#COLUMN' (columns: image)" and, named, "holds arrays,
    not images". H×W×3, H×W (grey) and 3×H×W arrays are read as images; an array of another shape is
    named as unreadable."""
    import datasets
    import numpy as np

    from benchmark.data import load_images

    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (16, 24), dtype=np.uint8)
    datasets.Dataset.from_dict({"image": [hwc, hwc.transpose(2, 0, 1)], "image_id": ["hwc", "chw"]}) \
        .save_to_disk(str(tmp_path / "arrays"))
    recs = load_images(DataSpec.parse(str(tmp_path / "arrays")))
    assert [r.image_id for r in recs] == ["hwc", "chw"]
    want = torch.from_numpy(hwc).permute(2, 0, 1)
    assert all(torch.equal(r.pixels, want) for r in recs)
    grey3 = torch.from_numpy(grey).expand(3, 16, 24)
    datasets.Dataset.from_dict({"pixels": [grey[:, :, None], grey[:, :, None].repeat(5, 2)]}) \
        .save_to_disk(str(tmp_path / "grey"))
    recs = load_images(DataSpec.parse(str(tmp_path / "grey")))  # the 5-channel one is skipped, by name
    assert len(recs) == 1 and torch.equal(recs[0].pixels, grey3)
    datasets.Dataset.from_dict({"pixels": [grey]}).save_to_disk(str(tmp_path / "grey2d"))
    assert torch.equal(load_images(DataSpec.parse(str(tmp_path / "grey2d")))[0].pixels, grey3)


def test_a_metric_that_gives_nan_on_an_image_is_reported_as_partial():
    """pyiqa's piqe is NaN on an all-black image (the jpeg input of a black frame is black). The NaN was
    stored as a value and silently skipped by every mean, so the ``input`` row's piqe averaged fewer
    images than the nets' rows, with no word anywhere. Coverage now counts a non-finite value as not
    scored: the run's (and the report's) coverage note names the metric, the image and why."""
    from types import SimpleNamespace

    from benchmark.metrics import MetricSet
    from benchmark.runner import coverage

    ms = MetricSet(("psnr", "piqe"))
    black, noise = torch.zeros(1, 3, 64, 64), torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    scores = [(SimpleNamespace(dataset="d", image=name), ms.score(x, x)) for name, x in (("black", black),
                                                                                     ("noise", noise))]
    assert scores[0][1]["piqe"] != scores[0][1]["piqe"]  # the case at hand: NaN
    scored, unscorable, partial = coverage(scores, ms)
    assert "piqe" in scored and "psnr" not in partial
    assert partial["piqe"].startswith("scored 1 of 2 images") and "d/black" in partial["piqe"]
    assert "not finite" in partial["piqe"] and "px per side" not in partial["piqe"]
    _, unscorable, _ = coverage(scores[:1], ms)
    assert "not finite" in unscorable["piqe"]

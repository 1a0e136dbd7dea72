"""Review of the image-input commits (474d74b..probe-inputs4): each test failed before its fix."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError

# sRGB's own colorants, D50-adapted (what an sRGB matrix/TRC profile holds)
SRGB_COLORANTS = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))


def _hwc(pixels):
    return pixels.permute(1, 2, 0).numpy()


def test_a_linear_light_profile_named_srgb_is_converted(tmp_path, caplog):
    """A profile is taken as sRGB by its name alone: a linear-light 'sRGB' (GIMP's 'Linear sRGB', Elle Stone's
    sRGB-…-g10: sRGB's primaries, tone curve gamma 1.0) kept its stored numbers, mid-grey 128 read as 128 where a
    viewer shows 188 — every pixel far too dark, unsaid. Its name still lets an sRGB approximation through
    (gamma 2.2 under sRGB's name: kept, as test_probe_inputs4 asserts)."""
    from PIL import Image
    from test_probe_inputs4 import _srgb_reference, icc_rgb_profile

    rgb = np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    linear = icc_rgb_profile("sRGB linear (g1.0)", SRGB_COLORANTS, gamma=1.0)
    Image.fromarray(rgb).save(tmp_path / "linear.png", icc_profile=linear)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    want = _srgb_reference(rgb, linear)
    assert np.abs(want.astype(int) - rgb).max() > 50  # the profile matters
    np.testing.assert_array_equal(_hwc(rec.pixels), want)
    assert "sRGB linear (g1.0)" in caplog.text and "converted to sRGB" in caplog.text


def _photos_and_masks(tmp_path):
    """Two photos as files (their paths) and a segmentation mask of each as PNG bytes."""
    import io

    from PIL import Image

    rng = np.random.default_rng(6)
    files, photos, masks = [], [], []
    for i in range(2):
        rgb = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(tmp_path / f"photo{i}.png")
        files.append(str(tmp_path / f"photo{i}.png"))
        photos.append(rgb)
        buf = io.BytesIO()
        Image.fromarray((rng.random((16, 24)) > 0.5).astype(np.uint8) * 255).save(buf, format="PNG")
        masks.append(buf.getvalue())
    return files, photos, masks


def test_a_mask_column_beside_a_path_column_is_not_read_as_the_test_images(tmp_path):
    """The guess took 'the one binary column' whatever else the dataset held: photos as paths in 'filepath' beside
    their segmentation masks as PNG bytes in 'mask' were scored as masks, said only at INFO. Two columns that may
    hold the images are now one line naming both and '#COLUMN'."""
    import datasets

    files, _, masks = _photos_and_masks(tmp_path)
    datasets.Dataset.from_dict({"filepath": files, "mask": masks}).save_to_disk(str(tmp_path / "seg"))
    with pytest.raises(UserError, match=r"'filepath'.*'mask'.*#COLUMN"):
        load_images(DataSpec(str(tmp_path / "seg")))


def test_a_binary_column_that_holds_no_image_is_not_guessed(tmp_path):
    """A binary column of something else (a CLIP embedding's float32 bytes) beside the image paths was taken as the
    image column: every row 'not an image file', the dataset unreadable. Only bytes with an image's signature count."""
    import datasets

    files, photos, _ = _photos_and_masks(tmp_path)
    emb = [np.random.default_rng(i).random(8, dtype=np.float32).tobytes() for i in range(2)]
    datasets.Dataset.from_dict({"filepath": files, "embedding": emb}).save_to_disk(str(tmp_path / "e"))
    recs = load_images(DataSpec(str(tmp_path / "e")))
    assert len(recs) == 2
    for r, want in zip(recs, photos):
        np.testing.assert_array_equal(_hwc(r.pixels), want)


def test_a_dataset_with_a_webdataset_key_column_keeps_its_image_ids(tmp_path):
    """'__key__' was made an id column (d0f7e12) for every dataset, not only the new WebDataset copies: a hub
    WebDataset (or its saved copy) whose keys have a folder ('cats/0001') had been read with ids from its files'
    names, so its ids — and the content fingerprint, run ids with it — changed unsaid, every finished run
    trained again. The ids stay those of before (the key's file name, told apart as before)."""
    import io

    import datasets
    from PIL import Image

    from benchmark.data import fingerprint

    rows = []
    for i, key in enumerate(["cats/0001", "dogs/0001", "dogs/0002"]):
        buf = io.BytesIO()
        Image.fromarray(np.full((16, 16, 3), i * 40, np.uint8)).save(buf, format="PNG")
        rows.append({"png": {"bytes": buf.getvalue(), "path": key.split("/")[-1] + ".png"}, "__key__": key})
    feats = datasets.Features({"png": datasets.Image(), "__key__": datasets.Value("string")})
    datasets.Dataset.from_list(rows, features=feats).save_to_disk(str(tmp_path / "wds"))
    recs = load_images(DataSpec(str(tmp_path / "wds")))
    assert [r.image_id for r in recs] == ["0001.png", "0001.png_1", "0002"]  # as read at 474d74b
    assert fingerprint(recs) == "791a2c47c741"  # 474d74b's fingerprint of these pixels and ids


def test_planning_warns_for_a_metric_a_task_s_larger_multiple_leaves_no_image_for(tmp_path, caplog):
    """check_metric_sizes cut the test images to multiples of 8, but ×3 super-resolution cuts them to multiples of
    24 (benchmark.runner.held_out_items): on 40 px images vif (≥ 33 px) was said to fit, then scored nothing in
    every sr4 scale=3 run (40 → 24 px), the run's log silent. Planning now cuts as the task does."""
    from PIL import Image

    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import build_configs

    d = tmp_path / "small"
    d.mkdir()
    for i in range(2):
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (40, 44, 3), dtype=np.uint8)).save(d / f"t{i}.png")
    argv = ["run", "--tasks", "sr4", "--task-param", "sr4.scale=3", "--losses", "l1", "--seeds", "0", "--iterations",
            "2", "--crop", "24", "--batch-size", "2", "--metrics", "psnr", "vif", "--train-data", "skimage:train",
            "--max-train-images", "1", "--test-data", str(d), "--no-budget-check"]
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        build_configs(grid_spec(build_parser().parse_args(argv)))
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("metric vif")]
    assert "score nothing" in line and "multiples of 24" in line and "sr4" in line
    assert not [r for r in caplog.records if r.getMessage().startswith("metric psnr")]

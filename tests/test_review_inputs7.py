"""Review of round 7's images and datasets (each test failed before its fix): an imagefolder whose metadata pairs
images without a ``file_name`` column."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_probe_inputs6 import _hwc

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


# ------------------------------------------------------------------------------------------------
# imagefolder metadata of *_file_name columns only (input_file_name + target_file_name)
# ------------------------------------------------------------------------------------------------
def test_paired_metadata_without_file_name_is_read_by_its_columns(tmp_path):
    """``datasets`` reads metadata of ``input_file_name`` + ``target_file_name`` (no ``file_name``) as the image columns
    input and target; the folder was read as every image file in it, the degraded inputs trained on and scored as
    clean images beside their targets, unsaid. Now as datasets reads it: two image columns, one named as the clean one,
    so '#COLUMN' is asked for, and ``FOLDER#target`` reads the targets only."""
    import datasets
    from PIL import Image

    root = tmp_path / "pairs"
    rng = np.random.default_rng(7)
    targets, rows = [], []
    for sub in ("input", "target"):
        (root / sub).mkdir(parents=True)
    for i in range(3):
        clean = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
        Image.fromarray(clean).save(root / "target" / f"{i}.png")
        Image.fromarray(clean // 2).save(root / "input" / f"{i}.png")
        targets.append(clean)
        rows.append({"input_file_name": f"input/{i}.png", "target_file_name": f"target/{i}.png"})
    (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = datasets.load_dataset("imagefolder", data_dir=str(root), split="train")
    assert sorted(n for n, f in ds.features.items() if isinstance(f, datasets.Image)) == ["input", "target"]

    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(root)))
    assert "#COLUMN" in str(err.value) and "'target'" in str(err.value) and "\n" not in str(err.value)
    recs = load_images(DataSpec.parse(f"{root}#target"))
    assert [r.image_id for r in recs] == ["0", "1", "2"]
    for rec, arr in zip(recs, targets):
        np.testing.assert_array_equal(_hwc(rec.pixels), arr)


# ------------------------------------------------------------------------------------------------
# owner/name/FILE not cached, offline
# ------------------------------------------------------------------------------------------------
def test_an_uncached_hub_data_file_offline_says_how_to_bring_that_file():
    """The profiles' fallback ``goodfellowliu/DIV2K/DIV2K_train_HR.zip:train`` uncached, offline, said to download
    the whole repo (``huggingface-cli download goodfellowliu/DIV2K``: every LR archive too) and pass that folder,
    which is refused ('holds no image file': zip archives), and to fill the cache, which a plain download of the
    repo does not (a ``data_files`` load is cached under its own config). Now: the one file, unpacked, or the
    ``load_dataset`` call that caches it."""
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("nobody/photos/HR.zip:train"))
    text = str(err.value)
    assert "huggingface-cli download nobody/photos HR.zip --repo-type dataset --local-dir DIR" in text
    assert "unpack" in text and "data_files={'train': 'HR.zip'}" in text and "\n" not in text
    assert "no local folder" not in text and "there is no local file 'nobody/photos/HR.zip'" in text

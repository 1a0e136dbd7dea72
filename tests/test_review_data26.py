"""Review of the data commits of round 26 (each test failed on the commit it names)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from benchmark.data import DataCache, DataSpec
from benchmark.errors import UserError


def _png_bytes(seed: int) -> bytes:
    from PIL import Image

    raw = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 40 * seed, np.uint8)).save(raw, "PNG")
    return raw.getvalue()


def test_an_id_column_of_bytes_is_not_read_as_ids(tmp_path):
    """948dc5bf took a column as the id column wherever its feature is a ``datasets.Value`` — also one of bytes
    (``binary``: a UUID stored as 16 bytes, a hash), whose cells gave "b'\\x124V'" ids: the bytes in every result row
    and the fingerprint that 803e524f's image column of PNG bytes gave. Such a column is passed over, as one of records
    or lists is: the images are named by their stored names."""
    import pandas as pd

    images = [{"bytes": _png_bytes(i), "path": p} for i, p in enumerate(("a.png", "b.png"))]
    pd.DataFrame({"image": images}).to_parquet(tmp_path / "plain.parquet")
    pd.DataFrame({"image": images, "id": [b"\x12\x34\x56", b"\x9a\xbc"]}).to_parquet(tmp_path / "bytes.parquet")
    want = [r.image_id for r in DataCache().images(DataSpec(str(tmp_path / "plain.parquet")))]
    assert want == ["a", "b"]
    assert [r.image_id for r in DataCache().images(DataSpec(str(tmp_path / "bytes.parquet")))] == want


def test_a_folder_of_imagefolder_metadata_alone_is_not_said_to_hold_no_file(tmp_path):
    """b7a23650 said 'is empty: no file in it or its subfolders' of a folder with no file counted — also one holding
    its imagefolder metadata alone (metadata.csv downloaded, its images not), which does hold a file. Such a folder
    is said to hold no image file, its metadata counted among the other files; one with no file is empty."""
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "metadata.csv").write_text("file_name,text\na.png,dog\n")
    with pytest.raises(UserError) as refused:
        DataCache().images(DataSpec(str(tmp_path / "meta")))
    assert "empty" not in str(refused.value)
    assert "holds no image file (1 other file; image suffixes" in str(refused.value)
    (tmp_path / "none").mkdir()
    with pytest.raises(UserError, match=r"is empty: no file in it"):
        DataCache().images(DataSpec(str(tmp_path / "none")))


def test_only_a_task_that_tags_a_16bit_pool_reads_its_images_8bit_levels(tmp_path, monkeypatch):
    """3af36104 read every 16-bit or float image of every pool for 8-bit levels (on_8bit_levels: float64 copies of
    the whole image, about 1 s for a 2040×1356 one, 4× its hash) as the pool was fingerprinted — for denoise, jpeg,
    sr4 resize=torch alike, whose ids never depend on it. Only a task whose data tag the pool's dtypes raise
    (sr4 resize=matlab) reads them now, once a pool; its ids are 3af36104's."""
    import tifffile

    import benchmark.data as data_module
    from benchmark.task import build_task

    values = np.random.default_rng(0).integers(0, 256, (32, 40, 3)).astype(np.uint16)
    for name, arr in {"wide": values * 257, "deep": values * 257 + 1}.items():
        (tmp_path / name).mkdir()
        tifffile.imwrite(tmp_path / name / "a.tif", arr, photometric="rgb")
    wide, deep = DataSpec(str(tmp_path / "wide")), DataSpec(str(tmp_path / "deep"))
    reads = []
    levels = data_module.on_8bit_levels
    monkeypatch.setattr(data_module, "on_8bit_levels", lambda img: reads.append(img.shape) or levels(img))
    data = DataCache()
    plain = {(spec, role): data.fingerprint((spec,), role) for spec in (wide, deep) for role in ("train", "test")}
    for task in (build_task("denoise"), build_task("sr4")):  # sr4's resize=torch
        assert all(data.fingerprint((spec,), role, task) == fp for (spec, role), fp in plain.items())
    assert reads == []  # no task here tags a 16-bit pool: none of its images read for levels
    matlab = build_task("sr4", resize="matlab")
    for role in ("train", "test"):
        assert data.fingerprint((wide,), role, matlab) == plain[wide, role]  # 8-bit values: untagged
        assert data.fingerprint((deep,), role, matlab) != plain[deep, role]  # true 16-bit: tagged
    assert len(reads) == 4  # each pool (two sources, train and test) once
    data.fingerprint((deep,), "test", matlab)
    assert len(reads) == 4

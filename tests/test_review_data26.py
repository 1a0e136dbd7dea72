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

"""Review of the data commits of round 27 (each test failed on the commit it names)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from benchmark.data import DataCache, DataSpec


def _png_bytes(seed: int) -> bytes:
    from PIL import Image

    raw = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), 40 * seed, np.uint8)).save(raw, "PNG")
    return raw.getvalue()


def _ids(source) -> list[str]:
    return [r.image_id for r in DataCache().images(DataSpec.parse(str(source)))]


@pytest.mark.parametrize("written", [".\\photos\\{}.png", "photos\\\\{}.png", "photos\\.\\{}.png"])
def test_an_id_column_of_relative_windows_paths_gives_the_ids_their_text_in_slashes_gives(tmp_path, written):
    """cb7a5e5b read an id column's relative Windows path (``photos\\a.png``) in ``/`` form by PureWindowsPath, which
    also drops ``.`` parts and doubled separators: ``.\\photos\\a.png`` gave ``photos/a.png`` where ``./photos/a.png``
    gives ``./photos/a.png``. Its backslashes are now read as slashes and nothing else, so the two spellings give one
    id."""
    (tmp_path / "photos").mkdir()
    for i, n in enumerate("ab"):
        (tmp_path / "photos" / f"{n}.png").write_bytes(_png_bytes(i + 1))
    ids = {}
    for name, sep in (("posix", "/"), ("windows", "\\")):
        rows = "".join(f"photos/{n}.png,{written.format(n).replace(chr(92), sep)}\n" for n in "ab")
        (tmp_path / f"{name}.csv").write_text(f"image,file_name\n{rows}")
        ids[name] = _ids(tmp_path / f"{name}.csv")
    assert ids["windows"] == ids["posix"]

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


@pytest.mark.parametrize("column", ["image_id", "file_name"])
def test_a_text_id_with_spaces_or_a_newline_around_it_is_the_id_a_csv_of_it_gives(tmp_path, column):
    """A saved (or hub) Dataset's text id column kept the spaces and newlines around its cells (`` a/b ``, ``c\\n``:
    ids holding them in every result table), where a CSV table of the same cells strips them (its cells read as a
    .txt list's lines are): the id is the text within them, whatever the source."""
    import datasets

    (tmp_path / "photos").mkdir()
    for i, n in enumerate("ab"):
        (tmp_path / "photos" / f"{n}.png").write_bytes(_png_bytes(i + 1))
    cells = [" x/one.png ", "two.png\n"]
    (tmp_path / "table.csv").write_text(f"image,{column}\n" + "".join(
        f'photos/{n}.png,"{c}"\n' for n, c in zip("ab", cells)))
    images = [{"bytes": _png_bytes(i + 1), "path": f"{n}.png"} for i, n in enumerate("ab")]
    ds = datasets.Dataset.from_dict({"image": images, column: cells},
                                    features=datasets.Features({"image": datasets.Image(),
                                                                column: datasets.Value("string")}))
    ds.save_to_disk(str(tmp_path / "saved"))
    assert _ids(tmp_path / "table.csv") == ["x/one.png", "two.png"]
    assert _ids(tmp_path / "saved") == _ids(tmp_path / "table.csv")


def test_a_relative_path_of_both_separators_written_on_windows_names_its_image_as_a_posix_one_does(tmp_path):
    """cb7a5e5b read a relative Windows path in ``/`` form only where it held no ``/``, but Python on Windows writes
    both: ``os.path.join("data/photos", "a.png")`` is ``data/photos\\a.png``. Stored with an image's bytes (a parquet
    of image records), its id was ``photos\\a`` (the stem of a POSIX name holding a backslash) where
    ``data/photos/a.png`` gives ``a``; in an id column ``photos/trip\\a.png`` where ``photos/trip/a.png`` gives that.
    Both are read as their ``/`` spelling."""
    import pandas as pd

    ids = {}
    for name, sep in (("posix", "/"), ("windows", "\\")):  # a parquet of image records, as pandas writes them
        paths = [f"data/photos{sep}a.png", f"data/photos/trip{sep}b.png"]
        images = [{"bytes": _png_bytes(i + 1), "path": p} for i, p in enumerate(paths)]
        pd.DataFrame({"image": images}).to_parquet(tmp_path / f"{name}.parquet")
        ids[name] = _ids(tmp_path / f"{name}.parquet")
    assert ids["windows"] == ids["posix"] == ["a", "b"]
    (tmp_path / "photos" / "trip").mkdir(parents=True)
    for i, n in enumerate("ab"):
        (tmp_path / "photos" / "trip" / f"{n}.png").write_bytes(_png_bytes(i + 1))
    for name, sep in (("posix", "/"), ("windows", "\\")):
        rows = "".join(f"photos/trip/{n}.png,photos/trip{sep}{n}.png\n" for n in "ab")
        (tmp_path / f"{name}.csv").write_text(f"image,image_id\n{rows}")
        ids[name] = _ids(tmp_path / f"{name}.csv")
    assert ids["windows"] == ids["posix"] == ["photos/trip/a.png", "photos/trip/b.png"]

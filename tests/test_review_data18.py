"""Review of the session-18 data fixes (probe-data): adversarial tables, the hub-id slash, the CPU-noise statement."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images


def _pngs(folder, *names):
    from PIL import Image

    for name in names:
        Image.new("RGB", (24, 16), (10, 200, 30)).save(folder / f"{name}.png")


@pytest.mark.parametrize("text", ["path\na.png\nmy, photo.png\nb.png\n", '"path"\r\na.png\r\nmy, photo.png\r\n',
                                  "path\n\na.png\nmy, photo.png\n", "missing.png\nmy, photo.png\na.png\n"])
def test_a_one_column_csv_keeps_a_comma_in_a_later_path(tmp_path, text):
    """A CSV of one column (a header ``path``, or a first path not found) whose later paths hold a comma was split at
    it: 'cannot be read (Error tokenizing data. C error: Expected 1 fields in line 3, saw 2)' → a first line with no
    separator makes the table one cell a line, as one naming a file does (18d9a06)."""
    _pngs(tmp_path, "a", "my, photo", "b")
    table = tmp_path / "list.csv"
    table.write_text(text, newline="")
    ids = [r.image_id for r in load_images(DataSpec.parse(str(table)))]
    assert "my, photo" in ids and "a" in ids, ids

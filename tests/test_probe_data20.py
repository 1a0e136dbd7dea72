"""Data inputs, probed as a researcher with their own photos, lists and Hugging Face datasets would hit them
(session 20)."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


def _pngs(folder, *names, size=(24, 16)):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{name}.png")


@pytest.mark.parametrize("name, text", [
    ("list.txt", "$PHOTOS/a.png\n${PHOTOS}/b.png\n~/c.png\n"),
    ("list.csv", "path,label\n$PHOTOS/a.png,1\n${PHOTOS}/b.png,2\n~/c.png,3\n"),
    ("list.tsv", "path\tlabel\n$PHOTOS/a.png\t1\n${PHOTOS}/b.png\t2\n~/c.png\t3\n"),
])
def test_a_list_naming_its_photos_by_an_environment_variable_reads_them(tmp_path, monkeypatch, name, text):
    """``$PHOTOS/a.png`` in a list (written for a shell, as the CLI's own paths are typed) was 'no such file:
    $PHOTOS/a.png' for every line: ``~``, ``$VAR`` and ``${VAR}`` are expanded as a shell expands them."""
    _pngs(tmp_path / "photos", "a", "b")
    _pngs(tmp_path / "home", "c")
    monkeypatch.setenv("PHOTOS", str(tmp_path / "photos"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / name).write_text(text)
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / name)))] == ["a", "b", "c"]


def test_a_list_naming_an_unset_variable_says_it_is_not_set(tmp_path, monkeypatch):
    """An unset variable is named as such, not as a file missing from the list's folder; a file whose own name holds
    a ``$`` is still read as written."""
    _pngs(tmp_path, "$1", "b")
    monkeypatch.delenv("PLBENCH_NO_SUCH_VAR", raising=False)
    (tmp_path / "list.txt").write_text("$PLBENCH_NO_SUCH_VAR/a.png\n")
    with pytest.raises(UserError, match=r"PLBENCH_NO_SUCH_VAR is not set"):
        load_images(DataSpec.parse(str(tmp_path / "list.txt")))
    (tmp_path / "list.txt").write_text("$1.png\nb.png\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "list.txt")))] == ["$1", "b"]


def test_a_markdown_file_of_two_image_tables_is_refused_naming_them(tmp_path):
    """A README-like ``.md`` with a train table and a test table was read as its first table alone: the test images
    silently dropped (or, read whole, mixed into training). Several tables of images in one file are refused in one
    line naming their lines; a table of something else (no image path) is passed over, wherever it stands."""
    _pngs(tmp_path, "a", "b", "c", "d")
    (tmp_path / "photos.md").write_text("# Train\n\n| path |\n|---|\n| a.png |\n| b.png |\n\n"
                                        "# Test\n\n| path | note |\n|---|---|\n| c.png | x |\n| d.png | y |\n")
    with pytest.raises(UserError, match=r"photos\.md: .*2 tables of images \(lines 3 and 10\).*one a file"):
        load_images(DataSpec.parse(str(tmp_path / "photos.md")))
    (tmp_path / "photos.md").write_text("# Shots\n\n| camera | count |\n|---|---|\n| X100 | 2 |\n\n"
                                        "## List\n\n| path | note |\n|---|---|\n| c.png | x |\n| d.png | y |\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "photos.md")))] == ["c", "d"]


@pytest.mark.parametrize("name, text, line", [
    ("photos.csv", 'path,caption\na.png,"two\nlines"\nc.png,x\nb.png,x,y\n', 5),
    ("photos.csv", '# made by me\n\npath,caption\na.png,"two\nlines"\nc.png,x\nb.png,x,y\n', 7),
    ("photos.txt", '# made by me\npath\tcaption\n# a note\na.png\t"two\nlines"\nc.png\tx\nb.png\tx\ty\n', 7),
])
def test_a_table_with_a_quoted_multi_line_cell_names_the_file_line_of_a_bad_row(tmp_path, name, text, line):
    """A caption quoted over two lines made pandas count one line less than the file holds: the row of three cells
    on line 5 (line 7 below notes) was said to be on line 4 (6)."""
    _pngs(tmp_path, "a", "b")
    (tmp_path / name).write_text(text)
    with pytest.raises(UserError, match=rf"line {line} holds 3 cells"):
        load_images(DataSpec.parse(str(tmp_path / name)))

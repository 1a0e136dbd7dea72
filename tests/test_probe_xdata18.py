"""Probe of the data leftovers of session 18: sizes said width first, CSV comment lines, pipe tables."""

from __future__ import annotations

import pytest
import torch

from benchmark.data import DataSpec, load_images


@pytest.mark.parametrize(("task", "h", "w", "said"), [
    ("demosaic", 4, 5, r"image 5×4 must have even sides"),
    ("sr4", 8, 10, r"image 10×8 is not a multiple of scale 4"),
])
def test_task_size_errors_name_width_first(task, h, w, said):
    """demosaic and sr4 said an image's size height first ('image 4x5' for a 5 px wide, 4 px high one), while the
    data module and image viewers say W×H → width × height, with the multiplication sign."""
    from benchmark.task import build_task

    with pytest.raises(ValueError, match=said):
        build_task(task).degrade(torch.rand(1, 3, h, w), torch.Generator().manual_seed(0))


def test_jpeg_size_error_names_width_first():
    """jpeg said 'image 1x65501 exceeds …' for a 65501 px wide strip: now '65501×1'."""
    from benchmark.task import build_task

    task = build_task("jpeg")
    with pytest.raises(ValueError, match=rf"image {task.max_side + 1}×2 exceeds JPEG's largest side"):
        task.degrade(torch.rand(1, 3, 2, task.max_side + 1), torch.Generator().manual_seed(0))


def test_backbone_too_small_names_width_first():
    """A feature trunk too small for its layers said 'a 2×9 input' for a 9 px wide, 2 px high crop: now '9×2'."""
    from benchmark.backbones import Backbone

    trunk = Backbone("vgg16", ["relu3_3"], weights="random")
    with pytest.raises(RuntimeError, match=r"a 9×2 input is too small for layer"):
        trunk(torch.rand(1, 3, 2, 9))


def _pngs(folder, *names):
    from PIL import Image

    for name in names:
        Image.new("RGB", (24, 16), (10, 200, 30)).save(folder / f"{name}.png")


@pytest.mark.parametrize(("suffix", "text"), [
    (".csv", "# made by me\npath,label\na.png,1\nb.png,2\n"),
    (".csv", "# made by me, for the paper; v2\n\n# second note\nfile;label\na.png;1\nb.png;2\n"),
    (".csv", "# one path a line\na.png,1\nb.png,2\n"),
    (".tsv", "# exported from my tool\npath\tlabel\na.png\t1\nb.png\t2\n"),
])
def test_a_csv_with_comment_lines_above_its_header_is_read(tmp_path, suffix, text):
    """A CSV whose first line is a '# …' note took that note for its header: 'has no image column … (columns: # made
    by me)' (or one column holding 'path,label' and the rows) → '#' lines above the header that cannot be one (no
    separator in them, or the next line names the image column) are passed over."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / f"photos{suffix}"
    table.write_text(text)
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b"]


@pytest.mark.parametrize("sep", [",", "\t"])
def test_a_header_column_named_hash_is_still_the_header(tmp_path, sep):
    """A header whose first column is literally '#' (a row number, as many exports write) stays the header."""
    from benchmark.data import _load_table

    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_text(f"#{sep}photo\n1{sep}a.png\n2{sep}b.png\n")
    assert _load_table(table).column_names == ["#", "photo"]
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}#photo"))] == ["a", "b"]


@pytest.mark.parametrize("text", ["path|label\na.png|1\nb.png|2\n", "a.png|1\nb.png|2\n",
                                  "file|label, note\na.png|1\nb.png|2\n",
                                  "# made by me\nfile|label\na.png|1\nb.png|2\n"])
def test_a_pipe_separated_table_is_read_by_its_pipes(tmp_path, text):
    """A table separated by pipes (``path|label``, as Markdown-minded scripts and some databases export) was one
    column named 'path|label' holding 'a.png|1' → '|' is a separator as ';' and a tab are."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_text(text)
    spec = DataSpec.parse(str(table) + ("#file" if text.startswith(("file", "#")) else ""))
    assert [r.image_id for r in load_images(spec)] == ["a", "b"]


@pytest.mark.parametrize("sep", ["|", ",", ";"])
def test_spaces_around_a_tables_cells_are_not_part_of_its_paths(tmp_path, sep):
    """'path | label' above 'a.png | 1' (as a pipe table is written to be read, and a hand-aligned CSV) looked for a
    file 'a.png ' and read no image → a text table's cells and header names are read without the spaces around them,
    as a .txt list's lines are."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_text(f"path {sep} label\na.png {sep} 1\n  b.png{sep}2\n")
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}#path"))] == ["a", "b"]


def test_a_lone_hash_line_above_a_csv_header_is_a_note(tmp_path):
    """A box of notes, '#' / '# made by me' / '#', above a CSV's header: the lone '#' lines were taken for a header
    column named '#' ('has no image column … (columns: #)') → a '#' line with no separator is a note; '#,photo' (a
    header's row-number column) stays the header (test_a_header_column_named_hash_is_still_the_header)."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_text("#\n# made by me\n#\npath,label\na.png,1\nb.png,2\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b"]


def test_a_note_line_among_a_csvs_rows_is_no_image(tmp_path, caplog):
    """A '# …' note line between a CSV's rows was read as a row: 'skipping unreadable image # second batch: no such
    file', counted among the unreadable → a row that is a '#' note alone (its other cells empty, no file of that
    name) is passed over, without a warning; a row naming a file '#1.png' is kept."""
    import logging

    _pngs(tmp_path, "a", "b", "#1")
    table = tmp_path / "photos.csv"
    table.write_text("path,label\na.png,1\n# second batch\nb.png,2\n#1.png,3\n")
    with caplog.at_level(logging.WARNING):
        assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b", "#1"]
    assert "unreadable" not in caplog.text

"""Review of the data-inputs fixes of session 16 (probe-data): defects found in them, each with its test."""

from __future__ import annotations

import logging

import datasets  # noqa: F401  (imported once here, not inside the first test's time)
import numpy as np
import pytest
from PIL import Image

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


def _folder(path, n: int = 2):
    path.mkdir()
    for i in range(n):
        Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8)).save(path / f"{i}.png")
    return path


def test_a_file_url_source_keeps_its_column_and_another_host_s_is_said_so(tmp_path, caplog):
    """--train-data file:///data/my%20photos#image (a file URL, SOURCE#COLUMN) read the folder with its '#image' dropped
    unsaid (urlparse's fragment), and file://nas/share/photos was refused as 'a URL: … download the files' → the
    column is kept, as for the folder's path; a file URL on another host is named so, on one line."""
    folder = _folder(tmp_path / "my photos")
    assert DataSpec.parse(folder.as_uri() + "#image") == DataSpec.parse(f"{folder}#image")
    with pytest.raises(UserError, match=r"^file://nas/share/photos is a file on another machine \(nas\)") as err:
        DataSpec.parse("file://nas/share/photos")
    assert "\n" not in str(err.value)
    (tmp_path / "list.csv").write_text(f"path\n{(folder / '0.png').as_uri()}\nfile://nas/share/1.png\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "list.csv")))] == ["0"]
    assert "file://nas/share/1.png: a file on another machine (nas)" in caplog.text


def test_a_path_whose_folders_differ_in_unicode_form_on_disk_is_found(tmp_path):
    """A Mac's folder (its name decomposed, NFD) copied into a folder named on Linux (composed, NFC): a path typed or
    written composed throughout, '…/José/Vacances été', was found in neither whole form (2813746, 05b85b5 tried the
    whole path composed, then decomposed), so the source was 'not found' and each table row 'no such file' → each
    part of a path not there as written is looked for in its other form (one helper for sources and table rows)."""
    import unicodedata

    def nfc(s):
        return unicodedata.normalize("NFC", s)

    folder = tmp_path / nfc("José") / unicodedata.normalize("NFD", "Vacances été")
    folder.mkdir(parents=True)
    Image.fromarray(np.full((16, 16, 3), 70, np.uint8)).save(folder / "a.png")
    spec = DataSpec.parse(nfc(f"{tmp_path}/José/Vacances été"))
    assert spec.source == str(folder) and [r.image_id for r in load_images(spec)] == ["a"]
    (tmp_path / "list.csv").write_text(nfc(f"path\nJosé/Vacances été/a.png\n{tmp_path}/José/Vacances été/a.png\n"))
    recs = load_images(DataSpec.parse(str(tmp_path / "list.csv")))
    assert len(recs) == 2 and all(int(r.pixels.max()) == 70 for r in recs)

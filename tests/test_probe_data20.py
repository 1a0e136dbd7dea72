"""Data inputs, probed as a researcher with their own photos, lists and Hugging Face datasets would hit them
(session 20)."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("answer, said", [("not found", r"from the hub \(the hub holds no dataset me/nonexist,"),
                                          ("no network", r"'me/nonexist' is not cached and the hub cannot be reached")])
def test_an_online_hub_id_the_hub_refuses_is_said_before_any_source_is_decoded(tmp_path, monkeypatch, capsys, answer,
                                                                               said):
    """Online, ``--test-data me/nonexist`` (a misspelt id, no cache holding it) was refused only when it was loaded,
    after the training sources were decoded (BSD200 + T91: minutes): the hub is asked, once, while the grid is
    planned, and its 'not found' (or no answer) said before any image is read."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    import benchmark.data as data
    from benchmark.cli import main

    for switch in ("huggingface_hub.constants.HF_HUB_OFFLINE", "datasets.config.HF_HUB_OFFLINE"):
        monkeypatch.setattr(switch, False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    asked = []

    def info(self, repo, **kw):
        asked.append(repo)
        url = f"https://huggingface.co/api/datasets/{repo}"
        if answer == "no network":
            raise httpx2.ConnectError("[Errno -3] Temporary failure in name resolution")
        raise RepositoryNotFoundError(f"404 Client Error. Repository Not Found for url: {url}.",
                                      response=httpx2.Response(404, request=httpx2.Request("GET", url)))

    def load(*a, **k):  # the load itself never reaches the hub here
        raise ConnectionError("Couldn't reach 'me/nonexist' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(HfApi, "dataset_info", info)
    monkeypatch.setattr("datasets.load_dataset", load)
    monkeypatch.setattr("datasets.get_dataset_split_names", load)  # asked beside dataset_info: never the real hub
    decoded = []
    real = data._decoded
    monkeypatch.setattr(data, "_decoded", lambda spec, *a, **k: decoded.append(str(spec)) or real(spec, *a, **k))
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--test-data", "me/nonexist",
                 "--out", str(tmp_path / "r"), "--dry-run", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and re.search(said, err[-1]), err
    assert decoded == [] and asked == ["me/nonexist"], (decoded, asked)


def test_an_online_hub_id_the_hub_holds_passes_its_check(monkeypatch, tmp_path):
    """The hub's yes is no error (its other answers, a server error, are left to the load, which says them)."""
    from huggingface_hub import HfApi

    from benchmark.data import check_source_readable

    for switch in ("huggingface_hub.constants.HF_HUB_OFFLINE", "datasets.config.HF_HUB_OFFLINE"):
        monkeypatch.setattr(switch, False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    asked = []
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train", "test", "validation"])
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: asked.append((repo, kw.get("revision"))))
    check_source_readable(DataSpec.parse("me/photos@v2:test"))
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: 1 / 0)
    check_source_readable(DataSpec.parse("me/photos"))
    assert asked == [("me/photos", "v2")]


def test_a_source_named_by_an_environment_variable_is_that_path(tmp_path, monkeypatch):
    """A config file's ``train_data: [$DATA/photos:test]`` (no shell to expand it, as the CLI's arguments are) was
    'dataset folder not found: $DATA/photos': ``$VAR`` and ``${VAR}`` in a source are expanded as in a list's paths,
    to the token (and run ids) of the path typed out; an unset one is named."""
    from benchmark.data import check_source_as_written

    _pngs(tmp_path / "photos" / "test", "a")
    (tmp_path / "photos" / "list.txt").write_text("test/a.png\n")
    monkeypatch.setenv("DATA", str(tmp_path))
    assert DataSpec.parse("$DATA/photos:test") == DataSpec.parse(f"{tmp_path}/photos:test")
    assert DataSpec.parse("${DATA}/photos/list.txt").token() == DataSpec.parse(f"{tmp_path}/photos/list.txt").token()
    monkeypatch.delenv("PLBENCH_NO_SUCH_VAR", raising=False)
    with pytest.raises(UserError, match=r"\$PLBENCH_NO_SUCH_VAR/photos \(cwd .*\): \$PLBENCH_NO_SUCH_VAR is not set"):
        check_source_as_written(DataSpec.parse("$PLBENCH_NO_SUCH_VAR/photos"))


@pytest.mark.parametrize("mode", ["L", "I;16", "RGBA"])
@pytest.mark.parametrize("orientation, turn", [(6, -1), (8, 1)])
def test_an_uncompressed_tiff_turned_by_its_exif_orientation_is_read_as_a_viewer_shows_it(tmp_path, mode,
                                                                                           orientation, turn):
    """An uncompressed grey (8- or 16-bit) or RGBA TIFF whose orientation tag turns it by 90° (a scanner's, a
    microscope's export) was read scrambled: Pillow maps such a file's pixels at its turned size, rows of the wrong
    length, then turns them. Read as the same file LZW-compressed is: turned, every pixel in place."""
    import numpy as np
    import torch
    from PIL import Image

    yy, xx = np.mgrid[0:24, 0:40]
    grey = (xx * 6 + yy).astype(np.uint8)
    if mode == "RGBA":
        pixels = np.stack([grey, 255 - grey, grey // 2, np.full_like(grey, 255)], -1)
    else:
        pixels = grey.astype(np.uint16) * 257 if mode == "I;16" else grey
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = orientation
    img.save(tmp_path / "scan.tif", exif=exif)
    (record,) = load_images(DataSpec.parse(str(tmp_path)))
    got = record.pixels.float() if record.pixels.dtype == torch.uint8 else record.pixels * 255  # on 0 … 255
    planes = pixels[..., :3] if mode == "RGBA" else np.stack([grey] * 3, -1)
    expected = torch.from_numpy(np.rot90(planes, turn).astype(np.float32)).permute(2, 0, 1)
    assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-3), mode


def test_a_list_of_same_named_photos_in_other_folders_names_each_by_its_folder(tmp_path):
    """A list of ``trip/x.png``, ``home/x.png``, ``old/home/x.png`` gave the ids ``x.png``, ``x.png_1``,
    ``x.png_2`` (by row: no per-image row, visual grid or overlap warning said which file): each is named by as
    many of its folders as tell it apart, as a folder source names them (``trip/x``, ``home/x``); a file listed twice
    is still one id and a numbered copy, and a lone name keeps its stem."""
    for where in ("trip", "home", "old/home"):
        _pngs(tmp_path / where, "x")
    _pngs(tmp_path, "y")
    (tmp_path / "list.txt").write_text("trip/x.png\nhome/x.png\nold/home/x.png\ny.png\ntrip/x.png\n")
    ids = [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "list.txt")))]
    assert ids == ["trip/x", "home/x", "old/home/x", "y", "trip/x_4"]


def test_a_source_of_one_unreadable_file_names_it_in_the_singular(tmp_path):
    """A list naming one file, empty, said 'contains no readable image (1 unreadable files; every one: empty file
    (0 bytes))': one file, named."""
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "list.txt").write_text("a.png\n")
    with pytest.raises(UserError, match=r"no readable image \(1 unreadable file; a\.png: empty file \(0 bytes\)\)$"):
        load_images(DataSpec.parse(str(tmp_path / "list.txt")))


@pytest.mark.parametrize("name, text", [
    ("photos.csv", "path,caption\na.png,x\nb.png,x,y\n"),
    ("photos.md", "| path |\n|---|\n| a.png |\n\n| path |\n|---|\n| b.png |\n"),
    ("photos.csv#pth", "path,caption\na.png,x\nb.png,y\n"),
])
def test_a_test_table_that_cannot_be_read_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch, capsys,
                                                                                  name, text):
    """A test list whose row holds a cell too many, a Markdown file of two tables of images, or a ``#COLUMN`` it does
    not hold was refused only when it was read, after the training sources were decoded (BSD200 + T91: minutes): a
    table is read (its images not) as the grid's sources are checked, its messages said once, at its load."""
    import benchmark.data as data
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    _pngs(tmp_path, "a", "b")
    (tmp_path / name.split("#")[0]).write_text(text)
    decoded = []
    real = data._decoded
    monkeypatch.setattr(data, "_decoded", lambda spec, *a, **k: decoded.append(str(spec)) or real(spec, *a, **k))
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--test-data", str(tmp_path / name),
                 "--out", str(tmp_path / "r"), "--dry-run", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "photos" in err[-1], err
    assert decoded == [], decoded


@pytest.mark.parametrize("kind", ["saved", "folder"])
@pytest.mark.parametrize("slip, said", [(":tset", "did you mean test"), ("#imag", "did you mean image")])
def test_a_misspelt_split_or_column_of_a_test_source_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch,
                                                                                           capsys, kind, slip, said):
    """``--test-data saved:tset`` (a saved DatasetDict's split, or an image folder's sub-folder, misspelt) or
    ``saved#imag`` was refused only after the training sources were decoded: its splits and columns are looked at
    (no image decoded) while the grid's sources are checked."""
    import datasets
    from conftest import dry_run_of_test_data

    for split in ("train", "test"):
        _pngs(tmp_path / "photos" / split, "a", "b", size=(32, 32))
    if kind == "saved":
        datasets.DatasetDict({split: datasets.Dataset.from_dict(
            {"image": [str(p) for p in sorted((tmp_path / "photos" / split).iterdir())]},
            features=datasets.Features({"image": datasets.Image()})) for split in ("train", "test")}
        ).save_to_disk(str(tmp_path / "saved"))
    source = str(tmp_path / ("saved" if kind == "saved" else "photos")) + (slip if slip[0] == ":" else ":test" + slip)
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, source, tmp_path / "r")
    assert code == 2 and said in err[-1], err
    assert decoded == [], decoded


def test_a_misspelt_split_of_a_local_copy_of_hub_files_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch,
                                                                                             capsys):
    """``--test-data copy:tset`` (``huggingface-cli download … --local-dir copy``: parquet shards per split) was
    refused only after the training sources were decoded: its splits, read off its files' names, are checked with
    the grid's sources."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image

    import benchmark.data as data
    from benchmark.cli import main

    (tmp_path / "copy" / "data").mkdir(parents=True)
    for split in ("train", "test"):
        buf = io.BytesIO()
        Image.new("RGB", (32, 32), (9, 99, 199)).save(buf, format="PNG")
        pq.write_table(pa.table({"image": [{"bytes": buf.getvalue(), "path": "a.png"}]}),
                       tmp_path / "copy" / "data" / f"{split}-00000-of-00001.parquet")
    decoded = []
    real = data._decoded
    monkeypatch.setattr(data, "_decoded", lambda spec, *a, **k: decoded.append(str(spec)) or real(spec, *a, **k))
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--test-data",
                 f"{tmp_path / 'copy'}:tset", "--out", str(tmp_path / "r"), "--dry-run", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "did you mean test" in err[-1], err
    assert decoded == [], decoded

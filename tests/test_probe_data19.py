"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 19)."""

from __future__ import annotations

import logging

import pytest

from benchmark.data import DataSpec, load_images


def _pngs(folder, *names, size=(24, 16)):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{name}.png")


def test_the_overlap_check_travels_to_workers_and_into_a_note(tmp_path):
    """A test folder that is a copy of the training folder was only a WARNING in the planning log: the runs, the
    store and the leaderboard kept no trace of it → the planned check's answer is kept per (training, test) pair for
    the runs' meta.json (:meth:`DataCache.known_overlap`), handed to workers that compare no image
    (:meth:`DataCache.overlaps` → :meth:`DataCache.take_overlaps`), and read back as the leaderboard's note."""
    import shutil

    from benchmark.config import RunConfig
    from benchmark.data import DataCache, overlap_lines

    _pngs(tmp_path / "mine", "a", "b", "c")
    shutil.copytree(tmp_path / "mine", tmp_path / "copy")
    train, test = (DataSpec.parse(str(tmp_path / "mine")),), (DataSpec.parse(str(tmp_path / "copy")),)
    data = DataCache()
    assert data.known_overlap(train, test) is None  # not checked: nothing to record
    data.overlap(train, test)
    found = data.known_overlap(train, test)
    assert found == {"images": ["copy/a", "copy/b", "copy/c"], "test_images": 3}
    worker = DataCache()  # a worker process: the driver's answer taken, no image compared
    worker.take_overlaps(data.overlaps([RunConfig(task="denoise", loss="l1", train_data=train, test_data=test)]))
    assert worker._overlaps == data._overlaps and not worker._images
    meta = {"config": {"task": "denoise", "train_data": [train[0].token()], "test_data": [test[0].token()]},
            "test_overlap": found}
    check = dict(meta, config=dict(meta["config"], iterations=60))  # its budget check: the same run, counted once
    (line,) = overlap_lines([meta, check, dict(meta, config=dict(meta["config"], task="sr4"))])
    assert line.startswith("Test images trained on: 3 of 3 test images are also training images (train: ")
    assert "in 2 runs (denoise, sr4)" in line and line.endswith("copy/a, copy/b, copy/c."), line
    clean = dict(meta, test_overlap={"images": [], "test_images": 3})
    assert overlap_lines([clean, {"run_id": "older than the record"}]) == []


@pytest.mark.slow
def test_a_grid_tested_on_a_copy_of_its_training_folder_says_so_on_its_leaderboard(tmp_path):
    """The same end to end: planned, trained, its meta.json's ``test_overlap``, the leaderboard's note."""
    import shutil

    import torch

    from benchmark.config import GridSpec, build_configs, run_id
    from benchmark.report import write_report
    from benchmark.results import ResultsStore
    from benchmark.runner import DataCache, run_grid

    _pngs(tmp_path / "mine", "a", "b", "c", size=(32, 32))
    shutil.copytree(tmp_path / "mine", tmp_path / "copy")
    data = DataCache()
    spec = GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=1, crop=16, batch_size=1,
                    net="tiny", train_data=(str(tmp_path / "mine"),), test_data=(str(tmp_path / "copy"),),
                    metrics=("psnr",), budget_check=False, device="cpu")
    configs, metrics, _ = build_configs(spec, data)
    store = ResultsStore(tmp_path / "results")
    run_grid(configs, store, metrics, torch.device("cpu"), progress=False, data=data)
    assert store.meta(run_id(configs[0]))["test_overlap"]["images"] == ["copy/a", "copy/b", "copy/c"]
    paths = write_report(store, formats=("png",), visual=False)
    assert "Test images trained on: 3 of 3 test images are also training images" in paths["markdown"].read_text()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".json"])
def test_a_table_in_utf_16_without_a_byte_order_mark_is_read(tmp_path, suffix, encoding):
    """A table written as UTF-16 with no byte-order mark (``open(f, 'w', encoding='utf-16-le')``, .NET's
    ``Encoding.Unicode`` without its preamble) was read as UTF-8: each path spelt with NULs between its letters, every
    line 'unreadable' (``a . p n g``) or 'Couldn't cast' → its NUL bytes' places tell UTF-16/32 and its byte order."""
    import json

    _pngs(tmp_path, "café", "b")
    text = {".txt": "café.png\nb.png\n", ".csv": "file,label\r\ncafé.png,1\r\nb.png,2\r\n",
            ".tsv": "file\tlabel\ncafé.png\t1\nb.png\t2\n",
            ".json": json.dumps([{"file": "café.png"}, {"file": "b.png"}], ensure_ascii=False)}[suffix]
    table = tmp_path / f"photos{suffix}"
    table.write_bytes(text.encode(encoding))
    column = "" if suffix == ".txt" else "#file"
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}{column}"))] == ["café", "b"]


@pytest.mark.parametrize("name, content", [
    ("quoted.csv", '"# made by me, 2026"\nfile,label\na.png,1\nb.png,2\n'),
    ("quoted_cells.csv", '"# made by me, 2026",,\nfile,label,x\na.png,1,\nb.png,2,\n'),
    ("quoted.tsv", '"# made by ""me"""\nfile\tlabel\na.png\t1\nb.png\t2\n'),
    ("sep_first.csv", "sep=;\n# made by me\nfile;label\na.png;1\nb.png;2\n"),
    ("sep_quoted.csv", 'sep=;\n"# made by me; 2026"\nfile;label\na.png;1\nb.png;2\n')])
def test_a_note_quoted_as_a_spreadsheet_cell_or_below_a_sep_line_is_no_header(tmp_path, name, content):
    """A ``# …`` note above a CSV/TSV's header is passed over; one a spreadsheet saved quoted, for the comma in it
    (``"# made by me, 2026"``, with its row's empty cells ``,,``), or one below Excel's ``sep=;`` line, was taken
    for the header: 'has no column 'file' (columns: # made by me, 2026)' → a wholly quoted ``#`` cell is a note, and
    the notes below a ``sep=`` line are passed over as those above it."""
    _pngs(tmp_path, "a", "b")
    (tmp_path / name).write_text(content)
    assert [r.image_id for r in load_images(DataSpec.parse(f"{tmp_path / name}#file"))] == ["a", "b"]


def test_a_quoted_header_or_path_stays_what_it_is(tmp_path):
    """Quotes alone make no note: a quoted header row, and a one-column list of quoted paths, one named ``#1.png``."""
    _pngs(tmp_path, "#1", "b")
    (tmp_path / "h.csv").write_text('"file","label"\n"#1.png",1\nb.png,2\n')
    assert [r.image_id for r in load_images(DataSpec.parse(f"{tmp_path / 'h.csv'}#file"))] == ["#1", "b"]
    (tmp_path / "l.csv").write_text('"#1.png"\n"b.png"\n')
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "l.csv")))] == ["#1", "b"]


@pytest.mark.parametrize("name", ["photos.txt", "photos.csv", "photos.md"])
def test_a_markdown_pipe_table_is_read_by_its_cells(tmp_path, name):
    """A table kept as Markdown (``| path | label |`` over a ``|---|---|`` rule, a title and prose around it) was read
    as one path a line: '| a.png | 1 |: no such file' for each row, or, as a ``.md``, refused as 'a file, not a
    dataset' → its rows' cells, between the outer pipes, under its header; the rule and the text around it no rows."""
    _pngs(tmp_path, "a", "my photo")
    (tmp_path / name).write_text("# My photos\n\nShot in 2026.\n\n| path | label |\n| :--- | ---: |\n"
                                 "| a.png | 1 |\n| my photo.png | 2 |\n\nTwo more to come.\n")
    for given in (str(tmp_path / name), f"{tmp_path / name}#path"):
        assert [r.image_id for r in load_images(DataSpec.parse(given))] == ["a", "my photo"]


def test_a_markdown_file_without_a_table_is_still_no_source(tmp_path):
    from benchmark.errors import UserError

    (tmp_path / "notes.md").write_text("# notes\n\n| not a table, no rule under it |\n")
    with pytest.raises(UserError, match="is a file, not a dataset"):
        load_images(DataSpec.parse(str(tmp_path / "notes.md")))


def test_an_empty_source_from_python_is_one_clear_line(tmp_path):
    """`plbench pretrain --data ''` names its flag and what to give; from Python, ``PretrainConfig(data='')`` (what
    pretrain trains on), ``probe(data=' ')`` and ``DataSpec.parse('')`` said only 'empty dataset source' →
    the same line, naming the setting where there is one."""
    from benchmark.errors import UserError
    from benchmark.pretrain import PretrainConfig, probe

    what = "empty dataset source: name a folder of images, an embedded set (skimage) or a hub id"
    with pytest.raises(UserError) as e:
        PretrainConfig(data="")
    assert str(e.value) == f"data '': {what}"
    with pytest.raises(UserError) as e:
        probe("tinycnn", None, data=" ")
    assert str(e.value) == f"data source ' ': {what}"
    with pytest.raises(UserError) as e:
        DataSpec.parse("")
    assert str(e.value) == f"data source '': {what}"


@pytest.mark.parametrize("column", ["filename", "file_name"])
def test_a_datasets_rows_are_named_by_its_file_name_column_in_messages(tmp_path, caplog, column):
    """A saved dataset of image bytes with a column naming each file: a damaged, a too small and a transparent image
    were named 'row 1', 'row 2 (4×4)', 'row 3' — which photo, the user had to count → by that column, with the row:
    'dog.png (row 1)'; the image ids are unchanged (``file_name`` makes them, ``filename`` does not)."""
    import io

    import datasets
    from PIL import Image

    def png(size, mode="RGB"):
        out = io.BytesIO()
        Image.new(mode, size, (1, 2, 3, 100) if mode == "RGBA" else (1, 2, 3)).save(out, "PNG")
        return {"bytes": out.getvalue(), "path": None}

    ds = datasets.Dataset.from_dict(
        {"image": [png((32, 32)), {"bytes": b"garbage", "path": None}, png((4, 4)), png((32, 32), "RGBA")],
         column: ["cat.png", "dog.png", "tiny.png", "alpha.png"]},
        features=datasets.Features({"image": datasets.Image(), column: datasets.Value("string")}))
    ds.save_to_disk(str(tmp_path / "saved"))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        ids = [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "saved")))]
    # the 4×4 one loaded since 44e3edf, for a task with modcrop=true to test on (tests/test_probe_data24.py), and named
    assert ids == (["cat.png", "tiny.png", "alpha.png"] if column == "file_name" else ["00000", "00002", "00003"])
    assert "skipping dog.png (row 1): not an image file" in caplog.text
    assert "tiny.png (row 2) (4×4)" in caplog.text and "background): alpha.png (row 3)" in caplog.text
    assert "1 unreadable: dog.png (row 1)" in caplog.text


def test_photos_no_decoder_reads_are_counted_in_their_plural(tmp_path, caplog):
    """A phone's HEIC photos and a camera's RAW files skipped in a folder were said '2 HEIC/HEIF photo, … export it',
    '2 camera RAW file' (the reason's text was its own plural) → '2 HEIC/HEIF photos, … export them as JPEG or PNG',
    in the folder's warning and in the refusal of a folder holding nothing else."""
    from benchmark.errors import UserError, pip

    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    for name in ("IMG_0001.HEIC", "IMG_0002.heic"):
        (tmp_path / name).write_bytes(heic)
    for name in ("a.CR2", "b.NEF"):
        (tmp_path / name).write_bytes(b"II*\x00")
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(str(tmp_path)))
    assert f"2 HEIC/HEIF photos, which no decoder here reads ({pip()} install pillow-heif, or export them as JPEG " \
           "or PNG); 2 camera RAW files, not decoded (develop them into 16-bit TIFFs or PNGs)" in str(e.value), e.value
    _pngs(tmp_path, "c")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        load_images(DataSpec.parse(str(tmp_path)))
    assert "skipped 2 HEIC/HEIF photos, which" in caplog.text and "2 camera RAW files, not" in caplog.text
    (tmp_path / "b.NEF").unlink()
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        load_images(DataSpec.parse(str(tmp_path)))
    assert "1 camera RAW file, not decoded (develop it into a 16-bit TIFF or PNG): a.CR2" in caplog.text


@pytest.mark.parametrize("text", ["file,label\na.png,1,\nb.png,2,\n", "file;label\r\na.png;1;\r\nb.png;2;\r\n",
                                  "file,label\na.png,1,kept?\nb.png,2\n", "file\tlabel\na.png\t1\t\nb.png\t2\t\n"])
def test_rows_of_one_cell_more_than_the_header_keep_their_columns(tmp_path, text):
    """A script's CSV whose every row ends with a separator (``a.png,1,``) holds one cell more a row than its header:
    pandas took each row's first cell for its index and shifted the columns, the ``file`` column reading the labels
    ('skipping unreadable image 1: no such file: 1', then 'contains no readable image') → its columns read as its
    header names them, the cells past them not read."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / ("photos.tsv" if "\t" in text else "photos.csv")
    table.write_bytes(text.encode())
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}#file"))] == ["a", "b"]
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b"]


@pytest.mark.parametrize("name", ["photos.xlsx", "photos.ods", "Photos.XLS"])
def test_a_spreadsheet_workbook_is_refused_saying_to_save_it_as_csv(tmp_path, name):
    """A list of photos kept in a spreadsheet, its workbook given as the source, was refused as 'a file, not a
    dataset: a source is … a table of image paths (.txt, .csv, …)', leaving the user to guess it is the format →
    one line naming it a workbook and the CSV to save and pass."""
    from benchmark.errors import UserError

    (tmp_path / name).write_bytes(b"PK\x03\x04")
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(str(tmp_path / name)))
    assert str(e.value) == (f"{tmp_path / name} is a spreadsheet workbook, which is not read: save its sheet as CSV "
                            f"(in Excel: Save As → CSV UTF-8) and pass {(tmp_path / name).with_suffix('.csv')}")


@pytest.mark.slow
def test_compare_says_the_field_was_tested_on_training_images(tmp_path, monkeypatch):
    """`plbench compare` ranks a new loss among the field's runs: where those recorded test images that were
    training images (``test_overlap``), its section said nothing while the leaderboard does → the same note."""
    import json

    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the notes are tested, not the figure
    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "mine": 0.5}, metrics=("psnr",), seeds=(0,),
                        n_images=4, budget_check=False)
    metas = [m for m in store.metas() if m.get("kind") != "input"]
    for m in metas:
        m["test_overlap"] = {"images": ["set/img0"], "test_images": 4}
        (store.run_dir(m["run_id"]) / "meta.json").write_text(json.dumps(m))
    text, _ = _summary(store, {"denoise": metas}, ["mine"], {"denoise": []}, 0.05, 50, "l1", ())
    assert "Test images trained on: 1 of 4 test images is also a training image" in text, text

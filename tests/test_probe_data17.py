"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 17)."""

from __future__ import annotations

import logging

import datasets
import numpy as np
import pytest

from benchmark.data import DataSpec, load_images


@pytest.mark.parametrize("dtype, opaque", [("uint8", 255), ("uint16", 65535), ("float32", 1.0)])
def test_transparent_pixel_arrays_are_named_as_transparent_files_are(tmp_path, caplog, dtype, opaque):
    """A dataset of RGBA pixel arrays (Dataset.from_dict of a renderer's H×W×4 frames) whose alpha is not opaque had
    its alpha dropped in silence, where a PNG with transparent pixels is named in a warning → named alike; an opaque
    RGBA array says nothing."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 16, 20, 3)).astype(np.float64) / 255 * opaque
    alpha = np.full((2, 16, 20, 1), opaque, dtype=np.float64)
    alpha[0, :4] = 0  # the first frame's top rows transparent
    frames = np.concatenate([rgb, alpha], -1).astype(dtype)
    path = tmp_path / "frames"
    datasets.Dataset.from_dict({"image": list(frames), "image_id": ["cut", "whole"]}).save_to_disk(str(path))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(path)))
    assert [tuple(r.pixels.shape) for r in recs] == [(3, 16, 20)] * 2
    said = [r.getMessage() for r in caplog.records if "transparent pixels" in r.getMessage()]
    assert len(said) == 1 and "1 image has transparent pixels" in said[0] and "row 0" in said[0], said


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_spreadsheets_csv_with_semicolons_or_tabs_is_read_by_its_own_separator(tmp_path, sep):
    """A CSV that a spreadsheet in a European locale writes (Excel's 'CSV' there: ``file;label``, Windows line ends)
    was read as one column named ``file;label`` and refused for want of an image column, asking for a ``#COLUMN``
    no spelling could name → its separator is read off its first line, the paths read, ``#file`` names the column."""
    from PIL import Image

    for name in ("a", "b"):
        Image.new("RGB", (24, 16), (10, 200, 30)).save(tmp_path / f"{name}.png")
    table = tmp_path / "photos.csv"
    table.write_bytes(f"file{sep}label\r\na.png{sep}1\r\nb.png{sep}2\r\n".encode())
    for given in (str(table), f"{table}#file"):
        assert [(r.image_id, tuple(r.pixels.shape)) for r in load_images(DataSpec.parse(given))] == \
            [("a", (3, 16, 24)), ("b", (3, 16, 24))]


def test_a_csv_of_paths_holding_semicolons_keeps_its_commas(tmp_path):
    """The separator read off the first line is a comma wherever it has one: a path with a semicolon in it stays one."""
    from PIL import Image

    Image.new("RGB", (24, 16)).save(tmp_path / "x;1.png")
    table = tmp_path / "photos.csv"
    table.write_text("file,label\nx;1.png,3\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["x;1"]
    (tmp_path / "list.csv").write_text("x;1.png\n")  # one path a line, no header: the whole line
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "list.csv")))] == ["x;1"]


def test_a_hold_out_of_patches_of_one_size_turns_none_of_them(monkeypatch):
    """A folder of patches of one size (DIV2K's sub-images, a crop set: 10 000 of 64 × 64 px took 5 minutes of silence
    to hold out on a busy 2-core machine) had each image's eight turnings made, every one of the eight by making all
    eight, in each round of its hold-out, to look for crops cut from one another that no image of one size can be →
    none is turned where no size fits in another; a turning made is made alone, the one _turned_views gives."""
    import torch

    from benchmark import data
    from benchmark.data import ImageRecord, holdout_split

    rng = np.random.default_rng(3)
    records = [ImageRecord(f"p{i}", torch.from_numpy(rng.integers(0, 256, (3, 24, 20), dtype=np.uint8)))
               for i in range(40)]
    made, init = [], data._TurnedView.__init__
    monkeypatch.setattr(data._TurnedView, "__init__", lambda self, r, t: (made.append(t), init(self, r, t))[1])
    assert sum(holdout_split(records, 25.0)) == 10
    assert made == []
    for t in range(8):
        assert np.array_equal(data._TurnedView(records[0], t).array, data._turned_views(records[0].pixels.numpy())[t])


@pytest.mark.parametrize("orient", ["columns", "index", "split", "table", "lists"])
def test_a_json_table_that_pandas_wrote_is_read_row_by_row(tmp_path, orient):
    """A table of paths written by pandas as JSON (``df.to_json('photos.json')``: by columns, pandas' default; or
    ``orient='index'``, ``'split'``, ``'table'``), or ``json.dump({'file': paths})``, was read by datasets as one row
    of structs and refused for want of an image column, ``#file`` then said to hold arrays → read as pandas reads it,
    a row an image."""
    import json

    import pandas as pd
    from PIL import Image

    for name in ("a", "b"):
        Image.new("RGB", (24, 16), (10, 200, 30)).save(tmp_path / f"{name}.png")
    table, frame = tmp_path / "photos.json", pd.DataFrame({"file": ["a.png", "b.png"], "label": [1, 2]})
    if orient == "lists":
        table.write_text(json.dumps(frame.to_dict(orient="list")))
    else:
        frame.to_json(table, orient=orient)
    for given in (str(table), f"{table}#file"):
        assert [(r.image_id, tuple(r.pixels.shape)) for r in load_images(DataSpec.parse(given))] == \
            [("a", (3, 16, 24)), ("b", (3, 16, 24))]


@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_a_table_saved_in_windows_1252_is_read_with_its_accents(tmp_path, caplog, suffix):
    """Excel's 'CSV (Comma delimited)' and older Notepad save in Windows-1252, not UTF-8: a table naming ``café.png``
    was refused as a table that cannot be read ('utf-8' codec can't decode byte 0xe9) → read as Windows-1252, the
    accented file found, and said in a warning naming the table."""
    from PIL import Image

    Image.new("RGB", (24, 16), (10, 200, 30)).save(tmp_path / "café.png")
    table = tmp_path / f"photos{suffix}"
    table.write_bytes(("file,label\r\ncafé.png,1\r\n" if suffix == ".csv" else "café.png\r\n").encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["café"]
    said = [r.getMessage() for r in caplog.records if "Windows-1252" in r.getMessage()]
    assert len(said) == 1 and str(table) in said[0]


def test_a_long_hold_out_or_overlap_check_says_it_is_still_comparing(tmp_path, caplog, monkeypatch):
    """After a big source's decoding lines ('9416 of 10000 images read'), its hold-out and the overlap check compared
    images for minutes without a line (10 000 patches: 5 minutes, then 1.5 more), as if planning hung → a line every
    DECODE_REPORT_S seconds says which comparison is running, on how many images, for how long; a quick one says
    nothing."""
    import time

    import torch

    from benchmark import data
    from benchmark.data import DataCache, ImageRecord

    rng = np.random.default_rng(5)
    records = [ImageRecord(f"p{i}", torch.from_numpy(rng.integers(0, 256, (3, 24, 20), dtype=np.uint8)))
               for i in range(6)]
    monkeypatch.setattr(data, "load_images", lambda spec: records)
    train, test = (DataSpec.parse(f"{tmp_path}[holdout=34%]", role=r) for r in ("train", "test"))
    cache = DataCache()
    with caplog.at_level(logging.INFO, logger="benchmark.data"):
        cache.overlap((train,), (test,))  # quick: nothing said
        assert not [r for r in caplog.records if "comparing" in r.getMessage()]
        monkeypatch.setattr(data, "DECODE_REPORT_S", 0.05)
        slow = data.near_copy_pairs
        monkeypatch.setattr(data, "near_copy_pairs", lambda *a, **k: (time.sleep(0.2), slow(*a, **k))[1])
        cache, caplog.records[:] = DataCache(), []
        cache.images(test)
        slow_turned = DataCache._turned_copies
        monkeypatch.setattr(DataCache, "_turned_copies", lambda *a: (time.sleep(0.2), slow_turned(*a))[1])
        cache.overlap((train,), (test,))
    said = [r.getMessage() for r in caplog.records if "comparing" in r.getMessage()]
    assert any(f"{tmp_path}" in s and "hold-out" in s and "6 images" in s for s in said), said
    assert any("overlap" in s and "4 training" in s and "2 test" in s for s in said), said


@pytest.mark.parametrize("given, hub_id", [
    ("https://huggingface.co/datasets/eugenesiow/Set5", "eugenesiow/Set5"),
    ("https://huggingface.co/datasets/eugenesiow/Set5/tree/main/data", "eugenesiow/Set5@main"),
    ("hf://datasets/goodfellowliu/DIV2K@refs%2Fconvert%2Fparquet/x", "goodfellowliu/DIV2K@refs/convert/parquet"),
    ("hf://datasets/goodfellowliu/DIV2K", "goodfellowliu/DIV2K"),
    ("https://huggingface.co/datasets/goodfellowliu/DIV2K/blob/main/DIV2K_train_HR.zip",
     "goodfellowliu/DIV2K/DIV2K_train_HR.zip@main"),
    ("datasets/eugenesiow/Set5", "eugenesiow/Set5"),
])
def test_a_hub_datasets_web_address_is_refused_naming_its_id(tmp_path, monkeypatch, given, hub_id):
    """A hub dataset's page copied from the browser (https://huggingface.co/datasets/owner/name), its hf:// address
    (what datasets and pandas read) or its path with the page's 'datasets/' before it was refused as a URL to
    download and pass as a folder, or read as owner 'datasets' and named so in the offline advice → one line naming
    the id to pass instead."""
    from benchmark.errors import UserError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as err:
        DataSpec.parse(given)
    assert f"pass its id, {hub_id}" in str(err.value) and "\n" not in str(err.value), str(err.value)


@pytest.mark.parametrize("task, param, value", [("denoise", "sigma", 25), ("deblur", "noise_sigma", 2.55),
                                                ("demosaic", "noise_sigma", 5)])
def test_a_noise_level_given_on_the_0_255_scale_is_refused_naming_its_0_1_spelling(task, param, value):
    """The papers state noise on the 0–255 scale (DnCNN's σ = 25); ``--task-param denoise.sigma=25`` was refused as
    outside (0, 1) without saying how to write it → the refusal names ``denoise.sigma=25/255`` (what the command line
    and config files read); a value over 255 is not told so."""
    from benchmark.errors import UserError
    from benchmark.task import build_task

    with pytest.raises(UserError) as err:
        build_task(task, **{param: value})
    assert f"{task}.{param}={value:g}/255" in str(err.value), str(err.value)
    with pytest.raises(UserError) as err:
        build_task(task, **{param: 300})
    assert "/255" not in str(err.value)


def test_training_data_named_twice_is_said_and_pooled_as_given(tmp_path, caplog):
    """One training folder named twice (its path and a link to it, or two spellings: each read as the same source)
    was pooled twice in silence: its images drawn twice as often as another source's, and its runs' ids not the ones
    the same grid named once has → a warning names it, the pool kept as given (a source repeated on purpose weighs
    more); test data named twice is scored once, as before."""
    from PIL import Image

    from benchmark.config import GridSpec, build_configs
    from benchmark.runner import DataCache

    folder = tmp_path / "mine"
    folder.mkdir()
    Image.new("RGB", (32, 32), (30, 60, 90)).save(folder / "a.png")
    (tmp_path / "link").symlink_to(folder)
    (tmp_path / "test").mkdir()
    Image.new("RGB", (16, 16), (90, 60, 30)).save(tmp_path / "test" / "b.png")
    spec = GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=2, crop=8,
                    train_data=(str(folder), str(tmp_path / "link")), test_data=(str(tmp_path / "test"),),
                    metrics=("psnr",), budget_check=False)
    with caplog.at_level(logging.WARNING):
        configs, _, _ = build_configs(spec, DataCache())
    said = [r.getMessage() for r in caplog.records if "training data named more than once" in r.getMessage()]
    assert len(said) == 1 and str(folder) in said[0], said
    assert [str(s) for s in configs[0].train_data] == [str(folder)] * 2


def test_the_comparisons_hand_their_freed_buffers_back(tmp_path, monkeypatch):
    """A hold-out's comparisons free hundreds of MB of small buffers into glibc's heap, which kept them: the driver
    of an overnight grid held 3000 patches' 320 MB (RSS 987 MB, 678 once trimmed) for the whole grid, memory its
    workers' share of the free RAM is measured without → handed back (malloc_trim) once a comparison ends."""
    import torch

    from benchmark import data
    from benchmark.data import DataCache, ImageRecord

    rng = np.random.default_rng(5)
    records = [ImageRecord(f"p{i}", torch.from_numpy(rng.integers(0, 256, (3, 24, 20), dtype=np.uint8)))
               for i in range(6)]
    monkeypatch.setattr(data, "load_images", lambda spec: records)
    trimmed = []
    monkeypatch.setattr(data, "_release_freed_memory", lambda: trimmed.append(1))
    train, test = (DataSpec.parse(f"{tmp_path}[holdout=34%]", role=r) for r in ("train", "test"))
    cache = DataCache()
    cache.images(test)
    assert len(trimmed) == 1
    cache.overlap((train,), (test,))
    assert len(trimmed) == 2


def test_a_txt_table_a_spreadsheet_saved_tab_separated_is_read_by_its_columns(tmp_path):
    """Excel's 'Text (Tab delimited) (*.txt)' writes ``file<TAB>label`` lines to a .txt, which was read as one path a
    line: every line a file not found ('file\\tlabel', 'a.png\\t1') and the source refused → a .txt whose first line
    holds a tab and is no file's name is read as the tab-separated table it is; a list of paths reads as before."""
    from PIL import Image

    for name in ("a", "b"):
        Image.new("RGB", (24, 16), (10, 200, 30)).save(tmp_path / f"{name}.png")
    table = tmp_path / "photos.txt"
    table.write_bytes(b"file\tlabel\r\na.png\t1\r\nb.png\t2\r\n")
    for given in (str(table), f"{table}#file"):
        assert [r.image_id for r in load_images(DataSpec.parse(given))] == ["a", "b"]
    (tmp_path / "list.txt").write_text("# my photos\na.png\nb.png\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "list.txt")))] == ["a", "b"]


@pytest.mark.parametrize("suffix, sep", [(".txt", "\t"), (".csv", ","), (".csv", "\t")])
def test_a_table_saved_as_utf_16_is_read(tmp_path, suffix, sep):
    """Excel's 'Unicode Text (*.txt)' (and Notepad's 'Unicode') saves UTF-16 with a byte-order mark, tab-separated: it
    was refused as a table that cannot be read ('Couldn't cast'; a .csv so saved was first said to be Windows-1252)
    → a byte-order mark of UTF-16 reads the table as UTF-16, accents and all."""
    from PIL import Image

    for name in ("café", "b"):
        Image.new("RGB", (24, 16), (10, 200, 30)).save(tmp_path / f"{name}.png")
    table = tmp_path / f"photos{suffix}"
    table.write_bytes(f"file{sep}label\r\ncafé.png{sep}1\r\nb.png{sep}2\r\n".encode("utf-16"))
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}#file"))] == ["café", "b"]

"""Review of the data fixes of session 17: their neighbours, other inputs of the same kind."""

from __future__ import annotations

import logging
import warnings

import pytest

from benchmark.data import DataSpec, load_images


@pytest.mark.parametrize("missing", [OSError("libc.so.6: cannot open shared object file"), AttributeError])
def test_handing_freed_memory_back_is_nothing_where_there_is_no_glibc(monkeypatch, caplog, missing):
    """macOS, musl and Windows have no libc.so.6 (OSError) or one without malloc_trim (musl's gcompat): the comparisons'
    hand-back is then nothing, without an error, a warning or a line."""
    import ctypes

    from benchmark import data

    class NoTrim:
        def __getattr__(self, name):
            raise AttributeError(name)

    def cdll(name, *a, **k):
        if isinstance(missing, OSError):
            raise missing
        return NoTrim()

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    data._malloc_trim.cache_clear()
    try:
        with warnings.catch_warnings(), caplog.at_level(logging.DEBUG):
            warnings.simplefilter("error")
            assert data._malloc_trim() is None
            data._release_freed_memory()
            with data._still_comparing("x: its hold-out: 2 images"):
                pass
        assert not caplog.records
    finally:
        data._malloc_trim.cache_clear()


def _pngs(folder, *names):
    from PIL import Image

    for name in names:
        Image.new("RGB", (24, 16), (10, 200, 30)).save(folder / f"{name}.png")


@pytest.mark.parametrize("header", ['"file";"label, note"', '"file";"label"', '"file,name";"label"'])
def test_a_semicolon_csv_whose_quoted_header_holds_a_comma_is_read_by_its_semicolons(tmp_path, header):
    """The separator read off the first line (fd1597f) took a comma inside quotes (``"file";"label, note"``, as a
    spreadsheet quotes a cell holding one) for the separator: one column ``file;"label, note"``, refused for want of
    an image column → a quoted cell's text is not looked in; a comma CSV with quoted cells reads as before."""
    from benchmark.data import DataSpec, load_images

    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    column = header.split(";")[0].strip('"')
    table.write_bytes(f'{header}\r\n"a.png";"1"\r\nb.png;2\r\n'.encode())
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}#{column}"))] == ["a", "b"]
    (tmp_path / "commas.csv").write_text('"file","label; note"\n"a.png","1"\n')
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "commas.csv")))] == ["a"]


def test_a_txt_list_whose_first_path_holds_a_tab_is_a_list_wherever_the_path_is_found(tmp_path, monkeypatch):
    """A .txt list's paths are looked up from its folder, then the cwd; a first line holding a tab was taken for a TSV
    header (a65d1fe) unless found from the list's folder: a list of paths from the cwd whose first name has a tab in
    it was read as a table of two columns → a line that names a file from either place keeps the list a list."""
    from benchmark.data import DataSpec, load_images

    photos, lists = tmp_path / "photos", tmp_path / "lists"
    photos.mkdir(), lists.mkdir()
    _pngs(photos, "my\tphoto", "b")
    (lists / "list.txt").write_text("photos/my\tphoto.png\nphotos/b.png\n")
    monkeypatch.chdir(tmp_path)
    assert [r.image_id for r in load_images(DataSpec.parse(str(lists / "list.txt")))] == ["my\tphoto", "b"]


@pytest.mark.parametrize("also", [{}, {"image_id": "a"}])
def test_a_one_row_json_of_an_image_struct_is_one_image(tmp_path, caplog, also):
    """``Dataset.to_json`` of one image writes ``{"image": {"bytes": …, "path": …}}``: one row that ff8cba3's pandas
    layouts took for a column by its keys, read as two rows (bytes, path) and one said to be an empty cell → a row of
    image structs ({bytes, path}) is a record, read as before."""
    import datasets

    from benchmark.data import DataSpec, load_images

    _pngs(tmp_path, "a")
    table = tmp_path / "one.json"
    features = datasets.Features({"image": datasets.Image(), **{k: datasets.Value("string") for k in also}})
    rows = {"image": [str(tmp_path / "a.png")], **{k: [v] for k, v in also.items()}}
    datasets.Dataset.from_dict(rows, features=features).to_json(table)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a"]
    assert not caplog.records, [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("given, hub_id", [
    ("https://huggingface.co/datasets/o/n/resolve/main/DIV2K_train_HR.zip?download=true",
     "o/n/DIV2K_train_HR.zip@main"),
    ("https://huggingface.co/datasets/o/n/blob/main/x.zip?raw=1#L3", "o/n/x.zip@main"),
    ("https://huggingface.co/datasets/o/n.git", "o/n"),
    ("datasets/eugenesiow/Set5:test", "eugenesiow/Set5:test"),
    ("hf://datasets/eugenesiow/Set5@main:validation#hr", "eugenesiow/Set5@main:validation#hr"),
])
def test_a_hub_address_with_a_query_a_git_suffix_or_a_split_names_the_whole_id(tmp_path, monkeypatch, given, hub_id):
    """6a10bf2 named the id to pass for a hub dataset's address; the browser's download link (…/resolve/main/FILE
    ?download=true) lost its file to the query, a clone address named ``o/n.git``, and a split or column written
    after it (``datasets/owner/name:test``) was dropped from the id it named → each kept, or dropped, as the id
    needs."""
    from benchmark.errors import UserError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as err:
        DataSpec.parse(given)
    assert str(err.value).endswith(f"pass its id, {hub_id}"), str(err.value)


def test_a_web_address_not_a_hub_datasets_is_refused_as_a_url(tmp_path, monkeypatch):
    from benchmark.errors import UserError

    monkeypatch.chdir(tmp_path)
    for given in ("https://example.com/datasets/o/n", "https://huggingface.co/o/model", "s3://bucket/datasets/o/n"):
        with pytest.raises(UserError, match="is a URL: a source is"):
            DataSpec.parse(given)


@pytest.mark.parametrize("where", ["cli", "task_params", "tasks"])
def test_a_noise_level_written_25_255_is_read_by_the_command_line_and_config_files(tmp_path, where):
    """e65b9e9 refuses sigma=25 naming ``denoise.sigma=25/255``, 'as the command line and config files read it': the
    command line did, a config file's ``sigma: 25/255`` (a YAML string) was refused as 'expects float, got '25/255''
    → a config file's value that is a fraction of two numbers is read as the command line reads it."""
    from benchmark.cli import build_parser, grid_spec
    from benchmark.task import build_task

    argv = ["run", "--tasks", "denoise", "--task-param", "denoise.sigma=25/255"]
    if where != "cli":
        grid = tmp_path / "grid.yaml"
        grid.write_text("tasks: {denoise: {sigma: 25/255}}\n" if where == "tasks" else
                        "tasks: [denoise]\ntask_params:\n  denoise:\n    sigma: 25 / 255\n")
        argv = ["run", "--config", str(grid)]
    spec = grid_spec(build_parser().parse_args(argv))
    assert build_task("denoise", **dict(dict(spec.task_params)["denoise"])).sigma == pytest.approx(25 / 255)


@pytest.mark.parametrize("turn", [1, 3])
def test_a_crop_found_only_turned_a_quarter_is_still_found(turn):
    """78ae87f skips the turned-crop search where no size fits in another: a crop of a 30 × 48 training image, 28 × 40,
    turned a quarter (40 × 28: fits only turned) and saved again, is a size that fits, and is still found."""
    import numpy as np
    import torch

    from benchmark.data import ImageRecord, _crop_sizes_fit, near_copy_pairs

    rng = np.random.default_rng(7)
    big = rng.integers(0, 256, (3, 30, 48), dtype=np.uint8)
    crop = np.rot90(big[:, 1:29, 5:45], turn, axes=(1, 2)).astype(np.int16) + rng.integers(-1, 2, (3, 40, 28))
    test = ImageRecord("crop", torch.from_numpy(np.ascontiguousarray(crop.clip(0, 255).astype(np.uint8))))
    train = [ImageRecord("big", torch.from_numpy(big)),
             ImageRecord("other", torch.from_numpy(rng.integers(0, 256, (3, 40, 28), dtype=np.uint8)))]
    assert not _crop_sizes_fit({(40, 28)}, {(30, 48)}) and _crop_sizes_fit({(40, 28), (28, 40)}, {(30, 48)})
    assert [(t.image_id, r.image_id) for t, r in near_copy_pairs(train, [test])] == [("crop", "big")]


def test_the_comparisons_sketch_images_together_with_the_same_values(monkeypatch):
    """Each image's sketch parts (an 8×8 thumbnail, a sample) were made one image at a time, each beside a freed float
    copy of it that glibc's heap kept in holes: a hold-out of 3000 patches of 64 px peaked 600 MB over its pixels →
    made a batch of images of one size at a time (_parts_of_many: 3000 patches' peak about halved), the same values:
    no image is sketched alone in a hold-out, and the batches' parts equal the one-at-a-time ones, turned or not."""
    import numpy as np
    import torch

    from benchmark import data
    from benchmark.data import ImageRecord, holdout_split

    rng = np.random.default_rng(3)
    pxs = [torch.from_numpy(rng.integers(0, 256, (3, *hw), dtype=np.uint8)) for hw in [(24, 20)] * 5 + [(70, 140)] * 3]
    pxs += [torch.rot90(pxs[0], 1, (1, 2)), pxs[5].flip(-1), data.to_float(pxs[1]), data.to_float(pxs[6])]
    for (t, s), px in zip(data._parts_of_many(pxs), pxs):
        assert torch.equal(t, data._thumbnail(px)) and torch.equal(s, data._sample(px))
    records = [ImageRecord(f"p{i}", torch.from_numpy(rng.integers(0, 256, (3, 24, 20), dtype=np.uint8)))
               for i in range(40)]
    alone = []
    monkeypatch.setattr(data, "_parts", lambda px: alone.append(px) or (data._thumbnail(px), data._sample(px)))
    assert sum(holdout_split(records, 25.0)) == 10
    assert alone == []


@pytest.mark.parametrize("suffix, encoding", [(".json", "utf-16"), (".jsonl", "utf-16"), (".json", "cp1252")])
def test_a_json_table_saved_as_utf_16_or_windows_1252_is_read(tmp_path, suffix, encoding):
    """69e693f and c0ca8fe read text tables saved as UTF-16 (its byte-order mark) or Windows-1252; a JSON table so
    saved (Windows PowerShell 5's ``ConvertTo-Json > photos.json`` writes UTF-16, its ``Set-Content`` Windows-1252)
    was refused as 'a table of images that cannot be read (An error occurred while generating the dataset)' → read
    in its encoding, the one _text_encoding finds, as the other text tables are."""
    import json

    _pngs(tmp_path, "café", "b")
    rows = [{"file": "café.png"}, {"file": "b.png"}]
    text = json.dumps(rows, ensure_ascii=False) if suffix == ".json" else \
        "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows)
    table = tmp_path / f"photos{suffix}"
    table.write_bytes(text.encode(encoding))
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["café", "b"]


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_a_csv_that_names_its_separator_on_a_sep_line_is_read_by_it(tmp_path, sep):
    """A CSV made for Excel may name its separator on a first line of its own, ``sep=;`` (Excel reads it so, in any
    locale), which the separator read off the first line took for the header: one column ``sep=`` and the paths a
    row lower → the line names the separator and is passed over."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_bytes(f"sep={sep}\r\nfile{sep}label, note\r\na.png{sep}1\r\nb.png{sep}2\r\n".encode())
    assert [r.image_id for r in load_images(DataSpec.parse(f"{table}#file"))] == ["a", "b"]

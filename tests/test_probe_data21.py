"""Data inputs, probed as a researcher with their own photos, tables and Hugging Face datasets would hit them
(session 21)."""

from __future__ import annotations

import re

import pytest
from conftest import hub_online


def _pngs(folder, *names, size=(24, 16)):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{name}.png")


def _image_table(tmp_path, suffix: str):
    """A parquet or arrow (datasets' IPC stream) table of two encoded PNGs, its column ``image``."""
    import datasets

    _pngs(tmp_path / "photos", "a", "b", size=(32, 32))
    ds = datasets.Dataset.from_dict({"image": [str(p) for p in sorted((tmp_path / "photos").iterdir())]},
                                    features=datasets.Features({"image": datasets.Image()}))
    path = tmp_path / f"t{suffix}"
    if suffix == ".parquet":
        ds.to_parquet(str(path))
    else:
        import pyarrow as pa

        table = ds.with_format("arrow")[:]
        table = table.replace_schema_metadata(ds.data.schema.metadata)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
@pytest.mark.parametrize("slip, said", [("#imag", "did you mean image"), (":test", "no splits")])
def test_a_parquet_or_arrow_test_table_s_slip_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch, capsys,
                                                                                    suffix, slip, said):
    """``--test-data t.parquet#imag`` (a column it lacks) or ``t.arrow:test`` (a table has no split) was refused only
    when the test table was loaded, after the training sources were decoded (minutes): a text table's were said while
    the grid was planned, a parquet's or arrow's not. Now its schema and first rows are read then (not its whole
    data, nor its images)."""
    from conftest import dry_run_of_test_data

    path = _image_table(tmp_path, suffix)
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, str(path) + slip, tmp_path / "r")
    assert code == 2 and said in err[-1], err
    assert decoded == [], decoded


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_a_parquet_or_arrow_table_is_checked_off_its_first_rows_and_a_damaged_one_said_as_its_load_says(
        tmp_path, monkeypatch, suffix):
    """The early check of a parquet or arrow table reads its first rows, not the whole table (``_load_table`` copies
    it into the datasets cache); one cut short is refused then, in the words of its load."""
    import benchmark.data as data
    from benchmark.data import DataSpec, check_source_readable
    from benchmark.errors import UserError

    path = _image_table(tmp_path, suffix)
    whole = []
    real = data._load_table
    monkeypatch.setattr(data, "_load_table", lambda p: whole.append(p) or real(p))
    check_source_readable(DataSpec.parse(str(path) + "#image"))
    check_source_readable(DataSpec.parse(str(path)))
    assert whole == []
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(UserError, match="a table of images that cannot be read"):
        check_source_readable(DataSpec.parse(str(path)))
    assert whole == [path]


def _online(monkeypatch, tmp_path):
    hub_online(monkeypatch, tmp_path)  # conftest's: the hub reachable, its caches in tmp_path
    monkeypatch.chdir(tmp_path)


def test_two_hub_ids_differing_only_in_case_are_asked_of_the_hub_once(tmp_path, monkeypatch):
    """The hub's ids are case-blind (``Me/Photos`` is ``me/photos``), but the early check kept the ids it had asked
    about as typed: ``--train-data me/photos --test-data Me/Photos:test`` asked the hub twice in one planning (each
    up to its deadline on a slow network). Now once per id whatever its case (and revision)."""
    from huggingface_hub import HfApi

    from benchmark.data import DataSpec, check_source_readable

    _online(monkeypatch, tmp_path)
    asked = []
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: asked.append((repo, kw.get("revision"))))
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train", "test"])
    seen: dict = {}
    for text in ("me/photos:train", "Me/Photos:test", "ME/PHOTOS@v2:test", "me/photos@v2:train"):
        check_source_readable(DataSpec.parse(text), seen)
    assert asked == [("me/photos", None), ("ME/PHOTOS", "v2")], asked


@pytest.mark.parametrize("source, said", [
    ("me/photos:tset", r"'me/photos' has splits train, test; got 'tset'; did you mean test\?"),
    ("me/photos/faces:tset", r"'me/photos/faces' has splits train, test; got 'tset'; did you mean test\?"),
])
def test_a_misspelt_split_of_an_online_hub_id_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch, capsys,
                                                                                     source, said):
    """``--test-data me/photos:tset`` (online, not cached): the hub was asked whether it holds me/photos, not its
    split, so the slip was met when the test data was loaded — its whole dataset downloaded and prepared, after the
    training sources were decoded (minutes). Its splits are asked too (the builder's, no data read), within the same
    deadline."""
    from conftest import dry_run_of_test_data
    from huggingface_hub import HfApi

    _online(monkeypatch, tmp_path)
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: None)
    named = []
    monkeypatch.setattr("datasets.get_dataset_split_names",
                        lambda repo, config=None, **kw: named.append((repo, config)) or ["train", "test"])
    loaded = []
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: loaded.append(a) or 1 / 0)
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, source, tmp_path / "r")
    assert code == 2 and re.search(said, err[-1]), err
    assert decoded == [] and loaded == [], (decoded, loaded)
    assert named == [("me/photos", source.split(":")[0].split("/")[2] if source.count("/") == 2 else None)]


def test_an_online_hub_id_without_the_default_split_is_refused_and_a_split_it_has_is_let_through(tmp_path, monkeypatch):
    """A hub id named without a split is read as its ``train`` split: one that has none (test and validation only)
    was met at its load, after a whole download. A split it has passes; where its split names cannot be had (another
    error, or none in time) the load is left to say what it meets."""
    from huggingface_hub import HfApi

    import benchmark.data as data
    from benchmark.data import DataSpec, check_source_readable
    from benchmark.errors import UserError

    _online(monkeypatch, tmp_path)
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: None)
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["test", "validation"])
    with pytest.raises(UserError, match=r"has splits test, validation; got 'train' \(the default: name one as "
                                        r"me/photos:SPLIT\)"):
        check_source_readable(DataSpec.parse("me/photos"))
    check_source_readable(DataSpec.parse("me/photos:validation"))

    def no_config(*a, **k):
        raise ValueError("BuilderConfig 'facez' not found. Available: ['faces']")

    monkeypatch.setattr("datasets.get_dataset_split_names", no_config)
    with pytest.raises(UserError, match=r"dataset 'me/photos/facez': BuilderConfig 'facez' not found"):
        check_source_readable(DataSpec.parse("me/photos/facez:test"))

    def odd(*a, **k):
        raise RuntimeError("a builder that cannot list its splits")

    monkeypatch.setattr("datasets.get_dataset_split_names", odd)
    check_source_readable(DataSpec.parse("me/photos:tset"))
    monkeypatch.setattr(data, "HUB_CHECK_S", 0.05)
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: __import__("time").sleep(1) or ["x"])
    check_source_readable(DataSpec.parse("me/photos:tset"))


def test_decoded_images_spilled_to_disk_leave_no_file_behind_a_process_killed_while_decoding(tmp_path, monkeypatch):
    """Beyond PLBENCH_DECODED_RAM_MB, decoded images are written to a temporary file in PLBENCH_SPILL_DIR (or /tmp),
    its name removed only once the source was decoded: a process killed meanwhile — the OOM killer, exactly where a
    big store spills, or a job's time limit — left a file of up to the whole source's decoded pixels (gigabytes) for
    good, one more each time. Its name is removed as it is made (Linux: mapped again through /proc/self/fd); the
    pixels read back are the same."""
    import torch

    import benchmark.data as data

    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    spill = data._Spill("photos")
    images = [torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8), torch.rand(3, 9, 7)]
    pending = [spill(px) for px in images]
    assert list(tmp_path.iterdir()) == []  # what a kill now leaves
    back = spill.finish(pending)
    assert all(a.dtype == b.dtype and torch.equal(a, b) for a, b in zip(back, images))
    assert list(tmp_path.iterdir()) == []


def test_a_misspelt_split_of_the_first_training_source_online_is_refused_before_its_download(tmp_path, monkeypatch,
                                                                                             capsys):
    """The early source check passed over the first training source (its own load comes next and says what it
    meets), but a hub id's load online downloads and prepares the whole dataset before it finds a split it lacks:
    ``--train-data me/photos:trian`` cost that download (minutes, gigabytes). A hub id is checked first whatever its
    place (a question to the hub, no data read)."""
    from huggingface_hub import HfApi

    from benchmark.cli import main

    _online(monkeypatch, tmp_path)
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: None)
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train", "test"])
    loaded = []
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: loaded.append(a) or 1 / 0)
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--train-data", "me/photos:trian",
                 "--test-data", "skimage:test", "--out", str(tmp_path / "r"), "--dry-run", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    said = r"'me/photos' has splits train, test; got 'trian'; did you mean train\?"
    assert code == 2 and re.search(said, err[-1]), err
    assert loaded == []


def test_a_misspelt_column_of_a_local_copy_of_hub_files_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch,
                                                                                              capsys):
    """``--test-data copy:test#imag`` (a folder ``huggingface-cli download --local-dir`` left: parquet shards, no image
    file) had its split checked while the grid was planned, not its column: the slip was met at its load, after the
    training sources were decoded (minutes). Its first rows are streamed (no whole read) and its column looked for."""
    import datasets
    from conftest import dry_run_of_test_data

    _pngs(tmp_path / "photos", "a", "b", size=(32, 32))
    (tmp_path / "copy" / "data").mkdir(parents=True)
    for split in ("train", "test"):
        datasets.Dataset.from_dict({"image": [str(p) for p in sorted((tmp_path / "photos").iterdir())]},
                                   features=datasets.Features({"image": datasets.Image()})
                                   ).to_parquet(str(tmp_path / "copy" / "data" / f"{split}-00000-of-00001.parquet"))
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, str(tmp_path / "copy") + ":test#imag",
                                              tmp_path / "r")
    assert code == 2 and "has no column 'imag'; did you mean image?" in err[-1], err
    assert decoded == [], decoded


@pytest.mark.parametrize("slip, said", [(":validaton", "validaton"), (":validation#imag", "did you mean image")])
def test_a_cached_hub_id_s_slip_is_refused_before_any_image_is_decoded(monkeypatch, capsys, tmp_path, slip, said):
    """A hub id the cache holds was passed over by the early check (only one no cache holds was asked of the hub), so
    ``--test-data owner/name:validaton`` or ``…#imag`` was met at its load, after the training sources were decoded
    (minutes). Its cached copy is read as a saved dataset's is (memory-mapped, no image decoded) while the grid is
    planned."""
    import numpy as np
    from conftest import dry_run_of_test_data
    from hubcache import cache_hub_dataset

    rng = np.random.default_rng(0)
    cache_hub_dataset("plbench-test/probe21", {s: [rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)] * 2
                                               for s in ("train", "validation")})
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, "plbench-test/probe21" + slip, tmp_path / "r")
    assert code == 2 and said in err[-1], err
    assert decoded == [], decoded


def test_a_cached_hub_id_as_the_first_training_source_is_not_read_by_the_early_check(monkeypatch, capsys, tmp_path):
    """The first training source is checked early only where its load would download first (a hub id no cache
    holds); a cached one is left to its load, which reads it once (the test source's slip still said first)."""
    import numpy as np
    from hubcache import cache_hub_dataset

    import benchmark.data as data
    from benchmark.cli import main

    rng = np.random.default_rng(1)
    cache_hub_dataset("plbench-test/probe21b", {"train": [rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)] * 2})
    checked = []
    real = data.check_source_readable
    monkeypatch.setattr(data, "check_source_readable", lambda spec, *a: checked.append(str(spec)) or real(spec, *a))
    main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--train-data", "plbench-test/probe21b:train",
          "--test-data", "plbench-test/probe21b:tran", "--out", str(tmp_path / "r"), "--dry-run", "--no-progress"])
    assert 'Unknown split "tran"' in capsys.readouterr().err
    assert checked == ["plbench-test/probe21b:tran"], checked


def test_a_spill_file_whose_name_cannot_be_removed_is_removed_at_its_finish(tmp_path, monkeypatch):
    """Where removing the spill file's name fails as it is made, the images stay in memory (said once) and the
    file, still named, is removed at :meth:`finish` — not left behind under a /proc path taken for its name."""
    import os

    import torch

    import benchmark.data as data

    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    real = os.unlink
    monkeypatch.setattr(os, "unlink", lambda p: (_ for _ in ()).throw(PermissionError("refused")))
    spill = data._Spill("photos")
    px = torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)
    assert spill(px) is px and spill.failed is not None
    monkeypatch.setattr(os, "unlink", real)
    assert spill.finish([px])[0] is px
    assert list(tmp_path.iterdir()) == []


def test_the_early_check_of_a_parquet_table_closes_the_file_it_opened(tmp_path, monkeypatch):
    """``_table_head`` opened a ``pyarrow.parquet.ParquetFile`` for a parquet table's first rows and never closed it:
    the file stayed open until the garbage collector met it (on Windows it could be neither removed nor replaced
    meanwhile; a damaged one's stayed open through its load's own read). It is closed once its rows are read, or
    the read fails."""
    import pyarrow.parquet as pq

    import benchmark.data as data

    opened = []

    class Recorded(pq.ParquetFile):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            opened.append(self)

    monkeypatch.setattr(pq, "ParquetFile", Recorded)
    path = _image_table(tmp_path, ".parquet")
    assert len(data._table_head(path)) == 2
    assert len(opened) == 1 and opened[0].closed
    blob = path.read_bytes()
    path.write_bytes(blob[:4] + bytes(200) + blob[204:])  # its footer whole, its first data page damaged
    monkeypatch.setattr(data, "_load_table", lambda p: "its load")
    assert data._table_head(path) == "its load"
    assert len(opened) == 2 and opened[1].closed

"""Probe 19 of the inputs a new user types: config keys, flags, api.run keywords and data sources."""

import pytest

from benchmark.errors import UserError


@pytest.mark.parametrize("seeds", ["0 1", "0, 1", " 0  1 "])
def test_several_seeds_quoted_as_one_word_are_told_how_several_are_written(tmp_path, capsys, seeds):
    """``--seeds '0 1'`` (one quoted word) was a bare 'invalid int value', where ``--seeds 0,1`` and
    ``--tasks 'denoise sr4'`` say 'several values are written --seeds 0 1'."""
    from benchmark.cli import main

    with pytest.raises(SystemExit) as ex:
        main(["run", "--seeds", seeds, "--out", str(tmp_path / "r"), "--dry-run"])
    assert ex.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(several values are written --seeds 0 1)" in err[0], err


def test_a_config_file_with_several_unknown_keys_names_them_all_in_one_line(tmp_path, capsys):
    """A file with ``epochs`` and ``patch-size`` said only 'unknown setting 'epochs' …': fixed and rerun, it was then
    refused again for ``patch-size``. Every key is named in the one line, each with its hint."""
    from benchmark.cli import main

    grid = tmp_path / "grid.yaml"
    grid.write_text("epochs: 3\npatch-size: 64\n")
    assert main(["run", "--config", str(grid), "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "'epochs', did you mean iterations?" in err[0] and "'patch-size', did you mean crop?" in err[0], err


def test_api_run_with_several_unknown_keywords_names_them_all(tmp_path):
    from benchmark import api

    with pytest.raises(UserError) as err:
        api.run(epochs=3, patch_size=64, frobnicate=1, out=str(tmp_path / "r"))
    said = str(err.value)
    assert "\n" not in said
    for part in ("'epochs', did you mean iterations?", "'patch_size', did you mean crop?", "'frobnicate'",
                 "(settings: "):
        assert part in said, said


def test_an_executor_block_with_several_unknown_keys_names_them_all():
    from benchmark.config import GridSpec

    with pytest.raises(UserError, match=r"^grid.yaml: unknown executor keys 'partiton', did you mean partition\?; "
                                        r"'tiem', did you mean time\?$"):
        GridSpec.from_mapping({"executor": {"name": "slurm", "partiton": "gpu", "tiem": "1:00:00"}}, "grid.yaml")


@pytest.mark.parametrize("source", ["nonexist", "notes.pdf"])
def test_a_test_source_refused_by_its_name_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch, capsys,
                                                                                   source):
    """``--test-data nonexist`` (a hub id not cached, offline) and ``--test-data notes.pdf`` (a file that is no
    source) were refused only after the whole training set was decoded (BSD200 + T91: minutes): what a source's name
    and the disk say alone is said before any image is read."""
    from conftest import dry_run_of_test_data

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n")
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, source, tmp_path / "r")
    assert code == 2 and source in err[-1], err
    assert decoded == [], decoded


def _pngs(folder, *names):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)).save(folder / f"{name}.png")


@pytest.mark.parametrize("name", ["photos.md", "photos.txt"])
def test_a_markdown_table_without_outer_pipes_is_read(tmp_path, name):
    """GitHub's table without outer pipes (``path | label`` over ``--- | ---``) was refused in a ``.md`` as 'a file,
    not a dataset' (and read as one path a line in a ``.txt``): its rows' cells, as with outer pipes."""
    from benchmark.data import DataSpec, load_images

    _pngs(tmp_path, "a", "my photo")
    (tmp_path / name).write_text("# My photos\n\nShot in 2026 | by me.\n\npath | label\n:--- | ---:\n"
                                 "a.png | 1\nmy photo.png | 2\n\nTwo more to come.\n")
    for given in (str(tmp_path / name), f"{tmp_path / name}#path"):
        assert [r.image_id for r in load_images(DataSpec.parse(given))] == ["a", "my photo"]


def test_a_file_that_is_no_source_lists_markdown_among_the_tables(tmp_path):
    """'is a file, not a dataset: … a table of image paths (.txt, .csv, .jsonl, .parquet)' left out the ``.md``
    table that is read; a ``.md`` without one is told what it lacks."""
    from benchmark.data import DataSpec, load_images

    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "notes.md").write_text("# notes\n\nno table here\n")
    with pytest.raises(UserError, match=r"is a file, not a dataset: .*\(\.txt, \.csv, \.jsonl, \.parquet, "
                                        r"\.md holding a pipe table\)"):
        load_images(DataSpec.parse(str(tmp_path / "notes.pdf")))
    with pytest.raises(UserError, match=r"notes\.md is a file, not a dataset: it holds no Markdown table"):
        load_images(DataSpec.parse(str(tmp_path / "notes.md")))


def test_a_filled_cell_past_the_header_in_some_rows_is_a_warning_naming_them(tmp_path, caplog):
    """'file,label' over 'a.png,1,' and 'b.png,2,keep' and 'c.png,3,me': b's and c's third cell, filled, was dropped
    at INFO ('rows with more cells than its header names') → a WARNING naming those rows."""
    import logging

    from benchmark.data import DataSpec, load_images

    _pngs(tmp_path, "a", "b", "c")
    (tmp_path / "photos.csv").write_text("file,label\na.png,1,\nb.png,2,keep\nc.png,3,me\n")
    with caplog.at_level(logging.INFO, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "photos.csv")))] == ["a", "b", "c"]
    said = [r for r in caplog.records if "past" in r.getMessage() or "more cells" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.WARNING], [r.getMessage() for r in said]
    assert "rows 2, 3 below" in said[0].getMessage() and "'keep'" in said[0].getMessage(), said[0].getMessage()

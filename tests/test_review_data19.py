"""Review of the session-19 data fixes (branch probe-data): cases next to the ones they fixed."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images


def _pngs(folder, *names, size=(24, 16)):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{name}.png")


@pytest.mark.parametrize("text", ['"file","label"\n"1","a.png",1\n"2","b.png",2\n',
                                  "file\tlabel\n1\ta.png\t1\n2\tb.png\t2\n"])
def test_r_write_table_row_names_are_still_read_as_row_names(tmp_path, text):
    """R's ``write.table(sep=',')`` writes a row name first in each row and none in its header: pandas read those as
    its index, and so did this before 933bdd5; its ``index_col=False`` (for rows ending in a separator) read the row
    names as the file column ('no such file: 1') → rows one cell longer whose last cells are not all empty keep
    pandas' reading, their first cells row names."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / ("photos.tsv" if "\t" in text else "photos.csv")
    table.write_text(text)
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b"]


def test_rows_of_several_filled_cells_past_the_header_are_an_error_not_dropped(tmp_path):
    """Rows of two cells more than the header, filled ('a.png,1,x,y' under 'file,label'): a misaligned table whose
    cells were dropped at INFO (933bdd5) → one clear line naming the count and the header."""
    from benchmark.errors import UserError

    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_text("file,label\na.png,1,x,y\nb.png,2,x,y\n")
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(str(table)))
    assert str(e.value) == (f"{table}: a table of images that cannot be read (its rows hold 2 cells more than its "
                            "header names (file, label), not empty: name each column in its header line)")
    table.write_text("file,label\na.png,1,,\nb.png,2,,\n")  # two separators ending each row: still read
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b"]


@pytest.mark.parametrize("in_store", [True, False])
def test_compare_checks_the_overlap_only_of_the_runs_it_trains(tmp_path, monkeypatch, in_store):
    """1148ad9 had compare check its data's overlap (every training and test image decoded and compared: ~15 s for
    BSD200 against Kodak24 on two cores) before run_grid even where every new run was already in the store, whose
    meta.json holds its record → only the runs to train are checked."""
    import json

    from benchmark import compare, runner
    from benchmark.config import RunConfig
    from benchmark.data import DataCache
    from benchmark.synthetic import write_store

    _pngs(tmp_path / "imgs", "a", "b")
    spec = (DataSpec.parse(str(tmp_path / "imgs")),)
    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, metrics=("psnr",), seeds=(0,), n_images=4,
                        budget_check=False)
    for m in store.metas():
        (store.run_dir(m["run_id"]) / "meta.json").write_text(json.dumps(dict(m, code_version=runner.code_version())))
    checked = []
    monkeypatch.setattr(DataCache, "overlap", lambda self, *pair: checked.append(pair) or [])
    monkeypatch.setattr(compare, "_probe_new_losses", lambda *a, **k: None)
    monkeypatch.setattr(compare, "_config_from", lambda group, loss, seed, data, device, *field: RunConfig(
        task="denoise", loss=loss, seed=seed, train_data=spec, test_data=spec))
    monkeypatch.setattr(runner, "is_attempted", lambda *a, **k: in_store)

    def run_grid(*a, **k):
        raise KeyboardInterrupt  # the planning before it is what is tested

    monkeypatch.setattr(runner, "run_grid", run_grid)
    with pytest.raises(KeyboardInterrupt):
        compare.compare(tmp_path / "r", losses=("charbonnier",), device="cpu")
    assert checked == ([] if in_store else [(spec, spec)])


@pytest.mark.parametrize("name", ["photos.xlsb", "photos.fods"])
def test_every_workbook_kind_is_refused_saying_to_save_it_as_csv(tmp_path, name):
    """81b6baf named .xlsx, .xlsm, .xls, .ods and .numbers a workbook; Excel's binary workbook (.xlsb) and
    LibreOffice's flat one (.fods) still got 'a file, not a dataset: a source is … (.txt, .csv, …)'."""
    from benchmark.errors import UserError

    (tmp_path / name).write_bytes(b"PK\x03\x04")
    with pytest.raises(UserError, match=r"is a spreadsheet workbook, which is not read: save its sheet as CSV"):
        load_images(DataSpec.parse(str(tmp_path / name)))


@pytest.mark.parametrize("cells", [("`a.png`", "`b.png`"), ("![](a.png)", '![b](<b.png> "the b")'),
                                   ("[a](a.png)", "![b](./b.png)")])
def test_a_markdown_tables_code_spans_images_and_links_are_read_as_their_paths(tmp_path, cells):
    """A Markdown table of images (863e99a) writes its paths as code (`` `a.png` ``) or shows them (``![](a.png)``):
    each cell was read as the path '`a.png`' ('no such file', then 'contains no readable image') → its code span's
    text, its image's or link's target."""
    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.md"
    table.write_text("# My photos\n\n| path | label |\n|---|---|\n" + "".join(f"| {c} | {i} |\n" for i, c in
                                                                          enumerate(cells)) + "\nTaken in 2026.\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["a", "b"]


@pytest.mark.parametrize("rule", ["|-|-|", "|:-|-:|", "| :--: | -- |"])
def test_a_markdown_tables_rule_of_fewer_than_three_hyphens_is_a_rule(tmp_path, rule):
    """GitHub's tables take a rule cell of one hyphen or more (``|-|-|``, ``|:-|-:|``); 863e99a's wanted three, so
    such a table in a .md was refused as 'a file, not a dataset', in a .txt or .csv read line by line."""
    _pngs(tmp_path, "a", "b")
    for name in ("photos.md", "photos.csv"):
        (tmp_path / name).write_text(f"| path | label |\n{rule}\n| a.png | 1 |\n| b.png | 2 |\n")
        assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / name)))] == ["a", "b"]


@pytest.mark.parametrize("raw", [bytes(range(256)) * 4, bytes(b for i in range(512) for b in (i % 256, 0)),
                                 b"".join(i.to_bytes(4, "little") for i in range(500))])
def test_a_binary_file_under_a_tables_name_is_said_to_be_binary(tmp_path, raw):
    """A binary file named as a table (an array's bytes, 16-bit numbers whose NUL bytes fall as UTF-16's, 70becdf's
    detection reading them as UTF-16 text) gave pandas' 'Expected 2 fields in line 12, saw 7' or a decoder's error →
    one line saying it is binary data, not text; a UTF-8 table with a stray NUL is still read."""
    from benchmark.errors import UserError

    _pngs(tmp_path, "a", "b")
    (tmp_path / "photos.csv").write_bytes(raw)
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(str(tmp_path / "photos.csv")))
    assert str(e.value) == (f"{tmp_path / 'photos.csv'}: a table of images that is not text: it holds binary data "
                            "(NUL and control bytes), not lines of text")
    (tmp_path / "photos.csv").write_bytes(b"file,label\na.png,1\x00\nb.png,2\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "photos.csv")))] == ["a", "b"]


def test_a_filled_cell_past_the_header_after_the_path_is_no_row_name(tmp_path):
    """One filled cell past the header in every row is R's row name where it stands first ('1,a.png,1'); where the
    first cells are image paths ('a.png,1,x' under 'file,label') they are the files, the cell past the header the one
    not read, not row names making the labels the files ('no such file: 1')."""
    _pngs(tmp_path, "a", "b")
    (tmp_path / "photos.csv").write_text("file,label\na.png,1,x\nb.png,2,y\n")
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "photos.csv")))] == ["a", "b"]

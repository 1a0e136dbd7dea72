"""Mends of the data review (session 19): one helper per rule, no work done twice (counted, not timed)."""
from __future__ import annotations

import pytest

from benchmark import config, data


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be", "utf-16-le"])
def test_a_grid_yaml_without_a_byte_order_mark_reads_as_a_table_does(tmp_path, codec):
    """config's own even/odd NUL rule (UTF-16 only) and data's (UTF-16/32, a tolerance, a binary check) told one file
    two ways → config reads a BOM-less file by data.wide_encoding: a UTF-32 grid, 'a binary file' before, is read."""
    text = "# réglages\ntasks: [denoise]\niterations: 5\n"
    grid = tmp_path / "g.yaml"
    grid.write_bytes(text.encode(codec))
    table = tmp_path / "g.txt"
    table.write_bytes(text.encode(codec))
    assert data._text_encoding(table) == codec
    assert config._config_text(grid) == text
    spec = config.GridSpec.from_file(grid)
    assert spec.tasks and spec.iterations == 5


def test_a_markdown_sources_kind_is_told_from_its_head_no_table_built(tmp_path, monkeypatch):
    """DataSpec.parse, .name and .kind each asked _is_table, which built the whole Markdown table (_markdown_table)
    and decoded the whole file (_text_encoding) for a yes/no: 0.24 s a call on 100k rows → the head alone is read
    (_markdown_start, the encoding from the first KiB): no table built, no whole read."""
    from pathlib import Path

    md = tmp_path / "photos.md"
    md.write_text("# My photos\n\n| path | label |\n|---|---|\n" + "| a.png | 1 |\n" * 2000, encoding="utf-8")
    built, whole = [], []
    real = data._markdown_table
    monkeypatch.setattr(data, "_markdown_table", lambda *a, **k: built.append(a) or real(*a, **k))
    for name in ("read_bytes", "read_text"):
        read = getattr(Path, name)
        monkeypatch.setattr(Path, name, lambda self, *a, _read=read, **k: (whole.append(self) if self == md else None)
                            or _read(self, *a, **k))
    spec = data.DataSpec.parse(str(md))
    assert (spec.name, spec.kind) == ("photos.md", "table")
    assert built == [] and whole == []
    assert data._markdown_start(md, "utf-8") == 2 and real(md, "utf-8")[0].splitlines()[0] == " path | label "
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nno table | here\n", encoding="utf-8")
    assert data.DataSpec.parse(str(notes)).kind == "file"


def test_a_run_with_no_test_image_trained_on_decodes_no_test_set_for_its_record(tmp_path, monkeypatch):
    """known_overlap, asked per run before scoring, counted the test images (decoding the test set) even where none
    overlaps and no note would say the count → counted only where some test image is a training image."""
    from benchmark.data import DataCache, DataSpec

    train, test = (DataSpec(str(tmp_path / "mine")),), (DataSpec(str(tmp_path / "theirs")),)
    cache = DataCache()
    cache.take_overlaps([((train, test), ())])  # a worker: the driver found none
    decoded = []
    monkeypatch.setattr(DataCache, "images", lambda self, spec: decoded.append(spec) or [])
    assert cache.known_overlap(train, test) == {"images": []} and decoded == []
    cache.take_overlaps([((test, train), ("x/a",))])
    assert cache.known_overlap(test, train) == {"images": ["x/a"], "test_images": 0} and decoded == list(train)

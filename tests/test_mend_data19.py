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

"""Probes of a researcher meeting the tool for the first time (session 27)."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("kind", ["missing", "file", "other", "empty"])
def test_a_merge_source_that_is_no_store_is_not_said_to_be_an_out(tmp_path, capsys, kind):
    """``plbench merge nod2/results --out results`` (a typo, a file, a folder of other files) said '… (run
    `plbench run --out nod2/results` first, or pass the --out a run wrote to)': a merge source is no --out of
    this command, and training into it here merges nothing. It is named as the merge source it is."""
    from benchmark.cli import main

    src = tmp_path / "node2"
    if kind == "file":
        src.write_text("")
    elif kind == "empty":
        src.mkdir()
    elif kind == "other":
        src.mkdir()
        (src / "notes.txt").write_text("x")
    assert main(["merge", str(src), "--out", str(tmp_path / "here")]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(src) in said and "pass the --out" not in said and "run --out" not in said, said
    assert "name as the merge source the --out a run wrote to" in said, said


def test_api_load_results_of_no_store_names_its_out_keyword(tmp_path):
    """``api.load_results('nope')`` said 'pass the --out a run wrote to': the keyword there is out."""
    from benchmark import api
    from benchmark.errors import UserError

    with pytest.raises(UserError) as err:
        api.load_results(tmp_path / "nope")
    assert "pass as out the folder a run wrote to" in str(err.value), err.value

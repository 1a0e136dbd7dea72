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


@pytest.mark.parametrize("slip, error, meant", [
    ("from benchmark.registry import register_los", "ImportError: cannot import name 'register_los'", "register_loss"),
    ("scale = torhc.ones(1)", "NameError: name 'torhc' is not defined", "torch"),
    ("scale = torch.onse(1)", "AttributeError: module 'torch' has no attribute 'onse'", "ones"),
])
def test_a_slip_in_a_loss_file_is_said_with_its_line_and_the_name_meant(tmp_path, slip, error, meant):
    """A loss file (README's recipe, ``--loss-file``) whose import failed on a misspelt name said Python's one line
    alone — 'slip_loss.py failed to import: NameError: name 'torhc' is not defined' — without the line it failed on
    or the name Python's own traceback offers ('Did you mean: torch?'): the user searched the file. Both are said."""
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES, load_user_file

    path = tmp_path / "slip_loss.py"
    path.write_text(f"import torch\nfrom benchmark.registry import register_loss\n{slip}\n")
    with pytest.raises(UserError) as err:
        load_user_file(path, LOSSES)
    said = str(err.value)
    assert said.startswith(f"slip_loss.py failed to import: {error}"), said
    assert said.endswith(f"; did you mean {meant}? (slip_loss.py, line 3)"), said


@pytest.mark.parametrize("marker, advice", [
    ('{"store_version": 99}', "upgrade plbench to merge it (nothing there was changed)"),
    ('{"store_version": 1}', "so it is not merged (its leaderboard.md and results.csv stay readable)"),
    ('{"version": 2}', "name as the merge source the --out a run wrote to"),
])
def test_a_merge_source_of_another_layout_is_not_told_to_use_another_out(tmp_path, capsys, marker, advice):
    """The same category for a source another plbench's layout wrote: 'plbench merge node2 --out results' said
    'use another --out (for new runs)' — of the destination, which is not what cannot be read."""
    from benchmark.cli import main

    src = tmp_path / "node2"
    (src / "runs").mkdir(parents=True)
    (src / "store.json").write_text(marker)
    assert main(["merge", str(src), "--out", str(tmp_path / "here")]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(src) in said and "another --out" not in said and said.endswith(advice), said


def test_a_comparison_s_note_of_a_stopped_run_says_what_the_same_compare_does(tmp_path):
    """compare/<loss>.md of a store with a run stopped with a checkpoint ended its note '…and writes the board again,
    then the same `plbench compare` this comparison': no verb, so no telling what that command does. It says it."""
    from benchmark.report import stopped_lines
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "results")
    stopped = {"abc": (tmp_path / "ckpt.pt", {"iteration": 65, "fingerprint": {"config": {
        "task": "denoise", "loss": "l2", "seed": 0, "iterations": 120}}}, "")}
    (note,) = stopped_lines(store, comparison=True, stopped=stopped)
    assert "(denoise/l2 seed 0, stopped at iteration 65 of 120)" in note, note
    assert note.endswith("writes the board again, then the same `plbench compare` writes this comparison again"), note
    (board,) = stopped_lines(store, stopped=stopped)
    assert board.endswith("writes the board again"), board

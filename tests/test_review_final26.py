"""Final cross-branch review of session 26's production diff: what per-commit review missed."""
from __future__ import annotations

import shutil

from benchmark.cli import main  # at collection: its first import is seconds on a loaded machine, not a test's


def test_a_conflict_copy_of_a_pass_that_repair_set_aside_is_still_named_under_damaged(tmp_path, capsys):
    """Was: a176da9e's --repair sets a sync's conflict copy of a pass (``eval-0 (conflicted copy).parquet``) aside
    under ``runs/<id>/damaged/<n>/``, said once; 3d8d29eb's damaged/ line names passes' rows there by
    ``eval-<k>.parquet`` alone, so no later check named the copy: rows in no table, unnamed for ever. Now named."""
    from test_probe_lstore26 import _finished, _said

    store, rid, d = _finished(tmp_path / "r")
    shutil.copy(d / "eval-0.parquet", d / "eval-0 (conflicted copy).parquet")
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert (d / "damaged" / "0" / "eval-0 (conflicted copy).parquet").is_file()
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0
    lines = _said(capsys)
    line = next((x for x in lines if "damaged/" in x and "evaluation pass" in x), "")
    assert f"runs/{rid}/damaged/0/eval-0 (conflicted copy).parquet" in line, lines


def test_check_s_damaged_line_says_what_a_pass_of_repeated_rows_set_aside_there_is(tmp_path, capsys):
    """Was: 553761e7's --repair sets a pass of repeated rows aside under ``damaged/<n>/``; 3d8d29eb's damaged/ line then
    called it 'rows a damaged run or an unfinished attempt wrote, which its retry did not write again byte for byte',
    neither of which it is. The line names each kind a pass set aside there can be."""
    from test_probe_lstore26 import _finished, _said

    store, rid, d = _finished(tmp_path / "r")
    store.write_eval(rid, store.table().query("run_id == @rid").to_dict("records"), ["psnr"], {})  # eval-1: repeats
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert (d / "damaged" / "0" / "eval-1.parquet").is_file()
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0
    line = next((x for x in _said(capsys) if "damaged/" in x and "evaluation pass" in x), "")
    assert f"runs/{rid}/damaged/0/eval-1.parquet" in line and "a pass of rows read twice" in line, line


def test_a_gone_run_whose_conflict_copy_repair_set_aside_is_still_gone_not_unfinished(tmp_path, capsys):
    """Was: 10f1ffbb names a finished run whose folder holds only a conflict copy of its rows gone (exit 1, its results
    lost); a176da9e's --repair then sets the copy aside under ``damaged/``, and ``_holds_none`` took any ``damaged/``
    for the run's own files set aside: the run read 'unfinished: the same `plbench run` resumes it', exit 0 — its
    results lost, said no more. A ``damaged/`` of copies alone is none of the run's: still gone."""
    from test_probe_lstore26 import _finished, _said

    store, rid, d = _finished(tmp_path / "r")
    (d / "eval-0.parquet").rename(d / "eval-0 (conflicted copy).parquet")
    for p in d.iterdir():
        if p.is_file() and not p.name.startswith("eval-0 "):
            p.unlink()
    assert main(["check", "--out", str(store.root), "--repair"]) == 1
    assert (d / "damaged" / "0" / "eval-0 (conflicted copy).parquet").is_file()
    capsys.readouterr()
    assert rid in store.gone()
    assert main(["check", "--out", str(store.root)]) == 1
    summary = next((x for x in _said(capsys) if "1 gone" in x or "unfinished (" in x), "")
    assert "1 gone" in summary and "unfinished (" not in summary, summary

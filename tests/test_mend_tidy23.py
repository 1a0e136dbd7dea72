"""Mends of today's wording leftovers (session 23, tidy): one ``--where`` help for the three commands that take it,
and the resumed checkpoint's line on when check names its old folder superseded."""
from __future__ import annotations

import re

import pytest


def _where_help(command: str, capsys) -> str:
    """The ``--where`` paragraph of ``plbench <command> --help``, its wrapping undone."""
    from benchmark.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    found = re.search(r"\n  --where FIELD=VALUE.*?\n(.*?)(?=\n  -|\n\n|\Z)", text, re.S)
    assert found, text
    return " ".join(found.group(1).split())


def test_findings_and_calibrate_say_of_where_what_report_says(capsys):
    """``report --help`` named ``task=`` among --where's fields (848a3297: a setting is chosen by task too; seeds and
    losses are pooled and ranked within it, not chosen), while findings' and calibrate's --where help, three texts
    written apart, named only iterations= and lr=, though all three read --where by the one rule (parse_where). The
    three say the same now."""
    said = {c: _where_help(c, capsys) for c in ("report", "findings", "calibrate")}
    for command, text in said.items():
        assert "task=denoise" in text and "every --where counts" in text, (command, text)
        assert "seeds and losses are pooled and ranked within a setting, not chosen" in text, (command, text)
    rest = {c: text.split(" one setting ", 1)[1] for c, text in said.items()}  # each command's verb before it
    assert rest["calibrate"] == rest["report"] and rest["findings"].startswith(rest["report"].rstrip(")")), rest


def test_a_resumed_old_checkpoint_s_line_says_superseded_once_it_has_finished(tmp_path, caplog):
    """The line of an old gpl checkpoint resumed under its one id said check names the old folder 'superseded once
    it finished' — read as a run already finished, where it has yet to train → 'once it has finished'."""
    import logging

    from test_probe_store23 import _old_gpl_checkpoint, _small

    from benchmark.runner import resume_under_new_id

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint(store, iteration=3)
    with caplog.at_level(logging.INFO):
        assert resume_under_new_id(store, [cfg], dry_run=True) == {rid: (old, 3)}
    assert "names the old folder superseded once it has finished" in caplog.text, caplog.text

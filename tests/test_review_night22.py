"""Review of the store, overnight and data areas' fixes of day 22 (test_probe_store22, test_probe_overnight22,
test_probe_data22): what those fixes left of their defects' categories."""

from __future__ import annotations

import pytest

NO_USER = "~no_such_user_x"


@pytest.mark.parametrize("argv", [
    ["check", "--out", f"{NO_USER}/res"],
    ["report", "--out", f"{NO_USER}/res"],
    ["run", "--dry-run", "-q", "--loss-file", f"{NO_USER}/my.py"],
    ["run", "--dry-run", "-q", "--out", f"{NO_USER}/res"],
    ["run", "--dry-run", "-q", "--backbone-weights", f"{NO_USER}/enc.pt"],
    ["run", "--dry-run", "-q", "--config", f"{NO_USER}/grid.yaml"],
], ids=["check-out", "report-out", "loss-file", "run-out", "backbone-weights", "config"])
def test_a_path_flag_under_the_home_of_a_user_this_machine_has_not_is_one_line_not_an_internal_error(
        tmp_path, monkeypatch, capsys, argv):
    """test_probe_data22 made a data source under ``~name`` of a user this machine has not one line; every other path
    a user types (``--out``, ``--loss-file``, ``--backbone-weights``, ``--config``) still reached pathlib's
    expanduser, whose RuntimeError('Could not determine home directory.') was printed as 'internal error' (exit 1)
    → one line naming the missing user and the folder of one's own home it may mean, exit 2."""
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err, err
    assert "no user 'no_such_user_x'" in err and f"~/no_such_user_x/{argv[-1].split('/', 1)[1]}" in err, err


def test_a_merge_source_under_the_home_of_a_user_this_machine_has_not_is_named_as_the_source(tmp_path, monkeypatch,
                                                                                             capsys):
    """The same for a store to merge: named as the merge source (it read '--out ~photos/node'), and the other
    sources merged all the same."""
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["merge", f"{NO_USER}/node", "--out", str(tmp_path / "res")])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err and "--out" not in err, err
    assert f"merge source {NO_USER}/node: there is no user 'no_such_user_x'" in err, err

"""Probe 19 of the inputs a new user types: config keys, flags, api.run keywords and data sources."""

import pytest


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

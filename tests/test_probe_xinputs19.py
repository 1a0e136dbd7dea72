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

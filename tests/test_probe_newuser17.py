"""A new user's first hour, probed (17): every flag's mistake said before the results folder's refusal, a config
file's loss file named by the file beside a flag's, several executors' settings said at once, api.run() as `run`."""

import pytest
import torchvision.models  # noqa: F401  (what a backbone loss's check imports)

import benchmark.checkpoint  # noqa: F401  (what `run` imports, torch among them: imported once, not in a test's time)
import benchmark.executors  # noqa: F401
import benchmark.runner  # noqa: F401
from benchmark import api
from benchmark.cli import main
from benchmark.errors import UserError


@pytest.fixture
def a_file(tmp_path):
    """An --out that `run` refuses (a file in the way)."""
    p = tmp_path / "afile"
    p.write_text("mine\n")
    return p


@pytest.mark.parametrize("flags, said", [
    (["--losses", "vgg", "--backbone-weights", "rnadom"], "--backbone-weights rnadom: not random, pretrained"),
    (["--train-data", "skimage:trian"], "did you mean train?"),
    (["--crop", "7"], "--crop 7 is too small for task denoise"),
])
def test_every_flags_mistake_is_said_before_the_results_folders_refusal(a_file, capsys, flags, said):
    """`--backbone-weights rnadom --out FILE` said the folder first; fixed that, the next try said the typo (the other
    flags' names were moved before it, their values — a data folder, a crop too small — were not)."""
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", *flags, "--out", str(a_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert said in err[-1] and "not a directory" not in err[-1], err


def test_the_same_grid_without_a_mistake_still_meets_the_folders_refusal(a_file, capsys):
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        f"error: results directory {a_file} exists and is not a directory"


@pytest.mark.parametrize("executor, runs", [
    ([], "names no executor, so it would train here with the local one"),
    (["--executor", "local"], "runs with --executor local"),
])
def test_two_other_executors_settings_are_said_in_one_line(tmp_path, capsys, executor, runs):
    """`--slurm-partition gpu --ray-address auto` said only --ray-address; dropped it, the next try said
    --slurm-partition: every setting the grid's executor leaves unused is named at once."""
    assert main(["run", *executor, "--slurm-partition", "gpu", "--ray-address", "auto",
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--slurm-partition" in err and "--ray-address" in err and runs in err, err
    with pytest.raises(UserError) as e:
        api.run(slurm_partition="gpu", ray_address="auto", out=str(tmp_path / "o"), report=False)
    assert "slurm_partition" in str(e.value) and "ray_address" in str(e.value), str(e.value)

"""Review of the newuser probe (17): a data path that is not there said before the results folder's refusal, and
`run` and api.run() planning a grid by one shared sequence."""

import pytest
import torchvision.models  # noqa: F401  (what a backbone loss's check imports)

import benchmark.checkpoint  # noqa: F401  (what `run` imports: imported once, not in a test's time)
import benchmark.executors  # noqa: F401
import benchmark.runner  # noqa: F401
from benchmark import api
from benchmark.cli import main
from benchmark.errors import UserError


@pytest.mark.parametrize("flag, source", [
    ("--test-data", "/nonexistent/photos"),
    ("--train-data", "./no_such_folder17"),
    ("--test-data", "~/no_such_folder17/list.txt"),
])
def test_a_data_path_that_is_not_there_is_said_before_the_results_folders_refusal(a_file, capsys, flag, source):
    """`--test-data /nonexistent --out FILE` said the folder first; fixed that, the next try said the data path.
    The same words as load_raw's (one rule: DataSpec.kind 'missing-path')."""
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", flag, source, "--out", str(a_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert " not found: " in err[-1] and source in err[-1] and "not a directory" not in err[-1], err


def test_api_run_says_a_data_path_that_is_not_there_before_the_folder(a_file):
    with pytest.raises(UserError, match="dataset folder not found: /nonexistent/photos"):
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], test_data=["/nonexistent/photos"], out=str(a_file),
                report=False)


def test_run_and_api_run_plan_a_grid_by_one_shared_sequence(monkeypatch, tmp_path, capsys):
    """api.run() copied run's order of checks (1c64f77, 517ff8b): two copies drift. Both call cli.planned."""
    import benchmark.cli

    calls = []

    def planned(spec, dry_run=False, where=None):
        calls.append(where)
        raise UserError("planned")

    monkeypatch.setattr(benchmark.cli, "planned", planned)
    with pytest.raises(UserError, match="^planned$"):
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], out=str(tmp_path / "r"), report=False)
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--out", str(tmp_path / "r")]) == 2
    assert len(calls) == 2 and "api.run()" in calls[0] and calls[1] is None


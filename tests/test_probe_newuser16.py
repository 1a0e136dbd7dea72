"""A new user's first hour, probed: config-file and api.run() messages made where the mistake is found, one check
of the remote executors' settings, and the flags, keys and README commands a first try meets."""

import pytest

import benchmark.checkpoint  # noqa: F401  (what `run` imports, torch among them: imported once, not in a test's time)
import benchmark.executors  # noqa: F401
import benchmark.report  # noqa: F401
import benchmark.runner  # noqa: F401
import benchmark.synthetic  # noqa: F401
from benchmark import api
from benchmark.cli import main
from benchmark.config import GridSpec
from benchmark.errors import UserError
from benchmark.params import check_kwargs


def test_check_kwargs_names_a_setting_and_its_value_as_the_source_wrote_them():
    """A config file's `executor: {gpus: two}` fills slurm_gpus and `seeds: 0.5` is read as [0.5]: the message is
    made so at its source (check_kwargs), not reworded afterwards by parsing its text."""
    with pytest.raises(UserError, match=r"^grid\.yaml: setting executor\.gpus expects a whole number, got 'two' "
                                        r"\(text\)$"):
        check_kwargs(GridSpec, {"slurm_gpus": "two"}, "grid.yaml: setting", words=True,
                     names={"slurm_gpus": "executor.gpus"})
    with pytest.raises(UserError, match=r"^grid\.yaml: setting seeds expects a list of whole numbers, got 0\.5 "
                                        r"\(a number\)$"):
        check_kwargs(GridSpec, {"seeds": [0.5]}, "grid.yaml: setting", words=True, written={"seeds": 0.5})
    with pytest.raises(UserError, match=r"; 0\.5 in \[0, 0\.5\] is a number$"):
        check_kwargs(GridSpec, {"seeds": [0, 0.5]}, "grid.yaml: setting", words=True, written={"seeds": (0, 0.5)})
    with pytest.raises(UserError, match=r"; None in \['psnr', None\] is nothing$"):
        GridSpec.from_mapping({"metrics": ["psnr", None]}, "grid.yaml")
    with pytest.raises(UserError, match=r"^api\.run\(\): setting executor\.mem expects text, got \[1\] \(a list\)$"):
        GridSpec.from_mapping({"executor": {"name": "slurm", "mem": [1]}}, "api.run()")


@pytest.fixture
def no_training(monkeypatch):
    """A grid that got as far as planning fails the test at once (nothing is read or trained)."""
    import benchmark.config

    def planned(*a, **k):
        raise AssertionError("the grid was planned: the setting went unused")

    monkeypatch.setattr(benchmark.config, "build_configs", planned)


def test_another_executors_setting_is_one_check_with_one_message_wherever_it_is_given(tmp_path, no_training, capsys):
    """`--slurm-partition gpu` alone said 'this grid runs with --executor local', api.run(slurm_partition='gpu') 'of
    the slurm executor, and this grid names no executor' (two checks, two wordings of one mistake), and a config file
    naming `executor: ray` beside SLURM settings passed both, its settings dropped: one check, one message."""
    assert main(["run", "--slurm-partition", "gpu", "--out", str(tmp_path / "cli")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("--slurm-partition is an option of --executor slurm, and this grid names no executor, so "
                            "it would train here with the local one: add --executor slurm, or drop it"), err
    with pytest.raises(UserError) as e:
        api.run(slurm_partition="gpu", out=str(tmp_path / "api"), report=False)
    assert str(e.value) == ("api.run(): slurm_partition is a setting of executor='slurm', and this grid names no "
                            "executor, so it would train here with the local one: pass executor='slurm', or drop it")
    grid = tmp_path / "grid.yaml"
    grid.write_text("executor: {name: ray, partition: gpu, time: '1:00:00'}\n")
    with pytest.raises(UserError) as e:
        api.run(config=grid, out=str(tmp_path / "api"), report=False)
    assert str(e.value) == ("grid.yaml: executor.partition, executor.time are settings of the slurm executor, and this "
                            "grid runs with the ray executor: make its executor slurm, or drop them")
    assert main(["run", "--config", str(grid), "--out", str(tmp_path / "cli")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(str(e.value))


def test_a_missing_loss_file_named_by_a_config_file_or_api_run_says_which(tmp_path, capsys):
    """Every other mistake in a config file or an api.run() keyword names it (`grid.yaml: …`, `api.run(): …`); a
    loss file that is not there said only 'loss file not found: /nope.py', as the `--loss-file` flag does."""
    missing = tmp_path / "nope.py"
    with pytest.raises(UserError) as e:
        api.run(loss_files=[str(missing)], out=str(tmp_path / "api"), report=False)
    assert str(e.value) == f"api.run(): loss file not found: {missing}"
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"loss_files: [{missing}]\n")
    assert main(["run", "--config", str(grid), "--out", str(tmp_path / "cli")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: grid.yaml: loss file not found: {missing}"
    assert main(["run", "--loss-file", str(missing), "--out", str(tmp_path / "cli")]) == 2  # the flag's: as before
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: loss file not found: {missing}"


@pytest.mark.parametrize("call, said", [
    (lambda out: api.report(out, visual="no"), "visual must be True or False, got 'no'"),
    (lambda out: api.report(out, html="no"), "html must be True or False, got 'no'"),
    (lambda out: api.load_results(out, budget_checks="yes"), "budget_checks must be True or False, got 'yes'"),
])
def test_api_switches_given_as_words_are_refused_not_read_as_true(call, said, tmp_path, monkeypatch):
    """api.report(out, visual='no') re-ran every net for its visual grids (minutes), html='no' wrote the HTML, and
    load_results(out, budget_checks='no') mixed the half-budget runs into the table: a non-empty string is true.
    Each is one line before anything is read or written, as `plbench report --no-visual` has no such mistake."""
    import benchmark.report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",), n_images=2)

    def drawn(*a, **k):
        raise AssertionError("the report was written")

    monkeypatch.setattr(benchmark.report, "write_report", drawn)
    with pytest.raises(UserError) as e:
        call(store.root)
    assert str(e.value) == said


@pytest.mark.parametrize("given, said", [
    (dict(report="no"), "api.run(): report must be True or False, got 'no'"),
    (dict(progress="off"), "api.run(): progress must be True or False, got 'off'"),
])
def test_api_run_switches_given_as_words_are_refused_before_planning(given, said, tmp_path, no_training):
    """api.run(report='no') trained and then wrote the report; progress='off' drew the bars: a string is true.
    Refused in one line, as api.run(budget_check='no') is, before anything is planned."""
    with pytest.raises(UserError) as e:
        api.run(out=str(tmp_path / "r"), **given)
    assert str(e.value) == said


@pytest.mark.parametrize("entry, said", [("l1=denoize", "error: --loss-tasks: unknown task 'denoize'; did you mean "),
                                         ("l9=denoise", "error: --loss-tasks: unknown loss 'l9'; did you mean ")])
def test_a_typo_in_loss_tasks_is_said_before_the_out_folders_refusal(entry, said, tmp_path, capsys):
    """`--loss-tasks l1=denoize --out <a file>` was refused for its --out; fixed that, the next try said the typo
    (every other name of the grid is checked before --out): said first now, in build_configs' words."""
    (tmp_path / "afile").write_text("")
    assert main(["run", "--loss-tasks", entry, "--out", str(tmp_path / "afile")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(said)

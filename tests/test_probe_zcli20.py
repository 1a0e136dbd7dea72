"""A new user's command line, leftovers (20): ``all`` for tasks and metrics said in the source's words, …"""

import pytest

from benchmark import api
from benchmark.cli import main
from benchmark.errors import UserError


def _refused(argv) -> int:
    """``main(argv)``'s exit status: a returned one or a SystemExit's."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _last_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing said"
    return err[-1]


@pytest.mark.parametrize("key", ["tasks", "metrics"])
@pytest.mark.parametrize("word", ["all", "*"])
def test_all_for_tasks_or_metrics_is_said_in_the_flags_words(key, word, tmp_path, capsys):
    """``--metrics all`` was told 'metrics: 'all' names every loss among losses' (the file's keys), ``--tasks all``
    only 'unknown task 'all''."""
    assert _refused(["run", f"--{key}", word, "--out", str(tmp_path / "r")]) not in (0, None)
    said = _last_error(capsys)
    assert said.startswith(f"error: --{key} {word}: '{word}' is for losses only (--losses all "), said
    assert f"e.g. --{key} " in said and " among losses" not in said, said
    if key == "tasks":
        assert "registered: deblur, demosaic, denoise, jpeg, sr4" in said, said
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("key", ["tasks", "metrics"])
def test_all_for_tasks_or_metrics_is_said_in_a_config_files_and_api_runs_words(key, tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"{key}: all\n")
    assert _refused(["run", "--config", str(grid), "--out", str(tmp_path / "r")]) not in (0, None)
    said = _last_error(capsys)
    assert said.startswith(f"error: grid.yaml: {key}: all: 'all' is for losses only (losses: all "), said
    assert f"e.g. {key}: [" in said and "--" not in said.split("(")[0], said
    with pytest.raises(UserError) as exc:
        api.run(**{key: ["all"]}, out=str(tmp_path / "r"))
    assert str(exc.value).startswith(f"api.run(): {key}=['all']: 'all' is for losses only (losses=['all'] "), exc.value
    assert f"e.g. {key}=[" in str(exc.value)


@pytest.mark.parametrize("command", [["report"], ["compare", "--loss", "l1"]])
@pytest.mark.parametrize("flags, said", [(["--bootstrap", "0"], "--bootstrap must be at least 100"),
                                         (["--alpha", "2"], "--alpha must be in (0, 1)")])
@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_a_bad_value_is_said_before_the_stores_no_results(command, flags, said, folder, tmp_path, capsys):
    """``plbench report --bootstrap 0`` on a missing or empty folder said 'no results in …'; fixed that, the next try
    said the value: a typo in a value is said first, as ``run`` checks its values before reading data."""
    out = tmp_path / folder
    if folder == "empty":
        out.mkdir()
    assert _refused([*command, *flags, "--out", str(out)]) not in (0, None)
    got = _last_error(capsys)
    assert got.startswith(f"error: {said}"), got


@pytest.mark.parametrize("batch, classes, trained, said", [
    (10, 8, 8, "not 10: use a batch size that is a multiple of 8 (8 or 16)"),
    (4, 8, 4, "not 8 classes: use a batch size that is a multiple of 8 (8) or 4 classes"),
    (12, 5, 10, "not 12: use a batch size that is a multiple of 5 (10 or 15)")])
def test_a_contrique_grid_batch_cut_short_is_said_before_any_image_is_read(batch, classes, trained, said, tmp_path,
                                                                            caplog, capsys):
    """``plbench pretrain --batch-size 10`` (8 classes a batch) trained 8 samples a step, ``--batch-size 4`` only 4
    classes, silently, under the file name of the config asked for: one warning line says the batch trained."""
    from benchmark.pretrain import PretrainConfig

    cfg = PretrainConfig(batch_size=batch, classes_per_batch=classes)
    assert cfg.grid_shape()[0] * cfg.grid_shape()[1] == trained
    argv = ["pretrain", "--batch-size", str(batch), "--classes-per-batch", str(classes), "--data",
            str(tmp_path / "not-there"), "--out-dir", str(tmp_path / "enc")]
    with caplog.at_level("WARNING", logger="benchmark.pretrain"):
        assert _refused(argv) not in (0, None)
    assert "dataset folder not found" in _last_error(capsys)  # the warning came before the data was read
    notes = [r.getMessage() for r in caplog.records if "grid batches" in r.getMessage()]
    assert len(notes) == 1 and notes[0].endswith(said), notes
    assert f"grid batches of {trained} samples" in notes[0], notes
    assert PretrainConfig(batch_size=32, classes_per_batch=8).grid_note() == ""  # the default: nothing to say
    assert PretrainConfig(batch_size=10, batch_design="random").grid_note() == ""  # no grid: every sample drawn


@pytest.mark.slow  # a field trained (2 iterations), then compare planned: about 2 s
@pytest.mark.parametrize("loss, said", [("pdl", "pdl(weights='pretrained')"), ("l1 + 0.1*vgg", None)])
def test_plbench_compare_says_which_weights_a_new_deep_loss_gets_beside_a_pixel_only_field(loss, said, tmp_path,
                                                                                             monkeypatch, caplog,
                                                                                             capsys):
    """compare.field_weights_note was tested as a helper only: through ``plbench compare --loss pdl`` on a store of
    pixel losses alone, its line is said while the comparison is planned, before any run trains."""
    import benchmark.runner as R

    out = tmp_path / "field"  # a field of one pixel loss, trained as a user trains it
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "2", "--metrics",
                 "psnr", "--crop", "32", "--batch-size", "2", "--no-budget-check", "--no-report", "--device", "cpu",
                 "--no-progress", "-q", "--out", str(out)]) == 0

    class Trained(UserError):  # said as a one-line error, as main says any
        pass

    def run_grid(configs, *a, **k):  # the comparison planned: stop before its runs train
        assert {c.backbone_weights for c in configs} == {"random"}, configs
        raise Trained("stopped where the runs would train")

    monkeypatch.setattr(R, "run_grid", run_grid)  # compare imports it from there
    with caplog.at_level("INFO"):
        assert main(["compare", "--loss", loss, "--out", str(out), "--device", "cpu", "--no-visual", "--formats",
              "png", "--bootstrap", "100"]) != 0
    assert "stopped where the runs would train" in capsys.readouterr().err
    lines = [r.getMessage() for r in caplog.records if "trains on random backbone weights" in r.getMessage()]
    spec = said or loss.replace("vgg", "vgg(weights='pretrained')")
    assert lines == [f"denoise: {loss} trains on random backbone weights: the field's runs here are pixel losses "
                     "alone, which record no backbone weights to follow (whatever --backbone-weights they were run "
                     f'with); to train it on pretrained weights, compare --loss "{spec}"'], lines


def test_compare_tasks_all_says_to_leave_tasks_out(tmp_path, capsys):
    """``plbench compare --loss l1 --tasks all`` said only 'unknown task 'all'': compare takes every task of the
    field without ``--tasks``, said before the store is read."""
    assert _refused(["compare", "--loss", "l1", "--tasks", "all", "--out", str(tmp_path / "none")]) not in (0, None)
    assert _last_error(capsys) == ("error: --tasks all: 'all' names no task: leave --tasks out to compare on every "
                                   "task of the field")


@pytest.mark.parametrize("command", ["report", "findings", "calibrate"])
def test_a_malformed_where_is_said_before_the_stores_no_results(command, tmp_path, capsys):
    """``plbench findings --where foo`` (and calibrate's) on a missing folder said 'no results in …', where report
    said the malformed --where: every command with --where says it first."""
    assert _refused([command, "--where", "foo", "--out", str(tmp_path / "none")]) not in (0, None)
    assert _last_error(capsys).startswith("error: --where 'foo': expected FIELD=VALUE")


def test_loss_tasks_all_says_to_leave_the_loss_out(tmp_path, capsys):
    """``--loss-tasks l1=all`` (a file's ``loss_tasks: {l1: [all]}``, api.run()'s) said only 'unknown task 'all'': a
    loss left out of loss_tasks trains on every task of the grid, said in the words of the source that gave it."""
    out = str(tmp_path / "r")
    assert _refused(["run", "--loss-tasks", "l1=all", "--out", out]) not in (0, None)
    assert _last_error(capsys) == ("error: --loss-tasks: 'all' names no task for l1: leave l1 out of --loss-tasks to "
                                   "train it on every task of the grid")
    grid = tmp_path / "grid.yaml"
    grid.write_text("loss_tasks: {l1: ['*']}\n")
    assert _refused(["run", "--config", str(grid), "--out", out]) not in (0, None)
    assert _last_error(capsys).startswith("error: grid.yaml: loss_tasks: '*' names no task for l1: leave l1 out of "
                                          "loss_tasks ")
    with pytest.raises(UserError, match=r"^api.run\(\): loss_tasks: 'all' names no task for l1: leave l1 out of "
                                        r"loss_tasks "):
        api.run(loss_tasks={"l1": ["all"]}, out=out)
    assert not (tmp_path / "r").exists()

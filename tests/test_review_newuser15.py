"""Review of the probe-newuser branch (session 15): what its fixes left in the same categories."""

from __future__ import annotations

import pytest

from benchmark.cli import main


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("items, said", [
    (["sr4.scale=2.5"], "error: --task-param 'sr4.scale=2.5': task 'sr4' parameter scale expects int"),
    (["sr4.scal=2"], "error: --task-param 'sr4.scal=2': task 'sr4' has no parameter scal; did you mean scale?"),
    (["denoise.sigma=0.1", "sr4.resize=torch", "sr4.scale=1"],
     "error: --task-param 'sr4.scale=1': task 'sr4': scale must be ≥ 2, got 1"),
])
def test_a_wrong_task_parameter_of_the_flag_names_the_flag(tmp_path, capsys, items, said):
    """`--task-param sr4.scale=2.5` said 'task 'sr4' parameter scale expects int, got 2.5 (float)', no flag named (a
    config file's is named by the file): the flag and its item are named, as for a misspelt task (bb2c7e6)."""
    flags = [x for item in items for x in ("--task-param", item)]
    assert main(["run", "--tasks", "sr4", "denoise", *flags, "--dry-run", "--out", str(tmp_path / "r")]) == 2
    assert _one_line_error(capsys).startswith(said)
    assert not (tmp_path / "r").exists()


def test_a_config_files_task_parameters_are_checked_with_the_flags_for_that_task(tmp_path, capsys):
    """A file's parameters of a task with the flag's for it are checked together, as the grid builds them: the file's
    wrong value is named by the file, not by the flag given beside it."""
    grid = tmp_path / "grid.yaml"
    grid.write_text("tasks: {sr4: {scale: 1}, denoise: {}}\n")
    assert main(["run", "--config", str(grid), "--task-param", "sr4.resize=torch", "--dry-run",
                 "--out", str(tmp_path / "r")]) == 2
    assert "--task-param" not in _one_line_error(capsys)


def test_a_missing_file_is_not_offered_a_folder_nor_a_missing_folder_a_file(tmp_path, monkeypatch):
    """`--config configs.yaml` beside a `configs` folder said 'did you mean configs?' (which is then refused: 'config
    file configs is a directory'), `--loss-file configs.py` likewise, and `report --out grid_big` beside grid_big.yaml
    offered the file as a results folder → a file is offered for a file, a folder for a folder; data, either."""
    from benchmark.errors import did_you_mean_path

    for name in ("configs", "CSet5"):
        (tmp_path / name).mkdir()
    for name in ("grid_big.yaml", "my_loss.py"):
        (tmp_path / name).touch()
    monkeypatch.chdir(tmp_path)
    assert did_you_mean_path("configs.yaml", kind="file") == ""
    assert did_you_mean_path("configs.py", kind="file") == ""
    assert did_you_mean_path("grid_bgi.yaml", kind="file") == "; did you mean grid_big.yaml?"
    assert did_you_mean_path("my_los.py", kind="file") == "; did you mean my_loss.py?"
    assert did_you_mean_path("grid_big", kind="dir") == ""
    assert did_you_mean_path("Cset5", kind="dir") == "; did you mean CSet5?"
    assert did_you_mean_path("Cset5") == "; did you mean CSet5?"  # data: a folder or a file
    assert did_you_mean_path("grid_big") == "; did you mean grid_big.yaml?"
    with pytest.raises(Exception, match=r"^config file not found: configs\.yaml$"):
        from benchmark.config import GridSpec

        GridSpec.from_file("configs.yaml")


@pytest.mark.parametrize("key, written, said", [
    ("seeds", "[0, 0.5]", "setting seeds expects a list of whole numbers; 0.5 in [0, 0.5] is a number"),
    ("tasks", "[sr4, 5]", "setting tasks expects a list of texts; 5 in ['sr4', 5] is a whole number"),
    ("metrics", "[psnr, true]", "setting metrics expects a list of texts; True in ['psnr', True] is true or false"),
])
def test_a_wrong_item_of_a_list_setting_is_named(tmp_path, key, written, said):
    """`seeds: [0, 0.5]` said 'expects a list of whole numbers, got [0, 0.5] (a list)': a list, as asked, the item
    at fault left to find (8667e99 named one value written without a list) → the item is named, as api.run() does."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    grid = tmp_path / "grid.yaml"
    grid.write_text(f"{key}: {written}\n")
    with pytest.raises(UserError) as err:
        GridSpec.from_file(grid)
    assert str(err.value) == f"grid.yaml: {said}"
    import yaml

    with pytest.raises(UserError) as err:
        GridSpec.from_mapping({key: yaml.safe_load(written)}, "api.run()")
    assert str(err.value) == f"api.run(): {said}"

"""README session 16: what README.md says against what the code does."""

from __future__ import annotations

import pytest

from benchmark.cli import main


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("item", ["sr4.scale=2.5", "sr4.scale=3"])
def test_a_task_parameter_for_a_task_not_run_is_refused_as_such_whatever_its_value(tmp_path, capsys, item):
    """`--tasks denoise --task-param sr4.scale=2.5` said 'sr4 parameter scale expects int' (check_task_params_of_flags
    checked the value first), and once fixed to 3, 'names task sr4, which is not in this grid': two errors, the first
    not the one at fault → the task not run is named first, with the item, whatever its value (README: `--tasks`
    drops a config file's parameters of the tasks it leaves out; a flag's own contradicts `--tasks` and is refused)."""
    assert main(["run", "--tasks", "denoise", "--task-param", item, "--dry-run", "--out", str(tmp_path / "r")]) == 2
    assert _one_line_error(capsys).startswith(
        f"error: --task-param {item!r} names task 'sr4', which is not in this grid (denoise)")
    assert not (tmp_path / "r").exists()


def test_tasks_drops_a_config_files_parameters_of_the_tasks_it_leaves_out(tmp_path):
    """README: `--tasks` drops the (config file's) parameters of the tasks it leaves out, unchecked: a wrong value of
    a task not run stops nothing."""
    from benchmark.config import GridSpec

    grid = tmp_path / "grid.yaml"
    grid.write_text("tasks: {sr4: {scale: 2.5}, denoise: {sigma: 0.1}}\n")
    merged = GridSpec.from_file(str(grid)).merged(GridSpec(tasks=("denoise",)))
    assert merged.tasks == ("denoise",)
    assert dict(merged.task_params) == {"denoise": (("sigma", 0.1),)}


def test_the_readmes_metric_cpu_table_names_the_script_that_measures_its_columns():
    """README's per-image CPU table (psnr … mad) was measured by no script kept, so today's gmsd, fsim and vsi could not
    be re-timed the same way → `scripts/bench_metric_cpu.py` times exactly the table's columns side by side in one
    run, and the README names it with the run's date and the machine's state."""
    from pathlib import Path

    from conftest import load_script

    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text(encoding="utf-8")
    at = text.index("CPU time per image on")
    paragraph = text[at:text.index("\n\n", text.index("| ms |", at))]
    assert "`scripts/bench_metric_cpu.py`" in paragraph and "2026-12-06" in paragraph and "load average" in paragraph
    header = next(line for line in paragraph.splitlines() if line.startswith("| | psnr"))
    columns = tuple(c.strip() for c in header.strip("|").split("|"))[1:]
    script = load_script("bench_metric_cpu")
    assert script.METRICS == columns
    assert {"ms", "× ssim"} <= {line.split("|")[1].strip() for line in paragraph.splitlines() if line.startswith("| ")}

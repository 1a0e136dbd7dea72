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


def test_api_run_says_a_mistake_and_the_folders_refusal_as_run_does_before_reading_the_data(a_file, monkeypatch):
    """api.run() read (decoded) every source before it looked at `out`: a file in the way was said after a minute."""
    import benchmark.data

    def decoded(*a, **k):
        raise AssertionError("the data was read before the folder was checked")

    monkeypatch.setattr(benchmark.data.DataCache, "pooled", decoded)
    with pytest.raises(UserError) as e:
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], out=str(a_file), report=False)
    assert str(e.value) == f"results directory {a_file} exists and is not a directory"


def test_a_config_files_broken_loss_file_is_named_by_it_beside_a_flags_loss_file(tmp_path, capsys):
    """`loss_files: [bad.py]` in grid.yaml said `grid.yaml: bad.py failed to import …`, and with a `--loss-file mine.py`
    beside it only `bad.py failed to import …`: the files of two sources are added, each named by its own."""
    bad, mine = tmp_path / "bad17.py", tmp_path / "mine17.py"
    bad.write_text("x = (\n")
    mine.write_text("from benchmark.registry import register_loss\nfrom losses.pixel import L1Loss\n\n"
                    "register_loss('mine17')(type('Mine17', (L1Loss,), {}))\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"loss_files: [{bad}]\n")
    out = str(tmp_path / "out")
    assert main(["run", "--config", str(grid), "--loss-file", str(mine), "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: grid.yaml: bad17.py failed to import: SyntaxError"), err
    grid.write_text(f"loss_files: [{mine}]\n")  # the flag's broken file: as the flag's, no file named
    assert main(["run", "--config", str(grid), "--loss-file", str(bad), "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: bad17.py failed to import: SyntaxError"), err
    with pytest.raises(UserError, match=r"^grid\.yaml: bad17\.py failed to import"):
        api.run(config=_grid(tmp_path, bad), loss_files=[str(mine)], out=out, report=False)


def _grid(tmp_path, loss_file):
    p = tmp_path / "grid.yaml"
    p.write_text(f"loss_files: [{loss_file}]\n")
    return p


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


def test_a_task_that_loss_tasks_leaves_without_a_loss_is_said(caplog):
    """`--tasks denoise sr4 --losses l1 --loss-tasks l1=denoise` planned denoise's runs alone, sr4 (and its
    `--task-param sr4.scale=2`) dropped without a word: the dry run's table had no sr4 column, nothing said why."""
    import logging

    from benchmark.config import GridSpec, check_grid

    spec = GridSpec(tasks=("denoise", "sr4"), losses=("l1", "l2"), seeds=(0,),
                    loss_tasks=(("l1", ("denoise",)), ("l2", ("denoise",))))
    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        plan = check_grid(spec)
    said = [r.getMessage() for r in caplog.records if "sr4" in r.getMessage()]
    assert plan.tasks == ("denoise", "sr4") and len(said) == 1, said
    assert said[0] == "task sr4 gets no run: --loss-tasks keeps every loss of this grid (l1, l2) off it", said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        check_grid(GridSpec(tasks=("denoise", "sr4"), losses=("l1", "l2"), seeds=(0,),
                            loss_tasks=(("l1", ("denoise",)),)))
    assert not [r for r in caplog.records if "gets no run" in r.getMessage()]


def test_api_run_refuses_a_bad_workers_value_before_reading_the_data(tmp_path, monkeypatch):
    """`--workers two` is refused before the data is read; api.run(workers='two') decoded every source first."""
    import benchmark.data

    def decoded(*a, **k):
        raise AssertionError("the data was read before workers was checked")

    monkeypatch.setattr(benchmark.data.DataCache, "pooled", decoded)
    with pytest.raises(UserError, match=r"^api\.run\(\): .*workers.*two"):
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], workers="two", out=str(tmp_path / "o"), report=False)


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_of_a_two_worker_run_then_the_same_command_resumes_it_exactly(tmp_path):
    """A real Ctrl-C: SIGINT to the whole process group (the driver and its local workers at once) while two runs
    train; exit 130 with the resume command, no traceback; the same command then finishes the grid, and its table and
    runs equal an uninterrupted run's."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from test_fault_injection import GRID, ROOT, _interactive_sigint, assert_identical, reference_in_process, wait

    args = ["run", *GRID, "--seeds", "0", "--workers", "2"]
    out = tmp_path / "stopped"
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    log = tmp_path / "first.log"
    with open(log, "w") as f:
        proc = subprocess.Popen([sys.executable, str(ROOT / "run_all.py"), *args, "--out", str(out)], stdout=f,
                                stderr=subprocess.STDOUT, env=env, cwd=ROOT, preexec_fn=_interactive_sigint,
                                start_new_session=True)
    deadline = time.monotonic() + 300
    while proc.poll() is None and "run 2/" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, log.read_text()[-3000:]
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal sends it: to every process of the foreground group
    wait(proc, log)
    text = log.read_text()
    assert proc.returncode == 130 and "Resume with:" in text and "Traceback" not in text, text[-3000:]
    with open(tmp_path / "second.log", "w") as f:
        again = subprocess.run([sys.executable, str(ROOT / "run_all.py"), *args, "--out", str(out)], stdout=f,
                               stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=600)
    assert again.returncode == 0, (tmp_path / "second.log").read_text()[-3000:]
    reference_in_process(tmp_path / "ref", args)
    assert_identical(out, tmp_path / "ref")

"""A new user's first hour from a fresh clone (probe-journey): the README top to bottom, then their own photos,
typos, config files, interruptions and two commands on one results folder."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role", ["train", "test"])
def test_a_mistyped_data_source_is_refused_before_the_losses_are_probed(role, monkeypatch):
    """``plbench run --test-data skimag:test`` (a typo of ``skimage``) ran every loss of the grid on training crops
    first — a minute and more of MS-SSIM filters on 2 busy cores (62 s of 78 s, profiled) — and only then said
    "unknown dataset 'skimag'; did you mean skimage?"; a mistyped ``--train-data`` too (its error was swallowed
    and said again after the probe). Every source is now read before any loss is built."""
    from benchmark import lossfn
    from benchmark.config import GridSpec, build_configs
    from benchmark.errors import UserError

    probed = []
    monkeypatch.setattr(lossfn, "check_loss_on_crop", lambda *a, **k: probed.append(a[0]))
    monkeypatch.setattr(lossfn, "build_loss", lambda *a, **k: probed.append(a[0]))
    data = {"train_data": ("skimage:train",), "test_data": ("skimage:test",)}
    data[f"{role}_data"] = ("skimag:" + role,)
    spec = GridSpec(tasks=("denoise",), losses=("ms_ssim_l1",), seeds=(0,), device="cpu", budget_check=False, **data)
    with pytest.raises(UserError, match=r"unknown dataset 'skimag'; did you mean skimage\?"):
        build_configs(spec)
    assert probed == []


def test_an_interrupted_dry_run_keeps_the_step_times_it_measured(tmp_path, monkeypatch, capsys):
    """A dry run of a large grid on a CPU measures for tens of minutes (README: a full-profile dry run timed 7 steps
    of 24 losses); Ctrl-C in it lost every time measured so far (``steptimes.json`` was written only at the end), so
    the same command measured everything again — while the CLI said "interrupted; finished runs and checkpoints are
    saved. Resume with: … --dry-run", of a command that trains no run. Now the times measured are kept on the
    interrupt, the next dry run measures only the rest, and the line says so."""
    from benchmark import perf
    from benchmark.cli import main
    from benchmark.config import RunConfig

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    timed = []

    def fake_step(loss, net, task, b, cr, dev, compile, images):
        if len(timed) == 3:
            raise KeyboardInterrupt
        timed.append((loss, b, cr))
        return 0.01 * (len(timed)), 0.001

    def fake_data(task, batch, crop, dev, images):
        timed.append((task, batch, crop))
        return 0.001

    monkeypatch.setattr(perf, "_time_step", fake_step)
    monkeypatch.setattr(perf, "_time_data", fake_data)
    monkeypatch.setattr(perf, "training_images", lambda crop: [])
    grid = [RunConfig(task="denoise", loss=ls, iterations=10, batch_size=8, crop=48) for ls in ("l1", "l2", "ssim")]
    path = tmp_path / "t.json"
    with pytest.raises(KeyboardInterrupt):
        perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert len(timed) == 3 and len(perf.StepTimes(path).data) == 3  # what was timed before Ctrl-C is kept

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("benchmark.cli.cmd_run", interrupted)
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--dry-run", "--out", str(tmp_path / "d")]) == 130
    err = capsys.readouterr().err
    assert "checkpoints" not in err and "finished runs" not in err
    assert "step times measured so far are kept" in err and "--dry-run" in err


def test_check_does_not_count_an_interrupted_or_failed_run_as_a_run(tmp_path, capsys):
    """After Ctrl-C in the first run of a grid, ``plbench check`` said "1 run (and 1 scoring of the degraded input),
    every record readable and matching its checksum" — of a store where no run had finished (the one run folder
    held a checkpoint and a curve), while ``report`` wrote "Setting: no results". It counted run folders. Now the
    line counts finished runs apart from the unfinished (resumed by the same ``plbench run``) and failed ones."""
    import json

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    finished = [r for r in store.run_ids() if not r.startswith("input-")]
    assert main(["check", "--out", str(store.root)]) == 0
    assert f": {len(finished)} runs (and 1 scoring of the degraded input), every record" in capsys.readouterr().out
    from conftest import stopped_run

    stopped = store.run_dir("0123456789abcdef")  # what an interrupted run leaves: its checkpoint and curve
    stopped_run(stopped)
    (stopped / "curve.csv").write_text("iteration,seconds,loss,lr\n4,1.0,0.1,0.001\n")
    failed = store.run_dir(finished[0])
    meta = json.loads((failed / "meta.json").read_text())
    (failed / "meta.json").write_text(json.dumps({**meta, "status": "failed", "error": "RuntimeError: boom"}))
    assert main(["check", "--out", str(store.root)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert f": {len(finished) - 1} run{'s' if len(finished) != 2 else ''} finished" in line, line
    assert "1 failed" in line and "1 unfinished" in line and "plbench run" in line, line


def test_a_mistyped_path_is_refused_with_the_close_spelling_its_folder_holds(tmp_path, monkeypatch):
    """Every misspelt name had a "did you mean" — tasks, losses, flags, config keys, metrics, embedded data sets — but
    not a misspelt path: ``--loss-file my_los.py`` said "loss file not found", ``--config grid.yml`` "config file not
    found", ``--test-data ../shared/datasets/Cset5`` (the folder is CSet5) "dataset folder not found". Each now names
    the close spelling its folder holds, written as the path was given."""
    import re

    from benchmark.config import DataSpec, GridSpec
    from benchmark.data import load_images
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES, load_user_file

    (tmp_path / "my_loss.py").write_text("")
    (tmp_path / "grid.yaml").write_text("seeds: [0]\n")
    (tmp_path / "CSet5").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"loss file not found: .*my_los\.py; did you mean .*/my_loss\.py\?$"):
        load_user_file("my_los.py", LOSSES)
    with pytest.raises(UserError, match=r"^config file not found: grid\.yml; did you mean grid\.yaml\?$"):
        GridSpec.from_file("grid.yml")
    d = re.escape(str(tmp_path))
    with pytest.raises(UserError, match=rf"^dataset folder not found: {d}/Cset5; did you mean {d}/CSet5\?$"):
        load_images(DataSpec.parse(str(tmp_path / "Cset5"), role="test"))
    with pytest.raises(UserError, match=rf"^dataset folder not found: {d}/Kodak/x$"):  # no folder: no hint
        load_images(DataSpec.parse(str(tmp_path / "Kodak" / "x"), role="test"))


@pytest.mark.parametrize("argv, hint", [
    (["rn"], "`/venv/bin/python run_all.py -h` lists them"),
    (["run", "--tasks", "denoize"], "`/venv/bin/python run_all.py list tasks` shows all"),
    (["report", "--out", "no/such/results"], "run `/venv/bin/python run_all.py run --out no/such/results` first"),
])
def test_errors_name_the_command_the_user_started(argv, hint, monkeypatch, capsys):
    """The README's first commands start ``.venv/bin/python run_all.py`` (no ``plbench`` on the PATH until the
    venv is activated), and ``--help`` already says ``python run_all.py`` there — but the one-line errors sent the
    user to ``plbench -h``, ``plbench list tasks``, ``plbench run --out …``: "command not found" when copied. An
    error's hint now names the command as it was started."""
    import sys

    from benchmark.cli import main

    monkeypatch.setattr(sys, "argv", ["run_all.py", *argv])
    monkeypatch.setattr(sys, "executable", "/venv/bin/python")
    monkeypatch.setattr(sys.modules["__main__"], "__spec__", None, raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert hint in err and "`plbench" not in err, err


def test_the_resume_line_after_ctrl_c_names_the_interpreter_that_was_started(started_as_run_all,
                                                                             tmp_path, monkeypatch, capsys):
    """The README's first command is ``.venv/bin/python run_all.py …`` (the venv not activated); Ctrl-C in it
    printed "Resume with: python run_all.py …" — the PATH's python, which has no torch: copied, the resume was a
    ModuleNotFoundError. The line meant to be copied now names the interpreter as it can be reached from here
    (``python`` only where the PATH's python is this one)."""

    from benchmark.cli import main

    started_as_run_all("--tasks", "denoise")

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("benchmark.cli.cmd_run", interrupted)
    assert main(["--tasks", "denoise"]) == 130
    err = capsys.readouterr().err
    assert "Resume with:\n  .venv/bin/python run_all.py run --tasks denoise" in err, err


def test_the_readmes_first_commands_write_to_results_folders_that_do_not_nest():
    """The README's quick start runs ``run_all.py`` (into the default ``results``) and, "to try the install on less",
    the same with ``--out results/first``. Done in either order the second was refused: ``results`` "is not a
    plbench results directory (no store.json) and holds other files (first)", or ``results/first`` "is inside the
    results directory results". The quick start's commands now write to folders neither of which holds the other
    (the small run goes to the default folder, where the full grid then finds it done)."""
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    quick_start = readme.split("\n---\n")[0]
    outs = set()
    for block in re.findall(r"```bash\n(.*?)```", quick_start, re.S):
        for command in re.split(r"&&|\n", block):
            words = shlex.split(command.split(" #")[0])
            if any(w.endswith("run_all.py") for w in words):
                outs.add(Path(words[words.index("--out") + 1]) if "--out" in words else Path("results"))
    assert len(outs) >= 1
    nested = [(a, b) for a in outs for b in outs if a != b and b.is_relative_to(a)]
    assert not nested, nested

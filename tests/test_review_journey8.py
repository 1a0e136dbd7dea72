"""Review of probe-journey: a new user's first hour, from a fresh clone (README, configs, errors, Ctrl-C)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_configs_and_the_readme_api_write_to_results_folders_that_do_not_nest():
    """``plbench`` (the quick profile: ``out: results``) then ``plbench run --config configs/cpu.yaml``
    (``out: results/cpu``) was refused ("results/cpu is inside the results directory results"), and the other way
    round "results … holds other files (cpu)"; so for standard, standard-cpu and full, and for the README's Python
    example (``out="results/api"``). Every folder the repository names as an ``--out`` now sits beside the others."""
    import yaml

    from benchmark.config import RUN_DEFAULTS

    outs = {Path(RUN_DEFAULTS["out"]): "default"}
    for cfg in sorted((ROOT / "benchmark" / "configs").glob("*.yaml")):
        out = (yaml.safe_load(cfg.read_text()) or {}).get("out")
        if out:
            outs[Path(out)] = cfg.name
    for text, where in ((ROOT / "README.md").read_text(), "README"), \
            ((ROOT / "benchmark" / "api.py").read_text(), "api.py"):
        named = re.findall(r"""out=["'](results[\w./-]*)["']""", text) + re.findall(r"--out[ =](results[\w./-]*)", text)
        for out in named:
            outs.setdefault(Path(out.rstrip(".")), where)
    assert len(outs) >= 5
    nested = sorted(f"{b} ({outs[b]}) inside {a} ({outs[a]})" for a in outs for b in outs
                    if a != b and b.is_relative_to(a))
    assert not nested, nested


def test_an_errors_suggested_command_names_the_interpreter_as_reachable_from_here(started_as_run_all,
                                                                                  tmp_path, monkeypatch, capsys):
    """After the README's first command, ``.venv/bin/python run_all.py --tasks denoize`` (the venv not activated),
    the error sent the user to `` `python run_all.py list tasks` `` — the PATH's python, which has no torch:
    copied, a ModuleNotFoundError (the resume line after Ctrl-C had been fixed for this, the errors had not). An
    error's suggested command now names the interpreter as the resume line does."""

    from benchmark.cli import main

    started_as_run_all("--tasks", "denoize")
    assert main(["--tasks", "denoize"]) == 2
    err = capsys.readouterr().err
    assert "(`.venv/bin/python run_all.py list tasks` shows all)" in err, err
    assert main(["rn"]) == 2
    assert "`.venv/bin/python run_all.py -h` lists them" in capsys.readouterr().err


def test_a_mistyped_flag_names_the_interpreter_as_reachable_from_here(started_as_run_all,
                                                                      tmp_path, monkeypatch, capsys):
    """``.venv/bin/python run_all.py run --iteraions 10`` said "(`python run_all.py run -h` shows the options)":
    the PATH's python, without torch. argparse's one-line errors now name the interpreter as the other errors do."""

    from benchmark.cli import main

    started_as_run_all("run", "--iteraions", "10")
    with pytest.raises(SystemExit) as e:
        main(["run", "--iteraions", "10"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "did you mean --iterations? (`.venv/bin/python run_all.py run -h` shows the options)" in err, err


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_dash_capital_v_prints_the_version(flag, capsys):
    """``plbench -V`` (pip's, python's and most CLIs' short form) said "unrecognized arguments: -V"."""
    from benchmark.cli import main

    with pytest.raises(SystemExit) as e:
        main([flag])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith("plbench ")


def test_check_and_merge_name_the_command_the_user_started(started_as_run_all, tmp_path, monkeypatch, capsys):
    """``.venv/bin/python run_all.py check`` after Ctrl-C said "the same `plbench run` resumes it", and ``merge``
    "next: `plbench report --out …`": command not found, no plbench on the PATH until the venv is activated (the
    errors had been fixed for this; the commands' own lines had not)."""

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    from conftest import stopped_run

    stopped_run(store.run_dir("0123456789abcdef"))  # what an interrupted run leaves: its checkpoint
    started_as_run_all("check", "--out", "r")
    assert main(["check", "--out", "r"]) == 0
    out = capsys.readouterr().out
    assert "the same `.venv/bin/python run_all.py run` resumes it" in out and "`plbench" not in out, out
    assert main(["merge", "r", "--out", "m"]) == 0
    out = capsys.readouterr().out
    assert "next: `.venv/bin/python run_all.py report --out m`" in out and "`plbench" not in out, out


def test_a_mistyped_task_is_said_before_the_results_folder_is_refused(tmp_path, capsys):
    """``plbench run --tasks denoize --out DIR`` with DIR holding other files said only that DIR was refused; fixed
    that, the next try then said the typo. A task name is checked before the --out folder, as metric names were."""
    from benchmark.cli import main

    (tmp_path / "notes.txt").write_text("mine")
    assert main(["run", "--tasks", "denoize", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown task 'denoize'; did you mean denoise" in err, err

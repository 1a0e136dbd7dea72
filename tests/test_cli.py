"""The command line's surface: --version, help and defaults for every option, one name per thing,
and no library warnings in normal output."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _options():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sp in sub.choices.items():
        for a in sp._actions:
            if not isinstance(a, (argparse._HelpAction, argparse._VersionAction)):
                yield name, a


OPTIONS = list(_options())


@pytest.mark.parametrize("command,action", OPTIONS, ids=[f"{c}:{a.dest}" for c, a in OPTIONS])
def test_every_option_has_help_and_states_its_default(command, action):
    assert action.help, f"{command} {action.option_strings or action.dest}: no help text"
    default = action.default
    if default not in (None, False, [], argparse.SUPPRESS) and not isinstance(action, argparse._StoreTrueAction):
        assert "default" in action.help.lower(), f"{command} {action.option_strings}: default {default!r} not stated"


def test_one_name_per_thing_across_subcommands():
    """An option spelled in several subcommands means the same there: --batch-size, not --batch."""
    names = {}
    for _command, a in OPTIONS:
        for opt in a.option_strings:
            names.setdefault(opt, set()).add(a.dest)
    assert names["--batch-size"] <= {"batch_size", "batch"} and "--crop" in names
    assert all(len(d) == 1 or opt == "--batch-size" for opt, d in names.items()), names


def test_version(capsys):
    """--version prints the very string every result row and report records (``code_version``)."""
    from benchmark.config import code_version

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"plbench {code_version()}"


def test_third_party_loggers_are_quiet(caplog):
    """fontTools (PDF subsetting) printed ≈ 1,000 INFO lines per report: quiet unless --debug."""
    import logging

    from benchmark.cli import _setup_logging

    class Args:
        quiet, debug = False, False

    _setup_logging(Args())
    assert logging.getLogger("fontTools.subset").getEffectiveLevel() == logging.WARNING
    Args.debug = True  # --debug shows where data came from, never font or codec chatter
    _setup_logging(Args())
    assert logging.getLogger("fontTools.subset").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("matplotlib.font_manager").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("datasets").getEffectiveLevel() == logging.DEBUG
    logging.getLogger("datasets").setLevel(logging.WARNING)


def test_no_library_warnings_in_normal_output(tmp_path):
    """perf with the naive lpips reference and a small run, with every warning shown (-W default). Both
    commands run in one interpreter, one after the other as ``run_all.py`` runs each (torch, pyiqa and
    lpips imported once: ~4 s of CPU less); each must exit 0, and a warning either raises is shown. One torch
    thread (OMP_NUM_THREADS=1): a tiny net's two threads spin-wait on a shared 2-core machine."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    runs = [["perf", "--losses", "lpips", "--net", "tiny", "--batch-size", "2", "--crop", "32", "--reps", "1",
             "--warmup", "0", "--device", "cpu"],
            ["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--crop", "32", "--batch-size",
             "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu", "--no-progress",
             "--out", str(tmp_path / "r")]]
    both = ("import sys\nfrom benchmark.cli import main\n"
            f"codes = [main(argv) for argv in {runs!r}]\nprint('exit codes', codes)\n"
            "sys.exit(1 if any(codes) else 0)\n")
    proc = subprocess.run([sys.executable, "-W", "default", "-c", both], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and "exit codes [0, 0]" in proc.stdout, proc.stdout[-1000:] + proc.stderr[-2000:]
    assert "naive:lpips" in proc.stdout and (tmp_path / "r" / "results.csv").is_file()  # both ran in full
    warned = [line for line in proc.stderr.splitlines() if "Warning:" in line]
    assert not warned, warned


@pytest.mark.parametrize("module", ["benchmark", "benchmark.cli"])
def test_python_dash_m_runs_the_cli(module, tmp_path):
    """``python -m benchmark`` and ``python -m benchmark.cli`` are the CLI: they used to exit 0 doing nothing."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    ok = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, env=env,
                        cwd=ROOT, timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("plbench "), ok.stderr[-2000:]
    bad = subprocess.run([sys.executable, "-m", module, "repot"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert bad.returncode == 2 and "did you mean report?" in bad.stderr, bad.stderr[-2000:]


def test_declared_dependencies_are_imported():
    """Every runtime dependency in pyproject.toml is imported somewhere in the code."""
    import re

    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    modules = {"pillow": "PIL", "scikit-image": "skimage", "huggingface_hub": "huggingface_hub", "pyyaml": "yaml",
               "opencv-python-headless": "cv2"}
    used_without_import = {"pyarrow": "pandas' parquet engine (DataFrame.to_parquet / read_parquet)"}
    deps = [d for d in deps if re.split(r"[<>=\[ ]", d)[0] not in used_without_import]
    code = "\n".join(p.read_text() for d in ("benchmark", "losses", "tasks") for p in (ROOT / d).rglob("*.py"))
    for dep in deps:
        name = re.split(r"[<>=\[ ]", dep)[0]
        mod = modules.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {mod}\b", code, re.M), f"{name} is declared but never imported"

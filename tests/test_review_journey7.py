"""Review of journey 7 (the CLI for a new user): what its commits left misleading."""

from __future__ import annotations


def test_findings_refuses_more_bootstrap_resamples_than_report_does(tmp_path, capsys):
    """``plbench report --bootstrap 1000000`` is refused (its arrays grow with resamples × runs × images:
    10⁶ ran out of memory), but ``plbench findings --bootstrap 1000000`` ran into that memory; and
    ``findings --alpha 5`` lacked the report's hint that a level is a fraction. Both now check as report."""
    from benchmark.cli import MAX_BOOT, main

    out = str(tmp_path / "none")  # refused before the folder is looked at
    assert main(["findings", "--out", out, "--bootstrap", str(MAX_BOOT + 1)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --bootstrap must be at most {MAX_BOOT}, got {MAX_BOOT + 1}") and err.count("\n") == 1
    assert main(["findings", "--out", out, "--alpha", "5"]) == 2
    assert "(a significance level: 0.05 for 5 %)" in capsys.readouterr().err


def test_report_options_says_n_boot_must_be_a_whole_number():
    """``api.report(n_boot=2000.0)`` (or ``"2000"``, read from a config) was refused as "n_boot must be at
    least 100, got 2000.0": 2000 is at least 100, so the line named the wrong fault. It says what is wrong."""
    import pytest

    from benchmark.cli import report_options
    from benchmark.errors import UserError

    for bad in (2000.0, "2000", True):
        with pytest.raises(UserError, match=rf"^n_boot must be a whole number of resamples, got {bad!r}$"):
            report_options(n_boot=bad)
    with pytest.raises(UserError, match=r"^n_boot must be at least 100, got 50$"):
        report_options(n_boot=50)
    import numpy as np

    assert report_options(n_boot=np.int64(200))["n_boot"] == 200


def test_a_config_files_type_error_is_said_in_words_not_python(tmp_path):
    """``iterations: five`` in a config file said "setting argument iterations expects int | None, got 'five'
    (str)": Python's annotation, with a ``| None`` no YAML user writes. The line now says what to write."""
    import pytest

    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    for text, said in (("iterations: five\n", "setting iterations expects a whole number, got 'five' (text)"),
                       ("lr: fast\n", "setting lr expects a number, got 'fast' (text)"),
                       ("compile: maybe\n", "setting compile expects true or false, got 'maybe' (text)"),
                       ("workers: true\n", "setting workers expects text, got True (true or false)"),
                       ("seeds: [a]\n", "setting seeds expects a list of whole numbers; 'a' in ['a'] is text")):
        f = tmp_path / "grid.yaml"
        f.write_text(text)
        with pytest.raises(UserError) as e:
            GridSpec.from_file(f)
        assert str(e.value) == f"grid.yaml: {said}", str(e.value)


def test_help_started_as_run_all_py_shows_the_command_that_started_it(monkeypatch, capsys):
    """The README's first command is ``.venv/bin/python run_all.py`` (no ``plbench`` on the PATH until the venv
    is activated), yet ``python run_all.py report --help`` said "usage: plbench report" and its examples
    "plbench report --out results": copied, they were "command not found". Help started from run_all.py
    (or ``python -m benchmark``) names that command; ``plbench`` itself still says plbench."""
    import os
    import sys

    import pytest

    from benchmark.cli import main

    python = os.path.basename(sys.executable)
    monkeypatch.setattr(sys, "argv", ["run_all.py", "weights", "--help"])
    with pytest.raises(SystemExit):
        main(["weights", "--help"])
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {python} run_all.py weights "), out
    assert f"\n  {python} run_all.py weights\n" in out and \
        f"\n  HF_HUB_OFFLINE=0 {python} run_all.py weights prefetch --losses" in out, out
    assert "plbench" not in out, out
    monkeypatch.setattr(sys, "argv", ["/venv/bin/plbench", "weights", "--help"])
    with pytest.raises(SystemExit):
        main(["weights", "--help"])
    assert capsys.readouterr().out.startswith("usage: plbench weights ")


def test_the_readme_says_how_to_shrink_the_first_command_for_a_first_check():
    """The README's first command trains the quick profile's 90 runs (minutes to most of an hour on 2 cores)
    and said nothing of how to try the install on less. The README's opening (after its two commands) gives a
    run of one task, one loss, one seed without its budget check: it plans one run."""
    import re
    import shlex
    from pathlib import Path

    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import build_configs

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    intro = text.split("\n---\n", 1)[0]  # the opening: its two commands, then this one-run check
    first = [ln for block in re.findall(r"```bash\n(.*?)```", intro, re.S) for ln in block.splitlines()
             if "run_all.py --" in ln]
    assert len(first) == 1, first
    argv = shlex.split(first[0].split("run_all.py", 1)[1], comments=True)
    configs, _metrics, _device = build_configs(grid_spec(build_parser().parse_args(["run", *argv])), local=True)
    assert len(configs) == 1, configs


def test_api_report_refuses_a_baseline_or_formats_of_the_wrong_type_in_one_line(tmp_path):
    """``api.report``'s docstring says bad input is a one-line UserError, checked before anything is written;
    ``baseline=None`` (no baseline, as a Python user may try) was an AttributeError from deep in the
    baseline's lookup ('NoneType' object has no attribute 'strip') and ``formats=None`` a TypeError."""
    import pytest

    from benchmark import api
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1), metrics=("psnr",), n_images=2,
                        budget_check=False)
    before = sorted(p.name for p in store.root.iterdir())
    for kw, msg in (({"baseline": None}, r"^baseline must be a loss spec \(a string\), got None$"),
                    ({"formats": None}, r"^formats must be png, pdf or svg, or several of them, got None$"),
                    ({"formats": 3}, r"^formats must be png, pdf or svg, or several of them, got 3$")):
        with pytest.raises(api.UserError, match=msg):
            api.report(store.root, visual=False, **kw)
    assert sorted(p.name for p in store.root.iterdir()) == before


def test_a_dry_run_estimates_the_scoring_of_each_tasks_degraded_inputs():
    """Before its first run a grid scores each task's degraded test inputs on every metric (the leaderboard's
    ``input`` row: 2 min 23 s for 8 photos, the journey's INFO line says), one evaluation per task and test
    set; the dry run's "evaluation" counted one per run and left these out (a one-run grid: half its
    evaluation). They are counted now, in the task's time too."""
    from types import SimpleNamespace

    import benchmark.perf as perf
    from benchmark.config import RunConfig

    def get(key, measure):  # every training step 1 ms (no data part), every evaluation 2 s
        return 2.0 if "|eval|" in key else 0.0 if "|data|-|" in key else (0.001, 0.0)

    cache = SimpleNamespace(get=get, save=lambda: None, measured=0, reused=0, busy=0, path="-")
    grid = [RunConfig(task=t, loss=ls, iterations=10, batch_size=4, crop=32) for t in ("denoise", "jpeg")
            for ls in ("l1", "l2")]
    est = perf.estimate_grid(grid, ["psnr"], "cpu", cache)
    assert est["eval_s"] == 4 * 2.0 + 2 * 2.0  # one per run, one per task's inputs
    assert est["by_task"]["denoise"] == est["by_task"]["jpeg"] == 2 * (10 * 0.001 + 2.0) + 2.0
    assert abs(est["seconds"] - (est["train_s"] + est["eval_s"])) < 1e-9


def test_the_report_examples_where_selects_the_quick_profiles_runs():
    """``plbench report --help``'s example ``--where iterations=300`` failed on the results a new user has,
    the README's first command's (the quick profile, 120 iterations): "no results match iterations=300".
    Each ``--where`` of the examples names a value of the quick profile's setting."""
    import shlex

    from benchmark.cli import EXAMPLES, build_parser
    from benchmark.config import GridSpec

    quick = GridSpec(profile="quick").resolved()
    wheres = [w for ex in EXAMPLES["report"] for w in (build_parser().parse_args(shlex.split(ex)[1:]).where or ())]
    assert wheres
    for w in wheres:
        field, value = w.split("=", 1)
        assert str(getattr(quick, field)) == value, (w, getattr(quick, field))

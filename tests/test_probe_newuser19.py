"""A new user's first hour, probed (19): the shipped configs in an installed plbench, …"""

import fnmatch
import logging
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import datasets  # noqa: F401  (what planning a folder source imports)
import pytest
import torchvision.models  # noqa: F401  (what a backbone loss's check imports)

import benchmark.checkpoint  # noqa: F401  (what `run` imports, torch among them: imported once, not in a test's time)
import benchmark.config as C
import benchmark.executors  # noqa: F401
import benchmark.runner  # noqa: F401
from benchmark.cli import main
from benchmark.config import GridSpec

ROOT = Path(__file__).resolve().parents[1]


def _last_error(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.fixture
def a_file(tmp_path):
    """An --out that `run` refuses (a file in the way): nothing is read or trained past the checks."""
    p = tmp_path / "afile"
    p.write_text("mine\n")
    return p


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """plbench as pip installs it: the package's files in site-packages, no checkout around them (its
    ``configs/`` found through importlib.resources, not beside the source tree)."""
    import importlib.resources

    site = tmp_path / "site-packages" / "benchmark"
    shutil.copytree(Path(C.__file__).parent / "configs", site / "configs", ignore=shutil.ignore_patterns("*.py*"))
    real = importlib.resources.files
    monkeypatch.setattr(importlib.resources, "files", lambda pkg: site / "configs" if pkg == "benchmark.configs"
                        else real(pkg))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    return site


def test_the_shipped_configs_are_package_data():
    """``configs/`` sat beside the packages, which pyproject ships alone: a pip-installed plbench had no
    ``configs/cpu.yaml`` — the CPU profile README runs — anywhere."""
    import tomllib

    shipped = sorted(p.name for p in (Path(C.__file__).parent / "configs").glob("*.yaml"))
    assert {"cpu.yaml", "quick.yaml", "standard.yaml", "standard-cpu.yaml", "full.yaml"} <= set(shipped)
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = setuptools.get("package-data", {}).get("benchmark.configs", [])
    assert "benchmark.configs" in setuptools["packages"]
    assert all(any(fnmatch.fnmatch(n, g) for g in globs) for n in shipped), globs
    assert not (ROOT / "configs").exists()  # one place


def test_readmes_config_path_runs_the_shipped_file_in_an_installed_plbench(installed, caplog):
    """README's ``plbench run --config configs/cpu.yaml`` from any folder of an installed plbench: 'config file not
    found: configs/cpu.yaml'."""
    caplog.set_level(logging.INFO, "benchmark.config")
    spec = GridSpec.from_file("configs/cpu.yaml")
    assert spec.out == "results-cpu" and spec.seeds == (0, 1, 2, 3, 4)
    assert f"the one shipped with plbench, {installed / 'configs' / 'cpu.yaml'}" in caplog.text
    assert GridSpec.from_file("configs/standard-cpu.yaml").net == "tiny"
    (Path("configs")).mkdir()
    Path("configs/cpu.yaml").write_text("seeds: [7]\n")  # a file of the user's own by that path: theirs
    assert GridSpec.from_file("configs/cpu.yaml").seeds == (7,)
    with pytest.raises(C.UserError, match=r"config file not found: configs/cpux\.yaml"):
        GridSpec.from_file("configs/cpux.yaml")


def test_a_shipped_config_named_as_a_profile_in_an_installed_plbench_points_to_a_file_that_runs(
        installed, a_file, capsys):
    """``--profile cpu`` in an installed plbench was 'unknown profile 'cpu' (choose from …)': the hint to the file was
    looked for beside the source tree, where pip puts no configs."""
    assert main(["run", "--profile", "cpu", "--out", str(a_file)]) == 2
    assert _last_error(capsys) == ("error: unknown profile 'cpu': configs/cpu.yaml is a config file, run with --config "
                                   "configs/cpu.yaml (profiles: quick, standard, full)")
    # the hint runs, to --out's check (the embedded photos stand in for its ../shared/datasets, absent in a clone)
    assert main(["run", "--config", "configs/cpu.yaml", "--train-data", "skimage:train", "--test-data",
                 "skimage-natural:test", "--out", str(a_file)]) == 2
    assert "afile" in _last_error(capsys)


@pytest.mark.slow
def test_a_wheel_holds_the_shipped_configs(tmp_path):
    """The wheel pip builds from the checkout ships ``benchmark/configs/*.yaml``."""
    src, out = tmp_path / "src", tmp_path / "whl"  # a copy: the build's build/ and *.egg-info written there
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("benchmark", "tasks", "losses", "findings"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(src)], check=True, cwd=tmp_path)
    names = zipfile.ZipFile(next(out.glob("*.whl"))).namelist()
    shipped = {f"benchmark/configs/{p.name}" for p in (Path(C.__file__).parent / "configs").glob("*.yaml")}
    assert shipped and shipped <= set(names), sorted(n for n in names if "configs" in n)


def test_a_script_read_from_stdin_is_not_run_again_by_the_spawned_workers(monkeypatch):
    """``python - <<'EOF' … api.run(workers=2) … EOF`` (a batch script's heredoc): spawn read ``__main__.__file__``,
    '<stdin>', as a script to run again in each worker, which died 'FileNotFoundError: …/<stdin>' — every run lost.
    A main module that is no file is started as a notebook's is: not imported again."""
    import multiprocessing.spawn
    import types

    from benchmark.executors import _main_as_spawn_reads_it

    main = types.ModuleType("__main__")
    main.__file__, main.__spec__ = "<stdin>", None
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert "init_main_from_path" in multiprocessing.spawn.get_preparation_data("w")  # what failed
    with _main_as_spawn_reads_it():
        assert "init_main_from_path" not in multiprocessing.spawn.get_preparation_data("w")
    assert main.__file__ == "<stdin>"  # as it was, after the workers started
    script = Path(__file__)  # a script that is a file: imported again, as spawn does (its __main__ guard)
    main.__file__ = str(script)
    with _main_as_spawn_reads_it():
        assert multiprocessing.spawn.get_preparation_data("w")["init_main_from_path"] == str(script)


@pytest.mark.slow
def test_api_run_with_workers_from_a_script_on_stdin_trains_its_runs(tmp_path):
    """The same end to end: two spawned workers train a grid whose driver's script came on stdin."""
    import os

    script = ("from benchmark import api\n"
              "s = api.run(tasks=['denoise'], losses=['l1'], seeds=[0, 1], iterations=3, metrics=['psnr'], "
              "budget_check=False, workers=2, out='res', report=False)\n"
              "print('trained', s.trained, 'failed', s.failed)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-"], input=script, text=True, capture_output=True, cwd=tmp_path, env=env,
                       timeout=600)
    assert p.returncode == 0 and "trained 2 failed 0" in p.stdout, p.stderr[-2000:]


def test_run_help_names_the_shipped_configs_that_config_reads(installed, capsys):
    """``run --help`` said '(see configs/*.yaml)', a folder an installed plbench has not: it names the shipped files,
    as ``--config`` reads them from any folder."""
    (installed / "configs" / "mine.yaml").write_text("seeds: [3]\n")  # read from the package, not a fixed list
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(re.sub(r"-\n\s+", "-", capsys.readouterr().out).split())  # argparse wraps at a hyphen
    assert "configs/*.yaml" not in text
    for name in ("cpu", "standard-cpu", "quick", "standard", "full", "mine"):
        assert f"configs/{name}.yaml" in text, name


@pytest.mark.parametrize("given, shipped", [("cpu", "cpu"), ("cpu.yml", "cpu"), ("configs/cpu", "cpu"),
                                            ("configs/CPU.yaml", "cpu"), ("standard_cpu.yaml", "standard-cpu"),
                                            ("configs/quik.yaml", "quick")])
def test_a_near_name_of_a_shipped_config_is_offered_it(installed, a_file, capsys, given, shipped):
    """``--config cpu`` (README's 'the CPU profile'), ``cpu.yml``, ``configs/CPU.yaml``: 'config file not found: cpu',
    no word of the shipped ``configs/cpu.yaml`` that ``--config`` reads from any folder."""
    assert main(["run", "--config", given, "--out", str(a_file)]) == 2
    assert _last_error(capsys) == (f"error: config file not found: {given}; did you mean configs/{shipped}.yaml "
                                   "(shipped with plbench)?")
    assert main(["run", "--config", "configs/nothing-like-it.yaml", "--out", str(a_file)]) == 2
    assert _last_error(capsys) == "error: config file not found: configs/nothing-like-it.yaml"


def test_a_misspelt_task_in_task_params_is_said_as_the_flags_is(tmp_path, a_file, capsys):
    """``--task-param denoize.sigma=0.1`` says 'unknown task 'denoize'; did you mean denoise'; a config file's or
    ``api.run()``'s ``task_params: {denoize: …}`` only 'names task 'denoize', which is not in this grid (denoise,
    sr4, …)', no close name, no way out."""
    from benchmark import api

    (tmp_path / "g.yaml").write_text("task_params: {denoize: {sigma: 0.1}}\n")
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    said = _last_error(capsys)
    assert said.startswith("error: g.yaml: task_params: unknown task 'denoize'; did you mean denoise"), said
    with pytest.raises(C.UserError, match=r"^api\.run\(\): task_params: unknown task 'denoize'; did you mean denoise"):
        api.run(task_params={"denoize": {"sigma": 0.1}}, out=str(a_file))
    (tmp_path / "g.yaml").write_text("tasks: [denoise]\ntask_params: {sr4: {scale: 2}}\n")  # a task, not the grid's
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    assert _last_error(capsys) == ("error: g.yaml: task_params names task 'sr4', which is not in this grid (denoise): "
                                   "add it to the tasks or drop its parameters")


@pytest.mark.parametrize("key", ["tasks", "metrics", "seeds"])
def test_api_run_given_several_values_in_one_string_is_told_the_python_list(key, a_file):
    """``api.run(tasks='denoise sr4')`` from a notebook was told 'a config file's list is [denoise, sr4] (--tasks
    denoise sr4 on the command line)': neither is what a Python call writes."""
    from benchmark import api

    value = {"tasks": "denoise sr4", "metrics": "psnr, ssim", "seeds": "0 1"}[key]
    listed = {"tasks": "['denoise', 'sr4']", "metrics": "['psnr', 'ssim']", "seeds": "[0, 1]"}[key]
    with pytest.raises(C.UserError) as e:
        api.run(**{key: value}, out=str(a_file))
    assert str(e.value) == f"api.run(): {key}: {value!r} names 2 values: pass a list, {key}={listed}"


def test_several_formats_in_one_string_are_not_offered_one_of_them(tmp_path, capsys):
    """``--formats 'png svg'`` (quoted) and ``api.report(formats='png svg')`` were asked 'did you mean svg?': the
    report then drew no PNG-beside-SVG the user asked for. Both now say how several are given."""
    from benchmark import api

    with pytest.raises(SystemExit, match="2"):
        main(["report", "--out", str(tmp_path), "--formats", "png svg"])
    said = _last_error(capsys)
    assert "did you mean" not in said and "(several values are written --formats png svg)" in said, said
    with pytest.raises(C.UserError) as e:
        api.report(tmp_path, formats="png, svg")
    assert str(e.value) == "formats: 'png, svg' names 2 formats: pass formats=('png', 'svg')"
    with pytest.raises(SystemExit, match="2"):  # one word that is no choice: its close choices, as before
        main(["list", "metrcs"])
    assert "did you mean" in _last_error(capsys)


def test_a_folder_of_one_photo_is_said_as_one_image(tmp_path, caplog):
    """A first try on one photo of one's own logged 'loaded 1 images from …'."""
    import numpy as np
    from PIL import Image

    from benchmark.data import DataCache, DataSpec

    folder = tmp_path / "Mes photos été"
    folder.mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / "une.png")
    caplog.set_level(logging.INFO, "benchmark.data")
    assert len(DataCache().images(DataSpec.parse(str(folder), role="test"))) == 1
    assert f"loaded 1 image from {folder}" in caplog.text and "1 images" not in caplog.text


def test_one_test_photo_is_scored_as_one_image(tmp_path, caplog, random_images):
    """… and 'denoise: scoring the degraded test inputs (1 images; psnr), …' before its first run."""
    from types import SimpleNamespace

    import torch

    from benchmark.data import DataCache
    from benchmark.metrics import MetricSet
    from benchmark.results import ResultsStore
    from benchmark.runner import _score_input, build_task, held_out_items

    task, spec, data = build_task("denoise"), random_images(n=1, size=40), DataCache()
    items = held_out_items(task, {spec: data.images(spec)})
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cpu = torch.device("cpu")
    grid = SimpleNamespace(store=store, metrics=MetricSet(("psnr",), cpu), device=cpu, higher={"psnr": True},
                           grid_id="", since=None, stall_s=0)
    with caplog.at_level(logging.INFO, logger="benchmark.runner"):
        _score_input(grid, task, "1", (spec,), "fp", items)
    assert [r.getMessage() for r in caplog.records] == [
        "denoise: scoring the degraded test inputs (1 image; psnr), the leaderboard's `input` row"]


@pytest.mark.parametrize("text, said", [
    ("dry_run: true", "'dry_run' is no grid setting but the command's flag --dry-run: give it on the command line"),
    ("no_report: true", "'no_report' is no grid setting but the command's flag --no-report: give it on the command "
                        "line"),
    ("report: false", "'report' is no grid setting but the command's flag --no-report: give it on the command line"),
    ("progress: false", "'progress' is no grid setting but the command's flag --no-progress: give it on the command "
                        "line"),
    ("config: other.yaml", "'config' is no grid setting: a config file names no other; give both, --config "
                           "other.yaml --config g.yaml (the second overrides the first)"),
])
def test_a_command_flag_written_in_a_config_file_is_said_so(tmp_path, a_file, capsys, text, said):
    """``dry_run: true`` in a grid file was 'unknown setting 'dry_run' (settings: backbone_weights, batch_size, … 35
    names)', none of them what was meant."""
    (tmp_path / "g.yaml").write_text(text + "\n")
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    assert _last_error(capsys) == f"error: g.yaml: {said}"


def test_api_run_given_a_command_flag_says_its_keyword(a_file):
    """``api.run(no_report=True)``, ``api.run(dry_run=True)``: the same list of 35 settings."""
    from benchmark import api

    with pytest.raises(C.UserError, match=r"^api\.run\(\): 'no_report' is no grid setting: pass report=False$"):
        api.run(no_report=True, out=str(a_file))
    with pytest.raises(C.UserError, match=r"^api\.run\(\): 'dry_run' is no grid setting: api\.run\(\) trains; "
                                          r"`plbench run --dry-run` estimates a grid's time"):
        api.run(dry_run=True, out=str(a_file))


@pytest.mark.parametrize("word, meant", [("patch_size", "crop"), ("crop_size", "crop"), ("steps", "iterations"),
                                         ("learning_rate", "lr"), ("epochs", "iterations"), ("model", "net")])
def test_another_libraries_name_of_a_setting_is_offered_ours_not_a_lookalike(word, meant, tmp_path, a_file, capsys):
    """``--patch-size 48`` was asked 'did you mean --batch-size?' (a 6× larger batch, where a crop was meant),
    ``steps: 100`` 'did you mean seeds?', ``--learning-rate``, ``epochs``, ``model`` nothing."""
    with pytest.raises(SystemExit, match="2"):
        main(["run", f"--{word.replace('_', '-')}", "48", "--out", str(a_file)])
    said = _last_error(capsys)
    assert f"; did you mean --{meant.replace('_', '-')}?" in said, said
    (tmp_path / "g.yaml").write_text(f"{word}: 48\n")
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    said = _last_error(capsys)
    assert said.startswith(f"error: g.yaml: unknown setting {word!r}; did you mean {meant}?"), said

"""Review of the GPU-readiness fixes (session 15): ``scripts/gpu_device.sh``, the wrapper a lent GPU machine runs,
dry-run on the CPU with a stand-in check. Each test failed on the code before its fix."""

from __future__ import annotations

import json
import subprocess

from tests.test_probe_overnight4 import _device_repo, _stub_modules

#: a stand-in check that writes its tables where its last --out says (argparse's rule), records its arguments, then
#: ends as ``{end}`` says
_CHECK = (
    "import json, os, signal, sys, pathlib\n"
    "out = pathlib.Path(sys.argv[len(sys.argv) - 1 - sys.argv[::-1].index('--out') + 1])\n"
    "out.mkdir(parents=True, exist_ok=True)\n"
    "(out / 'gpu_check.md').write_text('# plbench GPU check\\n')\n"
    "(out / 'gpu_check.json').write_text(json.dumps({'date': 'd', 'argv': sys.argv[1:]}))\n"
    "{end}\n")


def test_out_given_to_the_wrapper_is_where_its_tables_and_log_go(tmp_path):
    """``gpu_device.sh --out DIR`` passed DIR on to the check after the wrapper's own ``--out $OUT``: argparse took the
    last, so the check's tables went to DIR (relative to the repository, where the wrapper runs it) while the wrapper's
    log, its 'not run' tables and the lines it appends (a check that died, the GPU-only tests) went to $OUT: two
    folders, each half a result. Now ``--out`` (or ``--out=DIR``), relative to where the wrapper was called, is the
    one folder for both, overriding $OUT, and the check is given it once."""
    for form in ("--out", "--out="):
        here = tmp_path / ("separate" if form == "--out" else "joined")
        repo, env = _device_repo(here, gpu_check=_CHECK.replace(
            "{end}", "os.kill(os.getpid(), signal.SIGSEGV)"))
        env["PYTHONPATH"] = _stub_modules(here / "stubs")
        args = ["--out", "mine"] if form == "--out" else ["--out=mine"]
        r = subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), "--device", "cpu", *args], env=env,
                           cwd=here, capture_output=True, text=True, timeout=60)
        mine = here / "mine"
        assert r.returncode == 139, r.stdout + r.stderr
        md, res = (mine / "gpu_check.md").read_text(), json.loads((mine / "gpu_check.json").read_text())
        assert "the check died (exit 139: SIGSEGV)" in md and res["ended"]["exit"] == 139, (md, res)
        assert res["argv"] == ["--out", str(mine), "--device", "cpu"], res["argv"]
        assert "the check died" in (mine / "gpu_device.log").read_text()
        assert not (here / "out").exists(), "nothing under $OUT: the one folder is --out's"


_ARGPARSE = ("import argparse\n"
             "p = argparse.ArgumentParser(prog='gpu_check.py'); p.add_argument('--budget-s', type=float)\n"
             "p.parse_args(['--budget-s', 'x'])")


def test_a_check_that_fails_outside_its_sections_says_why_in_the_tables(tmp_path):
    """The check catches what its sections raise (a failed section: exit 1, its tables say so), but an exception
    outside them (writing its tables, the environment, its arguments) ended it with a traceback in the log alone: its
    tables as last saved read as its result, or, before its first save, 'not run: stopped before the check (exit 1)'.
    Now the wrapper appends the traceback's last line (the error) to both tables, as it does for a check that died by
    a signal, or makes it the tables' reason when none was saved; an argument the check refuses is said the same way.
    A section that failed, or a worker's traceback the check handled, adds nothing: the check's tables already say."""
    cases = {  # the stand-in's end → the line expected (None: nothing appended)
        "saved": ("raise ZeroDivisionError('division by zero')",
                  "the check failed before it ended (exit 1): ZeroDivisionError: division by zero; its tables as "
                  "last saved"),
        "handled": ("import traceback; traceback.print_exception(ValueError('in a worker'))\n"
                    "print('written: gpu_check.md, gpu_check.json'); sys.exit(1)", None),
        "argument": (_ARGPARSE, "the check failed before it ended (exit 2): gpu_check.py: error: argument --budget-s: "
                                "invalid float value: 'x'; its tables as last saved (none)"),
    }
    for name, (end, want) in cases.items():
        check = _CHECK.replace("{end}", end)
        if name == "argument":  # refused before its first save
            check = "import sys\n" + end + "\n"
        repo, env = _device_repo(tmp_path / name, gpu_check=check)
        env["PYTHONPATH"] = _stub_modules(tmp_path / name / "stubs")
        r = subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), "--device", "cpu"], env=env,
                           capture_output=True, text=True, timeout=60)
        out = tmp_path / name / "out"
        assert r.returncode == (2 if name == "argument" else 1), (name, r.stdout + r.stderr)
        said = [x for x in r.stdout.splitlines() if x.startswith("gpu_device: ")]
        assert said == ([f"gpu_device: {want}"] if want else []), (name, r.stdout)
        md, res = (out / "gpu_check.md").read_text(), json.loads((out / "gpu_check.json").read_text())
        if name == "saved":
            assert md == f"# plbench GPU check\n\n## Ended by gpu_device.sh\n\n{want} (exit 1).\n", md
            assert res["ended"] == {"summary": want, "exit": 1} and res["date"] == "d", res
        elif name == "handled":
            assert md == "# plbench GPU check\n" and "ended" not in res, (md, res)
        else:
            assert f"not run: {want}" in md and res["error"] == want and res["exit"] == 2, (md, res)


def _wheel(folder, name: str, version: str, requires=(), body: str = "") -> None:
    """A minimal pure-Python wheel ``name-version`` (its module's ``__version__``, ``requires`` as Requires-Dist)."""
    import zipfile

    info = f"{name}-{version}.dist-info"
    meta = "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                    *(f"Requires-Dist: {r}\n" for r in requires)])
    files = {f"{name}/__init__.py": f"__version__ = '{version}'\n{body}", f"{info}/METADATA": meta,
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{f},,\n" for f in [*files, f"{info}/RECORD"])
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as z:
        for f, text in files.items():
            z.writestr(f, text)


def _installed(where, name: str, version: str) -> None:
    """``name`` ``version`` as the machine's image holds it: its module and its dist-info."""
    (where / name).mkdir(parents=True, exist_ok=True)
    (where / name / "__init__.py").write_text(f"__version__ = '{version}'\n")
    (where / f"{name}-{version}.dist-info").mkdir()
    (where / f"{name}-{version}.dist-info" / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                                                   f"Version: {version}\n")


#: a stand-in datasets whose every Dataset fails with pyarrow 24 and 25 (as datasets 5.2.0 did here with any pyarrow
#: installed outside a 'site-packages' folder: dill pickled it by value)
_DATASETS = ("import pickle, pyarrow\n"
             "def disable_progress_bars():\n    pass\n"
             "class Dataset:\n"
             "    @staticmethod\n"
             "    def from_dict(d):\n"
             "        if pyarrow.__version__.split('.')[0] in ('24', '25'):\n"
             "            raise pickle.PicklingError(\"Can't pickle <class 'MonthDayNano'>\")\n")


def test_datasets_needs_that_the_machine_does_not_meet_come_from_the_carried_deps_or_are_said(tmp_path):
    """The carried wheels are installed --no-deps beside the image's packages, whose versions nobody here has read:
    datasets 5.2.0 needs pyarrow>=24 and fsspec<=2026.9.0 (and, tried here, fails in every Dataset, a PicklingError,
    with a pyarrow that dill pickles by value), and the check's every section loads its data through datasets: an image
    with another pyarrow went on to a check whose sections all failed, nothing saying why. Now the wrapper reads each
    carried wheel's needs (not pyiqa's, whose optional extras are declared as needs) and makes one Dataset; a need not
    met, or a Dataset that fails, installs the wheel from ``.whl/deps/`` (scripts/gpu_wheels.sh fetches pyarrow and
    fsspec there), and where none there fits the wrapper says so in one line, in the log and in both tables, and runs
    the check anyway."""
    check = _CHECK.replace("{end}", "import pyarrow; print('check sees pyarrow', pyarrow.__version__)")
    for case, image_pyarrow in (("from-deps", "21.0.0"), ("none-fits", "25.0.1")):
        repo, env = _device_repo(tmp_path / case, gpu_check=check)
        stubs = tmp_path / case / "stubs"
        env["PYTHONPATH"] = _stub_modules(stubs)
        for name in ("pyarrow", "fsspec", "datasets"):  # the image: a pyarrow, a fitting fsspec, no datasets
            __import__("shutil").rmtree(stubs / name)
        _installed(stubs, "pyarrow", image_pyarrow)
        _installed(stubs, "fsspec", "2026.1.0")
        _wheel(repo / ".whl", "datasets", "5.2.0", ["pyarrow>=24.0.0", "fsspec<=2026.9.0,>=2023.1.0",
                                                    "pytest-fake; extra == 'tests'"], body=_DATASETS)
        if case == "from-deps":
            _wheel(repo / ".whl" / "deps", "pyarrow", "26.0.1")
        r = subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), "--device", "cpu"], env=env,
                           capture_output=True, text=True, timeout=120)
        out = tmp_path / case / "out"
        assert r.returncode == 0, (case, r.stdout + r.stderr)
        said = [x for x in r.stdout.splitlines() if x.startswith("gpu_device: ")]
        md, res = (out / "gpu_check.md").read_text(), json.loads((out / "gpu_check.json").read_text())
        if case == "from-deps":
            assert said == ["gpu_device: datasets 5.2.0 needs pyarrow>=24.0.0, this machine has pyarrow 21.0.0: "
                            "pyarrow 26.0.1 installed from .whl/deps/"], r.stdout
            assert "check sees pyarrow 26.0.1" in r.stdout and "requirements" not in res, (r.stdout, res)
        else:
            want = ("datasets 5.2.0 fails with this machine's pyarrow 25.0.1 (Dataset.from_dict: PicklingError: Can't "
                    "pickle <class 'MonthDayNano'>) (.whl/deps/ holds no wheel that fits: scripts/gpu_wheels.sh "
                    "fetches them): the check runs anyway; a section that fails for it says why")
            assert said == [f"gpu_device: {want}"], r.stdout
            assert "check sees pyarrow 25.0.1" in r.stdout, r.stdout
            assert md.endswith(f"\n## Requirements not met (gpu_device.sh)\n\n{want}.\n"), md
            assert res["requirements"] == {"summary": want}, res


def test_the_carried_wheels_go_where_dill_pickles_their_modules_by_reference(tmp_path):
    """datasets fingerprints every Dataset with dill, which pickles a module by reference only where it looks
    installed (under sys.prefix, or a path with 'site-packages' in it) and otherwise by value: the wrapper's default
    folder for the carried wheels, /tmp/site, made a carried pyarrow's module be pickled by value, and every Dataset
    failed ('PicklingError: Can't pickle <class 'MonthDayNano'>', seen here with pyarrow 24, 25 and 26 installed there,
    in a fresh venv holding the device image's packages). The default is now $TMPDIR/plbench/site-packages."""
    repo, env = _device_repo(tmp_path, gpu_check=_CHECK.replace("{end}", (
        "import dill, probe; print('probe at', probe.__file__)\n"
        "print('probe pickled by', 'value' if b'MonthDayNano' in dill.dumps(probe) else 'reference')")))
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")
    del env["PLBENCH_WHEEL_SITE"]
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    _wheel(repo / ".whl", "probe", "1.0", body="MonthDayNano = type('MonthDayNano', (tuple,), {})\n")
    r = subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), "--device", "cpu"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"probe at {tmp_path}/tmp/plbench/site-packages/probe/__init__.py" in r.stdout, r.stdout
    assert "probe pickled by reference" in r.stdout, r.stdout


def test_without_datasets_the_step_is_still_timed_on_random_images(tmp_path):
    """Every section of the check loads its data through ``datasets``; where it could not be imported on the lent
    machine (not carried, or its pyarrow broken) the wrapper stopped before the check: the session's GPU minutes
    measured nothing, though the training step needs no data but pixels to crop. Now only the data's modules missing
    (datasets, pyarrow, fsspec), the check runs with --synthetic-images, said in one line in the log and both tables;
    any other module missing still stops it."""
    repo, env = _device_repo(tmp_path, gpu_check=_CHECK.replace("{end}", "print('check ran')"))
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs", missing="datasets")
    r = subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), "--device", "cpu"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "check ran" in r.stdout, r.stdout + r.stderr
    want = ("missing module(s) datasets: the training step is timed on random images and the sections that train on "
            "the data are skipped (--synthetic-images); for them, run scripts/gpu_wheels.sh on the machine with PyPI "
            "and name .whl in the run's carry")
    assert [x for x in r.stdout.splitlines() if x.startswith("gpu_device: ")] == [f"gpu_device: {want}"], r.stdout
    out = tmp_path / "out"
    md, res = (out / "gpu_check.md").read_text(), json.loads((out / "gpu_check.json").read_text())
    assert res["argv"][-1] == "--synthetic-images" and res["requirements"] == {"summary": want}, res
    assert md.endswith(f"\n## Requirements not met (gpu_device.sh)\n\n{want}.\n"), md


def test_the_check_with_synthetic_images_times_the_step_without_datasets(tmp_path, monkeypatch):
    """--synthetic-images: the steps sample from seeded random images (datasets never imported), and the sections
    that train on the data are named as skipped, not failed."""
    import sys

    from conftest import load_script

    from benchmark import perf
    from benchmark.data import ImageRecord

    mod = load_script("gpu_check")
    monkeypatch.setitem(sys.modules, "datasets", None)  # `import datasets` fails, as on a machine without it
    seen = []
    monkeypatch.setattr(perf, "measure", lambda losses, images=None, **k: seen.append(images) or [])
    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--synthetic-images"]) == 0
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert seen and all(isinstance(r, ImageRecord) and r.size == (256, 256) for r in seen[0]), seen
    assert res["steps"] == [] and all("needs `datasets`" in res[k]["skipped"]
                                      for k in ("utilisation", "runs_per_hour", "identity")), res


def test_same_seed_identity_is_not_claimed_on_no_rows(monkeypatch):
    """bdb6c20 made each copy's runs finish ok before the two tables are compared; a run can finish ok and score
    nothing (each metric skipped or unscorable on its images: coverage, not failure), and two empty tables were
    still '2 runs, 0 rows: bit-identical'. Now no rows to compare fails the section, saying so."""
    import pandas as pd
    import torch
    from conftest import load_script

    from benchmark import results
    from benchmark.config import RunConfig

    mod = load_script("gpu_check")
    monkeypatch.setattr(mod, "_configs", lambda *a, **k: [RunConfig(task="denoise", loss="l1", net="tiny",
                                                                     iterations=2, batch_size=1, crop=16)])
    monkeypatch.setattr(mod, "_train_copies", lambda *a, **k: None)
    monkeypatch.setattr(mod, "_finished_ok", lambda *a, **k: [])
    monkeypatch.setattr(results.ResultsStore, "table", lambda self, *a, **k: pd.DataFrame(
        columns=[*results.ROW_KEY, "loss", "value"]))
    with __import__("pytest").raises(RuntimeError, match="no rows to compare"):
        mod.same_seed_identity(torch.device("cpu"), iterations=2, net="tiny", batch=1, crop=16)

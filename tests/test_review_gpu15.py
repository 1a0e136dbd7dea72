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

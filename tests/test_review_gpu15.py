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

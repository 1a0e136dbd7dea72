"""Review of session 14's GPU-readiness fixes (tests/test_probe_gpu14.py): the lent-GPU wrapper
(``scripts/gpu_device.sh``) dry-run on the CPU with stand-ins. Each test failed on the code before its fix."""

from __future__ import annotations

import json
import time


def test_a_hung_wheel_install_is_bounded_by_the_setup_time(tmp_path):
    """The carried wheels' install ran before the module check, outside every bound: a pip stuck on a slow or full
    disk held the wrapper past PLBENCH_CHECK_LIMIT_S (the check then got 0.5 s) up to the machine's 10-minute limit.
    The install and the module check now share PLBENCH_SETUP_TIMEOUT, counted from the wrapper's start; an overrun
    is one line, and the tables say 'not run'."""
    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path)
    env.update(PYTHONPATH=_stub_modules(tmp_path / "stubs"), PLBENCH_SETUP_TIMEOUT="0.5")
    (repo / ".whl").mkdir()
    (repo / ".whl" / "stub-1.0-py3-none-any.whl").write_bytes(b"")
    shim = tmp_path / "bin" / "python3"  # pip hangs (exec: the timeout's signal reaches the sleep itself)
    shim.write_text(f'#!/bin/sh\n[ "$2" = pip ] && exec sleep 30\nexec {shim.read_text().split("exec ", 1)[1]}')
    t0 = time.time()
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 2 and time.time() - t0 < 20 and "gpu_check ran" not in r.stdout, r.stdout + r.stderr
    line = [x for x in r.stdout.splitlines() if x.startswith("gpu_device:")]
    assert line == [f"gpu_device: installing the carried wheels (.whl/) into {tmp_path / 'site'} did not end within "
                    "0.5 s of this script's start (a slow or full disk?): stopped before the check"], r.stdout
    assert "not run: installing the carried wheels" in (tmp_path / "out" / "gpu_check.md").read_text()


def _check_writing_tables(tmp_path):
    """The wrapper's repository copy with a stand-in check that writes both tables, and a tests/ folder holding a
    GPU-only test that skips without CUDA, one that fails, and a test of the default suite (never run here)."""
    from tests.test_probe_overnight4 import _device_repo, _stub_modules

    repo, env = _device_repo(tmp_path, gpu_check=(
        "import json, sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]); out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'gpu_check.md').write_text('# plbench GPU check\\n')\n"
        "(out / 'gpu_check.json').write_text(json.dumps({'date': 'd'}))\n"))
    (repo / "tests").mkdir()
    (repo / "tests" / "test_gpu_only.py").write_text(
        "import pytest\n\n\n@pytest.mark.gpu\ndef test_skips():\n    pytest.skip('needs a CUDA device')\n\n\n"
        "@pytest.mark.gpu\ndef test_fails():\n    assert False\n\n\ndef test_not_gpu():\n    assert False\n")
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")
    return repo, env


def test_the_gpu_only_tests_run_after_the_tables_and_are_appended_to_them(tmp_path):
    """The tests marked ``gpu`` (a CUDA step's no-host-sync checks) ran nowhere: CI has no GPU and the lent machine's
    one command ran only the check. The wrapper now runs them after the check's tables are written, where 60 s are
    left before its limit, bounded by it; their one-line result is appended to both tables, a failure exit 1."""
    from tests.test_probe_overnight4 import _run_device

    repo, env = _check_writing_tables(tmp_path)
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 1, r.stdout + r.stderr
    md = (tmp_path / "out" / "gpu_check.md").read_text()
    head = "# plbench GPU check\n\n## GPU-only tests (pytest -m gpu)\n\n1 failed, 1 skipped, 1 deselected"
    assert md.startswith(head), md
    assert md.endswith("(exit 1).\n"), md
    res = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert res["date"] == "d" and res["gpu_tests"]["exit"] == 1, res
    assert res["gpu_tests"]["summary"].startswith("1 failed, 1 skipped, 1 deselected"), res


def test_the_gpu_only_tests_wait_for_no_time_the_check_did_not_leave(tmp_path):
    """With under 60 s left before the wrapper's limit after the check, the GPU-only tests are not started (a run
    killed at the limit would say nothing): the tables say so, and the check's exit status stands."""
    from tests.test_probe_overnight4 import _run_device

    repo, env = _check_writing_tables(tmp_path)
    env["PLBENCH_CHECK_LIMIT_S"] = "50"
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 0 and "GPU-only tests not run: 4" in r.stdout, r.stdout + r.stderr
    md = (tmp_path / "out" / "gpu_check.md").read_text()
    assert "\n\nnot run: 4" in md and "s left before the 50 s limit (60 needed) (exit 0).\n" in md, md
    assert json.loads((tmp_path / "out" / "gpu_check.json").read_text())["gpu_tests"]["exit"] == 0


def test_a_check_killed_at_the_limit_says_so_in_the_tables_it_saved(tmp_path):
    """A check killed at PLBENCH_CHECK_LIMIT_S after its first save left its tables as last saved, with nothing in
    them saying the check was ended there (only gpu_device.log did): a reader of gpu_check.md saw a partial table as
    the result. The wrapper's one line is now appended to both tables."""
    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path, gpu_check=(
        "import json, sys, pathlib, time\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]); out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'gpu_check.md').write_text('# plbench GPU check\\n')\n"
        "(out / 'gpu_check.json').write_text(json.dumps({'date': 'd'}))\n"
        "time.sleep(30)\n"))
    env.update(PYTHONPATH=_stub_modules(tmp_path / "stubs"), PLBENCH_CHECK_LIMIT_S="0.6")
    t0 = time.time()
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 124 and time.time() - t0 < 20, r.stdout + r.stderr
    md = (tmp_path / "out" / "gpu_check.md").read_text()
    assert md.startswith("# plbench GPU check\n\n## Ended by gpu_device.sh\n\nthe check did not end within 0.6 s"), md
    res = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert res["date"] == "d" and res["ended"]["exit"] == 124, res
    assert res["ended"]["summary"].startswith("the check did not end within 0.6 s of this script's start"), res


def test_a_test_file_marked_gpu_as_a_whole_is_run_with_the_others(tmp_path):
    """The wrapper found the GPU-only tests by a line starting ``@pytest.mark.gpu``: a file marked as a whole
    (``pytestmark = pytest.mark.gpu``, the usual way for a file of CUDA tests) was never passed to pytest."""
    from tests.test_probe_overnight4 import _run_device

    repo, env = _check_writing_tables(tmp_path)
    (repo / "tests" / "test_gpu_only.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.gpu\n\n\ndef test_passes():\n    pass\n")
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads((tmp_path / "out" / "gpu_check.json").read_text())["gpu_tests"]["summary"].startswith(
        "1 passed"), r.stdout

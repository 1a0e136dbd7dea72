"""Review of session 14's GPU-readiness fixes (tests/test_probe_gpu14.py): the lent-GPU wrapper
(``scripts/gpu_device.sh``) dry-run on the CPU with stand-ins. Each test failed on the code before its fix."""

from __future__ import annotations

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

"""Review of the overnight/cluster commits: the GPU check keeps measured rows when a section fails later,
the lent-GPU wrapper accepts carried abi3 wheels and stops when torch sees no GPU, and a remote worker's
interrupt is not taken for the driver's own Ctrl-C because its pid happens to equal the driver's."""

from __future__ import annotations

import json
from pathlib import Path

import fake_slurm  # tests/: SLURM stand-ins
import pytest


def test_gpu_check_keeps_the_rows_measured_before_a_section_fails(tmp_path, monkeypatch):
    """runs/hour: 1 worker measured (minutes of device time, written at once), then 2 workers raise (out of
    GPU memory): the section's error replaced its rows in gpu_check.json/.md, so the 1-worker figure
    written a moment earlier was overwritten and lost. It now stays beside the error."""
    from conftest import load_script

    import benchmark.executors
    from tests.test_probe_overnight4 import _finished, _two_configs

    mod = load_script("gpu_check")
    monkeypatch.setattr(mod, "_configs", _two_configs)
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})
    calls = []

    def fake_execute_local(configs, root, *a, **k):
        calls.append(k.get("workers"))
        if len(calls) == 2:
            raise RuntimeError("CUDA out of memory")
        _finished(configs, root)
    monkeypatch.setattr(benchmark.executors, "execute_local", fake_execute_local)

    assert mod.main(["--device", "cpu", "--out", str(tmp_path)]) == 1  # a failed section still fails the check
    res = json.loads((tmp_path / "gpu_check.json").read_text())["runs_per_hour"]
    assert "CUDA out of memory" in res["error"]
    assert [r["workers"] for r in res["rows"]] == [1] and res["rows"][0]["runs_per_hour"] > 0
    md = (tmp_path / "gpu_check.md").read_text()
    assert "failed: RuntimeError: CUDA out of memory" in md and "| 1 | 2 | 10 |" in md


# --------------------------------------------------------------------------------------------
# scripts/gpu_device.sh: the Python-version check of the carried wheels
# --------------------------------------------------------------------------------------------
def _abi3_wheel(folder: Path, minor: int) -> str:
    """A real, installable wheel tagged ``cp3<minor>-abi3-linux_<arch>`` (CPython's stable ABI: any Python
    from 3.<minor> on takes it; tokenizers, safetensors, cryptography ship only such wheels)."""
    import base64
    import hashlib
    import platform
    import zipfile

    name = f"abiprobe-1.0-cp3{minor}-abi3-linux_{platform.machine()}.whl"
    files = {"abiprobe/__init__.py": "VALUE = 3\n",
             "abiprobe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: abiprobe\nVersion: 1.0\n",
             "abiprobe-1.0.dist-info/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
                                             f"Tag: cp3{minor}-abi3-linux_{platform.machine()}\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files["abiprobe-1.0.dist-info/RECORD"] = "\n".join(record + ["abiprobe-1.0.dist-info/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / name, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return name


def test_gpu_device_installs_a_stable_abi_wheel_for_an_older_python(tmp_path):
    """A carried ``cp38-abi3`` wheel (the stable ABI: it installs on every CPython from 3.8 on, and is the
    only kind some packages publish) was refused as 'for Python 3.8 but this machine has 3.12: run
    scripts/gpu_wheels.sh 3.12', a fix that fetches the same wheel again: every lent machine's start
    stopped there. Only a wheel this Python cannot take is refused now; the stable-ABI one is installed."""
    import sys

    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path)
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")
    (repo / ".whl").mkdir()
    name = _abi3_wheel(repo / ".whl", 8)
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "gpu_check ran" in r.stdout and (tmp_path / "site" / "abiprobe" / "__init__.py").exists()

    newer = sys.version_info.minor + 1  # a stable-ABI wheel needing a newer Python than this one: refused
    (repo / ".whl" / name).unlink()
    _abi3_wheel(repo / ".whl", newer)
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode != 0 and f"is for Python 3.{newer}" in r.stdout and "gpu_check ran" not in r.stdout


# --------------------------------------------------------------------------------------------
# a remote worker's interrupt vs the driver's own Ctrl-C
# --------------------------------------------------------------------------------------------
def test_a_remote_job_stopped_from_outside_is_lost_even_with_the_drivers_pid(monkeypatch):
    """A SLURM job (or Ray task) on another node reports it was stopped (scancel, preemption) from a process
    whose pid happens to be the driver's: pids are per machine (and small and alike in containers), so
    the driver took it for its own Ctrl-C and exited 130 'interrupted' with no summary. A unit is the
    driver's own only on the driver's machine; this one is a lost worker (one line, exit 1)."""
    import os
    import socket

    import benchmark.executors as ex
    from benchmark.executors import WorkersLost
    from benchmark.runner import GridSummary

    monkeypatch.setattr(ex, "_merge", lambda configs, *a: GridSummary(trained=3, locked=1))
    other = {"interrupted": True, "worker": "r0 (job 1000_0)", "pid": os.getpid(), "host": socket.gethostname() + "-b"}
    try:
        ex._collect([object()] * 4, "unused", ("psnr",), [other], "slurm jobs")
    except KeyboardInterrupt:
        pytest.fail("a remote job's stop was taken for the driver's own Ctrl-C (exit 130)")
    except WorkersLost as exc:
        assert "job 1000_0) was stopped by a signal" in str(exc)
    else:
        pytest.fail("no WorkersLost")
    mine = {**other, "host": socket.gethostname()}  # the driver's own process (submitit's debug cluster)
    with pytest.raises(KeyboardInterrupt):
        ex._collect([object()] * 4, "unused", ("psnr",), [mine], "slurm jobs")


def test_a_unit_reports_the_machine_it_ran_on(monkeypatch):
    """What tells the driver's own interrupt from a remote one: the worker's pid and its machine."""
    import os
    import socket

    import benchmark.executors as ex

    def stop(unit):
        raise KeyboardInterrupt
    monkeypatch.setattr(ex, "run_unit", stop)
    res = ex._worker_main(ex.WorkUnit((), "unused", ("psnr",), "cpu", tag="[w3]"))
    assert res == {"interrupted": True, "worker": "w3", "pid": os.getpid(), "host": socket.gethostname()}


def test_gpu_device_stops_when_torch_sees_no_gpu(tmp_path):
    """On a lent GPU machine whose torch cannot use the GPU (a CUDA build the driver does not take), the
    check's ``--device auto`` fell back to the CPU: the reduced check ran, exit 0, and gpu_check.md's
    header said 'cpu' — device minutes spent and a passing status for a GPU check that never touched
    the GPU. It now stops in one line before the check; ``--device cpu`` still asks for the reduced one."""
    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path)
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")  # its torch: cuda.is_available() is False
    r = _run_device(repo, env, "--budget-s", "400")
    assert r.returncode != 0 and "gpu_check ran" not in r.stdout
    line = [x for x in r.stdout.splitlines() if x.startswith("gpu_device:")]
    assert len(line) == 1 and "no GPU" in line[0] and "--device cpu" in line[0]
    assert "no GPU" in (tmp_path / "out" / "gpu_device.log").read_text()
    assert _run_device(repo, env, "--device", "cpu").returncode == 0  # the reduced check, asked for


def test_ctrl_c_in_a_debug_cluster_job_stops_the_grid_not_only_that_job(tmp_path, monkeypatch):
    """``--submitit-cluster debug`` runs each job inside the driver, in ``result()``, one after the other. A
    Ctrl-C stopped the job training (it reported the interrupt) and the driver went on to run the next
    job, and the next: one Ctrl-C per job, the grid's whole remaining training before exit 130. The
    first interrupt of the driver's own now stops it."""
    import os
    import socket

    import submitit

    import benchmark.executors as ex
    from benchmark.config import GridSpec, build_configs

    ran = []

    class Job:
        def __init__(self, i):
            self.job_id, self.i = f"1000_{i}", i

        def done(self):
            return False

        def cancel(self, check=True):
            pass

        def result(self):
            ran.append(self.i)
            return {"interrupted": True, "worker": f"r{self.i}", "pid": os.getpid(), "host": socket.gethostname()}

    stand_in = fake_slurm.executor(lambda n: [Job(i) for i in range(n)], cluster="debug")
    monkeypatch.setattr(submitit, "AutoExecutor", stand_in)
    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1", "l2", "ssim"), seeds=(0,), iterations=2,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = build_configs(spec)[0]
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", split="run", cluster="debug")
    assert ran == [0]

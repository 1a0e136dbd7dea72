"""GPU readiness, probed on the CPU (session 14): the lent-GPU recipe (``scripts/gpu_device.sh`` →
``scripts/gpu_check.py``) dry-run as the device runs it. Each test failed on the code before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def _no_sections(mod, monkeypatch):
    for name in ("step_times", "utilisation_during_run", "runs_per_hour", "same_seed_identity"):
        monkeypatch.setattr(mod, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("not reached")))


def test_a_device_the_check_cannot_use_is_one_line_with_the_tables_written(tmp_path, monkeypatch, capsys):
    """``gpu_device.sh --device cuda`` (or a typo, ``--device gpu``, or ``cuda:1`` on a one-GPU machine) ended the check
    in a UserError traceback before anything was written: under $OUT only the log, no gpu_check.md/.json saying why.
    Now one line on stderr, exit 2, and both files written, naming what was asked and why it was refused."""
    mod = load_script("gpu_check")
    _no_sections(mod, monkeypatch)
    for device, why in (("gpu", "unknown device 'gpu'"), ("cuda:7", "device 'cuda:7' requested")):
        out = tmp_path / device.replace(":", "_")
        assert mod.main(["--device", device, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("gpu_check: ") and why in err and "Traceback" not in err, err
        res = json.loads((out / "gpu_check.json").read_text())
        assert why in res["error"] and res["environment"]["device"] == device, res
        md = (out / "gpu_check.md").read_text()
        assert "not run: " in md and why in md, md


def test_a_failing_environment_query_keeps_the_check_and_is_reported(tmp_path, monkeypatch):
    """The environment (device properties, cuDNN version, weights) was read before any file was written and unguarded:
    a CUDA that ``torch.cuda.is_available()`` accepts (gpu_device.sh's pre-check) but whose first context fails
    (``CUDA error: ... busy or unavailable``) ended the check in a traceback with no gpu_check.md/.json. Now the
    failure is recorded in the environment, the sections still run (each failing on its own if the device is
    unusable), the files are written and the exit status is 1."""
    import torch

    from benchmark import weights

    mod = load_script("gpu_check")
    monkeypatch.setattr(weights, "weights_report", lambda losses=None: [])  # (the real one imports every loss)

    def props(device):
        raise RuntimeError("CUDA error: CUDA-capable device(s) is/are busy or unavailable")

    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: (_ for _ in ()).throw(RuntimeError("no cuDNN")))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", props)
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "runs_per_hour", lambda *a, **k: [])
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})
    env = mod.environment(torch.device("cuda"))
    assert "busy or unavailable" in env["error"] and "no cuDNN" in env["error"], env
    assert env["torch"] == torch.__version__ and env["cudnn"] is None and "gpu" not in env, env
    import benchmark.devices

    monkeypatch.setattr(benchmark.devices, "resolve_device", lambda name: torch.device("cuda"))
    assert mod.main(["--device", "cuda", "--out", str(tmp_path)]) == 1
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert "busy or unavailable" in res["environment"]["error"] and res["identity"]["bit_identical"], res
    md = (tmp_path / "gpu_check.md").read_text()
    assert "Environment: RuntimeError: CUDA error: CUDA-capable device(s) is/are busy or unavailable" in md, md


def test_the_budget_counts_from_the_wrappers_start(tmp_path, monkeypatch):
    """--budget-s was counted from gpu_check's main(), after gpu_device.sh had installed the wheels, imported every
    module to check them and started a second interpreter: on a lent machine those tens of seconds came on top of the
    480 s, eating the margin to the 10-minute limit. The wrapper now exports its start (PLBENCH_CHECK_STARTED, epoch
    seconds) and the check's deadline counts from it."""
    import time

    mod = load_script("gpu_check")
    _no_sections(mod, monkeypatch)
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})
    monkeypatch.setenv("PLBENCH_CHECK_STARTED", str(time.time() - 100))  # the wrapper began 100 s ago
    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "50"]) == 0
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    for key in mod.SECTIONS:
        assert res[key]["skipped"].startswith("10") and "of the 50 s budget" in res[key]["skipped"], res[key]
    assert res["wall_s"] >= 100, res["wall_s"]


def test_a_hung_nvidia_smi_does_not_hold_the_wrapper(tmp_path):
    """gpu_device.sh ran ``nvidia-smi`` unbounded before the check: on a machine whose driver is wedged (nvidia-smi
    hangs in the kernel) the command sat there until the lent machine's 10-minute limit, nothing under $OUT but the
    log's first lines. It is now bounded (PLBENCH_NVIDIA_SMI_TIMEOUT, default 20 s), said in the log, and the wrapper
    goes on; it also exports its start time for the check's budget."""
    import os
    import stat
    import time

    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path, gpu_check=(
        "import os, sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]); out.mkdir(parents=True, exist_ok=True)\n"
        "print('gpu_check ran, started', os.environ.get('PLBENCH_CHECK_STARTED'))\n"))
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.write_text("#!/bin/sh\nexec sleep 30\n")  # exec: the timeout's signal reaches the sleeping process itself
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    env["PLBENCH_NVIDIA_SMI_TIMEOUT"] = "0.2"
    env["PLBENCH_CHECK_STARTED"] = "1"  # an earlier run's, exported in the caller's shell: not this run's start
    t0 = time.time()
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 0 and time.time() - t0 < 20, r.stdout + r.stderr
    assert "nvidia-smi did not answer within 0.2 s" in r.stdout, r.stdout
    started = float(r.stdout.split("gpu_check ran, started ")[1].split()[0])
    assert t0 - 1 <= started <= time.time(), (t0, started)
    assert "nvidia-smi did not answer" in (tmp_path / "out" / "gpu_device.log").read_text()
    assert os.environ.get("PLBENCH_CHECK_STARTED") is None


def test_the_two_same_seed_copies_train_at_once(tmp_path, monkeypatch):
    """The same-seed section trained its two copies one after the other, each a fresh interpreter (imports, data,
    the test set's input row): on 2 CPU cores that start-up, paid twice in a row, was the largest part of the reduced
    check's time (tests/test_gpu_check.py's ~27 s idle, 120 s loaded), and on a GPU twice the section's device
    minutes. Both copies now start together, each still in its own fresh process; here each copy waits to see the
    other one started, which a copy trained after the first has ended never does."""
    import pandas as pd
    import torch

    from benchmark import results

    mod = load_script("gpu_check")
    monkeypatch.setattr(mod, "_configs", lambda *a, **k: ["c0", "c1"])
    monkeypatch.setattr(mod, "_TRAIN_COPY", (
        "import pathlib, sys, time\n"
        "root = pathlib.Path(sys.argv[2]); root.mkdir(parents=True, exist_ok=True); (root / 'started').touch()\n"
        "other = root.parent / ('r1' if root.name == 'r0' else 'r0') / 'started'\n"
        "t = time.time()\n"
        "while not other.exists():\n"
        "    if time.time() - t > 4: sys.exit(3)\n"
        "    time.sleep(0.01)\n"))
    row = {"run_id": "a", "dataset": "d", "image": "i", "metric": "psnr", "loss": "l1", "value": 30.0}
    monkeypatch.setattr(results.ResultsStore, "table", lambda self, *a, **k: pd.DataFrame([row]))
    monkeypatch.setattr(mod, "_finished_ok", lambda *a, **k: [])  # stand-in copies: no run's meta.json to check
    res = mod.same_seed_identity(torch.device("cpu"), iterations=1, net="tiny", batch=1, crop=16)
    assert res == {"runs": 2, "rows": 1, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True}, res
    assert mod._SUBPROCESSES == []


def test_a_wrapper_that_stops_before_the_check_still_writes_the_tables(tmp_path):
    """gpu_device.sh's early stops (modules not carried, a wheel for another Python, a torch that sees no GPU) left
    under $OUT only gpu_device.log: no gpu_check.md/.json, the files a reader of the lent machine's output opens, and
    in the repository's own gpu_check/ a previous run's tables stayed beside the failed run's log as if they were its
    result. Now the wrapper's one-line reason is written into both, 'not run', and an earlier run's are removed."""
    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "gpu_check.md").write_text("# plbench GPU check — an earlier run's tables\n")
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs", missing="pyiqa")
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode == 2 and "gpu_check ran" not in r.stdout, r.stdout + r.stderr
    md = (out / "gpu_check.md").read_text()
    assert "earlier run" not in md and "not run: missing module(s) pyiqa: run scripts/gpu_wheels.sh" in md, md
    res = json.loads((out / "gpu_check.json").read_text())
    assert res["error"].startswith("missing module(s) pyiqa") and res["exit"] == 2, res
    assert "missing module(s) pyiqa" in (out / "gpu_device.log").read_text()


def test_a_net_skipped_at_the_deadline_is_written_in_the_markdown():
    """A step-time row for a net not started by the deadline (``{"net", "batch", "crop", "skipped"}``, no loss) made
    to_markdown raise KeyError('loss') — its table line was built before the skipped case was looked at — so the save
    after it failed: the section was reported failed with KeyError, and main's own save raised it again, a traceback
    with no gpu_check.md. The row is now its 'skipped:' line."""
    mod = load_script("gpu_check")
    steps = [{"net": "small", "batch": 16, "crop": 128, "loss": "l1", "ms_per_step": 2.0, "x_l1": 1.0, "x_naive": None,
              "peak_mem_mb": 10.0, "tflops": 1.0, "weights": "-"},
             {"net": "base", "batch": 16, "crop": 128, "skipped": "past the --budget-s deadline"}]
    md = mod.to_markdown({"date": "d", "environment": {"device": "cuda", "torch": "t", "cuda": "c", "cudnn": 1,
                                                       "plbench": "p", "threads": 1}, "steps": steps})
    assert "| small | 16 × 128² | l1 | 2.00 |" in md, md
    assert "| base | 16 × 128² | – | skipped: past the --budget-s deadline | | | | |" in md, md


def test_a_slow_first_section_leaves_the_later_ones_their_share(tmp_path, monkeypatch):
    """Every section ran against the one --budget-s deadline: a step-time section slower than planned (the H100's
    numbers are unknown; 2 nets × 8 losses) started its second net as long as the deadline had not passed, ran into
    it, and utilisation, runs/hour and same-seed identity — the CUDA tolerance no one has measured — were all skipped,
    a lent machine's one command spent on step times. Each section now gets its share of the time left (SHARES): a
    net or worker count not started within it is skipped, saying so, and the later sections run."""
    import time
    from types import SimpleNamespace

    import benchmark.perf

    mod = load_script("gpu_check")
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})

    def measure(names, *, net, **k):  # each net's step times take 0.3 s
        time.sleep(0.3)
        return [SimpleNamespace(name=n, ms_per_step=1.0, x_l1=1.0, x_naive=None, peak_mem_mb=None,
                                peak_mem_reserved_mb=None, achieved_tflops=None, provenance="-") for n in names]

    monkeypatch.setattr(benchmark.perf, "measure", measure)
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "runs_per_hour", lambda *a, rows, **k: rows)
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})
    monkeypatch.setattr(mod, "_abandon", lambda code: None)
    monkeypatch.setattr(mod, "SHARES", {"steps": 0.4, "utilisation": 0.2, "runs_per_hour": 0.2, "identity": 0.2},
                        raising=False)
    real = mod.step_times  # two nets, as on a GPU (the reduced check times one)
    monkeypatch.setattr(mod, "step_times", lambda device, nets, batch, crop, losses, reps, **k: real(
        device, ("tiny", "small"), 1, 16, ("l1",), reps=1, **k))
    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "0.6"]) == 0
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert [r.get("loss") for r in res["steps"]] == ["l1", None], res["steps"]
    assert res["steps"][1]["skipped"].startswith("past this section's share of --budget-s"), res["steps"]
    assert res["identity"]["bit_identical"] and "samples" in res["utilisation"], res


def test_a_hung_check_is_ended_before_the_command_limit(tmp_path):
    """A wedged driver hangs not only nvidia-smi but the first CUDA call: the check's own device setup, before its
    --budget-s watchdog is armed, ran unbounded, so the command sat until the lent machine's 10-minute limit with no
    gpu_check.md/.json. The check now has the time left of PLBENCH_CHECK_LIMIT_S (default 570, from the wrapper's
    start), an overrun said in one line and in the tables ('not run' where the check wrote none)."""
    import time

    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path, gpu_check="import time; print('gpu_check ran', flush=True); time.sleep(30)\n")
    env.update(PYTHONPATH=_stub_modules(tmp_path / "stubs"), PLBENCH_CHECK_LIMIT_S="0.6")
    t0 = time.time()
    r = _run_device(repo, env, "--device", "cpu")  # the check hangs
    assert r.returncode != 0 and time.time() - t0 < 20, r.stdout + r.stderr
    assert "gpu_device: the check did not end within 0.6 s of this script's start" in r.stdout, r.stdout
    assert "did not end within 0.6 s" in json.loads((tmp_path / "out" / "gpu_check.json").read_text())["error"]


def test_a_hung_module_check_is_ended_before_the_check(tmp_path):
    """The wrapper's module check (``torch.cuda.is_available()``, hung by a wedged driver) ran unbounded: the command
    sat until the lent machine's 10-minute limit with no gpu_check.md/.json. It now ends within PLBENCH_SETUP_TIMEOUT
    (default 240, from the wrapper's start; the wheels' install included), said in one line and in the tables."""
    import time

    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    repo, env = _device_repo(tmp_path, gpu_check="print('gpu_check ran')\n")
    env.update(PYTHONPATH=_stub_modules(tmp_path / "stubs"), PLBENCH_SETUP_TIMEOUT="0.3")
    torch_init = tmp_path / "stubs" / "torch" / "__init__.py"  # the first CUDA call hangs
    torch_init.write_text(torch_init.read_text() + "import time\ncuda.is_available = lambda: time.sleep(30)\n")
    t0 = time.time()
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode != 0 and time.time() - t0 < 20 and "gpu_check ran" not in r.stdout, r.stdout + r.stderr
    line = [x for x in r.stdout.splitlines() if x.startswith("gpu_device:")]
    assert line == ["gpu_device: checking the modules and CUDA (torch.cuda.is_available()) did not end within 0.3 s "
                    "of this script's start (a wedged driver?): stopped before the check"], r.stdout
    assert "not run: checking the modules" in (tmp_path / "out" / "gpu_check.md").read_text()


def test_a_device_plbench_does_not_train_on_is_refused_before_the_data_is_decoded(tmp_path, monkeypatch, caplog):
    """``--device mps`` (a Mac user), ``xpu`` or ``meta`` passed resolve_device — torch knows the names — so planning
    decoded every training and test image (minutes for DIV2K) before RunConfig refused the device type; and
    ``gpu_check.py --device mps`` ran every section to four failures. resolve_device now refuses a device type
    plbench does not train on, in one line naming the ones it does, before any image is read."""
    import logging

    from benchmark.cli import main
    from benchmark.devices import resolve_device
    from benchmark.errors import UserError

    for name in ("mps", "xpu", "meta"):
        with pytest.raises(UserError, match=rf"device '{name}' is not one plbench trains on: use auto, cpu, cuda"):
            resolve_device(name)
    caplog.set_level(logging.INFO)
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "2", "--no-budget-check",
            "--device", "mps", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    assert not [r for r in caplog.records if "loaded" in r.getMessage()], "the data was decoded before the refusal"
    mod = load_script("gpu_check")
    _no_sections(mod, monkeypatch)
    assert mod.main(["--device", "mps", "--out", str(tmp_path / "check")]) == 2
    assert "not run: device 'mps' is not one plbench trains on" in (tmp_path / "check" / "gpu_check.md").read_text()


def test_a_remote_grid_refuses_a_device_plbench_does_not_train_on_when_planned():
    """With Ray or SLURM the device is resolved where a run executes, and the driver planned any device not 'cuda…' as
    cpu: ``--executor ray --device mps`` submitted every run planned for the CPU, each to fail on its worker (the
    device refused there). The driver now refuses the name at planning, in the same line as a local run."""
    from benchmark.config import GridSpec, device_type_for
    from benchmark.errors import UserError

    for executor in ("ray", "slurm"):
        spec = GridSpec(executor=executor, device="mps")
        with pytest.raises(UserError, match="device 'mps' is not one plbench trains on"):
            device_type_for(spec, local=False)
    assert device_type_for(GridSpec(executor="ray", device="cuda:1"), local=False) == "cuda"


@pytest.mark.slow
def test_the_device_path_training_loop_reads_nothing_back_per_iteration(one_thread):
    """The CPU stand-in for the CUDA-only no-sync test (tests/test_probe_gpu13.py's _HostReads) covered one
    TrainStep; the loop around it (curve points, the stall watch's beat, logging, checkpoint and divergence checks)
    could add a read of a tensor's value per iteration unseen. A guard: on the device path, train() reads back the same
    number of values whether it trains 12 or 24 iterations with no check due in between (only at the end)."""
    import torch

    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.runner import train
    from benchmark.task import build_task
    from tests.test_probe_gpu13 import _HostReads

    images = [ImageRecord(f"i{i}", torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(i)))
              for i in range(2)]
    reads = {}
    for iterations in (12, 24):
        cfg = RunConfig(task="denoise", loss="l1", net="tiny", iterations=iterations, batch_size=1, crop=16)
        with _HostReads() as mode:
            r = train(cfg, build_task("denoise"), images, torch.device("cpu"), device_path=True, check_every=1000)
        assert r.status == "ok" and len(r.curve) == iterations, r.status
        reads[iterations] = sorted(mode.hits)
    assert reads[12] == reads[24] and len(reads[12]) < 12, reads

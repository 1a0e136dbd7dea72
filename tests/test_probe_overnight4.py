"""Overnight and cluster runs, and the GPU-readiness paths, probed on the CPU: the lent-GPU wrapper
(``scripts/gpu_device.sh``) on a machine image without the carried modules, fake SLURM commands on
PATH, workers that die, runs that diverge."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import fake_slurm  # tests/: SLURM stand-ins
import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# scripts/gpu_device.sh: the one command a lent GPU machine runs (15 minutes of device time in all)
# --------------------------------------------------------------------------------------------
def _device_repo(tmp_path: Path, gpu_check: str | None = None) -> tuple[Path, dict]:
    """A copy of the wrapper in a bare repository folder, ``python3`` on PATH as this interpreter, and a
    stand-in ``scripts/gpu_check.py`` (the real check takes minutes) that records its arguments."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "gpu_device.sh", repo / "scripts" / "gpu_device.sh")
    (repo / "scripts" / "gpu_check.py").write_text(gpu_check or (
        "import sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]); out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'gpu_check.md').write_text('checked ' + ' '.join(sys.argv[1:]))\n"
        "print('gpu_check ran')\n"))
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    shim = bin_ / "python3"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}", "OUT": str(tmp_path / "out"),
           "PLBENCH_WHEEL_SITE": str(tmp_path / "site")}
    env.pop("PYTHONPATH", None)
    return repo, env


_MODULES = ("torch", "torchvision", "numpy", "pandas", "pyarrow", "fsspec", "huggingface_hub", "datasets", "pyiqa",
            "lpips", "scipy", "skimage", "matplotlib", "yaml")


def _stub_modules(where: Path, missing: str | None = None) -> str:
    """Stand-ins for the modules the wrapper checks (importing the real ones takes 15 s on a loaded
    2-core machine); ``missing`` raises ModuleNotFoundError as on an image without it."""
    for name in _MODULES:
        (where / name).mkdir(parents=True)
        body = (f"raise ModuleNotFoundError(\"No module named '{name}'\", name='{name}')\n" if name == missing
                else "__version__ = '0.0.stub'\n")
        if name == "torch":
            body += "import types\nversion = types.SimpleNamespace(cuda=None)\n" \
                    "cuda = types.SimpleNamespace(is_available=lambda: False)\n"
        (where / name / "__init__.py").write_text(body)
    return str(where)


def _run_device(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_gpu_device_without_the_carried_modules_says_what_to_carry(tmp_path):
    """On the device image (torch, but no datasets/pyiqa/lpips) with ``.whl`` not carried, the wrapper died
    on a 15-line ImportError traceback and left nothing under $OUT: only the output tail said why. It
    now says in one line which modules are missing and how to carry them, keeps its log under $OUT,
    exits non-zero, and does not start the check (which cannot load data without ``datasets``)."""
    repo, env = _device_repo(tmp_path)
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs", missing="pyiqa")
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode != 0
    assert "Traceback" not in r.stdout + r.stderr
    line = [x for x in (r.stdout + r.stderr).splitlines() if "missing" in x]
    assert line and "pyiqa" in line[0] and "scripts/gpu_wheels.sh" in line[0] and ".whl" in line[0]
    assert "gpu_check ran" not in r.stdout
    log = (tmp_path / "out" / "gpu_device.log").read_text()
    assert "pyiqa" in log and "scripts/gpu_wheels.sh" in log


def test_gpu_device_refuses_wheels_of_another_python_before_installing(tmp_path):
    """``multiprocess``'s wheel is per Python version: wheels fetched for 3.11 (``gpu_wheels.sh 3.11``)
    and carried to the device's 3.12 stopped the whole install with pip's 'is not a supported wheel on
    this platform' and nothing under $OUT. The wrapper now names the wheel, both versions and the fix."""
    repo, env = _device_repo(tmp_path)
    (repo / ".whl").mkdir()
    other = f"{sys.version_info.major}{sys.version_info.minor + 1}"
    (repo / ".whl" / f"multiprocess-0.70.19-py{other}-none-any.whl").write_bytes(b"not a wheel")
    r = _run_device(repo, env, "--device", "cpu")
    assert r.returncode != 0
    text = r.stdout + r.stderr
    assert "not a supported wheel" not in text
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"multiprocess-0.70.19-py{other}-none-any.whl" in text and f"scripts/gpu_wheels.sh {here}" in text
    assert not (tmp_path / "site").exists()  # nothing installed
    assert f"gpu_wheels.sh {here}" in (tmp_path / "out" / "gpu_device.log").read_text()


def test_gpu_device_runs_the_check_into_out_and_keeps_its_log_there(tmp_path):
    """The check's files and the wrapper's whole log (versions, warnings) are under $OUT, the only place
    files come back from a lent machine; the check's exit status is the wrapper's."""
    repo, env = _device_repo(tmp_path, gpu_check="import sys\nprint('gpu_check ran', sys.argv[1:])\nsys.exit(1)\n")
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")
    r = _run_device(repo, env, "--device", "cpu", "--budget-s", "5")
    assert r.returncode == 1
    log = (tmp_path / "out" / "gpu_device.log").read_text()
    assert "gpu_check ran" in log and "--budget-s" in log and f"--out', '{tmp_path / 'out'}'" in log
    assert "datasets 0.0.stub" in log and "pyarrow 0.0.stub" in log  # the versions line the wrapper prints


# --------------------------------------------------------------------------------------------
# scripts/gpu_check.py: a section cut short keeps the rows it measured
# --------------------------------------------------------------------------------------------
def _finished(configs, root) -> None:
    """What a grid's runs leave in ``root`` that runs/hour reads (meta.json: ok, when each started, training and
    evaluation seconds): for fake executors."""
    import time

    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(root)
    store.ensure_writable()
    for c in configs:
        store.write_meta(run_id(c), {"run_id": run_id(c), "config": c.to_dict(), "status": "ok",
                                     "started": time.time(), "wall_s": 0.01})


def _two_configs(*a, **k) -> list:
    """For gpu_check's ``_configs``: two runs as runs/hour plans them, without building a grid (which reads the
    photos to plan: 10–30 s on a loaded machine)."""
    from benchmark.config import RunConfig

    return [RunConfig(task="denoise", loss=loss, net="tiny", seed=0) for loss in ("l1", "l2")]


def _fast_sections(mod, monkeypatch):
    monkeypatch.setattr(mod, "_configs", _two_configs)
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "same_seed_identity", lambda *a, **k: {
        "runs": 2, "rows": 4, "same_rows": True, "max_abs_diff": 0.0, "bit_identical": True})


def test_gpu_check_saves_each_worker_count_before_the_next(tmp_path, monkeypatch):
    """The lent machine's limit kills the check mid-section: runs/hour with 1 worker measured, 2 workers
    running when it died. The section's rows were written only when the whole section returned, so the
    1-worker figure (minutes of device time) was lost; each row is now on disk as soon as measured."""
    import benchmark.executors

    mod = load_script("gpu_check")
    _fast_sections(mod, monkeypatch)
    calls = []

    def fake_execute_local(configs, root, *a, **k):
        calls.append(k.get("workers"))
        if len(calls) == 2:
            raise KeyboardInterrupt  # stands in for the kill: nothing after this point runs
        _finished(configs, root)
    monkeypatch.setattr(benchmark.executors, "execute_local", fake_execute_local)

    with pytest.raises(KeyboardInterrupt):
        mod.main(["--device", "cpu", "--out", str(tmp_path)])
    import json

    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert [r["workers"] for r in res["runs_per_hour"]] == [1] and res["runs_per_hour"][0]["runs_per_hour"] > 0
    assert "| 1 | 2 | 10 |" in (tmp_path / "gpu_check.md").read_text()


def test_gpu_check_stops_a_section_at_the_budget(tmp_path, monkeypatch):
    """--budget-s skipped only the sections not started by then: one started just before the deadline
    ran all its worker counts (4 workers per GPU on an H100: minutes past the lent machine's limit).
    A worker count not started by the deadline is now a 'skipped' row, and the check ends. (Since
    tests/test_probe_gpu13.py, a count still running at the deadline marks the section stopped, exit 1; the script
    ends there, a check run in this process goes on to the end of the section, its rows kept.)"""
    import json
    import time

    import benchmark.executors

    mod = load_script("gpu_check")
    _fast_sections(mod, monkeypatch)
    calls, stops = [], []

    def slow(configs, root, *a, **k):
        calls.append(k.get("workers"))
        time.sleep(0.6)
        _finished(configs, root)

    monkeypatch.setattr(benchmark.executors, "execute_local", slow)
    monkeypatch.setattr(mod, "_abandon", stops.append)  # the script would end at 0.3 s; never this process
    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "0.3"]) == 1
    assert calls == [1] and stops == []
    section = json.loads((tmp_path / "gpu_check.json").read_text())["runs_per_hour"]
    assert "--budget-s deadline" in section["stopped"]
    rows = section["rows"]
    assert rows[0]["workers"] == 1 and "runs_per_hour" in rows[0]
    assert rows[1] == {"workers": 2, "skipped": "past the --budget-s deadline"}
    assert "| 2 | skipped: past the --budget-s deadline |" in (tmp_path / "gpu_check.md").read_text()


# --------------------------------------------------------------------------------------------
# a worker (local process, SLURM job, Ray task) stopped by a signal from outside the driver
# --------------------------------------------------------------------------------------------
def _collect_with(monkeypatch, results, locked: int):
    import benchmark.executors as ex
    from benchmark.runner import GridSummary

    monkeypatch.setattr(ex, "_merge", lambda configs, *a: GridSummary(trained=4 - locked, locked=locked))
    return ex._collect([object()] * 4, "unused", ("psnr",), results, "workers")


def test_a_worker_stopped_from_outside_is_not_the_drivers_interrupt(monkeypatch, caplog):
    """`kill -TERM` of one local worker (or `scancel` of one SLURM job: SLURM sends SIGTERM) while the other
    worker took over and finished every run: the driver said 'interrupted … Resume with' and exited 130
    with no report, as if the user had pressed Ctrl-C (reproduced: --workers 2, SIGTERM to w1 while it
    loaded data; all 4 runs ok). It is now a warning and the grid's summary."""
    import logging
    import os

    caplog.set_level(logging.WARNING, logger="benchmark.executors")
    done = {"trained": 4, "skipped": 0, "rescored": 0, "failed": 0, "diverged": 0, "locked": 0, "unscored": 0}
    summary = _collect_with(monkeypatch, [{"summary": done}, {"interrupted": True, "worker": "w1",
                                                              "pid": os.getpid() + 1}], locked=0)
    assert summary.trained == 4 and summary.locked == 0
    assert "w1" in caplog.text and "SIGTERM" in caplog.text and "every run of the grid is finished" in caplog.text


def test_a_worker_stopped_from_outside_with_runs_left_says_how_many(monkeypatch):
    """... and with runs left unfinished it is the lost-worker error (one line, exit 1, how many, how to
    resume), not a Ctrl-C of the driver."""
    import os

    from benchmark.executors import WorkersLost

    with pytest.raises(WorkersLost, match=r"worker w1 was stopped by a signal.*1 of 4 runs of the grid is unfinished"):
        _collect_with(monkeypatch, [{"interrupted": True, "worker": "w1", "pid": os.getpid() + 1}], locked=1)


def test_an_interrupt_of_the_driver_itself_stays_an_interrupt(monkeypatch):
    """A unit run in the driver's own process (submitit's debug cluster) that reports the interrupt: that
    was the user's Ctrl-C, and it still stops the driver (exit 130)."""
    import os

    with pytest.raises(KeyboardInterrupt):
        _collect_with(monkeypatch, [{"interrupted": True, "worker": "r0", "pid": os.getpid()}], locked=1)


# --------------------------------------------------------------------------------------------
# SLURM: what the driver says of a job that ended without a result
# --------------------------------------------------------------------------------------------
def test_a_slurm_job_lost_to_a_node_failure_says_its_state_not_a_log_line(tmp_path, monkeypatch):
    """A job killed by a node failure (or a time-out with no requeue left) has no result; submitit's error
    is 'Job … has not produced any output (state: NODE_FAIL)' followed by the job's stderr. The driver
    quoted the error's *last* line, i.e. whatever the job had logged last ('error: job 1000_0: I 10:43:58
    [r0] submitit: Exiting gracefully after preemption/timeout.: 1 of 2 runs …', seen with fake SLURM
    commands). It now says the job's state and where its log is."""
    import submitit
    from submitit.core.utils import UncompletedJobError

    import benchmark.executors as ex
    from benchmark.config import GridSpec, build_configs

    log_path = tmp_path / "r" / ".submitit" / "1000_0" / "1000_0_0_log.err"

    class Job:
        def __init__(self, i):
            self.job_id = f"1000_{i}"

        def done(self):
            return True

        def result(self):
            raise UncompletedJobError("\n".join([
                f"Job {self.job_id} (task: 0) with path {log_path.with_name('1000_0_0_result.pkl')}",
                "has not produced any output (state: NODE_FAIL)", "Error stream produced:", "-" * 40,
                "I 10:40:51 [r0] benchmark.runner: run 2/2 (denoise/l1 seed 0): 0 done, 2 running, 0 failed",
                "I 10:43:58 [r0] submitit: Exiting gracefully after preemption/timeout."]))

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: [Job(i) for i in range(n)]))
    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=2, crop=32,
                    batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = build_configs(spec)[0]
    with pytest.raises(ex.WorkersLost) as err:
        ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", split="run")
    msg = str(err.value)
    assert "job 1000_0" in msg and "NODE_FAIL" in msg and "Exiting gracefully" not in msg
    assert "1 of 1 run of the grid is unfinished" in msg and str(log_path.parent) in msg


def test_the_slurm_driver_reports_the_grids_progress_while_it_waits(tmp_path, monkeypatch, caplog):
    """The SLURM driver sat in ``job.result()`` of its first job, silent for the hours an overnight grid
    takes: no run count, no ETA (the local driver logs the grid's line every 30 s). It now polls its
    jobs and logs the same progress line while they run; the summary is the jobs' own."""
    import logging

    import submitit

    import benchmark.executors as ex
    from benchmark.config import GridSpec, build_configs

    polls = {"n": 0}

    class Job:
        job_id = "1000_0"

        def done(self):
            polls["n"] += 1
            return polls["n"] > 3

        def result(self):
            assert polls["n"] > 3, "result() before the job is done blocks the driver"
            return {"summary": {"trained": 1}}

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(lambda n: [Job() for _ in range(n)]))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01, raising=False)
    caplog.set_level(logging.INFO, logger="benchmark.progress")
    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=(0,), iterations=2, crop=32,
                    batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = build_configs(spec)[0]
    monkeypatch.setattr(ex, "_merge", lambda c, r, m, summaries: summaries)  # the jobs' summaries, as received
    monkeypatch.setattr(ex, "_count_lost_workers_runs", lambda *a: None)  # (its store has no run to add to them)
    assert ex.execute_slurm(configs, tmp_path / "r", ("psnr",), "cpu", split="run") == [{"trained": 1}]
    assert "grid run 1/1: 0 done, 0 failed" in caplog.text and polls["n"] >= 4


@pytest.mark.slow  # two real SLURM-like jobs per invocation (each a fresh interpreter): ~2-4 min on 2 cores
def test_fake_slurm_requeue_cancel_and_resume(tmp_path):
    """SLURM commands faked on PATH (``tests/fake_slurm.py``), the real submitit and CLI: of a grid's two
    per-run jobs, job 0 is signalled as at a preemption or time-out (``scancel --signal USR2``: submitit
    checkpoints and ``scontrol requeue``s it, SLURM_RESTART_COUNT 1) and job 1 is cancelled (``scancel``:
    SIGTERM, the run saves its checkpoint and stops). The driver exits 1 naming job 1 and how many runs are
    unfinished (not 130 'interrupted'); job 0 resumed after its requeue and finished. The same command
    again finishes job 1's run from its checkpoint, exit 0, and no row is lost."""
    import json
    import time

    sys.path.insert(0, str(ROOT / "tests"))
    import fake_slurm

    env = {**os.environ, **fake_slurm.install(tmp_path / "bin", tmp_path / "state"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(ROOT), "FAKE_SLURM_KILL_WAIT": "20"}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0",
           "--iterations", "1500", "--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--test-data",
           "skimage-natural:test", "--device", "cpu", "--no-progress", "--no-budget-check", "--executor", "slurm",
           "--slurm-time", "30", "--no-report", "--checkpoint-seconds", "1", "--out", str(out)]
    driver = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while len(list(out.glob("runs/*/ckpt.pt"))) < 2 and time.time() < deadline and driver.poll() is None:
        time.sleep(0.5)
    assert len(list(out.glob("runs/*/ckpt.pt"))) == 2, "both jobs should be training"
    fake_env = {**env}
    subprocess.run(["scancel", "1000_0", "--signal", "USR2"], env=fake_env, check=True)
    subprocess.run(["scancel", "1000_1"], env=fake_env, check=True)
    _, err = driver.communicate(timeout=300)
    assert driver.returncode == 1, err
    assert "worker r1 (job 1000_1) was stopped by a signal" in err and "1 of 2 runs of the grid is unfinished" in err
    assert (tmp_path / "state" / "1000_0.starts").read_text().split() == ["0", "1"]  # requeued once
    assert (tmp_path / "state" / "1000_1.state").read_text() == "CANCELLED"

    again = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    metas = [json.loads(p.read_text()) for p in out.glob("runs/*/meta.json") if not p.parent.name.startswith("input")]
    assert sorted(m["status"] for m in metas) == ["ok", "ok"]
    assert all(m["iterations_done"] == 1500 and m["resumed_at"] for m in metas)  # both resumed, none from scratch
    from benchmark.results import ResultsStore

    rows = ResultsStore(out).table()
    rows = rows[rows["loss"] != "input"]
    assert len(rows) == 2 * 3 and rows["value"].notna().all()  # 2 runs × 3 test images × psnr, no duplicate


def test_runs_a_lost_worker_trained_are_counted_as_trained_not_already_done(tmp_path, monkeypatch):
    """Worker w1 trained and saved a run, then was killed (OOM killer, kill -9) before reporting; w0 trained
    the other. Every run is finished, but the summary said 'trained 1, skipped 1 (already done)': the lost
    worker's run, trained by this very command, was counted as done by an earlier one. Runs this grid
    finished (their ``started`` after the grid's start) now count as trained."""
    import time

    import benchmark.executors as ex
    import benchmark.runner
    from benchmark.config import GridSpec, build_configs, run_id
    from benchmark.results import ResultsStore

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1", "l2", "ssim"), seeds=(0,), iterations=2,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = build_configs(spec)[0]
    store = ResultsStore(tmp_path / "r")
    since = time.time()
    for c, started in zip(configs, (since - 3600, since + 1, since + 2)):  # an earlier command's; w0's, reported;
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(),  # w1's, then w1
                                     "started": started})  # was killed
    monkeypatch.setattr(benchmark.runner, "is_attempted", lambda *a: True)
    done = {"trained": 1, "skipped": 1, "rescored": 0, "failed": 0, "diverged": 0, "locked": 0, "unscored": 0}
    killed = {"error": "worker w1 was killed by SIGKILL", "user": False, "lost": True}
    summary = ex._collect(configs, tmp_path / "r", ("psnr",), [{"summary": done}, killed], "workers", since=since)
    assert (summary.trained, summary.skipped, summary.locked) == (2, 1, 0)


def test_usr2_while_training_checkpoints_before_submitit_requeues(monkeypatch):
    """In a SLURM job submitit's USR2 handler (time-out or preemption ahead) requeued and exited at once,
    mid-iteration: the run's training since its last periodic checkpoint was lost. Now, while a run
    trains (a DeferredInterrupt block), USR2 asks it to finish its step and checkpoint; submitit's handler
    runs once the unit has stopped. Here the 'training' is a DeferredInterrupt block that sees the stop."""
    import signal

    import benchmark.executors as ex
    from benchmark.results import DeferredInterrupt

    events = []

    def submitit_handler(signum, frame):
        events.append(("requeue", signum))
        raise SystemExit(-1)

    def training(unit):  # _worker_main's part: the run's loop, and the interrupt it reports
        try:
            with DeferredInterrupt() as stop:
                os.kill(os.getpid(), signal.SIGUSR2)
                for _ in range(100):  # the signal is delivered between bytecodes
                    if stop.requested:
                        break
                events.append(("checkpoint saved", stop.requested))
        except KeyboardInterrupt:  # what the block raises on leaving, once the stop was asked for
            return {"interrupted": True, "worker": "r0", "pid": os.getpid()}
        return {"summary": {}}

    previous = signal.signal(signal.SIGUSR2, submitit_handler)
    try:
        monkeypatch.setattr(ex, "_worker_main", training)
        with pytest.raises(SystemExit):
            ex.RequeueableUnit()(object())
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert events == [("checkpoint saved", True), ("requeue", signal.SIGUSR2)]

@pytest.mark.slow  # one SLURM-like job, requeued once: ~1-2 min on 2 cores
def test_fake_slurm_preemption_saves_a_checkpoint_before_the_requeue(tmp_path):
    """At a time-out or preemption SLURM signals USR2 (``--signal USR2@90``: 90 s ahead) and submitit's handler
    requeued the job at once, mid-iteration, with no checkpoint: the requeued job resumed from the last
    periodic checkpoint, losing up to --checkpoint-seconds of training (everything, with periodic
    checkpoints off). The run now finishes its step and saves a checkpoint first, then the job is requeued,
    and the requeued job resumes from that iteration."""
    import json

    sys.path.insert(0, str(ROOT / "tests"))
    import fake_slurm

    curve, returncode, err = fake_slurm.preempt_a_training_run(tmp_path, ROOT, "100000")
    assert curve is not None, "the job should be training"
    assert returncode == 0, err
    assert (tmp_path / "state" / "1000.starts").read_text().split() == ["0", "1"]  # requeued once
    meta = json.loads((curve.parent / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["iterations_done"] == 1500
    assert meta["resumed_at"], "the requeued job started again from iteration 0"

"""Overnight faults found by probing the executors, the runner and the CLI: each test failed on the
code before its fix (a lost exit code, a misleading message, a wrong number)."""

from __future__ import annotations

import pytest

from benchmark import executors
from benchmark.errors import UserError
from benchmark.results import DiskFull


def test_disk_full_in_a_worker_keeps_exit_code_3(monkeypatch):
    """A full disk gives exit code 3 (README) with any executor: a worker's DiskFull crossed the
    process boundary as a plain UserError, exit 2 — a script that frees space and retries on 3
    never saw it."""
    def full(unit):
        raise DiskFull("disk full while writing runs/x/ckpt.pt (No space left on device)")

    monkeypatch.setattr(executors, "run_unit", full)
    result = executors._worker_main(executors.WorkUnit((), "/nonexistent", ("psnr",), "cpu"))
    with pytest.raises(UserError) as err:
        executors._raise_failures([{"summary": {}}, result], "workers")
    assert err.value.exit_code == 3
    assert str(err.value).startswith("disk full while writing runs/x/ckpt.pt")


TINY = ["--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0", "--iterations", "3", "--crop", "32",
        "--batch-size", "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
        "--no-progress", "-q", "--no-budget-check"]


def _tiny_grid():
    from benchmark.cli import build_configs, build_parser

    configs, metrics, _device = build_configs(build_parser().parse_args(["run", *TINY]))
    return configs, metrics


def _finish(store, cfg) -> None:
    """Record ``cfg``'s run as finished and scored on psnr (what a worker leaves)."""
    from benchmark.config import run_id

    rid = run_id(cfg)
    store.write_eval(rid, [], ["psnr"], {})
    store.write_meta(rid, {"run_id": rid, "status": "ok", "config": cfg.to_dict()})


def test_a_killed_worker_is_one_clear_line_not_an_internal_error(tmp_path, caplog):
    """A worker killed by the OOM killer (SIGKILL) while the other worker took over its runs made
    the whole command end in `error: internal error: RuntimeError: a worker failed: worker
    plbench-w0 died (exit code -9)`, exit 1, no summary and no report — though every run was
    finished. Now: a warning when the grid is complete; when runs are left unfinished, one line
    naming the signal and the count, exit 1, and how to resume."""
    from benchmark.results import ResultsStore

    configs, metrics = _tiny_grid()
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    _finish(store, configs[0])
    died = executors._died("w0", -9)
    assert died["error"] == "worker w0 was killed by SIGKILL (the out-of-memory killer sends it, as does kill -9)"
    survivor = {"summary": {"trained": 1, "skipped": 0, "rescored": 0, "failed": 0, "diverged": 0, "locked": 0,
                            "unscored": 0}}
    with pytest.raises(executors.WorkersLost) as err:
        executors._collect(configs, store.root, metrics, [survivor, died], "workers")
    assert err.value.exit_code == 1
    assert str(err.value) == ("worker w0 was killed by SIGKILL (the out-of-memory killer sends it, as does kill -9): "
                              "1 of 2 runs of the grid is unfinished; run the same command again to start it again "
                              "(it had no checkpoint yet)")
    _finish(store, configs[1])  # the surviving worker took over the dead one's run
    summary = executors._collect(configs, store.root, metrics, [survivor, died], "workers")
    assert (summary.trained, summary.failed, summary.locked) == (1, 0, 0)
    assert "worker w0 was killed by SIGKILL" in caplog.text and "every run of the grid is finished" in caplog.text
    assert executors._died("w1", 3)["error"] == "worker w1 exited with code 3 without reporting"


@pytest.mark.parametrize("text,minutes", [("2-12", 3600), ("1-0", 1440), ("2-12:30", 3630), ("2-12:30:00", 3630),
                                          ("1-1:00:30", 1501), ("1:30:00", 90), ("45:00", 45), ("90", 90)])
def test_slurm_time_in_every_format_slurm_reads(text, minutes):
    """`--slurm-time 2-12` is SLURM's days-hours (60 h); it was read as 2 days 12 minutes (2892),
    and `2-12:30` (days-hours:minutes) as 2 days 13 minutes: jobs asked for a day and a half less
    than the user wrote and were killed (and requeued) early."""
    assert executors.parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["abc", "-5", "0", "1:-5:00", "x-12"])
def test_unreadable_slurm_time_is_one_line(text):
    """Garbage was a ValueError (`internal error: ValueError: invalid literal for int()`), and `0`
    (SLURM's "no limit") silently became a one-minute job."""
    with pytest.raises(UserError, match=r"^--slurm-time .*: use minutes, \[D-\]HH:MM:SS or D-HH"):
        executors.parse_minutes(text)


@pytest.mark.parametrize("text", ["-5G", "0", "inf", "nan"])
def test_unusable_slurm_memory_is_one_line(text):
    """`--slurm-mem -5G`, `0`, `inf`, `nan` were accepted and handed to sbatch (or to submitit's
    int(), an OverflowError for inf)."""
    with pytest.raises(UserError, match=r"^--slurm-mem .*: use e\.g\. 32G or 500M"):
        executors.parse_mem_gb(text)


class _Killed(BaseException):
    """Stands for SIGKILL mid-training: nothing after it runs (no ``except Exception``)."""


@pytest.fixture
def tiny_images(tmp_path):
    import numpy as np
    from PIL import Image

    from benchmark.data import DataSpec

    rng = np.random.default_rng(0)
    d = tmp_path / "imgs"
    d.mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(d / f"im{i}.png")
    return DataSpec(str(d))


def test_a_resumed_run_records_its_whole_wall_time(tmp_path, tiny_images, monkeypatch, one_thread):
    """A run killed late in training and resumed recorded ``wall_s`` of the resumed attempt only
    (measured: 0.97 s against 4.7 s of training): the grid's ETA, which averages ``wall_s`` per loss
    family, then promised the family's remaining runs in a fraction of their time. Now ``wall_s``
    counts the training before the resume too, never less than ``train_s``."""
    import time

    import torch

    from benchmark import runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig, run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    cfg = runner.resolve_all([RunConfig(task="denoise", loss="l1", iterations=6, batch_size=2, crop=32,
                                        train_data=(tiny_images,), test_data=(tiny_images,))])[0]
    store = ResultsStore(tmp_path / "r")
    passed = []

    def slow_then_killed(kind):
        if kind == "iteration":
            passed.append(1)
            time.sleep(0.25)  # a slow first attempt: over 1 s of training before the kill
            if len(passed) == 5:
                raise _Killed

    monkeypatch.setattr(runner, "crash_point", slow_then_killed)
    with pytest.raises(_Killed):
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False,
                        checkpoint=CheckpointPolicy(every=1, seconds=0))
    monkeypatch.setattr(runner, "crash_point", lambda kind: None)
    runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False,
                    checkpoint=CheckpointPolicy(every=1, seconds=0))
    meta = store.meta(run_id(cfg))
    assert meta["status"] == "ok" and meta["resumed_at"] == 4  # the checkpoint of the iteration before the kill
    assert meta["train_s"] >= 1.0
    assert meta["wall_s"] >= meta["train_s"]
    assert GridProgress(store, [cfg]).status()["seconds"]["pixel"] == [meta["wall_s"]]


def test_ray_address_that_cannot_be_joined_is_one_line(tmp_path, monkeypatch):
    """`--executor ray --ray-address auto` with no Ray cluster running ended in `error: internal
    error: ConnectionError: Could not find any running Ray instance …` (exit 1) and a malformed
    address in `internal error: ValueError`: a wrong address is bad input, one line, exit 2."""
    ray = pytest.importorskip("ray")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(UserError, match=r"^cannot join the Ray cluster at --ray-address 'notahost': Invalid address"):
        executors.execute_ray([], tmp_path / "r", ("psnr",), "cpu", ray_address="notahost")
    assert not ray.is_initialized()

    def no_cluster(**kw):
        raise ConnectionError("Could not find any running Ray instance. Please specify the one to connect to by "
                              "setting `--address` flag or `RAY_ADDRESS` environment variable.")

    monkeypatch.setattr(ray, "init", no_cluster)
    with pytest.raises(UserError) as err:
        executors.execute_ray([], tmp_path / "r", ("psnr",), "cpu", ray_address="auto")
    assert err.value.exit_code == 2 and "\n" not in str(err.value)
    assert str(err.value).startswith("cannot join the Ray cluster at --ray-address 'auto': Could not find any "
                                     "running Ray instance")
    assert "ray start --head" in str(err.value)


def test_two_commands_started_in_the_same_second_keep_both_saved_grids(tmp_path, monkeypatch, tiny_images):
    """Two `plbench run` on one --out (the README's way to share a results directory) that start in
    the same second saved their grids under the same `grids/<time>.yaml`: the second replaced the
    first's, so the record of what one command ran (and the file that replays it) was lost."""
    import time

    import yaml

    from benchmark.cli import main

    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20261205-031500")  # both start at 03:15:00
    out = tmp_path / "r"
    base = ["run", "--tasks", "denoise", "--seeds", "0", "--iterations", "1", "--crop", "32", "--batch-size", "1",
            "--metrics", "psnr", "--train-data", tiny_images.source, "--test-data", tiny_images.source,
            "--device", "cpu", "--no-budget-check", "--no-report", "--no-progress", "-q", "--out", str(out)]
    assert main([*base, "--losses", "l1"]) == 0
    assert main([*base, "--losses", "l2"]) == 0
    grids = sorted((out / "grids").glob("*.yaml"))
    assert [p.name for p in grids] == ["20261205-031500-2.yaml", "20261205-031500.yaml"]
    assert sorted(yaml.safe_load(p.read_text())["losses"][0] for p in grids) == ["l1", "l2"]
    assert not [p for p in (out / "grids").iterdir() if ".tmp" in p.name]


def test_a_worker_honours_the_drivers_interrupt_even_when_started_with_sigint_ignored():
    """`nohup plbench run --workers 2 … &` (or any batch script) starts the driver with SIGINT
    ignored, which spawned workers inherit: on SIGTERM the driver passed one SIGINT to each worker
    and waited — the workers ignored it and went on through their whole shares (measured: a run
    finished 16 s after the SIGTERM, the driver waited for it), so a walltime's SIGTERM ended in the
    scheduler's SIGKILL. A worker (its own process group: only the driver signals it) now always
    takes SIGINT, and SIGTERM, as an interrupt."""
    import signal

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as inherited from `nohup … &`
        executors._worker_signals()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGTERM)
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


@pytest.mark.slow
def test_sigterm_stops_background_workers_promptly(tmp_path):
    """The same, end to end: a two-worker grid started with SIGINT ignored stops within seconds of
    a SIGTERM to the driver, exit 130 with the resume line, checkpoints kept and no run finished."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "r"
    args = [sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0",
            "--iterations", "3000", "--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--no-budget-check",
            "--no-report", "--no-progress", "--checkpoint-every", "10", "--workers", "2", "--device", "cpu",
            "--out", str(out)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(root))
    proc = subprocess.Popen(args, cwd=root, env=env, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("runs/*/ckpt.pt"))) < 2:
        time.sleep(0.5)
    assert len(list(out.glob("runs/*/ckpt.pt"))) == 2, "the workers did not start training"
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        workers = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        for pid in [proc.pid, *map(int, workers)]:  # the workers have their own process group
            os.kill(pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the driver still waited for its workers 30 s after SIGTERM")
    assert proc.returncode == 130, err
    assert "Resume with:" in err
    assert not list(out.glob("runs/*/meta.json")) or all("input-" in str(p) for p in out.glob("runs/*/meta.json"))


@pytest.mark.parametrize("flags,message", [
    (["--device", "cpu", "--slurm-gpus", "2"], r"^--device cpu with --slurm-gpus 2: "),
    (["--device", "cuda", "--slurm-gpus", "0"], r"^--device cuda with --slurm-gpus 0: "),
    (["--device", "cuda", "--slurm-gpus", "2"], r"^--slurm-gpus 2: each SLURM job trains one run at a time on one GPU"),
    (["--slurm-gpus", "-1"], r"^--slurm-gpus must be at least 0, got -1"),
])
def test_slurm_gpus_that_contradict_the_device_or_idle_are_refused(flags, message, capsys, tmp_path):
    """`--device cpu --slurm-gpus 2` planned the runs for cuda and trained them on GPUs (the explicit
    --device overridden without a word); `--device cuda --slurm-gpus 0` planned them for the CPU
    and sent GPU-less jobs to train on cuda (every job then failed); `--slurm-gpus 2` asked every
    job for two GPUs of which it uses one (the worker trains on cuda:0 only). Each is one line
    before anything is submitted."""
    from benchmark.cli import main

    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--metrics", "psnr", "--executor",
            "slurm", "--no-budget-check", "--out", str(tmp_path / "r"), *flags]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    import re

    assert re.match(message, err[0].removeprefix("error: ")), err[0]


def test_slurm_executor_without_slurm_is_refused_not_run_locally(tmp_path):
    """`--executor slurm` on a machine without SLURM fell back to submitit's local cluster without a
    word: every job of the grid (one per run) started at once as a local process. Now one line
    that says so and names `--submitit-cluster local` for whoever wants exactly that."""
    import shutil

    pytest.importorskip("submitit")
    if shutil.which("srun") or shutil.which("sbatch"):
        pytest.skip("SLURM is available here")
    configs, metrics = _tiny_grid()
    with pytest.raises(UserError, match=r"^--executor slurm: no SLURM here \(srun/sbatch not found\)"):
        executors.execute_slurm(configs, tmp_path / "r", metrics, "cpu")
    assert not (tmp_path / "r" / ".submitit").exists() or not any((tmp_path / "r" / ".submitit").iterdir())


def test_interrupted_ray_driver_waits_for_its_tasks_to_checkpoint(tmp_path, monkeypatch):
    """Ctrl-C with `--executor ray` cancelled the tasks (a SIGINT each: checkpoint and stop) and at
    once shut the local Ray instance down, which killed them before the checkpoint was written:
    measured, no ckpt.pt, the run's .lock left behind, and the training in flight lost although the
    command said "checkpoints are saved". The driver now waits for them (up to STOP_GRACE_S)."""
    import types

    class FakeRay:
        exceptions = types.SimpleNamespace(RayError=RuntimeError)

        def __init__(self):
            self.calls = []

        def is_initialized(self):
            return True  # joined: the executor neither starts nor stops it

        def cluster_resources(self):
            return {"CPU": 2.0}

        def remote(self, **opts):
            return lambda fn: types.SimpleNamespace(remote=lambda unit: f"ref-{unit.tag}")

        def get(self, ref):
            raise KeyboardInterrupt  # Ctrl-C while the driver waits on its first task

        def cancel(self, ref):
            self.calls.append(("cancel", ref))

        def wait(self, refs, num_returns, timeout):
            self.calls.append(("wait", tuple(refs), num_returns, timeout))
            if timeout == 0:  # the stopped driver asks which are done: neither (w0's get was interrupted)
                return [], refs
            return refs, []

    ray = FakeRay()
    monkeypatch.setattr(executors, "_require", lambda module, extra: ray)
    configs, metrics = _tiny_grid()
    with pytest.raises(KeyboardInterrupt):
        executors.execute_ray(configs, tmp_path / "r", metrics, "cpu", workers=2)
    assert ray.calls == [("wait", ("ref-[w0]",), 1, executors.RAY_POLL_S),  # the first task done: read it
                         ("wait", ("ref-[w0]", "ref-[w1]"), 2, 0),  # which are done already: not cancelled
                         ("cancel", "ref-[w0]"), ("cancel", "ref-[w1]"),
                         ("wait", ("ref-[w0]", "ref-[w1]"), 2, executors.STOP_GRACE_S)]


@pytest.mark.slow
def test_ctrl_c_with_a_local_ray_instance_leaves_a_checkpoint(tmp_path):
    """End to end with a real local Ray instance: SIGINT to the driver mid-training leaves the run's
    checkpoint (and no lock) behind, so the same command resumes it."""
    pytest.importorskip("ray")
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "r"
    args = [sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0",
            "--iterations", "3000", "--crop", "96", "--batch-size", "16", "--metrics", "psnr", "--no-budget-check",
            "--no-report", "--no-progress", "--checkpoint-every", "100000", "--checkpoint-seconds", "1000",
            "--executor", "ray", "--workers", "1", "--device", "cpu", "--out", str(out)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(root))
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen(args, cwd=root, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while time.time() < deadline and not list(out.glob("runs/[!i]*/curve.csv")):
        time.sleep(0.5)
    time.sleep(3)  # some iterations in (of about a second each: the stop takes the rest of one)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    run = [d for d in out.glob("runs/*") if not d.name.startswith("input-")]
    assert len(run) == 1 and (run[0] / "ckpt.pt").is_file(), err
    assert not (run[0] / ".lock").exists()


@pytest.fixture
def sigint_handled():
    """Python's own SIGINT handler, whatever the launcher did (a background job inherits it ignored)."""
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_sigterm_to_every_process_then_the_drivers_sigint_still_checkpoints(sigint_handled):
    """At walltime SLURM sends SIGTERM to every process of the job — the driver *and* its local
    workers — and the driver, stopping, passes one SIGINT to each worker: a worker saw a second
    signal and stopped at once, mid-step, without the checkpoint the first one was finishing for.
    A second signal of another kind is the same stop; only the same signal again (a second Ctrl-C)
    stops at once."""
    import os
    import signal

    from benchmark.results import DeferredInterrupt

    reached = False
    with pytest.raises(KeyboardInterrupt), DeferredInterrupt() as d:
        os.kill(os.getpid(), signal.SIGTERM)  # from the scheduler
        os.kill(os.getpid(), signal.SIGINT)   # from the driver
        assert d.requested
        reached = True  # the step and its checkpoint still complete
    assert reached
    with pytest.raises(KeyboardInterrupt), DeferredInterrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)  # the same signal again: now
        raise AssertionError("not reached")


def test_run_counter_of_a_rerun_does_not_count_earlier_failures_as_started(tmp_path):
    """Re-running a grid whose runs failed last night (the same command retries them) numbered its
    first retry "run 3/3 …, 2 failed": every failure recorded by an earlier invocation counted as a
    run this grid had started, so the counter sat at the end for the whole re-run. Failures of
    earlier invocations are runs still to do; this grid's own failures still move the counter."""
    import time

    from benchmark.config import RunConfig, run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore, RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss="l1", seed=s, train_fingerprint="x", test_fingerprint="y")
            for s in range(3)]
    for c in cfgs[:2]:  # failed at 3 a.m.
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "failed", "config": c.to_dict(),
                                     "started": time.time() - 6 * 3600})
    p = GridProgress(store, cfgs, workers=1)  # the re-run starts
    assert p.line("denoise/l1 seed 0").startswith("run 1/3 (denoise/l1 seed 0): 0 done, 0 failed")
    store.archive_attempt(run_id(cfgs[0]))  # the retry of seed 0 is in flight
    lock = RunLock.acquire(store.run_dir(run_id(cfgs[0])) / ".lock")
    try:
        assert p.line("denoise/l1 seed 0").startswith("run 1/3 (denoise/l1 seed 0): 0 done, 1 running, 0 failed")
    finally:
        lock.release()
    store.write_meta(run_id(cfgs[0]), {"run_id": run_id(cfgs[0]), "status": "failed", "config": cfgs[0].to_dict(),
                                       "started": time.time()})  # and it fails again, in this grid
    assert p.line("denoise/l1 seed 1").startswith("run 2/3 (denoise/l1 seed 1): 0 done, 1 failed")


def _local_ray_on_16_cores(monkeypatch):
    """A stand-in for ``ray`` (over ``executors._require``) on a 16-core machine (``executors._cores``): a local
    instance started by the driver (``init_kwargs``: what it was started with), whose tasks do nothing; it records the
    last ``remote`` options (``opts``) and the units given as tasks (``units``). Returns it."""
    import types

    class FakeRay:
        exceptions = types.SimpleNamespace(RayError=RuntimeError)

        def __init__(self):
            self.init_kwargs, self.opts, self.units, self.up = None, None, [], False

        def is_initialized(self):
            return self.up

        def init(self, **kw):
            self.init_kwargs, self.up = kw, True

        def shutdown(self):
            self.up = False

        def cluster_resources(self):
            return {"CPU": float(self.init_kwargs.get("num_cpus", 16))}

        def remote(self, **opts):
            self.opts = opts
            return lambda fn: types.SimpleNamespace(remote=lambda unit: self.units.append(unit) or unit.tag)

        def get(self, ref):
            return {"summary": {"trained": 0}}

        def wait(self, refs, num_returns=1, timeout=None):
            return list(refs)[:num_returns], list(refs)[num_returns:]

    ray = FakeRay()
    monkeypatch.setattr(executors, "_require", lambda module, extra: ray)
    monkeypatch.setattr(executors, "_cores", lambda: 16)
    return ray


def test_local_ray_instance_on_the_cpu_uses_the_cores_like_local_workers(tmp_path, monkeypatch):
    """`--executor ray --workers 2` on a 16-core machine started a local Ray instance with 2 CPUs,
    so each task trained on one thread (15 cores idle, 8× slower than `--workers 2` locally, and not
    the thread count the local executor uses, so the numbers differed from its). Now each task gets
    cores // workers threads, as a local worker does."""
    ray = _local_ray_on_16_cores(monkeypatch)
    configs, metrics = _tiny_grid()
    executors.execute_ray(configs, tmp_path / "r", metrics, "cpu", workers=2)
    assert ray.init_kwargs["num_cpus"] == 16
    assert ray.opts["num_cpus"] == 8 and [u.threads for u in ray.units] == [8, 8]


def test_a_run_resumed_with_another_thread_count_says_so(tmp_path, tiny_images, monkeypatch, caplog):
    """A grid killed under `--workers 2` (1 thread each on 2 cores) and resumed with one process
    (2 threads) finished its runs on another thread count — CPU numbers depend on it (float
    reductions are split per thread) — while meta.json recorded only the last count: the run looked
    reproducible with 2 threads and was not. The checkpoint keeps the counts used; a resume on
    another count is a warning and meta.json records them (``threads_before_resume``)."""
    import torch

    from benchmark import runner
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.task import build_task

    cfg = runner.resolve_all([RunConfig(task="denoise", loss="l1", iterations=6, batch_size=2, crop=32,
                                        train_data=(tiny_images,), test_data=(tiny_images,))])[0]
    images = runner.load_images(tiny_images)
    ckpt = Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(every=1, seconds=0), {"config": cfg.to_dict()})
    passed = []

    def killed_at_4(kind):
        passed.append(kind)
        if len(passed) == 4:
            raise _Killed

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        monkeypatch.setattr(runner, "crash_point", killed_at_4)
        with pytest.raises(_Killed):
            runner.train(cfg, build_task("denoise"), images, torch.device("cpu"), checkpoint=ckpt)
        monkeypatch.setattr(runner, "crash_point", lambda kind: None)
        torch.set_num_threads(2)
        resumed = runner.train(cfg, build_task("denoise"), images, torch.device("cpu"),
                               checkpoint=Checkpointer(ckpt.path, ckpt.policy, ckpt.fingerprint))
        meta = runner._meta(cfg, "rid", torch.device("cpu"), resumed, 0.0)
    finally:
        torch.set_num_threads(before)
    assert resumed.resumed_at == 3
    assert meta["threads"] == 2 and meta["threads_before_resume"] == [1]
    assert "resumed on 2 threads after training on 1" in caplog.text

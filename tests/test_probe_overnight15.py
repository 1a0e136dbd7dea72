"""Probe of overnight and cluster runs under faults (session 15): each test failed on the code before its fix."""

from __future__ import annotations

import contextlib
import signal

import pytest

THROWS_THIRD = '''
import torch
from benchmark.registry import register_loss


@register_loss("throws_third_probe15")
class ThrowsThird(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; raises at its 3rd training call (a loss's bug hit mid-run)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        if self.calls == 3:
            raise RuntimeError("index out of range")
        return (pred - target).abs().mean()
'''


def _cheap_config(seed: int = 0, loss: str = "l1"):
    """A denoise config on the embedded photos, not resolved (no image decoded: its run id all the same)."""
    from benchmark.config import RunConfig
    from benchmark.data import DataSpec

    return RunConfig(task="denoise", loss=loss, seed=seed, iterations=2, crop=16, batch_size=1,
                     train_data=(DataSpec.parse("skimage:train", role="train"),),
                     test_data=(DataSpec.parse("skimage:test", role="test"),))


def test_an_interrupted_grid_says_what_is_finished_failed_and_left(tmp_path):
    """A grid stopped by SIGTERM (a scheduler's preemption, scancel) or Ctrl-C ended its night's log on 'interrupted;
    finished runs and checkpoints are saved. Resume with: …' alone: nothing said how far it got, nor which runs had
    failed hours earlier and why. :func:`benchmark.runner.interrupted_lines` says it for the CLI's last lines."""
    import time

    from benchmark.config import run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import interrupted_lines

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    configs = [_cheap_config(s) for s in range(5)]
    ok, diverged, failed, begun = (run_id(c) for c in configs[:4])  # the fifth never begun: no folder
    for c, status in zip(configs, ("ok", "diverged")):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": status, "config": c.to_dict(),
                                     "started": time.time()})
    store.write_meta(failed, {"run_id": failed, "status": "failed", "config": configs[2].to_dict(),
                              "started": time.time(),
                              "error": "RuntimeError: index out of range", "failed_in": "training", "failed_at": 3})
    store.run_dir(begun).mkdir(parents=True)  # interrupted in flight: its checkpoint, no record
    lines = interrupted_lines(store, configs)
    assert lines[0].startswith("the grid stands at 2 of 5 runs finished (1 diverged), 1 failed, 2 left"), lines
    assert any(f"(run {failed}) failed at training iteration 3 of 2: RuntimeError: index out of range" in ln
               for ln in lines[1:]), lines


@pytest.mark.slow
def test_a_grid_stopped_by_sigterm_ends_on_its_state_then_the_resume_command(tmp_path, monkeypatch, capsys, caplog):
    """The CLI's last lines after SIGTERM: the runs finished, the one that failed at its 3rd step with its error, the
    runs left, then the command that resumes them (exit 130). Slow: ~14 s on 2 shared cores (three short runs)."""
    import logging

    from conftest import signal_at_iteration

    from benchmark.cli import main
    from benchmark.registry import LOSSES

    (tmp_path / "loss.py").write_text(THROWS_THIRD)
    signal_at_iteration(monkeypatch, 9, signal.SIGTERM)  # l1's 6 iterations, the failing loss's 2, l2's first
    try:
        with caplog.at_level(logging.WARNING, logger="benchmark"):
            code = main(["run", "--tasks", "denoise", "--losses", "l1", "throws_third_probe15", "l2", "--seeds", "0",
                         "--loss-file", str(tmp_path / "loss.py"), "--iterations", "6", "--crop", "32", "--batch-size",
                         "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
                         "--no-progress", "--no-budget-check", "--no-report", "--logger", "none", "--out",
                         str(tmp_path / "out")])
    finally:
        LOSSES.remove("throws_third_probe15")
    err = capsys.readouterr().err
    assert code == 130 and "Resume with" in err, err
    said = [r.getMessage() for r in caplog.records]
    tail = said[next(i for i, m in enumerate(said) if m.startswith("the grid stands at")):]
    assert tail[0].startswith("the grid stands at 1 of 3 runs finished (0 diverged), 1 failed, 1 left"), tail
    assert tail[1].startswith("denoise/throws_third_probe15 seed 0") and tail[1].endswith(
        "failed at training iteration 3 of 6: RuntimeError: index out of range"), tail


def _hung_in_c(exits: list, most: float = 30.0) -> None:
    """Wait, with SIGALRM blocked (code no signal reaches), until the watch ends the process (``exits``), at most
    ``most`` seconds (ample: it returns as soon as the watch acts; a shorter wait on a loaded machine let the watch end
    the pytest worker itself, with the real os._exit, after the test had put it back)."""
    import time

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        end = time.monotonic() + most
        while not exits and time.monotonic() < end:
            time.sleep(0.02)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


def test_a_run_hung_in_c_code_ends_its_process_even_when_its_record_hangs_too(monkeypatch):
    """A run hung on a stalled network file system (the README's own example) hung in C code: the watch wrote its
    failure into the store — on that same stalled file system — with no time limit before ending the process, so the
    write hung too and the process was never ended: the worker, and the night, held for ever, what the watch is there
    to prevent. The record is given :data:`benchmark.progress.RECORD_WAIT_S`; then the process is ended all the same
    (the same command retries a run with no record)."""
    import threading

    from benchmark import progress

    exits, stalled_store = [], threading.Event()
    monkeypatch.setattr(progress.os, "_exit", exits.append)
    monkeypatch.setattr(progress, "RECORD_WAIT_S", 0.2, raising=False)
    try:
        with contextlib.suppress(progress.RunStalled), \
                progress.stall_watch(0.1, "run r1", record=lambda error, stack: stalled_store.wait(), grace=0.1):
            _hung_in_c(exits)
    finally:
        stalled_store.set()
    assert exits == [progress.STALLED_EXIT]


def test_a_run_hung_in_c_code_ends_its_process_even_when_its_log_hangs_too(monkeypatch):
    """The watch's own log lines (where the run waits; that it ends the process) go to a handler that may be held by
    the hung run itself, or write to a stalled file system (a SLURM job's output on NFS): the watch waited on the
    first of them and never stopped the run or ended its process. Its words are given a bounded wait now."""
    import logging
    import threading

    from benchmark import progress

    exits, stalled_log = [], threading.Event()

    class Stalled(logging.Handler):
        def emit(self, record):
            stalled_log.wait()

    handler = Stalled(logging.ERROR)
    monkeypatch.setattr(progress.os, "_exit", exits.append)
    monkeypatch.setattr(progress, "RECORD_WAIT_S", 0.2, raising=False)
    logging.getLogger("benchmark.progress").addHandler(handler)
    try:
        with contextlib.suppress(progress.RunStalled), progress.stall_watch(0.1, "run r1", grace=0.1):
            _hung_in_c(exits)
    finally:
        stalled_log.set()
        logging.getLogger("benchmark.progress").removeHandler(handler)
    assert exits == [progress.STALLED_EXIT]


def test_jpegs_are_read_and_checked_with_a_full_tmp(tmp_path, monkeypatch):
    """libjpeg's warnings (a JPEG cut short, skipped as damaged) were captured through a file in the system's temporary
    folder: with /tmp full (no inode left, as a night's spilled files leave it) every JPEG was 'unreadable: [Errno 28]
    No space left on device' — a folder of JPEGs refused, a mixed one trained on its PNGs alone under other run ids.
    The capture needs no temporary folder now (an anonymous memory file), and a JPEG cut short is still found."""
    import errno
    import tempfile

    import numpy as np
    from PIL import Image

    from benchmark.data import DataCache, DataSpec

    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / f"{i}.jpg", quality=90)
    whole = (tmp_path / "2.jpg").read_bytes()
    (tmp_path / "2.jpg").write_bytes(whole[:len(whole) // 2])  # cut short: skipped as damaged

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", tempfile.gettempdir())

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", full)
    images = DataCache().images(DataSpec.parse(str(tmp_path), role="train"))
    assert sorted(r.image_id for r in images) == ["0", "1"], [r.image_id for r in images]


@pytest.mark.slow  # a worker process starts (1.5 s of its start-up, then torch imported where it goes on: 2-3 s)
def test_a_driver_stopped_while_its_worker_starts_stops_it_even_with_sigint_ignored(tmp_path, monkeypatch):
    """A driver started where SIGINT is ignored (`plbench run --workers N &` in a batch script: the case
    _worker_signals is there for) and stopped by SIGTERM (`kill`, `timeout`) while a worker was still starting (its
    Python start-up, importing what its unit needs: seconds, as after each worker a hang ended) passed its stop on as
    SIGINT — ignored there, as inherited, until the worker's own handlers were in: the worker then ran its whole share
    while the stopped driver waited for it. A worker still starting is sent SIGTERM instead: it ends there (none of
    its code ran), or, its handlers just in, stops as at SIGINT."""
    import importlib
    import sys
    import time

    from benchmark import executors

    (tmp_path / "slow_boot_probe15").mkdir()
    (tmp_path / "slow_boot_probe15" / "__init__.py").write_text(
        "import time\n\n\nclass Policy:\n    enabled = False\n\n    def __setstate__(self, state):\n"
        "        time.sleep(1.5)  # the worker unpickles its unit: still starting\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("slow_boot_probe15")

    class StopAtOnce:
        def tick(self):
            raise KeyboardInterrupt  # SIGTERM, as the CLI takes it

    policy = module.Policy()
    policy.every = 0  # a state to set: unpickled by __setstate__
    unit = executors.WorkUnit((), str(tmp_path / "r"), ("psnr",), "cpu", checkpoint=policy, tag="[w0]",
                              logger="none")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the worker, as from a batch script
    try:
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            executors._run_processes([unit], [{"PYTHONPATH": f"{tmp_path}:{executors._pythonpath()}"}], StopAtOnce())
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.modules.pop("slow_boot_probe15", None)
    assert not (tmp_path / "r").exists(), "the stopped worker went on with its unit"
    assert time.monotonic() - t0 < 1.5 + 10


def test_two_workers_meeting_the_full_disk_at_different_files_failed_alike():
    """Two workers that met one full disk, each while writing its own file, ended the grid's line on '(1 other worker
    failed otherwise, said above)' — as if the second had failed for another reason, to be looked for above, where
    the line said the same full disk. A full disk met at another file is the same failure: '(also in 1 other
    worker)'."""
    from benchmark import executors
    from benchmark.errors import UserError

    def disk(worker: str, path: str) -> dict:
        return {"error": f"disk full while writing {path} (No space left on device); nothing half-written was left, "
                         "results written before are intact: free space and run the same command again to resume",
                "user": True, "exit_code": 3, "worker": worker}

    with pytest.raises(UserError) as exc:
        executors._raise_failures([disk("w0", "/r/runs/a/curve.csv"), disk("w1", "/r/runs/b/ckpt.pt")], "workers")
    assert exc.value.exit_code == 3 and str(exc.value).endswith("(also in 1 other worker)"), str(exc.value)


def test_a_one_process_grid_ended_by_a_hang_in_c_code_says_where_the_grid_stands(tmp_path, monkeypatch, caplog):
    """In one process (no --workers) a run hung in C code ends the process, and so the command (exit 75): its log
    ended on '… its process was ended (--stall-timeout); the same command retries it and goes on with the grid's other
    runs', no summary — read in the morning as a grid that went on. The process says now that the command ends there,
    with where the grid stands (finished, failed with why, left), as an interrupted grid does."""
    import logging
    import time

    import torch

    from benchmark import progress, runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfg, other = _cheap_config(0), _cheap_config(1)
    grid = runner._Grid(store, ("psnr",), None, {}, torch.device("cpu"), None, CheckpointPolicy(), False, "none",
                        GridProgress(store, [cfg, other]), stall_s=0.1, alone=True)
    exits = []
    monkeypatch.setattr(progress.os, "_exit", exits.append)
    monkeypatch.setattr(runner, "_run_one", lambda *args: _hung_in_c(exits) or "trained")
    with caplog.at_level(logging.ERROR, logger="benchmark"):
        runner._run_locked_or_blocked(grid, cfg, run_id(cfg), None, "v", [], True)
    time.sleep(0.05)
    assert exits == [progress.STALLED_EXIT] and store.meta(run_id(cfg))["status"] == "failed"
    said = [r.getMessage() for r in caplog.records]
    end = next(m for m in said if m.startswith("the command ends here"))
    assert "the grid stands at 0 of 2 runs finished (0 diverged), 1 failed, 1 left" in end, said
    assert any(m.startswith(f"denoise/l1 seed 0 (run {run_id(cfg)}) failed") for m in said), said


@pytest.mark.slow  # one short run trained and scored (~7 s on 2 shared cores, most of it imports)
def test_a_clock_stepped_back_during_a_run_leaves_its_wall_time_true(tmp_path, monkeypatch):
    """A run's wall time (meta.json's ``wall_s``: the log's 'ok in … s', what every later grid's ETA is measured from,
    per loss family) was the wall clock's difference: the clock stepped back an hour during the run (NTP after a
    drift, a VM resumed) recorded 'ok in -3598.8 s', and every ETA of the store after it read a family's mean off
    that. It is measured on the monotonic clock now; ``started`` stays the wall clock's time."""
    import time as real_time
    import types

    import numpy as np
    import torch
    from PIL import Image

    from benchmark import runner
    from benchmark.config import RunConfig
    from benchmark.data import DataSpec
    from benchmark.results import ResultsStore

    for role in ("train", "test"):
        (tmp_path / role).mkdir()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            tmp_path / role / "0.png")
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=4, crop=16, batch_size=1,
                    train_data=(DataSpec.parse(str(tmp_path / "train"), role="train"),),
                    test_data=(DataSpec.parse(str(tmp_path / "test"), role="test"),))
    calls = {"n": 0}

    def stepped_back() -> float:  # the run's start read on the clock as it was, every later reading an hour earlier
        calls["n"] += 1
        return real_time.time() - (3600.0 if calls["n"] > 1 else 0.0)

    clock = types.SimpleNamespace(**{k: getattr(real_time, k) for k in dir(real_time) if not k.startswith("_")})
    clock.time = stepped_back
    store = ResultsStore(tmp_path / "r")
    with monkeypatch.context() as m:
        m.setattr(runner, "time", clock)
        m.setattr(runner, "_run_one", lambda *args, real=runner._run_one: (calls.update(n=0), real(*args))[1])
        summary = runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, logger="none")
    meta = next(m for m in store.metas() if m["status"] == "ok")  # its id: the config resolved (data fingerprints)
    assert summary.trained == 1 and 0 < meta["wall_s"] < 600 and 0 <= meta["eval_s"] < 600, meta


def test_the_eta_leaves_out_a_wall_time_a_clock_step_made_negative(tmp_path):
    """Stores written before the wall time was measured on the monotonic clock hold runs 'ok in -3599.9 s' (a clock
    stepped back during the run): the family's mean, and so every ETA of a grid of that store, was read off it (a
    negative mean: 'ETA 0:00:00' with hours left). Such a time measures nothing and is left out."""
    import time

    from benchmark.config import run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    configs = [_cheap_config(s) for s in range(4)]
    for c, wall in zip(configs, (-3599.9, 20.0)):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(),
                                     "started": time.time(), "wall_s": wall})
    eta, _ = GridProgress(store, configs).eta()
    assert eta == 40.0, eta

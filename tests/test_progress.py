"""Watching a grid: the overall progress and ETA per loss family, "run k/N … ETA" log lines from
workers, and live training curves (CSV always, TensorBoard event files read back)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.config import RunConfig, run_id
from benchmark.progress import GridProgress
from benchmark.results import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--tasks", "denoise", "--iterations", "6", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
        "--test-data", "skimage-natural:test", "--device", "cpu", "--no-progress", "--no-report", "--no-budget-check"]


def _cfg(loss, seed):
    return RunConfig(task="denoise", loss=loss, seed=seed, train_fingerprint="x", test_fingerprint="y")


def test_eta_is_per_loss_family(tmp_path):
    """Two finished l1 runs took 10 s, one finished pdl run 200 s: with 2 l1 and 3 pdl runs left and
    2 workers, the ETA is (2·10 + 3·200) / 2 s; the ssim family, unmeasured, takes the overall mean."""
    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done = [_cfg("l1", 0), _cfg("l1", 1), _cfg("pdl", 0)]
    left = [_cfg("l1", 2), _cfg("l1", 3), _cfg("pdl", 1), _cfg("pdl", 2), _cfg("pdl", 3)]
    for c, wall in zip(done, (10.0, 10.0, 200.0)):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": wall})
    p = GridProgress(store, done + left, workers=2)
    eta, guessed = p.eta()
    assert eta == pytest.approx((2 * 10 + 3 * 200) / 2) and guessed == []
    line = p.line("denoise/pdl seed 1")
    assert line.startswith("run 4/8 (denoise/pdl seed 1): 3 done, 0 failed; ETA 0:05:10")
    assert "pixel 10 s" in line and "pdl 200 s" in line
    p2 = GridProgress(store, [*done, *left, _cfg("ssim", 0)], workers=1)
    eta2, guessed2 = p2.eta()
    assert guessed2 == ["ssim"] and eta2 == pytest.approx(2 * 10 + 3 * 200 + (10 + 10 + 200) / 3)
    assert "not yet measured, assumed average: ssim" in p2.line()


def test_eta_counts_down_while_runs_are_in_flight(tmp_path):
    """A run whose lock a live process on this host has held for 120 s is charged its family's mean
    minus 120 s (never below 0); a lock left by a dead process is not in flight (another host's is:
    tests/test_probe_store16.py)."""
    import os
    import socket
    import time

    from benchmark.results import RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, left = [_cfg("pdl", 0)], [_cfg("pdl", 1), _cfg("pdl", 2), _cfg("l1", 0)]
    store.write_meta(run_id(done[0]), {"run_id": run_id(done[0]), "status": "ok", "config": done[0].to_dict(),
                                       "wall_s": 200.0})
    p = GridProgress(store, done + left, workers=1)
    assert p.eta()[0] == pytest.approx(3 * 200)
    lock = RunLock.acquire(store.run_dir(run_id(left[0])) / ".lock")   # held by this (live) process
    then = time.time() - 120
    os.utime(lock.path, (then, then))
    eta, _ = p.eta()
    assert eta == pytest.approx(3 * 200 - 120, abs=2) and "1 done, 1 running, 0 failed" in p.line()
    os.utime(lock.path, (then - 1000, then - 1000))                     # longer than its family's mean
    assert p.eta()[0] == pytest.approx(2 * 200, abs=2)
    lock.release()
    for holder in ("pid 999999999 on " + socket.gethostname() + " since 10:00:00",):   # no such process
        stale = store.run_dir(run_id(left[1])) / ".lock"
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_text(holder)
        assert p.eta()[0] == pytest.approx(3 * 200) and "running" not in p.line()


def test_the_run_counter_moves_past_failed_and_running_runs(tmp_path):
    """"run k/N" counts finished, failed and in-flight runs: after a failure the next run is not
    numbered like the one that failed (it said "run 1/2" twice), and a run in flight is counted."""
    from benchmark.results import RunLock

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    cfgs = [_cfg("l1", 0), _cfg("l1", 1), _cfg("l1", 2)]
    p = GridProgress(store, cfgs, workers=1)
    assert p.line().startswith("run 1/3:")
    store.write_meta(run_id(cfgs[0]), {"run_id": run_id(cfgs[0]), "status": "failed", "config": cfgs[0].to_dict()})
    assert p.line("denoise/l1 seed 1").startswith("run 2/3 (denoise/l1 seed 1): 0 done, 1 failed")
    lock = RunLock.acquire(store.run_dir(run_id(cfgs[1])) / ".lock")  # this worker's own run, in flight
    assert p.line("denoise/l1 seed 1").startswith("run 2/3 (denoise/l1 seed 1): 0 done, 1 running, 1 failed")
    lock.release()


@pytest.mark.slow  # the line and its ETA: the tests above; two workers: test_executors
def test_two_worker_grid_logs_progress_and_eta(tmp_path):
    """Every worker's log has "run k/N (…)" lines counting the whole grid, with an ETA once a run finished."""
    out = tmp_path / "r"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, str(ROOT / "run_all.py"), *TINY, "--losses", "l1", "l2", "--seeds", "0",
                           "1", "--workers", "2", "--out", str(out)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if re.search(r"\brun \d/4 \(denoise/", line)]
    assert {line.split("]")[0][-2:] for line in lines} == {"w0", "w1"}  # both workers report
    assert all("/4 (denoise/" in line for line in lines) and len(lines) == 4
    assert any("ETA 0:" in line and "measured per family: pixel" in line for line in lines)


def test_live_curves_csv_and_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")  # a test extra; without it the CSV is still written (checked below)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from benchmark.cli import main

    out = tmp_path / "r"
    assert main([*TINY, "--losses", "l1", "--iterations", "100", "--out", str(out), "-q"]) == 0
    store = ResultsStore(out)
    (meta,) = [m for m in store.metas() if m.get("config")]
    run_dir = out / "runs" / meta["run_id"]
    with open(run_dir / "curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["iteration"]), float(r["loss"])) for r in rows] == [tuple(p) for p in meta["loss_curve"]]
    assert float(rows[0]["lr"]) > float(rows[-1]["lr"]) > 0  # cosine schedule
    acc = EventAccumulator(str(run_dir / "tb"))
    acc.Reload()
    loss = [(e.step, e.value) for e in acc.Scalars("train/loss")]
    assert loss == [pytest.approx(tuple(p), rel=1e-6) for p in meta["loss_curve"]]
    psnr = acc.Scalars("eval/psnr")
    table = store.table()
    mean_psnr = table[(table["run_id"] == meta["run_id"]) & (table["metric"] == "psnr")]["value"].mean()
    assert len(psnr) == 1 and psnr[0].value == pytest.approx(mean_psnr, rel=1e-6)
    # the ETA extrapolates a run's whole wall time: training and evaluation (which can dominate a short run)
    assert meta["eval_s"] > 0 and meta["wall_s"] >= meta["train_s"] + meta["eval_s"]


def test_unknown_or_missing_logger_is_refused(tmp_path, capsys):
    from benchmark.cli import main

    assert main([*TINY, "--losses", "l1", "--logger", "mlflow", "--out", str(tmp_path / "r"), "-q"]) in (0, 2)
    err = capsys.readouterr().err
    import importlib.util

    if importlib.util.find_spec("mlflow") is None:
        from benchmark.errors import pip

        assert f"--logger mlflow needs the mlflow package: {pip()} install 'perceptual-loss-bench[mlflow]'" in err


def test_overall_bar_counts_finished_runs_and_shows_the_eta(tmp_path, capsys):
    """In a terminal: one overall bar (runs done / total, ETA); a log line written while it is drawn
    goes through tqdm (on its own line above the bar), never through the bar."""
    import logging

    from benchmark.progress import log_to_bars

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    cfgs = [_cfg("l1", s) for s in range(4)]
    p = GridProgress(store, cfgs, workers=1, bar=True)
    for c in cfgs[:2]:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": 10.0})
    with log_to_bars():
        p.update()
        logging.getLogger("benchmark.test").warning("a log line while the bar is drawn")
    assert p.bar.n == 2 and p.bar.total == 4
    assert "ETA 0:00:20" in p.bar.postfix
    p.close()
    err = capsys.readouterr().err
    bar_lines = [seg for seg in re.split(r"[\r\n]", err) if "grid:" in seg]
    assert bar_lines and all("a log line" not in seg for seg in bar_lines)  # never on a bar's line
    assert any(line.strip().endswith("a log line while the bar is drawn") for line in err.splitlines())

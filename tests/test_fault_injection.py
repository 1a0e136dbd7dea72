"""Kill a real grid (``run_all.py`` in a subprocess) again and again, resume it each time, and end
with a results table identical to an uninterrupted run's: no row lost, none duplicated.

Kill points are drawn from a seeded generator. Most are exact crash points
(:mod:`benchmark.faults`: the N-th training iteration, scored test image, or file write, where the
process SIGKILLs itself); the slow test adds SIGKILLs after random delays and a Ctrl-C. Training
is on one thread, so the killed and the uninterrupted runs are deterministic (and fast on a
shared machine).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.results import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
GRID = ["--tasks", "denoise", "sr4", "--losses", "l1", "ssim", "--iterations", "30", "--crop", "32",
        "--batch-size", "2", "--metrics", "psnr", "ssim", "--device", "cpu", "--no-progress", "--no-report",
        "--checkpoint-every", "5", "--checkpoint-seconds", "0"]
KEY = ["run_id", "dataset", "image", "metric"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> list[str]:
    from PIL import Image

    d = tmp_path_factory.mktemp("faultdata")
    rng = np.random.default_rng(0)
    for name, n, side in (("photos", 4, 64), ("heldout", 3, 48)):
        (d / name).mkdir()
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(d / name / f"{name}{i}.png")
    return ["--train-data", str(d / "photos"), "--test-data", str(d / "heldout")]


def _interactive_sigint() -> None:
    """In the child: SIGINT as in a terminal (a background pytest would pass it on ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(out: Path, args: list[str], crash: str | None = None) -> tuple[subprocess.Popen, Path]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    env.pop("PLBENCH_CRASH_AT", None)
    if crash:
        env["PLBENCH_CRASH_AT"] = crash
    out.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"{out.name}-{time.monotonic_ns()}.log"
    with open(log, "w") as f:
        proc = subprocess.Popen([sys.executable, str(ROOT / "run_all.py"), *args, "--out", str(out)],
                                stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                preexec_fn=_interactive_sigint)
    return proc, log


def wait(proc: subprocess.Popen, log: Path, timeout: float = 300) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"run_all.py did not finish in {timeout} s:\n{log.read_text()[-3000:]}") from None


def signal_after_start(proc: subprocess.Popen, log: Path, delay: float, sig=signal.SIGKILL) -> int:
    """Once the grid has started (its 'grid:' log line), wait ``delay`` seconds and send ``sig``."""
    deadline = time.monotonic() + 300
    while proc.poll() is None and "grid:" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(sig)
    return wait(proc, log)


def final_state(out: Path) -> tuple[pd.DataFrame, dict]:
    store = ResultsStore(out)
    table = store.table().sort_values(KEY).reset_index(drop=True)
    runs = {m["run_id"]: (m["status"], m.get("loss_curve"), m.get("final_loss"), m.get("iterations_done"))
            for m in store.metas()}
    return table, runs


def assert_identical(out: Path, ref: Path) -> None:
    table, runs = final_state(out)
    ref_table, ref_runs = final_state(ref)
    assert not table.duplicated(KEY).any(), "duplicated rows"
    assert len(table) == len(ref_table) > 0
    pd.testing.assert_frame_equal(table, ref_table, check_exact=True)
    assert runs == ref_runs  # status, loss curve, final loss, iterations: training resumed exactly
    leftovers = [p for p in (out / "runs").rglob("*") if p.name.startswith("ckpt") or ".tmp" in p.name]
    assert not leftovers, leftovers


def reference_in_process(out: Path, args: list[str]) -> None:
    """The uninterrupted run, in this process (no second interpreter start), on one thread."""
    import torch

    from benchmark.cli import main

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main([*args, "--out", str(out), "-q"]) == 0
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow  # 30 s; the default suite resumes in process: test_robustness.test_resume_from_checkpoint_*
def test_three_kills_then_resume_gives_identical_results(tmp_path, data):
    """SIGKILL in training, in evaluation and mid-write, then resume."""
    args = GRID + data
    rng = random.Random(7)
    points = [f"iteration:{rng.randint(6, 40)}", f"image:{rng.randint(2, 9)}", f"write:{rng.randint(2, 16)}"]
    rng.shuffle(points)
    out = tmp_path / "killed"
    for point in points:
        proc, log = start(out, args, crash=point)
        assert wait(proc, log) == -signal.SIGKILL, f"{point} was never reached:\n{log.read_text()[-2000:]}"
    proc, log = start(out, args)
    assert wait(proc, log) == 0, log.read_text()[-3000:]
    assert "resuming from checkpoint" in "".join(p.read_text() for p in tmp_path.glob("killed-*.log"))
    reference_in_process(tmp_path / "ref", args)
    assert_identical(out, tmp_path / "ref")


@pytest.mark.slow
def test_twenty_kills_then_resume_gives_identical_results(tmp_path, data):
    """20 SIGKILLs at seeded random points (exact crash points in training, evaluation and writes,
    and random delays), one Ctrl-C, a resume after each; the final table equals the reference."""
    args = GRID + ["--seeds", "0", "1"] + data  # 8 runs, so 20 kills land before the grid is done
    rng = random.Random(2024)
    out = tmp_path / "killed"
    draw = {"iteration": lambda: rng.randint(3, 12), "image": lambda: rng.randint(1, 4),
            "write": lambda: rng.randint(1, 10), "written": lambda: rng.randint(1, 10),
            "timed": lambda: rng.uniform(0.0, 2.0)}
    schedule = [(kind, draw[kind]()) for kind in (rng.choice(sorted(draw)) for _ in range(20))]
    schedule.insert(rng.randint(5, 15), ("sigint", 1.0))
    kills, seen = 0, []
    for kind, at in schedule:
        if kind in ("timed", "sigint"):
            proc, log = start(out, args)
            rc = signal_after_start(proc, log, at, signal.SIGINT if kind == "sigint" else signal.SIGKILL)
        else:
            proc, log = start(out, args, crash=f"{kind}:{at}")
            rc = wait(proc, log)
        text = log.read_text()
        if kind == "sigint":
            assert rc == 130 and "Resume with:" in text and "Traceback" not in text, text[-3000:]
            continue
        assert rc in (0, -signal.SIGKILL), text[-3000:]
        kills += rc == -signal.SIGKILL
        seen.append(f"{kind}:{at if kind != 'timed' else round(at, 2)}→{'killed' if rc else 'finished'}")
        assert rc != 0 or kills == 20, f"grid finished after {kills} kills: {seen}"
    assert kills == 20, seen
    proc, log = start(out, args)
    assert wait(proc, log) == 0, log.read_text()[-3000:]
    reference_in_process(tmp_path / "ref", args)
    assert_identical(out, tmp_path / "ref")


@pytest.mark.slow
def test_two_processes_share_a_results_directory(tmp_path, data):
    """Started together on one directory, two processes never write the same run twice."""
    import re

    args = GRID + data
    a, b = start(tmp_path / "shared", args), start(tmp_path / "shared", args)
    assert wait(*a) == 0 and wait(*b) == 0
    trained = [int(re.search(r"trained (\d+)", log.read_text()).group(1)) for _, log in (a, b)]
    started = [line for _, log in (a, b) for line in log.read_text().splitlines() if ": task=" in line]
    assert sum(trained) == 4 and len(started) == 4, (trained, started)
    reference_in_process(tmp_path / "ref", args)
    assert_identical(tmp_path / "shared", tmp_path / "ref")

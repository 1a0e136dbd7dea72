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
    logs = [log.read_text() for _, log in (a, b)]
    trained = [int(re.search(r"trained (\d+)", text).group(1)) for text in logs]
    # the grid's size as planned (its budget checks included: 8 runs, of which the test once assumed 4)
    runs = int(re.search(r"grid: (\d+) runs?", logs[0]).group(1))
    finished = [rid for text in logs for rid in re.findall(r"run ([0-9a-f]{16}) ok in", text)]
    assert sum(trained) == runs and len(finished) == len(set(finished)) == runs, (runs, trained, finished)
    reference_in_process(tmp_path / "ref", args)
    assert_identical(tmp_path / "shared", tmp_path / "ref")


def test_damaged_curve_csv_does_not_fail_the_resumed_run(tmp_path):
    """A curve.csv cut by a crash or edited by hand made every retry of its run fail (ValueError on
    resume); its bad lines are dropped instead, the good ones up to the checkpoint kept."""
    from benchmark.loggers import CurveLog

    (tmp_path / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.01\n,\n2,0.2\n3,x,0.4,0.01\n"
                                        "4,0.4,0.3,0.01\n9,0.9,0.1,0.01\n")
    curves = CurveLog(tmp_path, "none")
    curves.begin(5)
    curves.log(6, {"loss": 0.2, "lr": 0.01})
    curves.close()
    lines = (tmp_path / "curve.csv").read_text().splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["iteration", "1", "4", "6"]


def test_live_log_write_error_does_not_stop_the_run(tmp_path, caplog):
    """curve.csv / TensorBoard are live logs, not results: a write error there (disk full, the run
    folder deleted by hand) is one warning and the run goes on, instead of failing it."""
    import errno

    from benchmark.loggers import CurveLog

    class Full:
        def write(self, *_):
            raise OSError(errno.ENOSPC, "No space left on device")

        flush = close = write

    curves = CurveLog(tmp_path, "none")
    curves.begin(0)
    curves._file.close()
    curves._file = Full()
    curves._csv = __import__("csv").DictWriter(curves._file, fieldnames=["iteration", "seconds", "loss", "lr"])
    curves.log(1, {"loss": 0.5, "lr": 0.01})  # no exception
    curves.log(2, {"loss": 0.4, "lr": 0.01})
    curves.close()
    assert "live curves" in caplog.text and "the run goes on" in caplog.text


def test_results_folder_made_read_only_is_one_line(tmp_path, monkeypatch):
    """EROFS/EPERM/EACCES while writing a result: one line (a UserError, not an internal error),
    no temporary file left, the file already there untouched."""
    import errno

    from benchmark.errors import UserError
    from benchmark.results import atomic_write_bytes

    target = tmp_path / "meta.json"
    target.write_bytes(b"old")
    real_replace = os.replace

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    with pytest.raises(UserError, match="cannot write .*meta.json .Read-only file system.*run the same command"):
        atomic_write_bytes(target, b"new")
    monkeypatch.setattr(os, "replace", real_replace)
    import tempfile

    def no_permission(*a, **k):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(tempfile, "mkstemp", no_permission)
    with pytest.raises(UserError, match="Operation not permitted"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["meta.json"]


def test_rescore_without_net_is_one_error_and_the_grid_goes_on(tmp_path, capsys, caplog, random_images):
    """Asking for a new metric when a finished run's net.pt was deleted stopped the whole grid with
    'internal error: FileNotFoundError'; now that run is one error line (exit 1), the others are
    re-scored, and its rows so far are kept."""
    from benchmark.cli import main

    data = str(random_images(3, 40))
    args = ["run", "--tasks", "denoise", "--losses", "l1", "l2", "--iterations", "2", "--crop", "32",
            "--batch-size", "2", "--no-budget-check", "--seeds", "0", "--device", "cpu", "--no-progress",
            "--no-report", "--checkpoint-every", "0", "--checkpoint-seconds", "0", "--train-data", data,
            "--test-data", data, "--out", str(tmp_path / "r"), "-q"]
    assert main([*args, "--metrics", "psnr"]) == 0
    store = ResultsStore(tmp_path / "r")
    before = store.table()
    gone = next(r for r in store.run_ids() if not r.startswith("input"))
    (store.run_dir(gone) / "net.pt").unlink()
    assert main([*args, "--metrics", "psnr", "ssim"]) == 1
    assert "cannot score ssim: its net.pt is missing" in caplog.text and "internal error" not in capsys.readouterr().err
    after = store.table()
    assert set(after.query("run_id == @gone")["metric"]) == {"psnr"}
    assert len(after.query("metric == 'ssim' and run_id != @gone and loss != 'input'")) > 0
    assert len(after.query("metric == 'psnr'")) == len(before)
    caplog.clear()  # with two workers the summary is merged from the store: the run must still count (exit 1)
    with caplog.at_level("INFO"):
        assert main([*args, "--metrics", "psnr", "ssim", "--workers", "2"]) == 1
    assert "not re-scored 1" in caplog.text and "to another process" not in caplog.text

"""Training-step timing (``plbench perf``, ``scripts/bench_losses.py``) and the grid estimate (``--dry-run``)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from benchmark.cli import main
from benchmark.perf import format_rows, measure

TINY = ["--tasks", "denoise", "--losses", "l1", "l2", "--iterations", "3", "--crop", "32", "--batch-size", "2",
        "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu", "--no-progress", "-q"]


def test_measure_two_losses_side_by_side():
    rows = measure(["l2", "vgg"], net="tiny", batch=2, crop=32, device="cpu", reps=2, warmup=1)
    by = {r.name: r for r in rows}
    assert set(by) == {"l1", "l2", "vgg", "naive:vgg"}
    assert by["l1"].x_l1 == pytest.approx(1.0)
    for r in rows:
        assert r.ms_per_step > 0 and r.it_per_s == pytest.approx(1e3 / r.ms_per_step)
        assert r.gflop_per_step and r.gflop_per_step > 0 and r.achieved_tflops > 0
        assert r.peak_mem_mb is None  # CPU: no peak-memory counter
    assert by["vgg"].x_naive == pytest.approx(by["vgg"].ms_per_step / by["naive:vgg"].ms_per_step)
    assert by["l2"].x_naive is None
    text = format_rows(rows, "header")
    assert text.splitlines()[0] == "header" and "× L1" in text and "naive:vgg" in text


def test_perf_command_prints_ratios(capsys):
    assert main(["perf", "--losses", "l2", "--net", "tiny", "--batch", "2", "--crop", "32", "--reps", "2",
                 "--warmup", "1", "--device", "cpu", "-q"]) == 0
    out = capsys.readouterr().out
    assert "device=cpu" in out and "load avg" in out and "× L1" in out
    assert {line.split()[0] for line in out.splitlines()[2:]} == {"l1", "l2"}


def test_perf_command_rejects_bad_numbers(capsys):
    assert main(["perf", "--losses", "l2", "--batch", "0", "--device", "cpu"]) == 2
    assert "--batch-size must be positive" in capsys.readouterr().err


def test_bench_losses_script_wraps_perf(capsys):
    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_losses.py"
    ns = runpy.run_path(str(script))
    assert ns["main"](["--losses", "l2", "--reps", "1", "--warmup", "0", "--batch", "2", "--size", "32",
                       "--no-flops"]) == 0
    out = capsys.readouterr().out
    assert "ms/step" in out and "\nl2 " in out


def test_dry_run_prints_an_estimate_and_writes_no_runs(tmp_path, capsys):
    out = tmp_path / "dry"
    assert main([*TINY, "--dry-run", "--workers", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "estimated wall time" in text and " h sequential" in text and "on 2 workers" in text
    assert "l1" in text and "l2" in text
    assert "(quick profile; net" in text  # the profile named, resolved like a real run's
    assert not out.exists()


def test_dry_run_names_the_profile_of_a_config_file(tmp_path, capsys):
    cfg = tmp_path / "grid.yaml"
    cfg.write_text("profile: standard\ntasks: [denoise]\nlosses: [l1]\nseeds: [0]\nnet: tiny\n"
                   "iterations: 3\nmetrics: [psnr]\ntest_data: [skimage-natural:test]\n")
    assert main(["run", "--config", str(cfg), "--device", "cpu", "--no-progress", "-q", "--dry-run",
                 "--out", str(tmp_path / "dry")]) == 0
    assert "(standard profile; net tiny, 3 iterations" in capsys.readouterr().out


def test_dry_run_measures_small_steps_once_and_then_reuses_them(tmp_path, capsys, monkeypatch):
    """A grid at 16×128² is estimated from steps at 1×64² (each task's sampling and
    degradation timed at 16×128²); the second dry run measures nothing (times are kept per device,
    net, loss, task and shape)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    args = ["--tasks", "denoise", "sr4", "--losses", "l1", "vgg", "--net", "tiny", "--iterations", "5000",
            "--batch-size", "16", "--crop", "128", "--metrics", "psnr", "--test-data", "skimage-natural:test",
            "--device", "cpu", "--no-progress", "-q", "--dry-run", "--out", str(tmp_path / "dry")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "per task:" in first and "per loss family: " in first and "perceptual" in first and "pixel" in first
    measured = int(first.split("step times: ")[1].split(" measured")[0])
    assert measured == 2 + 2 + 1  # (l1, vgg) steps on denoise, the data part of denoise and sr4, one evaluation
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "step times: 0 measured now" in second
    hours = [float(t.split("estimated wall time: ")[1].split(" h")[0]) for t in (first, second)]
    assert hours[0] == hours[1] > 0

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
    # the median of the reps' paired ratios, as × L1 (tests/test_probe_zmix20.py pins the statistic on a fake clock)
    assert by["vgg"].x_naive > 0 and by["naive:vgg"].x_naive is None
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
    assert "estimated wall time" in text and " sequential (training " in text and "on 2 workers" in text
    assert "l1" in text and "l2" in text
    assert "(quick profile; net" in text  # the profile named, resolved like a real run's
    assert not out.exists()


def test_dry_run_names_the_profile_of_a_config_file(tmp_path, capsys):
    cfg = tmp_path / "grid.yaml"
    # the embedded photos for training too: the standard profile's own (../shared/datasets, else the
    # hub) are not on a fresh clone, and offline the dry run failed there
    cfg.write_text("profile: standard\ntasks: [denoise]\nlosses: [l1]\nseeds: [0]\nnet: tiny\n"
                   "iterations: 3\nmetrics: [psnr]\ntrain_data: [skimage:train]\ntest_data: [skimage-natural:test]\n")
    assert main(["run", "--config", str(cfg), "--device", "cpu", "--no-progress", "-q", "--dry-run",
                 "--out", str(tmp_path / "dry")]) == 0
    assert "(standard profile; net tiny, 3 iterations" in capsys.readouterr().out


def _steps_timed_at_once(monkeypatch) -> None:
    """perf's timed training step and data part answer at once (a step of 1 µs per pixel, its data a tenth) and the
    photos they would train on are not decoded (one decoding per probe crop and dry run), for the tests of which times
    a dry run measures, keeps and reuses, not of the times (3.9 s each in the suite's durations). The real steps are
    timed by test_dry_run_prints_an_estimate_and_writes_no_runs and
    test_estimates_keep_containment_order_and_exclude_warm_up; the evaluation's timing stays real here."""
    import benchmark.perf as perf

    monkeypatch.setattr(perf, "training_images", lambda crop: [])
    monkeypatch.setattr(perf, "_time_step", lambda loss, net, task, b, cr, *a, **k: (1e-6 * b * cr * cr,
                                                                                    1e-7 * b * cr * cr, 0.0))
    monkeypatch.setattr(perf, "_time_data", lambda task, b, cr, *a, **k: 1e-7 * b * cr * cr)


def test_dry_run_measures_small_steps_once_and_then_reuses_them(tmp_path, capsys, monkeypatch):
    """A grid at 16×128² is estimated from steps at 1×64² and 4×64² (each task's sampling and
    degradation timed at 16×128²); the second dry run measures nothing (times are kept per machine,
    threads, device, net, loss, task and shape)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    _steps_timed_at_once(monkeypatch)
    args = ["--tasks", "denoise", "sr4", "--losses", "l1", "vgg", "--net", "tiny", "--iterations", "5000",
            "--batch-size", "16", "--crop", "128", "--metrics", "psnr", "--test-data", "skimage-natural:test",
            "--device", "cpu", "--no-progress", "-q", "--dry-run", "--out", str(tmp_path / "dry")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "per task:" in first and "per loss family: " in first and "perceptual" in first and "pixel" in first
    measured = int(first.split("step times: ")[1].split(" measured")[0])
    # (l1, vgg) × 2 probe shapes on denoise, the data part of denoise and sr4, one evaluation warm, cold and the
    # share of its reference sides a metric cache cannot hold
    assert measured == 2 * 2 + 2 + 3
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "step times: 0 measured now" in second
    hours = [float(t.split("estimated wall time: ")[1].split(" h")[0]) for t in (first, second)]
    assert hours[0] == hours[1] > 0


def _grid(losses, batch=8, crop=48):
    from benchmark.config import RunConfig

    return [RunConfig(task="denoise", loss=ls, iterations=10, batch_size=batch, crop=crop) for ls in losses]


def test_estimates_keep_containment_order_and_exclude_warm_up(tmp_path, monkeypatch):
    """No loss is estimated below ℓ1 at its shape (every step trains the net, which is all ℓ1 adds),
    a weighted sum not below its dearest term, and a one-time cost of the process's first step is
    not charged to the loss timed first."""
    import benchmark.perf as perf

    real_step, real_warm = perf.harness_step, perf._warm_process
    inside, calls = {"warm": False}, []

    def warm(*a, **kw):  # the process's discarded first step
        inside["warm"] = True
        try:
            return real_warm(*a, **kw)
        finally:
            inside["warm"] = False

    def spy(*a, **kw):  # which harness steps are built, in order, and whether by the warm-up
        calls.append(inside["warm"])
        return real_step(*a, **kw)

    monkeypatch.setattr(perf, "_warm_process", warm)
    monkeypatch.setattr(perf, "harness_step", spy)
    monkeypatch.setattr(perf, "_WARM", set())
    est = perf.estimate_grid(_grid(["l1", "ssim", "l2 + 0.5*ssim"]), ["psnr"], "cpu",
                             perf.StepTimes(tmp_path / "t.json"))
    ms = {k: v["denoise"] for k, v in est["ms_per_step"].items()}
    assert set(ms) == {"l1", "ssim", "l2 + 0.5*ssim"}  # only the grid's losses are reported
    assert calls[0] and calls.count(True) == 1  # one discarded step, before the first timed one, once per process
    assert ms["ssim"] >= ms["l1"] and ms["l2 + 0.5*ssim"] >= max(ms["ssim"], ms["l1"])
    assert est["probes"] == [(1, 64), (4, 64)] and est["device"].startswith("cpu:")


def test_step_time_cache_is_keyed_by_machine_threads_and_shape(tmp_path, monkeypatch):
    """A fresh cache reports nothing reused (however often a key repeats within the dry run); a
    second dry run reuses every time; another thread count or shape measures anew."""
    import torch

    import benchmark.perf as perf

    _steps_timed_at_once(monkeypatch)
    path = tmp_path / "steptimes.json"
    grid = _grid(["l1", "l2"], batch=2, crop=32)  # at most the biggest probe: timed at its own shape
    one = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert one["reused"] == 0 and one["measured"] > 0 and one["probes"] == [(2, 32)]
    two = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert two["measured"] == 0 and two["reused"] == one["measured"]
    keys = set(perf.StepTimes(path).data)
    assert all(torch.__version__ in k and "cores" in k and f"{torch.get_num_threads()}t" in k for k in keys)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1 if before > 1 else 2)
        three = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    finally:
        torch.set_num_threads(before)
    assert three["reused"] == 0 and three["measured"] == one["measured"]
    four = perf.estimate_grid(_grid(["l1", "l2"], batch=2, crop=40), ["psnr"], "cpu", perf.StepTimes(path))
    assert four["measured"] > 0


def test_scaled_compute_fits_overhead_plus_pixels():
    from benchmark.perf import scaled_compute

    # 2 ms fixed + 1 µs per pixel, probed at 4096 and 16384 pixels → exact at 36864
    pts = [(4096, 0.002 + 4096e-6), (16384, 0.002 + 16384e-6)]
    assert scaled_compute(pts, 36864) == pytest.approx(0.002 + 36864e-6)
    assert scaled_compute([(36864, 0.5)], 36864) == pytest.approx(0.5)
    assert scaled_compute([(4096, 0.02), (16384, 0.019)], 32768) == pytest.approx(0.019 * 2)  # noisy: proportional

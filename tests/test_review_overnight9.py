"""Review of the overnight/cluster user (rev-overnight, the probe-overnight commits): the dry run the user reads at
6 pm must say what the real run would do at 6:01 — refuse a grid that does not fit in memory, and count the
processes ``--workers auto`` starts. Each test failed before its fix."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


def _refuse_memory(monkeypatch):
    """This machine has 1 MiB free (RAM or GPU): any run's check_fits refuses it."""
    import benchmark.resources as resources

    monkeypatch.setattr(resources, "available_bytes", lambda device: (float(2**20), "available RAM (test)"))


def test_a_dry_run_refuses_a_grid_the_run_would_refuse_for_memory(tmp_path, monkeypatch, capsys):
    """``run --dry-run`` did not call :func:`benchmark.resources.check_fits`: a grid that cannot fit in this machine's
    memory passed the dry run (an estimate, exit 0) and was refused only when the real run started — the
    night lost. The dry run now stops with the run's own one-line memory error, before timing anything."""
    import benchmark.perf as perf
    from benchmark.cli import main

    _refuse_memory(monkeypatch)
    monkeypatch.setattr(perf, "estimate_grid", lambda *a, **kw: pytest.fail("estimated a grid the run refuses"))
    args = ["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--no-budget-check",
            "--device", "cpu", "--out", str(tmp_path / "r")]
    assert main([*args, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: a training step of net") and "lower --batch-size or --crop" in err, err
    assert err.count("\n") == 1, err
    assert not (tmp_path / "r").exists()


def test_a_dry_run_with_workers_auto_counts_the_workers_the_run_starts(tmp_path, monkeypatch, capsys):
    """``--workers auto`` on a machine with two GPUs starts two workers (each computes every test image's reference
    side once: :func:`benchmark.perf.estimate_grid`'s ``processes``), but the dry run counted one process (``auto``
    is not a number) and printed no per-worker wall time. It now plans with the executor's own count
    (:func:`benchmark.executors.local_workers`). Two GPUs simulated: torch.cuda patched, the estimate stubbed."""
    import torch

    import benchmark.metrics as metrics_mod
    import benchmark.perf as perf
    import benchmark.resources as resources
    from benchmark.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Fake GPU")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(resources, "available_bytes", lambda device: (float("inf"), "test"))
    seen = []

    def estimate(configs, metrics, device, *, processes=1, process_per_run=False, **_):
        seen.append((device, processes, process_per_run))
        return {"seconds": 7200.0, "runs": len(configs), "train_s": 7000.0, "eval_s": 200.0, "by_task": {},
                "by_family": {}, "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0, "cache": "x",
                "device": device}

    monkeypatch.setattr(perf, "estimate_grid", estimate)
    # the metric set the dry run checks (runner.require_scorable) cannot be built on the simulated GPUs: stubbed too
    monkeypatch.setattr(metrics_mod, "MetricSet", lambda names, device: SimpleNamespace(metrics=names, skipped={}))
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "1", "2", "--iterations", "2",
                 "--no-budget-check", "--device", "cuda", "--workers", "auto", "--metrics", "psnr", "--dry-run",
                 "--out", str(tmp_path / "r")]) == 0
    assert seen == [("cuda", 2, False)], seen
    assert "≈ 1.00 h on 2 workers" in capsys.readouterr().out


def test_the_dry_run_charges_the_reference_sides_a_full_cache_recomputes(tmp_path, monkeypatch):
    """Each metric keeps the test images' reference sides in a :class:`benchmark.fastiqa.RefCache` of 256 MiB; the
    full profile's test sets (Set5 + Set14 + Kodak24, ≈ 11 Mpx) need more (vsi: 40 bytes a pixel, 6.7 Mpx fit;
    ms_ssim 9 Mpx), and an image that does not fit is computed again at every evaluation. The dry run charged every
    run a warm evaluation as if all fitted (the estimate too low). It now charges the share of the test pixels a cache
    cannot hold at the cold price. Here (a fake clock: 10 units a pixel cold, 1 warm) ssim's cache holds a quarter of
    the test set's reference sides."""
    import types

    import benchmark.perf as perf
    import benchmark.runner as runner
    from benchmark.config import RunConfig
    from benchmark.fastiqa import RefCache
    from benchmark.task import build_task

    data = runner.DataCache()
    configs = [RunConfig(task="denoise", loss="l1", seed=s, iterations=10, batch_size=2, crop=32) for s in (0, 1)]
    items = runner.held_out_items(build_task("denoise"), {s: data.images(s) for s in configs[0].test_data})
    pixels = sum(it.clean[0, 0].numel() for it in items)
    monkeypatch.setattr(RefCache.__init__, "__defaults__", (pixels // 4,))  # 1 byte a pixel kept: a quarter fits
    clock = [0.0]

    def evaluate(net, items, metrics, device):
        for m in metrics.metrics:
            for cache in [v for mod in m.module.modules() for v in vars(mod).values() if isinstance(v, RefCache)]:
                for it in items:
                    hit = [True]  # cleared where the cache computes the image's side

                    def compute(ref, hit=hit):
                        hit.clear()
                        return torch.zeros(ref[0, 0].numel(), dtype=torch.uint8)  # 1 byte a pixel

                    cache.get(it.clean, compute)
                    clock[0] += it.clean[0, 0].numel() * (1.0 if hit else 10.0)
        return []

    import torch

    import benchmark.metrics as metrics_mod

    class SSIMLike(torch.nn.Module):  # a metric with a reference-side cache (pyiqa not loaded: the test stays fast)
        def __init__(self):
            super().__init__()
            self.refs = RefCache()

    monkeypatch.setattr(metrics_mod, "MetricSet", lambda names, dev: types.SimpleNamespace(
        metrics=[types.SimpleNamespace(name=n, module=SSIMLike()) for n in names]))
    monkeypatch.setattr(runner, "evaluate", evaluate)
    monkeypatch.setattr(perf, "time", types.SimpleNamespace(perf_counter=lambda: clock[0], time=lambda: 1e9,
                                                        process_time=lambda: clock[0]))  # a whole core
    monkeypatch.setattr(perf, "_time_step", lambda *a, **kw: (0.0, 0.0))
    monkeypatch.setattr(perf, "_time_data", lambda *a, **kw: 0.0)
    est = perf.estimate_grid(configs, ["ssim"], "cpu", perf.StepTimes(tmp_path / "t.json"))
    per_eval = (0.25 * 1.0 + 0.75 * 10.0) * pixels  # a quarter of the pixels warm, the rest computed again
    # the inputs' scoring is the process's first (all cold), then the two runs
    assert est["eval_s"] == pytest.approx(10.0 * pixels + 2 * per_eval, rel=0.02), (est["eval_s"], per_eval)
    again = perf.estimate_grid(configs, ["ssim"], "cpu", perf.StepTimes(tmp_path / "t.json"))  # from the kept times
    assert again["eval_s"] == pytest.approx(est["eval_s"]) and again["measured"] == 0

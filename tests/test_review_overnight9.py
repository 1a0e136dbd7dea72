"""Review of the overnight/cluster user (rev-overnight, the probe-overnight commits): the dry run the user reads at
6 pm must say what the real run would do at 6:01 — refuse a grid that does not fit in memory, and count the
processes ``--workers auto`` starts. Each test failed before its fix."""

from __future__ import annotations

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

    import benchmark.perf as perf
    import benchmark.resources as resources
    from benchmark.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Fake GPU")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(resources, "available_bytes", lambda device: (float("inf"), "test"))
    seen = []

    def estimate(configs, metrics, device, *, processes=1, process_per_run=False):
        seen.append((device, processes, process_per_run))
        return {"seconds": 7200.0, "runs": len(configs), "train_s": 7000.0, "eval_s": 200.0, "by_task": {},
                "by_family": {}, "ms_per_step": {}, "probes": [], "measured": 0, "reused": 0, "cache": "x",
                "device": device}

    monkeypatch.setattr(perf, "estimate_grid", estimate)
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "1", "2", "--iterations", "2",
                 "--no-budget-check", "--device", "cuda", "--workers", "auto", "--metrics", "psnr", "--dry-run",
                 "--out", str(tmp_path / "r")]) == 0
    assert seen == [("cuda", 2, False)], seen
    assert "≈ 1.00 h on 2 workers" in capsys.readouterr().out

"""Review of the overnight-and-cluster probe (session 12): each test failed on the code before its fix."""

from __future__ import annotations

import pytest
from test_probe_overnight12 import _photos

from benchmark.results import ResultsStore


@pytest.mark.parametrize("checkpoint_threads, trains_on", [(1, 1), (3, 2)])
def test_a_resumed_run_takes_no_more_threads_than_its_process_has(tmp_path, monkeypatch, checkpoint_threads,
                                                                     trains_on):
    """A resumed CPU run goes on with its checkpoint's thread count (test_probe_overnight12) — also a count above
    the process's own: a run checkpointed by one 16-thread process and resumed under `--workers 4` (4 threads each),
    or a SLURM job requeued on fewer CPUs, ran 16 threads in each worker, 4× the machine's cores (OpenMP threads
    spinning on each other's cores). A count above the process's own is now left as it is (train warns that the
    numbers differ); a lower one is still taken, and the process's own count comes back after the run, also when
    the run fails."""
    import torch

    from benchmark import resources, runner
    from benchmark.config import RunConfig

    cfg = runner.resolve_all([RunConfig(task="denoise", loss="l1", iterations=2, crop=24, batch_size=2,
                                        **_photos(tmp_path))])[0]
    seen = []

    def trains(*args, **kwargs):
        seen.append(torch.get_num_threads())
        raise RuntimeError("index 7 is out of bounds")

    monkeypatch.setattr(runner, "_checkpoint_threads", lambda grid, rid, c: checkpoint_threads)
    monkeypatch.setattr(runner, "_train_with_oom_retry", trains)
    monkeypatch.setattr(resources, "check_fits", lambda *a, **k: None)  # its memory estimate: 1 s, not what is tested
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        summary = runner.run_grid([cfg], ResultsStore(tmp_path / "r"), ("psnr",), torch.device("cpu"),
                                  progress=False)
        assert (seen, summary.failed, torch.get_num_threads()) == ([trains_on], 1, 2)
    finally:
        torch.set_num_threads(before)


@pytest.mark.gpu
def test_the_gpu_step_checks_its_gradient_without_reading_it_back():
    """The GPU step checks every iteration's gradient (test_probe_overnight12) without waiting on the host: the check
    and the divergence flag it feeds stay on the device, read every ``check_every`` iterations only (a sync per step
    would stall the step the README says is built not to wait). Needs a CUDA device."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    from benchmark.config import RunConfig, precision_for
    from benchmark.data import ImageRecord
    from benchmark.runner import TrainStep
    from benchmark.task import build_task

    dev = torch.device("cuda")
    images = [ImageRecord(f"i{i}", torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(i)))
              for i in range(2)]
    cfg = RunConfig(task="denoise", loss="l1", iterations=10, batch_size=2, crop=16, device_type="cuda",
                    precision=precision_for("cuda"))
    step = TrainStep(cfg, build_task("denoise"), images, dev)
    step(1)  # allocations, the optimiser's state
    torch.cuda.set_sync_debug_mode("error")
    try:
        step(2)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert step.check() is None


def test_the_half_batch_lines_report_command_names_the_grids_results_directory(tmp_path):
    """The summary's line for a run trained at half the batch (test_probe_overnight12) said `plbench report --where
    batch_size=N`: without `--out`, copied as it is after `plbench run --out /scratch/night`, it reported the default
    `results` directory instead of the night's. It now names the grid's directory, quoted for a shell."""
    import shlex

    from benchmark.config import RunConfig, run_id
    from benchmark.runner import halved_runs

    cfg = RunConfig(task="denoise", loss="l1", batch_size=4, train_fingerprint="x", test_fingerprint="y")
    store = ResultsStore(tmp_path / "the night")
    store.ensure_writable()
    rid = run_id(cfg)
    store.write_meta(rid, {"run_id": rid, "config": cfg.to_dict(), "status": "ok", "batch_size_used": 2})
    (line,) = halved_runs(store, [cfg])
    command = line[line.index("`") + 1:line.rindex("`")]
    assert shlex.split(command) == ["plbench", "report", "--out", str(store.root), "--where", "batch_size=2"], line

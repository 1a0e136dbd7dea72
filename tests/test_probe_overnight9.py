"""Probe of the overnight/cluster user (probe-overnight): SLURM submissions whose bookkeeping met a failing
``sacct`` or a submitit error after ``sbatch``, and the dry run's evaluation estimate. Each test failed before its
fix."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_slurm  # noqa: E402
from test_review_overnight import _fake_slurm, _queue  # noqa: E402


def test_with_accounting_down_the_queue_says_an_earlier_drivers_jobs_still_run(tmp_path, monkeypatch, caplog):
    """A driver submitted its runs (recorded to their jobs, still pending); the same command again while the
    accounting database is down (``sacct`` fails) warned 'cannot tell whether the SLURM jobs … still run' and
    submitted every run again — two jobs racing per run — though the controller (``squeue``) lists those jobs as
    pending. Now ``squeue`` answers where ``sacct`` cannot: nothing submitted twice. Jobs the controller lists as
    ended (or no longer lists) do not hold their runs: those are submitted."""
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []

    def jobs(n):
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n)
        submitted.append(ids)
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    unit = _slurm_unit(tmp_path)
    ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"]], (submitted, caplog.text)
    assert "cannot tell" not in caplog.text, caplog.text
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1000_0", "1000_1"], ledger
    # the other side: the controller says the first job ended (cancelled), the second still pends
    (tmp_path / "state" / "1000_0.state").write_text("CANCELLED by 1234")
    ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"], ["1001_0"]], submitted
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1000_1", "1001_0"], ledger


def test_a_submitit_error_after_sbatch_keeps_the_submission_for_the_next_driver(tmp_path, monkeypatch, caplog):
    """``sbatch`` queued the array, then submitit raised (its output not understood — a site's sbatch wrapper
    prints more —, or the full disk met moving the job's pickles): the driver forgot its pending submission, so the
    same command again submitted every run a second time while the first jobs ran. The submission is now settled
    with the queue (its jobs recorded, or dropped where none was queued)."""
    from submitit.core.utils import FailedSubmissionError
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []
    fail = [True]

    def jobs(n):
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n)
        submitted.append(ids)
        if fail[0]:
            raise FailedSubmissionError('Could not make sense of sbatch output "queued as 1000"')
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    unit = _slurm_unit(tmp_path)
    with pytest.raises(FailedSubmissionError):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    fail[0] = False
    ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"]], submitted
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1000_0", "1000_1"] and not ledger.get("pending"), ledger


def test_an_sbatch_that_queued_nothing_leaves_no_pending_submission(tmp_path, monkeypatch):
    """The guard beside it: ``sbatch`` refused (a bad partition), nothing queued — the next driver submits every
    run at once, with nothing left pending."""
    from submitit.core.utils import FailedJobError
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    submitted: list[list[str]] = []
    fail = [True]

    def jobs(n):
        if fail[0]:
            raise FailedJobError("sbatch: error: invalid partition specified: gpux")
        ids = _queue(tmp_path, Executor.params["name"], 1000 + len(submitted), n)
        submitted.append(ids)
        return [fake_slurm.Job(j) for j in ids]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    unit = _slurm_unit(tmp_path)
    with pytest.raises(FailedJobError):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert not json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text()).get("pending")
    fail[0] = False
    ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert submitted == [["1000_0", "1000_1"]], submitted


@pytest.mark.parametrize("executor", ["local", "slurm-run"])
def test_the_dry_runs_evaluation_is_not_timed_with_the_reference_side_already_cached(tmp_path, monkeypatch, executor):
    """The dry run timed one evaluation of a test image right after a warm-up on the same image, so every metric
    with a reference-side cache (ssim, ms_ssim, fsim, vsi, nlpd: :class:`benchmark.fastiqa.RefCache`) hit it: the
    estimate was that of a warm evaluation (Set5 + Set14, quick metrics: 16.4 s vs 24.1 s cold). A process's first
    evaluation of each image computes that side — the inputs' scoring in a local grid, every run of SLURM's one job
    per run. Here an evaluation costs 10 units per pixel of an image its metrics have not seen, 1 of one they have
    (a fake clock): the estimate must charge what the grid pays."""
    import types

    import benchmark.perf as perf
    import benchmark.runner as runner
    from benchmark.config import RunConfig
    from benchmark.fastiqa import RefCache
    from benchmark.task import build_task

    clock = [0.0]
    seen: dict[int, set] = {}

    def evaluate(net, items, metrics, device):
        refs = seen.setdefault(id(metrics), set())
        for it in items:
            key = RefCache.key(it.clean)
            clock[0] += it.clean[0, 0].numel() * (1.0 if key in refs else 10.0)
            refs.add(key)
        return []

    monkeypatch.setattr(runner, "evaluate", evaluate)
    monkeypatch.setattr(perf, "time", types.SimpleNamespace(perf_counter=lambda: clock[0], time=lambda: 1e9,
                                                        process_time=lambda: clock[0]))  # a whole core
    monkeypatch.setattr(perf, "_time_step", lambda *a, **kw: (0.0, 0.0))
    monkeypatch.setattr(perf, "_time_data", lambda *a, **kw: 0.0)
    configs = [RunConfig(task="denoise", loss="l1", seed=s, iterations=10, batch_size=2, crop=32) for s in (0, 1)]
    per_run = executor == "slurm-run"
    est = perf.estimate_grid(configs, ["psnr"], "cpu", perf.StepTimes(tmp_path / "t.json"),
                             **({"process_per_run": True} if per_run else {}))
    data = runner.DataCache()
    items = runner.held_out_items(build_task("denoise"), {s: data.images(s) for s in configs[0].test_data})
    pixels = sum(it.clean[0, 0].numel() for it in items)
    # local, one process: the inputs' scoring is the first (cold), both runs warm; one job per run: all three cold
    want = 3 * 10.0 * pixels if per_run else (10.0 + 2 * 1.0) * pixels
    assert est["eval_s"] == pytest.approx(want, rel=1e-6), (est["eval_s"], want)


def test_a_cuda_index_past_the_machines_gpus_is_one_line_before_any_work(monkeypatch, capsys, tmp_path):
    """``--device cuda:3`` on a machine with two GPUs was accepted (torch makes the device from its name) and failed
    at the first tensor moved there, 'CUDA error: invalid device ordinal', after the data were loaded and the grid
    planned. It is now the one-line device error, naming the GPUs there are (simulated: torch.cuda patched)."""
    import torch

    from benchmark.cli import main
    from benchmark.devices import resolve_device
    from benchmark.errors import UserError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    assert resolve_device("cuda:1") == torch.device("cuda:1") and resolve_device("cuda").index is None
    with pytest.raises(UserError, match=r"'cuda:2' requested but this machine has 2 GPUs visible here "
                                        r"\(cuda:0, cuda:1; CUDA_VISIBLE_DEVICES=4,5 numbers them from 0\)"):
        resolve_device("cuda:2")
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--device", "cuda:3",
                 "--no-budget-check", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --device: device 'cuda:3' requested but this machine has 2 GPUs")
    assert err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_local_workers_keep_to_the_gpu_the_device_names(monkeypatch, tmp_path):
    """``--device cuda:1 --workers 2`` (GPU 0 is a colleague's): the workers were spread over every visible GPU,
    worker 0 on GPU 0 — the index was dropped. Each worker now sees the named GPU only (as CUDA_VISIBLE_DEVICES
    numbers it); ``cuda`` alone still spreads them."""
    import tempfile

    import torch
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    (tmp_path / "tmp").mkdir()  # the grids' claim folders (never removed: _collect is stubbed) kept out of /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    seen: list[list[str]] = []
    monkeypatch.setattr(ex, "_run_processes",
                        lambda units, envs, monitor=None: seen.append([e["CUDA_VISIBLE_DEVICES"] for e in envs]) or [])
    monkeypatch.setattr(ex, "_collect", lambda *a, **kw: None)
    unit = _slurm_unit(tmp_path)
    for device in ("cuda:1", "cuda"):
        ex.execute_local(list(unit.configs), unit.store_root, unit.metrics, device, workers=2)
    assert seen == [["5", "5"], ["4", "5"]], seen


def test_ctrl_c_cancels_a_job_array_in_one_scancel_not_one_per_run(tmp_path, monkeypatch):
    """Ctrl-C of a SLURM driver waiting on one job per run: it cancelled the jobs one ``scancel`` each, waited for
    in turn — 500 controller round trips for a 500-run grid, minutes, and a second Ctrl-C meanwhile left the rest
    queued to run all night. The array is cancelled whole: one ``scancel`` naming each array once."""
    import os
    import subprocess

    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    monkeypatch.setenv("FAKE_SLURM_KILL_WAIT", "0")
    calls = tmp_path / "scancel.log"

    class Job(fake_slurm.Job):
        def done(self):
            raise KeyboardInterrupt  # the user's Ctrl-C while the driver waits

        def cancel(self, check=True):  # submitit's SlurmJob.cancel
            (subprocess.check_call if check else subprocess.call)(["scancel", self.job_id])

    def jobs(n):
        return [Job(j) for j in _queue(tmp_path, Executor.params["name"], 1000, n)]

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    real = tmp_path / "bin" / "scancel"
    (tmp_path / "bin" / "_scancel").write_bytes(real.read_bytes())
    os.chmod(tmp_path / "bin" / "_scancel", 0o755)
    real.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {tmp_path / "bin" / "_scancel"} "$@"\n')
    unit = _slurm_unit(tmp_path, seeds=(0, 1, 2))
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    assert calls.read_text().splitlines() == ["1000"], calls.read_text()
    states = {p.name: p.read_text() for p in (tmp_path / "state").glob("1000_*.state")}
    assert states == {f"1000_{i}.state": "CANCELLED" for i in range(3)}, states


def test_a_failed_submission_that_no_one_can_settle_says_it_is_kept_not_submitted_again(tmp_path, monkeypatch,
                                                                                         caplog):
    """submitit raised after ``sbatch`` while neither ``sacct`` nor ``squeue`` answered: the driver's last line before
    its error said 'cannot tell whether an earlier driver, stopped while it submitted, queued SLURM jobs …: those
    runs are submitted again' — about its own submission, and nothing was submitted again. It says the
    submission is kept for the next driver to settle."""
    from submitit.core.utils import FailedSubmissionError
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    def jobs(n):
        _queue(tmp_path, Executor.params["name"], 1000, n)
        raise FailedSubmissionError('Could not make sense of sbatch output "queued as 1000"')

    Executor = _fake_slurm(tmp_path, monkeypatch, jobs)
    monkeypatch.setenv("FAKE_SLURM_SACCT_DOWN", "1")
    monkeypatch.setenv("FAKE_SLURM_SQUEUE_DOWN", "1")
    unit = _slurm_unit(tmp_path)
    with caplog.at_level(logging.INFO, logger="benchmark.executors"), pytest.raises(FailedSubmissionError):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "earlier driver" not in warned[0] and "submitted again" not in warned[0], warned
    assert "kept" in warned[0] and "next" in warned[0], warned
    assert json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text()).get("pending")

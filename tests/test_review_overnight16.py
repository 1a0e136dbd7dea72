"""Review of the overnight16 fixes: what a reviewer found left in them."""

from __future__ import annotations

import time


def _grid_store(tmp_path):
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    since = time.time() - 60
    for i, c in enumerate(grid):
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "started": since + i,
                                     "grid_id": "g1"})
        store.write_eval(run_id(c), [], ["psnr"], {})
    return grid, store, since


def test_a_remote_job_ended_by_a_hung_rescore_is_not_said_as_0_failed_runs_retried(tmp_path, caplog):
    """6aa7810 said of a Ray task or SLURM job ended by a hang in C code '…; no run of the grid is left unfinished
    (0 failed, said below: the same command retries them)' where the hang was a finished run's re-score (or a task's
    input scoring), marked with its rows kept: no run failed, none is said below, nothing is retried as a run."""
    from benchmark.config import run_id
    from benchmark.executors import WorkUnit, _collect, _lost
    from benchmark.runner import RESCORE_STALLED

    grid, store, since = _grid_store(tmp_path)
    rid = run_id(grid[1])
    store.write_meta(rid, {**store.meta(rid), RESCORE_STALLED: {"at": since + 5, "error": "hung", "grid_id": "g1"}})
    unit = WorkUnit(configs=(grid[1],), store_root=str(store.root), metrics=("psnr",), device="cpu", since=since,
                    grid_id="g1")
    lost = _lost(unit, "job 7_1 ended without a result (state: FAILED)")
    assert lost.get("hung") and "re-score" in lost["error"], lost
    caplog.set_level("WARNING")
    summary = _collect(grid, store.root, ("psnr",), [{"trained": 1}, lost], "slurm jobs", since=since, grid_id="g1")
    assert summary.failed == 0
    text = caplog.text
    assert "0 failed" not in text and "retries them" not in text and "took over" not in text, text
    assert "every run of the grid is finished" in text, text

"""Probe of overnight and cluster runs under faults (session 13): each test failed on the code before its fix."""

from __future__ import annotations

import time

from benchmark.config import RunConfig, run_id
from benchmark.data import DataSpec
from benchmark.results import ResultsStore


def _configs(n: int = 2) -> list[RunConfig]:
    """``n`` planned ℓ1 runs (nothing read: run ids and progress need no data)."""
    data = {f"{r}_data": (DataSpec.parse("skimage:train" if r == "train" else "skimage:test", role=r),)
            for r in ("train", "test")}
    return [RunConfig(task="denoise", loss="l1", seed=s, iterations=4, **data) for s in range(n)]


def test_the_progress_lines_failed_count_goes_by_the_grid_id_after_a_clock_step(tmp_path):
    """The worker's progress line ('run k/N …: d done, f failed') told this grid's failures from an earlier command's
    by time alone, while the summary and the retries go by the grid's id (d7e2e4f): after the clock was stepped back
    during the night (NTP, a VM resumed), a run failed by this grid read '0 failed' and counted as still to do (its
    ETA too). The grid's id decides where the run's record has one."""
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path / "r")
    configs = _configs()
    rid = run_id(configs[0])
    store.write_meta(rid, {"run_id": rid, "config": configs[0].to_dict(), "status": "failed", "error": "boom",
                           "started": time.time(), "grid_id": "abc123"})
    ahead = time.time() + 3600  # the driver read its clock an hour before the clock was stepped back
    st = GridProgress(store, configs, since=ahead, grid_id="abc123").status()
    assert (st["failed"], sum(st["todo"].values())) == (1, 1)
    # an earlier command's failure (another grid's id) is still a run this grid has to do, whatever the clock says
    st = GridProgress(store, configs, since=time.time() - 3600, grid_id="other").status()
    assert (st["failed"], sum(st["todo"].values())) == (0, 2)

"""Probe of the overnight drivers (session 26): the SLURM driver's reads of its jobs' states, …"""
from __future__ import annotations

from test_probe_drivers25 import _slurm_jobs


def test_the_slurm_driver_s_sacct_read_stands_where_submitit_s_private_cache_is_gone(tmp_path, monkeypatch):
    """_sacct_states wrote its read into submitit's private ``watcher._info_dict`` inside the same ``try`` as the read:
    a submitit that renames or drops that attribute made every read return ``{}`` (said at debug level only), so the
    stopped driver's count fell back on the stale cache and the poll never saw a job killed without a result. The
    read's states are returned whatever becomes of the cache."""
    import benchmark.executors as ex

    submitit, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["OUT_OF_MEMORY", "RUNNING"])
    del submitit.SlurmJob.watcher._info_dict  # a submitit whose watcher keeps its cache otherwise
    states = ex._sacct_states(jobs)
    assert {k: v.split(" ")[0] for k, v in states.items()} == {"1000_0": "OUT_OF_MEMORY", "1000_1": "RUNNING"}

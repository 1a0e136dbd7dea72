"""Mends of the exec review, 2026-12-06 (8c6d9f3..HEAD): repeated work and duplicated helpers."""

from __future__ import annotations


def _quota_of_two_cores(tmp_path, monkeypatch):
    """A fake cgroup v2 tree as tests/test_review_cost17.py builds it: 16 cores' affinity, a pod allowed 2."""
    import os

    from benchmark import devices

    (tmp_path / "cgroup").write_text("0::/kubepods/pod1\n")
    pod = tmp_path / "fs" / "kubepods" / "pod1"
    pod.mkdir(parents=True)
    (pod / "cpu.max").write_text("200000 100000\n")
    (tmp_path / "fs" / "cpu.max").write_text("max 100000\n")
    monkeypatch.setattr(devices, "PROC_CGROUP", str(tmp_path / "cgroup"))
    monkeypatch.setattr(devices, "CGROUP_ROOT", str(tmp_path / "fs"))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))


def test_local_workers_split_the_cores_of_the_cpu_quota_not_of_the_affinity(tmp_path, monkeypatch):
    """Was: ``executors._cores`` counted the CPU affinity alone, so under ``docker --cpus 2`` on 16 cores two local
    workers trained on 8 threads each (16 threads on 2 cores) and the dry run counted 16 slots. Now it is
    :func:`benchmark.devices.usable_cores`, whole, at least 1."""
    from benchmark import executors

    _quota_of_two_cores(tmp_path, monkeypatch)
    assert executors._cores() == 2
    assert executors.worker_threads(2) == 1 and executors.worker_threads(1) == 2
    assert executors.worker_threads(2, threads=4) == 4  # given threads stay as given
    (tmp_path / "fs" / "kubepods" / "pod1" / "cpu.max").write_text("50000 100000\n")  # half a core: still one
    assert executors._cores() == 1

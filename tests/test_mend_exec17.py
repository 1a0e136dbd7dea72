"""Mends of the exec review, 2026-12-06 (8c6d9f3..HEAD): repeated work and duplicated helpers."""

from __future__ import annotations

import pytest

import benchmark.results  # noqa: F401 - at collection: no test pays for its first import


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


def test_run_ids_copies_and_strays_list_runs_once_each_and_stat_no_plain_folder(tmp_path, monkeypatch):
    """Was: ``run_ids``, ``copies`` and ``strays`` each listed ``runs/`` twice (``links``' scandir, then ``iterdir``
    and an ``is_dir`` stat per entry): ``check`` lists it four times, 10⁴ folders 46 ms against 4–7 ms, worse on
    NFS. Now each lists it once (:meth:`ResultsStore._entries`: the types from the listing, links alone resolved)."""
    import os
    from pathlib import Path

    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "out")
    a, b = "0123456789abcdef", "fedcba9876543210"
    for name in (a, b, f"{a}.bak", "notes"):
        (store.runs / name).mkdir(parents=True)
    (store.runs / a / "meta.json").write_text("{}")
    (store.runs / "notes" / "todo.txt").write_text("")
    elsewhere = tmp_path / "other" / "runs" / "2222222222222222"
    elsewhere.mkdir(parents=True)
    (store.runs / "1111111111111111").symlink_to(elsewhere)  # a link to another store's run: none
    (store.runs / "readme.txt").write_text("")

    listed, stats = [], []
    scandir, iterdir, is_dir = os.scandir, Path.iterdir, Path.is_dir
    monkeypatch.setattr(os, "scandir", lambda p=".": listed.append(Path(p)) or scandir(p))
    monkeypatch.setattr(Path, "iterdir", lambda self: listed.append(self) or iterdir(self))
    monkeypatch.setattr(Path, "is_dir", lambda self, **kw: stats.append(self) or is_dir(self, **kw))
    assert store.run_ids() == [a, b]
    assert store.copies() == [f"{a}.bak"]
    assert store.strays() == ["notes"]
    assert listed.count(store.runs) == 3  # once each
    assert not [p for p in stats if p.parent == store.runs and not p.is_symlink()]  # no stat of a plain folder
    assert ResultsStore(tmp_path / "none").run_ids() == [] == ResultsStore(tmp_path / "none").strays()


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("threads", [None, NAN, 0, INF, 4])
@pytest.mark.parametrize("cores", [None, NAN, INF, 0.5, 0, 2])
def test_busy_judges_the_share_per_thread_that_had_a_core(monkeypatch, threads, cores):
    """``devices.busy``'s divisor, pinned before its guards of None and NaN were simplified: no thread count (None, a
    table's NaN, 0) is one thread; a quota of cores that is finite and above 0 caps the threads; None, NaN, inf or 0
    cores cap nothing."""
    from benchmark.devices import busy

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    n = 1.0 if threads is None or threads != threads or threads < 1 else threads
    if cores is not None and 0 < cores < INF:
        n = min(n, cores)
    if n == INF:  # every finite share is under half a core per thread
        assert busy(1e9, threads, cores) is True
    else:
        assert busy(0.5 * n * 0.99, threads, cores) is True and busy(0.5 * n * 1.01, threads, cores) is False
    assert busy(None, threads, cores) is False and busy(NAN, threads, cores) is False


def test_busy_reads_no_number_as_no_judgement():
    from benchmark.devices import busy

    assert busy(0.1, "x") is False and busy(0.1, 1, "x") is False and busy("x", 1) is False


def test_the_peak_of_resident_memory_is_read_from_one_parse_of_proc_status(tmp_path, monkeypatch):
    """``peak_rss_mb`` and ``reset_peak_rss`` each parsed ``/proc/self/status`` line by line in their own loop; now
    both read it through ``resources._status_kb``, once a call."""
    from pathlib import Path

    from benchmark import resources

    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmHWM:\t  204800 kB\nVmRSS:\t  204000 kB\n")
    (tmp_path / "clear_refs").write_text("")
    monkeypatch.setattr(resources, "PROC_STATUS", status)
    monkeypatch.setattr(resources, "PROC_CLEAR_REFS", tmp_path / "clear_refs")
    reads = []
    read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self) or read_text(self, *a, **k))
    assert resources.peak_rss_mb() == 200.0 and resources.reset_peak_rss() is True
    assert reads.count(status) == 2
    status.write_text("VmHWM:\t  x kB\n")  # unparsable: the process's peak from getrusage
    assert resources.peak_rss_mb() > 0 and resources.reset_peak_rss() is False


def test_merge_says_how_a_run_was_trained_apart_without_reading_its_records_again(tmp_path, capsys, monkeypatch):
    """Was: ``plbench merge`` called ``trained_apart(dst.meta(…), src.meta(…))`` for its line, re-reading both
    meta.json of the run that ``merge_from`` had just compared. Now ``merge_from`` keeps each one's line
    (``trained_apart_why``, as ``in_the_way_why``) and the line is that: no meta read after the merge."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import write_store

    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    there = write_store(tmp_path / "there", offsets={"l1": 0.0}, **kw)
    rid = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    atomic_write_json(here.run_dir(rid) / "meta.json", {**here.meta(rid), "status": "diverged", "diverged_at": 7})

    after, merged = [], []
    meta, merge_from = ResultsStore.meta, ResultsStore.merge_from

    def counted(self, run_id, *a, **k):
        if merged:
            after.append((self.root, run_id))
        return meta(self, run_id, *a, **k)

    def merging(self, src):
        got = merge_from(self, src)
        merged.append(got)
        return got

    monkeypatch.setattr(ResultsStore, "meta", counted)
    monkeypatch.setattr(ResultsStore, "merge_from", merging)
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    assert merged[0]["trained_apart"] == [rid] and merged[0]["trained_apart_why"] == ["diverged here, finished there"]
    assert f"1 of those trained apart there (runs/{rid}: diverged here, finished there — " in capsys.readouterr().out
    assert not [r for r in after if r[1] == rid], after


#: file_name's names before device_safe was shared (taken on the code before the mend): none may change
_NAMES_TODAY = {"con": "con-1143da2b", "aux": "aux-321f6814", "nul": "nul-99e62427", "prn": "prn-5abeeca4",
                "com1": "com1-957a49c3", "lpt9": "lpt9-06f4d3cd", "aux.v2": "aux_v2-ada28d45",
                "nul.x.y": "nul_x.y-e6aca09b", "l1.": "l1.-7e3ef012", "AUX": "AUX-1898ed91",
                "Aux.V2": "Aux_V2-9feed9ad", "auxiliary": "auxiliary", "com10": "com10", "aux_": "aux-0ed5ccf1",
                "aux-3": "aux-3-8e41abe9", "l1": "l1"}


def test_one_rule_makes_a_windows_device_name_a_file_name(tmp_path):
    """Was: compare's ``_keep_aside`` imported the private ``results._WINDOWS_DEVICE`` and applied the device rule its
    own way (``aux.v2.md`` kept as ``aux.v2_.edited.md``: a device still), beside ``file_name``'s. Now both call
    ``results.device_safe``; file_name's names and ``aux_.edited.md`` as before."""
    from benchmark.compare import _keep_aside
    from benchmark.report import task_file_name
    from benchmark.results import device_safe, file_name

    assert {n: file_name(n, "loss") for n in _NAMES_TODAY} == _NAMES_TODAY
    assert task_file_name("aux.v2") == "aux_v2_ada28d45" and task_file_name("aux") == "aux_321f6814"
    assert [device_safe(s) for s in ("aux", "AUX", "aux.v2", "nul.x.y", "L1", "auxiliary", "com10")] == \
        ["aux_", "AUX_", "aux_v2", "nul_x.y", "L1", "auxiliary", "com10"]
    for stem in ("aux", "aux.v2", "L1"):
        (tmp_path / f"{stem}.md").write_text("mine")
        _keep_aside(tmp_path / f"{stem}.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["L1.edited.md", "aux_.edited.md", "aux_v2.edited.md"]

"""Review of the session-15 store fixes: a run's lock read as held or free (:meth:`RunLock.held_for`) on every file
system, grids named before and after UTC, files of names alike but for case, a damaged ``store.json``."""
from __future__ import annotations

import shutil
import threading

import benchmark.results as results
from benchmark.results import RunLock


def _copy_of_held(tmp_path):
    """A lock this process holds and a byte-for-byte copy of it (``cp -a`` of a store mid-grid): (lock, copy)."""
    (tmp_path / "r").mkdir()
    lock = RunLock.acquire(tmp_path / "r" / ".lock")
    assert isinstance(lock, RunLock)
    shutil.copytree(tmp_path / "r", tmp_path / "copy")
    return lock, tmp_path / "copy" / ".lock"


def test_a_live_lock_is_held_on_a_file_system_whose_locks_proc_locks_does_not_list(tmp_path, monkeypatch):
    """A FUSE mount with flock (GlusterFS, JuiceFS, ceph-fuse, virtiofs) hands its locks to its server: none is in
    ``/proc/locks``. A live worker's run read as free there is named for retraining and its temporary files removed."""
    lock, _ = _copy_of_held(tmp_path)
    try:
        monkeypatch.setattr(results, "_locked_inodes", lambda: set())
        assert RunLock.held_for(lock.path) is not None
    finally:
        lock.release()


def test_a_copied_lock_is_free_where_proc_locks_cannot_be_read(tmp_path, monkeypatch):
    """Without ``/proc/locks`` (not readable, a hardened /proc) the copy of a held lock still holds nothing: its
    holder has the original open, not the copy."""
    lock, copy = _copy_of_held(tmp_path)
    try:
        monkeypatch.setattr(results, "_locked_inodes", lambda: None)
        assert RunLock.held_for(copy) is None
        assert RunLock.held_for(lock.path) is not None
    finally:
        lock.release()


def test_a_lock_of_another_thread_of_this_process_is_held(tmp_path):
    """``api.run`` in-process, a thread of this process holding a run's lock: held, the copy not."""
    got, done = [], threading.Event()

    def hold():
        got.append(RunLock.acquire(tmp_path / "r" / ".lock"))
        done.wait(5)
        got[0].release()

    t = threading.Thread(target=hold)
    t.start()
    try:
        while not got:
            t.join(0.01)
        assert isinstance(got[0], RunLock)
        assert RunLock.held_for(tmp_path / "r" / ".lock") is not None
        shutil.copytree(tmp_path / "r", tmp_path / "copy")
        assert RunLock.held_for(tmp_path / "copy" / ".lock") is None
    finally:
        done.set()
        t.join()
    assert RunLock.held_for(tmp_path / "r" / ".lock") is None  # released: the file is gone


def test_another_users_holder_falls_back_on_proc_locks_then_on_its_pid(tmp_path, monkeypatch):
    """Where the holder's open files cannot be listed (another user's process): ``/proc/locks`` decides where it can
    be read; where it cannot either, a live pid on this host holds it (never a live worker's run read as free)."""
    lock, copy = _copy_of_held(tmp_path)
    try:
        monkeypatch.setattr(results, "_has_open", lambda pid, st: None)
        assert RunLock.held_for(lock.path) is not None
        assert RunLock.held_for(copy) is None
        monkeypatch.setattr(results, "_locked_inodes", lambda: None)
        assert RunLock.held_for(copy) is not None
    finally:
        lock.release()


def test_a_lock_held_on_another_host_counts_as_in_flight(tmp_path):
    """A worker on another node of a shared (NFS) store: its process cannot be checked from here, its run is in
    flight (never retrained or cleaned from here on the say of this host's tables)."""
    import benchmark.synthetic  # noqa: F401
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    (store.run_dir(rid) / "meta.json").unlink()
    (store.run_dir(rid) / ".lock").write_text("pid 1 on some-other-node-xyz since 2026-12-06T15:00:00Z")
    assert rid in store.in_flight()


def test_a_store_json_without_its_version_is_called_damaged_not_another_version(tmp_path):
    """``store.json`` emptied or edited (``{}``, a version that is no number) was 'written by an incompatible
    version (store_version None …)': no plbench writes that; the line says what is wrong and how to mend it."""
    import pytest

    from benchmark.errors import UserError
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    for text, said in (("{}", "has no store_version"), ('{"store_version": "2"}', "has store_version '2', not a")):
        (store.root / "store.json").write_text(text)
        with pytest.raises(UserError) as e:
            ResultsStore(store.root).check_version()
        msg = str(e.value)
        assert said in msg and "incompatible" not in msg and "\n" not in msg
        assert 'write {"store_version": 2} into store.json' in msg


def test_a_grid_named_in_local_time_before_utc_names_sorts_by_when_it_ran(tmp_path, monkeypatch):
    """A store's grids of the days around the change: ``20261206-180000.yaml`` (Tokyo's 18:00, 09:00 UTC) then
    ``20261206-100000Z.yaml`` (an hour later). Read as digits the older name sorted last, and the report's title took
    its profile; it is read in this machine's local time, its likeliest writer."""
    import time

    from benchmark.report import grid_profile
    from benchmark.results import grid_order

    g = tmp_path / "grids"
    g.mkdir()
    setting = {"net": "tiny", "iterations": 10, "batch_size": 2, "crop": 32}
    body = "net: tiny\niterations: 10\nbatch_size: 2\ncrop: 32\nprofile: {}\n"
    (g / "20261206-180000.yaml").write_text(body.format("quick"))
    (g / "20261206-100000Z.yaml").write_text(body.format("standard"))
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert grid_profile(tmp_path, setting) == "standard"
        assert grid_order(g / "20261206-180000-2.yaml") == ("20261206-090000", 2)
        assert grid_order(g / "20261399-990000.yaml") == ("20261399-990000", 1)  # no date: as it is
    finally:
        monkeypatch.undo()  # TZ as it was
        time.tzset()


def test_task_figures_of_tasks_named_alike_but_for_case_are_apart_on_a_case_insensitive_disk(tmp_path, monkeypatch):
    """A plugin's task ``SR4`` beside ``sr4``: ``figures/metrics_SR4.png`` and ``metrics_sr4.png`` (``visual_*``
    too) were one file on macOS or Windows, each report's figure over the other's. A name that is not lower-case
    ends in its hash, as ``compare/`` names a spec; never in ``-<digits>`` (a numbered part's name)."""
    import re
    from types import SimpleNamespace

    import pandas as pd

    from benchmark import figures as F
    from benchmark import report

    bases = []
    for name in ("rank_heatmap", "cd_diagram", "pd_plane", "training_curves"):
        monkeypatch.setattr(F, name, lambda *a, **k: [])
    monkeypatch.setattr(F, "stats_styles", lambda *a: {})
    monkeypatch.setattr(F, "lost_labels", lambda *a: set())
    monkeypatch.setattr(F, "prune_figures", lambda *a: [])
    monkeypatch.setattr(F, "metric_points", lambda stats, t, base, *a, **k: bases.append(base.name) or [])
    monkeypatch.setattr(F, "visual_grid", lambda store, t, base, *a, **k: bases.append(base.name) or [])
    stats = SimpleNamespace(cells=pd.DataFrame({"task": ["sr4", "SR4", "Sr4", "dé"]}))
    report.make_figures(stats, None, [], tmp_path, formats=("png",))
    assert len(bases) == 8 and len({b.casefold() for b in bases}) == 8, bases
    assert "metrics_sr4" in bases and "visual_sr4" in bases  # a lower-case name as it was
    assert all(b.isascii() and not re.search(r"-[0-9]+$", b) for b in bases)


def test_a_run_another_node_trains_is_neither_named_for_retraining_nor_cleaned_by_check(tmp_path, capsys):
    """A worker on another node of a shared (NFS) store: its run has evaluation passes, no meta.json yet, and its
    lock names that node. ``check`` named it 'interrupted … the next plbench run retrains it' (exit 1), the board
    'left out: interrupted', and ``check --repair`` removed its temporary files — all on the say of this host's
    process table, which cannot see that node's. It is in flight (as the board's note says); check names the lock
    and how to clear it if stale."""
    import os
    import time

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    d = store.run_dir(rid)
    (d / "meta.json").unlink()
    assert rid in store.unrecorded()  # no lock: interrupted, named
    (d / ".lock").write_text("pid 4242 on some-other-node-xyz since 2026-12-06T15:00:00Z")
    tmp = d / ".net.pt.tmp-1"
    tmp.write_bytes(b"x")
    os.utime(tmp, (time.time() - 7200, time.time() - 7200))
    assert rid not in store.unrecorded() and rid not in store.unrecorded_files()
    assert tmp not in store.leftover_temp_files()
    main(["check", "--out", str(store.root)])
    out = capsys.readouterr().out
    assert "retrains it" not in out and f"run {rid} is not finished: " in out and "another machine" in out
    assert tmp.exists()


def test_the_holders_file_is_found_by_its_inode_through_another_mount(tmp_path):
    """One file reached by two mounts (an NFS export mounted twice, overlayfs, a btrfs subvolume) has one inode and
    two device numbers: the holder opened it through one, a report stats it through the other — still held, as
    ``/proc/locks`` (device-blind) says; a copy (another inode) is not."""
    import os

    lock, copy = _copy_of_held(tmp_path)
    try:
        st = os.stat(lock.path)
        other_mount = os.stat_result((st.st_mode, st.st_ino, st.st_dev + 1, *tuple(st)[3:]))
        assert results._has_open(os.getpid(), other_mount) is True
        assert results._has_open(os.getpid(), os.stat(copy)) is False
    finally:
        lock.release()


def test_compare_figures_of_tasks_named_alike_but_for_case_are_apart():
    """``compare/<spec>_<task>_pd_plane`` of a plugin's task ``Denoise`` beside ``denoise``: one file on a
    case-insensitive disk, the second task's plane over the first's, both shown in ``compare/<spec>.md``."""
    import re

    from benchmark.compare import pd_plane_name

    names = [pd_plane_name(new, t) for new in (["mine"], ["Mine"]) for t in ("denoise", "Denoise", "DENOISE")]
    assert len({n.casefold() for n in names}) == 6, names
    assert pd_plane_name(["mine"], "denoise") == "mine_denoise_pd_plane"  # lower-case names as they were
    assert not any(re.search(r"-[0-9]+$", n) for n in names)

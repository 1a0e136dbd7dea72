"""Mends of repeated work and duplicated helpers (session 20, mstore): the claim file of a warning said once per
machine and grid built in one place; a curve's tail read, not the whole file; the mount table read once per device;
one decision of whether a run resumes from its checkpoint."""
from __future__ import annotations

from tests.test_review_cost20 import _saved  # torch imported at collection, not in the test


def test_said_first_here_and_said_here_share_one_claim_file(tmp_path, monkeypatch):
    """said_first_here and said_here each built the claim file's name (sha256 of the line, 32 hex digits): one
    _said_file now, which both use — a claim made by one is the file the other looks for."""
    import tempfile

    from benchmark import results as R

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    calls = []
    real = R._said_file
    monkeypatch.setattr(R, "_said_file", lambda g, line: calls.append((g, line)) or real(g, line))
    assert not R.said_here("g1", "a line")
    assert R.said_first_here("g1", "a line")
    assert R.said_here("g1", "a line") and not R.said_here("g1", "another") and not R.said_here("g2", "a line")
    assert not R.said_first_here("g1", "a line")
    assert calls[:2] == [("g1", "a line"), ("g1", "a line")]
    assert real("g1", "a line").parent == tmp_path / "plbench-said-g1" and len(real("g1", "a line").name) == 32


def test_trained_s_reads_the_curves_tail_not_the_whole_file(tmp_path, monkeypatch):
    """_trained_s ran at every poll for each run in flight or stopped with a checkpoint, reading its whole curve.csv
    (3.2 MB at 100k iterations): it reads the last CURVE_TAIL bytes now, the row the tail cuts left out, with the
    same seconds as before (rows ending in \\r\\n, as csv writes them)."""
    import builtins
    import time

    import pytest

    from benchmark import progress as P

    curve = tmp_path / "curve.csv"
    rows = "".join(f"{i},{i * 0.2:.3f},0.1,0.001\r\n" for i in range(1, 20001))
    curve.write_bytes(("iteration,seconds,loss,lr\r\n" + rows + "20001,40").encode())
    read = []

    class Counted:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.f.close()

        def seek(self, *a):
            return self.f.seek(*a)

        def read(self, *a):
            data = self.f.read(*a)
            read.append(len(data))
            return data

    monkeypatch.setattr(P, "open", lambda *a, **k: Counted(builtins.open(*a, **k)), raising=False)
    monkeypatch.setattr(type(curve), "read_text", lambda *a, **k: pytest.fail("the whole curve read"))
    assert P._trained_s(curve, time.time() - 60) == pytest.approx(4000.0)
    assert sum(read) <= P.CURVE_TAIL < curve.stat().st_size
    curve.write_bytes(b"iteration,seconds,loss,lr\r\n1,0.200,0.1,0.001\r\n")  # shorter than the tail: header left out
    assert P._trained_s(curve, time.time() - 60) == pytest.approx(0.2)
    curve.write_bytes(b"iteration,seconds,loss,lr\r\n")
    assert P._trained_s(curve, time.time() - 60) == 0.0


def test_copied_lock_reads_the_mount_table_once_per_device_not_per_poll(tmp_path, monkeypatch):
    """copied_lock read and parsed /proc/self/mounts and resolved the lock's path at every poll for every lock held
    elsewhere (inodes_per_client), on exactly the SMB/FUSE mounts it was added for: decided once per device number
    now (and MOUNTS_RECHECK_S), the same answer; a table patched in is read afresh."""
    from benchmark import results as R

    reads = []

    def table():
        reads.append(1)
        return f"//srv/share {tmp_path} cifs rw,relatime,vers=3.1.1,noserverino,actimeo=1 0 0\n"

    monkeypatch.setattr(R, "_mount_table", table)
    monkeypatch.setattr(R, "_PER_CLIENT_DEVS", {})
    locks = []
    for name in ("a", "b"):
        lock = tmp_path / name / ".lock"
        lock.parent.mkdir()
        lock.write_text("x")
        lock.write_text(f"pid 4242 on elsewhere-node since 2026-01-01T00:00:00Z, inode {lock.stat().st_ino + 1}")
        locks.append(lock)
    for _ in range(5):  # polls
        assert not any(R.copied_lock(lock, lock.read_text()) for lock in locks), "noserverino: held, not a copy"
    assert len(reads) == 1
    now = R.time.monotonic()
    monkeypatch.setattr(R.time, "monotonic", lambda: now + R.MOUNTS_RECHECK_S)
    assert not R.copied_lock(locks[0], locks[0].read_text()) and len(reads) == 2
    monkeypatch.setattr(R, "_mount_table", lambda: "")  # a local disk: the inode tells a copy
    assert R.copied_lock(locks[0], locks[0].read_text())


def test_a_stale_checkpoint_is_not_taken_off_the_eta_and_each_is_peeked_once(tmp_path, monkeypatch):
    """The run resuming from its checkpoint was decided two ways: the ETA took any ckpt.pt (progress), the dry run and
    the run the one they read (cli._resumed: checkpoints on, the config's fingerprint and code version). A stale or
    foreign ckpt.pt, or any under --no-checkpoint, took off the ETA training the run does again → both ask
    checkpoint.resumes_at, GridProgress once per version of the file (st_mtime_ns), not at every poll."""
    import os

    from benchmark import checkpoint
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig, code_version, run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    def cfg(seed):
        return RunConfig(task="denoise", loss="pdl", seed=seed, train_fingerprint="x", test_fingerprint="y")

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, stopped = cfg(0), cfg(1)
    store.write_meta(run_id(done), {"run_id": run_id(done), "status": "ok", "config": done.to_dict(), "wall_s": 200.0})
    folder = store.run_dir(run_id(stopped))
    folder.mkdir(parents=True)
    (folder / "curve.csv").write_text("iteration,seconds,loss,lr\n100,90.0,0.1,0.001\n200,180.0,0.1,0.001\n")
    peeks = []
    real = checkpoint.resumes_at
    monkeypatch.setattr(checkpoint, "resumes_at", lambda *a: peeks.append(a[1]) or real(*a))
    _saved(folder / "ckpt.pt", 200, {"config": done.to_dict(), "code_version": code_version()})  # another run's
    p = GridProgress(store, [done, stopped])
    assert p.eta()[0] == 200.0 and p.eta()[0] == 200.0  # trained again in full
    assert peeks == [run_id(stopped)], "peeked once over two polls"
    _saved(folder / "ckpt.pt", 200, {"config": stopped.to_dict(), "code_version": code_version()})
    st = (folder / "ckpt.pt").stat()
    os.utime(folder / "ckpt.pt", ns=(st.st_atime_ns, st.st_mtime_ns + 1000))  # a new version of the file
    assert p.eta()[0] == 20.0 and p.eta()[0] == 20.0 and len(peeks) == 2
    assert GridProgress(store, [done, stopped], policy=CheckpointPolicy(every=0, seconds=0)).eta()[0] == 200.0, \
        "--no-checkpoint: the run reads no checkpoint"

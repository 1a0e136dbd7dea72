"""Probe of the results store and overnight runs (store7): results already computed are never lost or mixed.
Each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_probe_overnight import _slurm_unit  # one WorkUnit of two tiny runs, shared with the overnight tests

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_check_does_not_import_torch(tmp_path):
    """``plbench check`` reads JSON and parquet footers only, yet it imported torch (≈1.6-3 s of its start-up,
    more where CUDA loads): results → config → data imported torch at module level. ``benchmark.data`` now
    imports torch on first use; check, in a fresh interpreter, leaves it out of ``sys.modules``."""
    store = _small(tmp_path / "r")
    code = ("import sys, json\nfrom benchmark.cli import main\nrc = main(['check', '--out', sys.argv[1]])\n"
            "print(json.dumps({'rc': rc, 'torch': 'torch' in sys.modules}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-c", code, str(store.root)], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got == {"rc": 0, "torch": False}, p.stdout + p.stderr




def test_a_second_slurm_driver_does_not_submit_runs_queued_by_the_first(tmp_path, monkeypatch, caplog):
    """Two ``plbench run --executor slurm`` on one ``--out``, the second while the first one's jobs are still queued
    (no meta.json yet): the second submitted every run again, two jobs per run racing on it and an allocation
    wasted each. The store now records which job each run went to (``.slurm-jobs.json``); a run whose job
    ``sacct`` (SLURM faked on PATH) says is pending or running is not submitted again, in one log line; once that
    job is cancelled, its run is submitted again."""
    import logging

    import submitit

    import benchmark.executors as ex

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    for k, v in fake_slurm.install(tmp_path / "bin", tmp_path / "state").items():
        monkeypatch.setenv(k, v)
    submitted: list[list[str]] = []

    def jobs(n):
        base = 1000 + len(submitted)
        ids = [f"{base}_{i}" for i in range(n)]
        submitted.append(ids)
        for j in ids:  # as sbatch: queued
            (tmp_path / "state" / f"{j}.state").write_text("PENDING")
        return [fake_slurm.Job(j) for j in ids]

    monkeypatch.setattr(submitit, "AutoExecutor", fake_slurm.executor(jobs))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    unit = _slurm_unit(tmp_path)
    run = lambda: ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")  # noqa: E731
    run()
    assert submitted == [["1000_0", "1000_1"]]
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        summary = run()  # the second driver, the first one's jobs still queued
    assert submitted == [["1000_0", "1000_1"]], f"runs submitted twice: {submitted}"
    said = [r.getMessage() for r in caplog.records if "not submitted again" in r.getMessage()]
    assert len(said) == 1 and "2 runs" in said[0] and "1000" in said[0], said
    assert summary.locked == 2, summary  # left to the other driver's jobs, not "already done"
    (tmp_path / "state" / "1000_1.state").write_text("CANCELLED by 1234")
    (tmp_path / "state" / "1000_0.state").write_text("RUNNING")
    run()
    assert submitted == [["1000_0", "1000_1"], ["1001_0"]], submitted
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == ["1000_0", "1001_0"], ledger


def test_merge_keeps_the_failed_attempts_of_a_run_finished_there(tmp_path):
    """A run that failed once on a node and then finished there has its failure under ``attempts/`` (the retry's
    ``archive_attempt``). ``merge`` copied the finished run without its ``attempts/``: the merged store lost the
    record of the failure (a failed run merged keeps its attempts, a finished one did not). The source's
    attempts are now copied (after this store's own, when it replaces a failed attempt here), and a merge run
    again copies none twice."""
    from benchmark.results import atomic_write_json

    src = _small(tmp_path / "node2")
    rid = next(r for r in src.run_ids() if not r.startswith("input"))
    atomic_write_json(src.run_dir(rid) / "attempts" / "0.json", {"run_id": rid, "status": "failed", "error": "OOM"})
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    assert rid in dst.merge_from(src)["copied"]
    assert dst.attempts(rid) == src.attempts(rid) == [{"run_id": rid, "status": "failed", "error": "OOM"}]
    dst.merge_from(src)
    assert dst.attempts(rid) == src.attempts(rid)
    # replacing a run that failed here: this store's failure, then the source's
    other = ResultsStore(tmp_path / "node3")
    other.ensure_writable()
    atomic_write_json(other.run_dir(rid) / "meta.json", {**src.meta(rid), "status": "failed", "error": "here"})
    assert rid in other.merge_from(src)["replaced"]
    assert [a["error"] for a in other.attempts(rid)] == ["here", "OOM"]
    assert other.check() == {} and other.is_done(rid)


def _rename_fails(monkeypatch, into: str, after: int, errno_=None, back_fails: bool = True):
    """``os.replace`` into a folder named ``into`` fails (ENOSPC) after ``after`` renames there succeeded; with
    ``back_fails`` every rename after that fails too (EROFS: the store went read-only), the put-back included."""
    import errno

    real, done, broken = os.replace, [0], [False]

    def replace(src, dst, *a, **k):
        if broken[0] and back_fails:
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(src), None, os.fspath(dst))
        if into in os.fspath(dst).split(os.sep)[:-1]:
            if done[0] >= after:
                broken[0] = True
                raise OSError(errno_ or errno.ENOSPC, "No space left on device", os.fspath(src), None, os.fspath(dst))
            done[0] += 1
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)


def test_set_aside_whose_put_back_fails_says_where_each_file_is(tmp_path, monkeypatch, capsys):
    """``check --repair`` moving a run's files into ``damaged/<n>/``: a full disk on the second file puts the first
    back — and when that put-back failed too (the store gone read-only) the error still said "nothing half-written
    was left", the moved file silently in ``damaged/0/``. The one line now names each file not put back, where it
    is and where it belongs."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    d = store.run_dir(rid)
    (d / "eval-0.json").write_text("{not json")  # damage: check --repair sets the run aside
    _rename_fails(monkeypatch, "0", after=1)
    code = main(["check", "--out", str(store.root), "--repair"])
    monkeypatch.undo()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    stuck = sorted(p.name for p in (d / "damaged" / "0").iterdir())
    assert code == 3 and len(err) == 1 and stuck, (code, err, stuck)
    assert "not put back" in err[0] and "nothing half-written" not in err[0], err[0]
    for name in stuck:
        assert str(d / "damaged" / "0" / name) in err[0], (name, err[0])
    assert f"move {'it' if len(stuck) == 1 else 'them'} back into {d}" in err[0], err[0]


def test_merge_whose_record_put_back_fails_says_where_it_is(tmp_path, monkeypatch, capsys):
    """``merge`` replacing a run that failed here moves its record, then its curve.csv, into ``attempts/``; a full
    disk on the curve puts the record back, and when that failed too the error said nothing of it: the run had no
    ``meta.json`` (its record in ``attempts/0.json``). The one line now says where the record is and where it
    belongs."""
    from benchmark.cli import main
    from benchmark.results import atomic_write_json

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = next(r for r in node1.run_ids() if not r.startswith("input"))
    d = node1.run_dir(rid)
    for p in d.glob("eval-*"):
        p.unlink()
    atomic_write_json(d / "meta.json", {**node1.meta(rid), "status": "failed", "error": "OOM here"})
    (d / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
    _rename_fails(monkeypatch, "attempts", after=1)
    code = main(["merge", str(node2.root), "--out", str(node1.root)])
    monkeypatch.undo()
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 3 and len(err) == 1, err
    assert not (d / "meta.json").exists() and (d / "attempts" / "0.json").is_file()
    assert "not put back" in err[0] and str(d / "attempts" / "0.json") in err[0] and str(d / "meta.json") in err[0], \
        err[0]


def _held_from_another_host(path: Path):
    """A lock at ``path`` held (flock) while its file names a process on another machine, as a worker on another
    node of a shared (NFS) store leaves it: the RunLock to release."""
    from benchmark.results import RunLock

    lock = RunLock.acquire(path)
    assert not isinstance(lock, str)
    os.ftruncate(lock._fd, 0)
    os.pwrite(lock._fd, b"pid 4242 on node-gone-17 since 03:12:09", 0)
    return lock


@pytest.mark.parametrize("what", ["report", "merge-read"])
def test_a_lock_held_from_another_host_says_who_and_how_to_clear_it(tmp_path, monkeypatch, lock_hint, what):
    """A store shared by nodes (NFS): a lock held by a process on another machine cannot be checked for liveness
    from here (pid and host only), and a lock of a crashed node can stay held on the file server. A report waited
    for it for ever after one "waiting" line, as did a worker waiting on a merge's read of its run. After a while
    of waiting (``LOCK_HINT_S``) one warning now names the host and pid holding it and how to clear a stale one
    (remove the lock file); a holder on this machine (checked alive) gets no such line."""
    import benchmark.results as results
    from benchmark.results import MERGE_READ

    monkeypatch.setattr(results, "LOCK_HINT_S", 0.3, raising=False)
    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    path = store.root / ".report.lock" if what == "report" else store.run_dir(rid) / ".lock"
    held = _held_from_another_host(path)
    if what == "merge-read":
        held.mark(MERGE_READ)

    def wait_for_it():
        if what == "report":
            with store.report_lock(poll_s=0.05):
                pass
        else:
            store.lock(rid, poll_s=0.05).release()

    hints = lock_hint(wait_for_it, held, "benchmark.results")
    assert len(hints) == 1, hints
    assert "pid 4242" in hints[0] and "node-gone-17" in hints[0] and f"remove {path}" in hints[0], hints[0]


def test_a_run_locked_from_another_host_says_who_and_how_to_clear_it(tmp_path, random_images, caplog):
    """A grid on a shared store whose run is locked by a process on another machine leaves the run to it ("left 1
    to another process"); when that machine crashed, every rerun left it undone, saying only "held by pid … on
    node…". The grid's last try now warns once with the host, pid and how to clear the lock if it is stale."""
    import logging

    import torch

    from benchmark.config import RunConfig, run_id
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    (cfg,) = resolve_all([RunConfig(task="denoise", loss="l1", iterations=2, batch_size=2, crop=32, train_data=data,
                                    test_data=(data,))])
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    path = store.run_dir(run_id(cfg)) / ".lock"
    held = _held_from_another_host(path)
    try:
        with caplog.at_level(logging.INFO, logger="benchmark.runner"):
            s = run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, logger="none")
    finally:
        held.release()
    assert s.locked == 1
    hints = [r.getMessage() for r in caplog.records
             if r.levelno == logging.WARNING and "node-gone-17" in r.getMessage()]
    assert len(hints) == 1 and "pid 4242" in hints[0] and f"remove {path}" in hints[0], hints



def test_a_requeued_slurm_job_on_a_node_whose_clock_is_behind_counts_its_run_as_trained(tmp_path, monkeypatch):
    """A SLURM job trains a run, is requeued (time-out, preemption) and its last attempt finds the run done: the
    first attempt's summary is in no result, so the driver counts from the store the runs "this grid" finished —
    by comparing each run's ``started`` (the node's clock) with the grid's start (the driver's clock). On a node
    whose clock is a minute behind the driver's, the run this grid trained was counted as "skipped (already
    done)". Runs and passes written by a grid's jobs now carry the grid's id, which the count goes by."""
    import time

    import submitit

    import benchmark.executors as ex

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import fake_slurm

    unit0 = _slurm_unit(tmp_path, seeds=(0,))
    real_time = time.time

    class Job:
        job_id = "2000_0"

        def __init__(self, unit):
            self.unit = unit

        def done(self):
            return True

        def result(self):
            with monkeypatch.context() as m:  # the first attempt, on a node whose clock is 60 s behind
                m.setattr(time, "time", lambda: real_time() - 60)
                ex.run_unit(self.unit)  # trains the run; then requeued: its summary is lost
            return {"summary": ex.run_unit(self.unit), "requeued": True}  # the last attempt: already done

    class Executor(fake_slurm.executor(lambda n: [])):
        def map_array(self, fn, units):
            return [Job(u) for u in units]

    monkeypatch.setattr(submitit, "AutoExecutor", Executor)
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    summary = ex.execute_slurm(list(unit0.configs), unit0.store_root, unit0.metrics, "cpu", split="run",
                               logger="none")
    assert (summary.trained, summary.skipped) == (1, 0), summary



def test_a_pass_killed_before_its_meta_json_and_redone_identically_leaves_no_damaged_copy(tmp_path, random_images,
                                                                                        monkeypatch, caplog):
    """SIGKILL (OOM killer, power cut) between a run's committed evaluation pass and its meta.json — which no
    deferred stop holds back — left the pass without a record, and the run's checkpoint (dropped only after the
    record): the retry moved the pass to ``damaged/0/`` (a warning) and computed the same rows again. The store
    then held a ``damaged/`` copy identical to the run's pass, which the fault-injection fuzz found after such
    kills and a user takes for damage. After an attempt stopped so (its checkpoint left), a set-aside pass the
    retry wrote again byte for byte is removed, in one line, as is the degraded input's scoring redone the same;
    one that differs stays aside (as do the rows of a finished run whose meta.json was lost:
    ``test_probe_store6``)."""
    import hashlib
    import io
    import logging

    import pandas as pd
    import torch

    import benchmark.runner as runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import RunConfig, run_id
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    cfgs = resolve_all([RunConfig(task="denoise", loss=loss, iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,)) for loss in ("l1", "l2")])
    store = ResultsStore(tmp_path / "r")
    cpu, every = torch.device("cpu"), CheckpointPolicy(every=1, seconds=0)
    with monkeypatch.context() as m:  # killed after the pass and before meta.json: its checkpoint is still there
        m.setattr(runner, "_drop_checkpoints", lambda *a, **k: None)
        run_grid(cfgs, store, ("psnr",), cpu, progress=False, logger="none", checkpoint=every)
    first = store.table()
    same, other = (store.run_dir(run_id(c)) for c in cfgs)
    for d in (same, other):
        assert list(d.glob("ckpt*.pt"))
        (d / "meta.json").unlink()
    inputs = next(store.run_dir(r) for r in store.run_ids() if r.startswith("input"))
    (inputs / "meta.json").unlink()  # the degraded input's scoring, killed so: scored again, the same
    rows = pd.read_parquet(other / "eval-0.parquet")
    rows["value"] = rows["value"] + 1.0  # an earlier attempt's different numbers: kept aside
    buf = io.BytesIO()
    rows.to_parquet(buf, index=False)
    (other / "eval-0.parquet").write_bytes(buf.getvalue())
    rec = json.loads((other / "eval-0.json").read_text())
    (other / "eval-0.json").write_text(json.dumps({**rec, "sha256": hashlib.sha256(buf.getvalue()).hexdigest()}))
    with caplog.at_level(logging.INFO):
        s = run_grid(cfgs, store, ("psnr",), cpu, progress=False, logger="none", checkpoint=every)
    assert s.trained == 2
    assert not (same / "damaged").exists() and not (inputs / "damaged").exists(), \
        sorted(str(p) for p in store.runs.rglob("damaged/*"))
    assert sorted(p.name for p in (other / "damaged" / "0").iterdir()) == ["eval-0.json", "eval-0.parquet"]
    said = [r.getMessage() for r in caplog.records if "byte for byte" in r.getMessage()]
    assert len(said) == 2 and run_id(cfgs[0]) in said[1] and inputs.name in said[0], said
    key = ["run_id", "dataset", "image", "metric"]
    assert store.table().sort_values(key).reset_index(drop=True)[key + ["value"]].equals(
        first.sort_values(key).reset_index(drop=True)[key + ["value"]])


# --------------------------------------------------------------------------------------------
# fault-injection fuzz: SIGKILL at random moments, resumed until done, equals an uninterrupted run
# --------------------------------------------------------------------------------------------
FUZZ_GRID = ["run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0", "1", "--iterations", "6",
             "--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--device", "cpu", "--no-progress",
             "--no-budget-check", "--no-report", "--checkpoint-every", "2", "--checkpoint-seconds", "0",
             "--logger", "none", "-q"]
#: meta.json fields that measure time (or say a run was resumed), not what was computed
VOLATILE_META = {"eval_s", "it_per_s", "ms_per_it", "ms_per_it_wall", "started", "train_s", "wall_s",
                 "timing_excluded", "cpu_share", "cpu_runnable_share", "resumed_at", "threads_before_resume",
                 "peak_mem_mb", "peak_rss_mb",
                 "peak_rss_of",
                 "state_stat",  # the saved nets' [size, modification time]: a time of writing
                 "grid_id"}  # the id of the command that trained or scored it (progress and retries go by it)


def _forked_run(args: list[str], crash: str | None = None, kill_after: float | None = None) -> int:
    """``plbench run`` in a forked child (torch already imported: no interpreter start-up), SIGKILLed at the crash
    point ``crash`` (:mod:`benchmark.faults`) or ``kill_after`` seconds after it started; its wait status as
    ``subprocess`` gives it (``-9``: killed)."""
    import signal
    import time

    import pyiqa  # noqa: F401 - imported here, once: not again in every child (checking names no longer imports it)
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            os.environ.pop("PLBENCH_CRASH_AT", None)
            if crash:
                os.environ["PLBENCH_CRASH_AT"] = crash
            from benchmark.cli import main

            code = main(args)
        finally:
            os._exit(code)
    done, status = 0, 0
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline and not done:
            done, status = os.waitpid(pid, os.WNOHANG)
            time.sleep(0.02)
        if not done:
            os.kill(pid, signal.SIGKILL)
    if not done:
        _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _store_state(out: Path) -> dict:
    """What a finished store holds: its table's rows, each run's meta.json less :data:`VOLATILE_META`, each pass
    record less its write time and the command's grid id, each run's files (TensorBoard's aside), and its temporary
    files or checkpoints."""
    store = ResultsStore(out)
    table = store.table().sort_values(["run_id", "dataset", "image", "metric"]).reset_index(drop=True)
    return {"rows": table.to_dict("records"),
            "metas": {m["run_id"]: {k: v for k, v in m.items() if k not in VOLATILE_META} for m in store.metas()},
            "records": {r: [{k: v for k, v in e.items() if k not in ("written", "grid_id")}
                            for e in store.eval_records(r)] for r in store.run_ids()},
            "files": {r: sorted(str(p.relative_to(store.run_dir(r))) for p in store.run_dir(r).rglob("*"))
                      for r in store.run_ids()},
            # runs/ only: a temporary file a kill leaves in grids/ is left to `check --repair` once an hour old (it
            # cannot tell a killed write from another command's write in flight)
            "leftovers": sorted(str(p) for p in (out / "runs").rglob("*")
                                if ".tmp" in p.name or p.name.startswith("ckpt")),
            "check": store.check()}


def _killed_until_done(out: Path, args: list[str], kills: list[tuple[str, object]]) -> list[str]:
    """Run ``args`` into ``out`` once per kill (``("timed", seconds)`` or ``(crash kind, n)``), then until it
    exits 0; what each attempt came to."""
    seen = []
    for kind, at in kills:
        rc = _forked_run([*args, "--out", str(out)], kill_after=at) if kind == "timed" else \
            _forked_run([*args, "--out", str(out)], crash=f"{kind}:{at}")
        seen.append(f"{kind}:{at}→{rc}")
        assert rc in (0, -9), seen
        if rc == 0:
            return seen
    for _ in range(3):
        rc = _forked_run([*args, "--out", str(out)])
        seen.append(f"resume→{rc}")
        if rc == 0:
            return seen
    raise AssertionError(f"the grid never finished: {seen}")


@pytest.fixture(scope="module")
def fuzz_args(tmp_path_factory) -> list[str]:
    """The fuzz grid on tiny random images (4 to train on, 64 px; 3 held out, 48 px)."""
    import numpy as np
    from PIL import Image

    d = tmp_path_factory.mktemp("fuzzdata")
    rng = np.random.default_rng(0)
    for name, n, side in (("photos", 4, 64), ("heldout", 3, 48)):
        (d / name).mkdir()
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(d / name / f"{name}{i}.png")
    return [*FUZZ_GRID, "--train-data", str(d / "photos"), "--test-data", str(d / "heldout")]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, fuzz_args):
    """The fuzz grid's store from one uninterrupted run (forked as the killed ones are); its state."""
    out = tmp_path_factory.mktemp("ref") / "r"
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert _forked_run([*fuzz_args, "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(before)
    return _store_state(out)


def _assert_same_store(out: Path, ref: dict, seen) -> None:
    got = _store_state(out)
    assert got["check"] == {} and got["leftovers"] == [], (seen, got["check"], got["leftovers"])
    for key in ("rows", "metas", "records", "files"):
        assert got[key] == ref[key], (key, seen)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_grid_killed_mid_write_then_resumed_equals_an_uninterrupted_one(tmp_path, uninterrupted, fuzz_args):
    """One fixed kill point: SIGKILL just after the 5th file rename (a pass, a record or a meta.json of the
    2 × 2 grid in flight), then the same command: the store equals an uninterrupted run's (rows, meta.json,
    pass records, files) and ``check`` finds nothing."""
    seen = _killed_until_done(tmp_path / "r", fuzz_args, [("written", 5)])
    assert seen[0] == "written:5→-9", seen
    _assert_same_store(tmp_path / "r", uninterrupted, seen)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
@pytest.mark.parametrize("seed", range(12))
def test_a_grid_killed_at_random_moments_then_resumed_equals_an_uninterrupted_one(tmp_path, uninterrupted, fuzz_args,
                                                                                   seed):
    """Fault-injection fuzz: eight SIGKILLs at seeded random moments — exact crash points in training, evaluation
    and file writes (:mod:`benchmark.faults`) and after random delays — the same command after each, until it
    finishes: the store equals an uninterrupted run's (rows, meta.json, pass records, files) and ``check`` finds
    nothing. (Run with 40 seeds while probing: a kill between a pass and its meta.json left an identical copy in
    ``damaged/``, now removed by the retry.)"""
    import random

    rng = random.Random(seed)
    draw = {"iteration": lambda: rng.randint(1, 24), "image": lambda: rng.randint(1, 12),
            "write": lambda: rng.randint(1, 14), "written": lambda: rng.randint(1, 14),
            "timed": lambda: round(rng.uniform(0.5, 6.0), 2)}
    kills = [(kind, draw[kind]()) for kind in (rng.choice(sorted(draw)) for _ in range(8))]
    seen = _killed_until_done(tmp_path / "r", fuzz_args, kills)
    _assert_same_store(tmp_path / "r", uninterrupted, seen)

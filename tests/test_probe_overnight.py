"""Probe of overnight runs on a cluster and big stores: interrupted merges, SLURM drivers killed mid-submission,
files that grow for ever. Each test failed before its fix."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def _failed_with_attempts(src: ResultsStore) -> str:
    """Turn one trained run of ``src`` into a failed one with an earlier failed attempt and its curve."""
    from benchmark.results import atomic_write_json

    rid = next(r for r in src.run_ids() if not r.startswith("input"))
    d = src.run_dir(rid)
    meta = src.meta(rid)
    for p in d.glob("eval-*"):
        p.unlink()
    atomic_write_json(d / "meta.json", {**meta, "status": "failed", "error": "NaN at 3"})
    (d / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.7,0.001\n2,0.2,nan,0.001\n")
    atomic_write_json(d / "attempts" / "0.json", {**meta, "status": "failed", "error": "OOM"})
    (d / "attempts" / "0.curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
    return rid


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize("killed_after", [1, 2, 3])
def test_a_merge_of_a_failed_run_killed_mid_copy_is_finished_by_the_next_merge(tmp_path, monkeypatch, killed_after):
    """``merge`` copies a failed run's record file by file (``attempts/<n>.curve.csv``, ``attempts/<n>.json``,
    ``curve.csv``, ``meta.json`` last). Killed (Ctrl-C, SIGKILL) after any but the last, the next merge took the
    half-copied files for this store's own record of the run and left it ``unfinished`` for ever: the failure was
    never recorded here (the report did not count it, ``plbench run`` retrained it as new), and a later attempt
    here got the source's orphan ``attempts/0.curve.csv`` filed beside its own record. Files that are byte copies
    of the source's are a killed merge's, not this store's: the next merge finishes the copy."""
    import benchmark.results as results

    src = _small(tmp_path / "node2")
    rid = _failed_with_attempts(src)
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    real, done = results.atomic_write_bytes, [0]

    def killed(path, data):
        if done[0] >= killed_after:
            raise KeyboardInterrupt
        done[0] += 1
        return real(path, data)

    monkeypatch.setattr(results, "atomic_write_bytes", killed)
    with pytest.raises(KeyboardInterrupt):
        dst.merge_from(src)
    monkeypatch.undo()
    assert dst.meta(rid) is None  # killed before the record
    out = dst.merge_from(src)
    assert rid in out["failed"], out
    assert _files(dst.run_dir(rid)) == _files(src.run_dir(rid))
    assert dst.merge_from(src)["unfinished"] == [rid]  # once recorded, its own: never copied over


def test_a_retry_here_never_files_its_record_beside_another_attempts_curve(tmp_path):
    """An ``attempts/<n>.curve.csv`` without its ``<n>.json`` (a merge killed between the two) took the number the
    next failed attempt here was filed under: ``archive_attempt`` counted only the records, so this store's own
    failure got the other node's curve beside it. A number whose curve is taken is now skipped."""
    from benchmark.results import atomic_write_json

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    d = store.run_dir(rid)
    orphan = b"iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n"
    (d / "attempts").mkdir()
    (d / "attempts" / "0.curve.csv").write_bytes(orphan)
    atomic_write_json(d / "meta.json", {**store.meta(rid), "status": "failed", "error": "here"})
    archived = store.archive_attempt(rid)
    assert archived is not None
    assert not archived.with_suffix(".curve.csv").exists(), f"{archived.name} filed beside a curve not its own"
    assert (d / "attempts" / "0.curve.csv").read_bytes() == orphan
    assert [a["error"] for a in store.attempts(rid)] == ["here"]


def test_steptimes_json_forgets_times_no_dry_run_used_for_long(tmp_path, monkeypatch):
    """``steptimes.json`` keys every time by the harness's code version, so each upgrade (every commit of a
    checkout) measured anew and kept the old times for ever: the file only grew, and each dry run read and
    rewrote all of it. Times no dry run used for :data:`~benchmark.perf.STEPTIMES_KEEP_DAYS` are now dropped when
    it is saved, and it keeps at most :data:`~benchmark.perf.STEPTIMES_MAX` times, the most recently used."""
    import os
    import time

    import benchmark.perf as perf

    path = tmp_path / "steptimes.json"
    path.write_text(json.dumps({f"cpu:old|{i}": 0.1 for i in range(50)}))  # the old flat format, from old code
    old = time.time() - (perf.STEPTIMES_KEEP_DAYS + 1) * 86400
    os.utime(path, (old, old))
    times = perf.StepTimes(path)
    assert times.get("cpu:old|3", lambda: 9.0) == 0.1  # still read
    assert times.get("cpu:new|a", lambda: 0.2) == 0.2
    times.save()
    assert set(perf.StepTimes(path).data) == {"cpu:old|3", "cpu:new|a"}  # used now: kept; the rest: stale
    monkeypatch.setattr(perf, "STEPTIMES_MAX", 3)
    for i in range(5):
        t = perf.StepTimes(path)
        t.get(f"cpu:new|{i}", lambda: 0.3)
        t.save()
    kept = set(perf.StepTimes(path).data)
    assert len(kept) == 3 and "cpu:new|4" in kept, kept


def _slurm_unit(tmp_path, seeds=(0, 1)):
    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=seeds, iterations=2,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = tuple(build_configs(spec)[0])
    return ex.WorkUnit(configs, str(tmp_path / "r"), ("psnr",), "cpu",
                       checkpoint=CheckpointPolicy(every=1, seconds=0), logger="none")


@pytest.mark.parametrize("then", ["queued", "cancelled", "never_submitted"])
def test_a_slurm_driver_killed_between_sbatch_and_its_record_does_not_make_the_next_submit_twice(
        tmp_path, monkeypatch, caplog, then):
    """A driver killed (Ctrl-C, its login session closed, SIGKILL) after ``sbatch`` but before it wrote
    ``.slurm-jobs.json`` left its jobs queued and unrecorded: the next driver on the same ``--out`` submitted every
    one of their runs again, two jobs racing on each. A driver now records its runs (and a job name unique to the
    submission) before ``sbatch``; the next driver finds that submission's jobs by name with ``sacct`` (SLURM faked
    on PATH): still queued, their runs are not submitted again; cancelled, or never submitted (killed before
    ``sbatch``, its record older than the accounting lag), they are."""
    import logging

    import fake_slurm
    import submitit

    import benchmark.executors as ex

    for k, v in fake_slurm.install(tmp_path / "bin", tmp_path / "state").items():
        monkeypatch.setenv(k, v)
    submitted: list[list[str]] = []
    killed = [True]

    def jobs(n):
        if killed[0] and then == "never_submitted":
            raise KeyboardInterrupt  # before sbatch
        base = 1000 + len(submitted)
        ids = [f"{base}_{i}" for i in range(n)]
        submitted.append(ids)
        (tmp_path / "state" / f"{base}.name").write_text(Executor.params["name"])  # as sbatch --job-name
        for j in ids:
            (tmp_path / "state" / f"{j}.state").write_text("PENDING")
        if killed[0]:
            raise KeyboardInterrupt  # after sbatch, before the driver recorded the jobs
        return [fake_slurm.Job(j) for j in ids]

    Executor = fake_slurm.executor(jobs)
    monkeypatch.setattr(submitit, "AutoExecutor", Executor)
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    if then == "never_submitted":
        monkeypatch.setattr(ex, "SLURM_ACCOUNTING_LAG_S", 0.0)
    unit = _slurm_unit(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    killed[0] = False
    if then == "cancelled":
        for i in (0, 1):
            (tmp_path / "state" / f"1000_{i}.state").write_text("CANCELLED by 1234")
    with caplog.at_level(logging.INFO, logger="benchmark.executors"):
        ex.execute_slurm(list(unit.configs), unit.store_root, unit.metrics, "cpu", split="run")
    first = [] if then == "never_submitted" else [["1000_0", "1000_1"]]
    again = [] if then == "queued" else [[f"{1000 + len(first)}_0", f"{1000 + len(first)}_1"]]
    assert submitted == first + again, submitted
    ledger = json.loads((Path(unit.store_root) / ".slurm-jobs.json").read_text())
    assert sorted(ledger["runs"].values()) == (first + again)[-1], ledger
    assert not ledger.get("pending"), ledger


def _units(n: int, split: str) -> list:
    import benchmark.executors as ex
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=tuple(range(n)), iterations=2,
                    crop=32, batch_size=2, device="cpu", metrics=("psnr",), budget_check=False)
    configs = list(build_configs(spec)[0])
    units = ex._units(configs, 2, split, "/nowhere", ("psnr",), "cpu", None, (), "none", 1)
    assert sum(len(u.configs) for u in units) == n
    return units


def test_split_run_units_do_not_each_carry_the_whole_grid():
    """``--split run`` (one SLURM job or Ray task per run) gave every unit the whole grid (``WorkUnit.grid``, for
    its progress lines): N units × N configs, pickled by submitit into one file per job — 27 MB for 500 runs, four
    times as much for twice the runs (about 40 GB at 20,000). A unit of one run now carries its own run only (the
    driver shows the grid's progress); a shard unit still counts the whole grid."""
    import pickle

    def unit_bytes(n: int) -> int:
        return max(len(pickle.dumps(u)) for u in _units(n, "run"))

    small, large = unit_bytes(10), unit_bytes(40)
    assert large < 1.2 * small, (small, large)  # one run's unit: the same size whatever the grid
    assert all(len(u.grid) <= 1 for u in _units(8, "run"))
    assert all(len(u.grid) == 8 for u in _units(8, "shard"))


def test_two_merges_into_one_store_wait_for_each_others_copy_of_a_run(tmp_path, monkeypatch):
    """Two ``merge``s into one store at once (two nodes' stores, the same runs in both): a run the first one was
    copying — a few milliseconds under its lock — the second called "held by a running process here (not copied:
    merge again later)": where the first copied a failed record and the second held the finished run, the store
    kept the failure until the user merged again. A merge now waits for another merge's copy of a run (as a worker
    does), then keeps or replaces it as usual."""
    import benchmark.results as results
    from benchmark.results import MERGE_WRITE, RunLock

    src = _small(tmp_path / "node2")
    rid = next(r for r in src.run_ids() if not r.startswith("input"))
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    other = RunLock.acquire(dst.run_dir(rid) / ".lock")  # another merge, copying this run here
    assert not isinstance(other, str)
    other.mark(MERGE_WRITE)
    waited = []

    def sleep(s):  # the other merge's copy is done while this one waits
        waited.append(s)
        other.release()

    monkeypatch.setattr(results.time, "sleep", sleep)
    out = dst.merge_from(src)
    assert waited and rid in out["copied"] and not out["held"], out
    assert dst.is_done(rid) and dst.check() == {}


def _curve_metas(n_losses: int, seeds=(0, 1), points: int = 20) -> list[dict]:
    import math

    return [{"run_id": f"{loss}-{s}", "status": "ok",
             "config": {"task": "denoise", "loss": f"loss{loss:02d}", "seed": s},
             "loss_curve": [[i * 10, 1.0 / (1 + i) + 0.01 * loss + 0.001 * s + 0.01 * math.sin(i)]
                            for i in range(points)]}
            for loss in range(n_losses) for s in seeds]


def test_training_curves_read_each_tasks_labels_once_whatever_the_number_of_losses(monkeypatch):
    """``report`` on a store of 5,000 runs (100 losses × 50 seeds) spent 266 of its 484 s in the training-curves
    figure, 149 s of it in one line: the set of a task's labels was rebuilt from its rows (every point of every
    curve) once per loss, losses × points (25 million reads of an arrow string column). Each panel now reads its
    labels once: the number of reads of the label column no longer grows with the losses."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from benchmark.figures import draw_training_curves

    reads = [0]
    real = pd.Series.__iter__

    def counting(self):
        if self.name == "label":
            reads[0] += 1
        return real(self)

    monkeypatch.setattr(pd.Series, "__iter__", counting)

    def reads_for(n_losses: int) -> int:
        import matplotlib.pyplot as plt

        reads[0] = 0
        fig = draw_training_curves(_curve_metas(n_losses))
        assert fig is not None
        plt.close("all")
        return reads[0]

    few, many = reads_for(3), reads_for(12)
    assert many == few, (few, many)


def test_a_run_merged_from_a_partial_copy_gets_its_net_from_the_full_store(tmp_path):
    """rsync copies a run's files in name order — ``eval-*``, ``meta.json``, then ``net.pt`` — so a copy stopped
    (or merged) mid-run holds finished-looking runs without their net. ``merge`` from it copied such a run, and a
    later ``merge`` of the complete store said "already here": the merged store never got the net (``plbench run
    --metrics …`` cannot re-score the run). A run kept here whose record is byte for byte the source's (the same
    training) now gets the source's net and loss state when it lacks them; a run trained apart keeps its own."""
    import shutil

    src = _small(tmp_path / "node2")
    rids = [r for r in src.run_ids() if not r.startswith("input")]
    for rid in rids:
        (src.run_dir(rid) / "net.pt").write_bytes(b"net of " + rid.encode())
    partial = tmp_path / "copy"
    shutil.copytree(src.root, partial)
    for rid in rids:
        (partial / "runs" / rid / "net.pt").unlink()  # rsync stopped before each run's net
    apart = rids[0]  # another training of the same run id here: its own record, no net
    dst = ResultsStore(tmp_path / "node1")
    dst.ensure_writable()
    assert set(rids) <= set(dst.merge_from(ResultsStore(partial))["copied"])
    meta = dst.meta(apart)
    from benchmark.results import atomic_write_json

    atomic_write_json(dst.run_dir(apart) / "meta.json", {**meta, "wall_s": (meta.get("wall_s") or 1.0) + 1.0})
    out = dst.merge_from(src)
    assert set(rids) <= set(out["kept"]), out
    for rid in rids[1:]:
        assert (dst.run_dir(rid) / "net.pt").read_bytes() == b"net of " + rid.encode(), rid
    assert not (dst.run_dir(apart) / "net.pt").exists()
    assert dst.check() == {}

"""A stop between a pass and its run's record; a full disk while setting files aside. Each test failed
before its fix."""

from __future__ import annotations

import errno
import logging
import os
import signal

import pytest
import torch
from test_probe_store6 import _a_run, _small, _tiny_grid

from benchmark.results import DeferredInterrupt, DiskFull, ResultsStore

pytestmark = pytest.mark.usefixtures("one_thread")


# --------------------------------------------------------------------------------------------
# nested DeferredInterrupt blocks: the outermost delivers the stop
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_an_inner_block_hands_its_stop_to_the_outer_block(sigint_as_in_a_terminal, sig):
    """A stop that came inside an inner block (one atomic write) was raised when that block closed, while the
    outer one (the pass and its run's record) was still open: the rest of the outer block never ran. The
    inner block now hands the stop to the outer one, which raises it when it closes."""
    steps = []
    with pytest.raises(KeyboardInterrupt), DeferredInterrupt() as outer:
        with DeferredInterrupt() as inner:
            os.kill(os.getpid(), getattr(signal, sig))
            assert inner.requested
        steps.append("rest of the outer block")
        assert outer.requested
    assert steps == ["rest of the outer block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_after_a_handed_on_stop_still_stops_at_once(sigint_as_in_a_terminal):
    """The first Ctrl-C, handed on by an inner block, is still the first: a second one in the outer block, or
    in a later inner block of it, stops at once."""
    steps = []
    with pytest.raises(KeyboardInterrupt), DeferredInterrupt():
        with DeferredInterrupt():
            os.kill(os.getpid(), signal.SIGINT)
        steps.append("handed on")
        with DeferredInterrupt():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("not reached")
    assert steps == ["handed on"]
    steps.clear()
    with pytest.raises(KeyboardInterrupt), DeferredInterrupt():
        with DeferredInterrupt():
            os.kill(os.getpid(), signal.SIGINT)
        steps.append("handed on")
        os.kill(os.getpid(), signal.SIGINT)
        steps.append("not reached")
    assert steps == ["handed on"]


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")
def test_usr2_during_a_write_inside_training_still_checkpoints_then_requeues(monkeypatch):
    """USR2 (SLURM time-out or preemption ahead) while a training block is writing (an inner block: its
    checkpoint): the write's block handed nothing on and raised as it closed, so the training block's step
    ended there. Now the training block sees the stop, finishes (saves its checkpoint) and the job is
    requeued after it."""
    import benchmark.executors as ex

    events = []

    def submitit_handler(signum, frame):
        events.append("requeue")
        raise SystemExit(-1)

    def training(unit):
        try:
            with DeferredInterrupt() as stop:
                with DeferredInterrupt():  # a write inside the step
                    os.kill(os.getpid(), signal.SIGUSR2)
                    for _ in range(100):  # the signal is delivered between bytecodes
                        pass
                events.append(("checkpoint saved", stop.requested))
        except KeyboardInterrupt:
            return {"interrupted": True, "worker": "r0", "pid": os.getpid()}
        return {"summary": {}}

    monkeypatch.setattr(ex, "_worker_main", training)
    previous = signal.signal(signal.SIGUSR2, submitit_handler)
    try:
        with pytest.raises(SystemExit):
            ex.RequeueableUnit()(object())
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert events == [("checkpoint saved", True), "requeue"]


# --------------------------------------------------------------------------------------------
# a stop while a pass is written: the pass and meta.json both, then the stop
# --------------------------------------------------------------------------------------------
def _stop_during_a_pass(monkeypatch, sig: int, nth_pass: int, nth_write: int):
    """Send ``sig`` to this process at the ``nth_write``-th atomic write (0: the rows, 1: their record) of the
    ``nth_pass``-th evaluation pass the grid writes, once its data is in the temporary file."""
    import benchmark.results as results

    real_write_eval = results.ResultsStore.write_eval
    state = {"pass": -1, "write": -1}

    def write_eval(self, *a, **k):
        state["pass"] += 1
        state["write"] = -1
        return real_write_eval(self, *a, **k)

    def crash_point(kind):
        if kind == "write" and state["pass"] == nth_pass:
            state["write"] += 1
            if state["write"] == nth_write:
                os.kill(os.getpid(), sig)

    monkeypatch.setattr(results.ResultsStore, "write_eval", write_eval)
    monkeypatch.setattr(results, "crash_point", crash_point)


@pytest.mark.parametrize("nth_write", [0, 1], ids=["rows", "record"])
@pytest.mark.parametrize("nth_pass", [0, 1], ids=["input", "trained"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_stop_while_a_pass_is_written_records_the_run_first(tmp_path, random_images, monkeypatch, caplog,
                                                              sigint_as_in_a_terminal, sig, nth_pass, nth_write):
    """Ctrl-C or SIGTERM while a run's evaluation pass was written: the pass committed, the stop came before
    the run's meta.json, and the retry moved the complete pass to ``runs/<id>/damaged/0/`` with a warning
    that its record was lost (or, stopped between the rows and their record, the rows were deleted): clutter
    that hides real damage, and the run trained again. The stop is now held back until the pass and the
    run's meta.json are both written; the next run of the grid finds the run done."""
    from benchmark.runner import run_grid

    grid = _tiny_grid(random_images)
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    _stop_during_a_pass(monkeypatch, getattr(signal, sig), nth_pass, nth_write)
    with pytest.raises(KeyboardInterrupt):
        run_grid(grid, store, ("psnr",), cpu, progress=False)
    monkeypatch.undo()
    passes = sorted(p.parent.name for p in store.runs.glob("*/eval-*.json"))
    assert len(passes) == nth_pass + 1, passes
    assert all(store.is_done(rid) for rid in passes), [(rid, store.meta(rid)) for rid in passes]
    caplog.clear()  # the stop's own line
    with caplog.at_level(logging.INFO):
        s = run_grid(grid, store, ("psnr",), cpu, progress=False)
    assert (s.trained, s.skipped) == ((0, 1) if nth_pass == 1 else (1, 0)), s
    assert not list(store.runs.glob("*/damaged")), sorted(map(str, store.runs.glob("*/damaged/*/*")))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert store.check() == {}


# --------------------------------------------------------------------------------------------
# a full disk while files are set aside
# --------------------------------------------------------------------------------------------
def _full_on_rename_into(monkeypatch, folder: str, after: int = 0):
    """``os.replace`` into a ``folder`` folder fails with ENOSPC after ``after`` renames there succeeded."""
    real = os.replace
    done = [0]

    def replace(src, dst, *a, **k):
        if folder in os.fspath(dst).split(os.sep)[:-1]:
            if done[0] >= after:
                raise OSError(errno.ENOSPC, "No space left on device", os.fspath(src), None, os.fspath(dst))
            done[0] += 1
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("after", [0, 1], ids=["first-file", "second-file"])
def test_a_full_disk_while_setting_a_run_aside_is_one_line(tmp_path, capsys, monkeypatch, after):
    """``set_aside`` (``check --repair``, a retry's ``reset_run``, a merge) renames a run's files into
    ``damaged/<n>/``: a rename that met a full disk (a new directory block) was a bare OSError ("internal
    error", exit 1), its files split between the run and ``damaged/``. It is now the one disk-full line (exit
    code 3), and what was moved goes back: the run is as it was, and the same command after freeing space
    repairs it."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = _a_run(store)
    d = store.run_dir(rid)
    (d / "meta.json").write_text("{")  # damaged: --repair sets its files aside
    before = sorted(p.name for p in d.iterdir())
    _full_on_rename_into(monkeypatch, "damaged", after)
    code = main(["check", "--out", str(store.root), "--repair"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1 and lines[0].startswith("error: disk full while writing "), err
    assert sorted(p.name for p in d.iterdir()) == before
    monkeypatch.undo()
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not any(d.glob("eval-*")) and sorted(p.name for p in (d / "damaged" / "0").iterdir()) == before


def test_a_full_disk_while_a_failed_attempt_is_archived_is_one_line(tmp_path, monkeypatch):
    """``archive_attempt`` renames a failed attempt's meta.json into ``attempts/``: ENOSPC there was a bare
    OSError too. It is now :class:`DiskFull`, the record left where it was."""
    from benchmark.results import atomic_write_json

    store = _small(tmp_path / "r")
    rid = _a_run(store)
    d = store.run_dir(rid)
    atomic_write_json(d / "meta.json", {**store.meta(rid), "status": "failed", "error": "boom"})
    _full_on_rename_into(monkeypatch, "attempts")
    with pytest.raises(DiskFull, match=r"^disk full while writing .*attempts"):
        store.archive_attempt(rid)
    monkeypatch.undo()
    assert store.meta(rid)["status"] == "failed" and not any((d / "attempts").glob("*.json"))


def test_a_full_disk_while_merge_files_a_failed_attempts_curve_is_one_line(tmp_path, capsys, monkeypatch):
    """``merge`` replacing a run that failed here moves its record and then its ``curve.csv`` into ``attempts/``:
    ENOSPC on the curve's rename was a bare OSError ("internal error"), the record already moved. It is now the
    one disk-full line (exit 3) with the record put back, and the same merge after freeing space files both
    under ``attempts/`` and sets nothing aside."""
    import json

    from benchmark.cli import main
    from benchmark.results import atomic_write_json

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node1)
    d = node1.run_dir(rid)
    for p in d.glob("eval-*"):
        p.unlink()
    atomic_write_json(d / "meta.json", {**node1.meta(rid), "status": "failed", "error": "OOM here"})
    (d / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
    before = sorted(p.name for p in d.iterdir())
    _full_on_rename_into(monkeypatch, "attempts", after=1)  # the record's rename fits, the curve's does not
    code = main(["merge", str(node2.root), "--out", str(node1.root)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1 and lines[0].startswith("error: disk full while writing "), err
    assert node1.meta(rid)["error"] == "OOM here" and sorted(p.name for p in d.iterdir() if p.name != "attempts") \
        == [n for n in before if n != "attempts"]
    monkeypatch.undo()
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    assert not (d / "damaged").exists() and ResultsStore(node1.root).is_done(rid)
    assert json.loads((d / "attempts" / "0.json").read_text())["error"] == "OOM here"
    assert (d / "attempts" / "0.curve.csv").read_text().endswith("1,0.1,0.5,0.001\n")

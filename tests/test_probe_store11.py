"""Probe of the results store's integrity under faults (probe-store, eleventh pass). Each test failed before its fix."""

from __future__ import annotations

import logging

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


@pytest.mark.parametrize("when", ["unrecorded", "check_state"])
def test_check_names_a_run_folder_moved_while_it_reads_and_does_not_crash(tmp_path, monkeypatch, capsys, caplog, when):
    """``plbench check`` listed the run folders, then read each: one moved away meanwhile (a user's ``mv`` of a
    run to retrain it, another process) ended the check with 'internal error: FileNotFoundError'. The moved
    folder is named in one warning, left out of the summary, and the check exits 1 (check again)."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    real = getattr(ResultsStore, when)

    def moving(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        if self.run_dir(rid).is_dir():
            self.run_dir(rid).rename(tmp_path / "aside")
        return out

    monkeypatch.setattr(ResultsStore, when, moving)
    with caplog.at_level(logging.WARNING, logger="benchmark"):
        assert main(["check", "--out", str(store.root)]) == 1
    said = [r.getMessage() for r in caplog.records if "moved or deleted while check read" in r.getMessage()]
    assert len(said) == 1 and f"runs/{rid}" in said[0], caplog.text
    last = capsys.readouterr().out.strip().splitlines()[-1]
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    assert last.startswith(f"{store.root}: {len(trained)} run"), last  # the folder left is counted, the moved one not
    assert (tmp_path / "aside" / "meta.json").is_file()


class _Stateful:
    """An optimiser's or scheduler's state_dict interface (a first torch.optim optimiser costs ~5 s of imports)."""

    def __init__(self):
        self.state = {"step": 0}

    def state_dict(self):
        return dict(self.state)

    def load_state_dict(self, state):
        self.state = dict(state)


def _ckpt_parts():
    import torch

    torch.manual_seed(0)
    return dict(net=torch.nn.Linear(8, 8), opt=_Stateful(), sched=_Stateful(), loss_fn=torch.nn.L1Loss(),
                gen=torch.Generator(), device=torch.device("cpu"))


def test_a_checkpoint_of_another_release_of_the_same_numbers_code_resumes_the_run(tmp_path, caplog):
    """A run id hashes CODE_VERSION only, so after an upgrade to another release of the same numbers code
    (``0.1.0+c3`` → ``0.1.1+c3``) a finished run is kept as done — but an interrupted one's ``ckpt.pt`` was
    ignored as 'written for another configuration' (its fingerprint holds the full version) and the run started
    over from iteration 0. Such a checkpoint resumes it; one of another CODE_VERSION or config still does not."""
    from benchmark import CODE_VERSION
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import code_version

    now = {"config": {"loss": "l1"}, "code_version": code_version()}
    policy = CheckpointPolicy(every=1, seconds=0)
    for version, config, resumes in ((f"0.0.1+c{CODE_VERSION}", {"loss": "l1"}, True),
                                     (f"0.0.1+c{CODE_VERSION}x", {"loss": "l1"}, False),
                                     (f"0.0.1+c{CODE_VERSION}", {"loss": "l2"}, False)):
        path = tmp_path / f"{len(version)}-{config['loss']}.pt"
        Checkpointer(path, policy, {"config": config, "code_version": version}).save(7, progress={"x": 1},
                                                                                    **_ckpt_parts())
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="benchmark.checkpoint"):
            got = Checkpointer(path, policy, now).restore(**_ckpt_parts())
        assert got == ((7, {"x": 1}) if resumes else (0, {})), (version, config)
        assert ("written for another configuration" in caplog.text) != resumes


def test_a_compare_file_edited_by_hand_is_kept_when_compare_writes_it_again(tmp_path, caplog):
    """``compare/<loss>.md`` was rewritten by the next ``plbench compare`` of that loss (more seeds, a new metric)
    with no word, though a user had added notes to it. A file as plbench wrote it (its checksum kept beside it) is
    rewritten; one that differs is kept as ``<loss>.edited.md`` first, with one warning; a second edit goes to
    ``-2``."""
    from benchmark.compare import write_keeping_edits

    path = tmp_path / "compare" / "ssim.md"
    assert write_keeping_edits(path, "# Where `ssim` lands\nv1\n") is None
    assert write_keeping_edits(path, "# Where `ssim` lands\nv2\n") is None  # unedited: rewritten, nothing kept
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(".")) == ["ssim.md"]
    for n, kept_as in ((1, "ssim.edited.md"), (2, "ssim.edited-2.md")):
        edited = path.read_text() + f"my note {n}\n"
        path.write_text(edited)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="benchmark.compare"):
            kept = write_keeping_edits(path, f"# Where `ssim` lands\nv{n + 2}\n")
        assert kept is not None and kept.name == kept_as and kept.read_text() == edited
        assert path.read_text().endswith(f"v{n + 2}\n") and kept_as in caplog.text and len(caplog.records) == 1


@pytest.mark.slow
def test_compare_again_keeps_the_users_notes_in_its_file(tmp_path, monkeypatch):
    """End to end: ``plbench compare`` of one loss twice, the file edited between — the edit survives."""

    from test_review_compare9 import field_to_compare

    import benchmark.compare as C

    store = field_to_compare(tmp_path, monkeypatch, ("psnr",))
    out = C.compare(store.root, losses=["l2"], formats=(), visual=False, n_boot=50)
    out.path.write_text(out.text + "\nMy reading: l2 wins on faces.\n")
    again = C.compare(store.root, losses=["l2"], formats=(), visual=False, n_boot=50)
    assert again.path == out.path and again.path.read_text() == again.text
    assert "My reading" in (out.path.parent / f"{out.path.stem}.edited.md").read_text()


@pytest.mark.slow
def test_a_run_deleted_before_a_report_stopped_by_a_full_disk_is_still_named(tmp_path, monkeypatch, capsys):
    """A run folder deleted after a report is remembered only by that report's results.csv (ResultsStore.gone).
    The next report wrote results.csv first: stopped by a full disk at its next file, it left a results.csv
    without the run beside the old leaderboard with it, and from then on neither check nor any report named the
    deleted run. results.csv is now the report's last file: a report stopped part-way leaves the last one's."""
    import errno
    import shutil

    import benchmark.export as export
    from benchmark.cli import main
    from benchmark.report import write_report

    store = _small(tmp_path / "r")
    write_report(store, formats=(), visual=False, html=False, n_boot=20)  # ~30 s on a loaded 2-core CI
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.rmtree(store.run_dir(rid))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(store.root / "summary.csv"))

    monkeypatch.setattr(export, "write_csvs", full)
    with pytest.raises(OSError):
        write_report(store, formats=(), visual=False, html=False, n_boot=20)
    assert rid in store.gone()
    assert main(["check", "--out", str(store.root)]) == 1
    assert f"run {rid} (" in capsys.readouterr().out


def test_a_run_folder_deleted_before_any_report_is_named(tmp_path, capsys):
    """Only the last report's results.csv remembered a finished run, so a run folder deleted before the first
    report (or a run merged in since) vanished without a word: check said the store was whole (exit 0). Each
    finished run is noted in the store's finished.log as it is recorded (a merge notes the runs it copies): check
    names the deleted run (exit 1), and a line a kill cut short costs no other run."""
    import shutil

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    for rid in store.run_ids():  # recorded as the runner records them (write_store writes its files itself)
        store.write_meta(rid, store.meta(rid))
    assert not (store.root / "results.csv").exists()
    trained = sorted(r for r in store.run_ids() if not r.startswith("input-"))
    with open(store.root / "finished.log", "a") as f:  # a kill in the middle of a note: a line cut short
        f.write(f"\n+{trained[0][:7]}")
    merged = ResultsStore(tmp_path / "merged")
    merged.merge_from(store)
    for s in (store, merged):
        shutil.rmtree(s.run_dir(trained[1]))
        assert set(s.gone()) == {trained[1]}, s.root
        assert main(["check", "--out", str(s.root)]) == 1
        out = capsys.readouterr().out
        assert f"run {trained[1]} (" in out and "1 gone" in out.splitlines()[-1], out


@pytest.mark.slow
def test_a_report_names_a_run_gone_before_it_once_then_check_is_clean(tmp_path, capsys):
    """The report names a run folder finished.log remembers but that is gone (leaving it out), then notes it as left
    out: the next check is clean again (exit 0), as after a report that named a run only its results.csv knew."""
    import shutil

    from benchmark.cli import main
    from benchmark.report import write_report

    store = _small(tmp_path / "r")
    for rid in store.run_ids():
        store.write_meta(rid, store.meta(rid))
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.rmtree(store.run_dir(rid))
    write_report(store, formats=(), visual=False, html=False, n_boot=20)
    assert f"run {rid} (" in (store.root / "leaderboard.md").read_text()
    assert store.gone() == {}
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr().out


def test_check_sends_a_run_a_killed_merge_was_copying_back_to_the_merge(tmp_path, capsys):
    """A ``plbench merge`` killed while copying a run's first file (PLBENCH_CRASH_AT=write:2) left its folder with a
    temporary file and a lock file saying 'merge writing it'; check counted it '1 unfinished (interrupted or still
    training: the same `plbench run` resumes it)', exit 0 — a run with no checkpoint, so `plbench run` trained it
    again from scratch. It names the stopped merge, which finishes it, and exits 1 (results in no leaderboard)."""
    from benchmark.cli import main
    from benchmark.results import MERGE_WRITE

    src = _small(tmp_path / "src")
    dst = ResultsStore(tmp_path / "dst")
    dst.merge_from(src)
    rid = next(r for r in dst.run_ids() if not r.startswith("input-"))
    d = dst.run_dir(rid)
    for f in d.iterdir():
        f.unlink()
    (d / ".eval-0.parquet.x1y2z3.tmp.parquet").write_bytes(b"PAR1")
    (d / ".lock").write_text(f"pid 999999 on elsewhere since 04:10:34, {MERGE_WRITE}\n")
    assert main(["check", "--out", str(dst.root)]) == 1
    out = capsys.readouterr().out
    assert f"run {rid}: a `plbench merge`" in out and "the same `plbench merge` finishes it" in out, out
    assert "resumes it" not in out, out


def test_check_names_and_repair_removes_a_killed_writes_temporary_file_in_a_run_folder(tmp_path, capsys):
    """A merge killed while copying a run's net (``.net.pt.<random>.tmp.pt``, as large as the net) and then run
    again completes the run but leaves that file: check named temporary files in the store's root, grids/ and
    figures/ only, so it stayed there for good. A run folder's is named too (an hour old or more, no live process
    holding the run) and ``--repair`` removes it; a younger one may be a write in flight and is left alone."""
    import os
    import time

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    old, young = store.run_dir(rid) / ".net.pt.k3j2h1.tmp.pt", store.run_dir(rid) / ".eval-1.parquet.a1.tmp.parquet"
    for p in (old, young):
        p.write_bytes(b"\0" * 1024)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert f"runs/{rid}/{old.name}" in out and young.name not in out, out
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not old.exists() and young.exists()

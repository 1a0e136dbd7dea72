"""Probe of the results store and compare (probe-store, twelfth pass). Each test failed before its fix."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("one_thread")


def test_an_unreadable_compare_file_is_kept_aside_not_overwritten(tmp_path, monkeypatch, caplog):
    """``compare/<loss>.md`` that could not be read (no read permission for this user, an I/O error) was taken for
    absent and replaced by the new comparison: the user's text was lost. It is kept as ``<loss>.edited.md`` (moved,
    not read), with the one warning an edited file gets, and the new comparison is written."""
    from benchmark.compare import write_keeping_edits

    path = tmp_path / "compare" / "ssim.md"
    path.parent.mkdir()
    path.write_text("# Where `ssim` lands\nmy notes\n")
    real = Path.read_bytes

    def unreadable(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    with caplog.at_level(logging.WARNING, logger="benchmark.compare"):
        kept = write_keeping_edits(path, "# Where `ssim` lands\nnew\n")
    monkeypatch.undo()
    assert kept is not None and kept.name == "ssim.edited.md" and kept.read_text().endswith("my notes\n")
    assert path.read_text().endswith("new\n") and len(caplog.records) == 1 and "ssim.edited.md" in caplog.text


def test_an_old_named_compare_file_edited_by_hand_is_kept_not_deleted(tmp_path, caplog):
    """A comparison written under its name of before names were hashed (``compare/mine_w_0.5.md``) was deleted by
    the next ``compare`` of that spec (:func:`prune_unhashed`) whatever it held: a user's notes added to it were
    lost, though the README says a compare file plbench cannot prove its own (no checksum: every such file) is kept
    as ``.edited.md``. It is moved to ``mine_w_0.5.edited.md``, with one warning; the figures it shows go, as
    before; one whose checksum says plbench wrote it is removed."""
    import hashlib

    from benchmark.compare import _header, prune_unhashed

    d = tmp_path / "compare"
    d.mkdir()
    spec = "mine(w=0.5)"
    text = _header([spec]) + "\n\n![perception–distortion](mine_w_0.5_sr4_pd_plane.png)\n\nMy reading: wins on faces.\n"
    (d / "mine_w_0.5.md").write_text(text)
    (d / "mine_w_0.5_sr4_pd_plane.png").write_bytes(b"png")
    with caplog.at_level(logging.WARNING, logger="benchmark.compare"):
        removed = prune_unhashed(d, [spec])
    assert (d / "mine_w_0.5.edited.md").read_text() == text, sorted(p.name for p in d.iterdir())
    assert not (d / "mine_w_0.5.md").exists() and not (d / "mine_w_0.5_sr4_pd_plane.png").exists()
    assert d / "mine_w_0.5.md" in removed and "mine_w_0.5.edited.md" in caplog.text
    # one plbench wrote (its checksum beside it, as write_keeping_edits keeps one): removed, with its checksum
    (d / "mine_w_0.5.md").write_text(text)
    (d / ".mine_w_0.5.md.sha256").write_text(hashlib.sha256(text.encode()).hexdigest())
    prune_unhashed(d, [spec])
    assert sorted(p.name for p in d.iterdir()) == ["mine_w_0.5.edited.md"]


def test_a_resumed_runs_curve_survives_a_failed_rewrite(tmp_path, monkeypatch):
    """A resumed run's ``CurveLog.begin`` truncated ``curve.csv`` and then wrote back the rows up to the checkpoint:
    stopped in between (a full disk, a kill), the curve of every iteration trained before was lost. It is now
    rewritten atomically (temporary file, rename): stopped, the old curve is there whole."""
    import errno
    import os

    from benchmark.loggers import CurveLog
    from benchmark.results import DiskFull

    log_ = CurveLog(tmp_path, kind="none")
    log_.begin(0)
    for it in (10, 20, 30):
        log_.log(it, {"loss": 1.0 / it, "lr": 0.1})
    log_.close()
    # a line garbled by hand before rows the resume keeps: rewritten (a curve whose kept rows are its first lines is
    # cut in place instead, writing nothing: tests/test_probe_store13.py)
    lines = (tmp_path / "curve.csv").read_text().splitlines(keepends=True)
    (tmp_path / "curve.csv").write_text("".join([*lines[:2], "garbled by hand\n", *lines[2:]]))
    before = (tmp_path / "curve.csv").read_text()
    import csv

    def full(self, rows):  # the disk fills while the kept rows are written back
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "curve.csv"))

    monkeypatch.setattr(csv.DictWriter, "writerows", full)
    with pytest.raises(OSError):
        CurveLog(tmp_path, kind="none").begin(20)
    monkeypatch.undo()
    monkeypatch.setenv("PLBENCH_DISK_FULL_AT", "1")  # or at the rename of the rewritten file
    monkeypatch.setattr("benchmark.faults._passed", {})
    with pytest.raises(DiskFull):
        CurveLog(tmp_path, kind="none").begin(20)
    monkeypatch.undo()
    assert (tmp_path / "curve.csv").read_text() == before
    again = CurveLog(tmp_path, kind="none")
    again.begin(20)
    again.log(30, {"loss": 0.5, "lr": 0.1})
    again.close()
    rows = (tmp_path / "curve.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows] == ["iteration", "10", "20", "30"] and rows[-1].split(",")[2] == "0.5"


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def test_a_users_backup_of_a_run_folder_is_not_a_damaged_run(tmp_path, capsys):
    """``cp -a runs/<id> runs/<id>.bak`` (a user's backup before an experiment) made ``plbench check`` call it a
    damaged run ('meta.json names another run', exit 1, ``--repair`` moving the backup's files into its own
    ``damaged/``) and every report name it as damaged. A folder named as a copy of a run id (the id, then a
    non-alphanumeric character: ``.bak``, ``-old``, `` copy``) is no run: left out of every reader, named once by
    check as a copy, exit 0; the table is the same as without it."""
    import os
    import shutil

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    before = store.table()
    for name in (f"{rid}.bak", f"{rid} copy"):
        shutil.copytree(store.run_dir(rid), store.runs / name)
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "damaged" not in out and f"runs/{rid}.bak" in out and "copies" in out, out
    # what the backup holds is the user's: not a temporary file of this store that --repair removes
    tmp = store.runs / f"{rid}.bak" / ".net.pt.abc.tmp.pt"
    tmp.write_bytes(b"partial")
    os.utime(tmp, (0, 0))
    assert store.leftover_temp_files() == []
    assert main(["check", "--out", str(store.root), "--repair"]) == 0 and tmp.is_file()
    assert rid in store.run_ids() and not any(r.startswith(f"{rid}.") or " " in r for r in store.run_ids())
    assert store.table().equals(before) and store.check() == {}
    assert (store.runs / f"{rid}.bak" / "meta.json").is_file()


def test_a_mass_deletion_is_one_summary_line_not_one_line_per_run(tmp_path, capsys, caplog):
    """``rm -rf runs/*`` of many runs (a cleanup gone wrong) made ``plbench check`` print one paragraph per run, and
    the report one warning and one leaderboard note per run: hundreds of lines. Up to ``GONE_NAMED`` runs are named one
    per line as before; more are one line: how many, per task, the first ids and where every id is."""
    import shutil

    from benchmark.cli import main
    from benchmark.report import GONE_NAMED, gone_lines

    store = _small(tmp_path / "r", offsets={f"l{i}": float(i) for i in range(GONE_NAMED + 2)})
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    assert len(trained) > GONE_NAMED
    for rid in trained:
        store.note_finished(rid, store.meta(rid))  # as write_meta notes each run it records finished
        shutil.rmtree(store.run_dir(rid))
    lines = gone_lines(store)
    assert len(lines) == 1 and f"{len(trained)} runs" in lines[0] and "finished.log" in lines[0], lines
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) <= 3 and sum(trained[0] in x for x in out) == 1, out
    # a few are still named one by one
    few = _small(tmp_path / "few")
    rid = next(r for r in few.run_ids() if not r.startswith("input-"))
    few.note_finished(rid, few.meta(rid))
    shutil.rmtree(few.run_dir(rid))
    assert [rid in x for x in gone_lines(few)] == [True]


@pytest.mark.slow  # ~1 s: the section's statistics (bootstrap)
def test_compare_shows_where_the_new_loss_lands_among_the_field_and_marks_it(tmp_path, monkeypatch):
    """``compare/<loss>.md`` (what ``plbench compare`` prints) said 'mean rank 2.0 of 3 losses' but showed no ranking
    of the field, so which losses the new one beat or trailed — and which row was the new one — was in no table of
    it. Each task's section now gives the field's ranking by mean rank, the new loss marked."""
    import benchmark.figures as figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": -1.0, "mine": 0.5}, metrics=("psnr",),
                        seeds=(0, 1), n_images=2, budget_check=False)
    chosen = {"denoise": [m for m in store.metas() if m.get("config", {}).get("loss")]}
    md, _ = _summary(store, chosen, ["mine"], {"denoise": []}, 0.05, 20, "l1", ())
    line = next((x for x in md.splitlines() if x.startswith("Ranking")), "")
    assert line.index("**") < line.index("mine") < line.index("l1") < line.index("l2"), md
    assert "mine (new)**" in line and line.count("(new)") == 1, line


@pytest.mark.parametrize("in_the_way", ["folder at the file", "file at the folder"])
def test_a_folder_or_file_in_the_way_of_a_report_output_is_one_line(tmp_path, in_the_way):
    """A folder where the report writes a file (``mkdir results/results.csv``, a ``leaderboard.png/`` of exports) or
    a file where it makes a folder (``compare`` saved as a file) ended ``plbench report``/``compare`` with 'internal
    error: IsADirectoryError' (or FileExistsError): every atomic write now says it in one line, naming the path,
    with nothing half-written left."""
    from benchmark.errors import UserError
    from benchmark.results import atomic_write_bytes

    if in_the_way == "folder at the file":
        (tmp_path / "results.csv").mkdir()
        target = tmp_path / "results.csv"
    else:
        (tmp_path / "compare").write_text("my notes")
        target = tmp_path / "compare" / "mine.md"
    with pytest.raises(UserError) as err:
        atomic_write_bytes(target, b"x")
    said = str(err.value)
    in_way = target if in_the_way == "folder at the file" else target.parent
    assert str(in_way) in said and "\n" not in said and "in the way" in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == [in_way.name]
    assert in_the_way == "folder at the file" or (tmp_path / "compare").read_text() == "my notes"


def test_two_compares_keeping_one_edited_file_at_once_do_not_crash(tmp_path, monkeypatch):
    """Two ``plbench compare`` of one loss at once, its file edited by hand: both decide to keep it; the second finds
    it already moved (2eaeda8 moves it, not copies it) and must go on, not end in 'internal error:
    FileNotFoundError'. The user's text is kept once."""
    import os

    from benchmark.compare import write_keeping_edits

    path = tmp_path / "compare" / "ssim.md"
    path.parent.mkdir()
    path.write_text("# Where `ssim` lands\nmy notes\n")
    real = os.link

    def first_moves_it(src, dst, **kw):  # the other compare moves it between this one's read and its move
        os.replace(src, Path(dst).with_name("ssim.edited.md"))
        return real(src, dst, **kw)

    monkeypatch.setattr(os, "link", first_moves_it)
    assert write_keeping_edits(path, "# Where `ssim` lands\nnew\n") is None
    monkeypatch.undo()
    assert path.read_text().endswith("new\n") and (path.parent / "ssim.edited.md").read_text().endswith("my notes\n")


@pytest.mark.parametrize("blocked", ["net.pt", "curve.csv", "eval-0.parquet", "run folder"])
def test_a_folder_in_the_way_of_one_runs_file_fails_that_run_not_the_grid(tmp_path, random_images, caplog, blocked):
    """ff7141d made a folder where a file is written (or a file where a folder is made) a one-line
    :class:`InTheWay` — a :class:`UserError`, which stops the whole grid. Where it blocks one run's own file
    (``runs/<id>/net.pt/`` left by a tool, ``runs/<id>`` a file) an overnight grid lost every run after it: that
    run fails (recorded where its folder allows, the line naming what is in the way) and the grid goes on."""
    import torch

    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    cfgs = resolve_all([RunConfig(task="denoise", loss=loss, iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,)) for loss in ("l1", "l2")])
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    bad, good = run_id(cfgs[0]), run_id(cfgs[1])
    way = store.run_dir(bad) if blocked == "run folder" else store.run_dir(bad) / blocked
    if blocked == "run folder":
        way.write_text("not a run")
    else:
        way.mkdir(parents=True)
    with caplog.at_level(logging.ERROR, logger="benchmark.runner"):
        s = run_grid(cfgs, store, ("psnr",), torch.device("cpu"), progress=False)
    assert (s.trained, s.failed) == (1, 1) and store.meta(good)["status"] == "ok"
    said = [r.getMessage() for r in caplog.records if bad in r.getMessage()]
    assert len(said) == 1 and f"{way} is a" in said[0] and "in the way" in said[0] and "\n" not in said[0], said
    if blocked in ("net.pt", "curve.csv"):  # met while it trains or saves: recorded as its failure
        assert store.meta(bad)["status"] == "failed" and "in the way" in store.meta(bad)["error"]


def test_a_file_in_the_way_of_a_tasks_input_scores_skips_them_not_the_grid(tmp_path, random_images, caplog):
    """The degraded input's scores (``runs/input-<hash>``, the leaderboard's ``input`` row) blocked by a file of
    that name stopped the grid before its first run (:class:`InTheWay`, ff7141d): the input row is left out, said
    in one line, and the runs train."""
    import torch

    from benchmark.config import RunConfig
    from benchmark.results import ResultsStore
    from benchmark.runner import input_groups, resolve_all, run_grid

    data = random_images(3, 40)
    cfgs = resolve_all([RunConfig(task="denoise", loss="l1", iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,))])
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    (rid,) = input_groups(cfgs).values()
    store.run_dir(rid).write_text("not a run")
    with caplog.at_level(logging.ERROR, logger="benchmark.runner"):
        s = run_grid(cfgs, store, ("psnr",), torch.device("cpu"), progress=False)
    assert s.trained == 1
    said = [r.getMessage() for r in caplog.records if rid in r.getMessage()]
    assert len(said) == 1 and "in the way" in said[0] and "input" in said[0], said


def test_check_names_one_backup_of_a_run_in_the_singular(tmp_path, capsys):
    """One backup of a run beside it made ``check`` say '1 folder named as copies of runs (…): not runs … move them
    out': one folder is named as a copy of a run, and is not a run."""
    import shutil

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.copytree(store.run_dir(rid), store.runs / f"{rid}.bak")
    assert main(["check", "--out", str(store.root)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if ".bak" in x)
    assert line.startswith(f"1 folder named as a copy of a run (runs/{rid}.bak): not a run,") and " them" not in line


def test_a_run_folder_renamed_as_a_backup_is_named_as_its_gone_runs_to_rename_back(tmp_path, capsys):
    """``mv runs/<id> runs/<id>.bak`` (renamed, not copied: the run's only copy) made ``check`` say, since 2de9937,
    that run <id>'s 'results are lost' and, of ``<id>.bak``, to 'move it out of runs/': both wrong for the one
    folder that holds them. It is named as the copy of that gone run, with the command that renames it back."""
    import shlex
    import shutil

    from benchmark.cli import main

    store = _small(tmp_path / "my r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    store.note_finished(rid, store.meta(rid))
    shutil.move(store.run_dir(rid), store.runs / f"{rid} copy")
    assert main(["check", "--out", str(store.root)]) == 1  # gone until renamed back
    lines = [x for x in capsys.readouterr().out.splitlines() if f"{rid} copy" in x]
    back = f"mv {shlex.quote(str(store.runs / f'{rid} copy'))} {shlex.quote(str(store.run_dir(rid)))}"
    assert len(lines) == 1 and "gone" in lines[0] and back in lines[0] and "move it out" not in lines[0], lines
    shutil.move(store.runs / f"{rid} copy", store.run_dir(rid))
    assert main(["check", "--out", str(store.root)]) == 0


@pytest.mark.slow  # ~1 s: the section's statistics (bootstrap), as the ranking's own test
def test_compare_ranking_puts_a_loss_with_no_finite_score_last_not_first(tmp_path, monkeypatch):
    """f802f3b's ranking sorted by mean rank with NaN keys: a loss with no finite score on the task (every score
    left out of its column: no rank, as the leaderboard's rank column leaves it out) was listed first, '– aaa', ahead
    of the best. It comes last."""
    import benchmark.figures as figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "aaa": float("nan"), "l2": -1.0, "mine": 0.5},
                        metrics=("psnr",), seeds=(0, 1), n_images=2, budget_check=False)
    chosen = {"denoise": [m for m in store.metas() if m.get("config", {}).get("loss")]}
    md, _ = _summary(store, chosen, ["mine"], {"denoise": []}, 0.05, 20, "l1", ())
    line = next((x for x in md.splitlines() if x.startswith("Ranking")), "")
    assert line.index("mine") < line.index("l1") < line.index("l2") < line.index("aaa"), line


def test_one_run_folder_this_user_cannot_write_fails_that_run_not_the_grid(tmp_path, random_images, caplog,
                                                                           monkeypatch):
    """A shared store where one unfinished run's folder is another user's, not writable by this one (its umask
    022): the grid stopped there ('cannot write runs/<id>/.lock (Permission denied) … make the folder writable'),
    losing every run after it overnight, though the store itself was writable. That run fails in one line; the
    grid goes on. (A store not writable at all still stops it: nothing could be recorded.)"""
    import errno
    import os

    import torch

    from benchmark.config import RunConfig, run_id
    from benchmark.results import NotWritable, ResultsStore
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    cfgs = resolve_all([RunConfig(task="denoise", loss=loss, iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,)) for loss in ("l1", "l2")])
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    bad, good = run_id(cfgs[0]), run_id(cfgs[1])
    store.run_dir(bad).mkdir()
    real_open, real_access = os.open, os.access

    def denied(path, flags, *a, **k):  # this user (tests run as root here) cannot create files in that folder
        if Path(path).parent == store.run_dir(bad) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", denied)
    with caplog.at_level(logging.ERROR, logger="benchmark.runner"):
        s = run_grid(cfgs, store, ("psnr",), torch.device("cpu"), progress=False)
    assert (s.trained, s.failed) == (1, 1) and store.meta(good)["status"] == "ok"
    said = [r.getMessage() for r in caplog.records if bad in r.getMessage()]
    assert len(said) == 1 and "Permission denied" in said[0] and "\n" not in said[0], said
    # the store itself no longer writable (a read-only remount mid-grid): that stops the grid, as before
    from benchmark.results import _write_error
    from benchmark.runner import _blocked

    err = _write_error(store.run_dir(bad) / ".lock", PermissionError(errno.EROFS, "Read-only file system"))
    assert isinstance(err, NotWritable) and _blocked(err, store, bad) is err
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: Path(p) != store.runs and real_access(p, mode, *a, **k))
    assert _blocked(err, store, bad) is None

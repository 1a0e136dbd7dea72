"""Results store and ``plbench compare`` as a user comparing a new loss with a field run once: nothing of the field
recomputed that is current, nothing stale ranked as if it were today's, nothing computed lost to a store fault."""
from __future__ import annotations

import shutil

import pandas as pd  # imported once at collection: the first store test of a worker no longer pays it (~1 s)
import pytest


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    """A self-trained ``contrique_fr`` encoder (2 steps) and the same file 'retrained': its weights perturbed."""
    import torch

    from benchmark.pretrain import PretrainConfig, pretrain

    root = tmp_path_factory.mktemp("enc")
    old = pretrain(PretrainConfig(arch="tinycnn", data="skimage-natural:train", steps=2, batch_size=4, crop=32, seed=0),
                   out_dir=root / "enc")
    ckpt = torch.load(old, weights_only=True)
    torch.manual_seed(0)  # the weights moved, the batch-norm statistics kept (a negative variance is a NaN)
    ckpt["state_dict"] = {k: v + 0.5 * torch.randn_like(v) if v.is_floating_point() and "running" not in k else v
                          for k, v in ckpt["state_dict"].items()}
    retrained = root / "retrained.pt"
    torch.save(ckpt, retrained)
    return old, retrained


def _field(out, metric, losses=("l1", "l2")):
    from benchmark import api

    api.run(tasks=["denoise"], losses=list(losses), seeds=[0], iterations=2, crop=32, batch_size=2, device="cpu",
            metrics=["psnr", metric], out=str(out), report=False, budget_check=False)


def _values(table, metric):
    t = table[(table.metric == metric)]
    return t.groupby("loss", observed=True)["value"].mean()


@pytest.mark.slow
def test_compare_rescores_the_fields_stale_checkpoint_scores_before_ranking(tmp_path, encoder):
    """``plbench compare`` after ``contrique_fr@enc.pt`` was retrained in place scored the new loss with today's file
    and ranked it against the field's scores made with the earlier file (only marked stale): not apples to apples →
    the field's stale scores are re-scored from their net.pt (nothing retrained) before the comparison, so every loss
    of the column is scored with one file, the numbers a fresh store gets."""
    from benchmark import api
    from benchmark.compare import compare
    from benchmark.results import ResultsStore

    old, retrained = encoder
    enc = tmp_path / old.name
    for f in (old, old.with_suffix(".json")):  # the checkpoint and its manifest (its architecture)
        shutil.copy(f, tmp_path)
    metric = f"contrique_fr@{enc}"
    _field(tmp_path / "r", metric)
    store = ResultsStore(tmp_path / "r")
    nets = {p: p.stat().st_mtime_ns for p in store.runs.glob("*/net.pt")}
    shutil.copy(retrained, enc)
    res = compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=50)
    _field(tmp_path / "fresh", metric, losses=("l1", "l2", "charbonnier"))
    got, fresh = (_values(api.load_results(str(tmp_path / d)), metric) for d in ("r", "fresh"))
    assert got.round(6).to_dict() == fresh.round(6).to_dict()
    assert res.trained == 1  # the new loss only
    assert all(p.stat().st_mtime_ns == t for p, t in nets.items())  # the field re-scored from its nets, not retrained
    assert "another file" not in res.text
    (said,) = [x for x in res.text.splitlines() if "re-scored from their net.pt" in x]  # the field's data changed:
    assert "2 field runs" in said and "nothing retrained" in said and metric in said, said  # said, once


@pytest.mark.slow
def test_compare_leaves_out_stale_field_scores_it_cannot_rescore(tmp_path, encoder):
    """A field run whose net.pt is gone cannot be re-scored with today's file: its stale scores are left out of the
    comparison's column, said in one line, never ranked against the new loss's; its other metrics stay."""
    from benchmark.compare import compare
    from benchmark.results import ResultsStore

    old, retrained = encoder
    enc = tmp_path / old.name
    for f in (old, old.with_suffix(".json")):  # the checkpoint and its manifest (its architecture)
        shutil.copy(f, tmp_path)
    metric = f"contrique_fr@{enc}"
    _field(tmp_path / "r", metric)
    store = ResultsStore(tmp_path / "r")
    l2 = next(m["run_id"] for m in store.metas() if (m.get("config") or {}).get("loss") == "l2")
    (store.run_dir(l2) / "net.pt").unlink()
    shutil.copy(retrained, enc)
    res = compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=50)
    (line,) = [x for x in res.text.splitlines() if "another file" in x]
    assert "left out of its column" in line and "in 1 of" in line and "net.pt" in line
    ranking = next(x for x in res.text.splitlines() if x.startswith("Ranking here"))
    assert "l2" in ranking  # still ranked on psnr
    kept = store.table()
    assert l2 not in set(kept.run_id[kept.metric == metric]) and l2 in set(kept.run_id[kept.metric == "psnr"])
    assert store.stale_left[metric]["stale"] == [l2]


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def test_a_backup_named_the_run_id_then_letters_is_a_copy_not_a_damaged_run(tmp_path):
    """``cp -a runs/<id> runs/<id>bak`` (no separator: ``<id>old``, ``<id>copy2``) still read as a damaged run — check
    exit 1 ('meta.json names another run'), ``--repair`` moving the backup's files into its own ``damaged/`` — since
    only a non-alphanumeric character after the id made a copy. No run id is longer than its 16 (or ``input-`` + 12)
    hex digits, so a folder named a run id and more — but hex digits alone — is a copy: named by check, exit 0, read
    by no report."""
    import shutil

    store = _small(tmp_path / "r", offsets={"l1": 0.0}, n_images=1)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    inp = next(r for r in store.run_ids() if r.startswith("input-"))
    ids = store.run_ids()
    names = [f"{rid}bak", f"{rid}copy2", f"{inp}old"]
    for name in names:
        shutil.copytree(store.run_dir(rid if name.startswith(rid) else inp), store.runs / name)
    assert store.run_ids() == ids and sorted(store.copies()) == sorted(names)


@pytest.mark.slow
def test_check_names_a_backup_named_the_run_id_then_letters_as_a_copy(tmp_path, capsys):
    """``plbench check`` on ``runs/<id>bak`` (no separator): exit 0, the copy named, ``--repair`` leaves it alone."""
    import shutil

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    inp = next(r for r in store.run_ids() if r.startswith("input-"))
    before = store.table()
    names = [f"{rid}bak", f"{inp}old", f"{rid}2"]
    for name in names:
        shutil.copytree(store.run_dir(rid if name.startswith(rid) else inp), store.runs / name)
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "damaged" not in out and all(f"runs/{n}" in out for n in names), out
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert all(not (store.runs / n / "damaged").exists() for n in names)
    assert store.table().equals(before)


def test_a_resumed_runs_curve_is_cut_in_place_so_tail_f_follows_it(tmp_path):
    """``tail -f runs/<id>/curve.csv`` on a run that resumed lost the file: ``CurveLog.begin`` rewrote the rows up to
    the checkpoint atomically (a new file renamed over it: a new inode), so the reader kept following the old,
    unlinked one and saw no new line. Where the rows kept are the file's first lines (as plbench writes it), the file
    is cut after them in place — the same inode, nothing to write back, so no full disk can stop it half-way — and
    the resumed run's lines reach whoever follows it."""
    from benchmark.loggers import CurveLog

    curves = CurveLog(tmp_path, kind="none")
    curves.begin(0)
    for it in (10, 20, 30):
        curves.log(it, {"loss": 1.0 / it, "lr": 0.1})
    curves.close()
    path = tmp_path / "curve.csv"
    inode = path.stat().st_ino
    with open(path) as follower:  # tail -f: an open handle on the file
        follower.read()
        again = CurveLog(tmp_path, kind="none")
        again.begin(20)  # resumed from the checkpoint at 20: the row of 30 dropped
        again.log(30, {"loss": 0.5, "lr": 0.1})
        again.close()
        assert path.stat().st_ino == inode
        follower.seek(0)
        rows = follower.read().splitlines()
    assert [r.split(",")[0] for r in rows] == ["iteration", "10", "20", "30"] and rows[-1].split(",")[2] == "0.5"
    assert path.read_text().splitlines() == rows


def _stale_store(root, enc):
    """A synthetic store whose ``contrique_fr@enc`` column was scored with the file now at ``enc`` for every run but
    ``l1``'s (scored with the file there before and never re-scored: its net.pt gone): returns (store, metric,
    l1's run ids). One pass per run, both metrics in it (a store written quickly)."""
    import hashlib

    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    metric = f"contrique_fr@{enc}"
    store = ResultsStore(root)
    store.ensure_writable()
    now, was = hashlib.sha256(enc.read_bytes()).hexdigest(), "0" * 64
    stale = []
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=2,
                                          metrics=("psnr", metric), budget_check=False):
        old = (meta.get("config") or {}).get("loss") == "l1"
        store.write_eval(rid, rows, ["psnr", metric], {}, metric_sha256={metric: was if old else now})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
        stale += [rid] if old else []
    return store, metric, sorted(stale)


def test_scores_of_another_file_beside_todays_are_left_out_of_the_table_reported(tmp_path):
    """The rule every reader of a store reads its table by (:meth:`ResultsStore.table`): where some runs of a metric
    were re-scored with today's file, the others' scores of another file are left out, one line saying how many
    (:func:`benchmark.report.stale_lines`); where none was (no rerun yet), all are kept (the report's coverage line
    says so); psnr is untouched."""
    from benchmark.report import stale_lines

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"the encoder trained again")
    store, metric, stale = _stale_store(tmp_path / "r", enc)
    enc.write_bytes(b"a third encoder, trained since")  # every run scored with another file: none to rank them
    full = store.table()  # against: kept, as the report's coverage line says
    assert store.stale_left == {} and stale_lines(store) == {} and set(stale) <= set(full.run_id[full.metric == metric])
    enc.write_bytes(b"the encoder trained again")
    kept = store.table()
    assert set(kept.loc[kept.metric == metric, "run_id"]) == set(full.loc[full.metric == metric, "run_id"]) - set(stale)
    assert kept[kept.metric == "psnr"].reset_index(drop=True).equals(full[full.metric == "psnr"].reset_index(drop=True))
    lines = stale_lines(store)
    assert list(lines) == [metric] and f"in {len(stale)} of" in lines[metric] and "left out" in lines[metric]
    assert f"{len(stale)} have no net.pt to score (runs/{stale[0]}, the first" in lines[metric], lines
    board = {stale[0], *(set(full.run_id) - set(stale))}  # a board of some of the runs: counted over them
    assert f"in 1 of {len(board)} runs" in stale_lines(store, board)[metric]
    (store.run_dir(stale[0]) / "net.pt").write_bytes(b"a saved net")  # merged in, or a rerun stopped before it
    line = stale_lines(store)[metric]
    assert "re-scores 1 of them" in line and f"1 has no net.pt to score (runs/{stale[1]}:" in line, line


@pytest.mark.slow
def test_a_report_leaves_out_scores_of_another_file_beside_todays(tmp_path):
    """After ``contrique_fr@enc.pt`` was retrained and the grid re-run, a run whose net.pt is gone kept the earlier
    file's scores, which the leaderboard ranked in one column with every other run's scores of today's file (only a
    coverage line said so) → where a metric has scores of today's file, the runs' scores of another file are left out
    of the report's table (results.csv, leaderboard), said in one line; psnr is untouched."""
    from benchmark.report import write_report

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"the encoder trained again")
    store, metric, stale = _stale_store(tmp_path / "r", enc)
    enc.write_bytes(b"a third encoder")  # every run scored with another file: every score kept, as before
    full = store.table()
    enc.write_bytes(b"the encoder trained again")
    write_report(store, formats=(), visual=False, n_boot=50)
    csv = pd.read_csv(store.root / "results.csv")
    assert set(csv.loc[csv.metric == metric, "run_id"]) == set(full.loc[full.metric == metric, "run_id"]) - set(stale)
    assert (csv.metric == "psnr").sum() == (full.metric == "psnr").sum()
    from benchmark import api

    got = api.load_results(str(store.root))  # the rows the report reads are every reader's
    assert sorted(zip(csv.run_id, csv.image, csv.metric)) == sorted(zip(got.run_id, got.image.astype(str), got.metric))
    md = (store.root / "leaderboard.md").read_text()
    (line,) = [x for x in md.splitlines() if "another file" in x]
    assert f"{len(stale)} of" in line and "left out" in line, line


def test_merge_tells_a_damaged_run_of_the_other_store_from_an_unfinished_one(tmp_path):
    """:meth:`ResultsStore.merge_from` counted a run damaged in the other store with its unfinished ones: it is
    ``damaged_there`` now (named by ``plbench merge``), and ``kept`` where this store has it finished intact."""
    import shutil

    from benchmark.results import ResultsStore

    src = _small(tmp_path / "node2", offsets={"l1": 0.0}, n_images=2)
    rid = next(r for r in src.run_ids() if not r.startswith("input-"))
    here = ResultsStore(tmp_path / "here")
    shutil.copytree(src.root, here.root)  # this store has every run, finished intact
    parquet = src.run_dir(rid) / "eval-0.parquet"
    parquet.write_bytes(parquet.read_bytes()[:100])  # cut there: rsync or cp stopped mid-file
    got = ResultsStore(tmp_path / "new").merge_from(src)
    assert got["damaged_there"] == [rid] and got["unfinished"] == [] and rid not in got["copied"]
    got = here.merge_from(src)
    assert got["damaged_there"] == [] and rid in got["kept"]


@pytest.mark.slow
def test_merge_names_each_damaged_run_of_the_other_store_and_why(tmp_path, capsys):
    """``plbench merge node2/results`` with a run there damaged (a copy stopped mid-file: its rows cut) said only
    '1 not finished or damaged there (not copied)': which run's results the merged leaderboard lacks, and why, the
    user had to find by running check on the other store → merge names each damaged run there with its damage
    (the first ones; the count of the rest) and what to do, in the one summary line; an intact copy here keeps it."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    src = _small(tmp_path / "node2", offsets={"l1": 0.0, "good": 1.0, "bad": -1.0})
    rid = next(r for r in src.run_ids() if not r.startswith("input-"))
    parquet = src.run_dir(rid) / "eval-0.parquet"
    parquet.write_bytes(parquet.read_bytes()[:100])  # cut: rsync or cp stopped mid-file
    assert main(["merge", str(src.root), "--out", str(tmp_path / "here")]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "damaged there" in x]
    assert f"{rid} (eval-0.parquet does not match its checksum" in line and "not copied" in line, line
    assert "check --out" in line and "merge again" in line, line
    assert rid not in ResultsStore(tmp_path / "here").run_ids()


def test_the_perf_command_of_a_comparison_names_the_loss_files_it_needs(tmp_path):
    """``compare/<loss>.md`` told the user to time the losses side by side with ``plbench perf --losses otherloss
    goodloss`` — a loss of a file (the new one, or a field loss trained from a ``--loss-file``) is an unknown loss to
    that command, and 'with the same --loss-file' left the user to find which file → the command carries a
    ``--loss-file`` for each file the runs of its losses were trained from (their meta.json), once each, quoted."""
    import shlex

    from benchmark.compare import perf_command

    metas = [{"config": {"loss": "l1"}, "loss_files": {}},
             {"config": {"loss": "goodloss"}, "loss_files": {"goodloss": "/data/my losses/good.py"}},
             {"config": {"loss": "goodloss"}, "loss_files": {"goodloss": "/data/my losses/good.py"}},
             {"config": {"loss": "other(w=0.5)"}, "loss_files": {"other": "/x/other.py"}},
             {"config": {"loss": "unrelated"}, "loss_files": {"unrelated": "/x/unrelated.py"}}]
    argv = shlex.split(perf_command(["other(w=0.5)", "goodloss", "goodloss"], metas))
    assert argv == ["plbench", "perf", "--losses", "other(w=0.5)", "goodloss",
                    "--loss-file", "/data/my losses/good.py", "--loss-file", "/x/other.py"], argv
    assert shlex.split(perf_command(["l1", "l2"], metas)) == ["plbench", "perf", "--losses", "l1", "l2"]


def test_a_users_folder_in_runs_is_no_run(tmp_path):
    """A user's own folder in ``runs/`` (``runs/old/`` to hold runs moved out of the way, ``runs/notes/``) counted as
    a run: ``plbench check`` said '1 unfinished (interrupted or still training: the same `plbench run` resumes it)',
    which no run does → a folder whose name is no run id and that holds none of a run's files is a stray
    (:meth:`ResultsStore.strays`), named by check as no run, not counted by merge as an unfinished run; a folder of a
    run (its files) is never one."""
    store = _small(tmp_path / "r", offsets={"l1": 0.0}, n_images=2)
    (store.runs / "notes").mkdir()
    (store.runs / "notes" / "readme.txt").write_text("which runs are which")
    (store.runs / "old").mkdir()
    (store.runs / "r1").mkdir()  # a run's files under a name of a test's making: still a run
    (store.runs / "r1" / "meta.json").write_text("{}")
    assert store.strays() == ["notes", "old"]
    from benchmark.results import ResultsStore

    got = ResultsStore(tmp_path / "merged").merge_from(store)  # nor a run another store's merge counts as unfinished
    assert got["unfinished"] == ["r1"] and not {"notes", "old"} & set(ResultsStore(tmp_path / "merged").run_ids())


@pytest.mark.slow
def test_check_names_a_users_folder_in_runs_as_no_run(tmp_path, capsys):
    """``plbench check`` on a store with ``runs/notes/``: no 'unfinished' run, the folder named, exit 0."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    (store.runs / "notes").mkdir()
    (store.runs / "notes" / "readme.txt").write_text("which runs are which")
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "unfinished" not in out and "runs/notes" in out and "no run" in out, out


def test_every_reader_of_a_store_leaves_out_the_same_scores_of_another_file(tmp_path, monkeypatch, caplog):
    """b46f964 left the runs' scores of another file than today's out of the report's table only: ``plbench findings``
    and ``api.load_results`` read the store's whole table, so a finding or a user's mean ranked both files' scores in
    one column the leaderboard had split → :meth:`ResultsStore.table` leaves them out, so every reader (report,
    findings, api, compare, calibrate) reads the same rows; what it left out is :attr:`ResultsStore.stale_left`."""
    from benchmark import api, findings

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"the encoder trained again")
    store, metric, stale = _stale_store(tmp_path / "r", enc)
    got = api.load_results(str(store.root))
    assert set(got.loc[got.metric == metric, "run_id"]).isdisjoint(stale) and (got.metric == metric).any()
    seen = {}
    monkeypatch.setattr(findings, "check_all", lambda table, *a, **k: seen.update(table=table) or [])
    caplog.clear()  # api.load_results said it of its own store
    with caplog.at_level("WARNING", logger="benchmark.results"):
        findings.check_store(store)  # `plbench findings` says why a column lacks some runs' scores, once per store
        store.table()
    said = [r.getMessage() for r in caplog.records if "another file" in r.getMessage()]
    assert len(said) == 1 and f"in {len(stale)} of" in said[0] and "no net.pt" in said[0], said
    key = ["run_id", "image", "metric"]
    assert sorted(map(tuple, seen["table"][key].astype(str).values)) == sorted(map(tuple, got[key].astype(str).values))
    from benchmark.report import stale_lines

    assert store.stale_left[metric]["stale"] == stale and f"in {len(stale)} of" in stale_lines(store)[metric]


def test_a_backup_named_the_run_id_then_digits_is_a_copy_when_it_holds_that_run(tmp_path):
    """``cp -a runs/<id> runs/<id>2`` — the commonest backup name — still read as a damaged run (check exit 1,
    'meta.json names another run', ``--repair`` moving the backup's files into its own ``damaged/``), since abf0687
    kept a name of hex digits after the id a run's (a test's ``<id>0`` is a run of its own) → such a folder is a copy
    when its meta.json names the run its name begins with, as only a copy's does; one whose meta.json names itself
    stays a run. Named by check as a copy, read by no report, never merged."""
    import shutil

    from benchmark.results import copy_of

    store = _small(tmp_path / "r", offsets={"l1": 0.0}, n_images=1)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    ids = store.run_ids()
    shutil.copytree(store.run_dir(rid), store.runs / f"{rid}2")
    own = f"{rid}0"  # a run of its own under such a name: its record names it
    shutil.copytree(store.run_dir(rid), store.runs / own)
    store.write_meta(own, {**store.meta(rid), "run_id": own})
    assert store.run_ids() == sorted([*ids, own]) and store.copies() == [f"{rid}2"] and copy_of(f"{rid}2") == rid


@pytest.mark.slow
def test_a_reports_line_on_scores_of_another_file_counts_its_own_boards_runs(tmp_path):
    """A store of two settings: the report of one said its scores of another file were left out 'in 2 of 7 runs' —
    the store's count, not its board's 5 → the line counts the runs of the setting reported."""
    import hashlib

    from benchmark.report import write_report
    from benchmark.synthetic import synthetic_runs

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"the encoder trained again")
    store, metric, stale = _stale_store(tmp_path / "r", enc)
    now = hashlib.sha256(enc.read_bytes()).hexdigest()
    for rid, meta, rows in synthetic_runs(offsets={"good": 1.0}, seeds=(0, 1), n_images=2, metrics=("psnr", metric),
                                          budget_check=False, seed=1):
        if meta.get("kind") == "input":
            continue
        other = f"{rid}1"  # the same runs at another budget: a second setting, a run id of its own
        rows = [{**r, "run_id": other, "setting": r["setting"].replace('"iterations": 150', '"iterations": 300')}
                for r in rows]
        store.write_eval(other, rows, ["psnr", metric], {}, metric_sha256={metric: now})
        store.write_meta(other, {**meta, "run_id": other, "setting": {**meta["setting"], "iterations": 300},
                                 "config": {**meta["config"], "iterations": 300}})
    write_report(store, formats=(), visual=False, n_boot=50, where={"iterations": "150"})
    md = (store.root / "leaderboard.md").read_text()
    (line,) = [x for x in md.splitlines() if "another file" in x]
    assert f"in {len(stale)} of 5 runs" in line, line


def test_a_users_folder_in_runs_is_never_tidied_as_a_run(tmp_path):
    """49a2890 made a user's own folder in ``runs/`` (``runs/notes/``) no run for check and merge alone: every other
    reader still walked it as a run's, and ``plbench check --repair`` removed an hour-old ``.draft.tmp`` there as a
    killed write's leftover — the user's file → a stray is no run to any reader (:meth:`ResultsStore.run_ids`), its
    files never touched; a run folder's own leftover is still found."""
    import os
    import time

    store = _small(tmp_path / "r", offsets={"l1": 0.0}, n_images=1)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    (store.runs / "notes").mkdir()
    mine, left = store.runs / "notes" / ".draft.tmp", store.run_dir(rid) / ".eval-1.parquet.tmp"
    for p in (mine, left):
        p.write_text("x")
        os.utime(p, (time.time() - 7200,) * 2)
    assert store.leftover_temp_files() == [left] and "notes" not in store.run_ids() and store.strays() == ["notes"]

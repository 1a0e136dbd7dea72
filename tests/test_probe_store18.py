"""Session-18 probe of the results store and ``plbench merge``/``check``: run folders known by their own id, merge's
line for the runs in the way, a ``results.csv`` cut mid-line."""
from __future__ import annotations

import shutil

import pytest

import benchmark.cli  # noqa: F401 - imported once, at collection: no test here pays for the imports of the
import benchmark.report  # noqa: F401 - command line and of check's report lines
import benchmark.synthetic  # noqa: F401


def _two_stores(tmp_path):
    """This store (l1) and another (l2): (here, other, l1's run id here, l2's run id there)."""
    from benchmark.synthetic import write_store

    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    other = write_store(tmp_path / "other", offsets={"l2": 0.0}, **kw)
    mine = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    theirs = next(m["run_id"] for m in other.metas() if m.get("kind") != "input")
    return here, other, mine, theirs


@pytest.mark.parametrize("name", ["best", "0123456789abcdef"])
def test_a_link_to_a_folder_holding_another_stores_run_is_no_run_whatever_the_names(tmp_path, capsys, name):
    """``runs/best -> /archive/best-run`` (another store's run kept under a name of the user's, linked in by hand):
    neither name is a run id, so it was read as run 'best' whose meta.json names another run — check exit 1, and
    `check --repair` moved the archive's files into its ``damaged/``, through the link. A run is known by its own id:
    a folder whose record names another run is that run's, wherever it is and whatever either is called — no run
    here, named by check, nothing set aside through it."""
    from benchmark.cli import main

    here, other, _, y = _two_stores(tmp_path)
    archive = tmp_path / "archive" / "best-run"
    archive.parent.mkdir()
    other.run_dir(y).rename(archive)
    (here.runs / name).symlink_to(archive)
    files = sorted(p.name for p in archive.iterdir())
    assert name not in here.run_ids() and here.links() == {name: str(archive)}
    assert main(["check", "--out", str(here.root), "--repair"]) == 0
    said = capsys.readouterr().out
    assert f"runs/{name} is a link to {archive}, another run's folder" in said and "damaged" not in said, said
    assert sorted(p.name for p in archive.iterdir()) == files


def test_a_copy_of_a_run_under_a_name_of_the_users_is_a_copy(tmp_path, capsys):
    """``cp -a runs/<id> runs/best`` (a name of the user's, no run id in it): read as run 'best' whose record names
    another — check exit 1 and every report naming it damaged, --repair moving the copy's files into its own
    ``damaged/``. Its record names the run it copies: a copy, named by check, exit 0, read by no report; and where
    that run's own folder is gone (``mv``, not ``cp``), check says to rename it back."""
    from benchmark.cli import main
    from benchmark.results import copy_of

    here, _, rid, _ = _two_stores(tmp_path)
    ids, before = here.run_ids(), here.table()
    shutil.copytree(here.run_dir(rid), here.runs / "best")
    assert here.run_ids() == ids and here.copies() == ["best"] and copy_of("best", here.runs / "best") == rid
    assert len(here.table()) == len(before)
    assert main(["check", "--out", str(here.root), "--repair"]) == 0
    said = capsys.readouterr().out
    assert "runs/best" in said and "damaged" not in said and not (here.runs / "best" / "damaged").exists(), said
    shutil.rmtree(here.run_dir(rid))
    main(["check", "--out", str(here.root)])
    said = capsys.readouterr().out
    assert f"mv {here.runs / 'best'} {here.run_dir(rid)}" in said, said


def test_merge_names_every_run_in_the_way_and_ends_on_a_line_saying_the_merge_is_incomplete(tmp_path, capsys):
    """Three runs of the other store whose folders here are in the way (one a link to another run's folder, two links
    to a disk not mounted): merge's line named the first with its reason and '; and 2 more' — which two, and why, the
    user could not learn (check does not name a link to nothing), and its last line was 'next: `plbench report …`'
    under exit 1. Each is named with what is in its way and what clears it, and the last line says the merge is
    incomplete, how many runs and what to run once they are cleared."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    kw = dict(n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, seeds=(0,), **kw)
    there = write_store(tmp_path / "there", offsets={"l1": 0.0, "l2": 0.1, "l3": 0.2}, seeds=(0, 1), **kw)
    y = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    xs = sorted(m["run_id"] for m in there.metas() if m.get("kind") != "input" and m["config"]["loss"] != "l1")
    (here.runs / xs[0]).symlink_to(y)
    for x in xs[1:3]:
        (here.runs / x).symlink_to(tmp_path / "usb" / x)
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 1
    lines = capsys.readouterr().out.strip().split("\n")
    assert "3 not copied, their folders here in the way" in lines[0], lines[0]
    for x in xs[:3]:
        assert f"runs/{x} (" in lines[0], (x, lines[0])
    assert f"rm {here.run_dir(xs[0])}" in lines[0] and lines[0].count("which is not there") == 2, lines[0]
    assert lines[-1].startswith("merge incomplete: 3 runs not copied") and "same command again" in lines[-1], lines
    assert all(here.is_done(x) for x in xs[3:]) and here.is_done(y)


@pytest.mark.parametrize("cut", ["mid-line", "mid-quote"])
def test_a_results_csv_cut_mid_line_still_names_the_runs_its_whole_lines_hold(tmp_path, cut):
    """The last report's ``results.csv`` — what remembers the finished runs of a store older than its finished.log —
    cut short mid-line (a copy or a disk that filled while it was copied): its last line has fewer cells than its
    header, pyarrow refused the whole file, and a run folder deleted by hand went unnamed by check and every report.
    The whole lines are read; the cut one is not."""
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    metas = sorted((m for m in store.metas() if m.get("kind") != "input"), key=lambda m: m["config"]["loss"])
    lines = ["run_id,task,task_params,loss,seed,metric,value"]
    lines += [f'{m["run_id"]},denoise,"{{""sigma"": 0.1}}",{m["config"]["loss"]},0,psnr,20.5' for m in metas]
    last = lines.pop()
    lines.append(last[:last.index('"') + 4] if cut == "mid-quote" else last[:20])
    (store.root / "results.csv").write_text("\n".join(lines))
    shutil.rmtree(store.run_dir(metas[0]["run_id"]))
    assert store.gone() == {metas[0]["run_id"]: "denoise/l1 seed 0"}


def test_a_run_folder_deleted_while_the_table_is_read_is_not_called_damaged(tmp_path, monkeypatch, caplog):
    """A run folder deleted (or moved) while `plbench report` read the store, between its record and its rows: the
    leaderboard named it twice — gone ('its folder is gone … put it back, or the same `plbench run` retrains it') and
    'damaged run … left out (eval-0.parquet missing): `plbench check --repair`, then the same `plbench run`' — a
    repair with nothing to set aside. A run whose folder is gone once it is found unreadable is no damaged run: left
    out, said in one warning as moved or deleted, never in :attr:`damaged` (the board names it as gone)."""
    import logging

    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    victim = sorted(r for r in store.run_ids() if not r.startswith("input-"))[0]
    read = ResultsStore._read_pass

    def deleted_meanwhile(self, d, *a, **k):
        if d.name == victim and d.is_dir():
            shutil.rmtree(d)
        return read(self, d, *a, **k)

    monkeypatch.setattr(ResultsStore, "_read_pass", deleted_meanwhile)
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        table = store.table()
    assert victim not in store.damaged and victim not in set(table["run_id"].astype(str)) and len(table)
    said = [r.getMessage() for r in caplog.records if victim in r.getMessage()]
    assert len(said) == 1 and "moved or deleted while" in said[0] and "--repair" not in said[0], said


def test_a_merge_of_several_stores_one_not_there_merges_the_others_and_names_it(tmp_path, capsys):
    """``plbench merge node1 node2 node3 --out results`` where node2's disk is not mounted: node1 was merged, then
    'no results in node2' ended the command — node3 never merged, and nothing said so. Every source that can be read
    is merged; the one that cannot is named in the last line, exit 2."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    node1 = write_store(tmp_path / "node1", offsets={"l2": 0.1}, **kw)
    node3 = write_store(tmp_path / "node3", offsets={"l3": 0.2}, **kw)
    assert main(["merge", str(node1.root), str(tmp_path / "node2"), str(node3.root), "--out", str(here.root)]) == 2
    out, err = capsys.readouterr()
    said = err.strip().splitlines()[-1]
    assert f"error: 1 of 3 sources not merged: {tmp_path / 'node2'}" in said, said
    assert "no such directory" in said and "the others were merged" in said, said
    assert f"{node1.root} → {here.root}" in out and f"{node3.root} → {here.root}" in out, out
    assert {m["run_id"] for m in node3.metas()} <= set(here.run_ids())


def test_merge_brings_the_other_stores_saved_grids(tmp_path, capsys):
    """Nodes run the grids, a head node merges their stores: the grids they ran (``grids/<time>.yaml``) stayed
    behind, so the merged runs' grid could not be replayed here — merge's own advice for runs scored there on metrics
    not scored here, and the report's for scores of another metric file, is '`plbench run` … with its grid' — and the
    leaderboard's title could not name their profile (:func:`benchmark.report.grid_profile` reads ``grids/``). Merge
    copies each saved grid this store does not hold (byte for byte; one of the same name and other text under the next
    free name), once, and its line says so."""
    from benchmark.cli import main
    from benchmark.report import grid_profile
    from benchmark.synthetic import write_store

    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    there = write_store(tmp_path / "there", offsets={"l2": 0.1}, **kw)
    setting = next(m["setting"] for m in there.metas() if m.get("kind") != "input")
    grid = ("profile: full\n" + "".join(f"{k}: {setting[k]}\n" for k in ("net", "iterations", "batch_size", "crop")
                                        if k in setting)).encode()
    (there.root / "grids").mkdir()
    (there.root / "grids" / "20261206-150500Z.yaml").write_bytes(grid)
    (here.root / "grids").mkdir()
    (here.root / "grids" / "20261206-150500Z.yaml").write_bytes(b"profile: quick\n")  # this store's, same second
    assert grid_profile(here.root, setting) is None
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    assert "1 saved grid copied (grids/20261206-150500Z-2.yaml" in capsys.readouterr().out
    assert (here.root / "grids" / "20261206-150500Z-2.yaml").read_bytes() == grid
    assert (here.root / "grids" / "20261206-150500Z.yaml").read_bytes() == b"profile: quick\n"
    assert grid_profile(here.root, setting) == "full"
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0  # again: nothing copied twice
    assert "saved grid" not in capsys.readouterr().out and len(list((here.root / "grids").iterdir())) == 2

"""Session-18 probe of the results store and ``plbench merge``/``check``: run folders known by their own id, merge's
line for the runs in the way, a ``results.csv`` cut mid-line."""
from __future__ import annotations

import shutil

import pytest


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

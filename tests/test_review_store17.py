"""Session-17 review of the results store: a lock of a machine whose clock is off, links in runs/, names a Windows
disk refuses, merge's lines."""
from __future__ import annotations

import os
import time

import pytest

from tests.test_probe_store17 import _held_on_node2, _one_done


def test_a_live_run_of_a_machine_whose_clock_is_behind_is_in_flight_before_its_curve_has_a_row(tmp_path,
                                                                                               monkeypatch):
    """node2's clock two hours behind, its run taken 20 s ago (the lock's time) and still loading its data: no curve
    row yet — every run's first seconds, when each run's start logs the line. The lock's age was then read from its
    text, by node2's clock: 2 h, 'held by another machine for longer than any run takes'. No training seconds since
    the lock is a run just begun (a copy's curve has them): its file's age tells, and so does how long it stays so."""
    import benchmark.progress as progress

    store, cfgs, ids = _one_done(tmp_path)
    now = time.time()
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    _held_on_node2(store, ids[1], text_at=now - 2 * 3600 - 20, lock_at=now - 20, curve=None)
    p = progress.GridProgress(store, cfgs, workers=1)
    line = p.line()
    assert "1 running (1 on another machine)" in line and "longer than any run" not in line, line
    clock[0] += 3 * 200 + 1  # still no row, nothing changed, for thrice the longest run: no run there after all
    assert "1 held by another machine for longer than any run" in p.line()


def test_a_resumed_live_run_of_a_machine_whose_clock_is_behind_stays_in_flight_between_its_writes(tmp_path,
                                                                                                 monkeypatch):
    """node2's clock two hours behind resumes a run from its checkpoint: its curve starts with the 1500 s trained
    before, as a copy's does, so the lock's text (node2's clock: 2 h ago) was read. Seen growing once, it was in
    flight for that one look only, and 'held … longer than any run takes' at the next look before its next write.
    Files seen changing from here are a live run's: in flight until they stop for thrice the longest run, then stale."""
    import benchmark.progress as progress

    store, cfgs, ids = _one_done(tmp_path)
    now = time.time()
    lock = _held_on_node2(store, ids[1], text_at=now - 2 * 3600 - 60, lock_at=now - 60, curve=(1500.0, now - 50))
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    p = progress.GridProgress(store, cfgs, workers=1)
    p.line()
    curve = lock.parent / "curve.csv"
    curve.write_text(curve.read_text() + "30,1530.0,0.3,0.001\n")
    os.utime(curve, (now, now))
    for dt in (5, 5, 30, 400):  # its next write not yet: alive all the same
        clock[0] += dt
        line = p.line()
        assert "1 running (1 on another machine)" in line and "longer than any run" not in line, (dt, line)
    clock[0] += 3 * 200  # node2 stopped: nothing written for thrice the longest run since its last write
    assert "1 held by another machine for longer than any run" in p.line()


def _here_and_there(tmp_path):
    """This store (l1) and another's (l1, l2, l3): (here, there, l1's run here, l2's and l3's run ids there)."""
    from benchmark.synthetic import write_store

    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    there = write_store(tmp_path / "there", offsets={"l1": 0.0, "l2": 0.1, "l3": 0.2}, **kw)
    loss = {m["run_id"]: m["config"]["loss"] for m in there.metas() if m.get("kind") != "input"}
    mine = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    return here, there, mine, sorted(r for r, v in loss.items() if v != "l1")


def test_a_run_folder_linked_to_another_runs_folder_is_never_written_through(tmp_path, capsys):
    """``runs/<X> -> <Y>`` (a link made by hand to reuse run Y for run X, whose id the grid now has): `plbench merge`
    of a store holding X (and `plbench run` of X) took the lock through the link, set run Y's record and rows aside
    as X's damaged ones and wrote X's in Y's folder: a finished run gone from the leaderboard. Nothing is written
    through such a link: that run is refused in one line, run Y stays as it is, the other runs are merged."""
    from benchmark.cli import main
    from benchmark.results import InTheWay, blocks

    here, there, y, (x, other) = _here_and_there(tmp_path)
    (here.runs / x).symlink_to(y)
    with pytest.raises(InTheWay) as err:
        here.lock(x)
    assert blocks(err.value, here.run_dir(x)) and "\n" not in str(err.value)
    assert f"runs/{x} is a link to runs/{y}, another run's folder" in str(err.value)
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 1
    line = capsys.readouterr().out.split("\n")[0]
    assert f"1 not copied, its folder here in the way: runs/{x} (a link to runs/{y}, another run's folder — remove " \
           "the link" in line, line
    assert here.is_done(y) and not here.damage(y) and not (here.run_dir(y) / "damaged").exists()
    assert here.meta(y)["run_id"] == y and here.is_done(other) and (here.runs / x).is_symlink()


def test_a_merge_into_a_store_holding_a_dangling_link_merges_the_other_runs(tmp_path, capsys):
    """``runs/<X>`` a link to a disk not mounted: `plbench merge` stopped at X with exit 2, every run after it not
    merged (and said nothing of them). X is not copied — nothing written over the link, its results come back with
    the disk — and named in merge's line; the others are merged, and merge exits 1."""
    from benchmark.cli import main

    here, there, _, (x, other) = _here_and_there(tmp_path)
    (here.runs / x).symlink_to(tmp_path / "usb" / x)
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 1
    line = capsys.readouterr().out.split("\n")[0]
    assert "1 copied" in line and f"1 not copied, its folder here in the way: runs/{x} (" in line, line
    assert f"a link to {tmp_path / 'usb' / x}, which is not there" in line and "\n" not in line
    assert here.is_done(other) and (here.runs / x).is_symlink() and not (tmp_path / "usb").exists()


def test_merge_says_a_run_trained_apart_within_its_own_part_and_no_diverged_run_to_rescore(tmp_path, capsys):
    """merge's line is parts joined by ', ', each saying its own in parentheses: the trained-apart part ended
    '…); this store's results are the ones its tables read, the other copy stays in <src>, 1 failed there (…)', its
    source read as part of the next. And a run diverged here, finished there, was also 'scored there on metrics not
    scored here … `plbench run --metrics …` re-scores them here': a diverged run has no net to score."""
    from benchmark.cli import main
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    kw = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **kw)
    there = write_store(tmp_path / "there", offsets={"l1": 0.0, "l2": 0.1}, **kw)
    rid = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    for p in here.run_dir(rid).glob("eval-*"):
        p.unlink()
    atomic_write_json(here.run_dir(rid) / "meta.json", {**here.meta(rid), "status": "diverged", "diverged_at": 7})
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    line = capsys.readouterr().out.split("\n")[0]
    part = line.partition("1 of those trained apart there (")[2]
    assert part.endswith(f"the other copy stays in {there.root})") and part.count("(") + 1 == part.count(")"), line
    assert "scored there on metrics not scored here" not in line, line


def test_the_comparison_of_several_new_losses_says_their_runs_were_taken_from_the_store():
    """``plbench compare --losses huber l1`` again: the header said '`huber`, `l1` earlier too (its 4 runs taken …)',
    one loss's runs for two. Several new losses' runs are theirs."""
    from benchmark.compare import _timed_when

    metas = {"a": {"status": "ok", "started": 100.0}, "b": {"status": "ok", "started": 300.0}}
    assert _timed_when(metas, {"a", "b"}, since=200.0, several=True).startswith("now and earlier (1 of their 2 runs")
    assert _timed_when(metas, {"a"}, since=200.0, several=True).startswith("earlier too (their 1 run taken")
    assert _timed_when(metas, {"a"}, since=200.0).startswith("earlier too (its 1 run taken")


def test_a_grid_whose_run_folder_links_to_another_runs_folder_goes_on(tmp_path):
    """`plbench run` first sets the grid's damaged runs aside; ``runs/<X> -> <Y>`` reads as X's record naming another
    run, so that took X's lock — refused since, nothing written through the link — and the refusal ended the whole
    grid before its first run. That run is left to its own one line; run Y is untouched."""
    from benchmark.runner import _repair_damaged
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    y = next(m["run_id"] for m in store.metas() if m.get("kind") != "input")
    x = "0123456789abcdef"
    (store.runs / x).symlink_to(y)
    _repair_damaged(store, [x, y])
    assert store.is_done(y) and not store.damage(y) and not (store.run_dir(y) / "damaged").exists()


def test_a_run_folder_linked_to_a_run_of_another_store_is_no_run_either(tmp_path, capsys):
    """``runs/<X> -> ../../other/runs/<Y>`` (run Y of another store reused by hand): read as run X whose record names
    another, so `check --repair` set that store's run Y aside through the link. A link to a folder named as another
    run id is another run's folder wherever it is: named by check, left as it is, nothing written through it."""
    from benchmark.cli import main
    from benchmark.results import InTheWay
    from benchmark.synthetic import write_store

    kw = dict(offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here, other = write_store(tmp_path / "here", **kw), write_store(tmp_path / "other", offsets={"l2": 0.0},
                                                                      seeds=(0,), n_images=2, metrics=("psnr",),
                                                                      budget_check=False)
    y = next(m["run_id"] for m in other.metas() if m.get("kind") != "input")
    x = "0123456789abcdef"
    (here.runs / x).symlink_to(other.run_dir(y))
    assert x not in here.run_ids() and here.links() == {x: str(other.run_dir(y).resolve())}
    assert main(["check", "--out", str(here.root), "--repair"]) == 0
    assert f"runs/{x} is a link to {other.run_dir(y).resolve()}, another run's folder" in capsys.readouterr().out
    with pytest.raises(InTheWay):
        here.lock(x)
    assert other.is_done(y) and not other.damage(y) and not (other.run_dir(y) / "damaged").exists()
    moved = tmp_path / "disk2" / x  # a run moved to another disk under its own name is the run itself
    (here.runs / x).unlink()
    moved.parent.mkdir()
    other.run_dir(y).rename(moved)
    (here.runs / x).symlink_to(moved)
    assert here.links() == {} and here.linked_run(x) == ""


def test_an_edited_comparison_under_a_windows_device_name_is_kept_under_a_name_windows_takes(tmp_path):
    """``compare/aux.md`` of before such names were hashed, edited by hand: kept aside as ``aux.edited.md`` — a
    device's name on Windows still (any extension), so the store could not be copied to an SMB share or a FAT disk,
    the very defect the hash fixed. It is kept as ``aux_.edited.md``; another name (``L1``) as before."""
    from benchmark.compare import _header, prune_unhashed

    for name in ("aux", "L1"):
        (tmp_path / f"{name}.md").write_text(_header([name]) + "\nedited by hand\n")
        prune_unhashed(tmp_path, [name])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["L1.edited.md", "aux_.edited.md"]

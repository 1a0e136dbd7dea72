"""Session-17 probe of the results store and ``plbench compare``: file names a Windows disk refuses, a lock of a
machine whose clock is off, a new loss all of whose runs failed, costs of runs taken from the store."""
from __future__ import annotations

import pytest

from benchmark.results import ResultsStore


@pytest.mark.parametrize("name", ["con", "aux", "nul", "prn", "com1", "lpt9", "aux.v2", "nul.x.y", "l1."])
def test_a_name_windows_refuses_as_a_file_is_hashed(name):
    """A loss named ``aux`` (an auxiliary loss) compared: ``compare/aux.md`` cannot be created, opened or copied on
    Windows (nor on a store on an SMB share or a FAT USB disk): CON, PRN, AUX, NUL, COM0-9 and LPT0-9 are devices there,
    with any extension; a name ending in a dot loses it. Such a name is written with its hash, as a name of other
    characters is."""
    from benchmark.compare import _stem
    from benchmark.results import file_name

    got = file_name(name, "loss")
    assert got != name and got.startswith(name.rstrip(".")[:3]) and len(got) <= 80
    assert got.split(".")[0].lower() not in {"con", "prn", "aux", "nul", "com1", "lpt9"} and not got.endswith(".")
    assert _stem([name]) == got and file_name(name, "loss") == got  # one name, every time
    assert file_name("auxiliary", "loss") == "auxiliary" and file_name("com10", "loss") == "com10"  # not devices


def _field_with(tmp_path, new: str, started: float):
    """A synthetic field (l1, l2; seeds 0, 1) whose ``new`` runs started at ``started``: (store, field metas, their
    run ids)."""
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1), n_images=2, metrics=("psnr",),
                        budget_check=False)
    field = [m for m in store.metas() if m.get("kind") != "input"]
    ids = {m["run_id"] for m in field if m["config"]["loss"] == new}
    for m in field:
        if m["run_id"] in ids:
            atomic_write_json(store.run_dir(m["run_id"]) / "meta.json", {**m, "started": started})
    return store, field, ids


def test_the_new_loss_runs_taken_from_the_store_are_not_said_timed_now():
    """What the header says of the new loss's runs: those started before this compare began were taken from the
    store (how many of how many), a failed one not counted; all started since: now."""
    from benchmark.compare import _timed_when

    metas = {"a": {"status": "ok", "started": 100.0}, "b": {"status": "ok", "started": 300.0},
             "c": {"status": "failed", "started": 50.0}}
    assert _timed_when(metas, {"a", "b", "c"}, since=200.0) == (
        "now and earlier (1 of its 2 runs taken from this results directory, trained by an earlier command)")
    assert _timed_when(metas, {"b"}, since=200.0) == "now" and _timed_when(metas, {"a"}, since=None) == "now"
    assert _timed_when(metas, {"a"}, since=200.0).startswith("earlier too (its 1 run taken")


@pytest.mark.slow  # ~2 s in one process: the statistics and export stack the comparison imports
@pytest.mark.parametrize("when", ["yesterday", "now"])
def test_the_comparison_says_when_the_new_loss_was_timed(tmp_path, when):
    """``plbench compare`` run again on a store that holds the new loss's runs (an earlier compare trained them) trains
    nothing, yet its summary said the new loss was timed 'now', beside the field 'earlier': both were timed when they
    trained. It says the new loss's runs were taken from the store; runs trained by this compare are timed now."""
    import time

    from benchmark.compare import _summary

    t0 = time.time()
    store, field, ids = _field_with(tmp_path, "l2", t0 - 86400 if when == "yesterday" else t0 + 1)
    text, _ = _summary(store, {"denoise": field}, ["l2"], {"denoise": []}, 0.05, 20, "l1", (), ids, keep=None,
                       since=t0)
    head = text.split("\n")[2]
    if when == "now":
        assert "`l2` now" in head
    else:
        assert "`l2` now" not in head and "`l2` earlier too (its 2 runs taken from this results directory" in head


def test_merge_says_a_run_finished_in_both_stores_from_other_training_differs(tmp_path, capsys):
    """Two machines that each trained the same run id (two stores not shared; a GPU's training is not bit for bit
    reproducible) hold two nets and two sets of scores. ``plbench merge`` said '1 already here' and kept this store's
    in silence: the leaderboard then shows one machine's numbers as if both agreed. It counts such runs — their saved
    nets differ, as their records' checksums say — names the first, and says which copy the tables read."""
    from benchmark.cli import main
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    kw = dict(offsets={"l1": 0.0}, seeds=(0, 1), n_images=2, metrics=("psnr",), budget_check=False)
    here, there = write_store(tmp_path / "here", **kw), write_store(tmp_path / "there", **kw)
    runs = sorted(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    for store, digest in ((here, "a"), (there, "b")):
        for rid in runs:
            atomic_write_json(store.run_dir(rid) / "meta.json",
                              {**store.meta(rid), "state_sha256": {"net.pt": (digest if rid == runs[0] else "c") * 64}})
    got = here.merge_from(there)
    assert set(runs) <= set(got["kept"]) and got["trained_apart"] == [runs[0]]
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    line = capsys.readouterr().out
    assert f"1 of those trained apart there (runs/{runs[0]}" in line, line
    assert "this store's results are the ones its tables read" in line


def test_a_run_folder_linked_to_a_disk_not_mounted_is_that_runs_one_line(tmp_path):
    """``runs/<id>`` a symlink to a folder on another disk (moved there for space), that disk not mounted: `plbench
    run` ended the grid with 'internal error: FileExistsError: … File exists' (a link to nothing is neither a folder
    to use nor a file the line named). It is that run's one line, naming the link and where it points, so the grid
    goes on and nothing is written through or over the link (its results come back with the disk)."""
    from benchmark.results import InTheWay, blocks

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    rid = "0123456789abcdef"
    (tmp_path / "r" / "runs").mkdir(exist_ok=True)
    store.run_dir(rid).symlink_to(tmp_path / "usb" / rid)  # the disk not mounted: its folder is not there
    with pytest.raises(InTheWay) as err:
        store.lock(rid)
    line = str(err.value)
    assert "\n" not in line and f"runs/{rid} is a link to {tmp_path / 'usb' / rid}, which is not there" in line, line
    assert blocks(err.value, store.run_dir(rid)) and store.run_dir(rid).is_symlink()
    # check names it as such: not 'its results are lost … the same `plbench run` retrains it', which it does not
    from benchmark.report import gone_lines

    store.note_finished(rid, {"config": {"task": "denoise", "loss": "l1", "seed": 0}})
    said = gone_lines(store, check=True)
    assert len(said) == 1 and "which is not there (a disk not mounted" in said[0] and "lost" not in said[0], said


def _held_on_node2(store, rid, text_at: float, lock_at: float, curve: tuple[float, float] | None):
    """``rid``'s lock as node2 wrote it: its text saying it was taken at ``text_at`` (node2's clock), the file's time
    ``lock_at`` (the file server's); ``curve``: (its last training seconds, the file's time) of its live curve.csv."""
    import os
    import time

    d = store.run_dir(rid)
    d.mkdir(parents=True)
    lock = d / ".lock"
    lock.write_text(f"pid 4242 on node2-xyz since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(text_at))}")
    os.utime(lock, (lock_at, lock_at))
    if curve:
        (d / "curve.csv").write_text(f"iteration,seconds,loss,lr\n10,{curve[0] / 2},0.5,0.001\n"
                                     f"20,{curve[0]},0.4,0.001\n")
        os.utime(d / "curve.csv", (curve[1], curve[1]))
    return lock


def _one_done(tmp_path, wall: float = 200.0):
    from benchmark.config import RunConfig, run_id

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss="pdl", seed=s, train_fingerprint="x", test_fingerprint="y")
            for s in range(3)]
    store.write_meta(run_id(cfgs[0]), {"run_id": run_id(cfgs[0]), "status": "ok", "config": cfgs[0].to_dict(),
                                       "wall_s": wall})
    return store, cfgs, [run_id(c) for c in cfgs]


def test_a_live_run_of_a_machine_whose_clock_is_behind_is_in_flight(tmp_path):
    """node2's clock is two hours behind: its live run, taken 60 s ago by the file server's clock (the lock's time) and
    writing its curve.csv, says 'since <2 h ago>'. The ETA took it for a lock copied long ago (over thrice the longest
    run of 200 s): no worker, charged in full, and the line said 'held by another machine for longer than any run
    takes'. Where the run's own file times (its lock, then its curve 55 training seconds later) show they were not
    reset by a copy, the lock's age is read from them, on one clock, not from another machine's clock."""
    import time

    from benchmark.progress import GridProgress

    store, cfgs, ids = _one_done(tmp_path)
    now = time.time()
    _held_on_node2(store, ids[1], text_at=now - 2 * 3600 - 60, lock_at=now - 60, curve=(55.0, now - 1))
    line = GridProgress(store, cfgs, workers=1).line()
    assert "1 running (1 on another machine)" in line and "longer than any run" not in line, line


def test_a_copied_lock_of_a_machine_whose_clock_is_ahead_is_judged_by_what_is_seen_here(tmp_path, monkeypatch):
    """A store copied (plain cp) from node2, whose clock is hours ahead, while it trained a run: the lock's text says
    it was taken in the future and its file's time is the copy's, so neither clock tells that nothing holds it, and
    the ETA counted it in flight for ever. Watched from here, its files unchanged for thrice the longest run on this
    machine's own clock: a run still to do. A run whose curve grows between two looks is alive, whatever the clocks."""
    import os
    import time

    import benchmark.progress as progress

    store, cfgs, ids = _one_done(tmp_path)
    now = time.time()
    _held_on_node2(store, ids[1], text_at=now + 3 * 3600, lock_at=now, curve=(1500.0, now))
    live = _held_on_node2(store, ids[2], text_at=now + 3 * 3600, lock_at=now - 60, curve=(55.0, now - 1))
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    p = progress.GridProgress(store, cfgs, workers=1)
    assert "2 running (2 on another machine)" in p.line()
    clock[0] += 3 * 200 + 1  # ten minutes later, node2's live run wrote its curve meanwhile; the copy did not change
    curve = live.parent / "curve.csv"
    curve.write_text(curve.read_text() + "30,80.0,0.3,0.001\n")
    os.utime(curve, (now + 1, now + 1))
    line = p.line()
    assert "1 running (1 on another machine)" in line and "1 held by another machine for longer than any run" in line


@pytest.mark.parametrize("linked", ["runs", "store"])
def test_a_store_whose_runs_folder_links_to_a_disk_not_mounted_says_so(tmp_path, linked):
    """``runs/`` (or the results directory itself) a symlink to a disk not mounted now: `plbench check` and `report`
    said 'no results in … (run `plbench run` first)' — of a store holding a night's runs — and `plbench run` 'cannot
    create results directory …: File exists'. Each says the link points to a folder that is not there, in one line,
    and nothing is created in its place."""
    from benchmark.cli import main
    from benchmark.errors import UserError
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=1, metrics=("psnr",),
                        budget_check=False)
    where = store.runs if linked == "runs" else store.root
    where.rename(tmp_path / "usb")  # the disk's folder, then the disk unmounted: the link points to nothing
    where.symlink_to(tmp_path / "not-mounted")
    for call in (lambda: store.require_results(store.root), store.ensure_writable, store.preflight):
        with pytest.raises(UserError) as err:
            call()
        line = str(err.value)
        assert "\n" not in line and f"{where} is a link to {tmp_path / 'not-mounted'}, which is not there" in line
    assert main(["check", "--out", str(store.root)]) == 2 and where.is_symlink()
    assert not (tmp_path / "not-mounted").exists()


def test_merge_says_a_run_that_diverged_here_and_finished_there(tmp_path, capsys):
    """The same run id trained on two machines diverged on this one (no net, no scores) and finished on the other:
    both are finished runs, so merge kept this store's divergence as '1 already here' and the other machine's scores
    were never seen. It is a run trained apart, said with what each machine's training did."""
    from benchmark.cli import main
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    kw = dict(offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)
    here, there = write_store(tmp_path / "here", **kw), write_store(tmp_path / "there", **kw)
    rid = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    for p in here.run_dir(rid).glob("eval-*"):
        p.unlink()
    atomic_write_json(here.run_dir(rid) / "meta.json", {**here.meta(rid), "status": "diverged", "diverged_at": 7})
    got = here.merge_from(there)
    assert rid in got["kept"] and got["trained_apart"] == [rid]
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    line = capsys.readouterr().out
    assert f"1 of those trained apart there (runs/{rid}: diverged here, finished there" in line, line


@pytest.mark.parametrize("field, value", [("sha256", 5), ("rows", "3"), ("scored", "psnr"), ("skipped", ["lpips"])])
def test_a_pass_record_of_another_shape_is_named_not_its_rows(tmp_path, field, value):
    """``eval-0.json`` valid JSON whose fields are of another shape (edited by hand, another tool's file): a checksum
    that is no text was reported as 'eval-0.parquet does not match its checksum', blaming intact rows; a ``scored``
    that is a text, not a list, passed every check and was read letter by letter as the metrics scored ('p', 's', …),
    so merge said the other store scored metrics this one lacks. The record is the damage, named as such."""
    from benchmark.results import atomic_write_json, read_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rid = next(m["run_id"] for m in store.metas() if m.get("kind") != "input")
    rec = store.run_dir(rid) / "eval-0.json"
    atomic_write_json(rec, {**read_json(rec), field: value})
    assert store.damage(rid) == f"eval-0.json is not a pass record (its {field} is {value!r})"


def test_a_run_folder_linked_to_another_runs_folder_is_no_run_and_repair_leaves_that_run(tmp_path, capsys):
    """``runs/<X>`` a symlink to ``runs/<Y>`` (a link made by hand, a deduplicating tool): X read as a run whose
    meta.json names another run, so `check --repair` set 'its' files aside — through the link, run Y's own: a
    finished run of the leaderboard moved to damaged/ and trained again by the next `plbench run`. The link is no
    run: check names it and what it points to, and --repair leaves run Y as it is."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rid = next(m["run_id"] for m in store.metas() if m.get("kind") != "input")
    alias = "0123456789abcdef"
    (store.runs / alias).symlink_to(rid)
    assert alias not in store.run_ids() and store.links() == {alias: rid}
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    said = capsys.readouterr().out
    assert f"runs/{alias} is a link to runs/{rid}" in said and "not a run" in said, said
    assert store.is_done(rid) and not store.damage(rid) and not (store.run_dir(rid) / "damaged").exists()

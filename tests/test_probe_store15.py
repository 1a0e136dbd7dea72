"""Results store and ``plbench compare`` as a user comparing a new loss with a field run once (session 15): a store
copied mid-grid, output names on a case-insensitive file system, …"""
from __future__ import annotations

import shutil

import benchmark.cli  # noqa: F401 - imported once at collection (pandas, the store): no test here pays it
import benchmark.report  # noqa: F401
import benchmark.synthetic  # noqa: F401


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    store = write_store(root, **kw)
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    return store


def test_a_store_copied_mid_grid_holds_no_run_in_flight(tmp_path):
    """``cp -a results snapshot`` while a grid trains copies each running run's ``.lock`` (its text: ``pid N on
    HOST since T``) but not the flock on it. The pid is alive on this host, so the copy's board said the run 'was
    being trained by another process … `plbench report` once it finishes adds it' — nothing will, in a snapshot —
    and the ETA counted it running. A lock is read as held only where the kernel holds it on that very file."""
    from benchmark.report import in_flight_lines
    from benchmark.results import ResultsStore, RunLock

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    (store.run_dir(rid) / "meta.json").unlink()  # a run this process trains now: no record yet, its lock held
    lock = store.lock(rid)
    assert isinstance(lock, RunLock)
    try:
        assert rid in store.in_flight()  # the store itself: held, said so
        assert RunLock.held_for(store.run_dir(rid) / ".lock") is not None
        shutil.copytree(store.root, tmp_path / "snapshot", symlinks=True)  # as cp -a: the lock's text, no flock
        copy = ResultsStore(tmp_path / "snapshot")
        assert RunLock.held_for(copy.run_dir(rid) / ".lock") is None
        assert copy.in_flight() == {}
        assert in_flight_lines(copy, copy.in_flight()) == []
        assert rid in store.in_flight()  # the original still held
    finally:
        lock.release()


def test_compare_files_of_losses_named_alike_but_for_case_are_apart_on_a_case_insensitive_disk(tmp_path):
    """Loss names are case-sensitive (a plugin's ``L1`` beside the built-in ``l1``, ``MyLoss`` and ``myloss``), but
    a store on macOS's or Windows' disk (or a case-insensitive ext4 folder) is not: ``compare/L1.md`` and
    ``compare/l1.md`` were one file there, each compare writing over the other's (their figures too). A name with a
    capital letter now ends in its hash, as a name with another character does; a comparison written under its
    name of before is moved to the new one's place (:func:`benchmark.compare.prune_unhashed`)."""
    from benchmark.compare import _header, _safe, prune_unhashed

    specs = ["l1", "L1", "MyLoss", "myloss", "MYLOSS", "my_loss(w=0.5)", "My_loss(w=0.5)", "l1_L1"]
    names = [_safe(s) for s in specs]
    assert len({n.casefold() for n in names}) == len(specs), names
    assert _safe("l1") == "l1" and _safe("my_loss") == "my_loss"  # lower-case names keep theirs
    d = tmp_path / "compare"
    d.mkdir()
    (d / "MyLoss.md").write_text(_header(["MyLoss"]) + "\n")  # written under its earlier name
    (d / "myloss.md").write_text(_header(["myloss"]) + "\n")
    assert prune_unhashed(d, ["MyLoss"]) == [d / "MyLoss.md"]
    assert sorted(p.name for p in d.iterdir()) == ["MyLoss.edited.md", "myloss.md"]  # no checksum: kept aside


def test_a_comparison_of_several_losses_has_a_file_of_its_own(tmp_path):
    """``compare/<name>.md`` of several specs joined them with ``_``, which loss names hold too: ``plbench compare
    --losses huber l1`` and a compare of the loss ``huber_l1`` (or of ``a`` + ``b_c`` and ``a_b`` + ``c``) wrote one
    file, the later silently over the earlier (plbench wrote both). Several specs are now named with a hash of the
    list; one spec keeps its name, and a comparison written under the joined name is moved to the new one's place."""
    from benchmark.compare import _header, _stem, prune_unhashed

    stems = [_stem(n) for n in (["huber", "l1"], ["huber_l1"], ["a", "b_c"], ["a_b", "c"])]
    assert len(set(stems)) == 4, stems
    assert _stem(["huber_l1"]) == "huber_l1" and _stem(["l1"]) == "l1"
    d = tmp_path / "compare"
    d.mkdir()
    (d / "huber_l1.md").write_text(_header(["huber", "l1"]) + "\n")  # the pair's file, under the joined name
    assert prune_unhashed(d, ["huber_l1"]) == []  # a single loss's own name: nothing to move
    assert prune_unhashed(d, ["huber", "l1"]) == [d / "huber_l1.md"]
    assert sorted(p.name for p in d.iterdir()) == ["huber_l1.edited.md"]


def test_the_newest_saved_grid_is_found_by_its_time_in_utc_and_its_number(tmp_path, monkeypatch):
    """``grids/<time>.yaml`` was named by the clock of the machine that ran the grid, in its own time zone: a store
    shared by a node in Tokyo and one in New York (or a laptop that travelled) held names out of the order they were
    written in, and the report's title took its profile from the newest *name*. Two grids of one second were
    ``<time>.yaml`` then ``<time>-2.yaml``, which sorts before it: the older one's profile won. Names are now UTC
    (``…Z``), and the number after the time counts (``-10`` after ``-9``)."""
    import time

    from benchmark.report import grid_profile
    from benchmark.results import grid_stamp

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        now = time.time()
        assert grid_stamp(now) == time.strftime("%Y%m%d-%H%M%SZ", time.gmtime(now))
        assert grid_stamp(now) != time.strftime("%Y%m%d-%H%M%SZ", time.localtime(now))
    finally:
        monkeypatch.undo()  # TZ as it was
        time.tzset()
    g = tmp_path / "grids"
    g.mkdir()
    setting = {"net": "tiny", "iterations": 10, "batch_size": 2, "crop": 32}
    body = "net: tiny\niterations: 10\nbatch_size: 2\ncrop: 32\nprofile: {}\n"
    for name, profile in [("20261206-100000", "quick"), ("20261206-100000-2", "quick"),
                          ("20261206-100000-10", "standard"), ("20261206-095959Z", "full")]:
        (g / f"{name}.yaml").write_text(body.format(profile))
    monkeypatch.setenv("TZ", "UTC")  # the names without Z are read in this machine's time zone (grid_order)
    time.tzset()
    try:
        assert grid_profile(tmp_path, setting) == "standard"
        (g / "20261206-100001Z.yaml").write_text(body.format("full"))
        assert grid_profile(tmp_path, setting) == "full"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_perf_command_of_a_comparison_loads_the_loss_file_given_now(tmp_path):
    """``plbench compare --loss-file new/place/mine.py`` of a loss whose runs were trained from a file since moved or
    renamed (another checkout, a store copied to another machine) found them by the file's hash, yet told the user to
    time it with ``plbench perf --losses … --loss-file <the path recorded in the runs>``: a file not there, so the
    command printed failed. The file given now, which registers the loss, is named; a recorded path only for a loss
    not loaded from a file now."""
    from benchmark.compare import perf_command
    from benchmark.registry import LOSSES, load_user_file

    f = tmp_path / "new" / "place" / "perf15.py"
    f.parent.mkdir(parents=True)
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                 "@register_loss('perf15_loss', version='1')\nclass P(torch.nn.Module):\n"
                 "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    if "perf15_loss" not in LOSSES:
        load_user_file(f, LOSSES)
    here = str(LOSSES.get("perf15_loss").meta["file"])
    metas = [{"config": {"loss": "perf15_loss"}, "loss_files": {"perf15_loss": "/gone/old/perf15.py"}},
             {"config": {"loss": "other15"}, "loss_files": {"other15": "/kept/other15.py"}}]
    cmd = perf_command(["perf15_loss", "l1", "other15"], metas)
    assert f"--loss-file {here}" in cmd and "/gone/old" not in cmd, cmd
    assert "--loss-file /kept/other15.py" in cmd, cmd  # a field loss of a file not loaded now: as recorded


def test_a_loss_of_a_file_gone_from_where_its_runs_were_trained_says_so(tmp_path):
    """``plbench compare --losses mine`` (or ``run``/``report`` naming it) on a store moved to another machine, or
    after the loss file moved, said 'load it with --loss-file /old/place/mine.py' — a path not there, so the next
    command failed 'loss file not found' and the user had to guess that any copy of the same file finds the runs.
    The line now says the file is not there and that the file of that version (its hash) finds them wherever it is."""
    import json

    import pytest

    from benchmark.errors import UserError
    from benchmark.lossfn import parse_loss_spec

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    p = store.run_dir(rid) / "meta.json"
    meta = json.loads(p.read_text())
    meta["config"]["loss"] = "gone15_loss"
    meta["loss_versions"] = {"gone15_loss": "1+b18d8b3114f8"}
    meta["loss_files"] = {"gone15_loss": str(tmp_path / "old" / "gone15.py")}
    p.write_text(json.dumps(meta))
    with pytest.raises(UserError) as err, store.naming_file_losses():
        parse_loss_spec("gone15_loss")
    msg = str(err.value)
    assert "\n" not in msg and str(tmp_path / "old" / "gone15.py") in msg, msg
    assert "not there" in msg and "b18d8b3114f8" in msg, msg


def test_the_versions_note_reads_the_same_on_every_machine(monkeypatch):
    """The report's note on a loss file's versions said when each version's newest run started in the local time
    of the machine writing the report, with no zone: the same store reported on a node in Tokyo and on a laptop in
    Berlin wrote two leaderboards (and compare files) that differ, each hour unmarked. It is UTC, said so."""
    import time

    from benchmark.stats import versions_of
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "myl1": 0.1}, metrics=("psnr",), seeds=(0, 1), n_images=2)
    mine = t["loss"] == "myl1"
    t.loc[t["loss"] == "l1", "loss_version"] = "l1=1"
    t.loc[mine, "loss_version"] = ["myl1=1+0123456789ab" if s == 0 else "myl1=1+ba9876543210"
                                   for s in t.loc[mine, "seed"]]
    metas = [{"run_id": r, "started": 1_800_000_000.0} for r in set(t.loc[mine, "run_id"])]
    lines = []
    try:
        for tz in ("UTC", "Asia/Tokyo", "America/New_York"):
            monkeypatch.setenv("TZ", tz)
            time.tzset()
            lines.append(versions_of(t, metas))
    finally:
        monkeypatch.undo()  # TZ as it was
        time.tzset()
    assert lines[0] == lines[1] == lines[2], lines
    assert "newest started 2027-01-15 08:00 UTC" in lines[0][0], lines[0]


def test_a_lock_says_when_it_was_taken_with_its_day_in_utc(tmp_path):
    """A run's lock named its holder ``pid N on HOST since 03:12:09``: the clock of the holder's machine, no day, no
    zone. On a store shared by nodes (NFS), the warning about a lock held from another machine — remove it if
    nothing runs there any more — and a board's 'being trained by …' note could not tell a lock taken a minute ago
    from one left by a node that crashed three days before, nor one node's hours from another's. It is the UTC day
    and time; a lock written by an earlier plbench is still read."""
    import calendar
    import re
    import time

    from benchmark.results import RunLock, stale_lock_hint

    before = time.time()
    lock = RunLock.acquire(tmp_path / ".lock")
    assert isinstance(lock, RunLock)
    try:
        text = (tmp_path / ".lock").read_text()
    finally:
        lock.release()
    m = re.fullmatch(r"pid \d+ on \S+ since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), inode \d+", text)  # the file's own
    assert m, text
    taken = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))
    assert before - 2 <= taken <= time.time() + 1
    hint = stale_lock_hint(tmp_path / ".lock", text.replace(text.split()[3], "node-gone-17"))
    assert hint is not None and f"(since {m.group(1)})" in hint, hint
    old = stale_lock_hint(tmp_path / ".lock", "pid 4242 on node-gone-17 since 03:12:09")
    assert old is not None and "(since 03:12:09)" in old

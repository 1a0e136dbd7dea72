"""Probe of the results store's integrity and its input checks (probe-store). Each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmark.docmarkup import plural
from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import write_store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _trained(store: ResultsStore) -> list[str]:
    return [r for r in store.run_ids() if not r.startswith("input-")]


def _with_net(store: ResultsStore, rid: str, recorded: bool) -> Path:
    """Give finished run ``rid`` a saved tiny net as the runner saves it; its checksum in meta.json when
    ``recorded`` (this version), none otherwise (a run written by an older version)."""
    from benchmark.nets import build_net

    sha = store.save_state(rid, "net.pt", {k: v.float() for k, v in build_net("tiny").state_dict().items()})
    if recorded:
        meta = json.loads((store.run_dir(rid) / "meta.json").read_text())
        atomic_write_json(store.run_dir(rid) / "meta.json", {**meta, "state_sha256": {"net.pt": sha}})
    return store.run_dir(rid) / "net.pt"


def _flip(path: Path, at: float = 0.6) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("recorded", [True, False], ids=["this-version", "older-store"])
@pytest.mark.parametrize("damage", ["changed", "truncated"])
def test_check_names_a_damaged_saved_net(tmp_path, capsys, recorded, damage):
    """A finished run's ``net.pt`` truncated (a full disk, a copy cut short) or with one byte changed — the
    changed one still loads in ``torch.load`` and re-scores garbage — and ``plbench check`` said "every record
    readable and matching its checksum", exit 0. The runner records the net's sha256 in meta.json; check names
    the run (the CRC-32s of torch's zip for a run recorded without one), exit 1, and its rows stay counted."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = _trained(store)[0]
    net = _with_net(store, rid, recorded)
    assert main(["check", "--out", str(store.root)]) == 0
    capsys.readouterr()
    if damage == "changed":
        _flip(net)
    else:
        net.write_bytes(net.read_bytes()[: len(net.read_bytes()) // 2])
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if rid in x)
    assert "net.pt" in line and ("checksum" in line or "CRC-32" in line or "unreadable" in line), out
    assert "every record readable and matching its checksum" not in out.splitlines()[-1] or "damaged" in out
    assert rid in set(ResultsStore(store.root).table()["run_id"])  # its rows: intact, still counted


def test_repair_of_damaged_rows_with_a_damaged_net_retrains(tmp_path):
    """A run whose rows and saved net are both damaged was repaired "passes only" (its net.pt exists): the next
    run re-scored a net that is not the one trained — or could not, leaving the run with no rows for ever. A
    damaged net counts as none: the whole run is set aside and retrained."""
    store = _small(tmp_path / "r")
    rid = _trained(store)[0]
    _flip(_with_net(store, rid, recorded=True))
    rows = store.run_dir(rid) / "eval-0.parquet"
    rows.write_bytes(rows.read_bytes()[:-10])
    assert store.damage(rid)
    with store.lock(rid):
        done = store.repair(rid)
    assert "retrains" in done, done
    assert not (store.run_dir(rid) / "meta.json").exists()  # set aside whole, nothing deleted
    assert list((store.run_dir(rid) / "damaged").glob("*/net.pt"))


def _flip_in_largest_tensor(path: Path) -> None:
    """Change one byte inside the data of the largest tensor of a ``torch.save`` zip (not its metadata)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        info = max(z.infolist(), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    # past the local header (its own name and extra field lengths, which may differ from the central directory's)
    local_extra = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26:info.header_offset + 28],
                                                     "little") + local_extra
    data[start + info.file_size // 2] ^= 0x40
    path.write_bytes(bytes(data))


def test_resume_ignores_a_checkpoint_whose_bytes_changed(tmp_path, caplog):
    """A checkpoint with one byte of a tensor changed (disk or copy damage) still loads in ``torch.load``, and the
    run resumed from it silently — the net it went on training was not the one saved. Its zip's CRC-32s are
    checked first: it is ignored with one warning, and the run starts over (only the time it saved is lost)."""
    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy

    def parts():
        torch.manual_seed(0)
        net = torch.nn.Linear(64, 64)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        return net, opt, torch.optim.lr_scheduler.StepLR(opt, 5), torch.nn.L1Loss(), torch.Generator()

    ck = Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(every=1, seconds=0), {"config": "x"})
    net, opt, sched, loss, gen = parts()
    ck.save(7, net=net, opt=opt, sched=sched, loss_fn=loss, gen=gen, device=torch.device("cpu"), progress={})
    net2, opt2, sched2, loss2, gen2 = parts()
    assert ck.restore(net=net2, opt=opt2, sched=sched2, loss_fn=loss2, gen=gen2, device=torch.device("cpu"))[0] == 7
    _flip_in_largest_tensor(ck.path)
    torch.load(ck.path, weights_only=True)  # still loads: only the CRC tells
    net3, opt3, sched3, loss3, gen3 = parts()
    with caplog.at_level("WARNING", logger="benchmark.checkpoint"):
        got = Checkpointer(ck.path, ck.policy, ck.fingerprint).restore(
            net=net3, opt=opt3, sched=sched3, loss_fn=loss3, gen=gen3, device=torch.device("cpu"))
    assert got == (0, {})
    assert "ckpt.pt" in caplog.text and len(caplog.records) == 1


def test_merge_mends_a_damaged_net_from_an_intact_copy(tmp_path):
    """Two copies of the same finished run (same meta.json): here its net.pt truncated, there intact. The merge
    kept the damaged one (it filled in only a missing net), so `plbench check` kept naming it whatever was merged;
    and a source's damaged net filled in a missing one here. The intact net is copied over the damaged one, which
    is set aside under damaged/ (never deleted); a damaged source net is never copied."""
    import shutil

    here = _small(tmp_path / "here")
    rid = _trained(here)[0]
    net = _with_net(here, rid, recorded=True)
    shutil.copytree(here.root, tmp_path / "there")
    there = ResultsStore(tmp_path / "there")
    good = net.read_bytes()
    net.write_bytes(good[: len(good) // 2])  # cut short: a full disk, an interrupted copy
    assert here.state_damage(rid)
    got = here.merge_from(there)
    assert rid in got["kept"]
    assert not here.state_damage(rid) and net.read_bytes() == good
    assert list((here.run_dir(rid) / "damaged").glob("*/net.pt"))  # the damaged copy: set aside

    net.unlink()  # missing here, damaged there: not filled in with the damaged one
    _flip(there.run_dir(rid) / "net.pt")
    here.merge_from(there)
    assert not net.exists()


def test_check_names_a_killed_merge_not_a_retrain(tmp_path, capsys):
    """A merge killed (SIGKILL, a crashed node) after copying a run's committed pass but before its meta.json
    left its lock file saying "merge writing it"; `plbench check` advised that the next `plbench run` move the
    rows aside and retrain the run — training thrown away, when merging again finishes the copy. Check now names
    the stopped merge and says the same merge finishes it."""
    import shutil
    import socket

    from benchmark.cli import main
    from benchmark.results import MERGE_WRITE

    src = _small(tmp_path / "src")
    rid = _trained(src)[0]
    dst = ResultsStore(tmp_path / "dst")
    dst.ensure_writable()
    d = dst.run_dir(rid)
    d.mkdir(parents=True)
    for f in ("eval-0.parquet", "eval-0.json"):
        shutil.copy(src.run_dir(rid) / f, d / f)
    (d / ".lock").write_text(f"pid 999999999 on {socket.gethostname()} since 01:02:03, {MERGE_WRITE}")
    main(["check", "--out", str(dst.root)])
    line = next(x for x in capsys.readouterr().out.splitlines() if rid in x)
    assert "merge" in line and "retrain" not in line, line
    got = dst.merge_from(src)  # and it does
    assert rid in got["copied"] + got["replaced"] and dst.is_done(rid)


def test_a_grid_says_when_its_runs_are_there_with_the_same_data_at_another_path(tmp_path):
    """A store copied to another machine whose datasets live at another absolute path (same images, same content
    fingerprint): every run was trained again without a word — the data's path is part of the run id — and the
    report split into two settings. The grid now names how many of its runs are there with the same data at
    another path, and which path, so the user can point at the data there (a symlink) and reuse them."""

    import numpy as np
    from PIL import Image

    from benchmark.config import RunConfig
    from benchmark.runner import made_at_other_paths, resolve_all, run_id

    old, rng = _same_images_at_two_paths(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(other / "im0.png")

    def cfg(folder):
        return resolve_all([RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32,
                                      train_data=(str(folder),), test_data=(str(folder),))])[0]

    was = cfg(old)
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    store.write_meta(run_id(was), {"run_id": run_id(was), "status": "ok", "config": was.to_dict()})
    new = cfg(tmp_path / "new")
    assert run_id(new) != run_id(was)
    got = made_at_other_paths(store, [new])
    assert list(got.values()) == [1] and str(old) in next(iter(got)), got
    assert made_at_other_paths(store, [was]) == {}  # its own runs: done, nothing to say
    assert made_at_other_paths(store, [cfg(other)]) == {}  # other images: not the same runs


@pytest.mark.parametrize("inside", ["runs", "a run's folder"])
def test_a_folder_inside_a_store_names_the_store(tmp_path, inside):
    """`plbench merge --out X results/runs` (or report/check on ``results/runs/<id>``), an easy slip with shell
    completion, said only "not a plbench results directory (no store.json, no runs/)". It now names the results
    directory it lies in: one line, exit 2."""
    from benchmark.cli import main
    from benchmark.errors import UserError

    store = _small(tmp_path / "r")
    path = store.runs if inside == "runs" else store.run_dir(_trained(store)[0])
    with pytest.raises(UserError, match="inside the results directory") as err:
        ResultsStore(path).require_results(str(path))
    assert str(store.root) in str(err.value) and "\n" not in str(err.value)
    assert main(["check", "--out", str(path)]) == 2


def test_grid_progress_reads_a_finished_run_once(tmp_path):
    """The progress line at each run's start read every run's meta.json (and the lock of every unfinished one):
    O(N²) file reads over a grid — 56 ms a call at 684 finished runs on a local disk, seconds at 10⁴ runs on
    NFS, for every run of a resumed grid. A finished run's record is final: it is read once, and later calls
    read only the runs still to do, with the same counts."""
    from benchmark.config import RunConfig, run_id
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss="l1", seed=s, iterations=4) for s in range(6)]
    for c in cfgs[:4]:
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": 2.0})
    p = GridProgress(store, cfgs)
    read: list[str] = []
    meta = store.meta
    store.meta = lambda rid: read.append(rid) or meta(rid)
    first = p.status()
    assert first["done"] == 4 and first["seconds"]["pixel"] == [2.0] * 4
    read.clear()
    assert p.status() == first
    assert set(read) <= {run_id(c) for c in cfgs[4:]}  # only the runs still to do (begun ones)
    c = cfgs[4]
    store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": 3.0})
    assert p.status()["done"] == 5


@pytest.mark.parametrize("extra", [".DS_Store", "._eval-0.json", ".gitkeep"])
def test_a_store_from_before_store_json_copied_with_desktop_files_is_still_a_store(tmp_path, capsys, extra):
    """A store written before ``store.json`` existed (recognised by its ``runs/`` of run folders), copied by a
    desktop (macOS adds ``.DS_Store`` and ``._*`` files) or kept in git (``.gitkeep``): one such file in
    ``runs/`` made check, report and merge refuse it as "not a plbench results directory (no store.json, no
    runs/)" — which it has. Placeholder files there are ignored, as in an empty results folder."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    (store.root / "store.json").unlink()
    (store.runs / extra).write_bytes(b"\0")
    assert ResultsStore(store.root).is_store()
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr()


def _legacy_net(store: ResultsStore, rid: str) -> Path:
    """A net.pt saved in torch's legacy (non-zip) format, as ``torch.save(..., _use_new_zipfile_serialization=False)``
    or a torch before 1.6 wrote it, by a version that recorded no checksum."""
    import torch

    from benchmark.nets import build_net

    path = store.run_dir(rid) / "net.pt"
    torch.save({k: v.float() for k, v in build_net("tiny").state_dict().items()}, path,
               _use_new_zipfile_serialization=False)
    return path


def test_a_net_saved_in_torchs_legacy_format_is_not_called_damaged(tmp_path, capsys):
    """An older run's net.pt in torch's legacy (non-zip) format, which ``torch.load`` reads, was named by
    ``plbench check`` as 'unreadable (truncated or not a saved state)' (exit 1), and a re-score and the visual
    grid refused it: it has no zip CRC-32s to test. Such a file is checked by loading it; a truncated one is
    still named."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = _trained(store)[0]
    net = _legacy_net(store, rid)
    assert store.state_damage(rid) == ""
    assert main(["check", "--out", str(store.root)]) == 0
    assert "every record readable" in capsys.readouterr().out
    net.write_bytes(net.read_bytes()[: net.stat().st_size // 2])
    assert "net.pt unreadable" in store.state_damage(rid)
    assert main(["check", "--out", str(store.root)]) == 1


def test_a_dry_run_says_when_its_runs_are_there_with_the_same_data_at_another_path(tmp_path, monkeypatch, caplog):
    """``run --dry-run`` on a store copied from a machine whose datasets lived at another path estimated every run
    as to train without a word; only the run itself then warned that they are there, kept apart. The dry run
    names them the same way (it still writes nothing)."""
    import logging

    import benchmark.cli as cli
    from benchmark.runner import run_id

    old, rng = _same_images_at_two_paths(tmp_path)
    planned = []
    monkeypatch.setattr(cli, "_dry_run", lambda args, configs, *a, **kw: planned.append(configs) or 0)

    def dry(folder):
        return cli.main(["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "3", "--crop", "32",
                         "--batch-size", "2", "--metrics", "psnr", "--train-data", str(folder), "--test-data",
                         str(folder), "--device", "cpu", "--no-progress", "-q", "--dry-run", "--out",
                         str(tmp_path / "r")])

    assert dry(old) == 0
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c in planned[0]:  # the grid's runs, finished on the machine whose data was at old/
        store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict()})
    before = sorted(p.name for p in store.runs.iterdir())
    with caplog.at_level(logging.WARNING):
        assert dry(tmp_path / "new") == 0
    said = [r.getMessage() for r in caplog.records if "at other paths" in r.getMessage()]
    assert len(said) == 1 and f"{len(planned[1])} of the {plural(len(planned[1]), 'run')}" in said[0] \
        and str(old) in said[0], caplog.text
    assert sorted(p.name for p in store.runs.iterdir()) == before  # nothing written


def test_repair_keeps_a_fresh_temp_file_when_this_hosts_clock_runs_ahead(tmp_path, monkeypatch, capsys):
    """``check --repair`` on a host whose clock runs an hour or more ahead of the file server's (clock skew between
    hosts sharing an NFS store: the server stamps a file's mtime) removed another host's ``report`` temp file
    written a second ago as 'left by an interrupted write' — that report then failed at its rename. The age of a
    temp file is now also measured by the store's own clock (a file stamped there now)."""
    import time

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    fresh = store.root / ".results.csv.abc123.tmp.csv"  # another host's report writing it now
    fresh.write_text("loss,value\n")
    old = store.root / ".leaderboard.md.def456.tmp.md"  # a killed write, long ago
    old.write_text("x")
    day = time.time() - 86400
    import os

    os.utime(old, (day, day))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 2 * 3600)  # this host's clock two hours ahead
    main(["check", "--repair", "--out", str(store.root)])
    monkeypatch.setattr(time, "time", real)
    assert fresh.exists(), capsys.readouterr().out
    assert not old.exists()
    assert not [p for p in store.root.iterdir() if p.name.startswith(".") and ".tmp" in p.name and p != fresh]


def test_grid_progress_reads_no_record_of_a_run_not_started(tmp_path):
    """After the finished runs were cached, each progress line still read the meta.json and lock of every run
    still to do — on a fresh grid of N runs, N reads at each run's start: still O(N²) over the grid (seconds
    per run at 10⁴ runs on NFS). A run with no folder in runs/ has neither: one listing of runs/ tells them,
    and only runs begun (a folder there) are read, with the same counts."""
    from benchmark.config import RunConfig, run_id
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss="l1", seed=s, iterations=4) for s in range(8)]
    c = cfgs[0]
    store.write_meta(run_id(c), {"run_id": run_id(c), "status": "ok", "config": c.to_dict(), "wall_s": 2.0})
    store.run_dir(run_id(cfgs[1])).mkdir()  # begun: a worker's folder, no record yet
    p = GridProgress(store, cfgs)
    read: list[str] = []
    meta = store.meta
    store.meta = lambda rid: read.append(rid) or meta(rid)
    got = p.status()
    assert got["done"] == 1 and got["todo"] == {"pixel": 7} and got["started"] == 0, got
    assert sorted(read) == sorted({run_id(c) for c in cfgs[:2]}), read
    read.clear()
    assert p.status() == got and read == [run_id(cfgs[1])]


def test_check_names_a_merge_killed_while_mending_a_net_not_a_retrain(tmp_path, capsys):
    """A merge mending a damaged net (b62c249) killed after setting it aside under damaged/ but before the intact
    copy was in place left the run without its net and its lock saying "merge writing it"; `plbench check` said
    "put the file back, or move … aside to retrain the run" — training thrown away, when the same merge puts the
    intact copy there. Check names the stopped merge, as for a killed merge's rows."""
    import shutil
    import socket

    from benchmark.cli import main
    from benchmark.results import MERGE_WRITE

    src = _small(tmp_path / "src")
    rid = _trained(src)[0]
    _with_net(src, rid, recorded=True)
    shutil.copytree(src.root, tmp_path / "dst")
    dst = ResultsStore(tmp_path / "dst")
    dst.set_aside(rid, only=lambda p: p.name == "net.pt")  # the damaged one, set aside; then the kill
    (dst.run_dir(rid) / ".lock").write_text(f"pid 999999999 on {socket.gethostname()} since 01:02:03, {MERGE_WRITE}")
    assert main(["check", "--out", str(dst.root)]) == 1
    # the run's line, not the set-aside files' one (test_probe_r3store25)
    line = next(x for x in capsys.readouterr().out.splitlines() if rid in x and "damaged/<n>/" not in x)
    assert "net.pt missing" in line and "merge" in line and "retrain" not in line, line
    dst.merge_from(src)  # and it does
    assert (dst.run_dir(rid) / "net.pt").read_bytes() == (src.run_dir(rid) / "net.pt").read_bytes()
    assert not dst.state_damage(rid)


def _same_images_at_two_paths(tmp_path):
    """Two 40×40 random PNGs in ``tmp_path/old`` and the same files copied to ``tmp_path/new`` (a dataset moved
    to another absolute path); returns ``old`` and the generator, to draw other images from."""
    import shutil

    import numpy as np
    from PIL import Image

    old = tmp_path / "old"
    old.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(old / f"im{i}.png")
    shutil.copytree(old, tmp_path / "new")
    return old, rng

"""Probe of the results store's integrity under faults (probe-store, ninth pass). Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("which", ["trained", "input"])
def test_the_damaged_count_counts_runs_as_the_finished_summary_does(tmp_path, capsys, which):
    """The finished summary says "4 runs (and 1 scoring of the degraded input)"; with one run damaged the
    same store said "1 of 5 runs damaged" (and --repair "1 of 5 runs set aside"): the degraded input's
    scoring counted as a trained run. Both lines count trained runs, and the input's scorings apart."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    ids = store.run_ids()
    inputs = [r for r in ids if r.startswith("input-")]
    trained = [r for r in ids if not r.startswith("input-")]
    assert inputs and trained
    assert main(["check", "--out", str(store.root)]) == 0
    capsys.readouterr()
    rid = (trained if which == "trained" else inputs)[0]
    _flip(store.run_dir(rid) / "eval-0.parquet")
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    if which == "trained":
        assert last.startswith(f"1 of {len(trained)} runs damaged"), last
    else:
        assert last.startswith(f"1 of {len(inputs)} scoring of the degraded input damaged"), last
    main(["check", "--out", str(store.root), "--repair"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    if which == "trained":
        assert last.startswith(f"1 of {len(trained)} runs set aside"), last
    else:
        assert last.startswith(f"1 of {len(inputs)} scoring of the degraded input set aside"), last


def _net_as_the_runner_saves_it(store: ResultsStore, rid: str) -> Path:
    """Give finished run ``rid`` a saved tiny net with what the runner records of it in meta.json."""
    import json

    from benchmark.nets import build_net
    from benchmark.results import atomic_write_json

    sha = store.save_state(rid, "net.pt", {k: v.float() for k, v in build_net("tiny").state_dict().items()})
    meta = json.loads((store.run_dir(rid) / "meta.json").read_text())
    atomic_write_json(store.run_dir(rid) / "meta.json",
                      {**meta, "state_sha256": {"net.pt": sha}, "state_stat": store.state_stats(rid, ["net.pt"])})
    return store.run_dir(rid) / "net.pt"


def test_check_reads_no_saved_net_unchanged_since_it_was_written_unless_full(tmp_path, capsys, monkeypatch):
    """``plbench check`` read and hashed every saved net (~2.5 min per 10⁴ runs) to find the one truncated or
    changed. The runner records each net's size and modification time beside its sha256: a net with both as
    recorded is not read; one whose time changed (rewritten, or copied without its times: ``cp -r``) is hashed;
    ``check --full`` hashes them all (a change that kept the time: bit rot)."""
    import os

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    net = _net_as_the_runner_saves_it(store, rid)
    hashed = []  # the saved nets read (to hash them)
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: (hashed.append(p) if p.name == "net.pt" else None) or real(p))
    assert main(["check", "--out", str(store.root)]) == 0
    assert hashed == [], "an unchanged net was read and hashed"
    assert main(["check", "--out", str(store.root), "--full"]) == 0
    assert len(hashed) == 1
    out = capsys.readouterr().out
    assert "--full" in out.splitlines()[0] and "--full" not in out.splitlines()[-1], out
    # one byte changed in place, its time put back: only --full tells
    st = net.stat()
    data = bytearray(net.read_bytes())
    data[len(data) // 2] ^= 0xFF
    net.write_bytes(bytes(data))
    os.utime(net, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert main(["check", "--out", str(store.root)]) == 0
    assert main(["check", "--out", str(store.root), "--full"]) == 1
    assert rid in capsys.readouterr().out.splitlines()[-2]
    # the same change with a new time (the usual rewrite, or a cp -r copy): hashed, named without --full
    os.utime(net, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert main(["check", "--out", str(store.root)]) == 1
    # cut short: its size tells, without reading it
    hashed.clear()
    net.write_bytes(bytes(data[: len(data) // 2]))
    assert main(["check", "--out", str(store.root)]) == 1
    assert hashed == []


@pytest.mark.slow
def test_a_run_records_its_nets_size_and_time_so_check_does_not_read_it(tmp_path, monkeypatch, random_images):
    """The runner's own record (not the helper above): a trained run's net is left unread by a plain check."""
    from benchmark.cli import main

    out, images = tmp_path / "r", random_images(3, 40).source
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--crop", "32", "--batch-size",
                 "2", "--metrics", "psnr", "--device", "cpu", "--no-progress", "--no-report", "--out", str(out),
                 "--train-data", images, "--test-data", images]) == 0
    store = ResultsStore(out)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    assert store.meta(rid)["state_stat"] == store.state_stats(rid, ["net.pt"])
    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: (read.append(p) if p.name == "net.pt" else None) or real(p))
    assert main(["check", "--out", str(out)]) == 0
    assert read == []


@pytest.mark.parametrize("name", ["meta.json", "store.json"])
def test_a_json_record_saved_by_an_editor_with_a_bom_and_crlf_is_still_read(tmp_path, capsys, name):
    """A ``meta.json`` opened and saved in a Windows editor (a UTF-8 BOM, CRLF line ends; the README says to put
    one back by hand) was "meta.json unreadable": check called the finished run damaged and ``--repair`` set its
    rows aside for retraining. ``store.json`` so saved refused the whole store. Both are read as UTF-8 with or
    without a BOM."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    before = store.table()
    path = store.run_dir(rid) / name if name == "meta.json" else store.root / name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr()
    assert "every record readable" in capsys.readouterr().out
    fresh = ResultsStore(store.root)
    assert fresh.meta(rid) is not None and len(fresh.table()) == len(before)


def test_a_merged_net_is_still_checked_without_reading_it(tmp_path, monkeypatch):
    """Runs merged from cluster nodes are the 10⁴-run store that the quick check is for, but merge writes each
    net anew (a new modification time), so check hashed every merged net. Merge gives a copied net the time its
    run recorded once the copy's bytes match the recorded sha256 (a copy that does not match keeps its own time:
    check hashes it and names it)."""
    from benchmark.cli import main

    node = _small(tmp_path / "node")
    rids = [r for r in node.run_ids() if not r.startswith("input-")]
    for rid in rids:
        _net_as_the_runner_saves_it(node, rid)
    bad = node.run_dir(rids[1]) / "net.pt"  # changed after it was written: its time moved
    _flip(bad)
    main_store = ResultsStore(tmp_path / "main")
    main_store.ensure_writable()
    assert main(["merge", str(node.root), "--out", str(main_store.root)]) == 0
    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: (read.append(p.parent.name) if p.name == "net.pt" else None)
                        or real(p))
    assert main(["check", "--out", str(main_store.root)]) == 1  # the changed net, copied as it was: named
    assert read == [rids[1]]


def test_a_merge_stopped_by_a_full_disk_before_its_first_file_leaves_no_unfinished_run(tmp_path, monkeypatch, capsys):
    """A merge whose first write hit a full disk left the run's folder empty; ``check`` then counted "1 unfinished
    (interrupted or still training: the same `plbench run` resumes it)" — a run never begun here, of a command
    that was not run. An empty run folder holds nothing to resume or keep: check counts it apart, in one
    clause, and the same merge fills it."""
    from benchmark import faults
    from benchmark.cli import main

    node = _small(tmp_path / "node")
    here = _small(tmp_path / "here", seeds=(1,))
    monkeypatch.setattr(faults, "_passed", {})
    monkeypatch.setenv(faults.DISK_FULL_ENV, "1")
    assert main(["merge", str(node.root), "--out", str(here.root)]) == 3
    monkeypatch.delenv(faults.DISK_FULL_ENV)
    empty = [r for r in here.run_ids() if not any(here.run_dir(r).iterdir())]
    assert len(empty) == 1
    capsys.readouterr()
    assert main(["check", "--out", str(here.root)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "unfinished" not in last and "1 empty run folder" in last, last
    mine = [r for r in here.run_ids() if not r.startswith("input-") and r not in empty]
    assert last.startswith(f"{here.root}: {len(mine)} run"), last
    assert main(["merge", str(node.root), "--out", str(here.root)]) == 0
    assert main(["check", "--out", str(here.root)]) == 0
    assert "empty" not in capsys.readouterr().out

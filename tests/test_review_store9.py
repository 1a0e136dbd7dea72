"""Review of the results store's integrity under faults (rev-store, ninth pass). Each test failed before its fix."""

from __future__ import annotations

import shutil

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _reported(store: ResultsStore) -> None:
    """The ``results.csv`` a report writes (its raw table), as a spreadsheet saves it back: BOM and CRLF."""
    text = store.table().to_csv(index=False, lineterminator="\r\n")
    (store.root / "results.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())


@pytest.mark.parametrize("which", ["trained", "input"])
def test_a_run_folder_deleted_by_hand_is_named_by_check_and_report(tmp_path, capsys, which, caplog):
    """A run folder deleted by hand (or left out of a copy) vanished without a word: ``check`` said "N runs,
    every record readable" with exit 0, and the next report dropped its loss's cells (or the input row) silently,
    forgetting it had ever been there. The last report's ``results.csv`` names it: check names the run, what it
    was and what to do, with exit 1; the report says it left it out."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    _reported(store)
    rid = next(r for r in store.run_ids() if r.startswith("input-") == (which == "input"))
    shutil.rmtree(store.run_dir(rid))
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    line = next((x for x in out.splitlines() if rid in x), "")
    assert "gone" in line and "finished in this store" in line and "plbench run" in line, out
    assert (" input" if which == "input" else "/l1 seed 0") in line or "/good seed 0" in line, line
    assert "1 gone" in out.strip().splitlines()[-1], out
    fresh = ResultsStore(store.root)
    from benchmark.report import gone_lines
    assert any(rid in x for x in gone_lines(fresh))


def test_a_run_id_a_spreadsheet_saved_as_a_number_is_not_named_gone(tmp_path, capsys):
    """A spreadsheet saves an all-digit hex run id back as a number: that cell names no run, not a lost one."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    _reported(store)
    csv = store.root / "results.csv"
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    csv.write_bytes(csv.read_bytes().replace(rid.encode(), b"1.23457E+19"))
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr().out
    assert store.gone() == {}


def _stamped_net(store: ResultsStore, rid: str):
    """Give finished run ``rid`` a saved net with what the runner records of it (sha256, size and time)."""
    from benchmark.results import atomic_write_json, read_json

    sha = store.save_state(rid, "net.pt", {"w": __import__("torch").arange(64.0)})
    meta = read_json(store.run_dir(rid) / "meta.json")
    atomic_write_json(store.run_dir(rid) / "meta.json",
                      {**meta, "state_sha256": {"net.pt": sha}, "state_stat": store.state_stats(rid, ["net.pt"])})
    return store.run_dir(rid) / "net.pt"


@pytest.mark.parametrize("fault", ["record", "net"])
def test_check_that_finds_damage_says_which_nets_it_did_not_read(tmp_path, capsys, fault):
    """A clean check ends "N saved nets not read: size and time as written (--full hashes them)"; a check that
    found a damaged record or a cut net — a failing disk, where a net changed in place is likeliest — said
    nothing of the nets it took as intact unread, nor of --full."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    nets = [_stamped_net(store, r) for r in trained]
    if fault == "record":
        data = bytearray((store.run_dir(trained[0]) / "eval-0.parquet").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (store.run_dir(trained[0]) / "eval-0.parquet").write_bytes(bytes(data))
    else:
        nets[0].write_bytes(nets[0].read_bytes()[:-10])
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    unread = len(trained) - (fault == "net")
    assert f"{unread} saved net{'s' if unread != 1 else ''} not read" in last and "--full" in last, last
    if fault == "record":
        main(["check", "--out", str(store.root), "--repair"])
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert "not read" in last and "--full" in last, last


def test_nets_copied_without_their_times_are_given_them_back_by_repair(tmp_path, capsys, monkeypatch):
    """A store copied with ``cp -r`` (new modification times) had every saved net hashed by every check, for
    good, without a word: the quick check never came back for it. Check says how many nets it read and why;
    ``--repair`` gives a net whose bytes match its recorded sha256 the time it was written, so the next check
    reads none (a net that does not match keeps its time and is named)."""
    import os
    from pathlib import Path

    from benchmark.cli import main

    store = _small(tmp_path / "r")
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    nets = [_stamped_net(store, r) for r in trained]
    for p in nets:  # as cp -r leaves them: same bytes, the copy's time
        os.utime(p, ns=(p.stat().st_mtime_ns + 10**9, p.stat().st_mtime_ns + 10**9))
    assert main(["check", "--out", str(store.root)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert f"{len(nets)} saved nets read" in last and "--repair" in last, last
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: (read.append(p) if p.name == "net.pt" else None) or real(p))
    assert main(["check", "--out", str(store.root)]) == 0
    assert read == [], read
    assert f"{len(nets)} saved nets not read" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["report", "repair"])
def test_the_copy_advice_for_a_read_only_store_makes_a_writable_copy(tmp_path, monkeypatch, capsys, command):
    """A store made read-only (``chmod -R a-w``, archived results) refused a report with "copy it first (cp -r …
    <a writable place>)"; but ``cp -r`` keeps the modes, so the copy refused again with the same advice — a loop
    (seen as an unprivileged user). The advice says to make the copy writable."""
    from benchmark import cli

    store = _small(tmp_path / "r")
    _flip = store.run_dir(store.run_ids()[0]) / "eval-0.parquet"
    _flip.write_bytes(_flip.read_bytes()[:-5])
    monkeypatch.setattr(cli, "_not_writable", lambda path: "Permission denied")
    argv = ["report", "--out", str(store.root)] if command == "report" else ["check", "--out", str(store.root),
                                                                             "--repair"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "(cp -r " in err and "chmod -R u+w" in err, err

"""Probe of the results store's integrity (session 26, store): the lost-workers line, repair leftovers, …"""
from __future__ import annotations


def _record(cfg, path, other=None):
    """A checkpoint record of ``cfg`` (or of run config ``other``) that reads, at ``path``."""
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.config import code_version

    torch.save({"format": FORMAT, "fingerprint": {"config": (other or cfg).to_dict(), "code_version": code_version()},
                "iteration": 1}, path)


def _lost(cfgs, store) -> str:
    """The lost-workers line of a grid of ``cfgs`` whose one worker was killed before any run finished."""
    import pytest

    from benchmark import executors

    with pytest.raises(executors.WorkersLost) as err:
        executors._collect(cfgs, store.root, ["psnr"], [executors._died("w0", -9)], "workers")
    return str(err.value)


def test_the_lost_workers_line_says_why_a_run_with_an_unusable_checkpoint_starts_over(tmp_path):
    """Was: a lost worker's run whose ckpt.pt is cut short (or another run's, copied in) was told "start them again
    (none had a checkpoint yet)" — it has one, which no run can resume from; the line says so, in one line, and names
    `plbench check`, which says why."""
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss="l1", seed=s, iterations=2) for s in range(3)]
    for cfg in cfgs:
        store.run_dir(run_id(cfg)).mkdir(parents=True)
    (store.run_dir(run_id(cfgs[0])) / "ckpt.pt").write_bytes(b"cut short")
    said = _lost(cfgs, store)
    assert "\n" not in said and "none had a checkpoint" not in said and "2 start again (no checkpoint yet)" in said
    assert "1 starts again from iteration 0" in said and f"plbench check --out {store.root}" in said, said
    _record(cfgs[1], store.run_dir(run_id(cfgs[1])) / "ckpt.pt")
    _record(cfgs[2], store.run_dir(run_id(cfgs[2])) / "ckpt.pt", other=cfgs[1])  # another run's, copied in
    said = _lost(cfgs, store)
    assert "1 resumes from its checkpoint" in said and "2 start again from iteration 0" in said, said
    assert "no checkpoint yet" not in said, said
    (store.run_dir(run_id(cfgs[0])) / "ckpt.pt").unlink()
    (store.run_dir(run_id(cfgs[1])) / "ckpt.pt").unlink()
    said = _lost(cfgs, store)  # the run with another's checkpoint, and two with none
    assert "1 starts again from iteration 0" in said and "2 start again (no checkpoint yet)" in said, said
    assert "resumes" not in said, said


def test_check_names_unreadable_files_an_earlier_repair_kept(tmp_path, capsys):
    """Was: `check --repair` kept a garbled finished.log as ``finished.log.unreadable`` and an unreadable attempt's
    record as ``attempts/<n>.json.unreadable`` and said so once; every check after named neither, so they stayed
    for ever unnamed. A check names them (paths, what to do), as it names what a repair set aside under damaged/;
    kept on purpose, no error: the exit code stays 0."""
    from test_review_store11 import _noted

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    log = store.root / "finished.log"
    log.write_bytes(log.read_bytes() + b"\x00\xff garbage\n")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    (store.run_dir(rid) / "attempts").mkdir()
    (store.run_dir(rid) / "attempts" / "0.json").write_bytes(b"{cut")
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    first = capsys.readouterr()
    assert sum("finished.log.unreadable" in x for x in (first.out + first.err).splitlines()) == 1, first
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr()
    line = next((x for x in (said.out + said.err).splitlines() if "finished.log.unreadable" in x), "")
    assert f"runs/{rid}/attempts/0.json.unreadable" in line and "delete" in line, said


def test_check_does_not_tell_to_delete_what_a_live_process_set_aside_in_a_run_it_holds(tmp_path, capsys):
    """Was: check's damaged/ line named the checkpoints and saved nets under ``runs/<id>/damaged/<n>/`` of a run a live
    process holds (its retry training, a merge copying it, a --repair setting it aside) as set aside for good — "look,
    then delete them" — while that process may still put them back (a set-aside stopped by a full disk moves them
    back) or is writing there. They are counted apart, as in flight, and named once the process ends."""
    from test_review_store11 import _noted

    from benchmark.cli import main
    from benchmark.results import RunLock

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    aside = store.run_dir(rid) / "damaged" / "0"
    aside.mkdir(parents=True)
    (aside / "ckpt.pt").write_bytes(b"\0" * 2048)
    lock = RunLock.acquire(store.run_dir(rid) / ".lock")
    assert not isinstance(lock, str)
    with lock:
        assert main(["check", "--out", str(store.root)]) == 0
        said = capsys.readouterr()
        lines = (said.out + said.err).splitlines()
        assert not any(f"runs/{rid}/damaged/0/ckpt.pt" in x and "delete" in x for x in lines), said
        assert any("damaged/" in x and "in flight" in x and "held by pid" in x for x in lines), said
    (store.run_dir(rid) / ".lock").write_text("pid 4242 on elsewhere-node since 2026-01-01T00:00:00Z")
    assert main(["check", "--out", str(store.root)]) == 0  # another machine's lock: held, and how to clear a stale one
    said = capsys.readouterr()
    line = next((x for x in (said.out + said.err).splitlines() if "in flight" in x), "")
    assert "elsewhere-node" in line and f"remove {store.run_dir(rid) / '.lock'}" in line, said
    (store.run_dir(rid) / ".lock").unlink()
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr()
    assert any(f"runs/{rid}/damaged/0/ckpt.pt" in x and "delete" in x for x in (said.out + said.err).splitlines())


def test_a_new_pass_deletes_only_rows_written_after_the_last_committed_pass(tmp_path):
    """Was: write_eval deleted every ``eval-<k>.parquet`` without its record, also one before the last committed pass
    — a finished run's rows whose ``eval-<k>.json`` was lost (a copy left it out), which check names as damage and
    reset_run (_passes_to_keep) moves aside, never deletes. Now one rule: only rows past the last committed pass (a
    write killed before its record) are deleted; earlier ones are kept."""
    from test_review_store11 import _noted

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    d = store.run_dir(rid)
    rows = store.table().query("run_id == @rid").to_dict("records")
    store.write_eval(rid, rows, ["psnr"], {})  # eval-1: a re-score
    (d / "eval-0.json").unlink()  # the first pass's record lost
    (d / "eval-3.parquet").write_bytes(b"rows of a write killed before its record")
    store.write_eval(rid, rows, ["psnr"], {})
    assert (d / "eval-0.parquet").is_file() and not (d / "eval-3.parquet").exists()
    assert (d / "eval-2.json").is_file()

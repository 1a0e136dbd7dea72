"""Probe of the store's and drivers' loose ends (session 25): SLURM job states, stopped half-batch checkpoints, …"""
from __future__ import annotations

#: every job state sacct or squeue can report (Slurm's sacct(1)/squeue(1) "JOB STATE CODES")
SLURM_STATES = ("BOOT_FAIL", "CANCELLED", "COMPLETED", "CONFIGURING", "COMPLETING", "DEADLINE", "FAILED", "NODE_FAIL",
                "OUT_OF_MEMORY", "PENDING", "PREEMPTED", "RUNNING", "RESV_DEL_HOLD", "REQUEUE_FED", "REQUEUE_HOLD",
                "REQUEUED", "RESIZING", "REVOKED", "SIGNALING", "SPECIAL_EXIT", "STAGE_OUT", "STOPPED", "SUSPENDED",
                "TIMEOUT")


def test_every_slurm_job_state_is_either_one_that_still_runs_or_one_that_ended():
    """SLURM_ACTIVE / SLURM_ENDED named neither PREEMPTED (a job killed by preemption, not requeued: ended) nor
    SPECIAL_EXIT or RESV_DEL_HOLD (held, a user may release them: like REQUEUE_HOLD), so a preempted job counted as
    still queued in a stopped driver's count and a held one was submitted again by the ledger. Each state sacct can
    report is in exactly one of the two."""
    import benchmark.executors as ex

    active, ended = set(ex.SLURM_ACTIVE), set(ex.SLURM_ENDED)
    assert not active & ended, active & ended
    assert set(SLURM_STATES) - active - ended == set()
    assert ex._ended("PREEMPTED") and ex._ended("PREEMPTED+")


def test_a_stopped_slurm_driver_does_not_count_a_preempted_job_as_queued(tmp_path, monkeypatch):
    """A job preempted (PreemptMode=CANCEL) has ended: the stopped driver's count of jobs left queued leaves it out."""
    from test_probe_drivers25 import _slurm_jobs

    import benchmark.executors as ex

    _, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["PREEMPTED", "RUNNING"])
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_1"]


def _store(root):
    """An empty results store at ``root``."""
    from benchmark.results import ResultsStore

    store = ResultsStore(root)
    store.ensure_writable()
    return store


def test_a_run_stopped_in_its_half_batch_retry_is_a_stopped_run(tmp_path):
    """A run out of memory before its first checkpoint and stopped in its retry at half the batch holds only that
    retry's ``ckpt-b<n>.pt``, which the same command resumes from; ``stopped_with_checkpoint`` listed ``ckpt.pt``
    only, so the board's stopped note left it unnamed and planning's 'stopped under another id' line (its loss file
    edited since) never said it is trained from the start. One rule: the store's checkpoints
    (:func:`benchmark.results.checkpoints`) and the run's configs read off a half-batch one
    (:func:`benchmark.ckptrecord.run_configs`)."""
    from dataclasses import replace

    from test_probe_store25 import _save_checkpoint

    from benchmark.config import RunConfig
    from benchmark.report import stopped_lines
    from benchmark.runner import stopped_under_other_id

    store = _store(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=5, iterations=8, batch_size=8)
    old = "0123456789abcdef"  # its loss file edited since: the config's id is another now
    _save_checkpoint(store.run_dir(old) / "ckpt-b4.pt", replace(cfg, batch_size=4), iteration=3)
    assert set(store.stopped_with_checkpoint()) == {old}
    assert stopped_under_other_id(store, [cfg]) == {str(store.run_dir(old)): 3}
    said = " ".join(stopped_lines(store))
    assert "denoise/l1 seed 5, stopped at iteration 3 of 8" in said, said


def test_an_old_gpl_run_stopped_in_its_half_batch_retry_resumes_under_its_one_id(tmp_path):
    """``resume_under_new_id`` hands a gpl run's checkpoint written under its pre-2026-12-07 id to today's id; a run
    stopped in its half-batch retry (``ckpt-b<n>.pt`` alone) was trained from iteration 0: its checkpoint is handed
    over under its own name, which the new id's retry at half the batch resumes from."""
    from dataclasses import replace

    from test_probe_store25 import _save_checkpoint

    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.runner import resume_under_new_id

    store = _store(tmp_path / "res")
    cfg = resolve(RunConfig(task="denoise", loss="gpl", seed=0, iterations=8, batch_size=8,
                            backbone_weights="pretrained"))
    then = RunConfig.from_dict({**cfg.to_dict(), "backbone_weights": "pretrained"})
    old, rid = run_id(then), run_id(cfg)
    _save_checkpoint(store.run_dir(old) / "ckpt-b4.pt", replace(then, batch_size=4), iteration=3)
    assert resume_under_new_id(store, [cfg]) == {rid: (old, 3)}
    assert (store.run_dir(rid) / "ckpt-b4.pt").is_file() and not (store.run_dir(rid) / "ckpt.pt").exists()


def test_check_names_a_garbled_finished_log_and_repair_writes_it_again(tmp_path, capsys):
    """A ``finished.log`` overwritten by garbage (a sync tool's copy, an editor) was read line by line and its
    unreadable lines skipped: ``check`` said 'every record readable', exit 0, though a finished run noted only there
    goes unnamed once its folder is deleted. check names the unreadable lines (exit 1); --repair keeps the file as it
    was beside it and writes it again of its readable lines and a note of each finished run here, so a folder deleted
    afterwards is named again."""
    import shutil

    from test_review_store11 import _noted

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    garbage = b"\x00\xff garbage\n+01234"
    (store.root / "finished.log").write_bytes(garbage)
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr().out
    assert "finished.log: 2 lines unreadable (line 1:" in said and "--repair" in said, said
    main(["check", "--out", str(store.root), "--repair"])
    said = capsys.readouterr().out
    assert (store.root / "finished.log.unreadable").read_bytes() == garbage, said
    assert store.finished_log_garbled() == []
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr().out
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    shutil.rmtree(store.run_dir(rid))
    assert rid in store.gone()


def test_a_merge_that_replaces_an_unfinished_run_names_the_checkpoints_it_set_aside(tmp_path, capsys):
    """``merge`` putting the other store's finished copy of a run in place of a local unfinished one moves the local
    files, its ``ckpt.pt`` (or half-batch ``ckpt-b<n>.pt``: up to hundreds of MB) among them, to ``damaged/<n>/``,
    where they stayed unsaid: check looks at no checkpoint there, and nothing resumes from one of a finished run. The
    merge's summary names each (path and size): kept, as everything set aside, but said."""
    from test_probe_store22 import _small

    from benchmark.cli import main

    src = _small(tmp_path / "src", seeds=(0,))
    rid = next(r for r in src.run_ids() if not r.startswith("input-") and src.is_done(r))
    dst = _store(tmp_path / "dst")
    for name in ("ckpt.pt", "ckpt-b4.pt"):
        (dst.run_dir(rid) / name).parent.mkdir(parents=True, exist_ok=True)
        (dst.run_dir(rid) / name).write_bytes(b"\0" * 2_000_000)
    assert main(["merge", str(src.root), "--out", str(dst.root)]) == 0
    said = capsys.readouterr().out
    assert "1 unfinished or damaged here replaced" in said and dst.is_done(rid), said
    for name in ("ckpt-b4.pt", "ckpt.pt"):
        assert (dst.run_dir(rid) / "damaged" / "0" / name).is_file()
        assert f"runs/{rid}/damaged/0/{name} (2.0 MB)" in said, said


def test_check_names_an_earlier_attempt_s_unreadable_record(tmp_path, capsys, caplog):
    """A garbage ``runs/<id>/attempts/0.json`` (a failed attempt's record, kept on retry) was read by nothing but
    ``ResultsStore.attempts``, which raised on it; ``check`` said 'every record readable', exit 0. check names it
    (exit 1), --repair renames it ``0.json.unreadable`` (nothing deleted), and ``attempts`` leaves it out in a
    warning."""
    import logging

    from test_review_store11 import _noted

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    bad = store.run_dir(rid) / "attempts" / "0.json"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\xff garbage")
    (bad.parent / "1.json").write_text('{"status": "failed", "error": "OOM"}')
    with caplog.at_level(logging.WARNING):
        assert [a["error"] for a in store.attempts(rid)] == ["OOM"]
    assert any("0.json" in r.getMessage() for r in caplog.records)
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr().out
    assert f"runs/{rid}/attempts/0.json cannot be read" in said and "--repair" in said, said
    main(["check", "--out", str(store.root), "--repair"])
    assert (bad.parent / "0.json.unreadable").read_bytes() == b"\x00\xff garbage" and not bad.exists()
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr().out

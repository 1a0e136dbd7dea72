"""Probe of the results store: integrity and input checks (session 22)."""
from __future__ import annotations

import pytest


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _failed_before_success(root, failed_later: bool = False):
    """A store whose run of ``good`` seed 0 failed, then (its --loss-file fixed: the file's hash is in the run id)
    finished under another id with the same config and code version; ``failed_later``: the failure came after."""
    from benchmark.results import atomic_write_json

    store = _small(root)
    ok = next(r for r in sorted(store.run_ids()) if (store.meta(r) or {}).get("config", {}).get("loss") == "good"
              and store.meta(r)["config"]["seed"] == 0)
    meta = store.meta(ok)
    atomic_write_json(store.run_dir(ok) / "meta.json", {**meta, "code_version": "0.1.0+c3", "started": 2000.0})
    failed = "0123456789abcdef"
    store.run_dir(failed).mkdir()
    atomic_write_json(store.run_dir(failed) / "meta.json", {
        "run_id": failed, "config": meta["config"], "status": "failed", "error": "RuntimeError: bug in my loss",
        "code_version": "0.1.0+c3", "started": 3000.0 if failed_later else 1000.0, "setting": meta["setting"],
        "loss_versions": {"good": "1+7468392937a3"}})
    return store, failed, ok


def test_check_names_a_failed_run_whose_config_finished_since_under_another_id(tmp_path, capsys):
    """`plbench run --loss-file my.py` failed (a bug in my.py), my.py fixed, the same command run again: the file's
    hash is in the run id, so the run finished under a new id, and `plbench check` still counted the first '1 failed
    (the same `plbench run` retries it ...)' — which that command never does (its run is done). A failed run whose
    record's config and code version are those of a run finished since under another id is named as superseded by it,
    not counted failed; a failure after that run (the file broken again) is still one the same command retries."""
    from benchmark.cli import main

    store, failed, ok = _failed_before_success(tmp_path / "res")
    capsys.readouterr()
    rc = main(["check", "--out", str(store.root)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert rc == 0, said
    assert "failed (the same" not in said, said
    assert f"run {failed}" in said and f"superseded by run {ok}" in said, said
    assert (store.run_dir(failed) / "meta.json").is_file()  # its error and traceback are kept
    assert main(["check", "--repair", "--out", str(store.root)]) == 0
    assert (store.run_dir(failed) / "meta.json").is_file(), "--repair removed a failure's record"

    store, failed, ok = _failed_before_success(tmp_path / "later", failed_later=True)
    capsys.readouterr()
    main(["check", "--out", str(store.root)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert "1 failed (the same" in said and "superseded" not in said, said


def test_one_definition_of_a_checkpoint_a_users_ckpt_copy_is_none(tmp_path, capsys):
    """Three places named a run's checkpoints three ways: ``results._is_checkpoint`` (any ``ckpt*.pt``), the
    executors' count of runs that resume (``glob('*/ckpt*.pt')``, folders too) and the runner's deletion after a run
    finished (``glob('ckpt*.pt')``). A user's copy beside them (``ckpt-old.pt``, kept to compare) was taken for one:
    the lost-workers line said the run resumes from its checkpoint while the checkpointer reads ``ckpt.pt`` alone and
    trained it from iteration 0, and a finished run's deletion (and ``check --repair``) removed the user's file. What
    the runner writes (``ckpt.pt``, a half-batch retry's ``ckpt-b<n>.pt``) is a checkpoint; nothing else is."""
    from benchmark.cli import main
    from benchmark.config import RunConfig, run_id
    from benchmark.executors import _checkpoint_counts
    from benchmark.results import _is_checkpoint
    from benchmark.runner import _drop_checkpoints

    assert [_is_checkpoint(tmp_path / n) for n in ("ckpt.pt", "ckpt-b4.pt", "ckpt-old.pt", "ckpt.pt.pt",
                                                      ".ckpt.pt.x1.tmp.pt", "ckpt-b.pt")] == [
        True, True, False, False, False, False]
    store = _small(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=2)
    rid = run_id(cfg)
    store.run_dir(rid).mkdir()
    (store.run_dir(rid) / "ckpt-old.pt").write_bytes(b"the user's copy")
    assert _checkpoint_counts([cfg], store.root)[0] == 0  # unfinished, but nothing the checkpointer reads
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.config import code_version

    # a checkpoint the run restores from: its record reads (an unreadable one is none: test_probe_r3find25.py)
    torch.save({"format": FORMAT, "fingerprint": {"config": cfg.to_dict(), "code_version": code_version()},
                "iteration": 1}, store.run_dir(rid) / "ckpt.pt")
    assert _checkpoint_counts([cfg], store.root)[0] == 1

    done = sorted(r for r in store.run_ids() if not r.startswith("input-"))[0]
    for name in ("ckpt.pt", "ckpt-b4.pt", "ckpt-old.pt"):
        (store.run_dir(done) / name).write_bytes(b"x")
    _drop_checkpoints(store, done, locked=False)
    assert sorted(p.name for p in store.run_dir(done).glob("ckpt*")) == ["ckpt-old.pt"]
    for name in ("ckpt.pt", "ckpt-b4.pt"):
        (store.run_dir(done) / name).write_bytes(b"x")
    capsys.readouterr()
    main(["check", "--repair", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert sorted(p.name for p in store.run_dir(done).glob("ckpt*")) == ["ckpt-old.pt"], said


def test_a_copy_of_a_stopped_run_is_not_said_to_be_trained_again(tmp_path):
    """``runner.stopped_under_other_id`` (the planning's 'stopped under another id: trained from the start' line) and
    ``ResultsStore.superseded`` (check's) each chose 'unfinished run folders, held by no one, with a ckpt.pt' their own
    way: the first listed ``runs/`` itself, so a user's copy of a stopped run (``cp -a runs/<id> runs/<id>-old``, no
    run: :meth:`ResultsStore.run_ids` leaves it out) was named a run the grid trains again; and it left out any folder
    with a meta.json, where check reads the record's status. One selector, ``ResultsStore.stopped_with_checkpoint``,
    both use: the copy is no stopped run; the run it was copied from still is."""
    import shutil

    import torch

    from benchmark.checkpoint import CheckpointPolicy, checkpointer
    from benchmark.config import RunConfig
    from benchmark.runner import stopped_under_other_id

    store = _small(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=5, iterations=2)
    old = "0123456789abcdef"  # its loss file edited since: the config's id is another now
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    checkpointer(store, old, cfg, CheckpointPolicy()).save(
        3, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={})
    assert list(stopped_under_other_id(store, [cfg]).values()) == [3]
    assert set(store.stopped_with_checkpoint()) == {old}
    shutil.move(store.run_dir(old), store.runs / f"{old}-old")  # kept aside by the user: no run
    assert stopped_under_other_id(store, [cfg]) == {}
    assert store.stopped_with_checkpoint() == {}


def test_merge_copies_no_failure_superseded_there_or_here(tmp_path, capsys):
    """A node's run failed (a bug in its --loss-file), the file was fixed and the run finished under its new id —
    there, or on the head the node is merged into: `plbench merge` copied the failure's record and said '1 failed there
    (its record copied: the report counts it, `plbench run` here retries it)', which no command does, and check here
    then named it superseded. A failure superseded by a run finished after it (there or here) is not copied and is
    said superseded there; a failure nothing finished since is still copied."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    src, failed, ok = _failed_before_success(tmp_path / "node")
    head = ResultsStore(tmp_path / "head")
    head.ensure_writable()
    capsys.readouterr()
    assert main(["merge", str(src.root), "--out", str(head.root)]) == 0
    said = capsys.readouterr().out
    assert "1 failed there and superseded" in said and "retries it" not in said.split("superseded")[0], said
    assert not head.run_dir(failed).exists() and head.is_done(ok)

    # the success here, the failure there: the same
    import shutil

    src2, failed2, ok2 = _failed_before_success(tmp_path / "node2")
    head2, _, _ = _failed_before_success(tmp_path / "head2")
    shutil.rmtree(head2.run_dir(failed2))  # the success here…
    shutil.rmtree(src2.run_dir(ok2))  # …and not there
    got = head2.merge_from(src2)
    assert failed2 not in got["failed"] and failed2 in got["superseded_there"], got

    src3, failed3, _ = _failed_before_success(tmp_path / "node3", failed_later=True)
    head3 = ResultsStore(tmp_path / "head3")
    head3.ensure_writable()
    capsys.readouterr()
    assert main(["merge", str(src3.root), "--out", str(head3.root)]) == 0
    assert (head3.run_dir(failed3) / "meta.json").is_file(), capsys.readouterr()


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_the_report_leaves_out_a_failure_superseded_since(tmp_path):
    """The report counted a failed run whose config finished since under another id (its --loss-file fixed) as a
    failure of the loss: 'good (denoise: failed 1/3)', the loss compared on its other runs and its findings given no
    verdict (missing runs) — a failure no command retries, which check names superseded and merge does not copy (with
    its version in the label, a loss of its own, 'failed 1/1' in every cell). It is left out of the tables, and a
    note says so and by which run; a failure nothing finished since is still counted."""
    from benchmark.report import write_report

    store, failed, ok = _failed_before_success(tmp_path / "res")
    write_report(store, baseline="l1", alpha=0.05, n_boot=50, formats=(), visual=False, html=False, where=None,
                 keep=None, hint="")
    board = (store.root / "leaderboard.md").read_text()
    assert "1+7468392937a3" not in board.replace(f"run {failed}", ""), board
    assert f"run {failed}" in board and f"superseded by run {ok}" in board, board
    assert "failed 1/" not in board and "missing runs" not in board, board

    store, failed, ok = _failed_before_success(tmp_path / "later", failed_later=True)
    write_report(store, baseline="l1", alpha=0.05, n_boot=50, formats=(), visual=False, html=False, where=None,
                 keep=None, hint="")
    board = (store.root / "leaderboard.md").read_text()
    assert "failed 1/3" in board and "superseded" not in board, board


def test_the_findings_count_no_superseded_failure_as_a_lost_run(tmp_path, monkeypatch):
    """`plbench findings` (and a report's Findings) read every failed record as a lost run of its arm — a failure
    whose config finished since under another id (check: superseded; the report leaves it out) included, so an arm
    was judged 'missing runs' for a failure no command retries. Its lost runs are those the report counts."""
    import benchmark.findings as findings

    store, failed, ok = _failed_before_success(tmp_path / "res")
    seen = []
    real = findings.lost_runs
    monkeypatch.setattr(findings, "lost_runs", lambda metas: seen.extend(m.get("run_id") for m in metas)
                        or real(metas))
    findings.check_store(store, names=[], n_boot=10)
    assert seen and failed not in seen and ok in seen, seen

    store, failed, ok = _failed_before_success(tmp_path / "later", failed_later=True)
    seen.clear()
    findings.check_store(store, names=[], n_boot=10)
    assert failed in seen, seen

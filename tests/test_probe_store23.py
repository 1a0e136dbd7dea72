"""Probe of the results store: integrity and input checks (session 23)."""
from __future__ import annotations


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _old_gpl_checkpoint(store, iteration: int = 3):
    """A gpl run stopped with a checkpoint by a plbench before 2026-12-07, under ``--backbone-weights pretrained``:
    its config recorded ``pretrained`` (another run id), though gpl loads no pretrained file under either value.
    Returns (the config as planned now, its run id now, the old run's id)."""
    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig, code_version, resolve, run_id

    cfg = resolve(RunConfig(task="denoise", loss="gpl", seed=0, iterations=8, backbone_weights="pretrained"))
    assert cfg.backbone_weights == "random"  # one id under both values now
    then = {**cfg.to_dict(), "backbone_weights": "pretrained"}
    old = run_id(RunConfig.from_dict(then))  # the id the same command gave it then
    fp = {"config": then, "code_version": code_version()}
    store.run_dir(old).mkdir(parents=True)
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    Checkpointer(store.run_dir(old) / "ckpt.pt", CheckpointPolicy(), fp).save(
        iteration, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={"curve": [[1, 0.5]]})
    return cfg, run_id(cfg), old


def test_check_names_an_old_gpl_checkpoint_superseded_once_its_one_id_finished(tmp_path, capsys):
    """A gpl run stopped under ``--backbone-weights pretrained`` before gpl had one id under both values, then the same
    command run by today's plbench: the run trained (and finished) under the new id, yet `plbench check` counted the
    old folder '1 unfinished (... the same `plbench run` resumes it)' forever — no command ever does, its config is
    the finished run's. It is named superseded by the finished run (its checkpoint's ``pretrained`` read as today's
    ``random``), and --repair removes it as it removes any superseded checkpoint."""
    from benchmark.cli import main
    from benchmark.config import code_version
    from benchmark.results import atomic_write_json

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint(store)
    store.run_dir(rid).mkdir()
    atomic_write_json(store.run_dir(rid) / "meta.json", {
        "run_id": rid, "config": cfg.to_dict(), "status": "ok", "code_version": code_version(), "started": 1.0})
    assert store.superseded({old: [store.run_dir(old) / "ckpt.pt"]}) == {old: rid}
    capsys.readouterr()
    main(["check", "--out", str(store.root)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert "unfinished" not in said and f"run {old}: not finished, and superseded by run {rid}" in said, said


def test_an_old_gpl_checkpoint_is_resumed_under_its_one_id(tmp_path, caplog):
    """The same command run by today's plbench after a gpl run stopped under ``--backbone-weights pretrained``
    (before 2026-12-07: its own id then) trained it from iteration 0 under the new id — the same computation, the
    checkpoint's hours thrown away — and said nothing. Planning now puts that checkpoint under the new id (a hard
    link: the old folder keeps its file, which check then names superseded), so the run resumes from its iteration;
    a dry run says it would and writes nothing."""
    import logging

    from benchmark.checkpoint import CheckpointPolicy, resumes_at
    from benchmark.runner import resume_under_new_id

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint(store, iteration=3)
    with caplog.at_level(logging.INFO):
        assert resume_under_new_id(store, [cfg], dry_run=True) == {rid: (old, 3)}
    assert not store.run_dir(rid).exists(), "a dry run wrote in the store"
    assert "would resume" in caplog.text and f"{rid} from {old}'s iteration 3" in caplog.text, caplog.text
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 0
    assert resume_under_new_id(store, [cfg]) == {rid: (old, 3)}
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 3
    assert (store.run_dir(old) / "ckpt.pt").is_file()  # the old run's file kept where it was
    assert resume_under_new_id(store, [cfg]) == {}  # its own checkpoint now: nothing more to do


def _failed_and_finished(root, failed_started: float, file_holds: str):
    """A store whose run of loss ``good`` (from ``my_loss.py``) seed 0 failed under one version of the file and
    finished under another (another id, the file's hash in it), their records' start times as given by two machines'
    clocks (the finished one: 2000.0); ``my_loss.py`` holds ``file_holds`` now ('broken' or 'fixed')."""
    import hashlib

    from benchmark.results import atomic_write_json

    store = _small(root)
    src = root.parent / "my_loss.py"
    code = {"broken": b"raise RuntimeError('bug')\n", "fixed": b"x = 1\n"}
    h = {k: hashlib.sha256(v).hexdigest()[:12] for k, v in code.items()}
    src.write_bytes(code[file_holds])
    ok = next(r for r in sorted(store.run_ids()) if (store.meta(r) or {}).get("config", {}).get("loss") == "good"
              and store.meta(r)["config"]["seed"] == 0)
    meta = store.meta(ok)
    atomic_write_json(store.run_dir(ok) / "meta.json", {
        **meta, "code_version": "0.1.0+c3", "started": 2000.0, "loss_files": {"good": str(src)},
        "loss_versions": {"good": f"1+{h['fixed']}"}})
    failed = "0123456789abcdef"
    store.run_dir(failed).mkdir()
    atomic_write_json(store.run_dir(failed) / "meta.json", {
        "run_id": failed, "config": meta["config"], "status": "failed", "error": "RuntimeError: bug in my loss",
        "code_version": "0.1.0+c3", "started": failed_started, "setting": meta["setting"],
        "loss_files": {"good": str(src)}, "loss_versions": {"good": f"1+{h['broken']}"}})
    return store, failed, ok


def test_a_failure_superseded_or_not_by_the_loss_file_as_it_is_not_by_two_machines_clocks(tmp_path):
    """``failed_superseded`` ordered a failure and a success under another id by their records' ``started`` alone:
    merged from two machines with skewed clocks, a failure made after the success (the file broken again: the same
    command retries it) read as superseded — left out of the report, not copied by merge — and a failure before it
    read as one the command retries. Where the records name their loss file and it is here, the file as it is says
    which run the same command trains: its hash is the failure's (retried: not superseded) or the success's
    (superseded), whatever the clocks say; the start times decide only where the file cannot tell."""
    store, failed, ok = _failed_and_finished(tmp_path / "a", failed_started=1000.0, file_holds="broken")
    assert store.failed_superseded() == {}, "a failure the same command retries (its file is broken now) superseded"
    store, failed, ok = _failed_and_finished(tmp_path / "b", failed_started=3000.0, file_holds="fixed")
    assert store.failed_superseded() == {failed: ok}
    store, failed, ok = _failed_and_finished(tmp_path / "c", failed_started=1000.0, file_holds="fixed")
    (tmp_path / "my_loss.py").unlink()  # the file is not here (a node's path): the clocks, as before
    assert store.failed_superseded() == {failed: ok}


def test_a_finished_old_gpl_run_trained_again_under_its_one_id_is_said(tmp_path, caplog):
    """A gpl run finished under ``--backbone-weights pretrained`` before 2026-12-07 (its own id then) was trained again
    by the same command under today's one id — the same computation, minutes to hours — without a word, where every
    other run kept under another id (other data paths, another code version) is said. Now planning names it: trained
    again, both kept, one seed counted once."""
    import logging

    from benchmark.cli import _warn_runs_kept_apart
    from benchmark.config import RunConfig, code_version, run_id
    from benchmark.results import atomic_write_json

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint(store)
    (store.run_dir(old) / "ckpt.pt").unlink()
    then = {**cfg.to_dict(), "backbone_weights": "pretrained"}
    assert run_id(RunConfig.from_dict(then)) == old
    atomic_write_json(store.run_dir(old) / "meta.json", {
        "run_id": old, "config": then, "status": "ok", "code_version": code_version(), "started": 1.0})
    with caplog.at_level(logging.WARNING):
        _warn_runs_kept_apart(store, [cfg], dry_run=True)
    said = [r.getMessage() for r in caplog.records if old in r.getMessage()]
    assert said and "trained again" in said[0] and "once" in said[0], caplog.text

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

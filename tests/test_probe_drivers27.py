"""Probe of the overnight drivers (round 27): executors, runner, progress/ETA, dry run."""
from __future__ import annotations


def _half_batch_checkpoint(store, cfg, iteration: int):
    """Run ``cfg`` of ``store`` stopped in its half-batch retry: its ``ckpt-b<n>.pt`` alone (the first try ran out of
    memory before its first ``ckpt.pt``), saved at ``iteration`` under the halved config, as the runner's
    ``_train_with_oom_retry`` writes it."""
    import dataclasses

    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import code_version, run_id

    half = dataclasses.replace(cfg, batch_size=cfg.batch_size // 2)
    d = store.run_dir(run_id(cfg))
    d.mkdir(parents=True, exist_ok=True)
    net = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    Checkpointer(d / f"ckpt-b{half.batch_size}.pt", CheckpointPolicy(),
                 {"config": half.to_dict(), "code_version": code_version()}).save(
        iteration, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={})
    return run_id(cfg)


def test_a_run_stopped_in_its_half_batch_retry_resumes_there_in_the_eta_and_the_dry_run(tmp_path):
    """Was: :func:`benchmark.checkpoint.resumes_at` (the dry run's estimate and the progress line's ETA) read a run's
    ``ckpt.pt`` alone, so a run stopped in its half-batch retry (``ckpt-b<n>.pt`` only, which the run restores when its
    retry comes: ``_train_with_oom_retry``) was counted as training its whole budget again."""
    from benchmark.checkpoint import CheckpointPolicy, resumes_at
    from benchmark.config import RunConfig
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", iterations=40, batch_size=4, crop=32)
    rid = _half_batch_checkpoint(store, cfg, 30)
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 30
    assert resumes_at(store, rid, cfg, CheckpointPolicy(0, 0)) == 0  # --no-checkpoint: trained again
    assert GridProgress(store, [cfg])._resumes_at(rid) == 30
    other = RunConfig(task="denoise", loss="l1", iterations=40, batch_size=4, crop=32, seed=1)
    (store.run_dir(_half_batch_checkpoint(store, other, 5)) / "ckpt-b2.pt").replace(store.run_dir(rid) / "ckpt-b2.pt")
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 0  # another run's: trained again

"""Review of the drivers' round 27 (tests/test_probe_drivers27.py's commits): what the review found and mended."""
from __future__ import annotations


def test_the_dry_run_resumes_a_run_from_the_checkpoint_check_and_the_lost_workers_line_read_first(tmp_path):
    """Review f00b648b: resumes_at read a half-batch retry's ``ckpt-b<n>.pt`` wherever the run's ``ckpt.pt`` gave no
    iteration — one cut short or another run's too — so the dry run and the ETA took its iterations off while
    ``plbench check``, the stopped note and the lost-workers line (results.first_checkpoint: ``ckpt.pt`` first, its
    first try restores it) said the run trains again from iteration 0 → resumes_at reads the checkpoint
    first_checkpoint names, the one rule: a retry's ``ckpt-b<n>.pt`` where the run has no ``ckpt.pt``."""
    from test_probe_drivers27 import _half_batch_checkpoint

    from benchmark.checkpoint import CheckpointPolicy, resumes_at
    from benchmark.config import RunConfig
    from benchmark.executors import _checkpoint_counts
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", iterations=40, batch_size=4, crop=32)
    rid = _half_batch_checkpoint(store, cfg, 30)
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 30  # ckpt-b2.pt alone: resumed there
    (store.run_dir(rid) / "ckpt.pt").write_bytes(b"cut short")
    assert _checkpoint_counts([cfg], store.root) == (0, 1)  # the lost-workers line: trains again from iteration 0
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 0
    assert GridProgress(store, [cfg])._resumes_at(rid) == 0


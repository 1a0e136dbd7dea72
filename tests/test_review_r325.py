"""Review r3 (tests/test_probe_r3find25.py's commits): what the review found and mended."""

from __future__ import annotations


def test_the_lost_workers_line_reads_the_checkpoint_the_stopped_note_reads(tmp_path):
    """Review 255c1045: _checkpointed counted a run as resuming where *any* of its checkpoints read, so a run whose
    ``ckpt.pt`` is cut short beside a readable half-batch retry's ``ckpt-b4.pt`` was "resumes from its checkpoint" in
    the lost-workers line while the stopped note (report.standing_stopped, its ``ckpt.pt`` first) and ``plbench check``
    said it trains again from iteration 0 — its first try restores ``ckpt.pt``. Now one rule
    (results.resumes_from): the lost-workers line counts it as the note does."""
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.config import RunConfig, code_version, run_id
    from benchmark.executors import _checkpoint_counts
    from benchmark.report import standing_stopped
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=2)
    rid = run_id(cfg)
    folder = store.run_dir(rid)
    folder.mkdir(parents=True)
    (folder / "ckpt.pt").write_bytes(b"cut short")
    torch.save({"format": FORMAT, "fingerprint": {"config": cfg.to_dict(), "code_version": code_version()},
                "iteration": 1}, folder / "ckpt-b4.pt")
    _, rec, why = standing_stopped(store)[rid]
    assert rec is None or why  # the note: it trains again from iteration 0
    assert _checkpoint_counts([cfg], store.root)[0] == 0
    (folder / "ckpt.pt").unlink()  # stopped in its retry, ckpt-b4.pt alone: resumed from there, as the note says
    _, rec, why = standing_stopped(store)[rid]
    assert rec is not None and not why
    assert _checkpoint_counts([cfg], store.root)[0] == 1

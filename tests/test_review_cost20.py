"""Review of the cost area's session-20 fixes: what the dry run reads of an interrupted run, and how the leaderboard's
cost legend names the runs timed busy."""

from __future__ import annotations

import zipfile
from types import SimpleNamespace

import torch

from benchmark.checkpoint import Checkpointer, CheckpointPolicy


def _saved(path, iteration: int, fingerprint: dict, net=None) -> Checkpointer:
    ckpt = Checkpointer(path, CheckpointPolicy(), fingerprint)
    opt = SimpleNamespace(state_dict=dict)  # an optimiser's and a schedule's state (a real one imports dynamo: 6 s)
    ckpt.save(iteration, net=net or torch.nn.Linear(1, 1), opt=opt, sched=opt, loss_fn=torch.nn.L1Loss(),
              gen=torch.Generator(), device=torch.device("cpu"), progress={})
    return ckpt


def test_the_dry_run_reads_a_checkpoint_s_iteration_without_reading_its_weights(tmp_path, monkeypatch):
    """Was: the dry run read each interrupted run's whole checkpoint to learn its iteration (every tensor's CRC, then
    every tensor loaded: 8 checkpoints of 100 MB took 2.2 s, a 300 MB one of a big net each 0.8 s warm, more from a
    file server) → Checkpointer.iteration reads the record's small pickle (its fingerprint and iteration), the tensors
    mapped, not read; an unreadable or another configuration's checkpoint still resumes nothing."""
    fp = {"config": {"loss": "l1"}, "code_version": "0+c1"}
    ckpt = _saved(tmp_path / "ckpt.pt", 339, fp, torch.nn.Linear(64, 64))
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k.get("mmap")) or real_load(*a, **k))
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda self: (_ for _ in ()).throw(AssertionError("CRC of all")))
    assert ckpt.iteration() == 339 and loads == [True]
    assert Checkpointer(tmp_path / "ckpt.pt", CheckpointPolicy(), {**fp, "config": {"loss": "l2"}}).iteration() == 0
    (tmp_path / "bad.pt").write_bytes(b"PK\x03\x04" + b"\0" * 64)  # cut short
    assert Checkpointer(tmp_path / "bad.pt", CheckpointPolicy(), fp).iteration() == 0
    assert Checkpointer(tmp_path / "none.pt", CheckpointPolicy(), fp).iteration() == 0

"""Probe of the cost side, 2026-12-06 (third pass): memory over a run's attempts, the dry run's words under load,
``plbench perf``'s memory check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch._dynamo  # noqa: F401 - Adam's first build imports it (seconds): at collection, not in a test's time

import benchmark.runner  # noqa: F401 - at collection: no test pays for its first import
import benchmark.task  # noqa: F401


def _images(n: int = 2, side: int = 32):
    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, side, side), dtype=np.uint8)))
            for k in range(n)]


def test_a_resumed_run_records_the_peak_memory_of_every_attempt(tmp_path, monkeypatch):
    """Was: a run killed after its checkpoint (the OOM killer, a SLURM preemption) and resumed recorded the peak
    resident memory of its last attempt alone (``peak_rss_mb``, reset at the attempt's start): the attempt that held
    900 MB, killed, then a resume that held 300 MB read "RSS MB 300" — the figure a reader sizes a machine by, a third
    of what the run needed. Now the checkpoint carries the peak so far (the process's reading at each save, the
    largest of the attempts before), and meta.json's ``peak_rss_mb`` is the largest over every attempt; an attempt
    whose peak could not be reset (``peak_rss_of: process``) marks the resumed run's figure so too."""
    from benchmark import resources
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.runner import TrainStep, peak_rss_fields, train
    from benchmark.task import build_task

    step_call, kill_at, rss = TrainStep.__call__, [4], [900.0]

    def step(self, it):
        if it == kill_at[0]:
            raise RuntimeError("killed")
        return step_call(self, it)

    monkeypatch.setattr(TrainStep, "__call__", step)
    monkeypatch.setattr(resources, "peak_rss_mb", lambda: rss[0])
    cfg = RunConfig(task="denoise", loss="l1", iterations=5, batch_size=1, crop=16, net="tiny")

    def attempt(own=True):
        ck = Checkpointer(tmp_path / "ck.pt", CheckpointPolicy(every=3, seconds=0), {"config": cfg.to_dict()})
        return train(cfg, build_task("denoise"), _images(), torch.device("cpu"), checkpoint=ck, rss_own=own)

    with pytest.raises(RuntimeError, match="killed"):
        attempt()  # checkpoint at 3 (900 MB so far), killed at 4
    rss[0], kill_at[0] = 300.0, 0
    r = attempt()
    assert r.resumed_at == 3
    assert peak_rss_fields(r, own_peak=True) == {"peak_rss_mb": 900.0}  # not the last attempt's 300
    rss[0] = 1200.0  # the last attempt the largest: its own
    assert peak_rss_fields(r, own_peak=True) == {"peak_rss_mb": 1200.0}
    assert peak_rss_fields(r, own_peak=False) == {"peak_rss_mb": 1200.0, "peak_rss_of": "process"}

    (tmp_path / "ck.pt").unlink()  # an earlier attempt whose peak was the process's: so is the resumed run's
    rss[0], kill_at[0] = 500.0, 4
    with pytest.raises(RuntimeError, match="killed"):
        attempt(own=False)
    rss[0], kill_at[0] = 300.0, 0
    r = attempt()
    assert peak_rss_fields(r, own_peak=True) == {"peak_rss_mb": 500.0, "peak_rss_of": "process"}
    fresh = train(cfg, build_task("denoise"), _images(), torch.device("cpu"))  # no checkpoint: this attempt's alone
    assert peak_rss_fields(fresh, own_peak=True) == {"peak_rss_mb": 300.0}


@pytest.mark.slow  # a run trained, failed in evaluation, and trained again from its checkpoint: 4-8 s on 2 busy cores
def test_a_run_that_failed_records_its_peak_and_its_retry_keeps_it(tmp_path, monkeypatch):
    """Was: a run that failed (a ``MemoryError`` while it was scored) recorded no ``peak_rss_mb`` — the memory it had
    reached, what a reader needs to size the machine it failed on — and its retry, resumed from the checkpoint saved
    after training, recorded its own attempt's peak alone. Now the failed record holds the peak it reached (kept
    under ``attempts/`` by the retry), and the retry's is the largest of both attempts' training and its own
    scoring."""
    from test_probe_overnight14 import _photo_run

    from benchmark import resources, runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    cfg = _photo_run(tmp_path, iterations=2)
    rid, store = run_id(cfg), ResultsStore(tmp_path / "r")
    evaluate, rss = runner.evaluate, [700.0]

    def out_of_memory(net, items, metrics, device):
        if net is not None:  # the run's own pass (net None: the degraded inputs scored)
            rss[0] = 2500.0  # what it reached before it failed
            raise MemoryError("cannot allocate")
        return evaluate(net, items, metrics, device)

    monkeypatch.setattr(resources, "peak_rss_mb", lambda: rss[0])
    monkeypatch.setattr(runner, "evaluate", out_of_memory)
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).failed == 1
    failed = store.meta(rid)
    assert failed["status"] == "failed" and failed["peak_rss_mb"] == 2500.0, failed

    monkeypatch.setattr(runner, "evaluate", evaluate)
    rss[0] = 600.0
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).trained == 1
    meta = store.meta(rid)
    assert meta["status"] == "ok" and meta["resumed_at"] == 2, meta  # resumed from the checkpoint after training
    assert meta["peak_rss_mb"] == 700.0 and "peak_rss_of" not in meta, meta  # the first attempt's training
    assert [a["peak_rss_mb"] for a in store.attempts(rid)] == [2500.0]

"""Review of round 2 (session 23): run_grid's handover of old gpl checkpoints."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def test_run_grid_s_handover_scans_no_store_for_a_grid_no_old_id_could_hold(tmp_path, monkeypatch):
    """ceb2da62 made run_grid — every worker's call, every compare — call resume_under_new_id for its pending runs,
    which listed the store's stopped checkpoints (a stat per run folder, each stopped run's record read) whenever a
    pending run had no checkpoint: for l1 or lpips grids too, whose id no older plbench gave another value (only gpl
    and pdl(layers=()) under 'pretrained' had another id). Only a config that one id covers two values of
    (backbone weights 'random' that 'pretrained' and 'none' record as) asks for the store's checkpoints."""
    from test_probe_loose23 import _old_gpl_checkpoint_planned
    from test_probe_store23 import _small

    from benchmark.config import RunConfig, resolve
    from benchmark.data import DataCache
    from benchmark.results import ResultsStore
    from benchmark.runner import resume_under_new_id

    store = _small(tmp_path / "res")
    gpl, rid, old = _old_gpl_checkpoint_planned(store)
    scans = []
    real = ResultsStore.stopped_with_checkpoint
    monkeypatch.setattr(ResultsStore, "stopped_with_checkpoint", lambda self, *a: scans.append(1) or real(self, *a))
    others = [resolve(RunConfig(task="denoise", loss=loss, seed=0, iterations=8, backbone_weights=w), DataCache())
              for loss, w in (("l1", "random"), ("lpips", "random"))]
    assert resume_under_new_id(store, others, dry_run=True) == {}
    assert scans == [], "a grid of l1 and lpips runs listed the store's checkpoints"
    assert resume_under_new_id(store, [gpl, *others], dry_run=True) == {rid: (old, 3)}  # gpl still handed over
    assert scans == [1]

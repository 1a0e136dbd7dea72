"""Scoring and metrics: one place per rule, the reference side computed once (probe 16)."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import torch

from tests.conftest import SHARED


def _photo(name: str = "Kodak24/kodim01.png") -> torch.Tensor:
    """A real test image (1, 3, H, W) in [0, 1]; skipped where the shared datasets are not here."""
    from PIL import Image

    path = os.path.join(SHARED, name)
    if not glob.glob(path):
        pytest.skip(f"{path} not here")
    return torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1)[None].float() / 255



def test_a_hung_scoring_has_one_mark_beside_the_run_and_an_earlier_stores_mark_still_reads(tmp_path):
    """A finished run's hung re-score was marked in its meta.json (``rescore_stalled``, the finished record rewritten)
    and the degraded inputs' in a ``.stalled`` file, each with its own writer, reader and eraser in runner.py. One mark
    now, the file, for both: the record is left as it was; a store with the old key reads, is named and is cleared
    alike."""
    from types import SimpleNamespace

    from test_probe_fuo14 import _cheap_config

    from benchmark import runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, atomic_write_json

    cfg = _cheap_config()
    rid, store = run_id(cfg), ResultsStore(tmp_path / "r")
    meta = {"run_id": rid, "status": "ok", "config": cfg.to_dict()}
    atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    record = (store.run_dir(rid) / "meta.json").read_bytes()
    assert runner.stall_mark(store, rid) is None
    runner._mark_stalled(SimpleNamespace(store=store, grid_id="g16"), rid, "hung")
    assert (store.run_dir(rid) / "meta.json").read_bytes() == record  # the finished record untouched
    mark = runner.stall_mark(store, rid)
    assert (mark["error"], mark["grid_id"]) == ("hung", "g16")
    assert runner.hang_recorded(store, [cfg], mark["at"]).startswith(f"its re-score of run {rid}")
    runner._clear_stall_mark(store, rid)
    assert runner.stall_mark(store, rid) is None and store.meta(rid) == meta
    old = {**meta, runner.RESCORE_STALLED: {"at": 5.0, "error": "hung before"}}  # a store of the earlier mark
    atomic_write_json(store.run_dir(rid) / "meta.json", old)
    assert runner.stall_mark(store, rid) == {"at": 5.0, "error": "hung before"}
    assert runner.hang_recorded(store, [cfg], 4.0).startswith(f"its re-score of run {rid}")
    runner._clear_stall_mark(store, rid)
    assert runner.stall_mark(store, rid) is None and store.meta(rid) == meta

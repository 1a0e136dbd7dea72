"""Review of session 13's data fixes: hold-outs that keep near copies on one side."""

from __future__ import annotations

import numpy as np
import torch

from benchmark.data import DataSpec, ImageRecord, holdout_split


def _records(n: int, seed: int = 0, side: int = 8) -> list[ImageRecord]:
    rng = np.random.default_rng(seed)
    return [ImageRecord(f"p{i:03d}", torch.from_numpy(rng.integers(0, 256, (3, side, side), dtype=np.uint8)))
            for i in range(n)]


def test_a_hold_out_without_near_copies_compares_thumbnails_all_at_once(monkeypatch):
    """Each hold-out looks for near copies across its split: each held-out image's eight turnings were compared with
    every training image one at a time (a 5000-image folder: minutes, on every plan) → the thumbnails are compared
    as one matrix, and an image is looked at further only where a thumbnail is close."""
    import benchmark.data as data_mod

    calls = []
    real = data_mod._likely_copies
    monkeypatch.setattr(data_mod, "_likely_copies", lambda *a: calls.append(1) or real(*a))
    whole = _records(60, seed=3)
    held = holdout_split(whole, 50, None, DataSpec("x", holdout=(50.0, "test")))
    assert sum(held) == 30 and calls == []

"""Review of session 13's data fixes: hold-outs that keep near copies on one side."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_a_hold_out_far_from_its_share_says_so(caplog):
    """Copies and near copies fall on one side as a group, so a folder whose images are mostly one group (a burst,
    video frames chained as near copies one to the next: a 10 % hold-out of 400 such frames held out 259) held out
    far more or far less than its share, said only by an INFO line → a warning names the share held out, and why."""
    import logging

    whole = _records(4, seed=6)
    whole += [ImageRecord(f"c{i:02d}", whole[0].pixels.clone()) for i in range(26)]  # 4 groups in 30 images
    with caplog.at_level(logging.WARNING, "benchmark.data"):
        held = holdout_split(whole, 40, None, DataSpec("x", holdout=(40.0, "test")))
    assert sum(held) in (2, 28)  # 2 of 4 groups, the big one or not; 40 % of 30 is 12
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and said[0].startswith(f"x[holdout=40%:test]: {sum(held)} of 30 images held out (")
    assert "not about 12" in said[0] and "4 groups" in said[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, "benchmark.data"):
        holdout_split(_records(30, seed=7), 40, None, DataSpec("x", holdout=(40.0, "test")))
    assert caplog.records == []


def test_two_shares_that_leave_a_band_out_are_not_said_to_be_trained_and_tested_on():
    """`--train-data X[holdout=20%] --test-data X[holdout=10%]` trains on the images ranked after 20 % and tests on the
    first 10 %: refused (one source, one split), but 'those between are trained and tested on', the reason given for
    the other way round, is false here → said as a band neither trained nor tested on."""
    from benchmark.data import check_holdouts
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"m\[holdout=20%:train\] and --test-data .*m\[holdout=10%:test\] split one "
                                        r"source in two places \(.* neither trained nor tested on\): give the same"):
        check_holdouts([DataSpec.parse("m[holdout=20%]", role="train")],
                       [DataSpec.parse("m[holdout=10%]", role="test")])
    with pytest.raises(UserError, match=r"overlap \(hold-outs of 20% and 10% rank the same images, so those between "
                                        r"are trained and tested on\)"):  # the first 20 % trained, after 10 % tested
        check_holdouts([DataSpec.parse("m[holdout=20%:test]", role="train")],
                       [DataSpec.parse("m[holdout=10%:train]", role="test")])


def test_decoding_progress_of_a_capped_source_counts_up_to_its_cap(tmp_path, monkeypatch, caplog):
    """The progress line of a source read up to --max-train-images counted the rows looked at, skipped files too,
    against the cap: '6 of 4 images read' → the images kept, never over the cap."""
    import dataclasses
    import logging

    from PIL import Image

    import benchmark.data as data_mod

    folder = tmp_path / "mine"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.png").write_text("not an image")
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    monkeypatch.setattr(data_mod, "DECODE_REPORT_S", 0.0)
    spec = dataclasses.replace(DataSpec.parse(str(folder), role="train"), max_images=4)
    with caplog.at_level(logging.INFO, "benchmark.data"):
        assert len(data_mod.load_images(spec)) == 4
    said = [r.getMessage().split(": ", 1)[1].split(" (")[0] for r in caplog.records if "images read" in r.getMessage()]
    assert said and all(int(m.split(" of ")[0]) <= 4 and m.endswith(" of 4 images read") for m in said), said

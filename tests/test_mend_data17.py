"""Mends of the data17 review: duplicated helpers in benchmark/data.py and benchmark/pretrain.py made one."""
import numpy as np
import torch

from benchmark import data


def test_parts_of_many_makes_its_thumbnails_and_samples_with_the_one_image_helpers(monkeypatch):
    """``_parts_of_many`` rewrote ``_thumbnail``'s and ``_sample``'s step formulas and 8×8 means beside them, while
    ``_parts`` used the originals (both fill the same memo entries) → it calls ``_thumbnail(px, out=row)`` and
    ``_sampled`` once an image: bit-identical parts, contiguous or turned, uint8 or float."""
    rng = np.random.default_rng(5)
    pxs = [torch.from_numpy(rng.integers(0, 256, (3, *hw), dtype=np.uint8)) for hw in [(24, 20)] * 3 + [(130, 70)] * 2]
    pxs += [torch.rot90(pxs[0], 1, (1, 2)), pxs[3].flip(-1), data.to_float(pxs[4]),
            pxs[3].transpose(1, 2)]
    calls = {"_thumbnail": 0, "_sampled": 0}

    def counting(name):
        f = getattr(data, name)

        def counted(*a, **k):
            calls[name] += 1
            return f(*a, **k)
        return counted

    for name in calls:
        monkeypatch.setattr(data, name, counting(name))
    many = data._parts_of_many(pxs)
    assert calls == {"_thumbnail": len(pxs), "_sampled": len(pxs)}
    monkeypatch.undo()
    for (t, s), px in zip(many, pxs):
        one_t, one_s = data._parts(px)
        assert torch.equal(t, one_t) and torch.equal(s, one_s) and t.shape == (192,)


def test_one_turned_view_helper_gives_the_turning_order_everyone_reads():
    """``_TurnedView`` wrote the turning order (mirrored when t ≥ 4, then (t mod 4)·90°) a second time beside
    ``_turned_views`` → both use ``_turned_view(a, t)``: each of the eight is the list's, a view of the image, the
    order as it was (t = 4·mirrored + k), and ``_TurnedView`` holds the same one."""
    a = np.random.default_rng(7).integers(0, 256, (3, 5, 9), dtype=np.uint8)
    views = data._turned_views(a)
    assert len(views) == 8
    record = data.ImageRecord("x", torch.from_numpy(a))
    for t in range(8):
        one = data._turned_view(a, t)
        assert np.array_equal(one, views[t]) and np.shares_memory(one, a)
        assert np.array_equal(one, np.rot90(a[:, :, ::-1] if t >= 4 else a, t % 4, axes=(1, 2)))
        assert np.array_equal(data._TurnedView(record, t).array, one)
    assert len({v.tobytes() + bytes(v.shape) for v in views}) == 8

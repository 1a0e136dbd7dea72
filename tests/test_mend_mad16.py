"""Mends of repeated work and duplicated helpers (MAD's per-size filters, data's turnings) (mend 16)."""

from __future__ import annotations

import pytest

from tests.test_probe_scoring16 import _mad_pair


@pytest.mark.slow  # pyiqa's import: 7-12 s on 2 cores (tests/test_golden.py scores mad by default)
def test_mads_csf_and_gabor_filters_are_built_once_per_size_and_kept_on_the_images_device(monkeypatch):
    """MAD's size cache held CPU Gabor filters, copied to the image's device one by one on every call (~42 MB a scored
    image on a GPU), and its CSF was rebuilt in numpy 2-3 times a call: both are kept per (size, device), on that
    device, each built once a size; the scores are the same bits."""
    from benchmark import fastiqa

    noisy, clean = _mad_pair()
    built = []
    csf, gabor = fastiqa._mad_csf, fastiqa.mad_gabor_filters
    monkeypatch.setattr(fastiqa, "_mad_csf", lambda h, w, *a: built.append(("csf", h, w)) or csf(h, w, *a))
    monkeypatch.setattr(fastiqa, "mad_gabor_filters", lambda h, w: built.append(("gabor", h, w)) or gabor(h, w))
    mad = fastiqa.DefinedMAD()
    assert [v.hex() for v in mad(noisy, clean).tolist()] == ["0x1.4c1b91f390118p+5"]
    mad(clean.flip(-1), clean)
    mad(noisy[..., :20, :30], clean[..., :20, :30])
    assert sorted(built) == [("csf", 20, 30), ("csf", 24, 37), ("gabor", 20, 30), ("gabor", 24, 37)]
    assert list(mad.filters.entries) == [(24, 37, clean.device), (20, 30, clean.device)]
    kept_csf, kept_gabor = mad.filters.entries[(24, 37, clean.device)]
    assert kept_csf.device == clean.device and all(f.device == clean.device for fs in kept_gabor for f in fs)


@pytest.mark.parametrize("t", range(8))
def test_a_crop_turned_each_of_the_eight_ways_is_found_with_the_right_label(t):
    """An image's eight turnings were spelled out at six places (numpy, torch), and :func:`_reencoded_both_ways` reads
    a hit's turning by ``divmod(at, 8)``, assuming one order: one helper, ``_turned_views`` (turning t = 4·mirrored +
    k, as ``_turn`` makes it), and a crop turned the t-th way is labelled turned or mirrored exactly when t ≠ 0, by the
    exact and the saved-again checks, both ways round."""
    import numpy as np
    import torch
    from skimage import data as skdata

    import benchmark.data as bd

    photo = torch.from_numpy(np.ascontiguousarray(skdata.astronaut()[::2, ::2].transpose(2, 0, 1)))
    views = bd._turned_views(photo.numpy())
    assert all(np.array_equal(views[u], bd._turn(photo, u % 4, u >= 4).numpy()) for u in range(8))
    assert all(np.array_equal(bd._TurnedView(bd.ImageRecord("x", photo), u).array, views[u]) for u in range(8))
    crop = bd._turn(photo[:, 50:150, 100:180], t % 4, t >= 4).contiguous()
    big, small = bd.ImageRecord("holiday", photo), bd.ImageRecord("patch", crop)
    mark = ", turned or mirrored" if t else ""
    names = {None: "mine"}
    assert bd._reencoded_both_ways([small], {None: [big]}, names, set()) == [
        f"mine/holiday (1 training image cut from it, saved again{mark})"]
    assert bd._reencoded_both_ways([big], {None: [small]}, names, set()) == [
        f"mine/patch (cut from a training image, saved again{mark})"]
    memo: dict = {}
    assert bd._cropped_copies([big], {None: [small]}, names, set(), memo=memo) == [
        f"mine/patch (cut from a training image{mark})"]
    assert bd._cut_from_test([small], {None: [big]}, names, set(), memo=memo) == [
        "mine/holiday (1 training image cut from it)"]
    # one key shape per memo entry kind: (kind, (id, turning) or id, turning, …): the turning its index t
    assert {(k[0], len(k), len(k[1]) if k[0] == "window look-ups" else None) for k in memo} <= {
        ("window look-ups", 3, 2), ("windows", 4, None)}, list(memo)
    assert all(k[1][1] in range(8) for k in memo if k[0] == "window look-ups")


def test_block_starts_are_the_runs_both_look_ups_read():
    """``_look_up_keys`` and ``_looked_up_windows`` each spelled out where a smaller image's windows are looked up:
    one ``_block_starts(n, s, blocks)``, runs of s spread evenly from the first position to the last."""
    import numpy as np

    import benchmark.data as bd

    assert bd._block_starts(5, 8, 4).tolist() == list(range(5))  # a side shorter than a run: every position once
    assert bd._block_starts(100, 8, 4).tolist() == [o + i for o in (0, 30, 61, 92) for i in range(8)]
    assert np.array_equal(bd._block_starts(40, 8, 6), np.arange(40))  # runs that overlap: each position once

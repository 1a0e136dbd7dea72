"""Review of the clean-side caches (benchmark/fastiqa.py, SeparableSSIM): each gives pyiqa's numbers or none."""

import pytest
import torch

from benchmark import fastiqa


def _pair(h, w, seed=0, sigma=0.1):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(1, 3, h, w, generator=g)
    return (clean + sigma * torch.randn(1, 3, h, w, generator=g)).clamp(0, 1), clean


@pytest.mark.parametrize("cls", [fastiqa.CachedFSIM, fastiqa.CachedVSI, fastiqa.CachedNLPD])
def test_another_pyiqa_version_is_scored_by_pyiqa_itself(cls, monkeypatch):
    """fastiqa mirrors pyiqa 0.1.16's code (its constants, FSIM's phase congruency line by line) and nothing checked
    the pyiqa it runs beside: under another pyiqa the scores were a mix of the copy and the new pyiqa's helpers,
    recorded as pyiqa's → under another version every score is pyiqa's own module's."""
    import pyiqa

    monkeypatch.setattr(pyiqa, "__version__", "0.1.17")
    mod = cls()

    def mirrored(img):
        raise AssertionError("the 0.1.16 mirror scored under another pyiqa")

    monkeypatch.setattr(mod, "parts", mirrored)
    pred, clean = _pair(32, 40)
    assert torch.equal(mod(pred, clean), mod.inner(pred, clean))


def test_bench_eval_separate_path_keeps_nothing_of_the_clean_image(monkeypatch):
    """bench_eval's "separate" is what MetricSet.score did before it shared work, but since SeparableSSIM keeps the
    clean side it called the set's own cached ssim/ms_ssim modules: from an image's second scoring they skipped the
    clean image's filter passes too (so the ratio left out the cache's gain), and they filled the set's cache, so
    the set never paid a first scoring → the separate path scores ssim/ms_ssim with a cache that keeps nothing."""
    from conftest import load_script

    from benchmark import metrics as M

    script = load_script("bench_eval")
    calls, real = [], M._gauss_filter
    monkeypatch.setattr(M, "_gauss_filter", lambda *a: calls.append(1) or real(*a))
    ms = M.MetricSet(["ssim"])
    pred, clean = _pair(24, 30)
    for _ in range(2):
        assert not script._differing(script._separate(ms, pred, clean), ms.score(pred, clean))
    calls.clear()
    script._separate(ms, pred, clean)
    assert len(calls) == 5  # every pass of both sides, as before the cache
    ms2 = M.MetricSet(["ssim"])
    script._separate(ms2, pred, clean)
    calls.clear()
    ms2.score(pred, clean)
    assert len(calls) == 5 and len(ms2.metrics[0].module.refs.entries) == 1  # the set's first scoring pays


def test_ref_cache_counts_a_storage_its_parts_share_once():
    """RefCache counted every part's whole storage: FSIM's I and Q are two views of one YIQ tensor, so its 3 maps were
    counted twice (8 maps an image for the 5 it keeps), and the cache held 3/8 fewer images than its budget → a
    storage that parts share counts once."""
    x = torch.rand(1, 3, 8, 8)
    cache = fastiqa.RefCache(max_bytes=x.nbytes)
    cache.get(x, lambda t: (lambda y: (y[:, :1], y[:, 1:2], y[:, 2:]))(t * 2))
    assert cache.used == x.nbytes and len(cache.entries) == 1  # fits: one storage of 3 maps
    fsim = fastiqa.CachedFSIM()
    pred, clean = _pair(32, 40)
    fsim(pred, clean)
    assert fsim.refs.used == (1 + 1 + 3) * 32 * 40 * 4  # phase congruency, gradient map, YIQ (I and Q are views)

"""Speed and memory on the CPU without changing a number: each faster path gives the slow path's results."""

import pytest
import torch

from benchmark import fastiqa
from benchmark import metrics as M


def _pair(h, w, seed=0, sigma=0.1):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(1, 3, h, w, generator=g)
    return (clean + sigma * torch.randn(1, 3, h, w, generator=g)).clamp(0, 1), clean


@pytest.mark.parametrize("name", ["fsim", "vsi", "nlpd"])
def test_fsim_vsi_nlpd_keep_the_clean_side_and_equal_pyiqa_to_the_last_bit(name):
    """fsim/vsi/nlpd recomputed the clean image's phase congruency / saliency / pyramid (and fsim its size's
    log-Gabor filters) for every run scored against it; the metric set now keeps them, and every score (and
    which way is better) is still pyiqa's own."""
    import pyiqa

    ref = pyiqa.create_metric(name, device=torch.device("cpu"), as_loss=False)
    ms = M.MetricSet([name])
    mod = ms.metrics[0].module
    assert isinstance(mod, (fastiqa.CachedFSIM, fastiqa.CachedVSI, fastiqa.CachedNLPD))
    assert ms.metrics[0].higher_is_better == (not ref.lower_better)
    _, clean = _pair(33, 47, seed=1)
    for sigma in (0.1, 0.0):  # two runs' outputs against one clean image (the second is the clean image itself)
        pred, _ = _pair(33, 47, seed=1, sigma=sigma)
        want = ref(pred, clean)
        got = mod(pred, clean)
        assert got.dtype == want.dtype and got.shape == want.shape and torch.equal(got, want)
    assert ms.score(pred, clean) == {name: float(want.float().mean())}
    assert len(mod.refs.entries) == 1  # found again by its values


def test_ref_cache_is_keyed_by_values_and_bounded():
    """A clean tensor changed in place, or an equal copy, is found by its values; what does not fit is recomputed.
    Only the derived tensors count and are kept: each clean image was also copied (12 bytes a pixel per metric, five
    metrics: 60 bytes a pixel of every test image beside its parts)."""
    calls = []

    def compute(t):
        calls.append(1)
        return (t * 2,)

    cache = fastiqa.RefCache(max_bytes=3 * 4 * 16)  # one 4×4×3 float image's parts
    a = torch.rand(1, 3, 4, 4)
    assert torch.equal(cache.get(a, compute)[0], a * 2)
    assert torch.equal(cache.get(a.clone(), compute)[0], a * 2) and len(calls) == 1
    assert cache.used == 3 * 4 * 16 and not any(t is a for p in cache.entries.values() for t in p)
    a += 1  # in place: other values, another key
    assert torch.equal(cache.get(a, compute)[0], a * 2) and len(calls) == 2
    b = torch.rand(1, 3, 4, 4)
    cache.get(b, compute), cache.get(b, compute)
    assert len(calls) == 4 and len(cache.entries) == 1  # b does not fit beside a: computed each time
    assert cache.used <= cache.max_bytes
    assert len({fastiqa.RefCache.key(x) for x in (a, a.double(), a[..., :3], a.clone())}) == 3


def test_fsim_other_channel_counts_go_to_pyiqa():
    import pyiqa

    ref = pyiqa.create_metric("vsi", device=torch.device("cpu"), as_loss=False)
    g = torch.Generator().manual_seed(3)
    x, y = torch.rand(1, 1, 32, 32, generator=g), torch.rand(1, 1, 32, 32, generator=g)
    with pytest.warns(UserWarning):
        assert torch.equal(fastiqa.CachedVSI()(x, y), ref(x, y))


def _store_counting_reads(tmp_path, monkeypatch):
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.3}, metrics=("psnr",), seeds=(0, 1), n_images=4)
    reads = []
    real = ResultsStore.table

    def counted(self, *a, **k):
        reads.append(k.get("categories", a[0] if a else False))
        return real(self, *a, **k)

    monkeypatch.setattr(ResultsStore, "table", counted)
    return tmp_path / "r", reads


@pytest.mark.usefixtures("no_report_figures")  # the table's reads are counted, not the figures
def test_report_with_a_named_baseline_reads_the_store_once(tmp_path, monkeypatch):
    """api.report(baseline=…) read the whole table to check the name, then write_report read it again (twice the
    time at 10⁶ rows, and each damaged run's warning twice) → the name is checked on the report's one read."""
    from benchmark import api
    from benchmark.errors import UserError

    out, reads = _store_counting_reads(tmp_path, monkeypatch)
    with pytest.raises(UserError, match="baseline 'l3' is not a loss of these results"):
        api.report(out, baseline="l3", formats="png", visual=False, html=False)
    assert reads == [True]
    reads.clear()
    api.report(out, baseline="l2", formats="png", visual=False, html=False)
    assert reads == [True]


@pytest.mark.slow
def test_cli_report_with_a_named_baseline_reads_the_store_once(tmp_path, monkeypatch):
    from benchmark import cli

    out, reads = _store_counting_reads(tmp_path, monkeypatch)
    assert cli.main(["report", "--out", str(out), "--baseline", "l3", "--formats", "png", "-q"]) == 2
    assert reads == [True]
    reads.clear()
    assert cli.main(["report", "--out", str(out), "--baseline", "l2", "--formats", "png", "--no-visual", "-q"]) == 0
    assert reads == [True]


def _ms_ssim_uncached(x, y):
    """ms_ssim as SeparableSSIM computed it before it kept the reference: every term of both sides, every scale."""
    w = torch.tensor(M.SeparableSSIM.MS_WEIGHTS, dtype=torch.float32).to(x)
    mcs, first = [], None
    for _ in range(5):
        val, cs = M.ssim_separable(x, y, get_cs=True)
        first = val if first is None else first
        mcs.append(cs)
        pad = (x.shape[2] % 2, x.shape[3] % 2)
        x = torch.nn.functional.avg_pool2d(x, kernel_size=2, padding=pad)
        y = torch.nn.functional.avg_pool2d(y, kernel_size=2, padding=pad)
    mcs = torch.stack(mcs)
    return first, torch.prod(mcs[:-1] ** w[:-1].unsqueeze(1), dim=0) * val ** w[-1]


def test_ssim_and_ms_ssim_keep_the_clean_side_and_give_the_same_bits(monkeypatch):
    """ssim/ms_ssim filtered the clean image's luma (μ_y, σ_y², 2 of each scale's 5 filter passes) and pooled its
    scales again for every run; they are kept per clean image, and every score is the uncached one to the bit."""
    calls = []
    real = M._gauss_filter
    monkeypatch.setattr(M, "_gauss_filter", lambda *a: calls.append(1) or real(*a))
    _, clean = _pair(171, 180, seed=7)
    ssim, ms = M.MetricSet(["ssim"]).metrics[0].module, M.MetricSet(["ms_ssim"]).metrics[0].module
    for k, sigma in enumerate((0.1, 0.03, 0.0)):
        pred, _ = _pair(171, 180, seed=7, sigma=sigma)
        x, y = M.SeparableSSIM._luma(pred), M.SeparableSSIM._luma(clean)
        want_ssim, want_ms = _ms_ssim_uncached(x, y)
        assert torch.equal(ssim(pred, clean), M.ssim_separable(x, y)) and torch.equal(ssim(pred, clean), want_ssim)
        calls.clear()
        got = ms.both(pred, clean)
        assert torch.equal(got[0], want_ssim) and torch.equal(got[1], want_ms) and torch.equal(ms(pred, clean), want_ms)
        # 3 passes a scale, the clean image's 2 kept from its first scoring (5 a scale then)
        assert len(calls) == (5 * 5 if k == 0 else 5 * 3) + 5 * 3
    assert len(ms.refs.entries) == len(ssim.refs.entries) == 1
    with pytest.raises(ValueError, match="multiscale"):
        ssim.both(pred, clean)


def test_cached_metrics_score_under_pyiqas_cudnn_flags(monkeypatch):
    """pyiqa's InferenceModel scores with cuDNN benchmark off and deterministic on; the cached fsim/vsi/nlpd
    scored under whatever the runner set (cudnn.benchmark on: other convolution algorithms on a GPU than
    pyiqa's, so other bits) → they score under pyiqa's flags."""
    mod = fastiqa.CachedNLPD()
    seen, real = [], mod.parts
    monkeypatch.setattr(mod, "parts", lambda img: seen.append(
        (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)) or real(img))
    with torch.backends.cudnn.flags(enabled=True, benchmark=True, deterministic=False):
        mod(*_pair(32, 40))
    assert seen == [(False, True)] * 2

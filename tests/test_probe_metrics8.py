"""Probes of the evaluator's metrics: fastiqa's caches under threads, scores of outputs that are not finite."""

from __future__ import annotations

import math
import threading
import time

import torch

from benchmark import fastiqa
from benchmark import metrics as M


def _hammer(fn, args_per_thread):
    """Run fn(*args) in one thread per args, all released at once; the exceptions they raised."""
    gate, errors = threading.Barrier(len(args_per_thread)), []

    def work(*args):
        gate.wait()
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=a) for a in args_per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_ref_cache_computes_a_cold_image_once_and_counts_it_once_under_threads():
    """Was: 8 threads scoring against one clean image at once all missed the cold cache, each computed its parts
    and each added their bytes to ``used`` (8× the real size: the budget filled with bytes nobody kept, and later
    images were recomputed on every run) → one thread computes, the others wait for its parts."""
    cache, calls, lock = fastiqa.RefCache(), [], threading.Lock()
    ref = torch.rand(1, 3, 48, 48)

    def compute(t):
        with lock:
            calls.append(1)
        return (torch.fft.fft2(t).abs() + t.flip(-1).cumsum(-1),)  # some real work, releasing the GIL

    got = []
    errors = _hammer(lambda: got.append(cache.get(ref, compute)[0]), [()] * 8)
    assert not errors
    assert len(calls) == 1, f"{len(calls)} threads computed the same clean image's parts"
    assert cache.used == fastiqa._nbytes(next(iter(cache.entries.values())))
    assert all(g is got[0] for g in got)


def test_a_net_output_with_nan_scores_nan_and_is_reported_not_a_failed_run():
    """Was: a trained net whose output on a held-out image held a NaN (loss finite in training) stopped the scoring in
    pyiqa's input check, ``AssertionError: Input must be normalized to [0, 1], but got min=nan`` (the clamp before
    scoring keeps NaN), and the whole run was recorded as failed with that message → that image scores NaN on every
    metric that can score its size, with a warning, and coverage says which images were not finite."""
    from benchmark.runner import TestItem, coverage, evaluate

    g = torch.Generator().manual_seed(0)
    clean = torch.rand(1, 3, 40, 44, generator=g)
    ms = M.MetricSet(["psnr", "ssim", "ms_ssim", "fsim", "vsi", "nlpd", "piqe"])

    class HalfBroken(torch.nn.Module):
        def forward(self, x):
            y = x.clone()
            if x.mean() > 0.5:
                y[..., 3, 5] = float("nan")
            return y

    items = [TestItem("set", "ok", clean, clean * 0.5), TestItem("set", "bad", clean, clean * 0.5 + 0.5)]
    scores = evaluate(HalfBroken(), items, ms, torch.device("cpu"))
    ok, bad = scores[0][1], scores[1][1]
    assert set(bad) == set(ok) == {"psnr", "ssim", "fsim", "vsi", "nlpd", "piqe"}  # ms_ssim: under 161 px
    assert all(math.isfinite(v) for v in ok.values()) and all(math.isnan(v) for v in bad.values())
    scored, unscorable, partial = coverage(scores, ms)
    assert "psnr" in scored and set(unscorable) == {"ms_ssim"}
    assert "not finite on: set/bad" in partial["psnr"] and "scored 1 of 2" in partial["psnr"]


def test_a_metric_whose_backbone_is_on_the_hugging_face_hub_is_skipped_naming_the_file_and_cache_path():
    """Was: topiq_nr (also topiq_fr, maniqa, ahiq, hyperiqa, nima: their timm backbones come from the Hugging Face hub)
    was skipped offline with "weights not cached (An error happened while trying to locate the file on the Hub …)":
    neither the file nor where to put it → the reason names the hub repository, the file and its cache path, as the
    skip reasons of pyiqa's own files and torch hub backbones do."""
    from huggingface_hub import constants

    m, reason = M.open_metric("topiq_nr")
    assert m is None
    assert "\n" not in reason and "is not cached (expected at" in reason, reason
    assert str(constants.HF_HUB_CACHE) in reason and "models--timm--resnet50" in reason, reason


def _largest_allocation(fn) -> int:
    """Bytes of the largest tensor allocation any one op made while fn() ran (torch's profiler, CPU)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    return max((e.self_cpu_memory_usage for e in prof.events()), default=0)


def test_entropy_of_a_large_image_keeps_to_its_size_and_equals_pyiqa(set5):
    """Was: pyiqa's entropy builds its histogram as a one-hot int64 tensor of 256 bins per pixel (2 KiB a pixel): a
    3840×2160 output took 17.6 GB of peak memory (measured, ru_maxrss) on a 23 GB machine → a bincount per image, the
    same counts and then pyiqa's own lines: equal to pyiqa to the bit, on real, grey and constant images."""
    import pyiqa

    from benchmark.data import decode_image, to_float

    ref = pyiqa.create_metric("entropy", device=torch.device("cpu"), as_loss=False)
    ms = M.MetricSet(["entropy"])
    m = ms.metrics[0]
    assert not m.full_reference and m.higher_is_better == (not ref.lower_better)
    img = sorted(set5.iterdir())[0]
    x = to_float(decode_image(str(img), img.name))[None]
    grey = x.mean(1, keepdim=True).expand(-1, 3, -1, -1).contiguous()
    for t in (x, grey, torch.zeros_like(x), torch.ones_like(x), torch.cat([x, grey])):
        assert torch.equal(m.module(t), ref(t))
    assert ms.score(x, x) == {"entropy": float(ref(x).float().mean())}
    big = torch.rand(1, 3, 256, 384, generator=torch.Generator().manual_seed(0))
    assert torch.equal(m.module(big), ref(big))
    used = _largest_allocation(lambda: ms.score(big, big))
    assert used <= 16 * big[0, 0].numel(), f"{used / big[0, 0].numel():.0f} bytes a pixel in one allocation"


def test_ssimc_is_the_separable_ssim_of_rgb_equal_to_pyiqa_in_a_tenth_of_its_memory(set5):
    """Was: ssimc went to pyiqa's 11×11 2-D float64 window, whose convolution unfolds 906 bytes a pixel in one
    allocation (measured on 256×384): a 3840×2160 output grew past 8.8 GB and ran over 7 minutes → the separable
    SSIM on R, G and B (pyiqa's inputs: ×255, rounded, float64), equal to pyiqa to 1e-6 as ssim is, its reference
    side kept per clean image."""
    import pyiqa

    from benchmark.data import decode_image, to_float

    ref = pyiqa.create_metric("ssimc", device=torch.device("cpu"), as_loss=False)
    ms = M.MetricSet(["ssimc"])
    m = ms.metrics[0]
    assert isinstance(m.module, M.SeparableSSIM) and m.full_reference and m.higher_is_better
    img = sorted(set5.iterdir())[1]
    clean = to_float(decode_image(str(img), img.name))[None]
    g = torch.Generator().manual_seed(2)
    for pred in ((clean + 0.1 * torch.randn(clean.shape, generator=g)).clamp(0, 1), clean.clone(),
                 torch.zeros_like(clean), clean.mean(1, keepdim=True).expand_as(clean)):
        want, got = ref(pred, clean), m.module(pred, clean)
        assert got.shape == want.shape and torch.allclose(got, want, rtol=0, atol=1e-6), (got, want)
    assert len(m.module.refs.entries) == 1
    big = torch.rand(1, 3, 256, 384, generator=g)
    used = _largest_allocation(lambda: ms.score(big.flip(-1), big))
    assert used <= 100 * big[0, 0].numel(), f"{used / big[0, 0].numel():.0f} bytes a pixel in one allocation"


def test_a_pass_records_the_weights_each_metric_scored_with(tmp_path):
    """Was: a pass's record said which metrics scored and which were skipped, but not with which weights
    (:attr:`benchmark.metrics.OpenMetric.weights`: "none", pyiqa's cached files, contrique_fr's encoder and its
    feature version): two passes of contrique_fr, one on a stand-in encoder and one on the real checkpoint, read the
    same → the record keeps ``metric_weights`` {metric: weights} of the metrics it scored."""
    from benchmark.results import ResultsStore
    from benchmark.runner import TestItem, _write_pass

    ms = M.MetricSet(["psnr", "ssim"])
    ms.metrics.append(M.OpenMetric("stand_in", lambda p, t: (p - t).abs().mean(), False, True,
                                   "resnet50:random-init(seed=0)+contrique_features(v2)"))
    clean = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    item = TestItem("set", "a", clean, clean)
    scores = [(item, ms.score(clean * 0.9, clean))]
    store = ResultsStore(tmp_path / "r")
    _write_pass(store, "run1", scores, ms, rows=[])
    rec = store.eval_records("run1")[0]
    assert rec["metric_weights"] == {"psnr": "none", "ssim": "none",
                                     "stand_in": "resnet50:random-init(seed=0)+contrique_features(v2)"}


def test_entropy_and_nlpd_cis_are_cut_at_the_range_they_have_by_definition():
    """Was: entropy (bits of a 256-bin histogram: 0 to 8) and nlpd (a mean of root-mean-squares: ≥ 0) had no
    :data:`benchmark.metrics.RANGE`, so a Student-t interval over 2 seeds read entropy ``7.9 [6.7, 9.1]`` — bits no
    image can have — and nlpd's lower bound went below 0 → each CI is cut at its metric's range, and the scores the
    metrics give (a constant image, uniform noise, an image and itself) lie in it."""
    import numpy as np

    import benchmark.stats as S

    assert M.metric_range("entropy") == (0.0, 8.0) and M.metric_range("nlpd") == (0.0, math.inf)
    rng = np.random.default_rng(0)
    blks = []
    for m, base, spread in (("entropy", 7.85, 0.12), ("nlpd", 0.05, 0.04)):
        v = np.stack([base + np.array([[-spread], [spread]]) + rng.normal(0, 0.005, (2, 4)),
                      base + 0.01 + np.array([[-spread], [spread]]) + rng.normal(0, 0.005, (2, 4))])
        blks.append(S.Block("denoise", m, m == "entropy", ["l1", "good"], ["l1", "good"], np.arange(2),
                            [f"i{i}" for i in range(4)], v))
    cells = S.cell_table(blks, n_boot=200).set_index(["metric", "label"])
    assert (cells.loc["entropy", "ci_high"] <= 8.0).all() and cells.loc["entropy", "ci_clipped"].all()
    assert (cells.loc["nlpd", "ci_low"] >= 0.0).all() and cells.loc["nlpd", "ci_clipped"].all()
    ms = M.MetricSet(["entropy", "nlpd"])
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    for pred in (x, torch.full_like(x, 0.5), torch.zeros_like(x), (x * 255).round() / 255):
        for name, value in ms.score(pred, x).items():
            low, high = M.metric_range(name)
            assert low <= value <= high, (name, value)


def test_metrics_opened_in_two_threads_at_once_leave_stdout_and_downloads_as_they_were(monkeypatch):
    """Was: open_metric patches process-wide state while pyiqa's constructor runs (``sys.stdout``/``sys.stderr``
    redirected to swallow its prints; torch.hub, urllib and huggingface_hub made to refuse downloads) and puts back
    what it saved: a second thread opening a metric meanwhile saved the first's patches as the originals and put
    them back last, so the process was left printing into a dead StringIO and refusing every download (``HF_HUB_
    OFFLINE`` stuck True) → opening a metric holds one lock while those patches stand."""
    import sys

    import pyiqa
    import torch.hub

    first_inside, first_done = threading.Event(), threading.Event()

    class Fake:
        lower_better, metric_mode = False, "FR"

    def create_metric(name, **kwargs):
        print(f"pyiqa builds {name}")
        if not first_inside.is_set():
            first_inside.set()
            time.sleep(0.05)
            second_inside.wait(timeout=1.0)  # the second thread opens its metric meanwhile (the old code let it)
        else:
            second_inside.set()
            first_done.wait(timeout=1.0)
        return Fake()

    second_inside = threading.Event()
    monkeypatch.setattr(pyiqa, "create_metric", create_metric)
    before = sys.stdout, sys.stderr, torch.hub.download_url_to_file

    def first():
        M.open_metric("psnr")
        first_done.set()

    def second():
        first_inside.wait(timeout=5)
        M.open_metric("psnr")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert (sys.stdout, sys.stderr, torch.hub.download_url_to_file) == before


def test_ref_cache_shares_a_clean_image_too_large_to_keep_with_the_threads_waiting_for_it():
    """Was: a clean image whose parts do not fit the cache's budget (a test set past 256 MB a metric) was computed
    by the first thread while the others waited on its lock, and then again by each of them in turn, one after
    another (8 threads: 8 computations in series, where the code before the lock ran them at once) → the threads
    that waited get the parts the first one computed; nothing is kept or counted."""
    cache, calls, lock = fastiqa.RefCache(max_bytes=0), [], threading.Lock()
    ref = torch.rand(1, 3, 48, 48)

    def compute(t):
        with lock:
            calls.append(1)
        time.sleep(0.2)  # long enough for every thread to be waiting on the first one's lock
        return (torch.fft.fft2(t).abs(),)

    got = []
    errors = _hammer(lambda: got.append(cache.get(ref, compute)[0]), [()] * 8)
    assert not errors and len(got) == 8
    assert len(calls) == 1, f"{len(calls)} computations of one clean image, one after another"
    assert cache.used == 0 and not cache.entries and not cache._computing
    cache.get(ref, compute)  # a later call, no thread waiting: computed again, not kept
    assert len(calls) == 2 and not cache._computing


def test_opening_a_metric_that_imports_timm_leaves_timms_hub_download_unpatched():
    """Was: pyiqa imports timm while the metric is opened, under :func:`benchmark.metrics.no_downloads`, and timm
    binds ``hf_hub_download`` on import (``partial(hf_hub_download, library_name="timm", …)``): it bound the
    refusing wrapper and kept it for the rest of the process, every later timm download going through it → after
    the metric is opened, timm's function is huggingface_hub's own again."""
    import functools
    import sys

    import huggingface_hub

    M.open_metric("topiq_nr")
    f = sys.modules["timm.models._hub"].hf_hub_download
    f = f.func if isinstance(f, functools.partial) else f
    assert f is huggingface_hub.hf_hub_download, f


def test_a_clip_metric_whose_weights_are_missing_is_skipped_naming_the_path_not_the_url():
    """Was: afine_nr (and the other metrics on pyiqa's CLIP loaders, which open the URL themselves) was skipped as
    "ViT-B-32.pt is not cached (expected at https://openaipublic.azureedge.net/…/ViT-B-32.pt)": a URL where the path
    the file must be at belongs → the reason names the loader's target, ``~/.cache/clip/ViT-B-32.pt``; a download
    whose target is not known says the file cannot be downloaded offline, and from where."""
    import os

    m, reason = M.open_metric("afine_nr")
    assert m is None
    assert "\n" not in reason and "expected at https://" not in reason, reason
    assert f"(expected at {os.path.join(os.path.expanduser('~/.cache/clip'), 'ViT-B-32.pt')})" in reason, reason
    assert str(M.WeightsNotCached("https://example.org/w/x.pth", None)) == \
        "x.pth is not cached and cannot be downloaded offline (from https://example.org/w/x.pth)"

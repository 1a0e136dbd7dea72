"""The device-side batch sampler: pixel-exact against the CPU loop for the same draws, the same
distribution as the CPU sampler, seeded, and (on a GPU) free of host synchronisation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from benchmark.data import ImageRecord
from benchmark.runner import sample_batch
from benchmark.sampler import DeviceSampler, Draws, reference_crops


def _coord_image(h: int, w: int) -> ImageRecord:
    """R = row, G = column, B = a constant: every pixel tells where it came from (h, w ≤ 256)."""
    r = torch.arange(h).view(h, 1).expand(h, w)
    c = torch.arange(w).view(1, w).expand(h, w)
    return ImageRecord(f"{h}x{w}", torch.stack([r, c, torch.full((h, w), 7)]).to(torch.uint8))


IMAGES = [_coord_image(40, 56), _coord_image(64, 48), _coord_image(33, 90)]


def test_gather_is_pixel_exact_against_the_cpu_loop():
    s = DeviceSampler(IMAGES, "cpu")
    g = torch.Generator().manual_seed(3)
    for crop in (8, 16, 32):
        d = s.draw(64, crop, g)
        assert set(d.rot.tolist()) == {0, 1, 2, 3} and set(d.flip.tolist()) == {0, 1}
        torch.testing.assert_close(s.gather(d, crop), reference_crops(IMAGES, d, crop), rtol=0, atol=0)


def test_every_rotation_and_flip_explicitly():
    s = DeviceSampler(IMAGES, "cpu")
    for k in range(4):
        for f in (0, 1):
            d = Draws(*(torch.tensor([v]) for v in (1, 5, 3, k, f)))
            torch.testing.assert_close(s.gather(d, 12), reference_crops(IMAGES, d, 12), rtol=0, atol=0)


def _decode(batch: torch.Tensor, crop: int) -> list[tuple]:
    """(image shape, top, left, orientation) of each crop of coordinate images."""
    out = []
    b = (batch * 255).round().long()
    for x in b:
        corners = tuple((int(x[0, i, j]), int(x[1, i, j])) for i, j in ((0, 0), (0, crop - 1), (crop - 1, 0)))
        rows = [r for r, _ in corners]
        cols = [c for _, c in corners]
        out.append((min(rows), min(cols), corners))
    return out


def test_same_distribution_as_the_cpu_sampler():
    """4000 crops from each sampler of one image: top/left positions agree (two-sample KS) and so do
    the eight orientations (chi-square)."""
    from scipy.stats import chi2_contingency, ks_2samp

    img = [_coord_image(64, 48)]
    crop, n = 16, 4000
    cpu = sample_batch(img, n, crop, 1, torch.Generator().manual_seed(0))
    dev = DeviceSampler(img, "cpu").sample(n, crop, 1, torch.Generator().manual_seed(1))
    a, b = _decode(cpu, crop), _decode(dev, crop)
    for k in (0, 1):
        assert ks_2samp([t[k] for t in a], [t[k] for t in b]).pvalue > 1e-3
    orient = sorted({t[2][1:] for t in a} | {t[2][1:] for t in b})

    def counts(xs):
        rel = [tuple((r - x[0], c - x[1]) for r, c in x[2]) for x in xs]
        keys = sorted(set(rel))
        return keys, [rel.count(k) for k in keys]

    ka, ca = counts(a)
    kb, cb = counts(b)
    assert ka == kb and len(ka) == 8, orient  # every one of the 8 orientations, in both
    assert chi2_contingency(np.array([ca, cb])).pvalue > 1e-3
    assert min(t[0] for t in b) == 0 and max(t[0] for t in b) == 64 - crop  # every position reachable


def test_seeded_and_in_range():
    s = DeviceSampler(IMAGES, "cpu")
    one = s.sample(8, 20, 4, torch.Generator().manual_seed(9))
    two = s.sample(8, 20, 4, torch.Generator().manual_seed(9))
    assert one.shape == (8, 3, 20, 20) and torch.equal(one, two)
    assert float(one.min()) >= 0 and float(one.max()) <= 1
    three = s.sample(8, 22, 4, torch.Generator().manual_seed(9))  # rounded down to the task's multiple
    assert three.shape[-1] == 20


def test_float_images_are_quantised():
    f = ImageRecord("f", torch.rand(3, 30, 30))
    s = DeviceSampler([f], "cpu")
    assert s.buffer.dtype == torch.uint8 and s.buffer.numel() == 3 * 30 * 30


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_no_host_sync_on_cuda():
    dev = torch.device("cuda")
    s = DeviceSampler(IMAGES, dev)
    g = torch.Generator(device=dev).manual_seed(0)
    s.sample(4, 16, 1, g)  # warm-up (allocations)
    torch.cuda.set_sync_debug_mode("error")
    try:
        batch = s.sample(16, 16, 1, g)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert batch.device.type == "cuda" and batch.shape == (16, 3, 16, 16)


def test_a_worker_uploads_its_training_set_once():
    """Every run of a worker on one training set shares one device buffer (it was re-uploaded per
    run, a pageable copy of a few GB on a large set); another set gets its own, and at most
    ``CACHE_SIZE`` sets stay resident."""
    from benchmark.config import RunConfig
    from benchmark.runner import TrainStep
    from benchmark.task import build_task

    DeviceSampler._cache.clear()
    cfg = RunConfig(task="denoise", loss="l1", iterations=1, batch_size=2, crop=16)
    a = TrainStep(cfg, build_task("denoise"), IMAGES, torch.device("cpu"), device_path=True)
    b = TrainStep(dataclasses.replace(cfg, seed=1), build_task("denoise"), IMAGES, torch.device("cpu"),
                  device_path=True)
    assert a.sampler is b.sampler
    other = [ImageRecord(f"x{i}", torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)) for i in range(2)]
    c = TrainStep(cfg, build_task("denoise"), other, torch.device("cpu"), device_path=True)
    assert c.sampler is not a.sampler and len(DeviceSampler._cache) == DeviceSampler.CACHE_SIZE
    # a shared sampler changes no draw: the generator is the run's own
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(a.sampler.sample(2, 16, 1, g1), DeviceSampler(IMAGES, "cpu").sample(2, 16, 1, g2))
    DeviceSampler._cache.clear()

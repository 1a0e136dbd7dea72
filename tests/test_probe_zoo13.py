"""Probe of the loss zoo and the metrics against their references (session 13)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.metrics import MetricSet


def _photo(folder, name: str, side: int = 96) -> torch.Tensor:
    from PIL import Image

    arr = np.asarray(Image.open(folder / name).convert("RGB"))[:side, :side]
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None].double() / 255


def test_cw_ssim_of_flat_images_is_the_formulas_limit_never_a_million():
    """pyiqa adds 1e-12 inside each complex magnitude: a flat image, whose bands are (rounding) zero, scored
    2e-6 / 2e-12 = 1000000.0 against itself, a leaderboard cell a million times the metric's maximum of 1."""
    cw = MetricSet(["cw_ssim"])
    flat = torch.full((1, 3, 64, 72), 0.5)
    noise = torch.rand(1, 3, 64, 72, generator=torch.Generator().manual_seed(0))
    assert cw.score(flat, flat)["cw_ssim"] == pytest.approx(1.0, abs=1e-12)          # S(x, x) = 1 for every x
    assert cw.score(torch.ones_like(flat), torch.ones_like(flat))["cw_ssim"] == pytest.approx(1.0, abs=1e-12)
    assert cw.score(0.6 * flat, flat)["cw_ssim"] == pytest.approx(1.0, abs=1e-12)    # bandpass: blind to a shift
    assert cw.score(noise, flat)["cw_ssim"] == pytest.approx(0.0, abs=1e-6)          # structure against none
    near = flat.clone()
    near[..., 30:34, 30:34] += 1 / 255
    for p, t in ((near, flat), (flat, near), (near, near), (noise, near)):
        assert cw.score(p, t)["cw_ssim"] <= 1 + 1e-12                               # Cauchy–Schwarz


def test_cw_ssim_equals_pyiqas_on_photos_and_after_its_reference_is_kept(set5):
    import pyiqa

    ref = pyiqa.create_metric("cw_ssim", as_loss=False)
    cw = MetricSet(["cw_ssim"])
    for name in ("bird.png", "butterfly.png"):
        t = _photo(set5, name).float()
        p = (t + 0.04 * torch.randn(t.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
        want = float(ref(p, t))
        assert float(cw.metrics[0].module(p, t)) == pytest.approx(want, abs=1e-9)
        assert float(cw.metrics[0].module(p, t)) == pytest.approx(want, abs=1e-9)  # the clean side from the cache
        assert cw.score(p, t)["cw_ssim"] == pytest.approx(want, abs=1e-6)  # a row's float32
        assert cw.score(t, t)["cw_ssim"] == pytest.approx(1.0, abs=1e-12)

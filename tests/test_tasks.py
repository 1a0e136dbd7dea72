"""Every registered task: shapes, ranges, determinism, a degradation-strength sanity band."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark.errors import UserError
from benchmark.metrics import psnr
from benchmark.registry import TASKS
from benchmark.task import build_task, image_generator

ALL = TASKS.names()
# input PSNR (dB) of the default degradation on a 256² astronaut crop: a band, not a point
BANDS = {"denoise": (19.0, 22.0), "sr4": (20.0, 30.0), "deblur": (19.0, 32.0), "jpeg": (22.0, 33.0),
         "demosaic": (22.0, 40.0)}


@pytest.mark.parametrize("name", ALL)
def test_shape_range_dtype(name, astronaut):
    task = build_task(name)
    x = astronaut.repeat(2, 1, 1, 1)
    y = task.degrade(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == torch.float32
    assert float(y.min()) >= 0 and float(y.max()) <= 1
    assert not torch.equal(x, y)


@pytest.mark.parametrize("name", ALL)
def test_deterministic_given_generator(name, astronaut):
    task = build_task(name)
    a = task.degrade(astronaut, image_generator(task, "img"))
    b = task.degrade(astronaut, image_generator(task, "img"))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", ALL)
def test_sanity_band(name, astronaut):
    if name not in BANDS:
        pytest.skip(f"no band recorded for {name}")
    task = build_task(name)
    p = float(psnr(task.degrade(astronaut, image_generator(task, "a")), astronaut))
    lo, hi = BANDS[name]
    assert lo <= p <= hi, f"{name}: input PSNR {p:.2f} dB outside [{lo}, {hi}]"


@pytest.mark.parametrize("name", ALL)
def test_params_recorded(name):
    e = TASKS.get(name)
    task = build_task(name)
    assert e.version and e.citation
    json.dumps(task.params)  # recordable
    assert task.name == name


def test_denoise_noise_level(astronaut):
    task = build_task("denoise", sigma=0.1, clip=False)
    noise = task.degrade(astronaut, torch.Generator().manual_seed(1)) - astronaut
    assert abs(float(noise.std()) - 0.1) < 0.002 and abs(float(noise.mean())) < 0.002


def test_random_per_batch_fixed_per_image(astronaut):
    task = build_task("deblur")
    g = torch.Generator().manual_seed(0)
    first, second = task.degrade(astronaut, g), task.degrade(astronaut, g)
    assert not torch.equal(first, second)  # training: a fresh draw per batch
    assert not torch.equal(task.degrade(astronaut, image_generator(task, "a")),
                           task.degrade(astronaut, image_generator(task, "b")))


def test_sr_needs_multiple_of_scale():
    with pytest.raises(ValueError):
        build_task("sr4").degrade(torch.rand(1, 3, 30, 30), torch.Generator())


def test_demosaic_keeps_sampled_values(astronaut):
    from tasks.demosaic import bayer_masks

    task = build_task("demosaic")
    y = task.degrade(astronaut, torch.Generator())
    m = bayer_masks(*astronaut.shape[-2:]).bool()[None]
    torch.testing.assert_close(y[m], astronaut[m], atol=1e-6, rtol=0)


def test_jpeg_is_a_real_codec(astronaut):
    y = build_task("jpeg", quality=10).degrade(astronaut, torch.Generator())
    # 8×8 block boundaries show: the mean jump across block edges exceeds the one inside blocks
    d = (y[..., :, 1:] - y[..., :, :-1]).abs().mean(dim=(0, 1, 2))
    edges = d[7::8].mean()
    inside = torch.cat([d[i::8] for i in range(7)]).mean()
    assert edges > 1.2 * inside


@pytest.mark.parametrize("name,params,match", [("denoise", {"sigma": -1}, "sigma"), ("jpeg", {"quality": 0}, "quality"),
                                               ("denoise", {"sigmaa": 0.1}, "no parameter sigmaa")])
def test_bad_params(name, params, match):
    with pytest.raises(UserError, match=match):
        build_task(name, **params)


@pytest.mark.parametrize("name,params,match", [
    ("deblur", {"gaussian_sigma": (0, 0)}, "gaussian_sigma"),  # σ = 0 made NaN kernels: an internal error later
    ("deblur", {"gaussian_sigma": (3, 1)}, "gaussian_sigma"),
    ("deblur", {"motion_length": (-1, 5)}, "motion_length"),
    ("deblur", {"p_motion": 2}, "p_motion"),
    ("deblur", {"noise_sigma": -0.1}, "noise_sigma"),
    ("demosaic", {"noise_sigma": -1}, "noise_sigma"),
])
def test_out_of_range_params_are_one_line_errors(name, params, match):
    with pytest.raises(UserError, match=match) as err:
        build_task(name, **params)
    assert "\n" not in str(err.value)


def test_unknown_task_suggests():
    with pytest.raises(UserError, match="did you mean denoise"):
        build_task("denoize")


def test_deblur_device_kernels_follow_the_host_kernels_distribution():
    """The GPU step draws blur kernels in one batched call (``sample_kernels``; the CPU suite's
    device path uses a CPU generator and so the per-image loop): same distribution as
    ``sample_kernel`` — share of motion (anisotropic) kernels and mean spread — on 3000 draws each."""
    from benchmark.task import build_task

    task = build_task("deblur")
    n = 3000
    batched = task.sample_kernels(n, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    host = torch.stack([task.sample_kernel(g) for _ in range(n)])
    k = task.kernel_size
    yy, xx = torch.meshgrid(torch.arange(k) - k // 2, torch.arange(k) - k // 2, indexing="ij")

    def stats(kernels):
        kernels = kernels.double()
        assert torch.allclose(kernels.sum((1, 2)), torch.ones(len(kernels), dtype=torch.double), atol=1e-5)
        assert (kernels >= 0).all()
        mx, my = (kernels * xx).sum((1, 2)), (kernels * yy).sum((1, 2))
        cxx = (kernels * (xx - mx[:, None, None]) ** 2).sum((1, 2))
        cyy = (kernels * (yy - my[:, None, None]) ** 2).sum((1, 2))
        cxy = (kernels * (xx - mx[:, None, None]) * (yy - my[:, None, None])).sum((1, 2))
        tr, det = cxx + cyy, cxx * cyy - cxy**2
        gap = (tr**2 - 4 * det).clamp_min(0).sqrt()
        aniso = gap / tr  # (λmax − λmin) / (λmax + λmin): ≈ 0 Gaussian, ≈ 1 motion
        return float((aniso > 0.5).double().mean()), float(tr.mean())

    (share_b, spread_b), (share_h, spread_h) = stats(batched), stats(host)
    assert abs(share_b - task.p_motion) < 0.04 and abs(share_h - task.p_motion) < 0.04
    assert abs(share_b - share_h) < 0.05 and spread_b == pytest.approx(spread_h, rel=0.06)

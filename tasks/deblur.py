"""Non-blind deblurring: Gaussian and linear-motion kernels plus mild noise."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmark.registry import register_task
from benchmark.task import SIGMA_FLOOR, ModcropTask, randn, scale_hint, stream, uniform


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """Isotropic Gaussian, (size, size), sums to 1 (one pixel for σ ≤ :data:`benchmark.task.SIGMA_FLOOR`)."""
    sigma = max(sigma, SIGMA_FLOOR)
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def motion_kernel(size: int, length: float, angle: float) -> torch.Tensor:
    """Linear motion blur of ``length`` px at ``angle`` (radians) through the centre, (size, size).

    The segment is sampled at 8 points per pixel and splatted bilinearly, so any length and
    angle give a smooth, normalised kernel.
    """
    c = (size - 1) / 2
    t = torch.linspace(-length / 2, length / 2, max(2, int(8 * length)))
    xs, ys = c + t * math.cos(angle), c + t * math.sin(angle)
    k = torch.zeros(size, size)
    x0, y0 = xs.floor().long(), ys.floor().long()
    fx, fy = xs - x0, ys - y0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = (x0 + dx).clamp(0, size - 1), (y0 + dy).clamp(0, size - 1)
        k.index_put_((yi, xi), w, accumulate=True)
    return k / k.sum()


def gaussian_kernels(size: int, sigma: torch.Tensor) -> torch.Tensor:
    """:func:`gaussian_kernel` for a batch of σ: (N,) → (N, size, size), on σ's device."""
    x = torch.arange(size, dtype=torch.float32, device=sigma.device) - (size - 1) / 2
    r2 = (x[:, None] ** 2 + x[None, :] ** 2)[None]
    g = torch.exp(-r2 / (2 * sigma.float().clamp_min(SIGMA_FLOOR).view(-1, 1, 1) ** 2))
    return g / g.sum((1, 2), keepdim=True)


def motion_kernels(size: int, length: torch.Tensor, angle: torch.Tensor, max_length: float) -> torch.Tensor:
    """:func:`motion_kernel` for a batch of (length, angle) (N,) → (N, size, size), with no host sync:
    every kernel is sampled at the same ``max(2, int(8·length))`` points as on the CPU, padded to
    the most any length in range needs and masked."""
    dev = length.device
    p_max = max(2, int(8 * max_length))
    n_pts = (8 * length).floor().long().clamp_min(2)                                   # (N,)
    j = torch.arange(p_max, device=dev).view(1, -1)
    step = length.view(-1, 1) / (n_pts - 1).clamp_min(1).view(-1, 1)
    t = -length.view(-1, 1) / 2 + j * step                                              # (N, P)
    valid = (j < n_pts.view(-1, 1)).float()
    c = (size - 1) / 2
    xs, ys = c + t * torch.cos(angle).view(-1, 1), c + t * torch.sin(angle).view(-1, 1)
    x0, y0 = xs.floor().long(), ys.floor().long()
    fx, fy = xs - x0, ys - y0
    k = torch.zeros(length.shape[0], size * size, device=dev)
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = (x0 + dx).clamp(0, size - 1), (y0 + dy).clamp(0, size - 1)
        k.scatter_add_(1, yi * size + xi, w * valid)
    k = k.view(-1, size, size)
    return k / k.sum((1, 2), keepdim=True)


def _mirror(n: int, pad: int, device) -> torch.Tensor:
    """Indices of a side of ``n`` px reflect-padded by ``pad`` on each end: the mirror about the edge pixels
    (``…2 1 | 0 1 2 … n−1 | n−2 …``), continued as often as ``pad`` needs (period 2(n − 1); one pixel repeats)."""
    i = torch.arange(-pad, n + pad, device=device)
    if n == 1:
        return torch.zeros_like(i)
    j = i.remainder(2 * (n - 1))
    return torch.where(j >= n, 2 * (n - 1) - j, j)


def reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """(N, C, H, W) → (N, C, H + 2·pad, W + 2·pad), reflect-padded. ``F.pad(mode="reflect")`` where it can
    (pad < each side); a side ≤ ``pad`` (an 8-px image under a 21-px kernel), which it refuses, is mirrored as often
    as needed (numpy's ``mode="reflect"``), not switched to replicate padding, which the convention line never
    said."""
    h, w = x.shape[-2:]
    if min(h, w) > pad:
        return F.pad(x, (pad, pad, pad, pad), mode="reflect")
    return x[..., _mirror(h, pad, x.device), :][..., _mirror(w, pad, x.device)]


@register_task("deblur", version="2", citation="Gaussian + motion blur with noise (e.g. Ding et al., IJCV 2021)")
@dataclass(frozen=True)
class Deblur(ModcropTask):
    """Blur each image with its own random kernel, then add Gaussian noise of σ ``noise_sigma``.

    With probability ``p_motion`` the kernel is a linear motion blur of length U(``motion_length``)
    at a uniform angle, otherwise an isotropic Gaussian of σ U(``gaussian_sigma``). Borders are
    reflect-padded; output is clipped to [0, 1]. ``kernel_size`` must hold every kernel drawn (a motion
    length ≤ kernel_size − 1, a Gaussian reaching 2σ from the centre): what the parameters record is
    what was drawn, never a kernel cut to fit. ``modcrop`` (:class:`benchmark.task.ModcropTask`): score the whole test
    image, not cut to multiples of 8 px.
    """

    kernel_size: int = 21
    gaussian_sigma: tuple[float, float] = (1.0, 3.0)
    motion_length: tuple[float, float] = (5.0, 15.0)
    p_motion: float = 0.5
    noise_sigma: float = 0.01

    def __post_init__(self):
        if self.kernel_size % 2 == 0 or self.kernel_size < 3:
            raise ValueError(f"kernel_size must be odd and ≥ 3, got {self.kernel_size}")
        object.__setattr__(self, "gaussian_sigma", tuple(float(v) for v in self.gaussian_sigma))
        object.__setattr__(self, "motion_length", tuple(float(v) for v in self.motion_length))
        s_lo, s_hi = self.gaussian_sigma
        if not 0 < s_lo <= s_hi:  # σ = 0 divides by zero: NaN kernels
            raise ValueError(f"gaussian_sigma must be a range (lo, hi) with 0 < lo ≤ hi, got {self.gaussian_sigma}")
        m_lo, m_hi = self.motion_length
        if not 0 <= m_lo <= m_hi:
            raise ValueError(f"motion_length must be a range (lo, hi) with 0 ≤ lo ≤ hi, got {self.motion_length}")
        if not 0 <= self.p_motion <= 1:
            raise ValueError(f"p_motion must be a probability in [0, 1], got {self.p_motion}")
        radius = (self.kernel_size - 1) // 2
        if self.p_motion > 0 and m_hi > 2 * radius:  # a longer segment was cut to the kernel in silence
            need = math.ceil(m_hi) + 1
            need += 1 - need % 2  # the smallest odd size that holds it
            raise ValueError(f"motion_length up to {m_hi:g} px does not fit kernel_size {self.kernel_size} (a motion "
                             f"kernel holds at most kernel_size − 1 = {2 * radius} px): raise kernel_size to {need}, "
                             "or lower motion_length")
        if self.p_motion < 1 and radius < 2 * s_hi:  # a wider Gaussian was cut off in silence
            raise ValueError(f"gaussian_sigma up to {s_hi:g} is cut off by kernel_size {self.kernel_size} (a kernel "
                             f"must reach 2σ = {2 * s_hi:g} px from its centre, this one {radius} px): raise "
                             f"kernel_size to {2 * math.ceil(2 * s_hi) + 1}, or lower gaussian_sigma")
        if not 0 <= self.noise_sigma < 1:
            raise ValueError(f"noise_sigma must be in [0, 1) on the [0, 1] scale, got {self.noise_sigma}"
                             + scale_hint(self, "noise_sigma", self.noise_sigma))

    def min_crop(self) -> tuple[int, str]:
        """A crop wider than the kernel's reach (:meth:`min_test_side`): at or below it the reflect padding mirrors the
        crop more than once (:func:`reflect_pad`), where the code of version 2 before it replicated its edge, under the
        same run ids."""
        need, why = super().min_crop()
        side, reach_why = self.min_test_side()
        return (side, reach_why) if side > need else (need, why)

    def min_test_side(self) -> tuple[int, str]:
        """A side wider than the kernel's reach (kernel_size // 2 px), so each border pixel's blur stays on the image:
        a test image cut to a side at or below it is mirrored more than once (:func:`reflect_pad`), where the code of
        version 2 before it replicated its edge, under the same run ids."""
        reach = self.kernel_size // 2
        return reach + 1, (f"more than the {reach} px a kernel_size {self.kernel_size} blur reaches past a border; "
                           "or lower kernel_size")

    def convention(self) -> str:
        return (f"{self.kernel_size}×{self.kernel_size} kernels summing to 1 (motion with p = {self.p_motion:g}, "
                f"length {self.motion_length[0]:g}–{self.motion_length[1]:g} px, else Gaussian σ "
                f"{self.gaussian_sigma[0]:g}–{self.gaussian_sigma[1]:g}), reflect-padded border (not circular), "
                f"noise σ = {self.noise_sigma * 255:g} on 0–255, clipped")

    def sample_kernel(self, generator: torch.Generator) -> torch.Tensor:
        """One (k, k) kernel; it always takes 4 numbers from ``generator`` (as :meth:`sample_kernels` does),
        whichever type it drew: on a training run's generator, which then draws the crops and the noise, 3
        for a motion kernel and 2 for a Gaussian one moved every later crop and noise draw with ``p_motion``,
        so a p_motion sweep of one seed trained on other crops (version 2)."""
        if float(torch.rand(1, generator=generator)) < self.p_motion:
            length = float(uniform(generator, *self.motion_length))
            angle = float(uniform(generator, 0.0, math.pi))
            uniform(generator, 0.0, 1.0)  # the Gaussian's σ, not used
            return motion_kernel(self.kernel_size, min(length, self.kernel_size - 1), angle)
        sigma = float(uniform(generator, *self.gaussian_sigma))
        uniform(generator, 0.0, 1.0, 2)  # the motion's length and angle, not used
        return gaussian_kernel(self.kernel_size, sigma)

    def sample_kernels(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, k, k) kernels drawn on the generator's device in one go (the GPU step: no host sync).

        Same distribution as :meth:`sample_kernel` (motion with probability ``p_motion``, length
        and angle uniform, else a Gaussian of uniform σ) and, for the same parameters, the same
        kernels (:func:`motion_kernels` / :func:`gaussian_kernels`); a different random stream."""
        u = torch.rand(n, 4, generator=generator, device=generator.device)
        motion = u[:, 0] < self.p_motion
        lo, hi = self.motion_length
        length = (lo + (hi - lo) * u[:, 1]).clamp_max(self.kernel_size - 1)
        angle = math.pi * u[:, 2]
        lo, hi = self.gaussian_sigma
        sigma = lo + (hi - lo) * u[:, 3]
        k_motion = motion_kernels(self.kernel_size, length, angle, max_length=min(max(self.motion_length),
                                                                                  self.kernel_size - 1))
        return torch.where(motion.view(-1, 1, 1), k_motion, gaussian_kernels(self.kernel_size, sigma))

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, c, h, w = clean.shape
        if generator.device.type == "cpu":
            kernels = torch.stack([self.sample_kernel(stream(generator, "kernel")) for _ in range(n)])  # (N, k, k)
        else:
            kernels = self.sample_kernels(n, generator)
        noise = randn(clean.shape, stream(generator, "noise"), clean)  # a test image: another stream than its kernel
        weight = kernels.to(clean.device, clean.dtype).repeat_interleave(c, 0)[:, None]
        pad = self.kernel_size // 2
        x = reflect_pad(clean.reshape(1, n * c, h, w), pad)
        blurred = F.conv2d(x, weight, groups=n * c).reshape(n, c, h, w)
        return (blurred + self.noise_sigma * noise).clamp(0, 1)

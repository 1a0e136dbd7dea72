"""Demosaicing an RGGB Bayer mosaic."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmark.registry import register_task
from benchmark.task import ModcropTask, device_constant, randn, scale_hint, stream

_K_G = torch.tensor([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=torch.float32) / 4
_K_RB = torch.tensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=torch.float32) / 4


def bayer_masks(h: int, w: int, device=None) -> torch.Tensor:
    """(3, H, W) 0/1 masks of the RGGB pattern: R at (even, even), B at (odd, odd), G elsewhere."""
    y = torch.arange(h, device=device)[:, None] % 2
    x = torch.arange(w, device=device)[None, :] % 2
    r = ((y == 0) & (x == 0)).float()
    b = ((y == 1) & (x == 1)).float()
    return torch.stack([r, 1 - r - b, b])


def _kernels() -> torch.Tensor:
    return torch.stack([_K_RB, _K_G, _K_RB])[:, None]


def bilinear_demosaic(mosaic: torch.Tensor) -> torch.Tensor:
    """Classic bilinear interpolation of a masked (N, 3, H, W) mosaic; reflect padding keeps parity."""
    k = device_constant(_kernels, like=mosaic)  # (3, 1, 3, 3), copied to the device once
    return F.conv2d(F.pad(mosaic, (1, 1, 1, 1), mode="reflect"), k, groups=3)


@register_task("demosaic", version="1",
               citation="RGGB Bayer; bilinear initialisation as in Gharbi et al., SIGGRAPH Asia 2016")
@dataclass(frozen=True)
class Demosaic(ModcropTask):
    """Sample the RGGB Bayer pattern (plus optional noise), then bilinearly interpolate.

    The net sees the bilinear demosaic (the standard starting point), so it learns a residual
    like in every other task. Image sides must be even. ``modcrop`` (:class:`benchmark.task.ModcropTask`): cut test
    images to even sides only (the Bayer pattern's need), not to multiples of 8 px.
    """

    pattern: str = "RGGB"
    noise_sigma: float = 0.0
    size_multiple = 2
    records_train_crop = True  # an odd --crop 43 is recorded as the 42-px crops it trains (Task.train_crop)

    def __post_init__(self):
        if self.pattern != "RGGB":
            raise ValueError(f"only the RGGB pattern is implemented, got {self.pattern!r}")
        if not 0 <= self.noise_sigma < 1:
            raise ValueError(f"noise_sigma must be in [0, 1) on the [0, 1] scale, got {self.noise_sigma}"
                             + scale_hint(self, "noise_sigma", self.noise_sigma))

    def convention(self) -> str:
        noise = f", noise σ = {self.noise_sigma * 255:g} on 0–255" if self.noise_sigma else ""
        return (f"{self.pattern} Bayer mosaic (R at the top-left pixel){noise}, bilinear demosaic as the net's input, "
                "reflect-padded border (keeps the pattern's parity)")

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, c, h, w = clean.shape
        if h % 2 or w % 2:
            raise ValueError(f"image {w}×{h} must have even sides for a Bayer mosaic")
        mosaic = clean * bayer_masks(h, w, clean.device).to(clean.dtype)
        if self.noise_sigma > 0:
            noise = randn(clean.shape, stream(generator, "noise"), clean)
            mosaic = (mosaic + self.noise_sigma * noise) * bayer_masks(h, w, clean.device)
        return bilinear_demosaic(mosaic).clamp(0, 1)

"""Additive white Gaussian noise removal."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from benchmark.registry import register_task
from benchmark.task import ModcropTask, randn, scale_hint, stream


@register_task("denoise", version="1", citation="AWGN, σ = 25/255 as in DnCNN (Zhang et al., TIP 2017)")
@dataclass(frozen=True)
class Denoise(ModcropTask):
    """x + n, n ~ N(0, σ²) per pixel and channel; clipped to [0, 1] when ``clip`` (a sensor would).

    ``modcrop``: score the whole test image, as the denoising papers (Kodak24's 500², BSD68's 481×321), not cut to
    multiples of 8 px (496², 480×320); recorded only when true (:attr:`benchmark.task.Task.test_multiple`).
    """

    sigma: float = 25 / 255
    clip: bool = True

    def __post_init__(self):
        if not 0 < self.sigma < 1:
            raise ValueError(f"sigma must be in (0, 1) on the [0, 1] scale, got {self.sigma}"
                             + scale_hint(self, "sigma", self.sigma))

    def convention(self) -> str:
        clip = ("clipped to [0, 1] (DnCNN's tables add it unclipped: clip=false)" if self.clip
                else "not clipped, as DnCNN's tables (the `input` row scores it clipped to [0, 1], as pyiqa's metrics "
                     "refuse values outside: at σ 25 on Kodak24 20.42 dB, not the unclipped 20.17)")
        return (f"AWGN σ = {self.sigma * 255:g} on the 0–255 scale, float (not rounded to 8 bit), "
                f"{clip}, seeded per image")

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        noise = randn(clean.shape, stream(generator, "noise"), clean)
        out = clean + self.sigma * noise
        return out.clamp(0, 1) if self.clip else out

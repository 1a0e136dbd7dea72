"""×s single-image super-resolution with a bicubic, antialiased downsampler."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmark.registry import register_task
from benchmark.task import Task


@register_task("sr4", version="1", citation="bicubic ×4 (Dong et al., SRCNN, ECCV 2014; VDSR, CVPR 2016)")
@dataclass(frozen=True)
class SuperResolution(Task):
    """Bicubic downsampling by ``scale`` (antialiased), then bicubic upsampling back to full size.

    The net sees the upsampled image (VDSR-style), so one architecture serves every task.
    Image sides must be multiples of ``scale``.
    """

    scale: int = 4

    def __post_init__(self):
        if self.scale < 2:
            raise ValueError(f"scale must be ≥ 2, got {self.scale}")

    @property
    def size_multiple(self) -> int:
        return self.scale

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h, w = clean.shape[-2:]
        if h % self.scale or w % self.scale:
            raise ValueError(f"image {h}x{w} is not a multiple of scale {self.scale}")
        low = F.interpolate(clean, size=(h // self.scale, w // self.scale), mode="bicubic",
                            antialias=True, align_corners=False).clamp(0, 1)
        return F.interpolate(low, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)

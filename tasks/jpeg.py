"""JPEG compression-artifact removal through a real JPEG codec (libjpeg via torchvision)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from benchmark.registry import register_task
from benchmark.task import ModcropTask


@register_task("jpeg", version="1", citation="JPEG q=10 as in ARCNN (Dong et al., ICCV 2015)")
@dataclass(frozen=True)
class JPEGArtifacts(ModcropTask):
    """Quantise to 8 bit, encode with libjpeg at ``quality`` (4:2:0 chroma), decode.

    Colour JPEG: the RGB image through libjpeg's YCbCr, IJG quality scaling of the standard tables (as MATLAB's
    ``imwrite``, which ARCNN and DnCNN used). Those papers compress and score *grey* (Y) images, so their
    tables compare with ``psnr_y@grey`` / ``psnrb_y@grey`` / ``ssim_y@grey`` of a grey test set (Classic5), not
    with this task's colour ``psnr``: a grey image read as three equal channels goes through libjpeg as the grey
    JPEG would (the same levels, bit for bit), and ``@grey`` scores it on its grey levels as their MATLAB scripts
    do; plain ``psnr_y`` / ``psnrb_y`` score its BT.601 Y, 16 + 219/255 of each level, 1.32 dB higher
    (20·log10(255/219); Set14's bridge at q10: 26.45 / 24.14 dB against 25.13 / 22.82 on its levels).

    Runs on the CPU whatever the device of the batch (libjpeg is a CPU codec): ``host_only``, so
    the GPU step degrades the next batch in a thread while the device trains on this one
    (:class:`benchmark.runner.HostPrefetch`) instead of waiting for a host round trip every step. ``modcrop``
    (:class:`benchmark.task.ModcropTask`): score (and compress) the whole test image, as the JPEG papers, not cut to
    multiples of 8 px.
    """

    quality: int = 10
    host_only = True
    max_side = 65500  # libjpeg's JPEG_MAX_DIMENSION: torchvision's encoder crashes the process beyond it

    def __post_init__(self):
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be in 1..100, got {self.quality}")

    def convention(self) -> str:
        return (f"colour JPEG through libjpeg (torchvision; bit-identical to Pillow's) at IJG quality {self.quality}, "
                "4:2:0 chroma (ARCNN/DnCNN compress grey/Y images)")

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if max(clean.shape[-2:]) > self.max_side:  # a segmentation fault in encode_jpeg, not an exception
            raise ValueError(f"image {clean.shape[-1]}×{clean.shape[-2]} exceeds JPEG's largest side, "
                             f"{self.max_side} px")
        from torchvision.io import decode_jpeg, encode_jpeg  # lazy (after the check): its import costs seconds

        u8 = (clean.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8)
        encoded = encode_jpeg(list(u8), quality=self.quality)
        decoded = torch.stack([decode_jpeg(e) for e in encoded])
        return (decoded.float() / 255).to(clean.device, clean.dtype)

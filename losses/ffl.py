"""Focal frequency loss (Jiang, Dai, Wu, Loy, ICCV 2021)."""

from __future__ import annotations

from typing import Annotated

import torch
from torch import nn

from benchmark.errors import UserError
from benchmark.params import Range
from benchmark.registry import register_loss


# version 2: the spectrum of the residual, F(pred − target), not F(pred) − F(target) (float32 cancellation): other bits
@register_loss("ffl", version="2", citation="Jiang, Dai, Wu, Loy, Focal Frequency Loss for Image "
               "Reconstruction and Synthesis, ICCV 2021")
class FocalFrequencyLoss(nn.Module):
    """mean(w ⊙ |F(pred) − F(target)|²) with a detached spectrum weight w = |ΔF|^α / max|ΔF|^α.

    F is the orthonormal 2-D FFT of each channel (of each patch when ``patch_factor`` > 1);
    w is normalised per (image, channel, patch) to [0, 1] (``batch_matrix=False``, the paper's
    default) and carries no gradient; ``batch_matrix=True`` normalises it by the whole minibatch's maximum
    instead. Readings chosen follow the authors' defaults
    (github.com/EndlessSora/focal-frequency-loss, ``focal_frequency_loss/focal_frequency_loss.py`` at
    352f69d: ``alpha=1.0, patch_factor=1, ave_spectrum=False, log_matrix=False, batch_matrix=False``):
    α = 1, ``patch_factor=1``, ``log_matrix=False``; ``ave_spectrum=True`` compares the spectra
    averaged over the minibatch (their option of that name). With either ``batch_matrix=True`` or
    ``ave_spectrum=True`` one image's loss depends on the other images of its batch (the batch size and what is
    batched with it), and the loss says so: ``batch_dependent`` is True.
    The FFT runs in float32 (also under autocast), on the residual pred − target: the FFT is linear, so ΔF =
    F(pred − target), which is F(pred) − F(target) in exact arithmetic but not their float32 difference — near the
    target that was rounding of the two spectra (whose DC term is ~0.5·side), 1 % of the gradient at residual σ 1e-5
    on 32-px images (version 1).
    Where the spectra are identical the weight is defined as 0 (the authors zero the NaNs).

    Args:
        pred, target: (N, C, H, W) float tensors in [0, 1]; H, W divisible by ``patch_factor``.
        alpha: focusing exponent, ≥ 0 (0: no focusing — then ``log_matrix``/``batch_matrix`` are refused, as
            they would change nothing; a negative one divides by 0 where a frequency matches).
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, alpha: Annotated[float, Range(ge=0)] = 1.0, patch_factor: Annotated[int, Range(ge=1)] = 1,
                 log_matrix: bool = False, batch_matrix: bool = False, ave_spectrum: bool = False):
        super().__init__()
        if alpha == 0 and (log_matrix or batch_matrix):  # every weight |ΔF|⁰ = 1: nothing left to rescale
            given = " and ".join(k for k, on in (("log_matrix", log_matrix), ("batch_matrix", batch_matrix)) if on)
            raise UserError(f"ffl {given} rescale the spectrum weight, which alpha=0 makes 1 everywhere: "
                            "it would be ignored")
        self.ave_spectrum = bool(ave_spectrum)
        self.alpha, self.patch_factor = float(alpha), int(patch_factor)
        self.log_matrix, self.batch_matrix = bool(log_matrix), bool(batch_matrix)
        self.provenance = "none"
        #: one image's loss depends on the others in its batch (:attr:`benchmark.lossfn.WeightedSum.batch_dependent`)
        self.batch_dependent = self.batch_matrix or self.ave_spectrum

    def _spectrum(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        p = self.patch_factor
        if h % p or w % p:
            raise ValueError(f"image size {h}×{w} not divisible by patch_factor={p}")
        x = x.float().reshape(n, c, p, h // p, p, w // p).permute(0, 2, 4, 1, 3, 5)  # (N,p,p,C,h,w)
        return torch.fft.fft2(x, norm="ortho")

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=pred.device.type, enabled=False):
            diff = self._spectrum(pred.float() - target.detach().float())  # F(pred) − F(target): the FFT is linear
            if self.ave_spectrum:  # the minibatch's mean spectrum on each side: their difference, the mean of ΔF
                diff = diff.mean(0, keepdim=True)
            dist = diff.real.pow(2) + diff.imag.pow(2)
            with torch.no_grad():
                wgt = dist.sqrt().pow(self.alpha)
                if self.log_matrix:
                    wgt = torch.log1p(wgt)
                if self.batch_matrix:
                    peak = wgt.amax()
                else:
                    peak = wgt.amax(dim=(-2, -1), keepdim=True)
                wgt = torch.where(peak > 0, wgt / peak.clamp_min(1e-30), torch.zeros_like(wgt)).clamp(0, 1)
            return (wgt * dist).mean()

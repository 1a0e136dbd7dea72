"""Pixel-wise baselines: L1, L2 (MSE) and Charbonnier."""

from __future__ import annotations

from typing import Annotated

import torch
from torch import nn

from benchmark.params import Positive
from benchmark.registry import register_loss


@register_loss("l1", citation="Zhao et al., Loss Functions for Image Restoration, IEEE TCI 2017")
class L1Loss(nn.Module):
    """Mean absolute error.

    Args:
        pred, target: (N, C, H, W) float tensors in [0, 1].
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (pred.float() - target.float()).abs().mean()


@register_loss("l2", citation="Zhao, Gallo, Frosio, Kautz, Loss Functions for Image Restoration with Neural Networks, "
               "IEEE TCI 2017 (the ℓ2 baseline: PSNR's own objective)")
class L2Loss(nn.Module):
    """Mean squared error.

    Args:
        pred, target: (N, C, H, W) float tensors in [0, 1].
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (pred.float() - target.float()).pow(2).mean()


@register_loss("charbonnier", citation="Charbonnier et al., ICIP 1994; Lai et al., LapSRN, CVPR 2017")
class CharbonnierLoss(nn.Module):
    """Smooth L1: mean of sqrt((pred - target)^2 + eps^2) - eps.

    The ``- eps`` offset makes the loss exactly 0 at pred == target (LapSRN's form omits it;
    it does not change the gradient).

    Args:
        pred, target: (N, C, H, W) float tensors in [0, 1].
        eps: smoothing scale ε of sqrt(d² + ε²), 1e-3 as in LapSRN (Lai et al. 2017, Eq. 2). BasicSR's
            ``charbonnier_loss`` differs: sqrt(d² + eps) with eps = 1e-12, i.e. ε = 1e-6 here
            (``charbonnier(eps=1e-6)`` reproduces it, up to the constant offset).
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, eps: Annotated[float, Positive] = 1e-3):
        super().__init__()
        self.eps = float(eps)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        diff = pred.float() - target.float()
        return (torch.sqrt(diff * diff + self.eps**2) - self.eps).mean()

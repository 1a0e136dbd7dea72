"""Loss on CONTRIQUE quality features (Madhusudana et al., IEEE TIP 2022)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from benchmark.backbones import Backbone, FeatureLoss
from benchmark.errors import UserError
from benchmark.registry import register_loss


def contrique_features(backbone: Backbone, x: torch.Tensor) -> torch.Tensor:
    """CONTRIQUE's quality representation, (N, 4096) float32: global average pool of the last
    ResNet-50 stage at full size ⊕ at ×0.5 (bilinear, antialiased). x: (N, 3, H, W) in [0, 1],
    no ImageNet normalisation (CONTRIQUE has none), at least 64 px per side."""
    half = F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True, align_corners=False)
    f1 = backbone(x)["layer4"].float().mean((2, 3))
    f2 = backbone(half)["layer4"].float().mean((2, 3))
    return torch.cat([f1, f2], dim=1)


@register_loss("contrique", version="1", citation="Madhusudana, Birkbeck, Wang, Adsumilli, Bovik, Image "
               "Quality Assessment using Contrastive Learning, IEEE TIP 2022", weights=("resnet50:contrique",))
class ContriqueLoss(FeatureLoss):
    """Distance between CONTRIQUE 4096-d quality features of pred and target, batch mean.

    The encoder is CONTRIQUE's self-supervised ResNet-50 (``weights="pretrained"`` → the file
    ``CONTRIQUE_checkpoint25.tar``; a path → e.g. the harness's own distortion-aware pretraining;
    ``"random"`` → seeded random ResNet-50, labelled so). Readings chosen: ``distance="l1"``
    (mean absolute difference of the 4096-d vectors; also "l2" = MSE, or "cosine" = 1 − cos);
    features as in the paper (GAP of the full and ×0.5 image, no normalisation). The regressor
    head is not used: the loss matches the representation, not a scalar quality.
    ``fp32=True`` runs the encoder in float32 even under autocast: the difference of two
    globally pooled feature vectors is small next to their magnitude, and bf16 rounding gave a
    4.5 % relative error on 64×64 crops (random-init encoder).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1], at least 64 px per side.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, distance: str = "l1", fp32: bool = True, weights: str = "pretrained", seed: int = 0):
        super().__init__()
        if distance not in ("l1", "l2", "cosine"):
            raise UserError(f"contrique distance must be l1, l2 or cosine, not {distance!r}")
        self.distance = distance
        self.backbone = Backbone("resnet50", ("layer4",), weights=weights, seed=seed,
                                 pretrained="resnet50:contrique", normalize="none", fp32=fp32)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp = contrique_features(self.backbone, pred)
        ft = contrique_features(self.backbone, target.detach())
        if self.distance == "l1":
            return (fp - ft).abs().mean()
        if self.distance == "l2":
            return (fp - ft).pow(2).mean()
        cos = (fp * ft).sum(1) * torch.rsqrt(fp.pow(2).sum(1) * ft.pow(2).sum(1) + 1e-12)
        return (1.0 - cos).mean()

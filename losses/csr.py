"""CSR loss: LPIPS-style distance in a contrastive self-supervised encoder ("A Domain-specific
Perceptual Metric via Contrastive Self-supervised Representation", 2022)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from benchmark.backbones import Backbone, FeatureLoss, unit_normalize
from benchmark.registry import register_loss


@register_loss("csr", version="1", citation="A Domain-specific Perceptual Metric via Contrastive "
               "Self-supervised Representation: Applications on Natural and Medical Images, 2022",
               weights=("resnet50:dino",))
class CSRLoss(FeatureLoss):
    """mean over stages of mean_hw ‖f̂_pred − f̂_target‖²₂ in a self-supervised ResNet-50.

    f̂: features unit-normalised over channels (eps inside the root), as LPIPS without learned
    heads (the paper's thesis: no human-judgement calibration is needed). Readings chosen:
    ResNet-50 stages ``("relu", "layer1", "layer2", "layer3", "layer4")`` with equal weights,
    ImageNet normalisation. Encoder (``weights="pretrained"``): ``encoder="resnet50:dino"`` (DINO,
    Caron et al. 2021) by default, or any ResNet-50 weights key; ``weights=<path>`` loads a
    self-trained (e.g. SimCLR on the benchmark's own domain) ResNet-50 state_dict;
    ``weights="random"`` is a seeded random ResNet-50, labelled ``resnet50:random(seed=…)``.

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1], at least 32 px per side.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu", "layer1", "layer2", "layer3", "layer4"),
                 encoder: str = "resnet50:dino", eps: float = 1e-10, weights: str = "pretrained", seed: int = 0):
        super().__init__()
        self.layers, self.eps = tuple(layers), float(eps)
        self.backbone = Backbone("resnet50", self.layers, weights=weights, seed=seed, pretrained=encoder)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        total = 0.0
        for n in self.layers:
            d = unit_normalize(fp[n].float(), self.eps) - unit_normalize(ft[n].float(), self.eps)
            total = total + d.pow(2).sum(1).mean((1, 2))
        return (total / len(self.layers)).mean()

"""LPIPS (Zhang et al., CVPR 2018) on our shared backbones with the lpips package's linear heads."""

from __future__ import annotations

from typing import Annotated

import torch

from benchmark import weights as W
from benchmark.backbones import Backbone, FeatureLoss, unit_normalize
from benchmark.errors import UserError
from benchmark.params import Positive
from benchmark.registry import register_loss

# lpips's taps, in our layer names (lpips slices torchvision's `features` at the same indices)
LPIPS_TAPS = {
    "alex": ("alexnet", ("relu1", "relu2", "relu3", "relu4", "relu5")),
    "vgg": ("vgg16", ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")),
    "squeeze": ("squeezenet1_1", ("relu1", "fire3", "fire5", "fire6", "fire7", "fire8", "fire9")),
}


def _taps(net: str) -> tuple[str, tuple[str, ...]]:
    if net not in LPIPS_TAPS:
        raise UserError(f"lpips net must be one of {', '.join(LPIPS_TAPS)}, not {net!r}")
    return LPIPS_TAPS[net]


def _files(net: str = "alex", **_) -> tuple[str, ...]:
    """The files ``lpips(net=…)`` loads (``weights="pretrained"``): its trunk's ImageNet weights and the heads."""
    from benchmark.backbones import ARCHS

    return ARCHS[_taps(net)[0]].default_weights, f"lpips:{net}:v0.1"


class LPIPSLoss(FeatureLoss):
    """LPIPS v0.1: Σ_layers mean_hw Σ_c w_c (f̂_pred − f̂_target)², batch mean.

    f̂ is the feature unit-normalised over channels with ``eps`` *inside* the square root
    (finite gradients where a feature vector is zero); inputs in [0, 1] are mapped to [−1, 1] and
    shifted/scaled as the package's ``normalize=True`` path does. Linear heads w are the ones the
    ``lpips`` wheel ships (``lpips/weights/v0.1/<net>.pth``); the trunk follows ``weights``.
    With the same trunk weights this equals ``lpips.LPIPS(net=net)(pred, target, normalize=True)``
    (tests/test_loss_zoo.py checks it).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1] (≥ 31 px per side for alex, ≥ 16 px per side for
            vgg, ≥ 17 px per side for squeeze: the smallest sides each trunk's pooling runs on).
        net: "alex" | "vgg" | "squeeze".
        weights: "pretrained" (ImageNet trunk) | "random" | checkpoint path; seed: random init seed.
        eps: added to Σ_c f² inside the square root.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, net: str = "alex", weights: str = "pretrained", seed: int = 0,
                 eps: Annotated[float, Positive] = 1e-10):
        super().__init__()
        arch, layers = _taps(net)
        self.net, self.layers, self.eps = net, layers, float(eps)
        self.backbone = Backbone(arch, layers, weights=weights, seed=seed, normalize="lpips")
        head_key = f"lpips:{net}:v0.1"
        path = W.resolve(head_key)
        state = W.load_state(path)
        self._head_key = head_key
        self.weight_files = {head_key: W.loaded_sha256(path)}
        for i in range(len(layers)):
            k = f"lin{i}.model.1.weight"
            if k not in state:
                raise UserError(f"{W.get_file(head_key).path}: missing key {k}")
            self.register_buffer(f"lin{i}", state[k].float().reshape(1, -1, 1, 1), persistent=False)

    @property
    def provenance(self) -> str:
        return f"{self.backbone.provenance}+{self._head_key}"

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        total = 0.0
        for i, n in enumerate(self.layers):
            d = (unit_normalize(fp[n].float(), self.eps) - unit_normalize(ft[n].float(), self.eps)).pow(2)
            total = total + (d * getattr(self, f"lin{i}")).sum(1).mean((1, 2))
        return total.mean()


register_loss("lpips", version="1", citation="Zhang et al., The Unreasonable Effectiveness of Deep "
              "Features as a Perceptual Metric, CVPR 2018",
              weights=_files)(LPIPSLoss)


@register_loss("lpips_vgg", version="1", citation="Zhang et al., CVPR 2018 (VGG-16 trunk)",
               weights=("vgg16:IMAGENET1K_V1", "lpips:vgg:v0.1"), same_as="lpips(net='vgg')")
class LPIPSVGGLoss(LPIPSLoss):
    """LPIPS with the VGG-16 trunk (see :class:`LPIPSLoss`)."""

    def __init__(self, weights: str = "pretrained", seed: int = 0, eps: Annotated[float, Positive] = 1e-10):
        super().__init__("vgg", weights=weights, seed=seed, eps=eps)


@register_loss("lpips_squeeze", version="1", citation="Zhang et al., CVPR 2018 (SqueezeNet 1.1 trunk)",
               weights=("squeezenet1_1:IMAGENET1K_V1", "lpips:squeeze:v0.1"), same_as="lpips(net='squeeze')")
class LPIPSSqueezeLoss(LPIPSLoss):
    """LPIPS with the SqueezeNet 1.1 trunk (see :class:`LPIPSLoss`)."""

    def __init__(self, weights: str = "pretrained", seed: int = 0, eps: Annotated[float, Positive] = 1e-10):
        super().__init__("squeeze", weights=weights, seed=seed, eps=eps)

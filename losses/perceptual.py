"""VGG feature losses: Johnson's perceptual loss, ESRGAN's conv5_4 loss, Gram/style loss and the
random-network "generic perceptual loss" (Liu et al., CVPR 2021)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from benchmark.backbones import Backbone, FeatureLoss, no_layers
from benchmark.errors import UserError
from benchmark.precision import fp32_function
from benchmark.registry import register_loss


def _dist(a: torch.Tensor, b: torch.Tensor, criterion: str) -> torch.Tensor:
    d = a.float() - b.float()
    if criterion == "mse":
        return d.pow(2).mean()
    if criterion == "l1":
        return d.abs().mean()
    raise UserError(f"criterion must be 'mse' or 'l1', not {criterion!r}")


class _VGGFeatureLoss(FeatureLoss):
    def __init__(self, arch: str, layers: Sequence[str], criterion: str, layer_weights, weights: str,
                 seed: int):
        super().__init__()
        self.layers = tuple(layers)
        self.criterion = criterion
        if not self.layers:  # else refused below as 'layer_weights … got ()', an argument the user never gave
            raise no_layers(arch)
        given = layer_weights is not None  # () is not "none given": it was silently equal weights
        self.layer_weights = tuple(float(w) for w in layer_weights) if given else (1.0,) * len(self.layers)
        if len(self.layer_weights) != len(self.layers):
            raise UserError(f"layer_weights must have one entry per layer: {len(self.layer_weights)} for "
                            f"{len(self.layers)} layers {self.layers}")
        if any(w < 0 for w in self.layer_weights) or not sum(self.layer_weights) > 0:
            # a negative weight rewards feature distance (the net is trained away from the target); all 0: loss 0
            raise UserError(f"layer_weights must be ≥ 0 and not all 0, got {self.layer_weights}")
        _dist(torch.zeros(1), torch.zeros(1), criterion)  # validate early
        self.backbone = Backbone(arch, self.layers, weights=weights, seed=seed)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        return sum(w * _dist(fp[n], ft[n], self.criterion) for n, w in zip(self.layers, self.layer_weights))


def _trunk_file(arch: str = "vgg16", **_) -> tuple[str, ...]:
    """The file ``vgg(arch=…)`` loads (``weights="pretrained"``): that trunk's ImageNet weights (a one-line error for
    a self-trained-only trunk, as its build gives: :func:`benchmark.backbones.pretrained_key`)."""
    from benchmark.backbones import pretrained_key

    return (pretrained_key(arch),)


@register_loss("vgg", version="1", citation="Johnson, Alahi, Fei-Fei, Perceptual Losses for Real-Time "
               "Style Transfer and Super-Resolution, ECCV 2016", weights=_trunk_file)
class VGGPerceptualLoss(_VGGFeatureLoss):
    """Feature reconstruction loss: mean squared difference of VGG-16 relu2_2 features.

    Johnson et al.'s ℓ_feat = ‖φ(ŷ) − φ(y)‖²₂ / (C·H·W), i.e. the MSE of the features, at relu2_2
    (their super-resolution setting). Inputs are ImageNet-normalised inside the backbone.

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1].
        layers: VGG tap names; criterion: "mse" (Johnson) or "l1".
        layer_weights: one weight ≥ 0 per layer, not all 0 (default: 1 each; the layer terms are summed).
        weights: "pretrained" (IMAGENET1K_V1) | "random" | checkpoint path; seed: random init seed.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu2_2",), criterion: str = "mse",
                 layer_weights: Sequence[float] | None = None,
                 arch: str = "vgg16", weights: str = "pretrained", seed: int = 0):
        super().__init__(arch, layers, criterion, layer_weights, weights, seed)


@register_loss("vgg_esrgan", version="1", citation="Wang et al., ESRGAN, ECCV Workshops 2018",
               weights=("vgg19:IMAGENET1K_V1",), same_as="vgg(arch='vgg19', layers=('conv5_4',), criterion='l1')")
class ESRGANPerceptualLoss(_VGGFeatureLoss):
    """ESRGAN's perceptual loss: L1 on VGG-19 conv5_4 features *before* the activation.

    Reading chosen: L1 criterion, weight 1 (BasicSR's ESRGAN config); ImageNet normalisation.

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1], at least 16 px per side.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("conv5_4",), criterion: str = "l1",
                 layer_weights: Sequence[float] | None = None,
                 weights: str = "pretrained", seed: int = 0):
        super().__init__("vgg19", layers, criterion, layer_weights, weights, seed)


@fp32_function
def gram(f: torch.Tensor) -> torch.Tensor:
    """Gram matrix normalised by C·H·W (Johnson et al.). f: (N, C, H, W) → (N, C, C), float32,
    computed in a float32 region (no bf16 autocast, no TF32; :mod:`benchmark.precision`)."""
    n, c, h, w = f.shape
    f = f.float().reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


@register_loss("style", version="1", citation="Gatys et al., CVPR 2016; Johnson et al., ECCV 2016 "
               "(style reconstruction loss)", weights=("vgg16:IMAGENET1K_V1",))
class StyleLoss(FeatureLoss):
    """Gram-matrix (style) loss: Σ_layers ‖G(φ(pred)) − G(φ(target))‖²_F, batch mean.

    Johnson et al.'s style reconstruction loss on VGG-16 relu1_2, relu2_2, relu3_3, relu4_3 with
    Gram matrices normalised by C·H·W. Gram matrices are computed in float32 (a float32 region:
    the trunk too, by the trunk policy :data:`benchmark.precision.TRUNK_FP32`).

    ``reduction`` over the C×C entries of each layer's Gram difference: ``"sum"`` (default) is the
    paper's squared Frobenius norm; ``"mean"`` is the authors' released code
    (github.com/jcjohnson/fast-neural-style at 813c834, ``fast_neural_style/StyleLoss.lua``: an
    ``nn.MSECriterion`` on the C·H·W-normalised Gram matrices of ``GramMatrix.lua``), i.e. the sum
    divided by C² — which weighs a 64-channel layer 64× more, relative to a 512-channel one, than
    the paper's equation does. Same layers (their ``-style_layers 4,9,16,23``).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1].
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
                 weights: str = "pretrained", seed: int = 0, reduction: str = "sum"):
        super().__init__()
        if reduction not in ("sum", "mean"):
            raise UserError(f"style reduction must be 'sum' (the paper's Frobenius norm) or 'mean' (the authors' "
                            f"code), not {reduction!r}")
        self.layers, self.reduction = tuple(layers), reduction
        self.backbone = Backbone("vgg16", self.layers, weights=weights, seed=seed)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        reduce = torch.sum if self.reduction == "sum" else torch.mean
        return sum(reduce((gram(fp[n]) - gram(ft[n])).pow(2), (1, 2)).mean() for n in self.layers)


@register_loss("gpl", version="1", citation="Liu, Chen, Chen, Yin, Shen, Generic Perceptual Loss for Modeling "
               "Structured Output Dependencies, CVPR 2021", weights=())  # no file: its random VGG is the method
class GenericPerceptualLoss(_VGGFeatureLoss):
    """Perceptual loss of a *randomly initialised* VGG-19: needs no pretrained weights.

    Liu et al. show that the structure of a deep network, not its learned weights, carries the
    perceptual prior. Reading chosen: VGG-19 with torchvision's Kaiming-normal init (seeded),
    taps relu1_2, relu2_2, relu3_4, relu4_4, equal layer weights, MSE. ``weights`` is ignored
    unless it is a checkpoint path ("pretrained" and "random" both mean the seeded random net,
    which *is* the method); provenance is "vgg19:random(seed=…)". Not checked against the authors'
    code (none was found in the public code, documentation or issue threads searched, again for this
    release); the paper also proposes an initialisation of its own for the random network to keep
    gradient scales stable, which this reading does not reproduce (torchvision's init instead).
    What the defaults rest on: the paper's introduction (arXiv 2103.10571v1, the text of its opening
    pages) runs its pilot super-resolution experiment with the VGG perceptual loss once pretrained and
    once "randomly-weighted" (hence a VGG trunk, MSE on features as Johnson et al.); the VGG-19 depth and
    the taps — the last ReLU of each of blocks 1–4, equal weights —
    are ours, named keywords (``layers``, ``layer_weights``, ``criterion``).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1].
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu1_2", "relu2_2", "relu3_4", "relu4_4"),
                 criterion: str = "mse", layer_weights: Sequence[float] | None = None, weights: str = "random",
                 seed: int = 0):
        w = weights if weights not in ("pretrained", "random") else "random"
        super().__init__("vgg19", layers, criterion, layer_weights, w, seed)

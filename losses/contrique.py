"""Loss on CONTRIQUE quality features (Madhusudana et al., IEEE TIP 2022).

The quality representation follows the authors' released model (github.com/pavancm/CONTRIQUE,
read, not copied): ``demo_feat.py`` / ``demo_score_FR.py`` make the ×0.5 view with
``PIL.Image.resize((w // 2, h // 2))`` — bicubic (Pillow ≥ 7 default; they pin Pillow 8.4), which
PIL always antialiases — and ``modules/CONTRIQUE_model.py`` (``normalize=True``) L2-normalises each
scale's globally pooled 2048-d vector before the two are concatenated and fed to the ridge
regressor (FR: on ``|q_ref − q_dist|``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from benchmark.backbones import Backbone, FeatureLoss, cosine_distance
from benchmark.errors import UserError
from benchmark.precision import fp32_call
from benchmark.registry import register_loss

#: what :func:`contrique_features` computes; part of the ``contrique_fr`` metric's provenance
FEATURES_VERSION = "2"


def half_scale(x: torch.Tensor) -> torch.Tensor:
    """CONTRIQUE's ×0.5 view: antialiased bicubic resize to (H // 2, W // 2), clamped to [0, 1]
    (PIL's bicubic resize of the authors' code, whose uint8 output cannot overshoot).
    x: (N, C, H, W) float in [0, 1] → (N, C, H // 2, W // 2)."""
    h, w = x.shape[-2:]
    out = F.interpolate(x, size=(h // 2, w // 2), mode="bicubic", antialias=True, align_corners=False)
    return out.clamp(0, 1)


def pooled(f: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Global average pool (N, C, h, w) → (N, C) float32, L2-normalised over C when ``normalize``
    (the authors' ``normalize=True``; eps 1e-12 as ``F.normalize``)."""
    v = f.float().mean((2, 3))
    return F.normalize(v, dim=1, eps=1e-12) if normalize else v


def quality_vector(encode, x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """CONTRIQUE's quality vector pooled(encode(x)) ⊕ pooled(encode(half_scale(x))).

    ``encode``: (N, 3, H, W) → last feature map (N, C, h, w). Returns (N, 2C) float32."""
    return torch.cat([pooled(encode(x), normalize), pooled(encode(half_scale(x)), normalize)], dim=1)


def contrique_features(backbone: Backbone, x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """CONTRIQUE's quality representation, (N, 2C) float32 (4096-d for ResNet-50): the global average
    pool of the last stage at full size ⊕ at ×0.5 (:func:`half_scale`, bicubic), each scale's
    vector L2-normalised (``normalize=True``, as the authors' model). x: (N, 3, H, W) in [0, 1], no
    ImageNet normalisation (CONTRIQUE has none), ≥ 2 px per side (ValueError below). All of it, the ×0.5
    resize included, runs in a float32 region (:mod:`benchmark.precision`), forward and backward."""
    if min(x.shape[-2:]) < 2:  # torch's 'Input and output sizes should be greater than 0' from the ×0.5 resize
        raise ValueError(f"contrique: a {x.shape[-2]}×{x.shape[-1]} input is too small for its ×0.5 view: it needs "
                         "≥ 2 px per side")
    last = backbone.layers[-1]
    return fp32_call(lambda t: quality_vector(lambda u: backbone(u)[last], t, normalize), x)


@register_loss("contrique", version="3", citation="Madhusudana, Birkbeck, Wang, Adsumilli, Bovik, Image "
               "Quality Assessment using Contrastive Learning, IEEE TIP 2022", weights=("resnet50:contrique",))
class ContriqueLoss(FeatureLoss):
    """Distance between CONTRIQUE quality vectors of pred and target, batch mean.

    The encoder is CONTRIQUE's self-supervised ResNet-50 (``weights="pretrained"`` → the file
    ``CONTRIQUE_checkpoint25.tar``; a path or self-trained name → e.g. the harness's own
    distortion-aware pretraining; ``"random"`` → seeded random ResNet-50, labelled so).

    The features are the authors' (see :func:`contrique_features`): per-scale L2-normalised GAP of
    the full and the bicubic ×0.5 image (``normalize=True``; ``False`` gives the raw pooled
    vectors of version 1). Reading chosen where the paper is silent (it never uses the features
    as a loss): ``distance="l1"`` — the mean of |q_pred − q_target|, i.e. the FR model's own input
    |q_ref − q_dist| averaged with equal weights since no regressor is fitted; also "l2" (MSE)
    or "cosine" (1 − cos; 0 between two zero vectors; :func:`~benchmark.backbones.cosine_distance`, exact near
    the target where float32's 1 − cos is rounding: version 3, whose cosine runs train to other float32 bits).
    ``fp32=True`` runs the encoder in a float32
    region (no autocast, no TF32; the features themselves always are, see :func:`contrique_features`): the
    difference of two globally pooled vectors is small next to their magnitude, and bf16
    rounding gave a 4.5 % relative error on 64×64 crops (random-init encoder).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1], ≥ 2 px per side (the ×0.5 view needs a
            pixel; the features are globally pooled, so any larger size runs).
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, distance: str = "l1", normalize: bool = True, fp32: bool = True,
                 weights: str = "pretrained", seed: int = 0):
        super().__init__()
        if distance not in ("l1", "l2", "cosine"):
            raise UserError(f"contrique distance must be l1, l2 or cosine, not {distance!r}")
        self.distance, self.normalize = distance, bool(normalize)
        self.backbone = Backbone("resnet50", ("layer4",), weights=weights, seed=seed,
                                 pretrained="resnet50:contrique", normalize="none", fp32=fp32)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp = contrique_features(self.backbone, pred, self.normalize)
        ft = contrique_features(self.backbone, target.detach(), self.normalize)
        if self.distance == "l1":
            return (fp - ft).abs().mean()
        if self.distance == "l2":
            return (fp - ft).pow(2).mean()
        # two zero vectors (a black crop through a random-init encoder) are equal: 0, not 1 − 0/eps
        return cosine_distance(fp, ft).mean()

"""Contextual loss (Mechrez, Talmi, Zelnik-Manor, ECCV 2018): feature matching without alignment."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

import torch
import torch.nn.functional as F

from benchmark.backbones import Backbone, FeatureLoss
from benchmark.params import Positive, Range
from benchmark.precision import fp32_function
from benchmark.registry import register_loss

log = logging.getLogger(__name__)


@fp32_function
def contextual_similarity(x: torch.Tensor, y: torch.Tensor, *, h: float = 0.5, eps: float = 1e-5) -> torch.Tensor:
    """CX(x, y) per image, shape (N,) in (0, 1]. x, y: (N, C, P) feature sets (P positions each).

    Centre both sets by y's mean (per image), cosine distances in [0, 1],
    d_ij = (1 − cos(x_i, y_j)) / 2, relative distances d̃_ij = d_ij / (min_k d_ik + eps), affinities
    w_ij = exp((1 − d̃_ij)/h) normalised over j (computed as a softmax, which is the same and
    cannot overflow), CX = mean_j max_i CX_ij.

    The halving is the authors' code (``CSFlow.create_using_dotP`` in
    github.com/roimehrez/contextualLoss, TF original and PyTorch port alike: raw distances
    ``(1 − cos)/2``); the paper's text says only "cosine distance". It matters through ``eps``
    only (d̃ is otherwise scale-free): with the unhalved 1 − cos of version 1, d̃ was
    2d / (2·min + eps) = d / (min + eps/2) in the authors' units, i.e. every ``eps`` acted half as
    large as theirs (sharper affinities). Computed in a float32 region
    (:mod:`benchmark.precision`): the relative distances divide by min_k d_ik, which bf16 cosine
    products get wrong near the identity.
    """
    mu = y.mean(2, keepdim=True)
    xn = F.normalize(x - mu, dim=1, eps=1e-8)
    yn = F.normalize(y - mu, dim=1, eps=1e-8)
    d = (0.5 * (1.0 - torch.bmm(xn.transpose(1, 2), yn))).clamp_min(0)  # (N, Px, Py), in [0, 1]
    d_rel = d / (d.min(dim=2, keepdim=True).values + eps)
    cx = torch.softmax((1.0 - d_rel) / h, dim=2)
    return cx.max(dim=1).values.mean(1)


@register_loss("contextual", version="2", citation="Mechrez, Talmi, Zelnik-Manor, The Contextual Loss for "
               "Image Transformation with Non-Aligned Data, ECCV 2018", weights=("vgg19:IMAGENET1K_V1",))
class ContextualLoss(FeatureLoss):
    """−log CX(φ(pred), φ(target)), averaged over layers and images.

    Checked against the authors' code (github.com/roimehrez/contextualLoss: ``CX/CSFlow.py``,
    ``CX/CX_helper.py``, ``config.py``): band width ``h=0.5`` (their ``nn_stretch_sigma``),
    ``eps=1e-5``, cosine distance halved to [0, 1] as theirs (version 2; version 1 used 1 − cos,
    see :func:`contextual_similarity`), −log CX averaged over images. Readings chosen (named
    kwargs): VGG-19 ``layers=("relu3_4",)`` (the SR setting of Mechrez et al. 2018b uses
    conv3_4-level features; their released config's example, single-image animation, uses
    conv3_2 + conv4_2; their ``convX_Y`` taps are taken after the ReLU (``vgg_model.build_net``),
    i.e. our ``reluX_Y``). Differences on purpose: features are centred by the mean of *each*
    target image (the paper's μ_y of one image set Y) where their code takes the mean over the
    whole batch — per image keeps the loss of an image independent of its batch-mates; several
    layers are averaged where their ``single_image_animation.py`` sums them (a factor 1/L; one
    layer by default); trunk: torchvision's VGG-19 (max pooling) on ImageNet-normalised [0, 1]
    input (theirs: MatConvNet VGG-19 with average pooling, from the CRN code, on mean-subtracted
    [0, 255]). To bound the P×P affinity matrix on large inputs, feature maps
    with more than ``max_positions`` positions are average-pooled (deterministic) — their code
    samples 65² random positions instead; at 64×64 training crops (16×16 at relu3_4) nothing is pooled.

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1]; each layer needs ≥ 2 feature positions
            (relu3_4: 8 px per side, or 4×8): one position is a ValueError (CX = 1: 0 for any pred).
        eps: > 0, added to min_k d_ik in the relative distances (0: 0/0 at pred == target — NaN).
        max_positions: ≥ 1; maps with more positions are average-pooled by a kernel doubled per side and
            stopped at each side (an elongated map pools along its long side); a layer pooled to one position
            by it is a ValueError (as a 1×1 map is).
    Returns:
        Scalar tensor ≥ 0; its minimum (≈ 0, exactly 0 when no two positions share a feature)
        at pred == target. Where each position of pred is far nearer one position of target than any
        other (few positions — random-init trunk, σ = 0.1 noise: relu4_4 up to 48 px, relu3_4 up to
        18 px — or a small ``h``), the
        affinities saturate and CX rounds to 1: the loss is exactly 0 with no gradient although pred ≠
        target (float64 gives gradients of ~1e-60: the method's own flatness, not rounding). The first
        call of a module checks this (one host sync; later calls check nothing) and logs a warning
        naming the layer, its positions and ``h``; planning a run refuses such a crop or ``h``.
    """

    def __init__(self, layers: Sequence[str] = ("relu3_4",), h: Annotated[float, Positive] = 0.5,
                 eps: Annotated[float, Positive] = 1e-5, max_positions: Annotated[int, Range(ge=1)] = 1024,
                 weights: str = "pretrained", seed: int = 0):
        # h = 0 is a NaN loss, max_positions 0 a failed run and < 0 a run that never ends (the pooling loop);
        # eps = 0 divides by min_k d_ik = 0 wherever a position of pred matches one of target (pred == target: NaN)
        super().__init__()
        self.layers, self.h, self.eps, self.max_positions = tuple(layers), float(h), float(eps), int(max_positions)
        self.backbone = Backbone("vgg19", self.layers, weights=weights, seed=seed)
        self._first_call_checked = False

    def _flat(self, f: torch.Tensor) -> torch.Tensor:
        n, c, hh, ww = f.shape
        kh = kw = 1  # doubled together, each stopped at its side (a square kernel past a short side: no map left)
        while (hh // kh) * (ww // kw) > self.max_positions and (kh < hh or kw < ww):
            kh, kw = min(2 * kh, hh), min(2 * kw, ww)
        if (kh, kw) != (1, 1):
            f = F.avg_pool2d(f, (kh, kw))
        return f.float().reshape(n, c, -1)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        total = 0.0
        for n in self.layers:
            if fp[n].shape[-2] * fp[n].shape[-1] == 1:  # CX of one feature against one is 1: 0, no gradient
                raise ValueError(f"contextual: layer {n!r} has one feature position (1×1) on a "
                                 f"{pred.shape[-2]}×{pred.shape[-1]} input, so the loss is 0 with no gradient "
                                 "for any pred: use a larger input or an earlier layer")
            a, b = self._flat(fp[n]), self._flat(ft[n])
            if a.shape[-1] == 1:  # pooled to one position by max_positions: the same 0 for any pred
                hh, ww = fp[n].shape[-2:]
                raise ValueError(f"contextual: max_positions={self.max_positions} pools layer {n!r} ({hh}×{ww} "
                                 f"positions on a {pred.shape[-2]}×{pred.shape[-1]} input) to one position, so the "
                                 "loss is 0 with no gradient for any pred: use a larger max_positions (default 1024)")
            cx = contextual_similarity(a, b, h=self.h, eps=self.eps)
            if not self._first_call_checked:
                self._warn_if_saturated(n, cx, a, b, pred.shape[-2:], tuple(fp[n].shape[-2:]))
            total = total + (-torch.log(cx.clamp_min(1e-12))).mean()
        self._first_call_checked = True
        return total / len(self.layers)

    def _warn_if_saturated(self, layer: str, cx: torch.Tensor, a: torch.Tensor, b: torch.Tensor, size,
                           fmap: tuple[int, int]) -> None:
        """First call only (one sync): CX exactly 1 on every image whose features differ from the target's —
        the loss is 0 with no gradient there, however far pred is from target (see the class docstring)."""
        differs = (a.detach() != b).flatten(1).any(1)
        if bool(differs.any()) and bool((cx.detach()[differs] == 1).all()):
            pooled = a.shape[-1] < fmap[0] * fmap[1]  # max_positions averaged the map down: it set the count
            where = (f"pooled from {fmap[0]}×{fmap[1]} by max_positions={self.max_positions}" if pooled else
                     f"on a {size[0]}×{size[1]} input")
            fix = "a larger max_positions (default 1024)" if pooled else "larger crops, an earlier layer"
            what = "the loss is" if len(self.layers) == 1 else f"its term (1 of {len(self.layers)} layers averaged) is"
            log.warning("contextual: CX is 1 at layer %r (%d feature positions %s, h=%g) although pred differs "
                        "from target: %s exactly 0 with no gradient (its affinities saturate); use %s "
                        "or a larger h (the authors' 0.5)", layer, a.shape[-1], where, self.h, what, fix)

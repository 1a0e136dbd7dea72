"""DISTS (Ding, Ma, Wang, Simoncelli, IEEE TPAMI 2022): structure + texture similarity of VGG
features with L2 pooling."""

from __future__ import annotations

from typing import Annotated

import torch

from benchmark import weights as W
from benchmark.backbones import Backbone, FeatureLoss
from benchmark.errors import UserError
from benchmark.params import Positive
from benchmark.registry import register_loss

_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
_CHANNELS = (3, 64, 128, 256, 512, 512)


@register_loss("dists", version="2", citation="Ding et al., Image Quality Assessment: Unifying Structure "
               "and Texture Similarity, IEEE TPAMI 2022", weights=("vgg16:IMAGENET1K_V1", "dists:alpha_beta"))
class DISTSLoss(FeatureLoss):
    """1 − Σ_k Σ_c (α_kc·S1_kc + β_kc·S2_kc), batch mean, with α, β normalised to sum 1.

    Computed as Σ_k Σ_c α_kc·(1 − S1_kc) + β_kc·(1 − S2_kc), 1 − S1 = (μx − μy)²/(μx² + μy² + c1) and
    1 − S2 = var(x − y)/(σx² + σy² + c2) — the same number, without float32's cancellation of 1 − (a sum ≈ 1): near
    the target (pixel noise σ 0.001) the authors' form (``DISTS_pt.py``, github.com/dingkeyan93/DISTS) is 0.4 %
    off in float32, at 1e-4 10 %; this one within 1e-5 of float64, and exactly 0 at pred == target. Version 2 is this
    form (version 1 the authors'): the same number, other float32 bits, so runs train to other numbers under new ids.

    Stages: the input image itself plus VGG-16 relu1_2 … relu5_3 with max pooling replaced by
    L2 pooling (as DISTS does). S1 = (2μxμy + c1)/(μx² + μy² + c1) (texture: mean), S2 =
    (2σxy + c2)/(σx² + σy² + c2) (structure), c1 = c2 = 1e-6, statistics over space.
    α, β: ``weights="pretrained"`` loads the published values (pyiqa's DISTS_weights file);
    ``"random"`` draws them from N(0.1, 0.01²) with ``seed`` — the DISTS training init — and labels
    them so. The VGG trunk runs in a float32 region (``Backbone(fp32=True)``: no bf16 autocast, no
    TF32) and all statistics are computed in float32: near the identity 1 − S is far below bf16's
    rounding of the features (a bf16 trunk gave 18 % (σ = 0.01) and 89 % (σ = 0.005) value error,
    random-init, 48×48).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1] of any size (L2 pooling pads: each stage is
            ceil(n/2) of the last); ≥ 17 px per side keeps ≥ 2 positions at relu5_3 — on 16 px or less it is
            1×1, where its structure term S2 is 1 whatever pred (only the means compare there).
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, weights: str = "pretrained", seed: int = 0, c1: Annotated[float, Positive] = 1e-6,
                 c2: Annotated[float, Positive] = 1e-6):
        super().__init__()
        self.c1, self.c2 = float(c1), float(c2)
        self.backbone = Backbone("vgg16", _LAYERS, weights=weights, seed=seed, pool="l2", fp32=True)
        total = sum(_CHANNELS)
        if weights == "pretrained":
            path = W.resolve("dists:alpha_beta")
            state = W.load_state(path)
            self.weight_files = {"dists:alpha_beta": W.loaded_sha256(path)}
            extra = [k for k in state if k not in ("alpha", "beta") and not k.startswith(("stage", "mean", "std"))]
            if "alpha" not in state or "beta" not in state or extra:
                raise UserError(f"{path}: expected DISTS keys alpha, beta (unexpected: {extra[:3]})")
            alpha, beta = state["alpha"].float(), state["beta"].float()
            self._ab_prov = "dists_ab:published"
        else:
            g = torch.Generator().manual_seed(int(seed) + 7919)
            alpha = 0.1 + 0.01 * torch.randn(1, total, 1, 1, generator=g)
            beta = 0.1 + 0.01 * torch.randn(1, total, 1, 1, generator=g)
            self._ab_prov = f"dists_ab:random(seed={int(seed)})"
        if alpha.numel() != total or beta.numel() != total:
            raise UserError(f"DISTS alpha/beta must have {total} entries, got {alpha.numel()}, {beta.numel()}")
        s = alpha.sum() + beta.sum()
        self.register_buffer("alpha", (alpha / s).reshape(-1), persistent=False)
        self.register_buffer("beta", (beta / s).reshape(-1), persistent=False)

    @property
    def provenance(self) -> str:
        return f"{self.backbone.provenance}(l2pool)+{self._ab_prov}"

    def _stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = self.features(x)
        return [x] + [feats[n] for n in _LAYERS]

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        sp, st = self._stages(pred), self._stages(target.detach())
        alphas = torch.split(self.alpha, _CHANNELS)
        betas = torch.split(self.beta, _CHANNELS)
        dist = 0.0
        for x, y, a, b in zip(sp, st, alphas, betas):
            x, y = x.float(), y.float()
            mx, my = x.mean((2, 3)), y.mean((2, 3))
            xc, yc = x - mx[..., None, None], y - my[..., None, None]
            vx, vy = xc.pow(2).mean((2, 3)), yc.pow(2).mean((2, 3))
            one_s1 = (mx - my).pow(2) / (mx.pow(2) + my.pow(2) + self.c1)  # 1 − S1
            one_s2 = (xc - yc).pow(2).mean((2, 3)) / (vx + vy + self.c2)  # 1 − S2: σx² + σy² − 2σxy = var(x − y)
            dist = dist + (one_s1 * a).sum(1) + (one_s2 * b).sum(1)
        return dist.mean()

"""Projected Distribution Loss (Delbracio, Talebi, Milanfar, ICCP 2021) and the sliced-Wasserstein
texture loss (Heitz et al., CVPR 2021): 1-D Wasserstein distances between feature distributions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import torch

from benchmark.backbones import Backbone, FeatureLoss
from benchmark.errors import UserError
from benchmark.params import Range
from benchmark.precision import fp32_function
from benchmark.registry import register_loss

#: a number of random projections (num_proj=): at least one (-1 failed the run's first step)
Projections = Annotated[int, Range(ge=1)]


def sorted_w(a: torch.Tensor, b: torch.Tensor, p: int = 1) -> torch.Tensor:
    """1-D Wasserstein-p^p distance per row between empirical distributions of equal size.

    a, b: (N, K, P) — K distributions of P samples each (per image). Returns (N, K):
    mean_i |sort(a)_i − sort(b)_i|^p (for p=1 this *is* W1; for p=2 it is W2²). float32.
    """
    if a.shape != b.shape:
        raise ValueError(f"sorted_w needs equal shapes, got {tuple(a.shape)} and {tuple(b.shape)}")
    d = torch.sort(a.float(), dim=-1).values - torch.sort(b.float(), dim=-1).values
    return d.abs().mean(-1) if p == 1 else d.abs().pow(p).mean(-1)


def random_directions(channels: int, count: int, generator: torch.Generator) -> torch.Tensor:
    """(count, channels) unit vectors, uniform on the sphere."""
    v = torch.randn(count, channels, generator=generator)
    return v / v.norm(dim=1, keepdim=True)


@fp32_function
def project(f: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) features → (N, K, H·W) projections on K directions, float32, computed in a
    float32 region (a bf16 matmul before sorting scrambles the order statistics near the identity)."""
    n, c = f.shape[:2]
    return torch.matmul(directions.to(f.device), f.float().reshape(n, c, -1))


class _SlicedBase(FeatureLoss):
    """Shared machinery: per-term 1-D Wasserstein on channels or on fixed random projections."""

    def _init_projections(self, channels: dict[str, int], num_proj: int | None, seed: int) -> None:
        g = torch.Generator().manual_seed(int(seed) + 1013)
        for i, c in enumerate(channels.values()):
            k = int(num_proj) if num_proj else c
            self.register_buffer(f"dirs{i}", random_directions(c, k, g), persistent=False)
        self._proj_gen = g
        self._dev_gen: torch.Generator | None = None

    def _dirs(self, i: int) -> torch.Tensor:
        d = getattr(self, f"dirs{i}")
        if self.resample:  # the paper's fresh draw per call (non-deterministic across calls)
            if d.device.type == "cpu":
                return random_directions(d.shape[1], d.shape[0], self._proj_gen).to(d)
            if self._dev_gen is None:  # drawn where the features are: no host draw and copy per call
                seed = int(torch.randint(2**62, (1,), generator=self._proj_gen))
                self._dev_gen = torch.Generator(device=d.device).manual_seed(seed)
            v = torch.randn(d.shape, generator=self._dev_gen, device=d.device, dtype=d.dtype)
            return v / v.norm(dim=1, keepdim=True)
        return d


#: VGG-16 taps of the PDL default: the last ReLU of each of the five blocks — the layer set of
#: LPIPS-VGG (Zhang et al. 2018) and of Johnson et al.'s VGG-16 loss, the reference-based
#: perceptual losses PDL is benchmarked against; "aggregating 1D-Wasserstein distances between
#: CNN activations" (the abstract) across the whole network rather than stopping at block 3.
PDL_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")


def _trunk_file(layers: Sequence[str] = PDL_LAYERS, **_) -> tuple[str, ...]:
    """The file ``pdl(layers=…)`` loads (``weights="pretrained"``): VGG-16's, none for the pixel-only ``layers=()``."""
    return ("vgg16:IMAGENET1K_V1",) if layers else ()


@register_loss("pdl", version="2", citation="Delbracio, Talebi, Milanfar, Projected Distribution Loss "
               "for Image Enhancement, ICCP 2021", weights=_trunk_file)
class ProjectedDistributionLoss(_SlicedBase):
    """pixel_weight · W1(RGB) + Σ_l layer_weight_l · W1(VGG-16 layer l), per-channel 1-D W1.

    For features F ∈ R^{N×C×H×W}: sort each channel's H·W values for pred and target, take the
    mean absolute difference of the sorted vectors (W1 of the two empirical marginals), mean
    over channels; then the weighted sum of the terms, mean over images. ``mode="channel"`` is the
    paper's description; ``mode="proj"`` (also registered as ``pdl_proj``) sorts ``num_proj``
    fixed random 1-D projections across channels (sliced W1 of the set of H·W feature vectors;
    ``num_proj=None`` → C projections per term, ``resample=True`` draws fresh directions each call).
    Not the axes of the public snippet: the ``projectedDistributionLoss(x, y, num_projections=1000)``
    copied (no repository named as its origin) into many public repositories, docstring "Projected
    Distribution Loss (https://arxiv.org/abs/2012.09289)", reshapes (B, C, H, W) features to
    (B, C, H·W), projects on random unit directions of *H·W* (spatial) dimensions, sorts each
    projection over the *channels* and sums F.l1_loss over the projections (1000 by default; some
    copies 32 or 128, one ×2/num_projections); a variant takes no projection at all and sums the
    square root of the MSE of each channel's sorted H·W values. Ours sorts over space as METHODS.md's
    per-channel description does; the snippet's channel-sorting reading is not offered.

    Where each choice comes from (the paper's own layer list and term weights could not be
    checked against its text here, so every one is a named keyword; searched again for this release:
    no code of the authors in the public code, documentation or issue threads searched, and the stored
    pages — paperswithcode, research.google, ar5iv's arXiv 2012.09289 — give the abstract and the
    opening of the introduction only, which fix "aggregating 1D-Wasserstein distances between CNN
    activations" and nothing finer):
      * ``layers`` = :data:`PDL_LAYERS`, all five VGG-16 blocks (LPIPS-VGG's taps, the baseline the
        paper compares with); version 1 stopped at relu3_3 (the speed table of FACTS.md);
      * ``layer_weights=None`` → 1/L each: the VGG part is the mean W1 over layers, so adding or
        dropping a layer does not rescale the loss;
      * ``pixels=True``, ``pixel_weight=1.0``: the RGB term (pixels as given in [0, 1]; METHODS.md:
        "apply it to RGB pixels as well as to backbone layers") weighs as much as the whole VGG
        part, not as one of its layers as in version 1 (where it was 1/(L+1) of the loss) —
        colour/intensity distributions are a separate half of the objective;
      * ImageNet normalisation inside the backbone (torchvision VGG-16's training input).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1], ≥ 16 px per side for relu5_3; a grey
            (N, 1, H, W) pair is taken as its grey RGB (other channel counts: ValueError).
        layers: VGG-16 taps; ``()`` gives the pixel-only PDL.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = PDL_LAYERS, pixels: bool = True, mode: str = "channel",
                 num_proj: Projections | None = None, resample: bool = False, pixel_weight: float = 1.0,
                 layer_weights: Sequence[float] | None = None, weights: str = "pretrained", seed: int = 0):
        super().__init__()
        if mode not in ("channel", "proj"):
            raise UserError(f"pdl mode must be 'channel' or 'proj', not {mode!r}")
        if not layers and not pixels:
            raise UserError("pdl needs at least one term: pixels=True or some layers")
        if not pixels and pixel_weight != 1.0:
            raise UserError(f"pdl pixel_weight={pixel_weight:g} weighs the RGB term, which pixels=False leaves out")
        if mode == "channel" and (num_proj is not None or resample):
            given = ", ".join(a for a, on in (("num_proj", num_proj is not None), ("resample", resample)) if on)
            raise UserError(f"pdl: {given} only acts on random projections (mode='proj', or the loss pdl_proj); "
                            "mode='channel' sorts each channel itself and would ignore it")
        self.layers, self.pixels, self.mode, self.resample = tuple(layers), bool(pixels), mode, bool(resample)
        if layer_weights is None:
            layer_weights = [1.0 / len(self.layers)] * len(self.layers) if self.layers else []
        if len(layer_weights) != len(self.layers):
            raise UserError(f"pdl layer_weights has {len(layer_weights)} entries for {len(self.layers)} layers")
        self.term_weights = ([float(pixel_weight)] if self.pixels else []) + [float(w) for w in layer_weights]
        if any(w < 0 for w in self.term_weights) or not sum(self.term_weights) > 0:
            raise UserError("pdl weights must be ≥ 0 and not all 0")
        self.backbone = Backbone("vgg16", self.layers, weights=weights, seed=seed) if self.layers else None
        if mode == "proj":
            chans = ({"pixels": 3} if self.pixels else {}) | (self.backbone.channels() if self.layers else {})
            self._init_projections(chans, num_proj, seed)

    @property
    def provenance(self) -> str:
        return self.backbone.provenance if self.backbone is not None else "none"

    def _term(self, i: int, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.mode == "proj":
            d = self._dirs(i)
            if a.shape[1] == 1 and d.shape[1] == 3:  # the pixel term's RGB directions: grey is its grey RGB
                a, b = a.expand(-1, 3, -1, -1), b.expand(-1, 3, -1, -1)
            return sorted_w(project(a, d), project(b, d)).mean(1)
        n, c = a.shape[:2]
        return sorted_w(a.reshape(n, c, -1), b.reshape(n, c, -1)).mean(1)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape[1] not in (1, 3):  # the trunk's normalisation and the RGB projections: failed deep in torch
            raise ValueError(f"{type(self).__name__}: pred/target needs 1 or 3 channels, got {pred.shape[1]}")
        pairs = [(pred, target.detach())] if self.pixels else []
        if self.layers:
            fp, ft = self.features(pred), self.features(target.detach())
            pairs += [(fp[n], ft[n]) for n in self.layers]
        total = sum(w * self._term(i, a, b) for i, (w, (a, b)) in enumerate(zip(self.term_weights, pairs)))
        return total.mean()


@register_loss("pdl_proj", version="2", citation="Delbracio et al., ICCP 2021 (random-projection variant)",
               weights=_trunk_file)
class ProjectedDistributionLossProj(ProjectedDistributionLoss):
    """PDL with fixed random 1-D projections across channels (sliced W1); see :class:`ProjectedDistributionLoss`."""

    def __init__(self, layers: Sequence[str] = PDL_LAYERS, pixels: bool = True, num_proj: Projections | None = None,
                 resample: bool = False, pixel_weight: float = 1.0, layer_weights: Sequence[float] | None = None,
                 weights: str = "pretrained", seed: int = 0):
        super().__init__(layers, pixels, "proj", num_proj, resample, pixel_weight, layer_weights, weights, seed)


#: the twelve VGG-19 taps of Heitz et al.'s code: every ReLU output of blocks 1–4 (the list its ``VGG19.forward``
#: returns to ``slicing_loss``, github.com/tchambon/A-Sliced-Wasserstein-Loss-for-Neural-Texture-Synthesis)
SWD_LAYERS = ("relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1", "relu3_2", "relu3_3", "relu3_4",
              "relu4_1", "relu4_2", "relu4_3", "relu4_4")


@register_loss("swd", version="2", citation="Heitz, Vanhoey, Chambon, Belcour, A Sliced Wasserstein Loss "
               "for Neural Texture Synthesis, CVPR 2021", weights=("vgg19:IMAGENET1K_V1",))
class SlicedWassersteinLoss(_SlicedBase):
    """Σ_layers mean_k ‖sort(⟨v_k, φ(pred)⟩) − sort(⟨v_k, φ(target)⟩)‖²/P, batch mean.

    Heitz et al. project each layer's features on random unit directions (as many as channels),
    sort over space, and compare with a squared L2 (the mean over directions and positions, summed
    over layers, as their ``slicing_loss``). Layers: :data:`SWD_LAYERS`, their code's twelve (version 1
    used relu1_1, relu2_1, relu3_1, relu4_1 only). Directions drawn once from ``seed`` and kept fixed
    (``resample=False``) so the loss is deterministic and batch-independent — the paper redraws
    them every iteration, which ``resample=True`` reproduces. Not reproduced (named differences): their
    trunk is a mean-activation-normalised VGG-19 with average pooling and reflect padding on Caffe-style
    input (BGR, ×255, mean subtracted); here torchvision's VGG-19 (max pooling, zero padding) on
    ImageNet-normalised [0, 1] input.

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1].
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = SWD_LAYERS,
                 num_proj: Projections | None = None, resample: bool = False, weights: str = "pretrained",
                 seed: int = 0):
        super().__init__()
        self.layers, self.resample = tuple(layers), bool(resample)
        self.backbone = Backbone("vgg19", self.layers, weights=weights, seed=seed)
        self._init_projections(self.backbone.channels(), num_proj, seed)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        total = 0.0
        for i, n in enumerate(self.layers):
            d = self._dirs(i)
            total = total + sorted_w(project(fp[n], d), project(ft[n], d), p=2).mean(1)
        return total.mean()

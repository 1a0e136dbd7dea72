"""Online contrastive feature selection (Kangfu Mei, Yao Lu, Qiaosi Yi, Haoyu Wu, Juncheng Li,
Rui Huang, "Disentangle Perceptual Learning through Online Contrastive Learning", 2020).

Version 2 corrects the citation's author list (version 1 named "Mei, Li, Li, Zhang"); what the
loss computes is unchanged. Version 3: ``distance="cosine"`` as :func:`~benchmark.backbones.cosine_distance` (the
same 1 − cos, other float32 bits: its runs train to other numbers, so every run of the loss gets a new id).

What the defaults rest on. No code of the authors was found (searched again for this release: the
title, the authors and "online contrastive feature selection" in public code, documentation and
issue threads; the stored pages hold the abstract only, e.g. deepai.org's page of the paper).
The abstract fixes the roles — "the transformed results, target images, and task-oriented
distorted images as the positive, negative, and anchor samples, respectively", a "feature selection
layer" after a "pre-training part", "the triplet loss" — and nothing else. Every other choice is ours,
a named keyword: the VGG-16 trunk and its taps relu1_2, relu2_2, relu3_3 (the low and middle blocks of
Johnson et al.'s VGG-16 losses, which the paper sets out to improve on; deeper blocks hold the
class-specific dimensions the paper calls perception-irrelevant), unit-normalised features (LPIPS),
the gate forms, ``margin``, ``lr``, ``update_every`` and ``distance``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import torch
from torch import nn

from benchmark.backbones import Backbone, FeatureLoss, cosine_distance, unit_normalize
from benchmark.errors import UserError
from benchmark.params import Positive, Range
from benchmark.precision import fp32_call, fp32_region
from benchmark.registry import register_loss


@register_loss("contrastive_select", version="3", citation="Mei, Lu, Yi, Wu, Li, Huang, Disentangle "
               "Perceptual Learning through Online Contrastive Learning, 2020", needs=("degraded",),
               weights=("vgg16:IMAGENET1K_V1",))
class ContrastiveSelectionLoss(FeatureLoss):
    """Distance between S(φ(pred)) and S(φ(target)) for a frozen φ and a trainable selection S.

    φ: VGG-16 taps, features unit-normalised over channels (LPIPS-style, so distances of all
    layers share a scale). S per layer, ``gate``:
      * ``"softmax"`` (default): per-channel weights w = C·softmax(θ) (mean 1: S cannot shrink
        every distance at once, only re-distribute attention between channels);
      * ``"sigmoid"``: independent gates w = 2·sigmoid(θ) (θ = 0 → 1), with an L1 ``sparsity``
        penalty on w (the only gate it applies to: with the others ``sparsity > 0`` is refused);
      * ``"conv1x1"``: a 1×1 convolution initialised to the identity.
    Net loss: mean over layers of mean_hw D(S(f̂_pred), S(f̂_target)), batch mean; the S
    parameters enter it detached (the net never moves S). D per position, over channels,
    ``distance`` (METHODS.md lists the distance as open; the paper's abstract names none):
      * ``"l2"`` (default, version 1's only reading): Σ_c (a_c − b_c)²;
      * ``"l1"``: Σ_c |a_c − b_c|;
      * ``"cosine"``: 1 − ⟨a, b⟩ / (‖a‖ ‖b‖) (0 where both vectors are zero;
        :func:`~benchmark.backbones.cosine_distance`, exact near the target where float32's 1 − cos is rounding).

    :meth:`train_step` updates S online with a triplet objective (the abstract's roles): anchor
    = the degraded input, positive = the restored output, negative = the clean target:
    ``max(0, d(a, p) − d(a, n) + margin)`` with the S-distance D above, so S learns the
    dimensions in which the output still looks like the degradation. Readings chosen (kwargs):
    ``margin=0.1``, Adam ``lr=1e-3``, one S step per net step (``update_every=1``).
    ``margin`` (≥ 0) is in the units of ``distance``, one number for all three: at S's start (every
    gate 1) on the unit-normalised (and, after a ReLU, non-negative) features, per position l2 =
    ‖a − b‖² = 2·(1 − cos) = 2 × cosine exactly, in [0, 2]; cosine in [0, 1]; l1 = ‖a − b‖₁ ≥ l2 / 2 and up
    to √(2C) for C channels. So ``margin=0.1`` under l2 is ``margin=0.05`` under cosine, and a far smaller
    share of a typical l1 distance (random-init VGG, default layers, 40-px crops: l2 0.057, cosine 0.029, l1 1.45);
    change it with the distance. A negative margin is refused: the triplet term is 0 wherever margin ≤ d(a, n) −
    d(a, p), so a margin below −d(a, p) (−10 with l2 or cosine: always) leaves S as built.
    S's parameters are ordinary parameters: they are in ``state_dict()`` and saved with a run.
    The S-distances and the whole of :meth:`train_step` run in a float32 region (no bf16
    autocast, no TF32; :mod:`benchmark.precision`); the net's φ passes follow the
    trunk policy (:data:`benchmark.precision.TRUNK_FP32`: float32).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1].
        degraded: (N, 3, H', W') net input in [0, 1] (resized to pred's size if it differs);
            needed only by :meth:`train_step`.
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu1_2", "relu2_2", "relu3_3"), gate: str = "softmax",
                 margin: Annotated[float, Range(ge=0)] = 0.1, lr: Annotated[float, Positive] = 1e-3,
                 sparsity: Annotated[float, Range(ge=0)] = 0.0, update_every: Annotated[int, Range(ge=1)] = 1,
                 distance: str = "l2", weights: str = "pretrained", seed: int = 0):
        super().__init__()
        if gate not in ("softmax", "sigmoid", "conv1x1"):
            raise UserError(f"contrastive_select gate must be softmax, sigmoid or conv1x1, not {gate!r}")
        if sparsity > 0 and gate != "sigmoid":  # softmax weights always sum to C: an L1 on them is a constant
            raise UserError(f"contrastive_select sparsity acts on the independent gates only (gate='sigmoid'); "
                            f"with gate={gate!r} it would be ignored")
        if distance not in ("l2", "l1", "cosine"):
            raise UserError(f"contrastive_select distance must be l2, l1 or cosine, not {distance!r}")
        self.layers, self.gate, self.distance = tuple(layers), gate, distance
        self.margin, self.lr, self.sparsity = float(margin), float(lr), float(sparsity)
        self.update_every = max(1, int(update_every))
        self.backbone = Backbone("vgg16", self.layers, weights=weights, seed=seed)
        chans = self.backbone.channels()
        if gate == "conv1x1":
            self.select = nn.ParameterList([nn.Parameter(torch.eye(c)) for c in chans.values()])
        else:
            self.select = nn.ParameterList([nn.Parameter(torch.zeros(c)) for c in chans.values()])
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))
        self._host_steps: int | None = None  # host mirror of ``steps`` (re-read after a state-dict load)
        self._opt: torch.optim.Optimizer | None = None

    def _apply_s(self, i: int, f: torch.Tensor, detach: bool) -> torch.Tensor:
        p = self.select[i].detach() if detach else self.select[i]
        if self.gate == "conv1x1":
            return torch.einsum("dc,nchw->ndhw", p.float(), f)
        w = p.numel() * torch.softmax(p.float(), 0) if self.gate == "softmax" else 2 * torch.sigmoid(p.float())
        return f * w.view(1, -1, 1, 1)

    def gate_weights(self) -> list[torch.Tensor]:
        """Current per-channel weights (for inspection; conv1x1 → row norms)."""
        out = []
        for p in self.select:
            if self.gate == "conv1x1":
                out.append(p.detach().norm(dim=1))
            elif self.gate == "softmax":
                out.append(p.numel() * torch.softmax(p.detach(), 0))
            else:
                out.append(2 * torch.sigmoid(p.detach()))
        return out

    def _position_distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """D over channels at every position: (N, C, H, W) × 2 → (N, H, W) (see ``distance``)."""
        if self.distance == "l2":
            return (a - b).pow(2).sum(1)
        if self.distance == "l1":
            return (a - b).abs().sum(1)
        return cosine_distance(a, b)

    def _dist(self, fa: dict, fb: dict, detach: bool) -> torch.Tensor:
        """Per-image distance (N,), mean over layers."""
        total = 0.0
        for i, n in enumerate(self.layers):
            a = self._apply_s(i, unit_normalize(fa[n].float()), detach)
            b = self._apply_s(i, unit_normalize(fb[n].float()), detach)
            total = total + self._position_distance(a, b).mean((1, 2))
        return total / len(self.layers)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, degraded: torch.Tensor | None = None) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        return fp32_call(lambda a, b: self._dist(a, b, detach=True), fp, ft).mean()

    def train_step(self, pred: torch.Tensor, target: torch.Tensor, degraded: torch.Tensor | None = None) -> None:
        """One online update of S (every ``update_every`` calls). Inputs are detached."""
        if degraded is None:
            raise UserError("contrastive_select.train_step needs degraded= (declare needs=('degraded',))")
        if self._host_steps is None:  # one read of the (checkpointed) buffer, then a host-side mirror
            self._host_steps = int(self.steps)
        self._host_steps += 1
        self.steps += 1  # stays on the device: no host sync per step
        if self._host_steps % self.update_every:
            return
        if degraded.shape[-2:] != pred.shape[-2:]:
            degraded = torch.nn.functional.interpolate(degraded.float(), size=pred.shape[-2:], mode="bilinear",
                                                       align_corners=False)
        if self._opt is None:
            self._opt = torch.optim.Adam(self.select.parameters(), lr=self.lr)
        with torch.no_grad(), fp32_region(pred.device.type):
            fa = self.features(degraded.detach().float())
            fp = self.features(pred.detach().float())
            fn = self.features(target.detach().float())
        with torch.enable_grad(), fp32_region(pred.device.type):
            d_ap = self._dist(fa, fp, detach=False)
            d_an = self._dist(fa, fn, detach=False)
            loss = torch.relu(d_ap - d_an + self.margin).mean()
            if self.gate == "sigmoid" and self.sparsity > 0:
                loss = loss + self.sparsity * sum(2 * torch.sigmoid(p).mean() for p in self.select)
            self._opt.zero_grad(set_to_none=True)
            loss.backward()
            self._opt.step()
            self._opt.zero_grad(set_to_none=True)  # leave no .grad behind for anyone else
        self.last_triplet = loss.detach()  # a device tensor: reading it is the caller's sync

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._host_steps = None  # a restored checkpoint: the mirror re-reads the buffer

    @property
    def provenance(self) -> str:
        return f"{self.backbone.provenance}+online_selection({self.gate})"

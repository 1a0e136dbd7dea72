"""Frozen feature extractors that every feature loss shares.

:class:`Backbone` taps named layers of a torchvision architecture::

    bb = Backbone("vgg19", ["conv5_4"], weights="random", seed=0)
    feats = bb(x)            # x: (N, 3, H, W) in [0, 1]  →  {"conv5_4": (N, 512, H/16, W/16)}

* Architectures (:data:`ARCHS`): ``vgg16``, ``vgg19``, ``alexnet``, ``squeezenet1_1``, ``resnet50``.
* Layer names: VGG ``conv{b}_{i}`` (pre-activation), ``relu{b}_{i}``, ``pool{b}``; AlexNet
  ``conv1..5``, ``relu1..5``, ``pool1/2/5``; SqueezeNet 1.1 ``conv1``, ``relu1``, ``pool1``,
  ``fire2..fire9``, ``pool3``, ``pool5``; ResNet-50 ``conv1``, ``bn1``, ``relu``, ``maxpool``,
  ``layer1..layer4``. Only the trunk up to the deepest tapped layer is built (no classifier).
* ``weights``: ``"pretrained"`` (the architecture's default file, or ``pretrained=<key>`` such as
  ``"resnet50:dino"``; missing → :class:`~benchmark.errors.UserError`), ``"random"`` (seeded
  initialisation with the architecture's own init scheme, drawn from a private RNG so global
  random state is untouched), a known key (``"resnet50:contrique"``), or a checkpoint path holding
  a state_dict for the architecture (torchvision key names; strict matching).
* Input normalisation happens inside (``normalize``: ``"imagenet"``, ``"lpips"``, ``"none"``).
* Frozen (``requires_grad=False``) and always in eval mode; the frozen trunk is held outside the
  module tree, so it is neither in ``parameters()`` nor in ``state_dict()`` (a run saves only a
  loss's own trainable parts) but still follows ``.to(device / dtype / memory_format)``. ReLUs are
  not in-place so a tapped pre-activation is never overwritten; works under bf16 autocast and
  channels_last. Random inits are memoised per (arch, seed, depth) within a process.
* :attr:`Backbone.provenance`: ``"vgg16:IMAGENET1K_V1"``, ``"vgg16:random(seed=0)"``,
  ``"resnet50:file(ckpt.pt,sha256=1a2b3c4d)"``, ``"tinycnn:selftrained(simclr,…,cfg=9f8e7d,sha256=1a2b3c4d)"``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmark import precision
from benchmark import weights as W
from benchmark.errors import UserError
from benchmark.precision import fp32_call
from benchmark.weights import NoPretrainedWeights  # noqa: F401 - raised here, defined beside what it is about

log = logging.getLogger(__name__)

#: a trunk error that means "this input is too small for the layers" (pooling to 0×0, a kernel over the map)
TOO_SMALL = re.compile(r"Output size is too small|Kernel size can't be greater than actual input size")
#: the largest side :meth:`Backbone.min_side` searches up to
_MAX_SIDE = 4096

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)


class L2Pool(nn.Module):
    """DISTS's L2 pooling (Ding et al. 2020): sqrt(Hann3×3 ∗ x², stride 2, pad 1) — an
    anti-aliased replacement for max pooling. The filter is a non-persistent buffer so
    checkpoints need no extra keys."""

    def __init__(self, channels: int):
        super().__init__()
        a = torch.hann_window(5, periodic=False, dtype=torch.float64)[1:-1]
        g = (a[:, None] * a[None, :])
        g = (g / g.sum()).float()
        self.register_buffer("filter", g.expand(channels, 1, 3, 3).clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.conv2d(x * x, self.filter.to(x.dtype), stride=2, padding=1, groups=x.shape[1])
        return (out + 1e-12).sqrt()


# ---------------------------------------------------------------------------------------------
# architecture builders: each returns (container, ordered [(module path, tap name)], ignore)
# container's state_dict keys match torchvision's for the same model.
# ---------------------------------------------------------------------------------------------
_VGG_CFG = {
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
_VGG_WIDTH = (64, 128, 256, 512, 512)


def _vgg_names(arch: str) -> list[str]:
    names = []
    for b, n in enumerate(_VGG_CFG[arch], start=1):
        for i in range(1, n + 1):
            names += [f"conv{b}_{i}", f"relu{b}_{i}"]
        names.append(f"pool{b}")
    return names


def _build_vgg(arch: str, depth: int, pool: str, init: bool):
    layers: list[nn.Module] = []
    c_in = 3
    for b, n in enumerate(_VGG_CFG[arch]):
        for _ in range(n):
            layers += [nn.Conv2d(c_in, _VGG_WIDTH[b], 3, padding=1), nn.ReLU(inplace=False)]
            c_in = _VGG_WIDTH[b]
        layers.append(L2Pool(c_in) if pool == "l2" else nn.MaxPool2d(2, 2))
    layers = layers[: depth + 1]
    if init:  # torchvision VGG's init
        for m in layers:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
    container = nn.Module()
    container.features = nn.Sequential(*layers)
    return container


_ALEX_NAMES = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "conv4",
               "relu4", "conv5", "relu5", "pool5"]


def _build_alexnet(depth: int, init: bool):
    layers = [nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
              nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
              nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1),
              nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2)]
    container = nn.Module()
    container.features = nn.Sequential(*layers[: depth + 1])  # default PyTorch init = torchvision's
    return container


_SQUEEZE_NAMES = ["conv1", "relu1", "pool1", "fire2", "fire3", "pool3", "fire4", "fire5", "pool5",
                  "fire6", "fire7", "fire8", "fire9"]


def _build_squeezenet(depth: int, init: bool):
    import torchvision

    full = torchvision.models.squeezenet1_1(weights=None)  # 1.2 M params: cheap to build whole
    container = nn.Module()
    container.features = nn.Sequential(*list(full.features)[: depth + 1])
    return container


_RESNET_NAMES = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]


def _build_resnet(arch: str, depth: int, init: bool):
    """torchvision ResNet trunk (``resnet18`` / ``resnet50``) up to the tapped stage, no ``fc``."""
    import torchvision

    full = getattr(torchvision.models, arch)(weights=None)
    container = nn.Module()
    for name in _RESNET_NAMES[: depth + 1]:
        container.add_module(name, getattr(full, name))
    return container


def _build_tinycnn(depth: int, init: bool):
    """A small ResNet-shaped CNN for CPU pretraining (benchmark.pretrain): same tap names as
    ResNet (conv1, bn1, relu, maxpool, layer1..layer4), widths 16-32-64-128, stride 2-1-2-2-2,
    ~0.4 M parameters."""

    def stage(c_in, c_out, stride):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out),
                             nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                             nn.ReLU())

    parts = {"conv1": nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), "bn1": nn.BatchNorm2d(16),
             "relu": nn.ReLU(),
             "maxpool": nn.Identity(), "layer1": stage(16, 16, 1), "layer2": stage(16, 32, 2),
             "layer3": stage(32, 64, 2), "layer4": stage(64, 128, 2)}
    container = nn.Module()
    for name in _RESNET_NAMES[: depth + 1]:
        container.add_module(name, parts[name])
    if init:
        for m in container.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return container


@dataclass(frozen=True)
class Arch:
    names: tuple[str, ...]
    build: Callable[..., nn.Module]       # build(depth, pool, init) → container
    path: Callable[[int], str]            # index → module path in the container
    ignore: Callable[[int], tuple[str, ...]]  # checkpoint key prefixes not built at this depth
    default_weights: str | None           # the weights key "pretrained" loads; None: none published (pretrained_key)
    normalize: str = "imagenet"


def _seq_ignore(depth: int) -> tuple[str, ...]:
    return ("classifier.",) + tuple(f"features.{j}." for j in range(depth + 1, 64))


ARCHS: dict[str, Arch] = {
    "vgg16": Arch(tuple(_vgg_names("vgg16")), lambda d, pool, init: _build_vgg("vgg16", d, pool, init),
                  lambda i: f"features.{i}", _seq_ignore, "vgg16:IMAGENET1K_V1"),
    "vgg19": Arch(tuple(_vgg_names("vgg19")), lambda d, pool, init: _build_vgg("vgg19", d, pool, init),
                  lambda i: f"features.{i}", _seq_ignore, "vgg19:IMAGENET1K_V1"),
    "alexnet": Arch(tuple(_ALEX_NAMES), lambda d, pool, init: _build_alexnet(d, init),
                    lambda i: f"features.{i}", _seq_ignore, "alexnet:IMAGENET1K_V1"),
    "squeezenet1_1": Arch(tuple(_SQUEEZE_NAMES), lambda d, pool, init: _build_squeezenet(d, init),
                          lambda i: f"features.{i}", _seq_ignore, "squeezenet1_1:IMAGENET1K_V1"),
    "resnet50": Arch(tuple(_RESNET_NAMES), lambda d, pool, init: _build_resnet("resnet50", d, init),
                     lambda i: _RESNET_NAMES[i],
                     lambda d: ("fc.",) + tuple(f"{n}." for n in _RESNET_NAMES[d + 1:]),
                     "resnet50:IMAGENET1K_V2"),
    # self-trained only (benchmark.pretrain): no published weights, "pretrained" has no file
    "resnet18": Arch(tuple(_RESNET_NAMES), lambda d, pool, init: _build_resnet("resnet18", d, init),
                     lambda i: _RESNET_NAMES[i],
                     lambda d: ("fc.",) + tuple(f"{n}." for n in _RESNET_NAMES[d + 1:]),
                     None),
    "tinycnn": Arch(tuple(_RESNET_NAMES), lambda d, pool, init: _build_tinycnn(d, init),
                    lambda i: _RESNET_NAMES[i],
                    lambda d: tuple(f"{n}." for n in _RESNET_NAMES[d + 1:]),
                    None),
}


def _check_arch(arch: str) -> Arch:
    if arch not in ARCHS:
        raise UserError(f"unknown backbone {arch!r}; known: {', '.join(ARCHS)}")
    return ARCHS[arch]


def no_layers(arch: str) -> UserError:
    """The one-line refusal of ``layers=()`` for a loss on ``arch``: the argument named and one of that trunk's own
    layers to give instead (``relu2_2`` on a VGG; a ResNet stage, ``layer1``, on resnet/tinycnn)."""
    names = _check_arch(arch).names
    example = "relu2_2" if "relu2_2" in names else next((n for n in names if n.startswith("layer")), names[0])
    return UserError(f"layers=() names no layer of {arch} to compare features at: give at least one, "
                     f"e.g. layers=({example!r},)")


def pretrained_key(arch: str) -> str:
    """The weights key ``weights="pretrained"`` loads for ``arch`` — what a run builds and what ``plbench weights``
    lists alike; a one-line :class:`NoPretrainedWeights` for a trunk with none, saying what to give instead."""
    key = _check_arch(arch).default_weights
    if key is None:
        raise NoPretrainedWeights(f"backbone {arch} has no published pretrained weights (self-trained only): give the "
                                  f"loss weights='<checkpoint .pt>' (plbench pretrain --arch {arch}) or "
                                  "weights='random'")
    return key


@functools.lru_cache(maxsize=16)
def _random_state(arch: str, seed: int, depth: int, pool: str) -> dict[str, torch.Tensor]:
    """Seeded random initialisation, memoised per process (built once per (arch, seed, depth))."""
    spec = ARCHS[arch]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = spec.build(depth, pool, True)
    return {k: v.detach() for k, v in module.state_dict().items()}


def _normalizer(kind: str) -> tuple[tuple[float, ...], tuple[float, ...], float, float]:
    """(shift, scale, a, b) such that normalised = (a*x + b - shift) / scale."""
    if kind == "imagenet":
        return IMAGENET_MEAN, IMAGENET_STD, 1.0, 0.0
    if kind == "lpips":  # lpips: x∈[0,1] → 2x−1 → (· − shift)/scale
        return LPIPS_SHIFT, LPIPS_SCALE, 2.0, -1.0
    if kind == "none":
        return (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), 1.0, 0.0
    raise UserError(f"unknown normalisation {kind!r}: use imagenet, lpips or none")


def _selftrained_manifest(weights: str) -> dict | None:
    """The manifest beside a checkpoint made by ``plbench pretrain`` (None for other values)."""
    if weights in ("random", "pretrained") or not str(weights).endswith(".pt"):
        return None
    from benchmark.weights import read_manifest

    return read_manifest(weights)


def _adopt_selftrained(arch: str, layers: tuple[str, ...], weights: str, normalize: str | None):
    """A self-trained checkpoint names its own architecture and input convention (raw [0, 1], no
    ImageNet normalisation, as CONTRIQUE): a loss asking for another architecture whose tap names
    the checkpoint's architecture also has (ResNet stage names) uses the checkpoint's."""
    manifest = _selftrained_manifest(str(weights))
    if not manifest or manifest.get("arch") in (None, arch):
        return arch, (normalize or ("none" if manifest else None))
    own = manifest["arch"]
    if own in ARCHS and all(n in ARCHS[own].names for n in layers):
        log.info("backbone: using %s from the self-trained checkpoint instead of %s", own, arch)
        return own, normalize or "none"
    names = ARCHS.get(own, ARCHS[arch]).names
    raise UserError(f"checkpoint {weights} holds a {own}, which has no layer "
                    f"{next(n for n in layers if n not in names)!r} this loss taps; a loss with a layers=(…) "
                    f"keyword (vgg, pdl, style, …) can tap the {own}'s own ({', '.join(names)}), e.g. "
                    f"layers=({', '.join(repr(n) for n in names if n.startswith('layer')) or repr(names[-1])})")


class Backbone(nn.Module):
    """Frozen, eval-mode feature extractor tapping named layers.

    Args:
        arch: key of :data:`ARCHS`.
        layers: tap names, e.g. ``("relu1_2", "relu2_2")``; output dict keeps this order.
        weights: ``"pretrained"`` | ``"random"`` | a weights key | a checkpoint path | the name
            of a self-trained encoder in ``<torch hub dir>/plbench/selftrained/``.
        seed: seed of the random initialisation (``weights="random"``).
        pretrained: weights key used for ``"pretrained"`` (default: the architecture's).
        normalize: input normalisation (default: the architecture's, "imagenet").
        pool: ``"max"`` or ``"l2"`` (VGG only; DISTS's L2 pooling).
        allow_download: fetch a missing pretrained file (never when offline).
        fp32: run the trunk in a float32 region, forward and backward, even under autocast and
            with TF32 allowed (:mod:`benchmark.precision`: bf16 rounding of the features swamps
            the small pred/target difference near the identity). None (default): the policy,
            :data:`benchmark.precision.TRUNK_FP32` (float32); False: a bf16 trunk under autocast.
    Forward:
        x: (N, 3, H, W) float in [0, 1] (any float dtype: cast to the trunk's) → dict name → (N, C_l, H_l, W_l).
    """

    def __init__(self, arch: str, layers: Sequence[str], *, weights: str = "pretrained", seed: int = 0,
                 pretrained: str | None = None, normalize: str | None = None, pool: str = "max",
                 allow_download: bool = False, fp32: bool | None = None):
        super().__init__()
        layers = tuple(layers)
        weights = str(weights)
        if weights not in ("random", "pretrained") and weights not in W.known_files():
            found = W.find_checkpoint(weights)  # a path, or a self-trained encoder by name
            weights = str(found) if found is not None else weights
        arch, normalize = _adopt_selftrained(arch, layers, weights, normalize)
        spec = _check_arch(arch)
        if not layers:  # a loss's layers=() (style, swd, contextual, …): its argument named, with a layer to give
            raise no_layers(arch)
        unknown = [n for n in layers if n not in spec.names]
        if unknown:
            raise UserError(f"backbone {arch} has no layer {unknown[0]!r}; layers: {', '.join(spec.names)}")
        twice = [n for i, n in enumerate(layers) if n in layers[:i]]
        if twice:  # swd/pdl_proj failed at their first step (AttributeError), others counted the layer twice
            raise UserError(f"backbone {arch}: layer {twice[0]!r} is given twice in layers; name each layer once "
                            "(layer_weights weights them)")
        if pool != "max" and not arch.startswith("vgg"):
            raise UserError(f"pool={pool!r} is only available for VGG backbones")
        self.arch, self.layers, self.pool = arch, layers, pool
        self.fp32 = precision.TRUNK_FP32 if fp32 is None else bool(fp32)  # read now: the id reads it too
        depth = max(spec.names.index(n) for n in layers)
        self._order = [(spec.path(i), spec.names[i]) for i in range(depth + 1)]
        self._last = spec.names[depth]

        if weights == "random":
            state = _random_state(arch, int(seed), depth, pool)
            self.provenance = f"{arch}:random(seed={int(seed)})"
            source = self.provenance
            self.weight_files = {}
        else:
            if weights == "pretrained":
                key = pretrained or pretrained_key(arch)
            elif weights in W.known_files():
                key = weights
            else:
                key = None
            if key is not None:
                wf = W.get_file(key)
                if wf.arch and wf.arch != arch:
                    raise UserError(f"weights {key} are for {wf.arch}, not {arch}")
                normalize = normalize or wf.normalize  # e.g. SimCLR: trained on raw [0, 1] input
                path = W.resolve(key, allow_download=allow_download)
                state = W.load_state(path, wf.remap)
                self.provenance = key
                self.weight_files = {key: W.loaded_sha256(path)}  # hashed as read: a file replaced later is not it
            else:
                path = Path(weights).expanduser()
                if not path.is_file():
                    raise UserError(f"backbone {arch}: weights must be 'pretrained', 'random', a known "
                                    f"key, a checkpoint file or a self-trained encoder in "
                                    f"{W.cache_dir() / 'selftrained'}; not found: {path}"
                                    f"{W.weights_hint(str(weights))}")
                state = W.load_state(path, "strip_module")
                self.weight_files = {str(path.resolve()): W.file_sha256(path)}
                own, digest = (_selftrained_manifest(weights) or {}).get("provenance"), W.file_sha256(path)[:8]
                # a self-trained encoder's manifest names its recipe, not this file: the same flags pretrained again
                # (an edited folder, a GPU) or a file copied over it beside the old manifest is another encoder
                self.provenance = f"{own[:-1]},sha256={digest})" if own and own.endswith(")") else \
                    f"{own}(sha256={digest})" if own else f"{arch}:file({path.name},sha256={digest})"
            source = f"{self.provenance} ({path})"

        with torch.device("meta"):
            net = spec.build(depth, pool, False)
        net = net.to_empty(device="cpu")
        for buf_owner in net.modules():  # non-persistent buffers are not in any state_dict
            if isinstance(buf_owner, L2Pool):
                buf_owner.filter = L2Pool(buf_owner.filter.shape[0]).filter
        W.load_strict(net, state, source=source, ignore_prefixes=spec.ignore(depth))
        for m in net.modules():
            if isinstance(m, nn.ReLU):
                m.inplace = False
        net.requires_grad_(False)
        # Held outside the module tree: frozen weights are neither parameters (no optimiser ever
        # sees them) nor in state_dict (runs save only a loss's own trainable parts); ``_apply``
        # below still moves/casts them with ``.to(device)`` / ``.to(memory_format=...)``.
        # channels_last throughout: no slower in fp32, and on CPUs without native bf16 the
        # NCHW bf16 convolutions under autocast are ~15x slower than NHWC ones.
        object.__setattr__(self, "net", net.eval().to(memory_format=torch.channels_last))

        shift, scale, a, b = _normalizer(normalize or spec.normalize)
        self.normalize = normalize or spec.normalize
        self.register_buffer("_shift", torch.tensor(shift).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("_scale", torch.tensor(scale).view(1, 3, 1, 1), persistent=False)
        self._a, self._b = a, b

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        self.net._apply(fn, recurse)
        return self

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return ((self._a * x + self._b) - self._shift.to(x.dtype)) / self._scale.to(x.dtype)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.dim() == 4 and x.shape[1] not in (1, 3):  # was torch's 'size of tensor a (4) must match … b (3)'
            raise ValueError(f"backbone {self.arch}: an (N, C, H, W) input needs 1 or 3 channels (grey or RGB), "
                             f"got {x.shape[1]}")
        try:
            if self.fp32:
                return fp32_call(self._forward, x)
            return self._forward(x)
        except RuntimeError as exc:
            # torch's words were all a user got: 'Given input size: (192x1x1). Calculated output size:
            # (192x0x0). Output size is too small' — no trunk, no layer, no size that runs
            if not TOO_SMALL.search(str(exc)) or not 0 < min(x.shape[-2:]) < self.min_side():
                raise
            h, w = x.shape[-2:]
            raise RuntimeError(f"backbone {self.arch}: a {w}×{h} input is too small for layer "
                               f"{self._failing_layer(h, w)!r} "
                               f"(needs ≥ {self.min_side()} px per side): {str(exc).strip()}") from exc

    def _failing_layer(self, h: int, w: int) -> str:
        """The trunk layer whose pooling (or kernel) fails on an h×w input — not the deepest tap, which a user reads
        as the culprit (contextual at 2×2: pool2, not relu3_4). Runs the trunk layer by layer on zeros; the deepest
        tap if none fails that way."""
        p = next(self.net.parameters(), None)
        x = torch.zeros(1, 3, h, w, device=self._shift.device, dtype=p.dtype if p is not None else torch.float32)
        with torch.no_grad():
            x = self.normalise(x)
            for path, name in self._order:
                try:
                    x = self.net.get_submodule(path)(x)
                except RuntimeError as exc:
                    if TOO_SMALL.search(str(exc)):
                        return name
                    break
        return self._last

    def _runs_at(self, side: int) -> bool:
        """Does the trunk, up to its deepest tap, run on a ``side``-pixel square and leave every tap a map?"""
        try:
            with torch.no_grad():
                feats = type(self)._forward(self, torch.zeros(1, 3, side, side, device=self._shift.device))
        except RuntimeError as exc:
            if not TOO_SMALL.search(str(exc)):
                raise
            return False
        return all(min(f.shape[-2:]) >= 1 for f in feats.values())

    def min_side(self) -> int:
        """The smallest side (px) of an input on which every tapped layer has a feature map (pooling is per
        axis, so this bounds each side of a non-square input too). Found by running the (uncompiled) trunk on
        black squares, doubling then bisecting; computed once per trunk."""
        if getattr(self, "_min_side", None) is None:
            lo, hi = 0, 8  # lo fails (or is 0), hi is tried
            while not self._runs_at(hi):
                if hi >= _MAX_SIDE:  # no map at any size searched: claim none (the error stays torch's own)
                    self._min_side = 0
                    return 0
                lo, hi = hi, min(2 * hi, _MAX_SIDE)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if self._runs_at(mid) else (mid, hi)
            self._min_side = hi
        return self._min_side

    def _forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        w = next(self.net.parameters(), None)
        if w is not None and x.is_floating_point() and x.dtype != w.dtype:
            x = x.to(w.dtype)  # float64 (or half, outside autocast) images: the trunk's dtype, not a dtype error
        h = self.normalise(x).contiguous(memory_format=torch.channels_last)
        out: dict[str, torch.Tensor] = {}
        for path, name in self._order:
            h = self.net.get_submodule(path)(h)
            if name in self.layers:
                out[name] = h
        return {n: out[n] for n in self.layers}

    def channels(self) -> dict[str, int]:
        """Channel count of each tapped layer (one tiny forward pass)."""
        with torch.no_grad():
            feats = self(torch.zeros(1, 3, 64, 64, device=self._shift.device))
        return {k: v.shape[1] for k, v in feats.items()}

    def extra_repr(self) -> str:
        return f"arch={self.arch}, layers={self.layers}, provenance={self.provenance}"


#: the ``torch.compile`` backend of ``--compile`` (tests on the CPU use ``"eager"``/``"aot_eager"``)
COMPILE_BACKEND = "inductor"
#: dynamo's per-function recompile limit while compiling: every Backbone instance with its own layer
#: set adds a cache entry on one shared function, and ``plbench perf --compile`` holds many side by side
RECOMPILE_LIMIT = 64


def compile_fn(fn):
    """``torch.compile(fn)`` with :data:`COMPILE_BACKEND`, configured so compiled code never falls
    back to eager silently: the recompile limit is raised to :data:`RECOMPILE_LIMIT` and hitting it
    is an error (torch's default is a warning and eager execution from then on, while timings and
    the setting still say "compiled")."""
    import torch._dynamo.config as dynamo_config

    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, RECOMPILE_LIMIT)
    dynamo_config.fail_on_recompile_limit_hit = True
    return torch.compile(fn, backend=COMPILE_BACKEND)


def fresh_compile_caches() -> None:
    """Drop every compiled graph of this process (``torch._dynamo.reset``): the runner calls it at
    the start of each compiled run, so a worker's tenth feature loss compiles like its first instead
    of piling entries onto the functions the earlier runs compiled."""
    import torch._dynamo

    torch._dynamo.reset()


def compile_backbones(module: nn.Module) -> int:
    """Run every frozen :class:`Backbone` inside ``module`` through :func:`compile_fn` (its forward
    pass; the trunk is held outside the module tree, so compiling the loss module would miss it).
    Returns how many were compiled."""
    n = 0
    for m in module.modules():
        if isinstance(m, Backbone) and not getattr(m, "_compiled", False):
            m._forward = compile_fn(m._forward)
            m._compiled = True
            n += 1
    return n


def unit_normalize(f: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """LPIPS's channel normalisation f / ‖f‖₂ over channels, with ``eps`` *inside* the square
    root so the gradient stays finite where a feature vector is all zero (the lpips package puts
    it outside, which gives NaN gradients at exactly-zero features)."""
    return f * torch.rsqrt(f.pow(2).sum(1, keepdim=True) + eps)


def cosine_distance(a: torch.Tensor, b: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """1 − cos(a, b) along ``dim`` (that axis reduced): 0 at a == b and between two zero vectors, 1 between a zero
    vector and any other.

    Computed as ½‖â − b̂‖² with â = a/‖a‖ — the same number in exact arithmetic, without the cancellation of
    1 − ⟨a, b⟩/(‖a‖‖b‖): near a == b, where a net trained on it ends, cos is 1 − 1e-7 and float32's 1 − cos is
    rounding (0 or 1.5e-8 for a true 4e-9; rsqrt's own error is 3e-8). The losses' earlier form,
    1 − ⟨a, b⟩·rsqrt(‖a‖²‖b‖² + 1e-12), differed from this beyond rounding only where ‖a‖‖b‖ ≲ 3e-3, where its
    1e-12 made the cosine depend on the vectors' scale.
    Each vector is scaled by its largest entry before its norm (1 − cos is scale-free): float32's ‖a‖ is 0 for
    entries under ~1e-23 and inf over ~1e19, which read 1e29 or 0.5 whatever the angle.
    a, b: (…) float tensors of one shape; float32 or wider.
    """
    tiny = torch.finfo(a.dtype).tiny

    def unit(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(v/‖v‖, whether v is zero): v scaled to a largest entry of ±1 first, so its norm is in [1, √n]."""
        top = v.detach().abs().amax(dim, keepdim=True)  # a constant to the direction: no gradient through amax
        v = v / top.clamp_min(tiny)
        return v / torch.linalg.vector_norm(v, dim=dim, keepdim=True).clamp_min(tiny), (top == 0).squeeze(dim)

    (ua, za), (ub, zb) = unit(a), unit(b)
    gap = 0.5 * (ua - ub).pow(2).sum(dim)
    return torch.where(za != zb, torch.ones_like(gap), gap)  # two zero vectors: 0 − 0, gap 0


class FeatureLoss(nn.Module):
    """Base for losses on one :class:`Backbone`: holds it and exposes its provenance."""

    backbone: Backbone

    @property
    def provenance(self) -> str:
        return self.backbone.provenance

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.backbone(x)

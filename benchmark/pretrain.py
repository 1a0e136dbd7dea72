"""Self-trained perceptual backbones, pretrained by the harness on the benchmark's own images.

Two recipes, both contrastive and label-free:

``contrique`` (Madhusudana et al., IEEE TIP 2022; checked against the authors' code,
    github.com/pavancm/CONTRIQUE — read, not copied): classes are (distortion type × level),
    drawn from this harness's own task degradations (noise, ×2/×4 bicubic, Gaussian and motion
    blur, JPEG, Bayer demosaicing) plus other synthetic distortions (brightness, contrast,
    saturation, pixelation), and "pristine". ``batch_design="grid"`` (our choice, default): a
    batch is a few classes × a few image regions, so the same distortion on other content is a
    positive and other distortions of the same content are negatives and content cannot explain
    a class; ``"random"``: the authors' loader (random image, random class). Each sample gives
    two views — a crop at full scale and the same region at half scale (``view_scales="fixed"``, default: the
    first view always the full-scale one; ``"random"``: drawn per sample, as the authors' loader), mirrored together
    (``view_flips="shared"``, default) or each on its own (``"independent"``, as the authors' loader) — each in a
    random colour space as the authors' loader (RGB, grey, LAB as PIL's 8-bit encoding with L* in [0, 1],
    HSV, local mean subtracted and min–max rescaled). The last feature map (``stages``: more
    stages, each with its own head, as an option) is pooled 2×2 into 4 patch vectors per view,
    L2-normalised and projected by the authors' head (Linear → BN → ReLU → Linear → BN, each
    view on its own), and trained with the multi-class NT-Xent loss (τ = 0.1): every patch of
    the same class is a positive. Linear warm-up (10 %) then cosine decay, as the authors'
    schedule; Adam instead of their SGD at lr 0.6 with batch 1024 (a CPU-sized batch). Not reproduced: the
    authors' authentically distorted images (AVA, COCO, CERTH-Blur, VOC; half of each batch), each image its own
    class — the benchmark's sources are clean photographs, whose undistorted crops are the one "pristine" class,
    so the encoder learns synthetic distortions only. BatchNorm
    statistics are then re-estimated on RGB inputs, which is what a loss feeds the frozen encoder.
``simclr`` (Chen et al., ICML 2020): two views per crop with random resized crop, flips, colour
    jitter, grey and blur; global-pooled vectors, NT-Xent with each crop its own class.

The output is a checkpoint in the weights cache (``<torch hub dir>/plbench/selftrained/``) whose
``state_dict`` uses the key names of :mod:`benchmark.backbones` for that architecture, plus a
manifest (recipe, architecture, dataset fingerprint, steps, seed, final loss) inside the file
and beside it as JSON. Any feature loss takes it with ``weights=<path>``; the run records the
provenance ``<arch>:selftrained(<recipe>, …)``.

Training is deterministic on the CPU for a seed (on :data:`CPU_THREADS` threads, whatever the machine's cores) on
one instruction set and torch version, which the sidecar JSON names (:func:`made_on`: AVX2 and AVX-512 make other
bytes, hence other run ids);
an interrupted run resumes from ``<name>.state.pt`` (saved atomically every ``save_every`` steps).

What is shown to work (issue 15, :func:`probe` with the same BatchNorm recalibration for every
encoder): ``data=<BSD200>, steps=1500`` (tinycnn, 32 × 64² crops, ~17 min on 2 CPU cores) beats
three random inits on held-out skimage:test, CSet14 and Kodak24, k-NN and linear, with the paired
95 % interval of the gain above 0; the 6 embedded ``skimage:train`` images are too little content
for the authors' projector (500 or 1500 steps: below random on skimage:test, k-NN).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmark import data as _data  # load_images at each call, not bound at import (under a test's patch: for good)
from benchmark.data import DataSpec, ImageRecord, fingerprint, to_float, usable_for_crop
from benchmark.docmarkup import plural
from benchmark.errors import UserError
from benchmark.weights import read_manifest  # noqa: F401 - part of this module's API

log = logging.getLogger(__name__)
RECIPES = ("contrique", "simclr")


@dataclass(frozen=True)
class PretrainConfig:
    """Everything that determines a pretrained encoder."""

    recipe: str = "contrique"
    arch: str = "tinycnn"
    data: str = "skimage:train"
    steps: int = 500
    batch_size: int = 32
    crop: int = 64
    lr: float = 2e-3
    warmup: float = 0.1
    tau: float = 0.1
    proj_dim: int = 128
    classes_per_batch: int = 8
    batch_design: str = "grid"
    stages: tuple[str, ...] = ("layer4",)
    lab_ab: str = "offset"
    colour_spaces: bool = True
    bn_recalibrate: bool = True
    seed: int = 0
    #: which view holds which scale (``contrique``): ``"fixed"`` (ours, the default) the full-scale crops first and
    #: the ×0.5 regions second, so the projector's BatchNorm1d normalises each scale with its own statistics;
    #: ``"random"`` the authors' loader, which draws ``div_factor`` ∈ {1, 2} per sample: each view mixes both scales
    view_scales: str = "fixed"
    #: how the views are mirrored (``contrique``): ``"shared"`` (ours, the default) each region flipped with
    #: probability ½ before both views are cut from it, so a view is never the mirror of the other;
    #: ``"independent"`` the authors' loader, whose ``RandomHorizontalFlip(0.5)`` acts on each view on its own
    view_flips: str = "shared"

    def __post_init__(self):
        from benchmark.data import _split_source, check_not_empty, without_hub_slash

        check_not_empty([self.data], "data")  # PretrainConfig(data=''): as the CLI's --data '' (not a bare line later)

        source = _split_source(str(self.data))[0]  # `--data me/photos/`: the source `me/photos` is, its one file
        if (one := without_hub_slash(source)) != source and str(self.data).startswith(source):
            object.__setattr__(self, "data", one + str(self.data)[len(source):])
        if self.recipe not in RECIPES:
            raise UserError(f"unknown recipe {self.recipe!r}; choose from {', '.join(RECIPES)}")
        if not self.stages:
            raise UserError("stages must name at least one trunk stage")
        if self.batch_design not in ("grid", "random"):
            raise UserError(f"batch_design must be 'grid' or 'random', not {self.batch_design!r}")
        if self.view_scales not in ("fixed", "random"):
            raise UserError(f"view_scales must be 'fixed' or 'random', not {self.view_scales!r}")
        if self.view_flips not in ("shared", "independent"):
            raise UserError(f"view_flips must be 'shared' or 'independent', not {self.view_flips!r}")
        if self.lab_ab not in ("offset", "wrap"):  # read only when a batch draws LAB: checked here, before any step
            raise UserError(f"lab_ab must be 'offset' or 'wrap', not {self.lab_ab!r}")
        if self.recipe != "contrique":  # simclr draws its own views: a contrique setting would change the file only
            for k, default in _CONTRIQUE_ONLY.items():
                if (tuple(getattr(self, k)) if k == "stages" else getattr(self, k)) != default:
                    raise UserError(f"{k}={getattr(self, k)!r} is a contrique setting that recipe {self.recipe} does "
                                    f"not use (its own views): leave it at {default!r} or use --recipe contrique")
        for k in ("steps", "batch_size", "crop", "proj_dim"):  # proj_dim 0: an IndexError at the first step
            if getattr(self, k) <= 0:
                raise UserError(f"{k} must be positive, got {getattr(self, k)}")
        if self.batch_size < 2:  # NT-Xent needs negatives; BatchNorm, two samples per channel
            raise UserError(f"batch_size must be at least 2 for contrastive pretraining, got {self.batch_size}")
        # as a run's (RunConfig): `--lr -1` was Adam's traceback, `--lr 0` 500 steps that learn nothing
        if not self.lr > 0 or not math.isfinite(self.lr):
            raise UserError(f"lr must be positive and finite, got {self.lr}")
        if not self.tau > 0 or not math.isfinite(self.tau):  # tau -0.1 trained away from its positives, 0 diverged
            raise UserError(f"tau must be positive and finite, got {self.tau}")
        if not 0 <= self.warmup <= 1:  # a fraction of the steps: -1 or 2 trained unsaid, at another schedule's name
            raise UserError(f"warmup must be a fraction of the steps in [0, 1], got {self.warmup}")
        if not 0 <= self.seed < 2**63:
            raise UserError(f"seed must be in [0, 2**63), got {self.seed}")
        self._check_crop()
        k = len(distortion_classes()) + 1 if self.recipe == "contrique" else 0  # and pristine
        if k and not 1 <= self.classes_per_batch <= k:  # 0 drew one class, 100 all k, each under another file name
            raise UserError(f"classes_per_batch must be in [1, {k}] (the {k - 1} distortion classes and pristine), "
                            f"got {self.classes_per_batch}")

    def grid_shape(self) -> tuple[int, int]:
        """``contrique``'s grid batch (:func:`contrique_batch`): (classes, regions per class); it trains their
        product, which is ``batch_size`` only where ``classes_per_batch`` divides it."""
        k = len(distortion_classes()) + 1
        n_cls = max(1, min(self.classes_per_batch, k, self.batch_size))
        return n_cls, max(1, self.batch_size // n_cls)

    def grid_note(self) -> str:
        """Why a ``contrique`` grid batch trains other than ``batch_size`` samples of ``classes_per_batch`` classes
        (``batch_size`` 10 with 8 classes trains 8 samples, 4 gets 4 classes), in one line, or "": said at planning,
        the setting kept (the encoder's file name stays that of the config)."""
        if self.recipe != "contrique" or self.batch_design != "grid":
            return ""
        n_cls, n_reg = self.grid_shape()
        if n_cls * n_reg == self.batch_size and n_cls == self.classes_per_batch:
            return ""
        c, b = self.classes_per_batch, self.batch_size
        fits = " or ".join(map(str, sorted({max(c, b - b % c), b - b % c + c})))
        said = (f"contrique: a batch size of {b} with {c} classes per batch trains grid batches of {n_cls * n_reg} "
                f"samples ({n_cls} classes × {plural(n_reg, 'region')} each)")
        if n_cls < c:
            return f"{said}, not {c} classes: use a batch size that is a multiple of {c} ({fits}) or {b} classes"
        return f"{said}, not {b}: use a batch size that is a multiple of {c} ({fits})"

    def _check_crop(self) -> None:
        """``crop`` what every distortion class's task cuts (:func:`crop_rule`): the crop-px crops BatchNorm is
        recalibrated on and the probe distorts, as ``contrique``'s 2·crop region, go through each class, so ``--crop
        10`` (its region 20 px fits) was the ×4 bicubic class's ValueError after the last step, ``--crop 2`` a
        convolution's, after the data was read."""
        step, least = crop_rule()
        if self.crop < least or self.crop % step:
            below = self.crop - self.crop % step
            fits = " or ".join(map(str, sorted({max(least, below), max(least, below + step)})))
            raise UserError(f"crop {self.crop}: every distortion class cuts the crops (BatchNorm recalibration, the "
                            f"probe) and takes a multiple of {step} px from {least}: use {fits}")

    @property
    def name(self) -> str:
        """File name: the readable fields, then a hash of every field (two settings never share a file)."""
        data = DataSpec.parse(self.data).name.replace("/", "_").replace(":", "-")
        return f"{self.recipe}-{self.arch}-{data}-s{self.seed}-{self.steps}-{self.digest}"

    @property
    def digest(self) -> str:
        """A hash of every field — but of a field added later at its default (:data:`_LATER`), whose encoders were
        trained before it existed: their files keep their names."""
        return hashlib.sha256(json.dumps(_without_later(asdict(self)), sort_keys=True).encode()).hexdigest()[:6]


#: :class:`PretrainConfig` fields only the ``contrique`` recipe reads, with their defaults (the dataclass's, read off
#: it: one place to change one): refused at any other value under ``simclr``, which would train the same encoder under
#: another file name
_CONTRIQUE_ONLY = {k: PretrainConfig.__dataclass_fields__[k].default for k in (
    "view_scales", "view_flips", "batch_design", "classes_per_batch", "colour_spaces", "lab_ab", "stages")}


#: fields added to :class:`PretrainConfig` after encoders were cached, with the value that reproduces those encoders:
#: written out, not read off the dataclass (a default changed later must not give its encoders the old files' names)
_LATER = {"view_scales": "fixed", "view_flips": "shared"}


def _without_later(fields: dict) -> dict:
    """``fields`` (a :class:`PretrainConfig` as a dict) without the fields of :data:`_LATER` at their default."""
    return {k: v for k, v in fields.items() if not (k in _LATER and v == _LATER[k])}


# --------------------------------------------------------------------------------------------
# encoder = the backbone trunk, trainable
# --------------------------------------------------------------------------------------------
class Trunk(nn.Module):
    """A :mod:`benchmark.backbones` architecture, whole and trainable; state_dict keys match the
    frozen :class:`~benchmark.backbones.Backbone` of the same architecture."""

    def __init__(self, arch: str):
        super().__init__()
        from benchmark.backbones import ARCHS

        if arch not in ARCHS:
            raise UserError(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}")
        spec = ARCHS[arch]
        depth = len(spec.names) - 1
        self.container = spec.build(depth, "max", True)
        self.paths = [spec.path(i) for i in range(depth + 1)]
        # spec.names may list a module twice (e.g. VGG relu taps); run each module once
        self.paths = list(dict.fromkeys(self.paths))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, H, W) (already colour-transformed) → last feature map (N, C, h, w)."""
        for p in self.paths:
            x = self.container.get_submodule(p)(x)
        return x

    def taps(self, x: torch.Tensor, names: tuple[str, ...]) -> dict[str, torch.Tensor]:
        """The feature maps after the modules named ``names`` (e.g. ``("layer3", "layer4")``)."""
        out = {}
        for p in self.paths:
            x = self.container.get_submodule(p)(x)
            if p in names:
                out[p] = x
        missing = [n for n in names if n not in out]
        if missing:
            raise UserError(f"the trunk has no stage {missing[0]!r}; stages: {', '.join(self.paths)}")
        return out


class Projector(nn.Module):
    """CONTRIQUE's projector (``modules/CONTRIQUE_model.py``): the pooled vector is L2-normalised
    (``normalize=True``), then Linear(C, C, no bias) → BatchNorm1d → ReLU → Linear(C, out, no
    bias) → BatchNorm1d; the output is L2-normalised for the NT-Xent similarity."""

    def __init__(self, c: int, out: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(c, c, bias=False), nn.BatchNorm1d(c), nn.ReLU(),
                                 nn.Linear(c, out, bias=False), nn.BatchNorm1d(out))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(F.normalize(v, dim=-1)), dim=-1)


def lr_factor(step: int, steps: int, warmup: float) -> float:
    """The authors' ``LinearWarmupAndCosineAnneal``: linear warm-up over the first ``warmup``
    fraction of the steps, then cosine annealing (here to 1 % of the peak, not 0)."""
    warm = int(round(warmup * steps))
    if step < warm:
        return (step + 1) / warm
    t = (step - warm) / max(1, steps - warm)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


def nt_xent(z: torch.Tensor, labels: torch.Tensor, tau: float) -> torch.Tensor:
    """Multi-class NT-Xent (supervised-contrastive form). z: (M, d) unit vectors, labels: (M,).

    For each anchor, the mean over its positives (same label, not itself) of
    −log softmax(sim/τ) over all other samples. Anchors without positives are ignored.
    """
    sim = z @ z.t() / tau
    m = z.shape[0]
    eye = torch.eye(m, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(eye, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    n_pos = pos.sum(1)
    keep = n_pos > 0
    per_anchor = -(log_prob.masked_fill(~pos, 0).sum(1)[keep] / n_pos[keep])
    return per_anchor.mean()


# --------------------------------------------------------------------------------------------
# distortions (CONTRIQUE classes) and colour spaces
# --------------------------------------------------------------------------------------------
def distortion_classes() -> list[tuple[str, object]]:
    """[(class name, fn(x (N,3,H,W) in [0,1], generator) → same)], type × level."""
    from benchmark.task import build_task

    def task(name, **p):
        t = build_task(name, **p)
        return t.degrade

    def brightness(f):
        return lambda x, g: (x * f).clamp(0, 1)

    def contrast(f):
        return lambda x, g: ((x - x.mean((1, 2, 3), keepdim=True)) * f + x.mean((1, 2, 3), keepdim=True)).clamp(0, 1)

    def saturation(f):
        def fn(x, g):
            grey = (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:])
            return (grey + f * (x - grey)).clamp(0, 1)
        return fn

    def pixelate(s):
        def fn(x, g):
            h, w = x.shape[-2:]
            return F.interpolate(F.interpolate(x, scale_factor=1 / s, mode="area"), size=(h, w), mode="nearest")
        return fn

    return [(name, task(t, **p)) for name, t, p in _TASK_DISTORTIONS] + [
        ("dark_0.6", brightness(0.6)), ("bright_1.4", brightness(1.4)), ("contrast_0.5", contrast(0.5)),
        ("desat_0.2", saturation(0.2)), ("pixelate_4", pixelate(4)),
    ]


#: the distortion classes a task's degradation makes, first in :func:`distortion_classes`' order: (class, task,
#: parameters)
_TASK_DISTORTIONS = (
    ("noise_10", "denoise", dict(sigma=10 / 255)), ("noise_25", "denoise", dict(sigma=25 / 255)),
    ("noise_50", "denoise", dict(sigma=50 / 255)),
    ("bicubic_x2", "sr4", dict(scale=2)), ("bicubic_x4", "sr4", dict(scale=4)),
    ("gblur_1", "deblur", dict(p_motion=0.0, gaussian_sigma=(1.0, 1.0), noise_sigma=0.0)),
    ("gblur_2.5", "deblur", dict(p_motion=0.0, gaussian_sigma=(2.5, 2.5), noise_sigma=0.0)),
    ("motion_7", "deblur", dict(p_motion=1.0, motion_length=(7.0, 7.0), noise_sigma=0.0)),
    ("motion_13", "deblur", dict(p_motion=1.0, motion_length=(13.0, 13.0), noise_sigma=0.0)),
    ("jpeg_30", "jpeg", dict(quality=30)), ("jpeg_10", "jpeg", dict(quality=10)),
    ("mosaic", "demosaic", {}),
)


def crop_rule() -> tuple[int, int]:
    """What a side the distortion classes act on (a crop, ``contrique``'s 2·crop region) must be: a multiple of every
    task distortion class's size multiple, and at least twice the largest (:meth:`benchmark.task.Task.min_crop`'s rule;
    ×4 bicubic: a multiple of 4 from 8 px)."""
    from benchmark.task import build_task

    multiples = [int(build_task(t, **p).size_multiple) for _, t, p in _TASK_DISTORTIONS]
    return math.lcm(*multiples), 2 * max(multiples)


def _rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    r, g, b = x.unbind(1)
    mx, _ = x.max(1)
    mn, _ = x.min(1)
    d = mx - mn
    h = torch.zeros_like(mx)
    nz = d > 1e-8
    h = torch.where(nz & (mx == r), ((g - b) / (d + 1e-8)) % 6, h)
    h = torch.where(nz & (mx == g) & (mx != r), (b - r) / (d + 1e-8) + 2, h)
    h = torch.where(nz & (mx == b) & (mx != r) & (mx != g), (r - g) / (d + 1e-8) + 4, h)
    s = torch.where(mx > 1e-8, d / (mx + 1e-8), torch.zeros_like(mx))
    return torch.stack([h / 6, s, mx], 1)


# sRGB (D65) → XYZ relative to D50, Bradford-adapted: the ICC profile connection space that
# PIL.ImageCms (littleCMS) converts through with createProfile("LAB"), whose default white is D50
_SRGB_TO_XYZ_D50 = ((0.4360747, 0.3850649, 0.1430804),
                    (0.2225045, 0.7168786, 0.0606169),
                    (0.0139322, 0.0971045, 0.7141733))
_D50_WHITE = (0.9642, 1.0, 0.8249)


def _rgb_to_lab(x: torch.Tensor, ab: str = "offset") -> torch.Tensor:
    """sRGB → CIELAB (D50, as PIL's ``ImageCms`` sRGB → ``createProfile("LAB")`` of the authors'
    loader), as a 3-channel image in [0, 1]: L* / 100 (PIL stores L* · 255/100, ``ToTensor``
    divides by 255), and a*, b* encoded by ``ab``:

    * ``"offset"`` (default): (a* + 128) / 255 — continuous, neutral grey at 0.5;
    * ``"wrap"``: (a* mod 256) / 255 — the tensors the authors' code actually produces (PIL keeps
      a*, b* as signed bytes, so ``ToTensor`` maps −1 to 255/255 and +1 to 1/255), a jump at
      every neutral colour that we read as an artefact of PIL's storage, not the method.
    """
    lin = torch.where(x > 0.04045, ((x.clamp_min(0) + 0.055) / 1.055) ** 2.4, x / 12.92)
    m = torch.tensor(_SRGB_TO_XYZ_D50, dtype=x.dtype, device=x.device)
    xyz = torch.einsum("ij,njhw->nihw", m, lin)
    xyz = xyz / torch.tensor(_D50_WHITE, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    eps, kappa = 216 / 24389, 24389 / 27
    f = torch.where(xyz > eps, xyz.clamp_min(1e-8) ** (1 / 3), (kappa * xyz + 16) / 116)
    lum = (116 * f[:, 1] - 16) / 100
    a, b = 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])
    if ab == "wrap":
        a, b = torch.remainder(a, 256) / 255, torch.remainder(b, 256) / 255
    elif ab == "offset":
        a, b = (a + 128) / 255, (b + 128) / 255
    else:
        raise UserError(f"lab encoding must be 'offset' or 'wrap', not {ab!r}")
    return torch.stack([lum, a, b], 1).clamp(0, 1)


def _symmetric_pad(x: torch.Tensor, p: int) -> torch.Tensor:
    """Half-sample symmetric padding (d c b a | a b c d), scipy.ndimage's ``mode="reflect"``."""
    x = torch.cat([x[..., :p].flip(-1), x, x[..., -p:].flip(-1)], -1)
    return torch.cat([x[..., :p, :].flip(-2), x, x[..., -p:, :].flip(-2)], -2)


def _local_mean_subtracted(x: torch.Tensor) -> torch.Tensor:
    """The authors' "MS transform" (``modules/dataset_loader.py``): per channel, subtract the
    local mean (7-tap Gaussian, σ = 7/6, scipy "reflect" borders), then rescale the result to
    [0, 1] with the image's own min and range (+1e-3 on the 0–255 scale, i.e. 1e-3/255 here)."""
    from losses.ssim import _filter

    mu = _filter(_symmetric_pad(x, 3), 7, 7 / 6)
    d = x - mu
    lo = d.amin((2, 3), keepdim=True)
    hi = d.amax((2, 3), keepdim=True)
    return (d - lo) / (hi - lo + 1e-3 / 255)


COLOUR_SPACES = {
    "rgb": lambda x: x,
    "grey": lambda x: (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:]).expand(-1, 3, -1, -1),
    "lab": _rgb_to_lab,
    "hsv": _rgb_to_hsv,
    "lms": _local_mean_subtracted,
}


def random_colour_space(x: torch.Tensor, g: torch.Generator, lab_ab: str = "offset") -> torch.Tensor:
    """Each image of the batch in a random one of :data:`COLOUR_SPACES` (uniform, RGB included,
    as the authors' ``np.random.choice([0, 1, 2, 3, 4])``); ``lab_ab``: see :func:`_rgb_to_lab`."""
    names = list(COLOUR_SPACES)
    pick = torch.randint(len(names), (x.shape[0],), generator=g).tolist()
    return torch.cat([_rgb_to_lab(x[i:i + 1], lab_ab) if names[k] == "lab" else COLOUR_SPACES[names[k]](x[i:i + 1])
                      for i, k in enumerate(pick)])


# --------------------------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------------------------
def _crops(images: list[ImageRecord], n: int, size: int, g: torch.Generator) -> tuple[torch.Tensor, list[int]]:
    out, which = [], []
    for _ in range(n):
        i = int(torch.randint(len(images), (1,), generator=g))
        px = images[i].pixels
        h, w = px.shape[-2:]
        t = int(torch.randint(h - size + 1, (1,), generator=g))
        l = int(torch.randint(w - size + 1, (1,), generator=g))
        patch = px[:, t:t + size, l:l + size]
        if float(torch.rand(1, generator=g)) < 0.5:
            patch = patch.flip(-1)
        out.append(patch)
        which.append(i)
    return torch.stack([to_float(p) for p in out]), which  # per crop: 8- and 16-bit images may mix


def contrique_batch(images, cfg: PretrainConfig, classes, g: torch.Generator, step: int,
                    device: str | torch.device = "cpu"):
    """Two views (full scale, half scale) of distorted regions and their class labels.

    ``cfg.batch_design``:
      * ``"grid"`` (our reading, default): ``n_cls = cfg.classes_per_batch`` classes drawn from
        the distortion classes plus "pristine", each applied to the same ``cfg.batch_size //
        n_cls`` regions. The same distortion on other content is a positive and other
        distortions of the same content are negatives, so content cannot explain the classes.
      * ``"random"`` (the authors' loader): every sample is a random region in a random class
        (pristine included); samples that happen to share a class are positives.
    Views: the region (2·crop px) distorted once, one view a crop-px window of it at full scale, the other the
    whole region at ×0.5 (bilinear, antialiased, as the authors' torchvision ``Resize`` on a PIL image), each in
    its own random colour space as the authors' ``image_data``. Not theirs: their two views are independent random
    crops of the whole image, one at each scale, so the full-scale view need not lie inside the ×0.5 one; ours
    always does (the window of the region the ×0.5 view shows whole).
    ``cfg.view_scales="fixed"``: the full-scale view first, the ×0.5 second; ``"random"``: per sample, which
    view holds which scale drawn with probability ½ (the authors' ``div_factor``).
    ``cfg.view_flips="shared"``: the region flipped (probability ½) before both views are cut; ``"independent"``:
    each view also flipped on its own with probability ½, so the two are mirrored independently, as the authors'
    per-view ``RandomHorizontalFlip(0.5)``.
    Distortions and colour spaces run on ``device``. Returns (full (B,3,crop,crop), half
    (B,3,crop,crop), labels (B,)) on ``device``.
    """
    k = len(classes) + 1  # the last class is pristine

    def distort(x, c):
        return x if c == k - 1 else classes[c][1](x, g).float().clamp(0, 1)

    if cfg.batch_design == "random":
        region, _ = _crops(images, cfg.batch_size, 2 * cfg.crop, g)
        region = region.to(device)
        pick = torch.randint(k, (cfg.batch_size,), generator=g).tolist()
        distorted = torch.cat([distort(region[i:i + 1], c) for i, c in enumerate(pick)])
        labels = torch.tensor(pick)
    else:
        n_cls, n_reg = cfg.grid_shape()  # batch_size cut to a multiple of the classes (said at planning)
        region, _ = _crops(images, n_reg, 2 * cfg.crop, g)
        region = region.to(device)
        pick = torch.randperm(k, generator=g)[:n_cls].tolist()
        distorted = torch.cat([distort(region, c) for c in pick])
        labels = torch.tensor(pick).repeat_interleave(n_reg)
    t = int(torch.randint(cfg.crop + 1, (1,), generator=g))
    l = int(torch.randint(cfg.crop + 1, (1,), generator=g))
    full = distorted[..., t:t + cfg.crop, l:l + cfg.crop]
    half = F.interpolate(distorted, scale_factor=0.5, mode="bilinear", antialias=True,
                         align_corners=False).clamp(0, 1)
    if cfg.view_flips == "independent":  # the authors' flip of each view: on top of the region's, each view's own
        flips = [torch.rand(v.shape[0], generator=g) < 0.5 for v in (full, half)]
        full, half = (torch.where(f.to(v.device)[:, None, None, None], v.flip(-1), v)
                      for v, f in zip((full, half), flips))
    if cfg.view_scales == "random":  # the authors' div_factor per sample: each view a mix of both scales
        swap = (torch.rand(full.shape[0], generator=g) < 0.5).to(full.device)[:, None, None, None]
        full, half = torch.where(swap, half, full), torch.where(swap, full, half)
    labels = labels.to(device)
    if not cfg.colour_spaces:
        return full, half, labels
    return random_colour_space(full, g, cfg.lab_ab), random_colour_space(half, g, cfg.lab_ab), labels


def simclr_views(x: torch.Tensor, cfg: PretrainConfig, g: torch.Generator) -> torch.Tensor:
    """SimCLR augmentations, parameters drawn from ``g``. x: (N, 3, S, S) → (N, 3, crop, crop)."""
    import torchvision.transforms.v2.functional as TF

    out = []
    s = x.shape[-1]
    for img in x:
        area = float(torch.empty(1).uniform_(0.3, 1.0, generator=g)) * s * s
        side = int(min(s, max(8, math.sqrt(area))))
        t = int(torch.randint(s - side + 1, (1,), generator=g))
        l = int(torch.randint(s - side + 1, (1,), generator=g))
        v = TF.resized_crop(img, t, l, side, side, [cfg.crop, cfg.crop], antialias=True)
        if float(torch.rand(1, generator=g)) < 0.5:
            v = v.flip(-1)
        if float(torch.rand(1, generator=g)) < 0.8:
            b, c, sat = (float(torch.empty(1).uniform_(0.6, 1.4, generator=g)) for _ in range(3))
            v = TF.adjust_saturation(TF.adjust_contrast(TF.adjust_brightness(v, b), c), sat)
        if float(torch.rand(1, generator=g)) < 0.2:
            v = TF.rgb_to_grayscale(v, num_output_channels=3)
        if float(torch.rand(1, generator=g)) < 0.5:
            v = TF.gaussian_blur(v, [5, 5], [float(torch.empty(1).uniform_(0.1, 1.5, generator=g))])
        out.append(v.clamp(0, 1))
    return torch.stack(out)


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------
def dataset_fingerprint(images: list[ImageRecord]) -> str:
    """SHA-256 (16 hex digits) over every image's id, shape, dtype and *all* its pixel bytes
    (:func:`benchmark.data.fingerprint`, longer: it names checkpoint manifests)."""
    return fingerprint(images, digits=16)


def output_path(cfg: PretrainConfig, out_dir: str | Path | None = None) -> Path:
    from benchmark.weights import cache_dir

    return Path(out_dir or cache_dir() / "selftrained").expanduser() / f"{cfg.name}.pt"


def _atomic_save(obj, path: Path) -> None:
    from benchmark.results import atomic_write_bytes

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


#: seconds between two progress lines of :func:`pretrain` in the log (a bar only shows in a terminal)
PROGRESS_LOG_SECONDS = 30.0


#: the intra-op threads pretraining on the CPU runs on, whatever this process's count: a CPU's numbers depend on the
#: thread count (its reductions are split by it: 1, 2 and 4 threads gave three checkpoints of one config), so a SLURM
#: worker of 32 cores and a 2-core head node make the same file — whose SHA-256 csr's run ids hold
#: (:func:`benchmark.weights.weights_fingerprint`) — where their CPUs run the same kernels (AVX-512's may differ from
#: AVX2's). The small encoders self-trained on a CPU lose little on one (4–8× faster on this project's loaded 2-core
#: machine than on 2)
CPU_THREADS = 1


def threads_on(device: str | torch.device) -> int:
    """The intra-op threads :func:`pretrain` runs on on ``device``: :data:`CPU_THREADS` on the CPU, else this
    process's count."""
    return CPU_THREADS if torch.device(device).type == "cpu" else torch.get_num_threads()


def pretrain(cfg: PretrainConfig, out_dir: str | Path | None = None, device: str | torch.device = "cpu",
             save_every: int = 50, progress: bool = False, images: list[ImageRecord] | None = None,
             log_every_s: float = PROGRESS_LOG_SECONDS, quiet: bool = False) -> Path:
    """Train an encoder with ``cfg.recipe``; returns the checkpoint path. Resumes if interrupted. On the CPU on
    :data:`CPU_THREADS` threads (this process's count given back after): the same bytes on every machine of one
    instruction set.

    Without a bar (``progress=False``: worker logs, a run that self-trains its encoder first —
    ``csr``'s ``encoder="auto"`` — which would otherwise print nothing for minutes) it logs (INFO)
    a line at the first and last step and at most every ``log_every_s`` seconds between: step,
    loss, steps/s and the time left. With the bar, the bar shows it (no line cuts through it). ``quiet``: no INFO line
    at all (:func:`estimate_seconds`' few timed steps). The manifest records ``loop_s``, the steps' own seconds (not
    the images' reading nor the BatchNorm recalibration, which ``wall_s`` includes).
    """
    from benchmark.devices import torch_threads

    if isinstance(save_every, bool) or not isinstance(save_every, int) or save_every < 0:  # 0 divided at step 1
        raise UserError(f"save_every must be 0 (never) or a positive number of steps, got {save_every!r}")
    if not quiet and (note := cfg.grid_note()):
        log.warning("%s", note)
    device = torch.device(device)
    with torch_threads(threads_on(device)):
        return _pretrain(cfg, out_dir, device, save_every, progress, images, log_every_s, quiet)


def _pretrain(cfg: PretrainConfig, out_dir: str | Path | None, device: torch.device, save_every: int,
              progress: bool, images: list[ImageRecord] | None, log_every_s: float, quiet: bool) -> Path:
    """:func:`pretrain`'s work, on the threads it set."""
    from tqdm import tqdm

    path = output_path(cfg, out_dir)
    state_path = path.with_suffix(".state.pt")
    info = (lambda *a: None) if quiet else log.info
    if path.exists():
        info("encoder already pretrained: %s", path)
        return path
    spec = DataSpec.parse(cfg.data)
    images = images or usable_for_crop(_data.load_images(spec), 2 * cfg.crop, spec)
    classes = distortion_classes() if cfg.recipe == "contrique" else []
    torch.manual_seed(cfg.seed)
    trunk = Trunk(cfg.arch).to(device)
    stages = tuple(cfg.stages) if cfg.recipe == "contrique" else (trunk.paths[-1],)
    with torch.no_grad():
        widths = {k: v.shape[1] for k, v in trunk.taps(torch.zeros(2, 3, cfg.crop, cfg.crop, device=device),
                                                         stages).items()}
    if stages == ("layer4",) or cfg.recipe != "contrique":
        proj = Projector(widths[stages[0]], cfg.proj_dim).to(device)  # one head: the paper's (and old keys)
    else:
        proj = nn.ModuleDict({k: Projector(w, cfg.proj_dim) for k, w in widths.items()}).to(device)
    params = list(trunk.parameters()) + list(proj.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(i, cfg.steps, cfg.warmup))
    g = torch.Generator().manual_seed(cfg.seed)
    start, curve = 0, []
    if state_path.exists():
        st = torch.load(state_path, map_location=device, weights_only=True)
        if _without_later(st.get("config") or {}) == _without_later(asdict(cfg)):  # state saved before a field
            trunk.load_state_dict(st["trunk"])
            proj.load_state_dict(st["proj"])
            opt.load_state_dict(st["opt"])
            sched.load_state_dict(st["sched"])
            g.set_state(st["gen"])
            torch.set_rng_state(st["rng"])
            start, curve = int(st["step"]), [tuple(x) for x in st["curve"]]
            info("resuming pretraining %s at step %d", cfg.name, start)
    trunk.train()
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                else torch.autocast("cpu", enabled=False))
    t0 = last_log = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=start, desc=f"pretrain {cfg.name}", disable=not progress, leave=False)
    loss_val = float("nan")
    for step in range(start, cfg.steps):
        if cfg.recipe == "contrique":
            a, b, labels = contrique_batch(images, cfg, classes, g, step, device)
        else:
            x, _ = _crops(images, cfg.batch_size, 2 * cfg.crop, g)
            x = x.to(device)
            a, b = simclr_views(x, cfg, g), simclr_views(x, cfg, g)
            labels = torch.arange(cfg.batch_size)
        with autocast:
            if cfg.recipe == "contrique":
                ta, tb = trunk.taps(a.to(device), stages), trunk.taps(b.to(device), stages)
                lab = labels.to(device).repeat_interleave(4)
                terms = []
                for k in stages:  # 4 patch vectors per view (2×2 pooling) of each supervised stage
                    head = proj if isinstance(proj, Projector) else proj[k]
                    va = F.adaptive_avg_pool2d(ta[k], 2).flatten(2).transpose(1, 2).reshape(-1, widths[k])
                    vb = F.adaptive_avg_pool2d(tb[k], 2).flatten(2).transpose(1, 2).reshape(-1, widths[k])
                    # each view through the projector on its own, as the authors' model; its BatchNorm1d
                    # normalises each scale with its own statistics under view_scales="fixed" (ours), a mix of both
                    # under "random" (the authors' loader draws the scale of each view per sample)
                    z = torch.cat([head(va.float()), head(vb.float())])
                    terms.append(nt_xent(z, torch.cat([lab, lab]), cfg.tau))
                loss = torch.stack(terms).mean()
            else:
                fa, fb = trunk(a.to(device)), trunk(b.to(device))
                z = torch.cat([proj(fa.mean((2, 3)).float()), proj(fb.mean((2, 3)).float())])
                lab = labels.to(device)
                loss = nt_xent(z, torch.cat([lab, lab]), cfg.tau)
        if not torch.isfinite(loss):
            raise UserError(f"pretraining {cfg.name} diverged at step {step + 1} (loss {float(loss)})")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        loss_val = float(loss.detach())
        curve.append((step + 1, loss_val))
        bar.update(1)
        now = time.perf_counter()
        if not progress and (step == start or now - last_log >= log_every_s or step + 1 == cfg.steps):
            rate = (step + 1 - start) / max(now - t0, 1e-9)
            info("pretraining %s: step %d/%d, loss %.4f, %.2f steps/s, about %.0f s left", cfg.name, step + 1,
                     cfg.steps, loss_val, rate, (cfg.steps - step - 1) / max(rate, 1e-9))
            last_log = now
        if save_every and (step + 1) % save_every == 0 and step + 1 < cfg.steps:
            _atomic_save({"config": asdict(cfg), "trunk": trunk.state_dict(), "proj": proj.state_dict(),
                          "opt": opt.state_dict(), "sched": sched.state_dict(), "gen": g.get_state(),
                          "rng": torch.get_rng_state(), "step": step + 1, "curve": curve}, state_path)
    bar.close()
    loop_s = time.perf_counter() - t0
    if cfg.bn_recalibrate:
        recalibrate_bn(trunk, images, cfg.crop, cfg.batch_size, seed=cfg.seed, device=device)
    wall = time.perf_counter() - t0
    manifest = {"recipe": cfg.recipe, "arch": cfg.arch, "data": cfg.data,
                "dataset_fingerprint": dataset_fingerprint(images), "steps": cfg.steps, "seed": cfg.seed,
                "final_loss": loss_val, "config": asdict(cfg), "classes": [n for n, _ in classes],
                "device": str(device), "provenance": provenance(cfg)}
    # the timings go to the sidecar alone: the checkpoint's bytes are the weights' and what made them, so the same
    # config pretrained again (another node, a cleared cache) is the same file — run ids hold its SHA-256
    # (:func:`benchmark.weights.weights_fingerprint`), and wall_s in it gave csr's runs new ids each time
    timings = {"wall_s": wall, "loop_s": loop_s, "steps_per_s": (cfg.steps - start) / max(wall, 1e-9),
               "made_on": made_on(device)}
    _atomic_save({"state_dict": {k: v.float().cpu() for k, v in trunk.container.state_dict().items()},
                  "manifest": manifest}, path)
    from benchmark.results import atomic_write_json

    manifest |= timings
    atomic_write_json(path.with_suffix(".json"), manifest)
    state_path.unlink(missing_ok=True)
    info("pretrained %s in %.1f s (%.1f steps/s), final loss %.4f → %s", cfg.name, wall,
         manifest["steps_per_s"], loss_val, path)
    return path


def made_on(device: str | torch.device) -> dict:
    """What besides the config decides a self-trained checkpoint's bytes, for its sidecar JSON alone: the device
    type, the CPU capability ATen dispatches to (``torch.backends.cpu.get_cpu_capability()``: ``AVX2``,
    ``AVX512``), oneDNN's instruction-set limit (``onednn``: ``ONEDNN_MAX_CPU_ISA`` where set, ``default`` — the
    CPU's best — where not, ``off`` where torch uses no oneDNN; its convolutions follow the instruction set, so AVX2
    and AVX-512 make other files of one config — other SHA-256s, other run ids — and ``ONEDNN_MAX_CPU_ISA=AVX2`` leaves
    ATen's capability ``AVX512``) and the torch version. Not in the checkpoint: a node of the same instruction set and
    torch makes the same file, so csr's runs keep their ids."""
    import os

    onednn = ("off" if not (torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled) else
              os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "default")
    return {"device": torch.device(device).type, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "onednn": onednn, "torch": torch.__version__}


#: steps :func:`estimate_seconds` times (the first included: an estimate on the high side)
TIMED_STEPS = 3


def estimate_seconds(cfg: PretrainConfig, device: str | torch.device = "cpu", steps: int = TIMED_STEPS
                     ) -> tuple[float, float]:
    """(seconds, steps/s): about how long :func:`pretrain` of ``cfg`` takes on ``device`` on this machine as it is
    loaded now, from ``steps`` of its steps run for real — its images read, its BatchNorm recalibrated — into a
    temporary folder, deleted after, nothing cached: the whole at the rate of those steps, plus what is not a step.
    What a dry run, which trains nothing, says of an encoder a run would self-train first (:mod:`benchmark.cli`)."""
    import tempfile
    from dataclasses import replace

    k = max(1, min(int(steps), cfg.steps))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="plbench-pretrain-timing-") as tmp:
        path = pretrain(replace(cfg, steps=k), out_dir=tmp, device=device, save_every=k + 1, quiet=True)
        loop_s = float(json.loads(path.with_suffix(".json").read_text())["loop_s"])
    rate = k / max(loop_s, 1e-9)
    return time.perf_counter() - t0 - loop_s + cfg.steps / rate, rate


@torch.no_grad()
def recalibrate_bn(trunk: nn.Module, images: list[ImageRecord], crop: int, batch_size: int = 32,
                   batches: int = 16, seed: int = 0, device: str | torch.device = "cpu") -> None:
    """Re-estimate BatchNorm running statistics on RGB inputs, as a loss feeds a frozen encoder.

    ``batches`` batches of ``batch_size`` crops (crop px) of ``images``, each pristine or in one
    random distortion class (:func:`distortion_classes`), seen at both scales a quality vector
    uses: as is and at ×0.5 (:func:`losses.contrique.half_scale`). Cumulative average (``momentum=None``). The batches
    depend only on (images, crop, batch_size, batches, seed): every encoder recalibrated with
    the same arguments sees the same pixels — the probe relies on that for a symmetric
    comparison of trained and random encoders."""
    from losses.contrique import half_scale

    bns = [m for m in trunk.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    device = torch.device(device)
    classes = [("pristine", lambda x, g: x)] + distortion_classes()
    g = torch.Generator().manual_seed(10_007 + int(seed))
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    trunk.train()
    for _ in range(batches):
        x, _ = _crops(images, batch_size, crop, g)
        x = x.to(device)
        pick = torch.randint(len(classes), (batch_size,), generator=g).tolist()
        x = torch.cat([classes[k][1](x[i:i + 1], g).float().clamp(0, 1) for i, k in enumerate(pick)])
        trunk(x)
        trunk(half_scale(x))
    for m in bns:
        m.momentum = 0.1
    trunk.eval()


def provenance(cfg: PretrainConfig) -> str:
    return (f"{cfg.arch}:selftrained({cfg.recipe},{DataSpec.parse(cfg.data).name},steps={cfg.steps},seed={cfg.seed},"
            f"cfg={cfg.digest})")


# --------------------------------------------------------------------------------------------
# is the learned space quality-aware? a probe on held-out images
# --------------------------------------------------------------------------------------------
@torch.no_grad()
def quality_features(trunk: nn.Module, x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """CONTRIQUE's quality vector (:func:`losses.contrique.quality_vector`): GAP of the last feature
    map at full scale ⊕ at bicubic ×0.5, each L2-normalised (the authors' model). x: (N, 3, H, W)."""
    from losses.contrique import quality_vector

    return quality_vector(trunk, x, normalize)


def _probe_set(images, crop: int, per_class: int, seed: int, device: str | torch.device = "cpu"):
    """Distorted crops of held-out images with (class, image) labels; pristine is class 0.
    Crops and distortion draws depend only on (images, crop, per_class, seed); the distortions
    run on ``device``."""
    g = torch.Generator().manual_seed(seed)
    classes = [("pristine", lambda x, g: x)] + distortion_classes()
    xs, ys, imgs = [], [], []
    for img_idx, rec in enumerate(images):
        crops, _ = _crops([rec], per_class * len(classes), crop, g)
        crops = crops.to(device)
        for c, (_, fn) in enumerate(classes):
            part = crops[c * per_class:(c + 1) * per_class]
            xs.append(fn(part, g).float().clamp(0, 1))
            ys += [c] * per_class
            imgs += [img_idx] * per_class
    return torch.cat(xs), torch.tensor(ys), torch.tensor(imgs), [n for n, _ in classes]


def _knn_and_linear(feats: torch.Tensor, y: torch.Tensor, groups: torch.Tensor,
                    k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """Leave-one-image-out hits (bool per sample) of a k-NN (cosine) and a ridge linear classifier.

    feats: (N, D), y: (N,) class ids, groups: (N,) image ids; features are standardised with
    the training fold's mean and standard deviation."""
    feats, y, groups = feats.cpu(), y.cpu(), groups.cpu()
    n_cls = int(y.max()) + 1
    knn_hits = torch.zeros(len(y), dtype=torch.bool)
    lin_hits = torch.zeros(len(y), dtype=torch.bool)
    for gid in groups.unique():
        tr, te = groups != gid, groups == gid
        mu, sd = feats[tr].mean(0), feats[tr].std(0) + 1e-6
        a, b = (feats[tr] - mu) / sd, (feats[te] - mu) / sd
        sims = F.normalize(b, dim=1) @ F.normalize(a, dim=1).t()
        nn_idx = sims.topk(min(k, a.shape[0]), dim=1).indices
        votes = F.one_hot(y[tr][nn_idx], n_cls).sum(1)
        knn_hits[te] = votes.argmax(1) == y[te]
        onehot = F.one_hot(y[tr], n_cls).double()
        A = torch.cat([a, torch.ones(a.shape[0], 1)], 1).double()
        w = torch.linalg.solve(A.t() @ A + 1.0 * torch.eye(A.shape[1], dtype=A.dtype), A.t() @ onehot)
        pred = (torch.cat([b, torch.ones(b.shape[0], 1)], 1).double() @ w).argmax(1)
        lin_hits[te] = pred == y[te]
    return knn_hits, lin_hits


def _probe_images(data: str, crop: int) -> list[ImageRecord]:
    spec = DataSpec.parse(data)
    images = usable_for_crop(_data.load_images(spec), 2 * crop, spec)
    if len(images) == 1:  # one held-out image (e.g. skimage-medical:test): its 2×2 tiles are the units
        images = _tiles(images[0], 2 * crop)
    if len(images) < 2:
        raise UserError(f"the probe needs at least 2 held-out images of {2 * crop}px (or one of {4 * crop}px) "
                        f"in {data}")
    return images


def probe(arch: str, checkpoint: str | Path | None, data: str = "skimage:test", crop: int = 64,
          per_class: int = 6, seed: int = 0, bn: str = "recalibrate", bn_data: str = "skimage:train",
          bn_batches: int = 16, bn_batch_size: int = 32, device: str | torch.device = "cpu") -> dict:
    """Predict distortion type × level from frozen quality vectors of held-out images.

    The probe set is fixed (crops and distortions), so two encoders probed with the same
    arguments see the same samples. With a single held-out image, its 2×2 tiles are left out
    one at a time instead. With ``checkpoint=None`` the architecture at seeded random
    initialisation (``seed``) is probed.

    BatchNorm treatment, the same for every encoder (``bn``):
      * ``"recalibrate"`` (default): running statistics are reset and re-estimated with
        :func:`recalibrate_bn` on ``bn_data`` (the pretraining images, never the probe's) with a
        fixed seed — a trained checkpoint's own statistics are replaced by exactly the
        procedure a random-init encoder gets, so neither side is favoured;
      * ``"stored"``: the statistics as loaded (a random init's are mean 0 / variance 1).

    Returns {"knn": acc, "linear": acc, "chance": 1/classes, "weights": provenance, "bn": …,
    "per_image": {"knn": [acc per image], "linear": […]}, …}.
    """
    from benchmark.weights import load_state

    if bn not in ("recalibrate", "stored"):
        raise UserError(f"probe bn must be 'recalibrate' or 'stored', not {bn!r}")
    device = torch.device(device)
    images = _probe_images(data, crop)
    torch.manual_seed(seed)
    trunk = Trunk(arch)
    if checkpoint is not None:
        trunk.container.load_state_dict(load_state(checkpoint), strict=True)
        label = (read_manifest(checkpoint) or {}).get("provenance", str(checkpoint))
    else:
        label = f"{arch}:random(seed={seed})"
    trunk.to(device)
    if bn == "recalibrate":
        spec = DataSpec.parse(bn_data)
        recalibrate_bn(trunk, usable_for_crop(_data.load_images(spec), 2 * crop, spec), crop, bn_batch_size,
                       batches=bn_batches, seed=0, device=device)
    trunk.eval()
    x, y, groups, names = _probe_set(images, crop, per_class, 1, device)
    feats = torch.cat([quality_features(trunk, x[i:i + 64]) for i in range(0, len(x), 64)])
    knn, lin = _knn_and_linear(feats.float(), y, groups)
    per_image = {name: [float(h[groups == gid].float().mean()) for gid in groups.unique()]
                 for name, h in (("knn", knn), ("linear", lin))}
    return {"knn": float(knn.float().mean()), "linear": float(lin.float().mean()), "chance": 1 / len(names),
            "classes": len(names), "samples": len(y), "images": len(images), "weights": label,
            "bn": bn if bn == "stored" else f"recalibrated on {bn_data}", "per_image": per_image}


def _tiles(rec: ImageRecord, min_side: int) -> list[ImageRecord]:
    """The 2×2 non-overlapping tiles of one image (none if a tile would be under ``min_side``)."""
    h, w = rec.size
    th, tw = h // 2, w // 2
    if min(th, tw) < min_side:
        return [rec]
    return [ImageRecord(f"{rec.image_id}#tile{i}{j}", rec.pixels[:, i * th:(i + 1) * th, j * tw:(j + 1) * tw])
            for i in range(2) for j in range(2)]


def paired_gain(a: list[float], b: list[float], n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of a − b over images (paired) and its 95 % bootstrap interval (resampling images)."""
    d = torch.tensor(a, dtype=torch.float64) - torch.tensor(b, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(d), (n_boot, len(d)), generator=g)
    boots = d[idx].mean(1)
    return float(d.mean()), float(boots.quantile(0.025)), float(boots.quantile(0.975))

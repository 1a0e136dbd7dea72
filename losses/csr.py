"""CSR loss: LPIPS-style distance in a contrastive self-supervised encoder ("A Domain-specific
Perceptual Metric via Contrastive Self-supervised Representation: Applications on Natural and
Medical Images", 2022)."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence
from typing import Annotated

import torch

from benchmark.backbones import Backbone, FeatureLoss, unit_normalize
from benchmark.errors import UserError
from benchmark.params import Positive
from benchmark.registry import register_loss

log = logging.getLogger(__name__)

#: public contrastive (with negatives) ResNet-50 checkpoints, in order of preference
CONTRASTIVE_ENCODERS = ("resnet50:moco_v2", "resnet50:simclr")


#: the images csr's self-trained fallback encoder learns from unless ``selftrain_data=`` names others
SELFTRAIN_DATA = "skimage:train"


def selftrained_simclr_config(data: str = SELFTRAIN_DATA):
    """The self-trained SimCLR encoder ``encoder="auto"`` falls back to: the harness's ``simclr``
    recipe with :class:`~benchmark.pretrain.PretrainConfig`'s CPU defaults (tinycnn, 500 steps
    × 32 crops of 64 px) on ``data`` (default ``skimage:train``)."""
    from benchmark.pretrain import PretrainConfig

    return PretrainConfig(recipe="simclr", data=data)


def _selftrained_path(data: str = SELFTRAIN_DATA):
    """Where the self-trained SimCLR encoder on ``data`` is cached (:func:`selftrained_simclr_config`'s file)."""
    from benchmark.pretrain import output_path

    return output_path(selftrained_simclr_config(data))


def _pretrain_command(data: str | None = SELFTRAIN_DATA, device: str | None = None) -> str:
    """The ``plbench pretrain`` command that makes the self-trained encoder on ``data`` (``--data`` left out for
    None: its default, :data:`SELFTRAIN_DATA`), shell-quoted: a path with spaces is one argument. On ``device``, else
    the CPU, as csr self-trains it (:data:`SELFTRAIN_DEVICE`), the file every node makes again (``plbench pretrain``'s
    own default, ``auto``, made the GPU's on a machine with one, a file a worker without it does not make)."""
    return shlex.join(["plbench", "pretrain", "--recipe", "simclr", *(["--data", data] if data is not None else []),
                       "--device", device or SELFTRAIN_DEVICE])


def resolve_encoder(encoder: str = "auto", selftrain: bool = True, selftrain_data: str = SELFTRAIN_DATA) -> str:
    """The weights behind ``encoder``: a weights key or a checkpoint path for :class:`Backbone`.

    ``"auto"``: MoCo v2, else SimCLR ResNet-50 (:data:`CONTRASTIVE_ENCODERS`), whichever file is
    present in the weights cache; else the self-trained SimCLR encoder on ``selftrain_data`` — taken first, whatever
    the cache holds, where ``selftrain_data`` names other images than :data:`SELFTRAIN_DATA` (the domain named)
    (:func:`selftrained_simclr_config`), trained now on the CPU (:data:`SELFTRAIN_DEVICE`) and cached if missing
    (``selftrain=True``; 500 steps on one thread, :data:`benchmark.pretrain.CPU_THREADS`: about 1.2 steps/s, 7 min, on
    this project's loaded 2-core machine, where two threads ran 0.22–0.44 steps/s; a dry run times a few of them where
    it would) — or a one-line :class:`UserError` saying what to put where.
    Any other value (a weights key such as ``"resnet50:dino"``, a path, a self-trained name) is
    returned as is.
    """
    from benchmark import weights as W

    if encoder != "auto":
        return encoder
    named = selftrain_data != SELFTRAIN_DATA  # the domain named: its encoder, whatever public one is cached
    cached = _cached_encoder(selftrain_data)
    if cached is not None:
        return cached
    from benchmark.pretrain import pretrain

    path = _selftrained_path(selftrain_data)
    if not selftrain:
        if named:
            raise UserError(f"csr: no self-trained encoder on {selftrain_data} ({path.name} missing): "
                            f"{_pretrain_command(selftrain_data)}, or csr(selftrain=True)")
        wanted = "; ".join(W.missing_message(W.get_file(k)).split(";")[0] for k in CONTRASTIVE_ENCODERS)
        raise UserError(f"csr: no contrastive encoder ({wanted}; or self-train one: {_pretrain_command(None)}, "
                        f"or csr(selftrain=True))")
    log.warning("csr: no MoCo v2 / SimCLR ResNet-50 weights in the cache; self-training the SimCLR encoder %s (once, "
                "cached) on the CPU%s", path.name, _selftrain_device_note(selftrain_data))
    return str(pretrain(selftrained_simclr_config(selftrain_data), device=SELFTRAIN_DEVICE))


#: where csr's automatic self-training runs, whatever the grid's ``--device``: on the CPU the encoder is deterministic
#: for its seed to the checkpoint's bytes, on :data:`benchmark.pretrain.CPU_THREADS` threads whatever the machine's
#: cores, so every process that makes it again — a SLURM or Ray worker with a cache of its own, a GPU-less head node
#: planning a GPU grid — makes the one file whose SHA-256 the run ids hold (:func:`benchmark.weights.
#: weights_fingerprint`) where their CPUs run the same kernels (AVX-512's may differ from AVX2's); bf16 autocast and
#: cuDNN's kernels on a GPU give another file on each such node, and the worker refuses its runs ("the weights of
#: loss 'csr' changed since this grid was set up")
SELFTRAIN_DEVICE = "cpu"


def _selftrain_device_note(data: str = SELFTRAIN_DATA) -> str:
    """What the self-training warning adds on a machine with a GPU (:func:`benchmark.devices.resolve_device`'s
    ``auto``): why it runs on the CPU all the same (:data:`SELFTRAIN_DEVICE`) and the command that makes the encoder on
    the GPU instead, once, for this cache; "" on a CPU-only machine."""
    from benchmark.devices import resolve_device

    if resolve_device("auto").type == "cpu":
        return ""
    cmd = _pretrain_command(None if data == SELFTRAIN_DATA else data, device="cuda")
    return (", not this machine's GPU: the CPU's file is the same on every node that makes it again, which keeps "
            f"csr's run ids; `{cmd}` makes it on the GPU in far less time, for this cache alone (a node without that "
            "file makes the CPU's and refuses csr's runs)")


def _cached_encoder(selftrain_data: str = SELFTRAIN_DATA) -> str | None:
    """The encoder ``encoder="auto"`` takes without training one (:func:`resolve_encoder`): MoCo v2's or SimCLR's
    key where cached (not for named ``selftrain_data``), else the self-trained encoder's checkpoint where it is there;
    None where it would self-train first."""
    from benchmark import weights as W

    for key in () if selftrain_data != SELFTRAIN_DATA else CONTRASTIVE_ENCODERS:
        if W.get_file(key).present:
            return key
    path = _selftrained_path(selftrain_data)
    return str(path) if path.is_file() else None


def _would_selftrain(encoder: str = "auto", selftrain: bool = True, selftrain_data: str = SELFTRAIN_DATA, **_
                     ) -> str:
    """What building ``csr(…)`` on pretrained weights would train first as the cache stands — the ``plbench
    pretrain`` command that makes it — or "" (a named encoder, one cached, or ``selftrain=False``, which refuses
    instead): a dry run, which trains nothing, says it rather than pretraining for its run ids
    (:func:`benchmark.weights.selftraining`)."""
    if encoder != "auto" or not selftrain or _cached_encoder(selftrain_data) is not None:
        return ""
    return _pretrain_command(selftrain_data)


def _encoder_file(encoder: str = "auto", selftrain_data: str = SELFTRAIN_DATA, **_) -> tuple[str, ...]:
    """The file ``csr(encoder=…)`` loads (``weights="pretrained"``): for ``"auto"`` the cached one
    :func:`resolve_encoder` takes — MoCo v2's, else SimCLR's, else the self-trained SimCLR encoder (a checkpoint) —,
    MoCo v2's (its first choice, the one to fetch) where none is; with ``selftrain_data`` naming other images, the
    self-trained encoder on them, cached or not (it takes no other: MoCo v2's file was listed, prefetched, and its
    absence made ``--backbone-weights auto`` train csr random beside its cached encoder); else the named weights key,
    checkpoint path or self-trained name (:func:`benchmark.weights.loss_checkpoints`)."""
    if encoder == "auto" and selftrain_data != SELFTRAIN_DATA:
        return (str(_selftrained_path(selftrain_data)),)
    if encoder == "auto":  # nothing cached: MoCo v2's, never self-trained for a listing
        encoder = _cached_encoder() or CONTRASTIVE_ENCODERS[0]
    return (str(encoder),)


def _chosen_encoder(encoder: str = "auto", selftrain: bool = True, selftrain_data: str = SELFTRAIN_DATA, **_
                    ) -> str | None:
    """What ``csr(encoder="auto")`` loads with ``weights="pretrained"`` as the cache stands (:func:`resolve_encoder`):
    the choice a run's id records (:func:`benchmark.weights.weights_fingerprint`); None for a named encoder."""
    return resolve_encoder(encoder, selftrain, selftrain_data) if encoder == "auto" else None


def _ignored_selftrain_data(encoder: str = "auto", weights: str = "pretrained", selftrain_data: str = SELFTRAIN_DATA,
                            **_) -> str:
    """Why ``selftrain_data`` would be ignored — a named encoder, or weights other than pretrained, load no
    self-trained encoder — else "": the refusal of :class:`CSRLoss`, said by the grid's check before any image is
    read (:func:`benchmark.config.check_grid`, the registration's ``refuses=``)."""
    if selftrain_data == SELFTRAIN_DATA or (encoder == "auto" and str(weights) == "pretrained"):
        return ""
    given = f"encoder={encoder!r}" if encoder != "auto" else f"weights={weights!r}"
    return (f"csr selftrain_data={selftrain_data!r} names the images of the self-trained encoder encoder='auto' "
            f"falls back to with pretrained weights; {given} loads none and would ignore it")


@register_loss("csr", version="2", citation="A Domain-specific Perceptual Metric via Contrastive "
               "Self-supervised Representation: Applications on Natural and Medical Images, 2022",
               weights=_encoder_file, weights_chosen=_chosen_encoder, selftrains=_would_selftrain,
               refuses=_ignored_selftrain_data)
class CSRLoss(FeatureLoss):
    """mean over stages of mean_hw ‖f̂_pred − f̂_target‖²₂ in a contrastive self-supervised encoder.

    f̂: features unit-normalised over channels (eps inside the root), as LPIPS without learned
    heads (the paper's thesis: no human-judgement calibration is needed). Readings chosen:
    ResNet stages ``("relu", "layer1", "layer2", "layer3", "layer4")`` with equal weights; the
    input convention of the encoder's weights (ImageNet normalisation for MoCo v2, raw [0, 1]
    for SimCLR and self-trained encoders).

    Encoder (``weights="pretrained"``), ``encoder="auto"`` (version 2; see :func:`resolve_encoder`):
    a *contrastive* encoder as the paper studies — MoCo v2 ResNet-50, else SimCLR ResNet-50 when
    its file is present, else the harness's self-trained SimCLR encoder, trained on ``selftrain_data``
    (default ``skimage:train``, natural photographs; the paper's thesis is an encoder of the domain's own images:
    name the grid's training data, e.g. ``selftrain_data='skimage-medical:train'``; the weights label records it,
    ``tinycnn:selftrained(simclr,skimage-medical:train,…)``; named data takes that encoder even where MoCo v2 or
    SimCLR is cached). Named options:
    ``encoder="resnet50:dino"`` (DINO: self-distillation without negatives, version 1's default),
    any ResNet-50 weights key, or a checkpoint path / self-trained name. ``weights=<path>`` also
    loads a checkpoint; ``weights="random"`` is a seeded random ResNet-50, labelled
    ``resnet50:random(seed=…)``.

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1], ≥ 1 px per side (any size runs: the
            features are globally pooled; below 33 px the last stage is one position, mostly padding).
        eps: > 0, added to Σ_c f² inside the square root (0 or below: rsqrt of 0 or of a negative number
            where a feature vector is all zero, e.g. a flat image of the ImageNet mean colour — NaN).
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu", "layer1", "layer2", "layer3", "layer4"),
                 encoder: str = "auto", selftrain: bool = True, eps: Annotated[float, Positive] = 1e-10,
                 weights: str = "pretrained", seed: int = 0, selftrain_data: str = SELFTRAIN_DATA):
        super().__init__()
        self.layers, self.eps = tuple(layers), float(eps)
        if ignored := _ignored_selftrain_data(encoder, weights, selftrain_data):
            raise UserError(ignored)
        pretrained = None
        if str(weights) == "pretrained":
            from benchmark import weights as W

            chosen = resolve_encoder(encoder, selftrain, selftrain_data)
            if chosen in W.known_files():
                pretrained = chosen
            else:
                weights = chosen
        self.backbone = Backbone("resnet50", self.layers, weights=weights, seed=seed, pretrained=pretrained)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        total = 0.0
        for n in self.layers:
            d = unit_normalize(fp[n].float(), self.eps) - unit_normalize(ft[n].float(), self.eps)
            total = total + d.pow(2).sum(1).mean((1, 2))
        return (total / len(self.layers)).mean()

"""Frozen run configuration, profiles and the run identity hash.

A :class:`RunConfig` is everything that determines a run's numbers. Its :func:`run_id` hashes
the config together with the code version and the versions of the task and loss entries
(and the hash of a user's ``--loss-file``); resume and caching key on that id. The metric set
is not part of the identity: a finished run that lacks a requested metric is re-scored from its
saved net, not retrained.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from benchmark import CODE_VERSION
from benchmark.data import DataSpec
from benchmark.errors import UserError

# Perceptual full-reference metrics that need no download are always in (pyiqa's vsi, fsim, gmsd, nlpd;
# vif in the default set); learned ones (lpips, dists, niqe, musiq) are scored when their weights are
# cached and skipped, with the reason recorded, when not. CPU ms per image on one thread (256² / 512²):
# psnr 0.3/4, ssim 7/28 and ms_ssim 6/30 (separable, metrics.SeparableSSIM; pyiqa's own 150/737 and
# 163/837), fsim 89/74, vsi 43/61, gmsd 2/7, nlpd 9/28, vif 70/281, mad 1376/16822 — mad (600× SSIM)
# is left out: `--metrics ... mad` adds it.
DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "vsi", "fsim", "gmsd", "nlpd", "vif", "niqe", "musiq")
# The quick profile leaves out vif (~0.3 s per 512² image, more than its four other perceptual metrics
# together); `--metrics ... vif` puts it back.
QUICK_METRICS = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "vsi", "fsim", "gmsd", "nlpd", "niqe", "musiq")
PIXEL_LOSSES = ("l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1")
# Deep-feature losses cheap enough for the quick profile on random-init backbones (ms per training step,
# tiny net, batch 8 of 48², 2 CPU threads: l1 10, lpips 24, lpips_squeeze 27, vgg 45; pdl 177, gpl 161).
QUICK_FEATURE_LOSSES = ("lpips", "lpips_squeeze", "vgg")
DEFAULT_TASKS = ("denoise", "sr4", "deblur", "jpeg", "demosaic")
SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@dataclass(frozen=True)
class RunConfig:
    """One (task, loss, seed) training run and its evaluation data."""

    task: str
    loss: str                                    # canonical loss spec
    seed: int = 0
    task_params: tuple[tuple[str, object], ...] = ()
    net: str = "tiny"
    iterations: int = 300
    batch_size: int = 8
    crop: int = 64
    lr: float = 1e-3
    train_data: DataSpec = DataSpec("skimage", "train")
    test_data: tuple[DataSpec, ...] = (DataSpec("skimage", "test"),)
    backbone_weights: str = "random"             # "random" | "pretrained" | checkpoint path

    def __post_init__(self):
        for name in ("iterations", "batch_size", "crop"):
            if getattr(self, name) <= 0:
                raise UserError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if not self.lr > 0:
            raise UserError(f"lr must be positive, got {self.lr}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["task_params"] = dict(self.task_params)
        d["train_data"] = str(self.train_data) + (f"[max_images={self.train_data.max_images}]"
                                                  if self.train_data.max_images is not None else "")
        d["test_data"] = [str(s) for s in self.test_data]
        return d


def run_id(cfg: RunConfig) -> str:
    """16-hex identity of a run: config + code version + entry versions."""
    from benchmark.lossfn import loss_versions
    from benchmark.registry import TASKS

    key = {"config": cfg.to_dict(), "code": CODE_VERSION,
           "task_version": TASKS.get(cfg.task).version, "loss_versions": loss_versions(cfg.loss)}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Profile:
    """Defaults for a whole grid; every field can be overridden on the command line."""

    name: str
    tasks: tuple[str, ...]
    losses: tuple[str, ...]
    seeds: tuple[int, ...]
    net: str
    iterations: int
    batch_size: int
    crop: int
    lr: float
    train_data: str
    test_data: tuple[str, ...]
    backbone_weights: str
    metrics: tuple[str, ...] = DEFAULT_METRICS
    device: str = "auto"
    extra: dict = field(default_factory=dict)


def _full_test_sets() -> tuple[str, ...]:
    local = [SHARED_DATASETS / "CSet5", SHARED_DATASETS / "CSet14"]
    if all(p.is_dir() for p in local):
        return tuple(str(p) for p in local)
    return ("eugenesiow/Set5:validation#hr", "eugenesiow/Set14:validation#hr")


PROFILES = {
    # CPU-friendly: embedded photos, tiny net, pixel losses plus three feature losses on random-init backbones.
    "quick": Profile("quick", DEFAULT_TASKS, PIXEL_LOSSES + QUICK_FEATURE_LOSSES, (0,), "tiny", 120, 8, 48, 2e-3,
                     "skimage:train", ("skimage-natural:test",), "random", metrics=QUICK_METRICS),
    # Overnight on a GPU: DIV2K training crops, Set5/Set14 test sets, pretrained backbones.
    "full": Profile("full", DEFAULT_TASKS, ("all",), (0, 1, 2), "base", 5000, 16, 128, 2e-4,
                    "eugenesiow/Div2k/bicubic_x4:train#hr", _full_test_sets(), "pretrained"),
}

"""Frozen run configuration, profiles, the run identity hash and the *setting* of a run.

A :class:`RunConfig` is everything that determines a run's numbers: task and its parameters, loss,
seed, net, schedule, the training and test data *and a fingerprint of their content*, the kind of
device and the precision. :func:`resolve` fills what can only be known by looking (fingerprints,
device type) before anything is run; :func:`run_id` hashes the resolved config together with the
versions of the code that computes the numbers — :data:`benchmark.CODE_VERSION` (training step,
sampling, evaluation), the net's definition (:func:`benchmark.nets.signature`), the task's and
every loss term's registry version (and the hash of a user's ``--loss-file``). Those versions are
guarded by golden numbers (:mod:`benchmark.golden`): a change that moves a number without a bump
fails the test suite. Resume and caching key on the id. The metric set is not part of the
identity: a finished run that lacks a requested metric is re-scored from its saved net.

The *setting* of a run (:func:`setting`) is its config without ``loss``, ``seed`` and
``backbone_weights`` (the weights are part of the loss's identity instead): runs of one setting
form one leaderboard; runs of different settings are never averaged together.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from benchmark import CODE_VERSION, __version__
from benchmark.data import DataSpec
from benchmark.errors import UserError

# Learned metrics are skipped (with the reason recorded) when their weights are not cached.
DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "niqe", "musiq")
# The quick profile leaves out ms_ssim: pyiqa's float64 MS-SSIM costs ~0.6 s per 512² image on 2 cores,
# a third of the whole CPU budget; `--metrics psnr ssim ms_ssim ...` puts it back.
QUICK_METRICS = ("psnr", "ssim", "lpips", "dists", "niqe", "musiq")
PIXEL_LOSSES = ("l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1")
DEFAULT_TASKS = ("denoise", "sr4", "deblur", "jpeg", "demosaic")
SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
DEVICE_TYPES = ("cpu", "cuda")
PRECISIONS = ("fp32", "bf16")
#: config fields that are not part of a run's setting (they tell runs of one setting apart)
PER_RUN = ("loss", "seed", "backbone_weights")
#: setting fields that belong to one task (the rest is shared by every task of a field)
PER_TASK = ("task", "task_params", "task_version")


def code_version() -> str:
    """The harness's version string recorded in every row: package version + CODE_VERSION."""
    return f"{__version__}+c{CODE_VERSION}"


@dataclass(frozen=True)
class RunConfig:
    """One (task, loss, seed) training run and its evaluation data.

    ``train_data``/``test_data``: one or more sources (several training sources are pooled).
    ``device_type``/``precision``: where the numbers come from (``cpu``/``fp32``; ``cuda``/``bf16``
    autocast); ``train_fingerprint``/``test_fingerprint``: content hashes of the decoded images,
    filled by :func:`resolve` (empty in an unresolved config).
    """

    task: str
    loss: str                                    # canonical loss spec
    seed: int = 0
    task_params: tuple[tuple[str, object], ...] = ()
    net: str = "tiny"
    iterations: int = 300
    batch_size: int = 8
    crop: int = 64
    lr: float = 1e-3
    train_data: tuple[DataSpec, ...] = (DataSpec("skimage", "train"),)
    test_data: tuple[DataSpec, ...] = (DataSpec("skimage", "test"),)
    backbone_weights: str = "random"             # "random" | "pretrained" | checkpoint path | "none"
    device_type: str = "cpu"
    precision: str = "fp32"
    train_fingerprint: str = ""
    test_fingerprint: str = ""
    compile: bool = False                        # torch.compile the net and the loss's frozen backbones

    def __post_init__(self):
        if isinstance(self.train_data, DataSpec):  # one source given bare
            object.__setattr__(self, "train_data", (self.train_data,))
        if isinstance(self.test_data, DataSpec):
            object.__setattr__(self, "test_data", (self.test_data,))
        for name in ("iterations", "batch_size", "crop"):
            if getattr(self, name) <= 0:
                raise UserError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if not self.lr > 0:
            raise UserError(f"lr must be positive, got {self.lr}")
        if not self.train_data or not self.test_data:
            raise UserError("a run needs at least one training and one test data source")
        if self.device_type not in DEVICE_TYPES:
            raise UserError(f"device type must be one of {', '.join(DEVICE_TYPES)}, got {self.device_type!r}")
        if self.precision not in PRECISIONS:
            raise UserError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.precision == "bf16" and self.device_type != "cuda":
            raise UserError("bf16 precision is only used on CUDA devices")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["task_params"] = dict(self.task_params)
        d["train_data"] = [s.token() for s in self.train_data]
        d["test_data"] = [s.token() for s in self.test_data]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        """The inverse of :meth:`to_dict` (a ``meta.json`` config back into a RunConfig)."""
        d = dict(d)
        d["task_params"] = tuple(sorted(d.get("task_params", {}).items()))
        for key in ("train_data", "test_data"):
            v = d.get(key, [])
            d[key] = tuple(DataSpec.parse(s) for s in ([v] if isinstance(v, str) else v))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def precision_for(device_type: str) -> str:
    """The precision a device type trains in: bf16 autocast on CUDA, fp32 on the CPU."""
    return "bf16" if device_type == "cuda" else "fp32"


def resolve(cfg: RunConfig, data=None, device_type: str | None = None) -> RunConfig:
    """Fill what the id needs and only a look can tell: the data fingerprints (from ``data``, a
    :class:`benchmark.runner.DataCache`), the device type and its precision, and ``none`` for the
    backbone weights of a loss that takes none (so pixel losses share one id across weight
    settings). Fingerprints already set must match the data: a source whose content changed since
    the grid was planned is a :class:`UserError`."""
    from benchmark.lossfn import takes_weights

    changes: dict = {}
    if device_type is not None and device_type != cfg.device_type:
        changes.update(device_type=device_type, precision=precision_for(device_type))
    if cfg.backbone_weights != "none" and not takes_weights(cfg.loss):
        changes["backbone_weights"] = "none"
    if data is not None:
        for key, specs in (("train_fingerprint", cfg.train_data), ("test_fingerprint", cfg.test_data)):
            fp = data.fingerprint(specs)
            old = getattr(cfg, key)
            if old and old != fp:
                which = key.split("_")[0]
                raise UserError(f"the {which} data {', '.join(map(str, specs))} changed since this grid was set "
                                f"up (content fingerprint {old} → {fp}); re-run the command to plan it again")
            changes[key] = fp
    return dataclasses.replace(cfg, **changes) if changes else cfg


def run_id(cfg: RunConfig) -> str:
    """16-hex identity of a run: the config + the versions of everything that computes its numbers."""
    from benchmark.lossfn import loss_versions
    from benchmark.nets import signature
    from benchmark.registry import TASKS

    key = {"config": cfg.to_dict(), "code": CODE_VERSION, "net": signature(cfg.net),
           "task_version": TASKS.get(cfg.task).version, "loss_versions": loss_versions(cfg.loss)}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def setting(cfg: RunConfig) -> dict:
    """The run's setting: what every run of one leaderboard shares (see the module docstring)."""
    from benchmark.nets import signature
    from benchmark.registry import TASKS
    from benchmark.task import build_task

    d = {k: v for k, v in cfg.to_dict().items() if k not in PER_RUN}
    d.update(task_params=build_task(cfg.task, **dict(cfg.task_params)).params,  # every parameter, defaults too
             task_version=TASKS.get(cfg.task).version, net_signature=signature(cfg.net), code_version=code_version())
    return json.loads(json.dumps(d, default=str))  # as it reads back from meta.json (tuples → lists)


def setting_json(d: dict) -> str:
    return json.dumps(d, sort_keys=True, default=str)


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
    train_data: tuple[str, ...]
    test_data: tuple[str, ...]
    backbone_weights: str
    metrics: tuple[str, ...] = DEFAULT_METRICS
    device: str = "auto"
    extra: dict = field(default_factory=dict)


# Script-free hub fallbacks (datasets ≥ 4 refuses loading scripts, so eugenesiow/Div2k is out): DIV2K as
# image files (the hub lists it as an imagefolder dataset with train and validation splits); its
# validation split is the test set where Set5/Set14/Kodak24 are not on this machine.
HUB_TRAIN = ("goodfellowliu/DIV2K:train",)
HUB_TEST = ("goodfellowliu/DIV2K:validation",)


def full_data(shared: Path = SHARED_DATASETS) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(training sources, test sources) of the full and standard profiles: BSD200 + T91 (the classic
    291) and Set5, Set14, Kodak24 from ``shared`` when it has them, else script-free hub datasets."""
    train = [shared / "BSD200", shared / "T91"]
    test = [shared / "CSet5", shared / "CSet14", shared / "Kodak24"]
    return (tuple(str(p) for p in train) if all(p.is_dir() for p in train) else HUB_TRAIN,
            tuple(str(p) for p in test) if all(p.is_dir() for p in test) else HUB_TEST)


PROFILES = {
    # CPU-friendly: embedded photos, tiny net, random-init backbones for feature losses.
    "quick": Profile("quick", DEFAULT_TASKS, PIXEL_LOSSES, (0,), "tiny", 120, 8, 48, 2e-3,
                     ("skimage:train",), ("skimage-natural:test",), "random", metrics=QUICK_METRICS),
    # Overnight on a GPU: BSD200 + T91 training crops, Set5/Set14/Kodak24 test sets, pretrained backbones.
    "full": Profile("full", DEFAULT_TASKS, ("all",), (0, 1, 2), "base", 5000, 16, 128, 2e-4,
                    *full_data(), "pretrained"),
}

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

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from benchmark import CODE_VERSION, __version__
from benchmark.configs import near_shipped_config, shipped_config
from benchmark.data import SHARED_DATASETS, SHARED_PREFIX, DataSpec, wide_encoding
from benchmark.devices import DEVICE_TYPES
from benchmark.docmarkup import agree, plural
from benchmark.errors import UserError, did_you_mean, did_you_mean_path, expand_home, pip

# Perceptual full-reference metrics that need no download are always in (pyiqa's vsi, fsim, gmsd, nlpd;
# vif in the default set); learned ones (lpips, dists, niqe, musiq) are scored when their weights are
# cached and skipped, with the reason recorded, when not. CPU ms per image on one thread (256² / 512²):
# psnr 0.3/4, ssim 7/28 and ms_ssim 6/30 (separable, metrics.SeparableSSIM; pyiqa's own 150/737 and
# 163/837), fsim 89/74, vsi 43/61, gmsd 2/7, nlpd 9/28, vif 70/281, mad 1376/16822 — mad (600× SSIM)
# is left out: `--metrics ... mad` adds it.
DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "vsi", "fsim", "gmsd", "nlpd", "vif", "niqe", "musiq")
# The quick profile scores only what it can score on a fresh machine: no learned metric (lpips, dists,
# niqe, musiq need weight files), and no vif (~0.3 s per 512² image, more than its four other
# perceptual metrics together); `--metrics ... lpips vif` adds them.
QUICK_METRICS = ("psnr", "ssim", "ms_ssim", "vsi", "fsim", "gmsd", "nlpd")
PIXEL_LOSSES = ("l1", "l2", "charbonnier", "ssim", "ms_ssim", "ms_ssim_l1")
# Deep-feature losses cheap enough for the quick profile on random-init backbones (ms per training step,
# tiny net, batch 8 of 48², 2 CPU threads: l1 10, lpips 24, lpips_squeeze 27, vgg 45; pdl 177, gpl 161).
QUICK_FEATURE_LOSSES = ("lpips", "lpips_squeeze", "vgg")
DEFAULT_TASKS = ("denoise", "sr4", "deblur", "jpeg", "demosaic")
PRECISIONS = ("fp32", "bf16")
#: config fields that are not part of a run's setting (they tell runs of one setting apart)
PER_RUN = ("loss", "seed", "backbone_weights", "weights_fingerprint")
#: setting fields that belong to one task (the rest is shared by every task of a field)
PER_TASK = ("task", "task_params", "task_version")


def code_version() -> str:
    """The harness's version string recorded in every row: package version + CODE_VERSION."""
    return f"{__version__}+c{CODE_VERSION}"


def as_current_code(version):
    """A recorded code version as this package reads it: one written by another release of the same
    numbers code (its ``+cN`` is this :data:`~benchmark.CODE_VERSION`, the part run ids hash) is
    today's :func:`code_version` — such runs share their ids with this release's, are resumed as done,
    and so belong to one setting with them; any other version is returned as recorded."""
    if isinstance(version, str) and version.rpartition("+c")[1] and version.rpartition("+c")[2] == CODE_VERSION:
        return code_version()
    return version


def code_key(version: str):
    """A recorded code version (``0.1.0+c3``: the release's numbers, then its ``cN``) as a key that orders releases,
    or None where it cannot be read so."""
    pub, _, local = str(version).partition("+")
    try:
        return tuple(int(x) for x in pub.split(".")), int(local[1:]) if local[1:].isdigit() else -1
    except ValueError:
        return None


def code_order(versions) -> list[str]:
    """Recorded code versions as text, releases in order (``0.9.0+c3`` before ``0.10.0+c3``, :func:`code_key`), any
    that cannot be read so after them by name."""
    return sorted({str(v) for v in versions}, key=lambda v: (code_key(v) is None, code_key(v) or ((), 0), v))


def newer_code(version) -> bool:
    """Whether a recorded code version is a later release's than this checkout's (:func:`code_version`): a store
    this checkout is older than, whose runs no re-run here gives again — updating plbench does."""
    a, b = code_key(as_current_code(version)), code_key(code_version())
    return a is not None and b is not None and a > b


def current_setting(setting: dict) -> dict:
    """A recorded setting (:func:`setting`) with its ``code_version`` read by :func:`as_current_code`."""
    if isinstance(setting, dict) and "code_version" in setting:
        now = as_current_code(setting["code_version"])
        if now != setting["code_version"]:
            return {**setting, "code_version": now}
    return setting


def current_setting_json(text):
    """A row's ``setting`` JSON with its code version read by :func:`as_current_code`; text that is
    not a setting, or needs no change, is returned as it is (so its key stays byte-identical)."""
    if not isinstance(text, str) or "code_version" not in text:
        return text
    try:
        d = json.loads(text)
    except ValueError:
        return text
    now = current_setting(d)
    return text if now is d else setting_json(now)


@dataclass(frozen=True)
class RunConfig:
    """One (task, loss, seed) training run and its evaluation data.

    ``train_data``/``test_data``: one or more sources (several training sources are pooled).
    ``device_type``/``precision``: where the numbers come from (``cpu``/``fp32``; ``cuda``/``bf16``
    autocast); ``train_fingerprint``/``test_fingerprint``: content hashes of the decoded images,
    filled by :func:`resolve` (empty in an unresolved config). ``weights_fingerprint``: which weights the loss
    loads where its spec and ``backbone_weights`` do not say (:func:`benchmark.weights.weights_fingerprint`: the
    encoder csr's ``encoder='auto'`` takes), also filled by :func:`resolve`; empty for every other run, whose id
    it leaves as it was.
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
    weights_fingerprint: str = ""                # the weights files the spec does not fix (weights.weights_fingerprint)

    def __post_init__(self):
        # The one place a config's collections are normalised, however it was built (a grid, a meta.json
        # read back by ``compare``, the Python API, ``dataclasses.replace``): every collection a tuple, so
        # every RunConfig hashes and equal settings compare equal.
        object.__setattr__(self, "task_params", freeze_params(self.task_params))
        for name in ("train_data", "test_data"):
            object.__setattr__(self, name, _sources(getattr(self, name)))
        for name in ("iterations", "batch_size", "crop"):
            if getattr(self, name) <= 0:
                raise UserError(f"{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if not self.lr > 0:
            raise UserError(f"lr must be positive, got {self.lr}")
        if not math.isfinite(self.lr):
            raise UserError(f"lr must be finite, got {self.lr}")
        if not 0 <= self.seed < 2**63:
            raise UserError(f"seed must be in [0, 2**63), got {self.seed}")
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
        d = {"task_params": {}, "train_data": (), "test_data": (), **d}  # __post_init__ normalises the rest
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _frozen(v):
    """A JSON-ish value made hashable: lists/tuples → tuples, dicts → sorted (key, value) tuples."""
    if isinstance(v, dict):
        return tuple(sorted((str(k), _frozen(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_frozen(x) for x in v)
    return v


def freeze_params(params) -> tuple[tuple[str, object], ...]:
    """Task parameters (a dict, or ``(key, value)`` pairs; values as they read back from JSON, lists
    included) → the sorted tuple of ``(key, hashable value)`` a :class:`RunConfig` holds."""
    items = params.items() if isinstance(params, dict) else params
    try:
        pairs = [(str(k), _frozen(v)) for k, v in items]
    except (TypeError, ValueError):
        raise UserError(f"task parameters must be name=value pairs, got {params!r}") from None
    return tuple(sorted(pairs))


def _plain(v):
    """The inverse of :func:`_frozen` for writing YAML/JSON: tuples → lists."""
    return [_plain(x) for x in v] if isinstance(v, (list, tuple)) else v


def _sources(v) -> tuple[DataSpec, ...]:
    """One data source or several, each a :class:`DataSpec` or its token → a tuple of DataSpecs."""
    if isinstance(v, (DataSpec, str)):
        v = (v,)
    return tuple(x if isinstance(x, DataSpec) else DataSpec.parse(str(x)) for x in v)


def precision_for(device_type: str) -> str:
    """The precision a device type trains in: bf16 autocast on CUDA, fp32 on the CPU."""
    return "bf16" if device_type == "cuda" else "fp32"


def resolve(cfg: RunConfig, data=None, device_type: str | None = None) -> RunConfig:
    """Fill what the id needs and only a look can tell: the data fingerprints (from ``data``, a
    :class:`benchmark.runner.DataCache`), the device type and its precision, the backbone weights the run records
    (:func:`recorded_weights`: ``none`` for a loss that takes none, so pixel losses share one id across weight
    settings; ``random`` for ``pretrained`` or ``none`` where the loss loads no pretrained file under either: gpl,
    ``pdl(layers=())``, one id too), and the weights the loss loads where its spec does not fix them
    (:func:`benchmark.weights.weights_fingerprint`). Fingerprints already set must match the data and the weights:
    a source or a weights choice that changed since the grid was planned is a :class:`UserError`. The crop becomes
    the side the task trains on
    (:meth:`benchmark.task.Task.train_crop`: ``sr4`` at crop 42 samples 40-px crops, so its id is crop 40's)."""
    from benchmark.task import build_task

    changes: dict = {}
    task = build_task(cfg.task, **dict(cfg.task_params))
    crop = task.train_crop(cfg.crop)
    if crop != cfg.crop:
        changes["crop"] = crop
    if device_type is not None and device_type != cfg.device_type:
        changes.update(device_type=device_type, precision=precision_for(device_type))
    from benchmark.weights import weights_fingerprint

    recorded = recorded_weights(cfg.loss, cfg.backbone_weights)
    if recorded != cfg.backbone_weights:
        changes["backbone_weights"] = recorded

    wfp = weights_fingerprint(cfg.loss, changes.get("backbone_weights", cfg.backbone_weights))
    if cfg.weights_fingerprint and cfg.weights_fingerprint != wfp:
        from benchmark.weights import selftrained_changed_note

        raise UserError(f"the weights of loss {cfg.loss!r} changed since this grid was set up "
                        f"({cfg.weights_fingerprint} → {wfp or 'none'}); re-run the command to plan it again"
                        + selftrained_changed_note(cfg.loss, changes.get("backbone_weights", cfg.backbone_weights)))
    if wfp != cfg.weights_fingerprint:
        changes["weights_fingerprint"] = wfp
    if data is not None:
        for key, specs in (("train_fingerprint", cfg.train_data), ("test_fingerprint", cfg.test_data)):
            fp = data.fingerprint(specs, role=key.split("_")[0], task=task,
                                  device_type=changes.get("device_type", cfg.device_type))
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

    config = cfg.to_dict()
    if not config["weights_fingerprint"]:  # weights the spec fixes (every run before it existed): ids as they were
        del config["weights_fingerprint"]
    else:
        from benchmark.weights import is_checkpoint

        if is_checkpoint(cfg.backbone_weights):  # --backbone-weights enc.pt: its content is in the fingerprint,
            config["backbone_weights"] = "checkpoint"  # so the same file moved elsewhere keeps its runs
    key = {"config": config, "code": CODE_VERSION, "net": signature(cfg.net),
           "task_version": TASKS.get(cfg.task).version, "loss_versions": loss_versions(cfg.loss)}
    if cfg.precision == "bf16":  # how a trunk computes under autocast (CPU/fp32 ids unchanged)
        from benchmark.lossfn import takes_weights
        from benchmark.precision import trunk_policy

        if takes_weights(cfg.loss):
            key["trunk_policy"] = trunk_policy()
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


#: YAML 1.1's base-60 numbers (``4:00:00``, ``1:30``, ``-1:30.5``), which YAML 1.2 reads as text
_YAML_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
#: YAML 1.2's floats: PyYAML (YAML 1.1) reads ``1e-3`` and ``1e3`` — no dot — as strings, so
#: ``lr: 1e-3`` was refused as "expects float, got '1e-3' (str)"
_YAML_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class _NotToml(UserError):
    """A TOML config file's syntax error (already names the file)."""


def _load_toml(text: str, name: str) -> dict:
    """The settings of a TOML config file's ``text`` (a mapping); a syntax error is one line naming
    the file. Needs Python ≥ 3.11 (``tomllib``) or the ``tomli`` package."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise _NotToml(f"{name}: reading a TOML config needs Python ≥ 3.11 (or `{pip()} install tomli`); "
                           "or write it as YAML (`iterations: 5`)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # raised past from_file's "<name>: " prefix
        raise _NotToml(f"{name} is not valid TOML: {str(exc).splitlines()[0]}") from None


def _config_text(p: Path) -> str:
    """A config file's text: UTF-8, with or without the BOM Notepad writes (tomllib refused it: 'Invalid statement
    (at line 1, column 1)'), or UTF-16 with its BOM (PowerShell 5's ``echo … > grid.yaml``), or UTF-16/32 without
    one (told as a table's is: :func:`benchmark.data.wide_encoding`); another encoding is one line naming the first
    byte that is not UTF-8, and its line."""
    raw = p.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise UserError(f"{p.name} is not a text file (not UTF-8 or UTF-16): a config is YAML") from None
    # UTF-16 or UTF-32 without its BOM (ASCII's high bytes NUL), told as a table's is (data.wide_encoding; it
    # checks the length and decodes it whole), read as UTF-8 'a binary file', and with an accent 'not a text file'
    if b"\0" in raw[:4096] and (codec := wide_encoding(raw)):
        return raw.decode(codec)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if b"\0" in raw or exc.start == 0:  # a binary file (an image passed as the config): no line of text
            raise UserError(f"{p.name} is not a text file (not UTF-8): a config is YAML") from None
        byte = raw[exc.start]
        char = bytes([byte]).decode("cp1252", errors="ignore")
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"{p.name} is not UTF-8 text (line {line} holds the byte 0x{byte:02x}"
                        + (f", as Windows-1252 or Latin-1 write {char}" if char.isalpha() else "")
                        + "): save it as UTF-8") from None


def _unique_key_loader():
    """A YAML safe loader that refuses a key given twice in one mapping (the second would win
    silently) and a key that is not a scalar (a list or mapping as a key), reads ``1e-3`` as a
    float (YAML 1.2; PyYAML's YAML 1.1 reads it as a string) and keeps YAML's merge keys
    (``<<: *defaults``; a key written beside the merge overrides the merged one, as YAML says)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:`: flattened by SafeLoader below
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise UserError(f"line {key_node.start_mark.line + 1}: a config key is a name, not a "
                                f"{'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}")
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise UserError(f"config key {key!r} is given twice (lines {seen[key] + 1} and "
                                f"{key_node.start_mark.line + 1}): keep one")
            seen[key] = key_node.start_mark.line
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789."))
    for first, resolvers in Loader.yaml_implicit_resolvers.items():  # base 60 (`4:00:00` → 14400) is text, as
        if first in "-+0123456789":                                  # in YAML 1.2: a time limit as written
            resolvers.insert(0, ("tag:yaml.org,2002:str", _YAML_BASE60))
    return Loader


#: the smallest training crop (px); a task needs at least 2 × its size multiple (×4 SR: 8 px → 2 px low-res)
MIN_CROP = 8


def check_crop(task, crop: int, name: str, setting: str = "--crop") -> None:
    """A :class:`UserError` where training ``crop`` (px) is below what ``task`` (named ``name``) takes:
    :data:`MIN_CROP` and :meth:`benchmark.task.Task.min_crop`; ``setting`` names where the crop was given
    (:meth:`GridSpec.named`)."""
    need, why = task.min_crop()
    if crop < max(MIN_CROP, need):
        raise UserError(f"{setting} {crop} is too small for task {name}: it needs ≥ {max(MIN_CROP, need)} px "
                        f"(at least {MIN_CROP}, and {why})")


def check_test_sides(task, name: str, test_sets: dict) -> None:
    """A :class:`UserError` where a test image of ``test_sets`` ({DataSpec: [ImageRecord]}), cut to ``task``'s
    :attr:`~benchmark.task.Task.test_multiple`, has a side under :meth:`~benchmark.task.Task.min_test_side` (deblur:
    within its kernel's reach, which the code before 10c9b4d padded otherwise under the same run ids), naming the
    images; one under the multiple itself (or over the task's ``max_side``) is left out of the task, as before
    (:func:`benchmark.runner.held_out_items`), and none left is refused in its words (×3 super-resolution's 24 px)."""
    from benchmark.data import MIN_IMAGE_SIDE, dataset_names

    need, why = task.min_test_side()
    multiple = task.test_multiple
    most = task.max_side
    fit = [rec for records in test_sets.values() for rec in records if min(rec.size) >= multiple and (
        most is None or max(n - n % multiple for n in rec.size) <= most)]
    if fit and not [rec for rec in fit if min(rec.size) >= MIN_IMAGE_SIDE or min(n - n % multiple for n in rec.size)
                    >= need]:  # images under 8 px alone, each within the task's reach: every one left out
        raise UserError(f"every test image task {name} could take is under {MIN_IMAGE_SIDE} px on a side and cut to "
                        f"less than the {need} px it needs ({why}): none is left to test on "
                        f"({', '.join(str(s) for s in test_sets)})")
    if any(test_sets.values()) and not fit:
        cut = int(task.size_multiple)  # what modcrop=true cuts to: an image of that much is tested on (not deblur's)
        hint = (f"; with modcrop=true it tests them {'whole' if cut == 1 else f'cut to multiples of {cut} px'} "
                f"(--task-param {name}.modcrop=true)" if type(task).cuts_by_modcrop and not task.modcrops and any(
                    min(rec.size) >= max(cut, task.min_test_side()[0]) for records in test_sets.values()
                    for rec in records) else "")
        raise UserError(f"no test image is at least {multiple}{f' and at most {most}' if most is not None else ''} px "
                        f"on each side, as task {name} needs ({', '.join(str(s) for s in test_sets)}){hint}")
    names = dataset_names(test_sets)
    small = [(names[spec], rec.image_id, rec.size, min(n - n % multiple for n in rec.size))
             for spec, records in test_sets.items() for rec in records]
    # an image under 8 px (loaded for modcrop=true's whole-image tasks) is left out where the task cannot take it
    # (benchmark.runner.held_out_items): never tested on before, no run of old code scored it otherwise
    small = [(src, image, (h, w), side) for src, image, (h, w), side in small
             if multiple <= side < need and min(h, w) >= MIN_IMAGE_SIDE]
    if small:
        shown = "; ".join(f"test image {src}/{image} ({w}×{h}) is cut to {side} px on a side"
                          for src, image, (h, w), side in small[:3]) + ("; …" if len(small) > 3 else "")
        cut = f" (multiples of {multiple})" if multiple > 1 else ""
        raise UserError(f"{shown}{cut}, and task {name} needs ≥ {need} px ({why}): "
                        f"{plural(len(small), 'test image')} too small; leave them out of the test data, or {name} "
                        "out of the grid")


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
# image files (an imagefolder of zip archives); its HR archives only (each split also holds every LR archive,
# bicubic X2-X8, unknown, mild, wild: low-resolution images, no clean targets); the validation HR images are the
# test set where Set5/Set14/Kodak24 are not on this machine.
HUB_TRAIN = ("goodfellowliu/DIV2K/DIV2K_train_HR.zip:train",)
HUB_TEST = ("goodfellowliu/DIV2K/DIV2K_valid_HR.zip:validation",)
#: the folders of ``shared/datasets`` each profile trains and tests on when they are there
LOCAL_SETS = {"standard": (("BSD200", "T91"), ("Kodak24", "CSet14")),
              "full": (("BSD200", "T91"), ("CSet5", "CSet14", "Kodak24"))}


def full_data(shared: Path = SHARED_DATASETS, test_sets=("CSet5", "CSet14", "Kodak24")
              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(training sources, test sources) of the full and standard profiles: BSD200 + T91 (the classic
    291) and the ``test_sets`` (Set5, Set14, Kodak24) from ``shared`` when it has them, else
    script-free hub datasets."""
    train = [shared / "BSD200", shared / "T91"]
    test = [shared / t for t in test_sets]
    return (tuple(str(p) for p in train) if all(p.is_dir() for p in train) else HUB_TRAIN,
            tuple(str(p) for p in test) if all(p.is_dir() for p in test) else HUB_TEST)


#: Baselines a registered finding compares a loss with on the loss's own layers
#: (:meth:`benchmark.findings.BeatsOnSameWeights.same_taps`: psycho's and contrastive_select's relu1_2–relu3_3), not
#: among ``all`` (the registry's defaults): the standard and full profiles train them, so Tariq's and Mei's findings
#: compare selection against no selection on the same features (``tests/test_mend_profiles17.py`` checks this against
#: the findings).
FINDING_BASELINES = ("vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))",)

PROFILES = {
    # CPU-friendly: embedded photos, tiny net, pixel losses plus three feature losses on random-init backbones.
    "quick": Profile("quick", DEFAULT_TASKS, PIXEL_LOSSES + QUICK_FEATURE_LOSSES, (0,), "tiny", 120, 8, 48, 2e-3,
                     ("skimage:train",), ("skimage-natural:test",), "random", metrics=QUICK_METRICS),
    # Real offline answers: BSD200 + T91 crops, Kodak24 + Set14, every loss family, 3 seeds; feature losses
    # on pretrained backbones where their weights are cached, else random-init ("auto"). A GPU profile;
    # configs/standard-cpu.yaml is the subset that finishes in under 2 h on 2 CPU cores.
    "standard": Profile("standard", DEFAULT_TASKS, ("all", *FINDING_BASELINES), (0, 1, 2), "small", 3000, 16, 96, 5e-4,
                        *full_data(test_sets=LOCAL_SETS["standard"][1]), "auto"),
    # Overnight on a GPU: BSD200 + T91 training crops, Set5/Set14/Kodak24 test sets, pretrained backbones.
    "full": Profile("full", DEFAULT_TASKS, ("all", *FINDING_BASELINES), (0, 1, 2), "base", 5000, 16, 128, 2e-4,
                    *full_data(test_sets=LOCAL_SETS["full"][1]), "pretrained"),
}


def backbone_weights_known(value: str) -> bool:
    """Whether ``--backbone-weights`` ``value`` names weights a backbone can load (as
    :class:`benchmark.backbones.Backbone` reads it): a word (``random``, ``pretrained``, ``auto``, ``none``), a weights
    key, or a checkpoint file by path or by self-trained name. Not whether a key's file is cached: loading says that."""
    from benchmark.weights import find_checkpoint, known_files

    return value in ("random", "pretrained", "auto", "none") or value in known_files() or \
        find_checkpoint(str(value)) is not None


def _refuse_term_weights(s, weights: dict[str, str]) -> None:
    """A term its weights make refuse (a registration's ``refuses=``, a function of the term's keywords and weights
    giving the loss's own one-line refusal, "" for none: ``csr(selftrain_data=X)`` on random weights) is refused
    now, before any image is read, naming the setting that gave it those weights — and for ``auto``, which chose
    random where the file is missing, the command that makes it (the registration's ``selftrains=``)."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    for ls, backbone in weights.items():
        for term in parse_loss_spec(ls):
            meta, kwargs = LOSSES.get(term.name).meta, dict(term.kwargs)
            own = "weights" in kwargs
            kwargs.setdefault("weights", backbone)
            if (refuses := meta.get("refuses")) is None or not (said := refuses(**kwargs)):
                continue
            if not own:
                said += f" (weights={backbone!r} from {s.named('backbone_weights')} {s.backbone_weights}"
                make = meta.get("selftrains")
                cmd = make(**{**kwargs, "weights": "pretrained"}) if make is not None else ""
                if s.backbone_weights == "auto" and cmd:
                    said += f", as its file is missing: make it with `{cmd}`, and auto then trains it pretrained"
                said += ")"
            raise UserError(said)


def _refuse_no_weights(s, loss_specs) -> None:
    """``--backbone-weights none`` (what a pixel loss's runs record) for a grid with a loss whose trunk takes the run's
    weights (``vgg``; not gpl or ``pdl(layers=())``, which load no file either way and train as ``random``,
    :func:`resolve`, nor a term naming its own ``weights``): one line naming those losses, before any image is read
    (their build said 'weights must be …; not found: none; did you mean none?')."""
    if s.backbone_weights != "none":
        return
    from benchmark.lossfn import parse_loss_spec, takes_weights
    from benchmark.weights import same_on_random_and_pretrained, term_loads_pretrained

    takers = {ls: [t for t in parse_loss_spec(ls) if takes_weights(t.name) and "weights" not in dict(t.kwargs)
                   and not same_on_random_and_pretrained(str(t))] for ls in loss_specs}
    deep = [ls for ls, terms in takers.items() if terms]
    if deep:  # the values every such loss takes: no pretrained file (tinycnn) → neither pretrained nor a weights key
        unpublished = any(term_loads_pretrained(t) is None for ls in deep for t in takers[ls])
        values = "random, auto or a checkpoint" if unpublished else \
            "random, pretrained, auto, a weights key or a checkpoint"
        raise UserError(f"{s.named('backbone_weights')} none: {', '.join(deep)} {agree(len(deep), 'has', 'have')} a "
                        f"backbone that takes the run's weights; give {values} (none is what a pixel loss's runs "
                        "record)")


def recorded_weights(loss: str, backbone_weights: str) -> str:
    """The backbone weights a run of ``loss`` under ``backbone_weights`` records (and builds with), where they do not
    change what it computes: ``none`` for a loss that takes no weights (pixel losses: one id under every value);
    ``random`` for ``pretrained`` or ``none`` where the loss loads no pretrained file under either
    (:func:`benchmark.weights.same_on_random_and_pretrained`: gpl, ``pdl(layers=())``: one computation, one run id);
    else ``backbone_weights`` itself (a trunk's ``none`` stays ``none``, refused by :func:`_refuse_no_weights`). The
    one rule :func:`resolve` (a run's id) and :func:`weights_for` (its build) both read."""
    from benchmark.lossfn import takes_weights
    from benchmark.weights import same_on_random_and_pretrained

    if not takes_weights(loss):
        return "none"
    if backbone_weights in ("pretrained", "none") and same_on_random_and_pretrained(loss):
        return "random"
    return backbone_weights


def weights_for(loss: str, backbone_weights: str) -> str:
    """The backbone weights a loss trains with: ``auto`` is ``pretrained`` when every file the loss
    needs is in the cache and ``random`` otherwise (per loss, decided when the grid is planned, so a
    run's id and label say which it got). ``none`` (what a pixel loss's runs record) is ``random`` for a loss that loads
    no pretrained file either way (gpl, ``pdl(layers=())``: :func:`resolve`'s one id), so its build is given weights it
    takes."""
    if backbone_weights == "none":
        return recorded_weights(loss, "none")
    if backbone_weights != "auto":
        return backbone_weights
    from benchmark.weights import (
        NoPretrainedWeights,
        find_checkpoint,
        get_file,
        loss_checkpoints,
        loss_weight_keys,
        term_specs,
    )

    try:
        keys = [k for term in term_specs([loss]) for k in loss_weight_keys(term)]  # each term with its arguments
        refs = [r for term in term_specs([loss]) for r in loss_checkpoints(term)]  # csr(encoder='enc.pt'): that file
    except NoPretrainedWeights:  # vgg(arch='tinycnn'): no published file to be cached, never pretrained
        return "random"
    # a file shipped in a package (lpips' heads) is no pretrained trunk: lpips(weights='random') needs only those
    downloads = [k for k in keys if not get_file(k).subdir.startswith("package:")] + refs
    present = all(get_file(k).present for k in keys) and all(find_checkpoint(r) is not None for r in refs)
    return "pretrained" if downloads and present else "random"


# --------------------------------------------------------------------------------------------
# a grid as the user describes it: profile + config file + command-line flags
# --------------------------------------------------------------------------------------------
#: the settings a profile fills where none is given (:meth:`GridSpec.resolved`; the rest: :data:`RUN_DEFAULTS`)
_PROFILE_FIELDS = ("tasks", "losses", "seeds", "net", "iterations", "batch_size", "crop", "lr", "train_data",
                   "test_data", "backbone_weights", "metrics", "device")
#: invocation defaults (what is not part of a profile)
RUN_DEFAULTS = {"budget_check": True, "out": "results", "executor": "local", "workers_per_gpu": 1,
                "slurm_time": "8:00:00", "checkpoint_every": 500, "checkpoint_seconds": 60.0, "compile": False,
                "stall_timeout": 1800.0,
                "logger": "tensorboard"}


#: the executors' names (= :data:`benchmark.executors.EXECUTORS`, which imports this module: not imported here)
EXECUTOR_NAMES = ("local", "ray", "slurm")


def check_executor_name(name, source: str = "") -> None:
    """Refuse an executor name that is not one of :data:`EXECUTOR_NAMES`, naming the close one (``slurmm``) and
    ``source`` (a config file) when given: one check for a config file, ``api.run`` and the executors."""
    if name not in EXECUTOR_NAMES:
        raise UserError(f"{source + ': ' if source else ''}unknown executor {name!r}"
                        + did_you_mean(str(name), EXECUTOR_NAMES) + f" (choose from {', '.join(EXECUTOR_NAMES)})")


#: the training-curve loggers' names (:mod:`benchmark.loggers`, which imports this module: not imported here)
LOGGERS = ("tensorboard", "wandb", "mlflow", "none")


def check_logger_name(kind, source: str = "") -> None:
    """Refuse a logger name that is not one of :data:`LOGGERS`, naming the close one and ``source`` (a config
    file) when given; whether its package is installed is :func:`benchmark.loggers.check_logger`'s to say."""
    if kind not in LOGGERS:
        raise UserError(f"{source + ': ' if source else ''}unknown logger {kind!r}" + did_you_mean(str(kind), LOGGERS)
                        + f" (choose from {', '.join(LOGGERS)})")
#: the executor options a config file's ``executor:`` mapping may hold besides ``name``: the
#: :class:`GridSpec` fields of that name, and SLURM's options with or without their ``slurm_`` prefix
_EXECUTOR_FIELDS = ("workers", "workers_per_gpu", "ray_address", "submitit_cluster", "slurm_partition", "slurm_gpus",
                    "slurm_time", "slurm_mem", "slurm_cpus")
EXECUTOR_KEYS = ("name", *_EXECUTOR_FIELDS, "partition", "gpus", "time", "mem", "cpus")


#: the settings of each remote executor, by the executor they belong to: without it they would go unused
#: (:func:`check_executor_settings` refuses such a setting where the grid runs with another)
EXECUTOR_OPTIONS = {"ray": ("ray_address",),
                    "slurm": ("slurm_partition", "slurm_gpus", "slurm_time", "slurm_mem", "slurm_cpus",
                              "submitit_cluster")}


def check_executor_settings(spec, s, tell: bool = True) -> None:
    """Refuse, in one line, a setting grid ``spec`` (not resolved) gives that the grid (``s``, resolved) would leave
    unused: another executor's (``--slurm-partition gpu --slurm-time 4:00:00`` without ``--executor slurm``,
    ``api.run(slurm_partition='gpu')``, a config file's ``executor: {gpus: 2}`` with no ``name:``, or one naming
    ``ray`` beside its SLURM settings, trained the whole grid here, in one process, every such setting dropped without
    a word), or ``workers_per_gpu`` K > 1 given by a flag or keyword where no GPU is shared (``--device cpu``, or
    ``auto`` on a machine without one: ``--workers K`` runs K processes; SLURM takes no such option, a job gets
    ``--slurm-gpus``). One check for ``run``, ``api.run()`` and :func:`build_configs`, one message per mistake, in
    the words of whatever gave the setting. A config file's settings that a flag's or keyword's executor leaves
    unused are not refused: its ``executor:`` block may name another executor's settings that ``--executor local``
    overrides (``tell``: said in one line), and configs/full.yaml's ``workers_per_gpu`` stays under
    ``--device cpu``."""
    origins = dict(spec.origins)

    def source(key):  # None: a flag's; "api.run()": a keyword's; else the config file's path
        return origins.get(key)

    def overridden(key):  # a file's setting, the executor chosen by a flag or keyword over it
        return source(key) not in (None, "api.run()") and spec.executor is not None and \
            source("executor") in (None, "api.run()")

    def default(key):  # a file's setting at its default: a grid saved before to_mapping left slurm_time out held
        # `slurm_time: '8:00:00'` beside `executor: local`, and is re-run with --config (not refused, nor said)
        return source(key) not in (None, "api.run()") and getattr(spec, key) == RUN_DEFAULTS.get(key, ())

    api = any(where == "api.run()" for where in origins.values())  # how the words name a setting
    unused = [k for owner, keys in EXECUTOR_OPTIONS.items() if owner != s.executor for k in keys
              if getattr(spec, k) is not None and overridden(k) and not default(k)]
    if unused and tell:  # documented, but a file written for SLURM run here by a flag: said, not silent
        chose = f"executor={s.executor!r}" if source("executor") == "api.run()" else f"--executor {s.executor}"
        where = source(unused[0])  # the one config file
        logging.getLogger(__name__).info("%s: %s unused: %s runs this grid", where, ", ".join(
            spec.named(k).removeprefix(f"{where}: ") for k in unused), chose)
    stray = {key: owner for owner, keys in EXECUTOR_OPTIONS.items() if owner != s.executor for key in keys
             if getattr(spec, key) is not None and not overridden(key) and not default(key)}
    if stray:
        first = next(iter(stray))  # `--executor ray --slurm-mem 32G`: slurm's; with the others of its source
        owner, where = stray[first], source(first)
        groups: dict = {}  # (executor, source) → its settings: `--slurm-partition gpu --ray-address auto` is both,
        for k, name in stray.items():  # said at once (one said, dropped, and the next try said the other)
            groups.setdefault((name, source(k)), []).append(k)
        keys = groups[owner, where]
        flag = where is None and not api

        def executor(name, where=where):  # the executor as the source of the setting names it
            return f"--executor {name}" if where is None and not api else \
                f"executor={name!r}" if where == "api.run()" else f"the {name} executor"

        def named(keys, where):
            return ", ".join(k if where == "api.run()" else spec.named(k).removeprefix(f"{where}: ") for k in keys)

        chose = source("executor")  # a config file's executor beside a flag's or keyword's setting: the file's words
        runs = ("names no executor, so it would train here with the local one" if spec.executor is None else
                f"runs with {executor(s.executor)}" if chose == where or chose in (None, "api.run()") else
                f"runs with the {s.executor} executor ({chose})")
        fix = ("add" if spec.executor is None else "use") + f" --executor {owner}" if flag else \
            f"pass executor={owner!r}" if where == "api.run()" else \
            f"add executor: {owner}" if spec.executor is None and keys[0] not in dict(spec.spelt) else \
            f"add name: {owner} to its executor block" if spec.executor is None else f"make its executor {owner}"
        noun = agree(len(keys), "is an option", "are options") if flag else agree(len(keys), "is a setting",
                                                                                  "are settings")
        said = (f"{where + ': ' if where else 'api.run(): ' if api else ''}{named(keys, where)} {noun} "
                f"of {executor(owner)}")
        for (name, other), ks in list(groups.items())[1:]:  # another executor's, or another source's
            said += (" and " + (f"{other}: " if other not in (None, "api.run()", where) else "")
                     + f"{named(ks, other)} of {executor(name, other)}")
        owners = list(dict.fromkeys(name for name, _ in groups))
        if len(owners) > 1:  # a grid runs with one executor: name one, and drop the other's settings
            fix = (f"{'add' if spec.executor is None else 'use'} {' or '.join(executor(o) for o in owners)}" if flag
                   else f"pass {' or '.join(executor(o) for o in owners)}" if where == "api.run()"
                   else f"make its executor {' or '.join(owners)}") + " (dropping the other's settings)"
        raise UserError(f"{said}, and this grid {runs}: {fix}, or drop {agree(len(stray), 'it', 'them')}")
    k = spec.workers_per_gpu
    if k is None or source("workers_per_gpu") not in (None, "api.run()") or k <= 1:  # 0: "must be at least 1"
        return
    flag = (lambda key: f"api.run(): {key}") if api else (lambda key: "--" + key.replace("_", "-"))
    executor = (lambda e: f"executor={e!r}") if api else (lambda e: f"--executor {e}")
    if s.executor == "slurm":
        raise UserError(f"{flag('workers_per_gpu')} {k}: {executor('slurm')} does not share a GPU between runs (each "
                        f"job gets {'slurm_gpus=N' if api else '--slurm-gpus N'}); drop it, or use "
                        f"{executor('local')} or {executor('ray') if api else 'ray'}")
    device = s.device or "auto"
    if device == "auto" and s.executor == "local":
        from benchmark.devices import resolve_device

        device = resolve_device(device).type
    if device == "cpu":
        raise UserError(f"{flag('workers_per_gpu')} {k} shares a GPU between runs, and this grid runs on the CPU: "
                        f"use {f'workers={k}' if api else f'--workers {k}'} for {k} processes, or drop it")


#: the flag of a GridSpec setting not spelt as the setting is (:meth:`GridSpec.named`)
_FLAGS = {"task_params": "--task-param", "loss_files": "--loss-file"}
#: :class:`GridSpec` fields that say where its settings came from: no setting of a file, flag or keyword
_NOT_SETTINGS = ("origins", "spelt", "filled")


def _loss_file_key(path) -> str:
    """The key of :attr:`GridSpec.origins` holding the source of one loss file (:meth:`GridSpec.blamed_loss_file`)."""
    return f"loss_files[{path}]"


@dataclass(frozen=True)
class GridSpec:
    """What a user asks for, from a config file (:meth:`from_file`) and/or flags; ``None`` = not
    given (the profile's value, or :data:`RUN_DEFAULTS`, applies). :func:`build_configs` turns it
    into resolved :class:`RunConfig` s; :meth:`resolved` fills every default, as saved beside the
    results (``<out>/grids/<time>.yaml``)."""

    profile: str | None = None
    tasks: tuple[str, ...] | None = None
    task_params: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()   # ((task, ((key, value), ...)), ...)
    losses: tuple[str, ...] | None = None
    loss_files: tuple[str, ...] = ()
    loss_tasks: tuple[tuple[str, tuple[str, ...]], ...] = ()   # ((loss, (task, ...)), ...): a loss on those tasks only
    seeds: tuple[int, ...] | None = None
    net: str | None = None
    iterations: int | None = None
    budget_check: bool | None = None   # also train each run at half the iterations (benchmark.convergence)
    batch_size: int | None = None
    crop: int | None = None
    lr: float | None = None
    train_data: tuple[str, ...] | None = None
    test_data: tuple[str, ...] | None = None
    max_train_images: int | None = None
    backbone_weights: str | None = None
    metrics: tuple[str, ...] | None = None
    device: str | None = None
    compile: bool | None = None
    out: str | None = None
    executor: str | None = None
    workers: str | None = None
    workers_per_gpu: int | None = None
    ray_address: str | None = None
    slurm_partition: str | None = None
    slurm_gpus: int | None = None
    slurm_time: str | None = None
    slurm_mem: str | None = None
    slurm_cpus: int | None = None
    submitit_cluster: str | None = None
    checkpoint_every: int | None = None
    checkpoint_seconds: float | None = None
    #: seconds a run may go without a training iteration, checkpoint or scored test image before it is stopped as
    #: hung and recorded failed (:func:`benchmark.progress.stall_watch`; 0: never)
    stall_timeout: float | None = None
    logger: str | None = None
    #: (setting, source) of each setting a config file or ``api.run()`` gave: :meth:`named` says where a bad value
    #: came from (not a setting: never read from a file, nor saved)
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    #: (setting, as its source wrote it) where that is not the setting's own name: a config file's
    #: ``executor: {gpus: 2}`` is ``slurm_gpus``, named ``executor.gpus`` (not a setting either)
    spelt: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    #: the settings :meth:`resolved` took from the profile, none given (not a setting either)
    filled: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def named(self, key: str) -> str:
        """How a message names setting ``key``: ``grid.yaml: crop`` (a config file's; ``grid.yaml: executor.gpus``
        for its executor block's ``gpus``), ``api.run(): crop`` (a keyword's), ``the quick profile's crop`` (the
        profile's, where none gave it), else its flag, ``--crop``."""
        source = dict(self.origins).get(key)
        if source:
            return f"{source}: {dict(self.spelt).get(key, key)}"
        if key in self.filled:
            return f"the {self.profile} profile's {key}"
        return _FLAGS.get(key, "--" + key.replace("_", "-"))

    @contextlib.contextmanager
    def blamed(self, key: str, flag: bool = False):
        """The checks of setting ``key`` (its names: ``net: huge``): a :class:`UserError` they raise names the config
        file (``grid.yaml: unknown net 'huge' …``) or ``api.run()`` that gave the value, as a misspelt key is named;
        a flag's value as before, or (``flag``: for checks whose words name no flag, the device's) by
        :meth:`named`: ``--device: unknown device 'tpu' …``. The error keeps its type (an
        :class:`~benchmark.errors.UnknownName` its kind)."""
        source = dict(self.origins).get(key)
        prefix = f"{source}: " if source else f"{self.named(key)}: " if flag else ""
        try:
            yield
        except UserError as exc:
            if prefix and not str(exc).startswith(prefix):
                exc.args = (f"{prefix}{exc}", *exc.args[1:])
            raise

    @contextlib.contextmanager
    def blamed_loss_file(self, path: str):
        """:meth:`blamed` for one of the loss files: those of a config file, ``api.run()`` and ``--loss-file`` are
        added (:meth:`merged`), so each is named by the source that gave it (``grid.yaml: bad.py failed to import``
        beside a ``--loss-file mine.py``), not by the last source to give any."""
        with self.blamed(_loss_file_key(path)):
            yield

    # -- building -------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, d: dict, source: str = "config") -> "GridSpec":
        """A mapping (a parsed YAML file) → GridSpec. ``tasks`` may map each task to its parameters
        (``{denoise: {sigma: 0.1}, sr4: {}}``) and ``losses`` may hold ``{name: {key: value}}``
        items; every list setting (``tasks``, ``losses``, ``seeds``, ``train_data``, ``test_data``,
        ``metrics``, ``loss_files``) may also be one value (``seeds: 0`` is ``seeds: [0]``);
        ``executor`` may be a name or a mapping of the executor options (:data:`EXECUTOR_KEYS`).
        Unknown keys and values of the wrong type are one-line errors naming the file."""
        from benchmark.params import check_kwargs

        if not isinstance(d, dict):
            raise UserError(f"{source}: expected a mapping of settings, got {type(d).__name__}")
        d = dict(d)
        written = dict(d)  # as the file holds it: an empty `tasks: {}` is named as the mapping it is
        block = written.get("executor") if isinstance(written.get("executor"), dict) else {}
        nulls = [k for k, v in written.items() if v is None] + [f"executor.{k}" for k, v in block.items() if v is None]
        spelt = {}  # setting → as the file wrote it, where the executor block named it otherwise
        for key in ("tasks", "losses", "seeds", "train_data", "test_data", "metrics", "loss_files"):
            if isinstance(d.get(key), (tuple, range)):  # api.run(losses=("l1", "l2"), seeds=range(5)): a list
                d[key] = list(d[key])
            elif (type(d.get(key)).__module__ == "numpy" and hasattr(d[key], "tolist")  # seeds=np.arange(5): its
                  and (key not in ("train_data", "test_data") or d[key].dtype.kind in "USO")):  # Python values (a
                d[key] = d[key].tolist()  # 0-d one: one value); an array of pixels as data is refused as it is
        if isinstance(d.get("executor"), dict):
            ex = dict(d.pop("executor"))
            if wrong := [k for k in ex if k not in EXECUTOR_KEYS]:  # all of them, each with its close name
                hints = [did_you_mean(str(k), EXECUTOR_KEYS) for k in wrong]
                raise UserError(f"{source}: unknown executor key{agree(len(wrong), '', 's')} "
                                + "; ".join(f"{k!r}" + (h.replace("; ", ", ", 1) if len(wrong) > 1 else h)
                                            for k, h in zip(wrong, hints))
                                + ("" if all(hints) else f" (keys: {', '.join(EXECUTOR_KEYS)})"))
            d["executor"] = ex.pop("name", None)
            for k, v in ex.items():
                key = k if k in _EXECUTOR_FIELDS else f"slurm_{k}"  # partition: → slurm_partition
                if key in d:
                    raise UserError(f"{source}: {key} is given twice (in the executor block and beside it, or as "
                                    f"{key.removeprefix('slurm_')} and {key}): keep one")
                d[key] = v
                spelt[key] = f"executor.{k}"
        if isinstance(d.get("task_params"), list) and d["task_params"] and \
                all(isinstance(x, dict) and len(x) == 1 for x in d["task_params"]):  # [{denoise: {sigma: 0.1}}]
            d["task_params"] = _task_list_items(d["task_params"], source)  # as tasks: takes it
        if isinstance(d.get("task_params"), dict):  # {denoise: {sigma: 0.1}}, as --task-param denoise.sigma=0.1
            d["task_params"] = [(str(t), _task_params_item(t, p, source)) for t, p in d["task_params"].items()]
        elif d.get("task_params") is not None and (not isinstance(d["task_params"], (list, tuple)) or any(
                isinstance(x, str) for x in d["task_params"])):  # `[denoise]`, `denoise.sigma=0.1`: in words
            raise UserError(f"{source}: task_params maps each task to its parameters, e.g. "
                            f"{{denoise: {{sigma: 0.1}}}}; got {d['task_params']!r}")
        if isinstance(d.get("tasks"), list) and any(isinstance(t, dict) for t in d["tasks"]):
            d["tasks"] = _task_list_items(d["tasks"], source)  # [{denoise: {sigma: 0.1}}, sr4]: as the mapping
        if isinstance(d.get("tasks"), dict):
            tasks = d.pop("tasks")
            d["tasks"] = list(tasks)
            params = [(t, _task_params_item(t, p, source)) for t, p in tasks.items() if p]
            if params and d.get("task_params"):
                raise UserError(f"{source}: task parameters are given under tasks and under task_params: keep one")
            d["task_params"] = params or d.get("task_params") or []
        if isinstance(d.get("losses"), dict):  # {l1: null, charbonnier: {eps: 0.01}}: as tasks take it
            d["losses"] = [{name: kw} for name, kw in d["losses"].items()]
        for key in ("losses", "train_data", "test_data", "loss_files", "tasks", "seeds", "metrics"):
            words_of = key in ("tasks", "seeds", "metrics")  # `seeds: 0 1` (as on the command line) or `0,1`
            if source == "api.run()" and not words_of:  # a keyword's value is no YAML fold
                if key == "losses" and isinstance(d.get(key), str) and len(names := several_names(d[key])) > 1:
                    # losses='l1 l2' was told the flag's and a file's way ('--losses l1 l2; a config file's list')
                    raise UserError(f"{source}: {key}: {d[key]!r} names {len(names)} losses: pass a list, "
                                    f"{key}={names!r}")
                continue
            for item in d[key] if isinstance(d.get(key), list) else [d.get(key)] if words_of else ():
                if words_of and isinstance(item, str) and len(words := re.split(r"[\s,]+", item.strip(" ,"))) > 1:
                    words = [w for w in words if w != "-"]
                    if source == "api.run()":  # a Python call: its list, as Python writes it
                        listed = [int(w) if key == "seeds" and w.isdigit() else w for w in words]
                        raise UserError(f"{source}: {key}: {d[key]!r} names {len(words)} values: pass a list, "
                                        f"{key}={listed!r}")
                    raise UserError(f"{source}: {key}: {d[key]!r} names {len(words)} values: a config file's list "
                                    f"is [{', '.join(words)}] (--{key} {' '.join(words)} on the command line)"
                                    + (f"; a `- {words[-1]}` {_FOLDED}" if _folded(item) else ""))
                # no loss spec subtracts ('terms are added, never subtracted'); a path so folded is not there ('dataset
                # folder not found: d1 - d2'), one whose name holds ' - ' is
                if not words_of and (parts := _folded(item)) and (key == "losses"
                                                                  or not Path(item).expanduser().exists()):
                    raise UserError(f"{source}: {key}: {item!r} is one item: a `- {parts[-1]}` {_FOLDED}"
                                    + (f" (one loss's terms are added: {' + '.join(parts)})" if key == "losses"
                                       else ""))
        if d.get("losses") is not None:
            d["losses"] = [_loss_item(x, source) for x in (d["losses"] if isinstance(d["losses"], list)
                                                           else [d["losses"]])]
        if d.get("loss_tasks") is not None:
            d["loss_tasks"] = _loss_tasks_item(d["loss_tasks"], source)
        for key in ("tasks", "losses", "seeds", "train_data", "test_data", "metrics"):  # `losses:`, its list forgotten:
            if source != "api.run()" and key in written and written[key] is None:  # ran the profile's (as `[]` is
                raise UserError(f"{source}: {key}: has no value: give its list, or leave {key} out for the "
                                f"profile's")  # refused; a keyword's None is one not given)
        for key in ("tasks", "losses", "seeds", "train_data", "test_data", "metrics"):  # `metrics: []` scored nothing
            if isinstance(d.get(key), (list, dict)) and not d[key]:
                empty = "{}" if isinstance(written.get(key), dict) else "[]"
                raise UserError(f"{source}: {key}: {empty} names none (leave {key} out for the profile's)")
        for key in ("tasks", "seeds", "train_data", "test_data", "metrics", "loss_files"):  # one value: a list of one
            if key in d and d[key] is not None and not isinstance(d[key], (list, tuple)):
                d[key] = [d[key]]
        for key in ("train_data", "test_data", "loss_files"):  # api.run(test_data=Path(...)): its string
            if isinstance(d.get(key), list):
                d[key] = [_path_item(x, key, source) for x in d[key]]
        if isinstance(d.get("out"), os.PathLike):
            d["out"] = os.fspath(d["out"])
        if d.get("workers") is not None and not isinstance(d["workers"], bool):  # 2 → '2' (as --workers); 2.0 too
            d["workers"] = str(_integral(d["workers"]))
        for key in ("slurm_time", "slurm_mem"):  # `time: 90`, `mem: 32`: minutes and GB, as --slurm-time 90 reads them
            if isinstance(d.get(key), (int, float)) and not isinstance(d[key], bool):
                d[key] = str(d[key])
        for key in _INT_SETTINGS:  # iterations: 1e4 (a float in YAML 1.2, as in ML configs) is 10000
            if key in d:
                d[key] = _integral(d[key])
        if isinstance(d.get("seeds"), list):
            d["seeds"] = [_integral(x) for x in d["seeds"]]
        fields = {f.name for f in dataclasses.fields(cls)} - set(_NOT_SETTINGS)
        if unknown := [k for k in d if k not in fields]:  # all of them, in the file's (the call's) order, each with
            raise UserError(_unknown_settings(unknown, d, fields, source))  # its hint: a fix per rerun hid the next
        for key in nulls if source != "api.run()" else ():  # `iterations:`, its number forgotten (YAML null): the
            # profile's ran unsaid, as a list's did (a keyword's None is one not given)
            whose = "the profile's" if key in _PROFILE_FIELDS else "its default"
            raise UserError(f"{source}: {key}: has no value: give one, or leave {key} out for {whose}")
        lists = ("tasks", "seeds", "train_data", "test_data", "metrics", "loss_files")  # `seeds: 0.5` read as [0.5]
        d = check_kwargs(cls, d, f"{source}: setting", words=True, names=spelt,  # a YAML user's words: not "int | None"
                         written={k: written[k] for k in lists if k in written})
        spelt = tuple(spelt.items())  # values (`lr: -1`) are checked with the grid's names, in run's and api.run()'s
        # one sequence (check_grid: a task's typo before the lr, as flags; a flag replacing the file's value unrefused)
        if d.get("executor") is not None:  # `executor: slurmm`: named with the file, before any data is read
            check_executor_name(d["executor"], source)
        if d.get("logger") is not None:  # its package: checked for the logger the grid resolves to
            check_logger_name(d["logger"], source)
        if "task_params" in d:
            d["task_params"] = tuple((t, freeze_params(p)) for t, p in d["task_params"])
        files = tuple((_loss_file_key(f), source) for f in d.get("loss_files") or ())  # each file's own source
        return cls(**d, origins=tuple((k, source) for k, v in d.items() if v is not None) + files, spelt=spelt)

    @classmethod
    def from_file(cls, path: str | Path) -> "GridSpec":
        """A YAML config file (see ``configs/*.yaml``) → GridSpec (:meth:`from_mapping`). A
        ``.toml`` file is read as TOML (the same settings; ``[tasks.denoise]`` holds a task's
        parameters); JSON is YAML already.

        Relative paths in a config (``train_data``, ``test_data``, ``loss_files``, ``out``) are
        resolved against the current directory — the directory plbench runs in, as for the same
        values given as flags — not against the config file's folder: the shipped configs are
        written for a run from the repository root (``out: results-cpu``,
        ``train_data: [../shared/datasets/BSD200]``). A loss file that is not there, or a data
        folder that is only beside the config file, is a one-line error saying so. An empty config
        file (or one of comments only) is refused: it would silently run the whole default profile."""
        import yaml

        p = expand_home(path, "config file")
        if not p.exists() and (shipped := shipped_config(path, as_path=True)) is not None:
            logging.getLogger(__name__).info("%s is not in %s: reading the one shipped with plbench, %s", path,
                                             Path.cwd(), shipped)
            p = shipped
        if p.is_dir():
            raise UserError(f"config file {p} is a directory: pass a YAML file (e.g. configs/quick.yaml)")
        if not p.is_file():
            raise UserError(f"config file not found: {p}"
                            + (did_you_mean_path(path, kind="file") or near_shipped_config(path)))
        text = _config_text(p)
        if "\0" in text:
            raise UserError(f"{p.name} is a binary file: a config is YAML")
        try:
            # the same settings, written as TOML (`iterations = 5`, [tasks.denoise]); JSON is YAML
            data = _load_toml(text, p.name) if p.suffix.lower() == ".toml" else \
                yaml.load(text, Loader=_unique_key_loader())
        except _NotToml:
            raise
        except UserError as exc:
            raise UserError(f"{p.name}: {exc}") from None
        except yaml.YAMLError as exc:  # the problem and where (the first line alone said "while scanning ...")
            first = str(exc).strip().splitlines()[0]
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None)
            if problem and mark is not None:
                context = getattr(exc, "context", None)
                first = f"{context + ', ' if context else ''}{problem} (line {mark.line + 1}, column {mark.column + 1})"
                if "'\\t'" in problem:
                    first += ": YAML indents with spaces, not tabs"
            raise UserError(f"{p.name} is not valid YAML: {first}") from None
        if data is None or data == {}:
            raise UserError(f"config file {p} is empty: it names no settings (give at least one, e.g. "
                            "`profile: quick`, or leave out --config)")
        if isinstance(data, str) and re.match(r"\s*[A-Za-z_][\w.-]*\s*=", data):  # TOML's `iterations = 5` in YAML
            raise UserError(f"{p.name} is written as TOML (`key = value`): YAML writes a setting `iterations: 5` "
                            "(or name the file .toml to have it read as TOML)")
        return cls._checked_file_spec(cls.from_mapping(data, p.name), p)

    @staticmethod
    def _checked_file_spec(spec: "GridSpec", p: Path) -> "GridSpec":
        """``spec`` read from the config file ``p``, once its relative paths are checked (see
        :meth:`from_file`)."""
        where = ("relative paths in a config file are resolved against the current directory, not the config "
                 "file's folder")
        for f in spec.loss_files:
            if not Path(f).expanduser().is_absolute() and not Path(f).exists():
                near = p.parent / f
                raise UserError(f"{p.name}: loss file {f!r} not found in {Path.cwd()}: {where}"
                                + (f" (it is at {near}: write that path)" if near.exists() else
                                   did_you_mean_path(f, "file")))  # `my_los.py`, as `--loss-file my_los.py` is
        shared = {}  # `../shared/datasets/BSD200` (configs/cpu.yaml) not there from here: where the profiles read it
        for key in ("train_data", "test_data"):
            tokens = list(getattr(spec, key) or ())
            for i, token in enumerate(tokens):
                path = re.split(r"[@:#\[]", str(token), maxsplit=1)[0]
                rest = path.removeprefix(SHARED_PREFIX)
                mine = p.parent / path  # a folder of the user's own beside the config: refused below, naming it
                if rest != path and rest and not Path(path).exists() and (SHARED_DATASETS / rest).exists() \
                        and (not mine.exists() or mine.resolve() == (SHARED_DATASETS / rest).resolve()):
                    tokens[i] = shared[token] = str(SHARED_DATASETS / rest) + str(token)[len(path):]
            if shared and tokens:
                spec = dataclasses.replace(spec, **{key: tuple(tokens)})
        if shared:
            logging.getLogger(__name__).info(
                "%s: %s read from %s (PLBENCH_SHARED_DATASETS, or ../shared/datasets beside the checkout: where the "
                "standard and full profiles read them; not beside %s)", p.name, ", ".join(shared), SHARED_DATASETS,
                Path.cwd())
        for key in ("train_data", "test_data"):  # only where the path exists beside the config and not here
            for token in getattr(spec, key) or ():
                path = re.split(r"[@:#\[]", str(token), maxsplit=1)[0]
                if path and not Path(path).expanduser().is_absolute() and not Path(path).exists() \
                        and (p.parent / path).exists():
                    whole = f"{p.parent / path}{str(token)[len(path):]}"  # its options kept: `[holdout=25%]`, `:test`
                    raise UserError(f"{p.name}: {key} {token!r} is not in {Path.cwd()}: {where} (it is at "
                                    f"{p.parent / path}: write " + (f"{whole!r})" if whole != str(p.parent / path)
                                                                     else "that path)"))
        return spec

    def merged(self, over: "GridSpec") -> "GridSpec":
        """This spec with every field ``over`` sets (not None; non-empty for task parameters,
        which are merged per task, and loss files, which are added)."""
        changes = {f.name: getattr(over, f.name) for f in dataclasses.fields(self) if getattr(over, f.name) is not None
                   and f.name not in ("task_params", "loss_files", "loss_tasks", *_NOT_SETTINGS)}
        given = {*changes, *(k for k in ("task_params", "loss_files", "loss_tasks") if getattr(over, k))}
        for kept in ("origins", "spelt"):  # where each setting was given: the last source to give it
            changes[kept] = tuple({**{k: v for k, v in getattr(self, kept) if k not in given},
                                   **dict(getattr(over, kept))}.items())
        params = dict(self.task_params)
        if over.tasks is not None:  # a narrower task list drops the parameters of the tasks it leaves out
            params = {t: kv for t, kv in params.items() if t in over.tasks}
        for task, kv in over.task_params:
            params[task] = freeze_params({**dict(params.get(task, ())), **dict(kv)})
        changes["task_params"] = tuple(sorted(params.items()))
        changes["loss_files"] = tuple(dict.fromkeys([*self.loss_files, *over.loss_files]))
        changes["loss_tasks"] = tuple(sorted({**dict(self.loss_tasks), **dict(over.loss_tasks)}.items()))
        return dataclasses.replace(self, **changes)

    def resolved(self) -> "GridSpec":
        """Every field filled: the profile's values and :data:`RUN_DEFAULTS` where nothing was given."""
        with self.blamed("profile"):
            prof = profile("quick" if self.profile is None else self.profile,  # `--profile ""`: unknown
                           api=dict(self.origins).get("profile") == "api.run()")
        filled = {"profile": prof.name, **{k: getattr(prof, k) for k in _PROFILE_FIELDS}, **RUN_DEFAULTS}
        taken = {k: v for k, v in filled.items() if getattr(self, k) is None}
        out = dataclasses.replace(self, **taken, filled=tuple(k for k in taken if k not in ("profile", *RUN_DEFAULTS)))
        unique = {k: _unique(getattr(out, k)) for k in ("tasks", "seeds", "metrics")}  # a repeat counts once
        # (build_configs warns)
        return dataclasses.replace(out, **{k: v for k, v in unique.items() if v != getattr(out, k)})

    def to_mapping(self) -> dict:
        """Plain types, as a config file holds them (task parameters under ``tasks``); another executor's settings
        (slurm_time's default beside ``executor: local``) left out: read back, :func:`check_executor_settings` would
        refuse them."""
        unused = {k for owner, keys in EXECUTOR_OPTIONS.items() if self.executor and owner != self.executor
                  for k in keys}
        d = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None or f.name in _NOT_SETTINGS or (f.name in ("task_params", "loss_files", "loss_tasks")
                                                        and not v) or f.name in unused:
                continue
            d[f.name] = list(v) if isinstance(v, tuple) else v
        if self.losses:  # a loss typed twice runs once (build_configs warns): the saved grid names it once
            d["losses"] = list(_unique(self.losses))
        if self.loss_tasks:
            d["loss_tasks"] = {loss: list(ts) for loss, ts in self.loss_tasks}
        if self.task_params or self.tasks is not None:
            params = {t: {k: _plain(v) for k, v in kv} for t, kv in self.task_params}
            d["tasks"] = {t: params.get(t, {}) for t in (self.tasks or list(params))}
            d.pop("task_params", None)
        return d

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_mapping(), sort_keys=False, allow_unicode=True)

    def with_absolute_paths(self) -> "GridSpec":
        """A copy whose relative local paths — data folders, loss files, a checkpoint, ``out`` — are absolute
        (against the current directory, as plbench reads them): what the saved grid
        ``<out>/grids/<time>.yaml`` records, so ``--config`` on it from another directory runs the
        same grid into the same results instead of looking for ``my_loss.py`` or writing a new
        ``results/`` there. Hub ids and the embedded sources are left as they are."""
        from benchmark.data import EMBEDDED, _split_source

        def absolute(token: str) -> str:
            source = _split_source(str(token))[0]
            p = Path(source).expanduser()
            if not source or source in EMBEDDED or p.is_absolute() or not p.exists():
                return token
            return str(p.resolve()) + str(token)[len(source):]

        changes = {k: tuple(absolute(t) for t in getattr(self, k)) for k in ("train_data", "test_data", "loss_files")
                   if getattr(self, k)}
        if self.out and not Path(self.out).expanduser().is_absolute():
            changes["out"] = str(Path(self.out).expanduser().resolve())
        ckpt = Path(str(self.backbone_weights or "")).expanduser()  # `--backbone-weights ckpts/enc.pt`: the file read
        if self.backbone_weights and not ckpt.is_absolute() and ckpt.is_file():  # (a key or self-trained name: no file)
            changes["backbone_weights"] = str(ckpt.resolve())
        return dataclasses.replace(self, **changes)


def _unique(values):
    """A tuple without repeats, in order (unhashable values, refused later anyway, left as they are)."""
    try:
        return tuple(dict.fromkeys(values))
    except TypeError:
        return values


def _repeated(values) -> list:
    """The values given more than once, in order of first repeat."""
    seen, out = [], []
    for v in values:
        if v in seen and v not in out:
            out.append(v)
        seen.append(v)
    return out


def _loss_tasks_item(x, source: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A config file's ``loss_tasks`` (``{vgg: [sr4]}``: a slow loss on fewer tasks) → pairs."""
    if isinstance(x, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in x):
        x = dict(x)
    if not isinstance(x, dict):
        raise UserError(f"{source}: loss_tasks maps a loss to the tasks it runs on, e.g. {{vgg: [sr4]}}; got {x!r}")
    out = {}
    for loss, tasks in x.items():
        tasks = [tasks] if isinstance(tasks, str) else tasks
        if not isinstance(tasks, (list, tuple)) or not tasks or not all(isinstance(t, str) for t in tasks):
            raise UserError(f"{source}: loss_tasks: {loss!r} needs a list of task names, got {tasks!r}")
        out[_loss_item(loss, source)] = tuple(dict.fromkeys(tasks))
    return tuple(sorted(out.items()))


def parse_loss_tasks(items) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``--loss-tasks vgg=sr4,jpeg`` items → pairs for :attr:`GridSpec.loss_tasks`."""
    out = {}
    for item in items or ():
        loss, sep, tasks = str(item).rpartition("=")  # the last '=': a loss spec may hold keywords (eps=1e-3)
        names = [t.strip() for t in tasks.split(",") if t.strip()]
        # a task name as the registry takes it (my-task, t.v2); `pdl(k=v)` without its `=TASK` splits into "v)"
        if not sep or not loss.strip() or not names or not all(re.fullmatch(r"[\w.-]+", n) for n in names):
            raise UserError(f"--loss-tasks expects LOSS=TASK[,TASK...], got {item!r}")
        loss, names = loss.strip(), tuple(dict.fromkeys(names))
        if out.get(loss, names) != names:  # `vgg=sr4 … vgg=jpeg`: the second replaced the first silently
            raise UserError(f"--loss-tasks: {loss} is given twice with other tasks ({','.join(out[loss])} and "
                            f"{','.join(names)}): give one entry, {loss}={','.join(dict.fromkeys(out[loss] + names))}")
        out[loss] = names
    return tuple(sorted(out.items()))


#: GridSpec settings that are integers (a config file's integral float, ``1e4``, is taken as one)
_INT_SETTINGS = ("iterations", "batch_size", "crop", "max_train_images", "workers_per_gpu", "slurm_gpus", "slurm_cpus",
                 "checkpoint_every")


def _path_item(x, key: str, source: str):
    """One item of a path setting: a ``pathlib.Path`` (any ``os.PathLike``) → its string, a :class:`DataSpec`
    → its token; a ``datasets`` object in memory → a :class:`UserError` (a run records its sources by name,
    to load them again)."""
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    if isinstance(x, DataSpec):  # benchmark.data's own record of a source: what it writes for one
        return x.token()
    package = type(x).__module__.split(".")[0]
    if package == "datasets":
        if type(x).__name__.startswith("Iterable"):  # streamed: no save_to_disk; the images wanted, materialised
            how = ("materialise the images to use, datasets.Dataset.from_list(list(ds.take(N)), features=ds.features)"
                   ".save_to_disk(DIR), and pass DIR (or pass its hub id: owner/name, read whole)")
        else:
            how = "save it with .save_to_disk(DIR) and pass DIR"
        raise UserError(f"{source}: {key} holds a datasets.{type(x).__name__} object, not a source: a run records "
                        f"its data by name to load it again; {how}")
    what, how = None, ("save the images as files in a folder (PNG keeps every pixel; a 16-bit PNG or a float TIFF more "
                       "than 8 bits) and pass its path")
    if package == "PIL" and hasattr(x, "size"):
        what = f"a PIL image ({x.size[0]}×{x.size[1]})"
    elif package in ("numpy", "torch") and hasattr(x, "shape"):
        what = f"a {'numpy array' if package == 'numpy' else 'torch tensor'} {tuple(x.shape)}"
    elif package == "pandas" and hasattr(x, "to_csv"):  # a table of paths, most likely
        what = f"a pandas {type(x).__name__} ({plural(len(x), 'row')})"
        how = "write its column of image paths to a table, df.to_csv('images.csv', index=False), and pass that file"
    elif package == "torch" or _torch_data(x):  # a torch Dataset, a DataLoader, torchvision's too (its own package)
        what = f"a {package} {type(x).__name__}"
        root = getattr(x, "root", None)  # torchvision's ImageFolder and the like: a folder of files
        if isinstance(root, (str, os.PathLike)) and os.path.isdir(root):
            how = f"pass the folder of its image files, {os.fspath(root)}"
    if what:  # images in memory: the error printed the whole array, many lines, and said nothing of what to do
        raise UserError(f"{source}: {key} holds {what}, not a source: a run records its data by name to load it "
                        f"again; {how}")
    return x


def _torch_data(x) -> bool:
    """Whether ``x`` is a torch ``Dataset`` or ``DataLoader`` (torchvision's datasets are, from their own package);
    torch not imported: no."""
    import sys

    data = getattr(sys.modules.get("torch"), "utils", None)
    data = getattr(data, "data", None)
    return data is not None and isinstance(x, (data.Dataset, data.DataLoader))


def _integral(v):
    """``1e4`` → ``10000`` (``1e19`` too: :func:`check_numbers` refuses it as the flag's); anything else (``10.5``,
    a string, a bool) unchanged, for the type check to judge."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _task_params_item(task, params, source: str) -> list:
    """One task's parameters in a config file (``{sigma: 0.1}``, or nothing) → sorted pairs; anything
    else (``denoise: [0.1]``, ``denoise: 'sigma=0.1'``) is a one-line error."""
    if params is None:
        return []
    if not isinstance(params, dict):
        raise UserError(f"{source}: the parameters of task {task!r} are a mapping {{name: value}}, e.g. "
                        f"{{{task}: {{sigma: 0.1}}}}; got {params!r}")
    return sorted((str(k), _fraction(v) if isinstance(v, str) and _fraction(v) is not None else v)
                  for k, v in params.items())  # sigma: 25/255, a string to YAML, as --task-param reads it


#: what a YAML list item folded into the one above it is told (:func:`_folded`), after "a `- sr4` "
_FOLDED = "line indented deeper than the item above it continues that item: indent the items alike"


def _folded(item) -> list[str]:
    """The items a list item folded by YAML holds (``- sr4`` indented under ``- denoise`` reads 'denoise - sr4':
    ``['denoise', 'sr4']``); ``[]`` where ``item`` is no such fold."""
    parts = re.split(r"\s+-\s+", item.strip()) if isinstance(item, str) else []
    return parts if len(parts) > 1 else []


def _task_list_items(items: list, source: str) -> dict:
    """A config file's ``tasks`` written as a list whose items are names or ``{task: {parameter:
    value}}`` → the mapping form. A task listed twice with different parameters is refused: a grid
    runs each task with one set of parameters."""
    out: dict = {}
    for x in items:
        if isinstance(x, dict) and len(x) == 1:
            task, params = next(iter(x.items()))
        elif isinstance(x, str):
            task, params = x, None
        else:
            raise UserError(f"{source}: a task is a name or {{name: {{parameter: value}}}}, got {x!r}")
        params = dict(_task_params_item(task, params, source))
        if task in out and out[task] != params:
            raise UserError(f"{source}: task {task!r} is given twice with different parameters ({out[task]} and "
                            f"{params}): a grid runs each task with one set of parameters")
        out[task] = params
    return out


def several_names(text: str) -> list[str]:
    """The names in one string that holds several (``'denoise sr4'``, ``'psnr,ssim'``: a list written as one word);
    ``[]`` for anything else, one name, or a spec with arguments or terms (``'l1 + 0.01*ms_ssim'``, ``denoise(…)``)."""
    text = str(text).strip(" ,")
    return re.split(r"[\s,]+", text) if re.fullmatch(r"[\w.-]+(?:[\s,]+[\w.-]+)+", text) else []


#: other libraries' names of a setting (BasicSR's ``patch_size``, a trainer's ``epochs``), by which a file's key or
#: a flag is offered ours, where a close spelling would offer another (``patch_size``: batch_size, ``steps``: seeds)
SETTING_SYNONYMS = {"patch_size": "crop", "crop_size": "crop", "gt_size": "crop", "steps": "iterations",
                    "max_steps": "iterations", "num_steps": "iterations", "epochs": "iterations",
                    "epoch": "iterations", "num_epochs": "iterations", "max_epochs": "iterations",
                    "iters": "iterations", "max_iters": "iterations", "num_iterations": "iterations",
                    "learning_rate": "lr", "model": "net", "arch": "net", "seed": "seeds", "gpu": "device"}


def synonym_hint(key: str, flag: bool = False) -> str:
    """``"; did you mean crop?"`` (``--crop`` where ``flag``) for another library's name of a setting; else ``""``."""
    ours = SETTING_SYNONYMS.get(key.strip("-").replace("-", "_").lower())
    if ours is None:
        return ""
    shown = "--" + ours.replace("_", "-") if flag else ours
    return f"; did you mean {shown}?" + (" (training is counted in iterations of one batch, not epochs)"
                                         if "epoch" in key.lower() else "")


#: a command's flags that are no grid setting, by the key a config file or ``api.run()`` would spell them with:
#: (the flag, ``api.run()``'s way)
_COMMAND_FLAGS = {"dry_run": ("--dry-run", ": api.run() trains; `plbench run --dry-run` estimates a grid's time"),
                  "no_report": ("--no-report", ": pass report=False"), "report": ("--no-report", ""),
                  "no_progress": ("--no-progress", ": pass progress=False"), "progress": ("--no-progress", "")}


def _command_flag(key: str, value, source: str) -> str:
    """How a setting that is a command's flag, not the grid's (``dry_run: true``, ``no_report``, ``config: b.yaml``
    in a file), is given instead; ``""`` for any other key (an unknown setting, said with its close names)."""
    key = key.replace("-", "_")
    if key == "config" and source != "api.run()":
        return (f": a config file names no other; give both, --config {value} --config {source} (the second "
                "overrides the first)")
    if key not in _COMMAND_FLAGS:
        return ""
    flag, api_way = _COMMAND_FLAGS[key]
    if source == "api.run()":
        return api_way
    return f" but the command's flag {flag}: give it on the command line"


def _unknown_settings(unknown: list, d: dict, fields: set, source: str) -> str:
    """The one line naming every key of ``unknown`` (no grid setting), each with its hint: ``grid.yaml: unknown
    settings 'epochs', did you mean iterations? (…); 'patch-size', did you mean crop?``; the settings listed once
    where a key is close to none. One key is said as before (``unknown setting 'epochs'; did you mean …``)."""
    listing = f" (settings: {', '.join(sorted(fields))})"
    if len(unknown) == 1:
        if said := _command_flag(unknown[0], d[unknown[0]], source):
            return f"{source}: {unknown[0]!r} is no grid setting{said}"
        return f"{source}: unknown setting {unknown[0]!r}" + (synonym_hint(unknown[0])
                                                               or did_you_mean(unknown[0], sorted(fields)) or listing)
    said, bare = [], False
    for key in unknown:
        if flag := _command_flag(key, d[key], source):
            said.append(f"{key!r}, no grid setting{flag}")
            continue
        hint = synonym_hint(key) or did_you_mean(key, sorted(fields))
        bare = bare or not hint
        said.append(f"{key!r}" + hint.replace("; ", ", ", 1))
    return f"{source}: unknown settings " + "; ".join(said) + (listing if bare else "")


def _loss_item(x, source: str) -> str:
    """A config file's loss entry → a loss spec: ``'l1'``, ``'0.84*ms_ssim + 0.16*l1'`` or
    ``{pdl: {layers: [relu1_2]}}`` → ``"pdl(layers=('relu1_2',))"``."""
    if isinstance(x, str):
        return x
    if isinstance(x, dict) and len(x) == 1:
        name, kw = next(iter(x.items()))
        if kw is not None and not isinstance(kw, dict):
            raise UserError(f"{source}: the arguments of loss {name!r} are a mapping {{argument: value}}, e.g. "
                            f"{{{name}: {{argument: value}}}}; got {kw!r}")
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in (kw or {}).items()}
        return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in sorted(kw.items())) + ")" if kw else str(name)
    raise UserError(f"{source}: a loss is a spec string or {{name: {{argument: value}}}}, got {x!r}")


def profile(name: str, api: bool = False) -> Profile:
    """A profile by name; an unknown one is a one-line error with a suggestion (a shipped config's name: its file,
    as ``--config`` takes it, or ``api``: as ``api.run(config=…)`` does)."""
    if name not in PROFILES:
        shipped = shipped_config(name)
        if shipped is not None:  # README's "the CPU profile", configs/cpu.yaml: `--profile cpu`
            # (and standard-cpu, its smoke subset, was told 'did you mean standard?', the GPU profile)
            shown = f"configs/{shipped.name}"  # as --config reads it from here: the shipped file, unless one of yours
            if (mine := Path(shown)).exists() and mine.resolve() != shipped.resolve():
                shown = str(shipped)
            how = f"pass config={shown!r}" if api else f"run with --config {shown}"  # api.run() has no flags
            raise UserError(f"unknown profile {name!r}: {shown} is a config file, {how} "
                            f"(profiles: {', '.join(PROFILES)})")
        raise UserError(f"unknown profile {name!r}" + did_you_mean(name, PROFILES)
                        + f" (choose from {', '.join(PROFILES)})")
    return PROFILES[name]


def _restricted_tasks(loss_tasks, loss_specs: list[str], tasks: list[str],
                      name: str = "loss_tasks") -> dict[str, tuple[str, ...]]:
    """``loss_tasks`` checked against the grid → {canonical loss spec: the tasks it runs on}. An
    unknown loss or task name is a one-line error; a loss the grid leaves out (a narrower
    ``--losses``) is ignored — in a warning with did-you-mean where it is close to one the grid trains (``lpips(net=
    'alx')``) —, and one whose tasks all lie outside a narrower ``--tasks`` runs
    nowhere (logged). ``name``: the setting as its source gave it (:meth:`GridSpec.named`)."""
    from benchmark.lossfn import check_loss_arguments, loss_identity
    from benchmark.registry import TASKS
    from benchmark.specgrammar import term_names

    only, named = {}, {}
    by_identity = {loss_identity(ls): ls for ls in loss_specs}
    for loss, names in loss_tasks:
        specs = expand_losses([loss])
        if len(specs) != 1:
            raise UserError(f"{name}: {loss!r} names {len(specs)} losses; name one loss per entry")
        check_loss_arguments(specs[0])
        for t in names:
            TASKS.get(t)
        specs[0] = by_identity.get(loss_identity(specs[0]), specs[0])  # the grid's spelling of the same loss
        if specs[0] not in loss_specs:  # a narrower --losses: ignored; a typo of a loss it trains is warned
            close = did_you_mean(specs[0], loss_specs)
            within = [ls for ls in loss_specs if specs[0].split("(", 1)[0] in (term_names(ls) or ())]
            if within and not close:  # `--losses 'l1 + 0.01*vgg' --loss-tasks vgg=sr4`: the composite's slow term
                # (was an INFO line, the composite trained on every task): the composite is what loss_tasks names
                logging.getLogger(__name__).warning(
                    "%s names %s, which this grid trains only as a term of %s: ignored, %s runs on every task (a "
                    "composite is kept to tasks by its whole spec: %s)", name, specs[0], ", ".join(within),
                    agree(len(within), "it", "they"), _loss_tasks_entries(within, names, name))
                continue
            logging.getLogger(__name__).log(logging.WARNING if close else logging.INFO,
                                            "%s names %s, which this grid does not train: ignored%s", name, specs[0],
                                            close)
            continue
        if specs[0] in named and tuple(named[specs[0]][1]) != tuple(names):  # two spellings of one loss
            raise UserError(f"{name}: {loss} and {named[specs[0]][0]} are one loss, given other tasks "
                            f"({','.join(names)} and {','.join(named[specs[0]][1])}): give one entry")
        named[specs[0]] = (loss, names)
        only[specs[0]] = tuple(t for t in names if t in tasks)
        if not only[specs[0]]:
            logging.getLogger(__name__).warning("loss %s runs only on %s (loss_tasks), none of them in this grid",
                                                specs[0], ", ".join(names))
    return only


def _loss_tasks_entries(specs: list[str], tasks, name: str) -> str:
    """``specs``, each kept to ``tasks``, as ``loss_tasks`` is written where ``name`` came from: a flag's words
    (``--loss-tasks "l1 + 0.01*lpips(net='vgg')=sr4"``, double-quoted where that needs no escape: shlex's
    ``'…'"'"'…'`` was unreadable), else a config file's or api.run()'s mapping (``loss_tasks: {"l1 + 0.01*vgg":
    ["sr4"]}``: a file has no ``LOSS=TASK`` form)."""
    import shlex

    if not name.startswith("--"):
        return "loss_tasks: {" + ", ".join(f"{json.dumps(ls, ensure_ascii=False)}: {json.dumps(list(tasks))}"
                                           for ls in specs) + "}"
    words = [f"{ls}={','.join(tasks)}" for ls in specs]
    return "--loss-tasks " + " ".join(f'"{w}"' if "'" in w and not set('"$`\\!') & set(w) else shlex.quote(w)
                                      for w in words)


def check_out(s) -> None:
    """A config file's or ``api.run()``'s empty ``out`` (``out: ''``), named as given (``grid.yaml: out is empty``):
    the first of run's and api.run()'s checks, as every other reads the store. A flag's, ``--out ''``, is the
    results store's own line, which names the flag."""
    if isinstance(s.out, str) and not s.out.strip() and "out" in dict(s.origins):
        raise UserError(f"{s.named('out')} is empty: name a results directory")


def check_numbers(s) -> None:
    """A grid's numeric settings (positive and finite sizes and rates, whole numbers and seeds below 2⁶³ — a 64-bit
    integer —, checkpoint intervals ≥ 0): one-line :class:`UserError` naming each where it was given
    (:meth:`GridSpec.named`: ``--iterations``, ``grid.yaml: iterations``) — called once, by :func:`check_grid` on the
    resolved grid (flags over a config file's values), after its names, before ``run`` or ``api.run()`` looks at
    ``--out``."""
    for name in ("iterations", "batch_size", "crop", "lr", "max_train_images", "workers_per_gpu"):
        v = getattr(s, name)
        if v is not None and not v > 0:
            raise UserError(f"{s.named(name)} must be positive, got {v}")
        if v is not None and not math.isfinite(v):
            raise UserError(f"{s.named(name)} must be finite, got {v}")
    for name in _INT_SETTINGS:  # `--iterations 1e19` as `iterations: 1e19` and `iterations: 10000000000000000000`
        v = getattr(s, name)
        if v is not None and not v < 2**63:
            raise UserError(f"{s.named(name)} must be below 2**63, got {v}")
    if s.workers not in (None, "auto"):  # a string ('2', '1e19': a flag's words); not a number: executor_options
        from benchmark.params import whole_number

        try:
            workers = whole_number(s.workers)
        except ValueError:
            workers = None
        if workers is not None and not workers < 2**63:
            raise UserError(f"{s.named('workers')} must be below 2**63, got {workers}")
    for seed in s.seeds or ():
        if not 0 <= seed < 2**63:
            raise UserError(f"{s.named('seeds')}: {seed} is out of range (a seed is in [0, 2**63))")
    for name in ("checkpoint_every", "checkpoint_seconds", "stall_timeout"):
        if getattr(s, name) is not None and not getattr(s, name) >= 0:
            raise UserError(f"{s.named(name)} must be 0 (off) or positive, got {getattr(s, name)}")


def expand_losses(specs) -> list[str]:
    """Loss specs, wildcards (``'vgg*'``) and ``all`` → canonical specs, in order, without repeats.
    A loss named twice — the same spec, or two specs that are one loss once canonical (``l1`` and
    ``1*l1``) — runs once, with a warning naming it (an overlap of a wildcard or ``all`` with a
    named loss is what wildcards are for, and not warned about). So does one loss written two ways
    (:func:`benchmark.lossfn.loss_identity`: term order, ``eps=1``/``eps=1.0``, a list/tuple, a
    default value given), kept as first written, with a warning: each spelling has its own run id."""
    from benchmark.lossfn import canonical_spec, loss_identity
    from benchmark.registry import LOSSES, lister

    out = []
    named: dict[str, list[str]] = {}  # canonical spec → how it was written, where a spec was named
    for spec in specs:
        if spec == "all":
            out += LOSSES.names()
        elif _is_pattern(spec):
            matched = LOSSES.names(spec)
            if not matched:
                raise UserError(f"no loss matches {spec!r} ({lister('loss')} shows all)")
            out += matched
        else:
            out.append(spec)
            named.setdefault(canonical_spec(spec), []).append(spec)
    for canon, written in named.items():
        if len(written) > 1:
            forms = ", ".join(dict.fromkeys(repr(w) for w in written))
            logging.getLogger(__name__).warning("losses: %s is given %d times (%s): it runs once", canon,
                                                len(written), forms)
    first: dict[tuple, str] = {}  # loss identity → the canonical spec that runs
    for canon in dict.fromkeys(canonical_spec(s) for s in out):
        key = loss_identity(canon)
        if key in first:
            logging.getLogger(__name__).warning(
                "losses: %s is %s written differently (term order, argument types or default arguments): it runs "
                "once, as %s",
                canon, first[key], first[key])
        else:
            first[key] = canon
    return list(first.values())


def _preferred_spellings(recorded) -> tuple[dict, dict, dict]:
    """({loss identity: its preferred recorded spelling}, runs per spelling, runs this code reuses per
    spelling) of ``recorded`` (as :func:`spelt_as_stored` takes it): of several spellings of one loss, the one
    with most runs this code reuses, then with most runs, then the first recorded. Specs this code does not
    know (a loss file not loaded) are left out."""
    from collections import Counter

    from benchmark.lossfn import loss_identity

    recorded = list(recorded)
    counts, reused = Counter(loss for loss, _ in recorded), Counter(loss for loss, ok in recorded if ok)
    known: dict[tuple, str] = {}
    for loss in sorted(counts, key=lambda loss: (-reused[loss], -counts[loss])):  # stable: first recorded first
        try:
            known.setdefault(loss_identity(loss), loss)
        except UserError:  # a loss this code (or this invocation's loss files) does not know
            continue
    return known, counts, reused


def _term_names(spec: str) -> tuple[str, ...] | None:
    """The loss names a spec's terms call, sorted (``"0.5*ffl(alpha=1) + l1"`` → ``("ffl", "l1")``), read
    without the registry (no loss module, no torch: :func:`benchmark.specgrammar.term_names`); None when the spec
    is not in the grammar. Specs of one :func:`benchmark.lossfn.loss_identity` have the same names (the converse
    need not hold)."""
    from benchmark.specgrammar import term_names

    names = term_names(spec)
    return None if names is None else tuple(sorted(names))


def _alias_of(name: str) -> str:
    """The loss a loss registered ``same_as=`` another is (``lpips_vgg`` → ``lpips``), read without the loss modules:
    a built-in one by :data:`benchmark.specgrammar.ALIAS_OF`, a user's (a ``--loss-file``'s, a plugin's) where this
    process registered it already; ``name`` itself for any other loss."""
    from benchmark.registry import LOSSES
    from benchmark.specgrammar import ALIAS_OF, term_names

    same_as = ALIAS_OF.get(name) or (entry.meta.get("same_as") if (entry := LOSSES.held(name)) is not None else None)
    names = term_names(same_as) if same_as else None
    return next(iter(names)) if names and len(names) == 1 else name


def _loss_names(spec: str) -> tuple[str, ...] | None:
    """:func:`_term_names` with each alias read as the loss it is (:func:`_alias_of`: ``lpips_vgg`` → ``lpips``), so
    that specs of one :func:`benchmark.lossfn.loss_identity` have the same names, an alias's spelt-out form too;
    read without the loss modules."""
    names = _term_names(spec)
    return None if names is None else tuple(sorted(_alias_of(n) for n in names))


def merged_spellings(recorded) -> dict[str, str]:
    """{recorded spec: the spelling it is read as} for each loss a results directory records under several
    spellings of one :func:`benchmark.lossfn.loss_identity` (``ffl(alpha=1)`` and ``ffl(alpha=1.0)``,
    recorded by runs made before :func:`spelt_as_stored` gave later invocations the recorded spelling):
    every spelling of it reads as the preferred one (:func:`_preferred_spellings`, the spelling a new run
    takes), so the loss is one leaderboard row over all its runs. ``recorded``: as :func:`spelt_as_stored`
    takes it. Empty when no loss has two spellings; run ids and files are never changed.

    Two spellings of one identity name the same losses (:func:`_loss_names`, an alias read as the loss it is):
    when no two recorded specs
    do, nothing is merged and neither the loss modules nor torch are imported (a report reads a store)."""
    recorded = list(recorded)
    by_names: dict = {}
    for loss in dict.fromkeys(loss for loss, _ in recorded):
        names = _loss_names(loss)  # an alias (lpips_vgg) by the loss it is (lpips(net='vgg')): one loss
        if names is None:  # not plain Python: parsed in full below
            break
        by_names.setdefault(names, []).append(loss)
    else:
        if all(len(specs) < 2 for specs in by_names.values()):
            return {}
    from benchmark.lossfn import loss_identity

    known, counts, _ = _preferred_spellings(recorded)
    out = {}
    for loss in counts:
        try:
            best = known.get(loss_identity(loss), loss)
        except UserError:
            continue
        if best != loss:
            out[loss] = best
    return out


def spelt_as_stored(specs, recorded) -> list[str]:
    """Each loss spec written as a results directory already records the same loss (``recorded``: ``(loss spec,
    reused)`` of each of its runs, :meth:`benchmark.results.ResultsStore.recorded_losses`;
    :func:`benchmark.lossfn.loss_identity`: ``ffl(alpha=1.0)`` where it holds ``ffl(alpha=1)``, ``ffl(alpha=1,
    patch_factor=1)`` where it holds ``ffl``, ``0.5*l2 + 0.5*l1`` where it holds ``0.5*l1 + 0.5*l2``), so a later
    invocation spelling a loss differently finds its cached runs instead of training it again under new run
    ids (a second leaderboard row). Of several recorded spellings, the one with most runs this code reuses
    (done by this code version: an earlier version's or a failed run is trained again whatever its spelling),
    then with most runs; a spec the directory records itself is kept unless only another spelling has runs
    this code reuses. Nothing recorded is renamed: run ids of existing runs stay as they are."""
    from benchmark.lossfn import loss_identity

    specs = list(specs)
    known, counts, reused = _preferred_spellings(recorded)
    spelt = []
    for spec in specs:
        best = known.get(loss_identity(spec), spec)
        twin = spec if reused[spec] or (spec in counts and not reused[best]) else best
        if twin != spec:
            logging.getLogger(__name__).info(
                "losses: %s is %s written differently, as this results directory records it (%s): its runs are "
                "found, and new ones recorded, under that spelling", spec, twin, twin)
        spelt.append(twin)
    return list(dict.fromkeys(spelt))


def _is_pattern(spec: str) -> bool:
    """'vgg*' is a wildcard; '0.5*l2+0.1*ssim' (valid arithmetic) is a weighted sum."""
    import ast

    if not any(ch in spec for ch in "*?[") or " " in spec.strip():
        return False
    try:
        ast.parse(spec.strip(), mode="eval")
    except SyntaxError:
        return True
    return False


def _task_with_parameters(token: str) -> None:
    """``denoise(sigma=0.1)`` or ``denoise.sigma=0.1`` given as a task (the loss grammar, or
    --task-param's): a one-line error saying where task parameters go (it was "unknown task ...;
    did you mean denoise?"). A ``(`` left open (``denoise(sigma=0.1``, its ``)`` lost) is said so, the same."""
    import ast

    called = re.fullmatch(r"\s*(\w+)\s*\((.*)", token)
    m = called or re.fullmatch(r"\s*(\w+)\.(\w+\s*=.*)", token)
    if not m:
        return
    name, rest = m.groups()
    unclosed = token.count("(") > token.count(")")
    if called and not unclosed:  # the parameters inside the call's parentheses
        rest = re.sub(r"\)\s*$", "", rest)
    try:
        call = ast.parse(f"f({rest})", mode="eval").body
        pairs = [(k.arg, ast.get_source_segment(f"f({rest})", k.value)) for k in call.keywords if k.arg]
    except SyntaxError:
        pairs = []
    def yaml_value(src: str) -> str:  # a tuple is a YAML list: (1.0, 2.0) → [1.0, 2.0]
        try:
            v = ast.literal_eval(src)
        except (ValueError, SyntaxError):
            return src
        return "[" + ", ".join(map(str, v)) + "]" if isinstance(v, (tuple, list)) else src

    flags = " ".join(f"{name}.{k}={v}" for k, v in pairs) or f"{name}.KEY=VALUE"
    mapping = ", ".join(f"{k}: {yaml_value(v)}" for k, v in pairs) or "KEY: VALUE"
    open_ = "its '(' is not closed, and " if unclosed else ""
    raise UserError(f"task {token!r}: {open_}a task is a name; its parameters go in --task-param {flags} (or a config "
                    f"file's tasks: {{{name}: {{{mapping}}}}})")


def _cli_value(text: str):
    """A ``--task-param`` value: a Python literal (``0.1``, ``(1.0, 2.0)``, ``False``), YAML's ``true``/``false``
    (as a config file writes a bool), or a fraction of two numbers (``25/255``, as σ is usually written);
    anything else is the string itself."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    fraction = _fraction(text)
    return text if fraction is None else fraction


def _fraction(text: str) -> float | None:
    """``25/255`` (a noise level as σ is usually written: a fraction of two numbers) → its value; None for any other
    text. Read alike in ``--task-param`` (:func:`_cli_value`) and a config file's task parameters (YAML keeps
    ``sigma: 25/255`` a string)."""
    import ast

    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        try:
            num, den = ast.literal_eval(node.left), ast.literal_eval(node.right)
        except (ValueError, SyntaxError):
            return None
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (num, den)) and den != 0:
            return num / den
    return None


def parse_task_params(items) -> tuple:
    """``["denoise.sigma=0.1", …]`` (``--task-param``) → GridSpec's ``task_params`` (values: :func:`_cli_value`)."""
    from benchmark.registry import TASKS

    params: dict[str, dict] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        task, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise UserError(f"--task-param {item!r}: expected TASK.KEY=VALUE, e.g. denoise.sigma=0.1")
        try:  # named with the flag: a bare 'unknown task 'sr5'' was read as a typo in --tasks, which names none
            TASKS.get(task)
        except UserError as exc:
            exc.args = (f"--task-param {item!r}: {exc}", *exc.args[1:])
            raise
        v = _cli_value(value)
        given = params.setdefault(task, {})
        if name in given and given[name] != v:  # the last one won silently (a config file refuses a key twice)
            raise UserError(f"--task-param {task}.{name} is given twice ({given[name]!r} and {v!r}): keep one")
        given[name] = v
    return tuple(sorted((t, freeze_params(kv)) for t, kv in params.items()))


def check_task_params_of_flags(items, flags: tuple, base: GridSpec, tasks: tuple | None = None) -> None:
    """Build each task ``--task-param`` gives parameters to (``flags``: :func:`parse_task_params` of ``items``) with
    them, naming the flag and its item in a :class:`UserError`: ``--task-param sr4.scale=2.5`` said 'task 'sr4'
    parameter scale expects int', no flag named, where a config file's value is named by the file. A task a config
    file (``base``) gives parameters too is left to :func:`build_configs`, which checks them together. A task not in
    ``tasks`` (the grid's, when known) is refused first, whatever its values: the flag contradicts ``--tasks`` (or the
    file's tasks), where ``--tasks`` drops a config file's parameters of the tasks it leaves out."""
    from benchmark.task import build_task

    filed = dict(base.task_params)
    for task, kv in flags:
        mine = {i: i.partition("=")[0].partition(".")[2] for i in items if i.partition(".")[0] == task}
        if tasks is not None and task not in tasks:
            raise UserError(f"--task-param {', '.join(map(repr, mine))} names task {task!r}, which is not in this "
                            f"grid ({', '.join(tasks)}): add it to the tasks or drop the item")
        if task in filed:
            continue
        try:
            build_task(task, **dict(kv))
        except UserError as exc:
            named = [i for i, key in mine.items() if re.search(rf"\b{re.escape(key)}\b", str(exc))] or list(mine)
            exc.args = (f"--task-param {', '.join(map(repr, named))}: {exc}", *exc.args[1:])
            raise


def _two_settings(spec: GridSpec, a: str, va, b: str, vb) -> str:
    """Two settings a message names together, each where it was given (:meth:`GridSpec.named`), a config file
    once where it gave both: ``--device cpu with --slurm-gpus 1``, ``grid.yaml: device cpu with slurm_gpus 1``."""
    first, second, source = spec.named(a), spec.named(b), dict(spec.origins).get(a)
    if source:
        second = second.removeprefix(f"{source}: ")
    return f"{first} {va} with {second} {vb}"


def _slurm_device_type(spec: GridSpec, device: str, gpus: int) -> str:
    """What ``--slurm-gpus N`` makes SLURM jobs train on, refusing in one line a count that contradicts
    an explicit ``--device`` (the runs were planned for one device and trained on the other, or
    GPU-less jobs sent to train on cuda) or that leaves GPUs idle (a job trains one run at a time,
    on ``cuda:0``: :func:`benchmark.executors.execute_slurm`); each setting named where ``spec`` was given it."""
    if gpus < 0:
        raise UserError(f"{spec.named('slurm_gpus')} must be at least 0, got {gpus}")
    want = "cuda" if gpus > 0 else "cpu"
    asked = None if device == "auto" else ("cuda" if device.startswith("cuda") else "cpu")
    if asked is not None and asked != want:
        raise UserError(f"{_two_settings(spec, 'device', device, 'slurm_gpus', gpus)}: " + (
            "jobs without a GPU cannot train on cuda; pass --slurm-gpus 1 or --device cpu" if want == "cpu" else
            "jobs given GPUs would train on them, not on the CPU; pass --slurm-gpus 0 or --device cuda"))
    if gpus > 1:
        raise UserError(f"{spec.named('slurm_gpus')} {gpus}: each SLURM job trains one run at a time on one GPU, so "
                        f"{gpus - 1} of its {gpus} GPUs would sit idle; pass --slurm-gpus 1 (jobs run side by side: "
                        "one per run, or N shard jobs with --workers N)")
    return want


def device_type_for(spec: GridSpec, local: bool = True) -> str:
    """The device type a grid's runs are planned for (part of every run id): the local device, or
    for Ray/SLURM the one their workers will have — cuda or cpu as asked for (``--device auto`` is
    refused there: the head node's device is not the workers'), or cuda when SLURM jobs get GPUs."""
    import torch

    from benchmark.devices import parse_device, resolve_device

    device = spec.device or "auto"
    if (spec.executor or "local") == "local":
        with spec.blamed("device", flag=True):
            return resolve_device(device).type
    if local:  # a remote grid's --dry-run plans here: it refuses the devices the run refuses, then times this one
        device_type_for(spec, local=False)
        with spec.blamed("device", flag=True):
            return resolve_device(device).type
    if device != "auto":  # the name here (mps, a typo), the device itself where each run executes
        with spec.blamed("device", flag=True):
            parse_device(device)
    if spec.executor == "slurm" and spec.slurm_gpus is not None:
        return _slurm_device_type(spec, device, spec.slurm_gpus)
    if device == "auto":  # this machine's device says nothing of the workers' (a GPU-less head node)
        raise UserError(f"{_two_settings(spec, 'executor', spec.executor, 'device', 'auto')}: the runs would be "
                        f"planned for this machine's device ({'cuda' if torch.cuda.is_available() else 'cpu'}), not "
                        "the workers'; pass --device cuda or --device cpu"
                        + (" (or --slurm-gpus N)" if spec.executor == "slurm" else ""))
    return "cuda" if device.startswith("cuda") else "cpu"


@dataclasses.dataclass(frozen=True)
class GridPlan:
    """A grid as :func:`check_grid` checked it, before any image is decoded: :func:`build_configs` goes on from it."""

    s: GridSpec                  # the grid, resolved
    tasks: tuple[str, ...]
    built_tasks: dict            # {task: its Task, built with its parameters}
    loss_specs: tuple[str, ...]  # as the runs spell them
    train: tuple                 # DataSpec, …
    tests: tuple
    weights: dict                # {loss spec: its backbone weights}
    only: dict                   # {loss spec: the tasks loss_tasks keeps it to}
    common: dict                 # the RunConfig fields every run shares
    dtype: str                   # the device type the runs are planned for


def check_grid(spec: GridSpec, local: bool = True, recorded=()) -> GridPlan:
    """Every check of a grid that reads no image: names (with suggestions), numbers, task parameters, loss keywords,
    the net, data sources as written (an embedded source's split, hold-outs), crops, backbone weights, the device.
    ``run`` makes them before it looks at ``--out``, as ``api.run()`` does: each of these mistakes is said before a
    refusal of the results folder (`--backbone-weights rnadom --out FILE` said the folder, then, fixed, the typo), and
    :func:`build_configs` takes the plan (``plan=``) rather than checking (and warning) twice. Arguments as for
    :func:`build_configs`."""
    from benchmark.data import check_holdouts, check_not_empty, check_source_as_written
    from benchmark.lossfn import check_loss_arguments, takes_weights
    from benchmark.nets import build_net
    from benchmark.registry import LOSSES, TASKS, load_user_file
    from benchmark.task import build_task
    from benchmark.weights import cache_dir, weights_hint

    for name in ("tasks", "seeds", "metrics"):  # resolved() keeps the first of each: say so, as for losses
        repeats = _repeated(getattr(spec, name) or ())
        if repeats:
            logging.getLogger(__name__).warning("%s: %s given more than once: each %s once", name,
                                                ", ".join(map(str, repeats)),
                                                "is scored" if name == "metrics" else "runs")
    s = spec.resolved()
    check_executor_name(s.executor)  # before the device check, which would blame --device auto for a typo
    check_executor_settings(spec, s, tell=False)  # a SLURM or Ray setting the grid's executor would leave unused
    # (a file's that a flag's executor overrides: said by run and api.run, not twice)
    for i, (role, given, hub) in enumerate((("train", spec.train_data, HUB_TRAIN),
                                            ("test", spec.test_data, HUB_TEST))):
        if given is None and tuple(getattr(s, f"{role}_data")) == hub:  # the profile fell back to the hub: say why
            missing = [n for n in LOCAL_SETS.get(s.profile, ((), ()))[i] if not (SHARED_DATASETS / n).is_dir()]
            logging.getLogger(__name__).warning(
                "profile %s: %s data from the hub (%s): %s not in %s (pass --%s-data to use other folders)",
                s.profile, role, ", ".join(hub), ", ".join(missing) or "its local copies", SHARED_DATASETS, role)
    check_numbers(s)
    added = []
    for f in s.loss_files:
        with s.blamed_loss_file(f):  # a config file's or api.run()'s missing or broken loss file: named so
            added += load_user_file(f, LOSSES)
    tasks = list(s.tasks)
    for t in tasks:
        with s.blamed("tasks"):
            if t not in TASKS.names():
                _task_with_parameters(t)
            TASKS.get(t)
    with s.blamed("losses"):
        loss_specs = expand_losses(added if added and spec.losses is None else s.losses)
    loss_specs = spelt_as_stored(loss_specs, recorded)  # a loss spelt as its cached runs are: they are found
    if added and spec.losses is not None:  # `--config grid.yaml --loss-file mine.py`: the file's losses named?
        from benchmark.lossfn import parse_loss_spec

        used = {t.name for ls in loss_specs for t in parse_loss_spec(ls)}
        unused = [n for n in dict.fromkeys(added) if n not in used]
        if unused:
            logging.getLogger(__name__).warning(
                "the loss %s %s, which this grid does not train: its losses are %s (from --losses or "
                "the config file); add %s to them to train it",
                agree(len(s.loss_files), "file registers", "files register"), ", ".join(unused),
                ", ".join(loss_specs),
                " ".join(unused))
    tparams = dict(s.task_params)
    for t in tparams:
        if t not in tasks:
            try:  # a misspelt task (`denoize`): its close names, as --task-param's is said
                TASKS.get(t)
            except UserError as exc:
                raise UserError(f"{s.named('task_params')}: {exc}") from None
            raise UserError(f"{s.named('task_params')} names task {t!r}, which is not in this grid "
                            f"({', '.join(tasks)}): add it to the tasks or drop its parameters")
    for key in ("train_data", "test_data"):  # `--train-data ''`: named by its flag, or by the file and key that gave it
        check_not_empty(getattr(s, key), s.named(key))
    with s.blamed("train_data"):  # a config file's folder not there: named by the file, as its other keys
        train = tuple(DataSpec.parse(x, max_images=s.max_train_images, role="train") for x in s.train_data)
    with s.blamed("test_data"):
        tests = tuple(DataSpec.parse(x, role="test") for x in s.test_data)
    check_holdouts(train, tests)  # two parts of one source that overlap: refused before anything is decoded
    if len(set(train)) < len(train):  # a path and a link to it read as one source: pooled twice, as given
        logging.getLogger(__name__).warning(
            "training data named more than once, pooled as given (each copy's images drawn as often as another "
            "source's, and its runs' ids not those of the source named once): %s",
            ", ".join(dict.fromkeys(str(t) for i, t in enumerate(train) if t in train[:i])))
    if len(set(tests)) < len(tests):  # each is scored once: a repeat would only change the runs' ids
        logging.getLogger(__name__).warning("test data named more than once, scored once: %s",
                                            ", ".join(dict.fromkeys(str(t) for i, t in enumerate(tests)
                                                                    if t in tests[:i])))
        tests = tuple(dict.fromkeys(tests))
    common = dict(net=s.net, iterations=s.iterations, batch_size=s.batch_size, crop=s.crop, lr=s.lr,
                  train_data=train, test_data=tests, compile=bool(s.compile))
    with s.blamed("losses"):
        for ls in loss_specs:
            check_loss_arguments(ls)
    with s.blamed("net"):
        build_net(s.net)  # validates the name
    with s.blamed("loss_tasks", flag=True):  # `--loss-tasks`, `grid.yaml: loss_tasks`: as given (a task of the flag
        # was taken for one of --tasks)
        only = _restricted_tasks(s.loss_tasks, loss_specs, tasks, s.named("loss_tasks"))
    idle = [t for t in tasks if all(ls in only and t not in only[ls] for ls in loss_specs)]
    if idle and len(idle) < len(tasks):  # `--tasks denoise sr4 --loss-tasks l1=denoise`, l1 the grid's one loss: sr4
        # planned no run, unsaid (every task without one: the empty grid's error says it)
        logging.getLogger(__name__).warning("%s %s %s no run: %s keeps every loss of this grid (%s) off %s",
                                            agree(len(idle), "task", "tasks"), ", ".join(idle),
                                            agree(len(idle), "gets", "get"), s.named("loss_tasks"),
                                            ", ".join(loss_specs), agree(len(idle), "it", "them"))
    weights = {ls: weights_for(ls, s.backbone_weights) for ls in loss_specs}
    _refuse_term_weights(s, weights)
    _refuse_no_weights(s, loss_specs)
    taken = any(takes_weights(ls) for ls in loss_specs)
    if taken and not backbone_weights_known(s.backbone_weights):  # said now, not once every source is decoded
        if "/" in str(s.backbone_weights) or str(s.backbone_weights).startswith("~"):  # a path: a file not there
            raise UserError(f"{s.named('backbone_weights')} {s.backbone_weights}: checkpoint file not found: "
                            f"{Path(s.backbone_weights).expanduser().absolute()}")
        from benchmark.backbones import ARCHS
        from benchmark.weights import known_files

        keys = ", ".join(k for k in known_files() if k.split(":")[0] in ARCHS)  # a backbone's: no command lists them
        raise UserError(f"{s.named('backbone_weights')} {s.backbone_weights}: not random, pretrained, auto, a weights "
                        f"key ({keys}), a checkpoint file or a self-trained encoder in "
                        f"{cache_dir() / 'selftrained'}{weights_hint(str(s.backbone_weights))}")
    if spec.backbone_weights is not None and s.backbone_weights not in ("random", "pretrained", "auto", "none") \
            and not taken:  # checked by no loss: a typo would pass unseen
        logging.getLogger(__name__).warning(
            "%s %s: no loss of this grid takes backbone weights, so it is not used or checked%s",
            s.named("backbone_weights"), s.backbone_weights,
            did_you_mean(s.backbone_weights, ["random", "pretrained", "auto", "none"]))
    dtype = device_type_for(s, local)
    built_tasks = {}
    for t in tasks:
        # validates names, types and values; every parameter is recorded (defaults too), so a parameter
        # given with its default value plans the same run as one left out
        with s.blamed("task_params"):  # `tasks: {denoise: {sigmaa: 0.1}}`: named by the file, as its other keys
            task = build_task(t, **dict(tparams.get(t, ())))
        check_crop(task, s.crop, t, s.named("crop"))
        if task.train_crop(s.crop) != s.crop:  # resolve() records the crop the runs train on
            logging.getLogger(__name__).warning(
                "%s %d trains %d-px crops for task %s (a multiple of its size multiple %d): its runs are recorded, "
                "and training images filtered, at crop %d", s.named("crop"), s.crop, task.train_crop(s.crop), t,
                task.size_multiple,
                task.train_crop(s.crop))
        built_tasks[t] = task
    for role, sources in (("train_data", train), ("test_data", tests)):  # `skimage:trian`, `/data/photoz`: said last,
        with s.blamed(role):  # where reading the data said them, yet before --out
            for d in sources:
                check_source_as_written(d)
    return GridPlan(s=s, tasks=tuple(tasks), built_tasks=built_tasks, loss_specs=tuple(loss_specs), train=train,
                    tests=tests, weights=weights, only=only, common=common, dtype=dtype)


def build_configs(spec: GridSpec, data=None, local: bool = True, recorded=(),
                  plan: GridPlan | None = None) -> tuple[list[RunConfig], tuple[str, ...], str]:
    """A grid spec → (resolved run configs, metric names, device string).

    Everything is checked before anything runs: names (with suggestions), numbers, task parameters
    and loss keywords (types) — :func:`check_grid`, or its ``plan`` of ``spec`` when given —, and every loss is
    built once, so missing weights fail here. Configs
    are resolved (:func:`resolve`): the data is loaded (into ``data``, a DataCache, when given) to
    fingerprint it, and the device type fixed (``local=False``: for a remote executor's workers).
    ``recorded``: (loss spec, reused) of each run the results directory holds (:func:`spelt_as_stored`)."""
    from benchmark.data import DataCache, ask_hub_ahead, check_source_readable, checked_before_its_load, usable_for_crop
    from benchmark.lossfn import build_loss, check_loss_on_crop

    plan = plan if plan is not None else check_grid(spec, local, recorded)
    s, tasks, built_tasks, loss_specs, train, tests = (plan.s, plan.tasks, plan.built_tasks, plan.loss_specs,
                                                       plan.train, plan.tests)
    weights, only, common, dtype = plan.weights, plan.only, plan.common, plan.dtype
    data = data if data is not None else DataCache()
    # a test source's slip said before the training images are decoded (minutes): a table's row, a split, a hub id
    # online; not the first training source's (its own load, next, says it: read twice otherwise) unless it is a hub
    # id no cache holds (checked_before_its_load), nor one the cache holds;
    # a hub id (and revision) asked of the hub once, whichever sources and splits name it
    asked: dict[tuple, tuple[str, ...] | bool | None] = {}  # and its splits: once per id, revision, config
    first = [d for d in train[:1] if checked_before_its_load(d)]
    ask_hub_ahead([d for d in [*first, *train[1:], *tests] if d not in data], asked)  # at once; said in turn below
    for role, sources in (("train_data", [*first, *train[1:]]), ("test_data", tests)):
        with s.blamed(role):
            for d in sources:
                if d not in data:
                    check_source_readable(d, asked)
    # every source is read before any loss is built and probed (a minute on 2 busy cores): a mistyped or
    # unreadable --train-data/--test-data is said at once; the training crops a loss is probed on come from
    # these images (decoded once: resolve() fingerprints them next)
    with s.blamed("train_data"):
        images = data.pooled(train)
    with s.blamed("test_data"):
        data.pooled(tests)
    for crop in dict.fromkeys(built_tasks[t].train_crop(s.crop) for t in tasks):  # none left to crop: said now, not
        usable_for_crop(images, crop, " + ".join(map(str, train)), quiet=True)  # by every run (job) as it starts
    for t in tasks:  # a test image the task cannot degrade as its version did (deblur's kernel reach)
        check_test_sides(built_tasks[t], t, {spec: data.images(spec) for spec in tests})
    for ls in loss_specs:  # missing weights fail here, before anything is trained (no silent substitute)
        loss = build_loss(ls, seed=0, weights=weights[ls])
        # and a loss that cannot run on this crop (too small for its backbone, a failing user forward)
        check_loss_on_crop(ls, loss, [built_tasks[t] for t in tasks if ls not in only or t in only[ls]],
                           crop=s.crop, batch=s.batch_size, device_type=dtype, images=images)
        del loss
    configs = []
    for t in tasks:
        p = tuple(sorted(built_tasks[t].params.items()))
        for ls in loss_specs:
            if ls in only and t not in only[ls]:
                continue
            for seed in s.seeds:
                configs.append(RunConfig(task=t, loss=ls, seed=seed, task_params=p, backbone_weights=weights[ls],
                                         **common))
    if not configs:
        raise UserError("the grid is empty: no (task, loss, seed) is left to run"
                        + (" — loss_tasks keeps every loss off this grid's tasks" if only else ""))
    if s.budget_check:  # the same runs at half the budget: is the last doubling still buying anything?
        configs += [dataclasses.replace(c, iterations=c.iterations // 2) for c in configs if c.iterations >= 2]
    resolved = [resolve(c, data, dtype) for c in configs]
    for train_specs, test_specs in dict.fromkeys((c.train_data, c.test_data) for c in resolved):
        data.overlap(train_specs, test_specs)  # a WARNING with the count where test images are training images
    for source in dict.fromkeys(s for c in resolved for s in (*c.train_data, *c.test_data)):
        data.greyscale(source)  # a WARNING where every image is grey: three equal channels, degraded apart
    for test_specs in dict.fromkeys(c.test_data for c in resolved):
        check_metric_sizes(s.metrics, test_specs, data, {t: built_tasks[t].test_multiple for t in tasks})
    return resolved, tuple(s.metrics), s.device


def check_metric_sizes(metric_names, test_specs: tuple[DataSpec, ...], data,
                       task_multiples: dict[str, int] | None = None) -> None:
    """Say, when the grid is planned, which metrics the test images are too small for (a side under
    :func:`benchmark.metrics.min_side` once cut as each task cuts them, to its
    :attr:`~benchmark.task.Task.test_multiple` in ``task_multiples``, {task: multiple}; to
    :data:`benchmark.data.TEST_MULTIPLE` without): one no
    image fits scores nothing in any run (a WARNING: every run would train for it and its column stay empty,
    said only by the leaderboard's note afterwards); one some images do not fit leaves those out of its
    means (INFO). Tasks that cut to another multiple (×3 super-resolution: 24) are named. An image cut to nothing
    (a side under the multiple) is tested by no metric, as :func:`benchmark.runner.held_out_items` warns, and is not
    counted here (unless every image is)."""
    from benchmark.data import test_multiple
    from benchmark.metrics import min_side

    log = logging.getLogger(__name__)
    groups: dict[int, list[str]] = {}
    for task, multiple in (task_multiples or {"": test_multiple()}).items():
        groups.setdefault(int(multiple), []).append(task)
    records = [r for s in test_specs for r in data.images(s)]
    if not records:
        return
    where = " + ".join(map(str, test_specs))
    for multiple, tasks in groups.items():
        sides = [(r.image_id, min(n - n % multiple for n in r.size)) for r in records]
        # an image cut to nothing (under the multiple: a 5-px icon) is scored by no metric — held_out_items leaves it
        # out in a warning of its own —, not one a metric's size leaves out of its means ("tiny (0 px)" per metric)
        sides = [(i, side) for i, side in sides if side > 0] or sides
        largest = max(side for _, side in sides)
        runs = f"'s {', '.join(tasks)} runs" if len(groups) > 1 or multiple != test_multiple() else ""
        for name in dict.fromkeys(metric_names):
            need = min_side(name)
            small = [f"{i} ({side} px)" for i, side in sides if side < need]
            if len(small) == len(sides):
                log.warning("metric %s needs ≥ %d px per side and no test image of %s is that large (largest short "
                            "side %d px, cut to multiples of %d): it will score nothing in this grid%s; test on "
                            "larger images or drop it from --metrics", name, need, where, largest, multiple, runs)
            elif small:
                log.info("metric %s needs ≥ %d px per side: %d of %d test images of %s are smaller%s and left out "
                         "of its means%s: %s", name, need, len(small), len(sides), where,
                         f" once cut to multiples of {multiple}" if runs else "",
                         f" in this grid{runs}" if runs else "",
                         ", ".join(small[:5]) + (", …" if len(small) > 5 else ""))

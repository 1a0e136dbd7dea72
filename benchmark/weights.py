"""The one place pretrained weights come from: cache layout, hashes, offline behaviour.

Every checkpoint a loss may need is a small typed record, :class:`WeightFile` (the shape of
torchvision's ``WeightsEnum`` entries / timm's ``PretrainedCfg``): a key such as
``"vgg16:IMAGENET1K_V1"``, the file name, the cache sub-folder, the source URL and the SHA-256
prefix where one is known (torchvision files carry it in their name: ``vgg16-397923af.pth``).

Cache layout (one root, honouring the usual variables)::

    <torch hub dir>/checkpoints/   torchvision / torch.hub files  ($TORCH_HOME/hub, default ~/.cache/torch/hub)
    <torch hub dir>/pyiqa/         files shared with pyiqa (DISTS alpha/beta)
    <torch hub dir>/plbench/       this project's own files (CONTRIQUE checkpoint, probe caches)

``$HF_HOME`` / ``$HF_HUB_CACHE`` are reported by :func:`cache_dirs` for Hugging Face-hosted
files; ``$HF_HUB_OFFLINE=1`` (or ``$PLBENCH_OFFLINE=1``) forbids every network access.

Rules: nothing is downloaded unless the caller passes ``allow_download=True`` *and* the
machine is not marked offline; a missing file is a :class:`~benchmark.errors.UserError` with one
line naming the file and the full path where it must go (never a hang, never a silent
substitute). Files are loaded with ``torch.load(weights_only=True)`` and matched strictly
against the architecture's keys (:func:`load_strict`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.docmarkup import plural
from benchmark.errors import UserError, did_you_mean, expand_home, offline_switches, pip
from benchmark.metric_code import OFFLINE_OK  # noqa: F401 - re-exported: the pyiqa metrics that need no file

if TYPE_CHECKING:  # torch is imported where a file is downloaded or loaded, never to locate or hash one
    import torch
    from torch import nn

log = logging.getLogger(__name__)

_HASH_RE = re.compile(r"-([a-f0-9]{6,})\.")
#: the process's umask, kept by the files this module writes (:func:`_write_whole_json`): read once at import (os.umask
#: can only be read by setting it), then put back, as results does
_UMASK = os.umask(0o022)
os.umask(_UMASK)


# ---------------------------------------------------------------------------------------------
# cache directories and the offline switch
# ---------------------------------------------------------------------------------------------
def hub_dir() -> Path:
    """torch.hub's directory: ``$TORCH_HOME/hub`` (default ``$XDG_CACHE_HOME/torch/hub``, ``~/.cache/torch/hub``),
    as ``torch.hub.get_dir()`` reads it, without importing torch where it is not imported yet: locating and hashing a
    metric's file (:func:`benchmark.results.current_digests`: ``plbench findings`` / ``report`` on lpips scores) needs
    no torch. Where torch is imported, its own answer (a ``torch.hub.set_dir`` honoured)."""
    import sys

    if (mod := sys.modules.get("torch")) is not None and hasattr(mod, "hub"):
        return Path(mod.hub.get_dir())
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return Path(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))) / "hub"


def cache_dir(subdir: str = "plbench") -> Path:
    """``<torch hub dir>/<subdir>``; ``plbench`` holds this project's own cached files."""
    return hub_dir() / subdir


def find_checkpoint(ref: str) -> Path | None:
    """A checkpoint file given by path, or by name (``.pt`` optional) among the self-trained
    encoders in ``<torch hub dir>/plbench/selftrained/`` (what ``plbench pretrain`` writes)."""
    own = cache_dir() / "selftrained"
    for cand in (expand_home(ref, "backbone weights"), own / ref, own / f"{ref}.pt"):
        if cand.is_file():
            return cand
    return None


def hf_cache_dir() -> Path:
    """Hugging Face hub cache (``$HF_HUB_CACHE`` or ``$HF_HOME/hub``)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    return Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"


def cache_dirs() -> dict[str, str]:
    return {"torch_hub": str(hub_dir()), "plbench": str(cache_dir()), "hf_hub": str(hf_cache_dir())}


def offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` or ``PLBENCH_OFFLINE`` is set to a true value."""
    return bool(_offline_switches())


def _offline_switches() -> list[str]:
    """The variables of ``HF_HUB_OFFLINE``, ``PLBENCH_OFFLINE`` set to a true value here."""
    return offline_switches()


def online_prefix() -> str:
    """``HF_HUB_OFFLINE=0 PLBENCH_OFFLINE=0``: what turns off every offline switch that is on here, to put
    before a command meant for a connected machine (``HF_HUB_OFFLINE=0`` alone left ``PLBENCH_OFFLINE=1``
    on, so such a command was still offline); ``HF_HUB_OFFLINE=0`` when none is on."""
    return " ".join(f"{v}=0" for v in (_offline_switches() or ["HF_HUB_OFFLINE"]))


# ---------------------------------------------------------------------------------------------
# key remapping for checkpoints saved by other code bases
# ---------------------------------------------------------------------------------------------
def _remap_contrique(state: dict) -> dict:
    """CONTRIQUE saves ``encoder = nn.Sequential(*resnet50.children()[:-2])`` plus a projector:
    ``encoder.0`` → ``conv1``, ``encoder.1`` → ``bn1``, ``encoder.4..7`` → ``layer1..4``; the
    projector head is not part of the feature extractor and is dropped."""
    names = {"0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"}
    out = {}
    for k, v in state.items():
        k = k.removeprefix("module.")
        if k.startswith("projector."):
            continue
        m = re.match(r"encoder\.(\d+)\.(.*)", k)
        if m and m.group(1) in names:
            k = f"{names[m.group(1)]}.{m.group(2)}"
        out[k] = v
    return out


def _remap_strip_module(state: dict) -> dict:
    return {k.removeprefix("module."): v for k, v in state.items()}


def _remap_moco(state: dict) -> dict:
    """MoCo (facebookresearch/moco) saves the DDP-wrapped query and key encoders plus the queue;
    the feature extractor is ``module.encoder_q`` without its MLP head (``fc``), as the authors'
    ``main_lincls.py`` reads it."""
    prefix = "module.encoder_q."
    return {k[len(prefix):]: v for k, v in state.items()
            if k.startswith(prefix) and not k.startswith(prefix + "fc.")}


REMAPS: dict[str, Callable[[dict], dict]] = {
    "none": lambda s: s,
    "strip_module": _remap_strip_module,
    "contrique": _remap_contrique,
    "moco": _remap_moco,
}


# ---------------------------------------------------------------------------------------------
# the table of known files
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightFile:
    """One checkpoint file: where it comes from, where it must lie, how to check it."""

    key: str                    # "vgg16:IMAGENET1K_V1"
    arch: str                   # architecture whose keys it holds (backbones.ARCHS name, or "")
    filename: str
    subdir: str = "checkpoints"  # under the torch hub dir; "package:<module>/<rel>" for wheel files
    url: str | None = None
    sha256_prefix: str | None = None
    remap: str = "none"         # REMAPS key applied before strict matching
    note: str = ""              # how to obtain it when there is no direct URL
    md5_prefix: str | None = None  # where the publisher gives an MD5 instead (MoCo's README)
    normalize: str | None = None   # input convention the weights were trained with, if not the arch's

    @property
    def path(self) -> Path:
        if self.subdir.startswith("package:"):
            mod, _, rel = self.subdir.removeprefix("package:").partition("/")
            spec = importlib.util.find_spec(mod)
            if spec is None or not spec.submodule_search_locations:
                return Path(f"<python package {mod} not installed>") / rel / self.filename
            return Path(list(spec.submodule_search_locations)[0]) / rel / self.filename
        return hub_dir() / self.subdir / self.filename

    @property
    def present(self) -> bool:
        return self.path.is_file()


#: where torchvision's ImageNet weights are published (each ``WeightsEnum`` member's ``url`` is this and the file name)
TORCHVISION_STORE = "https://download.pytorch.org/models"


def _torchvision_file(key: str, arch: str, filename: str) -> WeightFile:
    """A torchvision checkpoint's record, ``key`` = ``<arch>:<WeightsEnum member>``, its ``filename`` as that member's
    URL names it (its SHA-256 prefix in it: ``vgg16-397923af.pth``). Written here, not read from torchvision's enums,
    so that locating and hashing a file imports neither torchvision nor torch (a test holds them equal to the enums of
    the torchvision installed: tests/test_probe_ytorch19.py)."""
    m = _HASH_RE.search(filename)
    return WeightFile(key, arch, filename, "checkpoints", f"{TORCHVISION_STORE}/{filename}", m.group(1) if m else None)


@functools.lru_cache(maxsize=1)
def known_files() -> dict[str, WeightFile]:
    """Every checkpoint the zoo knows by key."""
    files = [
        _torchvision_file("vgg16:IMAGENET1K_V1", "vgg16", "vgg16-397923af.pth"),
        _torchvision_file("vgg19:IMAGENET1K_V1", "vgg19", "vgg19-dcbb9e9d.pth"),
        _torchvision_file("alexnet:IMAGENET1K_V1", "alexnet", "alexnet-owt-7be5be79.pth"),
        _torchvision_file("squeezenet1_1:IMAGENET1K_V1", "squeezenet1_1", "squeezenet1_1-b8a52dc0.pth"),
        _torchvision_file("resnet50:IMAGENET1K_V1", "resnet50", "resnet50-0676ba61.pth"),
        _torchvision_file("resnet50:IMAGENET1K_V2", "resnet50", "resnet50-11ad3fa6.pth"),
        WeightFile("resnet50:dino", "resnet50", "dino_resnet50_pretrain.pth", "checkpoints",
                   "https://dl.fbaipublicfiles.com/dino/dino_resnet50_pretrain/dino_resnet50_pretrain.pth",
                   remap="strip_module", note="DINO ResNet-50 backbone (Caron et al. 2021), torch.hub"),
        # contrastive self-supervised ResNet-50s (the CSR loss's family: methods with negatives)
        WeightFile("resnet50:moco_v2", "resnet50", "moco_v2_800ep_pretrain.pth.tar", "checkpoints",
                   "https://dl.fbaipublicfiles.com/moco/moco_checkpoints/moco_v2_800ep/moco_v2_800ep_pretrain.pth.tar",
                   remap="moco", md5_prefix="a04e12f8",
                   note="MoCo v2, 800 epochs (Chen, Fan, Girshick, He 2020), facebookresearch/moco README; "
                        "ImageNet-normalised input"),
        WeightFile("resnet50:simclr", "resnet50", "resnet50-1x.pth", "checkpoints", None, normalize="none",
                   note="SimCLR v1 ResNet-50 (1x) (Chen et al. 2020): the google-research/simclr TF checkpoint "
                        "converted to PyTorch with github.com/tonylins/simclr-converter (convert.py "
                        "ResNet50_1x/model.ckpt-225206 resnet50-1x.pth); trained without input normalisation"),
        WeightFile("resnet50:contrique", "resnet50", "CONTRIQUE_checkpoint25.tar", "plbench", None,
                   remap="contrique",
                   note="CONTRIQUE_checkpoint25.tar from https://github.com/pavancm/CONTRIQUE (README)"),
        WeightFile("dists:alpha_beta", "", "DISTS_weights-f5e65c96.pth", "pyiqa",
                   f"{PYIQA_STORE}/DISTS_weights-f5e65c96.pth",
                   sha256_prefix=None,  # pyiqa's name suffix is not documented as a sha256 prefix
                   note="DISTS alpha/beta (Ding et al. 2020), as pyiqa caches it"),
    ]
    for net in ("alex", "vgg", "squeeze"):
        files.append(WeightFile(f"lpips:{net}:v0.1", "", f"{net}.pth", "package:lpips/weights/v0.1",
                                note="linear heads shipped in the lpips wheel"))
    # pyiqa's metric files (pyiqa 0.1.16 names; its Hugging Face store, as pyiqa downloads them)
    for key, filename, note in (
            ("pyiqa:lpips:alex:v0.1", "LPIPS_v0.1_alex-df73285e.pth", "LPIPS v0.1 AlexNet heads, as pyiqa caches them"),
            ("pyiqa:niqe", "niqe_modelparameters.mat", "NIQE natural-scene statistics model (Mittal et al. 2013)"),
            ("pyiqa:musiq:koniq10k", "musiq_koniq_ckpt-e95806b9.pth", "MUSIQ trained on KonIQ-10k (Ke et al. 2021)")):
        files.append(WeightFile(key, "", filename, "pyiqa", f"{PYIQA_STORE}/{filename}", note=note))
    return {f.key: f for f in files}


PYIQA_STORE = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main"

#: the files each pyiqa metric loads (pyiqa 0.1.16, default options): what ``plbench weights``
#: lists and ``plbench weights prefetch`` fetches for the metrics; a test checks
#: that a metric opened without them names one of these files as missing (tests/test_list_weights.py)
METRIC_WEIGHTS: dict[str, tuple[str, ...]] = {
    "lpips": ("alexnet:IMAGENET1K_V1", "pyiqa:lpips:alex:v0.1"),
    "dists": ("vgg16:IMAGENET1K_V1", "dists:alpha_beta"),
    "niqe": ("pyiqa:niqe",),
    "musiq": ("pyiqa:musiq:koniq10k",),
}


def get_file(key: str) -> WeightFile:
    try:
        return known_files()[key]
    except KeyError:
        raise UserError(f"unknown weights {key!r}; known: {', '.join(sorted(known_files()))}") from None


# ---------------------------------------------------------------------------------------------
# resolving, verifying, downloading, loading
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:  # size/mtime key the memo
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    st = os.stat(path)
    return _sha256_of(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _md5_of(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def files_sha256(module: nn.Module) -> dict[str, str]:
    """{weights key, or a checkpoint's absolute path: the SHA-256 of the file read} for every file ``module`` and its
    parts loaded (each part's ``weight_files``, {name: SHA-256}, hashed by :func:`loaded_sha256` as it loads the file:
    :class:`benchmark.backbones.Backbone`, DISTS' α/β, LPIPS' heads). Each run's ``meta.json`` records it
    (``weights_sha256``): a file with no published hash (SimCLR converted, DINO, CONTRIQUE, DISTS α/β) or a checkpoint
    named in a loss spec is not in the run's id, so another file put at its place is told only by this."""
    out: dict[str, str] = {}
    for part in module.modules():
        out.update({k: v for k, v in (getattr(part, "weight_files", None) or {}).items() if v})
    return dict(sorted(out.items()))


def loaded_sha256(path: str | Path) -> str:
    """:func:`file_sha256` of a weights file just loaded (what :func:`files_sha256` collects); "" where it is gone
    already (nothing recorded, never a failed build)."""
    return file_sha256(path) if Path(path).is_file() else ""


def verify(wf: WeightFile, path: Path) -> None:
    if wf.sha256_prefix:
        digest = file_sha256(path)
        if not digest.startswith(wf.sha256_prefix):
            raise UserError(f"weights {wf.key}: {path} is corrupt (sha256 {digest[:12]}…, expected "
                            f"{wf.sha256_prefix}…); delete it and fetch it again")
    if wf.md5_prefix:
        st = os.stat(path)
        digest = _md5_of(str(path), st.st_size, st.st_mtime_ns)
        if not digest.startswith(wf.md5_prefix):
            raise UserError(f"weights {wf.key}: {path} is corrupt (md5 {digest[:12]}…, expected "
                            f"{wf.md5_prefix}…); delete it and fetch it again")


def missing_message(wf: WeightFile) -> str:
    """One line for a known file that is not there: where it goes and how to get it. A file a Python package ships
    (``package:<module>/…``: LPIPS's linear heads) comes from installing that package — no download, and is needed
    whatever the trunk's weights, so ``weights='random'`` is no remedy for it."""
    if wf.subdir.startswith("package:"):
        mod, _, rel = wf.subdir.removeprefix("package:").partition("/")
        if importlib.util.find_spec(mod) is None:
            return (f"missing weights {wf.key}: the {mod} package is not installed — `{pip()} install {mod}` "
                    f"(its wheel ships {rel}/{wf.filename}); {wf.filename} is needed whatever the trunk's weights "
                    "(weights='random' too)")
        return (f"missing weights {wf.key}: {wf.path} is not in the installed {mod} package"
                + (f" ({wf.note})" if wf.note else "")
                + f" — `{pip()} install --force-reinstall {mod}`; {wf.filename} is needed whatever the trunk's weights "
                  "(weights='random' too)")
    src = f" (from {wf.url})" if wf.url else (f" ({wf.note})" if wf.note else "")
    return (f"missing weights {wf.key}: put {wf.filename} at {wf.path}{src}; "
            f"offline runs never download — prefetch on a connected machine or use weights='random'")


def resolve(key: str, *, allow_download: bool = False) -> Path:
    """Path of the verified file for ``key``; downloads only if allowed and online.

    Raises :class:`UserError` (one line: file name and full target path) when it is missing.
    """
    wf = get_file(key)
    path = wf.path
    if path.is_file():
        verify(wf, path)
        return path
    if not allow_download or offline() or not wf.url or wf.subdir.startswith("package:"):
        raise UserError(missing_message(wf))
    path.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s → %s", wf.url, path)
    import torch

    try:
        torch.hub.download_url_to_file(wf.url, str(path), hash_prefix=wf.sha256_prefix, progress=True)
    except Exception as exc:  # noqa: BLE001 - network errors become one line
        raise UserError(f"could not download {wf.key} from {wf.url}: {type(exc).__name__}: {exc}; "
                        f"put {wf.filename} at {path}") from exc
    return path


def load_state(path: str | Path, remap: str = "none") -> dict[str, torch.Tensor]:
    """``torch.load(weights_only=True)``; unwraps ``{"state_dict": ...}`` / ``{"model": ...}``."""
    import torch

    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        import pickle
        import zipfile

        with open(path, "rb") as f:
            head = f.read(4)
        if not (head.startswith(b"PK") or head[:1] == b"\x80"):  # neither torch's zip nor a legacy pickle
            raise UserError(f"{path} is not a PyTorch checkpoint (a state dict saved by torch.save)") from None
        if isinstance(exc, pickle.UnpicklingError) and "weights only load failed" in str(exc).lower():
            # a sound file of pickled objects (torch.save(model)), not a damaged one
            raise UserError(f"{path} holds pickled Python objects (e.g. a whole model saved with torch.save(model)), "
                            "which are not loaded (weights_only=True: unpickling runs code): save its weights with "
                            "torch.save(model.state_dict(), path)") from None
        why = "damaged" if isinstance(exc, (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, RuntimeError)) \
            else "not loadable with weights_only=True"
        text = re.sub(r"\x1b\[[0-9;]*m", "", " ".join(str(exc).split()))  # torch's messages carry terminal bold
        raise UserError(f"cannot load checkpoint {path} ({why}): {type(exc).__name__}: {text[:200]}") from exc
    for wrapper in ("state_dict", "model", "encoder"):
        if isinstance(state, dict) and wrapper in state and isinstance(state[wrapper], dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f"{path} does not hold a state_dict of tensors")
    return REMAPS[remap](dict(state))


def load_strict(module: nn.Module, state: dict[str, torch.Tensor], *, source: str,
                ignore_prefixes: Iterable[str] = ()) -> None:
    """Load ``state`` into ``module`` with strict key matching.

    Every key of ``module`` must be present with the right shape. Keys in ``state`` that
    ``module`` lacks are allowed only under ``ignore_prefixes`` (layers deeper than the
    deepest tapped one, classifier heads — parts the feature extractor deliberately does
    not build); any other extra key is an error, so a wrong architecture cannot load silently.
    """
    own = module.state_dict()
    ignore = tuple(ignore_prefixes)
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own and not k.startswith(ignore)]
    bad_shape = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or extra or bad_shape:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", extra), ("wrong shape", bad_shape)):
            if keys:
                parts.append(f"{len(keys)} {label} (e.g. {keys[0]})")
        raise UserError(f"{source}: keys do not match the architecture: {'; '.join(parts)}")
    module.load_state_dict({k: state[k] for k in own}, strict=True)


# ---------------------------------------------------------------------------------------------
# what each loss needs: report and prefetch (wired into the CLI)
# ---------------------------------------------------------------------------------------------
def loss_weight_keys(loss: str) -> tuple[str, ...]:
    """Weight keys one loss term needs: ``loss`` is a registered name (its default arguments) or a term as written
    in a spec, with its arguments (``lpips(net='vgg')``: VGG-16's file and the vgg heads, not AlexNet's). The
    registration's ``weights=`` is the keys, or a function of the term's keyword arguments giving them (a loss whose
    arguments choose the trunk). A term given ``weights`` other than ``"pretrained"`` (``"random"``, a checkpoint)
    downloads nothing but a weights key it names (``vgg(weights='vgg16:IMAGENET1K_V1')``, as
    :class:`benchmark.backbones.Backbone` loads it): of the rest only the files shipped inside a Python package
    (lpips' heads) remain."""
    known = known_files()
    return tuple(k for k in _term_files(loss) if k in known)


def loss_checkpoints(loss: str) -> tuple[str, ...]:
    """The checkpoints the terms of ``loss`` load by path or self-trained name, not by weights key
    (``vgg(weights='enc.pt')``, ``csr(encoder='enc.pt')``): listed by ``plbench weights``, never downloaded."""
    known = known_files()
    return tuple(k for k in _term_files(loss) if k not in known)


def weights_hint(weights: str) -> str:
    """``; did you mean …?`` for a slip of a keyword, a known key or a self-trained encoder's name."""
    own = cache_dir() / "selftrained"
    names = ["pretrained", "random", "auto", "none", *known_files(),
             *(p.stem for p in own.glob("*.pt") if own.is_dir())]
    return did_you_mean(weights, names, n=3)


def missing_checkpoint_message(ref: str, loss: str = "") -> str:
    """One line for a checkpoint a term names that is not there (:func:`loss_checkpoints`), with the key or
    self-trained name meant where ``ref`` is a slip of one (as the run's own refusal says); for the self-trained
    encoder a term of ``loss`` would train (:func:`selftrain_command`), the exact command that writes it."""
    own = cache_dir() / "selftrained"
    if Path(ref).expanduser().parent == own:  # a self-trained encoder's own file (csr(selftrain_data=…)'s): made here
        command = selftrain_command(loss) if loss else ""
        return (f"checkpoint {ref} not found: a self-trained encoder, which no prefetch fetches: "
                + (f"`{command}` writes it there" if command else
                   "`plbench pretrain` with the recipe, arch, data, seed and steps its name gives writes it there"))
    return (f"checkpoint {ref} not found: a file given by path or self-trained name, which no prefetch fetches; put "
            f"it there or in {own}{weights_hint(ref)}")


def _term_files(loss: str) -> tuple[str, ...]:
    """Weights keys and checkpoint references of a spec's terms, each once (:func:`loss_weight_keys`)."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    keys = []
    for term in parse_loss_spec(loss):  # a whole spec too ('l1 + 0.1*vgg'): its terms' files, each once
        kwargs = dict(term.kwargs)
        need = LOSSES.get(term.name).meta.get("weights", ())
        files = tuple(need(**kwargs) if callable(need) else need)
        given = kwargs.get("weights", "pretrained")
        if given != "pretrained":  # a key or a checkpoint by name: the trunk loads that file
            named = (given,) if isinstance(given, str) and given != "random" else ()
            files = (*named, *(k for k in files if k in known_files() and get_file(k).subdir.startswith("package:")))
        keys += files
    return tuple(dict.fromkeys(keys))


def selftrained_choices(loss: str, backbone_weights: str = "pretrained") -> list[tuple[str, Path]]:
    """(term name, file) for each term of ``loss`` whose weights, as the cache stands, are an encoder the harness
    self-trained into ``<cache>/selftrained/`` because no public one was cached (csr's ``encoder="auto"``: its
    ``weights_chosen``): a file every node makes again for itself, whose bytes follow its CPU's kernels."""
    from benchmark.lossfn import parse_loss_spec, takes_weights
    from benchmark.registry import LOSSES

    own = cache_dir() / "selftrained"
    out = []
    for term in parse_loss_spec(loss):
        kwargs = dict(term.kwargs)
        if not takes_weights(term.name) or str(kwargs.get("weights", backbone_weights)) != "pretrained":
            continue
        chosen = LOSSES.get(term.name).meta.get("weights_chosen")
        choice = chosen(**kwargs) if chosen is not None else None
        if choice is not None and Path(str(choice)).expanduser().parent == own:
            out.append((term.name, Path(str(choice)).expanduser()))
    return out


def selftrained_changed_note(loss: str, backbone_weights: str = "pretrained") -> str:
    """What the refusal of a run whose weights changed since planning adds where a term's weights are a self-trained
    encoder (:func:`selftrained_choices`): a worker whose cache lacked it made it again, and on a CPU of another
    instruction set the same recipe gives other bytes (oneDNN's convolution kernels: ``ONEDNN_MAX_CPU_ISA=AVX2``
    against AVX-512 gave another file, ATen's and MKL's dispatch did not), which planning again on the head node
    never mends; "" for every other spec."""
    found = selftrained_choices(loss, backbone_weights)
    if not found:
        return ""
    name, path = found[0]
    return (f"; {name}'s self-trained encoder {path} is not the file the grid was planned with: where this machine "
            "made it again on a CPU of another instruction set (AVX2 against AVX-512), the same recipe gives other "
            f"bytes and planning again does not mend that — copy {path.name} from the planning machine to "
            f"{path.parent} here, or give {name} one file every node reads ({name}(encoder='<path>'))")


def weights_fingerprint(loss: str, backbone_weights: str = "pretrained") -> str:
    """The weights the terms of ``loss`` load that neither the spec nor ``backbone_weights`` fixes, one
    ``name=weights`` per such term (``"csr=resnet50:moco_v2"``, ``"vgg=sha256:1a2b…"``): part of a run's id
    (``RunConfig.weights_fingerprint``, filled when a grid is planned), so a run trained on one file is never resumed
    as done for another.

    * A checkpoint given by path or self-trained name (``vgg(weights='enc.pt')``, ``csr(encoder='enc.pt')``,
      ``--backbone-weights enc.pt``) is recorded by its content (SHA-256, memoised per process by size and mtime):
      a file replaced in place (pretrained again, copied over) makes new runs, and the same file moved elsewhere
      keeps its runs where only ``backbone_weights`` names it.
    * A term given ``weights="pretrained"`` (its own or the run's) whose registration has ``weights_chosen=`` — a
      function of its keyword arguments giving the weights key or checkpoint its build loads where that choice
      depends on what is cached (csr's ``encoder="auto"``: MoCo v2, else SimCLR, else the self-trained encoder),
      None where the arguments name it — records that choice (a checkpoint by its content).

    ``""`` for every other spec (random-init weights, a weights key or the default file its arguments choose):
    their ids are those of the code before this fingerprint. A checkpoint that is not there is a one-line
    :class:`UserError` (:func:`missing_checkpoint_message`)."""
    from benchmark.lossfn import parse_loss_spec, takes_weights
    from benchmark.registry import LOSSES

    def identity(ref: str) -> str:
        if ref in known_files():
            return ref
        path = find_checkpoint(ref)
        if path is None:
            raise UserError(missing_checkpoint_message(ref))
        return f"sha256:{file_sha256(path)[:16]}"

    parts = []
    for term in parse_loss_spec(loss):
        if not takes_weights(term.name):
            continue
        kwargs = dict(term.kwargs)
        given = str(kwargs.get("weights", backbone_weights))
        refs: list[str] = []
        if given == "pretrained":
            chosen = LOSSES.get(term.name).meta.get("weights_chosen")
            choice = chosen(**kwargs) if chosen is not None else None
            refs += [] if choice is None else [str(choice)]
            refs += [r for r in loss_checkpoints(str(term)) if r not in refs]  # csr(encoder='enc.pt')
        elif is_checkpoint(given):
            refs.append(given)
        parts += [f"{term.name}={identity(r)}" for r in refs]
    return ",".join(parts)


def selftrain_commands(loss: str, backbone: str = "pretrained") -> list[tuple[str, str]]:
    """(term, command) for each term of ``loss`` whose build on ``backbone`` weights (the term's own ``weights=``
    first) would train an encoder first as the cache stands (a registration's ``selftrains=``, a function of the
    term's keywords giving the command that makes it, "" for none: csr's SimCLR encoder, ``plbench pretrain --recipe
    simclr --data …``, shell-quoted), each once."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    out = []
    for term in parse_loss_spec(loss):
        would = LOSSES.get(term.name).meta.get("selftrains")
        kwargs = dict(term.kwargs)
        if would is not None and str(kwargs.get("weights", backbone)) == "pretrained" and (cmd := would(**kwargs)):
            out.append((term.name, cmd))
    return list(dict.fromkeys(out))


def selftrain_command(loss: str) -> str:
    """The first command of :func:`selftrain_commands` on pretrained weights, "" for none."""
    return next((cmd for _, cmd in selftrain_commands(loss)), "")


def selftraining(weights: dict[str, str]) -> list[tuple[str, str]]:
    """(term, command) for each term of the losses of ``weights`` ({loss spec: the backbone weights it trains
    with}, :attr:`benchmark.config.GridPlan.weights`) that would train an encoder first (:func:`selftrain_commands`),
    each once — what a dry run, which trains nothing, says instead of training it for the run ids
    (:func:`weights_fingerprint` builds the choice)."""
    return list(dict.fromkeys(pair for loss, backbone in weights.items()
                              for pair in selftrain_commands(loss, backbone)))


class NoPretrainedWeights(UserError):
    """``weights="pretrained"`` for a trunk with no published weights (tinycnn, resnet18: self-trained only). Defined
    here, not in :mod:`benchmark.backbones` (which raises it and imports this module): what asks whether a loss loads
    a pretrained file (:func:`same_on_random_and_pretrained`) catches it without a cycle or torch."""


def same_on_random_and_pretrained(loss: str) -> bool:
    """Does ``loss`` compute the same whether the run's backbone weights are ``random`` or ``pretrained``, because no
    term of it that takes weights would load a pretrained file under either (gpl: its random VGG-19 is the method,
    whatever ``weights``; the pixel-only ``pdl(layers=())``: no backbone; a term given ``weights='random'``)? Then
    :func:`benchmark.config.resolve` records both as ``random``, so the one computation has one run id. Not where a
    term loads a trunk's download or a checkpoint (its own or the run's), nor a trunk no published file exists for
    (``vgg(arch='tinycnn')``: ``pretrained`` is refused, not random), nor a registration that declares no ``weights=``
    (a ``--loss-file`` deep loss building its own trunk: what it loads is unknown). A file shipped in a package (lpips'
    heads) is read either way: no difference."""
    from benchmark.lossfn import parse_loss_spec

    return all(term_loads_pretrained(term) is False for term in parse_loss_spec(loss))


def term_loads_pretrained(term) -> bool | None:
    """Would ``weights='pretrained'`` make a loss spec term (:func:`benchmark.lossfn.parse_loss_spec`'s) load a
    pretrained file — a trunk's download or a checkpoint (its own or the run's)? True also where its registration
    declares no ``weights=`` (a ``--loss-file`` deep loss building its own trunk: what it loads is unknown); False for
    a term taking no weights, gpl (its random VGG-19 is the method) and a file shipped in a package (lpips' heads,
    read either way); None for a trunk no published file exists for (``vgg(arch='tinycnn')``: ``pretrained`` is
    refused). The one question :func:`same_on_random_and_pretrained` (a run's id) and compare's note beside a
    pixel-only field (:func:`benchmark.compare._pretrained_changes`) ask."""
    from dataclasses import replace

    from benchmark.lossfn import takes_weights
    from benchmark.registry import LOSSES

    if not takes_weights(term.name):
        return False
    if "weights" not in LOSSES.get(term.name).meta:  # its files undeclared: what 'pretrained' loads unknown
        return True
    one = str(replace(term, weight=1.0))
    try:
        keys, refs = loss_weight_keys(one), loss_checkpoints(one)
    except NoPretrainedWeights:
        return None
    return bool(refs) or any(not get_file(k).subdir.startswith("package:") for k in keys)


def is_checkpoint(weights: str) -> bool:
    """Is a ``weights`` value (a term's, ``--backbone-weights``) a checkpoint by path or self-trained name, rather
    than ``random``, ``pretrained``, ``none``, ``auto`` or a weights key?"""
    return str(weights) not in ("random", "pretrained", "none", "auto") and str(weights) not in known_files()


def term_specs(specs) -> list[str]:
    """The distinct terms of loss specs as written, without their weights (``'l1 + 0.1*lpips(net="vgg")'`` →
    ``["l1", "lpips(net='vgg')"]``): what :func:`loss_weight_keys` takes, the arguments kept."""
    from dataclasses import replace

    from benchmark.lossfn import parse_loss_spec

    return list(dict.fromkeys(str(replace(t, weight=1.0)) for spec in specs for t in parse_loss_spec(spec)))


def weights_report(losses: list[str] | None = None) -> list[dict]:
    """One row per (loss, needed file): ``loss, needs, file, path, present``.

    Losses without pretrained weights get one row with ``needs="none"`` and ``present=True``; a checkpoint a term
    names by path or self-trained name (:func:`loss_checkpoints`) a row with ``needs="checkpoint"``.
    """
    from benchmark.registry import LOSSES

    rows = []
    for name in (losses or LOSSES.names()):
        keys, checkpoints = loss_weight_keys(name), loss_checkpoints(name)
        if not keys and not checkpoints:
            rows.append({"loss": name, "needs": "none", "file": "", "path": "", "present": True})
        for key in keys:
            wf = get_file(key)
            rows.append({"loss": name, "needs": key, "file": wf.filename, "path": str(wf.path),
                         "present": wf.present})
        for ref in checkpoints:  # needs="checkpoint": a file given by path or name, which nothing downloads
            found = find_checkpoint(ref)
            path = found or Path(ref).expanduser()
            rows.append({"loss": name, "needs": "checkpoint", "file": path.name, "path": str(path),
                         "present": found is not None})
    return rows


def metric_weight_keys(metric: str) -> tuple[str, ...]:
    """Weight keys a pyiqa metric loads (:data:`METRIC_WEIGHTS`); () for one that needs none or
    that this table does not know."""
    return METRIC_WEIGHTS.get(metric, ())


#: the files each pyiqa metric outside :data:`METRIC_WEIGHTS` read when it was last opened (brisque's SVM, topiq's,
#: cnniqa's, lpips-vgg's: :func:`benchmark.metrics.open_metric` records them as they are read), {metric: [path]},
#: a path under the torch hub dir relative to it (the folder may be copied elsewhere, as prefetch's message says)
METRIC_FILES_JSON = "metric_files.json"


#: the folders whose :data:`METRIC_FILES_JSON` could not be written, said once a process each
_UNKEPT: set[str] = set()


def remember_metric_files(metric: str, paths: Iterable[str]) -> None:
    """Keep the files ``metric`` read as it was opened (:data:`METRIC_FILES_JSON`), so a later process hashes them
    without building the metric (:func:`metric_files`). Read, changed and written under a lock (two scoring
    processes each adding a metric keep both), written whole or not at all; an unreadable file (corrupt, hand-edited)
    is written anew. A cache it cannot write (read-only, full, the name taken by a folder) keeps nothing and fails no
    scoring pass: one line, once a process (planning then finds such a metric's file replaced when the metric is
    next opened, not before)."""
    from benchmark.errors import UserError

    hub = hub_dir().resolve()
    rel = []
    for p in sorted(paths):
        q = Path(p).resolve()
        rel.append(str(q.relative_to(hub)) if q.is_relative_to(hub) else str(q))
    if _metric_files_read().get(metric) == rel:
        return
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder / f".{METRIC_FILES_JSON}.lock"):
            known = _metric_files_read()  # again, under the lock: another process's metric kept
            known[metric] = rel
            _write_whole_json(folder / METRIC_FILES_JSON, known)
    except (OSError, UserError) as exc:
        if str(folder) not in _UNKEPT:
            _UNKEPT.add(str(folder))
            log.warning("cannot keep the weights files metrics read in %s (%s): a file replaced there is found when "
                        "its metric is next opened", folder / METRIC_FILES_JSON,
                        getattr(exc, "strerror", None) or {"InTheWay": "something in the way", "DiskFull": "disk full"}
                        .get(type(exc).__name__, "not writable"))


def _write_whole_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` whole or not at all (a temporary file beside it, fsynced, renamed over it).
    Not :func:`benchmark.results.atomic_write_json`: weights sits below results (``results`` imports ``config``,
    which imports this module), and a cache file needs none of the store's one-line write errors (its caller warns
    once and keeps nothing)."""
    import json
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600: a shared cache's other users must read it, as the store's
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive ``flock`` on ``path`` (made if missing) while the block runs."""
    import fcntl

    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _metric_files_read() -> dict[str, list[str]]:
    import json

    try:
        data = json.loads((cache_dir() / METRIC_FILES_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def metric_files(metric: str) -> list[Path]:
    """The files ``metric`` (a pyiqa metric outside :data:`METRIC_WEIGHTS`) read when it was last opened here, as
    :func:`remember_metric_files` kept them; [] where it was never opened or read none."""
    paths = _metric_files_read().get(metric)
    if not isinstance(paths, list):
        return []
    return [hub_dir() / p if not Path(p).is_absolute() else Path(p) for p in paths if isinstance(p, str)]


def digest_of(digests: Iterable[str]) -> str:
    """One SHA-256 for the files a metric read (their SHA-256s, :func:`metric_files`): the file's own where there is
    one, else the SHA-256 of their digests in sorted order (whichever path the folder is at); "" for none."""
    digests = sorted(set(digests))
    if len(digests) <= 1:
        return digests[0] if digests else ""
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def keys_digest(keys: Iterable[str]) -> str:
    """The SHA-256 of the weights files of ``keys`` (:func:`get_file`), each by :func:`file_sha256`: the file's own for
    one, the SHA-256 of their digests in order for several; "" for none, or where one is not there."""
    paths = [get_file(k).path for k in keys]
    if not paths or not all(p.is_file() for p in paths):
        return ""
    if len(paths) == 1:
        return file_sha256(paths[0])
    return hashlib.sha256("".join(file_sha256(p) for p in paths).encode()).hexdigest()


def pyiqa_files_digest(metric: str) -> str:
    """The SHA-256 of the file(s) a pyiqa metric reads (not a metric the harness registers): those of
    :data:`METRIC_WEIGHTS` (:func:`keys_digest`), else the files it read when it was last opened here
    (:func:`metric_files`, :func:`digest_of`); "" where it reads none or one is not there. No torch: a reader of
    scores hashes them without it (:func:`benchmark.results.current_digests`), as
    :func:`benchmark.metrics.weights_digest` does for every metric."""
    if keys := metric_weight_keys(metric):
        return keys_digest(keys)
    files = metric_files(metric)
    if not files or not all(p.is_file() for p in files):
        return ""
    return digest_of(file_sha256(p) for p in files)


def remembered_metrics() -> list[str]:
    """The metrics outside :data:`METRIC_WEIGHTS` whose files :data:`METRIC_FILES_JSON` keeps (each read a file when
    it was last opened here), sorted."""
    return sorted(m for m, paths in _metric_files_read().items() if isinstance(paths, list) and paths)


def metric_weights_report(metrics) -> list[dict]:
    """One row per (metric, needed file): ``metric, needs, file, path, present``; ``needs`` is
    ``"none"`` for the metrics that work offline, ``"read"`` for each file a metric outside this table read when it
    was last opened here (:func:`metric_files`: brisque's SVM, topiq's, …), and ``"unknown"`` for one never opened
    here (or that read none)."""
    rows = []
    for name in metrics:
        keys = metric_weight_keys(name)
        files = [] if keys or name in OFFLINE_OK else metric_files(name)
        for p in files:
            rows.append({"metric": name, "needs": "read", "file": p.name, "path": str(p), "present": p.is_file()})
        if not keys and not files:
            needs = "none" if name in OFFLINE_OK else "unknown"
            rows.append({"metric": name, "needs": needs, "file": "", "path": "", "present": needs == "none"})
        for key in keys:
            wf = get_file(key)
            rows.append({"metric": name, "needs": key, "file": wf.filename, "path": str(wf.path),
                         "present": wf.present})
    return rows


def prefetch(losses: list[str] | None = None, metrics=None, command: str = "plbench weights prefetch") -> None:
    """Download (and hash-check) every file the given losses and metrics need; for a connected
    machine. Without ``losses``: every registered loss and, unless ``metrics`` is given, the
    default metrics (``metrics``; the CLI passes :data:`benchmark.config.DEFAULT_METRICS`).

    Offline (``HF_HUB_OFFLINE`` / ``PLBENCH_OFFLINE``) it stops at once, before any attempt, with
    one line saying so, how many files are missing and ``command`` to run on a connected machine (the
    CLI's names the same losses and loss files: without them it would fetch every file). Else raises
    :class:`UserError` listing, one per line, the files it could not get.
    """
    keys = dict.fromkeys([*(k for name in (losses or _all_losses()) for k in loss_weight_keys(name)),
                          *(k for name in (metrics or ()) for k in metric_weight_keys(name))])
    missing = [k for k in keys if not get_file(k).present]
    if missing and offline():
        flags = " and ".join(f"{v}={os.environ[v]}" for v in _offline_switches())
        raise UserError(f"{plural(len(missing), 'weight file')} missing and {flags} "
                        f"forbid{'s' * (' and ' not in flags)} "
                        f"downloads: run `{online_prefix()} {command}` on a machine with a network (then copy "
                        f"{hub_dir()} here), or put each file where `plbench weights` says")
    errors = [missing_checkpoint_message(ref, name)
              for name in (losses or ()) for ref in loss_checkpoints(name) if find_checkpoint(ref) is None]
    for key in keys:
        try:
            path = resolve(key, allow_download=True)
            log.info("ok %s: %s", key, path)
        except UserError as exc:
            errors.append(str(exc))
    if errors:
        raise UserError("\n".join(errors))


def _all_losses() -> list[str]:
    from benchmark.registry import LOSSES

    return LOSSES.names()


def read_manifest(path: str | Path) -> dict | None:
    """The manifest of a self-trained checkpoint (its sidecar JSON, written by ``plbench pretrain``),
    or None for other files. Here, not in :mod:`benchmark.pretrain`, so that reading a checkpoint
    (:mod:`benchmark.backbones`) does not import the pretraining code (no import cycle)."""
    import json

    side = Path(path).with_suffix(".json")
    if side.is_file():
        try:
            return json.loads(side.read_text())
        except json.JSONDecodeError:
            return None
    return None

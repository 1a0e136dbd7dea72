"""IQA metrics from pyiqa, opened without ever touching the network.

Every metric is a pyiqa metric by its pyiqa name (``psnr``, ``ssim``, ``ms_ssim``, ``lpips``,
``dists``, ``niqe``, ``musiq``, … — ``plbench list metrics`` shows them all), or the harness's
own ``contrique_fr`` (a CONTRIQUE-style full-reference feature distance, :class:`ContriqueFR`),
whose encoder can be a self-trained one: ``contrique_fr@<checkpoint>``. Opening a pyiqa metric runs
pyiqa's constructor with every download path patched to refuse: a metric whose weights are not
in the cache is *skipped*, and the reason (the file and where it must go) is recorded, within
milliseconds, whatever the network does.

pyiqa caches weights in ``<torch hub dir>/pyiqa/`` and backbones in
``<torch hub dir>/checkpoints/``; ``TORCH_HOME`` moves both.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import threading
from dataclasses import dataclass

import torch

from benchmark.docmarkup import agree, plural
from benchmark.errors import UserError, did_you_mean
from benchmark.metric_ranges import RANGE, metric_range  # noqa: F401 - re-exported: torch-free, for the readers
from benchmark.registry import METRICS, check_not_all, lister, register_metric
from benchmark.weights import OFFLINE_OK  # noqa: F401 - re-exported: the metrics that need no file

log = logging.getLogger(__name__)


#: The smallest image side (px) each metric can score: :meth:`MetricSet.score` leaves smaller images out
#: for that metric (runner.coverage reports them) instead of crashing in a convolution. Measured on
#: (s, 2s) and (2s, s) inputs as the first s that scores: ssim/ssimc's 11×11 window (valid filtering),
#: the same at ms_ssim's 5th scale (an odd side pools to ceil(H/2): 161 → 81 → 41 → 21 → 11; 160 reaches 10),
#: cw_ssim's 4-level steerable pyramid, vif's 4 scales of reflect padding, mad's 16×16 blocks, lpips' AlexNet
#: (an 11/4 conv and two 3/2 pools), niqe's 96×96 blocks. The others the harness uses (psnr, psnry, fsim, vsi,
#: gmsd, nlpd, piqe, entropy, dists, musiq, contrique_fr) score any image of ≥ 8 px a side
#: (benchmark.data.MIN_IMAGE_SIDE). tests/test_metrics.py checks the offline ones on both sides of their minimum.
MIN_SIDE = {"ssim": 11, "ssimc": 11, "ms_ssim": 161, "cw_ssim": 64, "vif": 33, "mad": 16, "lpips": 31, "niqe": 96}
#: Under 8 px a side (images a task with ``modcrop=true`` tests on whole: a 5×5 icon, a 1-px strip) only these score;
#: every other metric leaves such an image out (gmsd gave NaN on 2×2, fsim on 1×30, piqe raised under 8 px)
ANY_SIDE = ("psnr", "psnry")
#: the side under which a metric not in :data:`ANY_SIDE` scores nothing (benchmark.data.MIN_IMAGE_SIDE)
TINY_SIDE = 8


def min_side(name: str) -> int:
    """The smallest image side ``name`` (``contrique_fr@checkpoint`` too) can score: :data:`MIN_SIDE`'s, with its
    shave; at least :data:`TINY_SIDE` for a metric not in :data:`ANY_SIDE` (0 for psnr: any)."""
    base = name.partition("@")[0]
    if base == "ssim_y":  # its 11-px window within what the shave leaves
        return 11 + 2 * _shave(name)
    shave = _shave(name)
    need = MIN_SIDE.get(base, 0) + 2 * shave + (shave > 0)  # a shave of N leaves a side of 2N + 1 one pixel
    return need if base in ANY_SIDE else max(need, TINY_SIDE)


#: How each distortion metric is computed, for the reports' "Metrics:" note (:func:`metric_convention`): the
#: convention a reader must know to set a number beside a paper's (every score is of the net's output clamped to
#: [0, 1] against the clean image, the whole test image cut to a multiple of 8 px, benchmark.runner)
CONVENTIONS = {
    "psnr": "PSNR on RGB (all 3 channels, float, peak 1), whole image, nothing shaved (pyiqa psnr)",
    "psnry": "PSNR on Y of YIQ (0.299 R + 0.587 G + 0.114 B, full range, float), whole image, nothing shaved "
             "(pyiqa psnry; not the papers' YCbCr Y: see psnr_y)",
    "ssim": "SSIM on Y of YIQ (×255, rounded), 11×11 Gaussian σ 1.5, no downsampling, whole image (pyiqa ssim)",
    "ms_ssim": "MS-SSIM (5 scales, product form) on Y of YIQ (×255, rounded), whole image (pyiqa ms_ssim)",
    "ssimc": "SSIM on RGB (×255, rounded), averaged over channels, whole image (pyiqa ssimc)",
    "psnr_y": "PSNR on Y of BT.601 YCbCr (16–235) of the 8-bit images, peak 255, {shave} (EDSR/RCAN/SwinIR tables)",
    "ssim_y": "SSIM (Wang et al. 2004) on Y of BT.601 YCbCr (16–235) of the 8-bit images, {shave} "
              "(EDSR/RCAN/SwinIR tables)",
    "psnr_rgb": "PSNR over R, G and B (CPSNR) of the 8-bit images, peak 255, {shave}",
    "psnrb_y": "PSNR-B (Yim & Bovik 2011: MSE + blocking effect factor on the 8×8 grid, normalised as KAIR's) on Y "
               "of BT.601 YCbCr (16–235) of the 8-bit images, whole image",
}


def metric_convention(name: str) -> str:
    """How ``name`` is computed (:data:`CONVENTIONS`), ``psnr_y@shave4`` with its shave; "" for a metric with no
    convention to state (a perceptual metric: pyiqa's defaults)."""
    base, _, arg = name.partition("@")
    text = CONVENTIONS.get(base, "")
    shave = _shave(name)
    text = text.format(shave=f"{shave} px shaved from every border" if shave else "nothing shaved")
    if text and base in ("psnr_y", "ssim_y", "psnrb_y") and _options(arg)[1]:
        text += ("; a grey test image (three equal channels, as a one-channel file is read) on its own grey levels "
                 "(0–255), as the MATLAB scripts of the tables score a one-channel file")
    return text


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, eps: float = 1e-8) -> torch.Tensor:
    """PSNR in dB per image, shape (N,), on all channels. x, y: (N, C, H, W) in [0, data_range]."""
    mse = (x.double() - y.double()).pow(2).mean(dim=(1, 2, 3))
    return 10 * torch.log10(data_range**2 / (mse + eps))


class WeightsNotCached(RuntimeError):
    """Raised inside a download attempt: carries the URL and the path the file must be at."""

    def __init__(self, url: str, dst: str | None):
        self.url, self.dst = url, dst
        name = os.path.basename(str(dst or url))
        super().__init__(f"{name} is not cached (expected at {dst})" if dst else
                         f"{name} is not cached and cannot be downloaded offline (from {url})")


#: held while :func:`no_downloads` or :func:`open_metric` patch process-wide state (download functions, sys.stdout):
#: each puts back what it saved, so a second thread patching meanwhile saved the first's patches as the originals
#: and put them back last (the process left printing into a dead StringIO, refusing every download)
_PATCHING = threading.RLock()


@contextlib.contextmanager
def no_downloads():
    """Patch torch.hub, pyiqa, urllib and huggingface_hub so any download raises at once (one thread at a time:
    :data:`_PATCHING`)."""
    with _PATCHING:
        yield from _no_downloads()


def _no_downloads():
    """The body of :func:`no_downloads` (a generator: patch, yield, put back), run under its lock."""
    import urllib.request

    import torch.hub

    def refuse_file(url, dst=None, *args, **kwargs):
        raise WeightsNotCached(url, dst)

    def refuse_url(url, *args, **kwargs):
        # a loader that opens the URL itself (pyiqa's CLIP loaders, ``urlopen(url)`` then ``open(download_target)``:
        # ~/.cache/clip, <torch hub>/clip) holds the path it would write in its frame: named where it is known
        import sys

        dst = sys._getframe(1).f_locals.get("download_target")
        raise WeightsNotCached(getattr(url, "full_url", str(url)), dst if isinstance(dst, str) else None)

    patches = [(torch.hub, "download_url_to_file", refuse_file), (urllib.request, "urlopen", refuse_url)]
    try:
        import pyiqa.utils.download_util as du

        patches.append((du, "download_url_to_file", refuse_file))
    except ImportError:
        pass
    try:
        import huggingface_hub
        import huggingface_hub.constants as hfc
        import huggingface_hub.file_download as hfd

        patches.append((hfc, "HF_HUB_OFFLINE", True))
        # timm's backbones (topiq, maniqa, ahiq, hyperiqa, nima) come from the hub: a file not in its cache raised
        # "An error happened while trying to locate the file on the Hub …", naming neither the file nor its place
        hub = _hub_file(hfd.hf_hub_download)
        patches += [(huggingface_hub, "hf_hub_download", hub), (hfd, "hf_hub_download", hub)]
        import sys

        if "timm.models._hub" in sys.modules:  # imported by name there (`from huggingface_hub import hf_hub_download`)
            patches.append((sys.modules["timm.models._hub"], "hf_hub_download", hub))
    except ImportError:
        pass
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, value in patches:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)
        _unwrap_timm_hub()


#: the functions pyiqa's constructors (and torchvision's, timm's, transformers' under them) read a weights file with:
#: torch's pickles, TorchScript (arniqa's regressor, CLIP's jit files), safetensors (timm's hub files; ``safe_open``:
#: transformers' ``from_pretrained``, fgresq's CLIP), MATLAB files (brisque's, nrqm's, ilniqe's parameters)
_READERS = (("torch", "load"), ("torch.jit", "load"), ("safetensors.torch", "load_file"), ("safetensors", "safe_open"),
            ("scipy.io", "loadmat"))


def _bound(values: dict[int, object], modules=None) -> list[tuple[dict, str, object]]:
    """(module namespace, name, value) of every binding in ``modules`` (default: every imported module) whose value is
    one of ``values`` (by id): a reader imported by name (``from safetensors import safe_open`` in transformers'
    modeling_utils, bound once at its import) is read through that binding, not its module's attribute."""
    import sys

    out = []
    for mod in list(sys.modules.values()) if modules is None else modules:
        ns = getattr(mod, "__dict__", None)
        if isinstance(ns, dict):
            out += [(ns, k, v) for k, v in list(ns.items()) if id(v) in values]
    return out


@contextlib.contextmanager
def files_read(into: dict[str, str], import_readers: bool = True):
    """Record ``{path: SHA-256}`` of every file read meanwhile through :data:`_READERS` (what a pyiqa metric's
    constructor loads its weights with: the files a metric outside :data:`benchmark.weights.METRIC_WEIGHTS` reads,
    found whatever the metric), each hashed as it is read, so a file replaced after is not recorded as the one read
    (:func:`benchmark.weights.file_sha256`, memoised by size and mtime). A reader is patched where its module holds it
    and wherever a module imported it by name (:func:`_bound`); a module imported meanwhile that bound a patched
    reader gets the real one back after. ``import_readers``: a reader's module not imported yet is imported first
    (pyiqa imports an arch, and with it scipy.io or timm's safetensors, as the metric is built: a module imported then
    would be read through unpatched; scipy.io costs a second, once a process), else left out. Patches process-wide
    state: one thread at a time (:data:`_PATCHING`)."""
    import importlib
    import sys

    from benchmark.weights import file_sha256

    def reading(real):
        def read(f, *args, **kwargs):
            name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", None)  # CLIP's: an open file
            if isinstance(name, (str, os.PathLike)) and os.path.isfile(name):
                path = os.path.abspath(os.fspath(name))
                into.setdefault(path, file_sha256(path))
            return real(f, *args, **kwargs)
        return read

    with _PATCHING:
        wrappers: dict[int, object] = {}  # id(real) → its wrapper
        reals: dict[int, object] = {}  # id(wrapper) → its real
        for mod_name, attr in _READERS:
            mod = sys.modules.get(mod_name)
            if mod is None and import_readers:
                try:
                    mod = importlib.import_module(mod_name)
                except ImportError:  # not installed: nothing reads through it
                    continue
            real = getattr(mod, attr, None) if mod is not None else None
            if real is not None and id(real) not in wrappers:
                wrappers[id(real)] = reading(real)
                reals[id(wrappers[id(real)])] = real
        before = set(sys.modules)
        saved = _bound(wrappers)
        for ns, name, real in saved:
            ns[name] = wrappers[id(real)]
        try:
            yield into
        finally:
            for ns, name, real in saved:
                ns[name] = real
            new = [m for k, m in list(sys.modules.items()) if k not in before]
            for ns, name, wrapper in _bound(reals, new):  # `from safetensors import safe_open` run meanwhile
                ns[name] = reals[id(wrapper)]


def _unwrap_timm_hub() -> None:
    """timm binds ``hf_hub_download`` once, on its first import (``partial(hf_hub_download, library_name="timm",
    …)``): first imported while :func:`no_downloads` stood (pyiqa imports its archs, and so timm, as a metric is
    opened), it kept the refusing wrapper of :func:`_hub_file` for the rest of the process → its real function."""
    import functools
    import sys

    mod = sys.modules.get("timm.models._hub")
    f = getattr(mod, "hf_hub_download", None)
    if isinstance(f, functools.partial) and hasattr(f.func, "real_download"):
        mod.hf_hub_download = functools.partial(f.func.real_download, *f.args, **f.keywords)
    elif hasattr(f, "real_download"):
        mod.hf_hub_download = f.real_download


def _hub_file(real):
    """huggingface_hub's ``hf_hub_download`` that, for a file not in the hub cache (offline), raises
    :class:`WeightsNotCached` naming the repository, the file and the path it must be at."""
    import huggingface_hub.constants as hfc
    from huggingface_hub.errors import LocalEntryNotFoundError

    def fetch(repo_id, filename, *args, subfolder=None, cache_dir=None, revision=None, **kwargs):
        try:
            return real(repo_id, filename, *args, subfolder=subfolder, cache_dir=cache_dir, revision=revision,
                        **kwargs)
        except LocalEntryNotFoundError:
            name = f"{subfolder}/{filename}" if subfolder else filename
            folder = f"{kwargs.get('repo_type') or 'model'}s--{repo_id.replace('/', '--')}"
            dst = os.path.join(str(cache_dir or hfc.HF_HUB_CACHE), folder, "snapshots", revision or "<revision>", name)
            raise WeightsNotCached(f"https://huggingface.co/{repo_id}/resolve/{revision or 'main'}/{name}",
                                   dst) from None
    fetch.real_download = real  # what _unwrap_timm_hub puts back where this was bound for good
    return fetch


def _gauss1d(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x * x) / (2 * sigma * sigma))
    return g / g.sum()


def _gauss_filter(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """'valid' 2-D Gaussian filter of (N, C, H, W) as two 1-D passes (the kernel is separable)."""
    c = x.shape[1]
    k = g.to(x)
    x = torch.nn.functional.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return torch.nn.functional.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)


def ssim_reference(y: torch.Tensor, g: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The terms of :func:`ssim_separable` that depend on the reference y (float64 (N, C, H, W)) alone: its local
    mean μ_y and variance σ_y², each (N, C, H − 10, W − 10)."""
    g = _gauss1d() if g is None else g
    mu2 = _gauss_filter(y, g)
    return mu2, _gauss_filter(y * y, g) - mu2 * mu2


def ssim_separable(x: torch.Tensor, y: torch.Tensor, data_range: float = 255.0, get_cs: bool = False,
                   ref: tuple[torch.Tensor, torch.Tensor] | None = None):
    """pyiqa's ``ssim`` (no downsampling, 11×11 Gaussian σ = 1.5, 'valid', negative cs clipped)
    on float64 (N, C, H, W) → (N,) (and the mean contrast-structure term with ``get_cs``). ``ref``:
    :func:`ssim_reference` of y, when already computed (the same bits as computing it here)."""
    g = _gauss1d()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu1 = _gauss_filter(x, g)
    mu2, s22 = ssim_reference(y, g) if ref is None else ref
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s11 = _gauss_filter(x * x, g) - mu1_sq
    s12 = _gauss_filter(x * y, g) - mu12
    cs = torch.relu((2 * s12 + c2) / (s11 + s22 + c2))
    val = (((2 * mu12 + c1) / (mu1_sq + mu2_sq + c1)) * cs).mean([1, 2, 3])
    return (val, cs.mean([1, 2, 3])) if get_cs else val


class SeparableSSIM(torch.nn.Module):
    """pyiqa's ``ssim`` (``multiscale=False``) or ``ms_ssim`` (product form, 5 scales), or with
    ``y_channel=False`` its ``ssimc`` (ssim of R, G and B, averaged), computed with the Gaussian window
    as two 1-D passes: the same inputs (Y of YIQ — or R, G, B — ×255, rounded, float64) and formulas,
    ~14× less CPU (62 vs 870 ms for a 512² image on one thread) and, its largest allocation, < 100 bytes a pixel
    where pyiqa's unfolded 2-D window takes 906 (ssimc, 256×384). Equal to pyiqa's to 1e-6 (pyiqa rounds its
    2-D window to float32; tests/test_metrics.py checks it). The reference's
    side (its luma, pooled scales, local means and variances: 2 of each scale's 5 filter passes) is
    kept per clean image (:class:`benchmark.fastiqa.RefCache`), as every run is scored against the same ones.

    ms_ssim pools a scale of an odd side as pyiqa does (``avg_pool2d(…, padding=1)``: a zero row above the first,
    so every 2×2 window one pixel off the reference ``msssim.m`` of Wang et al., which averages rows (0, 1),
    (2, 3), … with the last row mirrored, and the first row halved): kept, for these are pyiqa's ``ms_ssim``'s
    numbers by name, read beside published ones. Nearly every test image meets an odd side at some scale (500 →
    250 → 125 → 63); Wang's pooling moved MS-SSIM by 1e-6 to 1e-4 of its value on Kodak24 and Set14 photos at
    noise σ 0.05–0.1, far under any difference between losses (2026-12-06).

    Forward: pred, target (N, 3, H, W) float in [0, 1] → (N,) float64; higher is better."""

    lower_better = False
    metric_mode = "FR"
    MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

    def __init__(self, multiscale: bool = False, y_channel: bool = True):
        from benchmark.fastiqa import RefCache

        super().__init__()
        if multiscale and not y_channel:
            raise ValueError("SeparableSSIM: ms_ssim is pyiqa's on the Y channel only")
        self.multiscale, self.y_channel = multiscale, y_channel
        self.refs = RefCache()

    @torch.no_grad()
    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x, ys = self._luma(pred, self.y_channel), self._reference(target)
        if not self.multiscale:
            return ssim_separable(x, ys[0][0], ref=ys[0][1])
        return self._multiscale(x, ys)[1]

    @staticmethod
    def _luma(img: torch.Tensor, y_channel: bool = True) -> torch.Tensor:
        """pyiqa's input to ssim and ms_ssim: Y of YIQ, ×255, rounded, float64 (N, 1, H, W) of img; to ssimc
        (``y_channel=False``): img ×255, rounded, float64 (N, 3, H, W)."""
        from pyiqa.archs.func_util import preprocess_rgb

        return preprocess_rgb(img, y_channel, 255, "yiq").to(torch.float64)

    def _reference(self, target: torch.Tensor) -> list:
        """[(luma, :func:`ssim_reference` of it)] of target at each scale (1, or ms_ssim's 5), kept per image."""
        def compute(t):
            y, out = self._luma(t, self.y_channel), []
            for i in range(len(self.MS_WEIGHTS) if self.multiscale else 1):
                if i:
                    y = torch.nn.functional.avg_pool2d(y, kernel_size=2, padding=(y.shape[2] % 2, y.shape[3] % 2))
                out.append((y, ssim_reference(y)))
            return out
        return self.refs.get(target, compute)

    @classmethod
    def _multiscale(cls, x: torch.Tensor, ys: list) -> tuple[torch.Tensor, torch.Tensor]:
        """(ssim, ms_ssim), each (N,), of :meth:`_luma`'s x and :meth:`_reference`'s scales: ms_ssim's first
        scale is ``ssim`` itself (the same call on the same tensors, so the same bits), so a set scoring both
        computes it once."""
        w = torch.tensor(cls.MS_WEIGHTS, dtype=torch.float32).to(x)  # pyiqa's FloatTensor weights
        mcs = []
        first = None
        for i, (y, ref) in enumerate(ys):
            if i:
                x = torch.nn.functional.avg_pool2d(x, kernel_size=2, padding=(x.shape[2] % 2, x.shape[3] % 2))
            val, cs = ssim_separable(x, y, get_cs=True, ref=ref)
            first = val if first is None else first
            mcs.append(cs)
        mcs = torch.stack(mcs)
        return first, torch.prod(mcs[:-1] ** w[:-1].unsqueeze(1), dim=0) * val ** w[-1]

    @torch.no_grad()
    def both(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(ssim, ms_ssim) of pred, target (N, 3, H, W) in [0, 1], each (N,) float64, in one pass (of a
        ``multiscale`` module): the same numbers as ``SeparableSSIM(False)`` and ``SeparableSSIM(True)`` apart,
        to the last bit, with the luma conversion and the full-resolution scale (most of ms_ssim's work) done
        once instead of twice."""
        if not self.multiscale:
            raise ValueError("SeparableSSIM.both needs the multiscale module (its reference keeps every scale)")
        return self._multiscale(self._luma(pred), self._reference(target))


def _cached(name: str):
    def build():
        from benchmark import fastiqa

        return {"fsim": fastiqa.CachedFSIM, "vsi": fastiqa.CachedVSI, "nlpd": fastiqa.CachedNLPD,
                "cw_ssim": fastiqa.CachedCWSSIM, "entropy": fastiqa.Entropy, "vif": fastiqa.DefinedVIF,
                "mad": fastiqa.DefinedMAD, "gmsd": fastiqa.DefinedGMSD}[name]()
    return build


#: pyiqa metrics computed by an equivalent, faster module here: ssim/ms_ssim the same numbers to 1e-6, fsim/vsi/nlpd
#: to the bit (fsim and vsi below 384 px a side: larger ones downsampled as the authors' MATLAB; fsim NaN where the
#: reference is flat: 0/0, which pyiqa scored as rounding noise), their reference side
#: computed once per test image, ssimc to 1e-6 in a tenth of pyiqa's memory, entropy
#: to the bit in 8 bytes a pixel instead of 2 KiB, cw_ssim to 1e-9 from the one pyramid level it reads (≤ 1, where
#: pyiqa's 1e-12 in each magnitude scored a flat image 10⁶), vif to the bit, its reference side kept, but NaN where the
#: reference is flat (0/0, which pyiqa scored 0), mad with four faults of pyiqa's port fixed (0.0, its best, for any
#: pair of odd side), gmsd
#: with an odd side's last row kept as the authors' GMSD.m (pyiqa's to the bit on even sides) (:mod:`benchmark.fastiqa`)
FAST = {"ssim": lambda: SeparableSSIM(False), "ms_ssim": lambda: SeparableSSIM(True),
        "ssimc": lambda: SeparableSSIM(False, y_channel=False),
        **{n: _cached(n) for n in ("fsim", "vsi", "nlpd", "cw_ssim", "entropy", "vif", "mad", "gmsd")}}
#: bytes a :data:`FAST` metric's reference caches (:class:`benchmark.fastiqa.RefCache`, one each, kept for the
#: process's life) hold per pixel of the clean test images it scores, 0 for one without: what the memory check counts
#: (:func:`benchmark.resources.metric_cache_bytes`) without opening the metric. Measured on a seeded 128² pair
#: (:func:`benchmark.resources.measure_cache_per_pixel`; within 10 % of 500²'s, fsim and vsi over); a test checks
#: each against its code (tests/test_review_cost17.py)
REF_CACHE_PER_PX = {"ssim": 21.6, "ms_ssim": 28.6, "ssimc": 64.8, "fsim": 20.0, "vsi": 40.0, "nlpd": 5.33,
                    "cw_ssim": 2.0, "entropy": 0.0, "vif": 11.8, "mad": 76.4, "gmsd": 0.0}


#: how :class:`ContriqueFR` turns |q_ref − q_dist| into a score, in its provenance: the mean, no regressor fitted
REDUCTION = "mean_abs_diff(no_ridge_regressor)"


class ContriqueFR(torch.nn.Module):
    """CONTRIQUE full-reference distance: mean |q(pred) − q(target)| over the quality vector q of
    the authors' model (:func:`losses.contrique.contrique_features`: global average pool of the
    encoder's last stage at full ⊕ bicubic ×0.5 scale, each scale L2-normalised). Not the authors' FR score:
    CONTRIQUE's FR model feeds |q_ref − q_dist| to a ridge regressor fitted per database (their released
    ``LIVE_FR.save``, ``CSIQ_FR.save``, … map it to a database's subjective scale); with no subjective scores here
    and none of those regressors loaded, the unweighted mean is the score — a distance on its own scale, not
    comparable with the paper's predictions or SRCCs. Lower is better. :attr:`provenance` (each pass records it)
    says so: ``…+contrique_features(v2)+mean_abs_diff(no_ridge_regressor)``.

    ``weights``: ``"pretrained"`` (CONTRIQUE's ResNet-50, ``CONTRIQUE_checkpoint25.tar``) or a
    checkpoint: a path, or the name of one in ``<torch hub dir>/plbench/selftrained/`` (what
    ``plbench pretrain`` writes), e.g. ``contrique-tinycnn-skimage-train-s0-500-1a2b3c``.
    :attr:`provenance` names the encoder and the feature version (``+contrique_features(v2)``).

    Forward: pred, target (N, 3, H, W) float in [0, 1], ≥ 2 px per side (the ×0.5 view needs a pixel: every test
    image the harness loads, ≥ 8 px) → (N,) distances.
    """

    lower_better = True
    metric_mode = "FR"
    #: the file ``weights="pretrained"`` reads (:func:`weights_digest`)
    weight_keys = ("resnet50:contrique",)

    def __init__(self, weights: str = "pretrained", device: str | torch.device = "cpu"):
        super().__init__()
        from benchmark.backbones import Backbone
        from losses.contrique import FEATURES_VERSION

        self.backbone = Backbone("resnet50", ("layer4",), weights=weights, pretrained="resnet50:contrique",
                                 normalize="none", fp32=True).to(device)
        self.provenance = f"{self.backbone.provenance}+contrique_features(v{FEATURES_VERSION})+{REDUCTION}"

    @torch.no_grad()
    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        from losses.contrique import contrique_features

        return (contrique_features(self.backbone, pred) - contrique_features(self.backbone, target)).abs().mean(1)


register_metric("contrique_fr", citation="Madhusudana et al., IEEE TIP 2022 (full-reference use of the quality "
                "vector: mean |q_ref − q_dist|, without the authors' ridge regressors)")(ContriqueFR)


class PaperY(torch.nn.Module):
    """The scoring of the super-resolution papers' tables (EDSR, RCAN, SwinIR; BasicSR's ``calculate_psnr`` /
    ``calculate_ssim`` with ``test_y_channel=True``, the MATLAB ``Evaluate_PSNR_SSIM.m`` of RCAN): both images
    rounded to 8 bit (the saved PNGs), Y of ITU-R BT.601 YCbCr — ``16 + 65.481 R + 128.553 G + 24.966 B``, the
    16–235 studio range, not rounded — ``shave`` px cut from every border, then PSNR against a peak of 255, or
    SSIM (Wang et al. 2004: 11×11 Gaussian σ = 1.5, 'valid', K = 0.01/0.03, L = 255, no downsampling, no clipping).
    A one-channel file is loaded as RGB and scored on that Y too, as BasicSR (``cv2.imread``: three channels) does;
    the MATLAB scripts score such a file on its own grey levels instead (on 16–235 differences: 1.32 dB higher),
    which moves Set14's mean by ≈ 0.09 dB (``bridge``; tests/test_probe_conventions8.py). ``@grey``
    (``psnr_y@grey``, ``psnr_y@shave4+grey``, ``ssim_y@grey``, ``psnrb_y@grey``) scores a pair whose target has three
    equal channels on the grey levels (MATLAB's ``rgb2gray`` of the 8-bit images: the level itself for a grey
    image), as the JPEG tables' grey test sets are scored; it sees pixels, not files, so a three-channel file of grey
    pixels (Set14's ``man``, scored by MATLAB on its Y) is scored on its levels too.

    pyiqa's ``psnry``/``ssim`` are another convention — Y of YIQ (0.299 R + 0.587 G + 0.114 B, full range):
    ``psnry`` reads ≈ 20·log10(255/219) = 1.32 dB lower than ``psnr_y`` on a colour image — and shave nothing.

    Names: ``psnr_y``, ``ssim_y`` (nothing shaved) and ``psnr_y@shaveN``, ``ssim_y@shaveN`` (N px; the SR papers
    shave the scale: ``psnr_y@shave4`` for ×4). Forward: pred, target (N, 3, H, W) in [0, 1] → (N,) float64.
    """

    lower_better = False
    metric_mode = "FR"
    provenance = "none"

    def __init__(self, weights: str = "pretrained", device: str | torch.device = "cpu"):
        super().__init__()
        shave, self.grey = _options(weights if weights != "pretrained" else "")
        self.shave = shave

    #: the shave the "write …" hint gives as an example
    example_shave = 4
    #: takes ``@grey`` (a grey target scored on its grey levels); CPSNR of three channels does not
    takes_grey = True

    @classmethod
    def option(cls, name: str, arg: str) -> str:
        """``shaveN`` (N ≥ 1), ``grey`` or ``shaveN+grey`` → itself; anything else is a :class:`UserError`, and so
        is another spelling of one scoring (``@shave04``, ``@shave0``, ``@grey+shave4``): each would be its own
        column and rows beside the canonical name's."""
        base = name.partition("@")[0]
        tokens = arg.split("+")
        shaves = [t for t in tokens if t.startswith("shave") and t[5:].isdigit()]
        greys = [t for t in tokens if t == "grey" and cls.takes_grey]
        if len(shaves) + len(greys) == len(tokens) and len(shaves) <= 1 and len(greys) <= 1:
            shave, grey = _options(arg)
            canonical_arg = "+".join([f"shave{shave}"] * bool(shave) + ["grey"] * grey)
            canonical = f"{base}@{canonical_arg}" if canonical_arg else base
            if name != canonical:
                raise UserError(f"metric {name}: write {canonical} (one name per scoring: another spelling would "
                                "be a column and rows of its own beside it)")
            return canonical_arg
        grey = f", {base}@grey or {base}@shave{cls.example_shave}+grey" if cls.takes_grey else ""
        raise UserError(f"metric {name}: {arg!r} is not a border to shave{' or grey' if cls.takes_grey else ''}; "
                        f"write {base}@shaveN, e.g. {base}@shave{cls.example_shave}{grey}")

    @staticmethod
    def luma(img: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [0, 1] → Y of BT.601 YCbCr of its 8-bit rounding, (N, 1, H, W) float64 in [16, 235]."""
        x = torch.floor(img.double().clamp(0, 1) * 255 + 0.5) / 255
        return 16 + (x * x.new_tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1)).sum(1, keepdim=True)

    @staticmethod
    def grey_levels(img: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [0, 1] → MATLAB's ``rgb2gray`` of its 8-bit rounding (0.299 R + 0.587 G + 0.114 B,
        rounded), (N, 1, H, W) float64 on 0–255: a grey image's own levels, whatever its channels' count."""
        x = torch.floor(img.double().clamp(0, 1) * 255 + 0.5)
        return torch.floor((x * x.new_tensor([0.298936, 0.587043, 0.114021]).view(1, 3, 1, 1)).sum(1, keepdim=True)
                           + 0.5)

    @torch.no_grad()
    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        x, y = self.luma(pred), self.luma(target)
        if self.grey:  # a grey target (a one-channel file read as three equal channels): its levels, as MATLAB's
            t8 = torch.floor(target.double().clamp(0, 1) * 255 + 0.5)
            grey = ((t8[:, 0] == t8[:, 1]) & (t8[:, 1] == t8[:, 2])).flatten(1).all(1).view(-1, 1, 1, 1)
            x = torch.where(grey, self.grey_levels(pred), x)
            y = torch.where(grey, self.grey_levels(target), y)
        if self.shave:
            s = self.shave
            x, y = x[..., s:-s, s:-s], y[..., s:-s, s:-s]
        return self.score(x, y)


@register_metric("psnr_y", citation="PSNR on Y of BT.601 YCbCr, 8-bit, border shaved: EDSR/RCAN/SwinIR tables "
                 "(BasicSR calculate_psnr, test_y_channel=True)", reads_no_file=True)
class PaperPSNRY(PaperY):
    __doc__ = PaperY.__doc__

    @staticmethod
    def score(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return psnr(x / 255, y / 255)


@register_metric("ssim_y", citation="SSIM (Wang et al., TIP 2004) on Y of BT.601 YCbCr, 8-bit, border shaved: "
                 "EDSR/RCAN/SwinIR tables (BasicSR calculate_ssim, test_y_channel=True)", reads_no_file=True)
class PaperSSIMY(PaperY):
    __doc__ = PaperY.__doc__

    @staticmethod
    def score(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        g = _gauss1d()
        c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
        mu1, mu2 = _gauss_filter(x, g), _gauss_filter(y, g)
        s11 = _gauss_filter(x * x, g) - mu1 * mu1
        s22 = _gauss_filter(y * y, g) - mu2 * mu2
        s12 = _gauss_filter(x * y, g) - mu1 * mu2
        m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2))
        return m.mean([1, 2, 3])


@register_metric("psnr_rgb", citation="CPSNR of demosaicking tables (Kodak, McMaster): PSNR over R, G and B of the "
                 "8-bit images, border shaved", reads_no_file=True)
class PaperCPSNR(PaperY):
    """CPSNR as demosaicking (and colour denoising) tables report it: the PSNR of the mean squared error over all
    three channels of the 8-bit images, peak 255, ``shave`` px cut from every border (``psnr_rgb@shaveN``: a
    Bayer method's border is where it is worst, and the tables leave some of it out). pyiqa's ``psnr`` is the same
    sum on the float images, unrounded and unshaved. Forward: pred, target (N, 3, H, W) in [0, 1] → (N,) dB."""

    example_shave = 8
    takes_grey = False  # all three channels: a grey image's CPSNR is already its levels' PSNR

    @staticmethod
    def luma(img: torch.Tensor) -> torch.Tensor:
        """Not a luma: the 8-bit rounding of all three channels, (N, 3, H, W) float64 on 0–255."""
        return torch.floor(img.double().clamp(0, 1) * 255 + 0.5)

    @staticmethod
    def score(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return psnr(x / 255, y / 255)


def blocking_effect_factor(y: torch.Tensor, block: int = 8) -> torch.Tensor:
    """BEF of Yim & Bovik (IEEE TIP 2011, "Quality assessment of deblocked images", eqs. 5–9) of (N, 1, H, W) images
    on 0–255 → (N,): η·(D_B − D_B^c) where D_B is the mean squared difference of the neighbouring pixel pairs that
    straddle a ``block``-px boundary of the JPEG grid (columns/rows 7|8, 15|16, …, from the top-left), D_B^c that of
    every other neighbouring pair, η = log2(block) / log2(min(H, W)); 0 where D_B ≤ D_B^c. The sums are averaged over
    H·(W // block − 1) + W·(H // block − 1) boundary pairs and the rest of all pairs, as KAIR's
    ``_blocking_effect_factor`` (behind FBCNN's and SwinIR's PSNR-B tables) does: the count of the boundary pairs
    where a side is a multiple of ``block``, one column (row) of them fewer where it is not (a whole image,
    ``jpeg.modcrop=true``: BSD's 481 px, 0.06 dB on PSNR-B at q10)."""
    h, w = y.shape[-2:]
    dh = (y[..., :, 1:] - y[..., :, :-1]) ** 2             # horizontal pairs (x, x + 1): (N, 1, H, W − 1)
    dv = (y[..., 1:, :] - y[..., :-1, :]) ** 2             # vertical pairs
    on_h = (torch.arange(w - 1, device=y.device) % block) == block - 1
    on_v = (torch.arange(h - 1, device=y.device) % block) == block - 1
    sum_b = dh[..., on_h].sum((1, 2, 3)) + dv[..., on_v, :].sum((1, 2, 3))
    sum_c = dh[..., ~on_h].sum((1, 2, 3)) + dv[..., ~on_v, :].sum((1, 2, 3))
    n_b = h * max(w // block - 1, 0) + w * max(h // block - 1, 0)
    n_c = h * (w - 1) + w * (h - 1) - n_b
    d_b, d_c = sum_b / max(n_b, 1), sum_c / max(n_c, 1)
    eta = math.log2(block) / math.log2(min(h, w))
    return torch.where(d_b > d_c, eta * (d_b - d_c), torch.zeros_like(d_b))


@register_metric("psnrb_y", citation="PSNR-B (Yim & Bovik, IEEE TIP 2011) on Y of BT.601 YCbCr, 8-bit: the JPEG "
                 "artifact-removal tables (ARCNN, DnCNN, FBCNN)", reads_no_file=True)
class PaperPSNRBY(PaperY):
    """PSNR-B (Yim & Bovik 2011) as JPEG artifact-removal tables report it (ARCNN, DnCNN, FBCNN, which score grey
    or Y images): on Y of BT.601 YCbCr of the 8-bit images (:meth:`PaperY.luma`), 10·log10(255² / (MSE + BEF))
    with BEF the blocking effect factor of the *scored* image on the 8×8 grid from its top-left corner
    (:func:`blocking_effect_factor`). Nothing is shaved (a shave would move the grid). Forward: pred, target
    (N, 3, H, W) in [0, 1] → (N,) dB; higher is better."""


    @classmethod
    def option(cls, name: str, arg: str) -> str:
        if arg == "grey":
            return arg
        raise UserError(f"metric {name}: psnrb_y takes no option but grey (psnrb_y@grey; a shave would move the 8×8 "
                        "grid its BEF reads)")

    @staticmethod
    def score(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mse = (x - y).pow(2).mean((1, 2, 3))
        return 10 * torch.log10(255.0**2 / (mse + blocking_effect_factor(x) + 1e-8 * 255.0**2))


def _options(arg: str) -> tuple[int, bool]:
    """``"shave4+grey"`` → (4, True): the border a :class:`PaperY` metric's option shaves, and whether it scores a
    grey target on its grey levels (``""`` → (0, False))."""
    tokens = [t for t in arg.split("+") if t]
    shave = next((int(t[5:]) for t in tokens if t.startswith("shave") and t[5:].isdigit()), 0)
    return shave, "grey" in tokens


def _shave(name: str) -> int:
    """The border ``psnr_y@shaveN`` / ``ssim_y@shaveN`` (``…@shaveN+grey`` too) cut off (0 for any other name)."""
    base, _, arg = name.partition("@")
    return _options(arg)[0] if base in ("psnr_y", "ssim_y", "psnr_rgb") else 0


def _native_weights(name: str) -> str | None:
    """A harness metric (:data:`benchmark.registry.METRICS`: ``contrique_fr``, plugins): ``name`` →
    "pretrained"; ``name@X`` → the checkpoint X (a path or the name of a self-trained one in the
    weights cache); None for pyiqa's names."""
    base, _, arg = name.partition("@")
    if base not in METRICS:
        return None
    if not arg:
        return "pretrained"
    option = getattr(METRICS.get(base).obj, "option", None)
    if option is not None:  # an option, not a checkpoint (psnr_y@shave4)
        return option(name, arg)
    from benchmark.weights import cache_dir, find_checkpoint

    path = find_checkpoint(arg)
    if path is None:
        raise UserError(f"metric {name}: no checkpoint {arg!r} (neither a file nor in {cache_dir() / 'selftrained'})")
    return str(path)


def weights_digest(name: str) -> str:
    """The SHA-256 of the file(s) a metric's weights are read from: ``contrique_fr@<checkpoint>``'s checkpoint,
    ``contrique_fr``'s CONTRIQUE file, a pyiqa metric's cached files (:data:`benchmark.weights.METRIC_WEIGHTS`: lpips,
    dists, niqe, musiq; of several, the SHA-256 of their digests in order; any other pyiqa metric: the files it read
    when it was last opened, :func:`files_read`, :func:`benchmark.weights.metric_files`), each hashed by
    :func:`benchmark.weights.file_sha256` (memoised by size and mtime); "" for a metric that reads no file, or whose
    file is not there (it is skipped). Neither torch.hub nor pyiqa checks a file already cached (a hash is checked on
    download only; DISTS' α/β and CONTRIQUE's publish none), so another file put at its place is told by this alone:
    each evaluation pass records it (``metric_sha256``), and scores made with another file are scored again
    (:meth:`benchmark.results.ResultsStore.stale_metrics`). A pass recorded without one is never stale, but for a
    metric whose code changed its numbers (:data:`benchmark.metric_code.CODE_VERSIONS`: mad), whose digest holds
    its code's marker (:func:`benchmark.metric_code.with_code`)."""
    from benchmark.metric_code import with_code

    return with_code(name, _files_digest(name), _outside_code_digest(name))


def _outside_code_digest(name: str) -> str:
    """The code marker of a metric registered outside the harness's code (a plugin's, a script's: its entry's
    ``file_sha256``, the hash of the package's ``*.py`` that versions a plugin's loss, :meth:`benchmark.registry.
    Registry._hash_plugin_source`), or the SHA-256 of its class's ``@code_version`` tag where it has one (then only a
    new tag re-scores, as for the harness's own metrics); "" for the harness's own and pyiqa's metrics (theirs:
    :data:`benchmark.metric_code.CODE_VERSIONS`, read without torch)."""
    import hashlib

    base = name.partition("@")[0]
    if base not in METRICS:
        return ""
    entry = METRICS.get(base)
    if "file_sha256" not in entry.meta:
        return ""
    tag = getattr(entry.obj, "code_version", None)
    return hashlib.sha256(tag.encode()).hexdigest() if isinstance(tag, str) and tag else entry.meta["file_sha256"]


def digest_holds(name: str) -> str:
    """What :func:`weights_digest` of ``name`` is the digest of, for a line on its stale scores
    (:func:`benchmark.metric_code.changed`): "code" (a plugin's metric that reads no file), "file or code" (a plugin's
    that reads one), "file" (every other)."""
    if not _outside_code_digest(name):
        return "file"
    try:
        return "file or code" if _files_digest(name) else "code"
    except (UserError, OSError):
        return "file or code"


def _files_digest(name: str) -> str:
    """:func:`weights_digest` of the file(s) alone."""
    from benchmark.weights import file_sha256, keys_digest, pyiqa_files_digest

    base, _, arg = name.partition("@")
    if base not in METRICS:  # a pyiqa metric: its table's files, or those it read when it was last opened
        return pyiqa_files_digest(name)
    cls = METRICS.get(base).obj
    if getattr(cls, "option", None) is not None:
        return ""
    if arg:
        return file_sha256(_native_weights(name))
    return keys_digest(tuple(getattr(cls, "weight_keys", ())))


def pyiqa_names() -> list[str]:
    """pyiqa's metric names (``pyiqa.list_models()``: the keys of ``pyiqa.default_model_configs``), read
    without importing pyiqa when it is not imported yet: ``import pyiqa`` pulls torchvision and
    torch._dynamo (seconds), and checking a grid's metric names — a dry run, a re-run of a finished grid,
    a grid whose workers score elsewhere — opens no metric. The configs file imports nothing of pyiqa's;
    where it cannot be read alone, pyiqa is imported."""
    import importlib.util
    import sys

    if "pyiqa" not in sys.modules:
        try:
            spec = importlib.util.find_spec("pyiqa")
            path = os.path.join(next(iter(spec.submodule_search_locations)), "default_model_configs.py")
            conf = importlib.util.spec_from_file_location("_plbench_pyiqa_model_configs", path)
            mod = importlib.util.module_from_spec(conf)
            conf.loader.exec_module(mod)
            return sorted(mod.DEFAULT_CONFIGS)
        except Exception as exc:  # noqa: BLE001 - a pyiqa laid out otherwise: ask pyiqa itself
            log.debug("pyiqa's model configs not readable alone (%s); importing pyiqa", exc)
    import pyiqa

    return sorted(pyiqa.list_models())


def available_metrics() -> list[str]:
    return sorted([*pyiqa_names(), *METRICS.names()])


def check_metric_names(names) -> None:
    known = set(available_metrics())
    for n in names:
        if _native_weights(n) is not None:
            continue
        if n in ("all", "*"):  # as --losses takes it: was 'did you mean qualiclip, afine_all?', two pyiqa metrics
            check_not_all("metrics", [n])  # a grid's source words it (planning): here the flags'
        if n not in known:
            raise UserError(f"unknown metric {n!r}{did_you_mean(n, sorted(known), n=3, cutoff=0.5)} "
                            f"({lister('metric')} shows all)")


@dataclass
class OpenMetric:
    name: str
    module: object
    higher_is_better: bool
    full_reference: bool
    weights: str  # "none" or the cached file(s) it loaded
    sha256: str = ""  # the content of the file(s) it read and its code's marker (:func:`weights_digest`), else ""


def open_metric(name: str, device: str | torch.device = "cpu") -> tuple[OpenMetric | None, str]:
    """Build a metric offline. Returns (metric, "") or (None, reason it was skipped). pyiqa is imported only for
    a metric of pyiqa's (``import pyiqa`` costs seconds; psnr_y, ssim_y, contrique_fr need none of it)."""
    weights = _native_weights(name)
    if weights is not None:
        cls = METRICS.get(name.partition("@")[0]).obj
        try:  # before it loads: a file replaced meanwhile is recorded as the other one
            digest = weights_digest(name)
        except OSError as exc:  # another user's 0600 file on a shared disk: one line, never an internal error
            why = f"its weights file {exc.filename or weights} cannot be read ({exc.strerror or exc})"
            if weights != "pretrained":  # a checkpoint the grid names: bad input
                raise UserError(f"metric {name}: {why}") from exc
            return None, why
        try:
            m = cls(weights=weights, device=device)
        except UserError as exc:
            if weights != "pretrained":
                raise
            return None, str(exc)
        return OpenMetric(name, m, not getattr(m, "lower_better", False), getattr(m, "metric_mode", "FR") == "FR",
                          getattr(m, "provenance", "none"), digest), ""

    import pyiqa

    out = io.StringIO()
    if name in FAST:
        with _PATCHING, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            mod = FAST[name]().to(device)  # pyiqa's constructors print
        return OpenMetric(name, mod, not getattr(mod, "lower_better", False), getattr(mod, "metric_mode", "FR") == "FR",
                          "none", weights_digest(name)), ""
    read: dict[str, str] = {}
    from benchmark.weights import metric_weight_keys

    may_read = name not in OFFLINE_OK and not metric_weight_keys(name)  # the files read are the digest's
    recording = files_read(read) if may_read else contextlib.nullcontext()  # a look over every module: 0.1 s
    try:
        with _PATCHING, no_downloads(), recording, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            m = pyiqa.create_metric(name, device=torch.device(device), as_loss=False)
    except WeightsNotCached as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - any other failure also skips, with its reason
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "offline" in msg.lower() or "connect" in msg.lower():
            return None, f"weights not cached ({msg})"
        return None, f"{type(exc).__name__}: {msg}"
    fr = getattr(m, "metric_mode", "FR") == "FR"
    from benchmark.metric_code import with_code
    from benchmark.weights import digest_of, get_file, metric_files, metric_weight_keys, remember_metric_files

    keys = metric_weight_keys(name)
    files = [get_file(k).filename for k in keys]  # recorded with each pass it scores
    digest = weights_digest(name)
    if not keys:  # a metric the table does not know: the files it read, hashed as read, kept for planning's digest
        files = sorted({os.path.basename(p) for p in read})
        digest = with_code(name, digest_of(read.values()))
        if read or metric_files(name):
            remember_metric_files(name, read)
    weights = "none" if name in OFFLINE_OK else f"pyiqa-cache:{','.join(files)}" if files else "pyiqa-cache"
    return OpenMetric(name, m, not m.lower_better, fr, weights, digest), ""


class MetricSet:
    """The opened metrics of one evaluation, and the ones skipped with their reasons."""

    def __init__(self, names, device: str | torch.device = "cpu"):
        check_metric_names(names)
        self.metrics: list[OpenMetric] = []
        self.skipped: dict[str, str] = {}
        for n in dict.fromkeys(names):
            m, reason = open_metric(n, device)
            if m is None:
                log.warning("metric %s skipped: %s", n, reason)
                self.skipped[n] = reason
            else:
                self.metrics.append(m)
        self.device = device

    @classmethod
    def subset(cls, full: "MetricSet", exclude: set[str]) -> "MetricSet":
        """The metrics (and skip reasons) of ``full`` whose names are not in ``exclude``."""
        sub = cls.__new__(cls)
        sub.metrics = [m for m in full.metrics if m.name not in exclude]
        sub.skipped = {k: v for k, v in full.skipped.items() if k not in exclude}
        sub.device = full.device
        return sub

    @property
    def digests(self) -> dict[str, str]:
        """{metric: the SHA-256 of its file(s)} for the opened metrics that read weights files
        (:attr:`OpenMetric.sha256`: ``contrique_fr[@<checkpoint>]``, lpips, dists, niqe, musiq, any pyiqa metric that
        read a file as it was opened); empty for the rest."""
        return {m.name: m.sha256 for m in self.metrics if m.sha256}

    @torch.no_grad()
    def score(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
        """pred, target: (1, 3, H, W) float in [0, 1] → {metric: value}. Metrics that cannot score
        this image (a side under :func:`min_side`: ssim below 11 px, ms_ssim below 161 px, …) are left
        out and logged. A pred with a value that is not finite (a net's NaN, kept by the clamp before scoring)
        scores NaN on every metric that could score its size, with a warning: pyiqa's input check raised
        ``AssertionError: Input must be normalized to [0, 1], but got min=nan`` and the run was lost as failed
        (:func:`benchmark.runner.coverage` reports such images as not finite)."""
        if not bool(torch.isfinite(pred).all()):
            bad = int((~torch.isfinite(pred)).sum())
            log.warning("output %s has %s not finite (NaN or inf): scored NaN on every metric",
                        tuple(pred.shape), plural(bad, "value") + (agree(bad, " that is", " that are")))
            return {m.name: math.nan for m in self.metrics if min(pred.shape[-2:]) >= min_side(m.name)}
        out = {}
        shared = self._ssim_pair(pred, target)
        for m in self.metrics:
            if min(pred.shape[-2:]) < min_side(m.name):
                log.debug("%s needs ≥ %d px; image is %s", m.name, min_side(m.name), tuple(pred.shape[-2:]))
                continue
            if m.name in shared:
                val = shared[m.name]
            else:
                val = m.module(pred, target) if m.full_reference else m.module(pred)
            out[m.name] = float(torch.as_tensor(val).float().mean())
        return out

    def _ssim_pair(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"ssim": …, "ms_ssim": …} from one :meth:`SeparableSSIM.both` pass when this set scores both with
        :class:`SeparableSSIM` and the image is large enough for ms_ssim; {} otherwise (each is then scored
        by its own module)."""
        mods = {m.name: m.module for m in self.metrics if m.name in ("ssim", "ms_ssim")}
        if len(mods) < 2 or not all(isinstance(v, SeparableSSIM) for v in mods.values()):
            return {}
        if min(pred.shape[-2:]) < min_side("ms_ssim"):
            return {}
        ssim, ms = mods["ms_ssim"].both(pred, target)
        return {"ssim": ssim, "ms_ssim": ms}

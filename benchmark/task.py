"""The task protocol: a seeded, reproducible degradation of clean images.

A task is a frozen dataclass whose fields are its named parameters (recorded in every result
row), registered with ``@register_task(name, version=...)``::

    @register_task("denoise", version="1")
    @dataclass(frozen=True)
    class Denoise(Task):
        sigma: float = 25 / 255
        def degrade(self, clean, generator): ...

``degrade`` maps clean (N, 3, H, W) float32 images in [0, 1] to the net's input of the same
shape and range. All randomness comes from the given ``torch.Generator``, so training batches are
random but seeded and every test image's degradation is fixed by :func:`image_generator`. On the
CPU it is a CPU generator; a GPU training step passes a generator of the GPU, so noise is drawn
where it is used (:func:`randn`) and nothing is copied from the host per step.

A task draws each random component (a blur kernel, a noise field, ...) from ``stream(generator,
"<component>")`` (:func:`stream`). For a test image every component has a stream of its own, seeded by
the task's name, the image's pixels and the component's name only — not by the task's parameters nor
by the source's name or path: a ``deblur.noise_sigma`` sweep blurs every test image with the same
kernel and adds one noise pattern, scaled; adding a test set, or moving a folder, draws nothing anew.
Training draws every component from the run's one generator, in order, as before.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass

import torch

from benchmark.errors import UserError, did_you_mean
from benchmark.registry import TASKS


@dataclass(frozen=True)
class Task:
    """Base class; subclasses are frozen dataclasses of their parameters."""

    #: image sides must be a multiple of this (e.g. 4 for ×4 super-resolution)
    size_multiple = 1
    #: the largest image side the degradation can take (JPEG: libjpeg's 65 500 px), or None for any;
    #: a larger test image is left out of the task (benchmark.runner.held_out_items)
    max_side = None
    #: the degradation runs on the host whatever the batch's device (a CPU codec such as libjpeg): the
    #: GPU step then makes its batches one step ahead in a thread (benchmark.runner.HostPrefetch)
    host_only = False
    #: the task's ``modcrop`` field is the harness's parameter: true cuts test images to :attr:`size_multiple`
    #: alone (:attr:`test_multiple`), and false is left out of :attr:`params` (runs stored before it keep their
    #: ids). Only a task that sets this gets either (:class:`ModcropTask` declares the field and sets it): a plugin
    #: task with a ``modcrop`` field of its own, written before the parameter, keeps its cut, its recorded parameters
    #: and so its run ids.
    cuts_by_modcrop = False
    #: the training crop a run records is the one it samples (:meth:`train_crop`): ``--crop`` cut down to a multiple
    #: of :attr:`size_multiple`, in the run's id, and the image filter. False (a plugin task written before it): the
    #: crop is recorded and filtered at ``--crop`` as given, so its runs keep their ids and training images.
    records_train_crop = False
    #: ``degrade`` takes ``eight_bit=`` (N,) bool: which images of the batch come from an 8-bit source (an 8-bit file,
    #: or a 16-bit or float one on 8-bit levels as a whole: :func:`benchmark.data.on_8bit_source`), decided by the
    #: harness per source image, not read off the crop (``sr4 resize=matlab`` rounds an 8-bit image's passes). False:
    #: ``degrade(clean, generator)`` as ever (a subclass may make it a property of its parameters)
    reads_source_precision = False

    def train_crop(self, crop: int) -> int:
        """The side (px) of the square crops a run of training ``crop`` records in its config (run id, setting) and
        filters training images by (:func:`benchmark.data.usable_for_crop`): the side it samples
        (:func:`benchmark.data.sample_batch` cuts ``crop`` down to a multiple of :attr:`size_multiple`: ``sr4`` at
        ``--crop 42`` trains 40-px crops) where the task sets :attr:`records_train_crop`, else ``crop`` itself."""
        if not type(self).records_train_crop:
            return int(crop)
        return int(crop) - int(crop) % int(self.size_multiple)

    def min_crop(self) -> tuple[int, str]:
        """The smallest training crop (px) the task takes, and why (for the refusal of a smaller ``--crop``): 2 ×
        :attr:`size_multiple` (×4 SR: 8 px → 2 px low-res); the harness adds its own floor
        (:data:`benchmark.config.MIN_CROP`)."""
        return 2 * int(self.size_multiple), f"2 × its size multiple {self.size_multiple}"

    def min_test_side(self) -> tuple[int, str]:
        """The smallest side (px) a test image may have once cut to :attr:`test_multiple`, and why (for the refusal
        of a test set holding a smaller one at planning: :func:`benchmark.config.check_test_sides`); (0, "") where the
        multiple is all the task needs (an image under it is left out: :func:`benchmark.runner.held_out_items`)."""
        return 0, ""

    @property
    def modcrops(self) -> bool:
        """Whether test images are cut to :attr:`size_multiple` alone: the harness's ``modcrop`` set true
        (:attr:`cuts_by_modcrop`)."""
        return bool(type(self).cuts_by_modcrop and getattr(self, "modcrop", False))

    @property
    def test_multiple(self) -> int:
        """Test images are cut at the bottom/right to a multiple of this many px before they are degraded and
        scored: :func:`benchmark.data.test_multiple` of :attr:`size_multiple` (8, or its least common multiple
        with the task's), or, where the task has the harness's ``modcrop`` parameter set true (:attr:`modcrops`),
        :attr:`size_multiple` alone, as the papers cut (``sr4``: the scale, their ``modcrop``; ``denoise``, ``jpeg``,
        ``deblur``: none, the whole image; ``demosaic``: even sides). The nets are fully convolutional and need no
        multiple of their own."""
        from benchmark.data import test_multiple

        return int(self.size_multiple) if self.modcrops else test_multiple(self.size_multiple)

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """clean: (N, 3, H, W) float32 in [0, 1] → degraded net input, same shape, in [0, 1]."""
        raise NotImplementedError

    def data_tag(self, dtypes) -> str:
        """"" where the task degrades images of the given dtypes (the decoded sources' ``torch.uint8``,
        ``torch.float32``, …; ``torch.uint8`` also for a 16-bit or float image on 8-bit levels only, a v·257 file) as
        it always has; else a line naming how that changed, which makes the data fingerprints of its runs on such
        images other ones (:meth:`benchmark.data.DataCache.fingerprint`), so their stored results
        are not resumed as today's (``sr4 resize=matlab`` on 16-bit sources)."""
        return ""

    def convention(self) -> str:
        """One line: how this task degrades, in the terms papers state (scale and range of a noise level,
        clipping, resampling kernel, codec, border handling, pattern), for the report's "Tasks:" note; "" for
        none stated."""
        return ""

    @property
    def params(self) -> dict:
        """The task's parameters as recorded (run ids hash them); the harness's ``modcrop`` only when true, so runs
        stored before the parameter keep their ids (a plugin's own ``modcrop`` field is recorded as any other)."""
        p = dataclasses.asdict(self)
        if type(self).cuts_by_modcrop and p.get("modcrop") is False:
            del p["modcrop"]
        return p

    @property
    def name(self) -> str:
        return getattr(type(self), "registered_name", type(self).__name__)


@dataclass(frozen=True)
class ModcropTask(Task):
    """A task with the harness's ``modcrop`` parameter (:attr:`Task.cuts_by_modcrop`), declared here once for every
    task that takes it (the built-in five; a plugin task subclasses this for the papers' cut): ``modcrop=True`` cuts
    test images to :attr:`Task.size_multiple` alone (:attr:`Task.test_multiple`: the whole image, or the scale's
    multiple, as the papers score), not to multiples of 8 px; recorded only when true (:attr:`Task.params`), so runs
    stored before the parameter keep their ids. Keyword-only: a task's own fields keep their positions."""

    modcrop: bool = dataclasses.field(default=False, kw_only=True)
    cuts_by_modcrop = True


def scale_hint(task: Task, param: str, value: float) -> str:
    """What to write for a noise level given on the 0–255 scale the papers state (DnCNN's σ = 25) to a parameter on the
    [0, 1] scale: `` (on the 0–255 scale: denoise.sigma=25/255, as the command line and config files read it)``; ""
    for a value that is not one (over 255, under 1)."""
    if not 1 <= value <= 255:
        return ""
    return f" (on the 0–255 scale: {task.name}.{param}={value:g}/255, as the command line and config files read it)"


def build_task(name: str, **params) -> Task:
    """Instantiate a registered task; a typo in a parameter name is a :class:`UserError`."""
    entry = TASKS.get(name)
    fields = {f.name for f in dataclasses.fields(entry.obj)}
    unknown = set(params) - fields
    if unknown:
        hint = did_you_mean(sorted(unknown)[0], sorted(fields))
        raise UserError(f"task {name!r} has no parameter {', '.join(sorted(unknown))}{hint} "
                        f"(it has: {', '.join(sorted(fields)) or 'none'})")
    from benchmark.params import check_kwargs

    params = check_kwargs(entry.obj, params, f"task {name!r}")
    try:
        return entry.obj(**params)
    except (TypeError, ValueError) as exc:
        raise UserError(f"task {name!r}: {exc}") from None


def _seed(key: str, component: str) -> int:
    return int(hashlib.sha256(json.dumps([key, component]).encode()).hexdigest()[:15], 16)


class ImageStreams(torch.Generator):
    """The CPU generator of one test image: itself the base stream (what a task that names no component
    draws from), and one more stream per named component (:meth:`stream`), each seeded by the image's
    key and the component's name alone, so drawing more or fewer numbers for one component (another
    kernel type, a noise level of 0) moves no other component's draw."""

    def __new__(cls, key: str):
        return super().__new__(cls)  # a CPU generator (torch.Generator's own argument is the device)

    def __init__(self, key: str):
        super().__init__()
        self.key = key
        self.manual_seed(_seed(key, ""))
        self._streams: dict[str, torch.Generator] = {}

    def stream(self, component: str) -> torch.Generator:
        if component not in self._streams:
            self._streams[component] = torch.Generator().manual_seed(_seed(self.key, component))
        return self._streams[component]


def image_generator(task: Task, image_key: str, seed: int = 0) -> ImageStreams:
    """The generator of one test image, fixed by (task name, ``image_key``): every loss, seed and parameter
    value sees identical draws. ``image_key`` must identify the image itself, not where it was found
    (:func:`benchmark.runner.held_out_items` passes its content hash); the task's parameters are left
    out on purpose (a parameter scales or shapes its own component's draw, :func:`stream`)."""
    return ImageStreams(json.dumps([task.name, image_key, seed]))


def stream(generator: torch.Generator, component: str) -> torch.Generator:
    """The generator a task draws its random ``component`` (``"kernel"``, ``"noise"``, ...) from: for a
    test image (:class:`ImageStreams`) that component's own stream; otherwise (a training batch: the
    run's generator, CPU or GPU) ``generator`` itself, every component in turn as before."""
    return generator.stream(component) if isinstance(generator, ImageStreams) else generator


def randn(shape, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise drawn on the *generator's* device (a CUDA generator on a GPU: no host
    copy), returned on ``like``'s device and dtype. With a CPU generator: exactly the old draw, on one kind of CPU
    (torch's float32 draw runs vector code on an x86 CPU with AVX2 or AVX-512, other code on ARM or an x86 without
    AVX2: up to 3e-6 apart per unit)."""
    return torch.randn(shape, generator=generator, device=generator.device).to(like.device, like.dtype)


#: a Gaussian window's or kernel's σ below this is this (tasks/deblur's blur, losses/ssim's window): it is one pixel
#: (exp(−1/(2σ²)) is 0 in float32 for σ < 0.07, in float64 for σ < 0.026), where a tiny σ (under ~1e-23 in float32,
#: ~1e-154 in float64) made 2σ² zero and the centre 0/0, NaN; every window a σ gave is unchanged
SIGMA_FLOOR = 0.01


@functools.lru_cache(maxsize=128)
def _constant(fn, args: tuple, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return fn(*args).to(device=device, dtype=dtype)


def device_constant(fn, *args, like: torch.Tensor) -> torch.Tensor:
    """``fn(*args)`` (a small constant tensor: a filter, a window, weights) on ``like``'s device and
    dtype, built and copied once per (args, device, dtype) — not copied to the GPU at every call.
    Callers must not modify it."""
    return _constant(fn, tuple(args), like.device, like.dtype)


def uniform(generator: torch.Generator, lo: float, hi: float, n: int = 1) -> torch.Tensor:
    """n draws from U(lo, hi) as a float32 CPU tensor."""
    return lo + (hi - lo) * torch.rand(n, generator=generator)

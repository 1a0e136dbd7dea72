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

    def degrade(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """clean: (N, 3, H, W) float32 in [0, 1] → degraded net input, same shape, in [0, 1]."""
        raise NotImplementedError

    @property
    def params(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def name(self) -> str:
        return getattr(type(self), "registered_name", type(self).__name__)


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


def image_generator(task: Task, image_id: str, seed: int = 0) -> torch.Generator:
    """A generator fixed by (task, its parameters, image id): every loss sees identical inputs."""
    key = json.dumps([task.name, task.params, image_id, seed], sort_keys=True, default=str)
    g = torch.Generator()
    g.manual_seed(int(hashlib.sha256(key.encode()).hexdigest()[:15], 16))
    return g


def randn(shape, generator: torch.Generator, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise drawn on the *generator's* device (a CUDA generator on a GPU: no host
    copy), returned on ``like``'s device and dtype. With a CPU generator: exactly the old draw."""
    return torch.randn(shape, generator=generator, device=generator.device).to(like.device, like.dtype)


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

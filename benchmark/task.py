"""The task protocol: a seeded, reproducible degradation of clean images.

A task is a frozen dataclass whose fields are its named parameters (recorded in every result
row), registered with ``@register_task(name, version=...)``::

    @register_task("denoise", version="1")
    @dataclass(frozen=True)
    class Denoise(Task):
        sigma: float = 25 / 255
        def degrade(self, clean, generator): ...

``degrade`` maps clean (N, 3, H, W) float32 images in [0, 1] to the net's input of the same
shape and range. All randomness comes from the given ``torch.Generator`` (a CPU generator),
so training batches are random but seeded and every test image's degradation is fixed by
:func:`image_generator`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

import torch

from benchmark.errors import UserError
from benchmark.registry import TASKS


@dataclass(frozen=True)
class Task:
    """Base class; subclasses are frozen dataclasses of their parameters."""

    #: image sides must be a multiple of this (e.g. 4 for ×4 super-resolution)
    size_multiple = 1

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
        raise UserError(f"task {name!r} has no parameter {', '.join(sorted(unknown))} "
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


def uniform(generator: torch.Generator, lo: float, hi: float, n: int = 1) -> torch.Tensor:
    """n draws from U(lo, hi) as a float32 CPU tensor."""
    return lo + (hi - lo) * torch.rand(n, generator=generator)

"""Training batches drawn on the device: uint8 images resident there, crops and augmentations by indexing.

The CPU path (:func:`benchmark.runner.sample_batch`) loops over the batch in Python and crops
float images on the host; on a GPU that would starve the device (a host loop, a float copy per
step). :class:`DeviceSampler` keeps every training image on the device as uint8 in one flat
buffer and draws a batch with a handful of tensor operations and no host synchronisation:

* the image index, the crop's top/left corner, the number of 90° rotations and the flip are drawn
  on the device from a seeded generator of that device, with the same distributions as the CPU
  sampler (uniform image, uniform position among those where the crop fits, k ∈ {0, 1, 2, 3},
  flip with probability ½);
* the crop, rotated and flipped, is gathered from the flat buffer by computed indices (a rotation
  or flip of a square crop is a permutation of its coordinates), then converted to float in [0, 1].

:func:`gather` takes explicit draws, so tests check it pixel for pixel against the CPU loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from benchmark.data import ImageRecord
from benchmark.resources import available_bytes

log = logging.getLogger(__name__)

#: the training set is made resident on the device only where it takes at most this share of the memory free
#: there (the rest is the net's, the loss's and the step's); a larger set stays in host memory (memory-mapped
#: beyond PLBENCH_DECODED_RAM_MB) and each batch's crops are gathered there: the same draws, the same crops
RESIDENT_SHARE = 0.5


@dataclass(frozen=True)
class Draws:
    """One batch's random choices, each a (B,) long tensor on the sampler's device."""

    index: torch.Tensor
    top: torch.Tensor
    left: torch.Tensor
    rot: torch.Tensor     # number of 90° rotations (torch.rot90 over H, W), 0..3
    flip: torch.Tensor    # 1: flip left-right after rotating


class DeviceSampler:
    """Random square crops of uint8 images held on ``device``.

    Args:
        images: the training images; uint8 (3, H, W) (float images are quantised to uint8 — the
            CPU path keeps them float, so 16-bit sources sample slightly differently on a GPU). A set larger
            than :data:`RESIDENT_SHARE` of the memory free on ``device`` stays on the host (same crops).
        device: where the buffer lives and batches are made.
    """

    #: samplers kept per (device, training images) in this process: a worker's runs on one training
    #: set upload it once, not once per run (a few GB for a large set); at most this many sets
    CACHE_SIZE = 1
    _cache: dict = {}

    @classmethod
    def shared(cls, images: list[ImageRecord], device: torch.device | str) -> "DeviceSampler":
        """The sampler of ``images`` on ``device``, built once per process (the sampler holds no
        random state: the generator is the caller's, so sharing it changes no draw). Keyed by the
        identity of the image tensors, which the cache keeps alive; the least recently used set is
        dropped beyond :attr:`CACHE_SIZE`."""
        dev = torch.device(device)
        key = (str(dev), tuple(id(r.pixels) for r in images))
        hit = cls._cache.pop(key, None)
        if hit is None:
            hit = (cls(images, dev), list(images))
        cls._cache[key] = hit  # most recently used last
        while len(cls._cache) > cls.CACHE_SIZE:
            cls._cache.pop(next(iter(cls._cache)))
        return hit[0]

    def __init__(self, images: list[ImageRecord], device: torch.device | str):
        self.device = torch.device(device)
        offsets, heights, widths = [], [], []
        pos = 0
        for rec in images:
            offsets.append(pos)
            heights.append(rec.pixels.shape[-2])
            widths.append(rec.pixels.shape[-1])
            pos += 3 * heights[-1] * widths[-1]
        free, where = available_bytes(self.device)
        self.buffer, self.host = None, None
        if pos > RESIDENT_SHARE * free:  # a large set exhausted the device's memory before the first step
            self.host = [rec.pixels for rec in images]
            log.warning("training set of %.2f GiB is more than %.0f%% of the %.2f GiB %s: kept in host memory, each "
                        "batch cropped there and copied over (the same crops; slower steps)", pos / 2**30,
                        RESIDENT_SHARE * 100, free / 2**30, where)
        else:  # copied image by image: no second host copy of the whole set (its pages memory-mapped, not held)
            self.buffer = torch.empty(pos, dtype=torch.uint8, device=self.device)
            for rec, at in zip(images, offsets):
                px = _as_uint8(rec.pixels)
                self.buffer[at:at + px.numel()].copy_(px.reshape(-1))
        self.offsets = torch.tensor(offsets, dtype=torch.long, device=self.device)
        self.heights = torch.tensor(heights, dtype=torch.long, device=self.device)
        self.widths = torch.tensor(widths, dtype=torch.long, device=self.device)
        self.n = len(images)

    def draw(self, batch: int, crop: int, generator: torch.Generator) -> Draws:
        """Random choices for one batch, on the device, without a host synchronisation."""
        dev = self.device
        index = torch.randint(self.n, (batch,), generator=generator, device=dev)
        room_h = (self.heights[index] - crop + 1).clamp_min(1)
        room_w = (self.widths[index] - crop + 1).clamp_min(1)
        top = (torch.rand(batch, generator=generator, device=dev) * room_h).long().clamp_max(room_h - 1)
        left = (torch.rand(batch, generator=generator, device=dev) * room_w).long().clamp_max(room_w - 1)
        rot = torch.randint(4, (batch,), generator=generator, device=dev)
        flip = (torch.rand(batch, generator=generator, device=dev) < 0.5).long()
        return Draws(index, top, left, rot, flip)

    def gather(self, draws: Draws, crop: int) -> torch.Tensor:
        """The crops the draws describe: (B, 3, crop, crop) float32 in [0, 1] on the device."""
        dev = self.device
        if self.host is not None:  # gathered on the host (one synchronisation a batch), as the loop below would
            out = []
            for i, t, l, k, f in zip(*(x.tolist() for x in (draws.index, draws.top, draws.left, draws.rot,
                                                            draws.flip))):
                patch = torch.rot90(_as_uint8(self.host[i][:, t:t + crop, l:l + crop]), k, dims=(1, 2))
                out.append(patch.flip(-1) if f else patch)
            return torch.stack(out).to(dev).float().div_(255.0)
        r = torch.arange(crop, device=dev).view(1, crop, 1)
        c = torch.arange(crop, device=dev).view(1, 1, crop)
        last = crop - 1
        k = draws.rot.view(-1, 1, 1)
        # output (i, j) of rot90(x, k) (dims H, W; counter-clockwise) reads x at:
        #   k=0: (i, j)   k=1: (j, last-i)   k=2: (last-i, last-j)   k=3: (last-j, i)
        # and a left-right flip after it reads the rotated patch at (i, last-j)
        b = draws.index.shape[0]
        j = torch.where(draws.flip.view(-1, 1, 1) == 1, last - c, c).expand(b, crop, crop)
        i = r.expand(b, crop, crop)
        src_r = torch.where(k == 0, i, torch.where(k == 1, j, torch.where(k == 2, last - i, last - j)))
        src_c = torch.where(k == 0, j, torch.where(k == 1, last - i, torch.where(k == 2, last - j, i)))
        h = self.heights[draws.index].view(-1, 1, 1)
        w = self.widths[draws.index].view(-1, 1, 1)
        base = self.offsets[draws.index].view(-1, 1, 1)
        pix = base + (draws.top.view(-1, 1, 1) + src_r) * w + (draws.left.view(-1, 1, 1) + src_c)  # (B, crop, crop)
        chan = torch.arange(3, device=dev).view(1, 3, 1, 1) * (h * w).view(-1, 1, 1, 1)
        return self.buffer[pix.unsqueeze(1) + chan].float().div_(255.0)

    def sample(self, batch: int, crop: int, multiple: int, generator: torch.Generator) -> torch.Tensor:
        """A batch of random crops (crop rounded down to ``multiple``), as :func:`sample_batch` on the CPU."""
        crop -= crop % multiple
        return self.gather(self.draw(batch, crop, generator), crop)


def _as_uint8(px: torch.Tensor) -> torch.Tensor:
    """Pixels as uint8 (float images quantised; the CPU path keeps them float)."""
    return px if px.dtype == torch.uint8 else (px.float().clamp(0, 1) * 255).round().to(torch.uint8)


def reference_crops(images: list[ImageRecord], draws: Draws, crop: int) -> torch.Tensor:
    """The CPU loop's crops for given draws (crop, rot90 over (H, W), then flip): the test oracle."""
    out = []
    for i, t, l, k, f in zip(*(x.tolist() for x in (draws.index, draws.top, draws.left, draws.rot, draws.flip))):
        patch = images[i].pixels[:, t:t + crop, l:l + crop]
        patch = torch.rot90(patch, k, dims=(1, 2))
        out.append(patch.flip(-1) if f else patch)
    return torch.stack(out).float() / 255.0

"""×s single-image super-resolution with a bicubic, antialiased downsampler.

Two bicubic conventions, by ``resize`` (``--task-param sr4.resize=matlab``):

* ``"torch"`` (the default, and the only one before this option): ``F.interpolate(mode="bicubic")``,
  antialiased going down (Keys' a = −0.5, weights renormalised at the border), a = −0.75 going up, in float,
  nothing quantised.
* ``"matlab"``: MATLAB's ``imresize(I, 1/s, 'bicubic')`` and ``imresize(LR, s, 'bicubic')`` as the SR papers
  make their inputs (SRCNN, VDSR, EDSR, RCAN, SwinIR): a = −0.5 both ways, antialiased going down, symmetric
  (mirror) padding at the border, on the uint8 image as MATLAB resizes it (each of the two passes of a resize
  rounded to 8 bit), so the low-resolution image and the upsampled input are 8-bit as the papers' PNGs are; a 16-bit
  or float source's are kept at its precision (MATLAB on a double image), not rounded to 8-bit levels its target
  does not have (their runs' ids differ from those before: :meth:`SuperResolution.data_tag`).
  With the papers' scoring (``psnr_y@shave4``, :mod:`benchmark.metrics`) its input row gives Set5 28.42 dB and
  Set14 26.00 dB, the Bicubic ×4 rows of EDSR (Lim et al., CVPRW 2017, Table 6) and RCAN
  (Zhang et al., ECCV 2018, Table 3): 28.42 and 26.00 (``tests/test_probe_conventions8.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmark.data import on_8bit_levels
from benchmark.registry import register_task
from benchmark.task import ModcropTask, device_constant

RESIZE = ("torch", "matlab")


def _cubic(x: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with a = −0.5 (MATLAB's ``cubic``)."""
    a = x.abs()
    a2, a3 = a * a, a * a * a
    return ((1.5 * a3 - 2.5 * a2 + 1) * (a <= 1) + (-0.5 * a3 + 2.5 * a2 - 4 * a + 2) * ((a > 1) & (a <= 2))).to(x)


def _contributions(n_in: int, n_out: int, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """MATLAB's ``contributions`` along one axis: (n_out, K) 0-based input columns (mirrored at the border) and
    their float64 weights, K = ⌈kernel width⌉ + 2 (18 taps shrinking ×4, 6 growing), each row summing to 1."""
    width = 4.0 / scale if scale < 1 else 4.0
    x = torch.arange(1, n_out + 1, dtype=torch.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)              # the output pixel's centre in input coordinates (1-based)
    left = torch.floor(u - width / 2)
    idx = left[:, None] + torch.arange(math.ceil(width) + 2, dtype=torch.float64)[None]
    dist = u[:, None] - idx
    w = scale * _cubic(dist * scale) if scale < 1 else _cubic(dist)
    w = w / w.sum(1, keepdim=True)
    mirror = torch.cat([torch.arange(n_in), torch.arange(n_in - 1, -1, -1)])
    return mirror[(idx.long() - 1) % (2 * n_in)], w


def imresize_matrix(n_in: int, n_out: int, scale: float) -> torch.Tensor:
    """(n_out, n_in) float64 matrix of MATLAB's ``imresize(…, scale, 'bicubic')`` along one axis: MATLAB's
    ``contributions`` (kernel widened by 1/scale and scaled when shrinking — antialiasing —, each row's weights
    normalised to sum 1) with its symmetric border (index −k reads pixel k − 1, mirrored, edge repeated).
    Dense, for reference: :func:`imresize` applies its entries in blocks (:func:`imresize_blocks`)."""
    cols, w = _contributions(n_in, n_out, scale)
    return torch.zeros(n_out, n_in, dtype=torch.float64).scatter_add_(1, cols, w)


#: output pixels per block of :func:`imresize_blocks`: each block is one small dense matmul over the input rows its
#: taps reach (×4 down: 32 outputs read 146 of the input's rows; ×4 up: 32 outputs read 14)
BLOCK = 32


def _band(n_in: int, n_out: int, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`imresize_matrix`'s nonzero band: each output pixel's first input row (n_out,) and the (n_out, B)
    weights of rows first…first + B − 1 — the matrix's own entries, a mirrored row's weights added as there
    (zero past a pixel's taps); B ≤ min(K + 1, n_in) for K taps."""
    cols, w = _contributions(n_in, n_out, scale)
    start = cols.min(1).values
    span = int((cols.max(1).values - start).max()) + 1
    return start, torch.zeros(n_out, span, dtype=torch.float64).scatter_add_(1, cols - start[:, None], w)


def _block_layout(n_in: int, n_out: int, scale: float) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Blocks of :data:`BLOCK` output pixels: each block's first input row (nb,), each output pixel's taps'
    rows within its block's window (n_out, B), and the windows' length L (≤ n_in)."""
    start, band = _band(n_in, n_out, scale)
    nb = -(-n_out // BLOCK)
    block = torch.arange(n_out) // BLOCK
    ends = (start + band.shape[1] - 1).clamp(max=n_in - 1)
    first = torch.full((nb,), n_in, dtype=torch.long).scatter_reduce_(0, block, start, "amin")
    last = torch.zeros(nb, dtype=torch.long).scatter_reduce_(0, block, ends, "amax")
    length = int((last - first).max()) + 1
    first = first.clamp(max=n_in - length)
    return first, (start - first[block])[:, None] + torch.arange(band.shape[1]), length


def imresize_blocks(n_in: int, n_out: int, scale: float) -> torch.Tensor:
    """(nb, BLOCK, L) float64: :func:`imresize_matrix` cut into blocks of :data:`BLOCK` rows, each restricted to
    the L input rows its taps reach (rows past n_out zero) — the same entries, only the zeros around the band
    left out, so resizing a side costs n_out·L multiply-adds per line instead of n_out·n_in (×4 down of a
    3000-px side: L = 146, not 3000)."""
    first, cols, length = _block_layout(n_in, n_out, scale)
    _, band = _band(n_in, n_out, scale)
    keep = cols < length  # a pixel's band runs past its window only where its weight is zero (past the image)
    rows = torch.arange(n_out)[:, None].expand_as(cols)
    out = torch.zeros(len(first) * BLOCK, length, dtype=torch.float64)
    out[rows[keep], cols[keep]] = band[keep]
    return out.view(len(first), BLOCK, length)


def imresize_windows(n_in: int, n_out: int, scale: float) -> torch.Tensor:
    """(nb · L,) the input lines :func:`imresize_blocks`' blocks read, block after block (as float: a
    :func:`benchmark.task.device_constant`)."""
    first, _, length = _block_layout(n_in, n_out, scale)
    return (first[:, None] + torch.arange(length)).flatten().double()


def _resize_axis(x: torch.Tensor, n_out: int, scale: float, dim: int) -> torch.Tensor:
    """(…, H, W) float64 resized along ``dim`` (−2: H; −1: W, through a contiguous transpose) to ``n_out`` by
    MATLAB's weights: the L input lines each block of :data:`BLOCK` output lines reads, gathered, then one batched
    matmul of the blocks' (BLOCK, L) weights with them — two operations a pass whatever the size (a loop of one
    matmul per block was as fast on one thread, 4–10× slower on two threads of a busy machine)."""
    if dim == -1:
        return _resize_axis(x.transpose(-1, -2).contiguous(), n_out, scale, -2).transpose(-1, -2)
    n_in = x.shape[-2]
    mats = device_constant(imresize_blocks, n_in, n_out, scale, like=x)
    index = device_constant(imresize_windows, n_in, n_out, scale, like=x).long()
    nb, _, length = mats.shape
    windows = x.index_select(-2, index).unflatten(-2, (nb, length))   # (…, nb, L, W)
    return torch.matmul(mats, windows).flatten(-3, -2)[..., :n_out, :]


def imresize(img: torch.Tensor, size: tuple[int, int], uint8: bool | torch.Tensor = False) -> torch.Tensor:
    """MATLAB's bicubic ``imresize`` of (N, C, H, W) in [0, 1] to ``size`` = (h, w) (``imresize(I, [h w])``: the
    scale of each axis is its output over its input side), one axis after the other as MATLAB does — the axis
    shrunk most first, H first on a tie — in float64 (MATLAB's double), returned in ``img``'s dtype.

    ``uint8``: ``img`` is a uint8 image's levels (/ 255) and MATLAB's ``imresizemex`` returns each pass in the
    input's class, so each pass is saturated and rounded to 8 bit (as fatheral/matlab_imresize's port does), not
    only the result: on Set5 ×4 a single rounding at the end left 26 % of the bicubic input's pixels one level off
    MATLAB's. Without it nothing is rounded (MATLAB on a double image). A (N,) bool tensor: per image of the batch,
    its 8-bit images rounded so (the same values as ``uint8=True`` gives them) and the others not
    (:func:`on_8bit_levels`: a 16-bit or float source's kept at its precision), with no host synchronisation."""
    h, w = img.shape[-2:]
    # uint8: on the levels themselves, exact in float64, so a pass that lands on a half level (dyadic ×2 weights
    # do) rounds up as MATLAB's does, not as a float32 image's error of 1e-8 happens to tip it
    # (in place on copies of its own: on a photo each pass over its pixels took as long as a resize's matmuls)
    x = img.to(torch.float64, copy=True)
    per_image = isinstance(uint8, torch.Tensor)
    if per_image:  # (N, 1, 1, 1): each image's own rounding; a batch's 8-bit images in levels, the others in [0, 1]
        on = uint8.to(device=x.device, dtype=torch.bool).reshape(-1, *(1,) * (x.dim() - 1))
        x = torch.where(on, x.clamp(0, 1).mul(255).add(0.5).floor(), x)
    elif uint8:
        x.clamp_(0, 1).mul_(255).add_(0.5).floor_()
    passes = {0: lambda t: _resize_axis(t, size[0], size[0] / h, -2),
              1: lambda t: _resize_axis(t, size[1], size[1] / w, -1)}
    for axis in ((0, 1) if size[0] / h <= size[1] / w else (1, 0)):
        x = passes[axis](x)
        if per_image:
            x = torch.where(on, x.clamp(0, 255).add(0.5).floor(), x)
        elif uint8:
            x.clamp_(0, 255).add_(0.5).floor_()  # imresizemex's uint8: saturated, half away from zero
    if per_image:
        x = torch.where(on, x.div(255), x)
    elif uint8:
        x.div_(255)
    return torch.empty(x.shape, dtype=img.dtype, device=x.device).copy_(x)


@register_task("sr4", version="1", citation="bicubic ×4 (Dong et al., SRCNN, ECCV 2014; VDSR, CVPR 2016)")
@dataclass(frozen=True)
class SuperResolution(ModcropTask):
    """Bicubic downsampling by ``scale`` (antialiased), then bicubic upsampling back to full size.

    The net sees the upsampled image (VDSR-style), so one architecture serves every task.
    Image sides must be multiples of ``scale``. ``resize``: ``"torch"`` or ``"matlab"`` (the papers'
    ``imresize``, 8-bit low-resolution image; see the module docstring). ``modcrop``: cut test images to multiples
    of ``scale`` only, as the papers' ``modcrop(im, scale)`` (Set5's woman scored at 344×228, its whole image),
    instead of the harness's multiples of 8 (24 for ×3; 344×224 there: Set5 ×4 bicubic 28.421 vs 28.429 dB with
    ``resize="matlab"``, ``psnr_y@shave4``). ``params`` records ``resize`` only when it is not ``"torch"`` and
    ``modcrop`` only when true, so runs stored before either option keep their identity and setting.
    """

    scale: int = 4
    resize: str = "torch"
    records_train_crop = True  # --crop 42 is recorded as the 40-px crops it trains (Task.train_crop)

    def __post_init__(self):
        if self.scale < 2:
            raise ValueError(f"scale must be ≥ 2, got {self.scale}")
        if self.resize not in RESIZE:
            raise ValueError(f"resize must be one of {', '.join(RESIZE)}, got {self.resize!r}")

    @property
    def params(self) -> dict:
        p = super().params
        if p["resize"] == "torch":
            del p["resize"]
        return p

    def data_tag(self, dtypes) -> str:
        """``resize=matlab`` on images that are not uint8 (16-bit or float sources): their input was rounded to 8-bit
        levels before it was kept at their precision, so such runs' data fingerprints are told apart
        (:meth:`benchmark.task.Task.data_tag`); 8-bit sources', and ``resize=torch``'s, are as they were."""
        if self.resize == "matlab" and any(d != torch.uint8 for d in dtypes):
            return "sr4 resize=matlab: a 16-bit or float source's input at its precision"
        return ""

    @property
    def reads_source_precision(self) -> bool:
        """``resize=matlab`` rounds an 8-bit source's passes to 8 bit: told by the harness per source image
        (:attr:`benchmark.task.Task.reads_source_precision`)."""
        return self.resize == "matlab"

    def convention(self) -> str:
        return self._resampling() + ("" if self.modcrop else "; modcrop=true cuts test images to the scale")

    def _resampling(self) -> str:
        if self.resize == "matlab":
            return (f"bicubic ×{self.scale} down and up by MATLAB's imresize (a = −0.5, antialiased, mirrored border), "
                    "low-resolution image and input rounded to 8 bit, as the SR papers (a 16-bit or float source's "
                    "kept at its precision)")
        return (f"bicubic ×{self.scale} down and up by torch's interpolate (antialiased down, a = −0.75 up, "
                "renormalised border, float; not MATLAB's imresize of the papers: resize=matlab)")

    @property
    def size_multiple(self) -> int:
        return self.scale

    def degrade(self, clean: torch.Tensor, generator: torch.Generator,
                eight_bit: torch.Tensor | None = None) -> torch.Tensor:
        """clean (N, 3, H, W) in [0, 1], H and W multiples of :attr:`scale` → the bicubic input, same shape, in [0, 1].
        ``eight_bit`` (N,) bool (``resize=matlab``): which images come from an 8-bit source, their passes rounded to
        8 bit (:func:`benchmark.data.on_8bit_source`, of the whole source image: a 16-bit photo's crop that happens to
        lie on 8-bit levels, a clipped sky, is still 16-bit); None: read off ``clean`` itself."""
        h, w = clean.shape[-2:]
        if h % self.scale or w % self.scale:
            raise ValueError(f"image {w}×{h} is not a multiple of scale {self.scale}")
        low_size = (h // self.scale, w // self.scale)
        if self.resize == "matlab":  # an 8-bit image's levels, as the papers' PNGs (benchmark.data), rounded to 8 bit
            # as MATLAB rounds a uint8 image; a 16-bit or float source's kept at its precision (MATLAB on a double
            # image), not rounded to 8-bit levels its target does not have
            eight = on_8bit_levels(clean) if eight_bit is None else eight_bit.to(clean.device, torch.bool)
            low = imresize(clean, low_size, uint8=eight)
            return imresize(low, (h, w), uint8=eight).clamp_(0, 1)
        low = F.interpolate(clean, size=low_size, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)
        return F.interpolate(low, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)

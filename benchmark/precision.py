"""Float32 regions: computations that must run in true float32 inside a bf16-autocast GPU step.

On CUDA the runner trains under bf16 autocast, with cuDNN's TF32 convolutions allowed (they
speed up the net's float32 convolutions in ``precision="fp32"`` runs). Some loss computations
lose their meaning at either reduced precision near the identity, where a loss compares two nearly equal tensors: Gram
matrices, PDL's projections before sorting, the contextual loss's cosine matrix, DISTS's VGG
statistics, SSIM's E[x²] − μ² filtering, CONTRIQUE's pooled features, the contrastive loss's
selection passes. Those run in a float32 region::

    with fp32_region(x.device.type):         # autocast off, TF32 off; both restored on exit
        ...                                  # (the caller casts its inputs with .float())

    y = fp32_call(fn, a, b)                  # fn(a.float(), b.float()) in the region, and its
                                             # backward pass too (see below)

A context manager covers only what runs inside it; the backward pass of that code runs later,
in the caller's ``loss.backward()``, where TF32 is on again. :func:`fp32_call` (and the
:func:`fp32_function` decorator) therefore records ``fn``'s graph separately and runs its
backward inside a region as well: the outer graph sees one node whose backward is
``torch.autograd.grad`` of the inner graph under :func:`fp32_region`. Forward and backward
compute exactly what the plain call computes (no recomputation); a backward with
``retain_graph=True`` keeps the inner graph too, so a second backward (or ``autograd.grad`` of each
term in turn) works as on the plain call; double backward (``create_graph=True``) is not supported.
A region inside a region runs directly.

**Policy for frozen feature trunks** (:data:`TRUNK_FP32`): every :class:`~benchmark.backbones.Backbone`
(VGG perceptual, LPIPS, DISTS, style, GPL, psycho, contextual, PDL/SWD, CSR, CONTRIQUE, the
contrastive loss) computes in a float32 region under autocast, forward and backward; the
restoration net itself keeps bf16. A bf16 trunk near the identity rounds features whose pred/target
difference is smaller than bf16's step (8 bits of mantissa): measured under CPU bf16 autocast,
random-init trunks, 2×3×48², pred = target + σ·noise, the gradient's cosine to float32 was
0.51–0.97 at σ = 0.002 (value errors 12–250 %; vgg_esrgan's 0.51 was 0.39 on a CPU with
AMX-BF16), 0.89–0.995 at σ = 0.01 and 0.95–0.998 at σ = 0.05
(vgg_esrgan, csr, style, lpips worst): near convergence such a loss trains partly on its rounding
(CUDA autocast and pretrained trunks were not measured). With the
trunk in float32 every loss's gradient cosine is ≥ :data:`TRUNK_COSINE_BOUND` at σ ∈ {0.002,
0.01, 0.05} (``tests/test_probe_zoo7.py``). Its GPU price (float32 without TF32 where bf16 tensor
cores ran before) is not measured. A loss may still pass ``Backbone(fp32=False)``
explicitly (a bf16 trunk, e.g. to time it); bf16 run ids carry :func:`trunk_policy` for losses
with a trunk (:func:`benchmark.config.run_id`), so runs made under the earlier bf16 trunks are
not resumed as these.

TF32 flags are process-wide; they are set with the ``allow_tf32`` switches the runner's
``torch.backends.cudnn.flags`` uses. On the CPU they change nothing, so CPU numbers of a float32
run are the same with and without regions.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator

import torch
from torch.autograd.function import once_differentiable
from torch.utils import _pytree as pytree

_local = threading.local()  # per thread: how deep inside fp32 regions it is

#: frozen feature trunks compute in a float32 region under autocast unless a loss says otherwise
#: (``Backbone(fp32=None)`` reads this; see the module docstring for the measurements behind it)
TRUNK_FP32 = True
#: the trunk policy's version, part of a bf16 run's id when its loss has a trunk ("1": bf16 trunks,
#: DISTS and CONTRIQUE aside; "2": every trunk float32)
TRUNK_POLICY = "2"
#: the gradient cosine to float32 that every trunk loss keeps under bf16 autocast near the identity
TRUNK_COSINE_BOUND = 0.99


def trunk_policy() -> str:
    """The trunk policy the Backbones built now follow: :data:`TRUNK_POLICY` under :data:`TRUNK_FP32`,
    else "1" (bf16 trunks; DISTS and CONTRIQUE pass ``fp32=True``), part of a bf16 run's id."""
    return TRUNK_POLICY if TRUNK_FP32 else "1"


def tf32_flags() -> tuple[bool, bool]:
    """(cuDNN convolutions may use TF32, cuBLAS float32 matmuls may use TF32)."""
    return bool(torch.backends.cudnn.allow_tf32), bool(torch.backends.cuda.matmul.allow_tf32)


def _set_tf32(conv: bool, matmul: bool) -> None:
    torch.backends.cudnn.allow_tf32 = conv
    torch.backends.cuda.matmul.allow_tf32 = matmul


def in_fp32_region() -> bool:
    """Whether this thread is inside :func:`fp32_region`."""
    return getattr(_local, "depth", 0) > 0


@contextlib.contextmanager
def fp32_region(device_type: str) -> Iterator[None]:
    """Autocast off for ``device_type`` and TF32 off (cuDNN and cuBLAS) for the block; the previous
    settings come back on exit, also on an exception. Inputs made outside are the caller's to
    ``.float()``."""
    before = tf32_flags()
    _set_tf32(False, False)
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        with torch.autocast(device_type=device_type, enabled=False):
            yield
    finally:
        _local.depth -= 1
        _set_tf32(*before)


def _float(x):
    return x.float() if isinstance(x, torch.Tensor) and x.is_floating_point() else x


class _Region(torch.autograd.Function):
    """fn's own graph, recorded in a region; backward = autograd.grad of it in a region."""

    @staticmethod
    def forward(ctx, fn, device_type, box, *inputs):
        ctx.set_materialize_grads(False)
        ctx.device_type = device_type
        needs = ctx.needs_input_grad[3:]
        leaves = [x.detach().requires_grad_() if need else x for x, need in zip(inputs, needs)]
        with torch.enable_grad(), fp32_region(device_type):
            out = fn(*pytree.tree_unflatten([_float(x) for x in leaves], box["in"]))
        flat, box["out"] = pytree.tree_flatten(out)
        if not all(isinstance(o, torch.Tensor) for o in flat):
            raise TypeError("fp32_call: fn must return tensors (or tuples/lists/dicts of tensors)")
        ctx.leaves, ctx.outs = leaves, flat
        result = tuple(o.detach() for o in flat)
        ctx.mark_non_differentiable(*(r for r, o in zip(result, flat) if not o.requires_grad))
        return result

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        if ctx.outs is None:  # torch's own words for a freed graph (the node saves no tensors of its own)
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed): specify retain_graph=True the first time")
        needs = ctx.needs_input_grad[3:]
        pairs = [(o, g) for o, g in zip(ctx.outs, grads) if g is not None and o.requires_grad]
        wanted = [x for x, need in zip(ctx.leaves, needs) if need]
        got = [None] * len(wanted)
        keep = _keeps_graph()  # the outer backward's retain_graph: the inner graph is kept as long
        if pairs and wanted:
            with fp32_region(ctx.device_type):
                got = torch.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                                          allow_unused=True, retain_graph=keep)
        if not keep:
            ctx.leaves = ctx.outs = None  # the inner graph has been used: let it go
        it = iter(got)
        return (None, None, None, *(next(it) if need else None for need in needs))


def _keeps_graph() -> bool:
    """Does the backward pass running now keep its graph (``retain_graph=True``, e.g. a second
    ``backward`` or ``autograd.grad`` to follow)? Where torch cannot say, yes (memory, not an error)."""
    probe = getattr(torch._C._autograd, "_get_current_graph_task_keep_graph", None)
    try:
        return bool(probe()) if probe is not None else True
    except RuntimeError:
        return True


def fp32_call(fn: Callable, *args):
    """``fn(*args)`` with every floating-point tensor in ``args`` (also inside tuples, lists and
    dicts, which ``fn`` receives as new containers) cast to float32, forward and backward in an
    :func:`fp32_region` on the device of the first tensor. ``fn`` returns a tensor or
    tuples/lists/dicts of tensors. Tensors ``fn`` reaches other than through ``args`` (module
    buffers, frozen weights) get no gradient through it."""
    flat, spec = pytree.tree_flatten(args)
    device_type = next((x.device.type for x in flat if isinstance(x, torch.Tensor)), "cpu")
    grads = torch.is_grad_enabled() and any(isinstance(x, torch.Tensor) and x.requires_grad for x in flat)
    if in_fp32_region() or not grads:
        with fp32_region(device_type):
            return fn(*pytree.tree_unflatten([_float(x) for x in flat], spec))
    box: dict = {"in": spec}  # _Region.forward leaves the output structure under "out"
    out = _Region.apply(fn, device_type, box, *flat)
    return pytree.tree_unflatten(list(out), box["out"])


def fp32_function(fn: Callable) -> Callable:
    """Decorator: ``fn``'s positional arguments go through :func:`fp32_call` (floating-point
    tensors cast to float32, forward and backward in a float32 region); keyword arguments pass
    through unchanged."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fp32_call(functools.partial(fn, **kwargs) if kwargs else fn, *args)

    return wrapper

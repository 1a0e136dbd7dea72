"""Will a run fit in memory? Estimated before training, refused with one line if not.

A batch, crop or net too large for the machine used to end in the kernel's OOM killer (the whole
grid lost) or a CUDA out-of-memory error halfway through. :func:`check_fits` estimates a training
step's peak memory from what autograd actually keeps: the net and the loss on one and on two
samples at the real crop size, counting every tensor saved for backward
(``torch.autograd.graph.saved_tensors_hooks``, unique storages); the difference is one sample's
share (activations, pairwise terms such as the contextual loss's distances included), the rest
what does not grow with the batch (weights a frozen backbone keeps), and the two scale to the
batch. Parameters count four times (weights, gradients, Adam's two moments), the gradient pass
adds its largest activation twice. Evaluation runs whole test images through the
net without gradients: its peak is :data:`EVAL_ACTIVATIONS` of the largest activation, plus the test
image's clean, degraded and restored copies.

On a GPU the training step is not estimated but measured: two real steps of the runner's own
step on the device (:func:`benchmark.runner.measure_cuda_step`: bf16, channels-last, cuDNN workspaces, the resident
training set), the allocator's peak reservation. The figure is compared with what is free *now*:
``MemAvailable`` (and the room under the process's cgroup limits when less: a container's, a SLURM job's) on
the CPU, ``torch.cuda.mem_get_info`` on a GPU, divided by the runs sharing it (``--workers-per-gpu``; each
worker also caps its allocator at that share, :func:`benchmark.executors.run_unit`). A run that fits by a small
margin may still fail (out-of-memory is then retried once at half the batch size).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmark.docmarkup import plural
from benchmark.errors import UserError

log = logging.getLogger(__name__)
EVAL_PROBE = 64
#: a no-grad pass of the residual nets peaks at this many of their largest activation (the block's input and
#: the body's input kept for the skips, a conv's output, the ReLU's, the sum): measured as peak RSS growth on
#: the CPU for tiny, small and base at 1.5–24 Mpx, 5.0 each time (3, the figure used before, let a
#: 6000×4000 test image pass a check it then needed 1.7× of)
EVAL_ACTIVATIONS = 5


@dataclass(frozen=True)
class Estimate:
    train_bytes: float
    eval_bytes: float


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 * 0.1 else f"{n / 2**20:.0f} MiB"


#: where the CPU's free memory is read (module constants, for tests to point elsewhere)
MEMINFO = Path("/proc/meminfo")
PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def _cgroup_room() -> tuple[float, str] | None:
    """(the least memory left under any limit of this process's cgroups, which file sets it), or None where none is
    set. From the process's own cgroup up to the hierarchy's root: a SLURM job's ``--mem`` is the limit of its
    ``job_<id>`` cgroup, below ``/sys/fs/cgroup`` itself (cgroup v2: ``memory.max`` − ``memory.current``; v1's
    memory controller: ``memory.limit_in_bytes`` − ``memory.usage_in_bytes``; the inactive page cache in
    ``memory.stat`` not counted as used); a container's is its root's."""
    try:
        lines = PROC_CGROUP.read_text().splitlines()
    except OSError:
        lines = []
    found: list[tuple[float, str]] = []

    def cache(folder: Path, key: str) -> float:
        """The cgroup's inactive file pages (memory.stat): page cache the kernel drops before it kills anything."""
        try:
            for line in (folder / "memory.stat").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return max(float(value), 0.0)
        except (OSError, ValueError):
            pass
        return 0.0

    def room(folder: Path, limit_name: str, usage_name: str, cache_key: str) -> None:
        try:
            limit = (folder / limit_name).read_text().strip()
            used = float((folder / usage_name).read_text().strip())
            if limit != "max" and float(limit) < 2**60:  # v2 "max" and v1's page-rounded 2⁶³: no limit
                # the usage counts the page cache of the files read (the dataset, the spill file), free for the
                # taking as MemAvailable counts it: its inactive part is room (as docker and the kubelet count it)
                found.append((float(limit) - max(used - cache(folder, cache_key), 0.0), f"cgroup {limit_name}"))
        except (OSError, ValueError):
            pass

    hierarchies = [line.split(":", 2) for line in lines if line.count(":") >= 2] or [["0", "", "/"]]
    for _hid, controllers, path in hierarchies:
        v2 = controllers == ""
        if not v2 and "memory" not in controllers.split(","):
            continue
        base = CGROUP_ROOT if v2 else CGROUP_ROOT / "memory"
        parts = [p for p in path.strip().split("/") if p]
        for k in range(len(parts), -1, -1):  # a cgroup namespace shows "/": the container's own root
            room(base.joinpath(*parts[:k]), *(("memory.max", "memory.current", "inactive_file") if v2 else
                                               ("memory.limit_in_bytes", "memory.usage_in_bytes",
                                                "total_inactive_file")))
    return min(found) if found else None


def available_bytes(device: torch.device) -> tuple[float, str]:
    """(free bytes now, where the figure comes from)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return float(free), f"free on {torch.cuda.get_device_name(device)}"
    avail, source = float("inf"), "unknown"
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail, source = float(line.split()[1]) * 1024, "MemAvailable"
    except OSError:
        pass
    cgroup = _cgroup_room()  # a container's or a SLURM job's own limit can be far below the machine's memory
    if cgroup is not None and cgroup[0] < avail:
        avail, source = cgroup
    return avail, f"available RAM ({source})"


#: where this process's peak resident memory is read and reset (module constants, for tests to point elsewhere)
PROC_STATUS = Path("/proc/self/status")
PROC_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(*keys: str) -> dict[str, float]:
    """{key: kB} of the fields ``keys`` (``VmHWM``, ``VmRSS``) of :data:`PROC_STATUS`, read once; {} where it cannot be
    read or one of them cannot be parsed; a field it lacks is left out."""
    kb = {}
    try:
        for line in PROC_STATUS.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in keys:
                kb[key] = float(value.split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    return kb


def reset_peak_rss() -> bool:
    """Start a new peak of this process's resident memory, so that :func:`peak_rss_mb` is one run's, not every run's
    a worker trained before it (``getrusage``'s ``ru_maxrss`` is the process's since it started). Linux (4.0 on):
    ``5`` written to ``/proc/self/clear_refs`` resets ``VmHWM`` to the memory resident now. True only where ``VmHWM``
    reads back within 16 MB (or 5 %) of ``VmRSS`` after it; False, silently, where it cannot be written (another OS,
    a read-only ``/proc``), where the write reset nothing (a sandbox that takes it), or where ``/proc/self/status``
    cannot be read (the peak is then getrusage's): the peak read after is then the process's."""
    try:
        PROC_CLEAR_REFS.write_text("5")
    except OSError:
        return False
    kb = _status_kb("VmHWM", "VmRSS")
    return len(kb) == 2 and kb["VmHWM"] <= max(kb["VmRSS"] * 1.05, kb["VmRSS"] + 16 * 1024)


def peak_rss_mb() -> float | None:
    """This process's peak resident memory (MiB, 2²⁰ bytes) since :func:`reset_peak_rss`, else since it started:
    ``VmHWM`` of ``/proc/self/status``, else ``getrusage``'s ``ru_maxrss``; None where neither is readable."""
    if kb := _status_kb("VmHWM"):
        return kb["VmHWM"] / 1024
    try:
        import resource
        import sys

        peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except (ImportError, OSError, ValueError):
        return None
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, kB elsewhere


def _saved_bytes(net, loss_fn, side: int, needs_degraded: bool, batch: int = 1) -> tuple[float, float]:
    """(bytes autograd saves for a batch×3×side² step, bytes of its largest saved tensor)."""
    seen: dict[tuple, int] = {}

    def pack(t: torch.Tensor):
        try:
            key = (t.untyped_storage().data_ptr(), t.device.type)
            seen[key] = max(seen.get(key, 0), t.untyped_storage().nbytes())
        except (RuntimeError, NotImplementedError):  # tensors without storage
            pass
        return t

    x = torch.rand(batch, 3, side, side, generator=torch.Generator().manual_seed(0))
    target = torch.rand(batch, 3, side, side, generator=torch.Generator().manual_seed(1))
    extra = {"degraded": x} if needs_degraded else {}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        pred = net(x)
        loss_fn(pred, target, **extra)
    return float(sum(seen.values())), float(max(seen.values(), default=0))


def _max_activation_bytes(net, side: int) -> float:
    """Bytes of the largest module output of the net for one 1×3×side² input (no gradients)."""
    biggest = [0.0]

    def hook(_m, _i, out):
        if torch.is_tensor(out):
            biggest[0] = max(biggest[0], float(out.numel() * out.element_size()))

    handles = [m.register_forward_hook(hook) for m in net.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            net(torch.zeros(1, 3, side, side))
    finally:
        for h in handles:
            h.remove()
    return biggest[0]


def estimate(net_name: str, loss_spec: str, batch: int, crop: int, weights: str, eval_pixels: int,
             train: bool = True) -> Estimate:
    """Peak bytes of a training step (batch × crop²; 0 with ``train=False``, when the step is
    measured on the GPU instead) and of evaluating an image of ``eval_pixels``."""
    from benchmark.nets import build_net

    net = build_net(net_name)
    params = sum(p.numel() * p.element_size() for p in net.parameters())
    train_bytes = 0.0
    if train:
        from benchmark.lossfn import build_loss

        loss_fn = build_loss(loss_spec, seed=0, weights=weights)
        needs_degraded = "degraded" in loss_fn.needs_all
        saved, largest = per_batch(net, loss_fn, crop, needs_degraded)
        train_bytes = saved(batch) + 2 * batch * largest + 4 * params
    act = _max_activation_bytes(net, EVAL_PROBE) / EVAL_PROBE**2
    images = 4 * 3 * 4 * eval_pixels  # clean, degraded, the net's output and its clamped copy: 3 × fp32 each
    return Estimate(train_bytes=train_bytes, eval_bytes=EVAL_ACTIVATIONS * act * eval_pixels + images + params)


def per_batch(net, loss_fn, crop: int, needs_degraded: bool = False):
    """(saved(batch) → bytes, largest saved tensor per sample) from probes of 1 and 2 samples at the
    real crop: saved(b) = c + b·s, where c (what a frozen backbone keeps whatever the batch) and s
    (one sample's activations, pairwise terms included) come from the two probes."""
    (s1, m1), (s2, _) = (_saved_bytes(net, loss_fn, crop, needs_degraded, b) for b in (1, 2))
    per = max(s2 - s1, 0.0)
    const = max(s1 - per, 0.0)
    return (lambda b: const + b * per), m1


#: the side of the seeded test image a metric's reference cache is measured on (:func:`measure_cache_per_pixel`): its
#: bytes per pixel at 128² came within 10 % of those at 500² (mad 82 of 89, ssim 22 of 23; fsim and vsi over, as they
#: downsample an image of 384 px a side and more)
CACHE_PROBE = 128


def measure_cache_per_pixel(name: str, device: str) -> tuple[float, int]:
    """(bytes per pixel, caches) of what :data:`benchmark.metrics.REF_CACHE_PER_PX` declares, measured: one seeded
    image pair of :data:`CACHE_PROBE` px a side (or the metric's smallest) scored by a fresh copy of the metric (the
    weight-free ones of :data:`benchmark.metrics.FAST`; seconds each, pyiqa imported); (0, 0) for a metric without a
    cache."""
    from benchmark.fastiqa import ref_caches
    from benchmark.metrics import FAST, min_side, open_metric

    if name not in FAST:
        return 0.0, 0
    m, _ = open_metric(name, device)
    caches = ref_caches(m.module) if m is not None else []
    if not caches:
        return 0.0, 0
    side = max(CACHE_PROBE, min_side(name))
    gen = torch.Generator().manual_seed(0)
    clean = torch.rand(1, 3, side, side, generator=gen)
    out = (clean + 0.1 * torch.rand(1, 3, side, side, generator=gen)).clamp(0, 1)
    with torch.no_grad():
        m.module(out.to(device), clean.to(device))
    return sum(c.computed for c in caches) / side**2, len(caches)


def metric_cache_bytes(metric_names, device, pixels: float, sizes=()) -> float:
    """Bytes the reference caches of ``metric_names`` (:class:`benchmark.fastiqa.RefCache`: a clean test image's half
    of ssim, ms_ssim, fsim, vsi, nlpd, vif, cw_ssim, mad…, kept for the process's life) come to hold over a test set of
    ``pixels`` pixels in all: per metric its bytes per pixel as declared beside it
    (:data:`benchmark.metrics.REF_CACHE_PER_PX`; 0 without one, every learned metric) × ``pixels``, at most its cache's
    budget (:data:`benchmark.fastiqa.REF_CACHE_BYTES`); with ``sizes`` (the test images' ``(height, width)``), MAD's
    filters kept per image size beside them (:func:`benchmark.fastiqa.mad_filters_kept`: of its largest
    :data:`~benchmark.fastiqa.MAD_FILTER_SIZES` sizes; FSIM's, of images downsampled to ~256 px a side, 6 MB a size, are
    left out). Nothing is opened: the memory check runs in the driver of CPU workers, each worker and the dry run."""
    from benchmark.fastiqa import MAD_FILTER_SIZES, REF_CACHE_BYTES, mad_filters_kept
    from benchmark.metrics import REF_CACHE_PER_PX

    total = 0.0
    for name in dict.fromkeys(metric_names or ()):
        total += min(REF_CACHE_PER_PX.get(name, 0.0) * pixels, REF_CACHE_BYTES)
    if "mad" in (metric_names or ()):
        total += sum(sorted((mad_filters_kept(h, w) for h, w in set(sizes)), reverse=True)[:MAD_FILTER_SIZES])
    return total


def check_fits(configs, device: torch.device, eval_pixels: dict | None = None, share: int = 1,
               measure=None, test_pixels: dict | None = None, metric_names=(), test_sizes: dict | None = None) -> None:
    """Refuse (``UserError``, one line) a grid whose runs cannot fit in this device's free memory.

    ``eval_pixels``: {test data tuple: pixels of its largest image}. ``test_pixels``: {test data tuple:
    pixels of all its images}; ``test_sizes``: {test data tuple: its images' (height, width)}, for MAD's filters kept
    per size (:func:`metric_cache_bytes`): a task's runs hold a float32 clean and degraded copy of every test image
    (:func:`benchmark.runner.held_out_items`, on the host), counted beside training and evaluation on
    the CPU, as are the reference caches its ``metric_names`` keep of those images (:func:`metric_cache_bytes`; on
    the device they score on). ``share``: runs sharing this
    GPU (``--workers-per-gpu``): each may use ``1/share`` of what is free. On a GPU the training
    step is measured there (``measure(cfg)`` → bytes: :func:`benchmark.runner.measure_cuda_step`),
    on the CPU estimated (:func:`estimate`). One check per distinct (net, loss, batch, crop, weights)."""
    if not configs:
        return
    free, where = available_bytes(device)
    if free == float("inf"):
        return
    whole = free  # a run that fits alone but not ``share`` at once: fewer workers, not other runs, is the remedy

    def fewer(need: float) -> str | None:
        n = int(whole // need) if share > 1 and 0 < need <= whole else 0
        if not n:
            return None
        return (f"use at most {plural(n, 'worker')} per GPU (--workers, --workers-per-gpu)"
                if device.type == "cuda" else f"use at most {plural(n, 'worker')} (--workers {n})")

    if share > 1:
        free, where = free / share, f"{where}, shared by {share} runs " + (
            "(--workers-per-gpu)" if device.type == "cuda" else "(--workers: local processes on this machine)")
    done = set()
    for c in configs:
        key = (c.net, c.loss, c.batch_size, c.crop, c.backbone_weights, c.test_data)
        if key in done:
            continue
        done.add(key)
        pixels = (eval_pixels or {}).get(c.test_data, 0)
        try:
            est = estimate(c.net, c.loss, c.batch_size, c.crop, c.backbone_weights, pixels, train=device.type != "cuda")
            if device.type == "cuda" and measure is not None:
                est = Estimate(train_bytes=measure(c), eval_bytes=est.eval_bytes)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - a loss that fails here fails its run, recorded as such
            log.debug("no memory estimate for %s: %s: %s", c.loss, type(exc).__name__, exc)
            continue
        log.debug("memory estimate %s/%s batch %d crop %d: train %s, eval %s; %s %s", c.net, c.loss,
                  c.batch_size, c.crop, _gib(est.train_bytes), _gib(est.eval_bytes), where, _gib(free))
        npx = (test_pixels or {}).get(c.test_data, 0)
        copies = 2 * 3 * 4 * npx if device.type != "cuda" else 0
        caches = metric_cache_bytes(metric_names, device, npx, (test_sizes or {}).get(c.test_data, ())) if npx else 0.0
        held = copies + caches
        parts = [*([f"the test set's float copies (≈ {_gib(copies)}, {npx / 1e6:.0f} Mpx × clean and degraded)"]
                   if copies > 0.05 * free else []),
                 *([f"the metrics' reference caches of its images (≈ {_gib(caches)})"] if caches > 0.05 * free else [])]
        also = f" besides {' and '.join(parts)}" if parts else ""
        if est.train_bytes + held > free:
            raise UserError(f"a training step of net {c.net} with loss {c.loss!r} at batch {c.batch_size} × "
                            f"{c.crop}² crops needs ≈ {_gib(est.train_bytes)}{also}, but only {_gib(free)} is {where}; "
                            + (fewer(est.train_bytes + held)
                               or ("use fewer or smaller test images" if also and est.train_bytes < free else
                                   "lower --batch-size or --crop (or use a smaller --net)")))
        if est.eval_bytes + held > free:
            raise UserError(f"evaluating net {c.net} on the largest test image ({pixels / 1e6:.1f} Mpx) needs "
                            f"≈ {_gib(est.eval_bytes)}{also}, but only {_gib(free)} is {where}; "
                            + (fewer(est.eval_bytes + held) or "use fewer or smaller test images"))

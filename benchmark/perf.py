"""Training-step performance: iterations/s per loss, ratios measured side by side, and grid estimates.

``plbench perf`` times one training step (net forward + loss + backward + Adam step, plus an
online loss's own ``train_step``) of the benchmark's own net for every requested loss, and the
naive fp32 eager references of the two classic deep-feature losses:

* ``naive:vgg`` — a plain torchvision-layout VGG-16 up to relu2_2 in fp32/NCHW, target features
  computed with autograd on, ``F.mse_loss``: the textbook perceptual loss;
* ``naive:lpips`` — the ``lpips`` package (``LPIPS(net="alex", pnet_rand=True)``, ``normalize=True``).

Candidates are interleaved one step at a time and the median is reported, so drifts of the
machine hit every candidate alike; ratios (× L1, × naive) are therefore measured in one run, each
the median over the reps of a step over the same rep's step of l1 (of the naive reference).
FLOPs (``torch.utils.flop_counter``) come from one extra step each; peak memory (CUDA) from one step of
each candidate built again alone, once the others are freed.

Every candidate of ours is the runner's own :class:`~benchmark.runner.TrainStep` (batches
sampled from real images and degraded as in training, with its checks), not a synthetic tensor
already on the device; the naive references are timed on a prepared batch.

``plbench run --dry-run`` uses :func:`estimate_grid`: the runner's step timed at two small shapes
and scaled to the grid's (the times are kept, so a second dry run measures nothing), plus one timed
evaluation per test set, extrapolated to the whole grid.
"""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.devices import (  # noqa: F401 - MIN_CPU_SHARE re-exported: benchmark.perf.MIN_CPU_SHARE
    MIN_CPU_SHARE,
    sched_times,
    timing_busy,
    usable_cores,
)
from benchmark.devices import min_cpu_share as _min_cpu_share  # re-exported too: below stats and runner both
from benchmark.docmarkup import agree, plural
from benchmark.errors import UserError
from benchmark.lossfn import loss_family  # noqa: F401 - re-exported: benchmark.perf.loss_family

log = logging.getLogger(__name__)


class NaiveVGGMSE(nn.Module):
    """The textbook VGG loss: VGG-16 features up to relu2_2, fp32, NCHW, MSE; autograd on both sides."""

    def __init__(self, seed: int = 0):
        super().__init__()
        from torchvision.models.vgg import cfgs, make_layers

        torch.manual_seed(seed)
        self.features = make_layers(cfgs["D"])[:9].requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, pred, target):
        with torch.autocast(pred.device.type, enabled=False):
            f = lambda x: self.features((x.float() - self.mean) / self.std)  # noqa: E731
            return F.mse_loss(f(pred), f(target))


class NaiveLPIPS(nn.Module):
    """The ``lpips`` package as users call it (AlexNet trunk, random so no download is needed)."""

    def __init__(self):
        super().__init__()
        import warnings

        import lpips

        with warnings.catch_warnings():  # the package calls torchvision's deprecated `pretrained=`: not ours to fix
            warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
            self.m = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False).eval().requires_grad_(False)

    def forward(self, pred, target):
        with torch.autocast(pred.device.type, enabled=False):
            return self.m(pred.float(), target.float(), normalize=True).mean()


NAIVE = {"vgg": ("naive:vgg", NaiveVGGMSE), "lpips": ("naive:lpips", NaiveLPIPS)}


def _naive_base(spec: str) -> str | None:
    """The :data:`NAIVE` key whose reference computes what loss ``spec`` computes: the registered loss as it is
    (``vgg``, ``lpips``), None for one with arguments or terms — ``vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))`` taps
    three layers, where the textbook reference stops at relu2_2: its × naive was a ratio of two different losses."""
    return spec if spec in NAIVE else None


@dataclass
class PerfRow:
    name: str
    ms_per_step: float
    it_per_s: float
    #: the median over the reps of its step over the same rep's l1 step (the statistic :attr:`x_l1_iqr` is of)
    x_l1: float
    #: the same statistic against its naive reference (:data:`NAIVE`): the median over the reps of its step over the
    #: same rep's naive step (None: no reference)
    x_naive: float | None
    peak_mem_mb: float | None
    gflop_per_step: float | None
    achieved_tflops: float | None
    provenance: str
    #: the interquartile range of its timed steps, in % of their median (how far a re-run's ms/step may move)
    spread_pct: float | None = None
    #: the interquartile range of its × L1 over the reps, each rep's step over the same rep's l1 step (interleaved:
    #: a drift of the machine hits both); a range that holds 1 is no difference from l1 on this machine today
    x_l1_iqr: tuple[float, float] | None = None
    #: on a CPU, its process's CPU seconds ÷ wall seconds over its timed steps; ``busy``: under
    #: :func:`benchmark.devices.min_cpu_share` of a core per torch thread (other work held the cores: ms/step reads
    #: high)
    cpu_share: float | None = None
    busy: bool = False
    #: MiB the caching allocator reserved at the peak of its step (CUDA; None on the CPU): at least
    #: :attr:`peak_mem_mb`, which tensors allocated — what ``--workers-per-gpu`` is sized by, as meta.json's
    #: ``peak_mem_reserved_mb``
    peak_mem_reserved_mb: float | None = None


def _iqr(values: list[float]) -> tuple[float, float] | None:
    """The first and third quartiles of ``values``; None for one value, which has no spread (``--reps 1`` printed
    IQR 0 %, as firm a figure as can be)."""
    if len(values) < 2:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive")
    return (q[0], q[2])


def _naive_step(net, opt, loss_fn, degraded, target):
    """A naive reference's step: fp32, NCHW, the batch already on the device (no sampling)."""
    def step():
        value = loss_fn(net(degraded), target)
        opt.zero_grad(set_to_none=True)
        value.float().backward()
        opt.step()
    return step


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def training_images(crop: int) -> list:
    """Images a timed step samples from: the embedded training photos (large enough for any
    crop up to 400 px)."""
    from benchmark.data import DataSpec, load_images, usable_for_crop

    spec = DataSpec("skimage", "train")
    return usable_for_crop(load_images(spec), crop, spec)


def _harness_config(loss: str, *, net: str, batch: int, crop: int, device_type: str, task: str = "denoise",
                    compile: bool = False, iterations: int = 1000):
    """The :class:`~benchmark.config.RunConfig` of a timed step (random-init backbones): what :func:`harness_step`
    builds and :func:`check_memory` sizes."""
    from benchmark.config import RunConfig, precision_for

    return RunConfig(task=task, loss=loss, net=net, iterations=iterations, batch_size=batch, crop=crop,
                     device_type=device_type, precision=precision_for(device_type), compile=compile,
                     backbone_weights="random")


def harness_step(loss: str, *, net: str, batch: int, crop: int, device: torch.device, task: str = "denoise",
                 compile: bool = False, images=None, iterations: int = 1000):
    """The runner's own :class:`~benchmark.runner.TrainStep` for a loss (random-init backbones):
    sampling, degradation, finiteness check, forward, backward, Adam and scheduler. Returns a
    zero-argument function doing one step, and the step object."""
    from benchmark.runner import TrainStep
    from benchmark.task import build_task

    cfg = _harness_config(loss, net=net, batch=batch, crop=crop, device_type=device.type, task=task, compile=compile,
                          iterations=iterations)
    task_obj = build_task(task)
    step = TrainStep(cfg, task_obj, images if images is not None else training_images(crop), device)
    counter = iter(range(1, 10**9))
    return (lambda: step(next(counter))), step


def check_memory(losses: list[str], *, net: str, batch: int, crop: int, device: torch.device,
                 task: str = "denoise", compile: bool = False) -> None:
    """Refuse (one-line ``UserError``) timing a step this machine's free memory cannot hold, as ``plbench run`` refuses
    its runs (:func:`benchmark.resources.check_fits`): each candidate's step as :func:`harness_step` builds it, l1's
    too, before anything is built (``--batch-size 100000`` had the process OOM-killed)."""
    from benchmark import resources

    dev = torch.device(device)
    resources.check_fits([_harness_config(loss, net=net, batch=batch, crop=crop, device_type=dev.type, task=task,
                                          compile=compile) for loss in dict.fromkeys(["l1", *losses])], dev)


def measure(losses: list[str], *, net: str = "tiny", batch: int = 8, crop: int = 64, device: str = "cpu",
            reps: int = 10, warmup: int = 2, naive: bool = True, compile: bool = False, flops: bool = True,
            task: str = "denoise", memory=None, images=None) -> list[PerfRow]:
    """Time one training step per candidate, interleaved; see the module docstring. ``memory``: the allocator's
    counters for the peak-memory column (``torch.cuda`` on CUDA, where it is the default; on the CPU none, no column;
    tests pass stand-ins). ``images``: the ImageRecords sampled from (default :func:`training_images`)."""
    from benchmark.nets import build_net

    dev = torch.device(device)
    mem = torch.cuda if memory is None and dev.type == "cuda" else memory
    names = list(dict.fromkeys(["l1", *losses]))
    images = training_images(crop) if images is None else images
    makers, provenance = {}, {}  # name → a function building its step (again for the memory pass)

    def ours(n):
        def make():
            fn, st = harness_step(n, net=net, batch=batch, crop=crop, device=dev, task=task, compile=compile,
                                  images=images)
            provenance[n] = st.loss_fn.provenance
            return fn
        return make

    def reference(cls):
        def make():
            g = torch.Generator().manual_seed(0)
            target = torch.rand(batch, 3, crop, crop, generator=g).to(dev)
            degraded = (target + 0.1 * torch.randn(target.shape, generator=g).to(dev)).clamp(0, 1)
            torch.manual_seed(0)
            model = build_net(net).to(dev)
            return _naive_step(model, torch.optim.Adam(model.parameters(), lr=1e-4), cls().to(dev), degraded, target)
        return make

    for n in names:
        makers[n] = ours(n)
        base = _naive_base(n)
        if naive and base:
            label, cls = NAIVE[base]
            makers[label] = reference(cls)
            provenance[label] = "naive fp32 eager reference"
    doing = "l1"  # the candidate being built or stepped: what an out-of-memory error names
    try:
        # the process's one-time costs paid before any candidate's step, whatever --warmup: l1, first, paid them alone
        _warm_process(dev, images, net=net, batch=batch, crop=crop, task=task)
        steps = {}
        for n, make in makers.items():
            doing = n
            steps[n] = make()
        # (the steps by name only: a loop variable holding one would keep it alive in the memory pass)
        with _cudnn_benchmark(dev):
            for _ in range(warmup):
                for n in steps:
                    doing = n
                    steps[n]()
            times = {n: [] for n in steps}
            cpu = dict.fromkeys(steps, 0.0)  # the process's CPU seconds over each candidate's timed steps
            # its threads' seconds on a core and waiting for one over them (None: unreadable; _best_time's judgment)
            waits: dict = {n: [0.0, 0.0] for n in steps} if dev.type == "cpu" and sched_times() else {}
            for _ in range(reps):
                for n in steps:
                    doing = n
                    _sync(dev)
                    s0 = sched_times() if waits else None
                    t0, c0 = time.perf_counter(), time.process_time()
                    steps[n]()
                    _sync(dev)
                    times[n].append(time.perf_counter() - t0)
                    cpu[n] += time.process_time() - c0
                    if s0 is not None and (s1 := sched_times()) is not None:
                        waits[n][0] += s1[0] - s0[0]
                        waits[n][1] += s1[1] - s0[1]
            med = {n: statistics.median(v) for n, v in times.items()}
            gflops = {}
            for n in steps:
                gflops[n] = None
                if flops:
                    from torch.utils.flop_counter import FlopCounterMode

                    try:
                        with FlopCounterMode(display=False) as fc:
                            steps[n]()
                        gflops[n] = fc.get_total_flops() / 1e9
                    except Exception as exc:  # noqa: BLE001 - counting is best effort (e.g. under compile)
                        log.debug("flop count failed for %s: %s", n, exc)
            peaks = {}
            if mem is not None:  # each candidate alone: with all of them built, every row counted every net and trunk
                steps.clear()
                for n, make in makers.items():
                    doing = n
                    peaks[n] = _peak_alone(make, dev, mem)  # (allocated, reserved)
            rows = []
            # /proc and the cgroup's files, read once (a CPU's rows alone are judged): the same for every row
            cores = usable_cores() if dev.type == "cpu" else None
            for n in makers:
                base = _naive_base(n)
                ref = NAIVE[base][0] if base and NAIVE[base][0] in med else None
                gflop = gflops[n]
                quartiles = _iqr(times[n])
                # × L1: the median of the per-rep ratios (each rep's step over the same rep's l1 step), the statistic
                # its IQR is of — the ratio of the two medians fell outside that range under load (2.54, 2.58–8.91)
                paired = [t / b for t, b in zip(times[n], times["l1"])]
                ratio = _iqr(paired)
                # on a CPU, the cores the process had while its steps were timed, judged as the dry run's and the
                # runs' are (a GPU's wait has no CPU time; steps under MIN_JUDGED_S are too short to judge)
                wall = sum(times[n])
                share = cpu[n] / wall if dev.type == "cpu" and wall > 0 else None
                # × naive: the same paired statistic, each rep's step over the same rep's naive step (every rep times
                # both, interleaved) — not the ratio of the medians beside × L1's median of ratios
                x_naive = statistics.median(t / b for t, b in zip(times[n], times[ref])) if ref else None
                allocated, reserved = peaks.get(n, (None, None))
                # as _best_time judges the dry run's, over the same steps as the share
                step_waits = (*waits[n], wall) if n in waits else None
                rows.append(PerfRow(n, 1e3 * med[n], 1 / med[n], statistics.median(paired), x_naive,
                                    allocated, gflop, (gflop / med[n] / 1e3) if gflop else None, provenance[n],
                                    spread_pct=100 * (quartiles[1] - quartiles[0]) / med[n] if quartiles else None,
                                    x_l1_iqr=ratio, cpu_share=share, peak_mem_reserved_mb=reserved,
                                    busy=share is not None and med[n] >= MIN_JUDGED_S
                                    and timing_busy(share, step_waits, torch.get_num_threads(), cores)))
    except Exception as exc:
        from benchmark.errors import is_out_of_memory, oom_summary

        if not is_out_of_memory(exc, host=True):  # the CPU's allocator failing too: one line, as a GPU's
            raise
        first = oom_summary(exc)
        where = torch.cuda.get_device_name(dev) if dev.type == "cuda" else str(dev)
        raise UserError(f"out of memory on {where} in a training step of net {net} with loss {doing!r} at batch "
                        f"{batch} × {crop}² crops ({first}); lower --batch-size or --crop (or use a smaller --net)"
                        ) from None
    return rows


def _peak_alone(make, dev: torch.device, mem) -> tuple[float, float]:
    """MiB allocated by tensors, and MiB the caching allocator reserved (at least as much: what ``--workers-per-gpu``
    is sized by), at the peak of one step of the candidate ``make`` builds, built alone (no other candidate's net,
    trunk or optimiser state resident; what a run of it holds: its own and the training set on the device)."""
    import gc

    gc.collect()
    mem.empty_cache()
    step = make()
    step()  # the optimiser's state, cuDNN's choice of algorithm
    mem.synchronize(dev)
    mem.reset_peak_memory_stats(dev)
    step()
    mem.synchronize(dev)
    peak = (mem.max_memory_allocated(dev) / 2**20, mem.max_memory_reserved(dev) / 2**20)
    del step
    gc.collect()
    mem.empty_cache()
    return peak


def _cudnn_benchmark(dev: torch.device):
    """cuDNN picking its fastest algorithms on CUDA, as the runner trains; nothing elsewhere."""
    return torch.backends.cudnn.flags(enabled=True, benchmark=True) if dev.type == "cuda" else contextlib.nullcontext()


def sig3(v: float) -> str:
    """``v`` to three significant figures in fixed notation, never fewer figures for being small: a CPU's 0.000279
    TFLOP/s or a 3.1 MFLOP step's 0.00310 GFLOP (three decimals read them as 0.000 and 0.00); 100 or more whole."""
    import math

    if not v or not math.isfinite(v) or abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{max(0, 2 - math.floor(math.log10(abs(v))))}f}"


def format_rows(rows: list[PerfRow], header: str) -> str:
    """The table ``plbench perf`` prints: medians over the reps, with ``IQR %`` (the step times' interquartile range
    in % of their median) and ``× L1 IQR`` (the quartiles of the per-rep ratio to l1): how much a re-run may move."""
    width = _loss_width((r.name for r in rows), 28)  # a spec never cut, as in the dry run's tables
    lines = [header, f"{'loss':{width}s} {'ms/step':>9s} {'IQR %':>6s} {'it/s':>8s} {'× L1':>6s} {'× L1 IQR':>11s} "
                     f"{'× naive':>8s} {'peak MiB':>8s} {'rsv MiB':>8s} {'GFLOP':>7s} {'TFLOP/s':>8s}  weights"]
    for r in rows:
        f = lambda v, spec: (format(v, spec) if v is not None else "–")  # noqa: E731
        ratio = f"{r.x_l1_iqr[0]:.2f}–{r.x_l1_iqr[1]:.2f}" if r.x_l1_iqr else "–"
        lines.append(f"{r.name:{width}s} {r.ms_per_step:9.2f} {f(r.spread_pct, '6.0f'):>6s} {r.it_per_s:8.2f} "
                     f"{r.x_l1:6.2f} {ratio:>11s} "
                     f"{f(r.x_naive, '8.2f'):>8s} {f(r.peak_mem_mb, '8.0f'):>8s} "
                     f"{f(r.peak_mem_reserved_mb, '8.0f'):>8s} "
                     # three significant figures: a CPU's TFLOP/s read 0.000 with three decimals
                     f"{sig3(r.gflop_per_step) if r.gflop_per_step is not None else '–':>7s} "
                     f"{sig3(r.achieved_tflops) if r.achieved_tflops is not None else '–':>8s}  {r.provenance}")
    if any(r.peak_mem_mb is not None or r.peak_mem_reserved_mb is not None for r in rows):
        lines.append("peak MiB: GPU memory allocated by tensors at the peak of one step of the loss built alone; "
                     "rsv MiB: what the caching allocator reserved then (at least as much; what --workers-per-gpu is "
                     "sized by, as a run's peak_mem_reserved_mb)")
    if line := busy_rows_line([r.name for r in rows if r.busy]):  # as the dry run and the runs judge a CPU timing
        lines.append(line)
    return "\n".join(lines)


def busy_rows_line(names: list[str]) -> str | None:
    """The line under a table of step times (``plbench perf``'s, ``scripts/gpu_check.py``'s) naming its rows timed
    while other work held the cores (:attr:`PerfRow.busy`), ``names``; None where there are none."""
    if not names:
        return None
    return (f"{', '.join(names)}: timed while this process had under {_min_cpu_share():g} of a core per torch "
            "thread, or, where the scheduler's statistics are read, its threads a core under that share of "
            "the time they were runnable (other work held the cores): ms/step and it/s read high; × L1 and "
            "× naive compare steps interleaved under the same load")


# --------------------------------------------------------------------------------------------
# grid estimate (--dry-run)
# --------------------------------------------------------------------------------------------
#: (batch, crop) of the small steps a CPU dry run times; the compute part is fitted as a + b·pixels
#: through them (the fixed part is per-call overhead that does not grow with the batch)
PROBES = ((1, 64), (4, 64))


def _cpu_model() -> str:
    from benchmark import devices

    return devices.cpu_model()


def _machine(dev: torch.device) -> str:
    """What makes a measured time valid elsewhere: the device model, and on a CPU its core count and
    torch's thread count; on CUDA the device name and CUDA version."""
    import os

    if dev.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(dev)}:cuda{torch.version.cuda}"
    return f"cpu:{_cpu_model()}:{os.cpu_count()}cores:{torch.get_num_threads()}t"


def _timing_name(spec: str) -> str:
    """A loss spec as :class:`StepTimes` keys it: with the file hash of each term from a user's loss file
    (``my_loss@my_loss=1+<hash>``), so an edited file is timed anew; a built-in spec as it is (the keys
    of times kept before stay valid)."""
    from benchmark.lossfn import loss_versions

    versions = loss_versions(spec)
    return spec if not any("+" in v for v in versions.values()) else \
        f"{spec}@" + ",".join(f"{k}={v}" for k, v in sorted(versions.items()))


#: a measured step time that no dry run used for this many days is dropped from ``steptimes.json``
STEPTIMES_KEEP_DAYS = 60
#: at most this many step times are kept in ``steptimes.json`` (the most recently used; all those a dry run used)
STEPTIMES_MAX = 5000


#: in every time's key: times kept before a busy machine's were left out (:data:`MIN_CPU_SHARE`) are not reused —
#: the code version alone stays the same across releases of the same numbers (a step of 10 ms kept at 1.36 s); /t3:
#: a compiled step's time holds its compilation's (:func:`_time_step`), which one kept before did not
TIMES_TAG = "/t3"


class StepTimes:
    """Measured seconds per training step, kept on disk per (machine, threads, torch version, harness
    code version, device, net, loss, task, shape, compile) so a second dry run measures nothing
    (``<torch hub dir>/plbench/steptimes.json``). ``reused`` counts only times read from the file,
    never a time measured earlier in the same dry run.

    The file is ``{"version": 2, "times": {key: measured}, "used": {key: unix time last used}}`` (older code
    wrote ``{key: measured}``, read as used when the file was last written). Keys carry the code version, so
    each upgrade times anew: times unused for :data:`STEPTIMES_KEEP_DAYS` are dropped on :meth:`save`, and at
    most :data:`STEPTIMES_MAX` are kept (the most recently used), or every time this dry run used where those are
    more."""

    def __init__(self, path: Path | None = None):
        from benchmark.weights import cache_dir

        self.path = Path(path) if path else cache_dir() / "steptimes.json"
        self.data, self.used = self._read(self.path)
        self._from_disk = set(self.data)
        self._counted: set[str] = set()
        self.measured = self.reused = 0
        self._unwritable = False
        self._busy: set[str] = set()  # measured under contention (_best_time): used now, never saved

    @property
    def busy(self) -> int:
        """How many of the times measured now were measured while the machine was busy (used once, not kept)."""
        return len(self._busy)

    @staticmethod
    def key(dev, net, loss, task, batch, crop, compile) -> str:
        """A training step's key: everything its time depends on, the harness's code version included
        (a time measured by older code is measured again after an upgrade, not reused)."""
        from benchmark.config import code_version

        return "|".join(map(str, (_machine(dev), torch.__version__, code_version() + TIMES_TAG, net, loss, task,
                                  batch, crop, compile)))

    @staticmethod
    def eval_key(dev, net, test_data: str, metric_names) -> str:
        """An evaluation's key: machine, torch and code versions, net, test sets and the metric set
        (order-free)."""
        from benchmark.config import code_version

        return "|".join(map(str, (_machine(dev), torch.__version__, code_version() + TIMES_TAG, "eval", net, test_data,
                                  ",".join(sorted(set(metric_names))))))

    @staticmethod
    def _read(path: Path) -> tuple[dict, dict]:
        """(times, last use) as the file at ``path`` holds them; empty where there is none or it is unreadable."""
        try:
            raw = json.loads(path.read_text())
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            return {}, {}
        if not isinstance(raw, dict):
            return {}, {}
        if raw.get("version") == 2 and isinstance(raw.get("times"), dict):
            times, used = raw["times"], raw.get("used") if isinstance(raw.get("used"), dict) else {}
        else:  # the flat format of older code
            times, used = raw, {}
        return times, {k: float(used[k]) if isinstance(used.get(k), (int, float)) else mtime for k in times}

    def get(self, key: str, measure) -> float:
        self.used[key] = time.time()
        if key not in self.data:
            busy = _CONTENDED[0]
            self.data[key] = measure()
            self.measured += 1
            MEASURED["measured"] += 1
            self._counted.add(key)  # before saving: a new key outside the used ones was cut by the cap
            if _CONTENDED[0] != busy:  # measured on a busy machine: this dry run's estimate, not the next one's
                self._busy.add(key)
                MEASURED["busy"] += 1
                if len(self._busy) == 1:  # high for the cores free; runs under that load take longer still
                    log.warning("step times measured while this machine was busy with other work (this process "
                                "had under %.0f%% of a core per thread): each the fastest of its calls, above a step "
                                "with the cores free and below a run's under that load; they are not kept in %s, so "
                                "the next dry run measures them again", _min_cpu_share() * 100, self.path)
            self.save()  # kept as measured: Ctrl-C in a long dry run loses none, the same command measures the rest
        elif key in self._from_disk and key not in self._counted:
            self.reused += 1
        self._counted.add(key)
        return self.data[key]

    def save(self) -> None:
        from benchmark.results import atomic_write_json, write_cause

        cutoff = time.time() - STEPTIMES_KEEP_DAYS * 86400
        others = sorted((k for k in self.data if k not in self._counted and self.used.get(k, 0.0) >= cutoff),
                        key=lambda k: -self.used[k])
        # every time this dry run used (a grid of more cells than the cap measured the rest anew each time), then
        # the most recently used others up to the cap
        keep = [k for k in self.data if k in self._counted and k not in self._busy] \
            + others[:max(0, STEPTIMES_MAX - len(self._counted))]
        try:
            atomic_write_json(self.path, {"version": 2, "times": {k: self.data[k] for k in keep},
                                          "used": {k: self.used[k] for k in keep}})
        except (OSError, UserError) as exc:  # a read-only cache only costs the next dry run its speed (said once);
            # atomic_write_json says a failed write as the store's one line (NotWritable, InTheWay, DiskFull: a
            # UserError that stopped the dry run), its advice on results written before no cache's: its cause alone
            if not self._unwritable:
                log.warning("could not keep measured step times in %s: %s (the next dry run measures them again)",
                            self.path, write_cause(exc))
            self._unwritable = True
            MEASURED["unwritable"] += 1


#: how many step times this process's :meth:`StepTimes.get` measured, and what of them it did not keep in
#: steptimes.json: those measured while the machine was busy, and saves of the file that failed; an interrupted dry
#: run says so (:func:`kept_text`)
MEASURED = {"measured": 0, "busy": 0, "unwritable": 0}


def kept_text(before: dict[str, int] | None = None) -> str:
    """What an interrupted dry run kept of the step times it measured (``before``: :data:`MEASURED` when the command
    started, a process's earlier dry runs not counted), and what the same command measures again: it said "the step
    times measured so far are kept … the same command measures only the rest" while those of a busy machine were not
    kept, and the same command measured them again."""
    measured, busy, unwritable = (MEASURED[k] - (before or {}).get(k, 0) for k in ("measured", "busy", "unwritable"))
    where = "(<torch hub dir>/plbench/steptimes.json)"
    if unwritable:
        return f"the step times measured so far could not be kept {where}, as said above: the same command measures " \
               "them again"
    if busy and busy >= measured:  # a busy machine's dry run: every timing busy, none kept
        return (f"the {plural(busy, 'step time')} measured so far, {agree(busy, '', 'each ')}timed while other work "
                f"held the cores, {agree(busy, 'is', 'are')} not kept {where}: the same command measures "
                f"{agree(busy, 'it', 'them')} again and the rest")
    if busy:
        return (f"of the step times measured so far, those timed with the cores free are kept {where}, not the "
                f"{plural(busy, 'step time')} timed while other work held them: the same command measures those "
                "again and the rest")
    return f"the step times measured so far are kept {where}: the same command measures only the rest"


#: calls faster than this (seconds) are not judged: one context switch decides a millisecond call's share, and its
#: error is small in any case
MIN_JUDGED_S = 0.02


#: how many timings :func:`_best_time` took under contention in this process (:meth:`StepTimes.get` compares)
_CONTENDED = [0]


def _best_time(fn, dev: torch.device, reps: int) -> float:
    """The fastest of ``reps`` calls: a machine shared with other jobs slows calls down at random
    (several-fold when threads are preempted), never speeds them up. On a CPU, a fastest call (of
    :data:`MIN_JUDGED_S` or more) during which the process had less than :data:`MIN_CPU_SHARE` of a core per torch
    thread (:func:`benchmark.devices.busy`) is counted in :data:`_CONTENDED` — where the scheduler's statistics of
    its threads can be read, one whose threads, while runnable, had a core under that share of the time
    (:func:`benchmark.devices.waited_busy`: threads idle for want of work, a many-core host's, are not other work)."""
    times, share, waits = [], 1.0, None
    cpu_dev = dev.type == "cpu"
    for _ in range(reps):
        _sync(dev)
        s0 = sched_times() if cpu_dev else None
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        _sync(dev)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        s1 = sched_times() if s0 is not None else None
        if not times or wall < min(times):
            share = cpu / wall if wall > 0 else 1.0
            waits = (s1[0] - s0[0], s1[1] - s0[1], wall) if s1 is not None else None
        times.append(wall)
    # a GPU's wait has no CPU time; a container's CPU quota caps the threads that can run at once (usable_cores)
    if cpu_dev and min(times) >= MIN_JUDGED_S:
        # more threads than cores wait on each other: judged against what each can have (usable_cores)
        _CONTENDED[0] += timing_busy(share, waits, torch.get_num_threads(), usable_cores())
    return min(times)


_WARM: set = set()


def _warm_process(dev: torch.device, images, net: str = "tiny", batch: int = PROBES[0][0], crop: int = PROBES[0][1],
                  task: str = "denoise") -> None:
    """Two discarded l1 steps per process, device and shape (``net``, ``batch`` × ``crop``², ``task``) before anything
    is timed: the first step of a process pays one-time costs (thread pools, kernel/primitive caches, lazy imports, the
    allocator's first blocks of the shape) that no later step pays, and would be charged to whichever loss happens to
    be timed first (``plbench perf --warmup 0 --reps 1`` read vgg at 0.5 × L1)."""
    key = (dev.type, dev.index, net, batch, crop, task)
    if key in _WARM:
        return
    step, _ = harness_step("l1", net=net, batch=batch, crop=crop, device=dev, task=task, images=images)
    with _cudnn_benchmark(dev):
        for _ in range(2):
            step()
    _WARM.add(key)


def _time_step(loss: str, net: str, task: str, batch: int, crop: int, dev: torch.device, compile: bool,
               images, reps: int = 3, warmup: int = 2) -> tuple[float, float, float]:
    """(seconds of a runner step, of its data part: sampling + degradation; the fastest of ``reps``; and with
    ``compile``, the seconds its first step took over a step's: torch.compile compiling the net and the loss's
    backbones, which every compiled run pays once, from empty caches: :func:`benchmark.runner.train`), after
    ``warmup`` discarded steps at this shape (on CUDA under ``cudnn.benchmark``, as the runner trains)."""
    _warm_process(dev, images)
    with _cudnn_benchmark(dev):
        step, st = harness_step(loss, net=net, batch=batch, crop=crop, device=dev, task=task, compile=compile,
                                images=images)
        first = _best_time(step, dev, 1) if compile and warmup else 0.0
        for _ in range(warmup - bool(first)):
            step()
        if st.prefetch is not None:  # a host-side degradation: the step's own data part is made ahead
            st.prefetch.rewind()
        data = _best_time(lambda: st.task.degrade(st.batch(), st.dgen if st.fast else st.gen), dev, reps)
        best = _best_time(step, dev, reps)
        return best, data, max(first - best, 0.0)


def probe_shapes(batch: int, crop: int, dev: torch.device) -> tuple[tuple[int, int], ...]:
    """The shapes a dry run times for a grid of ``batch × crop²``: on CUDA the real shape (a small
    step there is all launch overhead); on a CPU the real shape when it is no larger than the
    biggest probe, else the :data:`PROBES` (fitted, :func:`scaled_compute`)."""
    if dev.type == "cuda" or batch * crop**2 <= PROBES[-1][0] * PROBES[-1][1] ** 2:
        return ((batch, crop),)
    return PROBES


def scaled_compute(points: list[tuple[int, float]], pixels: int) -> float:
    """Seconds of compute at ``pixels`` (batch × crop²) from ``[(pixels_i, seconds_i)]``: one point
    at the real shape is used as is; two are fitted as ``a + b·pixels`` with a, b ≥ 0 (a: fixed
    per-step overhead; b: cost per pixel), falling back to proportional scaling of the larger probe
    when the timings are too noisy to give a positive slope."""
    if len(points) == 1:
        (x, t), = points
        return t * pixels / x
    (x1, t1), (x2, t2) = sorted(points)[0], sorted(points)[-1]
    b = (t2 - t1) / (x2 - x1)
    if b <= 0:
        return t2 * pixels / x2
    a = max(t1 - b * x1, 0.0)
    return a + b * pixels


def _time_data(task: str, batch: int, crop: int, dev: torch.device, images, reps: int = 3) -> float:
    """Seconds of sampling and degrading one batch at the grid's own shape (cheap to time there)."""
    _, st = harness_step("l1", net="tiny", batch=batch, crop=crop, device=dev, task=task, images=images)
    st.task.degrade(st.batch(), st.dgen if st.fast else st.gen)
    return _best_time(lambda: st.task.degrade(st.batch(), st.dgen if st.fast else st.gen), dev, reps)


def _ref_caches(metrics) -> list:
    """The :class:`~benchmark.fastiqa.RefCache` of each metric of a :class:`~benchmark.metrics.MetricSet` that has
    one (ssim, ssimc, ms_ssim, fsim, vsi, nlpd, vif, cw_ssim, mad: README, "keep the clean image's half")."""
    from benchmark.fastiqa import ref_caches

    return list({id(c): c for m in metrics.metrics for c in ref_caches(getattr(m, "module", None))}.values())


def estimate_grid(configs, metric_names, device, cache: StepTimes | None = None, *, processes: int = 1,
                  process_per_run: bool = False, metric_set=None, inputs_scored=frozenset(), data=None,
                  trained: dict | None = None) -> dict:
    """The grid's wall time without training it (``metric_set``: the grid's
    :class:`~benchmark.metrics.MetricSet` where the caller built it already, not built again; ``data``: the grid's
    :class:`~benchmark.data.DataCache`, whose test images an evaluation is timed on, not decoded again, their skipped
    files said again: tests/test_review_data20.py; ``inputs_scored``: the
    ``(task, task_params, test_data)`` whose degraded inputs the results hold scored, which a resumed grid does not
    score again; ``trained``: {config: the iterations its checkpoint holds}, of the runs that resume from one, charged
    the rest alone — none where their training was done — and their scoring).

    Training: the runner's own step (:func:`harness_step`: sampling, degradation, checks) of every
    loss on the grid's first task, after one discarded step per process (:func:`_warm_process`) and
    two per shape; on a CPU at the two :data:`PROBES` shapes, its compute part (the step minus
    sampling and degradation) fitted as ``a + b·pixels`` and extrapolated to the grid's batch × crop²
    (:func:`scaled_compute`), on CUDA at the grid's own shape (:func:`probe_shapes`); the data part
    of every task is timed at the grid's own shape (cheap). No loss is estimated below ℓ1 at the same
    shape, nor a weighted sum below its dearest term. Costs that grow faster than
    the pixels (the contextual loss's pairwise distances) are underestimated. Evaluation: one test
    image per (test sets, net), scaled by the test sets' pixels, once per run and once per (task, test sets) for the
    degraded inputs a grid scores before the task's first run. A process computes each clean test image's
    reference side (fsim, vsi, nlpd, ssim, ms_ssim: :class:`~benchmark.fastiqa.RefCache`) once: its first
    evaluation of a test set is timed cold (an image the metrics have not seen), every later one warm, but for the
    share of the test pixels a metric's cache (256 MiB) cannot hold, computed again every time (cold); each of
    ``processes`` (local workers) pays the cold one, and with ``process_per_run`` (SLURM's one job per run) every run
    does. Times are kept in :class:`StepTimes`, so a second dry run measures nothing."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.metrics import MetricSet
    from benchmark.nets import build_net
    from benchmark.runner import DataCache, TestItem, evaluate, held_out_items
    from benchmark.task import build_task

    dev = torch.device(device)
    cache = cache or StepTimes()
    first_task = configs[0].task
    images: dict[int, list] = {}

    def imgs(crop):
        return images.setdefault(crop, training_images(crop))

    used: list[str] = []  # the keys of the times the step being estimated reads
    busy_keys: set[str] = set()  # those measured now under contention (StepTimes.get's rule: used once, not kept)

    def timed(key_parts, fn):
        used.append(k := StepTimes.key(dev, *key_parts))
        before = _CONTENDED[0]
        t = cache.get(k, fn)
        if _CONTENDED[0] != before:
            busy_keys.add(k)
        return t

    step_s: dict[tuple, float] = {}
    busy_s: set[tuple] = set()  # the steps any of whose times were measured now under contention: they read high
    compile_s: dict[tuple, float] = {}  # with --compile: each run's compilation (its first step over a step's), once

    def estimate(loss: str, task: str, net: str, batch: int, crop: int, compile: bool) -> float:
        key = (loss, task, net, batch, crop, compile)
        if key not in step_s:
            used.clear()
            points = []
            for b, cr in probe_shapes(batch, crop, dev):
                step, data, *first = timed((net, _timing_name(loss), first_task, b, cr, compile),
                                           lambda b=b, cr=cr: _time_step(loss, net, first_task, b, cr, dev, compile,
                                                                         imgs(cr)))
                points.append((b * cr * cr, max(step - data, 0.0)))
                compile_s[key] = max([compile_s.get(key, 0.0), *first[:1]])  # kept before it was timed: 0
            real_data = timed(("data", "-", task, batch, crop, False),
                              lambda: _time_data(task, batch, crop, dev, imgs(crop)))
            step_s[key] = scaled_compute(points, batch * crop**2) + real_data
            if busy_keys.intersection(used):
                busy_s.add(key)
            log.debug("step %s/%s: %.1f ms estimated", task, loss, 1e3 * step_s[key])
        return step_s[key]

    for c in configs:
        estimate(c.loss, c.task, c.net, c.batch_size, c.crop, c.compile)
    # ordering sanity: every step trains the net (forward + backward + Adam), which is all ℓ1 adds, so
    # no loss costs less than ℓ1 at the same shape; a weighted sum costs at least its dearest term
    for (loss, task, net, batch, crop, compile), t in list(step_s.items()):
        terms = [x.name for x in parse_loss_spec(loss)]
        floors = ["l1", *(dict.fromkeys(terms) if len(terms) > 1 else ())]
        # (time, the loss whose step it is): the step's own first, so a floor no dearer leaves it (and its mark) be
        best = max([(t, loss), *((estimate(x, task, net, batch, crop, compile), x) for x in floors)],
                   key=lambda p: p[0])
        key = (loss, task, net, batch, crop, compile)
        step_s[key] = best[0]
        if best[1] != loss:  # raised to a floor: that step's time, timed busy (marked in the table) as it was
            busy_s.discard(key)
            if (best[1], task, net, batch, crop, compile) in busy_s:
                busy_s.add(key)
    grid_keys = {(c.loss, c.task, c.net, c.batch_size, c.crop, c.compile) for c in configs}
    data, metrics = data if data is not None else DataCache(), metric_set
    eval_s: dict[tuple, float] = {}  # a warm evaluation (every reference side cached), seconds
    cold_s: dict[tuple, float] = {}  # the first of a process (none cached)
    for c in configs:
        shared = (c.test_data, c.net)
        if shared in eval_s:
            continue
        key = StepTimes.eval_key(dev, c.net, c.test_fingerprint or ",".join(map(str, c.test_data)), metric_names)
        both: dict[str, float] = {}

        def run(c=c, both=both) -> dict[str, float]:
            nonlocal metrics
            if both:  # timed by the first of the three keys: a busy machine's times are not kept for any of them
                _CONTENDED[0] += both["busy"]
                return both
            busy = _CONTENDED[0]
            metrics = metrics or MetricSet(metric_names, dev)
            items = held_out_items(build_task(c.task, **dict(c.task_params)), {s: data.images(s) for s in c.test_data})
            first = min(items, key=lambda it: it.clean.numel())
            scale = sum(it.clean[0, 0].numel() for it in items) / first.clean[0, 0].numel()
            net = build_net(c.net).to(dev)
            evaluate(net, [first], metrics, dev)  # warm-up: one-time costs; first's reference side now cached
            both["warm"] = _best_time(lambda: evaluate(net, [first], metrics, dev), dev, 1) * scale
            # the same size, other pixels: a reference side no metric has cached (as each image's first scoring)
            unseen = TestItem(first.dataset, first.image, first.clean.flip(-1), first.degraded.flip(-1))
            caches = _ref_caches(metrics)
            computed = [rc.computed for rc in caches]
            both["cold"] = _best_time(lambda: evaluate(net, [unseen], metrics, dev), dev, 1) * scale
            # a cache keeps the first images whose sides fit (of the test set's: scale × this one's bytes) and computes
            # the others' again at every evaluation: that share of the pixels is paid cold by every run
            both["spill"] = max([1 - rc.max_bytes / ((rc.computed - n) * scale) for rc, n in zip(caches, computed)
                                 if rc.computed > n] + [0.0])
            both["busy"] = int(_CONTENDED[0] != busy)
            return both

        warm = cache.get(key, lambda run=run: run()["warm"])
        cold_s[shared] = max(cache.get(key + "|cold", lambda run=run: run()["cold"]), warm)
        spill = cache.get(key + "|spill", lambda run=run: run()["spill"])
        eval_s[shared] = warm + spill * (cold_s[shared] - warm)
    cache.save()
    runs_eval = cold_s if process_per_run else eval_s
    trained = trained or {}
    per_run = {id(c): (max(0, c.iterations - trained.get(c, 0))
                       * step_s[(c.loss, c.task, c.net, c.batch_size, c.crop, c.compile)]
                       + compile_s.get((c.loss, c.task, c.net, c.batch_size, c.crop, c.compile), 0.0),
                       runs_eval[(c.test_data, c.net)]) for c in configs}
    by_task: dict[str, float] = {}
    by_family: dict[str, float] = {}
    for c in configs:
        tr, ev = per_run[id(c)]
        by_task[c.task] = by_task.get(c.task, 0.0) + tr + ev
        fam = loss_family(c.loss)
        by_family[fam] = by_family.get(fam, 0.0) + tr + ev
    # before a task's first run, the grid scores its degraded test inputs on every metric (the leaderboard's
    # `input` row, runner._score_input): one evaluation per (task, test sets), as long as a run's (no net, same
    # metrics) — left out, a one-run grid's evaluation was half its own
    inputs: dict[tuple, float] = {}
    for c in configs:
        if (c.task, c.task_params, c.test_data) not in inputs_scored:  # a resumed grid's: scored already
            inputs.setdefault((c.task, c.task_params, c.test_data), runs_eval[(c.test_data, c.net)])
    # a process's first evaluation of a test set computes every reference side: each process pays it once
    first_of: dict[tuple, str] = {}
    for c in configs:
        first_of.setdefault(c.test_data, c.task)
    n_proc = 0 if process_per_run else max(1, min(processes, len(configs)))
    for test, task in first_of.items():
        extra = n_proc * max(cold_s[(test, c.net)] - eval_s[(test, c.net)] for c in configs if c.test_data == test)
        inputs[(task, "first evaluation", test)] = extra
    for (task, _params, _test), s in inputs.items():
        by_task[task] = by_task.get(task, 0.0) + s
    train_s = sum(v[0] for v in per_run.values())
    eval_total = sum(v[1] for v in per_run.values()) + sum(inputs.values())
    ms, ms_busy = {}, {}
    for key, t in step_s.items():
        if key in grid_keys:
            ms.setdefault(key[0], {})[key[1]] = 1e3 * t
            if key in busy_s:
                ms_busy.setdefault(key[0], set()).add(key[1])
    return {"runs": len(configs), "seconds": train_s + eval_total, "train_s": train_s, "eval_s": eval_total,
            # the longest run alone (training and its evaluation): no number of workers finishes the grid sooner
            "longest_s": max((tr + ev for tr, ev in per_run.values()), default=0.0),
            "by_task": by_task, "by_family": by_family, "ms_per_step": ms, "measured": cache.measured,
            # {loss: {task}} of the cells of ms_per_step timed now while the machine was busy (the others kept from
            # an earlier dry run or timed now with the cores free): estimate_table_lines marks them
            "ms_busy": ms_busy,
            "compile_s": {loss: max(t for k, t in compile_s.items() if k[0] == loss and k in grid_keys)
                          for loss in {k[0] for k in compile_s if k in grid_keys and compile_s[k] > 0}},
            "busy": cache.busy, "reused": cache.reused, "cache": str(cache.path), "device": _machine(dev),
            "probes": sorted({p for c in configs for p in probe_shapes(c.batch_size, c.crop, dev)})}


def setup_header(device, *, net: str, batch: int, crop: int, reps: int, compile: bool = False,
                 task: str = "denoise") -> str:
    """One line saying what was measured where (device, threads, load, shapes, versions)."""
    import os

    dev = torch.device(device)
    if dev.type == "cuda":
        where = f"{torch.cuda.get_device_name(dev)}, bf16 autocast + fused Adam"
    else:
        where = f"{_cpu_model()}, {torch.get_num_threads()} threads, fp32 (no autocast)"
    try:
        load = " load avg " + "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = ""
    return (f"device={dev} ({where});{load}; the runner's step (task {task}: sampling, degradation, checks); "
            f"net={net} batch={batch}x3x{crop}x{crop} reps={reps} compile={compile} torch={torch.__version__}")


#: a machine whose load average over the last minute is this many times its cores runs other work that a grid started
#: now shares the cores with (:func:`busy_machine_line`): a dry run there (its own threads at most one core's worth
#: each) is not what lifts it so high
BUSY_LOAD = 2.0


def busy_machine_line(cores: int | None = None, load: float | None = None, timed_busy: int = 0) -> str | None:
    """A CPU dry run's line where this machine is busy now (``load``: its load average over the last minute,
    ``os.getloadavg``'s where None, at least :data:`BUSY_LOAD` × ``cores``): runs started now take longer than it
    says. Its step times were taken with the cores to themselves (kept before, or measured now with them free), or,
    ``timed_busy`` of them, measured now under that load (:meth:`StepTimes.get`: used once, not kept), each the
    fastest of its calls — the line says which (it said "timed with the cores free" of steps measured under a load of
    7 on 2 cores, whose runs then took 60× the estimate). ``cores``: the machine's (``os.cpu_count``) where None, the
    load average's own scale — a
    SLURM job's or a container's few cores (their affinity) on a node whose load is the whole node's read every
    shared node as busy. None where the machine is not busy or its load cannot be read, and where
    ``PLBENCH_MIN_CPU_SHARE`` is 0 (no timing judged busy: the test suite's, whose output must not depend on the
    machine's load)."""
    import os

    if _min_cpu_share() == 0:
        return None
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (OSError, AttributeError):  # not Unix
            return None
    cores = max(1, cores or os.cpu_count() or 1)
    if load < BUSY_LOAD * cores:
        return None
    timed = ("of steps timed with the cores free" if not timed_busy else
             f"{plural(timed_busy, 'step time')} of it measured now under that load, each the fastest of its calls")
    return (f"this machine is busy now (load average {load:.1f} over the last minute on {cores} "
            f"core{agree(cores, '', 's')}): runs started now share the cores with that work and take longer "
            f"than this estimate, {timed}; start the grid once `uptime` shows a load "
            f"under {BUSY_LOAD * cores:g}, or allow for it")


def measured_in_store(metas: list[dict], settings, kind: str,
                      machine: tuple | None = None) -> dict[tuple[str, str], tuple[float, int, bool]]:
    """``{(loss, task): (median ms/it, runs, busy)}`` of the store's runs (``metas``) trained with one of
    ``settings`` — (task, loss, net, batch size, crop, compile), the grid's — on ``kind``
    (:func:`benchmark.stats.device_kinds`: a CPU's model and thread count, a GPU's model): what a dry run's estimate
    of the same step can be checked against. A cell's runs are those the cost table's ms/it is of
    (:func:`benchmark.stats.counted_kinds`, one selection: finished runs, a run recording no device joining the
    cell's one kind, those timed in the steady state where any are, of those the ones timed with the cores free where
    any are — a run timed while other work held them reads several times high: an estimate checked against one read
    ×25 off); a cell whose runs were all timed before the steady state was (their wall figure, warm-up and saves in
    it) is left out: no check of a steady step's estimate. ``busy``: every run counted was timed busy.
    ``machine``: this machine's (device, device_name, threads), ``kind``'s, counted as one more run of its model, so a
    run recorded before meta.json named the CPU model (``x86_64``) joins it where the store names no other model at
    that thread count (a store of such runs alone matched nothing once the kind named the model)."""
    from benchmark.stats import counted_kinds, device_kinds, run_timing

    wanted = set(settings)
    runs = [(m.get("device"), m.get("device_name"), m.get("threads")) for m in metas] + ([machine] if machine else [])
    # as the cost table tells them (a run recorded before the CPU's model was: its machine's, this one's too)
    kinds = device_kinds(*zip(*runs))[:len(metas)] if runs else []
    timings, cells = [], []
    for m in metas:
        cfg = m.get("config") or {}
        key = (cfg.get("task"), cfg.get("loss"), cfg.get("net"), cfg.get("batch_size"), cfg.get("crop"),
               bool(cfg.get("compile")))
        timings.append(run_timing(m) if m.get("kind") != "input" else None)
        cells.append((key[1], key[0]) if key in wanted else None)
    picked: dict[tuple[str, str], list[tuple[float, bool, bool]]] = {}
    for t, c, k in zip(timings, cells, counted_kinds(timings, cells, kinds)):
        if k == kind:
            picked.setdefault(c, []).append(t)
    return {cell: (statistics.median(t[0] for t in ts), len(ts), all(t[1] for t in ts))
            for cell, ts in sorted(picked.items()) if all(t[2] for t in ts)}


def _loss_width(losses, least: int = 34) -> int:
    """The loss column's width in the dry run's tables and ``plbench perf``'s: ``least``, or the longest spec's — a
    spec is never cut (the standard profile's ``vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))``,
    config.FINDING_BASELINES, read as the default ``vgg(layers=('relu1_2', 'relu2_2',`` cut at 34)."""
    return max([least, *map(len, losses)])


def estimate_table_lines(estimated: dict[str, dict[str, float]], busy: dict | None = None) -> list[str]:
    """The dry run's table of estimated ms per step (``estimated``: {loss: {task: ms}}): a header, then a row per
    loss, cheapest first, each task's cell its ms or – where the loss does not run on it. ``busy``: {loss: tasks} of
    the cells timed now while the machine was busy (:func:`estimate_grid`'s ``ms_busy``), marked * and said in a line
    under the table — beside times kept from an earlier dry run with the cores free, such a cell read 2× its
    neighbour's for no reason a reader could see."""
    tasks = sorted({t for v in estimated.values() for t in v})
    width = _loss_width(estimated)
    busy = busy or {}

    def cell(loss: str, per: dict, t: str) -> str:
        if t not in per:
            return f"{'–':>10}"
        return f"{per[t]:9.1f}*" if t in busy.get(loss, ()) else f"{per[t]:10.1f}"

    marked = any(t in busy.get(loss, ()) for loss, per in estimated.items() for t in per)
    return ([f"  {'loss':<{width}}" + "".join(f"{t:>10}" for t in tasks)]
            + [f"  {loss:<{width}}" + "".join(cell(loss, per, t) for t in tasks)
               for loss, per in sorted(estimated.items(), key=lambda kv: min(kv[1].values()))]
            + (["  *: timed now while this machine was busy with other work (each the fastest of its calls, above a "
                "step with the cores free; not kept); the other cells were timed with the cores free, now or by an "
                "earlier dry run (steptimes.json)"] if marked else []))


def estimate_check_lines(estimated: dict[str, dict[str, float]], measured: dict, kind: str) -> list[str]:
    """The dry run's table setting its estimated ms per step (``estimated``: {loss: {task: ms}}) beside the measured
    ms/it of the store's runs of the same settings on ``kind`` (:func:`measured_in_store`): a heading, then a row per
    loss as the estimate's own table has, each task's cell the measured median, its ratio to the estimate (measured
    / estimated) and its runs (before, one line of every (task, loss): a wall on a big grid); none where the store
    holds none to compare."""
    cells: dict[str, dict[str, str]] = {}
    for (loss, task), (ms, n, busy_runs) in measured.items():
        if estimated.get(loss, {}).get(task):
            cells.setdefault(loss, {})[task] = (f"{ms:.1f} ×{ms / estimated[loss][task]:.1f} "
                                                f"({n}{' busy' if busy_runs else ''})")
    if not cells:
        return []
    tasks = sorted({t for v in cells.values() for t in v})
    order = sorted(cells, key=lambda loss: min(estimated[loss].values()))
    width = _loss_width(order)  # the rows as the estimate's own table has them (estimate_table_lines)
    # (the median is of the runs timed with the cores free where a cell has any: measured_in_store)
    return ([f"measured in the results directory on {kind}: median ms/it (× measured/estimated; runs, busy: under "
             "load):", f"  {'loss':<{width}}" + "".join(f"{t:>22}" for t in tasks)]
            + [f"  {loss:<{width}}" + "".join(f"{cells[loss].get(t, '–'):>22}" for t in tasks) for loss in order])

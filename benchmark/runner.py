"""Training one restoration net per (task, loss, seed), evaluating it, and running a grid.

Data flow of one run::

    train images ─crop─▶ clean batch ─task.degrade─▶ degraded ─net─▶ restored ─loss─▶ Adam step
    test images ─task.degrade (fixed per image)─▶ degraded ─net─▶ restored ─metrics─▶ result rows

Training is deterministic on the CPU for a given seed (crops and degradations come from one
seeded ``torch.Generator``); on CUDA it runs under bf16 autocast. A run checkpoints itself
(:mod:`benchmark.checkpoint`) and resumes to the same numbers after a crash; each run of a grid
is done under a per-run lock, so several processes can share one results directory.

Failure handling, per run: a non-finite loss or gradient stops the run as ``diverged`` (with the iteration), as do
non-finite weights after the last update;
CUDA out-of-memory is retried once at half the batch size, then recorded as ``failed``; any other
exception is recorded as ``failed`` with its message and where (``failed_in``, ``failed_at``: the training
iteration) and the grid goes on — so does a folder or file in the way inside the run's own folder
(:class:`~benchmark.results.InTheWay`), or that folder not writable while ``runs/`` is. Bad input
(:class:`UserError`) stops the grid; results already written are untouched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import os
import platform
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from benchmark import CODE_VERSION
from benchmark import metrics as _metrics  # MetricSet read when used, not bound here (a patch would outlive its test)
from benchmark.checkpoint import Checkpointer, CheckpointPolicy, checkpointer  # noqa: F401 - checkpointer re-exported
from benchmark.config import (
    RUN_DEFAULTS,
    RunConfig,
    check_crop,
    check_test_sides,
    code_version,
    resolve,
    run_id,
    setting,
    setting_json,
)
from benchmark.data import (  # noqa: F401 - DataCache and TEST_MULTIPLE re-exported
    MIN_IMAGE_SIDE,
    TEST_MULTIPLE,
    DataCache,
    DataSpec,
    ImageRecord,
    SourcePrecision,
    fingerprint,
    load_images,
    mod_crop,
    sample_batch,  # noqa: F401 - re-exported: benchmark.runner.sample_batch
    to_float,
    usable_for_crop,
)
from benchmark.devices import (  # noqa: F401 - resolve_device re-exported
    resolve_device,
    sched_times,
    usable_cores,
    waited_busy,
)
from benchmark.docmarkup import agree, plural
from benchmark.errors import (  # noqa: F401 - the out-of-memory names: runner's API, written in errors (torch-free)
    HOST_OOM_MESSAGES,
    OOM_MESSAGES,
    UserError,
    again,
    first_line,
    is_out_of_memory,
    oom_summary,
)
from benchmark.faults import crash_point
from benchmark.lossfn import build_loss
from benchmark.nets import build_net, count_params
from benchmark.progress import STALLED_EXIT, RunStalled, beat, stall_watch
from benchmark.results import (
    Damage,
    DeferredInterrupt,
    InTheWay,
    ResultsStore,
    _write_error,
    blocks,
    checkpoints,
    current_digests,
    disk_full,
    stale_lock_hint,
)
from benchmark.task import Task, build_task, image_generator

if TYPE_CHECKING:
    from benchmark.metrics import MetricSet

log = logging.getLogger(__name__)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("torch", "torchvision", "pyiqa", "lpips", "datasets", "numpy", "pandas"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


# --------------------------------------------------------------------------------------------
# data for a grid, loaded once
# --------------------------------------------------------------------------------------------
def resolve_all(configs: list[RunConfig], data: DataCache | None = None, device_type: str | None = None
                ) -> list[RunConfig]:
    """:func:`benchmark.config.resolve` for a list (one DataCache: each source decoded once)."""
    data = data if data is not None else DataCache()
    return [resolve(c, data, device_type) for c in configs]


# --------------------------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------------------------
@dataclass
class TrainResult:
    net: torch.nn.Module
    loss_fn: torch.nn.Module
    status: str
    iterations_done: int
    wall_s: float
    it_per_s: float
    final_loss: float
    curve: list[tuple[int, float]] = field(default_factory=list)
    peak_mem_mb: float | None = None
    diverged_at: int | None = None
    resumed_at: int | None = None  # iteration of the checkpoint this run resumed from
    resumed_train_s: float = 0.0   # seconds of training before that checkpoint (earlier attempts)
    threads_before: tuple[int, ...] = ()  # torch thread counts the iterations before the checkpoint ran on
    #: the largest peak of host memory (MiB) of the attempts before the checkpoint this run resumed from, as their
    #: process read it at each save (None: no earlier attempt, or its checkpoint kept none); ``peak_rss_own_before``:
    #: False where one of them could not reset its peak (the process's, maybe an earlier run's: ``peak_rss_of``)
    peak_rss_before: float | None = None
    peak_rss_own_before: bool = True
    #: steady-state ms per iteration of this attempt: the iterations after the first ``warmup_iterations``
    #: (cudnn autotuning, ``--compile``'s compilation, allocator growth), checkpoint saves left out; None
    #: when no iteration was left to time (the wall-clock ``it_per_s`` stands for it then)
    steady_ms_per_it: float | None = None
    warmup_iterations: int = 0
    warmup_s: float = 0.0       # seconds of those warm-up iterations
    checkpoint_s: float = 0.0   # seconds spent saving checkpoints (all of them)
    #: on the CPU, the cores this process had over this attempt's steady state (CPU seconds / wall seconds, every
    #: thread's); under :data:`benchmark.devices.MIN_CPU_SHARE` per torch thread (:func:`benchmark.devices.busy`) the
    #: machine was busy with other work and ms/it reads high
    cpu_share: float | None = None
    #: on the CPU, the cores its threads could run on at once (:func:`benchmark.devices.usable_cores`: affinity, a
    #: container's quota) over the same steady seconds as ``cpu_share``, each attempt's weighted by its seconds: what
    #: that share is judged against (the last attempt's alone judged a run idle on its first attempt's 1-core quota,
    #: resumed on 8, busy)
    cpu_cores: float | None = None
    #: on the CPU, of the seconds its threads were runnable over the same steady seconds, the share they had a core
    #: (the rest waiting on a run queue for one another process held: :func:`benchmark.devices.sched_times`), every
    #: attempt's; None where the scheduler's statistics could not be read over all of them. What a run is judged busy
    #: by where recorded (:func:`benchmark.devices.timed_busy`): threads idle for want of work — a many-core host's
    #: small step's — lower ``cpu_share`` per thread without any other work on the machine
    cpu_runnable_share: float | None = None
    #: a stop (SIGINT/SIGTERM, SLURM's USR2) came during the step that diverged, with ``train(defer_stop=True)``:
    #: the caller records the divergence, then raises KeyboardInterrupt
    stop_requested: bool = False
    #: the caching allocator's peak reserved (MiB), as ``peak_mem_mb`` is of the allocated: what a GPU's workers are
    #: sized by (:func:`benchmark.resources.check_fits` measures reserved bytes), often 1.2–2× the allocated
    peak_mem_reserved_mb: float | None = None


def cuda_determinism() -> None:
    """What a CUDA run guarantees (README, *Reproducibility*): deterministic kernels wherever PyTorch
    has one (``use_deterministic_algorithms``, warning once for an op without one, e.g. the
    antialiased bicubic backward of CONTRIQUE's resize; cuBLAS's fixed workspace is set on import,
    :mod:`benchmark`). ``cudnn.benchmark`` stays on for speed and chooses convolution algorithms by
    timing, so two processes may choose differently: same-seed CUDA runs agree to a tolerance that
    ``scripts/gpu_check.py`` measures, not bit for bit (the CPU path is bit-identical)."""
    torch.use_deterministic_algorithms(True, warn_only=True)


def _source_precision(precision, picked: list | None) -> dict:
    """``degrade``'s ``eight_bit=`` of a batch of crops of ``picked`` images (:class:`SourcePrecision`), or none."""
    return {} if precision is None else {"eight_bit": precision.of(picked)}


class HostPrefetch:
    """Batches of a host-side degradation (``Task.host_only``: libjpeg) made one step ahead.

    On the GPU step a host codec would stall the device every iteration (device → host copy,
    codec, copy back). Here a thread crops the clean batch from the host images with the run's
    CPU generator (:func:`sample_batch`, as the CPU path does), degrades it, pins both and hands
    them over with non-blocking copies, while the device trains on the previous batch. Each
    prepared batch carries the generator state it started from: :meth:`rewind` (called before a
    checkpoint is saved) drops the batch made ahead and puts the generator back, so a resumed run
    draws exactly what an uninterrupted one does.
    """

    def __init__(self, images, task: Task, cfg: RunConfig, generator: torch.Generator, device: torch.device):
        from concurrent.futures import ThreadPoolExecutor

        self.images, self.task, self.cfg, self.gen, self.device = images, task, cfg, generator, device
        self.precision = SourcePrecision(images) if task.reads_source_precision else None
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="plbench-prefetch")
        self.pending = None

    def _make(self):
        state = self.gen.get_state()
        picked = [] if self.precision is not None else None
        clean = sample_batch(self.images, self.cfg.batch_size, self.cfg.crop, self.task.size_multiple, self.gen,
                             picked)
        degraded = self.task.degrade(clean, self.gen, **_source_precision(self.precision, picked))
        if self.device.type == "cuda":
            clean, degraded = clean.pin_memory(), degraded.pin_memory()
        return state, clean, degraded

    def get(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(clean, degraded) on the device for this step; the next step's starts in the thread."""
        fut = self.pending or self.pool.submit(self._make)
        _, clean, degraded = fut.result()
        self.pending = self.pool.submit(self._make)
        mf = torch.channels_last if self.device.type == "cuda" else torch.contiguous_format
        return (clean.to(self.device, non_blocking=True).contiguous(memory_format=mf),
                degraded.to(self.device, non_blocking=True).contiguous(memory_format=mf))

    def rewind(self) -> None:
        """Forget the batch made ahead and restore the generator to where it began."""
        if self.pending is not None:
            state, _, _ = self.pending.result()
            self.gen.set_state(state)
            self.pending = None

    def close(self) -> None:
        self.rewind()
        self.pool.shutdown(wait=True)

    def shutdown(self) -> None:
        """End the thread on a run's way out by an error or a stop: the batch made ahead dropped, whatever it raised
        (the generator is no longer needed), the thread joined once the batch it makes is done."""
        self.pending = None
        self.pool.shutdown(wait=True, cancel_futures=True)


class TrainStep:
    """One training iteration of a run — what :func:`train` repeats and what ``perf`` and
    ``--dry-run`` time: sample a batch, degrade it, net, loss, finiteness check, backward, Adam,
    scheduler, and the loss's own ``train_step``.

    On the CPU a batch is cropped from the decoded images by :func:`sample_batch` and the loss is
    checked every iteration (a host check costs nothing there); results are bit-identical for a seed.
    On a GPU the step is built not to wait on the host: training images live on the device as
    uint8 (:class:`~benchmark.sampler.DeviceSampler`), crops, flips, rotations and noise are drawn
    there from a seeded CUDA generator, constants are cached on the device, ``cudnn.benchmark`` is
    on, and a non-finite loss or gradient is caught by a device-side flag that records its first iteration and
    is read every ``check_every`` iterations (:meth:`check`), not by a sync per step.
    ``cfg.compile`` runs the net and every frozen backbone of the loss through ``torch.compile``.
    """

    def __init__(self, cfg: RunConfig, task: Task, images: list[ImageRecord], device: torch.device,
                 check_every: int = 50, device_path: bool | None = None, autocast_bf16: bool | None = None):
        from benchmark.sampler import DeviceSampler

        if device.type != cfg.device_type:
            raise UserError(f"run planned for {cfg.device_type} but this process trains on {device.type}; "
                            "pass --device to match")
        torch.manual_seed(cfg.seed)
        if device.type == "cuda":
            cuda_determinism()
        self.cfg, self.task, self.images, self.device = cfg, task, images, device
        # the GPU step (see the class docstring); ``device_path=True`` runs it on the CPU too, for tests
        self.fast = device.type == "cuda" if device_path is None else bool(device_path)
        self.check_every = max(1, int(check_every))
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.dgen = torch.Generator(device=device).manual_seed(cfg.seed) if self.fast else None
        # a host-side degradation on the GPU step: batches made one step ahead in a thread
        self.prefetch = HostPrefetch(images, task, cfg, self.gen, device) if self.fast and task.host_only else None
        self.sampler = DeviceSampler.shared(images, device) if self.fast and self.prefetch is None else None
        # the CPU's crops at the images' precision: each image an 8-bit source or not, of the whole image (the GPU
        # sampler's crops are 8-bit, each read as such)
        self.precision = SourcePrecision(images) if task.reads_source_precision and self.sampler is None else None
        net = build_net(cfg.net).to(device)
        if self.fast:
            net = net.to(memory_format=torch.channels_last)
        self.net = net
        self.loss_fn = build_loss(cfg.loss, seed=cfg.seed, device=device, weights=cfg.backbone_weights)
        self.needs_degraded = "degraded" in self.loss_fn.needs_all
        # fused Adam on the GPU step (also on the CPU's device path, so the CPU suite runs it)
        self.opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, fused=self.fast)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=cfg.iterations,
                                                                eta_min=cfg.lr * 0.01)
        self.step_net = net
        if cfg.compile:  # same parameters: checkpoints and net.pt are unchanged
            from benchmark.backbones import compile_backbones, compile_fn

            self.step_net = compile_fn(net)
            compile_backbones(self.loss_fn)
        # bf16 autocast as the setting says (CUDA); ``autocast_bf16=True`` forces it on the CPU, for tests
        bf16 = cfg.precision == "bf16" if autocast_bf16 is None else autocast_bf16
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else _null()
        self.first_bad = torch.zeros((), dtype=torch.long, device=device) if self.fast else None
        self.diverged_at: int | None = None

    def state(self) -> dict:
        """What a checkpoint saves and restores (:class:`~benchmark.checkpoint.Checkpointer`)."""
        return dict(net=self.net, opt=self.opt, sched=self.sched, loss_fn=self.loss_fn, gen=self.gen,
                    device=self.device, dgen=self.dgen)

    def batch(self, picked: list | None = None) -> torch.Tensor:
        """A clean training batch (B, 3, crop, crop) in [0, 1] on the device (``picked``: :func:`sample_batch`'s, on
        the CPU's crops)."""
        cfg = self.cfg
        if self.fast and self.sampler is not None:
            return self.sampler.sample(cfg.batch_size, cfg.crop, self.task.size_multiple, self.dgen).contiguous(
                memory_format=torch.channels_last)
        return sample_batch(self.images, cfg.batch_size, cfg.crop, self.task.size_multiple, self.gen, picked)

    def __call__(self, it: int) -> torch.Tensor | None:
        """Iteration ``it``: the (detached) loss, or None when the CPU check found it, or the net's gradient,
        non-finite (nothing is stepped then; :attr:`diverged_at` is set)."""
        if self.prefetch is not None:
            clean, degraded = self.prefetch.get()
        else:
            picked = [] if self.precision is not None else None
            clean = self.batch(picked)
            degraded = self.task.degrade(clean, self.dgen if self.fast else self.gen,
                                         **_source_precision(self.precision, picked))
        extra = {"degraded": degraded} if self.needs_degraded else {}
        with self.autocast:
            pred = self.step_net(degraded)
            loss = self.loss_fn(pred, clean, **extra)
        if not self.fast and not torch.isfinite(loss):
            self.diverged_at = it
            return None
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        # a finite loss can still have a non-finite gradient (a masked sqrt's branch under torch.where): its update
        # leaves the weights NaN, which only the next iteration's loss showed (diverged one iteration late)
        finite = _finite_grads(self.net)
        if self.fast:  # no host sync: remember the first non-finite iteration on the device
            bad = ~torch.isfinite(loss.detach()) if finite is None else ~(torch.isfinite(loss.detach()) & finite)
            self.first_bad = torch.where((self.first_bad == 0) & bad, it, self.first_bad)
        elif finite is not None and not finite:
            self.diverged_at = it  # not stepped: nothing of this iteration reaches the weights
            return None
        self.opt.step()
        self.sched.step()
        if hasattr(self.loss_fn, "train_step"):
            with self.autocast:
                self.loss_fn.train_step(pred.detach(), clean, **extra)
        return loss.detach()

    def check(self) -> int | None:
        """The first non-finite iteration so far, or None (on a GPU: one host sync)."""
        if self.fast and self.diverged_at is None:
            first = int(self.first_bad)
            self.diverged_at = first or None
        return self.diverged_at

    def due(self, it: int) -> bool:
        """Is iteration ``it`` one where a GPU step reads its device-side checks?"""
        return self.fast and (it % self.check_every == 0 or it == self.cfg.iterations)


def train(cfg: RunConfig, task: Task, images: list[ImageRecord], device: torch.device,
          progress: bool = False, checkpoint: Checkpointer | None = None, check_every: int = 50,
          device_path: bool | None = None, curves=None, defer_stop: bool = False, rss_own: bool = True) -> TrainResult:
    """Train one net on random crops (:class:`TrainStep`). Stops and reports ``diverged``, with the
    first iteration whose loss or gradient was non-finite, when either goes non-finite.

    With a :class:`Checkpointer` the run starts from its checkpoint when there is one, saves one
    under its policy and once more at the end (so a crash during evaluation costs no training).
    SIGINT/SIGTERM are honoured between iterations, after saving a checkpoint. ``curves``
    (:class:`~benchmark.loggers.CurveLog`) receives the loss and learning rate as the run trains.
    A stop that comes during the step whose loss goes non-finite raises KeyboardInterrupt on return, the
    divergence unrecorded; with ``defer_stop`` the diverged result is returned with ``stop_requested`` set
    instead, for the caller to record it first (a SLURM job requeued on USR2 trained it again otherwise).
    Each checkpoint keeps the peak memory so far (host: :func:`benchmark.resources.peak_rss_mb`, since the caller's
    reset, ``rss_own`` False where that reset did not take; GPU: the allocator's), the largest of every attempt's, so a
    resumed run's peak is its whole run's (:func:`peak_rss_fields`), not its last attempt's.
    """
    if cfg.compile:  # each compiled run starts from empty caches (benchmark.backbones.fresh_compile_caches)
        from benchmark.backbones import fresh_compile_caches

        fresh_compile_caches()
    step = TrainStep(cfg, task, images, device, check_every, device_path)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    state = step.state()
    start, prior = checkpoint.restore(**state) if checkpoint else (0, {})
    curve = [tuple(p) for p in prior.get("curve", [])]
    # CPU numbers depend on the thread count (reductions are split per thread): a run resumed on another
    # count is not what an uninterrupted run on either gives, so the counts used travel with the checkpoint
    threads_before = tuple(sorted({int(t) for t in prior.get("threads", [])}))
    threads = torch.get_num_threads()
    # the peak memory of the attempts before (an attempt killed for memory held more than its resume may)
    rss_before, rss_own_before = _prior_rss(prior)
    mem_before = prior.get("peak_mem_mb") if isinstance(prior.get("peak_mem_mb"), (int, float)) else None
    reserved_before = _number(prior.get("peak_mem_reserved_mb"))
    if device.type == "cpu" and threads_before and threads_before != (threads,):
        log.warning("%s/%s seed %d: resumed on %d threads after training on %s: its numbers are not bit-identical "
                    "to an uninterrupted run on either (recorded in meta.json as threads_before_resume)",
                    cfg.task, cfg.loss, cfg.seed, threads, ", ".join(map(str, threads_before)))
    # curve points not yet read from the device: (iteration, mean loss since the last point, lr, last loss)
    pending: list[tuple[int, torch.Tensor, float, torch.Tensor]] = []
    if curves is not None:
        curves.begin(start)
    loss_val, train_s = prior.get("loss_val", float("nan")), prior.get("train_s", 0.0)
    every = max(1, cfg.iterations // 50)
    # each curve point is the mean loss over the iterations since the previous point (not one batch's
    # loss): √every × less batch noise for the plateau statistic (benchmark.convergence), same cost
    acc = prior.get("acc")
    acc_sum = torch.tensor(acc[0] if acc else 0.0, dtype=torch.float64, device=device)
    acc_n = int(acc[1]) if acc else 0
    bar = _progress(cfg.iterations, f"{cfg.task}/{cfg.loss}/s{cfg.seed}", progress, initial=start)
    # steady-state timing (TrainResult.steady_ms_per_it): from the end of the warm-up iterations to the end of
    # training, less the checkpoint saves in between; a resumed run adds the steady seconds and iterations its
    # earlier attempts timed (kept in the checkpoint) and skips its own warm-up as a fresh run does — a fresh
    # process's first steps are cold again — timing none where none is left after it (before, one iteration left
    # was timed with no warm-up: the restart's cold step stood as the run's ms/it)
    # those times were taken on the kind of device the checkpoint names (``steady_on``: a GPU's model, a CPU's thread
    # count): resumed on another (a requeued job on another GPU model, a CPU checkpoint of several counts), they are
    # no measure of this one's step, and meta.json names this one — the run is timed afresh
    from benchmark.stats import timed_kind

    steady_on = timed_kind(device, threads)
    same_kind = prior.get("steady_on", steady_on) == steady_on
    steady_before = [float(x) for x in prior.get("steady", (0.0, 0))] if same_kind else [0.0, 0]
    # the process's CPU and wall seconds over those steady iterations: the share of the cores the run's ms/it was timed
    # with is of every attempt's, as its ms/it is (a busy attempt resumed idle passed as timed idle)
    # and the cores its threads could run on over those seconds (× seconds: each attempt's quota weighted by its time;
    # a checkpoint of before it was kept counts its seconds at this attempt's cores)
    cores_now = usable_cores() if device.type == "cpu" else 0.0
    cpu_before = [float(x) for x in prior.get("steady_cpu", (0.0, 0.0))][:3] if same_kind else [0.0, 0.0]
    if len(cpu_before) < 3:
        cpu_before = [*cpu_before[:2], cpu_before[1] * cores_now]
    # its threads' seconds on a core and waiting for one over those steady iterations (every attempt's; None where an
    # attempt's could not be read, or one before they were kept timed steady seconds: no judgment of the whole run)
    sched_before = [float(x) for x in prior["steady_sched"]][:2] if same_kind and "steady_sched" in prior \
        else ([0.0, 0.0] if cpu_before[1] == 0 else None)
    warm = max(0, min(WARMUP_ITERATIONS, cfg.iterations - start - (0 if steady_before[1] > 0 else 1)))
    ckpt_s, ckpt_after_warm, loss = 0.0, 0.0, None
    t0 = time.perf_counter()
    t_warm = t0 if warm == 0 else None
    c_warm = time.process_time()  # the process's CPU seconds at t_warm: its share of the cores while timed
    s_warm = sched_times() if device.type == "cpu" else None  # its threads' scheduler statistics at t_warm

    def flush() -> None:
        nonlocal loss_val
        if pending:
            values = torch.stack([v for _, v, _, _ in pending]).float().tolist()
            curve.extend((i, v) for (i, _, _, _), v in zip(pending, values))
            if curves is not None:
                for (i, _, lr, _), v in zip(pending, values):
                    curves.log(i, {"loss": v, "lr": lr})
            loss_val = float(pending[-1][3].float())  # the last iteration's loss, as before
            pending.clear()

    def save(at: int) -> None:
        nonlocal ckpt_s, ckpt_after_warm
        ts = time.perf_counter()
        _save(at)
        beat()  # a checkpoint on a slow disk is progress too
        spent = time.perf_counter() - ts
        ckpt_s += spent
        ckpt_after_warm += spent if t_warm is not None else 0.0

    def steady_so_far(at: int) -> list:
        """[seconds, iterations] of steady-state training up to iteration ``at``, earlier attempts' included."""
        if t_warm is None or at <= start + warm:
            return list(steady_before)
        return [steady_before[0] + time.perf_counter() - t_warm - ckpt_after_warm,
                steady_before[1] + at - start - warm]

    def cpu_so_far() -> list:
        """[CPU seconds, wall seconds, usable cores × wall seconds] of the process over the steady iterations so far,
        earlier attempts' included."""
        if t_warm is None:
            return list(cpu_before)
        wall = time.perf_counter() - t_warm
        return [cpu_before[0] + time.process_time() - c_warm, cpu_before[1] + wall, cpu_before[2] + wall * cores_now]

    def sched_so_far() -> list | None:
        """[seconds on a core, seconds waiting for one] of the process's threads over the steady iterations so far,
        earlier attempts' included; None where unread."""
        if t_warm is None or sched_before is None:
            return None if sched_before is None else list(sched_before)
        now = sched_times() if s_warm is not None else None
        return None if now is None else [sched_before[0] + now[0] - s_warm[0], sched_before[1] + now[1] - s_warm[1]]

    def peaks() -> dict:
        """The peak memory of this run so far, every attempt's: what a checkpoint keeps."""
        from benchmark import resources  # the module's attribute: tests stand in for the reading

        out = {"peak_rss_own": rss_own and rss_own_before}
        if (rss := _largest(rss_before, resources.peak_rss_mb())) is not None:
            out["peak_rss_mb"] = rss
        if device.type == "cuda":
            out["peak_mem_mb"] = _largest(mem_before, torch.cuda.max_memory_allocated(device) / 2**20)
            out["peak_mem_reserved_mb"] = _largest(reserved_before, torch.cuda.max_memory_reserved(device) / 2**20)
        return out

    def _save(at: int) -> None:
        flush()
        if step.prefetch is not None:  # the generator as it was before the batch made ahead
            step.prefetch.rewind()
        checkpoint.save(at, **state, progress={"curve": [list(p) for p in curve], "loss_val": loss_val,
                                               "train_s": train_s + time.perf_counter() - t0,
                                               "steady": steady_so_far(at), "steady_on": steady_on,
                                               "steady_cpu": cpu_so_far(),
                                               **({"steady_sched": ss} if (ss := sched_so_far()) is not None else {}),
                                               "acc": [float(acc_sum), acc_n],
                                               "threads": sorted({*threads_before, threads}), **peaks()})

    it = start
    cudnn = torch.backends.cudnn.flags(enabled=True, benchmark=True) if device.type == "cuda" else _null()
    with DeferredInterrupt() as interrupt, cudnn, _failing_at(lambda: it), _ended_on_error(bar, step.prefetch):
        for it in range(start + 1, cfg.iterations + 1):
            loss = step(it)
            if loss is None:
                break
            acc_sum = acc_sum + loss.double()
            acc_n += 1
            if it % every == 0 or it == cfg.iterations:
                pending.append((it, acc_sum / acc_n, step.sched.get_last_lr()[0], loss))
                acc_sum, acc_n = torch.zeros((), dtype=torch.float64, device=device), 0
                if not step.fast:
                    flush()
            bar.update(1)
            crash_point("iteration")
            beat()
            must_save = checkpoint and (interrupt.requested or (it < cfg.iterations and checkpoint.due(it)))
            # a stop reads the device's divergence flag too, checkpoint or not: a divergence not yet read back
            # would go unrecorded (the run trained again only to diverge again)
            if (step.due(it) or must_save or interrupt.requested) and step.check() is not None:
                break
            if step.due(it):  # the device path syncs here anyway: the pending curve points go out live
                flush()
            if must_save:
                save(it)
            if interrupt.requested:
                log.warning("stopped at iteration %d of %s/%s seed %d%s", it, cfg.task, cfg.loss, cfg.seed,
                            "; the checkpoint resumes it" if checkpoint else "")
                raise KeyboardInterrupt
            if it == start + warm:
                _sync(device)
                t_warm, c_warm = time.perf_counter(), time.process_time()
                s_warm = sched_times() if device.type == "cpu" else None
        diverged_at = step.check()
        if diverged_at is None and not _finite_state(step.net):
            # the loss is checked before each update, so the last update's NaN/inf weights (a NaN gradient of a
            # finite loss) had no later loss to show them: a net all NaN was recorded as trained. Also checked when
            # no iteration was left (a checkpoint taken at the last one, resumed): its net was never checked
            diverged_at = it
        _sync(device)
        t_end = time.perf_counter()
        cpu_s, wall_s, core_s = cpu_so_far()
        share = cpu_s / wall_s if device.type == "cpu" and wall_s > 0 else None
        sched = sched_so_far() if share is not None else None
        # judged only where the statistics account for the timing (waited_busy: runnable half its wall time or more)
        runnable = (sched[0] / (sched[0] + sched[1]) if sched is not None
                    and waited_busy(sched[0], sched[1], wall_s) is not None else None)
        cores = core_s / wall_s if share is not None and core_s > 0 else (cores_now if share is not None else None)
        timed = it - start - warm - (1 if loss is None else 0)  # a step stopped at its non-finite loss is not timed
        spent = (t_end - t_warm - ckpt_after_warm) if t_warm is not None and timed > 0 else 0.0
        timed = max(timed, 0) if t_warm is not None else 0
        steady = (1000 * (steady_before[0] + spent) / (steady_before[1] + timed)
                  if steady_before[1] + timed > 0 else None)
        if diverged_at is not None:
            log.warning("%s/%s seed %d diverged at iteration %d", cfg.task, cfg.loss, cfg.seed, diverged_at)
            curve = [p for p in curve if p[0] < diverged_at]
            pending[:] = [p for p in pending if p[0] < diverged_at]
        # the run's outcome is known: stopping now would leave it unrecorded, to be trained again on resume
        stop_requested = defer_stop and diverged_at is not None and interrupt.hand_over()
        flush()
        if checkpoint and diverged_at is None and it > start:
            save(it)  # training is done: a crash during evaluation must not cost it again
    bar.close()
    if step.prefetch is not None:
        step.prefetch.close()
    wall = train_s + time.perf_counter() - t0
    peak = _largest(mem_before, torch.cuda.max_memory_allocated(device) / 2**20) if device.type == "cuda" else None
    reserved = (_largest(reserved_before, torch.cuda.max_memory_reserved(device) / 2**20) if device.type == "cuda"
                else None)
    status = "ok" if diverged_at is None else "diverged"
    done = it if diverged_at is None else diverged_at - 1
    return TrainResult(step.net, step.loss_fn, status, done, wall, done / max(wall, 1e-9), loss_val, curve, peak,
                       diverged_at, resumed_at=start or None, resumed_train_s=train_s, threads_before=threads_before,
                       steady_ms_per_it=steady, warmup_iterations=warm if steady is not None else 0,
                       warmup_s=(t_warm - t0) if steady is not None else 0.0, checkpoint_s=ckpt_s,
                       stop_requested=stop_requested, cpu_share=share, cpu_cores=cores, cpu_runnable_share=runnable,
                       peak_rss_before=rss_before,
                       peak_rss_own_before=rss_own_before, peak_mem_reserved_mb=reserved)


def _number(value) -> float | None:
    """``value`` where it is a number (a checkpoint's or meta.json's field), else None (missing: an older one)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _largest(*values: float | None) -> float | None:
    """The largest of ``values`` that are numbers; None where none is."""
    return max((float(v) for v in values if v is not None), default=None)


def _prior_rss(progress: dict) -> tuple[float | None, bool]:
    """The host memory peak a checkpoint's ``progress`` keeps of the attempts before (None: none kept), and whether
    each of them was its own (``peak_rss_own``)."""
    rss = progress.get("peak_rss_mb")
    return (rss if isinstance(rss, (int, float)) else None), bool(progress.get("peak_rss_own", True))


def peak_rss_fields(result: TrainResult | None, own_peak: bool, before: dict | None = None,
                    device: torch.device | None = None) -> dict:
    """meta.json's ``peak_rss_mb``: the run's peak of host memory, the largest of this attempt's (read now:
    :func:`benchmark.resources.peak_rss_mb`, since the run's reset) and its earlier attempts' (``result``'s, kept
    in the checkpoint it resumed from; None: a run that failed before training returned), and ``peak_rss_of:
    process`` where one of them could not be reset (``own_peak`` False: this attempt's): the process's peak, maybe an
    earlier run's (left out of the cost table). ``{}`` where no peak can be read. ``before``: where ``result`` is None,
    the progress of the run's checkpoint (:meth:`benchmark.checkpoint.Checkpointer.progress`), whose peak is the
    earlier attempts' (a resume that failed in training recorded its own 300 MB where one before it held 900).
    On a GPU (``device``) also ``peak_mem_mb``, the allocator's peak read now, since the run's reset: its scoring's
    too where it was scored (read at the end of training alone, a test set's whole images through the net were left
    out), a failed run's the peak it reached (none was recorded), the largest of its attempts' as the host's."""
    from benchmark import resources

    rss_before, own_before = (result.peak_rss_before, result.peak_rss_own_before) if result is not None else \
        _prior_rss(before or {})
    out = {}
    if device is not None and device.type == "cuda":
        mem_before = result.peak_mem_mb if result is not None else (before or {}).get("peak_mem_mb")
        mem_before = mem_before if isinstance(mem_before, (int, float)) else None
        out["peak_mem_mb"] = _largest(mem_before, torch.cuda.max_memory_allocated(device) / 2**20)
        reserved_before = result.peak_mem_reserved_mb if result is not None else (before or {}).get(
            "peak_mem_reserved_mb")
        out["peak_mem_reserved_mb"] = _largest(_number(reserved_before),
                                               torch.cuda.max_memory_reserved(device) / 2**20)
    peak = _largest(resources.peak_rss_mb(), rss_before)
    if peak is None:
        return out
    own = own_peak and own_before
    return {"peak_rss_mb": peak, **({} if own else {"peak_rss_of": "process"}), **out}


def _finite_grads(net: torch.nn.Module) -> torch.Tensor | None:
    """Are all of the net's gradients finite? A bool tensor on the net's device (no host sync), None when no weight
    has a gradient. The largest |gradient| of each weight is NaN or inf exactly when one of its entries is (a 2-norm
    could overflow): one fused kernel on a GPU."""
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    return torch.isfinite(torch.stack(torch._foreach_norm(grads, float("inf")))).all() if grads else None


def _finite_state(net: torch.nn.Module) -> bool:
    """Are all of the net's floating-point weights and buffers finite? (One host sync on a GPU.)"""
    flags = [torch.isfinite(t).all() for t in net.state_dict().values() if torch.is_floating_point(t)]
    return bool(torch.stack(flags).all()) if flags else True


@contextlib.contextmanager
def _failing_at(iteration):
    """An exception raised in the block carries ``plbench_iteration`` (``iteration()``: the training iteration it
    was raised in), for the failed run's record (:func:`_run_one`)."""
    try:
        yield
    except Exception as exc:
        with contextlib.suppress(AttributeError, TypeError):
            exc.plbench_iteration = int(iteration())
        raise


#: iterations of each training attempt left out of its recorded ms/it (the first call's cudnn autotuning,
#: ``--compile``'s compilation, the allocator's growth): fewer when a run has fewer iterations to time
WARMUP_ITERATIONS = 3


def _sync(device: torch.device) -> None:
    """Wait for the device's queued work (a GPU step returns before it has run), so a clock reads it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


@contextlib.contextmanager
def _ended_on_error(bar, prefetch: HostPrefetch | None):
    """A run that raised (a loss's bug, out of memory: trained again at half the batch) or was stopped (Ctrl-C,
    SIGTERM) ends its bar and its prefetch thread, a batch made ahead pinned in it: left, a worker carried one thread
    more per such run through its grid, alive at the interpreter's exit. The way out by its end closes them itself."""
    try:
        yield
    except BaseException:
        bar.close()
        if prefetch is not None:
            prefetch.shutdown()
        raise


def _progress(total: int, desc: str, enabled: bool, initial: int = 0):
    from tqdm import tqdm

    # position 1: below the grid's overall bar (benchmark.progress)
    return tqdm(total=total, desc=desc, leave=False, disable=not enabled, dynamic_ncols=True, initial=initial,
                position=1)


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestItem:
    dataset: str
    image: str
    clean: torch.Tensor     # (1, 3, H, W) float in [0, 1]
    degraded: torch.Tensor  # (1, 3, H, W) float in [0, 1], fixed per (task, image)


def held_out_items(task: Task, test_sets: dict[DataSpec, list[ImageRecord]]) -> list[TestItem]:
    """Degrade every test image once, with a generator fixed by (task, image): identical inputs for every loss
    and seed. The image is its pixels (and which copy of them in its source), not its source's name or path,
    nor the task's parameters (:func:`benchmark.task.image_generator`). Images are cut to multiples of the
    task's :attr:`~benchmark.task.Task.test_multiple` — :data:`TEST_MULTIPLE`, or its least common multiple with
    the task's size multiple where that does not divide it (×3 super-resolution: 24), or the scale alone with
    ``sr4.modcrop=true`` — and an image smaller than that multiple, or larger than the task's
    ``max_side`` (JPEG's 65 500 px), is left out with a warning; so is an image under :data:`MIN_IMAGE_SIDE` (tested
    on whole with ``modcrop=true``) cut below the task's :meth:`~benchmark.task.Task.min_test_side` (deblur's kernel
    reach; planning refuses a larger one)."""
    from collections import Counter

    from benchmark.data import dataset_names, image_hash, on_8bit_source

    multiple = task.test_multiple
    items, names = [], dataset_names(test_sets)  # a/Set5 and b/Set5 stay two data sets
    for spec, records in test_sets.items():
        copies: Counter = Counter()  # an image repeated in a source: each copy its own draw
        for rec in records:
            # the draw's key is the image itself (its pixels, and which copy of them), never the source's name
            # or path: adding a test set, or moving a folder, re-draws nothing (benchmark.task.image_generator)
            digest = image_hash(rec.pixels)
            key, copies[digest] = f"{digest}#{copies[digest]}", copies[digest] + 1
            h, w = rec.size
            if min(h, w) < multiple:
                log.warning("test image %s/%s (%d×%d) is smaller than %d px, the multiple task %s needs: left out",
                            names[spec], rec.image_id, w, h, multiple, task.name)
                continue
            if min(h, w) < MIN_IMAGE_SIDE and min(h - h % multiple, w - w % multiple) < task.min_test_side()[0]:
                log.warning("test image %s/%s (%d×%d) is smaller than %d px, the least task %s takes (%s): left out",
                            names[spec], rec.image_id, w, h, task.min_test_side()[0], task.name,
                            task.min_test_side()[1])
                continue
            clean = to_float(mod_crop(rec.pixels, multiple))[None]
            if task.max_side is not None and max(clean.shape[-2:]) > task.max_side:
                log.warning("test image %s/%s (%d×%d) is larger than %d px on a side, the most task %s takes: left out",
                            names[spec], rec.image_id, w, h, task.max_side, task.name)
                continue
            # an 8-bit source or not, of the whole image (not its cut: a 16-bit photo's on 8-bit levels but a row)
            extra = {"eight_bit": torch.tensor([on_8bit_source(rec.pixels)])} if task.reads_source_precision else {}
            degraded = task.degrade(clean, image_generator(task, key), **extra)
            _check_degraded(task, clean, degraded)
            items.append(TestItem(names[spec], rec.image_id, clean, degraded))
    if not items and any(test_sets.values()):
        if (need := task.min_test_side())[0] > multiple and all(min(r.size) < MIN_IMAGE_SIDE for rs in
                                                                test_sets.values() for r in rs):
            raise UserError(f"no test image is at least {need[0]} px on each side, as task {task.name} needs "
                            f"({need[1]}): every one is under {MIN_IMAGE_SIDE} px ({', '.join(map(str, test_sets))})")
        most = f" and at most {task.max_side} px" if task.max_side is not None else ""
        raise UserError(f"no test image is at least {multiple}{most} px on each side, as task {task.name} needs "
                        f"({', '.join(str(s) for s in test_sets)})")
    return items


def _check_degraded(task: Task, clean: torch.Tensor, degraded: torch.Tensor) -> None:
    """A task's ``degrade`` must keep the clean image's shape (the net maps one to the other and is scored
    against it) and give finite values: a :class:`UserError` naming the task otherwise, before any run
    trains (a plugin's mistake was found inside pyiqa, after training, as an internal error)."""
    if tuple(degraded.shape) != tuple(clean.shape):
        raise UserError(f"task {task.name!r}: degrade returned shape {tuple(degraded.shape)} for a clean "
                        f"{tuple(clean.shape)} batch; it must return the clean shape (upsample a low-resolution "
                        "input back to it, as sr4 does)")
    if not bool(torch.isfinite(degraded).all()):
        raise UserError(f"task {task.name!r}: degrade returned values that are not finite (NaN or inf) for a clean "
                        f"{tuple(clean.shape)} batch in [0, 1]")


@torch.no_grad()
def evaluate(net: torch.nn.Module | None, items: list[TestItem], metrics: MetricSet,
             device: torch.device) -> list[tuple[TestItem, dict[str, float]]]:
    """Score net(degraded) (or the degraded input itself when ``net`` is None) per image, fp32.
    Either is clamped to [0, 1] before scoring: the input baseline is scored as the nets' outputs are
    (an input outside [0, 1], ``denoise clip=False``, is what pyiqa's metrics refuse)."""
    out = []
    if net is not None:
        net.eval()
    for item in items:
        x = item.degraded.to(device)
        pred = (x if net is None else net(x)).float().clamp(0, 1)
        out.append((item, metrics.score(pred, item.clean.to(device))))
        crash_point("image")
        beat()
    return out


def coverage(scores, metrics: MetricSet) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """(metrics scored on at least one image, {metric: why it scored none}, {metric: which images
    it left out and why}) for one evaluation pass; a metric that cannot score an image (e.g. ms_ssim
    below 161 px per side) is *partial*, or *unscorable* when that holds for every test image. A value
    that is not finite (pyiqa's piqe on an all-black image: NaN) counts as not scored: every mean skips
    it, so a row that has it averages fewer images than one that does not, which the note says."""
    import math

    from benchmark.metrics import min_side

    def few(names):
        return ", ".join(names[:5]) + (f", … {len(names) - 5} more" if len(names) > 5 else "")

    n = len(scores)
    scored, unscorable, partial = [], {}, {}
    for m in metrics.metrics:
        missed = [f"{it.dataset}/{it.image}" for it, vals in scores if m.name not in vals]
        nan = [f"{it.dataset}/{it.image}" for it, vals in scores
               if m.name in vals and not math.isfinite(vals[m.name])]
        k = n - len(missed) - len(nan)
        why = f"needs ≥ {min_side(m.name)} px per side" if min_side(m.name) else "not scorable"
        whys = ([why] if missed or not nan else []) + (["its value is not finite (NaN or inf)"] if nan else [])
        if k == 0 and n:
            unscorable[m.name] = f"no test image could be scored: {'; '.join(whys)}"
        else:
            scored.append(m.name)
            if k < n:
                parts = ([f"{why}; left out: {few(missed)}"] if missed else []) + \
                    ([f"not finite on: {few(nan)}"] if nan else [])
                partial[m.name] = f"scored {k} of {plural(n, 'image')} ({'; '.join(parts)})"
    return scored, unscorable, partial


def make_rows(scores, *, rid: str, task: Task, task_version: str, loss: str, seed, net: str, weights: str,
              train_data: str, higher: dict[str, bool], setting_key: str, loss_version: str) -> list[dict]:
    from benchmark.stats import weights_kind, weights_seed

    rows = []
    params = json.dumps(task.params, sort_keys=True, default=str)
    kind, bseed = weights_kind(weights), weights_seed(weights)
    for item, vals in scores:
        for metric, value in vals.items():
            rows.append({"run_id": rid, "task": task.name, "task_version": task_version, "task_params": params,
                         "loss": loss, "loss_version": loss_version, "seed": seed, "net": net, "weights": weights,
                         "weights_kind": kind, "backbone_seed": bseed, "train_data": train_data,
                         "setting": setting_key, "dataset": item.dataset, "image": item.image, "metric": metric,
                         "value": value, "higher_is_better": higher[metric], "code_version": code_version()})
    return rows


def _write_pass(store: ResultsStore, rid: str, scores, metrics: MetricSet, rows: list[dict], grid_id: str = "") -> None:
    scored, unscorable, partial = coverage(scores, metrics)
    store.write_eval(rid, rows, scored, metrics.skipped, unscorable=unscorable, partial=partial, grid_id=grid_id,
                     metric_weights={m.name: m.weights for m in metrics.metrics},
                     metric_sha256=metrics.digests)


# --------------------------------------------------------------------------------------------
# a grid
# --------------------------------------------------------------------------------------------
@dataclass
class GridSummary:
    trained: int = 0
    skipped: int = 0
    rescored: int = 0
    failed: int = 0
    diverged: int = 0
    locked: int = 0   # left to another live process working on the same results directory
    unscored: int = 0  # finished runs that could not be re-scored on a new metric (net.pt missing or unreadable)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class _Grid:
    """What every run of one grid shares."""

    store: ResultsStore
    metric_names: tuple[str, ...]
    metrics: MetricSet
    higher: dict[str, bool]
    device: torch.device
    data: DataCache
    policy: CheckpointPolicy
    progress: bool
    logger: str = "tensorboard"
    grid_progress: object = None  # benchmark.progress.GridProgress of the whole grid
    #: the executor's id of this grid (local workers, Ray, SLURM: :attr:`benchmark.executors.WorkUnit.grid_id`),
    #: written into the meta.json and pass records of the runs it does; "" (one process's grid): none written
    grid_id: str = ""
    #: the grid's start (``time.time()``) when these runs are one executor worker's: a run another worker failed
    #: after it is not tried again here (:func:`_run_locked`)
    since: float | None = None
    #: seconds a run may go without progress before it is stopped as hung (``--stall-timeout``; 0: never;
    #: :func:`benchmark.progress.stall_watch`)
    stall_s: float = 0.0
    #: this process is the whole command (one process, no driver after it): a hang in C code that ends it ends the
    #: command, which it says with where the grid stands (:func:`_ending`)
    alone: bool = False
    #: the executor's name of the worker these runs are done in (``w0``, ``r3``: :attr:`WorkUnit.tag`), written into
    #: a hang's record: the driver names the job a hang ended by it, the hung run in its share or one it took over
    worker: str = ""
    #: where the run in flight is (:func:`_run_one`'s stage: setup, training, saving, evaluation, writing), for the
    #: record of a hang in C code, written from the stall watch's thread (meta.json's ``failed_in``)
    stage: str = ""


def require_scorable(metrics):
    """``metrics`` (a :class:`~benchmark.metrics.MetricSet`), refused in one line when every metric it was asked
    for was skipped (weights not cached offline): every run would train and score nothing, a report of 0 rows. The
    run and its ``--dry-run`` both call it, so the dry run refuses what the run refuses."""
    if not metrics.metrics:
        why = "; ".join(f"{n}: {r}" for n, r in metrics.skipped.items())
        raise UserError(f"no metric of this grid can be scored here ({why}): nothing trained; `plbench weights` "
                        "lists the files each metric needs and where they go, or choose others with --metrics")
    return metrics


def run_grid(configs: list[RunConfig], store: ResultsStore, metric_names: tuple[str, ...],
             device: torch.device, progress: bool = True, checkpoint: CheckpointPolicy | None = None,
             data: DataCache | None = None, grid_progress=None, logger: str = "tensorboard",
             gpu_share: int = 1, grid_id: str = "", since: float | None = None,
             stall_s: float | None = None, alone: bool = False, worker: str = "") -> GridSummary:
    """Train and evaluate every config whose results are missing; resume skips the rest.

    Configs without data fingerprints are resolved here (:func:`benchmark.config.resolve`); a
    config planned for another device type is refused. A finished run lacking a metric that can
    be scored now (e.g. its weights were cached since) is re-scored from its saved net. Before
    training, every pending run's memory need is checked against what the device has free
    (:mod:`benchmark.resources`). Configs are grouped by task so test degradations are computed
    once per task. Each run is done under its lock: a run another live process holds is retried
    once at the end and otherwise left to that process. A run that fails with an exception is
    recorded as ``failed`` with its message and the grid goes on; CUDA out-of-memory is retried
    once at half the batch size first. Unfinished runs resume from their checkpoint. ``data`` lets
    several calls in one process (an executor's worker) decode each image source once.
    ``grid_progress`` (:class:`~benchmark.progress.GridProgress`) is the whole grid's, when these
    configs are a worker's share of it: each run starts with its "run k/N … ETA" line. ``logger``
    chooses where live training curves go besides ``runs/<id>/curve.csv`` (:mod:`benchmark.loggers`).
    ``gpu_share``: runs sharing this process's GPU (each may use that share of its free memory). ``since`` (an
    executor's worker: the grid's start): a run that failed during this grid, in another worker, after this one
    planned it, is left failed, not trained again to the same failure. ``stall_s``: a run without progress for that
    long is stopped as hung and recorded failed (:func:`benchmark.progress.stall_watch`; default
    ``RUN_DEFAULTS["stall_timeout"]``, 0: never). ``alone``: this process is the whole command (one process, no
    driver after it), whose end a hang in C code is: said with where the grid stands. ``worker``: the executor's
    name of this worker, which a hang's record names (:func:`hang_recorded`).
    """
    from benchmark.registry import TASKS
    from benchmark.resources import check_fits

    store.ensure_writable()
    summary = GridSummary()
    data = data if data is not None else DataCache()
    configs = [c if c.train_fingerprint and c.test_fingerprint else resolve(c, data) for c in configs]
    for c in configs:
        if c.device_type != device.type:
            raise UserError(f"the grid was planned for {c.device_type} but runs on {device.type}; "
                            "plan it with the same --device")
    ids = {c: run_id(c) for c in configs}
    input_ids = input_groups(configs)
    groups = set(input_ids)
    _repair_damaged(store, [*ids.values(), *input_ids.values()])
    digests = current_digests(metric_names, store)  # the readers' map: what cannot be hashed, MetricSet names
    candidates = [c for c in configs if not is_complete(store, ids[c], metric_names, digests=digests)]
    inputs_missing = [k for k in groups if not is_complete(store, input_ids[k], metric_names, digests=digests)]
    metrics = None
    unavailable: set[str] = set()
    if any(store.is_done(ids[c]) for c in candidates) or any(store.is_done(input_ids[k]) for k in inputs_missing):
        metrics = _metrics.MetricSet(metric_names, device)  # was a metric skipped before, and can it be scored now?
        unavailable = set(metrics.skipped)
    pending = [c for c in candidates if not is_complete(store, ids[c], metric_names, unavailable, digests)]
    inputs_missing = [k for k in inputs_missing
                      if not is_complete(store, input_ids[k], metric_names, unavailable, digests)]
    summary.skipped = len(configs) - len(pending)
    if summary.skipped:
        log.info("%d of %s already %s results; skipping %s", summary.skipped, plural(len(configs), "run"),
                 agree(summary.skipped, "has", "have"), agree(summary.skipped, "it", "them"))
        for c in set(configs) - set(pending):
            _drop_checkpoints(store, ids[c], locked=False)
    if not pending and not inputs_missing:
        return summary
    # a run stopped under the id an older plbench gave the same computation (gpl under 'pretrained' before
    # 2026-12-07) resumes from its checkpoint under its id now: here, as every path to training (run's workers,
    # api.run, compare) comes here — compare, calling run_grid alone, trained it from iteration 0
    # (tests/test_probe_loose23.py); run and api.run hand it over in planning too, before their warnings
    resume_under_new_id(store, [c for c in pending if not store.is_done(ids[c])])
    for c in pending:  # the data must still be what the grid was planned on
        resolve(c, data)
    for c in {c for c in pending if not store.is_done(ids[c])}:  # a plan made before a task's floor (deblur ≤ 10 px:
        check_crop(build_task(c.task, **dict(c.task_params)), c.crop, c.task)  # ee42676) trains none under its id
    for task_name, task_params, test_specs, _fp in {*map(input_key, pending), *inputs_missing}:  # nor scores (or
        check_test_sides(build_task(task_name, **dict(task_params)), task_name,  # re-scores) a test image within
                         {s: data.images(s) for s in test_specs})  # deblur's kernel reach, padded otherwise before
    for specs, crop in {(c.train_data, c.crop) for c in pending}:  # bad data fails before any work
        usable_for_crop(data.pooled(specs), crop, " + ".join(map(str, specs)))
    eval_pixels = {c.test_data: max(r.size[0] * r.size[1] for r in data.pooled(c.test_data)) for c in pending}
    test_pixels = {c.test_data: sum(r.size[0] * r.size[1] for r in data.pooled(c.test_data)) for c in pending}
    check_fits([c for c in pending if not store.is_done(ids[c])], device, eval_pixels, share=gpu_share,
               measure=lambda c: measure_cuda_step(c, data.pooled(c.train_data), device), test_pixels=test_pixels,
               metric_names=metric_names, test_sizes={c.test_data: {tuple(r.size) for r in data.pooled(c.test_data)}
                                                      for c in pending})
    metrics = require_scorable(metrics or _metrics.MetricSet(metric_names, device))
    if grid_progress is None:
        from benchmark.progress import GridProgress

        grid_progress = GridProgress(store, configs, since=since, grid_id=grid_id, policy=checkpoint)
    higher = {m.name: m.higher_is_better for m in metrics.metrics}
    grid = _Grid(store, tuple(metric_names), metrics, higher, device, data, checkpoint or CheckpointPolicy(), progress,
                 logger, grid_progress, grid_id=grid_id, since=since,
                 stall_s=RUN_DEFAULTS["stall_timeout"] if stall_s is None else float(stall_s), alone=alone,
                 worker=worker)
    by_task: dict[tuple, list[RunConfig]] = {}
    for key in inputs_missing:  # an interrupted input scoring is finished even when no run is pending
        by_task.setdefault(key, [])
    # a run recorded hung is retried after the grid's other runs: one hung in C code ends its process, and a hang that
    # comes back (a deadlock in one loss's native code) ended every rerun of one process (--workers 1) there, first;
    # grouped by task as the others are (a worker's order, its share then the others', has each task in two places)
    hung: dict[tuple, list[RunConfig]] = {}
    for c in pending:
        rec = store.meta(ids[c]) or {}  # a finished run whose re-score hung so too: re-scored last
        (hung if rec.get("stalled") is True or stall_mark(store, ids[c]) is not None
         else by_task).setdefault(input_key(c), []).append(c)

    def prepare(key):
        task_name, task_params, test_specs, _fp = key
        task = build_task(task_name, **dict(task_params))
        return task, TASKS.get(task_name).version, held_out_items(task, {s: data.images(s) for s in test_specs})

    waiting, inputs_last = [], []
    for key, group, first_pass in [*((k, g, True) for k, g in by_task.items()),
                                   *((k, g, False) for k, g in hung.items())]:
        # one task's test items at a time: each holds a float clean and degraded copy of every test image
        # (kept for every task until the grid ended, they were 10 float copies of a large test set per grid)
        task, task_version, items = prepared = prepare(key)
        # the inputs are scored before the task's first run (its hung ones: after, in the first pass); inputs whose
        # scoring hung in C code before, after the grid's runs
        if first_pass and not _score_input(grid, task, task_version, key[2], key[3], items):
            inputs_last.append(key)
        for cfg in group:
            outcome = _run_locked(grid, cfg, ids[cfg], *prepared)
            if outcome == "locked":
                waiting.append((key, cfg))
            else:
                summary.count(outcome)
        del prepared, items
    for key, group in itertools.groupby(waiting, key=lambda kc: kc[0]):  # held by another process a moment ago
        prepared = prepare(key)  # the same items again: each image's degradation is fixed by (task, image)
        for _key, cfg in group:
            summary.count(_run_locked(grid, cfg, ids[cfg], *prepared, last_try=True))
    for key in inputs_last:
        task, task_version, items = prepare(key)
        _score_input(grid, task, task_version, key[2], key[3], items, last=True)
    grid_progress.update()
    return summary


def input_key(c: RunConfig) -> tuple:
    """The runs that share one task's test inputs: (task, task parameters, test data, its fingerprint)."""
    return c.task, c.task_params, c.test_data, c.test_fingerprint


def input_groups(configs) -> dict[tuple, str]:
    """``{input_key: the run id of those inputs' own scores}`` (:func:`input_run_id`: the degraded baseline)."""
    from benchmark.registry import TASKS

    keys = dict.fromkeys(map(input_key, configs))
    return {k: input_run_id(build_task(k[0], **dict(k[1])), TASKS.get(k[0]).version, k[2], k[3]) for k in keys}


def _loss_versions_or_none(spec: str, precision: str = "fp32") -> dict[str, str] | None:
    """A failed run's loss versions (as a finished run's meta.json records them), or None when its spec
    cannot be resolved any more (so a report can tell an edited loss file's failure from its other version)."""
    from benchmark.lossfn import run_loss_versions

    try:
        return run_loss_versions(spec, precision)
    except UserError:
        return None


def is_complete(store: ResultsStore, rid: str, metric_names, unavailable=(), digests=None) -> bool:
    """Done, and scored on every metric asked for that can be scored: a metric skipped for missing
    weights counts as missing unless it is ``unavailable`` now too; one no test image could be
    scored on (too small for it) counts as done, unless recorded under a larger minimum side than
    today's (:func:`_scorable_now`); one scored with another file than today's (``digests``: {metric: SHA-256 of
    its file now}, :func:`benchmark.results.current_digests`, which it calls when not given) counts as missing. A
    diverged run has nothing to score."""
    meta = store.meta(rid) or {}
    if meta.get("status") == "diverged":
        return True
    if meta.get("status") != "ok":
        return False
    cov = store.coverage(rid)
    unscorable = {m for m, why in cov["unscorable"].items() if not _scorable_now(m, why)}
    digests = current_digests(metric_names) if digests is None else digests  # memoised by size and mtime
    scored = cov["scored"] - set(store.stale_metrics(rid, digests)) if digests else cov["scored"]
    return set(metric_names) - set(unavailable) <= scored | unscorable


def _up_to_date(store: ResultsStore, rid: str, metrics: MetricSet, say: bool = True) -> set[str]:
    """The metrics of ``metrics`` the run has scores of made with today's weights: those scored, less those whose
    file was replaced since (``say``: in one warning line each — they are scored again, the earlier scores left out
    of the table)."""
    scored = store.metrics_scored(rid)
    digests = metrics.digests
    stale = store.stale_metrics(rid, digests) if digests else {}
    from benchmark.metric_code import changed

    for m, was in stale.items() if say else ():
        if (what := changed(m)) == "fix":
            log.warning("run %s: %s was scored by its code before today's fix: scored again; the earlier scores stay "
                        "in its eval-*.parquet, out of every table", rid, m)
            continue
        log.warning("run %s: %s was scored %s (sha256 %s…, now %s…): scored again with the %s there now; the earlier "
                    "scores stay in its eval-*.parquet, out of every table", rid, m,
                    "by other code" if what == "code" else f"with another {what}", was[:8], digests[m][:8], what)
    return scored - set(stale)


def _scorable_now(metric: str, why: str) -> bool:
    """A metric recorded as unscorable for a minimum side larger than today's (:func:`coverage`'s "needs ≥ N px
    per side": ms_ssim's was 176 px before it became 161), whose test images this code may score."""
    import re

    from benchmark.metrics import min_side

    m = re.search(r"needs ≥ (\d+) px per side", why)
    return bool(m) and int(m.group(1)) > min_side(metric)


def _repair_damaged(store: ResultsStore, rids) -> None:
    """A damaged run of this grid (:meth:`ResultsStore.damage`) is set aside — never deleted — so
    this grid re-scores or retrains it; intact runs are not touched. One warning line each."""
    for rid in rids:
        why = store.damage(rid)
        if not why:
            continue
        try:
            lock = store.lock(rid)
        except (UserError, OSError) as exc:  # its folder in the way (a link to another run's: that run's files, not
            if _blocked(exc, store, rid) is None:  # its own damage): that run's one line when the grid comes to it
                raise
            continue
        if isinstance(lock, str):
            continue  # another process works on it
        with lock:
            if store.damage(rid):
                log.warning("run %s: %s — %s", rid, why, store.repair(rid))


def is_attempted(store: ResultsStore, rid: str, metric_names) -> bool:
    """Done, and every metric asked for either scored or skipped with a reason (for counting)."""
    meta = store.meta(rid) or {}
    if meta.get("status") == "diverged":
        return True
    return meta.get("status") == "ok" and set(metric_names) <= store.metrics_attempted(rid)


def made_by_other_code(store: ResultsStore, configs: list[RunConfig]) -> dict[str, int]:
    """{code version: how many of ``configs``} for the configs not done in ``store`` under their id while a run
    of the very same config, made by another code version (another id: :data:`benchmark.CODE_VERSION` is part
    of it), is there — runs a grid trains again after a version bump, which it would otherwise not say."""
    from collections import Counter

    from benchmark.config import as_current_code

    def key(d) -> str:
        return json.dumps(d, sort_keys=True, default=str)

    here = code_version()
    other: dict[str, str] = {}
    for m in store.metas():
        version = as_current_code(m.get("code_version"))
        if m.get("status") == "ok" and isinstance(m.get("config"), dict) and version and version != here:
            other.setdefault(key(m["config"]), str(m["code_version"]))
    if not other:
        return {}
    return dict(Counter(other[k] for c in configs if (k := key(c.to_dict())) in other
                        and not store.is_done(run_id(c))))


class StoppedCheckpoints:
    """The runs of ``store`` stopped with a checkpoint (:meth:`ResultsStore.stopped_with_checkpoint`) and their
    checkpoints' records (:func:`benchmark.ckptrecord.record`), each listed or read once, when first asked: planning's
    two looks at them (:func:`resume_under_new_id`, :func:`stopped_under_other_id`), and the dry run's estimate
    after them, read each checkpoint once (a torch.load apiece: a store of hundreds of stopped runs on NFS took seconds
    a pass)."""

    def __init__(self, store: ResultsStore):
        self.store, self._listing, self._records = store, None, {}

    def listing(self) -> dict[str, Path]:
        """{run id: its ``ckpt.pt``}, as :meth:`ResultsStore.stopped_with_checkpoint` gave it first."""
        if self._listing is None:
            self._listing = self.store.stopped_with_checkpoint()
        return self._listing

    def record(self, ckpt: Path) -> dict | None:
        """The checkpoint at ``ckpt`` as saved (:func:`benchmark.ckptrecord.record`), read once."""
        from benchmark.ckptrecord import record

        if ckpt not in self._records:
            self._records[ckpt] = record(ckpt)
        return self._records[ckpt]


def stopped_under_other_id(store: ResultsStore, configs: list[RunConfig],
                           stopped: StoppedCheckpoints | None = None) -> dict[str, int]:
    """{run folder: training iteration of its checkpoint} for the runs of ``store`` stopped with a checkpoint
    (:meth:`ResultsStore.stopped_with_checkpoint`, the selection :meth:`ResultsStore.superseded` matches too: a run of
    ``runs/``, no user's copy of one, not finished, its folder held by no live process — a grid training it now under
    its old id — so never a live run's checkpoint named for removal) of one of ``configs`` under another id than the
    config has now — its ``--loss-file`` edited (its hash is part of the id), the code's version bumped — while the
    config is neither done nor stopped under its own: a run the grid trains from the start, which it would otherwise
    not say. Only the checkpoints' records of those runs are read (:func:`benchmark.ckptrecord.record`; ``stopped``:
    those planning listed and read already, not read again)."""
    from benchmark.ckptrecord import run_configs
    from benchmark.results import checkpoints

    if not store.runs.is_dir():
        return {}
    stopped = stopped or StoppedCheckpoints(store)
    ids = {run_id(c) for c in configs}
    wanted = {json.dumps(c.to_dict(), sort_keys=True, default=str): run_id(c) for c in configs}
    out: dict[str, int] = {}
    for name, ckpt in sorted(stopped.listing().items()):  # check's selection (ResultsStore.superseded)
        if name in ids:
            continue
        if (state := stopped.record(ckpt)) is None:  # not a checkpoint this code reads: nothing to say of it
            continue
        fp = state.get("fingerprint")
        cfgs = run_configs(ckpt, fp["config"]) if isinstance(fp, dict) and isinstance(fp.get("config"), dict) else []
        rid = next((r for c in cfgs if (r := wanted.get(json.dumps(c, sort_keys=True, default=str)))), None)
        it = state.get("iteration")
        if rid is None or not isinstance(it, int) or it <= 0 or store.is_done(rid) \
                or checkpoints(store.run_dir(rid)):
            continue
        out[str(store.run_dir(name))] = it
    return out


def resume_under_new_id(store: ResultsStore, configs: list[RunConfig], dry_run: bool = False,
                        say: bool = True, stopped: StoppedCheckpoints | None = None) -> dict[str, tuple]:
    """{run id: (the old run id, its checkpoint's iteration)} for each of ``configs`` neither done nor stopped under
    its own id while a run of ``store`` stopped with a checkpoint (:meth:`ResultsStore.stopped_with_checkpoint`) under
    another id whose record, read as today's code records it (:func:`benchmark.ckptrecord.as_current`: gpl or
    ``pdl(layers=())`` checkpointed under ``--backbone-weights pretrained`` before both values were one id), is the
    config's own fingerprint and code version — the same computation. Each such checkpoint is hard-linked to the new
    id's ``ckpt.pt`` (copied where the file system has no hard links) under that run's lock, so the run resumes from
    its iteration instead of iteration 0 — only where the old id is the one today's code gives the recorded config
    (:func:`_id_then`: a ``--loss-file`` edited since keeps the config, changes the id); the old folder keeps its
    file (``plbench check`` names it superseded once the run has finished, ``--repair`` removes it). ``dry_run``: said,
    nothing written. One line says what was done (``say=False``: none). ``stopped``: the stopped runs and their
    records as planning listed and read them (:class:`StoppedCheckpoints`), not read again."""
    import shutil

    from benchmark.ckptrecord import fingerprint_key, run_configs
    from benchmark.results import checkpoints

    if not store.runs.is_dir():
        return {}
    wanted: dict[str, tuple[str, RunConfig]] = {}
    could: dict[tuple[str, str], bool] = {}  # per loss and weights, not per run: a grid of 1000 runs has a few
    for c in configs:  # first the runs that could take one (run_grid asks for each grid: no store scan for none)
        if (c.loss, c.backbone_weights) not in could:
            could[c.loss, c.backbone_weights] = _had_another_id(c)
        if not could[c.loss, c.backbone_weights]:  # l1, lpips, …: no older plbench gave them another id
            continue
        rid = run_id(c)
        if not store.is_done(rid) and not checkpoints(store.run_dir(rid)):
            wanted.setdefault(fingerprint_key({"config": c.to_dict(), "code_version": code_version()}), (rid, c))
    stopped = stopped or StoppedCheckpoints(store)
    listed = stopped.listing() if wanted else {}
    if not listed:
        return {}
    out: dict[str, tuple] = {}
    for old, ckpt in sorted(listed.items()):
        state = stopped.record(ckpt)
        fp, it = (state or {}).get("fingerprint"), (state or {}).get("iteration")
        if not isinstance(fp, dict) or not isinstance(it, int) or it <= 0:
            continue
        cfgs = run_configs(ckpt, fp["config"]) if isinstance(fp.get("config"), dict) else [fp.get("config")]
        rid, c = next((wanted[k] for k in (fingerprint_key({**fp, "config": x}) for x in cfgs) if k in wanted),
                      (None, None))
        if rid is None or rid in out or it > c.iterations \
                or not any(_id_then(x, old, c) for x in cfgs):
            continue
        if not dry_run:
            lock = store.lock(rid)
            if isinstance(lock, str):  # a live process trains it now: its own
                continue
            with lock:
                dest = store.run_dir(rid) / ckpt.name  # a half-batch retry's ckpt-b<n>.pt: what its retry reads
                if checkpoints(dest.parent) or store.is_done(rid):
                    continue
                tmp = dest.with_name(f".{ckpt.name}.adopt{os.getpid()}.tmp")
                tmp.unlink(missing_ok=True)
                try:
                    os.link(ckpt, tmp)
                except OSError:  # no hard links here (or across a mount): a copy
                    shutil.copyfile(ckpt, tmp)
                os.replace(tmp, dest)
        out[rid] = (old, it)
    if out and say:
        shown = ", ".join(f"{rid} from {old}'s iteration {it}" for rid, (old, it) in list(out.items())[:3])
        log.info("%s of this grid stopped with a checkpoint under an older id of the same computation (gpl or "
                 "pdl(layers=()) under --backbone-weights pretrained, one id since 2026-12-07): %s under %s id now "
                 "(%s%s); `plbench check` names the old folder%s superseded once %s finished",
                 plural(len(out), "run"), "would resume" if dry_run else "resumes", agree(len(out), "its", "their"),
                 shown, f", and {len(out) - 3} more" if len(out) > 3 else "", agree(len(out), "", "s"),
                 agree(len(out), "it has", "they have"))
    return out


def done_under_old_id(store: ResultsStore, configs: list[RunConfig]) -> dict[str, str]:
    """{run id: the old run id} for each of ``configs`` not done under its id while ``store`` holds it finished
    (``ok``, ``diverged``) under the id an older plbench gave the same computation (:func:`_id_then`: gpl or
    ``pdl(layers=())`` under ``--backbone-weights pretrained`` before both values were one id): the grid trains it
    again under its id now, and the board then counts the two ids of its seed once
    (:func:`benchmark.stats.stored_twice_lines`). Only records whose config differs from one of ``configs`` as
    written but not as read now (:func:`benchmark.ckptrecord.as_current`) have their id computed."""
    from benchmark.ckptrecord import fingerprint_key

    wanted: dict[str, tuple[str, RunConfig]] = {}
    for c in configs:
        if c.backbone_weights == "random" and not store.is_done(rid := run_id(c)):
            wanted.setdefault(fingerprint_key({"config": c.to_dict(), "code_version": code_version()}), (rid, c))
    if not wanted:
        return {}
    out: dict[str, str] = {}
    for m in store.metas():
        cfg, old = m.get("config"), m.get("run_id")
        if m.get("status") not in ("ok", "diverged") or not isinstance(cfg, dict) or not isinstance(old, str) \
                or cfg.get("backbone_weights") not in ("pretrained", "none") or not m.get("code_version"):
            continue
        rid, c = wanted.get(fingerprint_key({"config": cfg, "code_version": m["code_version"]}), (None, None))
        if rid is not None and rid not in out and _id_then(cfg, old, c):
            out[rid] = old
    return out


def _had_another_id(cfg: RunConfig) -> bool:
    """Whether an older plbench may have given ``cfg``'s computation another id: its backbone weights recorded
    ``random`` where ``pretrained`` or ``none`` record the same (:func:`benchmark.config.recorded_weights`: gpl,
    ``pdl(layers=())``) — the only runs :func:`resume_under_new_id` hands a checkpoint to, so a grid of none of them
    lists no store's checkpoints (run_grid asks for every grid, every worker)."""
    from benchmark.config import recorded_weights

    if cfg.backbone_weights != "random":
        return False
    try:
        return any(recorded_weights(cfg.loss, w) == "random" for w in ("pretrained", "none"))
    except Exception:  # noqa: BLE001 - a loss this process cannot build: asked as before, never skipped unsaid
        return True


def _id_then(recorded, old: str, cfg: RunConfig) -> bool:
    """Whether a checkpoint's recorded config (``recorded``, a dict) under run id ``old`` is ``cfg`` as an older
    plbench recorded it, nothing else: another config as written (:func:`benchmark.ckptrecord.as_current` made them
    one), whose id by today's code is ``old``. A loss file edited since (its hash is in the id, not in the config)
    gives the same config another id: that checkpoint is another computation's, never resumed here."""
    if not isinstance(recorded, dict) or recorded == cfg.to_dict():
        return False
    try:
        return run_id(RunConfig.from_dict(recorded)) == old
    except Exception:  # noqa: BLE001 - a config this code cannot build: not today's run
        return False


def made_at_untrained_crop(store: ResultsStore, configs: list[RunConfig]) -> dict[tuple[str, int], int]:
    """{(task, crop recorded there): how many of ``configs``} for the configs not done in ``store`` under their id
    while a finished run of the same config is there recorded at a crop its task does not train on — an ``sr4`` run
    of ``--crop 42`` stored before the task recorded the crop it trains (40, :meth:`benchmark.task.Task.train_crop`):
    the same command now plans crop 40's ids and trains those runs again, which it would otherwise not say."""
    from collections import Counter

    from benchmark.task import build_task

    def key(d: dict) -> str:
        return json.dumps(d, sort_keys=True, default=str)

    trains: dict[tuple, int] = {}
    there: dict[str, tuple[str, int]] = {}
    for m in store.metas():
        cfg = m.get("config")
        if m.get("status") != "ok" or not isinstance(cfg, dict) or not isinstance(cfg.get("crop"), int):
            continue
        try:
            task = (cfg["task"], key(cfg.get("task_params") or {}))
            if (task, cfg["crop"]) not in trains:
                built = build_task(cfg["task"], **(cfg.get("task_params") or {}))
                trains[task, cfg["crop"]] = built.train_crop(cfg["crop"])
        except Exception:  # noqa: BLE001 - a task no longer registered, or its parameters renamed: not this case
            continue
        if trains[task, cfg["crop"]] != cfg["crop"]:
            there.setdefault(key({**cfg, "crop": trains[task, cfg["crop"]]}), (cfg["task"], cfg["crop"]))
    if not there:
        return {}
    return dict(Counter(there[k] for c in configs if (k := key(c.to_dict())) in there
                        and not store.is_done(run_id(c))))


def made_at_other_paths(store: ResultsStore, configs: list[RunConfig]) -> dict[str, int]:
    """{the data's paths there ("train … test …"): how many of ``configs``} for the configs not done in ``store``
    under their id while a finished run of the same config with the same data *content* (its fingerprints) at
    other paths is there: a store copied to a machine whose datasets live elsewhere, whose runs a grid would
    train again without a word (the data's path is part of the run id, and of the leaderboard's setting)."""
    from collections import Counter

    def key(d: dict) -> str:
        return json.dumps({k: v for k, v in d.items() if k not in ("train_data", "test_data")}, sort_keys=True,
                          default=str)

    there: dict[str, str] = {}
    for m in store.metas():
        cfg = m.get("config")
        if m.get("status") == "ok" and isinstance(cfg, dict) and cfg.get("train_fingerprint"):
            there.setdefault(key(cfg), f"train {', '.join(map(str, cfg.get('train_data') or []))}; "
                                       f"test {', '.join(map(str, cfg.get('test_data') or []))}")
    if not there:
        return {}
    found: Counter = Counter()
    for c in configs:
        d = c.to_dict()
        paths = there.get(key(d))
        if paths and paths != f"train {', '.join(d['train_data'])}; test {', '.join(d['test_data'])}" \
                and not store.is_done(run_id(c)):
            found[paths] += 1
    return dict(found)


def _drop_checkpoints(store: ResultsStore, rid: str, locked: bool = True) -> None:
    """Delete a finished run's checkpoints (a crash right after its meta.json can leave one)."""
    found = checkpoints(store.run_dir(rid))
    if not found:
        return
    lock = None if locked else store.lock(rid)
    if isinstance(lock, str):
        return
    try:
        for p in found:
            p.unlink(missing_ok=True)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(grid: _Grid, cfg: RunConfig, rid: str, task: Task, task_version: str, items: list[TestItem],
                last_try: bool = False) -> str:
    """Do one run if this process gets its lock: the outcome (a :class:`GridSummary` field). A folder or file in
    the way inside the run's own folder (or that folder a file), or that folder not writable by this user while
    ``runs/`` is (:func:`_blocked`), fails that run in one line; the grid goes on."""
    try:
        return _run_locked_or_blocked(grid, cfg, rid, task, task_version, items, last_try)
    except (UserError, OSError) as exc:
        if (why := _blocked(exc, grid.store, rid)) is None:
            raise
        log.error("run %s (%s/%s seed %d) failed: %s", rid, cfg.task, cfg.loss, cfg.seed, why)
        return "unscored" if grid.store.is_done(rid) else "failed"


def _blocked(exc: BaseException, store: ResultsStore, rid: str) -> UserError | None:
    """The one line of a folder or file in the way, or a file this user may not write, inside run ``rid``'s folder
    (:func:`benchmark.results.blocks`), raised as such or as the bare OSError of a step that is no write (a stray
    ``eval-0.parquet/`` folder met while tidying the run's folder): that run's failure; None for any other error,
    and for a store whose ``runs/`` is itself not writable (a read-only remount: every run would fail so)."""
    if isinstance(exc, OSError) and exc.filename:
        exc = _write_error(Path(exc.filename), exc)
    if not blocks(exc, store.run_dir(rid)):
        return None
    return exc if isinstance(exc, InTheWay) or os.access(store.runs, os.W_OK) else None


def _run_locked_or_blocked(grid: _Grid, cfg: RunConfig, rid: str, task: Task, task_version: str,
                           items: list[TestItem], last_try: bool) -> str:
    lock = grid.store.lock(rid)
    if isinstance(lock, str):
        log.info("run %s (%s/%s seed %d) is held by %s; %s", rid, cfg.task, cfg.loss, cfg.seed, lock,
                 "leaving it to that process" if last_try else "coming back to it later")
        if last_try and (hint := stale_lock_hint(grid.store.run_dir(rid) / ".lock", lock)):
            log.warning("run %s: %s", rid, hint)  # a crashed node's lock: every rerun would leave the run undone
        return "locked"
    with lock:
        if grid.store.is_done(rid):  # finished meanwhile, or only metrics are missing
            _drop_checkpoints(grid.store, rid)
            if is_complete(grid.store, rid, grid.metric_names, set(grid.metrics.skipped),
                           grid.metrics.digests):
                return "skipped"
            if _hung_in_this_grid(grid, mark := stall_mark(grid.store, rid)):  # its worker was ended there
                log.error("run %s (%s/%s seed %d) not re-scored: its re-score hung in this grid (%s); its other "
                          "rows are kept, and the next command tries again", rid, cfg.task, cfg.loss, cfg.seed,
                          mark.get("error", "no message"))
                return "unscored"

            def record(error: str, stack: str) -> None:  # hung in C code: the process ends after this
                _mark_stalled(grid, rid, error)

            try:  # watched as training is: a stalled read here held the worker, and the night, for ever
                with stall_watch(grid.stall_s, f"re-scoring run {rid} ({cfg.task}/{cfg.loss} seed {cfg.seed})",
                                 record=_ending(grid, record)):
                    return _rescore(grid, rid, cfg, task, task_version, items)
            except RunStalled as exc:  # its record and rows stay as they are: a finished run, not a failed one
                log.error("run %s (%s/%s seed %d) not re-scored: %s; its other rows are kept, and %s scores it "
                          "again", rid, cfg.task, cfg.loss, cfg.seed, exc, again())
                return "unscored"
        if grid.since is not None or grid.grid_id:  # another worker of this grid failed it since this one planned it
            from benchmark.results import of_this_grid

            meta = grid.store.meta(rid) or {}
            if meta.get("status") == "failed" and of_this_grid(meta, "started", grid.since, grid.grid_id):
                log.info("run %s (%s/%s seed %d) failed in another worker of this grid (%s); not tried again", rid,
                         cfg.task, cfg.loss, cfg.seed, meta.get("error", "no message"))
                return "skipped"
        if grid.grid_progress is not None:  # "run k/N (…): … ETA": in every worker's, Ray task's, SLURM job's log
            log.info("%s", grid.grid_progress.line(f"{cfg.task}/{cfg.loss} seed {cfg.seed}"))
        started, prior = time.time(), (grid.store.meta(rid) or {}).get("started")  # an earlier attempt's record
        grid.stage = "setup"  # set by _run_one as it goes: what comes before its try (the logger, the checkpoint) too

        def record(error: str, stack: str) -> None:  # hung in C code: the process ends after this
            if _attempts_record(grid, rid, prior) is None:  # not a run this attempt recorded finished
                _record_failure(grid, cfg, rid, error, stack, started, grid.stage or None, stalled=True)

        try:
            with stall_watch(grid.stall_s, f"run {rid} ({cfg.task}/{cfg.loss} seed {cfg.seed})",
                             record=_ending(grid, record)):
                outcome = _run_one(grid, cfg, rid, task, task_version, items)
            if _attempts_record(grid, rid, prior) is not None:  # recorded anew: an earlier scoring's hang not its
                (grid.store.run_dir(rid) / STALLED).unlink(missing_ok=True)
            return outcome
        except RunStalled as exc:  # outside _run_one's own handling: before its try, or in its finally (a logger's
            # close) after the run was recorded; the grid goes on either way
            meta = _attempts_record(grid, rid, prior)
            if meta is not None:
                log.error("run %s (%s/%s seed %d) hung after it was recorded %s: %s", rid, cfg.task, cfg.loss,
                          cfg.seed, meta.get("status"), exc)
                return {"ok": "trained", "diverged": "diverged"}.get(meta.get("status"), "failed")
            log.error("run %s (%s/%s seed %d) failed: %s", rid, cfg.task, cfg.loss, cfg.seed, exc)
            _record_failure(grid, cfg, rid, str(exc), _traceback(exc), started, grid.stage or None, stalled=True)
            return "failed"


#: the file in a run's folder whose scoring hung in C code and ended its process (exit 75): a finished run's re-score
#: or a task's degraded inputs' ({"at", "error"[, "grid_id"]}). The same command scores it after the grid's other
#: runs (a hang that comes back ended every rerun there, first), a worker of that grid in its place not at all; a
#: scoring that ends removes it. Hidden, as the lock is: never merged, and the run's own records are not rewritten
STALLED = ".stalled"
#: where plbench before this marked a finished run's hung re-score, a key of its meta.json: read as the file is
RESCORE_STALLED = "rescore_stalled"


def stall_mark(store: ResultsStore, rid: str) -> dict | None:
    """Run ``rid``'s mark of a hung scoring (:data:`STALLED`; in a store written before it, its meta.json's
    :data:`RESCORE_STALLED`), {} where one is there but unreadable; None where there is none."""
    import json

    try:
        mark = json.loads((store.run_dir(rid) / STALLED).read_text())
    except FileNotFoundError:
        meta = store.meta(rid) or {}
        if RESCORE_STALLED not in meta:
            return None
        mark = meta[RESCORE_STALLED]
    except (OSError, ValueError):
        return {}
    return mark if isinstance(mark, dict) else {}


def _mark_stalled(grid: _Grid, rid: str, error: str) -> None:
    from benchmark.results import atomic_write_json

    grid.store.run_dir(rid).mkdir(parents=True, exist_ok=True)
    atomic_write_json(grid.store.run_dir(rid) / STALLED, {
        "at": time.time(), "error": error, **({"grid_id": grid.grid_id} if grid.grid_id else {}),
        **({"worker": grid.worker} if grid.worker else {}), **_process()})  # the process a hang ends


def _clear_stall_mark(store: ResultsStore, rid: str) -> None:
    """Remove run ``rid``'s :func:`stall_mark`, once its scoring has ended (the file, or an earlier store's key)."""
    from benchmark.results import atomic_write_json

    (store.run_dir(rid) / STALLED).unlink(missing_ok=True)
    if RESCORE_STALLED in (meta := store.meta(rid) or {}):
        del meta[RESCORE_STALLED]
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)


def _hung_in_this_grid(grid: _Grid, mark: dict | None) -> bool:
    """Whether this grid wrote ``mark``, a run's :func:`stall_mark` (its worker was ended there: not tried again)."""
    if mark is None or (grid.since is None and not grid.grid_id):
        return False
    from benchmark.results import of_this_grid

    return bool(of_this_grid(mark, "at", grid.since, grid.grid_id))


def _ending(grid: _Grid, record):
    """``record`` (a hung run's, re-score's or input scoring's, written as the stall watch ends the process: a hang in
    C code), then, where this process is the whole command (``grid.alone``), that the command ends there and where
    the grid stands (:func:`interrupted_lines`): the watch's line says the same command retries the run, and in one
    process nothing else said the others were not done."""
    def write(error: str, stack: str) -> None:
        try:
            record(error, stack)
        finally:
            if grid.alone and grid.grid_progress is not None:
                lines = interrupted_lines(grid.store, list(grid.grid_progress.runs.values()))
                log.error("the command ends here (a hang in C code ends its process, exit code %d): %s; it retries "
                          "runs recorded hung after the grid's other runs", STALLED_EXIT, lines[0])
                for line in lines[1:]:
                    log.error("%s", line)

    return write


def _process() -> dict:
    """A hang's record of the process it ends: its pid and machine (a pid is a machine's own: another node's, or a
    container's beside this one, may be the same number)."""
    import socket

    return {"pid": os.getpid(), "host": socket.gethostname()}


def hang_recorded(store: ResultsStore, configs, since: float, grid_id: str = "", worker: str = "",
                  taken=(), pid: int | None = None, pid_grid: str = "") -> str | None:
    """What a process ended by a hang in C code (exit 75, :func:`benchmark.progress.stall_watch`) recorded of it, for
    the driver's line: among ``configs``' runs and their degraded inputs, the newest record of a hang written at or
    after ``since`` (``time.time()`` when that process started) — a run recorded failed (retried after the grid's
    other runs), a finished run's re-score or a task's input scoring marked (their rows kept; not tried again by this
    grid, the next command does). A record naming ``grid_id`` (a remote grid's) is this grid's by that id alone: a SLURM
    node's clock, or its file server's, need not agree with the driver's ``since``. With ``worker`` (an executor's
    worker, :attr:`_Grid.worker`), a record naming another worker is not that worker's hang, and ``taken``, the runs
    of other workers' shares it may have taken over, count where their record names ``worker``. With ``pid`` (a local
    worker's process, which the hang ended, on this machine, of grid ``pid_grid``), a record naming its process — its
    pid on this machine, in that grid — is that process's, not by a time a clock stepped back during the night makes
    older than ``since``; one naming the same pid on another machine (a SLURM node's, a container's beside this one)
    or in another grid (the pid used again by a later process) is not. None when none is found (the record could not
    be written)."""

    from benchmark.results import of_this_grid

    here = _process()["host"]

    def ours(record: dict, at: float, own: bool = True) -> bool:  # a mark's time is its "at"; a failed run's, its
        # meta.json's mtime
        if worker and record.get("worker", "") != worker and (record.get("worker") or not own):
            return False
        if pid is not None and isinstance(record.get("pid"), int) and isinstance(record.get("host"), str):
            # the process that wrote it, no clock asked: a pid is one machine's, and used again by a later process
            return (record["pid"] == pid and record["host"] == here
                    and (not pid_grid or record.get("grid_id", pid_grid) == pid_grid))
        return of_this_grid({**record, "at": at}, "at", since, grid_id)

    found: list[tuple[float, str]] = []
    mine = set(map(id, configs))
    everything = [*configs, *taken]
    for c in everything:
        rid = run_id(c)
        meta = store.meta(rid) or {}
        mark = stall_mark(store, rid) or {}
        if isinstance(mark.get("at"), (int, float)) and ours(mark, mark["at"], id(c) in mine):
            found.append((mark["at"], f"its re-score of run {rid} ({c.task}/{c.loss} seed {c.seed}) hung, marked "
                                      f"({STALLED} in its folder): its rows kept, re-scored by the next command"))
        elif meta.get("status") == "failed" and meta.get("stalled") is True:
            with contextlib.suppress(OSError):
                if ours(meta, at := (store.run_dir(rid) / "meta.json").stat().st_mtime, id(c) in mine):
                    found.append((at, f"its hung run {rid} ({c.task}/{c.loss} seed {c.seed}) recorded failed, "
                                      "retried by the next command"))
    own_inputs = input_groups(configs)
    for (task, *_rest), rid in input_groups(everything).items():
        mark = stall_mark(store, rid) or {}
        if isinstance(mark.get("at"), (int, float)) and ours(mark, mark["at"], rid in own_inputs.values()):
            found.append((mark["at"], f"its scoring of {task}'s degraded test inputs (run {rid}) hung, marked "
                                      f"({STALLED} in their folder): scored by the next command"))
    return max(found)[1] if found else None


def _attempts_record(grid: _Grid, rid: str, prior) -> dict | None:
    """Run ``rid``'s record when the attempt in flight wrote it (its start is not ``prior``, the start of the record
    there before: by the clock, an earlier record after a clock stepped back would look like this attempt's), else
    None."""
    meta = grid.store.meta(rid) or {}
    return meta if isinstance(meta.get("started"), (int, float)) and meta["started"] != prior else None


def _row_args(cfg: RunConfig, task_version: str) -> dict:
    from benchmark.lossfn import loss_version_string

    return dict(loss=cfg.loss, seed=cfg.seed, net=cfg.net, train_data=" + ".join(s.token() for s in cfg.train_data),
                setting_key=setting_json(setting(cfg)), loss_version=loss_version_string(cfg.loss, cfg.precision))


def _run_one(grid: _Grid, cfg: RunConfig, rid: str, task: Task, task_version: str, items: list[TestItem]) -> str:
    store, device = grid.store, grid.device
    log.debug("run %s: task=%s loss=%s seed=%d", rid, cfg.task, cfg.loss, cfg.seed)
    # started: the wall clock's (meta.json's record of when); durations on the monotonic clock — a clock stepped during
    # the night (NTP, a VM resumed) recorded 'ok in -3598.8 s', and every later ETA read its family's mean off that
    started, t0 = time.time(), time.monotonic()
    store.archive_attempt(rid)  # a failed earlier attempt keeps its record under attempts/
    # a checkpoint left: the attempt before was stopped (SIGKILL: before its meta.json, perhaps after its pass)
    killed = bool(checkpoints(store.run_dir(rid)))
    aside = store.reset_run(rid, redone=killed)
    from benchmark.loggers import CurveLog

    curves = CurveLog(store.run_dir(rid), grid.logger, name=rid, config=cfg.to_dict())
    threads = torch.get_num_threads()
    resume_on = _checkpoint_threads(grid, rid, cfg)
    ckpt = _checkpointer(grid, rid, cfg, "ckpt.pt")  # train()'s: a failure after its restore reads its progress kept
    # fewer threads than this process has, never more: more would take cores given to other workers or jobs (a run
    # checkpointed by one process resumed under --workers, a SLURM job requeued on fewer CPUs); train() then warns
    if resume_on and resume_on < threads:  # set back in the finally below
        log.info("run %s (%s/%s seed %d) goes on with %d threads (this process has %d), as its checkpoint was "
                 "trained: CPU numbers depend on the thread count", rid, cfg.task, cfg.loss, cfg.seed, resume_on,
                 threads)
        torch.set_num_threads(resume_on)
    stop = False  # a stop the training loop took over at a divergence (TrainResult.stop_requested)
    from benchmark.resources import reset_peak_rss

    own_peak = reset_peak_rss()  # meta.json's peak_rss_mb: this run's, not the worker's earlier runs'
    if device.type == "cuda":  # and peak_mem_mb (a run failed before it trained read the worker's last run's)
        torch.cuda.reset_peak_memory_stats(device)
    # where a failure happened: setup, training, saving, evaluation, writing (meta.json's failed_in); on the grid too,
    # for a hang in C code, which the stall watch's thread records
    grid.stage = "setup"
    result = None  # what training returned: a failure after it records the earlier attempts' peak memory too
    try:
        images = usable_for_crop(grid.data.pooled(cfg.train_data), cfg.crop, " + ".join(map(str, cfg.train_data)),
                                 quiet=True)  # named once by run_grid
        grid.stage = "training"
        result, used = _train_with_oom_retry(grid, cfg, rid, task, images, curves, rss_own=own_peak,
                                             checkpoint=ckpt)
        grid.stage = "saving"
        stop = result.stop_requested
        meta = _meta(cfg, rid, device, result, started, time.monotonic() - t0)
        if grid.grid_id:  # which grid did it: a remote node's clock need not agree with its driver's
            meta["grid_id"] = grid.grid_id
        if (overlap := grid.data.known_overlap(cfg.train_data, cfg.test_data)) is not None:
            meta["test_overlap"] = overlap  # test images also trained on: the leaderboard's note (overlap_lines)
        if used.batch_size != cfg.batch_size:
            # a different setting, never pooled with the runs trained at the configured batch size
            meta.update(batch_size_used=used.batch_size, setting=setting(used),
                        note=f"out of memory at batch size {cfg.batch_size}; trained at {used.batch_size} "
                             "(recorded as its own setting)")
        scores = None
        if result.status == "ok":
            # their checksums in meta.json: `plbench check` and a re-score tell a truncated or changed copy
            sums = {"net.pt": store.save_state(rid, "net.pt",
                                               {k: v.float().cpu() for k, v in result.net.state_dict().items()})}
            if any(p.requires_grad for p in result.loss_fn.parameters()):
                sums["loss.pt"] = store.save_state(rid, "loss.pt",
                                                   {k: v.cpu() for k, v in result.loss_fn.state_dict().items()})
            meta["state_sha256"] = sums
            meta["state_stat"] = store.state_stats(rid, sums)  # `plbench check` need not read a net left as written
            t_eval, grid.stage = time.monotonic(), "evaluation"
            scores = evaluate(result.net, items, grid.metrics, device)
            grid.stage = "writing"
            meta["eval_s"] = time.monotonic() - t_eval
            rows = make_rows(scores, rid=rid, task=task, task_version=task_version, weights=result.loss_fn.provenance,
                             higher=grid.higher, **_row_args(used, task_version))
            for m in grid.metrics.metrics:
                vals = [v[m.name] for _, v in scores if m.name in v]
                if vals:
                    curves.log(result.iterations_done, {f"eval/{m.name}": sum(vals) / len(vals)})
        # the pass and the run's record, or neither: a stop (Ctrl-C, SIGTERM, SLURM's USR2) while the pass is
        # written is held back until meta.json is written too — stopped in between, the retry set the complete
        # pass aside as a lost record and trained the run again. Two short writes: a second Ctrl-C still stops now
        with DeferredInterrupt():
            if scores is not None:
                _write_pass(store, rid, scores, grid.metrics, rows, grid.grid_id)
            # training + evaluation: what the grid's ETA extrapolates; a resumed run's training before its
            # checkpoint counts too (this attempt's time alone made a run killed late look almost free)
            meta["wall_s"] = time.monotonic() - t0 + result.resumed_train_s
            # the host memory it needed, training and scoring (the process's: imports and the data it holds included),
            # its earlier attempts' too
            meta.update(peak_rss_fields(result, own_peak, device=device))
            store.write_meta(rid, meta)
            _drop_checkpoints(store, rid)
        if killed:  # its pass computed again byte for byte: a copy, not damage (a lost meta.json's rows stay aside)
            store.drop_identical_aside(rid, aside)
        log.info("run %s %s in %.1f s (%.1f it/s)%s", rid, result.status, meta["wall_s"],  # as recorded: steady state
                 meta.get("it_per_s") or result.it_per_s,
                 f"; {result.resumed_train_s:.1f} s of it before the resume at iteration {result.resumed_at}"
                 if result.resumed_at else "")
        if result.stop_requested:  # asked during the step that diverged: honoured now that the run is recorded
            log.warning("stopping after run %s (%s/%s seed %d): recorded as diverged", rid, cfg.task, cfg.loss,
                        cfg.seed)
            raise KeyboardInterrupt
        return "trained" if result.status == "ok" else "diverged"
    except Exception as exc:  # noqa: BLE001 - one failed run must not stop the grid
        if isinstance(exc, UserError) and _blocked(exc, store, rid) is None:  # bad input, the store's state
            raise
        if (full := disk_full(exc)) is not None:  # the machine's state, not the run's failure: exit 3, no record
            raise full from None
        message = failure_message(exc, cfg)
        stage = grid.stage
        at = getattr(exc, "plbench_iteration", None) if stage == "training" else None
        log.error("run %s (%s/%s seed %d) failed %s: %s", rid, cfg.task, cfg.loss, cfg.seed,
                  _failed_where(stage, at, cfg.iterations), message)
        log.debug("traceback of run %s", rid, exc_info=True)
        _record_failure(grid, cfg, rid, message, _traceback(exc), started, stage, at,
                        stalled=isinstance(exc, RunStalled), peak=peak_rss_fields(result, own_peak, before=(
                            ckpt.earlier() if result is None and ckpt is not None else None), device=device))
        if stop:  # recording the divergence failed: the stop still comes before the next run
            raise KeyboardInterrupt from None
        return "failed"
    finally:
        curves.close()
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def failure_message(exc: BaseException, cfg: RunConfig | None) -> str:
    """A failed run's error in one line, as its log line, meta.json and the grid's summary say it: bad input's own
    message, else the exception's type and first line; the host out of memory (``MemoryError``, often with no message
    at all: 'MemoryError' alone said neither that nor what to change) names the settings that size it. ``cfg`` None:
    a worker's error outside any run (decoding the data before its first), as the driver's line says it."""
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip()
    said = text.splitlines()[0] if text else ""
    if isinstance(exc, MemoryError):
        return ("MemoryError: the host ran out of memory"
                + (f" at batch size {cfg.batch_size}, crop {cfg.crop}" if cfg is not None else " outside any run")
                + (f" ({said})" if said else "")
                + (": lower the batch size or the crop, or run fewer workers at once" if cfg is not None
                   else ": free memory (other programs) or run fewer workers at once"))
    return f"{type(exc).__name__}: {said}".rstrip(": ")


def _record_failure(grid: _Grid, cfg: RunConfig, rid: str, message: str, traceback: str, started: float,
                    stage: str | None = None, at: int | None = None, stalled: bool = False,
                    peak: dict | None = None) -> None:
    """Write run ``rid``'s record as failed: the error, where (``stage``, ``at``: the training iteration) and the
    traceback (or where a hung run waited; ``stalled``: stopped as hung, retried after the grid's other runs);
    ``peak``: the host memory it had held (:func:`peak_rss_fields`: a run that failed for memory is sized by it)."""
    grid.store.write_meta(rid, {"run_id": rid, "config": cfg.to_dict(), "status": "failed", "error": message,
                                **({"failed_in": stage} if stage else {}),
                                **({"failed_at": at} if at is not None else {}),
                                **({"stalled": True} if stalled else {}),
                                **({"worker": grid.worker} if stalled and grid.worker else {}),
                                **(_process() if stalled else {}),  # the process the hang ends
                                "traceback": traceback, "started": started, "code_version": code_version(),
                                "loss_versions": _loss_versions_or_none(cfg.loss, cfg.precision),
                                "setting": setting(cfg), **({"grid_id": grid.grid_id} if grid.grid_id else {}),
                                **(peak or {})})


def _traceback(exc: BaseException, most: int = 20_000) -> str:
    """A failed run's traceback for its meta.json (where in a loss the bug is, without training the run again to
    find it): the text Python prints, its last ``most`` characters (the innermost frames) when longer."""
    import traceback

    text = "".join(traceback.format_exception(exc))
    return text if len(text) <= most else "…" + text[-most:]


def _failed_where(stage, at, iterations) -> str:
    """Where a run failed, as its error line and the grid's summary say it: "at training iteration 3 of 8", or "in
    evaluation" (meta.json's ``failed_in`` and ``failed_at``)."""
    return f"at training iteration {at} of {iterations}" if at is not None else f"in {stage or 'an unknown stage'}"


def failed_runs(store: ResultsStore, configs: list[RunConfig], most: int = 20) -> list[str]:
    """One line per run of ``configs`` that ``store`` records as failed — its task/loss and seed, run id, where and
    the error, as the runner logged it when it failed (hours and thousands of lines earlier, in a worker's log) —
    at most ``most`` of them, then how many more: the grid's summary (``plbench run``'s last lines)."""
    lines = []
    for c in configs:
        rid = run_id(c)
        meta = store.meta(rid) or {}
        if meta.get("status") == "failed":
            where = _failed_where(meta.get("failed_in"), meta.get("failed_at"), c.iterations)
            lines.append(f"{c.task}/{c.loss} seed {c.seed} (run {rid}) failed {where}: "
                         f"{meta.get('error') or 'no message recorded'}")
    return lines[:most] + ([f"… and {len(lines) - most} more (runs/<id>/meta.json)"] if len(lines) > most else [])


def interrupted_lines(store: ResultsStore, configs: list[RunConfig], again: str = "the same command") -> list[str]:
    """What an interrupted grid (Ctrl-C; SIGTERM: a scheduler's preemption, scancel) leaves, for the lines before the
    command that resumes it — the end of a night's log said 'interrupted' alone: how many of ``configs``' runs are
    finished (diverged among them), failed (each as :func:`failed_runs` names it: the same command retries them) and
    left (in flight, resumed from its checkpoint, or never begun). A run never begun has no folder: one listing
    of ``runs/``, no record read for it (a scheduler's grace before SIGKILL is short). ``again``: what resumes it
    (:func:`benchmark.api.run`'s: ``"the same api.run() call"``)."""
    try:
        begun = set(os.listdir(store.runs))
    except OSError:
        begun = None  # read each record
    finished = diverged = 0
    failed = []
    for c in configs:
        rid = run_id(c)
        status = (store.meta(rid) or {}).get("status") if begun is None or rid in begun else None
        finished += status in ("ok", "diverged")
        diverged += status == "diverged"
        if status == "failed":
            failed.append(c)
    left = len(configs) - finished - len(failed)
    return [f"the grid stands at {finished} of {plural(len(configs), 'run')} finished ({diverged} diverged), "
            f"{len(failed)} failed, {left} left"
            + (f": {again} retries the failed and resumes the rest" if failed and left
               else f": {again} retries {agree(len(failed), 'it', 'them')}" if failed
               else f": {again} resumes {agree(left, 'it', 'them')}" if left else ""),
            *failed_runs(store, failed)]


def halved_batch(meta: dict) -> int | None:
    """The batch size a finished run (ok or diverged) trained at after running out of memory at the one asked
    (its ``meta.json``'s ``batch_size_used``, :func:`_train_with_oom_retry`): a setting of its own; None where it
    trained at the batch asked, or never finished."""
    used = meta.get("batch_size_used")
    return used if meta.get("status") in ("ok", "diverged") and isinstance(used, int) else None


def halved_runs(store: ResultsStore, configs: list[RunConfig]) -> list[str]:
    """One line per run of ``configs`` that ran out of memory and trained at half the batch (:func:`halved_batch`):
    a setting of its own, so not on the leaderboard of the grid's setting."""
    lines = []
    for c in configs:
        rid = run_id(c)
        if (used := halved_batch(store.meta(rid) or {})) is not None:
            lines.append(f"{c.task}/{c.loss} seed {c.seed} (run {rid}) ran out of memory at batch size {c.batch_size} "
                         f"and trained at batch size {used}: a setting of its own, not on this grid's leaderboard "
                         f"(`plbench report --out {shlex.quote(str(store.root))} --where batch_size={used}`)")
    return lines


def _train_with_oom_retry(grid: _Grid, cfg: RunConfig, rid: str, task: Task, images: list[ImageRecord],
                          curves=None, rss_own: bool = True, checkpoint: Checkpointer | None = None
                          ) -> tuple[TrainResult, RunConfig]:
    """Train; on CUDA out-of-memory free the cache and try once more at half the batch size.
    Returns the result and the config actually trained (its batch size may be halved). ``rss_own``: as
    :func:`train`'s; ``checkpoint``: the first try's (``ckpt.pt``; None: ``grid``'s policy's)."""
    try:
        return train(cfg, task, images, grid.device, grid.progress,
                     checkpoint if checkpoint is not None else _checkpointer(grid, rid, cfg, "ckpt.pt"),
                     curves=curves, defer_stop=True, rss_own=rss_own), cfg
    except Exception as exc:  # noqa: BLE001 - only out-of-memory errors are retried; the rest re-raised
        if not is_out_of_memory(exc) or cfg.batch_size < 2:
            raise
        first = oom_summary(exc)
    # outside the handler, so the failed attempt's frames (and its tensors) are already released
    half = dataclasses.replace(cfg, batch_size=cfg.batch_size // 2)
    log.warning("run %s ran out of memory at batch size %d (%s); retrying once at %d", rid, cfg.batch_size, first,
                half.batch_size)
    if grid.device.type == "cuda":
        import gc

        gc.collect()
        torch.cuda.empty_cache()
    try:
        ckpt = _checkpointer(grid, rid, half, f"ckpt-b{half.batch_size}.pt")
        return train(half, task, images, grid.device, grid.progress, ckpt, curves=curves, defer_stop=True,
                     rss_own=rss_own), half
    except Exception as exc:  # noqa: BLE001
        if not is_out_of_memory(exc):
            raise
        again = oom_summary(exc) if str(exc).strip() else ""
        raise torch.cuda.OutOfMemoryError(f"out of memory at batch size {cfg.batch_size} and again at "
                                          f"{half.batch_size}: {again}".rstrip(": ")) from None




def measure_cuda_step(cfg, images, device: torch.device, device_path: bool | None = None) -> float:
    """Peak bytes the caching allocator reserved for two real training steps of ``cfg`` on this
    GPU (the runner's :class:`~benchmark.runner.TrainStep`: bf16 autocast, channels-last, the
    training set resident as uint8, cuDNN workspaces, fused Adam, compile if the setting has it).
    The CUDA context is outside the allocator and already out of what :func:`available_bytes`
    calls free. The training set is counted once, whether this process had uploaded it before or uploads it now
    (shared by a worker's runs: :meth:`~benchmark.sampler.DeviceSampler.shared`), and not at all when it is too large
    to be resident and stays on the host. ``device_path``: as :class:`TrainStep`'s (tests run it on the CPU)."""
    from benchmark.sampler import DeviceSampler

    task = build_task(cfg.task, **dict(cfg.task_params))
    fast = device.type == "cuda" if device_path is None else bool(device_path)
    # the set resident before the base is read, so the peak leaves it out and it is added once below
    sampler = DeviceSampler.shared(images, device) if fast and not task.host_only else None
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_reserved(device)
    step = TrainStep(cfg, task, images, device, device_path=device_path)
    with torch.backends.cudnn.flags(enabled=True, benchmark=True):
        for it in (1, 2):
            step(it)
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_reserved(device) - base
    resident = sampler.buffer.numel() if sampler is not None and sampler.buffer is not None else 0  # uint8
    del step
    torch.cuda.empty_cache()
    return float(peak + resident)


def _checkpoint_threads(grid: _Grid, rid: str, cfg: RunConfig) -> int | None:
    """The one torch thread count a CPU run's usable checkpoint was trained on (None: none, several, or not on the
    CPU): the run is finished — trained and evaluated — on it when the process has at least as many, so that its
    numbers are an uninterrupted run's (a grid killed under ``--workers 2`` and resumed by one process, a SLURM job
    requeued with more cores)."""
    ckpt = _checkpointer(grid, rid, cfg, "ckpt.pt") if grid.device.type == "cpu" else None
    counts = ckpt.threads() if ckpt is not None else ()
    return counts[0] if len(counts) == 1 else None


def _checkpointer(grid: _Grid, rid: str, cfg: RunConfig, name: str) -> Checkpointer | None:
    return checkpointer(grid.store, rid, cfg, grid.policy, name)


def _loss_files(spec: str) -> dict[str, str]:
    """``{loss name: absolute path}`` for each term of ``spec`` registered by a loss file (``--loss-file``):
    where a run's loss came from, so a later command on the store can say which file to load (not part of the
    run's identity, which holds the file's hash)."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    files = {t.name: LOSSES.get(t.name).meta.get("file") for t in parse_loss_spec(spec)}
    return {k: str(v) for k, v in sorted(files.items()) if v}


def _meta(cfg: RunConfig, rid: str, device: torch.device, r: TrainResult, started: float,
          wall_s: float | None = None) -> dict:
    """The run's meta.json record; ``wall_s``: its seconds since ``started`` on the monotonic clock (None: the wall
    clock's difference)."""
    from benchmark import devices as _devices
    from benchmark.lossfn import run_loss_versions
    from benchmark.nets import signature
    from benchmark.weights import files_sha256

    return {"run_id": rid, "status": r.status, "config": cfg.to_dict(), "setting": setting(cfg),
            "code_version": code_version(), "loss_versions": run_loss_versions(cfg.loss, cfg.precision),
            "loss_files": _loss_files(cfg.loss), "net_signature": signature(cfg.net),
            "git_commit": git_commit(), "versions": package_versions(), "device": str(device),
            "device_name": _devices.device_name(device),
            "threads": torch.get_num_threads(), "started": started,
            "wall_s": time.time() - started if wall_s is None else wall_s,
            "train_s": r.wall_s, "iterations_done": r.iterations_done,
            **_cost(r), "final_loss": r.final_loss,
            "loss_curve": r.curve, "peak_mem_mb": r.peak_mem_mb, "peak_mem_reserved_mb": r.peak_mem_reserved_mb,
            "diverged_at": r.diverged_at,
            "weights": r.loss_fn.provenance, "weights_sha256": files_sha256(r.loss_fn),
            "net_params": count_params(r.net), "resumed_at": r.resumed_at,
            **({"threads_before_resume": list(r.threads_before)} if r.resumed_at else {})}


def _cost(r: TrainResult) -> dict:
    """meta.json's cost of a run: ``ms_per_it`` (and ``it_per_s``) steady state, what they leave out
    (``timing_excluded``: warm-up iterations and their seconds, checkpoint seconds) and ``ms_per_it_wall``,
    training wall time / iterations as recorded before (a meta without ``timing_excluded`` holds that figure
    as ``ms_per_it``: read as it is)."""
    wall = 1000 / r.it_per_s if r.it_per_s else None
    ms = r.steady_ms_per_it if r.steady_ms_per_it else wall
    return {"it_per_s": 1000 / ms if ms else r.it_per_s, "ms_per_it": ms, "ms_per_it_wall": wall,
            # the cores its threads could run on (a container's CPU quota): what its share is judged against
            **({"cpu_share": r.cpu_share, "cpu_cores": r.cpu_cores if r.cpu_cores is not None else usable_cores()}
               if r.cpu_share is not None else {}),
            **({"cpu_runnable_share": r.cpu_runnable_share} if r.cpu_runnable_share is not None else {}),
            "timing_excluded": {"warmup_iterations": r.warmup_iterations, "warmup_s": r.warmup_s,
                                # none left out where no iteration was left to time (ms_per_it is the wall figure)
                                "checkpoint_s": r.checkpoint_s if r.steady_ms_per_it else 0.0}}


def input_setting(task: Task, task_version: str, test_specs, test_fingerprint: str) -> dict:
    """The setting of a task's degraded-input rows: the fields of :func:`benchmark.config.setting` they share."""
    return {"task": task.name, "task_params": task.params, "task_version": task_version,
            "test_data": [s.token() for s in test_specs], "test_fingerprint": test_fingerprint,
            "code_version": code_version()}


def input_run_id(task: Task, task_version: str, test_specs, test_fingerprint: str = "") -> str:
    import hashlib

    key = json.dumps([task.name, task.params, task_version, [s.token() for s in test_specs], test_fingerprint,
                      CODE_VERSION], sort_keys=True, default=str)
    return "input-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _score_input(grid: _Grid, task, task_version, test_specs, test_fp, items, last: bool = False) -> bool:
    """The degraded input scored as if it were a restoration: every leaderboard's starting point. A folder or file
    in the way in its own folder leaves the input row out, in one line; the task's runs go on. False (nothing done)
    when an earlier command's scoring of them hung in C code, which ended its process (``.stalled`` in their folder):
    they are scored after the grid's runs (``last``), which that hang, come back, would never reach otherwise."""
    rid = input_run_id(task, task_version, test_specs, test_fp)
    mark = stall_mark(grid.store, rid)
    if _hung_in_this_grid(grid, mark):  # its worker was ended there: not again
        log.error("%s: the degraded test inputs (run %s, the leaderboard's `input` row) were not scored: their "
                  "scoring hung in this grid (%s); the next command scores them", task.name, rid,
                  mark.get("error", "no message"))
        return True
    if mark is not None and not last:
        return False

    def record(error: str, stack: str) -> None:  # hung in C code: the process ends after this
        _mark_stalled(grid, rid, error)

    try:  # watched as a run is: minutes on a large test set, where a stalled read held the worker for ever
        with stall_watch(grid.stall_s, f"scoring {task.name}'s degraded test inputs (run {rid})",
                         record=_ending(grid, record)):
            _score_input_in(grid, rid, task, task_version, test_specs, test_fp, items)
        if mark is not None:  # scored (or by another process): the earlier hang no reason to wait any more
            _clear_stall_mark(grid.store, rid)
    except RunStalled as exc:  # nothing written: the same command scores them; the task's runs go on
        log.error("%s: the degraded test inputs (run %s, the leaderboard's `input` row) were not scored: %s; the same "
                  "command scores them", task.name, rid, exc)
    except (UserError, OSError) as exc:
        if (why := _blocked(exc, grid.store, rid)) is None:
            raise
        log.error("%s: the degraded test inputs (run %s, the leaderboard's `input` row) were not scored: %s",
                  task.name, rid, why)
    return True


def _score_input_in(grid: _Grid, rid: str, task, task_version, test_specs, test_fp, items) -> None:
    store = grid.store
    if store.is_done(rid) and not _metrics.MetricSet.subset(grid.metrics,
                                                   _up_to_date(store, rid, grid.metrics, say=False)).metrics:
        return
    lock = store.lock(rid)
    if isinstance(lock, str):
        log.info("input scores for %s are being written by %s", task.name, lock)
        return
    with lock:
        done = store.is_done(rid)
        aside = None if done else store.reset_run(rid, redone=True)
        todo = _metrics.MetricSet.subset(grid.metrics, _up_to_date(store, rid, grid.metrics) if done else set())
        if not todo.metrics and done:
            return
        # minutes on large test sets, before the task's first run: said, or it looks like a hang
        log.info("%s: scoring the degraded test inputs (%s; %s), the leaderboard's `input` row", task.name,
                 plural(len(items), "image"), ", ".join(m.name for m in todo.metrics))
        scores = evaluate(None, items, todo, grid.device)
        rows = make_rows(scores, rid=rid, task=task, task_version=task_version, loss="input", seed=None,
                         net="none", weights="none", train_data="none", higher=grid.higher, loss_version="",
                         setting_key=setting_json(input_setting(task, task_version, test_specs, test_fp)))
        with DeferredInterrupt():  # the pass and the record of the input's scoring, or neither (as in _run_one)
            _write_pass(store, rid, scores, todo, rows, grid.grid_id)
            if not done:
                store.write_meta(rid, {"run_id": rid, "status": "ok", "kind": "input", "task": task.name,
                                       "task_params": task.params, "test_data": [s.token() for s in test_specs],
                                       "setting": input_setting(task, task_version, test_specs, test_fp),
                                       "code_version": code_version()})
        # scored again byte for byte (the degraded input: no training, nothing the lost record could change)
        store.drop_identical_aside(rid, aside)


def _rescore(grid: _Grid, rid, cfg, task, task_version, items) -> str:
    """Score a finished run's saved net on the metrics it lacks: "rescored", or "unscored" (one error
    line, the grid goes on, its rows so far untouched) when its ``net.pt`` is missing or unreadable."""
    store, device = grid.store, grid.device
    todo = _metrics.MetricSet.subset(grid.metrics, _up_to_date(store, rid, grid.metrics))
    if not todo.metrics:
        return "rescored"
    net = build_net(cfg.net).to(device)
    path = store.run_dir(rid) / "net.pt"
    try:
        if damaged := store.state_damage(rid):  # a changed file may still load: its checksum says it is not the net
            raise Damage(damaged)
        net.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    except Exception as exc:  # noqa: BLE001 - missing, truncated or not this net's: the run's rows stay as they are
        why = ("missing" if isinstance(exc, FileNotFoundError) or str(exc) == "net.pt missing" else
               f"damaged ({exc})" if isinstance(exc, Damage) else f"unreadable ({type(exc).__name__})")
        log.error("run %s (%s/%s seed %d): cannot score %s: its net.pt is %s; its other rows are kept — put the file "
                  "back, or move %s aside to retrain the run", rid, cfg.task, cfg.loss, cfg.seed,
                  ", ".join(m.name for m in todo.metrics), why, store.run_dir(rid))
        return "unscored"
    meta = store.meta(rid)
    if isinstance(meta.get("batch_size_used"), int):  # retried at half batch: its rows are that setting's
        cfg = dataclasses.replace(cfg, batch_size=meta["batch_size_used"])
    scores = evaluate(net, items, todo, device)
    rows = make_rows(scores, rid=rid, task=task, task_version=task_version, weights=meta.get("weights", "none"),
                     higher=grid.higher, **_row_args(cfg, task_version))
    _write_pass(store, rid, scores, todo, rows, grid.grid_id)
    _clear_stall_mark(store, rid)  # an earlier re-score's hang: gone
    log.info("run %s re-scored on %s", rid, ", ".join(m.name for m in todo.metrics) or "nothing new")
    return "rescored"

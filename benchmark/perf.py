"""Training-step performance: iterations/s per loss, ratios measured side by side, and grid estimates.

``plbench perf`` times one training step (net forward + loss + backward + Adam step, plus an
online loss's own ``train_step``) of the benchmark's own net for every requested loss, and the
naive fp32 eager references of the two classic deep-feature losses:

* ``naive:vgg`` — a plain torchvision-layout VGG-16 up to relu2_2 in fp32/NCHW, target features
  computed with autograd on, ``F.mse_loss``: the textbook perceptual loss;
* ``naive:lpips`` — the ``lpips`` package (``LPIPS(net="alex", pnet_rand=True)``, ``normalize=True``).

Candidates are interleaved one step at a time and the median is reported, so drifts of the
machine hit every candidate alike; ratios (× L1, × naive) are therefore measured in one run.
Peak memory (CUDA) and FLOPs (``torch.utils.flop_counter``) come from one extra step each.

Every candidate of ours is the runner's own :class:`~benchmark.runner.TrainStep` (batches
sampled from real images and degraded as in training, with its checks), not a synthetic tensor
already on the device; the naive references are timed on a prepared batch.

``plbench run --dry-run`` uses :func:`estimate_grid`: the runner's step timed at two small shapes
and scaled to the grid's (the times are kept, so a second dry run measures nothing), plus one timed
evaluation per test set, extrapolated to the whole grid.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

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


@dataclass
class PerfRow:
    name: str
    ms_per_step: float
    it_per_s: float
    x_l1: float
    x_naive: float | None
    peak_mem_mb: float | None
    gflop_per_step: float | None
    achieved_tflops: float | None
    provenance: str


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


def harness_step(loss: str, *, net: str, batch: int, crop: int, device: torch.device, task: str = "denoise",
                 compile: bool = False, images=None, iterations: int = 1000):
    """The runner's own :class:`~benchmark.runner.TrainStep` for a loss (random-init backbones):
    sampling, degradation, finiteness check, forward, backward, Adam and scheduler. Returns a
    zero-argument function doing one step, and the step object."""
    from benchmark.config import RunConfig, precision_for
    from benchmark.runner import TrainStep
    from benchmark.task import build_task

    cfg = RunConfig(task=task, loss=loss, net=net, iterations=iterations, batch_size=batch, crop=crop,
                    device_type=device.type, precision=precision_for(device.type), compile=compile,
                    backbone_weights="random")
    task_obj = build_task(task)
    step = TrainStep(cfg, task_obj, images if images is not None else training_images(crop), device)
    counter = iter(range(1, 10**9))
    return (lambda: step(next(counter))), step


def measure(losses: list[str], *, net: str = "tiny", batch: int = 8, crop: int = 64, device: str = "cpu",
            reps: int = 10, warmup: int = 2, naive: bool = True, compile: bool = False, flops: bool = True,
            task: str = "denoise") -> list[PerfRow]:
    """Time one training step per candidate, interleaved; see the module docstring."""
    from benchmark.nets import build_net

    dev = torch.device(device)
    names = list(dict.fromkeys(["l1", *losses]))
    images = training_images(crop)
    steps, provenance = {}, {}
    for n in names:
        steps[n], st = harness_step(n, net=net, batch=batch, crop=crop, device=dev, task=task, compile=compile,
                                    images=images)
        provenance[n] = st.loss_fn.provenance
        base = n.split("(")[0]
        if naive and base in NAIVE:
            label, cls = NAIVE[base]
            g = torch.Generator().manual_seed(0)
            target = torch.rand(batch, 3, crop, crop, generator=g).to(dev)
            degraded = (target + 0.1 * torch.randn(target.shape, generator=g).to(dev)).clamp(0, 1)
            torch.manual_seed(0)
            model = build_net(net).to(dev)
            steps[label] = _naive_step(model, torch.optim.Adam(model.parameters(), lr=1e-4), cls().to(dev),
                                       degraded, target)
            provenance[label] = "naive fp32 eager reference"
    cudnn = torch.backends.cudnn.flags(enabled=True, benchmark=True) if dev.type == "cuda" else _nullctx()
    with cudnn:
        for _ in range(warmup):
            for s in steps.values():
                s()
        times = {n: [] for n in steps}
        for _ in range(reps):
            for n, s in steps.items():
                _sync(dev)
                t0 = time.perf_counter()
                s()
                _sync(dev)
                times[n].append(time.perf_counter() - t0)
        med = {n: statistics.median(v) for n, v in times.items()}
        rows = []
        for n, s in steps.items():
            peak = gflop = None
            if dev.type == "cuda":
                torch.cuda.reset_peak_memory_stats(dev)
                s()
                _sync(dev)
                peak = torch.cuda.max_memory_allocated(dev) / 2**20
            if flops:
                from torch.utils.flop_counter import FlopCounterMode

                try:
                    with FlopCounterMode(display=False) as fc:
                        s()
                    gflop = fc.get_total_flops() / 1e9
                except Exception as exc:  # noqa: BLE001 - counting is best effort (e.g. under compile)
                    log.debug("flop count failed for %s: %s", n, exc)
            base = n.split("(")[0]
            ref = NAIVE[base][0] if base in NAIVE and NAIVE[base][0] in med else None
            rows.append(PerfRow(n, 1e3 * med[n], 1 / med[n], med[n] / med["l1"], med[n] / med[ref] if ref else None,
                                peak, gflop, (gflop / med[n] / 1e3) if gflop else None, provenance[n]))
    return rows


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def format_rows(rows: list[PerfRow], header: str) -> str:
    lines = [header, f"{'loss':28s} {'ms/step':>9s} {'it/s':>8s} {'× L1':>6s} {'× naive':>8s} {'peak MB':>8s} "
                     f"{'GFLOP':>7s} {'TFLOP/s':>8s}  weights"]
    for r in rows:
        f = lambda v, spec: (format(v, spec) if v is not None else "–")  # noqa: E731
        lines.append(f"{r.name[:28]:28s} {r.ms_per_step:9.2f} {r.it_per_s:8.2f} {r.x_l1:6.2f} "
                     f"{f(r.x_naive, '8.2f'):>8s} {f(r.peak_mem_mb, '8.0f'):>8s} {f(r.gflop_per_step, '7.2f'):>7s} "
                     f"{f(r.achieved_tflops, '8.3f'):>8s}  {r.provenance}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# grid estimate (--dry-run)
# --------------------------------------------------------------------------------------------
PROBE = (1, 64)  # (batch, crop) of the small steps a dry run times


def _machine(dev: torch.device) -> str:
    import platform

    if dev.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(dev)}"
    return f"cpu:{platform.processor() or platform.machine()}:{torch.get_num_threads()}t"


class StepTimes:
    """Measured seconds per training step, kept on disk per (device, net, loss, task, shape, compile,
    torch version) so a second dry run measures nothing (``<torch hub dir>/plbench/steptimes.json``)."""

    def __init__(self, path: Path | None = None):
        from benchmark.weights import cache_dir

        self.path = Path(path) if path else cache_dir() / "steptimes.json"
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}
        self.measured = self.reused = 0

    @staticmethod
    def key(dev, net, loss, task, batch, crop, compile) -> str:
        return "|".join(map(str, (_machine(dev), torch.__version__, net, loss, task, batch, crop, compile)))

    def get(self, key: str, measure) -> float:
        if key in self.data:
            self.reused += 1
            return self.data[key]
        self.data[key] = measure()
        self.measured += 1
        return self.data[key]

    def save(self) -> None:
        from benchmark.results import atomic_write_json

        try:
            atomic_write_json(self.path, self.data)
        except OSError as exc:  # a read-only cache only costs the next dry run its speed
            log.warning("could not keep measured step times in %s: %s", self.path, exc)


def _best_time(fn, dev: torch.device, reps: int) -> float:
    """The fastest of ``reps`` calls: a machine shared with other jobs slows calls down at random
    (several-fold when threads are preempted), never speeds them up."""
    times = []
    for _ in range(reps):
        _sync(dev)
        t0 = time.perf_counter()
        fn()
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return min(times)


def _time_step(loss: str, net: str, task: str, batch: int, crop: int, dev: torch.device, compile: bool,
               images, reps: int = 3) -> tuple[float, float]:
    """(seconds of a runner step, of its data part: sampling + degradation; the fastest of ``reps``),
    after a warm-up."""
    step, st = harness_step(loss, net=net, batch=batch, crop=crop, device=dev, task=task, compile=compile,
                            images=images)
    step()
    data = _best_time(lambda: st.task.degrade(st.batch(), st.dgen if st.fast else st.gen), dev, reps)
    return _best_time(step, dev, reps), data


def _time_data(task: str, batch: int, crop: int, dev: torch.device, images, reps: int = 3) -> float:
    """Seconds of sampling and degrading one batch at the grid's own shape (cheap to time there)."""
    _, st = harness_step("l1", net="tiny", batch=batch, crop=crop, device=dev, task=task, images=images)
    st.task.degrade(st.batch(), st.dgen if st.fast else st.gen)
    return _best_time(lambda: st.task.degrade(st.batch(), st.dgen if st.fast else st.gen), dev, reps)


def loss_family(spec: str) -> str:
    """The registry module(s) of a spec's terms: ``'l1 + 0.1*pdl'`` → ``'pixel+pdl'``."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    mods = [LOSSES.get(t.name).obj.__module__.rsplit(".", 1)[-1] for t in parse_loss_spec(spec)]
    return "+".join(dict.fromkeys(mods))


def estimate_grid(configs, metric_names, device, cache: StepTimes | None = None) -> dict:
    """The grid's wall time without training it.

    Training: the runner's own step (:func:`harness_step`: sampling, degradation, checks) of every
    loss, timed on one small batch (:data:`PROBE`, the grid's first task); its compute part (the
    step minus sampling and degradation) is scaled by batch × crop² to the grid's shape, and the
    data part of every task is timed at the grid's own shape (cheap). Costs that grow faster than
    the pixels (the contextual loss's pairwise distances) are underestimated. Evaluation: one test
    image per (test sets, net), scaled by the test sets' pixels. Times are kept in :class:`StepTimes`,
    so a second dry run measures nothing."""
    from benchmark.metrics import MetricSet
    from benchmark.nets import build_net
    from benchmark.runner import DataCache, evaluate, held_out_items
    from benchmark.task import build_task

    dev = torch.device(device)
    cache = cache or StepTimes()
    first_task = configs[0].task
    images: dict[int, list] = {}

    def imgs(crop):
        return images.setdefault(crop, training_images(crop))

    def timed(key_parts, fn):
        return cache.get(StepTimes.key(dev, *key_parts), fn)

    step_s: dict[tuple, float] = {}
    for c in configs:
        key = (c.loss, c.task, c.net, c.batch_size, c.crop, c.compile)
        if key in step_s:
            continue
        b, cr = PROBE if c.batch_size * c.crop**2 > PROBE[0] * PROBE[1] ** 2 else (c.batch_size, c.crop)
        step, data = timed((c.net, c.loss, first_task, b, cr, c.compile),
                           lambda c=c, b=b, cr=cr: _time_step(c.loss, c.net, first_task, b, cr, dev, c.compile,
                                                              imgs(cr)))
        real_data = timed(("data", "-", c.task, c.batch_size, c.crop, False),
                          lambda c=c: _time_data(c.task, c.batch_size, c.crop, dev, imgs(c.crop)))
        step_s[key] = max(step - data, 0.0) * (c.batch_size * c.crop**2) / (b * cr * cr) + real_data
        log.debug("step %s/%s: %.1f ms estimated", c.task, c.loss, 1e3 * step_s[key])
    data, metrics = DataCache(), None
    eval_s: dict[tuple, float] = {}
    for c in configs:
        shared = (c.test_data, c.net)
        if shared in eval_s:
            continue
        key = "|".join(map(str, (_machine(dev), torch.__version__, "eval", c.net, c.test_fingerprint
                                 or ",".join(map(str, c.test_data)), ",".join(metric_names))))

        def run(c=c):
            nonlocal metrics
            metrics = metrics or MetricSet(metric_names, dev)
            items = held_out_items(build_task(c.task, **dict(c.task_params)), {s: data.images(s) for s in c.test_data})
            first = min(items, key=lambda it: it.clean.numel())
            net = build_net(c.net).to(dev)
            evaluate(net, [first], metrics, dev)  # warm-up
            t0 = time.perf_counter()
            evaluate(net, [first], metrics, dev)
            return (time.perf_counter() - t0) / first.clean[0, 0].numel() * sum(it.clean[0, 0].numel() for it in items)

        eval_s[shared] = cache.get(key, run)
    cache.save()
    per_run = {id(c): (c.iterations * step_s[(c.loss, c.task, c.net, c.batch_size, c.crop, c.compile)],
                       eval_s[(c.test_data, c.net)]) for c in configs}
    by_task: dict[str, float] = {}
    by_family: dict[str, float] = {}
    for c in configs:
        tr, ev = per_run[id(c)]
        by_task[c.task] = by_task.get(c.task, 0.0) + tr + ev
        fam = loss_family(c.loss)
        by_family[fam] = by_family.get(fam, 0.0) + tr + ev
    train_s = sum(v[0] for v in per_run.values())
    eval_total = sum(v[1] for v in per_run.values())
    ms = {}
    for (loss, task, *_), t in step_s.items():
        ms.setdefault(loss, {})[task] = 1e3 * t
    return {"runs": len(configs), "seconds": train_s + eval_total, "train_s": train_s, "eval_s": eval_total,
            "by_task": by_task, "by_family": by_family, "ms_per_step": ms, "measured": cache.measured,
            "reused": cache.reused, "cache": str(cache.path)}


def setup_header(device, *, net: str, batch: int, crop: int, reps: int, compile: bool = False,
                 task: str = "denoise") -> str:
    """One line saying what was measured where (device, threads, load, shapes, versions)."""
    import os
    import platform

    dev = torch.device(device)
    if dev.type == "cuda":
        where = f"{torch.cuda.get_device_name(dev)}, bf16 autocast + fused Adam"
    else:
        where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, fp32 (no autocast)"
    try:
        load = " load avg " + "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = ""
    return (f"device={dev} ({where});{load}; the runner's step (task {task}: sampling, degradation, checks); "
            f"net={net} batch={batch}x3x{crop}x{crop} reps={reps} compile={compile} torch={torch.__version__}")

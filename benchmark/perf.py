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

``plbench run --dry-run`` uses :func:`estimate_grid`: a short measured warm-up per distinct
(loss, net, batch, crop) plus one timed evaluation per task, extrapolated to the whole grid.
"""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import dataclass

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
        import lpips

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


def _step_fn(net, opt, loss_fn, degraded, target, device, fast: bool):
    needs = getattr(loss_fn, "needs_all", set())
    extra = {"degraded": degraded} if "degraded" in needs else {}
    use_amp = fast and device.type == "cuda"

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            pred = net(degraded)
            value = loss_fn(pred, target, **extra)
        opt.zero_grad(set_to_none=True)
        value.float().backward()
        opt.step()
        if hasattr(loss_fn, "train_step"):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                loss_fn.train_step(pred.detach(), target, **extra)
    return step


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(losses: list[str], *, net: str = "tiny", batch: int = 8, crop: int = 64, device: str = "cpu",
            reps: int = 10, warmup: int = 2, naive: bool = True, channels_last: bool | None = None,
            compile: bool = False, flops: bool = True) -> list[PerfRow]:
    """Time one training step per candidate, interleaved; see the module docstring."""
    from benchmark.lossfn import build_loss
    from benchmark.nets import build_net

    dev = torch.device(device)
    cl = (dev.type == "cuda") if channels_last is None else channels_last
    names = list(dict.fromkeys(["l1", *losses]))
    cands: dict[str, tuple] = {}
    for n in names:
        cands[n] = (build_loss(n, seed=0, weights="random", device=dev), True)
        base = n.split("(")[0]
        if naive and base in NAIVE:
            label, cls = NAIVE[base]
            cands[label] = (cls().to(dev), False)
    g = torch.Generator().manual_seed(0)
    target = torch.rand(batch, 3, crop, crop, generator=g).to(dev)
    degraded = (target + 0.1 * torch.randn(target.shape, generator=g).to(dev)).clamp(0, 1)
    steps = {}
    for n, (loss_fn, optimised) in cands.items():
        torch.manual_seed(0)
        model = build_net(net).to(dev)
        x, t = degraded, target
        if optimised and cl:
            model = model.to(memory_format=torch.channels_last)
            x, t = x.contiguous(memory_format=torch.channels_last), t.contiguous(memory_format=torch.channels_last)
        if optimised and compile:
            model = torch.compile(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, fused=(dev.type == "cuda" and optimised))
        steps[n] = _step_fn(model, opt, loss_fn, x, t, dev, fast=optimised)
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
                            peak, gflop, (gflop / med[n] / 1e3) if gflop else None,
                            getattr(cands[n][0], "provenance", "")))
    return rows


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
def estimate_grid(configs, metric_names, device, steps: int = 5) -> dict:
    """Seconds the grid would take: measured ms/step per distinct (loss, net, batch, crop) and one
    measured evaluation per task (on the untrained net), times the grid's iterations and runs."""
    from benchmark.data import DataSpec  # noqa: F401 - imported for type context
    from benchmark.metrics import MetricSet
    from benchmark.nets import build_net
    from benchmark.runner import DataCache, evaluate, held_out_items
    from benchmark.task import build_task

    dev = torch.device(device)
    step_s: dict[tuple, float] = {}
    shapes: dict[tuple, list[str]] = {}  # one interleaved measurement per (net, batch, crop): l1 timed once
    for c in configs:
        shapes.setdefault((c.net, c.batch_size, c.crop), [])
        if c.loss not in shapes[(c.net, c.batch_size, c.crop)]:
            shapes[(c.net, c.batch_size, c.crop)].append(c.loss)
    for (net, batch, crop), losses in shapes.items():
        log.info("timing %d training step(s) of %d loss(es) + l1, net %s, batch %d×%d² on %s", steps + 1,
                 len(losses), net, batch, crop, dev)
        for r in measure(losses, net=net, batch=batch, crop=crop, device=str(dev), reps=steps, warmup=1,
                         naive=False, flops=False):
            step_s[(r.name, net, batch, crop)] = r.ms_per_step / 1e3
    data, metrics = DataCache(), MetricSet(metric_names, dev)
    eval_s: dict[tuple, float] = {}
    by_eval: dict[tuple, float] = {}  # evaluation cost hardly depends on the task: time one image per
    for c in configs:                 # (test sets, net) and scale by the test sets' pixel count
        key = (c.task, c.task_params, c.test_data, c.net)
        shared = (c.test_data, c.net)
        if shared not in by_eval:
            task = build_task(c.task, **dict(c.task_params))
            items = held_out_items(task, {s: data.images(s) for s in c.test_data})
            first = min(items, key=lambda it: it.clean.numel())
            log.info("timing the evaluation of one test image (%s) on %s", first.image, dev)
            net = build_net(c.net).to(dev)
            evaluate(net, [first], metrics, dev)  # warm-up
            t0 = time.perf_counter()
            evaluate(net, [first], metrics, dev)
            per_px = (time.perf_counter() - t0) / first.clean[0, 0].numel()
            by_eval[shared] = per_px * sum(it.clean[0, 0].numel() for it in items)
        eval_s[key] = by_eval[shared]
    per_run = [c.iterations * step_s[(c.loss, c.net, c.batch_size, c.crop)]
               + eval_s[(c.task, c.task_params, c.test_data, c.net)] for c in configs]
    return {"runs": len(configs), "seconds": sum(per_run), "train_s": sum(c.iterations * step_s[(c.loss, c.net,
            c.batch_size, c.crop)] for c in configs), "eval_s": sum(eval_s[(c.task, c.task_params, c.test_data, c.net)]
            for c in configs), "ms_per_step": {k[0]: 1e3 * v for k, v in step_s.items()}}


def setup_header(device, *, net: str, batch: int, crop: int, reps: int, compile: bool = False,
                 channels_last: bool | None = None) -> str:
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
    cl = (dev.type == "cuda") if channels_last is None else channels_last
    return (f"device={dev} ({where});{load}; net={net} batch={batch}x3x{crop}x{crop} reps={reps} "
            f"channels_last={cl} compile={compile} torch={torch.__version__}")

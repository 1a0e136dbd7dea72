"""Training one restoration net per (task, loss, seed), evaluating it, and running a grid.

Data flow of one run::

    train images ─crop─▶ clean batch ─task.degrade─▶ degraded ─net─▶ restored ─loss─▶ Adam step
    test images ─task.degrade (fixed per image)─▶ degraded ─net─▶ restored ─metrics─▶ result rows

Training is deterministic on the CPU for a given seed (crops and degradations come from one
seeded ``torch.Generator``); on CUDA it runs under bf16 autocast.
"""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from benchmark import CODE_VERSION, __version__
from benchmark.config import RunConfig, run_id
from benchmark.data import DataSpec, ImageRecord, load_images, mod_crop, to_float, usable_for_crop
from benchmark.errors import UserError
from benchmark.lossfn import build_loss
from benchmark.metrics import MetricSet
from benchmark.nets import build_net, count_params
from benchmark.results import ResultsStore
from benchmark.task import Task, build_task, image_generator

log = logging.getLogger(__name__)
TEST_MULTIPLE = 8  # test images are cropped to multiples of 8 so every task scores the same pixels


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise UserError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {device!r} requested but CUDA is not available here")
    return dev


def code_version() -> str:
    return f"{__version__}+c{CODE_VERSION}"


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
class DataCache:
    """Decoded images per source, shared by every run of a grid."""

    def __init__(self):
        self._images: dict[DataSpec, list[ImageRecord]] = {}

    def images(self, spec: DataSpec) -> list[ImageRecord]:
        if spec not in self._images:
            self._images[spec] = load_images(spec)
            log.info("loaded %d images from %s", len(self._images[spec]), spec)
        return self._images[spec]


def sample_batch(images: list[ImageRecord], batch: int, crop: int, multiple: int,
                 generator: torch.Generator) -> torch.Tensor:
    """Random crops (with random flips and 90° rotations) → (B, 3, crop, crop) float in [0, 1]."""
    crop -= crop % multiple
    out = []
    idx = torch.randint(len(images), (batch,), generator=generator).tolist()
    for i in idx:
        px = images[i].pixels
        h, w = px.shape[-2:]
        top = int(torch.randint(h - crop + 1, (1,), generator=generator))
        left = int(torch.randint(w - crop + 1, (1,), generator=generator))
        patch = px[:, top:top + crop, left:left + crop]
        k, flip = torch.randint(4, (1,), generator=generator).item(), torch.rand(1, generator=generator).item() < 0.5
        patch = torch.rot90(patch, k, dims=(1, 2))
        out.append(patch.flip(-1) if flip else patch)
    return to_float(torch.stack(out))


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


def train(cfg: RunConfig, task: Task, images: list[ImageRecord], device: torch.device,
          progress: bool = False) -> TrainResult:
    """Train one net on random crops. Stops and reports ``diverged`` if the loss goes non-finite."""
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    net = build_net(cfg.net).to(device)
    loss_fn = build_loss(cfg.loss, seed=cfg.seed, device=device, weights=cfg.backbone_weights)
    needs_degraded = "degraded" in loss_fn.needs_all
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.iterations, eta_min=cfg.lr * 0.01)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else _null()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    curve, status, diverged_at, loss_val = [], "ok", None, float("nan")
    every = max(1, cfg.iterations // 50)
    bar = _progress(cfg.iterations, f"{cfg.task}/{cfg.loss}/s{cfg.seed}", progress)
    t0 = time.perf_counter()
    it = 0
    for it in range(1, cfg.iterations + 1):
        clean = sample_batch(images, cfg.batch_size, cfg.crop, task.size_multiple, gen).to(device)
        degraded = task.degrade(clean, gen)
        extra = {"degraded": degraded} if needs_degraded else {}
        with autocast:
            pred = net(degraded)
            loss = loss_fn(pred, clean, **extra)
        if not torch.isfinite(loss):
            status, diverged_at = "diverged", it
            log.warning("%s/%s seed %d diverged at iteration %d", cfg.task, cfg.loss, cfg.seed, it)
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if hasattr(loss_fn, "train_step"):
            with autocast:
                loss_fn.train_step(pred.detach(), clean, **extra)
        if it % every == 0 or it == cfg.iterations:
            loss_val = float(loss.detach())
            curve.append((it, loss_val))
        bar.update(1)
    bar.close()
    wall = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    done = it if status == "ok" else it - 1
    return TrainResult(net, loss_fn, status, done, wall, done / max(wall, 1e-9), loss_val, curve, peak, diverged_at)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=not enabled, dynamic_ncols=True)


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
    """Degrade every test image once, with a generator fixed by (task, image): identical inputs
    for every loss and seed."""
    items = []
    for spec, records in test_sets.items():
        for rec in records:
            clean = to_float(mod_crop(rec.pixels, TEST_MULTIPLE))[None]
            items.append(TestItem(spec.name, rec.image_id, clean,
                                  task.degrade(clean, image_generator(task, f"{spec.name}/{rec.image_id}"))))
    return items


@torch.no_grad()
def evaluate(net: torch.nn.Module | None, items: list[TestItem], metrics: MetricSet,
             device: torch.device) -> list[tuple[TestItem, dict[str, float]]]:
    """Score net(degraded) (or the degraded input itself when ``net`` is None) per image, fp32."""
    out = []
    if net is not None:
        net.eval()
    for item in items:
        x = item.degraded.to(device)
        pred = x if net is None else net(x).float().clamp(0, 1)
        out.append((item, metrics.score(pred, item.clean.to(device))))
    return out


def make_rows(scores, *, rid: str, task: Task, task_version: str, loss: str, seed, net: str,
              weights: str, train_data: str, higher: dict[str, bool]) -> list[dict]:
    rows = []
    params = json.dumps(task.params, sort_keys=True, default=str)
    for item, vals in scores:
        for metric, value in vals.items():
            rows.append({"run_id": rid, "task": task.name, "task_version": task_version, "task_params": params,
                         "loss": loss, "seed": seed, "net": net, "weights": weights, "train_data": train_data,
                         "dataset": item.dataset, "image": item.image, "metric": metric, "value": value,
                         "higher_is_better": higher[metric], "code_version": code_version()})
    return rows


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


def run_grid(configs: list[RunConfig], store: ResultsStore, metric_names: tuple[str, ...],
             device: torch.device, progress: bool = True) -> GridSummary:
    """Train and evaluate every config whose results are missing; resume skips the rest.

    Configs are grouped by task so test degradations are computed once per task. A run that
    fails with an exception is recorded as ``failed`` with its message and the grid goes on.
    """
    from benchmark.registry import TASKS

    store.ensure_writable()
    summary = GridSummary()
    data = DataCache()
    metrics: MetricSet | None = None
    ids = {c: run_id(c) for c in configs}
    pending = [c for c in configs if not (store.is_done(ids[c]) and set(metric_names) <= store.metrics_covered(ids[c]))]
    summary.skipped = len(configs) - len(pending)
    if summary.skipped:
        log.info("%d of %d runs already have results; skipping them", summary.skipped, len(configs))
    if not pending:
        return summary
    for spec, crop in {(c.train_data, c.crop) for c in pending}:  # bad data fails before any work
        usable_for_crop(data.images(spec), crop, spec)
    metrics = MetricSet(metric_names, device)
    higher = {m.name: m.higher_is_better for m in metrics.metrics}
    by_task: dict[tuple, list[RunConfig]] = {}
    for c in pending:
        by_task.setdefault((c.task, c.task_params, c.test_data), []).append(c)
    for (task_name, task_params, test_specs), group in by_task.items():
        task = build_task(task_name, **dict(task_params))
        task_version = TASKS.get(task_name).version
        items = held_out_items(task, {s: data.images(s) for s in test_specs})
        _score_input(store, task, task_version, test_specs, items, metrics, higher, device)
        for cfg in group:
            rid = ids[cfg]
            if store.is_done(rid):  # only metrics are missing: re-score the saved net
                _rescore(store, rid, cfg, task, task_version, items, metrics, higher, device)
                summary.rescored += 1
                continue
            log.info("run %s: task=%s loss=%s seed=%d", rid, cfg.task, cfg.loss, cfg.seed)
            started = time.time()
            try:
                images = usable_for_crop(data.images(cfg.train_data), cfg.crop, cfg.train_data)
                result = train(cfg, task, images, device, progress=progress)
                meta = _meta(cfg, rid, device, result, started)
                if result.status == "ok":
                    store.save_state(rid, "net.pt", {k: v.float().cpu() for k, v in result.net.state_dict().items()})
                    trainable = {k: v.cpu() for k, v in result.loss_fn.state_dict().items()}
                    if any(p.requires_grad for p in result.loss_fn.parameters()):
                        store.save_state(rid, "loss.pt", trainable)
                    scores = evaluate(result.net, items, metrics, device)
                    rows = make_rows(scores, rid=rid, task=task, task_version=task_version, loss=cfg.loss,
                                     seed=cfg.seed, net=cfg.net, weights=result.loss_fn.provenance,
                                     train_data=str(cfg.train_data), higher=higher)
                    store.write_eval(rid, rows, [m.name for m in metrics.metrics], metrics.skipped)
                    summary.trained += 1
                else:
                    summary.diverged += 1
                store.write_meta(rid, meta)
                log.info("run %s %s in %.1f s (%.1f it/s)", rid, result.status, time.time() - started, result.it_per_s)
            except UserError:
                raise
            except Exception as exc:  # noqa: BLE001 - one failed run must not stop the grid
                log.error("run %s (%s/%s seed %d) failed: %s: %s", rid, cfg.task, cfg.loss, cfg.seed,
                          type(exc).__name__, exc)
                store.write_meta(rid, {"run_id": rid, "config": cfg.to_dict(), "status": "failed",
                                       "error": f"{type(exc).__name__}: {exc}", "started": started})
                summary.failed += 1
    return summary


def _meta(cfg: RunConfig, rid: str, device: torch.device, r: TrainResult, started: float) -> dict:
    return {"run_id": rid, "status": r.status, "config": cfg.to_dict(), "code_version": code_version(),
            "git_commit": git_commit(), "versions": package_versions(), "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
            "threads": torch.get_num_threads(), "started": started, "wall_s": time.time() - started,
            "train_s": r.wall_s, "iterations_done": r.iterations_done, "it_per_s": r.it_per_s,
            "ms_per_it": 1000 / r.it_per_s if r.it_per_s else None, "final_loss": r.final_loss,
            "loss_curve": r.curve, "peak_mem_mb": r.peak_mem_mb, "diverged_at": r.diverged_at,
            "weights": r.loss_fn.provenance, "net_params": count_params(r.net)}


def input_run_id(task: Task, task_version: str, test_specs) -> str:
    import hashlib

    key = json.dumps([task.name, task.params, task_version, [str(s) for s in test_specs], CODE_VERSION],
                     sort_keys=True, default=str)
    return "input-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _score_input(store, task, task_version, test_specs, items, metrics, higher, device) -> None:
    """The degraded input scored as if it were a restoration: every leaderboard's starting point."""
    rid = input_run_id(task, task_version, test_specs)
    covered = store.metrics_covered(rid) if store.is_done(rid) else set()
    todo = MetricSet.subset(metrics, covered)
    if not todo.metrics and store.is_done(rid):
        return
    scores = evaluate(None, items, todo, device)
    rows = make_rows(scores, rid=rid, task=task, task_version=task_version, loss="input", seed=None,
                     net="none", weights="none", train_data="none", higher=higher)
    store.write_eval(rid, rows, [m.name for m in todo.metrics], todo.skipped)
    if not store.is_done(rid):
        store.write_meta(rid, {"run_id": rid, "status": "ok", "kind": "input", "task": task.name,
                               "task_params": task.params, "test_data": [str(s) for s in test_specs],
                               "code_version": code_version()})


def _rescore(store, rid, cfg, task, task_version, items, metrics, higher, device) -> None:
    todo = MetricSet.subset(metrics, store.metrics_covered(rid))
    if not todo.metrics and not todo.skipped:
        return
    net = build_net(cfg.net).to(device)
    net.load_state_dict(torch.load(store.run_dir(rid) / "net.pt", map_location=device, weights_only=True))
    meta = store.meta(rid)
    scores = evaluate(net, items, todo, device)
    rows = make_rows(scores, rid=rid, task=task, task_version=task_version, loss=cfg.loss, seed=cfg.seed,
                     net=cfg.net, weights=meta.get("weights", "none"), train_data=str(cfg.train_data), higher=higher)
    store.write_eval(rid, rows, [m.name for m in todo.metrics], todo.skipped)
    log.info("run %s re-scored on %s", rid, ", ".join(m.name for m in todo.metrics) or "nothing new")


"""One command that measures a GPU for plbench: ``python scripts/gpu_check.py --out gpu_check``.

What it measures (each section is timed and bounded; the whole check is sized for < 8 min on an H100):

1. **environment**: device name, torch / CUDA / cuDNN versions, threads, which pretrained weights
   are cached (``benchmark.weights.weights_report``);
2. **training step** (``benchmark.perf.measure``: the runner's own step, sampling and degradation
   included) for the ``small`` and ``base`` nets at 16 × 128² for ℓ1 and one loss of every registered family
   (:func:`families`), each loss timed with ℓ1 on its own and written as it is timed:
   ms/step, × ℓ1, × a naive fp32 reference where there is one, peak memory, achieved TFLOP/s;
3. **GPU utilisation** (``nvidia-smi``, sampled every 0.2 s) while a pixel-loss run trains;
4. **runs per hour** with 1, 2 and 4 workers per GPU on a small grid (``execute_local``), from the first run's
   start to the last one's end (the workers' start-up apart, which an overnight grid pays once), and with it;
5. **same-seed identity**: a tiny grid trained twice into two stores, each in a fresh process (both at once); the
   largest difference of any (run, image, metric) value, and whether they are bit-identical.

It writes ``gpu_check.md`` (the tables) and ``gpu_check.json`` (every number) under ``--out``.
``--device cpu`` runs a reduced version (tiny net, small crops, fewer losses and workers) in about a
minute: the test suite runs it (``tests/test_gpu_check.py``), so the script works before a GPU sees it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmark.docmarkup import plural  # noqa: E402  (torch-free: the line counts)

log = logging.getLogger("gpu_check")

#: the losses the GPU check times first (pixel, structural, frequency, VGG perceptual, LPIPS, DISTS, PDL, contextual);
#: :func:`families` adds one loss of every other registered family after them
FAMILIES = ("l1", "ms_ssim", "ffl", "vgg", "lpips", "dists", "pdl", "contextual")
CPU_FAMILIES = ("l1", "ms_ssim", "vgg")


def families(first=FAMILIES) -> tuple[str, ...]:
    """``first``, then the first registered loss (by name) of every loss family (file) none of them is of: every
    family the registry holds is timed on the GPU, a new loss file too, the hand-picked ones first."""
    from benchmark.lossfn import loss_family
    from benchmark.registry import LOSSES

    have = {loss_family(name) for name in first}
    extra = {}
    for name in LOSSES.names():
        fam = loss_family(name)
        if fam not in have and not name.startswith("test_"):  # (a test's own registered loss: not a family)
            extra.setdefault(fam, name)
    return (*first, *extra.values())


def environment(device) -> dict:
    import torch

    from benchmark import __version__
    from benchmark.devices import cpu_model
    from benchmark.weights import weights_report

    env = {"plbench": __version__, "python": platform.python_version(), "torch": torch.__version__,
           "cuda": torch.version.cuda, "cudnn": None, "device": str(device), "threads": torch.get_num_threads(),
           # the host CPU's model (sampling, JPEG's degradation, the CPU check's steps), as the runs' meta.json names it
           "host": platform.node(), "cpu": cpu_model()}
    def gpu():
        props = torch.cuda.get_device_properties(device)
        env.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   capability=f"{props.major}.{props.minor}")

    def cudnn():
        env["cudnn"] = torch.backends.cudnn.version()

    errors = []  # a CUDA that is_available() accepts can still fail its first context: recorded, the sections run
    for query, wanted in ((gpu, device.type == "cuda"), (cudnn, torch.cuda.is_available())):
        try:
            if wanted:
                query()
        except Exception as exc:  # noqa: BLE001 - the tables must still be written, saying what failed
            errors.append(_one_line(exc))
    if errors:
        env["error"] = "; ".join(errors)
    try:  # each pretrained file the losses load: present here or not (a loss that needs none has no file)
        env["weights"] = {r["file"]: bool(r["present"]) for r in weights_report() if r.get("file")}
    except Exception as exc:  # noqa: BLE001 - the report is informative; never stop the check for it
        env["weights"] = f"unavailable: {exc}"
    return env


def step_times(device, nets, batch: int, crop: int, losses, reps: int, *, rows: list | None = None,
               saved=lambda: None, deadline: float = float("inf"), why=lambda: "past the --budget-s deadline",
               images=None) -> list[dict]:
    """Every loss timed interleaved with ℓ1, one loss at a time (``benchmark.perf.measure`` of ``[loss]``: its rows
    and ℓ1's, ℓ1's row kept once per net), so each loss's rows are complete when its call returns and one failure (a
    loss that cannot be built or run on this device) costs only its own row (``error``).

    ``rows`` (appended to, and returned) and ``saved`` (called after each loss) let the caller write what was measured
    before a machine's time limit kills the process: a net stopped midway keeps the rows of the losses it timed; a net
    not started by ``deadline`` (``time.perf_counter()``) is a ``skipped`` row, a loss not started by then a
    ``skipped`` row naming it, ``why()`` its reason; ``images``: what the steps sample from (default the embedded
    training photos, loaded through ``datasets``)."""
    from benchmark.perf import measure

    def rows_of(names, net):
        return [{"net": net, "batch": batch, "crop": crop, "loss": r.name, "ms_per_step": r.ms_per_step,
                 "x_l1": r.x_l1, "x_naive": r.x_naive, "peak_mem_mb": r.peak_mem_mb,
                 "peak_mem_reserved_mb": r.peak_mem_reserved_mb, "tflops": r.achieved_tflops,
                 "weights": r.provenance,
                 # what plbench perf prints beside the medians: how far a re-run may move, and whether other work
                 # held the cores while it was timed (a CPU's)
                 "spread_pct": getattr(r, "spread_pct", None), "x_l1_iqr": getattr(r, "x_l1_iqr", None),
                 "cpu_share": getattr(r, "cpu_share", None), "busy": bool(getattr(r, "busy", False))}
                for r in measure(list(names), net=net, batch=batch, crop=crop, device=str(device), reps=reps,
                                 warmup=2, images=images)]

    rows = [] if rows is None else rows
    for net in nets:
        t0 = time.perf_counter()
        if t0 > deadline:
            rows.append({"net": net, "batch": batch, "crop": crop, "skipped": why()})
            saved()
            continue
        seen = set()  # the losses (ℓ1, a naive reference) this net has a row of: ℓ1 comes with every loss's call
        for loss in losses:
            if loss in seen:
                continue
            if time.perf_counter() > deadline:
                rows.append({"net": net, "batch": batch, "crop": crop, "loss": loss, "skipped": why()})
                seen.add(loss)
                saved()
                continue
            failed = None
            try:
                new = [r for r in rows_of([loss], net) if r["loss"] not in seen]
            except Exception as exc:  # noqa: BLE001 - this loss's row says so; the others are timed
                failed = _one_line(exc)
            if failed is not None:  # out of the except block: the failed steps (its traceback's frames) are freed
                log.warning("step times, net %s, %s: %s", net, loss, failed)
                _free_device_memory(device)
                new = [{"net": net, "batch": batch, "crop": crop, "loss": loss, "error": failed}]
            seen.update(r["loss"] for r in new)
            rows += new
            saved()  # each loss's rows written as it is timed: a net still running at the deadline keeps them
        log.info("step times, net %s: %.1f s", net, time.perf_counter() - t0)
    return rows


def _free_device_memory(device) -> None:
    """Collect what a failed attempt left (its steps, in reference cycles) and, on a GPU, hand the allocator's cached
    blocks back, so the next attempt meets the device's memory as the first did."""
    import gc

    import torch

    gc.collect()
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()


def synthetic_images(size: int = 256, n: int = 8) -> list:
    """Random uint8 images (seeded) for the step times where the data cannot be loaded (no ``datasets``): a step's
    time does not depend on what its pixels show."""
    import torch

    from benchmark.data import ImageRecord

    g = torch.Generator().manual_seed(0)
    return [ImageRecord(f"synthetic{i}", torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g))
            for i in range(n)]


def _abandon(code: int) -> None:
    """End the check now, from the watchdog's thread: the worker processes it started (runs/hour's) are killed
    first, as a hung one would keep the log's pipe (``gpu_device.sh``'s tee) open until the machine's limit."""
    import multiprocessing

    for child in multiprocessing.active_children():
        child.kill()
    for proc in list(_SUBPROCESSES):
        proc.kill()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def _nvidia_smi_ids(device) -> list[list[str]]:
    """The ``--id=…`` arguments to ask nvidia-smi for a CUDA ``device``'s lines, in the order tried (torch's index
    counts the GPUs CUDA_VISIBLE_DEVICES leaves, in CUDA's order; nvidia-smi's counts every GPU of the machine, in PCI
    order: on a SLURM node or under ``--device cuda:1`` nvidia-smi's first GPU is another one's): the UUID as
    ``nvidia-smi -L`` lists it — ``GPU-<uuid>``, or ``MIG-<uuid>`` for a MIG partition, whose UUID torch gives bare as
    a whole GPU's — then ``GPU-<uuid>`` (:class:`Utilisation` takes the next where one gives no sample); ``[[]]`` (every
    GPU's lines, the first read) where torch gives no UUID."""
    import torch

    if device is None or torch.device(device).type != "cuda":
        return [[]]
    try:
        uuid = str(torch.cuda.get_device_properties(torch.device(device)).uuid)
    except Exception:  # noqa: BLE001 - an older torch, or a device that cannot be queried: unnamed
        return [[]]
    if not uuid:
        return [[]]
    old = uuid if uuid.startswith(("GPU-", "MIG-")) else "GPU-" + uuid
    bare = uuid.split("-", 1)[1] if uuid.startswith(("GPU-", "MIG-")) else uuid
    listed = []
    try:  # e.g. "  MIG 1g.10gb     Device  0: (UUID: MIG-1a2b…)" under its GPU's line
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=5).stdout
        listed = [u for u in re.findall(r"UUID:\s*((?:GPU|MIG)-[0-9A-Fa-f-]+)", out or "")
                  if u.split("-", 1)[1].lower() == bare.lower()]
    except Exception:  # noqa: BLE001 - no nvidia-smi, or one that hangs: the old query alone
        pass
    return [[f"--id={u}"] for u in dict.fromkeys([*listed[:1], old])]


class Utilisation:
    """``nvidia-smi`` sampled in a thread while the ``with`` block runs (empty without nvidia-smi); ``device``: the
    CUDA device the run trains on, the one GPU sampled (:func:`_nvidia_smi_ids`: its id as nvidia-smi lists it, the
    next id tried while one gives no sample; ``gpu``: the id arguments of the query in use)."""

    def __init__(self, every: float = 0.2, device=None):
        self.every, self.samples = every, []
        self.device, self.gpu, self._ids = device, [], [[]]
        self._stop = threading.Event()
        self._thread = None

    def _loop(self):
        while not self._stop.is_set():
            try:
                out = subprocess.run(["nvidia-smi", *self.gpu, "--query-gpu=utilization.gpu,memory.used",
                                      "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=5)
                first = out.stdout.strip().splitlines()[0].split(",")
                self.samples.append((float(first[0]), float(first[1])))
            except Exception:  # noqa: BLE001 - no nvidia-smi (CPU) or a transient failure
                if not self.samples and self.gpu in self._ids[:-1]:  # no sample by this id yet: the next one
                    self.gpu = self._ids[self._ids.index(self.gpu) + 1]
                    continue
            self._stop.wait(self.every)

    def __enter__(self):
        if shutil.which("nvidia-smi"):
            self._ids = _nvidia_smi_ids(self.device)
            self.gpu = self._ids[0]
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        return False

    def summary(self) -> dict:
        if not self.samples:
            return {"samples": 0}
        util = sorted(s[0] for s in self.samples)
        return {"samples": len(util), "mean_util": sum(util) / len(util), "median_util": util[len(util) // 2],
                "max_mem_mib": max(s[1] for s in self.samples)}


def _configs(device, *, losses, seeds, iterations, net, batch, crop, tasks=("denoise",), data=None):
    """The grid's runs, planned as `plbench run` plans them: its data decoded into ``data`` (a DataCache), which the
    grid's run_grid / execute_local is then given, as `plbench run` gives it (its workers map those images)."""
    from benchmark.config import GridSpec, build_configs

    spec = GridSpec(profile="quick", tasks=tuple(tasks), losses=tuple(losses), seeds=tuple(seeds), net=net,
                    iterations=iterations, batch_size=batch, crop=crop, device=str(device),
                    metrics=("psnr", "ssim"), budget_check=False)  # timings of the runs asked for, no checks
    return build_configs(spec, data)[0]


def utilisation_during_run(device, *, iterations, net, batch, crop) -> dict:
    from benchmark.data import DataCache
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    data = DataCache()
    configs = _configs(device, losses=("l1",), seeds=(0,), iterations=iterations, net=net, batch=batch, crop=crop,
                       data=data)
    with tempfile.TemporaryDirectory() as d, Utilisation(device=device) as u:
        t0 = time.perf_counter()
        run_grid(configs, ResultsStore(Path(d) / "r"), ("psnr",), device, progress=False, logger="none", data=data)
        wall = time.perf_counter() - t0
        _finished_ok(configs, Path(d) / "r")  # a run failed at its first step: its samples measured nothing
    return {"iterations": iterations, "net": net, "batch": batch, "crop": crop, "wall_s": wall, **u.summary()}


def runs_per_hour(device, workers_list, *, n_runs, iterations, net, batch, crop, rows: list | None = None,
                  saved=lambda: None, deadline: float = float("inf"), why=lambda: "past the --budget-s deadline"
                  ) -> list[dict]:
    """One row per worker count (``rows``, appended to and returned; ``saved`` called after each); a count
    not started by ``deadline`` (``time.perf_counter()``) is a ``skipped`` row, ``why()`` its reason."""
    from benchmark.data import DataCache
    from benchmark.executors import execute_local

    out = [] if rows is None else rows
    key = "workers_per_gpu" if device.type == "cuda" else "workers"
    for k in workers_list:
        if time.perf_counter() > deadline:
            out.append({key: k, "skipped": why()})
            saved()
            continue
        data = DataCache()  # each worker count's grid planned and run as `plbench run` does: decoded once, shared
        configs = _configs(device, losses=("l1", "l2"), seeds=tuple(range(max(1, n_runs // 2))),
                           iterations=iterations, net=net, batch=batch, crop=crop, data=data)
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            if device.type == "cuda":
                execute_local(configs, Path(d) / "r", ("psnr",), str(device), workers="auto", workers_per_gpu=k,
                              logger="none", data=data)
            else:
                execute_local(configs, Path(d) / "r", ("psnr",), str(device), workers=k, logger="none", data=data)
            wall = time.perf_counter() - t0
            span = _runs_span(configs, Path(d) / "r")
            facts = _runs_facts(_finished_ok(configs, Path(d) / "r"))
        out.append({key: k, "runs": len(configs), "iterations": iterations, "wall_s": wall, "runs_span_s": span,
                    "runs_per_hour": 3600 * len(configs) / span, "runs_per_hour_wall": 3600 * len(configs) / wall,
                    **facts})
        log.info("%s: %s in %.1f s from the first run's start to the last one's end (%.1f s with "
                 "start-up)", plural(k, "worker"), plural(len(configs), "run"), span, wall)
        saved()
    return out


def _runs_facts(metas: list[dict]) -> dict:
    """What a runs/hour row's runs were timed with, from their meta.json: ``threads_per_run``, their torch thread
    counts (one worker trains in the check's process on all its threads, k CPU workers on the cores ÷ k each: rows of
    other threads are no like-for-like throughput), and ``busy_runs``, how many were timed while other work held the
    cores (:func:`benchmark.devices.timed_busy`, as the cost table judges a run: their throughput reads low)."""
    from benchmark.devices import timed_busy

    return {"threads_per_run": sorted({int(m["threads"]) for m in metas if isinstance(m.get("threads"), int)}),
            "busy_runs": sum(timed_busy(m) for m in metas)}


def _runs_span(configs, store_root: Path) -> float:
    """Seconds from the first run's start to the last run's end (meta.json's started + wall_s): the
    workers' throughput without their start-up (spawning, imports, CUDA context, decoding the data), which a tiny
    grid's wall time is mostly made of and an overnight grid pays once; a single worker trains in this process and
    pays none of it."""
    metas = _finished_ok(configs, store_root)
    start = min(m["started"] for m in metas)
    return max(m["started"] + m["wall_s"] for m in metas) - start  # wall_s: training and evaluation (runner)


def _finished_ok(configs, store_root: Path, where: str = "") -> list[dict]:
    """Each run's meta.json in the store at ``store_root``, all ``ok``; else a RuntimeError naming the runs that are not
    (their status and first error line) and ``where`` they were trained: a grid whose runs failed (run_grid records a
    failure and goes on, its process exiting 0) has measured nothing."""
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(store_root)
    metas = [store.meta(run_id(c)) for c in configs]
    bad = [(run_id(c), m) for c, m in zip(configs, metas) if not (m and m.get("status") == "ok")]
    if bad:
        said = [f"{rid} {m.get('status', '?')}: {' '.join(str(m.get('error', '')).split())[:160]}".rstrip(": ")
                if m else f"{rid} unfinished" for rid, m in bad]
        raise RuntimeError(f"{len(bad)} of {plural(len(configs), 'run')} did not finish ok{where} "
                           f"({'; '.join(said)}): see the log above")
    return metas


#: the training processes the check started outside multiprocessing (same_seed_identity's): ended with it
_SUBPROCESSES: list = []
#: set at the --budget-s deadline: the training processes above are ended, and no new one is started
_STOP = threading.Event()

#: one copy of a grid trained in a fresh interpreter: argv = configs pickle, store, device, threads, metrics...; it
#: ends with os._exit once run_grid has returned: a fresh-clone CI run on 2026-12-06 saw one copy, both its runs
#: recorded ok, abort in teardown ('terminate called without an active exception', exit -6; not reproduced in 5
#: reruns), failing the section though the runs, which _finished_ok checks, were whole
_TRAIN_COPY = """import logging, pickle, sys, torch
logging.basicConfig(level=logging.INFO, format="%(levelname).1s %(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
from benchmark.results import ResultsStore
from benchmark.runner import run_grid
torch.set_num_threads(int(sys.argv[4]))
with open(sys.argv[1], "rb") as f:
    configs = pickle.load(f)
run_grid(configs, ResultsStore(sys.argv[2]), tuple(sys.argv[5:]), torch.device(sys.argv[3]), progress=False,
         logger="none")
import os
logging.shutdown(); sys.stdout.flush(); sys.stderr.flush()
os._exit(0)  # its results are on disk (atomic writes): an abort in the interpreter's teardown must not fail the copy
"""


def _train_copies(configs, roots: list[Path], metrics, device) -> None:
    """Train ``configs`` into each of ``roots``, each copy in a fresh process started at once (this process's torch
    thread count): what a resumed run or another worker is, with cuDNN's algorithm choices (``cudnn.benchmark`` times
    them) and the allocator its own; together, so the interpreters' start-up is paid once in the section's time."""
    import pickle

    import torch

    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([repo, *filter(None, [os.environ.get("PYTHONPATH")])])}
    procs = []
    try:
        for root in roots:
            root.parent.mkdir(parents=True, exist_ok=True)
            pkl = root.parent / f"{root.name}.configs.pkl"
            pkl.write_bytes(pickle.dumps(list(configs)))
            if _STOP.is_set():
                raise RuntimeError("not started: past the --budget-s deadline")
            proc = subprocess.Popen([sys.executable, "-c", _TRAIN_COPY, str(pkl), str(root), str(device),
                                     str(torch.get_num_threads()), *metrics], env=env)
            _SUBPROCESSES.append(proc)
            procs.append(proc)
        while any(p.poll() is None for p in procs):
            if _STOP.wait(0.1):  # the deadline (in a test process: the watchdog does not end it)
                break
        failed = [p.returncode for p in procs if p.returncode]
        if failed or _STOP.is_set():
            raise RuntimeError("training a copy of the grid in a fresh process failed (exit "
                               f"{', '.join(map(str, failed)) or 'killed at the --budget-s deadline'}): see the log "
                               "above")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            _SUBPROCESSES.remove(proc)


def same_seed_identity(device, *, iterations, net, batch, crop) -> dict:
    """A tiny grid trained twice, each copy in a fresh process, both at once (in one process the second copy would
    reuse the first one's cuDNN algorithm choices, which on a GPU hides what a resumed run or another worker sees)."""
    from benchmark.results import ROW_KEY, ResultsStore

    configs = _configs(device, losses=("l1", "ms_ssim"), seeds=(0,), iterations=iterations, net=net, batch=batch,
                       crop=crop)
    tables = []
    with tempfile.TemporaryDirectory() as d:
        roots = [Path(d) / f"r{i}" for i in range(2)]
        _train_copies(configs, roots, ("psnr", "ssim"), device)
        for i, root in enumerate(roots, 1):  # a failed run has no rows: two empty tables are no identity
            _finished_ok(configs, root, f" in copy {i}")
            t = ResultsStore(root).table()
            tables.append(t[t["loss"] != "input"].sort_values(ROW_KEY).reset_index(drop=True))
    a, b = tables
    if not (len(a) and len(b)):  # runs ok that scored nothing (each metric skipped or unscorable): no identity either
        raise RuntimeError(f"no rows to compare: {len(a)} and {len(b)} rows in the two copies, whose runs finished ok "
                           "(their metrics skipped or unscorable?): see the log above")
    same_rows = len(a) == len(b) and (a[ROW_KEY].values == b[ROW_KEY].values).all()
    diff = float((a["value"] - b["value"]).abs().max()) if same_rows and len(a) else float("nan")
    return {"runs": len(configs), "rows": len(a), "same_rows": bool(same_rows), "max_abs_diff": diff,
            "bit_identical": bool(same_rows and (a["value"].values == b["value"].values).all())}


#: each section's share of the --budget-s time left when it starts (a section's unused time passes to the later ones):
#: within it a section starts its nets or worker counts, so one slower than planned leaves the others theirs
SHARES = {"steps": 0.4, "utilisation": 0.1, "runs_per_hour": 0.35, "identity": 0.15}

SECTIONS = {"steps": "Training step (the runner's step: sampling, degradation, forward, backward, Adam)",
            "utilisation": "GPU utilisation during a pixel-loss run", "runs_per_hour": "Runs per hour",
            "identity": "Same seed, trained twice"}


def _section_md(key: str, val, env: dict) -> list[str]:
    if isinstance(val, dict) and ("error" in val or "stopped" in val):  # with the rows measured before, if any
        head = f"failed: {val['error']}" if "error" in val else f"stopped: {val['stopped']}"
        return [head, *(["", *_section_md(key, val["rows"], env)] if val.get("rows") else [])]
    if isinstance(val, dict) and "skipped" in val:
        return [f"skipped: {val['skipped']}"]
    f = lambda v, spec: "–" if v is None else format(v, spec)  # noqa: E731
    if key == "steps":
        from benchmark.perf import busy_rows_line, sig3

        # as plbench perf's table (benchmark.perf.format_rows): the step times' IQR in % of their median and × ℓ1's
        # quartiles over the reps beside the medians, TFLOP/s to three significant figures, the busy rows named
        lines = ["| net | batch × crop² | loss | ms/step | IQR % | × ℓ1 | × ℓ1 IQR | × naive fp32 | peak MiB | rsv MiB "
                 "| TFLOP/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in val:
            if "skipped" in r:  # a net not started (no loss), or one of its losses
                lines.append(f"| {r['net']} | {r['batch']} × {r['crop']}² | {r.get('loss', '–')} | skipped: "
                             f"{r['skipped']} "
                             "| | | | | | | |")
                continue
            head = f"| {r['net']} | {r['batch']} × {r['crop']}² | {r['loss']} |"
            if "error" in r:
                lines.append(f"{head} failed: {r['error'].replace('|', '/')} | | | | | | | |")
                continue
            iqr = r.get("x_l1_iqr")
            lines.append(f"{head} {r['ms_per_step']:.2f} | {f(r.get('spread_pct'), '.0f')} | {r['x_l1']:.2f} | "
                         f"{f'{iqr[0]:.2f}–{iqr[1]:.2f}' if iqr else '–'} | {f(r['x_naive'], '.2f')} | "
                         f"{f(r['peak_mem_mb'], '.0f')} | {f(r.get('peak_mem_reserved_mb'), '.0f')} | "
                         f"{'–' if r['tflops'] is None else sig3(r['tflops'])} |")
        busy = busy_rows_line([f"{r['loss']} ({r['net']})" if len({x.get('net') for x in val}) > 1 else r["loss"]
                               for r in val if r.get("busy")])
        return lines + ([] if busy is None else ["", busy])
    if key == "utilisation":
        u = val
        return [f"{u['samples']} nvidia-smi samples: mean {u['mean_util']:.0f} %, median {u['median_util']:.0f} %, "
                f"max memory {u['max_mem_mib']:.0f} MiB; run of {u['iterations']} iterations in {u['wall_s']:.1f} s."
                if u.get("samples") else f"no nvidia-smi samples (device {env['device']}); run of "
                f"{u['iterations']} iterations in {u['wall_s']:.1f} s."]
    if key == "runs_per_hour":
        # each row's runs' torch threads (1 worker: the check's process's, k CPU workers: the cores ÷ k each) and
        # those timed while other work held the cores: what its runs/hour is of (_runs_facts)
        lines = ["| workers | runs | iterations | runs' span s | runs/hour | wall s, start-up included | "
                 "runs/hour, start-up included | threads a run | runs timed busy |", "|---" * 9 + "|"]
        for r in val:
            k = r.get("workers_per_gpu", r.get("workers"))
            if "skipped" in r:
                lines.append(f"| {k}{' per GPU' if 'workers_per_gpu' in r else ''} | skipped: {r['skipped']} "
                             "| | | | | | | |")
                continue
            threads = ", ".join(map(str, r.get("threads_per_run") or [])) or "–"
            busy = f"{r['busy_runs']} of {r['runs']}" if r.get("busy_runs") is not None else "–"
            lines.append(f"| {k}{' per GPU' if 'workers_per_gpu' in r else ''} | {r['runs']} | {r['iterations']} | "
                         f"{r['runs_span_s']:.1f} | {r['runs_per_hour']:.0f} | {r['wall_s']:.1f} | "
                         f"{r['runs_per_hour_wall']:.0f} | {threads} | {busy} |")
        return lines
    s = val
    return [f"{s['runs']} runs, {s['rows']} rows: {'bit-identical' if s['bit_identical'] else 'not bit-identical'}"
            f" (largest difference {s['max_abs_diff']:.3g})."]


def _weights_md(weights) -> str:
    """Which pretrained files the losses load are cached here (the step times use random-init trunks either way)."""
    if not isinstance(weights, dict):
        return f"Pretrained weights: {weights or 'not reported'}."
    have = sorted(f for f, present in weights.items() if present)
    missing = sorted(f for f, present in weights.items() if not present)
    return (f"Pretrained weights cached: {len(have)} of {len(weights)} ({', '.join(have) or 'none'})"
            + (f"; missing: {', '.join(missing)}." if missing else "."))


def to_markdown(res: dict) -> str:
    env = res["environment"]
    head = f"# plbench GPU check — {env.get('gpu', env['device'])}, {res['date']}"
    if "error" in res:  # the check did not start (the device asked for cannot be used)
        return "\n".join([head, "", f"not run: {res['error']}", ""])
    total = f"total {res['wall_s']:.0f} s" if "wall_s" in res else "unfinished"
    lines = [head, "", f"torch {env['torch']}, CUDA {env['cuda']}, cuDNN {env['cudnn']}, plbench {env['plbench']}, "
             f"{env['threads']} threads" + (f" of {env['cpu']}" if env.get("cpu") else "") + f"; {total}.", "",
             *([f"Environment: {env['error']}", ""] if env.get("error") else []), _weights_md(env.get("weights")), ""]
    for key, title in SECTIONS.items():
        if key in res:
            lines += [f"## {title}", "", *_section_md(key, res[key], env), ""]
    return "\n".join(lines)


def main(argv=None, *, exit_at_deadline: bool = False) -> int:
    """The check; ``exit_at_deadline``: a section still running at ``--budget-s`` ends this process once the tables
    are written (the script, on a lent machine); otherwise (in a test process) the section is marked stopped and the
    check returns 1 when it ends."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    p.add_argument("--out", default="gpu_check", help="folder for gpu_check.md and gpu_check.json")
    p.add_argument("--device", default="auto", help="auto (cuda when present), cuda, cuda:N or cpu (reduced)")
    p.add_argument("--budget-s", type=float, default=480.0,
                   help="the tables are written by then: sections not started are skipped, and a section still "
                        "running (slow or hung) is stopped, its rows kept, exit 1; so a lent machine's time limit "
                        "never loses what was measured (default 480; run by gpu_device.sh, counted from its start, "
                        "PLBENCH_CHECK_STARTED, the setup included)")
    p.add_argument("--synthetic-images", action="store_true",
                   help="no `datasets` here (gpu_device.sh passes it then): the training step is timed on random "
                        "images, and the sections that train on the data are skipped")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname).1s %(asctime)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from benchmark.devices import resolve_device
    from benchmark.errors import UserError

    t0 = time.perf_counter()
    with contextlib.suppress(KeyError, ValueError):  # gpu_device.sh's start: its setup counts towards the budget
        t0 -= max(0.0, time.time() - float(os.environ["PLBENCH_CHECK_STARTED"]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        device = resolve_device(args.device)
    except UserError as exc:  # one line, and the tables say why nothing was measured (only $OUT comes back)
        res = {"date": time.strftime("%Y-%m-%d"), "error": str(exc), "environment": {"device": args.device}}
        (out / "gpu_check.json").write_text(json.dumps(res, indent=2, default=str))
        (out / "gpu_check.md").write_text(to_markdown(res))
        print(f"gpu_check: {exc}", file=sys.stderr)
        return 2
    gpu = device.type == "cuda"
    res = {"date": time.strftime("%Y-%m-%d"), "environment": environment(device)}

    lock = threading.RLock()  # the watchdog (below) writes from its own thread
    _STOP.clear()

    def save():
        with lock:
            (out / "gpu_check.json").write_text(json.dumps(res, indent=2, default=str))
            (out / "gpu_check.md").write_text(to_markdown(res))

    deadline = t0 + args.budget_s

    stopped = set()  # the sections the watchdog stopped at the deadline

    def stop(key: str) -> None:
        """The deadline passed inside section ``key`` (slow, or hung in a kernel or a worker): write what was
        measured, that section marked stopped with its rows so far. Run as the script (``exit_at_deadline``), end the
        process (a hung section cannot be interrupted from here); called in another process (the test suite), never
        end it: the section runs on (the training processes the check started are ended), its later rows kept, and
        the check ends after it, exit 1."""
        if not lock.acquire(timeout=10 if exit_at_deadline else -1):  # a save stuck on its disk: the files already
            _abandon(1)                                                # written stand
            return
        try:
            stopped.add(key)
            live = res.get(key) if isinstance(res.get(key), list) else None  # the section's rows, appended to still
            res[key] = {"stopped": f"still running at the --budget-s deadline ({args.budget_s:.0f} s)",
                        **({"rows": live} if live is not None else {})}
            for later in list(sections)[list(sections).index(key) + 1:]:  # named in the tables, not left out
                res.setdefault(later, {"skipped": f"not started: {key} was stopped at the --budget-s deadline"})
            res["wall_s"] = time.perf_counter() - t0
            save()
        finally:
            lock.release()
        log.error("%s stopped: %s", key, res[key]["stopped"])
        if exit_at_deadline:
            print(to_markdown(res))
            print(f"written: {out / 'gpu_check.md'}, {out / 'gpu_check.json'}")
            _abandon(1)
        _STOP.set()  # the check's own training processes (a hung one) are ended: the section ends

    def rows_of(key: str) -> dict:  # a section that fills res[key] row by row, saved after each row, within its share
        res[key] = []
        now = time.perf_counter()
        left = list(sections)[list(sections).index(key):]
        share = max(0.0, deadline - now) * SHARES[key] / sum(SHARES[k] for k in left)

        def why() -> str:
            if time.perf_counter() > deadline:
                return "past the --budget-s deadline"
            return f"past this section's share of --budget-s ({share:.0f} s of the {args.budget_s:.0f} s)"

        return {"rows": res[key], "saved": save, "deadline": now + share, "why": why}

    images = synthetic_images() if args.synthetic_images else None  # (None: the embedded training photos)
    if gpu:
        sections = {
            "steps": lambda: step_times(device, ("small", "base"), 16, 128, families(), reps=10, images=images,
                                        **rows_of("steps")),
            "utilisation": lambda: utilisation_during_run(device, iterations=1000, net="small", batch=16, crop=128),
            "runs_per_hour": lambda: runs_per_hour(device, (1, 2, 4), n_runs=8, iterations=300, net="small",
                                                   batch=16, crop=96, **rows_of("runs_per_hour")),
            "identity": lambda: same_seed_identity(device, iterations=100, net="small", batch=16, crop=96)}
    else:  # the reduced version: the same code paths, about a minute on 2 cores
        sections = {
            "steps": lambda: step_times(device, ("tiny",), 2, 48, CPU_FAMILIES, reps=2, images=images,
                                        **rows_of("steps")),
            "utilisation": lambda: utilisation_during_run(device, iterations=20, net="tiny", batch=2, crop=32),
            "runs_per_hour": lambda: runs_per_hour(device, (1, 2), n_runs=2, iterations=10, net="tiny", batch=2,
                                                   crop=32, **rows_of("runs_per_hour")),
            "identity": lambda: same_seed_identity(device, iterations=6, net="tiny", batch=2, crop=32)}
    if args.synthetic_images:  # the data cannot be loaded here: the sections that train on it are named, not run
        for key in list(sections)[1:]:
            sections[key] = lambda: {"skipped": "it trains on the data, which needs `datasets` (--synthetic-images)"}
    failed = 1 if res["environment"].get("error") else 0
    for key, fn in sections.items():
        spent = time.perf_counter() - t0
        if spent > args.budget_s:
            res[key] = {"skipped": f"{spent:.0f} s spent of the {args.budget_s:.0f} s budget"}
            log.warning("%s skipped: %s", key, res[key]["skipped"])
        else:
            watchdog = threading.Timer(max(0.0, deadline - time.perf_counter()), stop, (key,))
            watchdog.daemon = True
            watchdog.start()
            try:
                val = fn()
            except Exception as exc:  # noqa: BLE001 - keep what the other sections measure
                val = exc
            finally:
                watchdog.cancel()
            with lock:
                if key in stopped:  # stays marked stopped, with the rows it added since (a test process's check)
                    pass
                elif isinstance(val, Exception):
                    failed += 1
                    rows = res.get(key) if isinstance(res.get(key), list) else []  # saved before it failed: kept
                    res[key] = {"error": _one_line(val), **({"rows": rows} if rows else {})}
                    log.error("%s failed: %s", key, res[key]["error"])
                else:
                    res[key] = val
        save()  # after every section: a run cut short by the machine's limit keeps what it measured
    res["wall_s"] = time.perf_counter() - t0
    save()
    print(to_markdown(res))
    print(f"written: {out / 'gpu_check.md'}, {out / 'gpu_check.json'}")
    return 1 if failed or stopped else 0


if __name__ == "__main__":
    sys.exit(main(exit_at_deadline=True))

"""Start-up and bookkeeping on a big store, two code trees side by side: time and peak memory.

What a user waits for before any training on a store of tens of thousands of finished runs: planning a
``plbench run`` whose runs are all finished (:func:`benchmark.runner.run_grid`: damage check, completeness),
the SLURM driver's submission planning (:func:`benchmark.executors.execute_slurm` with ``tests/fake_slurm.py``'s
commands on ``PATH``: nothing to submit), ``plbench check``, ``plbench report``'s tables
(:meth:`ResultsStore.table` + :func:`benchmark.settings.select`) and ``plbench merge`` of the store into a copy of
itself (every run ``kept``). Each phase runs in its own process per tree, the trees alternating
(:func:`ab_trees.side_by_side`); both trees must give the same answer. Without ``STORE`` a synthetic store of
``--runs`` finished runs is written (:func:`build`; no training, ~14 ms a run) by tree A's code (``--writer b``:
B's), so a store of an earlier release is read as after an upgrade. A tree of an earlier commit::

    git archive <commit> benchmark tasks losses | tar -x -C /tmp/old

Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_bookkeeping.py --a /tmp/old --b . [--runs 20000] \
        [--phases plan,slurm,check,report,merge] [--writer a|b] [STORE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ab_trees import side_by_side  # scripts/ab_trees.py: the timing loop the store benchmarks share

LOSSES = ("l1", "l2", "ssim", "charbonnier")
METRICS = ("psnr", "ssim", "lpips")

#: the grid of the synthetic store, the same in the builder and in every child
GRID = f"""
from benchmark.config import RunConfig
def grid(n):
    per = -(-n // {len(LOSSES)})
    return [RunConfig("denoise", loss, seed, task_params=(("sigma", 0.1),), iterations=150,
                      train_fingerprint="synthetic-train", test_fingerprint="synthetic-test")
            for loss in {LOSSES!r} for seed in range(per)][:n]
"""

BUILD = GRID + f"""
import json, sys
import numpy as np
from benchmark.config import run_id
from benchmark.results import ResultsStore, atomic_write_json
from benchmark.runner import input_groups
from benchmark.synthetic import synthetic_runs
root, n, n_images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = ResultsStore(root)
store.ensure_writable()
configs = grid(n)
template = next(rows for rid, meta, rows in synthetic_runs(offsets={{"l1": 0.0}}, seeds=(0,), n_images=n_images,
                                                           metrics={METRICS!r}, budget_check=False) if rid[0] != "i")
rng = np.random.default_rng(0)
for c in configs:
    rid = run_id(c)
    rows = [dict(r, run_id=rid, loss=c.loss, seed=c.seed, value=r["value"] + float(rng.normal(0, 0.1)))
            for r in template]
    store.write_eval(rid, rows, sorted({METRICS!r}), {{}})
    store.write_meta(rid, {{"run_id": rid, "status": "ok", "config": c.to_dict(), "ms_per_it": 10.0,
                           "loss_curve": [[150, 0.05]], "setting": json.loads(template[0]["setting"])}})
for key, rid in input_groups(configs).items():
    rows = [dict(r, run_id=rid, loss="input", seed=None, net="none") for r in template]
    store.write_eval(rid, rows, sorted({METRICS!r}), {{}})
    store.write_meta(rid, {{"run_id": rid, "status": "ok", "kind": "input", "task": "denoise"}})
"""

CHILD = GRID + f"""
import json, os, resource, sys, time, shutil, tempfile
from pathlib import Path
import pandas as pd
import benchmark.config, benchmark.runner, benchmark.executors, benchmark.settings, benchmark.metrics, torch
from benchmark.results import ResultsStore
phase, n = os.environ["BENCH_PHASE"], int(os.environ["BENCH_RUNS"])
root = Path(sys.argv[1])
configs = grid(n)
out = {{}}
if phase == "merge":  # the copy is made outside the measured part
    copy = Path(tempfile.mkdtemp(dir=os.environ["BENCH_SCRATCH"])) / "copy"
    shutil.copytree(root, copy, copy_function=os.link)  # hard links: no disk, same files
if phase == "slurm":
    sys.path.insert(0, os.environ["BENCH_TESTS"])
    import fake_slurm
    os.environ.update(fake_slurm.install(Path(tempfile.mkdtemp()) / "bin", Path(tempfile.mkdtemp()) / "state"))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
store = ResultsStore(root)
if phase == "plan":
    s = benchmark.runner.run_grid(configs, store, {METRICS!r}, torch.device("cpu"), progress=False)
    out = {{"skipped": s.skipped}}
elif phase == "slurm":
    s = benchmark.executors.execute_slurm(configs, root, {METRICS!r}, "cpu", cluster="slurm", folder=root / ".sub")
    out = {{"skipped": s.skipped}}
elif phase == "check":
    out = {{"damaged": len(store.check())}}
elif phase == "report":
    chosen = benchmark.settings.select(store.table(categories=True))
    out = {{"rows": len(chosen.table)}}
elif phase == "merge":
    got = ResultsStore(copy).merge_from(store)
    out = {{k: len(v) for k, v in got.items()}}
s = time.perf_counter() - t
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
if phase == "merge":
    shutil.rmtree(copy.parent)
pd.DataFrame([out]).to_pickle(sys.argv[2])
print(json.dumps({{"rows": n, "s": s, "peak_mb": peak, "out": out}}))
"""


def build(root: Path, runs: int, tree: Path, n_images: int = 24) -> Path:
    """A store of ``runs`` finished runs of :data:`GRID` (``n_images`` × 3 metrics rows each) and their input
    scores, written by the code of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "HF_HUB_OFFLINE": "1"}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", BUILD, str(root), str(runs), str(n_images)], env=env, check=True,
                   cwd=tree.resolve())
    print(f"built {runs} runs in {root} with {tree} in {time.perf_counter() - t:.0f} s", flush=True)
    return root


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, nargs="?", help="a store built by this script (default: a new one)")
    ap.add_argument("--a", type=Path, required=True, help="code tree A (e.g. the old one)")
    ap.add_argument("--b", type=Path, default=Path("."), help="code tree B (default: this one)")
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--phases", default="plan,slurm,check,report,merge")
    ap.add_argument("--writer", choices=("a", "b"), default="a", help="which tree writes the synthetic store")
    ap.add_argument("--scratch", type=Path, default=None, help="folder for the store and merge copies")
    args = ap.parse_args(argv)
    os.environ.update(BENCH_RUNS=str(args.runs), BENCH_TESTS=str(Path(__file__).resolve().parent.parent / "tests"))
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        os.environ["BENCH_SCRATCH"] = tmp
        store = args.store or build(Path(tmp) / "store", args.runs, args.a if args.writer == "a" else args.b)
        for phase in args.phases.split(","):
            print(f"-- {phase} ({args.runs} runs)", flush=True)
            os.environ["BENCH_PHASE"] = phase
            side_by_side(CHILD, store, args.a, args.b, args.repeats, describe=lambda r: str(r["out"]),
                         what="answers")
            shutil.rmtree(store / ".sub", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())

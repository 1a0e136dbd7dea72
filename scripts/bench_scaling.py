"""Grid throughput with 1 vs N local workers on the same grid: runs/min and the scaling ratio.

Each configuration trains the same grid into a fresh temporary results directory through
:func:`benchmark.executors.execute` (``local``): first 1 worker (in this process), then N spawned
workers, every one with ``--threads`` intra-op threads (default 1, so on an N-core machine the
two sides use 1 and N cores). Reported per side:

* ``wall``: from the call to its return, including the workers' start-up (imports, metric set);
* ``steady``: from the first run's start to the last run's end (``meta.json`` timestamps), i.e.
  throughput once the workers are up, which is what a grid of minutes-long GPU runs sees.

The ratio is N-worker throughput over 1-worker throughput; linear scaling is N. Results of the
two sides are checked to be identical. The load average is printed before and after: other jobs
on the machine change the figures.

    HF_HUB_OFFLINE=1 python scripts/bench_scaling.py [--workers 2] [--iterations 60]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmark.docmarkup import plural  # noqa: E402


def _grid(args):
    from benchmark.cli import build_configs, build_parser

    argv = ["run", "--tasks", *args.tasks, "--losses", *args.losses, "--seeds", *map(str, args.seeds),
            "--iterations", str(args.iterations), "--crop", str(args.crop), "--batch-size", str(args.batch_size),
            "--net", args.net, "--metrics", *args.metrics, "--test-data", "skimage-natural:test", "--device", "cpu",
            "--no-budget-check"]
    return build_configs(build_parser().parse_args(argv))


def measure(configs, metrics, device, workers: int, threads: int) -> dict:
    from benchmark.executors import execute
    from benchmark.results import ResultsStore

    with tempfile.TemporaryDirectory(prefix=f"plbench-scaling-w{workers}-") as root:
        t0 = time.time()
        summary = execute("local", configs, root, metrics, device, workers=workers, threads=threads)
        wall = time.time() - t0
        store = ResultsStore(root)
        metas = [m for m in store.metas() if m.get("kind") != "input"]
        first = min(m["started"] for m in metas)
        last = max(m["started"] + m["wall_s"] for m in metas)
        table = store.table().sort_values(["run_id", "image", "metric"]).reset_index(drop=True)
    n = summary.trained
    return {"workers": workers, "runs": n, "wall_s": wall, "steady_s": last - first, "startup_s": first - t0,
            "per_min_wall": 60 * n / wall, "per_min_steady": 60 * n / (last - first), "table": table}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--workers", type=int, default=2, help="N (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per worker, both sides (default 1)")
    ap.add_argument("--tasks", nargs="+", default=["denoise", "sr4"])
    ap.add_argument("--losses", nargs="+", default=["l1", "l2", "charbonnier", "ssim"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--net", default="tiny")
    ap.add_argument("--metrics", nargs="+", default=["psnr", "ssim"])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    configs, metrics, device = _grid(args)
    load0 = os.getloadavg()
    one = measure(configs, metrics, device, 1, args.threads)
    many = measure(configs, metrics, device, args.workers, args.threads)
    load1 = os.getloadavg()
    same = one["table"]["value"].equals(many["table"]["value"]) and len(one["table"]) == len(many["table"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"grid: {len(configs)} runs ({' '.join(args.tasks)} × {' '.join(args.losses)} × seeds "
          f"{' '.join(map(str, args.seeds))}; net={args.net}, {args.iterations} it of {args.batch_size}×{args.crop}²) "
          f"on CPU, {cores} cores, {plural(args.threads, 'thread')} per worker")
    print(f"load average before {'/'.join(f'{x:.2f}' for x in load0)}, after {'/'.join(f'{x:.2f}' for x in load1)}")
    print(f"{'workers':>7s} {'wall s':>8s} {'start-up s':>10s} {'runs/min (wall)':>16s} {'runs/min (steady)':>18s}")
    for r in (one, many):
        print(f"{r['workers']:7d} {r['wall_s']:8.1f} {r['startup_s']:10.1f} {r['per_min_wall']:16.2f} "
              f"{r['per_min_steady']:18.2f}")
    n = args.workers
    rw, rs = many["per_min_wall"] / one["per_min_wall"], many["per_min_steady"] / one["per_min_steady"]
    print(f"scaling {n} vs 1 worker: {rw:.2f}× wall ({rw / n:.2f}·N), {rs:.2f}× steady ({rs / n:.2f}·N); "
          f"target ≥ {0.9 * n:.1f}× (0.9·N)")
    print(f"results identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

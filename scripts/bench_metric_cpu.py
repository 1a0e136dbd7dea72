"""CPU time per image of each metric on one thread, side by side in one run: README's table under "Metrics".

Each metric's module (as :class:`benchmark.metrics.MetricSet` opens it: fastiqa's fsim, vsi, gmsd, nlpd, vif,
the separable ssim and ms_ssim, mad) scores a Kodak24 photo's centre crop (256², and at 512² the 500² photo
mirrored past its right and bottom edges) with Gaussian noise
σ = 0.1 as the prediction, one call per metric per repetition, the metrics' order rotated each repetition and every
repetition on another photo, so the clean image's half that fsim, vsi, nlpd, vif and ssim keep is computed each time
(a grid's first scoring of a test image; later scorings of it cost less). One untimed call per metric and size
first. Reported: the median process CPU time (``time.process_time``, one torch thread) in ms, the median wall
time, and each metric's CPU time as a ratio to psnr's and ssim's of the same run — the figures to compare across
machines, or on a machine that other work loads (CPU time alone still reads high there: caches and memory
bandwidth are shared).

    HF_HUB_OFFLINE=1 python scripts/bench_metric_cpu.py [--images ../shared/datasets/Kodak24] [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_eval import noisy_pairs  # noqa: E402 - the test images and their noisy outputs, as bench_eval makes them

METRICS = ("psnr", "ssim", "ms_ssim", "fsim", "vsi", "gmsd", "nlpd", "vif", "mad")


def main(argv=None) -> int:
    from benchmark.config import SHARED_DATASETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--images", default=str(SHARED_DATASETS / "Kodak24"))
    ap.add_argument("--reps", type=int, default=5, help="repetitions, each on another photo")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--metrics", default=",".join(METRICS), help="comma-separated names (psnr and ssim first)")
    args = ap.parse_args(argv)
    import torch

    from benchmark.metrics import MetricSet

    torch.set_num_threads(1)
    pairs_of = {side: noisy_pairs(args.images, args.reps + 1, side, exactly=True, who="bench_metric_cpu")
                for side in args.sizes}  # a wrong --images said before the metrics load
    names = tuple(args.metrics.split(","))
    ms = MetricSet(names)
    if ms.skipped:
        print(f"skipped: {ms.skipped}")
    mods = [(m.name, m.module, m.full_reference) for m in ms.metrics]
    rows = {}
    with torch.no_grad():
        for side in args.sizes:
            pairs = pairs_of[side]
            warm_pred, warm_clean = pairs.pop()
            for _, mod, fr in mods:
                mod(warm_pred, warm_clean) if fr else mod(warm_pred)
            cpu = {n: [] for n, _, _ in mods}
            wall = {n: [] for n, _, _ in mods}
            for r, (pred, clean) in enumerate(pairs):
                k = r % len(mods)
                for name, mod, fr in mods[k:] + mods[:k]:
                    c, t = time.process_time(), time.perf_counter()
                    mod(pred, clean) if fr else mod(pred)
                    cpu[name].append(time.process_time() - c)
                    wall[name].append(time.perf_counter() - t)
            rows[side] = {n: (1000 * statistics.median(cpu[n]), 1000 * statistics.median(wall[n])) for n in cpu}
    load = os.getloadavg()
    print(f"{args.reps} reps per size, 1 torch thread, {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, images {args.images}")
    print(f"{'metric':8} " + " ".join(f"{'cpu ms ' + str(s):>12} {'wall ' + str(s):>10} {'÷psnr':>8} {'÷ssim':>7}"
                                       for s in args.sizes))
    for name, _, _ in mods:
        cells = []
        for s in args.sizes:
            c, w = rows[s][name]
            ratio = [f"{c / rows[s][ref][0]:.1f}" if ref in rows[s] else "-" for ref in ("psnr", "ssim")]
            cells.append(f"{c:12.1f} {w:10.1f} {ratio[0]:>8} {ratio[1]:>7}")
        print(f"{name:8} " + " ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())

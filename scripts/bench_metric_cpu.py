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

METRICS = ("psnr", "ssim", "ms_ssim", "fsim", "vsi", "gmsd", "nlpd", "vif", "mad")


def _pairs(folder: str, side: int, count: int):
    """``count`` (pred, clean) pairs: centre crops side × side of the folder's photos, pred = clean + N(0, 0.1²)."""
    import numpy as np
    import torch
    from PIL import Image

    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".png", ".bmp", ".jpg", ".jpeg"))
    if len(files) < count:
        raise SystemExit(f"bench_metric_cpu: {folder} holds {len(files)} images; {count} needed (one per repetition)")
    g = torch.Generator().manual_seed(0)
    out = []
    for f in files[:count]:
        img = np.array(Image.open(f).convert("RGB"))
        h, w = img.shape[:2]
        if min(h, w) < side:  # Kodak24's 500² crops at 512²: mirrored at the borders (at most 12 px a side)
            if 2 * min(h, w) < side:
                raise SystemExit(f"bench_metric_cpu: {f.name} is {w}×{h}, under half of {side}²")
            img = np.pad(img, ((0, max(side - h, 0)), (0, max(side - w, 0)), (0, 0)), mode="symmetric")
            h, w = img.shape[:2]
        top, left = (h - side) // 2, (w - side) // 2
        clean = torch.from_numpy(img[top:top + side, left:left + side].copy()).permute(2, 0, 1)[None].float() / 255
        out.append(((clean + 0.1 * torch.randn(clean.shape, generator=g)).clamp(0, 1), clean))
    return out


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
    names = tuple(args.metrics.split(","))
    ms = MetricSet(names)
    if ms.skipped:
        print(f"skipped: {ms.skipped}")
    mods = [(m.name, m.module, m.full_reference) for m in ms.metrics]
    rows = {}
    with torch.no_grad():
        for side in args.sizes:
            pairs = _pairs(args.images, side, args.reps + 1)
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

"""Time of sr4's MATLAB imresize (``--task-param sr4.resize=matlab``): the banded gather it uses against the dense
(n_out, n_in) float64 matrices it used before, side by side, on one photo-sized image, ×scale down then up
(the task's degrade), with the largest difference of their outputs.

    python scripts/bench_imresize.py [--size 3000x4000] [--scale 4] [--reps 3] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def dense_imresize(img, size, uint8=False):
    """The dense-matrix imresize as it was (float64 matmuls with :func:`imresize_matrix`)."""
    import torch

    from tasks.super_resolution import imresize_matrix

    h, w = img.shape[-2:]
    x = torch.floor(img.double().clamp(0, 1) * 255 + 0.5) if uint8 else img.double()
    passes = {0: lambda t: torch.matmul(imresize_matrix(h, size[0], size[0] / h), t),
              1: lambda t: torch.matmul(t, imresize_matrix(w, size[1], size[1] / w).T)}
    for axis in ((0, 1) if size[0] / h <= size[1] / w else (1, 0)):
        x = passes[axis](x)
        if uint8:
            x = torch.floor(x.clamp(0, 255) + 0.5)
    return (x / 255 if uint8 else x).to(img.dtype)


def main(argv=None) -> int:
    import torch

    from tasks.super_resolution import imresize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--size", default="3000x4000", help="H×W of the image (multiples of --scale)")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.lower().split("x"))
    h, w = h - h % args.scale, w - w % args.scale
    img = torch.floor(torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0)) * 255 + 0.5) / 255
    low = (h // args.scale, w // args.scale)

    def degrade(fn):
        return fn(fn(img, low, uint8=True), (h, w), uint8=True)

    times, outs = {"dense": [], "banded": []}, {}
    for _ in range(args.reps):  # interleaved, so a drift of the machine hits both alike
        for name, fn in (("dense", dense_imresize), ("banded", imresize)):
            t0 = time.perf_counter()
            outs[name] = degrade(fn)
            times[name].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in times.items()}
    diff = (outs["dense"] - outs["banded"]).abs().max().item()
    print(f"{h}x{w} x{args.scale} down+up, {torch.get_num_threads()} threads, best of {args.reps}")
    print(f"{'dense s':>10} {'banded s':>10} {'ratio':>8} {'max |diff|':>11}")
    print(f"{best['dense']:10.2f} {best['banded']:10.2f} {best['dense'] / best['banded']:7.1f}x {diff:11.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

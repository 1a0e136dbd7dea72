"""Evaluation cost of a metric set: each metric scored by its own module vs :meth:`MetricSet.score`.

"separate" is what ``MetricSet.score`` did before it shared work between metrics (every metric's module
called on its own, fsim, vsi and nlpd by pyiqa's own modules, ssim and ms_ssim keeping nothing of the clean
image); "set" is ``MetricSet.score`` now (ssim and
ms_ssim from one :meth:`benchmark.metrics.SeparableSSIM.both` pass, fsim, vsi and nlpd with the clean image's
half kept from its first scoring: :mod:`benchmark.fastiqa`, so the first repetition pays it, as a grid's first
run does). Both score the same images, interleaved one image each per repetition, the median per image is
reported, and every score is checked equal to the last bit (a difference is an error, exit 1). Images: the
photos of ``--images`` (a folder), each with Gaussian noise σ = 0.1 as the prediction, as the runner scores a
net's output against the clean image.

``--threads N`` instead times ``MetricSet.score`` at torch's current thread count against N threads and
counts the scores that differ (pyiqa's float reductions are split per thread, so the thread count is part
of a score's last bits: the runner keeps the run's count, README "bit-identical … same number of threads").

    HF_HUB_OFFLINE=1 python scripts/bench_eval.py [--images ../shared/datasets/CSet5] [--metrics quick] [--reps 3]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
log = logging.getLogger("bench_eval")


def noisy_pairs(folder: str, count: int, side: int | None = None, exactly: bool = False, who: str = "bench_eval"):
    """(pred, clean) pairs of the first ``count`` photos of ``folder`` (sorted by name; ``exactly``: fewer is an
    error), each (1, 3, H, W) float in [0, 1], pred = clean + N(0, 0.1²) clipped (one generator, seed 0): the whole
    photo, or (``side``) its centre crop side × side, mirrored past its right and bottom edges where it is smaller
    (Kodak24's 500² at 512²; under half of ``side`` is an error). Errors are one line naming ``who``, the script."""
    import numpy as np
    import torch
    from PIL import Image

    if not Path(folder).is_dir():
        raise SystemExit(f"{who}: {folder} is not a folder (pass --images)")
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".png", ".bmp", ".jpg", ".jpeg"))
    if not files or (exactly and len(files) < count):
        raise SystemExit(f"{who}: {folder} holds {len(files)} images; {count if exactly else 1} needed")
    g = torch.Generator().manual_seed(0)
    out = []
    for f in files[:count]:
        img = np.array(Image.open(f).convert("RGB"))
        if side is not None:
            h, w = img.shape[:2]
            if min(h, w) < side:
                if 2 * min(h, w) < side:
                    raise SystemExit(f"{who}: {f.name} is {w}×{h}, under half of {side}²")
                img = np.pad(img, ((0, max(side - h, 0)), (0, max(side - w, 0)), (0, 0)), mode="symmetric")
                h, w = img.shape[:2]
            top, left = (h - side) // 2, (w - side) // 2
            img = img[top:top + side, left:left + side].copy()
        clean = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
        out.append(((clean + 0.1 * torch.randn(clean.shape, generator=g)).clamp(0, 1), clean))
    return out


def _uncached(module):
    """What scored before the clean-side caches: pyiqa's module inside fastiqa's fsim/vsi/nlpd, and a twin of a
    SeparableSSIM whose cache keeps nothing (the set's own would skip the clean side and fill the set's cache)."""
    import copy

    from benchmark.fastiqa import RefCache

    if hasattr(module, "inner"):
        return module.inner
    if isinstance(getattr(module, "refs", None), RefCache):
        twin = copy.copy(module)
        twin.refs = RefCache(max_bytes=0)
        return twin
    return module


def _separate(ms, pred, clean) -> dict[str, float]:
    import torch

    from benchmark.metrics import min_side

    out = {}
    for m in ms.metrics:
        if min(pred.shape[-2:]) >= min_side(m.name):
            mod = _uncached(m.module)
            val = mod(pred, clean) if m.full_reference else mod(pred)
            out[m.name] = float(torch.as_tensor(val).float().mean())
    return out


def _differing(a: dict[str, float], b: dict[str, float]) -> set[str]:
    """The metrics of score dicts ``a``, ``b`` whose values are not the same to the last bit (one missing counts):
    a NaN scored in both is the same (``nan != nan``), 0.0 and -0.0 are not."""
    import struct

    def bits(v):
        return "nan" if v is not None and math.isnan(v) else struct.pack("<d", v) if v is not None else None

    return {k for k in a.keys() | b.keys() if bits(a.get(k)) != bits(b.get(k))}


def main(argv=None) -> int:
    from benchmark.config import DEFAULT_METRICS, QUICK_METRICS, SHARED_DATASETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--images", default=str(SHARED_DATASETS / "CSet5"))
    ap.add_argument("--limit", type=int, default=5, help="at most this many images")
    ap.add_argument("--metrics", default="quick", help="quick, default, or comma-separated names")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="compare the set at this thread count instead")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    from benchmark.metrics import MetricSet

    pairs = noisy_pairs(args.images, args.limit)  # a wrong --images said before the metrics load
    names = {"quick": QUICK_METRICS, "default": DEFAULT_METRICS}.get(args.metrics) or tuple(args.metrics.split(","))
    ms = MetricSet(names)
    if args.threads:
        return _threads(ms, pairs, args)
    times = {"separate": [], "set": []}
    with torch.no_grad():
        for _ in range(args.reps):
            for pred, clean in pairs:
                t = time.perf_counter()
                a = _separate(ms, pred, clean)
                times["separate"].append(time.perf_counter() - t)
                t = time.perf_counter()
                b = ms.score(pred, clean)
                times["set"].append(time.perf_counter() - t)
                if differ := _differing(a, b):
                    log.error("scores differ: %s", {k: (a.get(k), b.get(k)) for k in sorted(differ)})
                    return 1
    sep, new = statistics.median(times["separate"]), statistics.median(times["set"])
    log.info("%d images of %s, metrics %s, %d threads, %d reps: separate %.3f s/image, set %.3f s/image, "
             "ratio %.2f× (scores equal to the last bit)", len(pairs), args.images,
             ",".join(m.name for m in ms.metrics), torch.get_num_threads(), args.reps, sep, new, sep / new)
    return 0


def _threads(ms, pairs, args) -> int:
    import torch

    base = torch.get_num_threads()
    if args.threads == base:
        raise SystemExit(f"bench_eval: --threads {args.threads} is torch's thread count already (compare another)")
    times: dict[int, list[float]] = {base: [], args.threads: []}
    differ: set[tuple[int, str]] = set()
    scored: set[tuple[int, str]] = set()
    with torch.no_grad():
        for _ in range(args.reps):
            for i, (pred, clean) in enumerate(pairs):
                got = {}
                for n in (base, args.threads):
                    torch.set_num_threads(n)
                    t = time.perf_counter()
                    got[n] = ms.score(pred, clean)
                    times[n].append(time.perf_counter() - t)
                differ |= {(i, k) for k in _differing(got[base], got[args.threads])}
                scored |= {(i, k) for k in got[base].keys() | got[args.threads].keys()}
    torch.set_num_threads(base)
    a, b = statistics.median(times[base]), statistics.median(times[args.threads])
    log.info("%d images, metrics %s, %d reps: %d threads %.3f s/image, %d threads %.3f s/image, ratio %.2f×; "
             "%d of %d (image, metric) scores differ between the two", len(pairs), ",".join(m.name for m in ms.metrics),
             args.reps, base, a, args.threads, b, a / b, len(differ), len(scored))
    return 0


if __name__ == "__main__":
    sys.exit(main())

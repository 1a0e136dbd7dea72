"""A grid's evaluation in two code trees side by side: ``MetricSet.score`` of several runs' outputs per clean image.

A grid scores every run's output against the same clean test images, so a tree that keeps work on the clean
side (``benchmark.fastiqa``) is faster from an image's second scoring on; this scores ``--runs`` noisy outputs
(σ = 0.03·k, a seeded draw, as k runs' outputs) of each of the first ``--limit`` images of ``--images`` with the
quick profile's metrics (or ``--metrics``) in tree A and tree B, alternating processes (A, B, A, B, …:
:func:`ab_trees.side_by_side`), and prints the medians of time and of peak memory above the imports (the metric
set opened, so its caches are what the peak adds), and B / A. Every score of A and B must be the same to the last
bit (compared as ``float.hex``). Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_eval_trees.py /work/main . [--images DIR] [--runs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ab_trees import side_by_side  # noqa: E402 - scripts/ab_trees.py: the alternating timing loop

CHILD = """
import json, os, resource, sys, time
import numpy as np, pandas as pd, torch
from pathlib import Path
from PIL import Image
from benchmark.metrics import MetricSet
opts = os.environ["PLB_AB"].split(",")
folder, limit, runs, metrics = sys.argv[1], int(opts[0]), int(opts[1]), opts[2:]
files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".png", ".bmp", ".jpg", ".jpeg"))[:limit]
clean = [torch.from_numpy(np.array(Image.open(f).convert("RGB"))).permute(2, 0, 1)[None].float() / 255 for f in files]
g = torch.Generator().manual_seed(0)
preds = [[(c + 0.03 * (k + 1) * torch.randn(c.shape, generator=g)).clamp(0, 1) for k in range(runs)] for c in clean]
ms = MetricSet(metrics)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = []
t = time.perf_counter()
with torch.no_grad():
    for k in range(runs):  # run by run, as a grid scores them
        for i, c in enumerate(clean):
            rows += [(k, i, m, float(v).hex()) for m, v in sorted(ms.score(preds[i][k], c).items())]
s = time.perf_counter() - t
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
pd.DataFrame(rows, columns=["run", "image", "metric", "value"]).to_pickle(sys.argv[2])
print(json.dumps({"rows": len(rows), "s": s, "peak_mb": peak}))
"""


def main(argv=None) -> int:
    from benchmark.config import QUICK_METRICS, SHARED_DATASETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("a", type=Path, help="tree A (e.g. a checkout of the code before)")
    ap.add_argument("b", type=Path, help="tree B")
    ap.add_argument("--images", type=Path, default=SHARED_DATASETS / "CSet5")
    ap.add_argument("--limit", type=int, default=3, help="at most this many clean images")
    ap.add_argument("--runs", type=int, default=3, help="outputs scored per clean image (a grid's runs)")
    ap.add_argument("--metrics", nargs="+", default=list(QUICK_METRICS))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    if not args.images.is_dir():
        raise SystemExit(f"bench_eval_trees: {args.images} is not a folder (pass --images)")
    os.environ["PLB_AB"] = ",".join([str(args.limit), str(args.runs), *args.metrics])
    side_by_side(CHILD, args.images, args.a, args.b, args.repeats, what="scores (to the last bit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

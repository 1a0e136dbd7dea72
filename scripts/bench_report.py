"""Time ``plbench report`` on a synthetic results store of about 100k rows.

Writes a store (5 tasks × 16 losses × 3 seeds × 5 metrics × 80 images + input rows = 98,000
rows, one ``eval-0.parquet`` per run, as the runner writes them) under a temporary folder, or
``--out``, then times ``benchmark.cli.main(["report", ...])`` end to end (read, statistics,
figures, every export). Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_report.py [--out DIR] [--formats png pdf]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.cli import main  # noqa: E402
from benchmark.results import ResultsStore  # noqa: E402
from benchmark.synthetic import write_store  # noqa: E402

log = logging.getLogger("bench_report")


def build(root: Path, n_images: int) -> ResultsStore:
    offsets = {f"loss{i:02d}": 0.05 * i for i in range(13)}
    offsets.update({"l1": 0.0, "l2": 0.1, "ssim": 0.08})
    return write_store(root, tasks=("denoise", "sr4", "deblur", "jpeg", "demosaic"), offsets=offsets,
                       metrics=("psnr", "ssim", "ms_ssim", "lpips", "dists"), seeds=(0, 1, 2), n_images=n_images,
                       diverged=("loss00",))


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--out", type=Path, help="store folder (default: a temporary one)")
    ap.add_argument("--images", type=int, default=80, help="test images per task (80 → 98,000 rows)")
    ap.add_argument("--formats", nargs="+", default=None, help="figure formats passed to report")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname).1s %(name)s: %(message)s")
    for noisy in ("matplotlib", "fontTools", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root = args.out or Path(tempfile.mkdtemp(prefix="plbench-bench-"))
    if (root / "runs").exists() and any((root / "runs").iterdir()):
        ap.error(f"{root} already holds runs; give an empty or new --out")
    t0 = time.perf_counter()
    store = build(root, args.images)
    log.info("synthetic store: %d runs in %.1f s", len(store.run_ids()), time.perf_counter() - t0)
    rows = len(store.table())
    cmd = ["report", "--out", str(root), "-q"] + (["--formats", *args.formats] if args.formats else [])
    t0 = time.perf_counter()
    code = main(cmd)
    dt = time.perf_counter() - t0
    print(f"report on {rows} rows: {dt:.1f} s (exit {code}) → {root}")
    return code


if __name__ == "__main__":
    sys.exit(run())

"""The report's read phase on one store, two code trees side by side: time, peak memory, meta.json reads.

What ``plbench report`` does before its statistics (:func:`benchmark.report.write_report`): the table
(categoricals), :func:`benchmark.settings.select`, the runs' ``meta.json`` and their coverage. Each
measurement runs in its own process (``PYTHONPATH`` set to one tree), the trees alternating (A, B, A, B)
so drift in the machine's load hits both; every process imports :mod:`benchmark.config` (torch included)
before the timed part, so the peak (max RSS above the imports) is the read's own (:func:`ab_trees.side_by_side`).
Prints each run, then per quantity the medians of A and B and their ratio B / A side by side, and checks
that both trees selected the same table. Without ``STORE`` it
writes a synthetic store of about ``--rows`` rows (:func:`benchmark.synthetic.write_store`) to a
temporary folder. A tree of an earlier commit::

    git archive <commit> benchmark tasks losses | tar -x -C /tmp/old

Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_store.py --a /tmp/old --b . [--rows 200000] [STORE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ab_trees import side_by_side  # scripts/ab_trees.py: the timing loop bench_table.py shares

CHILD = """
import collections, json, resource, sys, time
from pathlib import Path
import benchmark.config  # imports outside the measured part
import benchmark.report, benchmark.settings
from benchmark.results import ResultsStore
reads = collections.Counter()
real_read = Path.read_text
def counting(self, *a, **k):
    if self.name == "meta.json":
        reads[self.parent.name] += 1
    return real_read(self, *a, **k)
Path.read_text = counting
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
store = ResultsStore(sys.argv[1])
try:  # what each tree's report reads
    full = store.table(categories=True)
except TypeError:
    from benchmark.results import as_categories
    full = as_categories(store.table())
chosen = benchmark.settings.select(full)
metas = [m for m in store.metas() if m.get("run_id") in chosen.run_ids]
benchmark.report.coverage_table(store, chosen.run_ids)
s = time.perf_counter() - t
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
chosen.table.astype(str).sort_values(list(chosen.table.columns)).reset_index(drop=True).to_pickle(sys.argv[2])
print(json.dumps({"rows": len(full), "s": s, "peak_mb": peak, "meta_reads": max(reads.values()) if reads else 0}))
"""


def synthetic(root: Path, rows: int) -> Path:
    """A synthetic store of about ``rows`` rows: 4 losses × 10 seeds × 3 metrics × n images, plus the input."""
    from benchmark.synthetic import write_store

    n_images = max(1, rows // (41 * 3))
    write_store(root, offsets={"l1": 0.0, "l1_twin": 0.0, "good": 1.0, "bad": -0.7}, seeds=tuple(range(10)),
                n_images=n_images, metrics=("psnr", "ssim", "lpips"), budget_check=False)
    return root


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, nargs="?", help="a results store (default: a synthetic one of --rows rows)")
    ap.add_argument("--a", type=Path, required=True, help="code tree A (e.g. the old one)")
    ap.add_argument("--b", type=Path, default=Path("."), help="code tree B (default: this one)")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or synthetic(Path(tmp) / "store", args.rows)
        side_by_side(CHILD, store, args.a, args.b, args.repeats,
                     describe=lambda r: f"each meta.json read {r['meta_reads']}×", what="selected tables")
    return 0


if __name__ == "__main__":
    sys.exit(run())

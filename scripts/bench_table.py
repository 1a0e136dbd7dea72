"""``ResultsStore.table()`` of two code trees side by side on one store: time, peak memory, same table.

Each measurement runs in its own process (``PYTHONPATH`` set to one tree), the trees alternating
(A, B, A, B, …) so drift in the machine's load hits both (:func:`ab_trees.side_by_side`); every process
imports :mod:`benchmark.config` (torch included) before the timed call, so the peak is the table's own,
above the imports. Prints each run, then per quantity the medians of A and B and their ratio B / A
side by side, and checks that the two tables are equal (:func:`pandas.testing.assert_frame_equal`).
A tree of an earlier commit::

    git archive <commit> benchmark tasks losses | tar -x -C /tmp/old

Usage (a store from :func:`benchmark.synthetic.write_store`, or a real one)::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_table.py STORE --a /tmp/old --b . [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ab_trees import side_by_side  # scripts/ab_trees.py: the timing loop bench_store.py shares

CHILD = """
import json, resource, sys, time
import benchmark.config  # imports outside the measured part
from benchmark.results import ResultsStore
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
table = ResultsStore(sys.argv[1]).table()
s = time.perf_counter() - t
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
table.to_pickle(sys.argv[2])
print(json.dumps({"rows": len(table), "s": s, "peak_mb": peak}))
"""


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("store", type=Path)
    ap.add_argument("--a", type=Path, required=True, help="code tree A (e.g. the old one)")
    ap.add_argument("--b", type=Path, default=Path("."), help="code tree B (default: this one)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    side_by_side(CHILD, args.store, args.a, args.b, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(run())

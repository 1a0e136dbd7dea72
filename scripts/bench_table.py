"""``ResultsStore.table()`` of two code trees side by side on one store: time, peak memory, same table.

Each measurement runs in its own process (``PYTHONPATH`` set to one tree), the trees alternating
(A, B, A, B, …) so drift in the machine's load hits both; every process imports
:mod:`benchmark.config` (torch included) before the timed call, so the peak is the table's own,
above the imports. Prints each run, then the ratios B / A of the medians, and checks that the two
tables are equal (:func:`pandas.testing.assert_frame_equal`). A tree of an earlier commit::

    git archive <commit> benchmark tasks losses | tar -x -C /tmp/old

Usage (a store from :func:`benchmark.synthetic.write_store`, or a real one)::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_table.py STORE --a /tmp/old --b . [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

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


def measure(tree: Path, store: Path, pickle: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(store.resolve()), str(pickle)], env=env, check=True,
                         cwd=tree.resolve(),  # "-c" puts the working folder first on sys.path
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("store", type=Path)
    ap.add_argument("--a", type=Path, required=True, help="code tree A (e.g. the old one)")
    ap.add_argument("--b", type=Path, default=Path("."), help="code tree B (default: this one)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    import pandas as pd

    got: dict[str, list[dict]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for side, tree in (("A", args.a), ("B", args.b)):
                r = measure(tree, args.store, Path(tmp) / f"{side}.pkl")
                got[side].append(r)
                print(f"{side}: {r['rows']} rows  {r['s']:.2f} s  peak {r['peak_mb']:.0f} MB above imports",
                      flush=True)
        pd.testing.assert_frame_equal(pd.read_pickle(Path(tmp) / "A.pkl"), pd.read_pickle(Path(tmp) / "B.pkl"))
    med = {k: {q: statistics.median(r[q] for r in v) for q in ("s", "peak_mb")} for k, v in got.items()}
    ratio = {q: med["B"][q] / med["A"][q] for q in ("s", "peak_mb")}
    print(f"B / A: time {ratio['s']:.2f}, peak memory {ratio['peak_mb']:.2f}; tables equal")
    return 0


if __name__ == "__main__":
    sys.exit(run())

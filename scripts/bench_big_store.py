"""Store commands on big synthetic stores, at two sizes: seconds, peak memory and the ratio between the sizes.

Writes two synthetic stores (:func:`benchmark.synthetic.write_store`: ``--losses`` losses × seeds, one task,
``--images`` images, PSNR only) of ``--runs`` and ``--factor`` × ``--runs`` runs to a temporary folder, then
times, each in a fresh process (``python -m benchmark …``, ``PYTHONPATH`` this tree), on each:

* ``check``: every run's records and checksums;
* ``report --no-figures``-like: ``report`` of the whole store;
* ``merge`` into an empty store (every run copied), then ``merge`` again (every run kept);
* ``scan``: the run-skipping scan a grid does at its start (:func:`benchmark.runner.is_complete` per run).

Prints per command the seconds and peak RSS (MB) at each size and the ratio large / small: about ``--factor``
is linear, about ``--factor``² quadratic. The machine's load changes the figures: compare ratios, not seconds.

    HF_HUB_OFFLINE=1 python scripts/bench_big_store.py [--runs 2500] [--factor 2] [--only check,scan]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCAN = """
import sys, time
from benchmark.results import ResultsStore
from benchmark.runner import is_complete
store = ResultsStore(sys.argv[1])
t = time.perf_counter()
ids = store.run_ids()
done = sum(is_complete(store, rid, ("psnr",)) for rid in ids)
print(f"{done} of {len(ids)} complete in {time.perf_counter() - t:.2f} s", file=sys.stderr)
"""


def build(root: Path, runs: int, losses: int, images: int) -> float:
    """A synthetic store of about ``runs`` runs; seconds to write it."""
    code = ("import os, sys\nos.fsync = lambda fd: None  # building only: not what is timed\n"
            "from benchmark.synthetic import write_store\n"
            "n, losses, images = map(int, sys.argv[2:5])\n"
            "offsets = {f'loss{i:03d}': (i % 7) / 7 for i in range(losses)}\n"
            "write_store(sys.argv[1], offsets=offsets, seeds=tuple(range(max(1, n // losses))), n_images=images,"
            " metrics=('psnr',), budget_check=False)\n")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(root), str(runs), str(losses), str(images)], check=True,
                   env=_env(), cwd=ROOT)
    return time.perf_counter() - t


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PLBENCH_CI": "1"}


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of ``cmd`` in a fresh process."""
    wrapper = ("import json, resource, subprocess, sys, time\nt = time.perf_counter()\n"
               "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
               "s = time.perf_counter() - t\n"
               "print(json.dumps([s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc]))")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=_env(),
                         cwd=ROOT, check=True).stdout
    return tuple(json.loads(out.strip().splitlines()[-1]))


def commands(store: Path, work: Path) -> dict[str, list[str]]:
    py = [sys.executable, "-m", "benchmark"]
    merged = work / "merged"
    return {
        "check": [*py, "check", "--out", str(store)],
        "report": [*py, "report", "--out", str(store), "--formats", "png"],
        "merge-copy": [*py, "merge", str(store), "--out", str(merged)],
        "merge-again": [*py, "merge", str(store), "--out", str(merged)],
        "scan": [sys.executable, "-c", SCAN, str(store)],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2500)
    ap.add_argument("--factor", type=int, default=2)
    ap.add_argument("--losses", type=int, default=50)
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated commands (default all)")
    args = ap.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    names = list(commands(Path("store"), Path("work")))
    if only - set(names):  # a misspelt name timed nothing and printed an empty table
        odd = sorted(only - set(names))
        ap.error(f"--only: unknown {'command' if len(odd) == 1 else 'commands'} {', '.join(odd)}; "
                 f"choose from {', '.join(names)}")
    figures: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="plbench-big-") as tmp:
        for n in (args.runs, args.runs * args.factor):
            work = Path(tmp) / str(n)
            store = work / "store"
            s = build(store, n, args.losses, args.images)
            count = sum(1 for _ in (store / "runs").iterdir())
            print(f"{count} runs written in {s:.1f} s", flush=True)
            for name, cmd in commands(store, work).items():
                if only and name not in only:
                    if name == "merge-copy" and "merge-again" in only:  # what merge-again merges into, untimed:
                        timed(cmd)  # without it, merge-again timed a copy into an empty store
                    continue
                sec, mb, rc = timed(cmd)
                figures.setdefault(name, []).append((count, sec, mb, rc))
                print(f"  {name:12s} {sec:7.2f} s  {mb:7.0f} MB  rc {rc}", flush=True)
    print(f"\n{'command':12s} {'small':>9s} {'large':>9s} {'ratio':>6s}  "
          f"(runs × {args.factor}: linear ≈ {args.factor})")
    for name, rows in figures.items():
        if len(rows) == 2:
            (n1, s1, m1, _), (n2, s2, m2, _) = rows
            print(f"{name:12s} {s1:8.2f}s {s2:8.2f}s {s2 / s1:6.2f}  memory {m1:.0f} → {m2:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

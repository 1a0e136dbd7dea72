"""Start-up cost of what a command imports before it does any work, old path vs new, each in a fresh process.

Pairs (each timed in its own fresh interpreter, interleaved, median of ``--reps``):

* ``names``: checking a grid's metric names — old: ``import pyiqa; pyiqa.list_models()`` (what
  :func:`benchmark.metrics.available_metrics` did; pulls torchvision and torch._dynamo); new:
  :func:`benchmark.metrics.pyiqa_names` (pyiqa's configs file read alone). Both lists are checked equal.

    HF_HUB_OFFLINE=1 python scripts/bench_startup.py [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_startup")

_TIMED = "import json, sys, time\nt = time.perf_counter()\n{body}\nprint(json.dumps([time.perf_counter() - t, out]))\n"
PAIRS = {
    "names": ("import torch\nimport pyiqa\nout = sorted(pyiqa.list_models())",
              "import torch\nfrom benchmark.metrics import pyiqa_names\nout = pyiqa_names()"),
}


def _time(body: str) -> tuple[float, object]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    # torch itself is imported before the clock starts in both (every command pays it): the rest is compared
    pre, _, timed = body.partition("\n")
    code = pre + "\n" + _TIMED.format(body=timed)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    secs, out = json.loads(r.stdout.strip().splitlines()[-1])
    return secs, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name, (old, new) in PAIRS.items():
        times: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(args.reps):
            a, out_old = _time(old)
            b, out_new = _time(new)
            if out_old != out_new:
                log.error("%s: old and new give different results", name)
                return 1
            times["old"].append(a)
            times["new"].append(b)
        o, n = statistics.median(times["old"]), statistics.median(times["new"])
        log.info("%s: old %.3f s, new %.3f s, ratio %.1f× (median of %d fresh processes each; same result)",
                 name, o, n, o / n, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())

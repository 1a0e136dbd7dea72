"""Two code trees side by side on one results store: the timing loop of ``bench_table.py`` and ``bench_store.py``.

:func:`side_by_side` runs a child program (Python source) once per tree and repeat, each in its own
process with ``PYTHONPATH`` set to that tree, alternating (A, B, A, B, …) so drift in the machine's load
hits both trees alike. The child gets ``argv[1]`` = the store, ``argv[2]`` = a pickle path to write the
frame it read to, and prints one JSON line last with at least ``s`` (seconds) and ``peak_mb`` (MB of peak
RSS above its imports). The frames of A and B must be equal (:func:`pandas.testing.assert_frame_equal`);
the medians of each tree and their ratios B / A are printed side by side, one line per quantity.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

#: the quantities every child reports, and how a line names them
QUANTITIES = {"s": ("time", "s"), "peak_mb": ("peak memory", "MB above imports")}


def measure(child: str, tree: Path, store: Path, pickle: Path) -> dict:
    """One run of ``child`` with ``tree`` first on ``sys.path``: the JSON of its last line."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", child, str(store.resolve()), str(pickle)], env=env, check=True,
                         cwd=tree.resolve(),  # "-c" puts the working folder first on sys.path
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def side_by_side(child: str, store: Path, a: Path, b: Path, repeats: int = 2,
                 describe: Callable[[dict], str] = lambda r: "", what: str = "tables") -> dict[str, float]:
    """Run ``child`` on ``store`` in trees ``a`` and ``b``, ``repeats`` times each, alternating; print each run
    (``describe(result)`` adds to its line), check the frames equal, print per quantity the two medians and
    their ratio B / A, and return {quantity: B / A} (``s``: time, ``peak_mb``: peak memory)."""
    import pandas as pd

    got: dict[str, list[dict]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for side, tree in (("A", a), ("B", b)):
                r = measure(child, tree, store, Path(tmp) / f"{side}.pkl")
                got[side].append(r)
                extra = describe(r)
                print(f"{side}: {r['rows']} rows  {r['s']:.2f} s  peak {r['peak_mb']:.0f} MB above imports"
                      + (f"  {extra}" if extra else ""), flush=True)
        pd.testing.assert_frame_equal(pd.read_pickle(Path(tmp) / "A.pkl"), pd.read_pickle(Path(tmp) / "B.pkl"))
    med = {side: {q: statistics.median(r[q] for r in runs) for q in QUANTITIES} for side, runs in got.items()}
    ratio = {q: med["B"][q] / med["A"][q] if med["A"][q] else float("nan") for q in QUANTITIES}
    for q, (name, unit) in QUANTITIES.items():
        print(f"{name:<12} A {med['A'][q]:8.2f}  B {med['B'][q]:8.2f} {unit:<17} B / A {ratio[q]:.2f}")
    print(f"medians of {repeats} run{'' if repeats == 1 else 's'} per tree; {what} equal")
    return ratio

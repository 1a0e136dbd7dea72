"""Probe (speed): reading a results store and drawing its report import no torch and no loss module.

``plbench report --no-visual``, ``compare`` and ``publish`` read a table and draw figures; importing every
loss (and torch with them) cost 2 s idle and 10 s on a loaded machine before the first line was read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_python(code: str) -> dict:
    """Run ``code`` in a fresh interpreter importing this checkout; its last stdout line is JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


HEAVY = ("import json, sys\n"
         "heavy = sorted(m for m in sys.modules if m == 'torch' or m == 'losses' or m.startswith('losses.'))\n")


def test_merged_spellings_of_one_spelling_each_imports_no_loss():
    """A store whose losses are each spelt one way merges nothing, and need not import a loss to know it."""
    got = _run_python("from benchmark.config import merged_spellings\n"
                      "out = merged_spellings([('l1', True), ('0.5*ffl(alpha=1) + l2', True), ('mine', False),"
                      " ('l2', True)])\n" + HEAVY + "print(json.dumps({'out': out, 'heavy': heavy}))")
    assert got == {"out": {}, "heavy": []}


def test_merged_spellings_still_merges_two_spellings():
    from benchmark.config import merged_spellings

    assert merged_spellings([("ffl(alpha=1)", True), ("ffl(alpha=1.0)", False), ("l1", True)]) == \
        {"ffl(alpha=1.0)": "ffl(alpha=1)"}
    # same names, other identities: nothing merged (the names only decide whether identities are computed)
    assert merged_spellings([("ffl(alpha=1)", True), ("ffl(alpha=2)", True), ("0.5*l1 + l2", True),
                             ("l1 + 0.5*l2", True)]) == {}

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

import pytest

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


def test_declared_loss_names_equal_the_registry():
    """The names read from the loss files (no import) are the registry's built-in losses: a loss file added
    or a name changed is seen by both, with no second place to edit."""
    code = ("from benchmark.registry import LOSSES, TASKS\n"
            "declared = LOSSES.declared_names()\n" + HEAVY +
            "print(json.dumps({'declared': declared, 'heavy': heavy,"
            " 'loaded': [n for n in LOSSES.names() if LOSSES.get(n).source.startswith('losses.')]}))")
    got = _run_python(code)
    assert got["heavy"] == []
    assert got["declared"] == got["loaded"] and len(got["loaded"]) > 5


def test_declared_names_read_a_new_file_and_leave_answers_to_a_loaded_registry(tmp_path, monkeypatch):
    from benchmark.registry import Registry

    pkg = tmp_path / "my_losses_probe9"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import torch_is_not_imported_here\n"
                              "@register_loss('zeta', citation='x')\nclass Z: pass\n"
                              "register_loss('alpha')(Z)\n@REG.register('beta')\nclass B: pass\n"
                              "print('unrelated')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry("loss", package="my_losses_probe9")
    assert reg.declared_names() == ["alpha", "beta", "zeta"]
    (pkg / "b.py").write_text("@register_loss('gamma')\nclass G: pass\n")
    assert reg.declared_names() == ["alpha", "beta", "gamma", "zeta"]
    reg.add("by_hand", object())  # entries the files do not declare: the registry answers
    assert reg.declared_names() is None


def test_figure_colours_without_the_registry_equal_those_with_it():
    """The styles of a field of built-in, canonical and user labels are the same whether the losses are loaded
    or not, and drawing them loads none."""
    labels = ["l1", "pdl", "lpips", "mine", "ssim", "charbonnier", "0.5*l1 + vgg", "dists [v2]", "ffl(alpha=2)"]
    code = ("from benchmark.figures import loss_styles\n"
            f"labels = {labels!r}\n"
            "before = {k: [list(v.color), v.marker, v.linestyle, v.fill] for k, v in loss_styles(labels).items()}\n"
            + HEAVY +
            "from benchmark.registry import LOSSES\n"
            "LOSSES.names()\n"
            "after = {k: [list(v.color), v.marker, v.linestyle, v.fill] for k, v in loss_styles(labels).items()}\n"
            "print(json.dumps({'heavy': heavy, 'same': before == after}))")
    assert _run_python(code) == {"heavy": [], "same": True}


@pytest.mark.slow
def test_report_no_visual_of_a_store_imports_no_loss_module(tmp_path):
    """``plbench report --no-visual`` on a store of built-in and unknown losses: written, and no loss module (nor
    the loss-spec machinery, which imports torch) is imported on the way (the findings' is_loss, the colours,
    the spellings each imported them all)."""
    code = ("import sys\n"
            "from benchmark.synthetic import write_store\n"
            f"root = {str(tmp_path / 'store')!r}\n"
            "write_store(root, offsets={'l1': 0.0, 'l2': 0.2, 'pdl': 0.5, 'mine': 1.0})\n"
            "from benchmark.cli import main\n"
            "rc = main(['report', '--no-visual', '--out', root])\n"
            + HEAVY.replace("m == 'losses'", "m in ('losses', 'benchmark.lossfn')") +
            "print(json.dumps({'rc': rc, 'heavy': [m for m in heavy if m != 'torch']}))")
    assert _run_python(code) == {"rc": 0, "heavy": []}
    assert (tmp_path / "store" / "leaderboard.md").is_file() or any((tmp_path / "store").glob("*.md"))

"""Review of probe-journey: a new user's first hour, from a fresh clone (README, configs, errors, Ctrl-C)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_configs_and_the_readme_api_write_to_results_folders_that_do_not_nest():
    """``plbench`` (the quick profile: ``out: results``) then ``plbench run --config configs/cpu.yaml``
    (``out: results/cpu``) was refused ("results/cpu is inside the results directory results"), and the other way
    round "results … holds other files (cpu)"; so for standard, standard-cpu and full, and for the README's Python
    example (``out="results/api"``). Every folder the repository names as an ``--out`` now sits beside the others."""
    import yaml

    from benchmark.config import RUN_DEFAULTS

    outs = {Path(RUN_DEFAULTS["out"]): "default"}
    for cfg in sorted((ROOT / "configs").glob("*.yaml")):
        out = (yaml.safe_load(cfg.read_text()) or {}).get("out")
        if out:
            outs[Path(out)] = cfg.name
    for text, where in ((ROOT / "README.md").read_text(), "README"), \
            ((ROOT / "benchmark" / "api.py").read_text(), "api.py"):
        named = re.findall(r"""out=["'](results[\w./-]*)["']""", text) + re.findall(r"--out[ =](results[\w./-]*)", text)
        for out in named:
            outs.setdefault(Path(out.rstrip(".")), where)
    assert len(outs) >= 5
    nested = sorted(f"{b} ({outs[b]}) inside {a} ({outs[a]})" for a in outs for b in outs
                    if a != b and b.is_relative_to(a))
    assert not nested, nested

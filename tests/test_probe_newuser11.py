"""Probe of a new user's first hour, from a fresh clone: run_all.py, benchmark/cli.py, config.py, configs, README."""

from __future__ import annotations

import shlex
from pathlib import Path


def test_the_help_examples_write_to_results_folders_that_do_not_nest():
    """``plbench run --help`` showed ``--train-data my_photos/train --test-data my_photos/test --out results/mine``
    — a new user's own photos, right after the README's first command, which writes to ``results``: copied, it was
    refused ("results/mine is inside the results directory …"). Every ``--out`` a command's examples name sits
    beside the default results directory, not inside it."""
    from benchmark.cli import EXAMPLES, build_parser
    from benchmark.config import RUN_DEFAULTS

    default = Path(RUN_DEFAULTS["out"])
    outs = {}
    for examples in EXAMPLES.values():
        for example in examples:
            words = shlex.split(example)
            words = words[next(i for i, w in enumerate(words) if w == "plbench"):]  # after HF_HUB_OFFLINE=0
            args = build_parser().parse_args(words[1:])
            out = getattr(args, "out", None)
            if out:
                outs[Path(out)] = example
    assert outs, "no example names an --out"
    nested = sorted(f"{out} inside {default}: {ex}" for out, ex in outs.items()
                    if out != default and out.is_relative_to(default))
    assert not nested, nested

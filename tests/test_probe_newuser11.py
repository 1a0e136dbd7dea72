"""Probe of a new user's first hour, from a fresh clone: run_all.py, benchmark/cli.py, config.py, configs, README."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest


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


@pytest.mark.parametrize("typed", ["my_photos/tset", "my_photo/test", "./my_photo/test", "my_photo/tset"])
def test_a_mistyped_photo_folder_names_the_folder_meant(typed, tmp_path, monkeypatch):
    """A new user's own photos, ``--test-data my_photos/tset`` (for ``my_photos/test``): the path reads as a hub id
    (owner/name), so the error was three lines' worth of hub cache and ``huggingface-cli download my_photos/tset``,
    with no word of the folder meant; ``./my_photo/test`` (a folder on the way misspelt) said only "dataset folder not
    found". Both now name the folder that is there, written as the path was given."""
    from benchmark.config import DataSpec
    from benchmark.data import load_images
    from benchmark.errors import UserError

    (tmp_path / "my_photos" / "test").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    meant = ("./" if typed.startswith("./") else "") + "my_photos/test"
    with pytest.raises(UserError, match=rf"^dataset folder not found: {re.escape(typed)} .*; did you mean "
                                        rf"{re.escape(meant)}\?"):
        load_images(DataSpec.parse(typed, role="test"))

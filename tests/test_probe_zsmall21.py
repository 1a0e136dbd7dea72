"""Three small leftovers found probing --where, the lost-workers line and the README: each test failed on the code
before its fix."""

from __future__ import annotations

import re

import pytest

from benchmark.errors import UserError
from benchmark.settings import parse_where


@pytest.mark.parametrize("items", [["lr=1e-3", "lr=0.001"], ["lr=1e-3 lr=0.001"],
                                   ["iterations=300", "iterations=300.0"], ["denoise.sigma=0.1", "denoise.sigma=.10"]])
def test_one_number_written_two_ways_in_where_is_one_value_not_given_twice(items):
    """`--where lr=1e-3 lr=0.001` was refused as "lr is given twice (1e-3 and 0.001)": the values were compared as
    text, though a run's value matches both (settings._equal compares numbers as numbers). Now they are one value,
    kept as first written; two different values are still refused."""
    key = items[0].split()[0].partition("=")[0]
    assert parse_where(items) == {key: items[0].split()[0].partition("=")[2]}


@pytest.mark.parametrize("items,said", [(["lr=1e-3", "lr=0.01"], "--where lr is given twice (1e-3 and 0.01)"),
                                        (["net=tiny", "net=small"], "--where net is given twice (tiny and small)"),
                                        (["lr=nan", "lr=nan2"], "--where lr is given twice (nan and nan2)")])
def test_really_different_where_values_are_still_refused(items, said):
    with pytest.raises(UserError, match="^" + re.escape(said)):
        parse_where(items)


TINY = ["--tasks", "denoise", "--losses", "l1", "l2", "ssim", "--seeds", "0", "--iterations", "50", "--crop", "32",
        "--batch-size", "2", "--metrics", "psnr", "--test-data", "skimage-natural:test", "--device", "cpu",
        "--no-progress", "-q", "--no-budget-check"]


def _lost_grid(tmp_path, checkpointed: int):
    """A grid of 3 runs whose worker was killed: none finished, ``checkpointed`` of them with a ckpt.pt."""
    from benchmark import executors
    from benchmark.cli import build_configs, build_parser
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    configs, metrics, _device = build_configs(build_parser().parse_args(["run", *TINY]))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.config import code_version

    for cfg in configs[:checkpointed]:
        store.run_dir(run_id(cfg)).mkdir(parents=True, exist_ok=True)
        # a record that reads: an unreadable file is no checkpoint to resume from (tests/test_probe_r3find25.py)
        torch.save({"format": FORMAT, "fingerprint": {"config": cfg.to_dict(), "code_version": code_version()},
                    "iteration": 1}, store.run_dir(run_id(cfg)) / "ckpt.pt")
    with pytest.raises(executors.WorkersLost) as err:
        executors._collect(configs, store.root, metrics, [executors._died("w0", -9)], "workers")
    return str(err.value)


@pytest.mark.parametrize("checkpointed,said", [
    (0, "3 of 3 runs of the grid are unfinished; run the same command again to start them again (none had a "
        "checkpoint yet)"),
    (1, "3 of 3 runs of the grid are unfinished; run the same command again: 1 resumes from its checkpoint, the "
        "other 2 start again (no checkpoint yet)"),
    (3, "3 of 3 runs of the grid are unfinished; run the same command again to resume them from their checkpoints")])
def test_lost_workers_line_says_which_runs_resume_from_a_checkpoint(tmp_path, checkpointed, said):
    """A worker killed before its 50-iteration runs wrote any checkpoint ended the grid with '… run the same command
    again to resume them from their checkpoints': there were none; the runs start again from iteration 0. Now the
    line says it as it is, in one line: those with a checkpoint resume, the others start again."""
    line = _lost_grid(tmp_path, checkpointed)
    assert "\n" not in line
    assert line.endswith(said), line


def test_readme_says_a_table_without_the_higher_is_better_column_is_refused():
    """013fd736 refused a table with no ``higher_is_better`` column at all in one line (it was a KeyError traceback),
    but the README sentence on metrics whose rows give no direction did not say so: a user exporting without the
    column read there only of rows that leave it empty. The sentence now says it and names the test behind it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = " ".join((root / "README.md").read_text().split())
    start = readme.index("none of whose rows gives its direction")
    sentence = readme[start:readme.index("`results.csv` is that table", start)]
    assert "no `higher_is_better` column" in sentence, sentence
    assert "`tests/test_review_stats21.py`" in sentence, sentence
    assert "def test_a_table_without_the_higher_is_better_column_is_refused_in_one_line_not_a_key_error" in \
        (root / "tests" / "test_review_stats21.py").read_text()

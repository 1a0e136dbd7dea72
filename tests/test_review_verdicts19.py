"""Review of verdicts (round 19): compare's line on the tasks it did not compute, …"""

from __future__ import annotations

import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.compare  # noqa: F401
import benchmark.export  # noqa: F401
import benchmark.stats  # noqa: F401
import benchmark.synthetic  # noqa: F401


def test_one_task_compare_did_not_compute_is_named_as_one_task():
    """Was: ``unjudged_text`` said 'the board's tasks sr4 (…)' of the one task `--tasks denoise` left out beside sr4 —
    the common case. Now one task reads 'task', several 'tasks'."""
    from benchmark.compare import unjudged_text

    one = unjudged_text({"sr4"}, {}, {})
    assert "the board's task sr4 (not compared now: --tasks left it out) were computed" in one, one
    assert "tasks sr4" not in one, one
    two = unjudged_text({"sr4", "jpeg"}, {}, {})
    assert "the board's tasks jpeg (" in two, two


def test_the_readme_says_a_marks_re_test_is_every_test_of_its_task_not_only_its_marks():
    """Was: the README said a ▲/▼'s family re-test covers 'each of its task's ▲/▼', where
    :func:`benchmark.stats.one_run_decides` re-tests every cell of the task tested against the baseline, marked or not
    (an unmarked cell's p falling below the mark's without the seed moves its Holm p too)."""
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    assert "a ▲/▼: each of its task's ▲/▼" not in readme
    assert "a ▲/▼: every test of its task against that baseline, marked or not" in readme


def test_a_loss_that_trails_another_without_the_seed_is_not_freed_by_it():
    """Was: out_of_bold_on_one_run named a seed as freeing a loss from bold where, its runs and its rivals' of that
    seed left out, none of the pairs it trailed stayed significant — though the same re-test (every pair of the column
    holding those runs) left it significantly worse than another loss it had not trailed before: 'mine' behind l2
    (p_holm 0.030), seed 2's runs of both left out, behind l1 (0.024) and x (0.041) instead, still out of bold, yet
    seed 2 named. Now a seed frees it only where no pair of the re-test leaves it significantly trailing."""
    import numpy as np

    from benchmark import stats
    from benchmark.synthetic import synthetic_table

    rng = np.random.default_rng(114)
    offs = {"l1": 0.0, **{n: float(rng.uniform(-0.3, 0.3)) for n in ("l2", "mine", "x")}}
    t = synthetic_table(tasks=("denoise",), offsets=offs, metrics=("psnr",), seeds=range(6), n_images=4, seed=14,
                        seed_sd=0.1, noise=0.05)
    cells = stats.compute(t, n_boot=20).cells.set_index("loss")
    assert not cells.at["mine", "top_group"]
    # seed 2's runs of mine and l2 left out: mine still out of bold, behind l1 and x
    again = stats.compute(t[~((t["seed"] == 2) & t["loss"].isin({"mine", "l2"}))], n_boot=20).cells.set_index("loss")
    assert not again.at["mine", "top_group"]
    assert cells.at["mine", "bold_decided_by"] == "0; 1; 5", cells.at["mine", "bold_decided_by"]


def test_the_fragile_out_of_bold_note_says_the_rule_it_applies():
    """Was: the note's rule said 'none of the pairs it is significantly worse in stays significant' — the pairs it
    trailed only, where a seed frees a loss only when it then trails no loss significantly (a pair it did not trail
    may become significant without the seed). Now the rule says that."""
    import pandas as pd

    from benchmark import export as E

    cells = pd.DataFrame([{"task": "deblur", "metric": "ssim", "label": "ssim", "bold_decided_by": "0; 1",
                           "bold_p_without": 0.12}])
    from types import SimpleNamespace

    text = E.fragile_cells_text(SimpleNamespace(cells=cells, alpha=0.05), "bold_decided_by", "bold_p_without")
    assert "— it is significantly worse than no other loss after Holm over the column's pairs):" in text, text

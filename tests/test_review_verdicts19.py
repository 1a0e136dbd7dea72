"""Review of verdicts (round 19): compare's line on the tasks it did not compute, …"""

from __future__ import annotations


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

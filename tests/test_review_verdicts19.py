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

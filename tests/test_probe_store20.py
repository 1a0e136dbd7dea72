"""Probe of the results store, compare and the wording helpers (session 20)."""
from __future__ import annotations

import logging


def test_words_chosen_by_a_count_above_one_agree_through_the_helper(caplog, tmp_path):
    """The scan for hand-written singular/plural choices (tests/test_mend_words17.py) caught ``== 1`` alone: choices
    on ``> 1`` (``"tasks" if len(idle) > 1 else "task"``, ``'they finish' if n > 1 else 'it finishes'``), on
    ``k == '1'`` and tuples of words stayed by hand. They go through docmarkup.agree now, with the same text for one
    and for several."""
    from benchmark.config import GridSpec, check_grid
    from benchmark.report import in_flight_lines
    from benchmark.results import ResultsStore

    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        check_grid(GridSpec(tasks=("denoise", "sr4", "deblur"), losses=("l1",), seeds=(0,),
                            loss_tasks=(("l1", ("denoise",)),)))
    said = [r.getMessage() for r in caplog.records if "no run" in r.getMessage()]
    assert said == ["tasks sr4, deblur get no run: --loss-tasks keeps every loss of this grid (l1) off them"], said
    store = ResultsStore(tmp_path / "results")
    one = in_flight_lines(store, {"a" * 16: "pid 7 on here"})[0]
    two = in_flight_lines(store, {"a" * 16: "pid 7 on here", "b" * 16: "pid 7 on here"}, comparison=True)[0]
    assert "1 run in this results directory was being trained" in one and "once it finishes adds it (" in one, one
    assert "2 runs in this results directory were being" in two and "compare` once they finish adds them" in two, two

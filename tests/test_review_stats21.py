"""Review of session 21's verdicts, methods and report areas: what their mends left open."""

from __future__ import annotations

import pytest

from benchmark.synthetic import synthetic_table


def test_a_table_without_the_higher_is_better_column_is_refused_in_one_line_not_a_key_error():
    """ccf6ac0e refused a metric whose rows all leave ``higher_is_better`` empty ("a table built by hand or exported
    without the column"), but a table with no such column at all went past ``one_direction`` untouched and raised a
    bare ``KeyError: 'higher_is_better'`` traceback in ``stats.compute`` and ``findings.check_all``. Now the same
    one-line refusal, naming the metrics."""
    from benchmark import stats as S
    from benchmark.errors import UserError
    from benchmark.findings import check_all

    t = synthetic_table(tasks=("denoise",), metrics=("lpips", "psnr"), offsets={"l1": 0.0, "good": 0.5},
                        seeds=range(5), n_images=6).drop(columns=["higher_is_better"])
    for call in (lambda: S.compute(t, n_boot=20), lambda: check_all(t, ["zhao2017_l1_vs_l2"])):
        with pytest.raises(UserError, match="no higher_is_better column.*lpips, psnr") as e:
            call()
        assert "\n" not in str(e.value)

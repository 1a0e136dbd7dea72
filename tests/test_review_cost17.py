"""Review of the cost fixes, 2026-12-06 (probe-cost: 8c6d9f3..c03e06c): the test isolation of a patched MetricSet,
the per-run peak of CPU memory where its reset does not take, the memory check's metric caches."""

from __future__ import annotations

import sys


def test_a_metric_set_patched_while_the_runner_is_first_imported_does_not_stay_in_it(monkeypatch):
    """Was: benchmark.runner bound ``MetricSet`` when first imported (``from benchmark.metrics import MetricSet``), so a
    test that patched ``benchmark.metrics.MetricSet`` with a fake (tests/test_probe_overnight16.py,
    tests/test_review_newuser12.py) and imported the runner for the first time under the patch left the fake in the
    runner for every later test of the process: tests/test_gpu_check.py after either, in one pytest process (xdist's
    loadfile may put them on one worker), failed with "'str' object has no attribute 'name'". Now the runner reads
    ``benchmark.metrics.MetricSet`` when it scores: nothing of a patch outlives it."""
    import importlib

    import benchmark.metrics

    real = benchmark.metrics.MetricSet
    saved = sys.modules.pop("benchmark.runner", None)
    try:
        with monkeypatch.context() as m:
            m.setattr(benchmark.metrics, "MetricSet", "a fake")
            fresh = importlib.import_module("benchmark.runner")  # its first import, under a test's patch
        assert getattr(fresh, "MetricSet", real) is real
    finally:  # the runner as it was (a stale copy of the fake, on the old code, goes with the fresh module)
        import benchmark

        if saved is not None:
            sys.modules["benchmark.runner"] = benchmark.runner = saved
        else:
            sys.modules.pop("benchmark.runner", None)
            vars(benchmark).pop("runner", None)


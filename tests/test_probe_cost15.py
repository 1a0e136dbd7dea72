"""Probe of the cost side ("at what cost?"): the cost table, `plbench perf`, the runs' recorded times."""

from __future__ import annotations

import numpy as np

from benchmark import stats as S
from benchmark.synthetic import synthetic_runs


def _cpu_table_metas(where: dict[tuple[str, int], tuple[int, float]]):
    """(tidy table, metas) of l1 and l2 × 5 seeds on denoise, each run trained on the CPU with ``where[(loss, seed)]``
    = (torch threads, ms/it) as ``meta.json`` records them (:func:`benchmark.runner._meta`)."""
    from benchmark.results import to_frame

    rows, metas = [], []
    for _, meta, rs in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(5),
                                      metrics=("psnr",), n_images=6, budget_check=False):
        rows += rs
        if "config" in meta:
            threads, ms = where[(meta["config"]["loss"], meta["config"]["seed"])]
            meta = {**meta, "device": "cpu", "device_name": "x86_64", "threads": threads, "ms_per_it": ms}
        metas.append(meta)
    return to_frame(rows), metas


def test_cpu_runs_on_other_thread_counts_are_not_one_median():
    """Was: a store whose l2 runs trained 3 on 4 threads (10 ms/it) and 2 under `--workers 4` on 1 thread
    (40 ms/it) was one device kind ("cpu"): one median, 10 ms/it, stood beside l1's, as if measured alike. The
    thread count a CPU step ran on sets its time as a GPU's model does: now each count is its own kind of device."""
    from benchmark.export import notes

    where = {("l1", s): (4, 10.0) for s in range(5)}
    where.update({("l2", s): (4, 10.0) if s < 3 else (1, 40.0) for s in range(5)})
    t, metas = _cpu_table_metas(where)
    st = S.compute(t, metas, n_boot=20)
    costs = st.costs.set_index("label")
    assert costs.loc["l1", "ms_per_it"] == 10.0
    assert np.isnan(costs.loc["l2", "ms_per_it"])
    text = " ".join(notes(st))
    assert "cpu (4 threads) 10.0 ms/it (3 runs)" in text and "cpu (1 thread) 40.0 ms/it (2 runs)" in text, text


def test_losses_each_timed_on_another_thread_count_are_named():
    """l1 on 4 threads, l2 on 1: each its median, and the notes say the column compares thread counts."""
    from benchmark.export import notes

    where = {("l1", s): (4, 10.0) for s in range(5)}
    where.update({("l2", s): (1, 40.0) for s in range(5)})
    t, metas = _cpu_table_metas(where)
    st = S.compute(t, metas, n_boot=20)
    assert st.costs.set_index("label").loc["l2", "ms_per_it"] == 40.0
    text = " ".join(notes(st))
    assert "cpu (4 threads): l1" in text and "cpu (1 thread): l2" in text, text

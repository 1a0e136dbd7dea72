"""Probe of the cost side, 2026-12-06 (second pass): the CPU share per thread, the runs' CPU memory, the memory check's
metric caches."""

from __future__ import annotations

import torch

from benchmark import stats as S


def test_a_run_is_judged_busy_on_its_share_per_thread(monkeypatch):
    """Was: a CPU timing was judged busy on its process's share of ONE core (CPU s ÷ wall s under 0.5), whatever
    its thread count: a run on 2 threads whose process got 0.9 of a core (each thread under half of one: the step
    twice its idle time and more) passed as idle, while the same 0.9 on 1 thread is a run that had its core. Now
    the share is per torch thread the run (or the dry run's step) trained on: the cost table's ``timed_busy`` and
    the dry run's kept step times judge ``cpu_share / threads``."""
    from benchmark import perf
    from benchmark.devices import torch_threads
    from benchmark.synthetic import synthetic_runs

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = []
    for _, meta, _rows in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(2),
                                         metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:  # l1 on 2 threads, l2 on 1; both processes had 0.9 of a core
            threads = 2 if meta["config"]["loss"] == "l1" else 1
            meta = {**meta, "device": "cpu", "threads": threads, "ms_per_it": 10.0, "timing_excluded": {},
                    "cpu_share": 0.9}
        metas.append(meta)
    costs = S.cost_table(metas)[0].set_index("label")
    assert costs.loc["l1", "timed_busy"] == 2 and costs.loc["l2", "timed_busy"] == 0, costs

    clock = {"wall": 0.0, "cpu": 0.0}

    def work():  # a second of wall time, 0.9 s of the process's CPU time
        clock["wall"] += 1.0
        clock["cpu"] += 0.9

    monkeypatch.setattr(perf.time, "perf_counter", lambda: clock["wall"])
    monkeypatch.setattr(perf.time, "process_time", lambda: clock["cpu"])
    cpu, before = torch.device("cpu"), perf._CONTENDED[0]
    with torch_threads(1):
        perf._best_time(work, cpu, 2)
    assert perf._CONTENDED[0] == before  # 1 thread that had 0.9 of its core: idle enough
    with torch_threads(2):
        perf._best_time(work, cpu, 2)
    assert perf._CONTENDED[0] == before + 1  # 2 threads sharing 0.9 of a core: busy

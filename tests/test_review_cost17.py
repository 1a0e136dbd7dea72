"""Review of the cost fixes, 2026-12-06 (probe-cost: 8c6d9f3..c03e06c): the test isolation of a patched MetricSet,
the per-run peak of CPU memory where its reset does not take, the memory check's metric caches."""

from __future__ import annotations

import sys

import pytest

import benchmark.runner  # noqa: F401 - at collection: the first test imports it again, not its dependencies
from benchmark import stats as S


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


def test_a_peak_reset_that_does_not_take_reads_as_the_process_s(tmp_path, monkeypatch, caplog):
    """Was: the per-run peak of resident memory counted as the run's own wherever ``5`` could be written to
    ``/proc/self/clear_refs`` — a kernel or sandbox that takes the write and resets nothing (gVisor, WSL1), or a
    ``/proc/self/status`` that cannot be read (the peak then getrusage's, the process's since it started), recorded a
    worker's earlier runs' peak as a later run's, unmarked. Now the reset counts where ``VmHWM`` reads back at about
    ``VmRSS`` after it; else, as where clear_refs cannot be written at all, silently the process's peak."""
    from benchmark import resources

    refs = tmp_path / "clear_refs"
    refs.write_text("")
    status = tmp_path / "status"
    monkeypatch.setattr(resources, "PROC_CLEAR_REFS", refs)
    monkeypatch.setattr(resources, "PROC_STATUS", status)
    status.write_text("Name:\tpython\nVmHWM:\t  900000 kB\nVmRSS:\t  100000 kB\n")  # the write took; the peak stays
    assert resources.reset_peak_rss() is False
    status.write_text("Name:\tpython\nVmHWM:\t  100400 kB\nVmRSS:\t  100000 kB\n")  # the peak now what is resident
    assert resources.reset_peak_rss() is True and refs.read_text() == "5"
    status.unlink()  # no status to read the peak from: getrusage's, never reset
    assert resources.reset_peak_rss() is False
    monkeypatch.setattr(resources, "PROC_CLEAR_REFS", tmp_path / "no" / "clear_refs")  # read-only /proc, another OS
    status.write_text("Name:\tpython\nVmHWM:\t  100000 kB\nVmRSS:\t  100000 kB\n")
    with caplog.at_level("DEBUG"):
        assert resources.reset_peak_rss() is False
    assert not [r for r in caplog.records if r.name.startswith("benchmark")]  # silently


def test_the_dry_run_judges_the_load_against_the_machine_s_cores_and_says_what_to_do(monkeypatch):
    """Was: the dry run's busy line set the load average (the whole machine's: a SLURM node's, a container host's)
    against this process's cores (its affinity: a job's 4 of a node's 64), so every dry run inside a job on a shared
    node said the machine was busy (load 40 of 64 cores: ≥ 2 × 4), and the line said nothing of what to do. Now the
    load is set against the machine's cores, and the line says when to start."""
    import os

    from benchmark import executors, perf

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")  # the product's default (the suite sets 0: conftest)
    monkeypatch.setattr(executors, "_cores", lambda: 4)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "getloadavg", lambda: (40.0, 40.0, 40.0))
    assert perf.busy_machine_line() is None  # a node busy with other jobs' own cores
    monkeypatch.setattr(os, "getloadavg", lambda: (150.0, 150.0, 150.0))
    line = perf.busy_machine_line()
    assert line and "load average 150.0 over the last minute on 64 cores" in line, line
    assert "\n" not in line and "start the grid once `uptime` shows a load under 128" in line, line


def test_the_memory_check_sizes_the_metrics_caches_without_opening_them(monkeypatch):
    """Was: the memory check sized each metric's reference caches by opening a fresh copy of it and scoring a 128²
    pair, once per process — in the driver of CPU workers, in each worker and in the dry run: pyiqa imported where
    nothing else needed it, and 35 s on 2 busy cores for the weight-free metrics (mad 14 s, ssim 8 s with pyiqa's
    import, fsim 5 s), paid again by every worker. Now each metric's bytes per pixel is declared beside it
    (:data:`benchmark.metrics.REF_CACHE_PER_PX`, checked against a measurement by a slow test): no metric opened."""
    from benchmark import metrics
    from benchmark.fastiqa import REF_CACHE_BYTES
    from benchmark.resources import metric_cache_bytes

    def opened(*a, **k):
        raise AssertionError("a metric opened to size its caches")

    monkeypatch.setattr(metrics, "open_metric", opened)
    assert set(metrics.REF_CACHE_PER_PX) == set(metrics.FAST)  # a new weight-free metric is declared
    mad = metrics.REF_CACHE_PER_PX["mad"]
    assert metric_cache_bytes(("psnr", "mad"), "cpu", 500 * 500) == mad * 500 * 500
    assert metric_cache_bytes(("mad", "ssim", "entropy"), "cuda", 10**9) == 2 * REF_CACHE_BYTES
    assert metric_cache_bytes(("gmsd", "lpips"), "cpu", 10**9) == 0


@pytest.mark.slow  # opens each weight-free metric and scores one 128² pair: 35 s on 2 busy cores
@pytest.mark.parametrize("name", ["ssim", "ms_ssim", "ssimc", "fsim", "vsi", "nlpd", "cw_ssim", "entropy", "vif",
                                  "mad", "gmsd"])
def test_each_metric_s_declared_cache_size_is_what_its_code_keeps(name):
    """As the code tags: the declared bytes per pixel of a metric's reference caches within 10 % of what a fresh copy
    of it keeps after scoring a seeded 128² pair (:func:`benchmark.resources.measure_cache_per_pixel`)."""
    from benchmark.metrics import REF_CACHE_PER_PX
    from benchmark.resources import measure_cache_per_pixel

    per_pixel, caches = measure_cache_per_pixel(name, "cpu")
    assert caches == (1 if REF_CACHE_PER_PX[name] else 0), (name, caches)
    assert abs(per_pixel - REF_CACHE_PER_PX[name]) <= 0.1 * REF_CACHE_PER_PX[name], (name, per_pixel)


def test_a_run_on_more_threads_than_its_cpu_quota_is_not_judged_busy(tmp_path, monkeypatch, fake_cpu_clock):
    """Was (cf65647): a CPU timing was judged busy on its process's share per torch thread, and torch's default thread
    count is the machine's cores, not a container's CPU quota (``docker --cpus 2``, a Kubernetes limit): 16 threads
    that had both their 2 allowed cores (a share of 1.9) read 0.12 a thread, so every run there was noted as timed
    busy and no dry-run step time was ever kept. Now the share is judged per thread that had a core to run on: at
    most the cores its cgroup's quota allows (:func:`benchmark.devices.usable_cores`, meta.json's ``cpu_cores``)."""
    import os

    import torch

    from benchmark import devices, perf
    from benchmark.synthetic import synthetic_runs

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = []
    for _, meta, _rows in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(2),
                                         metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:  # both on 16 threads; l1's process had its 2 cores (1.9), l2's a third of one
            share = 1.9 if meta["config"]["loss"] == "l1" else 0.3
            meta = {**meta, "device": "cpu", "threads": 16, "ms_per_it": 10.0, "timing_excluded": {},
                    "cpu_share": share, "cpu_cores": 2.0}
        metas.append(meta)
    costs = S.cost_table(metas)[0].set_index("label")
    assert costs.loc["l1", "timed_busy"] == 0 and costs.loc["l2", "timed_busy"] == 2, costs

    (tmp_path / "cgroup").write_text("0::/kubepods/pod1\n")
    pod = tmp_path / "fs" / "kubepods" / "pod1"
    pod.mkdir(parents=True)
    (pod / "cpu.max").write_text("200000 100000\n")  # 2 cores' quota
    (tmp_path / "fs" / "cpu.max").write_text("max 100000\n")
    monkeypatch.setattr(devices, "PROC_CGROUP", str(tmp_path / "cgroup"))
    monkeypatch.setattr(devices, "CGROUP_ROOT", str(tmp_path / "fs"))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert devices.usable_cores() == 2.0

    def work():  # a second of wall time, 1.9 s of the process's CPU time
        fake_cpu_clock(1.9)

    before = perf._CONTENDED[0]
    with devices.torch_threads(16):
        perf._best_time(work, torch.device("cpu"), 2)
    assert perf._CONTENDED[0] == before  # 16 threads on a 2-core quota that had it: idle


def test_the_cost_table_leaves_out_a_peak_of_cpu_memory_that_may_be_an_earlier_run_s():
    """Was: the cost table's ``peak_rss_mb`` was the largest of its runs' figures, those marked ``peak_rss_of:
    process`` (no per-run reset: macOS, a read-only /proc) included — the process's peak since it started, so on one
    process (``--workers 1``) every loss trained after the heaviest was charged the heaviest's memory. Now such a
    figure, which may be another run's, is left out ('–' where a loss has no other)."""
    from benchmark.synthetic import synthetic_runs

    metas = []
    for _, meta, _rows in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "vgg": 0.3}, seeds=range(2),
                                         metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:
            loss, seed = meta["config"]["loss"], meta["config"]["seed"]
            if loss == "vgg":
                meta = {**meta, "peak_rss_mb": 900.0}
            elif seed == 0:  # trained after vgg in one process that could not reset its peak: vgg's
                meta = {**meta, "peak_rss_mb": 900.0, "peak_rss_of": "process"}
            else:
                meta = {**meta, "peak_rss_mb": 400.0}
        metas.append(meta)
    costs = S.cost_table(metas)[0].set_index("label")
    assert costs.loc["vgg", "peak_rss_mb"] == 900.0 and costs.loc["l1", "peak_rss_mb"] == 400.0, costs

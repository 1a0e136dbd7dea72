"""Probe of the cost side, 2026-12-06 (second pass): the CPU share per thread, the runs' CPU memory, the memory check's
metric caches."""

from __future__ import annotations

import pytest
import scipy.stats  # noqa: F401 - the statistics' own import, at collection rather than in the first test's time
import torch

from benchmark import stats as S


def test_a_run_is_judged_busy_on_its_share_per_thread(monkeypatch, fake_cpu_clock):
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

    def work():  # a second of wall time, 0.9 s of the process's CPU time
        fake_cpu_clock(0.9)

    cpu, before = torch.device("cpu"), perf._CONTENDED[0]
    with torch_threads(1):
        perf._best_time(work, cpu, 2)
    assert perf._CONTENDED[0] == before  # 1 thread that had 0.9 of its core: idle enough
    with torch_threads(2):
        perf._best_time(work, cpu, 2)
    assert perf._CONTENDED[0] == before + 1  # 2 threads sharing 0.9 of a core: busy


def test_the_peak_cpu_memory_is_reset_per_run():
    """The peak resident memory read for a run (:func:`benchmark.resources.peak_rss_mb`) starts again at
    :func:`~benchmark.resources.reset_peak_rss`: 200 MB held and freed before it are not in the peak read after it
    (getrusage's ru_maxrss, the process's since it started, would hold them)."""
    from benchmark.resources import _status_kb, peak_rss_mb, reset_peak_rss

    assert reset_peak_rss()  # Linux: /proc/self/clear_refs
    anon = _status_kb("RssAnon")["RssAnon"] / 1024
    x = torch.ones(200 * 2**20 // 4)  # 200 MB, written
    held = _status_kb("VmRSS", "RssAnon")
    high = peak_rss_mb()
    # the 200 MB are resident, and the peak holds them: anonymous memory alone is compared with before (no swap here to
    # take it), as the whole resident size may shrink meanwhile — the kernel dropping file pages (a shared library's,
    # under proactive reclaim: a 2026-12-07 CI worker's fell by ~90 MB while it held the 200 MB)
    assert held["RssAnon"] / 1024 >= anon + 190 and high >= held["VmRSS"] / 1024 - 1, (anon, held, high)
    del x
    assert reset_peak_rss()
    now = _status_kb("VmRSS")["VmRSS"] / 1024  # freed pages the allocator kept (a loaded CI worker) stay resident
    assert peak_rss_mb() <= now + 50, (high, now, peak_rss_mb())  # the peak starts again
    if now <= high - 150:  # the 200 MB went back: not in the peak read after the reset
        assert peak_rss_mb() <= high - 150, (high, now, peak_rss_mb())


@pytest.mark.slow  # two runs trained and scored in one process: 5-8 s on 2 busy cores
def test_each_run_records_its_own_peak_cpu_memory(tmp_path, monkeypatch):
    """Was: the cost table gave ms/it and GPU peak memory, nothing of the CPU's: no figure said whether a loss fits a
    laptop (getrusage's ru_maxrss is the process's peak since it started: a worker's later runs would carry its
    earlier runs' peak). Now each run records the peak resident memory of its process while it trained and was
    scored, reset at the run's start (``peak_rss_mb`` in meta.json): of two runs in one process, the one that held
    200 MB more records more, the other not."""
    import dataclasses
    import json

    from test_probe_overnight14 import _photo_run

    from benchmark import runner
    from benchmark.config import run_id
    from benchmark.resources import peak_rss_mb
    from benchmark.results import ResultsStore

    cfg = _photo_run(tmp_path, iterations=1)
    other = dataclasses.replace(cfg, seed=1)
    evaluate, held = runner.evaluate, []

    def heavy_first(net, items, metrics, device):  # the first run scored holds 200 MB (touched) while it is scored
        if net is not None and not held:  # (net None: the degraded inputs scored)
            held.append(torch.ones(200 * 2**20 // 4))
        out = evaluate(net, items, metrics, device)
        if held:
            held[0] = None  # freed: the second run starts below the first one's peak
        return out

    monkeypatch.setattr(runner, "evaluate", heavy_first)
    before = peak_rss_mb()
    store = ResultsStore(tmp_path / "r")
    assert runner.run_grid([cfg, other], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).trained == 2
    metas = [json.loads((store.run_dir(run_id(c)) / "meta.json").read_text()) for c in (cfg, other)]
    first, second = sorted(metas, key=lambda m: m["started"])
    assert first["peak_rss_mb"] >= second["peak_rss_mb"] + 150, (first["peak_rss_mb"], second["peak_rss_mb"])
    assert second["peak_rss_mb"] > 0 and "peak_rss_of" not in second and before is not None


def test_the_cost_table_shows_cpu_memory_where_gpu_memory_shows():
    """The cost table's ``peak_rss_mb`` is the largest of its runs', beside ``peak_mem_mb`` (GPU memory), in
    costs.csv's columns and the overall ranking's `RSS MB` column of leaderboard.md and report.html."""
    from benchmark.export import CSV_COLUMNS, _rank_table, markdown
    from benchmark.results import to_frame
    from benchmark.synthetic import synthetic_runs

    rows, metas = [], []
    for _, meta, rs in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "vgg": 0.3}, seeds=range(2),
                                      metrics=("psnr",), n_images=3, budget_check=False):
        rows += rs
        if "config" in meta:
            meta = {**meta, "peak_rss_mb": (900.0 if meta["config"]["loss"] == "vgg" else 400.0)
                    + 10 * meta["config"]["seed"]}
        metas.append(meta)
    st = S.compute(to_frame(rows), metas, n_boot=5)
    costs = st.costs.set_index("label")
    assert costs.loc["vgg", "peak_rss_mb"] == 910.0 and costs.loc["l1", "peak_rss_mb"] == 410.0
    assert st.task_costs.set_index("label").loc["vgg", "peak_rss_mb"] == 910.0
    md = markdown(st)
    head = next(line for line in md.splitlines() if line.startswith("| loss | mean rank"))
    row = next(line for line in md.splitlines() if line.startswith("| vgg |"))
    cells = [c.strip() for c in head.strip("|").split("|")]
    assert "RSS MiB" in cells and row.strip("|").split("|")[cells.index("RSS MiB")].strip() == "910", (head, row)
    assert "`RSS MiB`: the largest peak of CPU memory" in md
    assert "<th>RSS MiB</th>" in _rank_table(st) and 'data-v="910' in _rank_table(st)
    assert "CPU memory" in CSV_COLUMNS["costs.csv"]["peak_rss_mb"]


def _fits_just_without_caches(monkeypatch, per_pixel=None):
    """(check_fits' arguments, a machine with just 100 MB more free than a tiny ℓ1 run on a Kodak24-sized test set —
    24 images of 500² — needs for training, scoring and the test set's float copies)."""
    from benchmark import resources
    from benchmark.config import RunConfig

    cfg = RunConfig(task="denoise", loss="l1", net="tiny", batch_size=1, crop=16)
    npx = 24 * 500 * 500
    est = resources.estimate("tiny", "l1", 1, 16, cfg.backbone_weights, 500 * 500)
    free = max(est.train_bytes, est.eval_bytes) + 2 * 3 * 4 * npx + 100 * 2**20
    monkeypatch.setattr(resources, "available_bytes", lambda device: (free, "available RAM (test)"))
    if per_pixel is not None:
        from benchmark import metrics

        monkeypatch.setattr(metrics, "REF_CACHE_PER_PX", per_pixel)
    return dict(configs=[cfg], device=torch.device("cpu"), eval_pixels={cfg.test_data: 500 * 500},
                test_pixels={cfg.test_data: npx})


def test_the_memory_check_counts_the_metrics_reference_caches(monkeypatch):
    """Was: the pre-grid memory check counted the training step, the scoring of the largest test image and the test
    set's float copies, not what the metrics keep of the clean test images for the process's life (fastiqa's
    RefCache, up to 256 MB a metric: MAD's block statistics 21 MB per 500² photo, 12 of Kodak24's kept): a grid
    scoring mad passed a check by 100 MB that its scoring then overran by 256. Now each metric's caches are sized
    (bytes per pixel of a probe image × the test set's pixels, at most its budget) and counted beside the copies;
    a refusal names them. Measured per-pixel figures stand in here (mad's 82 B/px at 128², psnr's none)."""
    from benchmark.errors import UserError
    from benchmark.fastiqa import REF_CACHE_BYTES
    from benchmark.resources import check_fits, metric_cache_bytes

    args = _fits_just_without_caches(monkeypatch, {"mad": 82.0})
    check_fits(**args, metric_names=("psnr",))  # no cache: fits
    with pytest.raises(UserError, match=r"besides the test set.s float copies \(.*\) and the metrics. reference caches "
                                        r"of its images \(≈ 0.2 GiB\)"):
        check_fits(**args, metric_names=("psnr", "mad"))
    assert metric_cache_bytes(("mad",), "cpu", 500 * 500) == 82.0 * 500 * 500  # one photo: its own bytes
    assert metric_cache_bytes(("mad", "mad"), "cpu", 10**9) == REF_CACHE_BYTES  # a huge set: the budget, once


@pytest.mark.slow  # opens pyiqa's mad (importing pyiqa: 5 s on 2 busy cores) and scores one 128² image
def test_the_reference_caches_are_sized_on_the_metric_s_own_code(monkeypatch):
    """The per-pixel figure measured on the metric's code (what its declaration is checked against,
    tests/test_review_cost17.py): mad's caches keep 60-90 B a pixel, psnr none; a Kodak24 grid scoring mad is refused
    on a machine that fits it without."""
    from benchmark.errors import UserError
    from benchmark.resources import check_fits, measure_cache_per_pixel

    per_pixel, caches = measure_cache_per_pixel("mad", "cpu")
    assert 60 <= per_pixel <= 90 and caches == 1, per_pixel
    assert measure_cache_per_pixel("psnr", "cpu") == (0.0, 0)
    args = _fits_just_without_caches(monkeypatch)
    check_fits(**args, metric_names=("psnr",))
    with pytest.raises(UserError, match="reference caches"):
        check_fits(**args, metric_names=("mad",))


def test_perf_with_one_rep_states_no_spread():
    """Was: `plbench perf --reps 1` printed `IQR %` 0 and `× L1 IQR` 1.63–1.63 for every loss: one step per loss
    has no spread to state, and a zero read as a figure as firm as can be. Now a row timed once states none (–)."""
    from benchmark import perf

    assert perf._iqr([0.012]) is None and perf._iqr([0.01, 0.02]) == pytest.approx((0.0125, 0.0175))
    row = perf.PerfRow("l2", 12.0, 83.3, 1.6, None, None, None, None, "none", spread_pct=None, x_l1_iqr=None)
    line = perf.format_rows([row], "header").splitlines()[2].split()
    assert line[2] == "–" and line[5] == "–", line


@pytest.mark.slow  # builds and steps two tiny nets three times: 1-20 s on 2 busy cores (imports)
def test_perf_measures_no_spread_from_one_rep():
    from benchmark import perf

    rows = perf.measure(["l2"], net="tiny", batch=1, crop=16, reps=1, warmup=0, naive=False, flops=False)
    assert [(r.spread_pct, r.x_l1_iqr) for r in rows] == [(None, None)] * 2, rows
    rows = perf.measure(["l2"], net="tiny", batch=1, crop=16, reps=2, warmup=0, naive=False, flops=False)
    assert all(r.spread_pct is not None and r.x_l1_iqr is not None for r in rows), rows


def test_a_cpu_dry_run_on_a_busy_machine_says_the_runs_will_take_longer(monkeypatch):
    """Was: a dry run on 2 cores with a load average of 8-11 (other jobs) estimated a 6-run quick grid at 2.5 min from
    step times kept while the cores were free (l1 36.6 ms a step); its runs then took 0.9 s a step, 25× as long, and
    nothing in the estimate said the machine was busy (`plbench perf` prints the load average; the dry run did not).
    Now a CPU dry run of a grid trained on this machine says so where the load is twice the cores or more."""
    from benchmark.perf import busy_machine_line

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")  # the product's default (the suite sets 0: conftest)
    line = busy_machine_line(2, load=9.6)
    assert line and "load average 9.6 over the last minute on 2 cores" in line and "take longer" in line, line
    assert busy_machine_line(2, load=2.5) is None and busy_machine_line(1, load=1.0) is None
    one = busy_machine_line(1, load=2.0)
    assert one and one.startswith("this machine is busy now (load average 2.0") and "on 1 core)" in one, one
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0")  # no timing judged busy: nor the machine
    assert busy_machine_line(2, load=9.6) is None


def test_the_dry_run_checks_its_estimate_against_runs_timed_with_the_cores_free(monkeypatch):
    """Was: the dry run set its estimate beside the median ms/it of the store's runs of the same settings, runs timed
    on a busy machine included (cpu_share under half a core per thread): an estimate of 36.6 ms against l1 runs of
    923.6 ms/it timed at load 8-11 read ×25.2 off, though the runs timed with the cores free were at 40. Now a cell's
    median is of its runs timed with the cores free where it has any; where all were timed busy it says so."""
    from benchmark.perf import estimate_check_lines, measured_in_store

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")

    def meta(loss, ms, share):
        return {"status": "ok", "device": "cpu", "device_name": "x", "threads": 2, "ms_per_it": ms, "cpu_share": share,
                "timing_excluded": {}, "config": {"task": "denoise", "loss": loss, "net": "tiny", "batch_size": 8,
                                                  "crop": 48, "compile": False}}

    metas = [meta("l1", 923.6, 0.25), meta("l1", 40.0, 1.8), meta("l1", 42.0, 1.7),
             meta("ssim", 2600.0, 0.21), meta("ssim", 2500.0, 0.3)]
    settings = [("denoise", loss, "tiny", 8, 48, False) for loss in ("l1", "ssim")]
    got = measured_in_store(metas, settings, "cpu (x, 2 threads)")
    assert got == {("l1", "denoise"): (41.0, 2, False), ("ssim", "denoise"): (2550.0, 2, True)}, got
    lines = estimate_check_lines({"l1": {"denoise": 36.6}, "ssim": {"denoise": 111.4}}, got, "cpu (x, 2 threads)")
    assert lines[2].split() == ["l1", "41.0", "×1.1", "(2)"], lines
    assert lines[3].split() == ["ssim", "2550.0", "×22.9", "(2", "busy)"], lines
    assert "busy: under load" in lines[0] and max(map(len, lines)) < 120, lines

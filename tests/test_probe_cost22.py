"""Probe of the cost side, 2026-12-07 (second pass): one rule for which runs a cost cell's ms/it is of, the
busy-machine check on a many-core host, and the figures a user quotes."""

from __future__ import annotations

import re

import pytest
import scipy.stats  # noqa: F401 - the statistics' own import, at collection rather than in the first test's time

from benchmark import stats as S

_SETTING = ("denoise", "l1", "tiny", 8, 64, False)


def _meta(i: int, ms: float, share=None, threads: int = 1, name: str = "AMD EPYC") -> dict:
    """A finished l1 denoise run's meta.json on a CPU, timed in the steady state; ``share``: its cpu_share (None:
    none recorded, as an older run's)."""
    m = {"run_id": f"r{i}", "status": "ok", "device": "cpu", "device_name": name, "threads": threads,
         "ms_per_it": ms, "timing_excluded": {},
         "config": {"task": "denoise", "loss": "l1", "net": "tiny", "batch_size": 8, "crop": 64, "compile": False,
                    "seed": i}}
    return m if share is None else {**m, "cpu_share": share, "cpu_cores": 64.0}


def _cost_cell(metas: list[dict], kind: str) -> tuple[float, int]:
    """The cost table's ms/it of l1 on denoise on ``kind`` (its per-device median where the cell has several kinds)
    and how many busy runs it left out."""
    row = S.cost_table(metas)[1].iloc[0]
    if not row["ms_per_it_by_device"]:
        return float(row["ms_per_it"]), int(row["busy_left_out"])
    part = next(p for p in row["ms_per_it_by_device"].split("; ") if p.startswith(kind))
    return float(re.search(r"\) ([\d.]+) ms/it", part).group(1)), int(row["busy_left_out"])


@pytest.mark.parametrize("store", [
    "all busy", "mixed", "no share recorded", "one free among busy", "two kinds, free on one"])
def test_the_dry_run_and_the_cost_table_choose_a_cell_s_runs_alike(monkeypatch, store):
    """Was: the rule 'a cell's runs timed with the cores free where it has any, else all' was written twice, over
    lists in perf.measured_in_store and over masks in stats.cost_table, each with its own busy test of a meta. Now
    one function (benchmark.devices.free_where_any, of benchmark.devices.timed_busy's flags) chooses for both, and
    they give the same median on odd stores: all busy, mixed, none recording a share, two kinds of device."""
    from benchmark.devices import free_where_any
    from benchmark.perf import measured_in_store

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = {"all busy": [_meta(0, 50.0, 0.2), _meta(1, 70.0, 0.1)],
             "mixed": [_meta(0, 50.0, 0.2), _meta(1, 10.0, 0.95), _meta(2, 12.0, 0.9), _meta(3, 60.0, 0.3)],
             "no share recorded": [_meta(0, 50.0), _meta(1, 10.0), _meta(2, 20.0)],
             "one free among busy": [_meta(0, 50.0, 0.2), _meta(1, 10.0), _meta(2, 40.0, 0.4)],
             "two kinds, free on one": [_meta(0, 50.0, 0.2), _meta(1, 10.0, 0.95),
                                        _meta(2, 80.0, 0.2, threads=2), _meta(3, 90.0, 0.3, threads=2)]}[store]
    want = {"all busy": (60.0, True), "mixed": (11.0, False), "no share recorded": (20.0, False),
            "one free among busy": (10.0, False), "two kinds, free on one": (10.0, False)}[store]
    left = {"all busy": 0, "mixed": 2, "no share recorded": 0, "one free among busy": 2,
            "two kinds, free on one": 1}[store]
    for threads in sorted({m["threads"] for m in metas}):
        kind = S.device_kind("cpu", "AMD EPYC", threads)
        ms, n, all_busy = measured_in_store(metas, [_SETTING], kind)[("l1", "denoise")]
        cost, left_out = _cost_cell(metas, kind)
        assert ms == cost, (store, kind, ms, cost)
        if threads == 1:
            assert (ms, all_busy) == want and left_out == left, (store, ms, all_busy, left_out)
    of_kind = [m for m in metas if m["threads"] == 1]
    flags = [m.get("cpu_share") is not None and m["cpu_share"] / 1 < 0.5 for m in of_kind]
    assert free_where_any(flags, ["cell"] * len(flags)) == ([True] * len(flags) if all(flags)
                                                            else [not f for f in flags])


class _Host:
    """A many-core host seen through the dry run's seams: its clock, its process's CPU time and its threads'
    scheduler statistics (seconds on a core, seconds runnable but waiting for one). Each call of :meth:`step` lasts
    50 ms of wall time during which ``running`` of the process's threads run and ``waiting`` of them wait on a run
    queue (other work holding the cores)."""

    def __init__(self, running: float, waiting: float):
        self.t = self.cpu = self.ran = self.waited = 0.0
        self.running, self.waiting = running, waiting

    def step(self) -> None:
        self.t += 0.05
        self.cpu += 0.05 * self.running
        self.ran += 0.05 * self.running
        self.waited += 0.05 * self.waiting

    def clock(self):
        from types import SimpleNamespace

        return SimpleNamespace(perf_counter=lambda: self.t, process_time=lambda: self.cpu)

    def on_perf(self, monkeypatch, cores: float | None = None, threads: int | None = None) -> None:
        """perf's clocks and scheduler statistics made this host's; ``cores``/``threads``: the cores it may use and
        torch's thread count (None: left as they are)."""
        import torch

        from benchmark import perf

        monkeypatch.setattr(perf, "time", self.clock())
        monkeypatch.setattr(perf, "sched_times", lambda: (self.ran, self.waited))
        if cores is not None:
            monkeypatch.setattr(perf, "usable_cores", lambda: cores)
        if threads is not None:
            monkeypatch.setattr(torch, "get_num_threads", lambda: threads)


@pytest.mark.parametrize("running, waiting, busy", [
    (12.0, 0.0, False),  # a free 64-core box whose step keeps 12 of its 64 threads busy (small layers): no one waits
    (12.0, 40.0, True),  # a loaded one: 40 of its threads' worth runnable but waiting for a core the others hold
    (40.0, 0.0, False),  # free, the step filling most threads
    (30.0, 34.0, True),  # loaded though the process's share alone (30 of 64 cores: 0.47 a thread) is near the line
])
def test_a_many_core_host_s_timing_is_judged_busy_by_its_threads_waiting_not_by_their_idleness(
        monkeypatch, running, waiting, busy):
    """Was: a CPU timing was judged busy where its process had under half a core per torch thread (cpu_share ÷
    threads), unconfirmed on many-core machines: on a free 64-core host whose step kept 12 of its 64 threads busy
    (layers too small to split 64 ways; the rest idle, waiting for work, not for a core) the dry run read 'measured
    while this machine was busy', kept none of its step times and measured them all again at every dry run. Now,
    where the kernel's scheduler statistics can be read (/proc/self/task/*/schedstat), a timing is busy where the
    process's threads, while runnable, had a core under PLBENCH_MIN_CPU_SHARE of the time (waited on a run queue the
    rest): idle threads count neither way; elsewhere the share per thread, as before."""
    import torch

    from benchmark import perf

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    host = _Host(running, waiting)
    host.on_perf(monkeypatch, cores=64.0, threads=64)
    before = perf._CONTENDED[0]
    assert perf._best_time(host.step, torch.device("cpu"), 3) == pytest.approx(0.05)
    assert (perf._CONTENDED[0] - before == 1) is busy, (running, waiting)


def test_plbench_perf_judges_a_many_core_host_s_rows_as_the_dry_run_does(monkeypatch):
    """plbench perf's rows on a free 64-core host whose steps keep 12 of 64 threads busy: none said 'timed while this
    process had under 0.5 of a core per torch thread' (each row's threads waited for no core); the same host loaded
    (40 threads' worth waiting) marks them, as the dry run's judgment (_best_time) does."""
    from types import SimpleNamespace

    import torch

    from benchmark import perf

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    monkeypatch.setattr(perf, "_warm_process", lambda *a, **k: None)
    monkeypatch.setattr(perf, "usable_cores", lambda: 64.0)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 64)
    for waiting, busy in ((0.0, False), (40.0, True)):
        host = _Host(12.0, waiting)
        host.on_perf(monkeypatch)
        monkeypatch.setattr(perf, "harness_step", lambda name, host=host, **kw: (
            host.step, SimpleNamespace(loss_fn=SimpleNamespace(provenance="none"))))
        rows = perf.measure(["l2"], net="tiny", batch=1, crop=32, device="cpu", reps=3, warmup=0, naive=False,
                            flops=False, images=[])
        assert [r.busy for r in rows] == [busy, busy], (waiting, rows)
        text = perf.format_rows(rows, "header")
        assert ("timed while" in text) is busy and ("of the time they were runnable" in text) is busy, text


def test_a_run_on_a_free_many_core_host_is_not_recorded_busy_and_a_loaded_one_is(tmp_path, monkeypatch):
    """Was: a run's meta.json was judged busy (cost table's timed_busy, the leaderboard's 'reads high' note, the dry
    run's check marking it 'busy') by cpu_share per torch thread alone: a run on a free 64-core host whose step kept
    12 of its 64 threads busy (cpu_share 12, 0.19 a thread) read busy. Now the run records ``cpu_runnable_share``,
    its threads' share of a core while runnable over its steady iterations (every attempt's, carried by the
    checkpoint), and is judged by it where recorded: that free host's run is not busy; resumed after an attempt on
    a loaded one (threads waiting 3× as long as they ran), the whole run's share is of both attempts. The clocks
    are the test's own."""
    import torch
    from conftest import steps_on_a_fake_clock

    import benchmark.runner as R
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.devices import timed_busy
    from benchmark.task import build_task

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    clock = steps_on_a_fake_clock(monkeypatch, (0.05, 0.6), kill_at=0)  # 12 of 64 threads' worth of CPU a step
    clock.wait_rate = 0.0  # seconds its threads wait on a run queue per wall second
    monkeypatch.setattr(R, "sched_times", lambda: (clock.cpu, clock.wall * clock.wait_rate))
    monkeypatch.setattr(R, "usable_cores", lambda: 64.0)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 64)
    cfg = RunConfig(task="denoise", loss="l1", iterations=19, batch_size=1, crop=16, net="tiny")

    def attempt(folder):
        ck = Checkpointer(tmp_path / folder / "ck.pt", CheckpointPolicy(every=13, seconds=0),
                          {"config": cfg.to_dict()})
        r = R.train(cfg, build_task("denoise"), _images(), torch.device("cpu"), checkpoint=ck)
        return {**R._cost(r), "threads": 64}

    meta = attempt("free")
    assert meta["cpu_share"] == pytest.approx(12.0) and meta["cpu_runnable_share"] == pytest.approx(1.0), meta
    assert not timed_busy(meta)
    assert timed_busy({k: v for k, v in meta.items() if k != "cpu_runnable_share"})  # the share per thread: 0.19

    clock.per_step, clock.kill_at, clock.wait_rate = (0.05, 0.6), 14, 36.0  # loaded: 12 running, 36 waiting
    with pytest.raises(RuntimeError, match="killed"):
        attempt("resumed")  # checkpoint at 13, killed at 14
    clock.kill_at, clock.wait_rate = 0, 0.0
    meta = attempt("resumed")  # resumed at 13 on the host free again: 3 steady iterations
    ran, waited = 0.6 * 13, 0.05 * 36.0 * 10  # 10 steady iterations loaded (after 3 of warm-up), 3 free
    assert meta["cpu_runnable_share"] == pytest.approx(ran / (ran + waited), rel=0.05), meta
    assert timed_busy(meta)



def _images(n: int = 2, side: int = 32) -> list:
    """``n`` random ``side``² colour training images (uint8 CHW)."""
    import numpy as np
    import torch

    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, side, side), dtype=np.uint8)))
            for k in range(n)]


def test_the_busy_note_and_column_say_a_run_may_be_judged_by_its_threads_runnable_share(monkeypatch):
    """A run judged busy by its cpu_runnable_share (its share per thread alone would pass) is named in the note,
    which says what it was judged by, as costs.csv's column description does."""
    from types import SimpleNamespace

    from benchmark.export import reads_high_cost_lines

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = [{**_meta(0, 50.0, 60.0, threads=64), "cpu_runnable_share": 0.3}, _meta(1, 10.0, 0.9)]
    costs = S.cost_table(metas)[0]
    assert costs["timed_busy"].tolist() == [1], costs
    text = " ".join(reads_high_cost_lines(SimpleNamespace(costs=costs)))
    assert "(l1) was timed while" in text and "runnable" in text and "cpu_runnable_share" in text, text


def test_plbench_perf_never_prints_a_nonzero_flop_rate_or_count_as_zero():
    """Was: plbench perf's TFLOP/s column had three decimals: the tiny net's step on a CPU (0.06 GFLOP in 215 ms,
    0.28 GFLOP/s) read '0.000' TFLOP/s, and a step under 5 MFLOP '0.00' GFLOP — a cost figure that reads as none.
    Now both keep three significant figures however small."""
    from benchmark import perf

    row = perf.PerfRow("l1", 215.0, 1 / 0.215, 1.0, None, None, 0.06, 0.06 / 0.215 / 1e3, "none")
    line = perf.format_rows([row], "header").splitlines()[-1]
    assert "0.000279" in line and " 0.000 " not in line, line
    row = perf.PerfRow("l1", 2.0, 500.0, 1.0, None, None, 0.0031, 0.0031 / 0.002 / 1e3, "none")
    line = perf.format_rows([row], "header").splitlines()[-1]
    assert "0.00310" in line and "0.00155" in line and " 0.00 " not in line, line
    big = perf.PerfRow("vgg", 100.0, 10.0, 3.0, None, None, 1234.5, 12.345, "random")
    line = perf.format_rows([big], "header").splitlines()[-1]
    assert "1.23e+03" not in line and "1234" in line and "12.3" in line, line

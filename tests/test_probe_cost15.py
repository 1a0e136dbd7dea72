"""Probe of the cost side ("at what cost?"): the cost table, `plbench perf`, the runs' recorded times."""

from __future__ import annotations

import numpy as np
import pytest
import torch

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



def test_perf_states_the_spread_of_each_step_time_and_ratio():
    """Was: `plbench perf` printed each loss's median ms/step and × L1 with no spread: on a loaded 2-core machine
    vgg read 1.5× L1 on one run and 2.4× on the next, and nothing in the table said a ratio that unstable could
    flip. Now each row gives the interquartile range of its step times (% of the median) and of its × L1 ratio
    over the interleaved reps (each rep's step over the same rep's l1 step)."""
    from benchmark.perf import PerfRow, _iqr, format_rows

    assert _iqr([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 4.0) and _iqr([7.0]) is None  # one rep: no spread (cost17)
    row = PerfRow("vgg", 20.0, 50.0, 2.0, None, None, None, None, "vgg16:random(seed=0)", spread_pct=12.5,
                  x_l1_iqr=(1.5, 2.4))
    text = format_rows([row], "header")
    head, line = text.splitlines()[1:3]
    assert "IQR %" in head and "× L1 IQR" in head and "1.50–2.40" in line and " 12 " in line, text


@pytest.mark.slow
def test_perf_measures_the_spread_rep_by_rep():
    """measure() fills both spreads: l1's own ratio is 1 in every rep, another loss's range holds its median."""
    from benchmark.perf import measure

    rows = measure(["l2"], net="tiny", batch=1, crop=32, device="cpu", reps=5, warmup=1, naive=False, flops=False)
    by = {r.name: r for r in rows}
    assert by["l1"].x_l1_iqr == (1.0, 1.0)
    lo, hi = by["l2"].x_l1_iqr
    assert 0 < lo <= hi and by["l2"].spread_pct >= 0


def test_a_resumed_run_s_ms_per_it_is_not_its_cold_restart(tmp_path, monkeypatch):
    """Was: a run killed after its checkpoint at iteration 5 of 6 and resumed timed only the resumed attempt, with
    no warm-up left to skip (one iteration left: warm-up 0): its ms/it was the fresh process's first, cold step
    (lazy init, cuDNN's autotuning, --compile's compilation) — hundreds of times its steady state, on the
    leaderboard beside uninterrupted runs. Now the checkpoint carries the steady seconds and iterations timed so
    far, a resumed attempt skips its own warm-up like a fresh run (timing none where none is left after it), and
    ms/it is over the steady iterations of every attempt. The clock is the test's own (1 ms a reading)."""
    import time as _time

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.runner import TrainStep, _meta, train
    from benchmark.task import build_task

    delay = 0.4
    step_call = TrainStep.__call__
    clock, cold, kill_at = [0.0], [True], [6]

    def tick() -> float:
        clock[0] += 1e-3
        return clock[0]

    def step(self, it):
        if it == kill_at[0]:
            raise RuntimeError("killed")
        if cold[0]:  # a fresh process's first step
            clock[0] += delay
            cold[0] = False
        return step_call(self, it)

    monkeypatch.setattr(TrainStep, "__call__", step)
    monkeypatch.setattr(_time, "perf_counter", tick)
    rng = np.random.default_rng(0)
    images = [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8)))
              for k in range(2)]
    cfg = RunConfig(task="denoise", loss="l1", iterations=6, batch_size=1, crop=16, net="tiny")

    def attempt():
        ck = Checkpointer(tmp_path / "ck.pt", CheckpointPolicy(every=5, seconds=0), {"config": cfg.to_dict()})
        return train(cfg, build_task("denoise"), images, torch.device("cpu"), checkpoint=ck)

    with pytest.raises(Exception, match="killed"):
        attempt()  # checkpoint at 5, killed at 6
    cold[0], kill_at[0] = True, 0
    r = attempt()
    assert r.resumed_at == 5 and r.iterations_done == 6
    meta = _meta(cfg, "x", torch.device("cpu"), r, _time.time())
    assert meta["ms_per_it"] < 1000 * delay / 4, meta
    assert meta["ms_per_it_wall"] >= 1000 * 2 * delay / cfg.iterations  # the wall figure keeps both cold starts


def test_losses_whose_ms_per_it_ranges_overlap_are_named_with_their_ranges():
    """Was: the cost table gave each loss one median ms/it over its runs and nothing of their spread: on a busy
    2-core machine vgg's two runs took 1038 and 2501 ms/it and ssim's 1327 and 2103, so "vgg costs 1.03× ssim"
    could as well have been 0.8× or 1.9× on a re-run, unsaid. Now costs.csv gives each loss's min and max ms/it
    over its runs, and the notes name the losses whose ranges overlap another's, with their ranges: the order of
    their costs may flip on a re-run. Disjoint ranges need no note."""
    from benchmark.export import notes

    where = {("l1", s): (2, ms) for s, ms in enumerate([10.0, 11.0, 12.0, 10.0, 11.0])}
    where.update({("l2", s): (2, ms) for s, ms in enumerate([11.5, 30.0, 31.0, 12.0, 11.8])})
    st = S.compute(*_cpu_table_metas(where), n_boot=20)
    costs = st.costs.set_index("label")
    assert (costs.loc["l2", "ms_per_it_low"], costs.loc["l2", "ms_per_it_high"]) == (11.5, 31.0)
    text = " ".join(notes(st))
    assert "l1 10.0–12.0" in text and "l2 11.5–31.0" in text and "flip on a re-run" in text, text

    where.update({("l2", s): (2, ms) for s, ms in enumerate([29.5, 30.0, 31.0, 32.0, 29.0])})
    assert "flip on a re-run" not in " ".join(notes(S.compute(*_cpu_table_metas(where), n_boot=20)))


def test_the_cpu_a_cost_was_measured_on_is_named(monkeypatch):
    """Was: `plbench perf`'s header and each CPU run's meta.json named the CPU by ``platform.processor()``, which on
    Linux is "" (meta.json: "cpu") or "x86_64": a step time from a laptop and one from a 64-core server carried
    the same name. Now both name the model as /proc/cpuinfo gives it (as the dry run's kept step times are keyed)."""
    import platform

    import benchmark.devices as D
    from benchmark.perf import setup_header
    from benchmark.runner import TrainResult, _meta

    monkeypatch.setattr(platform, "processor", lambda: "")
    monkeypatch.setattr(D, "cpu_model", lambda: "Test CPU 9000 @ 3.0GHz")
    assert "Test CPU 9000 @ 3.0GHz" in setup_header("cpu", net="tiny", batch=1, crop=32, reps=2)
    from benchmark.config import RunConfig

    cfg = RunConfig(task="denoise", loss="l1", iterations=2, batch_size=1, crop=16, net="tiny")
    from benchmark.lossfn import build_loss
    from benchmark.nets import build_net

    r = TrainResult(net=build_net("tiny"), loss_fn=build_loss("l1"), status="ok", iterations_done=2, wall_s=1.0,
                    it_per_s=2.0, final_loss=0.1)
    assert _meta(cfg, "x", torch.device("cpu"), r, 0.0)["device_name"] == "Test CPU 9000 @ 3.0GHz"


def test_a_dry_run_states_how_far_its_step_estimate_is_from_the_store_s_measured_runs():
    """Was: `plbench run --dry-run` on a grid half of whose runs were trained printed its estimated ms per step
    (l1 36.6, vgg 244, ssim 1765 on the probe's 2 busy cores) and nothing of the same settings' measured runs beside
    it in the store (866, 1770, 1715 ms/it): an estimate off 24× read as a forecast. Now it compares: each (task,
    loss) with finished runs of the grid's settings, timed on this kind of device, gets their median ms/it and its
    ratio to the estimate; runs of another shape or device are no measure of it."""
    from benchmark.perf import estimate_check_lines, measured_in_store

    def meta(loss, ms, threads=2, crop=48, steady=True):
        return {"status": "ok", "device": "cpu", "device_name": "x", "threads": threads, "ms_per_it": ms,
                "config": {"task": "denoise", "loss": loss, "net": "tiny", "batch_size": 8, "crop": crop,
                           "compile": False}, **({"timing_excluded": {}} if steady else {})}

    metas = [meta("l1", 700.0), meta("l1", 1000.0), meta("vgg", 1800.0), meta("vgg", 90.0, threads=1),
             meta("ssim", 50.0, crop=96), meta("ssim", 60.0, steady=False)]
    got = measured_in_store(metas, [("denoise", "l1", "tiny", 8, 48, False), ("denoise", "vgg", "tiny", 8, 48, False),
                                    ("denoise", "ssim", "tiny", 8, 48, False)], "cpu (x, 2 threads)")
    assert got == {("l1", "denoise"): (850.0, 2, False), ("vgg", "denoise"): (1800.0, 1, False)}
    lines = estimate_check_lines({"l1": {"denoise": 36.6}, "vgg": {"denoise": 244.0}}, got, "cpu (x, 2 threads)")
    assert "cpu (x, 2 threads)" in lines[0] and lines[1].split() == ["loss", "denoise"], lines
    assert lines[2].split() == ["l1", "850.0", "×23.2", "(2)"] and lines[3].split() == ["vgg", "1800.0", "×7.4", "(1)"]
    assert estimate_check_lines({"l1": {"denoise": 36.6}}, {}, "cpu (2 threads)") == []


def test_the_dry_run_s_measured_times_are_a_table_not_a_line_per_cell():
    """Was: the measured ms/it beside the dry run's estimates was one line with every (task, loss) of the grid in
    it: 10 losses on 3 tasks, 30 entries of ~50 characters on one line. Now it is a table as the estimate's own,
    a row per loss, a column per task, "–" where a loss has no measured run on that task."""
    from benchmark.perf import estimate_check_lines

    losses, tasks = [f"loss{k}" for k in range(10)], ["deblur", "denoise", "sr"]
    est = {loss: {t: 10.0 + k for t in tasks} for k, loss in enumerate(losses)}
    got = {(loss, t): (20.0 + k, 2, False) for k, loss in enumerate(losses) for t in tasks
           if (loss, t) != ("loss3", "sr")}
    lines = estimate_check_lines(est, got, "cpu (2 threads)")
    assert len(lines) == 12 and max(map(len, lines)) < 120, lines
    assert lines[1].split() == ["loss", *tasks] and lines[5].split()[-1] == "–", lines


def test_runs_timed_while_the_machine_was_busy_are_said(monkeypatch):
    """Was: a run trained while other jobs held the cores recorded its ms/it as any other (the probe's l1 steps
    took 0.12–2.2 s each on 2 shared cores), and the cost table took its median beside runs timed on an idle
    machine, unremarked — the dry run already set such timings aside (PLBENCH_MIN_CPU_SHARE). Now a CPU run records
    the cores its process had over its steady state (``cpu_share`` in meta.json: CPU seconds / wall seconds), and the
    notes name the losses with runs timed under that share, whose ms/it reads high."""
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.export import notes
    from benchmark.runner import _cost, train
    from benchmark.task import build_task

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    rng = np.random.default_rng(0)
    images = [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8)))
              for k in range(2)]
    cfg = RunConfig(task="denoise", loss="l1", iterations=6, batch_size=1, crop=16, net="tiny")
    r = train(cfg, build_task("denoise"), images, torch.device("cpu"))
    assert r.cpu_share is not None and r.cpu_share > 0 and _cost(r)["cpu_share"] == r.cpu_share

    where = {(loss, s): (2, 10.0) for loss in ("l1", "l2") for s in range(5)}
    t, metas = _cpu_table_metas(where)
    for m in metas:
        if "config" in m:
            m["cpu_share"] = 0.2 if (m["config"]["loss"], m["config"]["seed"]) == ("l2", 3) else 1.9
    st = S.compute(t, metas, n_boot=20)
    assert st.costs.set_index("label").loc["l2", "timed_busy"] == 1
    text = " ".join(notes(st))
    assert "ms/it of 1 run (l2) was timed while" in text, text


def test_a_run_resumed_on_another_kind_of_device_is_timed_on_that_one_alone(tmp_path, monkeypatch):
    """Was: the steady seconds a checkpoint carried were added to the resumed attempt's whatever it ran on: a run
    timed at 50 ms/it on 1 thread and finished on 4 (10 ms/it) recorded one figure of both — under meta.json's
    4 threads, so the cost table's "cpu (4 threads)" median held 1-thread time (a requeued GPU job on another model
    alike). Now the checkpoint names the kind its times were taken on (``steady_on``) and a resumed attempt on
    another is timed afresh; a checkpoint written before it (no ``steady``/``steady_on``) still resumes."""
    import time as _time

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.runner import TrainStep, _meta, train
    from benchmark.task import build_task

    step_call = TrainStep.__call__
    clock, per_step, threads, kill_at = [0.0], [0.05], [1], [11]

    def step(self, it):
        if it == kill_at[0]:
            raise RuntimeError("killed")
        clock[0] += per_step[0]
        return step_call(self, it)

    monkeypatch.setattr(TrainStep, "__call__", step)
    monkeypatch.setattr(_time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads[0])
    rng = np.random.default_rng(0)
    images = [ImageRecord("i0", torch.from_numpy(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8)))]
    cfg = RunConfig(task="denoise", loss="l1", iterations=14, batch_size=1, crop=16, net="tiny")
    path = tmp_path / "ck.pt"

    def attempt():
        ck = Checkpointer(path, CheckpointPolicy(every=10, seconds=0), {"config": cfg.to_dict()})
        return train(cfg, build_task("denoise"), images, torch.device("cpu"), checkpoint=ck)

    with pytest.raises(Exception, match="killed"):
        attempt()  # 1 thread, 50 ms a step: checkpoint at 10, killed at 11
    from benchmark.devices import cpu_model

    assert torch.load(path, weights_only=True)["progress"]["steady_on"] == f"cpu ({cpu_model()}, 1 thread)"
    per_step[0], threads[0], kill_at[0] = 0.01, 4, 0
    r = attempt()  # 4 threads, 10 ms a step
    assert r.resumed_at == 10
    assert _meta(cfg, "x", torch.device("cpu"), r, 0.0)["ms_per_it"] == pytest.approx(10.0), r.steady_ms_per_it

    state = torch.load(path, weights_only=True)  # the final save: as a checkpoint from before steady times
    for k in ("steady", "steady_on"):
        state["progress"].pop(k)
    state["iteration"] = 10
    torch.save(state, path)
    r = attempt()
    assert r.resumed_at == 10 and r.iterations_done == 14 and r.steady_ms_per_it == pytest.approx(10.0)


def test_the_cost_overlap_note_is_short_on_a_big_board_and_quiet_on_touching_ranges():
    """Was: every pair of losses whose min–max ms/it ranges touched was named, as one flat list: with two runs a loss's
    range is its two runs, so on a noisy machine nearly every loss of a 10-loss board was in it, among them
    losses whose ranges met by a hair (l1 10–12 and one 11.5–31 with median 29: no order to doubt). Now a loss is
    named where its range holds another's median, the names grouped by the losses whose order is in doubt."""
    from benchmark.export import cost_spread_lines

    where = {("l1", s): (2, ms) for s, ms in enumerate([10.0, 11.0, 12.0, 10.0, 11.0])}
    where.update({("l2", s): (2, ms) for s, ms in enumerate([11.5, 30.0, 31.0, 12.0, 29.0])})
    assert cost_spread_lines(S.compute(*_cpu_table_metas(where), n_boot=5)) == []

    from benchmark.results import to_frame
    from benchmark.synthetic import synthetic_runs

    ms = {"l1": (10, 12), "l2": (9.5, 13.5), "fft": (13.4, 13.8), "ssim": (60, 62), "vgg": (300, 340),
          "lpips": (305, 370), "pdl": (500, 510), "dists": (700, 720), "msssim": (90, 95), "tv": (20, 22)}
    rows, metas = [], []
    for _, meta, rs in synthetic_runs(tasks=("denoise",), offsets={k: 0.0 for k in ms}, seeds=range(2),
                                      metrics=("psnr",), n_images=4, budget_check=False):
        rows += rs
        if "config" in meta:
            meta = {**meta, "device": "cpu", "threads": 2,
                    "ms_per_it": ms[meta["config"]["loss"]][meta["config"]["seed"]]}
        metas.append(meta)
    lines = cost_spread_lines(S.compute(to_frame(rows), metas, n_boot=5))
    assert len(lines) == 1 and "2 runs each" in lines[0] and "fft" not in lines[0] and "ssim" not in lines[0], lines
    assert "l1 10.0–12.0, l2 9.5–13.5; vgg 300.0–340.0, lpips 305.0–370.0 (costs.csv" in lines[0], lines


@pytest.mark.parametrize("value", ["half", "-0.5", "nan"])
def test_a_bad_min_cpu_share_is_a_one_line_error(value, monkeypatch, capsys):
    """Was: PLBENCH_MIN_CPU_SHARE=half (or -0.5) was read as the default 0.5, unsaid, by the dry run and the cost
    table alike. Now any command stops at once with one line naming the variable and what it takes."""
    from benchmark.cli import main

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", value)
    assert main(["list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"PLBENCH_MIN_CPU_SHARE={value!r}" in err and "≥ 0" in err, err
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", " 0.25 ")
    from benchmark.perf import _min_cpu_share

    assert _min_cpu_share() == 0.25


def test_compare_says_which_field_costs_read_high_as_the_leaderboard_does(tmp_path, monkeypatch):
    """Was: the leaderboard's notes named the losses whose ms/it was timed on a busy machine (or recorded with its
    warm-up in it), but `plbench compare`'s section, which sets the new loss's cost beside the field's, said
    neither. Now both take the same notes."""
    import json

    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the notes are tested, not the figure
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.0, "mine": 0.5}, metrics=("psnr",),
                        seeds=(0, 1), n_images=4, budget_check=False)
    group = []
    for m in store.metas():
        if m.get("kind") != "input":
            m = {**m, "device": "cpu", "threads": 2, "ms_per_it": 10.0, "timing_excluded": {},
                 "cpu_share": 0.1 if m["config"]["loss"] == "l2" else 1.5}
            (store.run_dir(m["run_id"]) / "meta.json").write_text(json.dumps(m))
            group.append(m)
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 50, "l1", ())
    assert "ms/it of 2 runs (l2) was timed while its process had under 0.5 of a core" in text, text

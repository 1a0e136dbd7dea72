"""Probe of the cost side, 2026-12-07 (third pass): which runs a published ms/it is of, the same for the dry run's
check of its estimate and the cost table, on stores mixing old and new runs."""

from __future__ import annotations

import random

import pytest
from conftest import load_script

from benchmark import stats as S

_SETTING = ("denoise", "l1", "tiny", 8, 64, False)
_EPYC = "AMD EPYC 7763 64-Core Processor"


def _meta(i: int, ms, *, share=None, steady: bool = True, device: str | None = "cpu", status: str = "ok",
          threads: int = 1) -> dict:
    """A run of l1 on denoise at :data:`_SETTING`'s settings: its meta.json as plbench writes it (``steady``: timed
    in the steady state, ``timing_excluded`` recorded; ``share``: its cpu_share, None as an older run's; ``device``
    None: none recorded)."""
    m = {"run_id": f"r{i}", "status": status, "device_name": _EPYC, "threads": threads, "ms_per_it": ms,
         "config": {"task": "denoise", "loss": "l1", "net": "tiny", "batch_size": 8, "crop": 64, "compile": False,
                    "seed": i}}
    if device is not None:
        m["device"] = device
    if steady:
        m["timing_excluded"] = {"warmup_iterations": 3, "warmup_s": 0.1, "checkpoint_s": 0.0}
    if share is not None:
        m.update(cpu_share=share, cpu_cores=64.0)
    return m


def _both(metas: list[dict]) -> tuple[float | None, float | None]:
    """(the dry run's measured median of l1 on denoise on this CPU kind, the cost table's ms/it of that cell)."""
    from benchmark.perf import measured_in_store

    kind = S.device_kind("cpu", _EPYC, 1)
    got = measured_in_store(metas, [_SETTING], kind).get(("l1", "denoise"))
    row = S.cost_table(metas)[1].iloc[0]
    cost = float(row["ms_per_it"])
    return (got[0] if got else None), (None if cost != cost else cost)


@pytest.mark.parametrize("store, want", [
    # a run recorded before ms/it was the steady state (its warm-up and saves in it) beside a steady one: the
    # published figure is of the steady run, as the dry run's check is
    ("old beside new", 10.0),
    # a run recording no device beside one of this CPU: it joins the cell's one kind in both
    ("no device beside one", 11.0),
    # a steady run timed busy and an old run with no share at all: the steady one (noted busy)
    ("busy steady beside old", 50.0),
    # a failed run that records an ms/it (a merged store): a figure of steps that ended in an error counts in neither
    ("failed with a time", 10.0),
])
def test_the_dry_run_and_the_cost_table_average_the_same_runs_of_a_mixed_store(monkeypatch, store, want):
    """Was: ``perf.measured_in_store`` (the dry run's check of its estimate) counted finished runs timed in the steady
    state on its kind alone, ``stats.cost_table`` (costs.csv, the leaderboard) every run with an ms/it, busy ones
    aside: an old run's wall figure (30 ms/it, warm-up and saves in it) beside a steady run of 10 published l1 at 20
    while the dry run checked its estimate against 10; a run with no device joined the table's median and not the
    check. Now one selection (``stats.counted_kinds`` of ``stats.run_timing``) chooses for both: finished runs, of
    each cell's kind of device (a run with none joins the cell's one kind), those timed in the steady state where the
    cell has any, of those the ones timed with the cores free where it has any."""
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = {"old beside new": [_meta(0, 30.0, steady=False), _meta(1, 10.0)],
             "no device beside one": [_meta(0, 12.0, device=None), _meta(1, 10.0)],
             "busy steady beside old": [_meta(0, 50.0, share=0.2), _meta(1, 12.0, steady=False)],
             "failed with a time": [_meta(0, 90.0, status="failed"), _meta(1, 10.0)]}[store]
    assert _both(metas) == (want, want)
    row = S.cost_table(metas)[1].iloc[0]
    assert int(row["warmup_left_out"]) == (store == "old beside new") + (store == "busy steady beside old")
    assert int(row["busy_left_out"]) == 0 and int(row["timed_with_warmup"]) == 1 - (store in (
        "no device beside one", "failed with a time")), row


def test_random_mixed_stores_give_the_dry_run_and_the_cost_table_one_figure(monkeypatch):
    """Random stores of l1 runs on denoise at one setting, old and new, busy and free, with and without a device,
    finished and not: wherever the dry run shows a measured median for the cell, the cost table's ms/it is the same
    number; a cell whose runs were all timed before the steady state was (a wall figure) is no check of a steady
    step's estimate and the dry run leaves it out, where the table keeps it (noted)."""
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    rng = random.Random(23)
    differ, compared = [], 0
    for trial in range(60):
        metas = [_meta(i, float(rng.randint(5, 90)), share=rng.choice([None, 0.2, 0.95]),
                       steady=rng.random() < 0.6, device=rng.choice(["cpu", "cpu", None]),
                       status=rng.choice(["ok", "ok", "diverged", "failed"]))
                 for i in range(rng.randint(1, 6))]
        for m in metas:  # an old run (no timing_excluded) never recorded a share: written after it
            if "timing_excluded" not in m:
                m.pop("cpu_share", None)
        measured, cost = _both(metas)
        compared += measured is not None
        if measured is not None and measured != cost:
            differ.append((trial, measured, cost))
    assert not differ and compared > 30, (compared, differ[:5])


def test_the_leaderboard_note_on_old_wall_figures_says_which_are_left_out_and_which_are_kept():
    """Was: the note on runs recorded before the steady state was timed said each 'reads high next to the others''
    as part of its loss's median, which is now true only where its task has no steady run; beside one, it is left out
    (``warmup_left_out`` in costs.csv). Now the note names the losses whose old runs were left out and those whose
    median still holds them."""
    from types import SimpleNamespace

    from benchmark.export import reads_high_cost_lines

    l2 = [{**m, "run_id": f"q{i}", "config": {**m["config"], "loss": "l2"}}
          for i, m in enumerate([_meta(0, 40.0, steady=False), _meta(1, 44.0, steady=False)])]
    costs = S.cost_table([_meta(0, 30.0, steady=False), _meta(1, 10.0), *l2])[0].set_index("label", drop=False)
    assert costs.loc["l1", "ms_per_it"] == 10.0 and costs.loc["l2", "ms_per_it"] == 42.0
    assert costs.loc["l1", "warmup_left_out"] == 1 and costs.loc["l2", "warmup_left_out"] == 0
    (line,) = reads_high_cost_lines(SimpleNamespace(costs=costs))
    assert line.startswith("ms/it of 3 runs (l1, l2) was recorded before plbench timed the steady state"), line
    assert "left out of the median of l1, which has runs of the same task timed in the steady state" in line, line
    assert "in the median of l2, with no such run of the same task, so it reads high" in line, line


def test_the_gpu_check_s_step_table_prints_its_spreads_and_says_which_rows_were_timed_busy(monkeypatch):
    """Was: ``scripts/gpu_device.sh --device cpu``'s table of training steps (scripts/gpu_check.py) kept the median
    ms/step, × ℓ1 and TFLOP/s of each loss but dropped what ``plbench perf`` prints beside them from the same
    measurement: the step times' IQR, × ℓ1's quartiles over the reps, and which rows were timed while other work held
    the cores — a run here under a load of 10 on 2 cores printed l1 at 760.92 ms/step, ms_ssim ×5.92, as if measured
    on a free machine; and TFLOP/s in exponent notation (6.84e-05) where plbench perf prints 0.0000684. Now its rows
    (gpu_check.json too) carry ``spread_pct``, ``x_l1_iqr``, ``cpu_share`` and ``busy``, the table prints IQR % and
    × ℓ1 IQR and TFLOP/s as plbench perf does, and a line under it names the busy rows."""
    import benchmark.perf as perf

    mod = load_script("gpu_check")

    def measure(names, **k):
        return [perf.PerfRow(name=n, ms_per_step=760.92 * (1 + 4.92 * (n != "l1")), it_per_s=1.3, x_l1=1 + 4.92 * (
            n != "l1"), x_naive=None, peak_mem_mb=None, gflop_per_step=0.28, achieved_tflops=6.84e-05,
            provenance="-", spread_pct=12.0, x_l1_iqr=(5.5, 6.3) if n != "l1" else (1.0, 1.0), cpu_share=0.3,
            busy=n == "ms_ssim") for n in names]

    monkeypatch.setattr(perf, "measure", measure)
    rows = mod.step_times("cpu", ("tiny",), 2, 48, ("l1", "ms_ssim"), reps=2)
    assert rows[1]["busy"] is True and rows[1]["spread_pct"] == 12.0 and rows[1]["x_l1_iqr"] == (5.5, 6.3), rows
    md = mod.to_markdown({"date": "d", "environment": {"device": "cpu", "torch": "t", "cuda": None, "cudnn": None,
                                                       "plbench": "p", "threads": 2}, "steps": rows})
    head = next(x for x in md.splitlines() if x.startswith("| net |"))
    assert "| ms/step | IQR % | × ℓ1 | × ℓ1 IQR |" in head, head
    line = next(x for x in md.splitlines() if x.startswith("| tiny | 2 × 48² | ms_ssim |"))
    assert "| 4504.65 | 12 | 5.92 | 5.50–6.30 |" in line and "0.0000684" in line and "e-05" not in md, line
    assert any(x.startswith("ms_ssim: timed while") and "read high" in x for x in md.splitlines()), md
    assert not any(x.startswith("l1, ") or x.startswith("l1:") for x in md.splitlines()), md


def test_the_gpu_check_s_runs_per_hour_says_each_row_s_threads_a_run_and_its_busy_runs(monkeypatch):
    """Was: the runs/hour table of ``gpu_device.sh --device cpu`` set 1 worker (training in the check's process on
    all its torch threads, 2 here) beside 2 workers (1 thread each) with nothing to say the runs differed in threads,
    nor that they were timed while other work held the cores: here, at load 10 on 2 cores, 283 runs/hour with one
    worker and 1478 with two — a 5× gain from 2 cores that the threads and the load explain, not the workers. Now each
    row carries its runs' torch threads (``threads_per_run``) and how many were timed busy (``busy_runs``, as the
    cost table judges a run: benchmark.devices.timed_busy), and the table prints both."""
    import torch

    from benchmark import executors

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    mod = load_script("gpu_check")
    metas = {1: [_meta(0, 80.0, share=0.4, threads=2), _meta(1, 90.0, share=0.5, threads=2)],
             2: [_meta(0, 9.0, share=0.95), _meta(1, 9.5, share=0.2)]}
    workers = []
    monkeypatch.setattr(mod, "_configs", lambda *a, **k: ["a", "b"])
    monkeypatch.setattr(executors, "execute_local", lambda *a, **k: workers.append(k["workers"]))
    monkeypatch.setattr(mod, "_runs_span", lambda *a, **k: 10.0)
    monkeypatch.setattr(mod, "_finished_ok", lambda *a, **k: metas[workers[-1]])
    rows = mod.runs_per_hour(torch.device("cpu"), (1, 2), n_runs=2, iterations=10, net="tiny", batch=2, crop=32)
    assert [(r["threads_per_run"], r["busy_runs"]) for r in rows] == [([2], 2), ([1], 1)], rows
    md = mod.to_markdown({"date": "d", "environment": {"device": "cpu", "torch": "t", "cuda": None, "cudnn": None,
                                                       "plbench": "p", "threads": 2}, "runs_per_hour": rows})
    head = next(x for x in md.splitlines() if x.startswith("| workers |"))
    assert head.endswith("| threads a run | runs timed busy |"), head
    lines = [x for x in md.splitlines() if x.startswith("| 1 | 2 | 10 |") or x.startswith("| 2 | 2 | 10 |")]
    assert lines[0].endswith("| 2 | 2 of 2 |") and lines[1].endswith("| 1 | 1 of 2 |"), lines

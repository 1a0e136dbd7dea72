"""Leaderboard verdicts and figures: costs per device, one number format, heatmap text = colour,
findings' wording (probe-verdicts4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark import stats as S
from benchmark.synthetic import synthetic_runs


def _table_metas(devices: dict[tuple[str, int], str] | None = None, ms: dict[str, float] | None = None, **kw):
    """(tidy table, final-run metas) of :func:`synthetic_runs` with each run's device and ms/it set from
    ``devices`` {(loss, seed): device} (default cpu) and ``ms`` {device: ms/it}."""
    kw.setdefault("budget_check", False)
    rows, metas = [], []
    for _, meta, rs in synthetic_runs(**kw):
        rows += rs
        if "config" in meta:
            key = (meta["config"]["loss"], meta["config"]["seed"])
            dev = (devices or {}).get(key, "cpu")
            meta = {**meta, "device": dev, "ms_per_it": (ms or {}).get(dev, meta["ms_per_it"])}
        metas.append(meta)
    from benchmark.results import to_frame
    return to_frame(rows), metas


# 1. cost pooled over CPU and GPU runs ------------------------------------------------------------
def test_cost_of_a_loss_run_partly_on_a_gpu_is_not_one_median_of_cpu_and_cuda():
    """Was: l2's 3 CPU runs (200 ms/it) and 2 CUDA runs (4 ms/it) gave one median, 200 ms/it, printed as
    l2's cost with no word of the GPU. Now no pooled figure: the ms/it cell is '–' and a note gives the
    median per device."""
    from benchmark.export import markdown, notes

    devices = {("l2", 3): "cuda:0", ("l2", 4): "cuda:0"}
    t, metas = _table_metas(devices, {"cpu": 200.0, "cuda:0": 4.0}, tasks=("denoise",),
                            offsets={"l1": 0.0, "l2": 0.3}, seeds=range(5), metrics=("psnr",), n_images=6)
    st = S.compute(t, metas, n_boot=50)
    l2 = st.costs.set_index("label").loc["l2"]
    assert np.isnan(l2["ms_per_it"])
    assert st.costs.set_index("label").loc["l1", "ms_per_it"] == 200.0  # one device: its median as before
    tc = st.task_costs.set_index("label").loc["l2"]
    assert np.isnan(tc["ms_per_it"])
    text = " ".join(notes(st))
    assert "cpu 200.0 ms/it (3 runs)" in text and "cuda 4.0 ms/it (2 runs)" in text
    md = markdown(st)
    row = next(line for line in md.splitlines() if line.startswith("| l2 |") and "not ranked" not in line)
    assert "| 200.0 |" not in row


def test_cost_of_losses_each_on_its_own_device_says_the_columns_compare_devices():
    """l1 on the CPU, l2 on a GPU: each has one device (its median stands) but the ms/it column then
    compares a CPU with a GPU: the notes say which loss ran where."""
    from benchmark.export import notes

    devices = {("l2", s): "cuda:0" for s in range(5)}
    t, metas = _table_metas(devices, {"cpu": 200.0, "cuda:0": 4.0}, tasks=("denoise",),
                            offsets={"l1": 0.0, "l2": 0.3}, seeds=range(5), metrics=("psnr",), n_images=6)
    st = S.compute(t, metas, n_boot=50)
    assert st.costs.set_index("label").loc["l2", "ms_per_it"] == 4.0
    text = " ".join(notes(st))
    assert "cpu: l1" in text and "cuda: l2" in text


def test_compare_summary_says_the_new_loss_was_timed_on_another_device(tmp_path):
    """Was: compare/<loss>.md's cost sentence spoke of a machine's load only; the new loss trained on a GPU and
    the field on the CPU read as comparable costs. Now the summary names the devices, as the leaderboard's notes."""
    from benchmark.compare import _summary
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), n_images=6,
                        budget_check=False, offsets={"l1": 0.0, "good": 1.0})
    for m in store.metas():
        if (m.get("config") or {}).get("loss") == "good":
            atomic_write_json(store.run_dir(m["run_id"]) / "meta.json", {**m, "device": "cuda:0"})
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 20, "l1", ())
    assert "cpu: l1" in text and "cuda: good" in text, text

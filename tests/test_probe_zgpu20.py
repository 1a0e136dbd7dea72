"""Probe of the GPU memory figures a reader sizes workers by, 2026-12-07: meta.json's, costs.csv's and csv_columns.md's
reserved peak beside the allocated one. No GPU here: the allocator's counters are the tests'."""

from __future__ import annotations

from types import SimpleNamespace

import torch

import benchmark.runner  # noqa: F401 - at collection: no test pays for its first import


def test_a_gpu_run_records_the_allocator_s_reserved_peak_the_largest_of_its_attempts(monkeypatch):
    """Was: meta.json's only GPU figure was ``peak_mem_mb``, ``torch.cuda.max_memory_allocated``, while the memory
    check sizes ``--workers-per-gpu`` by what the caching allocator reserves (often 1.2–2× that): a reader sizing
    workers from it undercounted. Now ``peak_mem_reserved_mb`` is read beside it (same reset points), the largest of
    the run's attempts' as ``peak_mem_mb`` is; none on a CPU."""
    from benchmark import resources
    from benchmark.runner import peak_rss_fields

    gpu = SimpleNamespace(type="cuda")
    alloc, reserved = [3000 * 2**20], [5000 * 2**20]
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: alloc[0])
    monkeypatch.setattr(torch.cuda, "max_memory_reserved", lambda device=None: reserved[0])
    monkeypatch.setattr(resources, "peak_rss_mb", lambda: 800.0)
    trained = SimpleNamespace(peak_mem_mb=2000.0, peak_mem_reserved_mb=2500.0, peak_rss_before=None,
                              peak_rss_own_before=True)
    got = peak_rss_fields(trained, True, device=gpu)
    assert (got["peak_mem_mb"], got["peak_mem_reserved_mb"]) == (3000.0, 5000.0), got
    reserved[0] = 1000 * 2**20  # this attempt reserved less than the one before the checkpoint
    assert peak_rss_fields(trained, True, device=gpu)["peak_mem_reserved_mb"] == 2500.0
    # failed, resumed from a checkpoint whose attempts reserved 9000 MiB: the checkpoint's kept
    before = {"peak_mem_mb": 7000.0, "peak_mem_reserved_mb": 9000.0}
    assert peak_rss_fields(None, True, before=before, device=gpu)["peak_mem_reserved_mb"] == 9000.0
    # a checkpoint of before the field: this attempt's alone
    assert peak_rss_fields(None, True, before={"peak_mem_mb": 7000.0}, device=gpu)["peak_mem_reserved_mb"] == 1000.0
    assert "peak_mem_reserved_mb" not in peak_rss_fields(trained, True, device=torch.device("cpu"))


def test_costs_csv_carries_the_reserved_peak_documented_and_empty_for_an_older_run(tmp_path):
    """Was: costs.csv had no column of the reserved peak, the figure a GPU's workers are sized by. Now
    ``peak_mem_reserved_mb`` is the largest over a label's runs, empty where its runs' meta.json predates the field,
    and csv_columns.md documents it in MiB."""
    from benchmark import stats as S
    from benchmark.export import CSV_COLUMNS, csv_columns_markdown

    def meta(rid, loss, alloc, reserved=None):
        return {"run_id": rid, "status": "ok", "config": {"task": "sr_x2", "loss": loss, "seed": 0},
                "ms_per_it": 5.0, "peak_mem_mb": alloc, "device": "cuda", "device_name": "NVIDIA H100",
                **({"peak_mem_reserved_mb": reserved} if reserved is not None else {})}

    metas = [meta("a", "l1", 1000.0, 1800.0), meta("b", "l1", 1200.0, 1500.0), meta("c", "l2", 900.0)]
    per_loss, per_task = S.cost_table(metas)
    costs = per_loss.set_index("label")
    assert costs.loc["l1", "peak_mem_reserved_mb"] == 1800.0 and costs.loc["l1", "peak_mem_mb"] == 1200.0
    assert costs.loc["l2", "peak_mem_reserved_mb"] != costs.loc["l2", "peak_mem_reserved_mb"]  # NaN: older meta
    assert "peak_mem_reserved_mb" in per_task.columns
    doc = CSV_COLUMNS["costs.csv"]["peak_mem_reserved_mb"]
    assert "MiB" in doc and "reserved" in doc
    text = csv_columns_markdown({"costs.csv": list(per_loss.columns)})
    row = next(line for line in text.splitlines() if line.startswith("| `peak_mem_reserved_mb` |"))
    assert "MiB" in row and "undocumented" not in text

"""Review of the cost fixes on probe-cost (commits 5f4a57b..d7c779e): defects found in them or next to them."""
from __future__ import annotations

import pytest
import torch
from test_probe_cost18 import _cpu_metas
from test_probe_cost19 import _Clock, _counting_steps

# at collection: no test pays for its first import
from benchmark import perf
from benchmark import stats as S
from benchmark.errors import UserError
from benchmark.export import device_cost_lines


def test_a_mac_s_runs_recorded_before_its_model_was_read_join_its_model_after_the_upgrade():
    """Was (since devices.cpu_model read macOS's sysctl): a Mac's runs recorded before it named the model are
    ``arm`` (Apple silicon) or ``i386`` (an Intel Mac), platform.processor()'s, and its newer ones ``Apple M2 Pro``: one
    Mac's store was two kinds of device across the upgrade, every label timed on both lost its pooled ms/it (NaN,
    "timed on several kinds"). Such a run now joins the one model of its family (Apple's, Intel's) its store names at
    its thread count, as an x86_64 run does, counted in ``timed_model_assumed`` and said; never another family's."""
    m2 = "Apple M2 Pro"
    where = {("l1", s): ("arm" if s < 2 else m2, 8, 30.0 if s < 2 else 10.0) for s in range(4)}
    where.update({("l2", s): (m2, 8, 20.0) for s in range(4)})
    costs = S.cost_table(_cpu_metas(where))[0].set_index("label")
    assert costs.loc["l1", "timed_on"] == f"cpu ({m2}, 8 threads)", costs
    assert costs.loc["l1", "ms_per_it"] == 20.0 and costs.loc["l1", "timed_model_assumed"] == 2, costs
    notes = [n for n in device_cost_lines(type("Stats", (), {"costs": costs.reset_index()})())
             if "before plbench named the CPU model" in n]
    assert len(notes) == 1 and "arm" in notes[0] and "\n" not in notes[0], notes
    intel = "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz"
    where = {k: ("i386" if k[1] < 2 else intel, 8, 10.0) for k in where}
    assert S.cost_table(_cpu_metas(where))[0]["timed_on"].tolist() == [f"cpu ({intel}, 8 threads)"] * 2
    epyc = "AMD EPYC 7763 64-Core Processor"  # another family: an old Mac's runs merged into a server's stay apart
    where = {k: ("arm" if k[1] < 2 else epyc, 8, 10.0) for k in where}
    costs = S.cost_table(_cpu_metas(where))[0]
    assert [set(t.split("; ")) for t in costs["timed_on"]] == [{"cpu (arm, 8 threads)", f"cpu ({epyc}, 8 threads)"}] * 2
    assert costs["timed_model_assumed"].sum() == 0


def test_perf_out_of_gpu_memory_keeps_torch_s_sizes_not_its_whole_paragraph(monkeypatch):
    """Was: ``plbench perf``'s out-of-memory line carried CUDA's whole message, one line of torch's ~500 characters —
    the process's and PyTorch's shares, PYTORCH_CUDA_ALLOC_CONF advice and a documentation link — after which the
    line's own remedy (lower --batch-size or --crop) came. Now it keeps what was asked and what was free."""
    oom = torch.cuda.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79.10 GiB of which 3.06 GiB is "
        "free. Including non-PyTorch memory, this process has 76.03 GiB memory in use. Of the allocated memory 75.50 "
        "GiB is allocated by PyTorch, and 12.34 MiB is reserved by PyTorch but unallocated. If reserved but "
        "unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid "
        "fragmentation.  See documentation for Memory Management  "
        "(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)")
    _counting_steps(monkeypatch, _Clock(), fail=("vgg", oom))
    with pytest.raises(UserError) as err:
        perf.measure(["vgg"], net="base", batch=512, crop=256, reps=1, warmup=0, naive=False, flops=False, images=[])
    line = str(err.value)
    assert "Tried to allocate 20.00 GiB" in line and "3.06 GiB is free" in line, line
    assert "PYTORCH_CUDA_ALLOC_CONF" not in line and "http" not in line and len(line) < 300, line
    assert line.endswith("lower --batch-size or --crop (or use a smaller --net)"), line

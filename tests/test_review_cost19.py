"""Review of the cost fixes on probe-cost (commits 5f4a57b..d7c779e): defects found in them or next to them."""
from __future__ import annotations


def test_a_mac_s_runs_recorded_before_its_model_was_read_join_its_model_after_the_upgrade():
    """Was (since devices.cpu_model read macOS's sysctl): a Mac's runs recorded before it named the model are
    ``arm`` (Apple silicon) or ``i386`` (an Intel Mac), platform.processor()'s, and its newer ones ``Apple M2 Pro``: one
    Mac's store was two kinds of device across the upgrade, every label timed on both lost its pooled ms/it (NaN,
    "timed on several kinds"). Such a run now joins the one model of its family (Apple's, Intel's) its store names at
    its thread count, as an x86_64 run does, counted in ``timed_model_assumed`` and said; never another family's."""
    from test_probe_cost18 import _cpu_metas

    from benchmark import stats as S
    from benchmark.export import device_cost_lines

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

"""Mends of repeated work and duplicated helpers found in review of this session's diff (5f4a57b..)."""
from __future__ import annotations

import seaborn  # noqa: F401  (at collection: no test pays for its first import)
from test_probe_cost18 import _cpu_metas

from benchmark import figures as F
from benchmark import stats as S
from benchmark.synthetic import synthetic_runs

EPYC = "AMD EPYC 7763 64-Core Processor"


def test_a_merged_mac_run_does_not_keep_x86_runs_from_their_model(monkeypatch):
    """Was: ``device_kinds`` counted a Mac's ``arm``/``i386`` (recorded before its model was read) as a CPU model of
    its thread count, so one merged Mac run made two "models" there and the store's old ``x86_64`` runs no longer
    joined their EPYC; and the cost table called ``device_kind`` again per run to learn whether a model was assumed.
    Now such names are no model of the store's, and the flag comes back with the kinds, one ``device_kind`` per run."""
    kinds, assumed = S.device_kinds_assumed(["cpu"] * 3, ["x86_64", EPYC, "arm"], [8] * 3)
    assert kinds == [f"cpu ({EPYC}, 8 threads)"] * 2 + ["cpu (arm, 8 threads)"], kinds
    assert assumed == [True, False, False]
    assert S.device_kinds(["cpu"] * 2, ["i386", "x86_64"], [4] * 2) == ["cpu (i386, 4 threads)", "cpu (4 threads)"]

    where = {("l1", s): ("x86_64" if s < 2 else EPYC, 4, 10.0) for s in range(4)}
    where.update({("l2", s): ("arm" if s == 0 else EPYC, 4, 10.0) for s in range(4)})
    metas = _cpu_metas(where)
    named = []
    real = S.device_kind
    monkeypatch.setattr(S, "device_kind", lambda d, n=None, t=None: (named.append(n) if n is not None else None)
                        or real(d, n, t))
    costs = S.cost_table(metas)[0].set_index("label")
    assert len(named) == sum("config" in m for m in metas), named  # one kind per run, none recomputed
    assert costs.loc["l1", "timed_model_assumed"] == 2 and costs.loc["l2", "timed_model_assumed"] == 0, costs
    assert costs.loc["l1", "timed_on"] == f"cpu ({EPYC}, 4 threads)", costs


def test_the_training_curves_caption_tells_a_loss_s_mixed_failures_apart():
    """Was: the training curves' "No curve" caption formatted its statuses by hand, every run of a task counted as one
    ("every run failed or diverged before logging its loss: vgg (denoise 3/3)"), one diverged and two failed runs read
    as three of either. Now it is :func:`benchmark.export.lost_status`'s per task, in ``not_ranked_text``'s words
    (one helper, :func:`benchmark.export.lost_runs_text`)."""
    metas = [m for _, m, _ in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0}, seeds=range(2),
                                             n_images=2, metrics=("psnr",), budget_check=False)]
    lost = [{"run_id": f"vgg{s}", "status": "diverged" if s == 0 else "failed", "loss_curve": [],
             "config": {"task": "denoise", "loss": "vgg", "seed": s, "iterations": 150}} for s in range(3)]
    with F.style() as plt:
        fig = F.draw_training_curves(metas + lost)
        legend = fig.legends[0] if fig.legends else None
        texts = [fig._suptitle.get_text()] + ([legend.get_title().get_text()] if legend else [])
        plt.close(fig)
    text = " ".join(" ".join(texts).split())
    want = "No curve — every run diverged or failed before logging its loss: vgg (denoise: diverged 1/3, failed 2/3)"
    assert want in text, text


def test_perf_reads_the_usable_cores_once_per_table_not_once_per_row(monkeypatch):
    """Was: ``perf.measure`` called :func:`benchmark.devices.usable_cores` (which reads /proc and the cgroup's files)
    once per row it judged busy. Now once before the rows, every row judged against it as before."""
    import torch
    from test_probe_cost19 import _Clock, _counting_steps

    from benchmark import perf

    class Busy(_Clock):
        """A fifth of every step's wall time the process's CPU time: each row judged busy."""

        def process_time(self):
            return self.now / 5

    reads = []
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    monkeypatch.setattr(perf, "usable_cores", lambda: reads.append(1) or 1.0)
    _counting_steps(monkeypatch, Busy(), first_s=0.05, step_s=0.05)
    rows = perf.measure(["l2", "charbonnier"], reps=2, warmup=0, naive=False, flops=False, images=[])
    assert len(rows) == 3 and all(r.busy for r in rows), rows
    assert len(reads) == 1, reads

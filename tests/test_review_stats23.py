"""Review of today's verdicts and cost changes (2026-12-07, session 23): what a mend fixed that the area's own tests
did not pin down."""

from __future__ import annotations

import pandas as pd
from conftest import one_finding

from benchmark.synthetic import synthetic_table


def _stack(*tables):
    t = pd.concat([x.astype({c: str for c in x.columns if isinstance(x[c].dtype, pd.CategoricalDtype)})
                   for x in tables], ignore_index=True)
    return t.astype({c: "category" for c in tables[0].columns if isinstance(tables[0][c].dtype, pd.CategoricalDtype)})


def test_a_scope_note_says_not_in_these_results_only_of_what_is_not_in_them():
    """Was: a reproduced verdict's scope note (FindingResult.scope_note) said of every task, metric and rival the
    claim names and no part tested "not in these results" — Mix reproduced on sr4, with jpeg's ℓ1 and ℓ2 runs in the
    store (no Mix run there), read "not tested on tasks jpeg/demosaic, …: not in these results", jpeg being in them.
    Now what the results hold without a part of the claim is said apart: in these results, but in none of its
    comparisons."""
    metrics = ("psnr", "ssim", "ms_ssim")
    sr4 = synthetic_table(tasks=("sr4",), metrics=metrics, offsets={"ms_ssim_l1": 1.0, "l1": 0.0, "l2": 0.0},
                          seeds=range(5), seed_sd=0.05, n_images=6)
    jpeg = synthetic_table(tasks=("jpeg",), metrics=metrics, offsets={"l1": 0.0, "ssim": 0.0}, seeds=range(5),
                           seed_sd=0.05, n_images=6)
    r = one_finding(_stack(sr4, jpeg), "zhao2017_mix_best")
    assert r.verdict == "reproduced", r.verdict_text
    assert r.verdict_text.endswith("; not tested on tasks demosaic, rivals ms_ssim: not in these results; on tasks "
                                   "jpeg, rivals ssim: in these results, but in none of its comparisons"), \
        r.verdict_text
    alone = one_finding(sr4, "zhao2017_mix_best")  # nothing of the others there: said as before
    assert alone.verdict_text.endswith("; not tested on tasks jpeg/demosaic, rivals ssim/ms_ssim: not in these "
                                       "results"), alone.verdict_text


def test_the_readme_s_time_for_the_reduced_gpu_check_is_one_measured_as_the_check_now_is():
    """Was: README gave `--device cpu` "its own total 15 s, 20 s with start-up, on 2 idle cores", measured on
    2026-12-05 before the identity copies trained in fresh processes — the only figure, though the cost probe saw over
    300 s at load 10. Measured on 2026-12-07 (2 cores shared, load 2–7): the check's total 111 s, 120 s with
    `gpu_device.sh`, 64 s of it the identity copies. Now the sentence gives the old figure as the old check's and the
    new one with its load and where the time goes."""
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    start = text.index("`--device cpu` runs a reduced version")
    said = text[start:start + 900]
    assert "111 s" in said and "120 s" in said and "load" in said, said
    assert "identity copies" in said and "64 s" in said, said
    assert "over 300 s at load 10" in said, said


def test_the_board_s_unconv_counts_seeds_as_its_seeds_column_does():
    """Was: the leaderboard's ``unconv.`` counted run ids (cost_table's ``unconverged``/``ok``), its ``seeds`` column
    seeds: a gpl seed trained under an older plbench's id and again under today's (one id since 665d385e: both kept in
    the store) read "seeds 1, unconv. 2/2". Now the column counts the seeds of the row's finished runs not shown
    converged over the seeds with a finished run (cost_table's ``unconverged_seeds``/``ok_seeds``); costs.csv keeps
    its counts of runs beside them."""
    from benchmark import stats as S
    from benchmark.export import task_rows

    t = synthetic_table(tasks=("denoise",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.1}, seeds=range(2),
                        seed_sd=0.05, n_images=6)

    def meta(rid, loss, seed):
        return {"run_id": rid, "status": "ok", "ms_per_it": 10.0, "weights": "none",
                "config": {"task": "denoise", "loss": loss, "seed": seed}}

    metas = [meta("l1-0", "l1", 0), meta("l1-1", "l1", 1), meta("old-0", "l2", 0), meta("new-0", "l2", 0),
             meta("l2-1", "l2", 1)]
    st = S.compute(t, metas, n_boot=20)
    row = st.task_costs.set_index("label").loc["l2"]
    assert (row["ok"], row["unconverged"], row["ok_seeds"], row["unconverged_seeds"]) == (3, 3, 2, 2), row
    (l2,) = [r for r in task_rows(st, "denoise")[1] if r.label == "l2"]
    assert (l2.seeds, l2.unconv) == ("2", "2/2"), (l2.seeds, l2.unconv)


def test_the_notes_on_old_and_busy_timings_count_only_runs_a_cost_may_count(monkeypatch):
    """Was (707f5ade): cost_table's ms/it counts finished runs only (stats.run_timing), but its timed_with_warmup and
    timed_busy still counted a failed run recording an ms/it (a merged or hand-written store), so the leaderboard's
    note, which reads kept = timed_with_warmup − warmup_left_out, said of l1 with a failed old run (30 ms/it) beside
    steady runs of 10 and 11 "in the median of l1, with no such run of the same task, so it reads high" — l1 has such
    runs and its median (10.5) holds no old run; a failed busy run read "kept" the same way. Now both count the runs
    a cost may count (finished, a finite ms/it), as warmup_left_out and busy_left_out do."""
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    from benchmark import stats as S
    from benchmark.export import reads_high_cost_lines

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_probe_cost23 import _meta

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = [_meta(0, 30.0, steady=False, status="failed"), _meta(3, 90.0, share=0.2, status="failed"),
             _meta(1, 10.0), _meta(2, 11.0)]
    costs = S.cost_table(metas)[0].set_index("label", drop=False)
    assert costs.loc["l1", "ms_per_it"] == 10.5
    assert (costs.loc["l1", "timed_with_warmup"], costs.loc["l1", "timed_busy"]) == (0, 0), costs.loc["l1"]
    assert reads_high_cost_lines(SimpleNamespace(costs=costs)) == []


def test_blau_s_claim_and_refutation_name_the_distortion_axis_as_it_is_chosen():
    """Was (a7850d7c): the claim line said the distortion axis is "PSNR; else SSIM, …" and refuted_by "PSNR; without
    it the first of PSNR-Y, SSIM, MS-SSIM present", where the axis is the first present of
    stats.DISTORTION_METRICS — psnr, psnry, ssim, ssimc, ms_ssim, cw_ssim: a store with psnry and no psnr is judged
    on PSNR-Y, which the claim line skipped, and SSIM-C and CW-SSIM were named nowhere. Now both name the order in
    full, and a verdict on psnry names it."""
    from benchmark.registry import FINDINGS
    from benchmark.stats import DISTORTION_METRICS

    f = FINDINGS.get("blau2018_pd_tradeoff").obj
    order = "PSNR-Y, SSIM, SSIM-C, MS-SSIM, CW-SSIM"
    assert len(DISTORTION_METRICS) == 6 and DISTORTION_METRICS[0] == "psnr", DISTORTION_METRICS
    assert f"(PSNR; without it the first present of {order})" in f.claim, f.claim
    assert f"(PSNR; without it the first present of {order})" in f.refuted_by, f.refuted_by
    t = synthetic_table(tasks=("sr4",), metrics=("psnry", "niqe"), offsets={"l2": 0.0, "vgg": {"psnry": 1.0,
                        "niqe": 1.0}}, seeds=range(5), seed_sd=0.05, n_images=8, weights={"vgg": "vgg16:imagenet"})
    r = one_finding(t, "blau2018_pd_tradeoff")
    assert r.verdict == "contradicted" and "(perception and psnry)" in r.verdict_text, r.verdict_text

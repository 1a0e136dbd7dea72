"""Statistics of the report on synthetic tables with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark import stats as S
from benchmark.synthetic import synthetic_table


@pytest.fixture(scope="module")
def known():
    """`good` is built better than l1 on every metric, `bad` worse, `l1_twin` identically distributed."""
    return S.compute(synthetic_table(tasks=("denoise", "sr4"), seeds=range(5), seed_sd=0.1), n_boot=500)


def _cell(st, task, label, metric):
    c = st.cells
    return c[(c.task == task) & (c.label == label) & (c.metric == metric)].iloc[0]


@pytest.mark.parametrize("metric", ["psnr", "ssim", "lpips"])
def test_better_loss_is_significantly_better(known, metric):
    for task in ("denoise", "sr4"):
        good, twin, bad = (_cell(known, task, l, metric) for l in ("good", "l1_twin", "bad"))
        assert good["vs_base"] == 1 and good["p_base_adj"] < 0.05
        assert good["best"] and good["top_group"] and good["rank"] == 1
        assert bad["vs_base"] == -1
        assert twin["vs_base"] == 0 and twin["p_base_adj"] >= 0.05
        assert not twin["top_group"]  # clearly worse than `good`
        assert good["ci_low"] <= good["mean"] <= good["ci_high"]


def test_identical_losses_are_tied_not_ranked():
    t = synthetic_table(offsets={"l1": 0.0, "other": 0.0}, seeds=range(5))
    twin = t[t["loss"] == "l1"].copy()
    twin["loss"] = "l1_copy"
    twin["run_id"] = twin["run_id"] + "x"
    st = S.compute(pd.concat([t, twin], ignore_index=True), n_boot=200)
    c = st.cells[st.cells.label == "l1_copy"]
    assert (c["p_base"] == 1.0).all() and (c["vs_base"] == 0).all()
    # l1 and its exact copy are both in the top group wherever either is best
    for m, g in st.cells[st.cells.label.isin(["l1", "l1_copy"])].groupby("metric"):
        assert g["top_group"].nunique() == 1, m


def test_too_few_runs_are_never_significant():
    """With fewer paired runs than MIN_RUNS nothing is tested: even a huge effect gets no bold, no ▲/▼."""
    st = S.compute(synthetic_table(seeds=range(S.MIN_RUNS - 1), offsets={"l1": 0.0, "good": 5.0}), n_boot=100)
    c = st.cells[st.cells.label != "input"]
    assert c["p_base"].isna().all() and (c["vs_base"].fillna(0) == 0).all()
    assert not c["top_group"].any()
    assert (c["n_seeds"] == S.MIN_RUNS - 1).all()


def test_run_to_run_variance_is_not_mistaken_for_an_effect():
    """Two equally good losses whose runs differ by a shift shared by all images (run-to-run sd ≫
    image noise): the image-level test of the old code called most such pairs significant; the
    run-level test keeps the false-positive rate near alpha."""
    hits = 0
    for seed in range(40):
        t = synthetic_table(seeds=range(5), offsets={"l1": 0.0, "twin": 0.0}, metrics=("psnr",),
                            seed_sd=1.0, noise=0.05, seed=seed)
        c = S.compute(t, n_boot=50).cells
        hits += int((c[c.label == "twin"]["p_base"] < 0.05).sum())
    assert hits <= 6  # 40 nulls at 5 %: P(> 6) < 0.01


def test_bootstrap_is_seeded_and_shrinks_with_more_images():
    small = S.blocks(synthetic_table(n_images=10))[0]
    big = S.blocks(synthetic_table(n_images=80))[0]
    a, b = S.bootstrap_ci(small, 300), S.bootstrap_ci(small, 300)
    np.testing.assert_array_equal(a, b)
    width = lambda ci: np.nanmean(ci[:, 1] - ci[:, 0])  # noqa: E731
    assert width(S.bootstrap_ci(big, 300)) < width(a)


def test_holm_known_values():
    np.testing.assert_allclose(S.holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])
    out = S.holm(np.array([np.nan, 0.2]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.2)


def test_wilcoxon_rows_matches_scipy():
    from scipy.stats import wilcoxon

    rng = np.random.default_rng(1)
    d = rng.normal(0.3, 1, (4, 20))
    d[1] = 0
    d[2, 3] = np.nan
    p = S.wilcoxon_rows(d)
    assert p[1] == 1.0
    assert p[0] == pytest.approx(wilcoxon(d[0]).pvalue)
    assert p[2] == pytest.approx(wilcoxon(d[2][~np.isnan(d[2])]).pvalue)


@pytest.mark.parametrize("loss,metric,expected", [
    ("l2", "psnr", True), ("ssim", "ms_ssim", True), ("ms_ssim_l1", "ms_ssim", True),
    ("lpips_vgg", "lpips", True), ("dists", "dists", True), ("0.84*ms_ssim + 0.16*l1", "ssim", True),
    ("l1 + 0.01*lpips(net='vgg')", "lpips", True), ("l1", "psnr", False), ("ms_ssim_l1", "psnr", False),
    ("l1 + 0.01*pdl(layers=('relu1_2', 'relu2_2'))", "psnr", False),
])
def test_circularity(loss, metric, expected):
    assert S.is_circular(loss, metric) is expected


def test_circular_cells_flagged_and_excluded_from_aggregate():
    st = S.compute(synthetic_table(offsets={"l1": 0.0, "l2": 1.0, "ssim": 0.5}), n_boot=200)
    c = st.cells.set_index(["label", "metric"])
    assert c.loc[("l2", "psnr"), "circular"] and c.loc[("ssim", "ssim"), "circular"]
    assert not c.loc[("l1", "psnr"), "circular"]
    r = st.ranks.set_index("label")
    assert r.loc["l2", "n_circular"] == 1 and r.loc["l2", "n_noncircular"] == 2
    assert r.loc["l1", "mean_rank_noncircular"] == r.loc["l1", "mean_rank"]


def test_ranks_friedman_and_cost():
    metas = [{"config": {"task": "denoise", "loss": "bad", "seed": s}, "status": st, "ms_per_it": 5.0}
             for s, st in ((0, "ok"), (1, "diverged"), (2, "failed"))]
    st = S.compute(synthetic_table(tasks=("denoise", "sr4")), metas, n_boot=200)
    assert list(st.ranks["label"])[0] == "good" and list(st.ranks["label"])[-1] == "bad"
    f = st.friedman
    assert f["k"] == 4 and f["n_blocks"] == 6 and f["p"] < 0.05
    assert f["cd"] == pytest.approx(2.569 * np.sqrt(4 * 5 / 36), rel=1e-3)  # Demšar 2006, q(0.05, k=4)
    cost = st.costs.set_index("loss").loc["bad"]
    assert (cost["runs"], cost["ok"], cost["diverged"], cost["failed"]) == (3, 1, 1, 1)


def test_pareto_front():
    x = np.array([1.0, 2.0, 3.0, 2.0])
    y = np.array([3.0, 2.0, 1.0, 1.0])  # last is dominated by (2, 2)
    assert S.pareto_front(x, y).tolist() == [True, True, True, False]
    assert S.pareto_front(x, y, y_higher=False).tolist() == [False, False, True, False]  # (3, 1) beats (2, 1)


def test_seed_agreement_of_rankings():
    """Well-separated losses rank alike under every seed (ρ ≈ 1); identically distributed ones do not."""
    from benchmark.stats import blocks, seed_agreement
    from benchmark.synthetic import synthetic_table

    clear = synthetic_table(offsets={"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}, seeds=(0, 1, 2), noise=0.1)
    got = seed_agreement(blocks(clear))
    assert got["rho"] > 0.95 and got["pairs"] == 3 * 3  # 3 metrics × 3 seed pairs
    tied = synthetic_table(offsets={"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": 0.0}, seeds=(0, 1, 2),
                           noise=1.0, seed_sd=1.0)
    assert abs(seed_agreement(blocks(tied))["rho"]) < 0.6
    one = synthetic_table(offsets={"a": 0.0, "b": 1.0, "c": 2.0}, seeds=(0,))
    assert "reason" in seed_agreement(blocks(one))


def test_a_loss_on_fewer_tasks_is_flagged_not_ranked_among_the_complete():
    """A loss run on one task only (``loss_tasks``, a ``compare --tasks``) is ranked over other blocks
    and fewer rivals: it is listed after the complete losses, flagged in both tables, and every loss
    gets its mean rank over the blocks all share."""
    from benchmark.export import _rank_table, markdown, rank_caveat

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=range(5))
    t = t[~((t["loss"] == "good") & (t["task"] == "sr4"))]  # the best loss ran on denoise only
    st = S.compute(t, n_boot=200)
    r = st.ranks.set_index("label")
    assert not r.loc["good", "complete"] and r.drop("good")["complete"].all()
    assert list(st.ranks["label"])[-1] == "good"  # not first, though its mean rank is the best
    n_common = int(r["n_common"].iloc[0])
    assert n_common == st.cells[(st.cells.task == "denoise")]["metric"].nunique()
    assert r.loc["good", "mean_rank_common"] == pytest.approx(1.0)  # best on the shared blocks
    caveat = rank_caveat(st)
    assert "good (" in caveat and "denoise" in caveat and "not comparable" in caveat
    assert "common blocks" in _rank_table(st) and "good *" in _rank_table(st)
    md = markdown(st)
    assert "| common blocks |" in md and r"| 3 \* |" in md
    full = S.compute(synthetic_table(tasks=("denoise", "sr4"), seeds=range(5)), n_boot=200)
    assert rank_caveat(full) is None and "common blocks" not in markdown(full)


def test_equal_scores_with_float_noise_tie_in_the_ranks():
    """Two losses with the same score, one averaged over 3 runs and one over 7, differ in the last
    bits; ranked raw they got 1 and 2 instead of 1.5 each."""
    from benchmark.stats import _tie_key

    a = sum([0.1] * 3) / 3
    b = sum([0.1] * 7) / 7
    assert a != b
    ranks = pd.Series(_tie_key(np.array([a, b, 0.3]))).rank(method="average").to_list()
    assert ranks == [1.5, 1.5, 3.0]


def test_a_loss_short_of_runs_beside_full_ones_keeps_their_marks_and_the_notes_say_so():
    """One loss with 2 seeds among losses with 5: the others' bold and ▲/▼ stand (5 paired runs), the
    short one gets none; the notes said "no verdicts" / "no cell there is bold or ▲/▼" over a table
    that showed them."""
    from benchmark.export import latex, notes

    t = synthetic_table(seeds=range(5), seed_sd=0.1, metrics=("psnr",))
    t = t[~((t["loss"] == "l1_twin") & (t["seed"] >= 2))]
    st = S.compute(t, n_boot=100)
    assert _cell(st, "denoise", "good", "psnr")["vs_base"] == 1
    assert np.isnan(_cell(st, "denoise", "l1_twin", "psnr")["p_base"])
    text = " ".join(notes(st))
    assert "no verdicts" not in S.smoke_test(st) and "Too few runs for any verdict" not in text
    assert "Too few runs for a verdict on l1_twin (denoise: 2 runs)" in text
    caption = latex(st).split(r"\caption{denoise:", 1)[1].split("}\n", 1)[0]
    assert "Bold: best" in caption and "nothing is bold" not in caption and "l1\\_twin" in caption
    few = S.compute(synthetic_table(seeds=range(2), metrics=("psnr",)), n_boot=100)  # nothing tested anywhere
    assert S.smoke_test(few).endswith("— no verdicts") and "Too few runs for any verdict" in " ".join(notes(few))


def test_a_baseline_missing_from_one_task_is_said_there():
    from benchmark.export import notes, task_caveats

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=range(5), metrics=("psnr",))
    st = S.compute(t[~((t["loss"] == "l1") & (t["task"] == "sr4"))], n_boot=100)
    assert st.cells.loc[st.cells.task == "sr4", "vs_base"].isna().all()
    assert "Baseline `l1` has no results in sr4: no ▲/▼ marks there." in notes(st)
    assert any("has no results here" in c for c in task_caveats(st, "sr4"))
    assert not any("has no results here" in c for c in task_caveats(st, "denoise"))


@pytest.mark.parametrize("where, msg", [
    (["dnoise.sigma=0.1"], "no task 'dnoise'"),                 # was ignored: every task reported
    (["denoise.sigmx=0.1"], "denoise has no parameter 'sigmx'"),  # was: denoise silently dropped
    (["denoise.sigma=0.2"], "no denoise runs have sigma 0.2 (they have 0.1)"),
    (["net=tiny", "net=small"], "--where net is given twice"),  # was: the last one won
])
def test_where_typos_are_one_line_errors_not_a_smaller_report(where, msg):
    from benchmark.errors import UserError
    from benchmark.settings import parse_where, select

    t = synthetic_table(tasks=("denoise", "sr4"), seeds=range(2), metrics=("psnr",))
    with pytest.raises(UserError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        select(t, where=parse_where(where))
    assert set(select(t, where=parse_where(["denoise.sigma=0.10"])).table["task"]) == {"denoise", "sr4"}


def test_settings_differing_in_an_unrecorded_field_suggest_a_value_that_exists():
    """One setting lacks a field the other has: the hint said `--where lr=–`, which matches nothing."""
    import json

    from benchmark.errors import UserError
    from benchmark.settings import parse_where, select

    a = synthetic_table(seeds=range(2), metrics=("psnr",))
    b = a[a["loss"] != "input"].copy()
    b["setting"] = [json.dumps({**json.loads(s), "lr": 0.01}, sort_keys=True) for s in b["setting"]]
    b["run_id"] = b["run_id"] + "-lr"
    t = pd.concat([a, b], ignore_index=True)
    with pytest.raises(UserError, match="--where lr=0.01`") as e:
        select(t)
    hint = str(e.value).rsplit("--where ", 1)[1].rstrip("`")
    assert set(select(t, where=parse_where([hint])).table["run_id"]) >= set(b["run_id"])


def test_a_loss_whose_seeds_pair_with_no_other_is_said_to_be_untested():
    """`good` on seeds 5–9, the rest on 0–4: 5 runs each but no pair, so `good` — best by far — is
    neither bold nor ▲; the leaderboard said nothing about why."""
    from benchmark.export import notes

    t = synthetic_table(seeds=range(5), metrics=("psnr",))
    t.loc[t["loss"] == "good", "seed"] += 5
    st = S.compute(t, n_boot=100)
    g = _cell(st, "denoise", "good", "psnr")
    assert g["n_seeds"] == 5 and np.isnan(g["p_base"]) and not g["top_group"]
    assert _cell(st, "denoise", "bad", "psnr")["vs_base"] == -1  # the pairs that exist are still tested
    line = next(n for n in notes(st) if n.startswith("Not tested"))
    assert "good (denoise)" in line and "l1" not in line and "bad" not in line
    assert not any(n.startswith("Not tested") for n in notes(S.compute(synthetic_table(seeds=range(5)), n_boot=100)))


def test_a_baseline_whose_every_run_diverged_is_not_called_absent():
    from benchmark.export import notes
    from benchmark.synthetic import synthetic_runs

    kw = dict(seeds=range(5), metrics=("psnr",), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0}, budget_check=False)
    runs = list(synthetic_runs(**kw))
    metas = [{**m, "status": "diverged"} if (m.get("config") or {}).get("loss") == "l1" else m for _, m, _ in runs]
    t = synthetic_table(**kw)
    st = S.compute(t[t["loss"] != "l1"], metas, n_boot=100)
    assert st.cells["vs_base"].isna().all()
    assert "Baseline `l1` has no scored run (every run diverged or failed): no ▲/▼ marks." in notes(st)


def test_bootstrap_beyond_the_cap_is_one_line_not_a_memory_error(tmp_path, capsys):
    """`--bootstrap 1000000` died with "internal error: MemoryError" under a 6 GB limit on a 40-run store."""
    from benchmark.cli import MAX_BOOT, main
    from benchmark.synthetic import write_store

    write_store(tmp_path, seeds=range(2), metrics=("psnr",), n_images=4)
    assert main(["report", "--out", str(tmp_path), "-q", "--bootstrap", str(MAX_BOOT + 1)]) == 2
    err = capsys.readouterr().err
    assert f"--bootstrap must be at most {MAX_BOOT}" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "leaderboard.md").exists()


def test_one_test_image_is_said_wherever_verdicts_are_printed():
    """One test image: the image level of the SE cannot be estimated, so a verdict holds over runs on
    that image only; the notes, the task's LaTeX caption and nothing else say so (≥ 2 images, or no
    verdict at all, say nothing)."""
    from benchmark import export as E

    offsets = {"l1": 0.0, "good": 5.0}
    one = S.compute(synthetic_table(tasks=("denoise", "sr4"), seeds=range(5), offsets=offsets, n_images=1,
                                    seed_sd=0.1), n_boot=100)
    assert one.cells.loc[one.cells["label"] == "good", "p_base"].notna().all()   # verdicts are given
    assert E.one_image(one) == {"denoise": 1, "sr4": 1}
    assert any(n.startswith("One test image in denoise, sr4") for n in E.notes(one))
    assert any(n.startswith("One test image:") for n in E.task_caveats(one, "sr4"))
    two = S.compute(synthetic_table(seeds=range(5), offsets=offsets, n_images=2, seed_sd=0.1), n_boot=100)
    untested = S.compute(synthetic_table(seeds=range(2), offsets=offsets, n_images=1), n_boot=100)
    for st in (two, untested):
        assert E.one_image(st) == {} and not any("One test image" in n for n in E.notes(st))


def test_few_test_images_are_named_where_the_t_test_is_approximate():
    """2 or 3 test images leave the image level of the SE 1–2 degrees of freedom: with a loss × image effect the
    paired test errs more often than α there (review of 2026-12-05), so the notes, the task's caveats and
    nothing else say so; 1 image has its own note, ≥ FEW_IMAGES images or no verdict at all say nothing."""
    from benchmark import export as E

    offsets = {"l1": 0.0, "good": 5.0}
    three = S.compute(synthetic_table(tasks=("denoise", "sr4"), seeds=range(5), offsets=offsets, n_images=3,
                                      seed_sd=0.1), n_boot=100)
    assert three.cells.loc[three.cells["label"] == "good", "p_base"].notna().all()   # verdicts are given
    assert E.few_images(three) == {"denoise": 3, "sr4": 3}
    assert any(n.startswith("Few test images in denoise (3), sr4 (3)") for n in E.notes(three))
    assert any(n.startswith("Few test images:") for n in E.task_caveats(three, "sr4"))
    one = S.compute(synthetic_table(seeds=range(5), offsets=offsets, n_images=1, seed_sd=0.1), n_boot=100)
    enough = S.compute(synthetic_table(seeds=range(5), offsets=offsets, n_images=E.FEW_IMAGES, seed_sd=0.1),
                       n_boot=100)
    untested = S.compute(synthetic_table(seeds=range(2), offsets=offsets, n_images=3), n_boot=100)
    for st in (one, enough, untested):
        assert E.few_images(st) == {} and not any("Few test images" in n for n in E.notes(st))

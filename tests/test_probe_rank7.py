"""Probes of the overall ranking and the leaderboard's opening verdict (synthetic stores, no training)."""
from __future__ import annotations

import pytest


def _stats(drop_lpips_for_others: bool = True, **kw):
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=kw.pop("tasks", ("denoise",)),
                        offsets=kw.pop("offsets", {"l1": 0.0, "good": 1.0, "bad": -1.0}),
                        metrics=kw.pop("metrics", ("psnr", "lpips", "ssim")), seeds=tuple(range(5)), n_images=6,
                        seed=1, seed_sd=0.3, **kw)
    if drop_lpips_for_others:
        t = t[~((t["loss"] != "bad") & (t["metric"] == "lpips"))]
    return compute(t, None, baseline="l1", n_boot=50)


def test_a_metric_scored_for_one_loss_alone_does_not_put_it_first_in_the_overall_ranking():
    """Was: lpips scored for `bad` alone: `complete` was taken over the union of blocks, so every other loss was
    "ranked over fewer blocks" (*) and listed after `bad` — worst on psnr and ssim — which topped the overall
    ranking, the leaderboard figure's order and the rank heatmap. A loss is incomplete only when it lacks a block
    most losses have (the task tables' rule)."""
    from benchmark.export import latex, markdown, rank_caveat

    st = _stats()
    r = st.ranks.set_index("label")
    assert list(r.index) == ["good", "l1", "bad"], list(r.index)
    assert r["complete"].all(), r["complete"]
    assert rank_caveat(st) is None
    md = markdown(st)
    ranking = md.split("## Overall ranking", 1)[1]
    assert "| good |" in ranking and "1 \\* |" not in ranking and "2 \\* |" not in ranking
    assert "2$^{*}$ &" not in latex(st) and "3$^{*}$ &" not in latex(st)
    # the critical-difference diagram tests the same losses over the blocks they share
    assert not st.friedman.get("excluded"), st.friedman


def test_a_loss_without_a_block_most_losses_have_is_still_flagged_and_listed_last():
    """The other side of the rule: lpips scored for every loss but `good` leaves `good` short (flagged *, last,
    named in the caveat and left out of the CD diagram), whatever its ranks on psnr and ssim."""
    from benchmark.export import rank_caveat
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0, "mid": 0.5},
                        metrics=("psnr", "lpips", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = t[~((t["loss"] == "good") & (t["metric"] == "lpips"))]
    st = compute(t, None, baseline="l1", n_boot=50)
    r = st.ranks.set_index("label")
    assert list(r.index)[-1] == "good" and not r.loc["good", "complete"] and r.drop("good")["complete"].all()
    assert "good (2 blocks" in (rank_caveat(st) or "")
    assert st.friedman.get("excluded") == ["good"], st.friedman


def test_a_minority_block_does_not_drop_the_majority_of_losses_from_the_cd_diagram():
    """Was: the Friedman test kept the losses present in *every* block, so lpips scored for 3 of 7 losses left the
    4 others out of the CD diagram ("not in every block") while the ranking called them complete."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    offsets = {"l1": 0.0, "a": 1.0, "b": -1.0, "c": 0.5, "d": -0.5, "e": 0.25, "f": -0.25}
    t = synthetic_table(tasks=("denoise", "deblur"), offsets=offsets, metrics=("psnr", "lpips", "ssim"),
                        seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = t[~(~t["loss"].isin(["a", "b", "c"]) & (t["metric"] == "lpips"))]
    st = compute(t, None, baseline="l1", n_boot=50)
    assert st.ranks["complete"].all()
    assert not st.friedman.get("excluded"), st.friedman.get("excluded")
    assert st.friedman["k"] == 7 and st.friedman["n_blocks"] == 4, st.friedman


def test_the_rank_heatmap_marks_no_loss_for_another_loss_s_lone_block():
    """The heatmap's `all` column took its * from the same `complete`: with lpips scored for `bad` alone it marked
    `good` and `l1` (not `bad`) as ranked over fewer blocks, and its title said so."""
    from benchmark import figures as F

    st = _stats()
    with F.style() as plt:
        fig = F.draw_rank_heatmap(st)
        ax = fig.axes[0]
        texts = [t.get_text() for t in ax.texts]
        title = ax.get_title()
        plt.close(fig)
    assert not any(t.endswith("*") for t in texts), texts
    assert "* : not every" not in title and "*: not every" not in title, title


def _thin(table, loss="good", task="denoise", metric="lpips", seeds=(3, 4)):
    """``table`` with ``loss``'s ``metric`` unscored on ``task`` for ``seeds`` (a metric scored on some runs)."""
    return table[~((table["loss"] == loss) & (table["metric"] == metric) & table["seed"].isin(seeds)
                   & (table["task"] == task))]


GRID = dict(tasks=("denoise", "deblur"), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0, "mid": 0.3},
            metrics=("psnr", "lpips", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)


def test_one_thin_cell_does_not_open_the_leaderboard_with_smoke_test():
    """Was: good's denoise lpips scored on 3 of its 5 runs (every other cell 5 runs) opened the leaderboard, the
    LaTeX and every figure title with "Smoke test, not a ranking". The banner is for the ranking as a whole (most
    scored cells short of runs, none tested, or runs not shown converged); a thin cell gets the note that names it,
    which states the rule."""
    from benchmark import figures as F
    from benchmark.export import latex, markdown, notes
    from benchmark.stats import compute, smoke_test
    from benchmark.synthetic import synthetic_table

    st = compute(_thin(synthetic_table(**GRID)), None, baseline="l1", n_boot=50)
    assert smoke_test(st) == "" and smoke_test(st, short=True) == ""
    assert "Smoke test" not in markdown(st) and "Smoke test" not in latex(st)
    text = " ".join(notes(st))
    assert "Too few runs for a verdict on good (denoise/lpips: 3 runs)" in text, text
    assert "1 of 24 scored cells" in text and "not a smoke test" in text, text
    with F.style() as plt:
        fig = F.draw_rank_heatmap(st)
        title = fig.axes[0].get_title()
        plt.close(fig)
    assert "Smoke test" not in title, title


def test_most_cells_short_of_runs_still_open_with_smoke_test_and_say_how_many():
    from benchmark.stats import compute, smoke_test
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(**{**GRID, "offsets": {**GRID["offsets"], "top": 1.5}})
    t = t[~(t["loss"].isin(["good", "mid", "bad"]) & (t["seed"] >= 3))]  # 3 of 5 losses with 3 runs
    st = compute(t, None, baseline="l1", n_boot=50)
    line = smoke_test(st)
    assert line.startswith("Smoke test, not a ranking:") and "18 of 30 scored cells" in line, line
    assert "no verdicts" not in line  # l1 and top are tested


PGRID = dict(tasks=("denoise", "deblur"), offsets={"l1": 0.0, "top": 2.0, "good": 1.0, "mid": -1.0, "bad": -2.0},
             metrics=("psnr", "lpips", "ssim"), seeds=tuple(range(5)), n_images=6, seed=3, seed_sd=0.2)


def _perturbations():
    """(name, loss it concerns, table → table): single odd cells of a synthetic store."""
    import numpy as np

    def no_task(t):  # one loss missing one task (run on fewer tasks)
        return t[~((t["loss"] == "mid") & (t["task"] == "deblur"))]

    def diverged(t):  # one of its 5 runs diverged: no rows
        return t[~((t["loss"] == "mid") & (t["task"] == "denoise") & (t["seed"] == 2))]

    def nan_image(t):  # one metric NaN for one image of one run
        t = t.copy()
        i = t.index[(t["loss"] == "mid") & (t["task"] == "denoise") & (t["metric"] == "ssim") & (t["seed"] == 1)][0]
        t.loc[i, "value"] = np.nan
        return t

    def thin(t):  # a metric scored on 3 of its 5 runs
        return _thin(t, loss="mid", task="denoise", metric="lpips", seeds=(3, 4))

    def lone(t):  # a metric scored for one loss alone
        return t[~((t["loss"] != "mid") & (t["metric"] == "lpips"))]

    return [("no_task", no_task), ("diverged", diverged), ("nan_image", nan_image), ("thin", thin), ("lone", lone)]


@pytest.mark.parametrize("name,perturb", _perturbations(), ids=[n for n, _ in _perturbations()])
def test_a_single_odd_cell_changes_nothing_about_the_losses_it_does_not_concern(name, perturb):
    """Property over single odd cells of one loss (`mid`): no banner appears, the other losses keep their
    verdicts (▲/▼ against l1, bold), their `complete` flag, their overall order, and their place in the
    Friedman test (CD diagram) and its method."""
    from benchmark import figures as F
    from benchmark.export import friedman_text
    from benchmark.stats import compute, smoke_test
    from benchmark.synthetic import synthetic_table

    base_t = synthetic_table(**PGRID)
    base = compute(base_t, None, baseline="l1", n_boot=50)
    odd = compute(perturb(base_t), None, baseline="l1", n_boot=50)
    assert smoke_test(base) == "" and smoke_test(odd) == "", smoke_test(odd)
    others = [lab for lab in base.ranks["label"] if lab != "mid"]
    order = [lab for lab in odd.ranks["label"] if lab != "mid"]
    assert order == others, (name, order, others)
    assert odd.ranks.set_index("label").loc[others, "complete"].all(), odd.ranks

    def verdicts(st):
        c = st.cells[st.cells["label"].isin(others)].set_index(["task", "metric", "label"]).sort_index()
        return c[["vs_base", "top_group"]].astype(str)

    a, b = verdicts(base), verdicts(odd)
    b = b.loc[a.index.intersection(b.index)]
    assert a.loc[b.index].equals(b), (name, a.loc[b.index].compare(b))
    assert set(odd.friedman.get("excluded", [])) <= {"mid"}, odd.friedman
    assert odd.friedman.get("method") == base.friedman.get("method") == "permutation", (name, odd.friedman)
    line = friedman_text(odd)
    assert line.startswith("Friedman test over") and "descriptive" not in line, line
    if odd.friedman.get("runs_left_blocks"):  # the blocks it leaves out are named
        assert "Blocks left out" in line and "denoise (" in line, line
    with F.style() as plt:
        fig = F.draw_cd_diagram(odd)
        title = " ".join(f"{fig.get_suptitle()} {fig.get_supxlabel()}".split())  # and its caption
        texts = " ".join(t.get_text() for t in fig.axes[0].texts)
        plt.close(fig)
    assert "descriptive" not in title and "CD = " in texts, title


def test_blocks_only_a_few_losses_have_do_not_lift_their_losses_overall_rank():
    """Was: `worst` — last on every block all three losses share — ran alone on deblur and sr (rank 1 of 1 there,
    four lone blocks); its mean rank (3+3+1+1+1+1)/6 = 1.67 beat `mid`'s 2.0 (second on every shared block), so the
    overall ranking, the leaderboard figure and the heatmap listed it above `mid`, every loss flagged complete.
    The mean rank is over the blocks most losses have; the others are counted apart (`n_extra`) and named."""
    from benchmark import figures as F
    from benchmark.export import html_report, latex, markdown
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    kw = dict(metrics=("psnr", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.1)
    t = synthetic_table(tasks=("denoise",), offsets={"top": 2.0, "mid": 1.0, "worst": -1.0}, **kw)
    lone = synthetic_table(tasks=("deblur", "sr4"), offsets={"worst": -1.0}, **kw)
    import pandas as pd

    st = compute(pd.concat([t, lone], ignore_index=True), None, baseline="top", n_boot=50)
    r = st.ranks.set_index("label")
    assert list(r.index) == ["top", "mid", "worst"], r
    assert r.loc["worst", "mean_rank"] == 3.0 and r.loc["worst", "n_blocks"] == 2, r
    assert r.loc["worst", "n_extra"] == 4 and r.loc["mid", "n_extra"] == 0, r
    md = markdown(st)
    assert "worst (4: deblur, sr4)" in md, md
    assert "worst (4: deblur, sr4)" in latex(st) and "worst (4: deblur, sr4)" in html_report(st, {})
    with F.style() as plt:  # the heatmap's `all` column is the same mean rank, in the same order
        fig = F.draw_rank_heatmap(st)
        ylabels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        plt.close(fig)
    assert ylabels == ["top", "mid", "worst"], ylabels


def test_blocks_left_out_of_the_cd_test_for_missing_runs_name_the_loss_whose_runs_are_missing():
    """Was: mid's diverged denoise run left every denoise block out of the run-level test, said only as "Blocks left
    out (not every loss it ranks has them, or not every one of their runs): denoise (…)". The blocks left out are
    where mid failed, so its rank in the test (CD diagram) no longer sees that failure — it may flatter mid — and
    nothing said whose runs were missing. The summary and the CD title now name the loss and what that means."""
    from benchmark import figures as F
    from benchmark.export import friedman_text
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(**GRID)
    st = compute(t[~((t["loss"] == "mid") & (t["task"] == "denoise") & (t["seed"] == 2))], None, baseline="l1",
                 n_boot=50)
    assert st.friedman["method"] == "permutation" and st.friedman["runs_left_by"] == ["mid"], st.friedman
    line = friedman_text(st)
    assert "Those of denoise (lpips, psnr, ssim) are left out for every loss because mid lacks runs there" in line, line
    with F.style() as plt:
        fig = F.draw_cd_diagram(st)
        title = " ".join(f"{fig.get_suptitle()} {fig.get_supxlabel()}".split())  # and its caption
        plt.close(fig)
    assert "mid lacks runs there" in title, title


def test_losses_on_disjoint_tasks_are_not_all_called_complete():
    """Was: `l1` and `good` run on denoise only, `bad` and `mid` on deblur only — no block most losses have, so
    short_of found nobody short: every loss `complete`, no caveat and no * although each mean rank is over other
    blocks and two rivals only (rank 1 on one task looked as good as rank 1 on the other). With no block most
    losses have, a loss lacking any block another has is short, as before short_of."""
    import pandas as pd

    from benchmark.export import markdown, rank_caveat
    from benchmark.stats import compute, short_of
    from benchmark.synthetic import synthetic_table

    kw = dict(metrics=("psnr", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = pd.concat([synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0}, **kw),
                   synthetic_table(tasks=("deblur",), offsets={"bad": -1.0, "mid": 0.3}, **kw)], ignore_index=True)
    st = compute(t, None, baseline="l1", n_boot=50)
    assert not st.ranks["complete"].any(), st.ranks
    assert "no (task, metric) block that every loss has" in (rank_caveat(st) or ""), rank_caveat(st)
    assert markdown(st).split("## Overall ranking", 1)[1].count("| 2 \\* |") == 4
    assert short_of({"a": {1}, "b": {2}}) == {"a": {2}, "b": {1}}
    assert short_of({"a": {1, 2}, "b": {1}}) == {}  # a lone item of one of two labels makes neither short

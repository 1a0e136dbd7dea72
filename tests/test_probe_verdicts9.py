"""Probes of the verdicts' leftovers: what the budget check's sentence claims, cost arms, images some
run lacks, and the few-images note (this session's probe-verdicts2)."""

from __future__ import annotations

import math

import numpy as np

from benchmark import convergence as C


def _bound(n: int, alpha: float = 0.05) -> int:
    """A generous upper bound on a Binomial(n, α) count (mean + 4 SD + 1)."""
    return int(n * alpha + 4 * math.sqrt(n * alpha * (1 - alpha)) + 1)


# --------------------------------------------------------------------------------------------
# (1) "the effect changes sign": a reversal only when the end effect is itself on the other side
# --------------------------------------------------------------------------------------------
def test_an_effect_that_was_lost_is_not_published_as_reversed():
    """Known effect: +0.3 dB at ½ budget, 0 at the end (every seed and image: −0.01 ± 0.1): the change is shown
    and larger than the margin, so the part is unsettled — but the end effect is not shown negative, so the
    sentence may say the effect was lost, not that it changed sign."""
    rng = np.random.default_rng(0)
    S, I, n = 5, 6, 200
    lost = reversed_ = 0
    for _ in range(n):
        half = 0.3 + rng.normal(0, 0.03, (S, I))
        end = rng.normal(0, 0.1, (S, I))
        end -= end.mean() + 0.01                      # the end effect's point estimate: −0.01, on the other side
        assert C.effect_moved(half, end, 0.05)
        note = C.effect_change_note(half, end, 0.05)
        lost += "was lost" in note
        reversed_ += "changes sign" in note
    assert lost == n and reversed_ == 0


def test_a_reversal_is_published_when_the_end_effect_is_shown_on_the_other_side():
    rng = np.random.default_rng(1)
    S, I, n = 5, 6, 200
    notes = [C.effect_change_note(0.3 + rng.normal(0, 0.03, (S, I)), -0.3 + rng.normal(0, 0.03, (S, I)), 0.05)
             for _ in range(n)]
    assert sum("changes sign" in s for s in notes) >= n - _bound(n)
    assert C.effect_change_note(np.full(5, -0.3), np.full(5, 0.3), 0.05).startswith("the effect changes sign")
    assert C.effect_change_note(np.full(5, -0.01), np.full(5, 0.01), 0.05) == ""     # below the margin


def test_null_end_effects_are_called_reversed_at_most_alpha():
    """Null on the end: an effect that moved from +0.3 to a true 0 — the end's sign is noise, so "changes sign"
    (a claim that it is on the other side) may be said at most α of the time among the parts that moved."""
    rng = np.random.default_rng(2)
    S, I, n = 5, 6, 1000
    said = 0
    for _ in range(n):
        half = 0.3 + rng.normal(0, 0.05, (S, I))
        end = rng.normal(0, 0.05, (S, I)) + rng.normal(0, 0.05, I)
        said += "changes sign" in C.effect_change_note(half, end, 0.05)
    assert said <= _bound(n)


# --------------------------------------------------------------------------------------------
# (2) cost_table's per-task arm: the version of the runs it is about, not the first meta's
# --------------------------------------------------------------------------------------------
def test_cost_rows_arm_is_that_of_its_unconverged_runs_not_the_first_metas():
    """Label ``l1`` on sr4: two scored runs of an older store (rows without a loss version, still improving at
    ½ budget) and a newer failed run of the same spec whose meta records ``l1=1`` — no scored run of the label
    has a version, so the failed run joins the label. Its version came first and was taken as the row's arm:
    the report's note looked the still-improving arm up as "not checked"."""
    import pandas as pd

    from benchmark.stats import cost_table

    def meta(rid, status, versions):
        return {"run_id": rid, "status": status, "ms_per_it": 10.0, "weights": "none", "loss_versions": versions,
                "config": {"task": "sr4", "loss": "l1", "seed": 0}}

    metas = [meta("f", "failed", {"l1": "1"}), meta("a", "ok", {}), meta("b", "ok", {})]
    arms = pd.DataFrame([{"setting": "s", "task": "sr4", "loss": "l1", "weights_kind": "none", "loss_version": "",
                          "metric": "psnr", "runs": 2, "gain": 0.5, "low": 0.3, "high": 0.7, "margin": 0.05,
                          "status": C.IMPROVING, "df": 1.0}], columns=C.ARM_COLUMNS)
    _, per_task = cost_table(metas, arms, {"a": "l1", "b": "l1"}, {"a": "", "b": ""})
    (row,) = per_task.itertuples()
    assert row.runs == 3 and row.unconverged == 2
    assert C.arm_status(arms, "sr4", "l1", weights_kind=row.weights_kind, loss_version=row.loss_version) \
        == C.IMPROVING, (row.weights_kind, row.loss_version)


# --------------------------------------------------------------------------------------------
# (3) a run (or its check) scored on part of the images narrowed every run to those images
# --------------------------------------------------------------------------------------------
def _partial_grid(seed: int = 0):
    """5 runs × 10 test images of budget gains, the first run's check scored on 2 images only (NaN elsewhere)."""
    rng = np.random.default_rng(seed)
    x = 0.2 + rng.normal(0, 0.1, 10) + rng.normal(0, 0.05, (5, 10))
    part = x.copy()
    part[0, 2:] = np.nan
    return x, part


def test_a_run_scored_on_part_of_the_images_is_left_out_not_every_other_runs_images():
    """One run's check scored on 2 of 10 images: the arm's bounds were over those 2 images of every run
    (8 images' evidence dropped silently); leaving that one run out keeps 4 × 10 cells, not 5 × 2."""
    x, part = _partial_grid()
    assert C.gain_stats(part) == C.gain_stats(x[1:])
    half, end = np.zeros_like(part), part
    assert C.change_p(-0.1 + 0 * half, end, 0.05) == C.change_p(np.full((4, 10), -0.1), x[1:], 0.05)


def test_an_image_one_run_lacks_is_left_out_when_that_keeps_more():
    """The other way round: one image missing from one run (5 × 9 complete) — leaving the image out keeps more
    than leaving the run out (4 × 10), as before."""
    x, _ = _partial_grid(1)
    part = x.copy()
    part[0, 3] = np.nan
    assert C.gain_stats(part) == C.gain_stats(np.delete(x, 3, axis=1))


def test_arm_budget_says_what_a_partial_check_leaves_out(caplog):
    import logging

    import pandas as pd

    _, part = _partial_grid()
    rows = [{"setting": "s", "task": "sr4", "loss": "l1", "weights_kind": "none", "loss_version": "", "seed": r,
             "metric": "psnr", "run_id": f"r{r}", "item": f"set/{i}", "gain": part[r, i]}
            for r in range(5) for i in range(10)]
    with caplog.at_level(logging.WARNING, logger="benchmark.convergence"):
        (arm,) = C.arm_budget(pd.DataFrame(rows)).itertuples()
    assert arm.runs == 4 and "4 of 5 runs × 10 of 10 images" in caplog.text


# --------------------------------------------------------------------------------------------
# (4) verdicts from 2–3 test images are approximate: every output that prints one says so
# --------------------------------------------------------------------------------------------
def test_a_finding_checked_on_few_test_images_says_its_verdict_is_approximate():
    """Was: zhao2017_l1_vs_l2 on 5 seeds of 3 test images printed 'reproduced on 2 of 2 parts' in the findings'
    text, Markdown and HTML — the leaderboard and compare say "Few test images ... approximate" of their marks
    (Satterthwaite's degrees of freedom of 2 images' level), the findings said nothing."""
    from benchmark.export import FEW_IMAGES
    from benchmark.findings import check_all, to_html, to_markdown, to_text
    from benchmark.synthetic import synthetic_table

    for n in range(2, FEW_IMAGES):
        t = synthetic_table(tasks=("sr4",), offsets={"l1": 2.0, "l2": 0.0}, seeds=range(5), metrics=("psnr", "ssim"),
                            n_images=n, seed_sd=0.05)
        (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=50)
        assert r.verdict == "reproduced"
        said = f"on {n} test images only (approximate"
        assert said in to_text([r]).splitlines()[0]
        assert said in next(x for x in to_markdown([r]).splitlines() if x.startswith("| zhao"))
        assert said in to_html([r])
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.6, "l2": 0.0}, seeds=range(5), metrics=("psnr",),
                        n_images=FEW_IMAGES, seed_sd=0.05)
    (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=50)
    assert "approximate" not in to_text([r]).splitlines()[0]


def test_compare_says_its_verdicts_on_few_test_images_are_approximate(tmp_path):
    """compare's per-loss verdicts ("significantly better than l1") from 3 test images: the section's quoted note
    said "Few test images", the loss's own line with its verdicts did not — now it says them approximate."""
    from benchmark.compare import _summary
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "mine": 2.0}, seeds=range(5), metrics=("psnr",),
                                          n_images=3, budget_check=False):
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 20, "l1", ())
    head = next(x for x in text.splitlines() if x.startswith("**mine**"))
    assert "| psnr" in text and "l1" in next(x for x in text.splitlines() if x.startswith("| psnr"))
    assert "3 test images only (approximate" in head, head


# (1), its sibling: the leaderboard's "the ranking still moves in <task> (n pairs of losses change order)"
def _two_arm_items(half_gap: float, end_gap: float, seed: int = 0, others=("b", "c")):
    """Per-image budget rows (:data:`benchmark.convergence.ITEM_COLUMNS`) of loss a and ``others`` (each at 0, both
    budgets) on sr4/psnr, 5 seeds × 6 images: a − other is ``half_gap`` at ½ budget and exactly ``end_gap`` on
    average at the end (noise 0.1 per cell)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    end_noise = rng.normal(0, 0.1, (5, 6))
    end_noise -= end_noise.mean()
    rows = []
    level = 0 * end_noise
    for loss, h, e in (("a", half_gap + rng.normal(0, 0.03, (5, 6)), end_gap + end_noise), *(
            (other, level, level) for other in others)):
        for s in range(5):
            for i in range(6):
                rows.append({"setting": "x", "task": "sr4", "loss": loss, "weights_kind": "none", "loss_version": "",
                             "seed": s, "metric": "psnr", "run_id": f"{loss}{s}", "check_id": f"{loss}{s}h",
                             "item": f"set/{i}", "final": 30 + e[s, i], "check": 30 + h[s, i],
                             "gain": e[s, i] - h[s, i]})
    return pd.DataFrame(rows, columns=C.ITEM_COLUMNS)


def test_budget_stability_tells_a_lost_gap_from_a_reversed_order():
    """a ahead of b by 0.3 dB at ½ budget, level (−0.01) at the end: the pair's gap moved (shown), but the order
    is not shown reversed — 'the ranking still moves … pairs of losses change order' claimed a reversal."""
    from types import SimpleNamespace

    from benchmark.export import convergence_notes

    lost = C.budget_stability(_two_arm_items(0.3, -0.01))
    assert int(lost["moved"].sum()) == 2 and int(lost["reversed"].sum()) == 0   # a vs b, a vs c (b = c: never)
    rev = C.budget_stability(_two_arm_items(0.3, -0.3))
    assert int(rev["moved"].sum()) == 2 and int(rev["reversed"].sum()) == 2
    import pandas as pd

    costs = pd.DataFrame(columns=["task", "label", "ok", "unconverged"])
    for cv, said, not_said in ((lost, "not shown reversed", "change order"), (rev, "change order", "not shown")):
        st = SimpleNamespace(task_costs=costs, budget=None, budget_iterations=None, convergence=cv)
        line = next(x for x in convergence_notes(st) if x.startswith("Budget stability"))
        assert said in line and not_said not in line, line


def test_a_task_of_two_losses_whose_order_reversed_is_said_to_move():
    """Two losses (τ needs three: NaN): their order reversed at the end, shown (moved = reversed = 1), yet the
    leaderboard printed no Budget-stability sentence at all — the line was gated on a finite τ."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.export import convergence_notes

    cv = C.budget_stability(_two_arm_items(0.3, -0.3, others=("b",)))
    assert cv["tau"].isna().all() and int(cv["moved"].sum()) == 1 and int(cv["reversed"].sum()) == 1
    st = SimpleNamespace(task_costs=pd.DataFrame(columns=["task", "label", "ok", "unconverged"]), budget=None,
                         budget_iterations=None, convergence=cv)
    line = next((x for x in convergence_notes(st) if x.startswith("Budget stability")), "")
    assert "the ranking still moves in sr4 (1 pair of losses change order: a–b)" in line, line

"""Review of verdicts (round 18): every printed p on its side of α, the lines compare writes on what it changed."""

from __future__ import annotations

import scipy.stats  # noqa: F401

import benchmark.compare  # noqa: F401 (imported once at collection, not in a test's time)
import benchmark.metrics  # noqa: F401
from benchmark.synthetic import synthetic_table


def test_a_p_a_hair_below_alpha_is_not_printed_as_alpha():
    """Was: p_text added digits up to 6 only, so a significant p_holm of 0.04999999 (or 0.05 − 1e-12) still read
    '= 0.05' beside 'significantly better' at α = 0.05. Now it adds them until the printed p is on its side of α
    (at 17 significant digits every float prints as itself)."""
    from benchmark.stats import p_text

    for p in (0.04999999, 0.05 - 1e-12, 0.05 - 1e-17 * 2):
        text = p_text(p)
        assert p < 0.05 and (text == "< 0.05" or float(text.removeprefix("= ")) < 0.05), (p, text)
    assert p_text(0.05) == "= 0.05" and p_text(0.0504) == "= 0.05" and p_text(0.0496) == "= 0.0496"
    assert p_text(0.009999999, alpha=0.01) == "< 0.01"  # the fewest digits on its side (test_probe_verdicts19)


def test_the_fragile_and_friedman_p_are_printed_as_every_p():
    """Was: fragile_text wrote its p with .2g — a p_holm of 0.0496 without a seed (its effect turned) read '= 0.05',
    one below the float floor '= 1e-20' where every table writes '< 1e-16' — and the Friedman p passed no α, so at
    `--alpha 0.1` a p of 0.0996 read '= 0.1' beside its critical difference at α = 0.1. Now both print through
    p_text with their α, and the leaderboard's note passes the table's."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.export import fragile_cells_text, friedman_p_text
    from benchmark.stats import fragile_text

    assert fragile_text((3,), 1e-20) == "seed 3: p_holm < 1e-16"
    assert fragile_text((0, 1), 0.0496) == "any of seeds 0, 1: max p_holm = 0.0496"
    assert fragile_text((0, 1), 0.0996, alpha=0.1) == "any of seeds 0, 1: max p_holm = 0.0996"
    assert fragile_text((2,), 0.3) == "seed 2: p_holm = 0.3"  # as before
    cells = pd.DataFrame([{"task": "denoise", "metric": "psnr", "label": "l2", "vs_base": -0.2, "decided_by": "0; 1",
                           "p_without": 0.0996}])
    note = fragile_cells_text(SimpleNamespace(cells=cells, alpha=0.1))
    assert "denoise/psnr: l2 ▼ (any of seeds 0, 1: max p_holm = 0.0996)" in note, note
    assert friedman_p_text({"p": 0.0996, "method": "asymptotic", "alpha": 0.1}) == "= 0.0996"
    assert friedman_p_text({"p": 0.0996, "method": "asymptotic"}) == "= 0.1"


def test_compare_names_each_verdict_it_changed_on_a_line_of_its_own():
    """Was: compare's sections on the field's verdicts and the findings its new losses changed ran every change into
    one sentence joined by ';' (l2's three pairs and its ▼ in one paragraph, a finding with its whole verdict sentence
    inside it). Now each change is one list item under the section's lead sentence."""
    from benchmark.compare import changes_section
    from benchmark.stats import compute, family_losses

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": -0.35, "l3": 0.0, "mine": 0.0, "mine2": 0.0},
                        metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=13, seed_sd=0.1, noise=0.05)
    changed = family_losses([compute(t, n_boot=20)], {"mine", "mine2"}, 0.05)
    assert len(changed) >= 2, changed
    lines = changes_section("The field's verdicts this comparison changed", "No longer significant at α = 0.05:",
                            changed)
    assert lines[:4] == ["## The field's verdicts this comparison changed", "", "No longer significant at α = 0.05:",
                         ""], lines
    items = [x for x in lines if x.startswith("- ")]
    assert len(items) == len(changed) and all(";" not in x for x in items), items
    assert "- denoise/psnr: l2 ▼ vs l1 (p_holm 0.023 → 0.053)" in items, items


def test_the_findings_say_which_runs_they_read_as_budget_checks_of_no_run():
    """Was: l1 and l2 × 10 seeds at 75 iterations beside l1's seeds 5–9 at 150 (sr4): the leaderboard names the 15
    runs at 75 that check no run (8b13dfa), but `plbench findings` dropped them as budget checks with no word and
    said 'l2 not in these results' of l2's 10 runs. Now the findings say the leaderboard's line, with the report's
    --where (findings have none); a store whose every check has its run says nothing of it."""
    import warnings

    import pytest

    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark.findings import check_all, to_markdown

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(10),
                        n_images=3, seed=1, seed_sd=0.1, budget_check=True)
    full = t["setting"].astype(str).str.contains('"iterations": 150')
    gone = full & ((t["loss"] == "l2") | ((t["loss"] == "l1") & (t["seed"] < 5)))
    line = ("15 runs at 75 iterations — half this setting's 150, so read as budget checks — have no run of their loss "
            "and seed at the full budget and are in no table or test here: sr4/l1 (seeds 0–4); sr4/l2 (seeds 0–9) "
            "(`plbench report --where iterations=75` shows them).")
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("psnr",))
        warnings.simplefilter("ignore")
        (r,) = check_all(t[~gone], ["zhao2017_l1_vs_l2"], n_boot=20, convergence=True)
        (whole,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20, convergence=True)
    assert r.unpaired == line and f"> {line}" in to_markdown([r]).splitlines(), r.unpaired
    assert whole.unpaired == ""

"""Probe of verdicts end to end (round 19): the findings' fragile flags recomputed by hand, and what `plbench compare`
says of the findings its new loss changes."""

from __future__ import annotations

import warnings

import pytest

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time

PRETRAINED = {loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine")}


def _pdl(t):
    from benchmark.findings import check_all

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return check_all(t, ["delbracio2021_pdl"], n_boot=20)


def test_a_finding_a_compared_loss_makes_fragile_is_named():
    """Was: PDL > VGG on sr4/lpips (pretrained) reproduced at p_holm 0.009, no seed deciding it; `plbench compare` of a
    third pretrained loss ('mine', a new rival) added a part on PDL's runs, and the regenerated findings.md read
    "reproduced on 2 of 2 parts; fragile: … pdl vs vgg on sr4/lpips: any of seeds 1, 4" — the published part that was
    robust now rests on one seed's runs — while compare's "Findings this comparison changed" said nothing (it compared
    the verdict word alone). Now a verdict that turns fragile (or stops being so) is named, before → after."""
    from benchmark.findings import verdicts_changed

    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.2, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05, weights=PRETRAINED)
    before, after = _pdl(t[t["loss"] != "mine"]), _pdl(t)
    assert [r.verdict for r in before] == [r.verdict for r in after] == ["reproduced"]
    (old,), (new,) = before, after
    vgg = [p for p in new.parts if p.b.startswith("vgg")]
    assert not any(p.decided_by for p in old.parts) and vgg and vgg[0].decided_by, (old.parts, new.parts)
    assert verdicts_changed(before, after) == [f"delbracio2021_pdl: reproduced → reproduced, fragile "
                                               f"({new.verdict_text})"]
    assert verdicts_changed(after, before) == [f"delbracio2021_pdl: reproduced, fragile → reproduced "
                                               f"({old.verdict_text})"]
    assert verdicts_changed(after, after) == []


def test_findings_csv_names_each_fragile_parts_seeds_as_summary_csv_does():
    """Was: findings.csv gave a fragile part's seeds inside its prose note alone ("fragile: … (any of seeds 1, 4: max
    p_holm = 0.07) — more seeds settle it"), while summary.csv has `decided_by` and `p_without` columns for a fragile
    ▲/▼: a pandas user could not pick the fragile parts of the findings without parsing sentences. Now findings.csv has
    both columns, as summary.csv writes them ("; "-joined seeds; the largest Holm p without one of them), empty where
    no seed decides the part; csv_columns.md describes them."""
    from benchmark.export import CSV_COLUMNS
    from benchmark.findings import PART_COLUMNS, parts_frame

    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.2, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05, weights=PRETRAINED)
    (r,) = _pdl(t)
    f = parts_frame([r])
    assert {"decided_by", "p_without"} <= set(PART_COLUMNS) <= set(CSV_COLUMNS["findings.csv"])
    by = dict(zip(f["b"], f["decided_by"]))
    assert by == {"mine [vgg16:imagenet]": "1; 2; 4", "vgg [vgg16:imagenet]": "1; 4"}, by
    for p, (_, row) in zip(r.parts, f.iterrows()):
        assert f"max p_holm = {row['p_without']:.2g})" in p.note and row["p_without"] >= 0.05, (p.note, row)
    (robust,) = _pdl(t[t["loss"] != "mine"])
    g = parts_frame([robust])
    assert list(g["decided_by"]) == [""] and g["p_without"].isna().all(), g


@pytest.mark.slow  # ≈ 1.2 s: the statistics of a two-task board computed three times
def test_compares_new_loss_gets_the_grids_wins_losses_and_fragile_flags():
    """`plbench compare` judges its new loss one task at a time (compare._summary: stats.compute on the task's table),
    the report over the whole table: each (task, metric) column is one Holm family of its pairs either way, so a loss
    added by compare and the same runs trained in the grid get the same pair p's and the same fragile wins and losses
    (stats.pair_decided_by, each seed re-tested across the column's pairs on those runs). Checked on two tasks where
    some of mine's wins and losses are fragile."""
    from benchmark.stats import compute, pair_decided_by

    t = synthetic_table(tasks=("sr4", "denoise"), offsets={"l1": 0.0, "l2": -0.12, "mine": 0.1, "good": 0.15},
                        metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=6, seed_sd=0.1, noise=0.05,
                        budget_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = compute(t, baseline="l1", n_boot=20)
        fragile = 0
        for task in ("sr4", "denoise"):
            alone = compute(t[t["task"] == task], baseline="l1", n_boot=20)
            mine = [(m, a, b) for m in ("psnr", "ssim") for o in ("l1", "l2", "good")
                    for a, b in (("mine", o), (o, "mine"))]
            got = [pair_decided_by(alone, task, *x) for x in mine]
            assert got == [pair_decided_by(grid, task, *x) for x in mine], task
            fragile += sum(g is not None for g in got)
            cols = ["metric", "a", "b", "p"]
            assert alone.pairs[cols].reset_index(drop=True).equals(
                grid.pairs.loc[grid.pairs["task"] == task, cols].reset_index(drop=True)), task
    assert fragile, "no fragile win or loss of mine: the check would compare nothing"


if __name__ == "__main__":
    pytest.main([__file__, "-q", "-n0"])

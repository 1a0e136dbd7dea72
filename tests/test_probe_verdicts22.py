"""Probe of the verdicts, session 22: a "reproduced" that says more than was tested, directions written by hand."""

from __future__ import annotations

from conftest import one_finding

from benchmark.synthetic import synthetic_table


def test_zhao_s_l1_vs_l2_is_not_reproduced_by_a_tie():
    """Zhao et al. (METHODS.md: "a net trained with L1 reaches higher PSNR than one trained with L2, even though
    PSNR is L2's own metric"; their Tables I–II have ℓ1 above ℓ2) claim ℓ1 *better*. The finding tested
    non-inferiority (ℓ1 ≥ ℓ2 − margin) and printed "reproduced" for ℓ1 and ℓ2 alike to a thousandth of a dB on
    8 seeds: a claim the data has nothing to say for. Now each part is ℓ1 > ℓ2: a tie is not reproduced (nor
    contradicted), ℓ1 clearly above ℓ2 still is, and the claim and refutation lines say "better"."""
    tie = synthetic_table(tasks=("sr4", "jpeg"), metrics=("psnr", "ssim"), offsets={"l1": 0.0, "l2": 0.0},
                          seeds=range(8), seed_sd=0.001, noise=0.002, n_images=12)
    r = one_finding(tie, "zhao2017_l1_vs_l2")
    assert r.verdict not in ("reproduced", "contradicted"), r.verdict_text
    assert all(p.relation == "better" and p.verdict != "reproduced" for p in r.parts), [
        (p.relation, p.verdict) for p in r.parts]
    ahead = synthetic_table(tasks=("sr4", "jpeg"), metrics=("psnr", "ssim"), offsets={"l1": 0.5, "l2": 0.0},
                            seeds=range(8), seed_sd=0.001, noise=0.002, n_images=12)
    assert one_finding(ahead, "zhao2017_l1_vs_l2").verdict == "reproduced"
    assert "≥" not in r.claim and "better" in r.claim, r.claim
    assert "non-inferiority" not in r.refuted_by and "tie" in r.refuted_by, r.refuted_by


def _blau(vgg: dict):
    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "niqe"), offsets={"l2": 0.0, "vgg": vgg}, seeds=range(6),
                        seed_sd=0.05, n_images=12, weights={"vgg": "vgg16:imagenet"})
    return one_finding(t, "blau2018_pd_tradeoff")


def test_blau_is_contradicted_only_by_a_loss_better_on_both_axes_not_by_another_point_the_bound_allows():
    """Blau & Michaeli bound what perception a given distortion allows; they do not claim every deep-feature loss
    lands on the perception side of ℓ2. Our reading (better perception *and* worse PSNR than ℓ2, per loss) printed
    CONTRADICTED for a VGG loss better than ℓ2 on PSNR and worse on NIQE — the trade-off the other way round, a
    point the bound allows — and "mixed" for one better on both axes, the one result the finding's own refutation
    line names as against the paper. Now: contradicted only where a deep-feature loss beats ℓ2 on both axes; a loss
    off our reading's side (worse on perception, or on both) is inconclusive, saying it goes against the reading and
    not the paper."""
    other_way = _blau({"psnr": 1.0, "niqe": -1.0})
    assert [p.verdict for p in other_way.counted] == ["contradicted", "contradicted"]  # both halves of the reading
    assert other_way.verdict == "inconclusive", other_way.verdict_text
    assert "not the paper" in other_way.verdict_text and "both axes" in other_way.verdict_text, other_way.verdict_text
    worse = _blau({"psnr": -1.0, "niqe": -1.0})
    assert worse.verdict == "inconclusive" and "not the paper" in worse.verdict_text, worse.verdict_text
    both = _blau({"psnr": 1.0, "niqe": 1.0})
    assert both.verdict == "contradicted", both.verdict_text
    assert "both axes" in both.verdict_text, both.verdict_text
    assert _blau({"psnr": -1.0, "niqe": 1.0}).verdict == "reproduced"  # the trade-off the reading expects


def test_a_part_on_a_lower_is_better_metric_reads_the_right_way_round():
    """Was: a part on LPIPS (lower is better) printed "vgg [vgg16:imagenet] > l2 on sr4/lpips: +0.0524" — vgg's LPIPS
    0.05 *lower* than ℓ2's read as higher — in the terminal, findings.md's and the report's part tables (the `>`
    column), and the legend said effects are "A − B in the metric's units", which on LPIPS is −0.05. Now the symbol
    reads the scores (`<`, `≤` where lower is better), the metric says it, and the legend says the effect is B − A
    there; higher-is-better parts print as before."""
    from benchmark.findings import to_html, to_markdown, to_text

    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "lpips"), offsets={"l2": 0.0, "vgg": {"psnr": -1.0,
                        "lpips": 1.0}}, seeds=range(5), seed_sd=0.05, n_images=8, weights={"vgg": "vgg16:imagenet"})
    means = t[t["metric"] == "lpips"].groupby("loss")["value"].mean()
    assert means["vgg"] < means["l2"]  # vgg's LPIPS is the lower (better) one
    r = one_finding(t, "blau2018_pd_tradeoff")
    lp = next(p for p in r.parts if p.metric == "lpips")
    assert lp.a.startswith("vgg") and lp.effect > 0
    said = r.effect_text() + to_text([r]) + to_markdown([r]) + to_html([r])
    assert f"{lp.a} > l2 on sr4/lpips" not in said and f"{lp.a} | > |" not in said
    assert f"{lp.a} < l2 on sr4/lpips (lower is better)" in r.effect_text(), r.effect_text()
    md = to_markdown([r])
    assert "| sr4 | lpips | vgg [vgg16:imagenet] | < | l2 |" in md, md
    assert "| sr4 | psnr | l2 | > | vgg [vgg16:imagenet] |" in md, md  # higher is better: as before
    assert "<td>sr4</td><td>lpips</td><td>vgg [vgg16:imagenet]</td><td>&lt;</td>" in to_html([r])
    assert "B − A where lower is better" in md, md

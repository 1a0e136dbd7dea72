"""Review of the session-15 seed-method fixes: the two new findings' edges and the README's findings table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from benchmark.findings import check_all
from benchmark.registry import FINDINGS
from benchmark.synthetic import synthetic_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_findings_table_lists_exactly_the_registered_findings():
    """The README's table of checked claims is a second place that names every finding (598d874 and 976cfe9 each
    added a row by hand): a finding registered without a row, or a row left after a finding is gone, is caught."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Findings: published claims, checked", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M)
    assert len(rows) == len(set(rows)), rows
    assert set(rows) == set(FINDINGS.names()), (sorted(set(rows) ^ set(FINDINGS.names())))


@pytest.mark.parametrize("name, loss, tasks", [("tariq2020_psycho", "psycho", ("sr4",)),
                                               ("mei2020_contrastive", "contrastive_select", ("denoise",))])
def test_a_store_without_the_papers_loss_is_not_applicable(name, loss, tasks):
    """The quick profile trains no psycho or contrastive_select: their claims are 'not applicable', naming the loss
    missing — never a failure or a verdict."""
    t = synthetic_table(offsets={"vgg": 0.0, "l2": 0.0}, weights={"vgg": "vgg16:IMAGENET1K_V1"}, tasks=tasks,
                        metrics=("psnr", "vsi"), n_images=4, seeds=(0, 1))
    (r,) = check_all(t, [name], n_boot=20)
    assert (r.verdict, r.reason) == ("not applicable", f"{loss} not in these results")


@pytest.mark.parametrize("name, loss", [("tariq2020_psycho", "psycho"), ("mei2020_contrastive", "contrastive_select")])
def test_the_loss_on_a_kind_of_weights_vgg_has_is_compared_when_another_kind_has_no_vgg(name, loss):
    """psycho on pretrained and on random VGG-16, vgg on random only: the pretrained psycho was taken first and, no
    pretrained vgg beside it, the claim read 'not applicable: no vgg run with the same kind of weights as psycho' —
    while the random pair was there → the pair of the first kind both have, here random: out of regime, listed."""
    pre, rnd = "vgg16:IMAGENET1K_V1", "vgg16:random(seed=0)"
    kw = dict(tasks=("sr4",), metrics=("psnr", "vsi"), n_images=4, seeds=tuple(range(5)))
    t = synthetic_table(offsets={loss: 0.8, "vgg": 0.0}, weights={loss: pre + "+sel", "vgg": rnd}, **kw)
    other = synthetic_table(offsets={loss: 0.8}, weights={loss: rnd + "+sel"}, seed=1, **kw)
    (r,) = check_all(pd.concat([t, other[other["loss"] == loss]], ignore_index=True), [name], n_boot=20)
    assert r.verdict == "out of regime", (r.verdict, r.reason)
    assert r.parts and all("random" in p.a and "random" in p.b and "random" in p.note for p in r.parts), r.parts

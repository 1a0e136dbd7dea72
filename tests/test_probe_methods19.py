"""Probe of the five research methods, round 19: what a demanding user of each paper's loss and claim hits."""

import pytest

from benchmark.findings import check_all
from benchmark.synthetic import synthetic_table

PRE = "vgg16:IMAGENET1K_V1"
VGG3 = "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"  # config.FINDING_BASELINES: tariq's and mei's baseline
VGG23 = "vgg(layers=('relu2_2', 'relu3_3'))"


@pytest.mark.parametrize("name, loss", [("delbracio2021_pdl", "pdl"), ("ding2021_dists_lpips", "dists")])
def test_two_variants_of_a_rival_without_it_are_one_rival(name, loss):
    """Two layer settings of the VGG loss trained on the same weights with no ``vgg`` as registered beside them were
    both counted: the VGG loss was two rivals, so a store where PDL (or DISTS) beats one and ties the other read
    inconclusive. A rival is each loss as registered, counted once: the first variant by spec counts as it (as
    ``res.arm`` takes the first weight set by name), the other is listed, its note naming the one counted."""
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, VGG3: 0.0, VGG23: {"vsi": 0.8}, "l2": 0.0},
                        weights={loss: PRE, VGG3: PRE, VGG23: PRE}, tasks=("sr4",), metrics=("psnr", "vsi"),
                        n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    counted = {p.b.split(" [")[0] for p in r.parts if p.counted and p.b.startswith("vgg(")}
    aside = [p for p in r.parts if p.b.startswith(VGG23)]
    assert counted == {VGG3}, [(p.b, p.counted) for p in r.parts]
    assert aside and not any(p.counted for p in aside), [(p.b, p.counted) for p in r.parts]
    assert all(VGG3 in p.note and "variant of vgg" in p.note for p in aside), [p.note for p in aside]
    assert r.verdict == "reproduced", (r.verdict, r.reason)

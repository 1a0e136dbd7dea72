"""Session 25's findings-area probe: what a verdict says it was tested on, and what its parts compare."""

import pytest
from conftest import one_finding

_PRE = "vgg16:imagenet"


def _table(tasks, metrics, offsets, weights=None, **kw):
    from benchmark.synthetic import synthetic_table

    kw = {"seeds": range(5), "seed_sd": 0.05, "n_images": 8, **kw}
    return synthetic_table(tasks=tasks, metrics=metrics, offsets=offsets, weights=weights or {}, **kw)


def test_pdl_s_verdict_on_one_task_says_the_paper_s_other_four_were_not_tested():
    """Was: PDL better than the VGG loss on sr4 alone read "reproduced on 1 of 1 part", though the claim (the abstract)
    is about five tasks — denoising, super-resolution, demosaicing, deblurring, JPEG artefact removal — whereas Zhao's
    and Ding's verdicts name the tasks of their claims no part tried. Now the scope note names them; a store holding
    a task without a PDL comparison says it is in the results but in none of its comparisons."""
    from findings.delbracio2021_pdl import TASKS

    t = _table(("sr4",), ("lpips",), {"pdl": 1.0, "vgg": 0.0}, {"pdl": _PRE, "vgg": _PRE})
    r = one_finding(t, "delbracio2021_pdl")
    assert r.verdict == "reproduced", r.verdict_text
    others = "/".join(x for x in TASKS if x != "sr4")
    assert r.verdict_text == f"reproduced on 1 of 1 part; not tested on tasks {others}: not in these results", \
        r.verdict_text
    both = _table(("sr4", "jpeg"), ("lpips",), {"pdl": 1.0, "vgg": 0.0, "l1": 0.0}, {"pdl": _PRE, "vgg": _PRE})
    both = both[~((both["task"] == "jpeg") & both["loss"].isin(["pdl", "vgg"]))]  # jpeg: ℓ1 alone, no PDL part
    r = one_finding(both, "delbracio2021_pdl")
    rest = "/".join(x for x in TASKS if x not in ("sr4", "jpeg"))
    assert r.verdict_text.endswith(f"; not tested on tasks {rest}: not in these results; on tasks jpeg: in these "
                                   "results, but in none of its comparisons"), r.verdict_text


def _without(t, task, loss):
    return t[~((t["task"] == task) & (t["loss"] == loss))]


_GPL = "l2 + 0.1*gpl"
#: per claim about every task: (finding, a store of sr4 and denoise where both arms differ, the reference dropped on
#: denoise so the claim's own loss ran there with nothing to compare it with)
_EVERY_TASK = {
    "blau2018_pd_tradeoff": (dict(metrics=("psnr", "niqe"), offsets={"l2": 0.0, "vgg": {"niqe": 1.0, "psnr": -1.0}},
                                  weights={"vgg": _PRE}), "l2"),
    "mei2020_contrastive": (dict(metrics=("lpips",), offsets={"vgg": 0.0, "contrastive_select": 1.0},
                                 weights={"vgg": _PRE, "contrastive_select": _PRE}), "vgg"),
    "liu2021_random_vgg": (dict(metrics=("lpips",), offsets={"l2": 0.0, _GPL: 1.0},
                                weights={_GPL: "vgg19:random(seed=0)"}), "l2"),
}


@pytest.mark.parametrize("name", sorted(_EVERY_TASK))
def test_a_claim_about_every_task_says_a_task_its_loss_ran_on_untested(name):
    """Was: a claim about every task (Blau's trade-off for every deep-feature loss, Mei's and Liu's "on every task")
    whose own loss also ran on a task without its reference there (denoise: vgg with no ℓ2, contrastive_select with no
    vgg) read "reproduced on 1 of 1 part" on sr4 — the denoise runs silently untested. Now the scope note names the
    task: in these results, but in none of its comparisons; a store with the reference on both tasks adds no note."""
    store, reference = _EVERY_TASK[name]
    t = _table(("sr4", "denoise"), **store)
    whole = one_finding(t, name)
    assert whole.verdict == "reproduced" and "not tested" not in whole.verdict_text, whole.verdict_text
    r = one_finding(_without(t, "denoise", reference), name)
    assert r.verdict == "reproduced", r.verdict_text
    assert r.verdict_text.endswith("; not tested on tasks denoise: in these results, but in none of its comparisons"), \
        r.verdict_text

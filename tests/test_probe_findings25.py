"""Session 25's findings-area probe: what a verdict says it was tested on, and what its parts compare."""

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

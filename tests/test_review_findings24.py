"""Session 24's review of the findings branch: each finding counts the tasks its claim (METHODS.md) is about, and a
loss keyword misspelt and left empty is offered its close name as when it has a value."""


import pandas as pd
import pytest
from conftest import one_finding

from benchmark.errors import UserError

_LPIPS = "alexnet:IMAGENET1K_V1+lpips:alex:v0.1"


def _ding_table(task: str, offset: float):
    from benchmark.synthetic import synthetic_table

    return synthetic_table(tasks=(task,), metrics=("dists",), offsets={"lpips": offset, "l1": 0.0},
                           weights={"lpips": _LPIPS}, seeds=range(8), seed_sd=0.005, noise=0.005, n_images=6)


def _ding(table):
    return one_finding(table, "ding2021_dists_lpips")


def test_ding_s_claim_is_about_super_resolution_alone():
    """Was: TASKS held deblur beside sr4, so LPIPS clearly behind ℓ1 on deblurring contradicted a claim METHODS.md
    makes of super-resolution alone (DISTS/LPIPS "win for super-resolution in human ratings"), and a store of deblur
    runs alone got a verdict on it. Now deblur is no part of it (v9)."""
    from benchmark.registry import FINDINGS

    both = _ding(pd.concat([_ding_table("sr4", 0.2), _ding_table("deblur", -0.2)], ignore_index=True))
    assert both.verdict == "reproduced", both.verdict_text
    assert {p.task for p in both.parts} == {"sr4"}, [(p.task, p.metric) for p in both.parts]
    alone = _ding(_ding_table("deblur", -0.2))
    assert alone.verdict == "not applicable" and not alone.counted, alone.verdict_text
    assert "deblur" not in FINDINGS.get("ding2021_dists_lpips").obj.claim
    assert FINDINGS.get("ding2021_dists_lpips").version == "9"


@pytest.mark.parametrize("spec, said", [
    ("charbonnier(esp=)", "loss 'charbonnier' has no argument 'esp'; did you mean eps? (it takes: eps)"),
    ("l1 + pdl(layrs=)", "loss 'pdl' has no argument 'layrs'; did you mean layers?"),
])
def test_a_misspelt_empty_loss_keyword_is_offered_its_close_name(spec, said):
    """Was: probe-newuser's 'charbonnier(esp=0.1)' → "…no argument 'esp'; did you mean eps?" and probe-findings'
    empty keyword, 'charbonnier(esp=)' → "…no argument 'esp' (it takes: eps)", two messages for one mistake written
    in two places. Now one helper words both."""
    from benchmark.lossfn import check_loss_arguments, parse_loss_spec

    with pytest.raises(UserError) as err:
        parse_loss_spec(spec)
    assert said in str(err.value), str(err.value)
    with pytest.raises(UserError) as full:
        check_loss_arguments(spec.replace("=)", "=1)"))
    assert said in str(full.value), str(full.value)


def test_a_misspelt_loss_with_an_empty_keyword_is_offered_its_close_name():
    """Was: 'charbonier(eps=)' → "…(and 'charbonier' is no registered loss)" where 'charbonier(eps=1)' offers
    charbonnier."""
    from benchmark.lossfn import parse_loss_spec

    with pytest.raises(UserError, match="no registered loss; did you mean charbonnier"):
        parse_loss_spec("charbonier(eps=)")


def test_csv_columns_md_says_verdict_text_carries_the_scope_note():
    """Was: d35ecccf put the scope note after every counted verdict in findings.csv's verdict_text, while
    csv_columns.md still described the column as the verdict on how many parts and why it is open."""
    from benchmark.export import CSV_COLUMNS

    said = next(cols["verdict_text"] for cols in CSV_COLUMNS.values() if "verdict_text" in cols)
    assert "not tested on" in said and "counted parts" in said, said

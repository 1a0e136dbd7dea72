"""Session 24's findings-area probe: a source option or a loss keyword written with no value names the option and a
value it reads; every other case of the grammars (duplicated, unknown) keeps its own message."""

import pytest

from benchmark.data import DataSpec, check_not_empty
from benchmark.errors import UserError
from benchmark.lossfn import parse_loss_spec


@pytest.mark.parametrize("text, said", [
    ("holdout=", "SOURCE[holdout=10%]"),  # a bare option via the API: was SOURCE[holdout=] (e.g. photos[holdout=])
    ("skimage holdout=", "skimage[holdout=10%]"),
    ("max_images=", "SOURCE[max_images=100]"),
    ("skimage max_images=abc", "skimage[max_images=100]"),
    ("skimage[ holdout = ]", "write [holdout=10%], without spaces"),
    ("skimage[max_images=]", "[max_images=100]"),
    ("skimage[max_images=0]", "at least 1, e.g. [max_images=100]"),  # was read as no cap, then "no readable image"
    ("skimage[holdout=10%][holdout=10%]", "two hold-outs"),  # was "name the part of the hold-out to read"
])
def test_a_source_option_without_a_value_it_reads_names_one_it_does(text, said):
    with pytest.raises(UserError) as err:
        DataSpec.parse(text)
    assert said in str(err.value) and "\n" not in str(err.value)


def test_the_cli_list_check_names_the_option_of_the_source_before_with_a_valid_value():
    with pytest.raises(UserError, match=r"write 'skimage\[holdout=10%\]'"):
        check_not_empty(["skimage", "holdout="], "--train-data")


@pytest.mark.parametrize("spec, said", [
    ("pdl(pixels=)", "keyword 'pixels' of 'pdl' has no value: give it a literal, e.g. pdl(pixels=True)"),
    ("l1 + 0.1*pdl(layers=('layer1',), pixels= )", "keyword 'pixels' of 'pdl' has no value"),
    ("l1(foo=)", "loss 'l1' has no argument 'foo'"),
])
def test_a_loss_keyword_without_a_value_is_named_with_a_value_it_takes(spec, said):
    with pytest.raises(UserError) as err:
        parse_loss_spec(spec)
    assert said in str(err.value)


def _one(table, name):
    import warnings

    from benchmark.findings import check_all

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(table, [name], n_boot=20)
    return r


def test_a_contradiction_says_what_its_claim_was_not_tested_on():
    """Was: the scope note stood beside "reproduced on n of m" alone: Zhao's ℓ1 ≥ ℓ2 contradicted on sr4/psnr read
    "contradicted on 1 of 1 part", as if the claim about three tasks and three metrics were refuted on all of them."""
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l2": 0.0, "l1": -1.0}, seeds=range(5),
                        seed_sd=0.05, n_images=6)
    r = _one(t, "zhao2017_l1_vs_l2")
    assert r.verdict == "contradicted", r.verdict_text
    assert r.verdict_text == ("contradicted on 1 of 1 part; not tested on tasks jpeg/demosaic, metrics ssim/ms_ssim: "
                              "not in these results"), r.verdict_text


def test_an_out_of_regime_verdict_says_what_its_claim_was_not_tested_on():
    """Was: "out of regime: 1 of 1 part outside the paper's regime (demosaic: …)" said nothing of sr4, jpeg, SSIM and
    MS-SSIM, which the claim names and no part tried; now the same scope note follows it, and a store with every
    task and metric adds none."""
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("demosaic",), metrics=("psnr",), offsets={"l1": 1.0, "l2": 0.0}, seeds=range(5),
                        n_images=6)
    t["task_params"] = '{"noise_sigma": 0.0}'
    r = _one(t, "zhao2017_l1_vs_l2")
    assert r.verdict == "out of regime", r.verdict_text
    assert r.verdict_text.startswith("out of regime: 1 of 1 part outside the paper's regime (demosaic: ")
    assert r.verdict_text.endswith("; not tested on tasks sr4/jpeg, metrics ssim/ms_ssim: not in these results"), \
        r.verdict_text


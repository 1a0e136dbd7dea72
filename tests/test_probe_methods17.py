"""Probe of the five seed methods (session 17): the papers' losses as their findings and the stores read them."""

from __future__ import annotations

import pytest

from benchmark.errors import UserError
from benchmark.findings import Results, check_all
from benchmark.synthetic import synthetic_table

PRE, RND = "vgg16:IMAGENET1K_V1", "vgg16:random(seed=0)"


# ------------------------------------------------------------------------------------- spec grammar, one parser
@pytest.mark.parametrize("spec, terms", [
    ("0.5*(l1 + pdl)", ["l1", "pdl"]),
    ("(l1 + pdl)*0.5", ["l1", "pdl"]),
    ("2*(0.5*(l1 + 0.1*pdl(pixels=False)))", ["l1", "pdl"]),
    ("0.84*ms_ssim + 0.16*l1", ["ms_ssim", "l1"]),
    ("l1 + 0.01*pdl(layers=('relu1_2', 'relu2_2'))", ["l1", "pdl"]),
    ("pdl*0.5 + (l2)", ["pdl", "l2"]),
    ("1e+20*l1 + pdl", ["l1", "pdl"]),
])
def test_loss_terms_read_grouped_weighted_and_nested_specs_as_the_registry_does(spec, terms):
    """``stats.loss_terms`` split on '+' outside parentheses and kept the name before the first '(', so a grouped
    spec — ``0.5*(l1 + pdl)``, which the registry parses as 0.5·l1 + 0.5·pdl — had no terms at all."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.stats import loss_terms

    assert loss_terms(spec) == terms
    assert loss_terms(spec) == [t.name for t in parse_loss_spec(spec)]


@pytest.mark.parametrize("spec", ["0.5*(l1 + pdl)", "(l1 + pdl(pixels=False))*0.5", "2*(0.5*(l1 + 0.1*pdl))"])
def test_has_term_finds_the_papers_loss_inside_a_grouped_spec(spec):
    res = Results(synthetic_table(offsets={"l2": 0.0}, tasks=("sr4",), metrics=("psnr",), n_images=2, seeds=(0,)))
    assert res.has_term(spec, "pdl")
    assert not res.has_term(spec, "vgg", "dists")


def test_a_grouped_spec_trained_on_a_metric_is_circular_on_it():
    """A net trained with ``0.5*(l1 + lpips)`` scored by the lpips metric was not circular (no terms read)."""
    from benchmark.stats import is_circular

    assert is_circular("l1 + lpips", "lpips")
    assert is_circular("0.5*(l1 + lpips)", "lpips")
    assert not is_circular("0.5*(l1 + vgg)", "lpips")


# ---------------------------------------------------------------------------------- a variant of the paper's loss
@pytest.mark.parametrize("name, loss", [("delbracio2021_pdl", "pdl(pixel_weight=0.5)"),
                                        ("delbracio2021_pdl", "0.5*l1 + 0.5*pdl"),
                                        ("tariq2020_psycho", "psycho(keep=0.25)"),
                                        ("mei2020_contrastive", "contrastive_select(margin=0.2)")])
def test_a_store_with_only_a_variant_of_the_papers_loss_says_so_not_that_the_loss_is_absent(name, loss):
    """A store whose PDL runs were ``pdl(pixel_weight=0.5)`` read "pdl not in these results": the user trained PDL
    and was told it was not there. A variant (other arguments, or the loss as one term of a sum) is not the loss the
    claim is about, so it is still not tested — but the reason names it and says what to train."""
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, "vgg": 0.0, "l2": 0.0}, weights={loss: PRE, "vgg": PRE},
                        tasks=("sr4",), metrics=("psnr", "vsi"), n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    base = loss.split("(")[0].split("*")[-1]
    assert r.verdict == "not applicable", (r.verdict, r.reason)
    assert loss in r.reason and "variant" in r.reason and f"train {base}" in r.reason, r.reason


# ------------------------------------------------------------------------------------------ CONTRIQUE pretraining
def _ramp_images():
    import torch

    from benchmark.data import ImageRecord

    ramp = torch.linspace(0, 255, 64).round().to(torch.uint8)  # dark left, bright right: a flip reverses it
    return [ImageRecord(f"ramp{i}", ramp.expand(3, 48, 64).contiguous()) for i in range(2)]


def _flipped(views):
    """Per sample, is the view's left-to-right ramp reversed (a horizontal flip)?"""
    return (views[..., -1] - views[..., 0]).mean((1, 2)) < 0


def test_contrique_pretraining_can_flip_each_view_on_its_own_as_the_authors_loader_does():
    """The authors' loader (github.com/pavancm/CONTRIQUE, modules/dataset_loader.py) applies its
    ``RandomHorizontalFlip(0.5)`` to each view separately (``tranform_toT`` on ``image`` and on ``image_2``); ours
    flipped the region once, before both views are cut, so a view was never the mirror of the other.
    ``view_flips='independent'`` is the authors' per-view draw (each view flipped with probability ½ on its own);
    the default ``'shared'`` keeps the encoders already trained (and the name of their files)."""
    import torch

    from benchmark.pretrain import PretrainConfig, contrique_batch

    kw = dict(batch_size=32, crop=16, colour_spaces=False)
    full, half, _ = contrique_batch(_ramp_images(), PretrainConfig(**kw), [], torch.Generator().manual_seed(1), 0)
    assert torch.equal(_flipped(full), _flipped(half))  # ours: one flip for both views
    cfg = PretrainConfig(**kw, view_flips="independent")
    full, half, _ = contrique_batch(_ramp_images(), cfg, [], torch.Generator().manual_seed(1), 0)
    apart = _flipped(full) != _flipped(half)
    assert 0 < int(apart.sum()) < 32, apart
    for views in (full, half):
        assert 0 < int(_flipped(views).sum()) < 32
    assert PretrainConfig().digest == "03f32f" and cfg.digest != PretrainConfig(**kw).digest
    with pytest.raises(UserError, match="view_flips"):
        PretrainConfig(view_flips="both")


def test_plbench_pretrain_takes_the_view_flips_the_readme_documents(tmp_path, monkeypatch):
    from benchmark import pretrain as pretrain_mod
    from benchmark.cli import main

    seen = []
    monkeypatch.setattr(pretrain_mod, "pretrain", lambda cfg, **k: seen.append(cfg) or tmp_path / "enc.pt")
    assert main(["pretrain", "--device", "cpu", "--view-flips", "independent"]) == 0
    assert main(["pretrain", "--device", "cpu"]) == 0
    assert [c.view_flips for c in seen] == ["independent", "shared"], seen


# ------------------------------------------------------------------------------- psycho / contrastive_select vs vgg
SAME_TAPS = "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"


@pytest.mark.parametrize("name, loss", [("tariq2020_psycho", "psycho"), ("mei2020_contrastive", "contrastive_select")])
def test_the_selection_is_compared_with_the_vgg_loss_on_its_own_layers(name, loss):
    """Both papers select among a pretrained VGG's features: their claim is the selected channels against the plain
    loss on the same features. psycho and contrastive_select tap relu1_2, relu2_2 and relu3_3; ``vgg`` is Johnson's
    relu2_2 alone — so the finding's effect mixed the selection with the layer set. The VGG loss on the loss's own
    taps, where trained, is the baseline (here as good as the selection: the claim is not reproduced, where against
    relu2_2 alone it was)."""
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, SAME_TAPS: {"vsi": 0.8}, "vgg": 0.0, "l2": 0.0},
                        weights={loss: PRE, SAME_TAPS: PRE, "vgg": PRE}, tasks=("sr4",), metrics=("psnr", "vsi"),
                        n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    assert {p.b for p in r.parts} == {f"{SAME_TAPS} [{PRE}]"}, sorted({p.b for p in r.parts})
    assert r.verdict != "reproduced", (r.verdict, r.reason)
    alone = t[t["loss"].astype(str) != "vgg"]  # only the same-tap VGG loss: still the claim's baseline
    (r,) = check_all(alone, [name], n_boot=20)
    assert {p.b for p in r.parts} == {f"{SAME_TAPS} [{PRE}]"}, (r.verdict, r.reason)


@pytest.mark.parametrize("name, loss", [("tariq2020_psycho", "psycho"), ("mei2020_contrastive", "contrastive_select")])
def test_against_the_vgg_loss_on_other_layers_the_parts_say_what_the_effect_mixes(name, loss):
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, "vgg": 0.0, "l2": 0.0}, weights={loss: PRE, "vgg": PRE},
                        tasks=("sr4",), metrics=("psnr", "vsi"), n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    assert r.verdict == "reproduced", (r.verdict, r.reason)  # counted as before
    for p in r.parts:
        assert "relu2_2" in p.note and "relu1_2, relu2_2, relu3_3" in p.note and SAME_TAPS in p.note, p.note


# --------------------------------------------------------------------------------------------------------- CSR
def test_csrs_self_trained_encoder_learns_from_the_images_it_is_given(monkeypatch, tmp_path):
    """The paper's thesis is a *domain-specific* metric: a contrastive encoder trained on the domain's own images
    (METHODS.md §5: "trained by the harness itself … on the benchmark's own domain — e.g. a medical split"). csr's
    fallback encoder (no MoCo v2 / SimCLR file cached) always learnt from skimage:train's natural photographs, with
    no way to name another domain short of pretraining by hand. ``selftrain_data=`` names the images; the default
    keeps skimage:train (the same encoder file, so the same run ids)."""
    from types import SimpleNamespace

    import losses.csr as C
    from benchmark import pretrain as P
    from benchmark import weights as W

    monkeypatch.setattr(W, "get_file", lambda key: SimpleNamespace(key=key, present=False))  # nothing cached
    monkeypatch.setattr(W, "cache_dir", lambda subdir="plbench": tmp_path / subdir)
    trained = []
    monkeypatch.setattr(P, "pretrain", lambda cfg, **k: trained.append(cfg) or P.output_path(cfg))
    default = C.resolve_encoder()
    assert trained[-1].data == "skimage:train" and default == str(P.output_path(C.selftrained_simclr_config()))
    medical = C.resolve_encoder(selftrain_data="skimage-medical:train")
    assert trained[-1].data == "skimage-medical:train" and medical != default and "skimage-medical" in medical
    assert C._chosen_encoder(selftrain_data="skimage-medical:train") == medical
    P.output_path(trained[-1]).parent.mkdir(parents=True, exist_ok=True)
    P.output_path(trained[-1]).write_bytes(b"")  # cached: what plbench weights lists for the term
    assert C._encoder_file(selftrain_data="skimage-medical:train") == (medical,)


@pytest.mark.parametrize("spec", ["csr(encoder='resnet50:dino', selftrain_data='skimage-medical:train')",
                                  "csr(weights='random', selftrain_data='skimage-medical:train')"])
def test_csr_refuses_selftrain_data_it_would_ignore(spec):
    from benchmark.lossfn import build_loss

    with pytest.raises(UserError, match="selftrain_data"):
        build_loss(spec, seed=0)

"""Review of the methods fixes of round 17 (8c6d9f3..probe-methods): what the review found, one test each."""

import pytest

from benchmark.errors import UserError
from benchmark.findings import check_all
from benchmark.synthetic import synthetic_table


@pytest.mark.parametrize("field, value", [("view_flips", "independent"), ("view_scales", "random"),
                                          ("batch_design", "random"), ("classes_per_batch", 4),
                                          ("colour_spaces", False), ("lab_ab", "wrap"), ("stages", ("layer3",))])
def test_simclr_refuses_a_contrique_view_setting_it_would_ignore(field, value):
    """``--recipe simclr --view-flips independent`` trained SimCLR's own views exactly as without it, under another
    file name (the field is hashed): the user believed the flag acted. A contrique-only field at a value other than
    its default is refused under simclr, in one line naming the field; at its default it is accepted as before."""
    from benchmark.pretrain import PretrainConfig

    with pytest.raises(UserError) as err:
        PretrainConfig(recipe="simclr", **{field: value})
    msg = str(err.value)
    assert field in msg and "simclr" in msg and "contrique" in msg and "\n" not in msg, msg
    PretrainConfig(recipe="contrique", **{field: value})  # the recipe that reads it
    assert PretrainConfig(recipe="simclr").digest == "e5bf23"  # defaults: the cached encoder's file, as before


def _nothing_but(monkeypatch, tmp_path, present=()):
    """Stub the weights cache: only the keys ``present`` are cached; the self-trained encoders' folder in tmp_path;
    pretraining records its config and writes nothing. Returns the list of configs pretrained."""
    from types import SimpleNamespace

    from benchmark import pretrain as P
    from benchmark import weights as W

    monkeypatch.setattr(W, "get_file", lambda key: SimpleNamespace(key=key, present=key in present))
    monkeypatch.setattr(W, "missing_message", lambda f: f"{f.key}: not cached; fetch it")
    monkeypatch.setattr(W, "cache_dir", lambda subdir="plbench": tmp_path / subdir)
    trained = []
    monkeypatch.setattr(P, "pretrain", lambda cfg, **k: trained.append(cfg) or P.output_path(cfg))
    return trained


def test_csr_selftrain_data_is_not_dropped_where_a_public_encoder_is_cached(monkeypatch, tmp_path):
    """``csr(selftrain_data='skimage-medical:train')`` names the domain the paper's metric is specific to; with MoCo
    v2's file cached, ``encoder='auto'`` loaded MoCo v2 (natural ImageNet photographs) and the named data trained
    nothing — the silence 3f146fe refused for a named encoder. Named data takes the self-trained encoder on it,
    whatever the cache holds; left at its default, auto is unchanged (MoCo v2 where cached: the same run ids)."""
    import losses.csr as C

    trained = _nothing_but(monkeypatch, tmp_path, present=("resnet50:moco_v2",))
    assert C.resolve_encoder() == "resnet50:moco_v2" and not trained
    medical = C.resolve_encoder(selftrain_data="skimage-medical:train")
    assert [c.data for c in trained] == ["skimage-medical:train"] and "skimage-medical" in medical
    assert C._chosen_encoder(selftrain_data="skimage-medical:train") == medical


def test_csr_says_how_to_pretrain_the_encoder_of_the_data_it_names(monkeypatch, tmp_path):
    """With ``selftrain=False`` and nothing cached, the one-line error told to run ``plbench pretrain --recipe
    simclr``, which trains on skimage:train: the encoder of ``selftrain_data`` stayed missing. It names the data."""
    import losses.csr as C

    _nothing_but(monkeypatch, tmp_path)
    with pytest.raises(UserError) as err:
        C.resolve_encoder(selftrain=False, selftrain_data="skimage-medical:train")
    assert "--data skimage-medical:train" in str(err.value) and "\n" not in str(err.value), str(err.value)
    with pytest.raises(UserError) as err:
        C.resolve_encoder(selftrain=False)
    assert "--recipe simclr" in str(err.value) and "--data" not in str(err.value)  # the default: as before


def test_a_misspelt_lab_encoding_is_refused_when_the_config_is_made():
    """``lab_ab`` was checked only when a batch first drew the LAB colour space — steps into a pretraining run (never
    with ``colour_spaces=False``, where a typo then changed the file name only) — while every other field of the
    config is checked at construction. Refused there, in one line."""
    from benchmark.pretrain import PretrainConfig

    with pytest.raises(UserError, match="lab_ab must be 'offset' or 'wrap', not 'wrapp'"):
        PretrainConfig(lab_ab="wrapp")
    PretrainConfig(lab_ab="wrap")


@pytest.mark.parametrize("name, loss", [("tariq2020_psycho", "psycho"), ("mei2020_contrastive", "contrastive_select")])
def test_the_selection_findings_read_a_store_of_the_profiles_losses_without_the_loss_registry(name, loss, monkeypatch):
    """f3fa7fe read every psycho / contrastive_select arm's taps with the registry's parser and looked the same-tap
    VGG loss up by loss identity, so ``plbench report --no-visual`` of any store holding one of them (the standard
    profile's) imported benchmark.lossfn, torch and every loss module, which 4b7c601 had fixed for other stores only.
    The taps are read from the spec and the loss files' declarations; on a store of ``vgg`` (relu2_2) the finding
    decides, with its note, without the registry's parser or loss identities."""
    import benchmark.lossfn as L

    def refuse(*a, **k):
        raise AssertionError("the loss registry's parser was used")

    for f in ("parse_loss_spec", "loss_identity"):
        monkeypatch.setattr(L, f, refuse)
    pre = "vgg16:IMAGENET1K_V1"
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, "vgg": 0.0, "l2": 0.0}, weights={loss: pre, "vgg": pre},
                        tasks=("sr4",), metrics=("psnr", "vsi"), n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    assert r.verdict == "reproduced", (r.verdict, r.reason)
    assert all("relu1_2, relu2_2, relu3_3" in p.note and "relu2_2" in p.note for p in r.parts), r.parts

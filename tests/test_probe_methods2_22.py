"""Probe (methods2, round 22): the run identity of losses whose weights do not depend on ``--backbone-weights``."""

from __future__ import annotations

import pytest

from benchmark.config import GridSpec, RunConfig, build_configs, resolve, run_id
from benchmark.errors import UserError


def _ids(loss: str, weights=("random", "pretrained")) -> dict[str, str]:
    return {w: run_id(resolve(RunConfig(task="denoise", loss=loss, backbone_weights=w))) for w in weights}


@pytest.mark.parametrize("loss", ["gpl", "pdl(layers=())", "pdl_proj(layers=())", "l1 + 0.1*gpl",
                                  "vgg(weights='random')"])
def test_a_loss_that_loads_no_pretrained_file_either_way_has_one_run_id(loss):
    """gpl (its random VGG-19 is the method) and the pixel-only ``pdl(layers=())`` compute the same under
    ``random`` and ``pretrained``: one run id, recorded as ``random`` (before: one id per value, so a store run
    under both trained the computation twice and its board said "1 seed, unconv. 2/2")."""
    ids = _ids(loss)
    assert ids["random"] == ids["pretrained"]
    assert resolve(RunConfig(task="denoise", loss=loss, backbone_weights="pretrained")).backbone_weights == "random"


@pytest.mark.parametrize("loss", ["vgg", "lpips", "pdl", "l1 + 0.1*gpl + 0.1*vgg", "gpl + vgg(weights='pretrained')"])
def test_a_loss_that_loads_a_pretrained_file_keeps_one_id_per_value(loss):
    ids = _ids(loss)
    assert ids["random"] != ids["pretrained"]
    assert resolve(RunConfig(task="denoise", loss=loss, backbone_weights="pretrained")).backbone_weights == \
        "pretrained"


def test_a_trunk_without_a_published_file_is_not_made_random_under_pretrained():
    """``vgg(arch='tinycnn')`` has no pretrained file: under ``pretrained`` its build is refused, so the run is not
    quietly recorded (and trained) as the random one."""
    from benchmark.backbones import NoPretrainedWeights

    loss = "vgg(arch='tinycnn', layers=('layer1',))"
    with pytest.raises(NoPretrainedWeights, match="tinycnn has no published pretrained weights"):
        resolve(RunConfig(task="denoise", loss=loss, backbone_weights="pretrained"))
    assert resolve(RunConfig(task="denoise", loss=loss, backbone_weights="random")).backbone_weights == "random"


def test_gpl_on_a_checkpoint_keeps_the_checkpoint(tmp_path):
    """A checkpoint path is what gpl's trunk then loads: not canonicalised (its content is in the id)."""
    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"not read here: only hashed")
    cfg = resolve(RunConfig(task="denoise", loss="gpl", backbone_weights=str(enc)))
    assert cfg.backbone_weights == str(enc) and cfg.weights_fingerprint.startswith("gpl=sha256:")
    assert run_id(cfg) != _ids("gpl")["random"]


def test_a_grid_under_random_then_pretrained_plans_the_same_runs(random_images, monkeypatch):
    """The brief's reproduction as the CLI plans it: ``--backbone-weights random`` then ``pretrained`` on one store
    plan the same run ids for gpl and ``pdl(layers=())`` (trained once), and the pixel loss beside them stays ``none``.

    Each loss is still built under each value (a pretrained file it needed would fail there); its forward on the
    grid's crops (``check_loss_on_crop``: gpl's VGG-19, most of this test's seconds, tested by the loss-check files)
    is recorded, not run: each plan asks it of each loss once, on the grid's crop."""
    import benchmark.lossfn
    from benchmark.data import DataCache

    data = random_images(n=2, size=40)
    probed: list[tuple[str, str, int]] = []
    monkeypatch.setattr(benchmark.lossfn, "check_loss_on_crop",
                        lambda spec, loss, tasks, *, crop, **kw: probed.append((spec, type(loss).__name__, crop)))
    cache = DataCache()  # both plans read one store's images, as two CLI calls read the same folder

    def plan(weights):
        configs, _, _ = build_configs(GridSpec(tasks=("denoise",), losses=("pdl(layers=())", "gpl", "l1"), seeds=(0,),
                                               metrics=("psnr",), device="cpu", iterations=2, crop=32, batch_size=2,
                                               train_data=(data.token(),), test_data=(data.token(),),
                                               backbone_weights=weights),
                                      cache)
        return {(c.loss, c.iterations): (run_id(c), c.backbone_weights) for c in configs}

    random, pretrained = plan("random"), plan("pretrained")
    assert random == pretrained
    assert {w for _, w in random.values()} == {"random", "none"}
    assert sorted(probed) == sorted([(ls, "WeightedSum", 32) for ls in ("pdl(layers=())", "gpl", "l1")] * 2), probed


def test_a_typo_in_backbone_weights_is_still_refused_for_gpl():
    with pytest.raises(UserError):
        build_configs(GridSpec(tasks=("denoise",), losses=("gpl",), seeds=(0,), metrics=("psnr",), device="cpu",
                               iterations=2, backbone_weights="pretraind"))


def _meta(loss: str, weights: str) -> dict:
    return {"config": {"loss": loss, "backbone_weights": weights}}


def test_compare_takes_a_fields_weights_from_its_losses_that_load_a_file():
    """A field planned with ``--backbone-weights pretrained`` records gpl as ``random`` (one id either way): that says
    nothing of the field's weights, so a new deep loss beside gpl and a pretrained VGG trains on pretrained weights —
    before, ``random`` and ``pretrained`` read as a field planned with ``auto``, and the new loss took what auto gives
    here (random, its files not cached)."""
    from benchmark.compare import _field_weights

    field = [_meta("l1", "none"), _meta("gpl", "random"), _meta("pdl(layers=())", "random"), _meta("vgg", "pretrained")]
    assert _field_weights(field, "lpips") == "pretrained"
    assert _field_weights([_meta("l1", "none"), _meta("vgg", "random"), _meta("gpl", "random")], "lpips") == "random"


def test_compare_notes_that_a_field_of_pixel_losses_and_gpl_has_no_weights_to_follow():
    """Beside a field of l1 and gpl (gpl recorded ``random`` whatever the field's --backbone-weights), a new vgg
    trains on random weights: said, with the spec that trains it on pretrained ones, as beside a pixel-only field."""
    from benchmark.compare import field_weights_note

    note = field_weights_note([_meta("l1", "none"), _meta("gpl", "random")], "vgg")
    assert "vgg trains on random backbone weights" in note and "are pixel losses and gpl, which load" in note, note
    note = field_weights_note([_meta("gpl", "random"), _meta("pdl(layers=())", "random"), _meta("gpl", "random")],
                              "vgg")
    assert "the field's runs here are gpl, pdl(layers=()), which load no pretrained file" in note, note
    assert "compare --loss \"vgg(weights='pretrained')\"" in note, note
    assert field_weights_note([_meta("l1", "none"), _meta("vgg", "random"), _meta("gpl", "random")], "lpips") == ""
    # an older store's gpl recorded under pretrained still says which weights its field was run with
    assert field_weights_note([_meta("l1", "none"), _meta("gpl", "pretrained")], "vgg") == ""


@pytest.mark.parametrize("loss", ["gpl", "pdl(layers=())"])
def test_backbone_weights_none_is_the_random_run_for_a_loss_that_loads_no_file(loss):
    """``--backbone-weights none`` (accepted as the value pixel runs record) planned a third id for the pixel-only
    ``pdl(layers=())`` and failed gpl's build ('not found: none; did you mean none?'): both are the random run."""
    ids = _ids(loss, ("random", "none"))
    assert ids["random"] == ids["none"]


def test_backbone_weights_none_for_a_loss_with_a_trunk_is_one_line_naming_it(random_images):
    """Was: the data read, then 'backbone vgg16: weights must be …; not found: none; did you mean none?'."""
    data = random_images(n=2, size=40).token()
    with pytest.raises(UserError) as exc:
        build_configs(GridSpec(tasks=("denoise",), losses=("l1", "gpl", "vgg", "0.1*lpips + l1"), seeds=(0,),
                               metrics=("psnr",), device="cpu", iterations=2, train_data=(data,),
                               test_data=(data,), backbone_weights="none"))
    msg = str(exc.value)
    assert "none" in msg and "vgg, 0.1*lpips + l1" in msg and "gpl" not in msg and "\n" not in msg, msg
    assert "random, pretrained, auto" in msg and "did you mean" not in msg, msg

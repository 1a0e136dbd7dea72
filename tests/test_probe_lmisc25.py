"""Probe 25 of loose ends in losses, data and compare: each defect's test fails on the code before its fix."""

import pytest


def test_compare_of_a_loss_already_in_the_store_does_not_call_it_new_or_trained(tmp_path):
    """``plbench compare --loss l1`` where every run of l1 was already in the results directory (a field loss): its
    summary marked it 'l1 (new)' and opened 'Trained and evaluated with exactly the cached field's settings', though
    this compare trained nothing. It now says the runs were taken from the store, and a loss trained now keeps
    '(new)'."""
    import time

    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    group = [m for m in store.metas() if m.get("config")]
    ids = {m["run_id"] for m in group if m["config"]["loss"] == "l1"}

    def summary(since):
        return _summary(store, {"denoise": group}, ["l1"], {"denoise": []}, 0.05, 20, "l2", (), ids,
                        since=since)[0]

    md = summary(time.time())  # begun after l1's runs: none trained by it
    ranking = next(x for x in md.splitlines() if x.startswith("Ranking"))
    assert "(new)" not in md and not md.split("\n\n")[1].startswith("Trained"), md
    assert "l1 (already in the store)**" in ranking, ranking
    assert "this compare trained none of them" in md.split("\n\n")[1], md
    fresh = summary(None)  # all trained now
    assert "l1 (new)**" in fresh and fresh.split("\n\n")[1].startswith("Trained and evaluated"), fresh


@pytest.mark.parametrize("how", ["offline", "unreachable", "silent"])
def test_a_hub_id_not_cached_names_both_caches_it_is_read_from(monkeypatch, tmp_path, how):
    """A hub id not cached is read from either cache (:func:`benchmark.data._not_cached`: datasets' own,
    ``HF_DATASETS_CACHE``, or the hub's, ``HF_HUB_CACHE``, which ``huggingface-cli download`` fills), but its line
    said 'download it on a connected machine into <datasets' cache>' alone. It names both, each with its variable."""
    from huggingface_hub import constants

    from benchmark.data import DataSpec, _hub_error, _HubSilent

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", how == "offline")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "ds"))
    monkeypatch.chdir(tmp_path)
    exc = {"offline": OSError("offline mode is enabled"), "silent": _HubSilent(5),
           "unreachable": ConnectionError("Couldn't reach 'someone/photos' on the Hub")}[how]
    msg = str(_hub_error(DataSpec.parse("someone/photos"), exc))
    assert "\n" not in msg and "not cached" in msg, msg
    for var, folder in (("HF_DATASETS_CACHE", tmp_path / "ds"), ("HF_HUB_CACHE", tmp_path / "hub")):
        assert f"{folder} (${var}" in msg, msg


def test_pixel_array_rows_all_refused_are_called_rows_and_why(tmp_path):
    """A saved dataset whose ``Array3D`` float32 column holds pixels on the 8-bit scale (0..255): every row is refused
    (floats are read in [0, 1]), and the error said 'contains no readable image (3 unreadable files; row 0: float
    pixels outside [0, 1] (min …, max 254.9) …)' — files where there are none, and one row's reason as if the others'
    differed. It now calls them pixel-array rows, gives the reason they share once, and names the 8-bit scale."""
    import datasets
    import numpy as np

    from benchmark.data import DataSpec, load_images
    from benchmark.errors import UserError

    rng = np.random.default_rng(0)
    pixels = [rng.uniform(0, 255, (3, 16, 16)).astype("float32") for _ in range(3)]
    features = datasets.Features({"image": datasets.Array3D((3, 16, 16), "float32")})
    datasets.Dataset.from_dict({"image": pixels}, features=features).save_to_disk(str(tmp_path / "px"))
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(str(tmp_path / "px")))
    msg = str(e.value)
    assert "file" not in msg and "3 pixel-array rows refused; every one: float pixels outside [0, 1]" in msg, msg
    assert "divide by 255" in msg, msg


ALIASES = [("lpips_vgg", "lpips(net='vgg')"), ("lpips_squeeze", "lpips(net='squeeze')"),
           ("vgg_esrgan", "vgg(arch='vgg19', layers=('conv5_4',), criterion='l1')"),
           ("0.5*lpips_vgg(eps=1e-6) + l1", "l1 + 0.5*lpips(net='vgg', eps=1e-06)")]


@pytest.mark.parametrize("alias, spelt_out", ALIASES)
def test_a_loss_that_is_another_with_arguments_set_is_one_loss_with_it(alias, spelt_out, caplog):
    """``lpips_vgg`` is ``lpips(net='vgg')`` (a subclass that sets ``net``), ``vgg_esrgan`` is ``vgg`` of VGG-19's
    conv5_4 with an ℓ1 criterion; ``loss_identity`` told them apart, so a grid naming both trained one loss twice and
    its board ranked it against itself. A loss registered ``same_as=`` another spec is now that loss: one identity,
    run once by ``expand_losses`` and one row of a store holding both spellings (``merged_spellings``); a loss of
    another net stays apart."""
    import logging

    from benchmark.config import expand_losses, merged_spellings
    from benchmark.lossfn import loss_identity

    assert loss_identity(alias) == loss_identity(spelt_out)
    with caplog.at_level(logging.WARNING):
        assert expand_losses([alias, spelt_out]) == expand_losses([alias])
    assert "written differently" in caplog.text
    assert merged_spellings([(alias, True), (alias, True), (spelt_out, True)]) == {spelt_out: alias}
    assert loss_identity("lpips_vgg") != loss_identity("lpips") != loss_identity("lpips_squeeze")
    assert loss_identity("vgg_esrgan") != loss_identity("vgg(arch='vgg19', layers=('conv5_4',))")  # mse, not l1


def test_the_spec_grammar_knows_every_alias_the_registry_declares():
    """``merged_spellings`` skips the loss modules (and torch) where no two recorded specs name the same losses
    (:data:`benchmark.specgrammar.ALIAS_OF` maps an alias to the loss it is): it must know every built-in alias."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES
    from benchmark.specgrammar import ALIAS_OF

    declared = {n: LOSSES.get(n).meta["same_as"] for n in LOSSES.names() if LOSSES.get(n).meta.get("same_as")}
    assert declared and declared == ALIAS_OF
    assert all(len(parse_loss_spec(spec)) == 1 for spec in ALIAS_OF.values())


def test_ffl_batch_matrix_says_and_declares_that_it_reads_the_batch():
    """``ffl(batch_matrix=True)`` normalises the spectrum weight by the whole batch's maximum, so one image's loss
    depends on the others in its batch; its docstring said that of ``ave_spectrum`` alone, and nothing declared it
    (tests/test_losses.py's batch test only duplicated a batch, which cannot see it). The docstring says it, and such
    a loss declares ``batch_dependent`` (the default ffl does not)."""
    import torch

    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES

    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 16, 16, generator=g)
    pred = (target + 0.2 * torch.rand(2, 3, 16, 16, generator=g) * torch.tensor([1.0, 4.0]).view(2, 1, 1, 1))
    loss = build_loss("ffl(batch_matrix=True)")
    alone = (loss(pred[:1], target[:1]) + loss(pred[1:], target[1:])) / 2
    assert not torch.allclose(loss(pred, target), alone)  # it does read the batch
    assert loss.batch_dependent and not build_loss("ffl").batch_dependent
    doc = " ".join(LOSSES.get("ffl").obj.__doc__.split())
    assert "batch_matrix=True" in doc and "depends on the other images of its batch" in doc, doc

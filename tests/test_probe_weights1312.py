"""A run id names the weights the run trains with: the encoder csr's auto takes, a checkpoint's content."""

from __future__ import annotations

import pytest

from benchmark import weights as W
from benchmark.config import RunConfig, resolve, run_id
from benchmark.errors import UserError

# ids of runs whose weights a spec already fixes (random-init, a weights key by name, the pretrained default of a
# loss whose arguments choose its file), computed by the code before weights_fingerprint: they must not move
PINNED = {("vgg", "random"): "1ba1160df6afa8ca", ("vgg", "pretrained"): "b35090d283f66cdb",
          ("csr", "random"): "2c8eeb870bab5407", ("lpips", "pretrained"): "467d49373c996f0c",
          ("l1 + 0.1*vgg", "random"): "dd4818d1d3a5a265",
          ("vgg(weights='vgg16:IMAGENET1K_V1')", "random"): "868c3006053a5c25"}


def _planned(loss: str, weights: str = "pretrained") -> RunConfig:
    return resolve(RunConfig(task="denoise", loss=loss, backbone_weights=weights))


def test_runs_whose_spec_fixes_their_weights_keep_their_ids():
    assert {k: run_id(_planned(*k)) for k in PINNED} == PINNED


def test_csr_on_another_cached_encoder_is_another_run(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    simclr, moco = W.get_file("resnet50:simclr").path, W.get_file("resnet50:moco_v2").path
    simclr.parent.mkdir(parents=True)
    simclr.write_bytes(b"simclr")  # only SimCLR cached: csr's auto trains on it
    on_simclr = _planned("l1 + 0.1*csr")
    assert "resnet50:simclr" in on_simclr.weights_fingerprint
    moco.write_bytes(b"moco")  # MoCo v2 fetched later: csr's auto now takes it
    on_moco = _planned("l1 + 0.1*csr")
    assert "resnet50:moco_v2" in on_moco.weights_fingerprint
    assert run_id(on_moco) != run_id(on_simclr)
    with pytest.raises(UserError, match=r"weights of loss 'l1 \+ 0.1\*csr' changed since this grid was set up "
                                        r"\(csr=resnet50:simclr → csr=resnet50:moco_v2\)"):
        resolve(on_simclr)  # a run planned on SimCLR is never trained on MoCo v2 under SimCLR's id
    assert run_id(_planned("csr(encoder='resnet50:simclr')")) == run_id(_planned("csr(encoder='resnet50:simclr')"))
    assert _planned("csr(encoder='resnet50:simclr')").weights_fingerprint == ""  # the spec names it


@pytest.mark.parametrize("spec, weights", [("vgg(weights={ckpt!r}, layers=('layer1',))", "random"),
                                           ("l1 + csr(encoder={ckpt!r})", "pretrained"),
                                           ("vgg(layers=('layer1',))", "{ckpt}")])
def test_a_checkpoint_replaced_in_place_is_another_run(spec, weights, tmp_path):
    ckpt = tmp_path / "enc.pt"
    ckpt.write_bytes(b"an encoder")
    spec, weights = spec.format(ckpt=str(ckpt)), weights.format(ckpt=str(ckpt))
    planned = _planned(spec, weights)
    ckpt.write_bytes(b"another encoder, trained longer")  # `plbench pretrain` again, or a file copied over it
    again = _planned(spec, weights)
    assert run_id(again) != run_id(planned)
    with pytest.raises(UserError, match="changed since this grid was set up"):
        resolve(planned)  # never trained on the new file under the old file's id


def test_a_checkpoint_moved_elsewhere_keeps_its_runs(tmp_path):
    first, moved = tmp_path / "a" / "enc.pt", tmp_path / "b" / "enc-copy.pt"
    first.parent.mkdir()
    first.write_bytes(b"an encoder")
    planned = _planned("vgg(layers=('layer1',))", str(first))
    moved.parent.mkdir()
    first.rename(moved)
    assert run_id(_planned("vgg(layers=('layer1',))", str(moved))) == run_id(planned)


@pytest.mark.parametrize("arch", ["tinycnn", "resnet18"])
def test_a_trunk_without_published_weights_is_said_alike_by_listing_and_run(arch, capsys):
    """`plbench weights` listed vgg(arch='tinycnn') as MISSING checkpoint 'tinycnn:selftrained' (to put somewhere)
    while the run failed with "unknown weights 'tinycnn:selftrained'" → both say the trunk has no published weights
    and what to give instead; --backbone-weights auto trains it random-init, as it never can be pretrained."""
    from benchmark import cli
    from benchmark.config import weights_for
    from benchmark.lossfn import build_loss

    spec = f"vgg(arch={arch!r}, layers=('layer1',))"
    said = f"backbone {arch} has no published pretrained weights"
    assert cli.main(["weights", "--losses", spec]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and said in captured.err and "weights='random'" in captured.err, captured
    assert len(captured.err.strip().splitlines()) == 1
    with pytest.raises(UserError, match=said):
        build_loss(spec, weights="pretrained")
    assert weights_for(spec, "auto") == "random"


def test_two_self_trained_encoders_of_one_recipe_are_labelled_apart(tmp_path):
    """A self-trained encoder was labelled by its manifest alone (recipe, data name, steps, seed, config digest):
    `plbench pretrain` run again with the same flags on an edited folder, or on a GPU (not bit-reproducible), or a
    file copied over the checkpoint beside the old manifest, wrote another encoder under the same label, and its
    runs (now apart by id) were pooled with the first one's as more seeds of one loss → the label also names the
    file's content (sha256, 8 digits), as a plain checkpoint's does."""
    import json

    import torch

    from benchmark import backbones as B
    from benchmark.lossfn import build_loss
    from benchmark.runstats import weights_kind

    kinds = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        folder = tmp_path / f"run{seed}"
        folder.mkdir()
        torch.save(B._build_tinycnn(len(B._RESNET_NAMES) - 1, True).state_dict(), folder / "enc.pt")
        (folder / "enc.json").write_text(json.dumps({"arch": "tinycnn", "provenance": "tinycnn:selftrained(test)"}))
        loss = build_loss(f"vgg(weights={str(folder / 'enc.pt')!r}, layers=('layer1',))", seed=0)
        assert loss.provenance.startswith("tinycnn:selftrained(test,sha256=")  # the manifest's words, then the file
        kinds.append(weights_kind(loss.provenance))
    assert kinds[0] != kinds[1]


def test_auto_backbone_weights_give_csr_its_cached_self_trained_encoder(monkeypatch, tmp_path):
    """With neither MoCo v2 nor SimCLR cached, csr's pretrained encoder is the self-trained SimCLR one when it is cached
    (losses.csr.resolve_encoder; README: 'else a self-trained SimCLR encoder'), yet `plbench weights` called csr
    MISSING MoCo v2 and --backbone-weights auto (the standard profile's) trained it on a random ResNet-50 → the file it
    would load is listed, present, and auto trains csr on it (recorded by its content in the run id)."""
    from benchmark.config import weights_for
    from benchmark.pretrain import output_path
    from losses.csr import selftrained_simclr_config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert weights_for("csr", "auto") == "random"  # nothing cached: no self-training behind auto's back
    path = output_path(selftrained_simclr_config())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"a self-trained encoder")
    assert W.loss_checkpoints("csr") == (str(path),) and W.loss_weight_keys("csr") == ()
    assert [r["present"] for r in W.weights_report(["csr"])] == [True]
    assert weights_for("l1 + 0.1*csr", "auto") == "pretrained"
    assert _planned("csr").weights_fingerprint == f"csr=sha256:{W.file_sha256(path)[:16]}"

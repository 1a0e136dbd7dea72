"""Probe of the loss zoo and metrics against their references, session 12."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest


@pytest.mark.parametrize("spec, want", [
    ("lpips(net='vgg')", ("vgg16:IMAGENET1K_V1", "lpips:vgg:v0.1")),
    ("lpips(net='squeeze')", ("squeezenet1_1:IMAGENET1K_V1", "lpips:squeeze:v0.1")),
    ("vgg(arch='vgg19')", ("vgg19:IMAGENET1K_V1",)),
    ("lpips(weights='random')", ("lpips:alex:v0.1",)),  # the heads ship in the lpips wheel: no trunk file
    ("contrique(weights='random')", ()),
    ("dists(weights='random')", ()),  # α, β drawn too
    ("lpips", ("alexnet:IMAGENET1K_V1", "lpips:alex:v0.1")),
    ("l1 + 0.1*vgg + lpips(net='vgg')", ("vgg16:IMAGENET1K_V1", "lpips:vgg:v0.1")),  # a spec: each file once
    ("csr(encoder='resnet50:dino')", ("resnet50:dino",)),
    ("csr", ("resnet50:moco_v2",)),
    ("pdl(layers=())", ()),  # the pixel-only PDL builds no trunk
    ("pdl_proj(layers=())", ()),
    ("pdl", ("vgg16:IMAGENET1K_V1",)),
])
def test_the_files_a_loss_needs_follow_its_arguments(spec, want):
    """`plbench weights --losses "lpips(net='vgg')"` listed (and `prefetch` fetched) AlexNet's files, and
    --backbone-weights auto (the standard profile's) chose pretrained or random by them: the arguments were dropped
    and the registered defaults' files named → the files of the term as written."""
    from benchmark.weights import loss_weight_keys

    assert loss_weight_keys(spec) == want


def test_auto_backbone_weights_look_at_the_files_the_term_loads(monkeypatch):
    """--backbone-weights auto decided lpips(net='vgg') by AlexNet's file: pretrained where VGG-16's was missing (the
    run failed at build), random where it was there (trained on a random trunk)."""
    from benchmark import config
    from benchmark import weights as W

    present = {"alexnet:IMAGENET1K_V1", "lpips:alex:v0.1", "lpips:vgg:v0.1"}
    monkeypatch.setattr(W.WeightFile, "present", property(lambda self: self.key in present))
    assert config.weights_for("lpips(net='vgg')", "auto") == "random"
    assert config.weights_for("lpips", "auto") == "pretrained"
    assert config.weights_for("lpips(weights='random')", "auto") == "random"  # its heads are no pretrained trunk
    present.add("vgg16:IMAGENET1K_V1")
    assert config.weights_for("l1 + 0.1*lpips(net='vgg')", "auto") == "pretrained"


def test_weights_listing_and_prefetch_command_keep_the_arguments(monkeypatch, capsys, tmp_path):
    from benchmark import cli

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cli.main(["weights", "--losses", "l1 + 0.1*lpips(net='vgg')"])
    out = capsys.readouterr().out
    assert "vgg16-" in out and "vgg.pth" in out and "alexnet" not in out, out
    command = shlex.split(out.split("`")[1])  # the command for a connected machine fetches the same files
    assert command[command.index("--losses") + 1:] == ["l1", "lpips(net='vgg')"], command


def test_auto_backbone_weights_give_csr_the_contrastive_encoder_it_would_load(monkeypatch):
    """csr's pretrained encoder is MoCo v2, else SimCLR when cached (losses.csr.resolve_encoder); its files were
    listed as MoCo's alone, so with SimCLR cached and MoCo not, --backbone-weights auto trained csr on a random
    ResNet-50 and `plbench weights` called it missing → the file it would load."""
    from benchmark import config
    from benchmark import weights as W

    present = {"resnet50:simclr"}
    monkeypatch.setattr(W.WeightFile, "present", property(lambda self: self.key in present))
    assert W.loss_weight_keys("csr") == ("resnet50:simclr",)
    assert config.weights_for("csr", "auto") == "pretrained"
    present.clear()
    assert W.loss_weight_keys("csr") == ("resnet50:moco_v2",)  # nothing cached: the first choice, to fetch
    assert config.weights_for("csr", "auto") == "random"


@pytest.mark.parametrize("spec, said", [("lpips(nett='vgg')", "has no argument 'nett'"),
                                        ("vgg(arch='vgg13')", "unknown backbone 'vgg13'")])
def test_weights_listing_refuses_a_bad_argument_before_any_output(spec, said, capsys):
    """Now that a term's arguments choose its files, `plbench weights --losses "lpips(nett='vgg')"` listed AlexNet's
    files for the typo (the run refuses it), and a bad trunk name failed after the listing had begun → both are
    one line, exit 2, before anything is listed."""
    from benchmark import cli

    assert cli.main(["weights", "--losses", spec]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and said in captured.err, captured


def test_contrique_fr_states_the_sides_it_scores(monkeypatch):
    """contrique_fr's docstring said '≥ 64 px per side', yet it has no MIN_SIDE entry and scores every test image the
    harness loads (≥ 8 px; its quality vector runs from 2 px, as the contrique loss's docstring says since eadb5ed)
    → it states that side."""
    import torch

    from benchmark import backbones
    from benchmark.metrics import ContriqueFR, min_side

    real = backbones.Backbone  # ResNet-50's taps and strides in tinycnn: a random ResNet-50 took 1.5 s to draw
    monkeypatch.setattr(backbones, "Backbone", lambda arch, layers, **kw: real("tinycnn", layers, **kw))
    m = ContriqueFR(weights="random")
    t = torch.rand(1, 3, 2, 3, generator=torch.Generator().manual_seed(0))
    # the harness scores no image under 8 px with it (metrics.ANY_SIDE: psnr's alone; test_probe_data24)
    assert torch.isfinite(m(t.flip(-1), t)).all() and min_side("contrique_fr") == 8
    with pytest.raises(ValueError, match="≥ 2 px per side"):  # the side stated is the least it scores
        m(t[..., :1, :], t[..., :1, :])
    doc = " ".join(ContriqueFR.__doc__.split())
    assert "≥ 64 px" not in doc and "≥ 2 px per side" in doc, doc


def test_list_tasks_shows_every_parameter_of_a_degradation(capsys):
    """`plbench list tasks` printed each task's recorded parameters, which leave out modcrop=false and sr4's
    resize='torch' (so stored runs keep their ids): the options that give the papers' conventions (sr4.resize=matlab,
    modcrop=true) were nowhere in the listing → every parameter with its default."""
    import dataclasses

    from benchmark import cli
    from benchmark.registry import TASKS
    from benchmark.task import build_task

    assert cli.main(["list", "tasks"]) == 0
    out = capsys.readouterr().out
    assert "'resize': 'torch'" in out and out.count("'modcrop': False") == 5, out
    for name in TASKS.names():
        assert str(dataclasses.asdict(build_task(name))) in out, name


def _keyed_weights_terms():
    """Each registered loss that takes ``weights``, given its trunk's weights key by name
    (``vgg(weights='vgg16:IMAGENET1K_V1')``: a key :class:`benchmark.backbones.Backbone` loads)."""
    import benchmark.lossfn  # noqa: F401  (registers the built-in losses)
    from benchmark.lossfn import _init_params
    from benchmark.registry import LOSSES

    out = []
    for e in LOSSES.entries():
        if "weights" not in _init_params(e.obj)[0]:
            continue
        need = e.meta.get("weights", ())
        need = need() if callable(need) else need
        trunk = next((k for k in need if ":" in k and not k.startswith(("lpips:", "dists:"))), "vgg19:IMAGENET1K_V1")
        small = "layers=('relu1_2',), n_freq=2, n_orient=2, n_phase=1, " if e.name == "psycho" else ""  # a fast probe
        out.append(f"{e.name}({small}weights={trunk!r})")
    return out


@pytest.mark.parametrize("spec", _keyed_weights_terms())
def test_the_files_listed_for_a_term_are_the_files_its_build_loads(spec, monkeypatch, tmp_path):
    """`vgg(weights='vgg16:IMAGENET1K_V1')` (a weights key by name, as Backbone takes it) loads VGG-16's file, yet
    `plbench weights` said 'no weights needed', prefetch skipped it and the offline run failed at build: a term given
    weights other than 'pretrained' was taken to need only packaged files → the listing is what the build resolves."""
    import torch

    from benchmark import weights as W
    from benchmark.lossfn import build_loss

    class AnyState(dict):  # every key a loss looks up, so each build goes on to its next file
        def __contains__(self, k):
            return True

        def __getitem__(self, k):
            return torch.zeros(1475 if k in ("alpha", "beta") else 1)

        def __iter__(self):
            return iter(("alpha", "beta"))

    def no_weights(module, *a, **k):  # the trunk is built on "meta" then to_empty: its memory holds no numbers
        with torch.no_grad():
            for t in (*module.parameters(), *module.buffers()):
                t.zero_()

    # psycho probes and caches its trunk at build: a stand-in trunk's responses are nobody's, so they go to a folder
    # of this test's own — not the session's (a caller's own TORCH_HOME, kept by conftest), where a file named
    # vgg16_IMAGENET1K_V1 of NaN responses (load_strict skipped, the to_empty memory left) was found and read as
    # the pretrained network's
    shared = Path(os.environ["TORCH_HOME"])
    before = sorted(shared.rglob("*"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    loaded = []
    monkeypatch.setattr(W, "resolve", lambda key, allow_download=False: loaded.append(key) or W.get_file(key).path)
    monkeypatch.setattr(W, "load_state", lambda path, remap=None: AnyState())
    monkeypatch.setattr(W, "load_strict", no_weights)
    monkeypatch.setattr(W.WeightFile, "present", property(lambda self: True))  # csr: MoCo v2, no self-training
    build_loss(spec, weights="pretrained")
    assert set(W.loss_weight_keys(spec)) == set(loaded), (W.loss_weight_keys(spec), loaded)
    assert sorted(shared.rglob("*")) == before, "a build on stand-in weights wrote into the shared TORCH_HOME"


@pytest.mark.parametrize("spec", ["vgg(weights={ckpt!r})", "l1 + csr(encoder={ckpt!r})"])
def test_a_checkpoint_a_term_names_is_listed_present_or_missing(spec, tmp_path, capsys, monkeypatch):
    """`plbench weights --losses "vgg(weights='enc.pt')"` (README: a loss on one's own encoder) said 'no weights
    needed' and 'every listed file is present' whether enc.pt was there or not, and prefetch said its files were in
    place: the run then failed at build (not found) → the checkpoint is listed, MISSING where it is not, and
    prefetch, which cannot fetch it, says so (exit 2); --backbone-weights auto gave csr(encoder='enc.pt') a random
    ResNet-50 whether it was there or not."""
    import re

    from benchmark import cli, config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = spec.format(ckpt=str(tmp_path / "enc.pt"))
    assert cli.main(["weights", "--losses", spec]) == 0
    out = capsys.readouterr().out
    assert re.search(r"MISSING\s+enc\.pt", out) and "every listed file is present" not in out, out
    assert cli.main(["weights", "prefetch", "--losses", spec]) == 2
    assert "enc.pt" in capsys.readouterr().err
    assert config.weights_for(spec, "auto") == "random"
    (tmp_path / "enc.pt").write_bytes(b"")
    assert cli.main(["weights", "--losses", spec]) == 0
    out = capsys.readouterr().out
    assert re.search(r"present\s+enc\.pt", out) and "every listed file is present" in out, out
    assert config.weights_for(spec, "auto") == "pretrained"


def test_a_slip_of_a_weights_key_is_listed_with_the_key_meant(tmp_path, capsys, monkeypatch):
    """`vgg(weights='vgg16:IMAGENET1K_V2')` (no such key): the listing called it a checkpoint to put in place, where
    the run's own refusal names the key meant → the listing and prefetch say 'did you mean' as the run does."""
    from benchmark import cli

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert cli.main(["weights", "--losses", "vgg(weights='vgg16:IMAGENET1K_V2')"]) == 0
    assert "did you mean vgg16:IMAGENET1K_V1" in capsys.readouterr().out
    assert cli.main(["weights", "prefetch", "--losses", "vgg(weights='vgg16:IMAGENET1K_V2')"]) == 2
    assert "did you mean vgg16:IMAGENET1K_V1" in capsys.readouterr().err

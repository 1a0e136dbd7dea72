"""Probe of the five research methods, round 18: what a demanding user of each paper's loss and claim hits."""

import pytest

from benchmark.findings import check_all
from benchmark.synthetic import synthetic_table

MEDICAL = "skimage-medical:train"


def test_csr_on_named_data_needs_its_self_trained_encoder_not_moco(monkeypatch, tmp_path):
    """``csr(selftrain_data='skimage-medical:train')`` loads the SimCLR encoder self-trained on those images whatever
    the cache holds (c4ae790), yet ``plbench weights`` listed MoCo v2's 800-epoch checkpoint as its missing file —
    prefetch fetched a file it never loads — and ``--backbone-weights auto`` (the standard profile's) trained it on a
    random ResNet-50 even where its self-trained encoder was cached (MoCo v2 missing). Its file is that encoder's
    checkpoint: listed missing, then present once trained, and auto then trains it on it."""
    from benchmark import weights as W
    from benchmark.config import weights_for
    from benchmark.pretrain import output_path
    from losses.csr import selftrained_simclr_config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec = f"csr(selftrain_data={MEDICAL!r})"
    want = output_path(selftrained_simclr_config(MEDICAL))
    assert str(tmp_path) in str(want)
    rows = W.weights_report([spec])
    assert [(r["needs"], r["path"], r["present"]) for r in rows] == [("checkpoint", str(want), False)], rows
    assert weights_for(spec, "auto") == "random"
    want.parent.mkdir(parents=True)
    want.write_bytes(b"encoder")  # what plbench pretrain --recipe simclr --data skimage-medical:train writes
    rows = W.weights_report([spec])
    assert [(r["path"], r["present"]) for r in rows] == [(str(want), True)], rows
    assert weights_for(spec, "auto") == "pretrained"
    assert [r["needs"] for r in W.weights_report(["csr"])] == ["resnet50:moco_v2"]  # the default: as before
    line = W.missing_checkpoint_message(str(want))
    assert "plbench pretrain" in line and "\n" not in line, line  # made here, not put there by hand


# ------------------------------------------------------------------------- the profiles' VGG baseline as a rival
PRE = "vgg16:IMAGENET1K_V1"
VGG3 = "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"  # config.FINDING_BASELINES: tariq's and mei's baseline


@pytest.mark.parametrize("name, loss, vsi", [("delbracio2021_pdl", "pdl", 0.8), ("ding2021_dists_lpips", "dists", 0.8)])
def test_the_profiles_vgg_baseline_is_not_one_more_rival_beside_vgg(name, loss, vsi):
    """The standard and full profiles train ``vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))`` beside ``vgg`` as the
    baseline of the psycho and contrastive findings (fc9a188); PDL's and Ding's claims about every rival took it as
    one more rival — the VGG loss counted twice, a layer setting no paper compared with — so a store where PDL (or
    DISTS) clearly beats the VGG loss as registered read inconclusive on the second VGG arm. A rival is each loss as
    registered: a variant of one (other arguments) trained beside it is listed, not counted, its note saying why;
    without the registered loss in the store the variant is that rival and counts."""
    t = synthetic_table(offsets={loss: {"vsi": vsi}, "vgg": 0.0, VGG3: {"vsi": vsi}, "l2": 0.0},
                        weights={loss: PRE, "vgg": PRE, VGG3: PRE}, tasks=("sr4",), metrics=("psnr", "vsi"),
                        n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    aside = [p for p in r.parts if p.b.startswith("vgg(")]
    assert aside and not any(p.counted for p in aside), [(p.b, p.counted) for p in r.parts]
    assert all("variant of vgg" in p.note for p in aside), [p.note for p in aside]
    assert any(p.counted and p.b.startswith("vgg [") for p in r.parts), [(p.b, p.counted) for p in r.parts]
    assert r.verdict == "reproduced", (r.verdict, r.reason)
    alone = t[t["loss"].astype(str) != "vgg"]  # no vgg as registered: the variant is the VGG rival
    (r,) = check_all(alone, [name], n_boot=20)
    assert any(p.counted and p.b.startswith("vgg(") for p in r.parts), [(p.b, p.counted) for p in r.parts]
    assert r.verdict != "reproduced", (r.verdict, r.reason)


# ------------------------------------------------------------------------ what the selection findings compare
VGG3_RANDOM = "vgg16:random(seed=0)"


def test_meis_parts_say_contrastive_select_also_normalises_the_features_the_vgg_loss_compares_raw():
    """mei2020_contrastive compares contrastive_select with the VGG loss on its own taps (f3fa7fe) and said nothing
    more there, as if the effect were the online selection's alone; but contrastive_select unit-normalises each
    position's features over channels (LPIPS-style) before selecting, and the VGG loss takes the raw features' MSE,
    so even at S's start the two are other losses. Every part says the effect mixes the selection with that
    normalisation; psycho's parts (whose loss keeping every channel is the VGG loss on its taps) say nothing."""
    for name, loss in (("mei2020_contrastive", "contrastive_select"), ("tariq2020_psycho", "psycho")):
        t = synthetic_table(offsets={loss: {"vsi": 0.8}, VGG3: 0.0}, weights={loss: PRE, VGG3: PRE}, tasks=("sr4",),
                            metrics=("psnr", "vsi"), n_images=4, seeds=tuple(range(5)))
        (r,) = check_all(t, [name], n_boot=20)
        assert r.parts and all(p.b.startswith("vgg(") for p in r.parts), [p.b for p in r.parts]
        said = ["normalis" in p.note for p in r.parts]
        assert all(said) if loss == "contrastive_select" else not any(said), [p.note for p in r.parts]
        assert r.verdict == "reproduced", (r.verdict, r.reason)


def test_psycho_keeping_every_channel_is_the_vgg_loss_on_its_taps(monkeypatch):
    """Why tariq2020_psycho's same-tap baseline isolates the selection: psycho averages its layers where vgg sums
    them, and weighs each kept channel 1/k where vgg's MSE weighs each 1/C — with every channel kept that is vgg on
    the same taps over their number, a constant factor Adam's step does not see (no gradient clipping in the
    runner). The grating probe is stubbed: with keep=1 the scores choose nothing."""
    import torch

    from benchmark.lossfn import build_loss
    from losses.psycho import PsychovisualFeatureLoss

    def flat(self, cache):
        chans = self.backbone.channels()
        return {n: torch.ones(chans[n], self.probe.n_freq, self.probe.n_orient, dtype=torch.float64)
                for n in self.layers}

    monkeypatch.setattr(PsychovisualFeatureLoss, "_responses", flat)
    psycho = build_loss("psycho(keep=1.0, weights='random')")
    vgg = build_loss("vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'), weights='random')")
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2, 3, 20, 21, generator=g), torch.rand(2, 3, 20, 21, generator=g)
    assert torch.allclose(psycho(x, y) * 3, vgg(x, y), rtol=1e-5), (psycho(x, y) * 3, vgg(x, y))


# ------------------------------------------------------------------------------- a findings check without torch
def test_a_findings_check_reads_task_versions_without_importing_the_tasks(monkeypatch):
    """check_all asked TASKS.names() for every setting's task version (stale_reason), which imports every task
    module and torch with them: a check of a store's findings on a machine without torch failed with
    ModuleNotFoundError, and elsewhere paid torch's import for a few version numbers. The versions are read from the
    task files' ``register_task(…, version=…)`` as the registry's declared names are; they agree with the registry."""
    import json

    import pandas as pd

    from benchmark import findings as F
    from benchmark import registry as R

    every = {n: str(R.TASKS.get(n).version) for n in R.TASKS.names()}
    fresh = R.Registry("task", package="tasks")

    def scan():
        raise AssertionError("the task modules were imported")

    monkeypatch.setattr(fresh, "_scan", scan)
    assert {n: fresh.declared_version(n) for n in every} == {n: (True, v) for n, v in every.items()}
    monkeypatch.setattr(R, "TASKS", fresh)
    old = str(int(every["sr4"]) - 1)
    rows = pd.DataFrame({"setting": [json.dumps({"task": "sr4", "task_version": old}),
                                     json.dumps({"task": "inpaint", "task_version": "1"})]})  # a plugin's, not here
    assert F.stale_reason(rows) == f"sr4 task version {old}, now {every['sr4']}"


def test_findings_list_names_the_same_tap_baseline_the_selection_findings_prefer(capsys):
    """``plbench findings --list`` says what each claim needs, and a user plans a grid from it: tariq2020_psycho and
    mei2020_contrastive said 'losses psycho, vgg' — trained so, every part read 'the effect mixes the selection with
    the layers', for want of the VGG loss on the loss's own taps, which the findings prefer (f3fa7fe) and the list
    never named. Their line names it."""
    from benchmark.cli import main
    from benchmark.config import FINDING_BASELINES

    assert main(["findings", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("tariq2020_psycho", "mei2020_contrastive"):
        i = next(i for i, line in enumerate(lines) if line.startswith(name))
        assert FINDING_BASELINES[0] in lines[i + 1], lines[i + 1]
    i = next(i for i, line in enumerate(lines) if line.startswith("zhao2017_l1_vs_l2"))
    assert "taps" not in lines[i + 1], lines[i + 1]


def test_a_dry_run_never_self_trains_csrs_encoder(monkeypatch, tmp_path, capsys):
    """``plbench run --dry-run`` trains nothing, the README says; but planning a grid with csr on pretrained weights
    (the full profile's) and neither MoCo v2, SimCLR nor its self-trained encoder cached pretrained the SimCLR encoder
    in the dry run itself, for its run id — 500 steps, measured at 0.27 steps/s on a loaded 2-core machine: half an
    hour before the estimate. The dry run now stops at once, in one line saying what the run would train first and
    the command that makes it; with the encoder there nothing is said."""
    from benchmark import pretrain as P
    from benchmark.cli import main
    from losses.csr import selftrained_simclr_config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def trained(cfg, **_):
        raise AssertionError(f"the dry run pretrained {cfg.name}")

    monkeypatch.setattr(P, "pretrain", trained)
    # its few timed steps, in a temporary folder, are no pretraining (test_probe_methods19.py times them)
    monkeypatch.setattr(P, "estimate_seconds", lambda cfg, **_: (600.0, 1.0))
    args = ["run", "--tasks", "denoise", "--seeds", "0", "--dry-run", "--backbone-weights", "pretrained",
            "--no-budget-check", "--out", str(tmp_path / "r"), "--losses"]
    for spec, data in (("csr", "skimage:train"), (f"csr(selftrain_data={MEDICAL!r})", MEDICAL)):
        assert main([*args, spec]) == 2
        err = capsys.readouterr().err.strip()
        assert f"plbench pretrain --recipe simclr --data {data}" in err and "\n" not in err, err
    made = P.output_path(selftrained_simclr_config())
    assert not made.exists()
    from benchmark.weights import selftraining

    assert selftraining({"csr": "pretrained", "csr(weights='random')": "random"}) == [
        ("csr", "plbench pretrain --recipe simclr --data skimage:train --device cpu")]
    made.parent.mkdir(parents=True)
    made.write_bytes(b"encoder")  # made: nothing left to train, the dry run plans on it
    assert selftraining({"csr": "pretrained"}) == []

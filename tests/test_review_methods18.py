"""Review of the methods round 18 (probe-methods): each fix's category, not only its example."""

import pytest

from benchmark import registry as R


def _every(reg):
    return [(reg.kind, n) for n in reg.names()]


@pytest.mark.parametrize("kind, name", [*_every(R.TASKS), *_every(R.LOSSES), *_every(R.FINDINGS)])
def test_every_declared_version_is_the_registered_one(kind, name):
    """Registry.declared_version (read from the files with ast, f9eaf9f) agrees with the imported registry for every
    task, loss and finding: where it answers, it answers the version a run records."""
    reg = {"task": R.TASKS, "loss": R.LOSSES, "finding": R.FINDINGS}[kind]
    fresh = R.Registry(kind, package=reg.package)
    known, version = fresh.declared_version(name)
    assert (known, version) in ((True, str(reg.get(name).version)), (False, None)), (known, version)


def test_a_loss_file_or_plugin_makes_the_registry_answer_its_version(tmp_path, monkeypatch):
    """A --loss-file loss (or an installed plugin's) is in no package file: declared_version leaves it to the
    registry (False), never says "no such loss" (True, None) nor a built-in's version for it."""
    f = tmp_path / "my_review_loss.py"
    f.write_text("from benchmark.registry import register_loss\n\n"
                 "@register_loss('my_review_loss', version='7')\ndef my_review_loss(pred, target):\n"
                 "    return (pred - target).abs().mean()\n")
    try:
        assert R.load_user_file(f) == ["my_review_loss"]
        assert R.LOSSES.declared_version("my_review_loss") == (False, None)
        assert R.LOSSES.get("my_review_loss").version == "7"
    finally:
        R.LOSSES.remove("my_review_loss")
    plugged = R.Registry("task", package="tasks")
    monkeypatch.setattr(R, "_plugins", lambda group, path: True)
    assert plugged.declared_version("sr4") == (False, None)


# --------------------------------------------------------------- 911dfe1: a variant beside its rival, on which weights
PRE = "vgg16:IMAGENET1K_V1"


@pytest.mark.parametrize("name, loss", [("delbracio2021_pdl", "pdl"), ("ding2021_dists_lpips", "dists")])
def test_a_variant_on_other_pretrained_weights_is_a_rival_of_its_own(name, loss):
    """911dfe1 lists, not counts, a one-term variant of a rival trained beside it "on the same weights" — but it
    compared only the kind: ``vgg(arch='vgg19')`` on VGG-19's ImageNet weights (SRGAN's trunk) beside ``vgg`` on
    VGG-16's was "the same rival", listed, and a PDL (or DISTS) no better than it read reproduced. Another network
    is another rival: counted. The profiles' ``vgg(layers=…)`` on vgg's own weights stays listed."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    v19, v3 = "vgg(arch='vgg19')", "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"
    t = synthetic_table(offsets={loss: {"vsi": 0.8}, "vgg": 0.0, v19: {"vsi": 0.8}, v3: 0.0, "l2": 0.0},
                        weights={loss: PRE, "vgg": PRE, v19: "vgg19:IMAGENET1K_V1", v3: PRE}, tasks=("sr4",),
                        metrics=("psnr", "vsi"), n_images=4, seeds=tuple(range(5)))
    (r,) = check_all(t, [name], n_boot=20)
    parts = {p.b.split(" [")[0]: p for p in r.parts}
    assert parts[v19].counted, parts[v19].note
    assert not parts[v3].counted and "listed, not counted" in parts[v3].note and "\n" not in parts[v3].note
    assert r.verdict != "reproduced", (r.verdict, r.reason)


# --------------------------------------------------- 1653b85, c7b17a1: the command that makes csr's encoder, exactly
@pytest.mark.parametrize("data", ["skimage-medical:train", "/tmp/my data/imgs"])
def test_the_listing_and_the_dry_run_give_the_exact_pretrain_command(data, monkeypatch, tmp_path, capsys):
    """``plbench weights`` listed csr(selftrain_data=X)'s missing encoder as "`plbench pretrain` with the recipe, arch,
    data, seed and steps its name gives" (1653b85) — no command — and the dry run's refusal (c7b17a1) wrote
    ``--data X`` unquoted, so a folder with a space ran pretrain on another path. Both now give one command that,
    parsed as the shell and `plbench pretrain` parse it, writes the very file csr loads."""
    import shlex

    from benchmark import pretrain as P
    from benchmark.cli import main
    from benchmark.pretrain import output_path
    from benchmark.weights import selftraining
    from losses.csr import selftrained_simclr_config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec = f"csr(selftrain_data={data!r})"
    assert main(["weights", "--losses", spec]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "not found" in x)
    (cmd,) = [c for i, c in enumerate(line.split("`")) if i % 2]
    (said,) = selftraining({spec: "pretrained"})
    assert said == ("csr", cmd), (said, cmd)
    argv = shlex.split(cmd)
    assert argv[:2] == ["plbench", "pretrain"], argv
    made = []

    def pretrain(cfg, **_):
        made.append(output_path(cfg))
        return made[-1]

    monkeypatch.setattr(P, "pretrain", pretrain)
    assert main(argv[1:]) == 0  # as `plbench pretrain` builds its config: that command writes the file csr loads
    assert made == [output_path(selftrained_simclr_config(data))], (cmd, made)


def test_the_dry_runs_refusal_offers_only_what_works(monkeypatch, tmp_path, capsys):
    """c7b17a1's dry run refuses where csr would self-train its encoder, saying "make it with that command, or estimate
    with --backbone-weights random" — but csr(selftrain_data=X) on random weights is refused ("names the images of the
    self-trained encoder … would ignore it"), so the second way stopped again after a minute of decoding. The line
    names the exact command, quoted as a command, and no way that fails."""
    from benchmark import pretrain as P
    from benchmark.cli import main
    from benchmark.lossfn import build_loss

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(P, "pretrain", lambda cfg, **_: pytest.fail(f"the dry run pretrained {cfg.name}"))
    monkeypatch.setattr(P, "estimate_seconds", lambda cfg, **_: (600.0, 1.0))  # its timed steps (test_probe_methods19)
    spec = "csr(selftrain_data='skimage-medical:train')"
    assert main(["run", "--tasks", "denoise", "--seeds", "0", "--dry-run", "--backbone-weights", "pretrained",
                 "--no-budget-check", "--out", str(tmp_path / "r"), "--losses", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert "`plbench pretrain --recipe simclr --data skimage-medical:train --device cpu`" in err, err
    assert "\n" not in err, err
    if "--backbone-weights random" in err:  # the other way it offers must run
        build_loss(spec, seed=0, weights="random")

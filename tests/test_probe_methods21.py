"""Probe of the five research methods and the findings checking published claims, session 21."""

from __future__ import annotations

import pytest

FIVE = tuple(range(5))


def _registered_findings():
    from benchmark.findings import FINDINGS

    return FINDINGS.entries()


@pytest.mark.parametrize("name", [e.name for e in _registered_findings()])
def test_every_finding_states_what_would_refute_it_in_the_list_and_with_its_verdict(name, capsys):
    """A finding stated its claim and (with a verdict only) its paper's regime, never what would refute it: a reader of
    ``plbench findings --list`` could not tell that zhao2017_l1_vs_l2 is reproduced by a tie within the margin (the
    paper has ℓ1 higher), nor that a part is contradicted only where the rival wins by more than the metric's margin.
    Each finding now names its refutation (:attr:`Finding.refuted_by`), printed by ``--list`` beside its regime, and
    with every verdict (the printed table and findings.md)."""
    from benchmark.cli import main
    from benchmark.findings import FINDINGS, FindingResult, to_text

    entry = FINDINGS.get(name)
    finding = entry.obj()
    assert finding.claim and finding.regime and finding.refuted_by, name
    assert "margin" in finding.refuted_by, finding.refuted_by  # what 'worse' means: by more than the margin

    assert main(["findings", "--list"]) == 0
    out = capsys.readouterr().out
    block = out.split(f"\n{name} ", 1)[-1] if not out.startswith(name) else out[len(name):]
    block = block.split("\n", 4)  # claim, needs, regime, refuted by
    assert block[2].strip() == f"paper's regime: {finding.regime}", block
    assert block[3].strip() == f"refuted by: {finding.refuted_by}", block

    r = FindingResult(name, finding.claim, entry.citation, entry.meta.get("source", ""), "inconclusive", "s",
                      regime=finding.regime, refuted_by=finding.refuted_by)
    assert f"refuted by: {finding.refuted_by}" in to_text([r])


def test_a_checked_finding_carries_its_refutation_into_the_verdict_and_findings_md(tmp_path):
    """The verdict of a checked claim (here Zhao's ℓ1 ≥ ℓ2 on a synthetic store) carries the finding's refutation to
    the printed table and to findings.md; its wording says that a tie within the margin reproduces it, weaker than
    the paper's ℓ1 > ℓ2."""
    from benchmark.findings import FINDINGS, check_all, to_text, write
    from benchmark.synthetic import synthetic_table

    table = synthetic_table(tasks=("sr4", "jpeg", "demosaic"), metrics=("psnr", "ssim", "ms_ssim"),
                            offsets={"l1": 0.6, "l2": 0.0}, n_images=16, seeds=FIVE)
    (r,) = check_all(table, ["zhao2017_l1_vs_l2"], n_boot=100)
    want = FINDINGS.get("zhao2017_l1_vs_l2").obj.refuted_by
    assert r.refuted_by == want and "tie" in want
    assert f"refuted by: {want}" in to_text([r])
    md = write([r], tmp_path)["findings_md"]
    assert f"Refuted by: {want}" in md.read_text(encoding="utf-8")


def test_a_self_trained_encoder_made_again_with_other_bytes_says_why_and_how_to_mend_it(monkeypatch, tmp_path):
    """A worker of a SLURM/Ray grid whose cache lacks csr's self-trained encoder makes it again; on a CPU of another
    instruction set its bytes differ (measured: ONEDNN_MAX_CPU_ISA=AVX2 against AVX-512 gives another file, ATen's and
    MKL's dispatch do not), and the run was refused with 'the weights of loss 'csr' changed since this grid was set up
    (…); re-run the command to plan it again' — which the head node does, and the worker refuses again. The refusal now
    names the self-trained encoder, says why it can differ on this machine, that planning again does not mend that,
    and what does: the planning machine's file copied here, or one file every node reads (csr(encoder=…))."""
    from benchmark.config import RunConfig, resolve
    from benchmark.errors import UserError
    from losses.csr import _selftrained_path

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = _selftrained_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"the head node's encoder")
    planned = resolve(RunConfig(task="denoise", loss="csr", backbone_weights="pretrained"))
    assert planned.weights_fingerprint.startswith("csr=sha256:")
    path.write_bytes(b"the same recipe made again on an AVX2 worker")  # another CPU's kernels: other bytes
    with pytest.raises(UserError) as err:
        resolve(planned)
    line = str(err.value)
    assert "\n" not in line
    assert "changed since this grid was set up" in line and "re-run the command to plan it again" in line
    assert f"csr's self-trained encoder {path}" in line and "instruction set" in line
    assert "planning again does not mend" in line and f"copy {path.name} from the planning machine" in line
    assert "csr(encoder=" in line


def test_a_checkpoint_given_by_path_changed_keeps_the_plain_refusal(tmp_path):
    """A checkpoint named by path and replaced in place is no self-trained encoder made again by a worker: its refusal
    stays the plain one (plan again), with no word of instruction sets."""
    from benchmark.config import RunConfig, resolve
    from benchmark.errors import UserError

    ckpt = tmp_path / "enc.pt"
    ckpt.write_bytes(b"an encoder")
    spec = f"vgg(weights={str(ckpt)!r}, layers=('layer1',))"
    planned = resolve(RunConfig(task="denoise", loss=spec, backbone_weights="random"))
    ckpt.write_bytes(b"another encoder")
    with pytest.raises(UserError, match="changed since this grid was set up") as err:
        resolve(planned)
    assert "instruction set" not in str(err.value)


@pytest.mark.parametrize("installed", [False, True])
def test_lpips_heads_missing_say_how_to_get_them_and_that_random_weights_still_need_them(monkeypatch, tmp_path,
                                                                                          installed):
    """LPIPS's linear heads ship in the lpips wheel. Without the package the refusal read 'put alex.pth at <python
    package lpips not installed>/weights/v0.1/alex.pth (…); … or use weights='random'' — no path to put a file at, and
    ``lpips(weights='random')`` reads the same heads, so that remedy failed the same way. It now says to install the
    package (or, installed without the file, to reinstall it, naming where the file belongs) and that random trunk
    weights still read the heads."""
    import importlib.util
    from types import SimpleNamespace

    from benchmark import weights as W
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES

    real = importlib.util.find_spec

    def find_spec(name, *a, **k):
        if name == "lpips":
            return SimpleNamespace(submodule_search_locations=[str(tmp_path / "lpips")]) if installed else None
        return real(name, *a, **k)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(UserError) as err:
        LOSSES.get("lpips").obj(weights="random")
    line = str(err.value)
    assert "\n" not in line and "missing weights lpips:alex:v0.1" in line
    assert "not installed>" not in line and "or use weights='random'" not in line
    assert "weights='random' too" in line
    if installed:
        assert str(tmp_path / "lpips" / "weights" / "v0.1" / "alex.pth") in line and "pip install" in line
    else:
        assert "the lpips package is not installed" in line and "pip install lpips" in line
    assert W.missing_message(W.get_file("resnet50:simclr")).endswith("or use weights='random'")  # others as they were


def test_the_mix_loss_names_what_zhaos_released_code_does_differently():
    """METHODS.md: Zhao et al.'s Mix, 'note their released code defaults differ'; ms_ssim_l1 said only 'their released
    Caffe code uses other defaults', naming neither the code nor a default. Read (NVlabs/PL4NN src/loss.py, MSSSIML1):
    alpha 0.025 (the paper's 0.84), MS-SSIM as five Gaussians σ 0.5–8 on one patch without downsampling or exponents,
    the L1 weighted by the σ = 8 Gaussian. The docstring names them, and the alpha it names is one the loss takes."""
    import torch

    from losses.ssim import MSSSIML1Loss

    doc = MSSSIML1Loss.__doc__
    assert "NVlabs/PL4NN" in doc and "0.025" in doc and "0.84" in doc
    assert "σ = 0.5, 1, 2, 4, 8" in doc and "σ = 8 Gaussian" in doc
    t = torch.rand(1, 3, 32, 32)
    p = (t + 0.1).clamp(0, 1)
    released, paper = MSSSIML1Loss(alpha=0.025)(p, t), MSSSIML1Loss()(p, t)
    assert torch.isfinite(released) and float(released) != float(paper)

"""Review of the loss-zoo method fixes (probe-methods): regressions and gaps they left."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark.errors import UserError
from benchmark.lossfn import build_loss


@pytest.fixture
def tinycnn_encoder(tmp_path) -> str:
    """A self-trained-style tinycnn checkpoint with its manifest (what ``plbench pretrain`` writes)."""
    from benchmark import backbones as B

    torch.manual_seed(0)
    net = B._build_tinycnn(len(B._RESNET_NAMES) - 1, True)
    path = tmp_path / "enc.pt"
    torch.save(net.state_dict(), path)
    (tmp_path / "enc.json").write_text(json.dumps({"arch": "tinycnn", "provenance": "tinycnn:selftrained(test)"}))
    return str(path)


def test_psycho_on_a_self_trained_encoder_still_builds(tinycnn_encoder):
    """Was (7b47a48): the probe-size check looked the layers up in VGG-16's names, so psycho on a self-trained
    encoder's own taps (README: a loss with layers=(…) can tap them) failed with 'tuple.index(x): x not in tuple'."""
    loss = build_loss(f"psycho(weights={tinycnn_encoder!r}, layers=('layer1', 'layer4'), n_freq=2, n_orient=2, "
                      "n_phase=1, cache=False)", seed=0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(1, 3, 32, 32, generator=g), torch.rand(1, 3, 32, 32, generator=g)
    assert torch.isfinite(loss(x, y)) and float(loss(y, y)) == 0.0


def test_psycho_too_small_probe_names_the_smallest_size_that_runs():
    """The refusal turns a crash into a UserError; it names the smallest probe that runs (8 px: pool4 of a 1×1 map
    fails), and a size that runs (relu5_3 at 16 px, a 1×1 map: no pooling follows it) is not refused."""
    with pytest.raises(UserError, match="use probe_size ≥ 16"):
        build_loss("psycho(layers=('relu5_3',), probe_size=8, cache=False)", seed=0, weights="random")
    build_loss("psycho(layers=('relu5_3',), probe_size=16, n_freq=2, n_orient=2, n_phase=1, cache=False)",
               seed=0, weights="random")



def test_psycho_channel_scores_ignore_orientation_at_freq_weight_1_and_the_csf_at_0():
    """The premise of the next test: score = fw·frequency + (1 − fw)·orientation, so fw=1 drops the orientation
    reading and fw=0 the CSF (its pixels_per_degree) — exactly, not approximately."""
    from losses.psycho import ProbeConfig, channel_scores

    cfg = ProbeConfig()
    resp = torch.rand(16, cfg.n_freq, cfg.n_orient, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    s = {o: channel_scores(resp, cfg, orientation=o, freq_weight=1.0)["score"] for o in ("minmax", "circular")}
    assert torch.equal(s["minmax"], s["circular"])
    s = {p: channel_scores(resp, cfg, pixels_per_degree=p, freq_weight=0.0)["score"] for p in (40.0, 10.0)}
    assert torch.equal(s[40.0], s[10.0])


@pytest.mark.parametrize("spec, message", [
    ("psycho(freq_weight=1.0, orientation='circular')", "orientation='circular' .*freq_weight=1"),
    ("psycho(freq_weight=0.0, pixels_per_degree=60)", "pixels_per_degree=60 .*freq_weight=0"),
    ("psycho(keep=1.0, orientation='circular', n_freq=4)", "keep=1 keeps every channel.*orientation, n_freq"),
])
def test_psycho_scoring_arguments_a_reading_ignores_are_refused(spec, message):
    """Same category as keep= with selection='weight' (b628ebc), missed: each trained the same loss as without the
    argument while results recorded it."""
    layers = "layers=('relu1_2',), cache=False, "
    with pytest.raises(UserError, match=message):
        build_loss(spec.replace("psycho(", "psycho(" + layers), seed=0, weights="random")


@pytest.mark.parametrize("spec", [
    "psycho(freq_weight=1.0, pixels_per_degree=60)", "psycho(freq_weight=0.0, orientation='circular')",
    "psycho(keep=1.0)", "psycho(keep=0.9, orientation='circular')",
    "psycho(selection='weight', freq_weight=1.0)",
])
def test_psycho_scoring_arguments_that_act_are_still_accepted(spec):
    build_loss(spec.replace("psycho(", "psycho(layers=('relu1_2',), cache=False, "), seed=0, weights="random")


@pytest.mark.parametrize("spec", ["ffl(alpha=0, log_matrix=True)", "ffl(alpha=0.0, batch_matrix=True)"])
def test_ffl_spectrum_weight_options_are_refused_without_focusing(spec):
    """alpha=0 makes every spectrum weight |ΔF|⁰ = 1 before normalising, so log_matrix and batch_matrix (how the
    weight is rescaled) change nothing: the loss equals plain ffl(alpha=0) while results recorded the option."""
    g = torch.Generator().manual_seed(0)
    p, t = torch.rand(2, 3, 8, 8, generator=g), torch.rand(2, 3, 8, 8, generator=g)
    from losses.ffl import FocalFrequencyLoss

    plain = FocalFrequencyLoss(alpha=0.0)(p, t)
    for kw in ({"log_matrix": True}, {"batch_matrix": True}):
        try:
            other = FocalFrequencyLoss(alpha=0.0, **kw)
        except UserError:
            continue
        assert torch.equal(other(p, t), plain)  # the premise: ignored
    with pytest.raises(UserError, match="alpha=0"):
        build_loss(spec, seed=0)
    build_loss("ffl(alpha=0.5, log_matrix=True, batch_matrix=True)", seed=0)


def test_psycho_f_max_at_nyquist_is_refused():
    """f_max=0.5 (exactly Nyquist) was accepted by the new bound (6461fb4, ≤ 0.5), but there sin(π·x + phase) with
    the probe's phases 0 and π is 0 at every pixel: the θ = 0 and 90° gratings of the top frequency are uniform grey,
    so every channel preferring that frequency looked perfectly orientation-selective (min response 0)."""
    from losses.psycho import ProbeConfig, gratings

    cfg = ProbeConfig(f_max=0.5)
    g = gratings(cfg).reshape(cfg.n_freq, cfg.n_orient, cfg.n_phase, 3, cfg.size, cfg.size)
    assert float(g[-1, 0].std()) < 1e-6 and float(g[-1, cfg.n_orient // 2].std()) < 1e-6  # the premise
    with pytest.raises(UserError, match="f_max must be < 0.5"):
        build_loss("psycho(f_max=0.5)", seed=0, weights="random")
    from benchmark.params import check_kwargs
    from losses.psycho import PsychovisualFeatureLoss

    assert check_kwargs(PsychovisualFeatureLoss, {"f_max": 0.45}, "loss 'psycho'")["f_max"] == 0.45


def test_psycho_probe_size_search_lets_other_trunk_errors_through(monkeypatch):
    """The probe-size search (a1c8b4e) read any RuntimeError of the trunk as 'too small' and kept doubling the
    grating, up to 8192 px (gigabytes per activation), before a misleading 'no feature map' message; an error
    that is not about a too-small map now surfaces at once, from the one forward at the probe size."""
    from benchmark import backbones as B

    calls = []

    def broken(self, x):
        calls.append(x.shape[-1])
        raise RuntimeError("some other failure")

    monkeypatch.setattr(B.Backbone, "_forward", broken)
    with pytest.raises(RuntimeError, match="some other failure"):
        build_loss("psycho(layers=('relu1_2',), cache=False)", seed=0, weights="random")
    # one forward, no search: it was at the probe size (32) while psycho had its own search; the trunk's own
    # Backbone.min_side, which psycho now asks, tries its first size (8 px) and lets the error through there
    assert len(calls) == 1

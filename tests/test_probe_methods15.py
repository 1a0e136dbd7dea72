"""Probe of the five seed methods (session 15): each against its stated reading or an identity it must satisfy."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import losses.psycho as P
from benchmark.errors import UserError
from benchmark.findings import check_all
from benchmark.synthetic import synthetic_table


# ------------------------------------------------------------------------------------------------------------ psycho
@pytest.mark.parametrize("damage", ["nan", "shape"])
def test_psycho_recomputes_a_cached_response_file_that_is_not_finite_or_not_its_shape(damage, caplog):
    """A responses file of NaNs (as found in a shared cache) gave every channel the score 0, so topk kept an
    arbitrary half of them while the run was labelled a psychovisual selection."""
    kw = dict(layers=("relu1_2",), weights="random", seed=0, probe_size=16, n_freq=3, n_orient=4, n_phase=1)
    fresh = P.PsychovisualFeatureLoss(**kw)  # probes (a small grid) and caches
    path = fresh._cache_path()
    good = torch.load(path, weights_only=True)
    bad = {"relu1_2": torch.full_like(good["relu1_2"], float("nan"))} if damage == "nan" else \
        {"relu1_2": good["relu1_2"][:10]}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(bad, path)
    with caplog.at_level("WARNING", logger="losses.psycho"):
        loss = P.PsychovisualFeatureLoss(**kw)
    torch.testing.assert_close(loss.scores["relu1_2"], fresh.scores["relu1_2"])
    assert torch.equal(loss.w0, fresh.w0)
    assert any("psycho cache" in r.getMessage() for r in caplog.records)
    reread = torch.load(path, weights_only=True)["relu1_2"]  # rewritten with the good responses
    assert bool(torch.isfinite(reread).all()) and reread.shape == good["relu1_2"].shape


def test_psycho_refuses_non_finite_grating_responses_of_its_trunk(monkeypatch):
    def nan_probe(extract, cfg, batch=48):
        return {"relu1_2": torch.full((64, cfg.n_freq, cfg.n_orient), float("nan"), dtype=torch.float64)}

    monkeypatch.setattr(P, "probe_responses", nan_probe)
    with pytest.raises(UserError, match="non-finite"):
        P.PsychovisualFeatureLoss(layers=("relu1_2",), weights="random", seed=0, cache=False)


def test_psycho_frequency_tuning_is_the_response_at_the_preferred_orientation():
    """channel_scores' docstring: frequency score = Pearson correlation between the channel's frequency tuning
    (its response at its preferred orientation) and the Mannos–Sakrison CSF. The code correlated the envelope
    max over orientations at each frequency, mixing orientations: a channel tuned exactly as the CSF at its
    preferred orientation scored below 1 when another orientation answered other frequencies."""
    cfg = P.ProbeConfig()
    csf = P.mannos_sakrison(cfg.freqs * cfg.pixels_per_degree).numpy()
    shape = csf / csf.max()
    tuned = np.zeros((cfg.n_freq, cfg.n_orient))
    tuned[:, 0] = shape                        # the CSF exactly, peak 1 at orientation 0
    tuned[:, 3] = 0.9 * (1 - shape) + 0.05     # weaker, at another orientation: answers the off-CSF frequencies
    rng = np.random.default_rng(0)
    resp = np.concatenate([tuned[None], rng.random((7, cfg.n_freq, cfg.n_orient))])

    def reference(r):  # written from the docstring: the peak (f*, o*), the tuning r[:, o*], Pearson, clipped at 0
        f_pref, o_pref = np.unravel_index(r.argmax(), r.shape)
        return max(0.0, float(np.corrcoef(r[:, o_pref], csf)[0, 1])), f_pref

    freq = P.channel_scores(torch.from_numpy(resp), cfg)["freq"].numpy()
    assert freq[0] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(freq, [reference(r)[0] for r in resp], atol=1e-12)


# ------------------------------------------------------------------------------------------- the papers' claims
PRE, RND = "vgg16:IMAGENET1K_V1", "vgg16:random(seed=0)"
BETTER, WORSE = {"vsi": 0.8, "gmsd": 0.8}, {"vsi": -0.8, "gmsd": -0.8}


def _verdict(name, a, offsets, weights, tasks, params=None):
    t = synthetic_table(offsets={a: offsets, "vgg": 0.0, "l2": 0.0}, weights=weights, tasks=tasks,
                        metrics=("psnr", "vsi", "gmsd"), n_images=8, seeds=tuple(range(5)))
    if params is not None:
        t["task_params"] = json.dumps(params)
    (r,) = check_all(t, [name], n_boot=100)
    return r


@pytest.mark.parametrize("name, a, tasks, tag", [
    ("tariq2020_psycho", "psycho", ("sr4",), "+psycho(top,keep=0.5)"),
    ("mei2020_contrastive", "contrastive_select", ("denoise", "sr4"), "+online_selection(softmax)")])
@pytest.mark.parametrize("offsets, kinds, params, verdict, note", [
    (BETTER, (PRE, PRE), None, "reproduced", ""),
    (WORSE, (PRE, PRE), None, "contradicted", ""),
    (0.0, (PRE, PRE), None, "inconclusive", ""),  # the claims say "beats": equal arms reproduce nothing
    (BETTER, (RND, RND), None, "needs weights", ""),  # as Ding's claim (tests/test_probe_methods16.py)
    (BETTER, (PRE, PRE), {"scale": 2}, "out of regime", "×2"),  # Tariq's only: Mei's tasks are not fixed
    (BETTER, (PRE, RND), None, "not applicable", ""),  # never a pretrained loss against a random-init vgg
], ids=["better", "worse", "equal", "random-weights", "x2-sr", "kinds-differ"])
def test_the_seed_papers_claims_of_beating_the_vgg_loss_are_findings(name, a, tasks, tag, offsets, kinds, params,
                                                                     verdict, note):
    """METHODS.md §2 (Tariq: selected VGG-16 features 'beat the plain VGG loss for ×4 super-resolution') and Mei's
    abstract (online-selected features improve perceptual quality over the perceptual loss on a pre-trained
    classification network): of the five seed methods only PDL's claim was a finding, so plbench findings never
    said whether these held. Each is checked on every perceptual metric (psnr is none), against vgg on the same
    kind of weights, in the paper's regime."""
    if params is not None and name != "tariq2020_psycho":
        verdict, note = "reproduced", ""
    weights = {a: kinds[0] + (tag if kinds[0] == PRE else ""), "vgg": kinds[1]}
    r = _verdict(name, a, offsets, weights, tasks, params)
    assert r.verdict == verdict, (r.verdict, r.reason)
    if r.parts:
        assert {(p.task, p.metric) for p in r.parts} == {(t, m) for t in tasks for m in ("vsi", "gmsd")}
        assert all(note in p.note for p in r.parts)

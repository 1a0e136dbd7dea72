"""Probe of the research methods and classic losses against their papers and official code: each
test derives its expected value independently (numpy re-computation of the published formula)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.errors import UserError
from benchmark.lossfn import build_loss


# ------------------------------------------------------------------- contrastive_select: the distance is open
def _unit(f: np.ndarray) -> np.ndarray:  # LPIPS-style channel normalisation, eps inside the root (ours: 1e-8)
    return f / np.sqrt((f ** 2).sum(0, keepdims=True) + 1e-8)


@pytest.mark.parametrize("distance", ["l2", "l1", "cosine"])
def test_contrastive_distance_is_a_named_reading(distance):
    """METHODS.md lists the contrastive distance (L1/L2/cosine) as open; it used to be fixed to squared L2.
    Each reading equals a numpy re-computation on hand-made features, with non-uniform softmax gates."""
    loss = build_loss(f"contrastive_select(layers=('relu1_1',), distance={distance!r})", seed=0,
                      weights="random").parts[0]
    g = torch.Generator().manual_seed(3)
    a = torch.randn(1, 64, 2, 3, generator=g, dtype=torch.float64)
    b = torch.randn(1, 64, 2, 3, generator=g, dtype=torch.float64)
    theta = torch.randn(64, generator=g)
    with torch.no_grad():
        loss.select[0].copy_(theta)
    got = loss._dist({"relu1_1": a.float()}, {"relu1_1": b.float()}, detach=True)

    t = theta.double().numpy()
    w = 64 * np.exp(t - t.max()) / np.exp(t - t.max()).sum()
    ua, ub = _unit(a[0].numpy()) * w[:, None, None], _unit(b[0].numpy()) * w[:, None, None]
    if distance == "l2":
        per_pos = ((ua - ub) ** 2).sum(0)
    elif distance == "l1":
        per_pos = np.abs(ua - ub).sum(0)
    else:
        per_pos = 1 - (ua * ub).sum(0) / (np.linalg.norm(ua, axis=0) * np.linalg.norm(ub, axis=0))
    np.testing.assert_allclose(got.numpy(), [per_pos.mean()], rtol=1e-5)


@pytest.mark.parametrize("distance", ["l1", "cosine"])
def test_contrastive_other_distances_are_zero_at_the_target_and_train(distance):
    loss = build_loss(f"contrastive_select(layers=('relu1_2',), distance={distance!r}, lr=0.05)", seed=0,
                      weights="random").parts[0]
    g = torch.Generator().manual_seed(0)
    y = torch.rand(2, 3, 16, 16, generator=g)
    x = (y + 0.1 * torch.randn(y.shape, generator=g)).clamp(0, 1)
    assert float(loss(y, y)) == 0.0
    zero = torch.zeros(1, 64, 2, 2)  # all-zero features on both sides (a black crop through a random net)
    assert float(loss._dist({"relu1_2": zero}, {"relu1_2": zero}, detach=True)) == 0.0
    before = [p.detach().clone() for p in loss.select]
    loss.train_step(x, y, degraded=(y + 0.3 * torch.randn(y.shape, generator=g)).clamp(0, 1))
    assert torch.isfinite(loss.last_triplet)
    assert any(not torch.equal(p, q) for p, q in zip(before, loss.select))
    pred = x.clone().requires_grad_(True)
    loss(pred, y).backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_contrastive_unknown_distance_is_a_user_error():
    with pytest.raises(UserError, match="distance must be l2, l1 or cosine"):
        build_loss("contrastive_select(distance='l3')", seed=0, weights="random")


# ------------------------------------------------------------------------------------- focal frequency loss
def _ffl_reference(p: np.ndarray, t: np.ndarray, alpha=1.0, pf=1, log=False, batch=False, ave=False) -> float:
    """Jiang et al.'s focal frequency loss re-computed from the paper's formula (orthonormal 2-D DFT per
    patch, w = |ΔF|^α normalised by its max per (image, patch, channel) or over the batch, mean of w·|ΔF|²)."""
    n, c, h, w = p.shape
    ph, pw = h // pf, w // pf

    def spec(x):
        patches = np.stack([x[:, :, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw] for i in range(pf) for j in range(pf)], 1)
        f = np.fft.fft2(patches, norm="ortho")
        return f.mean(0, keepdims=True) if ave else f

    d = np.abs(spec(p) - spec(t)) ** 2
    m = np.sqrt(d) ** alpha
    m = np.log(m + 1) if log else m
    m = m / (m.max() if batch else m.max(axis=(-1, -2), keepdims=True))
    return float((np.clip(np.nan_to_num(m), 0, 1) * d).mean())


@pytest.mark.parametrize("kw", [{}, {"alpha": 2.0}, {"pf": 2}, {"log": True}, {"batch": True}, {"ave": True},
                                {"ave": True, "pf": 2, "log": True}], ids=str)
def test_ffl_matches_the_published_formula(kw):
    """Every option of the authors' FocalFrequencyLoss, ave_spectrum included (it was missing)."""
    g = torch.Generator().manual_seed(1)
    p, t = torch.rand(3, 3, 16, 16, generator=g), torch.rand(3, 3, 16, 16, generator=g)
    spec = (f"ffl(alpha={kw.get('alpha', 1.0)}, patch_factor={kw.get('pf', 1)}, log_matrix={kw.get('log', False)}, "
            f"batch_matrix={kw.get('batch', False)}, ave_spectrum={kw.get('ave', False)})")
    got = float(build_loss(spec, seed=0)(p, t))
    assert got == pytest.approx(_ffl_reference(p.double().numpy(), t.double().numpy(), **kw), rel=1e-5)


# ------------------------------------------------------------------------------ psycho: the probe grid is open
def test_psycho_probe_grid_is_named_and_changes_the_selection():
    """The grating grid (size, frequencies, orientations, phases, contrast) was fixed inside the loss; each is
    now a keyword, reaches the probe, and its responses have the grid's shape. The default grid is unchanged."""
    from losses.psycho import ProbeConfig, gratings

    loss = build_loss("psycho(layers=('relu1_2',), probe_size=16, n_freq=3, f_min=0.1, f_max=0.3, n_orient=4, "
                      "n_phase=1, contrast=0.8, cache=False)", seed=0, weights="random").parts[0]
    assert loss.probe == ProbeConfig(size=16, f_min=0.1, f_max=0.3, n_freq=3, n_orient=4, n_phase=1, contrast=0.8)
    g = gratings(loss.probe)
    assert g.shape == (3 * 4 * 1, 3, 16, 16)
    # grating (f=0.1 cycles/px, θ=0, phase 0) by hand: 0.5 + 0.5·c·sin(2π f x)
    x = np.arange(16)
    np.testing.assert_allclose(g[0, 0, 5].numpy(), 0.5 + 0.4 * np.sin(2 * np.pi * 0.1 * x), atol=1e-6)
    assert loss.score_parts["relu1_2"]["freq"].shape == (64,)
    default = build_loss("psycho(layers=('relu1_2',), cache=False)", seed=0, weights="random").parts[0]
    assert default.probe == ProbeConfig()
    assert default.provenance != loss.provenance  # the probe digest records the grid


@pytest.mark.parametrize("spec, message", [
    ("psycho(f_min=0.3, f_max=0.2)", "f_min must be below f_max"),
    ("psycho(f_max=0.7)", "f_max must be"),  # above Nyquist: the grating aliases
    ("psycho(n_freq=1)", "n_freq must be"),  # one frequency: no correlation with the CSF
])
def test_psycho_probe_grid_refuses_meaningless_values(spec, message):
    with pytest.raises(UserError, match=message):
        build_loss(spec, seed=0, weights="random")


# ----------------------------------------------------- arguments a reading ignores are refused, not recorded
@pytest.mark.parametrize("spec, message", [
    ("pdl(num_proj=16)", "num_proj only acts on random projections"),
    ("pdl(resample=True)", "resample only acts on random projections"),
    ("pdl(mode='channel', num_proj=8, resample=True)", "num_proj, resample only acts"),
])
def test_pdl_projection_arguments_are_refused_in_channel_mode(spec, message):
    """Was: pdl(num_proj=16) trained the per-channel PDL (num_proj ignored) while its results recorded num_proj=16
    as if 16 random projections had been sorted."""
    with pytest.raises(UserError, match=message):
        build_loss(spec, seed=0, weights="random")


def test_pdl_projection_arguments_still_work_where_they_act():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(1, 3, 8, 8, generator=g), torch.rand(1, 3, 8, 8, generator=g)
    for spec in ("pdl(mode='proj', layers=(), num_proj=4)", "pdl_proj(layers=(), num_proj=4, resample=True)"):
        assert float(build_loss(spec, seed=0, weights="random")(x, y)) > 0


@pytest.mark.parametrize("gate", ["softmax", "conv1x1"])
def test_contrastive_sparsity_is_refused_where_it_does_not_act(gate):
    """Was: contrastive_select(sparsity=0.1) with the default softmax gate trained without any sparsity penalty
    (only the sigmoid gate has one) while its results recorded sparsity=0.1."""
    with pytest.raises(UserError, match="sparsity acts on the independent gates only"):
        build_loss(f"contrastive_select(gate={gate!r}, sparsity=0.1)", seed=0, weights="random")
    build_loss("contrastive_select(gate='sigmoid', sparsity=0.1, layers=('relu1_1',))", seed=0, weights="random")


def test_psycho_keep_is_refused_with_score_weighting():
    """Was: psycho(selection='weight', keep=0.1) weighted every channel (keep ignored) while results
    recorded keep=0.1."""
    with pytest.raises(UserError, match="keep=0.1 chooses the top channels"):
        build_loss("psycho(selection='weight', keep=0.1, cache=False)", seed=0, weights="random")
    loss = build_loss("psycho(selection='weight', layers=('relu1_2',), cache=False)", seed=0, weights="random").parts[0]
    s = loss.scores["relu1_2"].float()
    torch.testing.assert_close(loss.w0, s / s.sum())  # every channel, by score


def test_pdl_pixel_weight_is_refused_without_the_pixel_term():
    """Was: pdl(pixels=False, pixel_weight=2.0) trained the VGG-only PDL (the weight ignored) while results
    recorded it."""
    with pytest.raises(UserError, match="pixel_weight=2 weighs the RGB term"):
        build_loss("pdl(pixels=False, pixel_weight=2.0, layers=('relu1_1',))", seed=0, weights="random")
    build_loss("pdl(pixels=False, layers=('relu1_1',))", seed=0, weights="random")


@pytest.mark.parametrize("layer, smallest", [("pool5", 32), ("relu5_3", 16), ("relu1_2", 2)])
def test_psycho_probe_too_small_for_the_layer_is_a_user_error(layer, smallest):
    """Was: psycho(layers=('relu5_3',), probe_size=8) crashed inside VGG's pooling ('Calculated output size:
    (512x0x0)'); the smallest grating the trunk runs on up to the deepest layer is named instead."""
    if smallest > 8:
        with pytest.raises(UserError, match=f"use probe_size ≥ {smallest}"):
            build_loss(f"psycho(layers=({layer!r},), probe_size={smallest // 2}, cache=False)", seed=0,
                       weights="random")
    build_loss(f"psycho(layers=({layer!r},), probe_size={max(smallest, 8)}, n_freq=2, n_orient=2, n_phase=1, "
               "cache=False)", seed=0, weights="random")


# ------------------------------------------------------------- classic losses pinned to their authors' formulas
@pytest.mark.slow  # ~10 s: a random VGG-16 up to relu5_3
def test_dists_equals_the_authors_formula_on_the_same_trunk():
    """DISTS (github.com/dingkeyan93/DISTS, DISTS_pytorch/DISTS_pt.py at 1267d8c): the raw image plus VGG-16
    relu1_2 … relu5_3 with every max pooling replaced by L2 pooling (Hann-5 inner 3×3, stride 2, pad 1), ImageNet
    normalisation, S1 = mean term, S2 = covariance term as E[xy] − μxμy, c1 = c2 = 1e-6, α, β normalised to sum 1.
    Re-computed here layer by layer with an independent L2 pooling on the loss's own (random) conv weights."""
    import torch.nn.functional as F

    loss = build_loss("dists", seed=0, weights="random").parts[0]
    convs = [m for m in loss.backbone.net.features if isinstance(m, torch.nn.Conv2d)]
    a = np.hanning(5)[1:-1]
    hann = torch.tensor(np.outer(a, a) / np.outer(a, a).sum(), dtype=torch.float32)

    def stages(x):
        h = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(
            1, 3, 1, 1)
        out, k = [x], 0
        for b, n in enumerate((2, 2, 3, 3, 3)):
            if b:
                w = hann.expand(h.shape[1], 1, 3, 3)
                h = (F.conv2d(h ** 2, w, stride=2, padding=1, groups=h.shape[1]) + 1e-12).sqrt()
            for _ in range(n):
                h = torch.relu(convs[k](h))
                k += 1
            out.append(h)
        return out

    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=g)
    y = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    alpha = np.concatenate([t.numpy() for t in torch.split(loss.alpha, (3, 64, 128, 256, 512, 512))])
    beta = np.concatenate([t.numpy() for t in torch.split(loss.beta, (3, 64, 128, 256, 512, 512))])
    with torch.no_grad():
        fx, fy = [f.double().numpy() for f in stages(x)], [f.double().numpy() for f in stages(y)]
    s1, s2 = [], []
    for u, v in zip(fx, fy):
        mu, mv = u.mean((2, 3)), v.mean((2, 3))
        cov = (u * v).mean((2, 3)) - mu * mv
        s1.append((2 * mu * mv + 1e-6) / (mu ** 2 + mv ** 2 + 1e-6))
        s2.append((2 * cov + 1e-6) / (u.var((2, 3)) + v.var((2, 3)) + 1e-6))
    expected = (1 - (np.concatenate(s1, 1) @ alpha + np.concatenate(s2, 1) @ beta)).mean()
    with torch.no_grad():
        assert float(loss(x, y)) == pytest.approx(expected, rel=1e-4)


def test_swd_equals_heitz_slicing_loss():
    """Heitz et al.'s slicing_loss (github.com/tchambon/A-Sliced-Wasserstein-Loss-for-Neural-Texture-Synthesis,
    texture_optimization_slicing.py at 491ee6d): per layer, project on as many unit directions as channels, sort
    over positions, mean of the squared differences over (image, direction, position); summed over layers.
    Re-computed in numpy with the loss's own (fixed) directions and features."""
    loss = build_loss("swd(layers=('relu1_1', 'relu2_1'))", seed=0, weights="random").parts[0]
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 16, 16, generator=g)
    with torch.no_grad():
        fx, fy = loss.features(x), loss.features(y)
        got = float(loss(x, y))
    expected = 0.0
    for i, n in enumerate(loss.layers):
        d = getattr(loss, f"dirs{i}").double().numpy()
        assert d.shape[0] == d.shape[1]  # as many directions as channels
        np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1, rtol=1e-6)
        u, v = fx[n].double().flatten(2).numpy(), fy[n].double().flatten(2).numpy()
        pu, pv = np.sort(np.einsum("md,bdn->bmn", d, u), 2), np.sort(np.einsum("md,bdn->bmn", d, v), 2)
        expected += ((pu - pv) ** 2).mean()
    assert got == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_style_reduction_paper_and_authors_code(reduction):
    """Johnson et al.'s paper: ‖G(ŷ) − G(y)‖²_F with G = FFᵀ/(CHW); their released code (fast-neural-style
    StyleLoss.lua): nn.MSECriterion on the same Gram matrices, the Frobenius sum / C². Was: only the sum, and the
    docstring never said the authors' code differs. Re-computed in numpy from the loss's own features."""
    loss = build_loss(f"style(layers=('relu1_1', 'relu2_1'), reduction={reduction!r})", seed=0,
                      weights="random").parts[0]
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 16, 16, generator=g)
    with torch.no_grad():
        fx, fy = loss.features(x), loss.features(y)
        got = float(loss(x, y))
    expected = 0.0
    for n in loss.layers:
        u, v = fx[n].double().flatten(2).numpy(), fy[n].double().flatten(2).numpy()
        c, hw = u.shape[1:]
        gu, gv = u @ u.transpose(0, 2, 1) / (c * hw), v @ v.transpose(0, 2, 1) / (c * hw)
        per_image = ((gu - gv) ** 2).sum((1, 2)) / (c * c if reduction == "mean" else 1)
        expected += per_image.mean()
    assert got == pytest.approx(expected, rel=1e-4)

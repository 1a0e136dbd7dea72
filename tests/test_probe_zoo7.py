"""Loss zoo numerics and robustness (probe zoo7): the in-place check of a spec of several terms,
the bf16 precision policy of the feature trunks, and the losses at small or odd input sizes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

pytestmark = pytest.mark.usefixtures("one_thread")


class _Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, pred, target):
        self.fn(pred, target)
        return (pred - target).abs().mean()


def _np_scale(t):
    t.detach().numpy()[...] *= 2


#: ways a loss changes a tensor it was given; each must be refused in a spec of several terms
IN_PLACE = {
    "target.data.mul_": (lambda p, t: t.data.mul_(2), "target"),
    "pred.data.clamp_": (lambda p, t: p.data.clamp_(0, 0.5), "pred"),
    "target.data.copy_": (lambda p, t: t.data.copy_(torch.zeros_like(t)), "target"),
    "target.numpy() *=": (lambda p, t: _np_scale(t), "target"),
    "target[:, :1].clamp_ (a view)": (lambda p, t: t[:, :1].clamp_(0, 0.5), "target"),
    "target[:, 0] = 0": (lambda p, t: t.__setitem__((slice(None), 0), 0.0), "target"),
    "relu(target, inplace=True)": (lambda p, t: F.relu(t.sub_(0.5), inplace=True), "target"),
    "target.detach().mul_": (lambda p, t: t.detach().mul_(2), "target"),
}


@pytest.mark.parametrize("form", list(IN_PLACE))
def test_every_form_of_in_place_change_is_refused_in_a_sum(form):
    """Was: the check compared version counters only, which writes through ``.data`` or ``.numpy()``
    do not bump: ``bad + l1`` with ``target.data.mul_(2)`` trained the ℓ1 term against a doubled
    target, silently. The first call now also compares each input with a copy taken before the term."""
    from benchmark.errors import UserError
    from benchmark.lossfn import Term, WeightedSum

    fn, which = IN_PLACE[form]
    loss = WeightedSum((Term(1.0, "bad"), Term(1.0, "l1")), [_Fn(fn), _Fn(lambda p, t: None)], [(), ()])
    pred = torch.rand(2, 3, 8, 8).requires_grad_(True) * 1.0  # a non-leaf, as a net's output
    target = torch.rand(2, 3, 8, 8)
    with pytest.raises(UserError, match=rf"^loss 'bad' changed its {which} in place"):
        loss(pred, target)


def test_a_sum_whose_terms_leave_their_inputs_alone_passes_the_check_with_nan_inputs():
    """The copy comparison treats NaN as equal to NaN (a NaN target is not 'changed')."""
    from benchmark.lossfn import Term, WeightedSum

    loss = WeightedSum((Term(1.0, "a"), Term(1.0, "b")), [_Fn(lambda p, t: None)] * 2, [(), ()])
    target = torch.rand(1, 3, 4, 4)
    target[0, 0, 0, 0] = float("nan")
    value = loss(torch.rand(1, 3, 4, 4), target)
    assert torch.isnan(value)


def test_a_float32_region_can_be_differentiated_twice_with_retain_graph():
    """Was: ``fp32_call``'s backward dropped its inner graph after the first pass whatever
    ``retain_graph`` said, so ``loss.backward(retain_graph=True)`` twice, ``autograd.grad`` of each
    term in turn (a per-term gradient norm) or ``torch.autograd.gradcheck`` on ssim, ms_ssim, pdl,
    style, contextual, dists, contrique... failed with ``TypeError: 'NoneType' object is not
    iterable``. The inner graph is now kept exactly when the outer one is; gradients equal the
    plain call's both times, and a second pass without retain_graph says what torch says."""
    from benchmark.precision import fp32_call

    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 12, 12, generator=g, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, generator=g)

    def fn(a):
        return F.conv2d(a, w).pow(2).mean()

    plain = torch.autograd.grad(fn(x), x)[0]
    y = fp32_call(fn, x)
    first = torch.autograd.grad(y, x, retain_graph=True)[0]
    second = torch.autograd.grad(y, x)[0]
    torch.testing.assert_close(first, plain, rtol=0, atol=0)
    torch.testing.assert_close(second, plain, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        torch.autograd.grad(y, x)


@pytest.mark.parametrize("name", ["ssim", "ms_ssim"])
def test_region_losses_pass_gradcheck_in_float64(name):
    """``torch.autograd.gradcheck`` (float64 input, float32 regions inside) on the SSIM losses,
    which compute in a region: it differentiates the graph several times."""
    from benchmark.lossfn import build_loss

    loss = build_loss(name).parts[0]
    g = torch.Generator().manual_seed(1)
    target = (0.1 + 0.8 * torch.rand(1, 3, 32, 32, generator=g)).double()
    pred = (target + 0.05 * torch.randn(target.shape, generator=g).double()).requires_grad_(True)
    # float32 inside the region: tolerances of float32 finite differences
    assert torch.autograd.gradcheck(lambda p: loss(p, target).double(), (pred,), eps=1e-3, atol=1e-3,
                                    rtol=2e-2, fast_mode=True)


def _trunk_losses() -> list[str]:
    """Registered losses that hold a frozen feature trunk (a :class:`Backbone`), by building each."""
    from benchmark.backbones import Backbone
    from benchmark.lossfn import build_loss, takes_weights
    from benchmark.registry import LOSSES

    names = [n for n in LOSSES.names() if takes_weights(n)]
    return [n for n in names if any(isinstance(m, Backbone) for m in build_loss(n, weights="random").modules())]


#: the registry's trunk losses (:func:`test_every_trunk_loss_is_under_the_policy` checks the list);
#: the default contextual loss is exactly 0 for σ ≤ 0.01 (its softmax saturates), so eps=0.1
TRUNK_LOSSES = ["contextual(eps=0.1)", "contrastive_select", "contrique", "csr", "dists", "gpl", "lpips",
                "lpips_squeeze", "lpips_vgg", "pdl", "pdl_proj", "psycho", "style", "swd", "vgg", "vgg_esrgan"]
SIGMAS = (0.002, 0.01, 0.05)


@pytest.fixture(scope="module")
def trunk_built():
    from benchmark.lossfn import build_loss

    cache = {}

    def get(spec):
        if spec not in cache:
            cache[spec] = build_loss(spec, seed=0, weights="random")
        return cache[spec]

    return get


@pytest.mark.parametrize("spec,sigma", [pytest.param(s, sigma, marks=[pytest.mark.slow] if sigma != 0.002 else [])
                                        for s in TRUNK_LOSSES for sigma in SIGMAS])
def test_trunk_loss_gradient_under_bf16_autocast_follows_float32(spec, sigma, trunk_built):
    """Was: VGG perceptual, LPIPS (all three trunks), style, GPL, psycho, CSR, PDL/SWD, contextual and
    the contrastive loss ran their frozen trunk in bf16 under the GPU step's autocast; near the identity
    (pred = target + σ·noise) the gradient's cosine to float32 was 0.51 (vgg_esrgan), 0.62 (csr), 0.70
    (style), 0.79 (lpips) at σ = 0.002 and 0.89–0.99 at σ = 0.01. The trunk policy
    (:data:`benchmark.precision.TRUNK_FP32`) runs every trunk in a float32 region: the gradient's cosine
    to float32 is ≥ :data:`benchmark.precision.TRUNK_COSINE_BOUND` at σ ∈ {0.002, 0.01, 0.05}."""
    from conftest import extra_inputs

    from benchmark.precision import TRUNK_COSINE_BOUND

    loss = trunk_built(spec)
    size = 64 if spec.startswith("contrique") else 32
    g = torch.Generator().manual_seed(0)
    target = 0.1 + 0.8 * torch.rand(2, 3, size, size, generator=g)
    pred0 = target + sigma * torch.randn(target.shape, generator=g)

    def value_and_grad(bf16: bool):
        pred = pred0.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            value = loss(pred * 1.0, target, **extra_inputs(loss, pred))
        return float(value.detach()), torch.autograd.grad(value, pred)[0].double().flatten()

    ref_value, ref_grad = value_and_grad(False)
    value, grad = value_and_grad(True)
    assert ref_grad.norm() > 0, f"{spec}: no gradient at σ = {sigma} (degenerate case)"
    cos = float(F.cosine_similarity(grad, ref_grad, dim=0))
    assert cos >= TRUNK_COSINE_BOUND, f"{spec} at σ = {sigma}: gradient cosine to float32 {cos:.4f}"
    assert value == pytest.approx(ref_value, rel=1e-3)


def test_every_trunk_loss_is_under_the_policy():
    """The losses above are the registry's trunk losses (a new one is tested, not skipped), and each
    trunk follows :data:`benchmark.precision.TRUNK_FP32`."""
    from benchmark.backbones import Backbone
    from benchmark.precision import TRUNK_FP32

    assert [n.partition("(")[0] for n in TRUNK_LOSSES] == _trunk_losses()
    assert TRUNK_FP32 is True
    assert Backbone("vgg16", ("relu1_2",), weights="random").fp32 is True
    assert Backbone("vgg16", ("relu1_2",), weights="random", fp32=False).fp32 is False


def test_bf16_run_ids_of_trunk_losses_carry_the_trunk_policy(monkeypatch):
    """Runs made under the earlier bf16 trunks are not resumed as float32-trunk runs: a bf16 run of a
    loss with a trunk has the policy's version in its id; CPU (fp32) ids and trunkless bf16 ids do not."""
    import benchmark.precision as P
    from benchmark.config import RunConfig, run_id

    cpu_vgg = RunConfig(task="denoise", loss="vgg")
    gpu_vgg = RunConfig(task="denoise", loss="vgg", device_type="cuda", precision="bf16")
    gpu_l1 = RunConfig(task="denoise", loss="l1", device_type="cuda", precision="bf16", backbone_weights="none")
    before = [run_id(c) for c in (cpu_vgg, gpu_vgg, gpu_l1)]
    monkeypatch.setattr(P, "TRUNK_POLICY", "test-other")
    after = [run_id(c) for c in (cpu_vgg, gpu_vgg, gpu_l1)]
    assert after[0] == before[0] and after[2] == before[2]
    assert after[1] != before[1]


@pytest.mark.parametrize("spec", ["pdl_proj(resample=True)", "swd(resample=True, layers=('relu1_1',))"])
def test_resume_restores_a_lazily_made_projection_generator(spec):
    """Was: with ``resample=True`` on a GPU, PDL/SWD make their device generator at the first call
    (``_dev_gen``, seeded from ``_proj_gen``); a checkpoint saved after it held its state, but a fresh
    loss at resume has ``_dev_gen = None``, so the resume crashed (``AttributeError: 'NoneType' object
    has no attribute 'set_state'``) — and drawing a new one would have given other projections than the
    uninterrupted run. The generator is now made on its recorded device and given its saved state.
    (A CPU generator stands in for the CUDA one the GPU path makes.)"""
    from benchmark.checkpoint import _loss_state, _restore_loss
    from benchmark.lossfn import build_loss

    saved = build_loss(spec, weights="random")
    part = saved.parts[0]
    part._dev_gen = torch.Generator().manual_seed(12345)  # what the first GPU call makes
    torch.randn(7, generator=part._dev_gen)  # some draws happened before the checkpoint
    state = _loss_state(saved)
    expected = torch.randn(5, generator=part._dev_gen)

    fresh = build_loss(spec, weights="random")
    assert fresh.parts[0]._dev_gen is None
    _restore_loss(fresh, state)
    torch.testing.assert_close(torch.randn(5, generator=fresh.parts[0]._dev_gen), expected, rtol=0, atol=0)


def test_a_loss_spec_passes_gradcheck_on_its_first_call():
    """Was: ``torch.autograd.gradcheck`` on a built spec (its first call) failed with ``TypeError:
    isfinite(): argument 'input' must be Tensor, not NoneType``: the first-gradient check's hook on pred
    read an undefined gradient (gradcheck's backward with undefined grad_outputs) as a tensor. It now
    checks only a gradient that is there."""
    from benchmark.lossfn import build_loss

    loss = build_loss("l2 + 0.1*charbonnier")
    g = torch.Generator().manual_seed(0)
    target = torch.rand(1, 3, 8, 8, generator=g, dtype=torch.float64)
    pred = (target + 0.05 * torch.randn(target.shape, generator=g, dtype=torch.float64)).requires_grad_(True)
    # the terms compute in float32: float32 finite-difference tolerances
    assert torch.autograd.gradcheck(lambda p: loss(p, target).double(), (pred,), eps=1e-3, atol=1e-3, rtol=1e-2,
                                    fast_mode=True)


def test_a_sum_whose_term_barely_reaches_the_gradient_is_named_when_planned(caplog):
    """Was: ``l1 + 0.1*style`` trained as ℓ1 alone (style's values are ~1e-5 where ℓ1's are ~0.05, so its
    weighted gradient is ~0.04 % of the sum's) and its leaderboard row read as a mix, with no word of the
    scales: term weights are not normalised. Planning a grid (:func:`check_loss_on_crop`) now warns with
    each small term's share and the weight factor that would give it ~10 %; a balanced mix says nothing."""
    import logging

    from benchmark.lossfn import build_loss, check_loss_on_crop, term_gradient_shares
    from benchmark.task import build_task

    task = build_task("denoise")
    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        check_loss_on_crop("l1 + 0.1*style", build_loss("l1 + 0.1*style", weights="random"), [task], crop=32)
    [msg] = [r.getMessage() for r in caplog.records if "not normalised" in r.getMessage()]
    assert msg.startswith("loss 'l1 + 0.1*style': 0.1*style gives ") and "trains nearly as l1 alone" in msg
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        check_loss_on_crop("0.84*ms_ssim + 0.16*l1", build_loss("0.84*ms_ssim + 0.16*l1"), [task], crop=32)
    assert not [r for r in caplog.records if "not normalised" in r.getMessage()]

    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 16, 16, generator=g)
    pred = target + 0.05 * torch.randn(target.shape, generator=g)
    shares = term_gradient_shares(build_loss("l1 + 3*l2"), pred, target)
    d = pred - target  # by hand: ‖∂ℓ1/∂pred‖ = √(numel)/numel, ‖3·∂ℓ2/∂pred‖ = 3·2‖d‖/numel
    a, b = d.numel() ** 0.5 / d.numel(), 6 * float(d.norm()) / d.numel()
    assert shares == pytest.approx([a / (a + b), b / (a + b)], rel=1e-4)


@pytest.mark.parametrize("write", ["degraded.clamp_(0.2, 0.8)", "degraded.data.mul_(0.5)"])
def test_a_lone_term_changing_the_degraded_input_in_place_is_refused(tmp_path, write):
    """Was: the in-place check ran only for a spec of several terms (or a loss with a train_step), so a
    lone term with ``needs=("degraded",)`` could change ``degraded`` — the net's input, which the first
    convolution's backward reads: ``clamp_`` failed every run at its first backward with autograd's
    "modified by an inplace operation", and a write through ``.data`` trained on wrong weight gradients,
    silently. A lone term's extra inputs are now checked too (its own pred it may still clamp_)."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    f = tmp_path / "zoo7_degraded.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('zoo7_degraded', needs=('degraded',))\nclass J(torch.nn.Module):\n"
                 "    \"\"\"In place on degraded.\"\"\"\n"
                 f"    def forward(self, pred, target, degraded):\n        {write}\n"
                 "        return (pred - target).abs().mean() + 0.0 * degraded.mean()\n")
    try:
        load_user_file(f)
        loss = build_loss("zoo7_degraded")
        degraded = torch.rand(2, 3, 16, 16)
        pred = torch.nn.functional.conv2d(degraded, torch.ones(3, 3, 1, 1, requires_grad=True) / 3)
        with pytest.raises(UserError, match=r"^loss 'zoo7_degraded' changed its degraded in place .*net's input"):
            loss(pred, torch.rand(2, 3, 16, 16), degraded=degraded)
        alone = build_loss("l1")  # a lone term's own pred: still allowed (autograd tracks it)
        clamp = torch.rand(2, 3, 8, 8).requires_grad_(True) * 1.2
        alone.parts[0].forward = lambda p, t: (p.clamp_(0, 1) - t).abs().mean()
        alone(clamp, torch.rand(2, 3, 8, 8)).backward()
    finally:
        LOSSES.remove("zoo7_degraded")

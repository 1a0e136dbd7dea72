"""The loss zoo's robustness over inputs and keyword edges (probe zoo): every registered loss on the
inputs a training run or a user can hand it, and the keyword values its constructor lets through.

Registry-parametrised (a new loss is probed for free), on tiny tensors and seeded random-init trunks
(the ``built`` fixture of tests/conftest.py). What tests/test_losses.py already checks (finite value and
gradient on 64-px pairs, minimum at identity, batch independence, bf16) and tests/test_probe_zoo4.py
(float64 inputs) is not repeated here.
"""

from __future__ import annotations

import inspect

import pytest
import torch
from conftest import extra_inputs

from benchmark.errors import UserError
from benchmark.lossfn import build_loss
from benchmark.registry import LOSSES

ALL = LOSSES.names()
#: a colour equal to the ImageNet mean: the normalised input is exactly 0, so a bias-free random trunk
#: (torchvision's ResNet, VGG's zero-initialised biases) maps it to all-zero feature vectors
IMAGENET_MEAN = (0.485, 0.456, 0.406)


def _pair(n=2, h=33, w=47, seed=0):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(n, 3, h, w, generator=g)
    pred = (target + 0.1 * torch.randn(n, 3, h, w, generator=g)).clamp(0, 1)
    return pred, target


def _flat_images(h=33, w=47):
    """Constant images: black, mid grey, white and the ImageNet mean colour, each (1, 3, h, w)."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1).expand(1, 3, h, w)
    return {"black": torch.zeros(1, 3, h, w), "grey": torch.full((1, 3, h, w), 0.5),
            "white": torch.ones(1, 3, h, w), "imagenet_mean": mean.clone()}


def _value_and_grad(loss, pred, target):
    leaf = pred.detach().clone().requires_grad_(True)
    value = loss(leaf, target, **extra_inputs(loss, leaf))
    value.backward()
    return value.detach(), leaf.grad


# ------------------------------------------------------------- 1. a stabiliser of 0 (or below) that divides by 0
def _eps_params(name: str) -> list[str]:
    return [p for p in inspect.signature(LOSSES.get(name).obj).parameters if p == "eps" or p.startswith("eps_")]


EPS_LOSSES = [n for n in ALL if _eps_params(n)]


@pytest.mark.parametrize("value", [0.0, -1e-3])
@pytest.mark.parametrize("name", EPS_LOSSES)
def test_a_stabiliser_the_constructor_accepts_keeps_the_loss_finite(name, value):
    """``contextual(eps=0)`` divided by min_k d_ik = 0 at pred == target (NaN value and gradient: the first
    training step recorded a NaN loss); ``csr(eps=0)`` or a negative ``eps`` took rsqrt of 0 (or of a negative
    number) wherever a feature vector is all zero. A stabiliser is either refused at construction, in one
    line naming it, or keeps the loss finite at pred == target and on flat images."""
    for p in _eps_params(name):
        spec = f"{name}({p}={value!r})"
        try:
            loss = build_loss(spec, seed=0, weights="random")
        except UserError as exc:
            assert p in str(exc) and "\n" not in str(exc)
            continue
        pred, target = _pair(n=1)
        for label, (a, b) in {"identity": (target, target), **{f"{k}=={k}": (v, v) for k, v in
                                                               _flat_images().items()}}.items():
            value_, grad = _value_and_grad(loss, a, b)
            assert torch.isfinite(value_), (spec, label, value_)
            assert torch.isfinite(grad).all(), (spec, label)


# ------------------------------------------------------------- 2. psycho's grating probe: bounded before it runs
@pytest.fixture
def no_probing(monkeypatch):
    """Fail the test, instead of allocating gigabytes, if psycho starts probing its trunk."""
    import losses.psycho as P
    from benchmark.backbones import Backbone

    def refuse(*args, **kwargs):
        raise AssertionError("psycho probed its trunk with gratings before refusing the probe grid")

    monkeypatch.setattr(P, "probe_responses", refuse)
    # (psycho's own size search, PsychovisualFeatureLoss._runs_at, is gone: it asks the trunk's min_side)
    monkeypatch.setattr(Backbone, "_runs_at", refuse)


@pytest.mark.parametrize("spec,pattern", [
    # was: 96 gratings of 100000² px (~11 TB in float32) allocated, and the size search ran the trunk on them
    ("psycho(probe_size=100000)", r"probe_size must be ≤ 512, got 100000"),
    ("psycho(probe_size=513)", r"probe_size must be ≤ 512, got 513"),
    # siblings: the grid's other axes multiply the same work (10⁶ orientations: 12·10⁶ gratings of 32² px)
    ("psycho(n_orient=1000000)", r"psycho's probe of 12000000 gratings .* 32×32 px .*: at most"),
    ("psycho(n_freq=100000, n_phase=4)", r"psycho's probe of 3200000 gratings .* at most"),
    ("psycho(probe_size=512, n_freq=12)", r"probe of 192 gratings .* of 512×512 px is 50.3 Mpx .* at most 6.29 Mpx"),
])
def test_psycho_refuses_a_probe_grid_it_cannot_run_before_probing(spec, pattern, no_probing):
    with pytest.raises(UserError, match=pattern) as info:
        build_loss(spec, seed=0, weights="random")
    assert "\n" not in str(info.value)


def test_psycho_default_probe_grid_at_the_largest_size_is_accepted(no_probing):
    """The bound is on work, not a blanket cap: the largest probe_size with a small grid is let through to
    probing (here the sentinel), as is the default grid at 256 px."""
    for spec in ("psycho(probe_size=512, n_freq=2, n_orient=4, n_phase=1)", "psycho(probe_size=256)"):
        with pytest.raises(AssertionError, match="probed its trunk"):
            build_loss(spec, seed=0, weights="random")


# ------------------------------------------------------------- 3. contrastive_select: margin in the distance's units
def test_contrastive_select_refuses_a_negative_margin():
    """``contrastive_select(margin=-10)`` was accepted and its selection S never trained: the triplet term
    relu(d(a, p) − d(a, n) + margin) is 0 whenever margin ≤ d(a, n) − d(a, p), which with distances in
    [0, 2] −10 always is, so every train_step left S as built while the run was labelled an online selection."""
    with pytest.raises(UserError, match=r"margin must be ≥ 0, got -10"):
        build_loss("contrastive_select(margin=-10)", seed=0, weights="random")


def test_contrastive_select_distances_relate_as_documented_at_the_start():
    """The docstring gives each distance's scale at S's start (every gate 1), which is what ``margin`` is
    measured against: l2 = 2 × cosine exactly (features are unit vectors over channels), l1 ≥ l2 / 2
    per position and up to √(2C) (C channels), so margin=0.1 is a much smaller share of an l1 distance."""
    pred, target = _pair(n=1, h=32, w=32)
    values = {d: float(build_loss(f"contrastive_select(distance='{d}', layers=('relu1_2',))", seed=0,
                                  weights="random")(pred, target)) for d in ("l2", "l1", "cosine")}
    assert values["l2"] == pytest.approx(2 * values["cosine"], rel=1e-4)
    assert values["l1"] >= values["l2"] / 2 and values["cosine"] > 0


# ------------------------------------------------------------- 4. weights of a loss's terms: a negative one is a gain
def _default_layers(name: str) -> tuple:
    return tuple(inspect.signature(LOSSES.get(name).obj).parameters["layers"].default)


WEIGHTED_LOSSES = [n for n in ALL if "layer_weights" in inspect.signature(LOSSES.get(n).obj).parameters]


@pytest.mark.parametrize("kind", ["negative", "all_zero", "empty"])
@pytest.mark.parametrize("name", WEIGHTED_LOSSES)
def test_layer_weights_that_reward_distance_or_zero_the_loss_are_refused(name, kind):
    """``vgg(layer_weights=(-1,))`` was accepted: the loss was −MSE of the features (−0.0046 on a noisy pair,
    0 at pred == target), so training pushed the restoration's features *away* from the target's;
    ``(0,)`` made the loss 0 everywhere, and ``()`` silently meant equal weights. pdl refused all three;
    vgg, vgg_esrgan and gpl (one constructor) did not. One line naming layer_weights, for every loss with it."""
    n = len(_default_layers(name))
    weights = {"negative": (-1.0,) + (1.0,) * (n - 1), "all_zero": (0.0,) * n, "empty": ()}[kind]
    extra = ", pixels=False" if kind == "all_zero" and "pixels" in inspect.signature(LOSSES.get(name).obj).parameters \
        else ""
    with pytest.raises(UserError, match=r"layer_weights|weights must be") as info:
        build_loss(f"{name}(layer_weights={weights!r}{extra})", seed=0, weights="random")
    assert "\n" not in str(info.value)


# ------------------------------------------------------------- 5. every registered loss on the inputs a run can give it
@pytest.mark.slow  # five backward passes per registered loss: minutes on 2 busy cores (contrique alone ~1 min)
@pytest.mark.parametrize("name", ALL)
def test_flat_images_give_finite_values_and_gradients(name, built):
    """Zero-variance inputs (SSIM's, DISTS's and CX's normalisations, Gram matrices, unit-normalised features of
    an all-zero map): flat == flat is finite with a finite gradient and no larger than the loss off it; a flat
    prediction of a textured target, and a textured one of a flat target, are finite both ways."""
    loss = built(name)
    pred, target = _pair(n=1, h=32, w=36)
    flats = _flat_images(32, 36)
    for label in ("black", "imagenet_mean"):  # zero input; zero normalised input (all-zero random-trunk features)
        flat = flats[label]
        same, g_same = _value_and_grad(loss, flat, flat)
        off, g_off = _value_and_grad(loss, flat, target)
        for what, v, g in (("flat==flat", same, g_same), ("flat→texture", off, g_off)):
            assert torch.isfinite(v) and torch.isfinite(g).all(), (label, what, v)
        assert float(same) <= float(off) + 1e-6, (label, float(same), float(off))
    rev, g_rev = _value_and_grad(loss, target, flats["grey"])
    assert torch.isfinite(rev) and torch.isfinite(g_rev).all(), ("texture→grey", rev)


@pytest.mark.slow  # every registered loss twice with a backward: ~1 min on 2 busy cores; found equal to the bit
@pytest.mark.parametrize("name", ALL)
def test_channels_last_gives_the_contiguous_value_and_gradient(name, built):
    loss = built(name)
    pred, target = _pair(n=2)
    value, grad = _value_and_grad(loss, pred, target)
    cl = torch.channels_last
    value_cl, grad_cl = _value_and_grad(loss, pred.to(memory_format=cl), target.to(memory_format=cl))
    torch.testing.assert_close(value_cl, value, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(grad_cl, grad, rtol=1e-4, atol=1e-9)


def _outside_pair(h=33, w=47):
    """A net's output before clamping: a target in [0.1, 0.9] and a prediction equal to it but for a 16×16 block
    up to 1.2 and one down to −0.2, each (1, 3, h, w)."""
    _, target = _pair(n=1, h=h, w=w)
    target = target * 0.8 + 0.1
    pred = target.clone()
    pred[..., 8:24, 8:24] += 0.3
    pred[..., 8:24, 30:46] -= 0.3
    return pred, target


#: registered losses whose forward is a cheaper sibling's code on a heavier trunk (LPIPSLoss with VGG-16 or
#: SqueezeNet for lpips' AlexNet; _VGGFeatureLoss with other taps and criterion for vgg): the default suite checks
#: the sibling, ``-m slow`` these too
HEAVY_SIBLINGS = {"lpips_vgg": "lpips", "lpips_squeeze": "lpips", "vgg_esrgan": "vgg", "gpl": "vgg"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY_SIBLINGS else n
                                  for n in ALL])
def test_run_inputs_are_finite_pulled_back_and_give_the_same_bits(name, built):
    """What a run hands every registered loss, checked on one built loss (its trunk built once):

    - a 33×47 crop (odd, non-square: a task's crop after its size multiple, a test image's own shape) at batch 1:
      a scalar, finite, with a finite gradient;
    - a prediction outside [0, 1] (a net's output before clamping, −0.2 … 1.2): the pixels outside get a gradient
      (a loss that clamped pred inside would leave them there: zero gradient);
    - determinism, and no state carried between calls (caches of windows, projections or constants keyed on
      shape, dtype or grad mode): the value is bit-identical after calls on another shape at batch 2, at float64
      and under bf16 autocast, to the value the backward pass was taken on."""
    loss = built(name)
    pred, target = _outside_pair()
    value, grad = _value_and_grad(loss, pred, target)
    assert value.ndim == 0 and torch.isfinite(value), value
    assert torch.isfinite(grad).all()
    outside = (pred > 1) | (pred < 0)
    assert outside.any() and grad[outside].abs().sum() > 0

    def once(p, t):
        return loss(p, t, **extra_inputs(loss, p)).detach()

    once(*_pair(n=2, h=35, w=33, seed=3))
    once(pred.double(), target.double())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        once(pred, target)
    assert torch.equal(once(pred, target), value)


# ------------------------------------------------------------- 6. a crop smaller than a trunk's pooling depth
@pytest.mark.parametrize("name", ALL)
def test_a_crop_too_small_for_the_trunk_names_the_side_that_runs(name, built):
    """``build_loss('lpips')(pred, target)`` on 9×17 crops (a user scoring small patches through the API) raised
    torch's 'Given input size: (64x1x3). Calculated output size: (64x0x1). Output size is too small': no trunk,
    no layer, no size. Now the trunk's error names itself, its deepest layer and the smallest side that runs
    (torch's words kept after it); that side runs and one pixel less does not."""
    import re

    from benchmark.backbones import ARCHS, Backbone

    loss = built(name)
    if not any(isinstance(m, Backbone) for m in loss.modules()):
        pytest.skip("no feature trunk")
    try:
        loss(*_pair(n=1, h=9, w=17))
    except RuntimeError as exc:
        m = re.search(r"backbone \S+: a 17×9 input is too small for layer '\w+' \(needs ≥ (\d+) px per side\): "
                      r".*Output size is too small", str(exc))
        assert m, str(exc)
        # the layer named is the one that failed (contextual at 2×2 named its tap relu3_4, though pool2 failed):
        # the trunk cut just before it runs at 9×17, and cut at it does not
        trunk = next(b for b in loss.modules() if isinstance(b, Backbone))
        names = ARCHS[trunk.arch].names
        failed = re.search(r"too small for layer '(\w+)'", str(exc)).group(1)
        at = names.index(failed)
        x = torch.rand(1, 3, 9, 17)
        if at > 0:
            Backbone(trunk.arch, (names[at - 1],), weights="random")(x)
        with pytest.raises(RuntimeError, match="Output size is too small"):
            Backbone(trunk.arch, (failed,), weights="random")(x)
        side = int(m.group(1))
        assert torch.isfinite(loss(*_pair(n=1, h=side, w=side)))
        with pytest.raises(RuntimeError, match=f"a {side - 1}×{side - 1} input is too small"):
            loss(*_pair(n=1, h=side - 1, w=side - 1))


def test_heavy_siblings_run_their_cheaper_siblings_forward():
    """The default suite leaves HEAVY_SIBLINGS to ``-m slow`` because their forward is the sibling's: keep it so."""
    for heavy, cheap in HEAVY_SIBLINGS.items():
        assert LOSSES.get(heavy).obj.forward is LOSSES.get(cheap).obj.forward, (heavy, cheap)

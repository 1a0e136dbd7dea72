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

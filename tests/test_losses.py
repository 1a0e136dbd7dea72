"""Every registered loss, for free: finite value and gradient, zero at pred == target,
batch-size independence, bf16 autocast close to fp32. Plus the spec parser and user loss files."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import extra_inputs

from benchmark.errors import UserError
from benchmark.lossfn import build_loss, canonical_spec, parse_loss_spec
from benchmark.registry import LOSSES, load_user_file

ALL = LOSSES.names()


def _pair(n=2, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(n, 3, size, size, generator=g)
    pred = (target + 0.1 * torch.randn(n, 3, size, size, generator=g)).clamp(0, 1)
    return pred, target




@pytest.mark.parametrize("name", ALL)
def test_finite_value_and_gradient(name, built):
    loss = built(name)
    pred, target = _pair()
    pred.requires_grad_(True)
    value = loss(pred, target, **extra_inputs(loss, pred))
    assert value.ndim == 0 and torch.isfinite(value)
    value.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()
    assert pred.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ALL)
def test_minimum_at_identity(name, built):
    loss = built(name)
    pred, target = _pair()
    at_target = float(loss(target.clone(), target, **extra_inputs(loss, target)))
    away = float(loss(pred, target, **extra_inputs(loss, pred)))
    assert abs(at_target) < 1e-4 or at_target < away
    assert at_target <= away + 1e-6


@pytest.mark.parametrize("name", ALL)
def test_batch_size_independence(name, built):
    """A loss is a mean over the batch: duplicating the batch does not change it."""
    loss = built(name)
    pred, target = _pair()
    one = loss(pred, target, **extra_inputs(loss, pred))
    two = loss(torch.cat([pred, pred]), torch.cat([target, target]), **extra_inputs(loss, torch.cat([pred, pred])))
    torch.testing.assert_close(one, two, rtol=1e-3, atol=1e-5)


#: losses whose one image's value depends on the others in its batch, as they declare (``batch_dependent``)
BATCH_DEPENDENT = ("ffl(batch_matrix=True)", "ffl(ave_spectrum=True)")


@pytest.mark.parametrize("name", ALL + list(BATCH_DEPENDENT))
def test_a_batch_of_different_images_is_the_mean_of_each_alone(name, built):
    """A loss is a mean over the batch of each image's own loss: a batch of two different images scores the mean of
    each alone (duplicating a batch cannot see a loss that reads the batch, as ``ffl(batch_matrix=True)``'s batch-wide
    maximum) — unless the loss declares itself ``batch_dependent``, and then truly is."""
    loss = built(name)
    pred, target = _pair()
    both = loss(pred, target, **extra_inputs(loss, pred))
    alone = torch.stack([loss(pred[i:i + 1], target[i:i + 1], **extra_inputs(loss, pred[i:i + 1])) for i in (0, 1)])
    assert loss.batch_dependent == (name in BATCH_DEPENDENT)
    if loss.batch_dependent:
        assert not torch.allclose(both, alone.mean(), rtol=1e-3, atol=1e-5)
    else:
        torch.testing.assert_close(both, alone.mean(), rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_bf16_autocast_close_to_fp32(name, built):
    loss = built(name)
    pred, target = _pair()
    ref = float(loss(pred, target, **extra_inputs(loss, pred)))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = loss(pred, target, **extra_inputs(loss, pred))
    assert torch.isfinite(low)
    assert abs(float(low) - ref) <= 0.05 * abs(ref) + 1e-3


@pytest.mark.parametrize("name", ALL)
def test_entry_metadata(name):
    e = LOSSES.get(name)
    assert e.version and e.citation and e.doc, f"{name}: give it a version, a citation and a docstring"


def test_weighted_sum_spec():
    assert canonical_spec("0.16*l1+0.84 * ms_ssim") == "0.16*l1 + 0.84*ms_ssim"
    assert canonical_spec("l1") == "l1"
    assert canonical_spec("charbonnier(eps=0.01)") == "charbonnier(eps=0.01)"
    pred, target = _pair()
    mix = build_loss("0.5*l1 + 2*l2")
    expect = 0.5 * (pred - target).abs().mean() + 2 * (pred - target).pow(2).mean()
    torch.testing.assert_close(mix(pred, target), expect)
    assert mix.provenance == "none"


def test_distinct_weights_keep_distinct_labels():
    """A weight is never rounded in the label (which is part of the run id): two weights that differ in
    the 7th digit are two losses, and common weights keep their short form."""
    a, b = canonical_spec("0.1234567*l1"), canonical_spec("0.1234568*l1")
    assert a != b and parse_loss_spec(a)[0].weight == 0.1234567
    assert canonical_spec("0.123456789*l1") == "0.123456789*l1"
    assert canonical_spec("100*l1 + 1e-05*l2") == "100*l1 + 1e-05*l2"


@pytest.mark.parametrize("bad,match", [("l1 +", "cannot parse"), ("l3", "did you mean .*l1"),
                                       ("-1*l1", "cannot parse|positive|products"), ("l1*l2", "number\\*loss"),
                                       ("charbonnier(eps=x)", "literals"), ("charbonnier(foo=1)", "bad arguments")])
def test_bad_specs(bad, match):
    with pytest.raises(UserError, match=match):
        build_loss(bad) if "(" in bad and "eps=x" not in bad else parse_loss_spec(bad)


def test_user_loss_file(tmp_path):
    f = tmp_path / "my_loss.py"
    f.write_text(textwrap.dedent('''
        import torch
        from benchmark.registry import register_loss

        @register_loss("my_l1_test", citation="a test")
        class MyL1(torch.nn.Module):
            """My L1."""
            def forward(self, pred, target):
                return (pred - target).abs().mean()
    '''))
    try:
        assert load_user_file(f) == ["my_l1_test"]
        assert LOSSES.get("my_l1_test").meta["file_sha256"]
        pred, target = _pair()
        torch.testing.assert_close(build_loss("my_l1_test")(pred, target), (pred - target).abs().mean())
    finally:
        LOSSES.remove("my_l1_test")


@pytest.mark.parametrize("body,match", [("raise RuntimeError('boom')", "failed to import: RuntimeError: boom"),
                                        ("x = 1", "registers no loss")])
def test_bad_user_loss_file(tmp_path, body, match):
    f = tmp_path / "bad_loss.py"
    f.write_text(body + "\n")
    with pytest.raises(UserError, match=match):
        load_user_file(f)


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="already registered"):
        LOSSES.add("l1", object())


def test_listing_losses_is_fast_and_light():
    """Listing the registry must not import heavy optional dependencies (lpips, pyiqa)."""
    code = ("import sys; from benchmark.registry import LOSSES; LOSSES.names(); "
            "print(','.join(m for m in ('lpips', 'pyiqa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_repeated_terms_with_list_or_dict_arguments():
    """Keyword values may be lists or dicts: the repeated-term check must not need them hashable."""
    from benchmark.errors import UserError

    with pytest.raises(UserError, match="appears twice"):
        parse_loss_spec("contextual(layers=('relu2_2',)) + 0.5*contextual(layers=('relu2_2',))")
    assert len(parse_loss_spec("charbonnier(eps=0.01) + charbonnier(eps=0.001)")) == 2
    with pytest.raises(UserError, match="expects a sequence of str"):  # a dict value: its type check, not a crash
        build_loss("contextual(layers={'a': 1})")

"""Loss-zoo leftovers (probe zoo 9): inputs the API takes that runs never hand a loss, small sizes' messages
and documented minimum sizes. Tiny tensors, seeded random-init trunks."""

from __future__ import annotations

import pytest
import torch

from benchmark.lossfn import build_loss


def test_pdl_proj_takes_a_grey_input_as_its_grey_rgb_and_refuses_other_channel_counts():
    loss = build_loss("pdl_proj(layers=('relu1_2',))", seed=0, weights="random")
    g = torch.Generator().manual_seed(0)
    t = torch.rand(2, 1, 12, 12, generator=g)
    p = (t + 0.1 * torch.randn(2, 1, 12, 12, generator=g)).clamp(0, 1)
    grey = loss(p, t)
    assert torch.allclose(grey, loss(p.expand(-1, 3, -1, -1), t.expand(-1, 3, -1, -1)))
    with pytest.raises(ValueError, match="needs 1 or 3 channels"):
        loss(torch.rand(2, 2, 12, 12), torch.rand(2, 2, 12, 12))


@pytest.mark.parametrize("levels", [2, 3, 5])
def test_ms_ssim_too_small_names_the_smallest_side_that_runs(levels):
    """An 8×8 pair said only 'image too small for 5-level MS-SSIM' and the docstring said ≥ 16 px, though 9 runs."""
    from losses.ssim import ms_ssim

    def runs(side):
        try:
            ms_ssim(torch.rand(1, 3, side, side), torch.rand(1, 3, side, side), levels=levels)
            return True
        except ValueError:
            return False

    smallest = next(s for s in range(1, 64) if runs(s))
    assert all(runs(s) for s in range(smallest, smallest + 4))  # not a lucky size: every larger one runs
    with pytest.raises(ValueError, match=rf"needs ≥ {smallest} px per side"):
        ms_ssim(torch.rand(1, 3, smallest - 1, smallest + 5), torch.rand(1, 3, smallest - 1, smallest + 5),
                levels=levels)


@pytest.mark.parametrize("name", ["csr", "contrique"])
def test_resnet_losses_state_the_smallest_side_they_run_on(name):
    """csr's docstring said ≥ 32 px and contrique's ≥ 64 px; both ran (finite value and gradient) at 2 px. The
    docstring's Args line names the smallest side that runs; one below it is a ValueError naming that side."""
    import re

    from benchmark.registry import LOSSES

    loss = build_loss(name, seed=0, weights="random")

    def runs(side):
        p = torch.rand(1, 3, side, side + 3, requires_grad=True)
        try:
            v = loss(p, torch.rand(1, 3, side, side + 3))
        except ValueError:
            return False
        v.backward()
        return bool(torch.isfinite(v)) and bool(torch.isfinite(p.grad).all())

    smallest = next(s for s in range(1, 9) if runs(s))
    doc = LOSSES.get(name).obj.__doc__
    stated = re.search(r"pred, target: .*?≥ (\d+) px per side", doc, re.S)
    assert stated and int(stated.group(1)) == smallest, doc
    if smallest > 1:
        with pytest.raises(ValueError, match=rf"≥ {smallest} px per side"):
            loss(torch.rand(1, 3, smallest - 1, 9), torch.rand(1, 3, smallest - 1, 9))


def test_contextual_on_a_2px_crop_names_the_pooling_that_failed_not_its_tap():
    """contextual at 2×2 said 'too small for layer relu3_4' (its deepest tap), though pool2 left no map."""
    loss = build_loss("contextual", seed=0, weights="random")
    with pytest.raises(RuntimeError, match=r"a 2×2 input is too small for layer 'pool2' \(needs ≥ \d+ px"):
        loss(torch.rand(1, 3, 2, 2), torch.rand(1, 3, 2, 2))


def test_psycho_probe_too_small_names_the_failing_layer_and_the_trunks_min_side():
    """psycho searched its probe size with its own copy of the trunk-size search (Backbone.min_side's twin) and
    named its deepest tap: probe_size=8 up to relu5_3 blamed relu5_3 though pool4 left no map. Now the trunk's
    own min_side and failing layer are what it says."""
    import re

    from benchmark.backbones import ARCHS, Backbone
    from benchmark.errors import UserError

    with pytest.raises(UserError) as info:
        build_loss("psycho(probe_size=8, layers=('relu1_2', 'relu5_3'))", seed=0, weights="random")
    msg = str(info.value)
    trunk = Backbone("vgg16", ("relu1_2", "relu5_3"), weights="random")
    assert f"use probe_size ≥ {trunk.min_side()}" in msg, msg
    failed = re.search(r"too small for layer '(\w+)'", msg).group(1)
    names, x = ARCHS["vgg16"].names, torch.full((1, 3, 8, 8), 0.5)
    Backbone("vgg16", (names[names.index(failed) - 1],), weights="random")(x)  # runs up to just before it
    with pytest.raises(RuntimeError, match="Output size is too small"):
        Backbone("vgg16", (failed,), weights="random")(x)


def test_contextual_refuses_a_layer_with_one_feature_position():
    """On 4–7 px crops relu3_4 is one position: CX of one feature against one is 1, so the loss was exactly 0
    with a zero gradient for any pred — a silent wrong value through the API. One position is now a ValueError
    naming the layer; a map with two positions (4×8 px: 1×2 at relu3_4) still gives a value."""
    loss = build_loss("contextual", seed=0, weights="random")
    g = torch.Generator().manual_seed(0)
    for h, w in ((4, 4), (7, 7), (5, 6)):
        with pytest.raises(ValueError, match=r"contextual: layer 'relu3_4' has one feature position \(1×1\)"):
            loss(torch.rand(1, 3, h, w, generator=g), torch.rand(1, 3, h, w, generator=g))
    assert torch.isfinite(loss(torch.rand(1, 3, 4, 8, generator=g), torch.rand(1, 3, 4, 8, generator=g)))


@pytest.mark.slow  # the refusal's crop-ladder search runs the loss up to 256 px (~25 s on 2 cores)
def test_planning_names_the_small_h_that_makes_the_contextual_loss_flat():
    """contextual(h=0.001) (or 0.01) is exactly 0 for the degraded input as for the target on 64-px crops: its
    affinities saturate. Planning refused it but blamed the crop ('it runs from --crop 256'); it now says the
    default h (0.5) depends on pred there, which the same planning check confirms."""
    import inspect

    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_on_crop
    from benchmark.registry import LOSSES
    from benchmark.task import build_task

    default = inspect.signature(LOSSES.get("contextual").obj).parameters["h"].default
    tasks = [build_task("denoise")]
    with pytest.raises(UserError, match=rf"contextual's default h={default:g} it does depend on pred: h=0.001 is "
                                        "what makes it flat"):
        check_loss_on_crop("contextual(h=0.001)", build_loss("contextual(h=0.001)", seed=0, weights="random"),
                           tasks, crop=64)
    check_loss_on_crop("contextual", build_loss("contextual", seed=0, weights="random"), tasks, crop=64)


@pytest.mark.parametrize("name", [n for n in __import__("benchmark.registry", fromlist=["LOSSES"]).LOSSES.names()
                                  if n != "psycho"])  # psycho probes its trunk at build (tests/test_probe_zoo8.py)
def test_a_trunk_loss_on_two_or_four_channels_is_one_line_naming_the_channels(name, built):
    """Every feature loss on an (N, 4, H, W) pair (RGBA through the API) failed with torch's broadcast error 'The
    size of tensor a (4) must match the size of tensor b (3)': no loss, no trunk, no channel count. A grey pair
    runs (the normalisation broadcasts it) and stays allowed."""
    from benchmark.backbones import Backbone

    loss = built(name)
    if not any(isinstance(m, Backbone) for m in loss.modules()):
        pytest.skip("no feature trunk")
    for c in (2, 4):
        with pytest.raises(ValueError, match=rf"needs 1 or 3 channels.*got {c}"):
            loss(torch.rand(1, c, 16, 16), torch.rand(1, c, 16, 16))
    assert torch.isfinite(loss(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)))


def test_contextual_warns_once_when_its_affinities_saturate_to_a_zero_loss(caplog):
    """contextual(layers=('relu4_4',)) on 16–18 px crops (2×2 positions), or contextual(h=0.01) on 32 px, was
    exactly 0 with an all-zero gradient for a pred visibly off the target, silently through the API. The first
    call of a module now logs a warning naming the layer, its positions and h (no per-call host sync: a second
    call checks nothing); at pred == target or where the loss moves, nothing is said."""
    g = torch.Generator().manual_seed(0)

    def pair(side):
        t = torch.rand(2, 3, side, side, generator=g)
        return (t + 0.1 * torch.randn(t.shape, generator=g)).clamp(0, 1).requires_grad_(), t

    for spec, side, layer, positions in (("contextual(layers=('relu4_4',))", 16, "relu4_4", 4),
                                         ("contextual(h=0.01)", 32, "relu3_4", 64)):
        loss = build_loss(spec, seed=0, weights="random")
        p, t = pair(side)
        caplog.clear()
        with caplog.at_level("WARNING", logger="losses.contextual"):
            v = loss(p, t)
            v.backward()
            assert float(v) == 0 and not p.grad.any()  # the defect itself: 0, no gradient, pred ≠ target
            loss(*pair(side))  # a later call: no check, no second warning
        said = [r.getMessage() for r in caplog.records if r.name == "losses.contextual"]
        assert len(said) == 1, said
        assert f"layer '{layer}' ({positions} feature positions on a {side}×{side} input" in said[0]
        assert "exactly 0 with no gradient" in said[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="losses.contextual"):
        t = torch.rand(2, 3, 16, 16, generator=g)
        build_loss("contextual(layers=('relu4_4',))", seed=0, weights="random")(t.clone(), t)  # pred == target
        p, t = pair(32)
        assert float(build_loss("contextual", seed=0, weights="random")(p, t)) > 0  # the default moves: no word
    assert not [r for r in caplog.records if r.name == "losses.contextual"]


@pytest.mark.parametrize("max_positions", [1, 3])
def test_contextual_refuses_a_max_positions_that_pools_a_layer_to_one_position(max_positions):
    """contextual(max_positions=1) (or 2, 3: the halving goes 16×16 → 2×2 = 4 > 3 → 1×1) on 64-px crops pooled
    relu3_4's 16×16 map to one position: the loss was exactly 0 with a zero gradient for any pred, as the 1×1
    map refused by name. It is now a ValueError naming max_positions; 4 (a 2×2 map) still gives a value."""
    g = torch.Generator().manual_seed(0)
    t, p = torch.rand(1, 3, 64, 64, generator=g), torch.rand(1, 3, 64, 64, generator=g)
    with pytest.raises(ValueError, match=rf"contextual: max_positions={max_positions} pools layer 'relu3_4' "
                                         r"\(16×16 positions on a 64×64 input\) to one position"):
        build_loss(f"contextual(max_positions={max_positions})", seed=0, weights="random")(p, t)
    assert torch.isfinite(build_loss("contextual(max_positions=4)", seed=0, weights="random")(p, t))


def test_contextual_saturated_by_max_positions_names_it_not_the_crop(caplog):
    """contextual(max_positions=4) on 64-px crops pools relu3_4 to 2×2 and saturates (0, no gradient) for an
    unrelated pred; the first-call warning advised 'use larger crops' — which pool to the same 2×2. It now says
    the map was pooled by max_positions and advises raising it."""
    g = torch.Generator().manual_seed(0)
    t, p = torch.rand(1, 3, 64, 64, generator=g), torch.rand(1, 3, 64, 64, generator=g)
    with caplog.at_level("WARNING", logger="losses.contextual"):
        assert float(build_loss("contextual(max_positions=4)", seed=0, weights="random")(p, t)) == 0
    said = [r.getMessage() for r in caplog.records if r.name == "losses.contextual"]
    assert len(said) == 1 and "(4 feature positions pooled from 16×16 by max_positions=4" in said[0], said
    assert "use a larger max_positions" in said[0] and "larger crops" not in said[0]

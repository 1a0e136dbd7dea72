"""Review of the loss zoo numerics (zoo7): the cost of the planning diagnosis of a weighted sum's term
shares, the trunk policy in run ids, and CONTRIQUE's cosine distance at pred == target."""

from __future__ import annotations

import logging

import pytest
import torch

pytestmark = pytest.mark.usefixtures("one_thread")


def test_term_shares_are_probed_on_small_crops_when_planned(monkeypatch, caplog):
    """a backward through a feature trunk on the grid's own crop (256 px: 8 s of CPU per spec) for a
    diagnosis that mostly does not depend on the crop: it probes PROBE_SIDE px, as the flat checks do, and
    measures the grid's own crop only to confirm a small share before saying it"""
    from benchmark import lossfn
    from benchmark.task import build_task

    sides = []
    real = lossfn.term_gradient_shares

    def spy(loss, pred, target, **extra):
        sides.append(pred.shape[-1])
        return real(loss, pred, target, **extra)

    monkeypatch.setattr(lossfn, "term_gradient_shares", spy)
    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        lossfn.check_loss_on_crop("l1 + lpips", lossfn.build_loss("l1 + lpips", weights="random"),
                                  [build_task("denoise")], crop=96)
    assert sides == [lossfn.PROBE_SIDE]
    assert not [r for r in caplog.records if "not normalised" in r.getMessage()]
    sides.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        lossfn.check_loss_on_crop("l1 + 0.1*style", lossfn.build_loss("l1 + 0.1*style", weights="random"),
                                  [build_task("denoise")], crop=96)
    assert sides == [lossfn.PROBE_SIDE, 96]
    [msg] = [r.getMessage() for r in caplog.records if "not normalised" in r.getMessage()]
    assert "on 96×96 crops" in msg and "trains nearly as l1 alone" in msg


def test_a_term_saturated_on_the_small_probe_is_not_named(caplog):
    """the contextual loss saturates on 32 px crops (share 0.001 %) but has 65 % of l1 + contextual's gradient
    on the grid's 128 px: a probe on small crops alone would have named it"""
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.task import build_task

    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        check_loss_on_crop("l1 + contextual", build_loss("l1 + contextual", weights="random"),
                           [build_task("denoise")], crop=128)
    assert not [r for r in caplog.records if "not normalised" in r.getMessage()]


def test_term_shares_fall_back_to_the_grid_crop_when_the_probe_crop_fails(monkeypatch, caplog):
    from benchmark import lossfn
    from benchmark.task import build_task

    sides = []
    real = lossfn.term_gradient_shares

    def needs_64(loss, pred, target, **extra):  # a term whose forward fails under 64 px
        sides.append(pred.shape[-1])
        if pred.shape[-1] < 64:
            raise RuntimeError("input too small")
        return real(loss, pred, target, **extra)

    monkeypatch.setattr(lossfn, "term_gradient_shares", needs_64)
    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        lossfn.check_loss_on_crop("l1 + 0.1*style", lossfn.build_loss("l1 + 0.1*style", weights="random"),
                                  [build_task("denoise")], crop=64)
    assert sides == [lossfn.PROBE_SIDE, 64]
    assert [r for r in caplog.records if "on 64×64 crops" in r.getMessage()]


@pytest.mark.parametrize("normalize", [True, False])
def test_contrique_cosine_is_zero_at_pred_equal_target_on_black_crops(normalize):
    """a random-init encoder maps a black crop to all-zero features: 1 − cos was 1 − 0 = 1 at pred == target
    (its docstring: 0); the gradient there is the same (none through a zero vector)"""
    from benchmark.lossfn import build_loss

    loss = build_loss(f"contrique(distance='cosine', normalize={normalize})", weights="random")
    black = torch.zeros(2, 3, 64, 64)
    assert float(loss(black, black.clone())) == 0.0
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert float(loss(x, x.clone())) == pytest.approx(0.0, abs=1e-6)
    pred = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    assert float(loss(pred, x)) > 1e-6


def test_bf16_run_ids_follow_the_trunk_setting_not_only_the_policy_constant(monkeypatch):
    """TRUNK_FP32 = False builds the bf16 trunks of policy "1" (DISTS and CONTRIQUE pass fp32=True): its
    runs had the ids of float32-trunk runs (TRUNK_POLICY "2") and were resumed, and pooled, as those"""
    import benchmark.precision as P
    from benchmark.backbones import Backbone
    from benchmark.config import RunConfig, run_id

    cfg = RunConfig(task="denoise", loss="vgg", device_type="cuda", precision="bf16")
    fp32_trunk = run_id(cfg)
    monkeypatch.setattr(P, "TRUNK_FP32", False)
    assert Backbone("vgg16", ("relu1_2",), weights="random").fp32 is False
    bf16_trunk = run_id(cfg)
    monkeypatch.setattr(P, "TRUNK_POLICY", "1")
    monkeypatch.setattr(P, "TRUNK_FP32", True)
    assert bf16_trunk != fp32_trunk and bf16_trunk == run_id(cfg)  # the earlier policy's ids


def test_bf16_rows_of_trunk_losses_name_the_trunk_policy_so_policies_are_never_pooled():
    """the trunk policy was in bf16 run ids but in no row: a store's bf16 vgg runs of the earlier bf16 trunks
    and the float32-trunk runs had one label, pooled in a leaderboard as more seeds of one loss"""
    import pandas as pd

    from benchmark.config import RunConfig
    from benchmark.lossfn import loss_versions
    from benchmark.runner import _row_args
    from benchmark.stats import labels

    v = loss_versions("vgg")["vgg"]
    bf16 = dict(device_type="cuda", precision="bf16")
    assert _row_args(RunConfig(task="denoise", loss="vgg", **bf16), "1")["loss_version"] == f"vgg={v}:t2"
    assert _row_args(RunConfig(task="denoise", loss="l1 + vgg", **bf16), "1")["loss_version"] == \
        f"l1={loss_versions('l1')['l1']},vgg={v}:t2"
    assert _row_args(RunConfig(task="denoise", loss="vgg"), "1")["loss_version"] == f"vgg={v}"  # CPU: as before
    assert _row_args(RunConfig(task="denoise", loss="l1", backbone_weights="none", **bf16), "1")["loss_version"] \
        == f"l1={loss_versions('l1')['l1']}"

    old = {"loss": "vgg", "weights": "vgg16:random", "loss_version": f"vgg={v}"}
    new = {**old, "loss_version": f"vgg={v}:t2"}
    both = labels(pd.DataFrame([old, new]))
    assert both[0] != both[1]
    assert labels(pd.DataFrame([new, new])).nunique() == 1


def test_a_job_whose_trunk_policy_changed_since_submission_says_so(monkeypatch):
    """the trunk policy is part of a bf16 trunk run's id but not of what a job's refusal names: a job whose
    node ran another policy than the driver said only 'changed since the grid was submitted: its identity'"""
    import benchmark.executors as ex
    import benchmark.precision as P
    from benchmark.config import RunConfig, run_id
    from benchmark.errors import UserError

    cfg = RunConfig(task="denoise", loss="vgg", device_type="cuda", precision="bf16")
    monkeypatch.setattr(P, "TRUNK_POLICY", "1")
    unit = ex.WorkUnit((cfg,), ".", ("psnr",), "cpu", planned=((run_id(cfg), ex._identity(cfg)),))
    monkeypatch.setattr(P, "TRUNK_POLICY", "2")
    with pytest.raises(UserError, match=r"changed since the grid was submitted: trunk policy 1 → 2 \(run "):
        ex.check_planned(unit)


def test_a_bf16_trunk_is_what_the_policy_measured_it_to_be():
    """README and benchmark.precision give the bf16 trunk's gradient cosine to float32 near the identity
    (0.39–0.51 for vgg_esrgan at σ = 0.002, CPU autocast; the figure depends on the CPU's bf16 kernels:
    0.51 on one Xeon, 0.39 on one with AMX-BF16) as the reason for the float32 trunks; no test held it.
    The exact figure is the CPU's; what holds on any CPU: the bf16 trunk's gradient is far from float32's,
    the policy's float32 trunk under the same autocast is not"""
    import torch.nn.functional as F

    from benchmark.backbones import Backbone
    from benchmark.lossfn import build_loss
    from benchmark.precision import TRUNK_COSINE_BOUND

    loss = build_loss("vgg_esrgan", seed=0, weights="random")
    trunks = [m for m in loss.modules() if isinstance(m, Backbone)]
    assert trunks
    g = torch.Generator().manual_seed(0)
    target = 0.1 + 0.8 * torch.rand(2, 3, 48, 48, generator=g)
    pred0 = target + 0.002 * torch.randn(target.shape, generator=g)

    def grad(bf16: bool) -> torch.Tensor:
        pred = pred0.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            value = loss(pred * 1.0, target)
        return torch.autograd.grad(value, pred)[0].double().flatten()

    exact = grad(False)
    assert float(F.cosine_similarity(grad(True), exact, dim=0)) >= TRUNK_COSINE_BOUND  # the policy: fp32 trunk
    for m in trunks:
        m.fp32 = False  # the earlier policy's bf16 trunk
    assert 0.2 < float(F.cosine_similarity(grad(True), exact, dim=0)) < 0.7

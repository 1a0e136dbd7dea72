"""Convergence (issue 21): the plateau statistic on known curves, half-budget scores recorded by the
runner without changing training, unconverged runs marked on the leaderboard, and findings parts
whose arms are not converged — or whose sign flips between ½ budget and the end — unsettled."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmark import convergence as C
from benchmark.findings import check_all
from benchmark.results import ResultsStore
from benchmark.synthetic import synthetic_runs, write_store

FIVE = tuple(range(5))


def _curve(f, T=300, every=6):
    return [[it, float(f(it))] for it in range(every, T + 1, every)]


def test_plateau_status_of_known_curves():
    rng = np.random.default_rng(0)
    flat = _curve(lambda it: 0.05 + np.exp(-it / 10))
    falling = _curve(lambda it: 1.0 - it / 400)                   # still falling steeply at the end
    noisy = _curve(lambda it: 0.05 * (1 + 0.5 * rng.normal()))    # batch noise ≫ any trend
    assert C.status(flat, 300) == "converged" and C.plateau(flat, 300) < 0.01
    assert C.status(falling, 300) == "unconverged"
    # windows (180, 240] and (240, 300]: mean iterations 213 and 273 → drop (60/400) / (1 − 273/400)
    assert C.plateau(falling, 300) == pytest.approx((60 / 400) / (1 - 273 / 400))
    assert C.status(noisy, 300) == "unclear"
    assert C.status([[1, 1.0], [2, 0.9]], 2) == "unknown"
    assert C.converged({"loss_curve": falling, "config": {"iterations": 300}}) is False
    assert C.converged({"loss_curve": flat, "config": {"iterations": 300}}) is True


def test_kendall_tau():
    assert C.kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert C.kendall_tau([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    assert np.isnan(C.kendall_tau([1, 2], [1, 2]))


@pytest.mark.usefixtures("one_thread")
def test_runner_scores_at_half_budget_without_changing_training(tmp_path, random_images):
    from benchmark.config import RunConfig, run_id
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 48)
    cfg = resolve_all([RunConfig(task="denoise", loss="l1", iterations=8, batch_size=2, crop=32, train_data=data,
                                 test_data=(data,))])[0]
    store = ResultsStore(tmp_path / "r")
    run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
    meta = store.meta(run_id(cfg))
    half = json.loads((store.run_dir(run_id(cfg)) / "half.json").read_text())
    assert half["iteration"] == 4 and meta["half_eval"] == half and len(half["items"]) == 3
    assert set(half["means"]) == {"psnr"} and np.isfinite(half["means"]["psnr"])
    # the hook evaluates in no_grad and eval mode, then restores: training is bit-identical without it
    from benchmark.data import load_images
    from benchmark.runner import train
    from benchmark.task import build_task

    images = load_images(data)
    a = train(cfg, build_task("denoise"), images, torch.device("cpu"))
    calls = []
    b = train(cfg, build_task("denoise"), images, torch.device("cpu"), midway=lambda net, it: calls.append(it))
    assert calls == [4] and a.curve == b.curve and a.final_loss == b.final_loss


def test_leaderboard_marks_unconverged_runs_and_budget_stability(tmp_path):
    from benchmark.report import write_report

    write_store(tmp_path, tasks=("sr4",), metrics=("psnr", "ssim"), seeds=FIVE, unconverged=("bad",),
                half_offsets={"good": -1.0, "bad": 1.0})  # the ranking at ½ budget is reversed for those two
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=100)
    md = (tmp_path / "leaderboard.md").read_text()
    assert "Not shown converged: 5 of 20 runs" in md and "sr4/bad 5 of 5" in md
    assert "| unconv. |" in md and "| 5/5 |" in md and "| 0/5 |" in md
    assert "Budget stability: Kendall τ" in md and "the ranking still moves in sr4" in md


def test_findings_parts_with_unconverged_arms_are_unsettled(tmp_path):
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0},
                unconverged=("l2",))
    store = ResultsStore(tmp_path)
    (r,) = check_all(store.table(), ["zhao2017_l1_vs_l2"], metas=store.metas())
    (p,) = r.parts
    assert p.verdict == C.UNSETTLED and "5 of 5 runs of l2 not shown converged" in p.note
    assert r.verdict == "inconclusive" and "1 unsettled (not converged)" in r.tally()
    (plain,) = check_all(store.table(), ["zhao2017_l1_vs_l2"])  # without the run records: not known
    assert plain.verdict == "reproduced"


def test_findings_part_whose_sign_flips_at_half_budget_is_unsettled(tmp_path):
    write_store(tmp_path / "moving", tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0},
                half_offsets={"l1": -0.6})  # l1 behind l2 at ½ budget, ahead at the end
    store = ResultsStore(tmp_path / "moving")
    (r,) = check_all(store.table(), ["zhao2017_l1_vs_l2"], metas=store.metas())
    (p,) = r.parts
    assert p.verdict == C.UNSETTLED and "changes sign between ½ budget" in p.note
    write_store(tmp_path / "steady", tasks=("sr4",), metrics=("psnr",), seeds=FIVE, offsets={"l1": 0.6, "l2": 0.0})
    s2 = ResultsStore(tmp_path / "steady")
    (ok,) = check_all(s2.table(), ["zhao2017_l1_vs_l2"], metas=s2.metas())
    assert ok.verdict == "reproduced"


def test_synthetic_curves_are_converged_unless_asked():
    st = {meta["config"]["loss"]: C.converged(meta) for _, meta, _ in synthetic_runs(unconverged=("bad",))
          if "config" in meta}
    assert st == {"l1": True, "l1_twin": True, "good": True, "bad": False}


def test_smoke_test_is_said_plainly(tmp_path):
    """Runs not shown converged or < 5 seeds: the leaderboard and the P–D plane say it is a smoke test."""
    from benchmark import stats as S
    from benchmark.figures import draw_pd_plane
    from benchmark.report import write_report
    from benchmark.synthetic import synthetic_table

    write_store(tmp_path / "few", tasks=("sr4",), metrics=("psnr", "vsi"), seeds=(0, 1),
                weights={"vgg": "vgg16:random(seed=0)"}, offsets={"l1": 0.0, "vgg": 0.5})
    write_report(ResultsStore(tmp_path / "few"), html=False, visual=False, n_boot=100)
    md = (tmp_path / "few" / "leaderboard.md").read_text()
    assert "> Smoke test, not a ranking: 2 run(s) per loss where a verdict needs ≥ 5 — no verdicts." in md
    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "vsi"), seeds=FIVE, offsets={"l1": 0.0, "vgg": 0.5})
    metas = [m for _, m, _ in synthetic_runs(tasks=("sr4",), metrics=("psnr", "vsi"), seeds=FIVE,
                                             offsets={"l1": 0.0, "vgg": 0.5}, unconverged=("vgg",))]
    st = S.compute(t, metas, n_boot=50)
    assert S.smoke_test(st).startswith("Smoke test, not a ranking: 5 of 10 runs not shown converged")
    fig = draw_pd_plane(st, None, None)
    assert "Smoke test" in fig._suptitle.get_text()
    assert S.smoke_test(S.compute(t, [m for m in metas if m.get("config", {}).get("loss") != "vgg"] +
                                  [m for _, m, _ in synthetic_runs(tasks=("sr4",), metrics=("psnr", "vsi"), seeds=FIVE,
                                                                   offsets={"vgg": 0.5})
                                   if "config" in m], n_boot=50)) == ""


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("loss,device_path", [("l1", False), ("l1", True), ("pdl", False)])
def test_probe_curve_is_recorded_without_changing_training(random_images, loss, device_path):
    """The probe (fixed training crops, TrainStep.probe) is read at the curve points of the last 40 %;
    the net, the training curve and the loss's own generators (pdl draws random projections per call)
    are bit-identical with and without it."""
    from benchmark.config import RunConfig
    from benchmark.data import load_images
    from benchmark.runner import resolve_all, train
    from benchmark.task import build_task

    data = random_images(3, 48)
    cfg = resolve_all([RunConfig(task="denoise", loss=loss, iterations=10, batch_size=2, crop=32, train_data=data,
                                 test_data=(data,), backbone_weights="random")])[0]
    images, dev = load_images(data), torch.device("cpu")
    a = train(cfg, build_task("denoise"), images, dev, device_path=device_path)
    b = train(cfg, build_task("denoise"), images, dev, device_path=device_path, probe=False)
    assert [i for i, _ in a.probe_curve] == [7, 8, 9, 10] and b.probe_curve == []
    assert all(np.isfinite(v) and v > 0 for _, v in a.probe_curve)
    assert a.curve == b.curve
    sa, sb = a.net.state_dict(), b.net.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_the_probe_curve_is_a_diagnostic_and_the_verdict_reads_the_training_curve():
    """A flat probe does not make a run converged: under a cosine schedule the tail of a short run is
    flat whether or not it is trained (measured on the quick profile: README, *Convergence*)."""
    rng = np.random.default_rng(1)
    noisy = _curve(lambda it: 0.05 * (1 + 0.5 * rng.normal()))    # content noise of the batch losses
    probe = [p for p in _curve(lambda it: 0.05 + np.exp(-it / 10)) if p[0] > 180]   # fixed crops: flat
    meta = {"loss_curve": noisy, "probe_curve": probe, "config": {"iterations": 300}}
    assert C.curve_of(meta) == probe and C.converged(meta) is False
    assert C.curve_of({**meta, "probe_curve": probe[:3]}) == noisy  # too short to measure
    table = C.run_table([{**meta, "run_id": "r", "status": "ok", "config": {**meta["config"], "task": "t",
                                                                             "loss": "l", "seed": 0}}])
    assert table["converged"].tolist() == [False] and table["plateau_probe"].iloc[0] < 0.01

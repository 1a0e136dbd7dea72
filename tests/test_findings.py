"""Every registered finding on synthetic results tables with known answers: reproduced,
contradicted, inconclusive, needs weights, not applicable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.findings import (
    FINDINGS,
    NONINFERIORITY,
    VERDICTS,
    Arm,
    FindingResult,
    check_all,
    paired_bootstrap,
    parts_frame,
    to_markdown,
    weights_class,
)
from benchmark.synthetic import SCALE, synthetic_table, write_store

R16, R19, PRE = "vgg16:random(seed=0)", "vgg19:random(seed=0)", "vgg16:IMAGENET1K_V1"
ZHAO_TASKS = ("sr4", "jpeg", "demosaic")
PIXEL = ("psnr", "ssim", "ms_ssim")
PERC = ("psnr", "vsi", "gmsd")


def run(name: str, **kw) -> FindingResult:
    kw.setdefault("n_images", 16)
    kw.setdefault("seeds", (0, 1, 2))
    results = check_all(synthetic_table(**kw), [name], n_boot=400)
    assert len(results) == 1
    assert results[0].verdict in VERDICTS
    return results[0]


def test_registry_holds_the_issue_claims():
    assert {"zhao2017_l1_vs_l2", "zhao2017_mix_best", "liu2021_random_vgg", "blau2018_pd_tradeoff",
            "delbracio2021_pdl", "ding2021_dists_lpips"} <= set(FINDINGS.names())
    for e in FINDINGS.entries():
        assert e.citation and e.meta.get("source") and e.obj.claim, e.name


def test_weights_class():
    assert weights_class("none") == "none" and weights_class(None) == "none" and weights_class(float("nan")) == "none"
    assert weights_class(R16) == "random"
    assert weights_class("alexnet:random(seed=0)+lpips:alex:v0.1") == "random"  # the trunk decides
    assert weights_class(PRE) == "pretrained"
    assert weights_class("tinycnn:selftrained(contrique-abc)") == "selftrained"
    assert Arm("vgg", R16).label == "vgg [vgg16:random]"  # seeds pooled, as on the leaderboard


# --- Zhao et al. 2017 --------------------------------------------------------------------------
def test_zhao_l1_vs_l2_reproduced():
    r = run("zhao2017_l1_vs_l2", tasks=ZHAO_TASKS, metrics=PIXEL, offsets={"l1": 0.6, "l2": 0.0})
    assert r.verdict == "reproduced"
    assert len(r.parts) == 9 and all(p.verdict == "reproduced" for p in r.parts)
    assert all(p.counted for p in r.parts)  # l2 on PSNR is circular, and the point of the claim
    h = r.headline
    assert h.ci_low > 0 and h.p_adj < 0.05 and h.relation == "at_least"
    assert "16 images" in r.setting and "3 seeds" in r.setting


def test_zhao_l1_vs_l2_contradicted():
    r = run("zhao2017_l1_vs_l2", tasks=ZHAO_TASKS, metrics=PIXEL, offsets={"l1": -0.6, "l2": 0.0})
    assert r.verdict == "contradicted"
    assert r.headline.ci_high < -r.headline.margin and r.headline.effect < 0


def test_zhao_identical_losses_are_non_inferior():
    """ℓ1 ≥ ℓ2 is a non-inferiority claim: equal losses reproduce it (within 5% of ℓ2's gain)."""
    r = run("zhao2017_l1_vs_l2", tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, n_images=30)
    assert r.verdict == "reproduced"
    p = r.parts[0]
    gain = 3.0 * SCALE["psnr"]  # synthetic input is 3 units worse
    assert p.margin == pytest.approx(NONINFERIORITY * gain, rel=0.15)
    assert p.ci_low > -p.margin and p.ci_low < 0 < p.ci_high


def test_zhao_inconclusive_with_three_images():
    r = run("zhao2017_l1_vs_l2", tasks=ZHAO_TASKS, metrics=PIXEL, offsets={"l1": 0.6, "l2": 0.0}, n_images=3)
    assert r.verdict == "inconclusive"
    assert all(p.verdict == "inconclusive" for p in r.parts)
    assert "3 images: no Wilcoxon p can be below 0.25" in r.parts[0].note


def test_zhao_not_applicable_without_its_tasks():
    r = run("zhao2017_l1_vs_l2", tasks=("denoise",), metrics=PIXEL, offsets={"l1": 0.6, "l2": 0.0})
    assert r.verdict == "not applicable" and "sr4/jpeg/demosaic" in r.reason and not r.parts


def test_zhao_mix_best():
    rivals = {"l1": 0.0, "l2": 0.0, "ssim": -0.2, "ms_ssim": 0.1}
    r = run("zhao2017_mix_best", tasks=("sr4", "jpeg"), metrics=PIXEL, offsets={"ms_ssim_l1": 1.0, **rivals})
    assert r.verdict == "reproduced" and len(r.parts) == 2 * 4 * 3
    r = run("zhao2017_mix_best", tasks=("sr4", "jpeg"), metrics=PIXEL, offsets={"ms_ssim_l1": -1.0, **rivals})
    assert r.verdict == "contradicted"
    r = run("zhao2017_mix_best", tasks=("sr4",), metrics=PIXEL, offsets={"l1": 0.0, "l2": 0.0})
    assert r.verdict == "not applicable" and "ms_ssim_l1" in r.reason


# --- Liu et al. 2021 ---------------------------------------------------------------------------
def test_liu_random_vgg():
    better = {"vsi": 1.0, "gmsd": 1.0, "psnr": -0.5}
    kw = dict(tasks=("sr4", "denoise"), metrics=PERC, weights={"gpl": R19, "vgg": R16})
    r = run("liu2021_random_vgg", offsets={"gpl": better, "l2": 0.0}, **kw)
    assert r.verdict == "reproduced"
    assert {p.metric for p in r.parts} == {"vsi", "gmsd"}  # perceptual metrics only, not PSNR
    assert all(p.a.startswith("gpl [vgg19:random") for p in r.parts)
    worse = {"vsi": -1.0, "gmsd": -1.0}
    assert run("liu2021_random_vgg", offsets={"gpl": worse, "l2": 0.0}, **kw).verdict == "contradicted"
    assert run("liu2021_random_vgg", offsets={"gpl": better, "l2": 0.0}, n_images=3, **kw).verdict == "inconclusive"
    # no gpl: a VGG loss on a random backbone stands in; a pretrained one does not
    r = run("liu2021_random_vgg", offsets={"vgg": better, "l2": 0.0}, **kw)
    assert r.verdict == "reproduced" and r.parts[0].a.startswith("vgg [vgg16:random")
    # the paper's own setting, ℓ2 plus the random-VGG term, is preferred when present
    mix = "l2 + 0.1*gpl"
    r = run("liu2021_random_vgg", offsets={"gpl": 0.0, mix: better, "l2": 0.0},
            **{**kw, "weights": {"gpl": R19, mix: R19}})
    assert r.verdict == "reproduced" and all(p.a.startswith(mix) for p in r.parts)
    kw["weights"] = {"vgg": PRE}
    r = run("liu2021_random_vgg", offsets={"vgg": better, "l2": 0.0}, **kw)
    assert r.verdict == "not applicable" and "random" in r.reason


# --- Blau & Michaeli 2018 ----------------------------------------------------------------------
def test_blau_tradeoff():
    kw = dict(tasks=("sr4", "deblur"), metrics=PERC, weights={"vgg": R16, "pdl": R16})
    trade = {"vsi": 1.0, "gmsd": 1.0, "psnr": -1.0}
    r = run("blau2018_pd_tradeoff", offsets={"l2": 0.0, "l1": 0.0, "vgg": trade, "pdl": trade}, **kw)
    assert r.verdict == "reproduced"
    assert {p.metric for p in r.parts} == {"vsi", "psnr"}  # the P-D plane's axes: vsi before gmsd
    assert len(r.parts) == 2 * 2 * 2 and all(p.b == "l2" or p.a == "l2" for p in r.parts)
    # better on both axes: no trade-off, the distortion part contradicts the claim
    both = {"vsi": 1.0, "gmsd": 1.0, "psnr": 1.0}
    r = run("blau2018_pd_tradeoff", offsets={"l2": 0.0, "vgg": both}, **kw)
    assert r.verdict == "contradicted" and r.headline.metric == "psnr"
    assert run("blau2018_pd_tradeoff", offsets={"l2": 0.0, "vgg": trade}, n_images=3, **kw).verdict == "inconclusive"
    r = run("blau2018_pd_tradeoff", offsets={"l2": 0.0, "l1": 0.3}, **kw)
    assert r.verdict == "not applicable" and "deep-feature" in r.reason


def test_blau_circular_perception_part_not_counted():
    """An lpips-trained net scored by the lpips metric is not evidence of better perception."""
    kw = dict(tasks=("sr4",), metrics=("psnr", "lpips", "vsi"),
              weights={"lpips": "alexnet:random(seed=0)+lpips:alex:v0.1"})
    r = run("blau2018_pd_tradeoff", offsets={"l2": 0.0, "lpips": {"lpips": 1.0, "vsi": 1.0, "psnr": -1.0}}, **kw)
    perception = [p for p in r.parts if p.metric == "lpips"]
    assert perception and all(p.circular and not p.counted for p in perception)
    assert [p.metric for p in r.counted] == ["psnr"] and r.verdict == "reproduced"


# --- Delbracio et al. 2021 (PDL) ---------------------------------------------------------------
def test_pdl_at_least_matches():
    kw = dict(tasks=("denoise", "sr4"), metrics=PERC, weights={"pdl": R16, "vgg": R16, "lpips": R16})
    r = run("delbracio2021_pdl", offsets={"pdl": {"vsi": 0.8, "gmsd": 0.8}, "vgg": 0.0, "lpips": 0.0, "l1": 0.0}, **kw)
    assert r.verdict == "reproduced" and len(r.parts) == 2 * 2 * 2  # tasks × rivals × perceptual metrics
    assert not any(p.b == "l1" for p in r.parts)  # pixel losses are not rivals
    r = run("delbracio2021_pdl", offsets={"pdl": {"vsi": -0.8, "gmsd": -0.8}, "vgg": 0.0, "lpips": 0.0}, **kw)
    assert r.verdict == "contradicted"
    r = run("delbracio2021_pdl", offsets={"pdl": 0.0, "vgg": 0.0}, n_images=3, **kw)
    assert r.verdict == "inconclusive"
    kw["weights"] = {"pdl": R16, "vgg": PRE}  # random PDL is not compared with a pretrained VGG loss
    assert run("delbracio2021_pdl", offsets={"pdl": 0.5, "vgg": 0.0}, **kw).verdict == "not applicable"


# --- Ding et al. 2021 --------------------------------------------------------------------------
def test_ding_needs_pretrained_weights():
    kw = dict(tasks=("sr4", "deblur"), metrics=PERC, weights={"dists": R16, "lpips": R16})
    r = run("ding2021_dists_lpips", offsets={"dists": {"vsi": 2.0}, "lpips": 1.0, "l2": 0.0}, **kw)
    assert r.verdict == "needs weights" and not r.parts and "pretrained" in r.reason and "random" in r.reason
    r = run("ding2021_dists_lpips", offsets={"l1": 0.0, "l2": 0.0}, tasks=("sr4",), metrics=PERC)
    assert r.verdict == "needs weights"  # no DISTS/LPIPS at all: offline, never a verdict


def test_ding_with_pretrained_weights():
    kw = dict(tasks=("sr4", "deblur"), metrics=("psnr", "lpips", "vsi"),
              weights={"dists": PRE, "lpips": "alexnet:IMAGENET1K_V1+lpips:alex:v0.1"})
    best = {"vsi": 1.0, "lpips": 1.0}
    r = run("ding2021_dists_lpips", offsets={"dists": best, "lpips": best, "l2": 0.0, "l1": 0.0}, **kw)
    assert r.verdict == "reproduced"
    assert not any(p.a.startswith("lpips") and p.metric == "lpips" for p in r.parts)  # circular winner skipped
    worst = {"vsi": -1.0, "lpips": -1.0}
    r = run("ding2021_dists_lpips", offsets={"dists": worst, "lpips": worst, "l2": 0.0, "l1": 0.0}, **kw)
    assert r.verdict == "contradicted"


# --- statistics, settings, exports --------------------------------------------------------------
def test_effect_and_ci_cover_the_true_difference():
    r = run("zhao2017_l1_vs_l2", tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.5, "l2": 0.0}, n_images=40)
    p = r.parts[0]
    true = 0.5 * SCALE["psnr"]
    assert p.ci_low < true < p.ci_high and abs(p.effect - true) < 0.1
    assert p.p_adj >= p.p and p.dz > 0


def test_paired_bootstrap_resamples_seeds():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1, 30)
    a = shared + 0.3 + rng.normal(0, 0.5, (3, 1))  # seed shifts: between-seed variance
    b = shared + rng.normal(0, 0.01, (1, 30))
    lo, hi = paired_bootstrap(a, b, n_boot=2000, seed=1)
    lo1, hi1 = paired_bootstrap(a.mean(0, keepdims=True), b, n_boot=2000, seed=1)
    assert hi - lo > 3 * (hi1 - lo1)  # seed-to-seed spread widens the interval


def test_settings_are_checked_separately():
    t1 = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": 0.6, "l2": 0.0}, n_images=16)
    t2 = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"l1": -0.6, "l2": 0.0}, n_images=16, seed=1)
    t2["net"] = t2["net"].where(t2["loss"] == "input", "small")
    results = check_all(pd.concat([t1, t2], ignore_index=True), ["zhao2017_l1_vs_l2"], n_boot=300)
    verdicts = {r.setting.split("net ")[1].split(",")[0]: r.verdict for r in results}
    assert verdicts == {"tiny": "reproduced", "small": "contradicted"}


def test_exports():
    results = check_all(synthetic_table(tasks=("sr4",), metrics=PIXEL, offsets={"l1": 0.6, "l2": 0.0}), n_boot=300)
    df = parts_frame(results)
    assert set(df["finding"]) == set(FINDINGS.names())  # one row at least per finding, with its reason
    assert (df.loc[df["finding"] == "zhao2017_l1_vs_l2", "part_verdict"] == "reproduced").all()
    md = to_markdown(results)
    assert "| zhao2017_l1_vs_l2 | **reproduced** |" in md and "## zhao2017_l1_vs_l2: reproduced" in md


def test_cli_and_report(tmp_path, capsys):
    write_store(tmp_path, tasks=("sr4", "jpeg"), metrics=("psnr", "ssim", "vsi"), n_images=12,
                offsets={"l1": 0.6, "l2": 0.0, "ms_ssim_l1": 0.7, "vgg": {"vsi": 1.0, "psnr": -1.0}},
                weights={"vgg": R16})
    assert main(["findings", "--out", str(tmp_path), "--bootstrap", "200", "-q"]) == 0
    out = capsys.readouterr().out
    for name in FINDINGS.names():
        assert name in out
    assert "REPRODUCED" in out and "NEEDS WEIGHTS" in out and "checked on: tasks" in out
    csv = pd.read_csv(tmp_path / "findings.csv")
    assert set(csv["verdict"]) <= set(VERDICTS)
    assert main(["findings", "--out", str(tmp_path), "-q"]) == 0  # the default resamples
    capsys.readouterr()
    alone = (tmp_path / "findings.csv").read_text()
    assert main(["report", "--out", str(tmp_path), "--bootstrap", "200", "--no-visual", "-q"]) == 0
    # the report's Findings tab is the same check as `plbench findings`, whatever the leaderboard's resamples
    assert (tmp_path / "findings.csv").read_text() == alone
    page = (tmp_path / "report.html").read_text()
    assert 'data-tab="findings"' in page and 'id="findings"' in page and "zhao2017_l1_vs_l2" in page
    assert (tmp_path / "findings.md").read_text().startswith("# Published findings")
    assert main(["findings", "--out", str(tmp_path), "--only", "zhao2017_l1_vs_l3", "-q"]) == 2
    assert "did you mean zhao2017_l1_vs_l2" in capsys.readouterr().err


def test_random_init_seeds_are_one_arm():
    """A random backbone is seeded by the training seed: ``vgg16:random(seed=0)`` and ``(seed=1)``
    are two seeds of one arm, not two arms with one seed each."""
    t = synthetic_table(tasks=("sr4",), metrics=PERC, offsets={"l2": 0.0, "vgg": {"vsi": 1.0, "gmsd": 1.0}},
                        weights={"vgg": R16}, seeds=(0, 1, 2), n_images=12)
    is_vgg = t["loss"] == "vgg"
    t.loc[is_vgg, "weights"] = [f"vgg16:random(seed={s})" for s in t.loc[is_vgg, "seed"]]
    (r,) = check_all(t, ["liu2021_random_vgg"], n_boot=300)
    assert r.verdict == "reproduced"
    assert {p.a for p in r.parts} == {"vgg [vgg16:random]"} and all(p.seeds_a == 3 for p in r.parts)


# --- the identity and the direction of a comparison (review of the findings code) ----------------
def _table(arms, n_images=12, seeds=(0, 1), task_version="1", code="0.1.0+c2", noise=0.01, inputs=None):
    """A hand-made tidy table: ``arms`` = [(loss, loss_version, mean psnr)] on sr4, with a recorded
    setting; ``inputs`` = [(task_version, mean psnr)] degraded-input runs."""
    import json

    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, n_images)
    setting = {"net": "tiny", "iterations": 100, "task": "sr4", "task_params": {"scale": 4},
               "task_version": task_version, "code_version": code}
    rows = []
    for loss, version, mean in arms:
        for s in seeds:
            for i in range(n_images):
                rows.append(dict(run_id=f"{loss}-{version}-{s}-{task_version}", task="sr4", task_version=task_version,
                                 task_params='{"scale": 4}', loss=loss, loss_version=version, seed=s, net="tiny",
                                 weights="none", weights_kind="none", setting=json.dumps(setting, sort_keys=True),
                                 dataset="d", image=f"im{i}", metric="psnr", higher_is_better=True,
                                 value=mean + base[i] + noise * rng.normal()))
    for tv, mean in inputs or []:
        in_setting = {"task": "sr4", "task_params": {"scale": 4}, "task_version": tv, "code_version": code}
        for i in range(n_images):
            rows.append(dict(run_id=f"input-{tv}", task="sr4", task_version=tv, task_params='{"scale": 4}',
                             loss="input", loss_version=None, seed=None, net="none", weights="none",
                             weights_kind=None, setting=json.dumps(in_setting, sort_keys=True), dataset="d",
                             image=f"im{i}", metric="psnr", higher_is_better=True, value=mean + base[i]))
    return pd.DataFrame(rows)


def test_two_versions_of_a_loss_are_never_one_arm():
    """l1 v1 (far ahead) and l1 v2 (behind l2): the claim is checked on the newest version, with
    its own seeds, and labelled with its version — not on a pooled mean of different code."""
    t = _table([("l1", "1", 31.0), ("l1", "2", 28.0), ("l2", "1", 30.0)])
    (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=300)
    (p,) = r.parts
    assert p.a == "l1 (v2)" and p.seeds_a == 2
    assert p.effect == pytest.approx(-2.0, abs=0.05) and r.verdict == "contradicted"


def test_a_task_at_two_versions_is_two_settings():
    """Runs before and after a task's version bump are never pooled: their +1 and −1 do not cancel."""
    t = pd.concat([_table([("l1", "1", 30.0), ("l2", "1", 29.0)], task_version="1"),
                   _table([("l1", "1", 20.0), ("l2", "1", 21.0)], task_version="2")], ignore_index=True)
    res = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=300)
    assert sorted(r.verdict for r in res) == ["contradicted", "reproduced"]
    assert all("task version" in r.setting for r in res)  # the two settings are told apart in print


def test_the_margin_uses_only_this_settings_inputs():
    """A stale degraded-input run (old task version, far lower) must not widen the non-inferiority
    margin: l1 0.1 dB behind l2, input 1 dB behind → margin 0.05 dB → contradicted."""
    arms = [("l1", "1", 29.9), ("l2", "1", 30.0), ("ms_ssim_l1", "1", 29.9), ("ssim", "1", 25.0),
            ("ms_ssim", "1", 25.0)]
    fresh = _table(arms, inputs=[("1", 29.0)])
    stale = _table([], inputs=[("0", 10.0)])
    for t in (fresh, pd.concat([fresh, stale], ignore_index=True)):
        (r,) = check_all(t, ["zhao2017_mix_best"], n_boot=300)
        part = next(p for p in r.parts if p.b == "l2")
        assert part.margin == pytest.approx(NONINFERIORITY * 1.0, abs=0.01)
        assert part.verdict == "contradicted"


def test_no_verdict_when_the_test_and_the_mean_point_to_opposite_sides():
    """A worse by 0.01 on 40 images, better by 1.0 on 5: the mean favours A, the signed ranks favour
    B — neither reproduced nor contradicted."""
    from benchmark.findings import Comparison, Results, check, signed_rank_direction

    d = np.r_[np.full(40, -0.01), np.full(5, 1.0)]
    assert d.mean() > 0 and signed_rank_direction(d) == -1
    rows = []
    for loss, delta in (("a", d), ("b", np.zeros_like(d))):
        for i, v in enumerate(delta):
            rows.append(dict(task="sr4", loss=loss, seed=0, weights="none", dataset="d", image=f"im{i}",
                             metric="psnr", higher_is_better=True, value=30.0 + v))
    table = pd.DataFrame(rows)

    class Claim:
        claim = "a beats b"
        count_circular = False

        def applicable(self, res):
            return None

        def comparisons(self, res):
            yield Comparison("sr4", "psnr", res.arm("sr4", "a"), res.arm("sr4", "b"), "better")

    r = check(Claim(), Results(table), n_boot=300)
    (p,) = r.parts
    assert p.ci_low > 0 and p.p_adj < 0.05  # each statistic alone would say "reproduced"
    assert p.verdict == "inconclusive" and "opposite sides" in p.note


def test_settings_alike_in_print_are_told_apart():
    """Two settings that differ only in a field the short description leaves out (here the test
    data's fingerprint) get different 'checked on' lines naming that field."""
    import json

    a = _table([("l1", "1", 30.0), ("l2", "1", 29.0)])
    b = _table([("l1", "1", 20.0), ("l2", "1", 21.0)])
    for t, fp in ((a, "aaa"), (b, "bbb")):
        t["setting"] = [json.dumps({**json.loads(x), "test_fingerprint": fp}, sort_keys=True) for x in t["setting"]]
    res = check_all(pd.concat([a, b], ignore_index=True), ["zhao2017_l1_vs_l2"], n_boot=300)
    assert len(res) == 2 and len({r.setting for r in res}) == 2
    assert all("test_fingerprint" in r.setting for r in res)


def test_version_order_is_natural_and_total():
    from benchmark.findings import _version_key

    assert sorted(["10", "2", "1"], key=_version_key) == ["1", "2", "10"]
    assert _version_key("pdl=2,vgg=10") > _version_key("pdl=2,vgg=9")
    assert sorted(["a=1", "2"], key=_version_key) == ["2", "a=1"]  # mixed formats: no TypeError

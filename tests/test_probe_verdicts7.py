"""Probe of verdicts a re-run would not overturn (round 7): the findings' Holm family with stale settings,
compare's --baseline given as a row label, and what the report says with too few runs or several metrics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


def _code_and_task_table(rng, settings, seeds: int = 5, n_images: int = 8, effect: float = 0.4) -> pd.DataFrame:
    """l1 and l2 on sr4 (psnr), l1 better by ``effect`` dB, in each of ``settings``: (code_version, task_version)
    pairs, one setting each (otherwise the same)."""
    rows = []
    for code, tver in settings:
        setting = json.dumps({"net": "tiny", "iterations": 100, "task": "sr4", "task_params": {"scale": 4},
                              "task_version": tver, "code_version": code}, sort_keys=True)
        base = rng.normal(0, 1, n_images)
        for loss, mean in (("l1", 30.0 + effect), ("l2", 30.0)):
            for s in range(seeds):
                v = mean + base + rng.normal(0, 0.1) + 0.05 * rng.normal(size=n_images)
                rows += [dict(run_id=f"{loss}-{s}-{code}-{tver}", task="sr4", task_version=tver,
                              task_params=json.dumps({"scale": 4}), loss=loss, loss_version="1", seed=s,
                              net="tiny", weights="none", weights_kind="none", setting=setting, dataset="d",
                              image=f"im{i}", metric="psnr", higher_is_better=True, value=float(v[i]))
                         for i in range(n_images)]
    return pd.DataFrame(rows)


# 1. stale settings ------------------------------------------------------------------------------------
def test_stale_settings_are_a_holm_family_of_their_own_and_the_output_says_so():
    """Was: runs of an earlier code version left in the store were settings of the finding's one Holm family, so
    the current grid's verdict got weaker with every stale setting kept (and differed from the same runs in a
    clean store) and nothing said why. Now the family is the settings this code would run again; the stale ones
    are a family of their own, and every output names the family of each verdict."""
    from benchmark.config import code_version
    from benchmark.findings import check_all, to_html, to_markdown, to_text
    from benchmark.stats import holm

    now = code_version()
    t = _code_and_task_table(np.random.default_rng(0), [(now, "1"), ("0.0.9+c1", "1"), ("0.0.8+c0", "1")])
    res = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    assert len(res) == 3
    current = [r for r in res if f"code {now}" in r.setting]
    stale = [r for r in res if f"code {now}" not in r.setting]
    assert len(current) == 1 and len(stale) == 2
    cur = current[0].parts
    assert len(cur) == 1 and np.isclose(cur[0].p_adj, cur[0].p)  # a family of one: no stale part in it
    clean = check_all(t[t["setting"].str.contains(json.dumps(now), regex=False)], ["zhao2017_l1_vs_l2"], n_boot=20)
    assert np.isclose(clean[0].parts[0].p_adj, cur[0].p_adj) and clean[0].verdict == current[0].verdict
    st = [p for r in stale for p in r.parts]
    assert np.allclose([p.p_adj for p in st], holm(np.array([p.p for p in st])))  # the stale ones: one family
    text = to_text(res)
    assert "Holm family: this setting" in text and "stale" in text
    assert "earlier code or task version" in " ".join(to_markdown(res).split())
    assert "Holm family: this setting" in to_html(res) and "Stale: code 0.0.9+c1" in to_html(res)


# 2. --baseline as the table prints a row ------------------------------------------------------------
def _two_kinds_store(root):
    """l1, and ``vgg`` trained with random and with pretrained backbone weights (two rows, ``vgg [vgg16:random]``
    and ``vgg [vgg16:IMAGENET1K_V1]``): the random one far worse than l1, the pretrained one far better."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for k, (name, prov, off) in enumerate((("vgg", "vgg16:random(seed=0)", -2.0),
                                           ("vgg", "vgg16:IMAGENET1K_V1", 2.0))):
        for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, name: off}, seeds=range(5), metrics=("psnr",),
                                              n_images=4, weights={name: prov}, budget_check=False, seed=k):
            if k and meta.get("kind") == "input" or k and meta["config"]["loss"] == "l1":
                continue
            rid2 = f"{rid}{k}"
            store.write_eval(rid2, [{**r, "run_id": rid2} for r in rows], ["psnr"], {})
            atomic_write_json(store.run_dir(rid2) / "meta.json", {**meta, "run_id": rid2})
    return store


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_report_baseline_takes_a_row_label_as_the_table_prints_it(tmp_path, capsys):
    """Was: `plbench report --baseline 'vgg [vgg16:random]'` — a row's label, copied from the leaderboard — was
    refused ("is not a loss of these results"), and `--baseline vgg` marked every loss against whichever row came
    first by name: no way to pick the row. Now a row label is a baseline, and the marks are against that row."""
    from benchmark.cli import main

    root = tmp_path / "s"
    _two_kinds_store(root)
    assert main(["report", "--out", str(root), "--no-visual", "-q", "--baseline", "vgg [vgg16:random]"]) == 0, \
        capsys.readouterr().err
    csv = pd.read_csv(root / "summary.csv") if (root / "summary.csv").exists() else None
    md = (root / "leaderboard.md").read_text()
    assert "significantly better/worse than `vgg [vgg16:random]`" in md
    assert "is not in the results" not in md
    l1 = [line for line in md.splitlines() if line.startswith("| l1 |")][-1]  # the task table's row
    assert "▲" in l1, l1  # l1 is far better than the random row (it would be ▼ against the pretrained one)
    if csv is not None and "base_label" in csv.columns:
        assert set(csv["base_label"].dropna()) == {"vgg [vgg16:random]"}
    assert main(["report", "--out", str(root), "--no-visual", "-q", "--baseline", "vgg [vgg16:randm]"]) == 2


def test_compare_baseline_takes_a_row_label_and_another_spelling_of_a_spec(tmp_path):
    """compare's --baseline is checked before anything trains: a row label and a spec spelt otherwise than the
    table prints it (``charbonnier(eps=1e-2)`` for ``charbonnier(eps=0.01)``) name a row; a typo is still one line."""
    from benchmark.errors import UserError
    from benchmark.report import resolve_baseline

    store = _two_kinds_store(tmp_path / "s")
    assert resolve_baseline(store, "vgg [vgg16:random]") == "vgg [vgg16:random]"
    assert resolve_baseline(store, "vgg") == "vgg"
    assert resolve_baseline(store, "charbonnier(eps=1e-2)", new=["charbonnier(eps=0.01)"]) == "charbonnier(eps=0.01)"
    assert resolve_baseline(store, " l1 ") == "l1"
    with pytest.raises(UserError, match="is not a loss of these results; did you mean"):
        resolve_baseline(store, "vgg [vgg16:randm]")
    from benchmark.report import baseline_loss

    table = store.table()
    assert baseline_loss(table, "vgg [vgg16:random]") == "vgg"  # compare's `plbench perf --losses …` times a spec
    assert baseline_loss(table, "l1") == "l1"


# 3. bold below an untested mean --------------------------------------------------------------------------
def _thin_table():
    """l1, bad (5 seeds) and good (1 SCALE better than l1) whose lpips was scored on 3 of its 5 runs (its weights
    not cached for two): good's lpips cell has too few runs to be tested; l1 is bold there, tested against bad only."""
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0}, metrics=("psnr", "lpips"),
                        seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    return t[~((t["loss"] == "good") & (t["seed"] >= 3) & (t["metric"] == "lpips"))]


def test_a_bold_loss_below_an_untested_mean_is_not_said_to_beat_a_measured_one():
    """Was: with good's lpips scored on 3 runs (too few to test), l1 stayed bold on lpips below good's better mean and
    the note said "a loss whose runs spread widely stays bold while a closer, better-measured one is excluded:
    l1 bold below good (not bold)" — good was never tested, let alone excluded. Now such a cell is said as it is:
    bold is among the tested losses, and good had too few runs to be tested."""
    from benchmark.export import bold_below_plain_text
    from benchmark.stats import compute

    st = compute(_thin_table(), None, baseline="l1", n_boot=100)
    c = st.cells.set_index(["label", "metric"])
    assert bool(c.loc[("l1", "lpips"), "top_group"]) and np.isnan(c.loc[("good", "lpips"), "p_best_adj"])
    text = bold_below_plain_text(st)
    assert "denoise/lpips" in text, text
    excluded = text.split("excluded:")[1].split(".")[0] if "excluded:" in text else ""
    assert "good" not in excluded, text  # never called excluded: it was not tested
    assert "too few runs to be tested" in text and "l1 bold below good (3 runs)" in text, text


# 4. compare's P–D sentence with an untested neighbour ------------------------------------------------------
def test_compare_never_calls_an_untested_domination_not_significant():
    """Was: compare's perception–distortion sentence said the new loss was "dominated by the means of few, not
    significantly (no loss is significantly better on both psnr and lpips)" where `few` has 2 runs and was never
    tested against it — "not significantly" read as a test that found nothing. Now an untested loss is said to be
    untested, with what a test needs."""
    from benchmark.compare import _front_text, _pairwise
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "mine": 0.5, "few": 3.0}, metrics=("psnr", "lpips"),
                        seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = t[~((t["loss"] == "few") & (t["seed"] >= 2))]
    st = compute(t, None, baseline="l1", n_boot=50)
    c = st.cells[st.cells["label"] != "input"]
    x, y = (c[c["metric"] == m].set_index("label") for m in ("psnr", "lpips"))
    text = _front_text("mine", False, list(x.index), x, y, st, "psnr", "lpips", *_pairwise(st, "mine", 0.05))
    assert "not significantly" not in text, text
    assert "few" in text and "not tested" in text and "≥ 5 paired runs" in text, text
    # a tested, significant domination is still said as it was
    assert _front_text("l1", False, list(x.index), x, y, st, "psnr", "lpips", *_pairwise(st, "l1", 0.05)) \
        .startswith("significantly dominated by mine")


# 5. unbalanced designs: extra seeds of another loss ------------------------------------------------------
def test_extra_seeds_of_a_third_loss_do_not_make_a_pair_missing_runs():
    """Was: l1 and l2 on seeds 0–4 (nothing lost) and a third loss run on seeds 0–7: every l1-vs-l2 part was
    "missing runs" ("missing or diverged seeds: l1 5, 6, 7; l2 5, 6, 7") and never judged, though l1 was better by
    ~1 dB on 5 paired runs — running more seeds of one loss took every other verdict away. A part's runs are the
    seeds its two arms have; an arm lacking a seed the other arm of the part has (a lost run) still is missing."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0, "good": 1.0}, metrics=("psnr",),
                        seeds=tuple(range(8)), n_images=6, seed=1, seed_sd=0.1)
    t = t[~(t["loss"].isin(["l1", "l2"]) & (t["seed"] >= 5))]
    (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    (p,) = r.parts
    assert p.status == "ok" and p.n_runs == 5 and p.verdict == "reproduced", (p.status, p.note)
    lost = t[~((t["loss"] == "l2") & (t["seed"] == 3))]  # a run of the pair lost: still missing runs
    (p,) = check_all(lost, ["zhao2017_l1_vs_l2"], n_boot=20)[0].parts
    assert p.verdict == "missing runs" and "l2 3" in p.note and "5" not in p.note.split("seeds:")[1], p.note


# 6. coverage of the per-difference interval (summary.csv's diff_ci_low/high, compare's effects) ------------
def _diff_coverage(reps: int, seed: int, inter_sd: float, run_sd: float) -> tuple[int, int]:
    """(hits, hits with the metric turned lower-is-better) of the 95 % CI of `new` − `l1` (true +0.2) over
    ``reps`` simulated re-runs: new images, new seeds; a per-run shift of sd ``run_sd`` for l1 and 0.05 for new,
    a loss × image interaction of sd ``inter_sd`` and run × image noise 0.05, 5 seeds × 12 images."""
    import benchmark.stats as S

    rng = np.random.default_rng(seed)
    hits = [0, 0]
    for _ in range(reps):
        img = rng.normal(0, 1, 12)
        inter = rng.normal(0, inter_sd, (2, 12))
        run = rng.normal(0, [[run_sd], [0.05]], (2, 5))
        v = img[None, None, :] + np.array([0.0, 0.2])[:, None, None] + inter[:, None, :] + run[:, :, None] \
            + rng.normal(0, 0.05, (2, 5, 12))
        for k, higher in enumerate((True, False)):
            b = S.Block("denoise", "psnr" if higher else "lpips", higher, ["l1", "new"], ["l1", "new"], np.arange(5),
                        [f"i{i}" for i in range(12)], v if higher else -v)
            c = S.cell_table([b], baseline="l1", n_boot=20).set_index("label").loc["new"]
            hits[k] += bool(c["diff_ci_low"] <= 0.2 <= c["diff_ci_high"])
    return hits[0], hits[1]


def test_the_difference_interval_covers_the_true_difference_either_direction():
    """The leaderboard's difference vs the baseline (summary.csv diff_vs_base with its 95 % CI) is the run-level
    paired effect: over 60 simulated re-runs it holds the true +0.2 at about its level, and a lower-is-better
    metric (the same scores negated) gives the same interval — the direction never flips "better"."""
    up, down = _diff_coverage(60, 0, inter_sd=0.1, run_sd=0.3)
    assert up == down  # the same re-runs, the metric's direction turned: positive = better in both
    assert up >= 52, up  # a true 95 % gives fewer than 52 of 60 with probability < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("inter_sd, run_sd", [(0.0, 0.3), (0.3, 0.0), (0.1, 0.3), (0.3, 0.3)])
def test_the_difference_interval_covers_at_its_stated_level(inter_sd, run_sd):
    """1000 re-runs per variance mix: never below 92.5 % (a true 95 % gives less with probability < 0.001), never
    the 84 % a seeds-only bootstrap gave for cells."""
    up, _ = _diff_coverage(1000, 1, inter_sd, run_sd)
    print(f"coverage {up / 1000:.3f} (inter_sd {inter_sd}, run_sd {run_sd})")
    assert up >= 925, up


# 7. a task's rank over fewer metrics -------------------------------------------------------------------
def test_a_loss_missing_a_metric_is_not_ranked_first_in_its_task_table_on_the_others():
    """Was: `good` unscored on lpips (its weights not cached when it ran), where it is by far the worst, topped the
    denoise table with rank 1.0 — a mean over psnr and ssim alone, beside losses ranked over three metrics — while the
    overall ranking lists such a loss last with a note. Now the task tables do the same: listed after the losses with
    every metric of the task, and a note names what its rank leaves out."""
    from benchmark.export import markdown, task_frame
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": {"psnr": 1.0, "lpips": -3.0}, "bad": -1.0},
                        metrics=("psnr", "lpips", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = t[~((t["loss"] == "good") & (t["metric"] == "lpips"))]
    st = compute(t, None, baseline="l1", n_boot=50)
    _, _, order = task_frame(st, "denoise")
    assert order == ["input", "l1", "bad", "good"], order
    md = " ".join(markdown(st, {}, None).split())
    assert "denoise: good (2 of 3 metrics, no lpips)" in md, md


# 8. Blau's trade-off on its distortion half alone --------------------------------------------------------
@pytest.mark.parametrize("perceptual", [1.0, -1.0])
def test_blau_is_never_reproduced_on_its_distortion_half_when_perception_is_circular(perceptual):
    """Was: an LPIPS-trained net scored on psnr and lpips only — its perception part circular, not counted — made
    blau2018_pd_tradeoff ("better perceptual score, worse PSNR than ℓ2") REPRODUCED on its PSNR part alone, even
    when the net was *worse* on lpips than ℓ2 (perceptual −1 here): a two-sided claim reproduced on one side. A
    full-reference perception metric already made it "out of regime"; a circular one now leaves the trade-off
    untested: the distortion part is listed, not counted, and says why."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l2": 0.0, "lpips": {"lpips": perceptual, "psnr": -1.0}},
                        metrics=("psnr", "lpips"), seeds=tuple(range(5)), n_images=8, seed=1,
                        weights={"lpips": "alexnet:IMAGENET1K_V1+lpips:alex:v0.1"})
    (r,) = check_all(t, ["blau2018_pd_tradeoff"], n_boot=20)
    assert r.verdict != "reproduced" and not r.verdict_text.startswith("reproduced"), r.verdict_text
    dist = [p for p in r.parts if p.metric == "psnr"]
    assert dist and not any(p.counted for p in dist) and "circular" in dist[0].note, [p.note for p in dist]


def test_blau_takes_a_perception_metric_the_loss_was_not_trained_on_when_there_is_one():
    """With a non-circular perceptual metric in the results (dists beside lpips for an LPIPS-trained net), the
    perception half is tested on it (out of regime, as any full-reference one), the circular lpips part still listed."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l2": 0.0, "lpips": {"lpips": 1.0, "dists": 1.0, "psnr": -1.0}},
                        metrics=("psnr", "lpips", "dists"), seeds=tuple(range(5)), n_images=8, seed=1,
                        weights={"lpips": "alexnet:IMAGENET1K_V1+lpips:alex:v0.1"})
    (r,) = check_all(t, ["blau2018_pd_tradeoff"], n_boot=20)
    by = {p.metric: p for p in r.parts}
    assert set(by) == {"lpips", "dists", "psnr"}, list(by)
    assert not by["lpips"].counted and by["dists"].counted and by["psnr"].counted
    assert r.verdict == "out of regime", r.verdict_text


# 9. the metric-points figure's filled dot for an untested loss --------------------------------------------
def test_metric_points_never_call_an_untested_loss_not_significantly_worse():
    """Was: with good's lpips on 3 runs (too few to test) beside tested losses, its dot was filled like every top-group
    loss's and the legend read "filled: not significantly worse than another" — a test that was never made. Now the
    legend says filled dots include the losses with too few runs to be tested."""
    import matplotlib

    matplotlib.use("Agg")
    from benchmark import figures as F
    from benchmark.stats import compute

    st = compute(_thin_table(), None, baseline="l1", n_boot=50)
    fig = F.draw_metric_points(st, "denoise")
    texts = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    filled = [t for t in texts if t.startswith("filled")]
    assert len(filled) == 1 and "too few runs" in filled[0] and "≥ 5" in filled[0], texts
    import matplotlib.pyplot as plt

    plt.close(fig)


# 10. the Friedman line with one thin loss ----------------------------------------------------------------
def test_friedman_line_does_not_say_every_loss_has_the_runs_of_its_thinnest():
    """Was: with one loss on 2 seeds beside three on 5, the overall ranking's line read "descriptive only … — 2 run(s)
    per loss where a verdict needs ≥ 5", as if every loss had 2 runs. It now names the thin losses and their runs;
    since the thin loss is short in every block, the other three are tested without it (named as left out)."""
    from benchmark.export import friedman_text
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "bad": -1.0, "few": 3.0},
                        metrics=("psnr", "ssim"), seeds=tuple(range(5)), n_images=6, seed=1, seed_sd=0.3)
    t = t[~((t["loss"] == "few") & (t["seed"] >= 2))]
    text = friedman_text(compute(t, None, baseline="l1", n_boot=50))
    assert "descriptive only" not in text and "χ² =" in text, text
    assert "runs per loss" not in text and "few (2 runs) is left out of the test" in text, text

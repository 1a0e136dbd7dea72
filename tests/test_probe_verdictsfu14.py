"""Probe of verdicts (follow-up, round 14): what verdicts, plans and notes advise, and what they say they checked."""

from __future__ import annotations

import math
import re
import warnings

import pytest
import scipy.stats  # noqa: F401

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.runstats import TRAIN_AGAIN

#: an advice of more test images anywhere in a text: each must say that a new test set trains its runs again
_ADVICE = re.compile(r"(?<!needs )(add|more|≥ \d+|larger) test (images|set)")


def _advice_says_runs_train_again(text: str) -> int:
    """How many advices of more test images ``text`` has, asserting that each is followed by :data:`TRAIN_AGAIN`."""
    hits = list(_ADVICE.finditer(text))
    for m in hits:
        assert text[m.end():m.end() + len(TRAIN_AGAIN) + 2].lstrip(" (").startswith(TRAIN_AGAIN), \
            text[max(m.start() - 80, 0):m.end() + 80]
    return len(hits)


@pytest.fixture(scope="module")
def three_images(tmp_path_factory):
    from benchmark.synthetic import write_store

    return write_store(tmp_path_factory.mktemp("s") / "r", tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0, "good": 1.0},
                       metrics=("psnr",), seeds=tuple(range(5)), n_images=3, seed=3, seed_sd=0.1)


def test_findings_advice_of_more_test_images_says_its_runs_train_again(three_images, tmp_path):
    """Was: 8941719 said of one plan that a larger --test-data trains its runs again (a run's id covers its test
    source's pixel fingerprint), but a verdict on 3 test images read '(approximate: add test images, ≥ 4)' — in the
    printed table, findings.md, findings.csv's verdict_text and the HTML tab — and the plans 'more test images may' /
    '…, or more test images, would' as if the runs there are could be scored on more. Now every such advice is one
    phrase (runstats.more_images) that says the runs train again."""
    from benchmark.findings import check_store, parts_frame, seeds_to_settle, to_html, to_markdown, write

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_store(three_images, ["zhao2017_l1_vs_l2"], n_boot=20)
    assert r.verdict == "reproduced", r.verdict_text
    out = write([r], tmp_path)
    texts = {"verdict": r.verdict_text, "md": to_markdown([r]), "html": to_html([r]),
             "findings.md": out["findings_md"].read_text(), "csv": " ".join(parts_frame([r])["verdict_text"]),
             "findings.csv": out["findings_csv"].read_text()}
    for name, text in texts.items():
        assert _advice_says_runs_train_again(text) >= 1, (name, text)
    # the plans: one test image (no image level: 'more test images may'), and a bound alone keeping seeds from it
    (p,) = r.counted
    one = seeds_to_settle(replace_part(p, n_images=1, effect=0.01, se=0.5, se_images=0.5, residual=math.nan,
                                       margin=0.0, practical=0.0))
    assert _advice_says_runs_train_again(one) == 1, one


def replace_part(p, **kw):
    from dataclasses import replace

    return replace(p, **kw)


def test_compares_advice_of_more_test_images_says_its_runs_train_again(three_images, monkeypatch):
    """Was: compare's line for a new loss on 3 test images read '(approximate: add test images, ≥ 4)', the
    leaderboard's notes 'add test images (`--test-data`, ≥ 4)' / '… (`--test-data`) before generalising' — none said
    that a larger test set is new runs. Now each is the one phrase findings uses."""
    from benchmark.compare import _summary

    monkeypatch.setattr("benchmark.figures.pd_plane", lambda *a, **k: [])  # its text, not its figure

    chosen = {"sr4": [m for m in three_images.metas() if m.get("config", {}).get("iterations") == 150]}
    md, _ = _summary(three_images, chosen, ["good"], {"sr4": []}, 0.05, 20, "l1", ())
    assert "its verdicts below on 3 test images only" in md, md
    assert _advice_says_runs_train_again(md) >= 2, md  # the loss's line and the quoted note


def test_leaderboard_notes_advice_of_more_test_images_says_its_runs_train_again(three_images):
    """The leaderboard's few- and one-image notes (leaderboard.md, the HTML report's notes), as compare's."""
    from benchmark.export import few_images_text, one_image_text
    from benchmark.stats import compute

    table = three_images.table()
    st = compute(table, three_images.metas(), n_boot=20)
    assert _advice_says_runs_train_again(few_images_text(st)) == 1, few_images_text(st)
    one = compute(table[table["image"] == table["image"].iloc[0]], three_images.metas(), n_boot=20)
    assert _advice_says_runs_train_again(one_image_text(one)) == 1, one_image_text(one)


def test_calibrate_advice_of_more_test_images_says_its_runs_train_again():
    """Was: calibration.md's cell read 'not with runs alone (… the test images limit it — more test images)', its
    thin-data warning 'add seeds … or test images', and calibrate on one test image failed with 'score them on a
    larger test set (--test-data)' — the runs there are cannot be scored on a larger one: they train again. Now
    each says so, in the one phrase."""
    from benchmark.calibrate import calibrate, to_text
    from benchmark.errors import UserError
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=tuple(range(5)),
                        n_images=3, seed=2, seed_sd=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = to_text(calibrate(t, n_nulls=20, splits=10, seed=2, max_runs=6))
        (row,) = [line for line in text.splitlines() if line.startswith("| sr4")]
        assert "not with runs alone" in row and _advice_says_runs_train_again(row) == 1, row
        assert _advice_says_runs_train_again(text) >= 2, text  # the cell and the thin-data warning
        with pytest.raises(UserError) as e:
            calibrate(t[t["image"] == t["image"].iloc[0]], n_nulls=5, splits=2, seed=2, max_runs=6)
    assert _advice_says_runs_train_again(str(e.value)) == 1, str(e.value)


@pytest.fixture(scope="module")
def vif_result(tmp_path_factory):
    """zhao2017_l1_vs_l2 on psnr and vif (a metric without a practical margin), ℓ1 better on both; its arms converged
    on psnr, ℓ1's vif still gaining 0.4 of its scale from ½ budget to the end."""
    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark.findings import check_store
    from benchmark.synthetic import write_store

    store = write_store(tmp_path_factory.mktemp("v") / "r", tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0},
                        metrics=("psnr", "vif"), seeds=tuple(range(5)), n_images=4, seed=1, seed_sd=0.05,
                        half_offsets={"l1": {"psnr": 0.5, "vif": 0.1}})
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("psnr", "vif"))
        warnings.simplefilter("ignore")
        (r,) = check_store(store, ["zhao2017_l1_vs_l2"], n_boot=20)
    return r


def test_a_part_on_a_metric_without_a_margin_says_its_convergence_was_not_checked(vif_result):
    """Was: the budget check leaves out a metric with no practical margin (vif, mad), so a vif part whose arms
    converged on psnr was judged as settled — 'reproduced', no note — with ℓ1's vif still gaining 0.4 of its scale
    from ½ budget to the end, while the leaderboard's note on the same store said vif was not checked. Now the
    part's note says it (findings.md, findings.csv, the HTML tab), in the leaderboard's words; its psnr part, checked,
    has no such note."""
    from benchmark.convergence import no_margin_text
    from benchmark.findings import parts_frame, to_html, to_markdown

    r = vif_result
    parts = {p.metric: p for p in r.counted}
    assert set(parts) == {"psnr", "vif"}, parts
    said = no_margin_text(["vif"])
    assert said in parts["vif"].note and parts["vif"].verdict == "reproduced", (parts["vif"].verdict, parts["vif"].note)
    assert "not checked" not in parts["psnr"].note, parts["psnr"].note
    assert said in to_markdown([r]) and said in " ".join(parts_frame([r])["note"].astype(str)), to_markdown([r])
    assert said in to_html([r])


def test_compares_convergence_line_names_the_metrics_it_could_not_check(tmp_path, monkeypatch):
    """Was: e498c98 made the leaderboard's converged note name a metric without a practical margin (vif, mad: left out
    of every arm's budget check), but compare's own line on the new loss still read 'Convergence: 5 of 5 run(s) of
    good shown converged' with good's vif gaining 0.4 of its scale from ½ budget to the end. Now it says vif was not
    checked, in the leaderboard's words."""
    from benchmark.compare import _summary

    monkeypatch.setattr("benchmark.figures.pd_plane", lambda *a, **k: [])  # its text, not its figure
    from benchmark.convergence import no_margin_text
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", tasks=("sr4",), offsets={"l1": 0.0, "good": 0.5}, metrics=("psnr", "vif"),
                        seeds=tuple(range(5)), n_images=4, seed=1, seed_sd=0.05,
                        half_offsets={"good": {"psnr": 0.5, "vif": 0.1}})
    chosen = {"sr4": [m for m in store.metas() if m.get("config", {}).get("iterations") == 150]}  # not the checks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        md, _ = _summary(store, chosen, ["good"], {"sr4": []}, 0.05, 20, "l1", ())
    (line,) = [x for x in md.splitlines() if x.startswith("Convergence:")]
    assert "5 of 5 runs of good shown converged" in line and no_margin_text(["vif"]) in line, line


def test_calibrates_rough_warning_advises_what_is_thin_seeds_or_test_images():
    """Was: calibration.md's 'Rough' warning advised 'add seeds (`--seeds 0 1 2 3 4`) or test images' whatever was
    thin: a store of 5 seeds on 6 test images (thin by its images alone) was told to run the seeds 0–4 it had — which
    trains nothing and leaves the warning as it was. Now it names what is thin and advises that: the seeds where the
    runs are few, the test images (a new test set: its runs train again) where the images are."""
    from benchmark.calibrate import THIN_IMAGES, THIN_RUNS, calibrate, to_text
    from benchmark.synthetic import synthetic_table

    def rough(seeds: int, images: int) -> str:
        t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",),
                            seeds=tuple(range(seeds)), n_images=images, seed=2, seed_sd=0.2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = to_text(calibrate(t, n_nulls=10, splits=5, seed=2, max_runs=6))
        (line,) = [x for x in text.splitlines() if x.startswith("> Rough")]
        return line

    few_images = rough(THIN_RUNS, THIN_IMAGES - 4)
    assert "--seeds" not in few_images and f"fewer than {THIN_RUNS} runs" not in few_images, few_images
    assert f"≥ {THIN_IMAGES} test images ({TRAIN_AGAIN})" in few_images, few_images
    few_runs = rough(THIN_RUNS - 2, THIN_IMAGES)
    assert f"--seeds {' '.join(map(str, range(THIN_RUNS)))}" in few_runs and "test images" not in few_runs, few_runs


def test_losses_tied_for_the_best_mean_are_each_the_best_as_their_ranks_say():
    """Was: a column's 'best' (leaderboard.csv: 'True for the best mean of its column') was the first of the losses
    tied at the best mean (np.argmax), while the rank beside it ties them (1.5 each, to 12 significant digits): of two
    losses with the very same scores — a loss copied under another name, two weight kinds of a loss that reads no
    weights — one was the best and the other not, by the order of their labels. Now every loss tied at the best mean
    is the best, as ranked."""
    import pandas as pd

    from benchmark.results import to_frame
    from benchmark.settings import drop_budget_checks
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs

    runs = list(synthetic_runs(tasks=("sr4",), offsets={"l1": 0.0, "good": 1.0}, metrics=("psnr",),
                               seeds=tuple(range(5)), n_images=4, seed=1, seed_sd=0.1, budget_check=False))
    t = to_frame([r for _, _, rs in runs for r in rs])
    copy = t[t["loss"] == "good"].assign(loss="a_copy", run_id=lambda d: d["run_id"].astype(str) + "c")
    metas = [m for _, m, _ in runs]
    metas += [{**m, "run_id": m["run_id"] + "c", "config": {**m["config"], "loss": "a_copy"}}
              for m in metas if m.get("config", {}).get("loss") == "good"]
    table, checks = drop_budget_checks(pd.concat([t, copy], ignore_index=True))
    c = compute(table, metas, checks=checks, n_boot=20).cells.set_index("label")
    assert c.loc["good", "rank"] == c.loc["a_copy", "rank"] == 1.5, c[["mean", "rank"]]
    assert bool(c.loc["good", "best"]) and bool(c.loc["a_copy", "best"]), c[["mean", "rank", "best"]]
    assert not bool(c.loc["l1", "best"]), c[["mean", "rank", "best"]]


def test_settling_a_part_without_a_margin_against_the_claim_names_no_infinite_margin():
    """Was: an open part on a metric without a practical margin (vif, mad: perceptual metrics, so in delbracio2021,
    liu2021 and ding2021's parts) whose effect lies against the claim was told 'its effect -0.0107 lies within the
    practical margin inf of no difference' — an infinite margin, as if the effect were negligible. No number of seeds
    settles it for another reason: without a margin a part can support a claim, never contradict it. Now it says
    that, as the finding's line on a significant such part does."""
    import numpy as np

    from benchmark.findings import Part, seeds_to_settle
    from benchmark.runstats import compare_runs

    rng = np.random.default_rng(0)
    d = -0.01 + rng.normal(0, 0.02, (5, 1)) + rng.normal(0, 0.01, (5, 6))
    r = compare_runs(d, np.zeros_like(d))
    p = Part("sr4", "vif", "A", "B", "at_least", r.effect, r.ci_low, r.ci_high, 0.0, r.p, r.p, 0.0, 6, 5, 5, False,
             True, n_runs=5, se=r.se, practical=math.inf, se_images=r.se_images, settle_level=0.05,
             residual=r.residual)
    assert r.effect < 0, r.effect
    text = seeds_to_settle(p)
    assert "inf" not in text and "no practical margin registered for vif" in text, text
    assert "never contradict it" in text and "more seeds would not" in text, text
    with_margin = seeds_to_settle(Part(**{**p.__dict__, "metric": "psnr", "practical": 0.05}))
    assert "within the practical margin 0.05 of no difference" in with_margin, with_margin


def test_the_pooled_effect_says_which_parts_it_leaves_out_for_want_of_a_margin(vif_result):
    """Was: the pooled effect is in practical margins, so a part on a metric without one (vif, mad) is not in it —
    silently: 'parts: 2/2 reproduced, 0 contradicted; pooled effect +19.01 margins [+13.18, +24.84]' read as the mean
    of both parts where it was psnr's alone (the printed table, findings.md). Now it says which parts it leaves out,
    and why; a finding whose parts all have a margin reads as before."""
    from dataclasses import replace

    from benchmark.findings import pooled, to_markdown

    r = vif_result
    (psnr,) = [p for p in r.counted if p.metric == "psnr"]
    e, lo, hi = pooled([psnr])
    text = r.pooled_text()
    assert text.startswith(f"pooled effect {e:+.2f} margins [{lo:+.2f}, {hi:+.2f}]"), text  # psnr's alone
    assert "not in it: 1 part on vif (no practical margin registered)" in text, text
    alone = replace(r, parts=[psnr]).pooled_text()
    assert text in to_markdown([r]) and "not in it" not in alone, alone

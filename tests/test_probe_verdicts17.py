"""Probe of verdicts (round 17): calibration on stale scores, and synthetic stores a demanding user would bring."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
from benchmark.registry import FINDINGS, TASKS
from benchmark.synthetic import synthetic_table, write_store

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def test_calibration_counts_the_trained_runs_with_stale_scores_and_says_so():
    """calibrate(rescore=) counts, per metric, the trained runs calibrated on whose scores of it are stale (not the
    degraded input's, not another metric's), and calibration.md's text says so in one line per metric."""
    from benchmark import calibrate as C

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.1}, metrics=("vsi", "psnr"), seeds=range(2),
                        n_images=3, seed=3, seed_sd=0.1)
    runs = sorted(set(t["run_id"].astype(str)))  # the input's run among them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = C.calibrate(t, n_nulls=20, splits=1, metrics=["vsi"], aa_sims=0, max_runs=5,
                          rescore={"vsi": set(runs), "psnr": set(runs)})
    assert cal.rescore == {"vsi": (4, 4)}
    line = [x for x in C.to_text(cal).splitlines() if "re-score" in x]
    assert line == ["> vsi scored by its code before today's fix in 4 of the 4 runs calibrated on (the same "
                    "`plbench run` re-scores them): a re-score may change its rows."], line


@pytest.mark.slow  # ≈ 1.1 s, most of it the first calibrate of the session
def test_calibrate_says_which_metrics_rest_on_scores_made_before_a_metric_fix(tmp_path, capsys):
    """Was: a store whose runs scored vsi before today's vsi fix (none re-scored: the table keeps them) was
    calibrated on those scores without a word, while the report's coverage and the findings say so. Now
    calibration.md names the metric, how many of the runs calibrated on carry such scores, and that a re-score may
    change its rows."""
    from benchmark.cli import main

    write_store(tmp_path, tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.1}, metrics=("vsi", "psnr"),
                seeds=range(2), n_images=3, seed=3, seed_sd=0.1, budget_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["calibrate", "--out", str(tmp_path), "--nulls", "20", "--splits", "1", "--metrics", "vsi",
                     "-q"]) == 0
    text = (tmp_path / "calibration.md").read_text()
    line = [x for x in text.splitlines() if "vsi" in x and "re-score" in x]
    assert len(line) == 1 and "4 of the 4 runs" in line[0] , text
    assert line[0] in capsys.readouterr().out


def as_mix(t):
    """``t`` with its ``l1`` runs as Zhao's Mix and its ``l2`` runs as ℓ1: under :func:`mix_at_least`,
    zhao2017_mix_best's Mix ≥ ℓ1 is the non-inferiority part (margin fixed in advance) zhao2017_l1_vs_l2 was until its
    v4 (ℓ1 > ℓ2 now, as the paper has it: tests/test_probe_verdicts22.py)."""
    names = {"l1": "ms_ssim_l1", "l2": "l1"}
    return t.assign(loss=t["loss"].map(lambda x: names.get(x, x)).astype(t["loss"].dtype))


@contextlib.contextmanager
def mix_at_least():
    """zhao2017_mix_best with its v3 rule, Mix ≥ each rival − the metric's margin (non-inferiority): the tests' vehicle
    for a part tested with a margin. Mix > each rival since v4, as the paper has it (tests/test_probe_verdicts23.py)."""
    import findings.zhao2017_mix_best as mix
    from benchmark.findings import Comparison

    def at_least(task, metric, a, b, relation, **kw):
        return Comparison(task, metric, a, b, "at_least" if relation == "better" else relation, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mix, "Comparison", at_least)
        yield


def _zhao(t, alpha: float = 0.05):
    """Zhao's non-inferiority part on psnr alone: Mix ≥ ℓ1 on :func:`as_mix` of ``t`` (``l1`` ≥ ``l2`` there)."""
    import findings.zhao2017_mix_best as mix
    from benchmark.findings import check_all

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(), mix_at_least():
        mp.setattr(mix, "METRICS", ("psnr",))
        warnings.simplefilter("ignore")
        (r,) = check_all(as_mix(t), ["zhao2017_mix_best"], n_boot=20, alpha=alpha)
    return r


def test_a_verdict_one_run_decides_says_which_seed_and_the_p_without_it():
    """Was: ℓ1 ≥ ℓ2 on 5 paired seeds at p_holm = 0.025 printed 'reproduced on 1 of 1 part' with no word that
    leaving out any one of four seeds' runs leaves p ≥ 0.05 — a re-run of one seed could overturn the published
    verdict. Now the part's note names the seed whose runs decide it and the p_holm without them (recomputed here
    with compare_runs on the other four), and the verdict sentence says it rests on that one run."""
    from benchmark.findings import to_text
    from benchmark.runstats import compare_runs

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=55, seed_sd=0.1, noise=0.05)
    r = _zhao(t)
    (p,) = r.parts
    assert p.verdict == "reproduced" and p.p_adj < 0.05, (p.verdict, p.p_adj)
    a, b = (t[t["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("l1", "l2"))
    without = {s: compare_runs(np.delete(a, s, 0), np.delete(b, s, 0), margin=0.05, min_runs=2).p for s in range(5)}
    worst = max(without, key=without.get)
    assert without[worst] >= 0.05
    undo = ", ".join(str(s) for s in sorted(without) if without[s] >= 0.05)  # every seed that undoes it, named
    assert f"(any of seeds {undo}: max p_holm = {without[worst]:.2g})" in p.note, p.note
    assert r.verdict == "reproduced" and f"non-significant (sr4/psnr: any of seeds {undo})" in r.verdict_text, \
        r.verdict_text
    assert "fragile: leaving out one seed's runs makes it non-significant" in to_text([r])
    # a verdict no one run decides says nothing of it
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=10, seed_sd=0.1, noise=0.05)
    r = _zhao(t)
    assert r.verdict == "reproduced" and "fragile" not in r.verdict_text + r.parts[0].note, r.verdict_text
    # a contradiction (worse by more than the margin, p_holm = 0.028) one run decides, the same way
    t = synthetic_table(tasks=("sr4",), offsets={"l1": -0.2, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=4, seed_sd=0.1, noise=0.05)
    r = _zhao(t)
    (p,) = r.parts
    a, b = (t[t["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("l1", "l2"))
    without = {s: compare_runs(np.delete(a, s, 0), np.delete(b, s, 0), margin=0.05, min_runs=2).p for s in range(5)}
    worst = max(without, key=without.get)
    assert r.verdict == "contradicted" and p.p_worse_adj < 0.05 <= without[worst], (r.verdict, p.p_worse_adj)
    undo = [s for s in sorted(without) if without[s] >= 0.05]
    assert f"{', '.join(map(str, undo))}: max p_holm = {without[worst]:.2g})" in p.note, \
        p.note
    said = ("contradicted on 1 of 1 part; fragile: leaving out one seed's runs makes it "
            f"non-significant (sr4/psnr: any of seeds {', '.join(map(str, undo))})")
    # and, as every verdict resting on counted parts, what the claim was not tested on (tests/test_probe_findings24.py)
    assert r.verdict_words == said and r.verdict_text == said + r.scope_note(), r.verdict_text


def test_a_leaderboard_mark_one_run_decides_is_named_in_the_notes():
    """Was: l2 ▼ vs l1 on 5 paired seeds at p_holm = 0.024 was a plain ▼, though leaving out any one of four seeds'
    runs leaves p ≥ 0.07 (recomputed here with compare_runs). Now the cell records the seed (``decided_by``) and the
    notes name the mark, the seed and the p without it; a mark no one run decides is not named."""
    from benchmark.export import notes
    from benchmark.runstats import compare_runs
    from benchmark.stats import compute

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.0}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=10, seed_sd=0.1, noise=0.05)
    st = compute(t, n_boot=50)
    (cell,) = st.cells[st.cells["label"] == "l2"].itertuples(index=False)
    assert cell.vs_base == -1 and cell.p_base_adj < 0.05
    a, b = (t[t["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("l2", "l1"))
    without = {s: compare_runs(np.delete(a, s, 0), np.delete(b, s, 0), min_runs=2).p for s in range(5)}
    worst = max(without, key=without.get)
    undo = [s for s in sorted(without) if without[s] >= 0.05]
    assert without[worst] >= 0.05 and cell.decided_by == "; ".join(map(str, undo))
    said = [n for n in notes(st) if n.startswith("Fragile ▲/▼")]
    assert len(said) == 1 and (f"denoise/psnr: l2 ▼ (any of seeds {', '.join(map(str, undo))}: max p_holm = "
                               f"{without[worst]:.2g})") in said[0], notes(st)
    # its column's one pair is the bold family too: l2 is out of bold on the same one run
    assert not cell.top_group and cell.bold_decided_by == cell.decided_by
    said = [n for n in notes(st) if n.startswith("Fragile out of bold")]
    assert len(said) == 1 and f"denoise/psnr: l2 (any of seeds {', '.join(map(str, undo))}: max p_holm" in said[0], \
        notes(st)
    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, metrics=("psnr",), seeds=range(5),
                        n_images=6, seed=10, seed_sd=0.1, noise=0.05)
    st = compute(t, n_boot=50)
    assert (st.cells["vs_base"] == 1).any() and st.cells["decided_by"].isna().all()
    assert not (st.cells["top_group"] | (st.cells["label"] == "input")).all()
    assert st.cells["bold_decided_by"].isna().all()
    assert not [n for n in notes(st) if "ragile" in n]


def test_a_claim_about_every_rival_left_open_by_its_pooled_effect_names_the_rival_that_beats_it():
    """Was: Mix significantly worse than ℓ1 by more than the margin (p_holm = 1e-4), its other two rivals open with
    runs spread so widely that the pooled CI reaches far above −1 margin, read 'inconclusive: contradicted on 1 of 3
    parts, but the pooled effect's CI … is not below −1 margin' — the verdict sentence (findings.csv's verdict_text)
    never said which rival. It stays inconclusive (the pooled rule, README), and now names the contradicted part."""
    import findings.zhao2017_mix_best as mix
    from benchmark.findings import check_all

    rng = np.random.default_rng(0)
    t = synthetic_table(tasks=("sr4",), offsets={"ms_ssim_l1": 0.0, "l1": 0.3, "l2": -3.0, "ssim": -3.0},
                        metrics=("psnr",), seeds=range(6), n_images=8, seed=1, seed_sd=0.05, noise=0.05)
    for loss in ("l2", "ssim"):
        for s in range(6):
            t.loc[(t["loss"] == loss) & (t["seed"] == s), "value"] += rng.normal(0, 10.0)
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(mix, "METRICS", ("psnr",))
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_mix_best"], n_boot=20)
    assert [p.verdict for p in r.parts] == ["contradicted", "inconclusive", "inconclusive"], r.parts
    assert r.verdict == "inconclusive"
    assert r.verdict_text.startswith("inconclusive: contradicted on 1 of 3 parts (ms_ssim_l1 vs l1 on sr4/psnr), but "
                                     "the pooled effect's CI"), r.verdict_text


@pytest.mark.slow  # ≈ 1.1 s: compare's whole summary of a written store
def test_compare_names_a_win_or_loss_against_the_field_that_one_run_decides(tmp_path, monkeypatch):
    """Was: `plbench compare` listed l1 under 'significantly worse than' for the new loss on 5 paired seeds at
    p_holm = 0.024, though leaving out any of four seeds' runs leaves p ≥ 0.07 (recomputed here with compare_runs).
    Now the section says which of its wins and losses one run decides, with the seed and the p without it."""
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.runstats import compare_runs

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the notes are tested, not the figure
    store = write_store(tmp_path / "r", tasks=("denoise",), offsets={"l1": 0.0, "mine": 0.0}, metrics=("psnr",),
                        seeds=range(5), n_images=6, seed=10, seed_sd=0.1, noise=0.05, budget_check=False)
    t = store.table()
    a, b = (t[t["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("mine", "l1"))
    without = {s: compare_runs(np.delete(a, s, 0), np.delete(b, s, 0), min_runs=2).p for s in range(5)}
    worst = max(without, key=without.get)
    assert compare_runs(a, b).p < 0.05 <= without[worst]
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 50, "l1", ())
    assert "| – | l1 |" in text  # l1 under "significantly worse than"
    said = [x for x in text.splitlines() if x.startswith("Fragile")]
    assert len(said) == 1, text
    undo = ", ".join(str(s) for s in sorted(without) if without[s] >= 0.05)
    assert f"significantly worse than l1 on psnr (any of seeds {undo}: max p_holm = {without[worst]:.2g})" in said[0]


@pytest.mark.slow  # ≈ 1.1 s: compare's whole summary of a written store
def test_compare_gives_the_effect_of_each_win_and_loss_in_the_metrics_units_with_its_ci(tmp_path, monkeypatch):
    """Was: `plbench compare` listed the field losses the new one is significantly better or worse than by name
    only — a user writing 'mine beats l1 by … dB' had no effect, CI or p to quote. Now each win and loss gives the
    paired effect (new − other, positive = new better) in the metric's units, its 95 % CI and p_holm, recomputed
    here with compare_runs (and the CI with scipy's t)."""
    import scipy.stats as ss

    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.runstats import compare_runs

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = write_store(tmp_path / "r", tasks=("denoise",), offsets={"l1": 0.0, "mine": 0.2}, metrics=("psnr",),
                        seeds=range(5), n_images=1, seed=1, seed_sd=0.05, noise=0.05, budget_check=False)
    t = store.table()
    a, b = (t[t["loss"] == x].pivot(index="seed", columns="image", values="value").to_numpy() for x in ("mine", "l1"))
    r = compare_runs(a, b)
    ci = ss.ttest_rel(a[:, 0], b[:, 0]).confidence_interval(0.95)  # one image: the paired t-test over runs
    assert r.p < 0.05 and abs(ci.low - r.ci_low) < 1e-9 and abs(ci.high - r.ci_high) < 1e-9
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 50, "l1", ())
    line = [x for x in text.splitlines() if x.startswith("Effects of mine")]
    assert len(line) == 1, text
    dec = max(0, 1 - int(np.floor(np.log10((ci.high - ci.low) / 2))))  # two significant digits of the half-width
    assert (f"psnr: better than l1 by {r.effect:+.{dec}f} dB [{ci.low:+.{dec}f}, {ci.high:+.{dec}f}] (p_holm = "
            f"{r.p:.2g}, 5 runs)") in line[0], line[0]

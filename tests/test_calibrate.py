"""``plbench calibrate``: known-answer simulations of the findings checker's false-verdict rate
(simulated nulls and A/A splits) and power."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark import calibrate as C
from benchmark.cli import main
from benchmark.errors import UserError
from benchmark.runstats import MIN_RUNS, NO_SPREAD, compare_runs, two_level_se, variance_components
from benchmark.synthetic import SCALE, synthetic_table, write_store

COMP = {"task": "denoise", "metric": "psnr", "higher": True, "n_images": 38}


@pytest.mark.parametrize("run_sd, ixr_sd", [(0.1, 0.03), (0.02, 0.3), (0.2, 0.2)])
def test_null_false_verdict_rate_is_at_most_five_percent(run_sd, ixr_sd):
    """Two equally good losses, 5 runs each, with run-to-run / image×run spreads from the issue's
    example (0.1 / 0.03 dB), image×run dominant, and mixed: ≤ 5 % false verdicts (either way round) over 400 nulls
    (+ binomial slack: P(≥ 31/400 | 5 %) < 0.01)."""
    comp = {**COMP, "run_sd": run_sd, "image_sd": 1.0, "image_x_run_sd": ixr_sd}
    rng = np.random.default_rng(1)
    false = sum(C.false_verdict(*C.simulate(comp, MIN_RUNS, rng), "denoise", "psnr", True) for _ in range(400))
    assert false <= 30


def test_fast_verdict_is_the_checkers_verdict():
    """The calibration's shortcut gives exactly the verdict of the whole checker on a tidy table."""
    rng = np.random.default_rng(2)
    comp = {**COMP, "run_sd": 0.1, "image_sd": 1.0, "image_x_run_sd": 0.05}
    seen = set()
    for i in range(60):
        eff = [0.0, 0.08, 0.3, -0.3, -0.06][i % 5]
        a, b = C.simulate(comp, [3, 5, 6][i % 3], rng, effect=eff)
        v = C.verdict(a, b, "denoise", "psnr", True)
        assert C.fast_verdict(a, b, "denoise", "psnr", True) == v
        seen.add(v)
    assert seen == {"reproduced", "contradicted", "inconclusive"}


def test_power_grows_with_the_effect_and_the_runs():
    comp = {**COMP, "run_sd": 0.1, "image_sd": 1.0, "image_x_run_sd": 0.05}
    rng = np.random.default_rng(3)

    def power(effect, runs, n=200):
        return np.mean([C.fast_verdict(*C.simulate(comp, runs, rng, effect), "denoise", "psnr", True) == "reproduced"
                        for _ in range(n)])

    assert power(0.05, 5) < power(0.2, 5) < power(0.5, 5)
    assert power(0.5, 5) > 0.95 and power(0.15, 10) > power(0.15, 5)


def test_variance_components_are_recovered():
    rng = np.random.default_rng(4)
    S, I = 40, 200
    v = rng.normal(0, 1.0, I)[None, :] + rng.normal(0, 0.3, (S, 1)) + rng.normal(0, 0.1, (S, I))
    c = variance_components(v)
    assert math.sqrt(c["run"]) == pytest.approx(0.3, rel=0.25)
    assert math.sqrt(c["image"]) == pytest.approx(1.0, rel=0.15)
    assert math.sqrt(c["image_x_run"]) == pytest.approx(0.1, rel=0.05)
    t = synthetic_table(metrics=("psnr",), seeds=range(12), seed_sd=0.2, noise=0.15, n_images=60,
                        offsets={"l1": 0.0, "l2": 0.0})
    comps = C.components(t).iloc[0]
    assert comps["run_sd"] == pytest.approx(0.2 * SCALE["psnr"], rel=0.35)
    assert comps["image_x_run_sd"] == pytest.approx(0.15 * SCALE["psnr"], rel=0.1)


def test_two_level_se_has_both_levels():
    rng = np.random.default_rng(5)
    d = rng.normal(0, 1, (5, 30))
    se, df = two_level_se(d)
    assert se == pytest.approx(d.std(ddof=1) / math.sqrt(d.size), rel=0.5) and df >= 4
    shifted = d + rng.normal(0, 3, (5, 1))  # a run-level shift: the SE follows the run means
    se2, df2 = two_level_se(shifted)
    assert se2 == pytest.approx(shifted.mean(axis=1).std(ddof=1) / math.sqrt(5), rel=0.1) and df2 >= 4
    r = compare_runs(shifted + 0.1, shifted)
    # identical differences: SE 0, a degenerate t — not tested (never p = 0, tests/test_probe_stats.py)
    assert r.effect == pytest.approx(0.1) and r.se == 0 and math.isnan(r.p) and r.status == NO_SPREAD
    assert compare_runs(shifted, shifted.copy()).p == 1.0


def test_aa_splits_are_distinct():
    rng = np.random.default_rng(6)
    full = C.aa_splits(10, 5, 1000, rng)
    assert len(full) == 126 and len({(tuple(a), tuple(b)) for a, b in full}) == 126
    assert all(not set(a) & set(b) for a, b in full)
    some = C.aa_splits(14, 5, 100, rng)
    assert len({(tuple(a), tuple(b)) for a, b in some}) == 100


def test_calibrate_on_a_table_with_known_components():
    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "ssim"), seeds=range(10), seed_sd=0.2, n_images=38,
                        offsets={"l1": 0.0, "l2": 0.0})
    cal = C.calibrate(t, n_nulls=200, splits=100, aa_sims=5)
    assert set(cal.nulls["n_nulls"]) == {200} and cal.null_rate <= 0.06
    assert len(cal.aa) == 4 and set(cal.aa["splits"]) == {100}
    assert cal.aa_rate <= max(0.05, cal.aa_ref_p95) + 0.02  # one set of runs: within a calibrated checker's spread
    need = C.needs_runs(cal.power)
    assert set(need["metric"]) == {"psnr", "ssim"}
    text = C.to_text(cal)
    assert "Simulated nulls" in text and "A/A on real runs" in text and "this checker, simulated: 95 % of sets" in text


def test_aa_needs_enough_seeds():
    t = synthetic_table(metrics=("psnr",), seeds=range(6), seed_sd=0.2, offsets={"l1": 0.0})
    cal = C.calibrate(t, n_nulls=20, aa_sims=0)
    assert cal.aa.empty and "≥ 10 seeds" in cal.aa_reason and "most here is 6" in cal.aa_reason
    with pytest.raises(Exception, match="≥ 2 seeds"):
        C.calibrate(synthetic_table(metrics=("psnr",), seeds=(0,), offsets={"l1": 0.0}), n_nulls=20)


def test_one_test_image_is_named_as_what_is_missing():
    """10 seeds scored on one test image: the error named seeds (it has them), not the test set."""
    t = synthetic_table(metrics=("psnr",), seeds=range(10), n_images=1, offsets={"l1": 0.0})
    with pytest.raises(UserError, match="≥ 2 test images") as e:
        C.calibrate(t, n_nulls=20)
    assert "seeds" not in str(e.value).split(";")[0] and "\n" not in str(e.value)


def test_images_counted_are_those_every_run_has():
    """Two seeds scored on 3 images, but each run is missing a different one: 1 image is complete in
    both runs, and the message counts that one (it said 3, beside "needs ≥ 2")."""
    t = synthetic_table(metrics=("psnr",), seeds=range(2), n_images=3, offsets={"l1": 0.0})
    runs = t.loc[t["loss"] == "l1", "run_id"].unique()
    images = sorted(t["image"].unique())
    drop = (((t["run_id"] == runs[0]) & (t["image"] == images[0]))
            | ((t["run_id"] == runs[1]) & (t["image"] == images[1])))
    with pytest.raises(UserError, match="have 1 ") as e:
        C.calibrate(t[~drop], n_nulls=20)
    assert "≥ 2 test images" in str(e.value)


def test_cli(tmp_path, capsys):
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=range(10), seed_sd=0.2,
                offsets={"l1": 0.0, "l2": 0.5})
    assert main(["calibrate", "--out", str(tmp_path), "--nulls", "50", "--splits", "20", "-q"]) == 0
    out = capsys.readouterr().out
    assert "# Calibration of the findings checker" in out and (tmp_path / "calibration.md").exists()
    for bad, msg in ((["--nulls", "3"], "--nulls must be at least 20"), (["--effect", "inf"], "--effect"),
                     (["--runs", "1"], "--runs must be at least 5"), (["--metrics", "lpipz"], "--metrics lpipz")):
        assert main(["calibrate", "--out", str(tmp_path), *bad, "-q"]) == 2
        assert msg in capsys.readouterr().err
    assert main(["calibrate", "--out", str(tmp_path / "none"), "-q"]) == 2


def _two_settings_store(root):
    """The same synthetic runs twice: at 150 iterations and (other run ids, another run sd) at 400 (150
    is not 400's budget check)."""
    import json

    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for tag, sd in (("", 0.05), ("b", 0.6)):
        for rid, meta, rows in synthetic_runs(tasks=("sr4",), metrics=("psnr",), seeds=range(6), seed_sd=sd,
                                              offsets={"l1": 0.0, "l2": 0.0}, budget_check=False, seed=len(tag)):
            if tag and meta.get("kind") == "input":
                continue
            rid = rid + tag
            if tag:
                rows = [{**r, "run_id": rid, "setting": r["setting"].replace('"iterations": 150', '"iterations": 400')}
                        for r in rows]
                meta = {**meta, "run_id": rid, "setting": {**meta["setting"], "iterations": 400}}
            store.write_eval(rid, rows, ["psnr"], {})
            atomic_write_json(store.run_dir(rid) / "meta.json", json.loads(json.dumps(meta)))
    return store


def test_calibrate_takes_one_setting_and_says_which(tmp_path, capsys):
    """Runs trained in two settings are not run-to-run variance: calibrate refuses to pool them (one line,
    naming the field), calibrates the one chosen with --where, and says which it used. A cell's figures
    do not depend on which other cells the results hold (each draws from its own generator)."""
    _two_settings_store(tmp_path)
    assert main(["calibrate", "--out", str(tmp_path), "--nulls", "40", "--splits", "5", "-q"]) == 2
    err = capsys.readouterr().err
    assert "iterations" in err and "--where" in err and len(err.strip().splitlines()) == 1
    assert main(["calibrate", "--out", str(tmp_path), "--nulls", "40", "--splits", "5", "--where",
                 "iterations=150", "-q"]) == 0
    md = (tmp_path / "calibration.md").read_text()
    assert "Setting (every run used shares it):" in md and "150 iterations" in md
    t = synthetic_table(tasks=("sr4", "denoise"), metrics=("psnr",), seeds=range(6), seed_sd=0.2,
                        offsets={"l1": 0.0})
    both = C.calibrate(t, n_nulls=40, splits=5, aa_sims=0)
    one = C.calibrate(t[t["task"] == "sr4"], n_nulls=40, splits=5, aa_sims=0)
    assert both.nulls.set_index("task").loc["sr4", "false"] == one.nulls.set_index("task").loc["sr4", "false"]
    pd_ = one.power.reset_index(drop=True)
    pb = both.power[both.power["task"] == "sr4"].reset_index(drop=True)
    assert pd_.equals(pb)


def test_thin_variance_components_are_marked_rough():
    t = synthetic_table(metrics=("psnr",), seeds=range(3), n_images=4, seed_sd=0.2, offsets={"l1": 0.0})
    text = C.to_text(C.calibrate(t, n_nulls=20, aa_sims=0))
    assert "> Rough:" in text and "| denoise ⚠ |" in text
    t = synthetic_table(metrics=("psnr",), seeds=range(6), n_images=20, seed_sd=0.2, offsets={"l1": 0.0})
    assert "Rough" not in C.to_text(C.calibrate(t, n_nulls=20, aa_sims=0))

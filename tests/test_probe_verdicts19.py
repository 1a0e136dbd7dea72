"""Probe of verdicts (round 19): p's printed in the fewest digits on their side of α, …"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pytest


def _digits(num: str) -> int:
    """Significant digits of a printed number ('0.0496' → 3, '1.5e-05' → 2)."""
    mant = num.split("e")[0].replace(".", "").lstrip("0")
    return max(len(mant), 1)


def test_a_p_a_hair_below_alpha_prints_the_fewest_digits_on_its_side():
    """Was: p_text added significant digits until the rounded p stayed on its side of α, so a Holm p a hair under
    α printed up to 17 of them ('= 0.049999999999999996' for the float below 0.05, '= 0.009999999' at α = 0.01).
    Now, where 4 digits do not keep it on its side, it prints the bound between it and α with the fewest digits:
    '< 0.05'; a p a hair above an α of more digits, '≥ 0.012341'."""
    from benchmark.stats import p_text

    assert p_text(math.nextafter(0.05, 0)) == "< 0.05"
    assert p_text(0.05 - 1e-12) == "< 0.05" and p_text(0.04999999) == "< 0.05"
    assert p_text(0.009999999, alpha=0.01) == "< 0.01"
    assert p_text(0.0123410001, alpha=0.012341) == "≥ 0.012341"
    # the readings earlier rounds pinned: 2 significant digits, up to 4 where 2 cross α
    assert p_text(0.0496) == "= 0.0496" and p_text(0.04999) == "= 0.04999" and p_text(0.0504) == "= 0.05"
    assert p_text(0.034) == "= 0.034" and p_text(0.05) == "= 0.05" and p_text(0.00996, alpha=0.01) == "= 0.00996"
    assert p_text(1e-20) == "< 1e-16" and p_text(float("nan")) == "= –"
    # whatever the p and α: on the p's side of α, and a bound in the fewest digits that stay on it
    rng = np.random.default_rng(0)
    for alpha in (0.05, 0.01, 0.05 / 12, 0.1, 0.05 / 7, 0.012341):
        near = alpha * (1 + rng.normal(0, 1, 120) * 10.0 ** -rng.integers(1, 16, 120))
        for p in np.concatenate([near, [alpha, math.nextafter(alpha, 0), math.nextafter(alpha, 1)]]):
            t = p_text(p, alpha)
            rel, num = t.split(" ", 1)
            v, d = float(num), _digits(num)
            if rel == "=":
                assert (v < alpha) == (p < alpha) and d <= 4, (p, alpha, t)
            elif rel == "<":
                assert p < v <= alpha, (p, alpha, t)
                if d > 1:  # no decimal of fewer digits lies between them: α cut down to d − 1 digits is ≤ p
                    cut = Decimal(alpha).quantize(Decimal(1).scaleb(Decimal(alpha).adjusted() - d + 2), ROUND_FLOOR)
                    assert not p < float(cut), (p, alpha, t)
            else:
                assert rel == "≥" and alpha <= v <= p, (p, alpha, t)


def _two_iteration_runs(its=(150, 200)):
    """``(run_id, meta, rows)`` of l1 and l2 on sr4 × 5 seeds at each of ``its`` iterations (neither half the other)."""
    import json

    from benchmark.synthetic import synthetic_runs

    for n, data_seed in zip(its, (0, 1)):
        for rid, meta, rows in synthetic_runs(tasks=("sr4",), offsets={"l1": 0.0, "l2": -0.5}, metrics=("psnr",),
                                              seeds=range(5), n_images=4, seed=data_seed, seed_sd=0.1,
                                              budget_check=False):
            if n != 150:
                if meta.get("kind") == "input":
                    continue
                rid = f"{rid[:-4]}{n:04d}"
                meta = {**json.loads(json.dumps(meta).replace('"iterations": 150', f'"iterations": {n}')),
                        "run_id": rid}
                rows = [{**r, "run_id": rid, "setting": r["setting"].replace('"iterations": 150', f'"iterations": {n}')}
                        for r in rows]
            yield rid, meta, rows


def _two_iteration_counts(root):
    """:func:`_two_iteration_runs` written as a results store."""
    from benchmark.results import ResultsStore, atomic_write_json

    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in _two_iteration_runs():
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


def test_several_settings_are_said_with_the_where_that_shows_one():
    """The line `plbench findings` prints on a store of several settings (the CLI: the slow test below); none on one
    setting, nor for budget checks at half the iterations, which are no setting of their own."""
    from benchmark.results import to_frame
    from benchmark.settings import several_settings_text
    from benchmark.synthetic import synthetic_table

    t = to_frame([r for _, _, rows in _two_iteration_runs() for r in rows])
    line = several_settings_text(t, "plbench findings --out r")
    assert line == ("the results hold 2 settings that differ in iterations (150 | 200): each is checked apart, their "
                    "parts one Holm family per finding; `plbench findings --out r --where iterations=200` shows one")
    assert several_settings_text(t[~t["setting"].astype(str).str.contains('"iterations": 200')], "x") == ""
    one = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0}, metrics=("psnr",), seeds=range(2), n_images=2,
                          budget_check=True)
    assert several_settings_text(one, "x") == ""


@pytest.mark.slow
def test_findings_on_several_settings_say_how_to_pick_one_and_where_picks_it(tmp_path, capsys):
    """Was: `plbench findings` on runs at 150 and 200 iterations printed every finding once per setting with no word
    of why or how to pick one, and took no --where (`plbench report` refuses such a store naming the --where).
    Now it says what the settings differ in and the --where that shows one, and --where shows that setting alone
    (its parts still one Holm family with the other's, as the report's Findings), a typo refused as report's."""
    from benchmark.cli import main

    _two_iteration_counts(tmp_path / "r")
    out = str(tmp_path / "r")
    assert main(["findings", "--out", out, "--only", "zhao2017_l1_vs_l2"]) == 0
    text = capsys.readouterr().out
    assert text.count("checked on:") == 2, text
    assert ("the results hold 2 settings that differ in iterations (150 | 200): each is checked apart, their parts "
            "one Holm family per finding; `") in text, text
    assert f"findings --out {out} --where iterations=200` shows one" in text, text
    assert main(["findings", "--out", out, "--only", "zhao2017_l1_vs_l2", "--where", "iterations=200"]) == 0
    text = capsys.readouterr().out
    assert text.count("checked on:") == 1 and "200 iterations" in text and "settings that differ" not in text, text
    assert "Holm family: this setting and 1 other" in text, text
    assert main(["findings", "--out", out, "--only", "zhao2017_l1_vs_l2", "--where", "iterations=250"]) != 0
    assert "no results match iterations=250 (they have iterations: 150 | 200" in capsys.readouterr().err


def test_the_tasks_compare_did_not_compute_are_named_with_what_each_lacks():
    """The line of compare's summary (the slow test below writes it): each task of the board with no cell computed,
    and why — left out by --tasks, no setting of its field picked, or no cell — in name order."""
    from benchmark.compare import unjudged_text

    line = unjudged_text({"sr4", "deblur", "jpeg"}, {"deblur": ["two settings"], "jpeg": []}, {"jpeg": [{}]})
    assert line == ("The leaderboard's ▲/▼ (one Holm family over the whole table, which these tests join too) are not "
                    "judged here: no cells of the board's tasks deblur (no setting of its field picked: its section "
                    "says why), jpeg (no cell computed: its section says why), sr4 (not compared now: --tasks left it "
                    "out) were computed — `plbench report` re-derives them")
    assert unjudged_text(set(), {}, {}) == ""


@pytest.mark.slow
def test_compare_says_the_tables_marks_are_not_judged_and_which_tasks_it_did_not_compute(tmp_path, monkeypatch):
    """Was: `plbench compare --tasks denoise` on a board of denoise and sr4 checked its new losses' effect on the
    metric columns' Holm families only and said nothing of the leaderboard's ▲/▼ (one family over the whole table,
    which the new tests join too): a ▼ on sr4 the regenerated leaderboard dropped went unsaid, and no line named the
    task it had not computed. Now the section says the ▲/▼ are not judged here and what each task lacks."""
    from benchmark import figures
    from benchmark.compare import _setting, _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = write_store(tmp_path / "r", tasks=("denoise", "sr4"),
                        offsets={"l1": 0.0, "l2": -0.35, "mine": 0.0}, metrics=("psnr",), seeds=range(5), n_images=4,
                        seed=13, seed_sd=0.1, noise=0.05, budget_check=False)
    metas = [m for m in store.metas() if m.get("config")]
    group = [m for m in metas if m["config"]["task"] == "denoise"]
    keep = {_setting(m) for m in metas}
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 20, "l1", (), keep=keep)
    section = text.split("## The field's verdicts this comparison changed")[1].split("\n## ")[0]
    assert ("The leaderboard's ▲/▼ (one Holm family over the whole table, which these tests join too) are not judged "
            "here: no cells of the board's tasks sr4 (not compared now: --tasks left it out) were computed — "
            "`plbench report` re-derives them") in section, section
    # every task computed: the ▲/▼ are judged, no such line
    both = {t: [m for m in metas if m["config"]["task"] == t] for t in ("denoise", "sr4")}
    text, _ = _summary(store, both, ["mine"], {"denoise": [], "sr4": []}, 0.05, 20, "l1", (), keep=keep)
    assert "are not judged here" not in text, text

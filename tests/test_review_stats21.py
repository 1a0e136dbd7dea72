"""Review of session 21's verdicts, methods and report areas: what their mends left open."""

from __future__ import annotations

import pytest

from benchmark.synthetic import synthetic_table


def test_a_table_without_the_higher_is_better_column_is_refused_in_one_line_not_a_key_error():
    """ccf6ac0e refused a metric whose rows all leave ``higher_is_better`` empty ("a table built by hand or exported
    without the column"), but a table with no such column at all went past ``one_direction`` untouched and raised a
    bare ``KeyError: 'higher_is_better'`` traceback in ``stats.compute`` and ``findings.check_all``. Now the same
    one-line refusal, naming the metrics."""
    from benchmark import stats as S
    from benchmark.errors import UserError
    from benchmark.findings import check_all

    t = synthetic_table(tasks=("denoise",), metrics=("lpips", "psnr"), offsets={"l1": 0.0, "good": 0.5},
                        seeds=range(5), n_images=6).drop(columns=["higher_is_better"])
    for call in (lambda: S.compute(t, n_boot=20), lambda: check_all(t, ["zhao2017_l1_vs_l2"])):
        with pytest.raises(UserError, match="no higher_is_better column.*lpips, psnr") as e:
            call()
        assert "\n" not in str(e.value)


def test_a_grid_of_one_seed_but_its_baseline_names_the_baseline_not_every_other_loss():
    """f70604e6 shortened the 'One run per cell' note only where *every* loss of a task rests on one run; the common
    first look — every loss on one seed, the baseline on three — still listed every other loss by name, task after
    task (here 11 names of 22 characters, twice). Now such a task says 'every loss but <the few>', and where every
    task has the same few the note opens 'every task (every loss but l1)'."""
    import warnings

    import pandas as pd

    from benchmark.export import one_run_text
    from benchmark.stats import compute

    offsets = {"l1": 0.0, **{f"loss{i:02d}_{'x' * 16}": 0.05 * i for i in range(1, 12)}}
    t = synthetic_table(tasks=("denoise", "sr4"), offsets=offsets, metrics=("psnr",), seeds=(0,), n_images=6, seed=3)
    more = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0}, metrics=("psnr",), seeds=(1, 2),
                           n_images=6, seed=3)
    grid = pd.concat([t, more[more["loss"] != "input"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both = one_run_text(compute(grid, n_boot=20))
        one = one_run_text(compute(grid[~((grid["task"] == "sr4") & (grid["loss"] == "l1")
                                           & (grid["seed"] > 0))], n_boot=20))
    assert both.startswith("One run per cell in every task (every loss but l1): the interval"), both
    assert "loss03" not in both and len(both) < 400, both
    assert one.startswith("One run per cell in denoise (every loss but l1); sr4 (every loss): "), one


def test_an_a_a_rate_above_alpha_is_not_said_to_rest_on_a_checker_holding_alpha_its_nulls_do_not_show():
    """bde87d25 excused an A/A rate above α by this checker's simulated spread 'which holds α on the simulated nulls'
    wherever the nulls were not TOO HIGH — also where they were above α themselves, only within the simulation's
    noise (12/200 = 6.0 %: 'run more nulls to tell'), so the page said both that the nulls were above α and that
    the checker holds α on them. Now the excuse says it holds only as far as the nulls tell."""
    import dataclasses

    from benchmark import calibrate as C

    t = synthetic_table(tasks=("denoise",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(10),
                        seed_sd=0.5, n_images=6)
    cal = C.calibrate(t, n_nulls=20, splits=10, aa_sims=2)
    aa = cal.aa.assign(splits=100, false=7, rate=0.07)

    def aa_line(false: int) -> str:
        c = dataclasses.replace(cal, nulls=cal.nulls.head(1).assign(n_nulls=200, false=false, rate=false / 200),
                                aa=aa.head(1), aa_ref_p95=0.12, aa_ref_mean=0.05)
        (line,) = [x for x in C.to_text(c).splitlines() if x.startswith("**A/A on real runs**")]
        return line

    within = aa_line(12)  # nulls 6.0 %: above α, within the simulation's noise
    assert "holds α on the simulated nulls" not in within and "run more nulls" in within, within
    assert "TOO HIGH" not in within, within
    held = aa_line(8)  # nulls 4.0 %: ok
    assert "which holds α on the simulated nulls" in held, held


def test_a_loss_with_no_finite_score_in_one_task_and_every_run_lost_in_another_is_said_not_ranked_for_both():
    """a6db8b3b listed a loss whose finished runs have no finite score as not ranked, but a loss of both kinds — every
    score NaN in denoise, every run diverged in sr4 — had its sr4 left out: not_ranked skipped lost tasks of any loss
    with cells, so the note under the ranking said 'no finite score: nanloss (denoise)' alone and the LaTeX row 'not
    ranked: no finite score'. Now both its tasks are said, each with its reason, and the LaTeX row names both."""
    import dataclasses
    import re
    import warnings

    import pandas as pd

    from benchmark.export import latex, not_ranked, not_ranked_text
    from benchmark.stats import compute

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.2, "nanloss": 0.1},
                        metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=3)
    t.loc[(t["loss"] == "nanloss") & (t["task"] == "denoise"), "value"] = float("nan")
    t = t[~((t["loss"] == "nanloss") & (t["task"] == "sr4"))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = compute(t, n_boot=20)
    dead = lambda task, loss: loss == "nanloss" and task == "sr4"  # noqa: E731
    tc = pd.DataFrame([{"task": task, "label": loss, "loss": loss, "runs": 5, "ok": 0 if dead(task, loss) else 5,
                        "diverged": 5 if dead(task, loss) else 0, "failed": 0, "ms_per_it": 1.0}
                       for task in ("denoise", "sr4") for loss in ("l1", "l2", "nanloss")])
    st = dataclasses.replace(st, task_costs=tc)
    assert sorted(not_ranked(st)["nanloss"]) == [("denoise", "no finite score"), ("sr4", "diverged 5/5")]
    text = not_ranked_text(st)
    assert text.startswith("Not ranked — every run diverged: nanloss (sr4 5/5). Not ranked — no finite score"), text
    assert text.endswith(": nanloss (denoise)."), text
    assert re.search(r"nanloss & \\multicolumn\{\d\}\{l\}\{not ranked: no finite score, or every run diverged or "
                     r"failed\}", latex(st))


@pytest.mark.parametrize("installed", [False, True])
def test_lpips_heads_missing_say_the_file_is_needed_not_a_bare_read(monkeypatch, tmp_path, installed):
    """561c9dcd's line for a missing LPIPS head ended '…; read whatever the trunk's weights (weights='random' too)' —
    a clause without its subject that reads as an order to the user ('read …'). Now it says which file is needed
    whatever the trunk's weights."""
    import importlib.machinery
    import importlib.util

    from benchmark import weights as W

    real = importlib.util.find_spec
    spec = importlib.machinery.ModuleSpec("lpips", None, origin=str(tmp_path / "lpips" / "__init__.py"))
    spec.submodule_search_locations = [str(tmp_path / "lpips")]
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: (spec if installed else None) if n == "lpips"
                        else real(n, *a))
    line = W.missing_message(W.get_file("lpips:alex:v0.1"))
    assert "; read whatever" not in line, line
    assert "alex.pth is needed whatever the trunk's weights (weights='random' too)" in line, line

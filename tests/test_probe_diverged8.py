"""Probes of reports of grids that went badly: losses short of runs, diverged grids (synthetic stores, no training)."""
from __future__ import annotations

import pytest

# their reports are read for their text and tables: the figures (half of each report) are not drawn
pytestmark = pytest.mark.usefixtures("no_report_figures")


def _short(offsets, short="bad", keep=3):
    """Stats of a one-task grid with 5 seeds per loss except ``short``, which keeps its first ``keep`` runs."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets=offsets, metrics=("psnr", "ssim", "lpips"), seeds=tuple(range(5)), n_images=6,
                        seed=1, seed_sd=0.3)
    return compute(t[~((t["loss"] == short) & (t["seed"] >= keep))], None, baseline="l1", n_boot=50)


def _cd_title(st) -> str:
    from benchmark import figures as F

    with F.style() as plt:
        fig = F.draw_cd_diagram(st)
        title = " ".join(f"{fig.get_suptitle()} {fig.get_supxlabel()}".split())  # title and caption (fit_title)
        plt.close(fig)
    return title


def _deblur_all_diverged(tmp_path):
    """A denoise + deblur grid (l1, good; one seed) whose every deblur run diverged: the others are removed."""
    import json
    import shutil

    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "grid", tasks=("denoise", "deblur"), seeds=(0,), offsets={"l1": 0.0, "good": 1.0},
                        n_images=4, budget_check=False, diverged=("l1", "good"))
    for d in list(store.runs.iterdir()):
        m = json.loads((d / "meta.json").read_text())
        if m.get("status") != "diverged" and m.get("config", {}).get("task") == "deblur":
            shutil.rmtree(d)
    return store


def test_cd_title_and_smoke_line_name_the_loss_short_of_runs_not_every_loss():
    """Was: l1, good with 5 runs and bad with 3 — the CD title said "3 run(s) per loss, nothing tested" and (l1 vs
    bad alone) the smoke-test line "3 run(s) per loss", as if l1 had 3 too. Both now name bad, as the summary."""
    from benchmark.stats import smoke_test

    st = _short({"l1": 0.0, "good": 1.0, "bad": -1.0})
    assert st.friedman.get("method") != "permutation", st.friedman  # 2 losses left: nothing to test without bad
    title = _cd_title(st)
    assert "bad (3 runs)" in title and "runs per loss" not in title, title
    two = _short({"l1": 0.0, "bad": -1.0})
    line = smoke_test(two)
    assert "bad (3 runs) where a verdict needs ≥ 5" in line and "per loss" not in line, line


def test_friedman_tests_the_other_losses_when_one_is_short_of_runs_in_every_block():
    """Was: one loss with 3 runs (a diverged seed) in every block left the whole Friedman/CD test descriptive for
    the three losses with 5 runs each. It now tests those three, and the summary and CD title name the loss left
    out and why."""
    from benchmark.export import friedman_text

    st = _short({"l1": 0.0, "good": 1.0, "mid": 0.3, "bad": -1.0})
    f = st.friedman
    assert f["method"] == "permutation" and "descriptive" not in f, f
    assert set(f["ranks"]) == {"l1", "good", "mid"} and f["runs_dropped"] == {"bad": 3}, f
    assert f["p"] < 0.05 and list(f["ranks"])[0] == "good", f
    line = friedman_text(st)
    assert line.startswith("Friedman test over") and "bad (3 runs) is left out of the test" in line, line
    assert "bad (3 runs) is left out of the test" in _cd_title(st)


def test_a_store_where_every_run_diverged_reports_the_lost_runs_not_just_no_results(tmp_path, caplog):
    """Was: every run of the grid diverged — `plbench report` wrote "Setting: no results." and empty tables: the
    diverged runs were left out because they belong to no chosen setting (there was none). The report now lists
    them (costs.csv, the leaderboard's tables) and logs one line: how many, which losses, where the records are."""
    import json
    import logging
    import shutil

    import pandas as pd

    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "grid", seeds=(0,), offsets={"l1": 0.0, "good": 1.0}, n_images=4,
                        budget_check=False, diverged=("l1", "good"))
    for d in list(store.runs.iterdir()):
        if json.loads((d / "meta.json").read_text()).get("status") != "diverged":
            shutil.rmtree(d)
    with caplog.at_level(logging.WARNING, logger="benchmark.report"):
        out = write_report(store, formats=("png",), visual=False, html=False, n_boot=100)
    lines = [r.getMessage() for r in caplog.records if "diverged or failed" in r.getMessage()]
    assert len(lines) == 1 and "2 runs" in lines[0] and "good (1 diverged); l1 (1 diverged)" in lines[0], lines
    assert str(store.runs) in lines[0], lines
    costs = pd.read_csv(tmp_path / "grid" / "costs.csv")
    assert sorted(costs["loss"]) == ["good", "l1"] and costs["diverged"].tolist() == [1, 1], costs
    assert "| l1 | not ranked |" in out["markdown"].read_text()


def test_a_task_whose_every_run_diverged_is_reported_beside_a_task_that_ran(tmp_path, caplog):
    """Was: denoise ran, every deblur run of the same grid diverged — the report was denoise's alone: deblur's
    lost runs belong to no chosen setting (it has no rows), so costs.csv and the tables never named them. They
    are now listed (costs.csv) and one warning line names them and where their records are."""
    import logging

    import pandas as pd

    from benchmark.report import write_report

    store = _deblur_all_diverged(tmp_path)
    with caplog.at_level(logging.WARNING, logger="benchmark.report"):
        write_report(store, formats=("png",), visual=False, html=False, n_boot=50)
    lines = [r.getMessage() for r in caplog.records if "deblur" in r.getMessage()]
    assert len(lines) == 1 and "2 runs" in lines[0] and "good (1 diverged); l1 (1 diverged)" in lines[0], lines
    assert str(store.runs) in lines[0] and "\n" not in lines[0], lines
    costs = pd.read_csv(tmp_path / "grid" / "costs.csv")
    assert sorted(costs["diverged"]) == [2, 2], costs  # denoise's and deblur's diverged run of each loss
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.report"):  # --where task=denoise: deblur not chosen
        write_report(store, formats=("png",), visual=False, html=False, n_boot=50, where={"task": "denoise"})
    assert not [r for r in caplog.records if "deblur" in r.getMessage()], caplog.records
    assert sorted(pd.read_csv(tmp_path / "grid" / "costs.csv")["diverged"]) == [1, 1]


def test_where_on_a_store_where_every_run_diverged_keeps_to_the_chosen_runs(tmp_path, caplog):
    """Was: `report --where task=deblur` on a store where every run diverged listed the lost runs of every task
    (denoise's too): with no scored rows the selection is empty and every lost run was taken. Now only the
    runs that --where chooses."""
    import logging

    import pandas as pd

    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "grid", tasks=("denoise", "deblur"), seeds=(), offsets={"l1": 0.0, "good": 1.0},
                        n_images=4, budget_check=False, diverged=("l1", "good"))
    with caplog.at_level(logging.WARNING, logger="benchmark.report"):
        write_report(store, formats=("png",), visual=False, html=False, n_boot=50, where={"task": "deblur"})
    lines = [r.getMessage() for r in caplog.records if "diverged or failed" in r.getMessage()]
    assert len(lines) == 1 and "2 runs" in lines[0], lines
    costs = pd.read_csv(tmp_path / "grid" / "costs.csv")
    assert costs["diverged"].tolist() == [1, 1], costs


def test_short_runs_who_names_the_counts_when_every_loss_is_short_by_different_amounts():
    """Was: l1 and bad with 3 runs, good with 4 — "3 run(s) per loss", as if good had 3 too. Each loss is named
    with its own count when the counts differ; "n run(s) per loss" only when every loss has n."""
    from benchmark.stats import compute, short_runs_who
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -1.0}, metrics=("psnr", "ssim"), seeds=tuple(range(4)),
                        n_images=6, seed=1, seed_sd=0.3)
    st = compute(t[(t["loss"] == "good") | (t["seed"] < 3)], None, baseline="l1", n_boot=50)
    assert short_runs_who(st, 3) == "bad (3 runs), good (4 runs), l1 (3 runs)"
    even = compute(t[t["seed"] < 3], None, baseline="l1", n_boot=50)
    assert short_runs_who(even, 3) == "3 runs per loss"


def test_where_choosing_a_task_whose_every_run_diverged_reports_its_lost_runs(tmp_path, caplog):
    """Was: denoise ran, every deblur run diverged — `report --where task=deblur` refused with "no results match
    task=deblur (they have task: denoise …)", as if deblur had never run. It now reports deblur's lost runs, as a
    store where every run diverged: costs.csv lists them and one line names them and where their records are."""
    import logging

    import pandas as pd

    from benchmark.report import write_report

    store = _deblur_all_diverged(tmp_path)
    with caplog.at_level(logging.WARNING, logger="benchmark.report"):
        write_report(store, formats=("png",), visual=False, html=False, n_boot=50, where={"task": "deblur"})
    lines = [r.getMessage() for r in caplog.records if "diverged or failed" in r.getMessage()]
    assert len(lines) == 1 and "no results for deblur" in lines[0] and "2 runs" in lines[0], lines
    assert str(store.runs) in lines[0], lines
    costs = pd.read_csv(tmp_path / "grid" / "costs.csv")
    assert costs["diverged"].tolist() == [1, 1], costs


def test_losses_tested_without_the_short_loss_are_not_also_called_excluded():
    """Was: with the short loss dropped and the others tested again, the result kept the first call's
    ``excluded`` list. Seven losses, lpips scored for l1, good, mid and bad only (4 of 7, most): e1–e3 were
    excluded for lacking it. Without bad (3 runs) lpips is 3 of 6, no longer most, so e1–e3 are ranked and
    tested, yet ``excluded`` still named them (the CD title called them not shown)."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    offs = {"l1": 0.0, "good": 1.0, "mid": 0.3, "bad": -1.0, "e1": 0.5, "e2": 0.2, "e3": 0.7}
    t = synthetic_table(offsets=offs, metrics=("psnr", "ssim", "ms_ssim", "lpips"), seeds=tuple(range(5)),
                        n_images=6, seed=1, seed_sd=0.3)
    t = t[~((t["loss"] == "bad") & (t["seed"] >= 3))]
    t = t[~(t["loss"].isin(["e1", "e2", "e3"]) & (t["metric"] == "lpips"))]
    f = compute(t, None, baseline="l1", n_boot=50).friedman
    assert f["method"] == "permutation" and f["runs_dropped"] == {"bad": 3}, f
    assert {"e1", "e2", "e3"} <= set(f["ranks"]), f
    assert not set(f["excluded"]) & set(f["ranks"]), f

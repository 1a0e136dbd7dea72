"""Review of the figures15 probe (natural name order, budget checks on metrics with no finite score)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (pandas, scipy, matplotlib): once for the file, not in a test."""
    import scipy.stats  # noqa: F401

    import benchmark.compare  # noqa: F401
    import benchmark.export  # noqa: F401
    import benchmark.figures  # noqa: F401
    import benchmark.report  # noqa: F401


def test_name_order_reads_decimals_and_exponents_as_numbers_and_the_pages_sort_agrees_with_the_tables():
    """``name_key`` read ``1e-3`` as 1, ``e-``, 3 (so a sweep ``1e-2, 1e-3, 1e-4`` listed backwards, after
    ``0.5``), and report.html's click-to-sort (localeCompare numeric) put ``0.5`` before ``0.25``: the page's order of
    tied names disagreed with the tables'. One order: numbers as numbers, decimals and exponents included."""
    from benchmark.stats import name_key, rank_order

    sweep = ["l1 + 1e-2*vgg", "l1 + 0.5*vgg", "l1 + 1e-4*vgg", "l1 + 0.25*vgg", "l1 + 1e-3*vgg", "l1 + 2*vgg"]
    want = ["l1 + 1e-4*vgg", "l1 + 1e-3*vgg", "l1 + 1e-2*vgg", "l1 + 0.25*vgg", "l1 + 0.5*vgg", "l1 + 2*vgg"]
    assert rank_order(dict.fromkeys(sweep, 2.0)) == want
    odd = ["a1", "a01", "L1", "l1", "w1.10", "w1.2", "x٣", "x3", "", "1", "a" + "9" * 400, "a" + "9" * 401, ".5", "w",
           "w1e999", "w1e998"]
    names = sorted(odd + sweep, key=name_key)
    assert len(set(map(name_key, names))) == len(names)  # a total order: names equal as numbers differ by the string
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run report.html's sort")
    from benchmark.export import NAME_CMP

    script = NAME_CMP + f"console.log(JSON.stringify({json.dumps(names[::-1])}.sort(nameCmp)));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=20, check=True).stdout
    assert json.loads(out) == names


@pytest.mark.slow  # about 1 s: a comparison's summary written
def test_compares_ranking_lists_tied_losses_in_the_leaderboards_order(tmp_path, monkeypatch):
    """compare's 'Ranking here' ordered equal mean ranks by the string (``w10`` before ``w2``), its own sort beside
    :func:`benchmark.stats.rank_order`, which the leaderboard's task table lists them by (``w2`` before ``w10``)."""
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the ranking line is tested, not the figure
    store = write_store(tmp_path / "r", tasks=("denoise",), offsets={"w10": 0.0, "w2": 0.0, "l1": 1.0},
                        metrics=("psnr",), seeds=(0,), n_images=2, noise=0.0, budget_check=False)
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["w2"], {"denoise": []}, 0.05, 10, "l1", ())
    line = next(x for x in text.splitlines() if x.startswith("Ranking here"))
    at = [line.index(lab) for lab in (" l1 ", " w2 (new)", " w10")]
    assert at == sorted(at), line  # as the task table lists them (rank_order: tests/test_probe_figures15.py)


def _unscored(metrics, nan, seeds=(0, 1), offsets=None):
    """(table, checks, metas) of a budget-checked synthetic store whose ``nan`` {metric: losses} scored NaN on every
    image of those losses' runs and checks (None: every loss's, the input's too)."""
    from benchmark.results import to_frame
    from benchmark.settings import drop_budget_checks
    from benchmark.synthetic import synthetic_runs

    runs = list(synthetic_runs(tasks=("denoise",), offsets=offsets or {"l1": 0.0, "l2": 0.1}, metrics=metrics,
                               seeds=seeds, n_images=3))
    rows = [{**r, "value": float("nan")} if r["metric"] in nan and (nan[r["metric"]] is None
                                                                     or r["loss"] in nan[r["metric"]]) else r
            for _, _, rs in runs for r in rs]
    table, checks = drop_budget_checks(to_frame(rows))
    iterations = max(m.get("config", {}).get("iterations", 0) for _, m, _ in runs)
    return table, checks, [m for _, m, _ in runs if m.get("config", {}).get("iterations") == iterations]


def test_when_no_metric_with_a_margin_has_a_finite_score_the_note_says_so_not_that_no_run_has_a_budget_check():
    """Every metric with a practical margin NaN everywhere (nlpd on images too small for it; mad has no margin):
    arm_budget leaves every (arm, metric) out, and the leaderboard said 'Convergence not checked: none of the 4 runs
    has a budget check' — false: they have, and training them again would not help. Or, with mad there, that 'no
    metric scored has a practical margin' — nlpd has one. Now it names the real reason."""
    from benchmark.export import convergence_notes
    from benchmark.stats import compute

    for metrics in (("nlpd",), ("nlpd", "mad")):
        table, checks, metas = _unscored(metrics, {"nlpd": None}, seeds=(0,))
        notes = " ".join(convergence_notes(compute(table, metas, checks=checks, n_boot=10)))
        assert "has a budget check" not in notes and "no metric scored has a practical margin" not in notes, notes
        assert "Convergence cannot be checked" in notes and "nlpd: no finite score in any run" in notes, notes


def test_the_converged_note_names_a_metric_left_out_of_one_losss_budget_check_and_not_one_that_was_checked():
    """f15443a leaves a metric out of an arm's budget check when none of the arm's runs has a finite score on it, and
    f5a0860's note named such a metric only where every loss's mean was NaN: ssim NaN for l2's runs alone left l2
    unchecked on ssim under 'Converged: … within ± every metric's practical margin', nothing said. The note now reads
    what the checks left out (Stats.budget): 'ssim not checked for convergence of l2'."""
    from benchmark.export import unchecked_metrics_text
    from benchmark.stats import compute

    table, checks, metas = _unscored(("psnr", "ssim"), {"ssim": ("l2",)})
    st = compute(table, metas, checks=checks, n_boot=10)
    assert set(st.budget.loc[st.budget["loss"] == "l1", "metric"]) == {"psnr", "ssim"}  # l1 checked on ssim
    said = unchecked_metrics_text(st, "denoise")
    assert said == "ssim not checked for convergence of l2 (no finite score in their runs)", said
    assert "ssim not checked for convergence of denoise/l2" in unchecked_metrics_text(st)


def _lost_w2_w10():
    """Stats of a store where every run of ``w10`` and ``w2`` diverged, beside a scored ``l1``."""
    from benchmark.results import to_frame
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs

    runs = [(m, rs) for _, m, rs in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "w10": 0.0, "w2": 0.0},
                                                   metrics=("psnr",), seeds=(0,), n_images=2, budget_check=False,
                                                   diverged=("w10", "w2"))
            if m.get("status") == "diverged" or m.get("config", {}).get("loss") not in ("w10", "w2")]
    return compute(to_frame([r for _, rs in runs for r in rs]), [m for m, _ in runs], n_boot=10)


def test_losses_whose_every_run_diverged_are_listed_in_name_order_as_ties_are_w2_before_w10():
    """The rows of losses with no restoration (every run diverged) came after the ranked ones sorted as strings —
    ``w10`` before ``w2`` — in the task tables and the overall ranking's 'not ranked', while tied losses go in natural
    order (stats.name_key). One order: ``w2`` before ``w10`` there too."""
    from benchmark.export import not_ranked, task_rows

    st = _lost_w2_w10()
    assert [r.label for r in task_rows(st, "denoise")[1] if r.kind == "lost"] == ["w2", "w10"]
    assert list(not_ranked(st)) == ["w2", "w10"]


@pytest.mark.slow  # a figure drawn
def test_the_figures_list_losses_whose_every_run_diverged_in_the_tables_name_order():
    """As the task tables (above): the metric-points figure's rows of lost losses, ``w2`` before ``w10``."""
    import matplotlib.pyplot as plt

    from benchmark import figures as F

    with F.style():
        fig = F.draw_metric_points(_lost_w2_w10(), "denoise")
    assert [lab for lab in fig.plb_labels if lab in ("w2", "w10")] == ["w2", "w10"]
    plt.close(fig)


@pytest.mark.slow  # a figure drawn
def test_the_leaderboard_figures_key_keeps_a_sign_with_its_words_when_the_title_wraps(tmp_path, monkeypatch):
    """leaderboard.png's title wrapped '…; –: no' over 'score; *: ranked over fewer …': the dash's meaning split
    from it. A key's sign and its first words stay on one line (the key is the caption under the figure since
    8a126611; its title and caption are read here)."""
    from benchmark import figures as F
    from benchmark.report import heatmap
    from benchmark.results import to_frame
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs

    kw = dict(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "bad": -1.0, "l10": 0.5, "l2": 0.3}, seeds=(0,),
              n_images=3, metrics=("psnr", "lpips"), budget_check=False)
    runs = list(synthetic_runs(**kw))
    table = to_frame([r for _, _, rs in runs for r in rs
                      if not (r["task"] == "sr4" and r["loss"] == "l10" and r["metric"] == "lpips")])
    titles = []
    monkeypatch.setattr(F, "save", lambda fig, base, formats=("png",): titles.append(
        "\n".join(t.get_text() for t in (fig._suptitle, fig._supxlabel) if t is not None)) or [])
    heatmap(table, tmp_path / "leaderboard.png", stats=compute(table, [m for _, m, _ in runs], n_boot=10))
    (title,) = titles
    assert "–: no score" in title and "*: ranked" in title and "\u00a0" not in title, title


@pytest.mark.slow  # a finding checked on a store
def test_a_finding_on_arms_whose_only_metric_with_a_margin_scored_nothing_does_not_ask_to_score_one(tmp_path):
    """vif (no margin) and nlpd NaN on every image: every arm's budget check is left out, and the finding's part said
    'convergence cannot be checked without a metric with a practical margin (score one too, e.g. psnr …)' — nlpd is
    one, scored, and NaN. It now says what is so: no metric with a margin has a finite score in their runs."""
    import warnings
    from dataclasses import replace

    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark.findings import check_store
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0}, metrics=("vif", "nlpd"),
                                          seeds=tuple(range(5)), n_images=4, seed=1, seed_sd=0.05):
        rows = [{**r, "value": float("nan")} if r["metric"] == "nlpd" else r for r in rows]
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("vif",))
        mp.setattr(zhao.L1AtLeastL2, "needs", replace(zhao.L1AtLeastL2.needs, metrics=("vif",)))
        warnings.simplefilter("ignore")
        (r,) = check_store(store, ["zhao2017_l1_vs_l2"], n_boot=20)
    (part,) = r.counted
    assert "score one too" not in part.note, part.note
    assert "no metric with a practical margin has a finite score in their runs (nlpd: NaN)" in part.note, part.note

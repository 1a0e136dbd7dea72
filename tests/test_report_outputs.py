"""`report` on a synthetic store: every export and figure written, non-empty and consistent."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.cli import main
from benchmark.synthetic import write_store


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("rep")
    write_store(root, tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l1_twin": 0.0, "good": 1.0, "l2": 0.3},
                diverged=("l2",))
    assert main(["report", "--out", str(root), "--formats", "png", "pdf", "svg", "--bootstrap", "200", "-q"]) == 0
    return root


def test_exports_written(report_dir):
    for name in ("leaderboard.md", "leaderboard.tex", "leaderboard.png", "report.html", "results.csv",
                 "summary.csv", "ranks.csv", "costs.csv"):
        assert (report_dir / name).stat().st_size > 100, name
    md = (report_dir / "leaderboard.md").read_text()
    assert "## denoise" in md and "## sr4" in md and "| input |" in md and "## Overall ranking" in md
    assert "**" in md and "▲" in md and "†" in md and "Friedman" in md
    tex = (report_dir / "leaderboard.tex").read_text()
    assert r"\toprule" in tex and r"\textbf{" in tex and r"$\pm$" in tex and r"\bottomrule" in tex
    # each task's three metrics in two parts (one table ran 25 pt past article's 345 pt text width), the ranking
    assert tex.count(r"\begin{table}") == tex.count(r"\end{table}") == 5
    summary = pd.read_csv(report_dir / "summary.csv")
    assert {"mean", "ci_low", "ci_high", "p_base_adj", "vs_base", "top_group", "circular", "rank"} <= set(summary)
    assert len(summary) == 2 * 5 * 3  # tasks × (4 losses + input) × metrics
    costs = pd.read_csv(report_dir / "costs.csv").set_index("loss")
    assert costs.loc["l2", "diverged"] == 2 and costs.loc["l1", "diverged"] == 0
    conv = pd.read_csv(report_dir / "convergence.csv")  # every run has its budget check: all converged
    assert len(conv) == 2 * 4 * 3 and set(conv["status"]) == {"converged"} and set(conv["runs"]) == {3}


def test_figures_written(report_dir):
    figs = report_dir / "figures"
    for stem in ("rank_heatmap", "cd_diagram", "pd_plane", "training_curves", "metrics_denoise", "metrics_sr4"):
        for ext in ("png", "pdf", "svg"):
            assert (figs / f"{stem}.{ext}").stat().st_size > 1000, f"{stem}.{ext}"
    assert not list(figs.glob("visual_*"))  # no saved nets in a synthetic store: skipped, not faked


def test_visual_grid_skip_is_logged(tmp_path, caplog, monkeypatch):
    from benchmark import figures as F
    from benchmark import report
    from benchmark.report import write_report

    # the two figures whose logging is checked are drawn; the others (drawn and checked by test_exports_written and
    # test_figure_layout.py) were most of its time
    for name in ("rank_heatmap", "pd_plane", "training_curves", "metric_points"):
        monkeypatch.setattr(F, name, lambda *a, **k: [])
    monkeypatch.setattr(report, "heatmap", lambda *a, **k: None)
    store = write_store(tmp_path, offsets={"l1": 0.0, "good": 1.0}, metrics=("psnr",), n_images=8)
    with caplog.at_level("INFO"):
        out = write_report(store, n_boot=100, formats=("png",))
    assert "visual grid for denoise skipped: no saved nets" in caplog.text
    assert "cd_diagram skipped" not in caplog.text and out["markdown"].exists()


def test_empty_store_reports_cleanly(tmp_path, capsys):
    from benchmark.results import ResultsStore

    ResultsStore(tmp_path).ensure_writable()
    assert main(["report", "--out", str(tmp_path), "-q"]) == 0
    assert (tmp_path / "leaderboard.md").read_text().startswith("# Leaderboard")


def test_report_bad_options(tmp_path, capsys):
    write_store(tmp_path, metrics=("psnr",), n_images=5)
    assert main(["report", "--out", str(tmp_path), "--alpha", "2", "-q"]) == 2
    assert "--alpha" in capsys.readouterr().err

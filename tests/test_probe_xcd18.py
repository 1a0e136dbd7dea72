"""The CD diagram's title, as every figure's: at most 2 lines as drawn, its test's explanation under it (session 18)."""

from __future__ import annotations

from test_figure_layout import layout_problems
from test_probe_report18 import _title_lines


def test_the_cd_diagrams_title_takes_two_lines_and_its_explanation_goes_under_it():
    """Was: the CD diagram's title was a 3–4-line paragraph at 7 pt over the axes (the smoke line, the mean rank,
    Friedman p, what the black bars join, the losses not shown), where every other figure's title takes at most 2 lines
    (fit_title). Now its title says what the ranks are and the Friedman p on at most 2 lines; the bars' meaning and
    the losses left out are its caption, under the figure, inside the canvas and apart from the rest."""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    # a tested field (5 runs a loss) without budget checks: no run shown converged, a smoke test, in a third of the
    # time the convergence statistics of budget-check runs took (2 s: the test was marked slow)
    kw = dict(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.1, "ssim": 0.3, "vgg": 0.5}, seeds=range(5),
              n_images=3, metrics=("psnr", "ssim"), budget_check=False)
    t = synthetic_table(**kw)
    t = t[~((t["loss"] == "vgg") & (t["task"] == "sr4"))]  # vgg not in every block: not in the test, named
    st = compute(t, [m for _, m, _ in synthetic_runs(**kw)], n_boot=5)
    assert st.friedman["excluded"] == ["vgg"], st.friedman
    with F.style() as plt:
        fig = F.draw_cd_diagram(st)
        fig.draw_without_rendering()
        title, caption = fig.get_suptitle().replace("\n", " "), " ".join(fig.get_supxlabel().split())
        assert _title_lines(fig, fig._suptitle) <= F.TITLE_LINES, title
        assert title.startswith("Smoke test, not a ranking") and "Mean rank of each loss's runs" in title, title
        assert "Friedman p " in title and "Black bars" not in title and "Not shown" not in title, title
        assert "Black bars join losses not significantly different" in caption, caption
        assert "not over images" in caption and "Not shown (not in every block most losses have): vgg" in caption
        assert not [a for a in fig.axes if a.get_title()], "the title is the figure's, not the axes'"
        assert layout_problems(fig) == []
        plt.close(fig)

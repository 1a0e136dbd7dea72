"""Review of session 18's report fixes (probe-report): titles fitted to two lines, their captions."""

from __future__ import annotations


def test_a_title_too_long_for_its_lines_is_cut_between_clauses_not_inside_one():
    """Was: a narrow leaderboard part (one metric, a long task name, a smoke test) set at 6.5 pt still did not fit
    its two lines: the title ended "… rows 25–48 …" and the caption under the figure opened "… of 70): mean over
    images and seeds" — the part's rows cut in two, half above the figure and half below it. A title that does not
    fit is cut between its clauses where one fits ("Leaderboard (part 2 of 3: …, rows 25–48 of 70)"), the clause
    after it opening the caption ("Mean over images and seeds.")."""
    from benchmark import figures as F

    head = "Leaderboard (part 2 of 3: super_resolution_x4, rows 25–48 of 70): mean over images and seeds"
    smoke = "Smoke test, not a ranking: 1 run per loss where a verdict needs ≥ 5"
    with F.style() as plt:
        fig, _ = plt.subplots(figsize=(3.1, 6))
        fig.set_dpi(F.PNG_DPI)
        title, caption, size = F.fit_title(fig, head, smoke)
        plt.close(fig)
    assert len(title.split("\n")) <= 2 and title.startswith("Smoke test, not a ranking"), title
    assert title.replace("\n", " ").endswith("rows 25–48 of 70)") and "…" not in title, title
    assert caption.replace("\n", " ").startswith("Mean over images and seeds. Smoke test"), caption
    assert "…" not in caption, caption

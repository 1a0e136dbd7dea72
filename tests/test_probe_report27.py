"""Probe report (round 27): figure captions and report notes that named every loss, whatever their number."""

from __future__ import annotations

import functools

import pytest

NAMES = [(f"loss_{i}_" + "long_name_part_" * 4)[:40] for i in range(40)]


@functools.cache
def _stats_with_lost(n_lost: int):
    """Stats of one task: three losses scored (2 seeds, 2 images, psnr and ssim), and ``n_lost`` losses of 40
    characters whose every run diverged (no restoration anywhere: not ranked)."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), seeds=(0, 1), offsets={"l1": 0.0, "ssim": 0.3, "good": 1.0}, metrics=("psnr", "ssim"),
              n_images=2, budget_check=False)
    metas = [m for _, m, _ in synthetic_runs(**kw)]
    metas += [m for _, m, _ in synthetic_runs(tasks=("denoise",), seeds=(), offsets=dict.fromkeys(NAMES[:n_lost], 0.0),
                                              metrics=("psnr", "ssim"), n_images=2, budget_check=False,
                                              diverged=tuple(NAMES[:n_lost])) if m.get("status") == "diverged"]
    return compute(synthetic_table(**kw), metas, n_boot=5)


@pytest.mark.slow
def test_the_cd_diagram_and_rank_heatmap_count_many_losses_not_ranked_and_name_a_few():
    """Was: the CD diagram's and the rank heatmap's captions named every loss not ranked (every run diverged or
    failed: export.not_ranked_text), whatever their number: 40 losses of 40 characters made a 20-line caption under a
    2-line CD diagram and a 41-line one under a 3-row heatmap (looked at the PNGs). Past NOTE_LINES lines at 7 pt (the
    P–D plane's rule, _short_note) the note counts them; one such loss is named as before."""
    from benchmark import figures as F
    from benchmark.export import not_ranked_text

    with F.style() as plt:
        for draw in (F.draw_cd_diagram, F.draw_rank_heatmap):
            one = " ".join(draw(_stats_with_lost(1)).get_supxlabel().split())
            assert not_ranked_text(_stats_with_lost(1)).rstrip(".") in one, one
            fig = draw(_stats_with_lost(40))
            caption = fig.get_supxlabel()
            assert "long_name" not in caption, caption
            assert "Not ranked — every run diverged: 40 losses (too many to name here; the tables give each loss's " \
                "runs)" in " ".join(caption.split()), caption
            assert caption.count("\n") < 2 * F.NOTE_LINES + 4, caption  # the other notes as before, this one short
            plt.close(fig)


@pytest.mark.slow
def test_the_cd_diagram_counts_many_losses_not_shown_and_names_a_few():
    """Was: the CD diagram's 'Not shown (not in every block most losses have): …' note named every loss left out of
    the test, whatever their number: 16 losses of 40 characters without sr4 made a 6-line note of names in the
    caption. Past NOTE_LINES lines at 7 pt (capped_note, the rule of the P–D plane's notes) it counts them; one such
    loss is named as before (tests/test_probe_xcd18.py)."""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise", "sr4"), seeds=(0, 1), offsets={n: 0.1 * i for i, n in enumerate(["l1"] + NAMES[:35])},
              metrics=("psnr", "ssim"), n_images=2, budget_check=False)
    t = synthetic_table(**kw)
    st = compute(t[~(t["loss"].isin(NAMES[19:35]) & (t["task"] == "sr4"))],
                 [m for _, m, _ in synthetic_runs(**kw)], n_boot=5)
    assert st.friedman["excluded"] == sorted(NAMES[19:35], key=lambda n: int(n.split("_")[1])), st.friedman
    with F.style():
        caption = " ".join(F.draw_cd_diagram(st).get_supxlabel().split())
    assert "Not shown (not in every block most losses have): 16 losses (too many to name here; the tables give " \
        "each loss's blocks)" in caption, caption
    assert not any(n in caption for n in NAMES[19:35]), caption


@pytest.mark.slow
def test_leaderboard_tex_counts_many_losses_lost_in_its_captions_and_keeps_its_tables_whole():
    """Was: leaderboard.tex's ranks caption (not_ranked_text) and each task table's caption ('No restoration to score
    …', task_caveats) named every loss whose every run diverged or failed, though each has its row saying so: 40
    losses of 40 characters made 3300-character captions, 41 of the 54 lines a table float holds, so tex_row_groups
    split the 43-row ranks table into 11 floats and the denoise table into 22 of 2 rows each. Past NOTE_LINES lines
    (docmarkup.capped_text, the figures' rule, of TEX_LINE characters) they are counted; one such loss is named as
    before."""
    import re

    from benchmark.export import latex, lost_runs_text

    one = latex(_stats_with_lost(1))
    assert "No restoration to score (every run diverged or failed): loss\\_0\\_" in one
    assert lost_runs_text("Not ranked", {NAMES[0]: [("denoise", "diverged 1/1")]}).replace("_", "\\_").replace(
        "—", "---") in one
    tex = latex(_stats_with_lost(40))
    captions = re.findall(r"\\caption\{(.*)\}", tex)
    assert not [c for c in captions if "long" in c], [c[:300] for c in captions if "long" in c]
    flat = " ".join(captions)
    assert "No restoration to score (every run diverged or failed): 40 losses (too many to name here" in flat
    assert "Not ranked --- every run diverged: 40 losses (too many to name here" in flat
    # 43 rows, each loss name of 40 characters on 2 lines: 86 lines, 3 floats of 54 less the caption and rules (the
    # denoise table's psnr column apart from its ssim column, tex_column_groups: 3 floats of psnr)
    floats = tex.split(r"\begin{table}")[1:]
    assert len([f for f in floats if r"\label{tab:ranks" in f]) <= 3
    assert len([f for f in floats if r"\label{tab:denoise" in f and "& psnr (dB)" in f]) <= 3


@pytest.mark.slow
def test_leaderboard_md_and_html_count_many_losses_lost_in_their_notes():
    """Was: leaderboard.md's (and report.html's) notes named every loss lost, whatever their number, in two walls of
    text (the notes' 'No restoration to score — …' and the overall ranking's 'Not ranked — …', 40 losses of 40
    characters: 2800 and 2300 characters), though the overall ranking and the task tables give each its row. Past
    NOTE_LINES lines of TEX_LINE characters (capped_text, the rule of the figures' and leaderboard.tex's notes) they are
    counted; one such loss is named as before."""
    from benchmark.export import _rank_table, markdown, notes

    one = markdown(_stats_with_lost(1))
    assert f"No restoration to score — every run diverged or failed: denoise/{NAMES[0]} (diverged 1/1)" in one
    assert f"Not ranked — every run diverged: {NAMES[0]} (denoise 1/1)" in one
    stats = _stats_with_lost(40)
    lost_notes = [n for n in notes(stats) if "No restoration" in n] + [markdown(stats).split("## denoise")[0]
                                                                       .split("Not ranked —")[1]]
    assert "long_name" not in " ".join(lost_notes), lost_notes
    assert "No restoration to score — every run diverged or failed: 40 losses in denoise (too many to name here" \
        in lost_notes[0], lost_notes
    assert lost_notes[1].startswith(" every run diverged: 40 losses (too many to name here"), lost_notes
    note = _rank_table(stats).split("</table>")[-1]
    assert "Not ranked — every run diverged: 40 losses" in note and "long_name" not in note, note


def test_the_reports_lost_runs_line_counts_many_losses_and_names_a_few(tmp_path):
    """Was: report's 'no results: every one of the N runs recorded here diverged or failed — …' warning (lost_runs_line)
    named every loss with its runs, whatever their number: 200 runs of 40 losses of 40 characters made one log line of
    2300 characters. Past NOTE_LINES lines of TEX_LINE characters (capped_text, the rule of every note naming losses)
    it counts them; two losses are named as before."""
    from benchmark.report import lost_runs_line

    def metas(names, k):
        return [{"config": {"loss": n, "task": "denoise"}, "status": "diverged"} for n in names for _ in range(k)]

    two = lost_runs_line(metas(["l1", "ssim"], 2), tmp_path)
    assert "— l1 (2 diverged); ssim (2 diverged); their records: " in two, two
    line = lost_runs_line(metas(NAMES, 5), tmp_path)
    assert "long_name" not in line and len(line) < 400, line
    assert "every one of the 200 runs recorded here diverged or failed — 40 losses (200 diverged; too many to name " \
        "here; the tables give each loss's runs); their records: " in line, line

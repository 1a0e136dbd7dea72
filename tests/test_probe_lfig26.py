"""Probe of the slow figure tests that failed on main (round 26, lfig): figures split into parts, and figures taller
than a page, each page height derived from the figures as drawn."""

from __future__ import annotations

import pytest

from tests.test_probe_figures14 import _long_field, _png_inches


@pytest.mark.slow
def test_the_metric_points_and_rank_heatmap_are_split_into_as_few_parts_as_fit(tmp_path, monkeypatch):
    """A task's metric points too tall for a page guessed the loss rows a part holds from the whole figure's mean row
    height rounded down, and only ever tried more parts: 20 losses whose two parts of 10 are 3.44 in made 3 parts on a
    3.44-in page. The page here is each figure's two balanced parts as drawn (the whole figure taller): 2 parts, each
    within it. Supersedes test_probe_figures14's test of this, whose fixed pages (3.45 in, 3.3 in) no longer sat just
    above the parts' heights."""
    from benchmark import figures as F
    from benchmark.export import balanced

    stats, _ = _long_field(n=20, chars=8, tasks=("denoise",), metrics=("psnr",))
    with F.style():
        whole = F.draw_rank_heatmap(stats)
        order = whole.plb_labels
        rank = [F.draw_rank_heatmap(stats, None, p, (i + 1, 2)) for i, p in enumerate(balanced(order, 2))]
        points = F.draw_metric_points(stats, "denoise")
        losses = [lab for lab in points.plb_labels if lab != F.INPUT]
        parts = [F.draw_metric_points(stats, "denoise", None, points.plb_metrics, (i + 1, 2), p, points.plb_xlims)
                 for i, p in enumerate(balanced(losses, 2))]
    for whole_fig, figs, draw in (
            (whole, rank, lambda: F.rank_heatmap(stats, tmp_path / "rank_heatmap", ("png",))),
            (points, parts, lambda: F.metric_points(stats, "denoise", tmp_path / "metrics_denoise", ("png",)))):
        page = round(max(f.get_size_inches()[1] for f in figs), 3) + 0.005  # the PNG's height is whole pixels
        assert whole_fig.get_size_inches()[1] > page
        monkeypatch.setattr(F, "PAGE_IN", page)
        sizes = [_png_inches(p) for p in draw()]
        assert len(sizes) == 2 and all(h <= page for _, h in sizes), (page, sizes)


@pytest.mark.slow
def test_a_one_task_pd_plane_widened_for_its_key_stays_within_a_page(tmp_path):
    """One task's P–D plane (every ``plbench compare``) of 60 losses of 40 characters is widened to the page's width
    for its key's columns; 06f13dd2 then made the figure as tall as gives its panel a 0.85 aspect at that width, a
    6.6 × 5.7-in panel over a 4.7-in key: 11.4 in, past the page (test_probe_figures12's test of it failed since), and
    with its key apart (:func:`~benchmark.figures.legend_apart`) a 6.9-in part 1 of one huge panel. The panel takes
    that aspect only as far as the figure stays within :data:`~benchmark.figures.PAGE_IN`: a 9.1-in figure whose key
    goes apart, as before 06f13dd2, every part within the page, the panel a plot's height."""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table
    from tests.test_probe_figures12 import LONG60

    t = synthetic_table(offsets=LONG60, metrics=("psnr", "lpips"), seeds=(0,), n_images=3)
    stats = compute(t, n_boot=10)
    with F.style():
        fig = F.draw_pd_plane(stats)
        fig.canvas.draw()
        panel = fig.axes[0].get_window_extent()
        assert fig.get_size_inches()[1] <= F.PAGE_IN + 0.5, fig.get_size_inches()  # the key's 4.7 in under a panel
        assert 2.5 <= panel.height / fig.dpi <= 3.5, panel.height / fig.dpi
    sizes = [_png_inches(p) for p in F.pd_plane(stats, tmp_path / "pd_plane", ("png",))]
    assert all(h <= F.PAGE_IN and w <= F.COL2 + 0.01 for w, h in sizes), sizes


def test_blau_s_out_of_regime_note_names_its_stand_ins_as_words_a_table_can_wrap():
    """0b6f9415 named Blau's no-reference stand-ins in its out-of-regime note as one slash-joined token,
    'niqe/musiq/brisque/nima/pi' (26 characters, no break a browser takes), so report.html's Findings table could not
    wrap its verdict column narrower: 1260 px in its 1240-px box, a sideways scroll
    (test_probe_report20::test_the_findings_table_needs_no_sideways_scrolling_at_1280_px, slow, failed since). Each
    stand-in is a word of its own ('niqe, musiq, brisque, nima or pi')."""
    from types import SimpleNamespace

    import findings.blau2018_pd_tradeoff as blau

    note = blau.PerceptionDistortionTradeoff().out_of_regime(None, SimpleNamespace(note="perception", metric="lpips"))
    assert all(m in note for m in blau.NO_REFERENCE), note
    assert "/" not in note and blau._either(blau.NO_REFERENCE) in note, note

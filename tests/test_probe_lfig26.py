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


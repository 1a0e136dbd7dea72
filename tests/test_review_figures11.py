"""Review of the published figures (figures11): defects found by drawing reports of 1–60 losses, 1–8 tasks and
1–12 metrics and looking at every PNG."""

from __future__ import annotations

from benchmark import figures as F


def test_rank_colourbar_always_shows_the_worst_rank_it_names():
    """The rank heatmap's colourbar is labelled 'mean rank (1 = best, k = worst)', but with 12 losses its ticks were
    1, 6, 11: the extreme it names was not on the bar (k next to the last tick was dropped, not moved). For every k
    the ticks run from 1 to k, increasing, at most 7, none closer than half a step to its neighbour."""
    for k in range(1, 301):
        ticks = F._rank_ticks(k)
        assert ticks[0] == 1 and ticks[-1] == k, (k, ticks)
        assert ticks == sorted(set(ticks)) and len(ticks) <= 7, (k, ticks)
        if k > 1:
            gaps = [b - a for a, b in zip(ticks, ticks[1:])]
            assert min(gaps) * 2 >= max(gaps[:-1] or gaps), (k, ticks)

"""Probe of publishing at scale (figures, exports, report): a field of every registered loss over five
tasks, a single run, two losses, long unicode loss specs, a task only one metric scores, losses missing on
some tasks. One test per defect found; each failed on the code before its fix."""

from __future__ import annotations

import numpy as np
from test_figure_layout import layout_problems

from benchmark import figures as F
from benchmark import stats as S
from benchmark.synthetic import synthetic_table

TWO = (0, 1)


def _ladder(n: int) -> dict[str, float]:
    """``n`` losses clearly apart on every metric: ``loss00`` best, ``loss{n-1}`` worst."""
    return {f"loss{i:02d}": -0.8 * i for i in range(n)}


def _mesh_cells(fig):
    """The rank heatmap's (row labels, column labels, colour-scale position in [0, 1] per cell)."""
    ax = fig.axes[0]
    mesh = ax.collections[0]
    rows = [t.get_text().replace("\n", "") for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    pos = np.asarray(mesh.norm(np.ma.filled(mesh.get_array(), np.nan)), float).reshape(len(rows), len(cols))
    return rows, cols, pos


def test_rank_heatmap_colour_means_the_same_in_every_column():
    """16 losses on denoise, 14 of them on sr4: sr4's worst loss has mean rank 14, and the one colour
    scale (1 to 16) drew it two steps short of the scale's end, as if two losses were worse — while
    denoise's worst sat at the end. Each column now colours the rank relative to the losses ranked in
    it (its best at one end, its worst at the other, in every column); the text keeps the mean rank, and
    the column says how many losses it ranks."""
    losses = _ladder(16)
    t = synthetic_table(tasks=("denoise", "sr4"), seeds=TWO, metrics=("psnr", "ssim"), n_images=6,
                        offsets=losses, noise=0.01)
    t = t[~((t["task"] == "sr4") & t["loss"].isin(["loss03", "loss07"]))]
    st = S.compute(t, n_boot=20)
    with F.style() as plt:
        fig = F.draw_rank_heatmap(st)
        rows, cols, pos = _mesh_cells(fig)
        texts = [x.get_text() for x in fig.axes[0].texts]
        problems = layout_problems(fig)
        plt.close(fig)
    sr4 = next(i for i, c in enumerate(cols) if c.startswith("sr4"))
    dn = next(i for i, c in enumerate(cols) if c.startswith("denoise"))
    worst, best = rows.index("loss15"), rows.index("loss00")
    assert texts[worst * len(cols) + sr4].startswith("14.0"), texts  # the text is still the mean rank
    for c in (dn, sr4):
        assert np.isclose(pos[worst, c], 1.0), (cols[c], pos[:, c])
        assert np.isclose(pos[best, c], 0.0), (cols[c], pos[:, c])
    assert "14" in cols[sr4] and "16" in cols[dn], cols  # how many losses each column ranks
    assert problems == []

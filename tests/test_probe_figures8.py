"""Probe of the figures' render time: faster paths must draw what the slower ones drew."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark import figures as F


def _curves() -> pd.DataFrame:
    """Relative training losses of 3 labels: 3 seeds, 1 seed (no band), and 2 seeds of which one stops early."""
    rng = np.random.default_rng(0)
    rows = [(lab, s, it, float(v)) for lab, seeds, end in (("l1", 3, 60), ("solo", 1, 60), ("vgg", 2, 60))
            for s in range(seeds) for it in range(3, end if s == 0 or lab != "vgg" else 30, 3)
            for v in [np.exp(-it / 40) * np.exp(rng.normal(0, 0.2))]]
    return pd.DataFrame(rows, columns=["label", "seed", "it", "rel"])


def test_training_curves_mean_and_band_are_seaborns_without_its_apply_per_iteration(monkeypatch):
    """A 5-task × 20-loss × 5-seed report spent 20 of its training curves' 30 s in seaborn's pandas ``apply`` per
    (loss, iteration); the curves now aggregate once per loss — and the line and band are seaborn's, value for value."""
    import seaborn as sns
    from seaborn import _statistics

    g = _curves()
    present = ["l1", "solo", "vgg"]
    with F.style() as plt:
        fig, ax = plt.subplots()
        sns.lineplot(data=g, x="it", y="rel", hue="label", hue_order=present, estimator="mean",
                     errorbar=("pi", 100), ax=ax, legend=False)
        lines = [(l.get_xdata(), l.get_ydata()) for l in ax.lines]
        bands = [c.get_paths()[0].vertices if c.get_paths() else np.empty((0, 2)) for c in ax.collections]
        mean, lows, highs = F._seed_mean_band(g)
        for label, (x, y), band in zip(present, lines, bands):
            m = mean[mean["label"] == label]
            assert np.array_equal(m["it"].to_numpy(float), np.asarray(x, float))
            assert np.array_equal(m["rel"].to_numpy(float), np.asarray(y, float))  # bit for bit
            assert np.array_equal(lows[label][0], np.asarray(x, float))
            ok = ~np.isnan(lows[label][1])
            assert (label == "solo") == (not ok.any())  # one seed: no band
            if ok.any():  # the band's outline: the lows forward, then the highs backward (NaN gaps left out)
                assert set(np.round(band[:, 1], 12)) >= set(np.round(lows[label][1][ok], 12)) | set(
                    np.round(highs[label][1][ok], 12))
        plt.close(fig)

        calls = []
        monkeypatch.setattr(_statistics.EstimateAggregator, "__call__",
                            lambda self, *a, **k: calls.append(1) or (_ for _ in ()).throw(AssertionError))
        metas = [{"config": {"task": "denoise", "loss": r.label, "seed": int(r.seed)}, "weights": "none",
                  "status": "ok", "loss_curve": [[int(i), float(v)] for i, v in zip(d["it"], d["rel"])]}
                 for r, d in ((r, g[(g["label"] == r.label) & (g["seed"] == r.seed)])
                              for r in g[["label", "seed"]].drop_duplicates().itertuples())]
        fig = F.draw_training_curves(metas)
        assert calls == [] and fig is not None
        ax = fig.axes[0]
        assert len(ax.lines) == 3 and len(ax.collections) == 3  # a line each; a band each (empty for one seed)
        plt.close(fig)


def test_heatmaps_skip_seaborns_whole_figure_draw_and_draw_the_same(monkeypatch):
    """``sns.heatmap`` drew the whole figure once per panel (to see if its tick labels overlap; the figures set them
    all afterwards): 9 of a 5-task leaderboard's 32 s. Skipped now — and the PNG is byte for byte the one drawn
    with it."""
    import contextlib
    import io

    from seaborn import matrix

    from benchmark.report import heatmap_panels
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "ssim": -0.4, "a_long_loss_name(alpha=0.5)": 0.6},
                        tasks=("denoise", "sr4", "deblur"), seeds=(0, 1), n_images=3, metrics=("psnr", "ssim"))
    stats = compute(t, n_boot=10)
    panels = heatmap_panels(t, stats=stats)
    calls = []
    seaborn_draw = matrix._draw_figure
    monkeypatch.setattr(matrix, "_draw_figure", lambda fig: calls.append(fig) or seaborn_draw(fig))

    def png(draw):
        with F.style() as plt:
            fig = draw()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=100)
            plt.close(fig)
        return buf.getvalue()

    drawers = (lambda: F.draw_leaderboard_heatmap(panels), lambda: F.draw_rank_heatmap(stats))
    fast = [png(d) for d in drawers]
    assert calls == []
    monkeypatch.setattr(F, "_heatmap_without_redraw", contextlib.nullcontext)  # seaborn's draw, as before
    assert [png(d) for d in drawers] == fast
    assert len(calls) == 4  # one per panel: three tasks, one rank heatmap

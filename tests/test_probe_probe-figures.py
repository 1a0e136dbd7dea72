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

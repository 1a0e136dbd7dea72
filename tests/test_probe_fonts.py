"""Library warnings in a report's normal output: matplotlib's font look-ups."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from benchmark import figures as F
from benchmark.stats import compute
from benchmark.synthetic import synthetic_runs, synthetic_table


@pytest.fixture
def unbundled_fonts(monkeypatch):
    """matplotlib as Linux distributions ship it (its bundled fonts unbundled): DejaVu Sans, but no STIX,
    no Computer Modern (cm*), no DejaVu Sans Display. matplotlib's font and mathtext caches are emptied
    before and after, so what this process drew before cannot hide a look-up."""
    from matplotlib import font_manager as fm
    from matplotlib.mathtext import MathTextParser

    def clear():
        fm.FontManager._findfont_cached.cache_clear()
        MathTextParser._parse_cached.cache_clear()

    have = fm.fontManager.ttflist
    kept = [f for f in have if not f.name.startswith(("STIX", "cm")) and f.name != "DejaVu Sans Display"]
    assert len(kept) < len(have) and any(f.name == "DejaVu Sans" for f in kept)
    clear()
    monkeypatch.setattr(fm.fontManager, "ttflist", kept)
    yield
    clear()


@pytest.fixture(scope="module")
def worse_store():
    """A quick-profile-like report's data: four losses, two tasks, a perceptual metric, and ``bad``
    restoring worse than the degraded input on psnr (every figure marks it ⚠)."""
    kw = dict(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "ms_ssim_l1": 0.4, "lpips_squeeze": -0.5,
                                                 "bad": {"psnr": -5.0}},
              metrics=("psnr", "lpips"), n_images=4, seeds=(0, 1), noise=0.6, budget_check=False)
    table = synthetic_table(**kw)
    metas = [m for _, m, _ in synthetic_runs(**kw)]
    return table, metas, compute(table, metas, n_boot=20)


def _outline(marker) -> np.ndarray:
    """A marker's outline as drawn at size 1: its path's vertices through its transform."""
    return marker.get_transform().transform(marker.get_path().vertices)


def test_the_worse_than_input_marker_is_the_glyph_mathtext_drew():
    """The ⚠ marker built without mathtext has the outline, placement and size of the ``"$⚠$"`` marker
    it replaces (matplotlib's own mathtext marker, all its fonts installed here): figures look the same."""
    import matplotlib
    from matplotlib.markers import MarkerStyle

    with matplotlib.rc_context({"text.parse_math": True}):
        was = MarkerStyle(f"${F.WORSE}$")
    now = F.worse_marker()
    assert np.array_equal(was.get_path().codes, now.get_path().codes)
    assert np.allclose(_outline(was), _outline(now), atol=1e-9)
    box = now.get_path().transformed(now.get_transform()).get_extents()
    assert np.isclose(max(box.width, box.height), 1.0) and np.allclose([box.x0 + box.x1, box.y0 + box.y1], 0.0)


def _quiet(caplog, draw):
    """Run ``draw()`` (inside :func:`F.style`), assert matplotlib logged no warning and Python warned
    nothing; return what ``draw`` returned."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with F.style():
            drawn = draw()
    mpl = [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib")]
    assert not mpl, mpl
    assert not [str(w.message) for w in caught]
    return drawn


def test_the_worse_than_input_marker_logs_no_font_warnings(worse_store, unbundled_fonts, caplog, tmp_path):
    """Was: the ⚠ legend marker (worse than the input) was built as mathtext, whose DejaVu font set also
    loads its STIX and Computer Modern fallbacks and DejaVu Sans Display: where matplotlib's bundled
    fonts are not installed, each report logged 21 ``findfont: Font family ['STIXGeneral'] not found``
    lines. The marker is now DejaVu Sans's glyph as a path, drawn as before."""
    _, _, stats = worse_store
    assert F.worse_labels(stats, "denoise") == {"bad"}

    def draw():
        fig = F.draw_metric_points(stats, "denoise")
        legend = dict(zip((t.get_text() for t in fig.legends[0].get_texts()), fig.legends[0].legend_handles))
        F.save(fig, tmp_path / "m", formats=("png", "pdf", "svg"))
        return legend[f"worse than the input on {F.WORSE_METRIC}"]._marker

    mark = _quiet(caplog, draw)
    assert np.array_equal(_outline(mark), _outline(F.worse_marker()))  # the ⚠ is still drawn


@pytest.mark.slow
def test_every_figure_of_a_report_logs_no_font_warnings(worse_store, unbundled_fonts, caplog, tmp_path):
    """Every statistical figure of a report with a loss worse than the input (the leaderboard heatmap
    included), saved in every format, where only DejaVu Sans is installed: no font look-up warns."""
    from benchmark.report import heatmap_panels

    table, metas, stats = worse_store

    def draw():
        figs = F.draw_all(stats, metas)
        figs["leaderboard"] = F.draw_leaderboard_heatmap(heatmap_panels(table), stats.worse)
        assert {"metrics_denoise", "pd_plane", "cd_diagram", "rank_heatmap", "training_curves"} <= set(figs)
        for name, fig in figs.items():
            F.save(fig, tmp_path / name, formats=("png", "pdf", "svg"))

    _quiet(caplog, draw)

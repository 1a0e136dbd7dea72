"""Review of the trim commits (a69bdcee 1002d449 410945ba 42f70909 4f795880 53954507): their reports are no longer
drawn, so two figure paths only those reports reached are drawn and read here, directly (no report, no store)."""
from __future__ import annotations

import pytest

from benchmark import figures as F
from benchmark.results import to_frame
from benchmark.stats import compute
from benchmark.synthetic import synthetic_runs


@pytest.fixture(scope="module")
def lost_and_short():
    """denoise: l1 over 2 seeds, good over 1 (its seed 1 not run), and lost, whose one run diverged: (stats, metas)."""
    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "good": 1.0, "lost": 0.0}, metrics=("psnr", "lpips"),
              seeds=(0, 1), n_images=4, diverged=("lost",), budget_check=False)

    def kept(meta):
        cfg = meta.get("config") or {}
        return not ((cfg.get("loss") == "lost" and meta["status"] == "ok") or (cfg.get("loss"), cfg.get("seed")) ==
                    ("good", 1))

    runs = [(m, rows) for _, m, rows in synthetic_runs(**kw) if kept(m)]
    metas = [m for m, _ in runs]
    return compute(to_frame([r for _, rows in runs for r in rows]), metas, n_boot=20), metas


def test_the_pd_plane_names_a_loss_whose_every_run_diverged(lost_and_short):
    """Drawn by test_report_compare's failing compare (4f795880 stubbed its figures) and no other default test."""
    stats, _ = lost_and_short
    with F.style() as plt:
        fig = F.draw_pd_plane(stats)
        caption = " ".join(fig.legends[-1].get_title().get_text().split())
        plt.close(fig)
    assert "Not drawn: denoise: lost (diverged 1/1)" in caption, caption


def test_the_training_curves_say_the_band_is_of_the_losses_with_two_seeds(lost_and_short):
    """Drawn by test_probe_diverged8's and test_review_store4's reports (42f70909 stubbed their figures) alone."""
    _, metas = lost_and_short
    with F.style() as plt:
        fig = F.draw_training_curves(metas)
        title = " ".join(fig.get_suptitle().split())
        plt.close(fig)
    assert "mean over 1–2 seeds; band: min–max where a loss has ≥ 2" in title, title

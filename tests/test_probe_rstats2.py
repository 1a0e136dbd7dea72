"""Review of the verdict families and statistics change (probe-stats2): edge cases of the common
images, the families, the pooled interval and the calibration's binomial check."""

from __future__ import annotations

import numpy as np

from benchmark import stats as S
from benchmark.synthetic import synthetic_table

FIVE = tuple(range(5))


def _psnr_table(**kw):
    return synthetic_table(offsets={"l1": 0.0, "a": 0.0, "b": 0.0}, metrics=("psnr",), seeds=FIVE, n_images=4, **kw)


def test_a_column_with_no_image_every_run_scored_is_not_said_to_be_over_the_same_images():
    """Two runs unscored on disjoint halves of the images leave no image every run scored: the column cannot
    be put on common images and its cells stay over each run's own images (a: 3 of 4 images in one run), yet
    the non-finite note said 'so every mean is over the same images'. Now that column's note says it is not."""
    t = _psnr_table()
    bad = (((t["loss"] == "a") & (t["seed"] == 0) & t["image"].isin(["img0000", "img0001"]))
           | ((t["loss"] == "b") & (t["seed"] == 0) & t["image"].isin(["img0002", "img0003"])))
    st = S.compute(t.assign(value=t["value"].where(~bad)), n_boot=50)
    (line,) = st.nonfinite
    assert "denoise/psnr (no image every run scored" in line, line
    assert "so every mean is over the same images: " not in line, line
    # a column that could be put on common images still says so
    one = ((t["loss"] == "a") & (t["seed"] == 0) & (t["image"] == "img0000"))
    (line,) = S.compute(t.assign(value=t["value"].where(~one)), n_boot=50).nonfinite
    assert "denoise/psnr (every loss on the 3 of 4 images)" in line, line

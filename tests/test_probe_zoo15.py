"""Loss zoo and metrics against their references (probe zoo, session 15)."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d

from benchmark.metrics import FAST

SHARED = os.environ.get("PLBENCH_SHARED_DATASETS", "/work/shared/datasets")


def _photo(name: str = "CSet14/comic.png") -> torch.Tensor:
    """A real test image (1, 3, H, W) in [0, 1]; skipped where the shared datasets are not here."""
    from PIL import Image

    path = os.path.join(SHARED, name)
    if not glob.glob(path):
        pytest.skip(f"{path} not here")
    return torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1)[None].float() / 255


def _matlab_gmsd(dist: np.ndarray, ref: np.ndarray) -> float:
    """GMSD.m of Xue et al. (www4.comp.polyu.edu.hk/~cslzhang/IQA/GMSD/GMSD.m) on 0–255 luma, transcribed with
    scipy: conv2(Y, fspecial('average', 2), 'same') — the 2×2 box at rows/columns (i, i + 1), a zero past the last
    — then Y(1:2:end, 1:2:end), Prewitt /3 gradients by conv2 'same', T = 170, std2 (N − 1)."""

    dx = np.array([[1, 0, -1]] * 3) / 3.0

    def down(a):
        return convolve2d(a, np.ones((2, 2)) / 4, mode="full")[1:, 1:][::2, ::2]

    def grad(a):
        return np.sqrt(convolve2d(a, dx, mode="same") ** 2 + convolve2d(a, dx.T, mode="same") ** 2)

    g1, g2 = grad(down(dist)), grad(down(ref))
    q = (2 * g1 * g2 + 170) / (g1**2 + g2**2 + 170)
    return float(q.std(ddof=1))


def _luma255(img: torch.Tensor) -> np.ndarray:
    """pyiqa's gmsd input: Y of YIQ ×255, rounded."""
    w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (img * w).sum(1)[0].mul(255).round().double().numpy()


@pytest.mark.parametrize("h,w", [(63, 80), (64, 81), (63, 81), (64, 80)])
def test_gmsd_of_an_odd_side_averages_the_last_row_with_matlabs_zero(h, w):

    ref = _photo()[..., 100:100 + h, 60:60 + w]
    g = torch.Generator().manual_seed(0)
    dist = (ref + 0.05 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
    ours = float(FAST["gmsd"]()(dist, ref))
    assert ours == pytest.approx(_matlab_gmsd(_luma255(dist), _luma255(ref)), abs=2e-6)


@pytest.mark.slow
def test_gmsd_as_scored_is_pyiqas_to_the_bit_on_even_sides_and_gmsd_m_on_odd_ones():
    import pyiqa

    from benchmark.metrics import open_metric

    m, why = open_metric("gmsd")
    assert m is not None, why
    ref = _photo()
    g = torch.Generator().manual_seed(1)
    dist = (ref + 0.05 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
    assert ref.shape[-2] % 2 == 1  # comic: 361 × 250
    theirs = pyiqa.create_metric("gmsd", device="cpu")
    even = (dist[..., :360, :], ref[..., :360, :])
    assert torch.equal(m.module(*even), theirs(*even))
    assert float(m.module(dist, ref)) == pytest.approx(_matlab_gmsd(_luma255(dist), _luma255(ref)), abs=2e-6)
    assert abs(float(theirs(dist, ref)) - _matlab_gmsd(_luma255(dist), _luma255(ref))) > 1e-5  # pyiqa's: not it


def test_gmsd_carries_a_code_tag_so_its_stored_scores_are_re_scored():
    from benchmark.metric_code import CODE_VERSIONS, UNMARKED, code_digest

    assert "gmsd" in CODE_VERSIONS and code_digest("gmsd") not in ("", UNMARKED)

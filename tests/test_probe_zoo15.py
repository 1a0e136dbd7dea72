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


_PLUGIN_METRIC = '''
import torch

from benchmark.registry import register_metric
{decorator}

@register_metric("probe15_mae", citation="a plugin's metric")
{tag}class ProbeMAE(torch.nn.Module):
    lower_better = True
    metric_mode = "FR"
    provenance = "none"

    def __init__(self, weights="pretrained", device="cpu"):
        super().__init__()

    def forward(self, pred, target):
        return (pred - target).abs().mean((1, 2, 3)) * {scale}
'''


def _plugin_digest(tmp_path, monkeypatch, scale: float, tag: str = "") -> str:
    """weights_digest of a metric installed as a plugin (entry point group plbench.metrics) whose code is ``scale``
    and, given, its class's @code_version ``tag``."""
    import importlib.metadata
    import sys

    from benchmark.metrics import weights_digest
    from benchmark.registry import METRICS

    pkg = tmp_path / f"site{len(list(tmp_path.iterdir()))}" / "probe15_plugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "metric.py").write_text(_PLUGIN_METRIC.format(
        scale=scale, decorator="from benchmark.metric_code import code_version" if tag else "",
        tag=f"@code_version('probe15_mae', {tag!r})\n" if tag else ""))
    for m in [m for m in sys.modules if m.startswith("probe15_plugin")]:
        monkeypatch.delitem(sys.modules, m)
    monkeypatch.syspath_prepend(str(pkg.parent))
    ep = importlib.metadata.EntryPoint("probe15_mae", "probe15_plugin.metric", "plbench.metrics")
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None, **kw: [ep] if group == "plbench.metrics" else [])
    METRICS.remove("probe15_mae")
    monkeypatch.setattr(METRICS, "_scanned", False)
    try:
        METRICS._load_plugins()
        assert "probe15_mae" in METRICS
        return weights_digest("probe15_mae")
    finally:
        METRICS.remove("probe15_mae")


def test_a_plugin_metrics_code_is_in_its_digest_so_its_stored_scores_of_other_code_are_re_scored(tmp_path,
                                                                                                  monkeypatch):
    first = _plugin_digest(tmp_path, monkeypatch, 1.0)
    assert first  # a pass records it (metric_sha256): the stale check has something to compare
    assert _plugin_digest(tmp_path, monkeypatch, 1.0) == first  # the same code, the same digest
    assert _plugin_digest(tmp_path, monkeypatch, 2.0) != first  # edited: its stored scores are another code's
    tagged = _plugin_digest(tmp_path, monkeypatch, 1.0, tag="probe 1")
    assert tagged not in ("", first)
    assert _plugin_digest(tmp_path, monkeypatch, 3.0, tag="probe 1") == tagged  # a tag: only a new tag re-scores
    assert _plugin_digest(tmp_path, monkeypatch, 1.0, tag="probe 2") != tagged

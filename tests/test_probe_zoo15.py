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


def _matlab_box_downsample(a: np.ndarray) -> np.ndarray:
    """FSIM.m's / VSI.m's downsampling of a 2-D array, transcribed: F = max(1, round(min(rows, cols) / 256)) with
    MATLAB's round (half away from zero), conv2(X, fspecial('average', F), 'same') — the central part of the full
    convolution starting at its row floor(F / 2) + 1 — then X(1:F:rows, 1:F:cols)."""
    f = max(1, int(np.floor(min(a.shape) / 256 + 0.5)))
    full = convolve2d(a, np.ones((f, f)) / f**2, mode="full")
    s = f // 2
    return full[s:s + a.shape[0], s:s + a.shape[1]][::f, ::f]


@pytest.mark.parametrize("h,w", [(384, 390), (385, 401), (640, 641), (700, 903), (1152, 1160)])
def test_fsim_and_vsi_downsample_as_the_authors_conv2_same_then_every_fth_pixel(h, w):
    from benchmark.fastiqa import matlab_downsample

    g = torch.Generator().manual_seed(h)
    x = torch.rand(1, 1, h, w, generator=g, dtype=torch.float64)
    got, want = matlab_downsample(x)[0, 0].numpy(), _matlab_box_downsample(x[0, 0].numpy())
    assert got.shape == want.shape and np.allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.slow
def test_vsi_and_fsim_of_a_kodak_sized_image_use_the_authors_downsampling():
    """Scored at F = 2 (Kodak24's 768×512): vsi was pyiqa's, whose replicated first row shifted every 2×2 window one
    pixel off VSI.m's; fsim's pooling was the authors' at an even side already (an odd one dropped the last row)."""
    import pyiqa
    from pyiqa.archs.vsi_arch import gradient_map, scharr_filter, sdsp
    from pyiqa.utils.color_util import rgb2lmn

    from benchmark.metrics import open_metric

    ref = _photo("Kodak24/kodim05.png")[..., :400, :401]
    g = torch.Generator().manual_seed(2)
    dist = (ref + 0.05 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
    vsi = open_metric("vsi")[0].module

    def down(t):
        return torch.from_numpy(np.stack([_matlab_box_downsample(c.numpy()) for c in t[0]]))[None]

    def parts(img):
        x = img.double() * 255
        vs = down(sdsp(x, data_range=255, omega_0=vsi.OMEGA_0, sigma_f=vsi.SIGMA_F, sigma_d=vsi.SIGMA_D,
                       sigma_c=vsi.SIGMA_C))
        lmn = down(rgb2lmn(x))
        kernels = torch.stack([scharr_filter(), scharr_filter().transpose(1, 2)]).to(lmn)
        return vs, lmn, gradient_map(lmn[:, :1], kernels)

    want = float(vsi.combine(parts(dist), parts(ref)))
    assert float(vsi(dist, ref)) == pytest.approx(want, abs=1e-9)
    assert abs(float(pyiqa.create_metric("vsi", device="cpu")(dist, ref)) - want) > 1e-5  # pyiqa's: not it
    fsim = open_metric("fsim")[0].module
    theirs = pyiqa.create_metric("fsim", device="cpu")
    even = (dist[..., :400], ref[..., :400])
    assert torch.equal(fsim(*even), theirs(*even))  # F = 2 on even sides: pyiqa's pooling is the authors'

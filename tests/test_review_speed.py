"""Review of the clean-side caches (benchmark/fastiqa.py, SeparableSSIM): each gives pyiqa's numbers or none."""

import pytest
import torch

from benchmark import fastiqa


def _pair(h, w, seed=0, sigma=0.1):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(1, 3, h, w, generator=g)
    return (clean + sigma * torch.randn(1, 3, h, w, generator=g)).clamp(0, 1), clean


@pytest.mark.parametrize("cls", [fastiqa.CachedFSIM, fastiqa.CachedVSI, fastiqa.CachedNLPD])
def test_another_pyiqa_version_is_scored_by_pyiqa_itself(cls, monkeypatch):
    """fastiqa mirrors pyiqa 0.1.16's code (its constants, FSIM's phase congruency line by line) and nothing checked
    the pyiqa it runs beside: under another pyiqa the scores were a mix of the copy and the new pyiqa's helpers,
    recorded as pyiqa's → under another version every score is pyiqa's own module's."""
    import pyiqa

    monkeypatch.setattr(pyiqa, "__version__", "0.1.17")
    mod = cls()

    def mirrored(img):
        raise AssertionError("the 0.1.16 mirror scored under another pyiqa")

    monkeypatch.setattr(mod, "parts", mirrored)
    pred, clean = _pair(32, 40)
    assert torch.equal(mod(pred, clean), mod.inner(pred, clean))

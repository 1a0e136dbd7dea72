"""Mends of repeated work and duplicated helpers (MAD's per-size filters, data's turnings) (mend 16)."""

from __future__ import annotations

import pytest

from tests.test_probe_scoring16 import _mad_pair


@pytest.mark.slow  # pyiqa's import: 7-12 s on 2 cores (tests/test_golden.py scores mad by default)
def test_mads_csf_and_gabor_filters_are_built_once_per_size_and_kept_on_the_images_device(monkeypatch):
    """MAD's size cache held CPU Gabor filters, copied to the image's device one by one on every call (~42 MB a scored
    image on a GPU), and its CSF was rebuilt in numpy 2-3 times a call: both are kept per (size, device), on that
    device, each built once a size; the scores are the same bits."""
    from benchmark import fastiqa

    noisy, clean = _mad_pair()
    built = []
    csf, gabor = fastiqa._mad_csf, fastiqa.mad_gabor_filters
    monkeypatch.setattr(fastiqa, "_mad_csf", lambda h, w, *a: built.append(("csf", h, w)) or csf(h, w, *a))
    monkeypatch.setattr(fastiqa, "mad_gabor_filters", lambda h, w: built.append(("gabor", h, w)) or gabor(h, w))
    mad = fastiqa.DefinedMAD()
    assert [v.hex() for v in mad(noisy, clean).tolist()] == ["0x1.4c1b91f390118p+5"]
    mad(clean.flip(-1), clean)
    mad(noisy[..., :20, :30], clean[..., :20, :30])
    assert sorted(built) == [("csf", 20, 30), ("csf", 24, 37), ("gabor", 20, 30), ("gabor", 24, 37)]
    assert list(mad.filters.entries) == [(24, 37, clean.device), (20, 30, clean.device)]
    kept_csf, kept_gabor = mad.filters.entries[(24, 37, clean.device)]
    assert kept_csf.device == clean.device and all(f.device == clean.device for fs in kept_gabor for f in fs)

"""Probes of the data inputs and task adapters (session 23)."""

from __future__ import annotations

import pytest
import torch


def _dense_imresize(img: torch.Tensor, size: tuple[int, int], uint8: bool = False) -> torch.Tensor:
    """The dense-matrix imresize as it was before the banded one (the reference it must equal)."""
    from tasks.super_resolution import imresize_matrix

    h, w = img.shape[-2:]
    x = torch.floor(img.double().clamp(0, 1) * 255 + 0.5) if uint8 else img.double()
    passes = {0: lambda t: torch.matmul(imresize_matrix(h, size[0], size[0] / h), t),
              1: lambda t: torch.matmul(t, imresize_matrix(w, size[1], size[1] / w).T)}
    for axis in ((0, 1) if size[0] / h <= size[1] / w else (1, 0)):
        x = passes[axis](x)
        if uint8:
            x = torch.floor(x.clamp(0, 255) + 0.5)
    return (x / 255 if uint8 else x).to(img.dtype)


@pytest.mark.parametrize("hw,size", [((37, 53), (9, 13)), ((53, 37), (17, 5)), ((9, 13), (37, 53)),
                                     ((3, 5), (12, 20)), ((41, 7), (10, 2)), ((2, 2), (1, 1)), ((1, 9), (4, 3)),
                                     ((48, 36), (12, 9)), ((12, 9), (48, 36)), ((33, 31), (11, 31))])
@pytest.mark.parametrize("uint8", [True, False])
def test_matlab_imresize_banded_equals_the_dense_matrix_on_odd_sizes(hw, size, uint8):
    """resize=matlab built dense (n_out, n_in) float64 matrices and multiplied them in: 23.5 s per 3000×4000 photo
    for ~18 nonzero taps a row → blocked matmuls over the rows each block of outputs reaches; outputs equal the
    dense ones (±1e-6, the 8-bit ones bit for bit) on odd, tiny and mirrored-border sizes, shrinking and growing."""
    from tasks.super_resolution import imresize

    g = torch.Generator().manual_seed(hw[0] * 100 + size[1])
    img = torch.rand(2, 3, *hw, generator=g)
    if uint8:
        img = torch.floor(img * 255 + 0.5) / 255
    new, ref = imresize(img, size, uint8=uint8), _dense_imresize(img, size, uint8=uint8)
    assert new.shape == ref.shape == (2, 3, *size)
    torch.testing.assert_close(new, ref, atol=1e-6, rtol=0)
    if uint8:
        assert torch.equal(torch.round(new * 255), torch.round(ref * 255))


def test_matlab_sr4_degrade_equals_the_dense_reference_on_a_real_photo():
    """The sr4 resize=matlab input of a real photo (Set5's butterfly-sized crop, ×3 and ×4) equals the dense
    reference's bit for bit at 8 bit."""
    from benchmark.task import build_task

    g = torch.Generator().manual_seed(7)
    clean = torch.floor(torch.rand(1, 3, 60, 84, generator=g).cumsum(-1) / 84 * 255 + 0.5) / 255
    for scale in (3, 4):
        out = build_task("sr4", scale=scale, resize="matlab").degrade(clean, torch.Generator())
        ref = _dense_imresize(_dense_imresize(clean, (60 // scale, 84 // scale), uint8=True), (60, 84), uint8=True)
        assert torch.equal(torch.round(out * 255), torch.round(ref * 255))


def test_matlab_imresize_of_a_big_photo_uses_a_band_of_taps_not_a_dense_matrix(monkeypatch):
    """The dense matrix of a 3000-px side shrunk ×4 is 750×3000 (2.25 M weights, 0.6 % nonzero); the blocks hold
    only the input rows each block of outputs reaches (≤ BLOCK·scale + 4·scale + 3); imresize never builds it."""
    import tasks.super_resolution as sr

    blocks = sr.imresize_blocks(3000, 750, 0.25)
    assert blocks.shape[:2] == (-(-750 // sr.BLOCK), sr.BLOCK) and blocks.shape[2] <= sr.BLOCK * 4 + 4 * 4 + 3
    torch.testing.assert_close(blocks.flatten(0, 1)[:750].sum(1), torch.ones(750, dtype=torch.float64),
                               atol=1e-12, rtol=0)
    monkeypatch.setattr(sr, "imresize_matrix", lambda *a: pytest.fail("dense imresize matrix built"))
    out = sr.imresize(torch.rand(1, 1, 3000, 8), (750, 2), uint8=True)
    assert out.shape == (1, 1, 750, 2)


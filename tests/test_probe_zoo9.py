"""Loss-zoo leftovers (probe zoo 9): inputs the API takes that runs never hand a loss, small sizes' messages
and documented minimum sizes. Tiny tensors, seeded random-init trunks."""

from __future__ import annotations

import pytest
import torch

from benchmark.lossfn import build_loss


def test_pdl_proj_takes_a_grey_input_as_its_grey_rgb_and_refuses_other_channel_counts():
    loss = build_loss("pdl_proj(layers=('relu1_2',))", seed=0, weights="random")
    g = torch.Generator().manual_seed(0)
    t = torch.rand(2, 1, 12, 12, generator=g)
    p = (t + 0.1 * torch.randn(2, 1, 12, 12, generator=g)).clamp(0, 1)
    grey = loss(p, t)
    assert torch.allclose(grey, loss(p.expand(-1, 3, -1, -1), t.expand(-1, 3, -1, -1)))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        loss(torch.rand(2, 2, 12, 12), torch.rand(2, 2, 12, 12))

"""The restoration net: one small residual CNN family, identical for every loss.

Input and output are (N, 3, H, W) images in [0, 1] at the same size (super-resolution inputs
are bicubic-upsampled by the task), so one architecture serves every task. The net predicts a
residual added to its input (VDSR/DnCNN-style global skip); outputs are not clamped during
training (so no gradient is cut) and are clamped to [0, 1] for evaluation.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import torch
from torch import nn

from benchmark.errors import UserError, did_you_mean

#: Bumped whenever the nets' forward computation changes (guarded by tests/golden: net:<preset>).
NET_VERSION = "1"


@dataclass(frozen=True)
class NetPreset:
    channels: int
    blocks: int


NET_PRESETS = {
    "tiny": NetPreset(channels=16, blocks=2),   # CPU: the quick profile
    "small": NetPreset(channels=64, blocks=8),  # one GPU, many runs
    "base": NetPreset(channels=64, blocks=16),  # GPU, overnight budget
}


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


class ResidualCNN(nn.Module):
    """conv3×3 → ``blocks`` × (conv-ReLU-conv + skip) → conv3×3, plus the input (global skip).

    Args:
        x: (N, 3, H, W) float in [0, 1] (the degraded image).
    Returns:
        (N, 3, H, W) restored image, nominally in [0, 1] (not clamped).
    """

    def __init__(self, channels: int = 24, blocks: int = 2):
        super().__init__()
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.body = nn.Sequential(*[ResBlock(channels) for _ in range(blocks)])
        self.tail = nn.Conv2d(channels, 3, 3, padding=1)
        nn.init.zeros_(self.tail.weight)  # start as the identity: output == input
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.tail(self.body(self.head(x)))


def build_net(name: str) -> ResidualCNN:
    if name not in NET_PRESETS:
        raise UserError(f"unknown net {name!r}{did_you_mean(name, NET_PRESETS)} (choose from {', '.join(NET_PRESETS)})")
    p = NET_PRESETS[name]
    return ResidualCNN(p.channels, p.blocks)


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@functools.cache
def signature(name: str) -> str:
    """The preset's architecture as part of a run's identity: ``v<NET_VERSION>:<hash of its definition>``
    (every layer with its shape, so a preset whose width changes gets a new id)."""
    return f"v{NET_VERSION}:" + hashlib.sha256(repr(build_net(name)).encode()).hexdigest()[:12]

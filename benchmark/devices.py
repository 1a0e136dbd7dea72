"""The device a process trains on: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` → a checked ``torch.device``.

Below every module that plans or runs work (config, runner, perf), so none of them imports another
to learn which device it is on."""

from __future__ import annotations

import torch

from benchmark.errors import UserError


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise UserError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {device!r} requested but CUDA is not available here")
    return dev

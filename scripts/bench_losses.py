"""Training-step cost of every registered loss, relative to L1 (and to naive references).

A thin wrapper over :func:`benchmark.perf.measure` (the same code as ``plbench perf``). One step
= the benchmark's restoration net (``--net``, default ``tiny``) forward + loss + backward + Adam
step (+ the loss's own ``train_step`` for online losses), batch 8 of 64×64 by default, sampled and
degraded exactly as the runner does (:class:`benchmark.runner.TrainStep`). Losses are
built with ``weights="random"`` (no downloads). For ``vgg`` and ``lpips`` the naive fp32 eager
references — a straightforward torchvision VGG-16 (to relu2_2) MSE and the ``lpips`` package —
are timed in the same run; all candidates are interleaved, one step each per repetition, and the
median is reported, so slow drifts of the machine hit every candidate alike. On CUDA the
harness's own path uses bf16 autocast, channels_last and fused Adam; the naive ones do not.

    HF_HUB_OFFLINE=1 python scripts/bench_losses.py [--reps 10] [--losses vgg,lpips] [--device cpu]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--losses", default="", help="comma-separated names (default: all registered)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    ap.add_argument("--net", default="tiny", help="net preset: tiny, small, base")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=64, help="crop size")
    ap.add_argument("--compile", action="store_true", help="torch.compile the net and backbones (harness step only)")
    ap.add_argument("--no-flops", action="store_true", help="skip the FLOP count (one extra step per loss)")
    args = ap.parse_args(argv)

    logging.basicConfig(level=logging.WARNING)
    from benchmark.perf import format_rows, measure, setup_header
    from benchmark.registry import LOSSES
    from benchmark.runner import resolve_device

    dev = resolve_device(args.device)
    names = [n for n in (args.losses.split(",") if args.losses else LOSSES.names()) if n]
    rows = measure(names, net=args.net, batch=args.batch, crop=args.size, device=str(dev), reps=args.reps,
                   warmup=args.warmup, compile=args.compile, flops=not args.no_flops)
    print(format_rows(rows, setup_header(dev, net=args.net, batch=args.batch, crop=args.size, reps=args.reps,
                                         compile=args.compile)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training-step cost of every registered loss, relative to L1 (and to naive references).

One step = tiny residual CNN (6 conv layers, 32 channels) forward + loss + backward + Adam step
(+ the loss's own ``train_step`` for online losses), batch 8 of 64×64. Losses are built with
``weights="random"`` (the quick profile; no downloads needed). For ``lpips`` and ``vgg`` the
naive fp32 eager references — the ``lpips`` package (``LPIPS(net="alex", pnet_rand=True)``,
``normalize=True``) and a straightforward torchvision VGG-16 (to relu2_2) MSE — are timed in
the same run; all candidates are interleaved, one step each per repetition, and the median is
reported, so slow drifts of the machine hit every candidate alike.

    HF_HUB_OFFLINE=1 python scripts/bench_losses.py [--reps 10] [--losses vgg,lpips] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402


class TinyResNet(nn.Module):
    """x + f(x) with f = 6 conv layers (3→32→…→32→3), ReLU between."""

    def __init__(self, width: int = 32, depth: int = 6):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU()]
        layers.append(nn.Conv2d(width, 3, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.body(x)


class NaiveVGGMSE(nn.Module):
    """The textbook VGG loss: torchvision's VGG-16 features[:9] (relu2_2), NCHW fp32, MSE."""

    def __init__(self):
        super().__init__()
        from torchvision.models.vgg import cfgs, make_layers

        self.features = make_layers(cfgs["D"])[:9].eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, pred, target):
        f = lambda x: self.features((x - self.mean) / self.std)  # noqa: E731
        return nn.functional.mse_loss(f(pred), f(target))


class NaiveLPIPS(nn.Module):
    def __init__(self):
        super().__init__()
        import lpips

        self.m = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False).eval()

    def forward(self, pred, target):
        return self.m(pred, target, normalize=True).mean()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--losses", default="", help="comma-separated names (default: all registered)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--amp", action="store_true", help="bf16 autocast for net + loss")
    args = ap.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.WARNING)
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES

    dev = torch.device(args.device)
    names = [n for n in (args.losses.split(",") if args.losses else LOSSES.names()) if n]
    if "l1" not in names:
        names.insert(0, "l1")
    candidates: dict[str, nn.Module] = {}
    for n in names:
        candidates[n] = build_loss(n, seed=0, weights="random", device=dev)
    if "vgg" in names:
        candidates["naive:vgg_mse"] = NaiveVGGMSE().to(dev)
    if "lpips" in names:
        try:
            candidates["naive:lpips_pkg"] = NaiveLPIPS().to(dev)
        except ImportError:
            pass

    g = torch.Generator().manual_seed(0)
    target = torch.rand(args.batch, 3, args.size, args.size, generator=g).to(dev)
    degraded = (target + 0.1 * torch.randn(target.shape, generator=g).to(dev)).clamp(0, 1)
    nets = {}
    for n in candidates:
        torch.manual_seed(0)
        net = TinyResNet().to(dev)
        nets[n] = (net, torch.optim.Adam(net.parameters(), lr=1e-4))

    def step(name: str) -> float:
        loss, (net, opt) = candidates[name], nets[name]
        extra = {"degraded": degraded} if "degraded" in getattr(loss, "needs_all", ()) else {}
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=args.amp):
            pred = net(degraded)
            value = loss(pred, target, **extra)
        opt.zero_grad(set_to_none=True)
        value.float().backward()
        opt.step()
        if hasattr(loss, "train_step"):
            loss.train_step(pred.detach(), target, **extra)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    for _ in range(args.warmup):
        for n in candidates:
            step(n)
    times: dict[str, list[float]] = {n: [] for n in candidates}
    for _ in range(args.reps):
        for n in candidates:  # interleaved: one step of each per repetition
            times[n].append(step(n))

    med = {n: statistics.median(t) for n, t in times.items()}
    refs = {"vgg": "naive:vgg_mse", "lpips": "naive:lpips_pkg"}
    print(f"device={dev} threads={torch.get_num_threads()} batch={args.batch}x3x{args.size}x{args.size} "
          f"reps={args.reps} amp={args.amp} torch={torch.__version__}")
    print(f"{'loss':22s} {'ms/step':>9s} {'it/s':>7s} {'x L1':>7s} {'x naive':>8s}  provenance")
    for n in candidates:
        rel_ref = f"{med[n] / med[refs[n]]:8.2f}" if n in refs and refs[n] in med else f"{'':8s}"
        prov = getattr(candidates[n], "provenance", "")
        print(f"{n:22s} {1e3 * med[n]:9.1f} {1 / med[n]:7.2f} {med[n] / med['l1']:7.2f} {rel_ref}  {prov}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

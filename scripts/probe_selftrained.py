"""Is a self-trained encoder quality-aware? Pretrain (or reuse) it, then probe it and random inits.

The same probe as ``plbench pretrain --probe`` (:func:`benchmark.pretrain.probe`): predict
distortion type × level from frozen CONTRIQUE quality vectors of held-out images, leave one image
out, k-NN and ridge linear classifier, every encoder (trained and random) with the same BatchNorm
recalibration on the pretraining images. Prints one table per held-out set and the paired gain
over images against the mean of the random seeds, with its 95 % bootstrap interval, and the gain
against the *best* random seed per image set; ``--json`` writes everything.

    HF_HUB_OFFLINE=1 python scripts/probe_selftrained.py --data skimage:train --steps 500 \\
        --held-out skimage:test ../shared/datasets/CSet14 --random-seeds 3 [--checkpoint PATH]

Settings not given keep :class:`benchmark.pretrain.PretrainConfig`'s defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from benchmark.pretrain import PretrainConfig, paired_gain, pretrain, probe

    fields = {f.name: f for f in dataclasses.fields(PretrainConfig)}
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    for name, f in fields.items():
        kind = {bool: lambda v: v.lower() in ("1", "true", "yes"), int: int, float: float}.get(type(f.default), str)
        ap.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None)
    ap.add_argument("--checkpoint", help="probe this checkpoint instead of pretraining")
    ap.add_argument("--out-dir", default="/tmp/plbench-probe")
    ap.add_argument("--held-out", nargs="+", default=["skimage:test"])
    ap.add_argument("--random-seeds", type=int, default=3)
    ap.add_argument("--per-class", type=int, default=6)
    ap.add_argument("--bn", default="recalibrate", choices=("recalibrate", "stored"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json")
    ap.add_argument("--random-cache", help="JSON file caching random-init probe results (same arguments → same result)")
    args = ap.parse_args(argv)
    cfg = PretrainConfig(**{k: getattr(args, k) for k in fields if getattr(args, k) is not None})
    t0 = time.perf_counter()
    path = args.checkpoint or pretrain(cfg, out_dir=args.out_dir, device=args.device)
    train_s = time.perf_counter() - t0
    print(f"encoder {path} (pretraining {train_s:.0f} s wall)")
    report = {"config": dataclasses.asdict(cfg), "checkpoint": str(path), "train_wall_s": train_s, "sets": {}}
    for held in args.held_out:
        t1 = time.perf_counter()
        kw = dict(data=held, crop=cfg.crop, per_class=args.per_class, bn=args.bn, bn_data=cfg.data,
                  device=args.device)
        mine = probe(cfg.arch, path, **kw)
        rand = [_random_probe(cfg.arch, s, kw, args.random_cache) for s in range(args.random_seeds)]
        print(f"\n{held}: {mine['images']} images, {mine['samples']} crops, {mine['classes']} classes "
              f"(chance {mine['chance']:.3f}), BN {mine['bn']}; {time.perf_counter() - t1:.0f} s")
        for r in [mine, *rand]:
            print(f"  {r['weights']:<70s} k-NN {r['knn']:.3f}  linear {r['linear']:.3f}")
        entry = {"selftrained": mine, "random": rand}
        for kind in ("knn", "linear"):
            mean_base = [sum(v) / len(v) for v in zip(*(r["per_image"][kind] for r in rand))]
            g_mean = paired_gain(mine["per_image"][kind], mean_base)
            worst = []  # against each random seed separately: every one must be beaten
            for r in rand:
                worst.append(paired_gain(mine["per_image"][kind], r["per_image"][kind]))
            lo_all = min(w[1] for w in worst)
            print(f"  {kind:>6s}: gain over mean random {g_mean[0]:+.3f} (95% CI {g_mean[1]:+.3f} … {g_mean[2]:+.3f}); "
                  f"over each seed, lowest CI bound {lo_all:+.3f}; beats every seed: "
                  f"{all(mine[kind] > r[kind] for r in rand)}")
            entry[f"gain_{kind}"] = {"vs_mean": g_mean, "vs_each": worst}
        report["sets"][held] = entry
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


def _random_probe(arch: str, seed: int, kw: dict, cache: str | None) -> dict:
    """A random-init probe result, from ``cache`` when the same arguments were probed before."""
    from benchmark.pretrain import probe

    key = json.dumps({"arch": arch, "seed": seed, **{k: str(v) for k, v in kw.items()}}, sort_keys=True)
    store = json.loads(Path(cache).read_text()) if cache and Path(cache).is_file() else {}
    if key not in store:
        store[key] = probe(arch, None, seed=seed, **kw)
        if cache:
            Path(cache).write_text(json.dumps(store))
    return store[key]


if __name__ == "__main__":
    raise SystemExit(main())

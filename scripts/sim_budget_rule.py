"""How often the budget check's "converged" is overturned by a longer run, and its rate at its margin.

Three simulations of :func:`benchmark.convergence.gain_stats` + :func:`benchmark.convergence.classify` (the rule
:func:`benchmark.convergence.arm_budget` applies per arm and metric; PSNR's 0.05 dB margin):

* **At the margin**: budget gains ``d = ±margin + run + image + run × image`` (S seeds × I test images, each level
  normal with its own sd): the share called converged should be ≤ 5 % (the one-sided 95 % bounds).
* **Curves**: each seed's and image's score follows ``s(t) = −B_i,s · t^−p`` (t: the fraction of the budget; B
  log-normal over images, sd 0.3, and seeds, sd 0.2; measurement noise 0.02 dB): the rule judges the gain ½ → 1
  of the budget; the truth is the mean gain of the next doubling (1 → 2) and of two (1 → 4). Printed per (p, B):
  the share called converged, of those the share whose next 2× / 4× gain exceeds the margin, and the share not called
  converged whose next doubling would move it by at most half the margin.

* **Past the margin**: ``d = factor × margin + run + image + run × image``, factor 1.25–2: arms still improving by
  more than the margin per doubling; printed: the share called converged and the share called still improving.

    python scripts/sim_budget_rule.py --n 2000       # ≈ 1 min on one shared core (--only margin|curves|past: one)

Measured (2026-12-07, seed 0): at the margin, with ≥ 3 images 0.3–6.2 % converged at 1000 draws a design (the
highest at 10 seeds × 24 images), 4.6–5.1 % on 6000 draws at 5–20 seeds × 24 images (and 3.7–4.0 % at 24 × 3): the
level holds; with one test image the seeds alone decide (10–36 % with an image level: the bounds are over training
runs on that image, as a findings part on one image). Curves at 3 and 5 seeds × 6 images (``--n 400``): no converged
arm's next doubling exceeded the margin (p = 0.1–1, B = 0.05–0.4 dB); its next two doublings did in up to 65 %
(p = 0.1, B = 0.4 dB; 10–40 % at p = 0.5, B = 0.1): "converged" is about one more doubling, not two. Not converged
though the next doubling would add at most half the margin: up to 42 % (p = 1, B = 0.05 dB: a true gain ½ → 1 at the
margin itself) — the price of a test at its margin. Past the margin (``--n 1000 --only past``): 0–1.2 % converged at
6 or 24 images (up to 7.5 % with one image), 4–52 % still improving, the rest unclear.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from benchmark.convergence import CONVERGED, IMPROVING, classify, gain_stats

MARGIN = 0.05


def at_margin(rng: np.random.Generator, S: int, I: int, sds: tuple[float, float, float], n: int) -> float:
    """The share of ``n`` arms with a true gain of ±:data:`MARGIN` called converged (S seeds × I images)."""
    run, image, res = sds
    hits = 0
    for k in range(n):
        x = (MARGIN if k % 2 else -MARGIN) + rng.normal(0, run, (S, 1)) + rng.normal(0, image, (1, I)) + \
            rng.normal(0, res, (S, I))
        runs, _, low, high, _ = gain_stats(x)
        hits += classify(runs, low, high, MARGIN) == CONVERGED
    return hits / n


def past_margin(rng: np.random.Generator, S: int, I: int, factor: float, sds: tuple[float, float, float],
                n: int) -> tuple[float, float]:
    """(converged, still improving): the shares of ``n`` arms still improving by ``factor`` × :data:`MARGIN` per
    doubling (their true gain ½ → 1, ``factor`` > 1: more than the margin) that the rule calls converged and still
    improving (S seeds × I images; ``sds``: sd of the run, image and residual levels, as :func:`at_margin`)."""
    run, image, res = sds
    conv = up = 0
    for _ in range(n):
        x = factor * MARGIN + rng.normal(0, run, (S, 1)) + rng.normal(0, image, (1, I)) + rng.normal(0, res, (S, I))
        runs, _, low, high, _ = gain_stats(x)
        status = classify(runs, low, high, MARGIN)
        conv += status == CONVERGED
        up += status == IMPROVING
    return conv / n, up / n


def curves(rng: np.random.Generator, p: float, B: float, S: int, I: int, n: int) -> tuple[float, float, float, float]:
    """(converged, of those next 2× > margin, of those next 4× > margin, not converged but next 2× ≤ margin/2)."""
    conv = over2 = over4 = needless = 0
    for _ in range(n):
        b_img = B * np.exp(rng.normal(0, 0.3, (1, I)))
        b = b_img * np.exp(rng.normal(0, 0.2, (S, 1)))
        gain = b * (0.5 ** -p - 1.0) + rng.normal(0, 0.02, (S, I))  # s(1) − s(½)
        runs, _, low, high, _ = gain_stats(gain)
        next2 = float((b_img * (1 - 2.0 ** -p)).mean())
        next4 = float((b_img * (1 - 4.0 ** -p)).mean())
        if classify(runs, low, high, MARGIN) == CONVERGED:
            conv += 1
            over2 += next2 > MARGIN
            over4 += next4 > MARGIN
        elif next2 <= MARGIN / 2:
            needless += 1
    return conv / n, over2 / max(conv, 1), over4 / max(conv, 1), needless / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=("margin", "past", "curves"), help="one of the three tables")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.only in (None, "margin"):
        margin_table(rng, args.n)
    if args.only in (None, "curves"):
        curves_table(rng, args.n)
    if args.only in (None, "past"):  # last: the first two tables draw what they drew before it was added
        past_table(rng, args.n)


def margin_table(rng: np.random.Generator, n: int) -> None:
    """The table of :func:`at_margin`."""
    print("| seeds × images | sd run / image / residual | converged at ±margin |\n|---|---|---|")
    for S, I, sds in itertools.product((3, 5, 10), (1, 3, 6, 24), ((0.05, 0, 0.02), (0, 0.05, 0.02),
                                                                      (0.05, 0.05, 0.02))):
        print(f"| {S} × {I} | {' / '.join(map(str, sds))} | {at_margin(rng, S, I, sds, n):.3f} |")


def past_table(rng: np.random.Generator, n: int) -> None:
    """The table of :func:`past_margin`."""
    print("\n| gain per doubling | seeds × images | sd run / image / residual | converged | still improving |\n"
          "|---|---|---|---|---|")
    for f, S, I, sds in itertools.product((1.25, 1.5, 2.0), (3, 5), (1, 6, 24), ((0.05, 0.05, 0.02),
                                                                               (0.1, 0.1, 0.05))):
        c, u = past_margin(rng, S, I, f, sds, n)
        print(f"| {f:g} × margin | {S} × {I} | {' / '.join(map(str, sds))} | {c:.3f} | {u:.3f} |")


def curves_table(rng: np.random.Generator, n: int) -> None:
    """The table of :func:`curves`."""
    print("\n| p | B (dB) | seeds × images | converged | next 2× > margin | next 4× > margin | "
          "not converged, next 2× ≤ margin/2 |\n|---|---|---|---|---|---|---|")
    for p, B, S in itertools.product((0.1, 0.5, 1.0), (0.05, 0.1, 0.2, 0.4), (3, 5)):
        c, o2, o4, nd = curves(rng, p, B, S, 6, max(n // 2, 1))
        print(f"| {p} | {B} | {S} × 6 | {c:.2f} | {o2:.2f} | {o4:.2f} | {nd:.2f} |")


if __name__ == "__main__":
    main()

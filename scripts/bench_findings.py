"""Time ``benchmark.findings.check_all`` on a big synthetic results table, and prove a faster path equal.

Builds a table of 4 tasks × 11 losses (every finding's) × 5 seeds × 6 metrics × 12 images with budget checks
(about 32k rows; ``--images`` scales it), some values NaN or ±inf, then checks every finding twice: with
``Results.nonfinite_seeds`` as it was up to 492009e3 (each call took its arm's rows, every column, and converted their
values), ``arms`` and ``ok_seeds`` as up to ed156f85 (the table filtered, the seeds gathered, on every call),
``values`` as up to 29479a28 (each arm's rows with every column), and as they are. Prints both times, the time
inside those methods, their ratio, and whether every verdict, reason and part (verdict, status, effect, p, note) is
equal — exit 1 where one differs. Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_findings.py [--images 12] [--boot 200]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmark import findings  # noqa: E402
from benchmark.synthetic import synthetic_table  # noqa: E402

log = logging.getLogger("bench_findings")
PRE = "vgg16:imagenet"
OFFSETS = {"l1": 0.2, "l2": 0.0, "ms_ssim_l1": 0.3, "vgg": 0.5, "pdl": 0.6, "dists": 0.7, "lpips": 0.4, "psycho": 0.5,
           "gpl": 0.3, "contrastive_select": 0.2, "l2 + 0.1*gpl": 0.4}
WEIGHTS = {"vgg": PRE, "pdl": PRE, "dists": "vgg16:imagenet+dists", "lpips": "alexnet:imagenet+lpips:alex:v0.1",
           "psycho": PRE, "gpl": "vgg16:random(seed=1)", "l2 + 0.1*gpl": "vgg16:random(seed=1)",
           "contrastive_select": PRE}


def old_nonfinite_seeds(self, task, metric, arm):
    """``Results.nonfinite_seeds`` up to 492009e3, the reference the new one must equal."""
    self.values(task, metric, arm)
    idx = self.group_index().get((task, metric, arm.loss, arm.weights, arm.version))
    if idx is None:
        return set()
    rows = self.table.iloc[idx]
    ok = np.isfinite(pd.to_numeric(rows["value"], errors="coerce").to_numpy(float))
    seeds = rows["seed"].fillna(-1).astype("int64").to_numpy()
    return set(map(int, seeds)) - set(map(int, seeds[ok]))


def old_arms(self, task):
    """``Results.arms`` up to ed156f85: the whole table filtered for its task on every call."""
    return self._read_arms(task)


def old_ok_seeds(self, task, arm):
    """``Results.ok_seeds`` up to ed156f85: the seed set built anew on every call."""
    return {int(x) for x in self.arm_runs(task, arm)["seed"].dropna().unique()}


def old_values(self, task, metric, arm):
    """``Results.values`` up to 29479a28: each arm's rows taken with every column of the table, then pivoted."""
    key = (task, metric, arm.loss, arm.weights, arm.version)
    if key not in self._arrays:
        idx = self.group_index().get(key)
        self._arrays[key] = findings._pivot(self.table.iloc[idx]) if idx is not None else pd.DataFrame()
    return self._arrays[key]


OLD = {"nonfinite_seeds": old_nonfinite_seeds, "arms": old_arms, "ok_seeds": old_ok_seeds, "values": old_values}


def table(n_images: int) -> pd.DataFrame:
    t = synthetic_table(tasks=("denoise", "sr4", "deblur", "jpeg"), seeds=range(5), n_images=n_images, seed_sd=0.1,
                        metrics=("psnr", "ssim", "ms_ssim", "lpips", "dists", "niqe"), offsets=OFFSETS,
                        weights=WEIGHTS, budget_check=True)
    rng = np.random.default_rng(0)
    # a metric that failed on a few images, and on every image of one run (a seed with no finite score)
    t.loc[rng.random(len(t)) < 0.01, "value"] = np.nan
    t.loc[rng.random(len(t)) < 0.005, "value"] = np.inf
    t.loc[(t["loss"] == "pdl") & (t["metric"] == "niqe") & (t["seed"] == 2), "value"] = np.nan
    return t


def timed(t, n_boot, impls):
    """check_all on ``t`` with the ``Results`` methods of ``impls`` ({name: function}; {} for today's): its results,
    its time and the time inside those methods."""
    spent = [0.0]

    def counted(impl):
        def call(self, *a):
            t0 = time.perf_counter()
            try:
                return impl(self, *a)
            finally:
                spent[0] += time.perf_counter() - t0
        return call

    real = {name: getattr(findings.Results, name) for name in OLD}
    for name in OLD:
        setattr(findings.Results, name, counted(impls.get(name, real[name])))
    try:
        t0 = time.perf_counter()
        rs = findings.check_all(t, n_boot=n_boot)
        return rs, time.perf_counter() - t0, spent[0]
    finally:
        for name, f in real.items():
            setattr(findings.Results, name, f)


def key(rs):
    return [(r.name, r.verdict, r.reason, r.verdict_text,
             [(p.task, p.metric, p.verdict, p.status, p.effect, p.p, p.note) for p in r.parts]) for r in rs]


def run(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--images", type=int, default=12, help="test images per task (12 → about 32k rows)")
    ap.add_argument("--boot", type=int, default=200, help="bootstrap resamples per part")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t = table(args.images)
    logging.disable(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        findings.check_all(table(2), n_boot=2)  # imports and caches warmed, so neither timed run pays for them
        old, t_old, in_old = timed(t, args.boot, OLD)
        new, t_new, in_new = timed(t, args.boot, {})
    logging.disable(logging.NOTSET)
    same = key(old) == key(new)
    log.info("%d rows; check_all %.1f s → %.1f s; in nonfinite_seeds, arms, ok_seeds, values %.2f s → %.2f s "
             "(%.0f×); every verdict and part equal: %s",
             len(t), t_old, t_new, in_old, in_new, in_old / max(in_new, 1e-9), same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(run())

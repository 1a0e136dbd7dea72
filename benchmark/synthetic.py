"""Synthetic results stores with known answers, for tests and for timing ``report``.

:func:`synthetic_rows` builds tidy rows (:data:`benchmark.results.COLUMNS`) where each loss's
per-image value is ``image difficulty + loss offset + seed jitter + noise``; ``offsets`` sets
each loss's true advantage in units of the metric (positive = better, for every metric,
whatever its direction). Identical offsets mean identically distributed losses.
:func:`write_store` writes them as a real store (``runs/<id>/meta.json`` + ``eval-0.*``), so
``report`` reads them exactly as it reads trained runs.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from benchmark.results import ResultsStore, atomic_write_json, to_frame

HIGHER = {"psnr": True, "ssim": True, "ms_ssim": True, "lpips": False, "dists": False, "niqe": False,
          "musiq": True, "fsim": True, "vsi": True, "gmsd": False, "nlpd": False, "vif": True, "mad": False}
BASE = {"psnr": 26.0, "ssim": 0.80, "ms_ssim": 0.85, "lpips": 0.30, "dists": 0.20, "niqe": 6.0, "musiq": 50.0,
        "fsim": 0.90, "vsi": 0.95, "gmsd": 0.08, "nlpd": 0.25, "vif": 0.5, "mad": 100.0}
SCALE = {"psnr": 2.0, "ssim": 0.05, "ms_ssim": 0.04, "lpips": 0.05, "dists": 0.03, "niqe": 0.8, "musiq": 5.0,
         "fsim": 0.02, "vsi": 0.01, "gmsd": 0.015, "nlpd": 0.03, "vif": 0.05, "mad": 15.0}


#: what a run's meta.json says of its ms/it since it is steady state (benchmark.runner._cost): nothing left out here
STEADY = {"timing_excluded": {"warmup_iterations": 0, "warmup_s": 0.0, "checkpoint_s": 0.0}}


def _rid(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def synthetic_runs(tasks=("denoise",), offsets=None, metrics=("psnr", "ssim", "lpips"), seeds=(0, 1, 2),
                   n_images: int = 30, noise: float = 0.15, seed: int = 0, diverged: tuple[str, ...] = (),
                   seed_sd: float = 0.0, weights: dict[str, str] | None = None,
                   unconverged: tuple[str, ...] = (), half_offsets: dict[str, float] | None = None,
                   budget_check: bool = True):
    """Yield ``(run_id, meta, rows)`` per run, input rows included (one input run per task).

    ``offsets``: {loss: true advantage in units of each metric's SCALE}, a number for every metric
    or a {metric: number} dict (missing metrics: 0); default 4 losses where ``good`` is clearly
    better than ``l1`` = ``l1_twin`` and ``bad`` is worse. ``seed_sd`` adds a per-run shift shared
    by all images (training-seed variance). Losses named in ``diverged`` get one diverged run
    (meta only) per task in addition. ``weights``: {loss: provenance} (default ``none``), e.g.
    ``{"vgg": "vgg16:random(seed=0)"}``. Rows record a setting (150 iterations). With ``budget_check``
    every run has a budget check (the same run at 75 iterations, :mod:`benchmark.convergence`) whose
    values equal the run's — a converged run — except for the losses in ``unconverged`` (1 SCALE unit
    worse at ½ budget: still improving) and in ``half_offsets`` (offset ``half_offsets[loss]`` at ½
    budget instead of the final one: a ranking that moves). Training curves fall steeply to the end
    for the losses in ``unconverged`` and are flat otherwise."""
    half_offsets = half_offsets or {}
    weights = weights or {}
    offsets = offsets or {"l1": 0.0, "l1_twin": 0.0, "good": 1.0, "bad": -0.7}
    rng = np.random.default_rng(seed)
    for task in tasks:
        difficulty = {m: rng.normal(0, 1.0, n_images) for m in metrics}
        images = [f"img{i:04d}" for i in range(n_images)]
        params = json.dumps({"noise_sigma": 0.02} if task == "demosaic" else {"sigma": 0.1})

        def rows_for(rid, loss, s, shift, jitter, task=task, difficulty=difficulty, images=images, params=params,
                     iterations=150):
            out = []
            setting = None if loss == "input" else setting_of(iterations)
            for m in metrics:
                sgn = 1.0 if HIGHER.get(m, True) else -1.0
                off = shift.get(m, 0.0) if isinstance(shift, dict) else shift
                vals = BASE.get(m, 1.0) + SCALE.get(m, 1.0) * (
                    difficulty[m] + sgn * (off + jitter) + rng.normal(0, noise, n_images))
                for img, v in zip(images, vals):
                    out.append({"run_id": rid, "task": task, "task_version": "1", "task_params": params,
                                "loss": loss, "seed": s, "net": "tiny" if loss != "input" else "none",
                                "weights": weights.get(loss, "none"), "train_data": "skimage:train",
                                "dataset": "synthetic",
                                "image": img, "metric": m, "value": float(v),
                                "higher_is_better": HIGHER.get(m, True), "code_version": "0.1.0+c1",
                                "setting": setting})
            return out

        def setting_of(iterations, task=task, params=params):
            return json.dumps({"task": task, "task_params": json.loads(params), "net": "tiny",
                               "iterations": iterations, "code_version": "0.1.0+c1"}, sort_keys=True)

        rid = "input-" + _rid(task)[:12]
        yield rid, {"run_id": rid, "status": "ok", "kind": "input", "task": task}, rows_for(rid, "input", None, -3.0, 0)
        for loss, off in offsets.items():
            for s in seeds:
                rid = _rid(task, loss, s)
                mean_off = float(np.mean(list(off.values()))) if isinstance(off, dict) and off else \
                    (0.0 if isinstance(off, dict) else off)
                tau = 400 if loss in unconverged else 15
                curve = [[it, float(np.exp(-it / tau) + 0.05 * (1 - mean_off / 4))] for it in range(3, 151, 3)]
                meta = {"run_id": rid, "status": "ok", "config": {"task": task, "loss": loss, "seed": s},
                        "ms_per_it": 10.0 + 5 * len(loss), "peak_mem_mb": None, "device": "cpu",
                        "it_per_s": 1000 / (10.0 + 5 * len(loss)), "loss_curve": curve, **STEADY,
                        "weights": weights.get(loss, "none"), "setting": json.loads(setting_of(150))}
                meta["config"]["iterations"] = 150
                jitter = rng.normal(0, seed_sd) if seed_sd else 0.0
                rows = rows_for(rid, loss, s, off, jitter)
                yield rid, meta, rows
                if not budget_check:
                    continue
                half = half_offsets.get(loss, off)
                if loss in unconverged:
                    half = {m: (half.get(m, 0.0) if isinstance(half, dict) else half) - 1.0 for m in metrics}
                crid = _rid(task, loss, s, "check")
                cmeta = {**meta, "run_id": crid, "config": {**meta["config"], "iterations": 75},
                         "setting": json.loads(setting_of(75)),
                         "loss_curve": [p for p in curve if p[0] <= 75]}
                check = []
                for r in rows:
                    sgn = 1.0 if HIGHER.get(r["metric"], True) else -1.0
                    final_off = off.get(r["metric"], 0.0) if isinstance(off, dict) else off
                    ho = half.get(r["metric"], 0.0) if isinstance(half, dict) else half
                    check.append({**r, "run_id": crid, "value": r["value"] + sgn * SCALE.get(r["metric"], 1.0) * (
                        ho - final_off), "setting": setting_of(75)})
                yield crid, cmeta, check
            if loss in diverged:
                rid = _rid(task, loss, "diverged")
                yield rid, {"run_id": rid, "status": "diverged", "ms_per_it": 12.0, **STEADY, "loss_curve": [[1, 1.0]],
                            "config": {"task": task, "loss": loss, "seed": 99, "iterations": 150},
                            "setting": json.loads(setting_of(150)), "diverged_at": 2}, []


def synthetic_table(**kw):
    """All rows of :func:`synthetic_runs` as one tidy DataFrame (without budget checks unless
    ``budget_check=True``: one setting)."""
    kw.setdefault("budget_check", False)
    rows = [r for _, _, rs in synthetic_runs(**kw) for r in rs]
    return to_frame(rows)


def write_store(root, **kw) -> ResultsStore:
    """Write :func:`synthetic_runs` as a results store under ``root``; returns it."""
    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(**kw):
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store

"""Is a run trained to its plateau, and does the ranking still move? Convergence from the runs' records.

A ranking of losses after a short schedule measures how fast each loss converges, not what it
converges to. Two records of every run answer that:

* **Plateau statistic** (:func:`plateau`): the relative drop of the smoothed training loss over
  the last :data:`TAIL` (20 %) of the iterations, ``(L(0.8·T) − L(T)) / |L(T)|``, where ``L(t)`` is
  the mean of the recorded loss points in the window of :data:`WINDOW` (20 %) of the iterations
  ending at ``t``, with a standard error from the spread of those points.
  The verdict reads the training curve (each point the mean batch loss of the iterations since the
  previous one). Every run also records a **probe curve** (``probe_curve`` in ``meta.json``): the
  training loss on a fixed set of training crops at every curve point of the last 40 %
  (:meth:`benchmark.runner.TrainStep.probe`), free of the batch-content noise (``plateau_probe``
  in :func:`run_table`). It is a diagnostic, not the verdict: measured, it passes 38 of 40 runs of
  the quick profile (120 iterations), because under the cosine schedule the net barely moves in
  the last fifth whether or not it is trained — a flat tail is not a converged run. A criterion the
  schedule cannot fool is still to be built (README, *Convergence*).
  A run is **converged** when the change is within ±:data:`TOLERANCE` (5 %) even at 2 SE,
  **unconverged** when it exceeds it even at −2 SE, and **unclear** otherwise (too noisy to tell);
  only converged runs count as converged anywhere. (The cosine schedule slows the last fifth down by itself, so 5 % is a
  loose bar: a run that fails it is still learning.)
* **Half-budget scores** (``runs/<id>/half.json``, written by the runner at iteration T/2): the
  net's scores on a fixed subset of the test images (the first :data:`HALF_ITEMS`). Per task and
  metric the ranking of the losses at ½ budget is compared with the final one on the same images
  (Kendall τ, :func:`budget_stability`); a findings part whose effect changes sign between ½
  budget and the end is **unsettled** (:func:`benchmark.findings.check`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: fraction of the iterations the plateau statistic looks back over
TAIL = 0.2
#: smoothing window, as a fraction of the iterations
WINDOW = 0.2
#: a run whose smoothed loss fell by more than this (relative) over the last TAIL is unconverged
TOLERANCE = 0.05
#: test images scored at half budget (the first ones, in the order the runner holds them)
HALF_ITEMS = 8
UNSETTLED = "unsettled (not converged)"


def plateau_stat(curve, iterations: int | None = None) -> tuple[float, float]:
    """(drop, se): the relative drop of the smoothed loss over the last :data:`TAIL` of
    ``iterations`` (default: the last recorded iteration) and its standard error from the spread
    of the recorded points in the two windows. ``curve``: [(iteration, loss)] as in ``meta.json``'s
    ``loss_curve``. NaN when the curve is too short to tell (fewer than 2 points in either window).
    Positive drop: still falling; about 0: flat; negative: rising."""
    pts = [(float(i), float(v)) for i, v in (curve or []) if v is not None and math.isfinite(float(v))]
    if len(pts) < 4:
        return math.nan, math.nan
    its = np.array([p[0] for p in pts])
    vals = np.array([p[1] for p in pts])
    T = float(iterations or its.max())
    w = max(WINDOW * T, 1.0)

    def window(t: float) -> np.ndarray:
        return vals[(its > t - w) & (its <= t)]

    end, before = window(T), window((1 - TAIL) * T)
    if len(end) < 2 or len(before) < 2 or end.mean() == 0:
        return math.nan, math.nan
    level = abs(float(end.mean()))
    se = math.sqrt(end.var(ddof=1) / len(end) + before.var(ddof=1) / len(before)) / level
    return (float(before.mean()) - float(end.mean())) / level, se


def plateau(curve, iterations: int | None = None) -> float:
    """The drop of :func:`plateau_stat` alone."""
    return plateau_stat(curve, iterations)[0]


def status(curve, iterations: int | None = None) -> str:
    """``converged`` (the change is within ±:data:`TOLERANCE` even at 2 SE), ``unconverged`` (above it
    even at −2 SE: still learning), ``unclear`` (the training loss is too noisy over the last
    :data:`TAIL` to tell) or ``unknown`` (curve too short)."""
    drop, se = plateau_stat(curve, iterations)
    if math.isnan(drop):
        return "unknown"
    if abs(drop) + 2 * se <= TOLERANCE:
        return "converged"
    if drop - 2 * se > TOLERANCE:
        return "unconverged"
    return "unclear"


def curve_of(meta: dict) -> list:
    """The run's probe curve, or (recorded before the probe existed, or too short to have one) its
    training curve: the least noisy curve it has (a diagnostic; :func:`converged` reads the
    training curve)."""
    probe = meta.get("probe_curve") or []
    return probe if len(probe) >= 4 else (meta.get("loss_curve") or [])


def converged(meta: dict) -> bool | None:
    """Whether a finished run is shown to have reached its plateau on its training curve: True,
    False (unconverged or unclear: not shown), None (curve too short to measure)."""
    s = status(meta.get("loss_curve"), (meta.get("config") or {}).get("iterations"))
    return None if s == "unknown" else s == "converged"


def run_table(metas: list[dict]) -> pd.DataFrame:
    """One row per finished training run: task, loss, seed, run_id, plateau, converged, and the
    half-budget means (``half`` = {metric: mean over the subset} or None)."""
    rows = []
    for m in metas:
        if m.get("kind") == "input" or m.get("status") != "ok" or "config" not in m:
            continue
        cfg = m["config"]
        p = plateau(m.get("loss_curve"), cfg.get("iterations"))
        rows.append({"run_id": m.get("run_id"), "task": cfg.get("task"), "loss": cfg.get("loss"),
                     "seed": cfg.get("seed"), "plateau": p, "converged": converged(m),
                     "plateau_probe": plateau(m.get("probe_curve"), cfg.get("iterations")),
                     "half": (m.get("half_eval") or {}).get("means"),
                     "half_items": (m.get("half_eval") or {}).get("items")})
    return pd.DataFrame(rows, columns=["run_id", "task", "loss", "seed", "plateau", "converged", "plateau_probe",
                                       "half", "half_items"])


def kendall_tau(x, y) -> float:
    """Kendall's τ-b of two score vectors (NaN with fewer than 2 pairs)."""
    from scipy.stats import kendalltau

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return math.nan
    return float(kendalltau(x[ok], y[ok]).statistic)


def half_and_final(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per run and metric: the mean at ½ budget and the final mean on the same test images.
    Columns: run_id, task, loss, seed, metric, half, final."""
    rows = []
    if runs.empty or table.empty:
        return pd.DataFrame(rows, columns=["run_id", "task", "loss", "seed", "metric", "half", "final"])
    by_run = table.groupby(table["run_id"].astype(str), observed=True)
    groups = by_run.indices
    for r in runs.itertuples(index=False):
        if not r.half or str(r.run_id) not in groups:
            continue
        t = table.iloc[groups[str(r.run_id)]]
        keys = t["dataset"].astype(str) + "/" + t["image"].astype(str)
        items = set(r.half_items or [])
        for metric, half in r.half.items():
            sel = (t["metric"].astype(str) == metric) & (keys.isin(items) if items else True)
            if not sel.any() or half is None:
                continue
            rows.append({"run_id": r.run_id, "task": r.task, "loss": r.loss, "seed": r.seed, "metric": metric,
                         "half": float(half), "final": float(t.loc[sel, "value"].astype(float).mean())})
    return pd.DataFrame(rows, columns=["run_id", "task", "loss", "seed", "metric", "half", "final"])


def budget_stability(table: pd.DataFrame, metas: list[dict]) -> pd.DataFrame:
    """Per (task, metric): Kendall τ between the losses' mean scores at ½ budget and at the end
    (same test images), the number of losses, and how many runs are unconverged.
    Columns: task, metric, tau, losses, runs, unconverged."""
    runs = run_table(metas)
    hf = half_and_final(table, runs)
    out = []
    for (task, metric), g in hf.groupby(["task", "metric"], sort=True):
        means = g.groupby("loss")[["half", "final"]].mean()
        r = runs[runs["task"] == task]
        out.append({"task": task, "metric": metric, "tau": kendall_tau(means["half"], means["final"]),
                    "losses": len(means), "runs": len(r), "unconverged": int((r["converged"] == False).sum())})  # noqa: E712
    return pd.DataFrame(out, columns=["task", "metric", "tau", "losses", "runs", "unconverged"])

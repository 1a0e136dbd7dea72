"""Publication figures derived from :class:`benchmark.stats.Stats` (and run metadata / saved nets).

Every function writes one figure in each requested format (PNG at 200 dpi plus PDF/SVG with
embedded TrueType fonts) sized for a paper column (3.5 in) or page width (7.2 in) with 8 pt text,
and returns the written paths (PNG first), or ``[]`` with a logged reason when it has nothing to
draw.

* :func:`rank_heatmap` — loss × task, colour and text = mean rank over the task's metrics
  (1 = best), plus an ``all`` column; rows ordered by overall mean rank.
* :func:`pd_plane` — per task, PSNR (distortion) against a perceptual metric, one point per loss
  with 95% CI bars in both directions; the Pareto front (no other loss better on both) is drawn.
* :func:`metric_points` — per task, one panel per metric: cell means with 95% CIs; filled =
  top group (not significantly different from the best), hollow = circular cell.
* :func:`cd_diagram` — critical-difference summary: mean ranks on an axis, with bars joining
  losses whose mean ranks differ by less than the Nemenyi CD.
* :func:`training_curves` — per task, each loss's training-loss curve from ``meta.json``
  normalised to its first logged value (mean over seeds, band = min–max over seeds).
* :func:`visual_grid` — the same test crop restored by every loss (seed of the first run found),
  with the clean and degraded crops and a zoomed inset; needs ``net.pt`` and the test data.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.stats import INPUT, Stats, metric_order, pareto_front, pd_metrics

log = logging.getLogger(__name__)
COL1, COL2 = 3.5, 7.2  # inches: one column, full page width
RC = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
      "legend.fontsize": 7, "figure.titlesize": 9, "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none",
      "axes.spines.top": False, "axes.spines.right": False, "savefig.pad_inches": 0.03}


@contextmanager
def style():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):
        yield plt


def save(fig, base: Path, formats=("png", "pdf"), tight: bool = False) -> list[Path]:
    """Write ``base.<fmt>`` for each format (PNG first), close the figure, return the paths.

    Figures lay themselves out with ``tight_layout``; ``tight=True`` (an extra draw per format)
    is only for figures with artists outside the axes grid."""
    import matplotlib.pyplot as plt

    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in sorted(dict.fromkeys(formats), key=lambda f: f != "png"):
        p = base.with_suffix(f".{fmt}")
        from benchmark.results import atomic_output

        with atomic_output(p) as tmp:
            fig.savefig(tmp, format=fmt, dpi=200 if fmt == "png" else None, bbox_inches="tight" if tight else None)
        out.append(p)
    plt.close(fig)
    return out


def _arrow(higher: bool) -> str:
    return "↑" if higher else "↓"


def _grid(n: int, ncols: int = 3):
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def annotated_heatmap(ax, colour: pd.DataFrame, text: pd.DataFrame, cmap: str = "viridis",
                      fontsize: float = 7):
    """``colour`` as an image (NaN blank) with ``text`` written in each cell; rows top to bottom.

    (Plain matplotlib: seaborn's annotated heatmap is ~10× slower on large tables.)"""
    import matplotlib.pyplot as plt

    vals = colour.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, aspect="auto", interpolation="nearest")
    norm, cm = im.norm, plt.get_cmap(cmap)
    for (i, j), v in np.ndenumerate(vals):
        txt = text.iat[i, j]
        if txt:
            r, g, b, _ = cm(norm(v)) if np.isfinite(v) else (1, 1, 1, 1)
            ax.text(j, i, txt, ha="center", va="center", fontsize=fontsize,
                    color="white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black")
    ax.set_xticks(range(vals.shape[1]))
    ax.set_xticklabels([str(c) for c in colour.columns])
    ax.set_yticks(range(vals.shape[0]))
    ax.set_yticklabels([str(i) for i in colour.index])
    ax.tick_params(length=0)
    for sp in ax.spines.values():
        sp.set_visible(False)
    return im


# --------------------------------------------------------------------------------------------
def rank_heatmap(stats: Stats, base: Path, formats=("png", "pdf")) -> list[Path]:
    if stats.task_ranks is None or stats.task_ranks.empty:
        log.info("rank heatmap skipped: no ranked restorations")
        return []
    tr = stats.task_ranks.copy()
    tr["all"] = stats.ranks.set_index("label").loc[tr.index, "mean_rank"]
    with style() as plt:
        fig, ax = plt.subplots(figsize=(min(COL2, 1.6 + 0.6 * tr.shape[1]), 0.8 + 0.22 * len(tr)))
        im = annotated_heatmap(ax, tr, tr.map(lambda v: "" if pd.isna(v) else f"{v:.1f}"))
        fig.colorbar(im, ax=ax, label="mean rank (1 = best)", fraction=0.05)
        ax.axvline(tr.shape[1] - 1.5, color="white", lw=2)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title("Mean rank over each task's metrics")
        fig.tight_layout()
        return save(fig, base, formats)


def _cells(stats: Stats, task: str) -> pd.DataFrame:
    return stats.cells[stats.cells["task"] == task]


def pd_plane(stats: Stats, base: Path, formats=("png", "pdf"), highlight: set[str] | None = None) -> list[Path]:
    """Perception–distortion plane, one panel per task (see module docstring); labels in
    ``highlight`` are drawn as a large star (the loss being compared)."""
    tasks = sorted(stats.cells["task"].unique()) if not stats.cells.empty else []
    dist, perc = pd_metrics(stats.cells["metric"].unique()) if tasks else (None, None)
    if not dist or not perc:
        log.info("perception-distortion plane skipped: needs a distortion and a perceptual metric "
                 "(have %s)", ", ".join(sorted(stats.cells["metric"].unique())) if tasks else "none")
        return []
    higher = stats.higher()
    rows, cols = _grid(len(tasks))
    with style() as plt:
        fig, axes = plt.subplots(rows, cols, figsize=(min(COL2, 2.5 * cols), 2.4 * rows), squeeze=False)
        for ax, task in zip(axes.flat, tasks):
            c = _cells(stats, task)
            c = c[c["label"] != INPUT]
            x = c[c["metric"] == dist].set_index("label")
            y = c[c["metric"] == perc].set_index("label")
            labels = [l for l in x.index if l in y.index]
            if not labels:
                ax.set_visible(False)
                continue
            x, y = x.loc[labels], y.loc[labels]
            front = pareto_front(x["mean"].to_numpy(), y["mean"].to_numpy(), higher[dist], higher[perc])
            ax.errorbar(x["mean"], y["mean"], xerr=[x["mean"] - x["ci_low"], x["ci_high"] - x["mean"]],
                        yerr=[y["mean"] - y["ci_low"], y["ci_high"] - y["mean"]], fmt="none", ecolor="0.6",
                        elinewidth=0.7, capsize=1.5)
            ax.scatter(x["mean"][~front], y["mean"][~front], s=14, color="C0", zorder=3)
            ax.scatter(x["mean"][front], y["mean"][front], s=18, color="C3", zorder=4, label="Pareto front")
            fx, fy = x["mean"].to_numpy()[front], y["mean"].to_numpy()[front]
            order = np.argsort(fx)
            ax.plot(fx[order], fy[order], color="C3", lw=0.8, zorder=2)
            for l in labels:
                if highlight and l in highlight:
                    ax.scatter([x.loc[l, "mean"]], [y.loc[l, "mean"]], s=70, marker="*", color="gold",
                               edgecolor="k", linewidth=0.5, zorder=5)
                ax.annotate(l, (x.loc[l, "mean"], y.loc[l, "mean"]), fontsize=6, xytext=(2, 2),
                            textcoords="offset points")
            ax.set_xlabel(f"{dist} {_arrow(higher[dist])}")
            ax.set_ylabel(f"{perc} {_arrow(higher[perc])}")
            if not higher[perc]:
                ax.invert_yaxis()  # better is up
            ax.set_title(task)
        for ax in list(axes.flat)[len(tasks):]:
            ax.set_visible(False)
        fig.suptitle("Perception–distortion plane (better: right and up; bars: 95% CI)")
        fig.tight_layout()
        return save(fig, base, formats)


def metric_points(stats: Stats, task: str, base: Path, formats=("png", "pdf")) -> list[Path]:
    """Per-metric point plots with 95% CIs for one task (see module docstring)."""
    c = _cells(stats, task)
    if c.empty:
        return []
    metrics = metric_order(c["metric"].unique())
    order = c[c["label"] != INPUT].groupby("label")["rank"].mean().sort_values().index.tolist()
    order = order + [INPUT] * (INPUT in set(c["label"]))
    rows, cols = _grid(len(metrics), 4)
    with style() as plt:
        fig, axes = plt.subplots(rows, cols, figsize=(min(COL2, 1.9 * cols + 0.8), 0.5 + 0.18 * len(order) * rows),
                                 squeeze=False, sharey=True)
        ypos = {l: i for i, l in enumerate(order)}
        for ax, m in zip(axes.flat, metrics):
            g = c[c["metric"] == m]
            y = g["label"].map(ypos).to_numpy()
            kind = np.where(g["label"] == INPUT, "input", np.where(g["top_group"], "top", "rest"))
            for k, color in (("input", "0.5"), ("top", "C3"), ("rest", "C0")):
                for circ in (False, True):
                    sel = (kind == k) & (g["circular"].to_numpy() == circ)
                    if not sel.any():
                        continue
                    gm = g[sel]
                    ax.errorbar(gm["mean"], y[sel], xerr=[gm["mean"] - gm["ci_low"], gm["ci_high"] - gm["mean"]],
                                fmt="o", ms=3.5, color=color, mfc="white" if circ else color, elinewidth=0.8,
                                capsize=1.5)
            ax.set_title(f"{m} {_arrow(bool(g['higher_is_better'].iloc[0]))}")
            ax.set_yticks(range(len(order)))
            ax.set_yticklabels(order)
            ax.grid(axis="x", lw=0.3, alpha=0.5)
        axes[0, 0].invert_yaxis()
        for ax in list(axes.flat)[len(metrics):]:
            ax.set_visible(False)
        fig.suptitle(f"{task}: mean and 95% CI (red: not significantly different from the best; "
                     "hollow: circular)", fontsize=7)
        fig.tight_layout()
        return save(fig, base, formats)


def cd_diagram(stats: Stats, base: Path, formats=("png", "pdf")) -> list[Path]:
    """Critical-difference summary over (task, metric) blocks (see module docstring)."""
    f = stats.friedman
    if "ranks" not in f:
        log.info("critical-difference diagram skipped: %s", f.get("reason", "no Friedman test"))
        return []
    ranks = pd.Series(f["ranks"]).sort_values()
    k, cd = len(ranks), f["cd"]
    # maximal cliques of consecutive losses within CD of each other
    groups = []
    vals = ranks.to_numpy()
    for i in range(k):
        j = i
        while j + 1 < k and vals[j + 1] - vals[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in groups):
            groups.append((i, j))
    half = math.ceil(k / 2)
    gap, step = 0.3 + 0.15 * len(groups), 0.32
    bottom = gap + half * step + 0.1
    with style() as plt:
        fig, ax = plt.subplots(figsize=(COL2, 0.5 + 0.55 * (bottom + 1.0)))
        lo, hi = 1, max(k, math.ceil(vals.max()))
        ax.set_xlim(lo - 0.3, hi + 0.3)
        ax.set_ylim(-bottom, 1.0)
        ax.hlines(0, lo, hi, color="k", lw=0.8)
        for t in range(lo, hi + 1):
            ax.vlines(t, 0, 0.1, color="k", lw=0.6)
            ax.text(t, 0.15, str(t), ha="center", va="bottom", fontsize=7)
        for i, (label, r) in enumerate(ranks.items()):
            left = i < half
            row = i if left else k - 1 - i
            yl = -(gap + row * step)
            xe = lo - 0.25 if left else hi + 0.25
            ax.plot([r, r, xe], [0, yl, yl], color="k", lw=0.6)
            ax.text(xe + (-0.05 if left else 0.05), yl, f"{label} ({r:.2f})", ha="right" if left else "left",
                    va="center", fontsize=7)
        for n, (a, b) in enumerate(groups):
            yb = -0.15 - 0.15 * n
            ax.plot([vals[a] - 0.03, vals[b] + 0.03], [yb, yb], color="C3", lw=2, solid_capstyle="round", zorder=3)
        ax.plot([lo, lo + cd], [0.65, 0.65], color="k", lw=1)
        ax.text(lo + cd / 2, 0.7, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=7)
        ax.axis("off")
        ax.set_title(f"Mean rank over {f['n_blocks']} (task, metric) blocks; Friedman p = {f['p']:.2g}; "
                     f"red bars join losses not significantly different (Nemenyi, α = {f['alpha']})", fontsize=7)
        fig.tight_layout()
        return save(fig, base, formats, tight=True)


def training_curves(metas: list[dict], base: Path, formats=("png", "pdf")) -> list[Path]:
    """Training-loss curves from ``meta.json`` (see module docstring)."""
    rows = []
    for m in metas:
        cfg, curve = m.get("config") or {}, m.get("loss_curve") or []
        if m.get("kind") == "input" or not curve or "task" not in cfg:
            continue
        first = float(curve[0][1]) if curve[0][1] not in (0, None) else 1.0
        for it, v in curve:
            if v is not None and np.isfinite(v):
                rows.append((cfg["task"], cfg["loss"], cfg.get("seed", 0), int(it), float(v) / first))
    if not rows:
        log.info("training curves skipped: no loss_curve in any meta.json")
        return []
    df = pd.DataFrame(rows, columns=["task", "loss", "seed", "it", "rel"])
    tasks = sorted(df["task"].unique())
    r, c = _grid(len(tasks))
    with style() as plt:
        fig, axes = plt.subplots(r, c, figsize=(min(COL2, 2.4 * c), 2.0 * r), squeeze=False, sharey=True)
        losses = sorted(df["loss"].unique())
        colors = {l: f"C{i % 10}" for i, l in enumerate(losses)}
        for ax, task in zip(axes.flat, tasks):
            g = df[df["task"] == task]
            for loss, gl in g.groupby("loss"):
                s = gl.groupby("it")["rel"].agg(["mean", "min", "max"])
                ax.plot(s.index, s["mean"], color=colors[loss], lw=0.9, label=loss)
                ax.fill_between(s.index, s["min"], s["max"], color=colors[loss], alpha=0.15, lw=0)
            ax.set_yscale("log")
            ax.set_title(task)
            ax.set_xlabel("iteration")
        axes[0, 0].set_ylabel("loss / first value")
        for ax in list(axes.flat)[len(tasks):]:
            ax.set_visible(False)
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), frameon=False,
                   bbox_to_anchor=(0.5, -0.02 - 0.03 * math.ceil(len(labels) / 6)))
        fig.tight_layout()
        return save(fig, base, formats, tight=True)


# --------------------------------------------------------------------------------------------
def visual_grid(store, task: str, base: Path, formats=("png", "pdf"), crop: int = 96,
                zoom: int = 24, run_ids: set[str] | None = None) -> list[Path]:
    """Clean, degraded and every loss's restoration of one test crop, with a zoomed inset.

    Uses the first seed of each loss's first finished run of ``task`` (its ``net.pt`` and the
    ``test_data`` of its config), among ``run_ids`` when given (the report's setting); skipped
    with a logged reason when nets or test data are missing."""
    runs = []
    for m in store.metas():
        if run_ids is not None and m.get("run_id") not in run_ids:
            continue
        cfg = m.get("config") or {}
        if m.get("status") == "ok" and cfg.get("task") == task and (store.run_dir(m["run_id"]) / "net.pt").exists():
            runs.append((cfg.get("seed", 0), cfg["loss"], m))
    if not runs:
        log.info("visual grid for %s skipped: no saved nets (runs/<id>/net.pt)", task)
        return []
    first: dict[str, dict] = {}
    for _, loss, m in sorted(runs, key=lambda r: (r[0], r[1])):
        first.setdefault(loss, m)
    try:
        import torch

        from benchmark.data import DataSpec, load_images
        from benchmark.nets import build_net
        from benchmark.runner import held_out_items
        from benchmark.task import build_task

        cfg0 = next(iter(first.values()))["config"]
        task_obj = build_task(task, **dict(cfg0.get("task_params") or {}))
        spec = DataSpec.parse(cfg0["test_data"][0])
        items = held_out_items(task_obj, {spec: load_images(spec)[:1]})
    except Exception as exc:  # noqa: BLE001 - missing data/offline hub/torch: skip the figure
        log.info("visual grid for %s skipped: test data unavailable (%s: %s)", task, type(exc).__name__, exc)
        return []
    item = items[0]
    _, _, h, w = item.clean.shape
    cs = min(crop, h, w)
    top, left = (h - cs) // 2, (w - cs) // 2
    panels = [("clean", item.clean), ("input", item.degraded)]
    with torch.no_grad():
        for loss, m in sorted(first.items()):
            cfg = m["config"]
            if any(cfg.get(k) != cfg0.get(k) for k in ("task_params", "test_data")):
                continue
            try:
                net = build_net(cfg["net"])
                net.load_state_dict(torch.load(store.run_dir(m["run_id"]) / "net.pt", map_location="cpu",
                                               weights_only=True))
                net.eval()
                panels.append((loss, net(item.degraded).float().clamp(0, 1)))
            except Exception as exc:  # noqa: BLE001 - one unreadable net drops one panel
                log.info("visual grid: %s skipped (%s)", loss, exc)
    n = len(panels)
    r, c = _grid(n, 6)
    z = min(zoom, cs // 2)
    zt, zl = cs // 2 - z // 2, cs // 2 - z // 2
    with style() as plt:
        fig, axes = plt.subplots(r, c, figsize=(min(COL2, 1.25 * c), 1.4 * r), squeeze=False)
        for ax, (name, img) in zip(axes.flat, panels):
            arr = img[0, :, top:top + cs, left:left + cs].permute(1, 2, 0).numpy()
            ax.imshow(arr, interpolation="nearest")
            ins = ax.inset_axes([0.55, 0.0, 0.45, 0.45])
            ins.imshow(arr[zt:zt + z, zl:zl + z], interpolation="nearest")
            ins.set_xticks([])
            ins.set_yticks([])
            for s in ins.spines.values():
                s.set_edgecolor("yellow")
                s.set_visible(True)
            ax.add_patch(plt.Rectangle((zl - 0.5, zt - 0.5), z, z, fill=False, ec="yellow", lw=0.8))
            ax.set_title(name, fontsize=7)
            ax.axis("off")
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.suptitle(f"{task}: {item.dataset}/{item.image}, {cs}×{cs} crop, inset ×{cs // z} zoom", fontsize=7)
        fig.tight_layout()
        return save(fig, base, formats)

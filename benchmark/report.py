"""Leaderboards derived from the tidy results table alone.

``leaderboard(table)`` → per task, a loss × metric frame of means (mean over images within a
run, then over seeds). ``write_report(store)`` renders ``leaderboard.md`` (↑/↓ per metric, best
restoration in bold, the degraded input as the first row, weights provenance beside each loss)
and ``leaderboard.png`` (a seaborn heatmap per task coloured by per-metric rank).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from benchmark.results import ResultsStore

log = logging.getLogger(__name__)


def loss_label(loss: str, weights: str) -> str:
    """A loss name with its weights provenance, so a random-backbone run is never mistaken."""
    return loss if weights in ("none", "", None) else f"{loss} [{weights}]"


def run_means(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over images per (task, loss label, seed, metric)."""
    t = table.copy()
    t["label"] = [loss_label(l, w) for l, w in zip(t["loss"], t["weights"])]
    t["seed"] = t["seed"].fillna(-1)
    return (t.groupby(["task", "label", "seed", "metric"], observed=True)
             .agg(value=("value", "mean"), higher_is_better=("higher_is_better", "first"))
             .reset_index())


def leaderboard(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{task: DataFrame(index=loss label, columns=metric, values=mean over seeds)}."""
    if table.empty:
        return {}
    rm = run_means(table)
    out = {}
    for task, g in rm.groupby("task", observed=True):
        wide = g.groupby(["label", "metric"], observed=True)["value"].mean().unstack("metric")
        out[task] = wide
    return out


def higher_map(table: pd.DataFrame) -> dict[str, bool]:
    return table.groupby("metric", observed=True)["higher_is_better"].first().astype(bool).to_dict()


def metric_order(metrics) -> list[str]:
    preferred = ["psnr", "ssim", "ms_ssim", "lpips", "dists", "niqe", "musiq"]
    return [m for m in preferred if m in metrics] + sorted(m for m in metrics if m not in preferred)


def order_rows(wide: pd.DataFrame, higher: dict[str, bool]) -> pd.DataFrame:
    """Input first, then losses by mean rank over metrics (best first)."""
    ranks = pd.DataFrame({m: wide[m].rank(ascending=not higher.get(m, True)) for m in wide.columns})
    order = ranks.mean(axis=1).sort_values().index.tolist()
    order = [l for l in order if l == "input"] + [l for l in order if l != "input"]
    return wide.loc[order, metric_order(wide.columns)]


def seeds_per_label(table: pd.DataFrame, task: str) -> dict[str, int]:
    t = table[(table["task"] == task) & (table["loss"] != "input")]
    return {loss_label(l, w): int(g["seed"].nunique()) for (l, w), g in t.groupby(["loss", "weights"], observed=True)}


def to_markdown(table: pd.DataFrame) -> str:
    higher = higher_map(table)
    lines = ["# Leaderboard", "",
             "Mean over test images, then over seeds. ↑ higher is better, ↓ lower is better; "
             "**bold** is the best restoration per metric. `input` is the degraded image itself. "
             "Losses with learned weights show their provenance in brackets (`random` means a "
             "randomly initialised backbone, not the published one).", ""]
    for task, wide in sorted(leaderboard(table).items()):
        wide = order_rows(wide, higher)
        nseeds = seeds_per_label(table, task)
        lines += [f"## {task}", ""]
        header = ["loss", "seeds"] + [f"{m} {'↑' if higher.get(m, True) else '↓'}" for m in wide.columns]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        restored = wide.drop(index="input", errors="ignore")
        best = {m: (restored[m].max() if higher.get(m, True) else restored[m].min()) for m in wide.columns}
        for label, row in wide.iterrows():
            cells = [label, str(nseeds.get(label, "–"))]
            for m in wide.columns:
                v = row[m]
                txt = "–" if pd.isna(v) else f"{v:.4g}"
                if label != "input" and not pd.isna(v) and v == best[m]:
                    txt = f"**{txt}**"
                cells.append(txt)
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def heatmap(table: pd.DataFrame, path: Path) -> Path | None:
    """One panel per task: loss × metric, cell colour = rank within the metric, text = value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    boards = leaderboard(table)
    if not boards:
        return None
    higher = higher_map(table)
    n = len(boards)
    rows_max = max(len(w) for w in boards.values())
    fig, axes = plt.subplots(1, n, figsize=(max(4.0, 1.2 * len(table["metric"].unique()) + 2) * n, 0.45 * rows_max + 1.8),
                             squeeze=False)
    for ax, (task, wide) in zip(axes[0], sorted(boards.items())):
        wide = order_rows(wide, higher)
        ranks = pd.DataFrame({m: wide[m].rank(ascending=not higher.get(m, True)) for m in wide.columns})
        sns.heatmap(ranks, annot=wide.map(lambda v: f"{v:.3g}"), fmt="", cmap="viridis_r", cbar=False,
                    ax=ax, linewidths=0.5)
        ax.set_title(task)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticklabels([f"{m} {'↑' if higher.get(m, True) else '↓'}" for m in wide.columns], rotation=30, ha="right")
    fig.suptitle("Colour: rank within each metric (dark = best)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_report(store: ResultsStore) -> dict[str, Path]:
    """Derive every output of this module from the results table; returns the written paths."""
    from benchmark.results import atomic_write_bytes

    table = store.table()
    md = store.root / "leaderboard.md"
    atomic_write_bytes(md, to_markdown(table).encode())
    out = {"markdown": md}
    csv = store.root / "results.csv"
    table.to_csv(csv, index=False)
    out["csv"] = csv
    png = heatmap(table, store.root / "leaderboard.png")
    if png:
        out["heatmap"] = png
    return out

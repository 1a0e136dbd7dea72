"""Review of the publishable outputs' fixes (probe-publish): the same defects in the cases a user meets next."""

from __future__ import annotations

from benchmark import stats as S
from benchmark.stats import INPUT
from benchmark.synthetic import synthetic_table


def test_tiny_loss_values_keep_their_digits_beside_a_larger_input():
    """The decimals of a column of tiny values (an error measure of near-perfect restorations, ~1e-7) were raised
    only where the column's *largest* value was tiny: the degraded input's error (~5e-4) is in the same column, so
    every loss still printed ``0.0000000 [0.0000000, 0.0000000]`` (leaderboard.md/.tex/.html) — the losses apart
    and their intervals gone. The smallest value's digits count too."""
    from benchmark.export import markdown

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4, metrics=("psnr", "lpips"))
    lp = t["metric"] == "lpips"
    t.loc[lp & (t["loss"] != INPUT), "value"] *= 1e-7
    t.loc[lp & (t["loss"] == INPUT), "value"] *= 1e-3
    st = S.compute(t, n_boot=10)
    table = markdown(st).split("## denoise", 1)[1]
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[3] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| loss")}
    c = st.cells[st.cells["metric"] == "lpips"].set_index("label")
    for label, cell in rows.items():
        if "±" in cell:
            mean, h = (float(v) for v in cell.split("±"))
            lo, hi = mean - h, mean + h
        else:
            mean, lo, hi = (float(v) for v in cell.replace("[", " ").replace("]", " ").replace(",", " ").split())
        assert abs(mean - c.loc[label, "mean"]) <= 0.05 * c.loc[label, "mean"], (label, cell)
        assert lo < hi, (label, cell)  # the interval shows

"""Review of journey 6 (edited loss files named by version, forgotten --loss-file, compare --loss,
figure text, in-place losses, base_label): defects found and fixed."""

from __future__ import annotations

import pandas as pd


def _meta(rid, loss, ver, status="ok"):
    return {"run_id": rid, "status": status, "weights": "none", "loss_versions": {"my_loss": ver},
            "config": {"task": "denoise", "loss": loss, "seed": int(rid[-1])},
            "loss_curve": [[i, 1.0 - 0.01 * i] for i in range(1, 21)]}


def test_training_curves_label_runs_as_the_tables_do_when_the_old_version_only_diverged():
    """Was: the figures counted a term as "several versions" over every run passed to them, diverged
    ones included, while the tables (:func:`labels`) count the runs with rows: after an edit whose old
    text only diverged, the leaderboard, costs and metric plots said `my_loss` and the training curves
    (and their colours) `my_loss (v1+n3w)`, a row no table has. A scored run is now labelled as its rows
    are, and a run without rows as :func:`cost_table` labels it."""
    from benchmark import figures as F
    from benchmark.stats import cost_table, labels

    metas = [_meta("a0", "my_loss", "1+n3w"), _meta("a1", "my_loss", "1+n3w"),
             _meta("c2", "my_loss", "1+0ld", status="diverged")]
    rows = pd.DataFrame([{"run_id": m["run_id"], "task": "denoise", "loss": "my_loss", "weights": "none",
                          "weights_kind": "none", "loss_version": "my_loss=1+n3w", "metric": "psnr",
                          "value": 30.0, "seed": m["config"]["seed"]} for m in metas[:2]])
    table_labels = set(labels(rows))
    assert table_labels == {"my_loss"}
    per_loss, _ = cost_table(metas, None, dict(zip(rows["run_id"], labels(rows))),
                             dict(zip(rows["run_id"], rows["loss_version"])))
    cost_labels = set(per_loss["label"])
    with F.style():
        fig = F.draw_training_curves(metas)
    text = {t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))}
    curve_labels = {lab for lab in cost_labels if any(t.startswith(lab) for t in text)}
    assert "my_loss (v1+n3w)" not in " ".join(text), sorted(text)
    assert curve_labels == cost_labels == {"my_loss", "my_loss (v1+0ld)"}, (sorted(text), cost_labels)


def test_the_baseline_row_note_says_how_the_row_was_chosen():
    """Was: with two rows of the baseline (two versions of a loss file) the notes said "▲/▼ are against
    `mine (v1+0ld)`, its first row", while the task table, ordered by rank, listed `mine (v1+n3w)` first:
    the row is the first by name (its label; for two versions, by the hash of the file's text), so the
    note says that."""
    from benchmark.export import notes
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(offsets={"l1": 0.0, "mine": 1.0, "mine_old": -1.0}, seeds=(0, 1, 2, 3, 4), metrics=("psnr",),
              n_images=4)
    table = synthetic_table(**kw)
    old = table["loss"] == "mine_old"
    table["loss_version"] = ""
    table.loc[table["loss"] == "mine", "loss_version"] = "mine=1+n3w"
    table.loc[old, "loss_version"] = "mine=1+0ld"  # the worse row, first by name
    table.loc[old, "loss"] = "mine"
    st = compute(table, [m for _, m, _ in synthetic_runs(**kw)], baseline="mine", n_boot=20)
    said = [n for n in notes(st) if "Baseline `mine`" in n and "rows" in n]
    assert len(said) == 1 and "`mine (v1+0ld)`" in said[0].split("against")[-1], said
    assert "first row" not in said[0] and "first by name" in said[0], said

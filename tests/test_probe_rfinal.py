"""Review of the last merged changes (probe-journey3, probe-scale, the lead's sparse runs and compare
cost): defects a user would hit, each with the test that failed before its fix."""

from __future__ import annotations

import numpy as np

from benchmark.settings import select
from benchmark.stats import compute
from benchmark.synthetic import write_store


def _sparse_table(tmp_path):
    store = write_store(tmp_path, offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1, 2), n_images=10,
                        metrics=("psnr",), budget_check=False)
    t = select(store.table()).table
    rid = sorted(t.loc[t["loss"] == "good", "run_id"].unique())[0]
    seed = int(t.loc[t["run_id"] == rid, "seed"].iloc[0])
    imgs = sorted(t["image"].unique())
    return store, t, (t["run_id"] == rid) & t["image"].isin(imgs[:6]), seed


def test_run_lacking_most_rows_left_out_of_its_column_is_said(tmp_path):
    """A run with rows for 4 of the column's 10 images (its other rows absent, not NaN) was left out of
    the column as a missing run (stats.sparse_runs) with no note at all (the note spoke of NaN rows
    only) → a note names the run, its seed and how many images it was scored on."""
    store, t, drop, seed = _sparse_table(tmp_path)
    stats = compute(t[~drop], store.metas(), n_boot=20)
    good = stats.cells[stats.cells["label"] == "good"].iloc[0]
    assert good["n_seeds"] == 2  # the run is left out of the column
    from benchmark.export import notes
    text = " ".join(notes(stats))
    assert "good" in text and f"seed {seed}" in text and "4 of 10 images" in text, text


def test_run_with_most_scores_nan_keeps_its_one_note(tmp_path):
    """The NaN case already had its note (non-finite scores); it is not said twice."""
    store, t, drop, seed = _sparse_table(tmp_path)
    t = t.copy()
    t.loc[drop, "value"] = np.nan
    stats = compute(t, store.metas(), n_boot=20)
    from benchmark.export import notes
    text = " ".join(notes(stats))
    assert text.count(f"seed {seed}") == 1, text
    assert "more than half the images of 1 run" in text

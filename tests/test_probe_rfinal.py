"""Review of the last merged changes (probe-journey3, probe-scale, the lead's sparse runs and compare
cost): defects a user would hit, each with the test that failed before its fix."""

from __future__ import annotations

import numpy as np
import pytest

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


FIELD = ["--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--seeds", "0", "--no-budget-check",
         "--device", "cpu", "--no-progress", "-q", "--no-report"]
MY_LOSS = ("import torch\nfrom benchmark.registry import register_loss\n\n"
           "@register_loss('rfinal_grad', version='1')\nclass G(torch.nn.Module):\n"
           "    def forward(self, pred, target):\n        return (pred - target).abs().mean() * 1.5\n")


@pytest.mark.slow  # ≈ 30 s on 2 busy cores: three small grids, then compare
def test_compare_on_some_tasks_keeps_other_tasks_only_in_the_compared_setting(tmp_path):
    """Was (since compare kept every task's field setting in the store's report): a field of denoise and sr4 at
    2 iterations plus denoise at 3 iterations with more losses; `compare --tasks sr4` trained the new loss, then
    failed with 'the results hold 2 settings that differ in iterations (3 | 2)' — the report was handed denoise's
    largest group (3 iterations) beside sr4's (2), settings no leaderboard mixes. Now another task keeps the
    field setting that shares the compared tasks' (denoise at 2 iterations)."""
    from benchmark.cli import main
    from benchmark.registry import LOSSES

    out = tmp_path / "r"
    assert main(["run", "--tasks", "denoise", "sr4", "--losses", "l1", "--iterations", "2", *FIELD,
                 "--out", str(out)]) == 0
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "l2", "--iterations", "3", *FIELD,
                 "--out", str(out)]) == 0
    f = tmp_path / "my_loss.py"
    f.write_text(MY_LOSS)
    try:
        assert main(["compare", "--loss-file", str(f), "--tasks", "sr4", "--out", str(out), "--device", "cpu",
                     "--no-progress", "-q", "--no-visual", "--formats", "png", "--bootstrap", "100"]) == 0
    finally:
        LOSSES.remove("rfinal_grad")
    board = (out / "leaderboard.md").read_text()
    assert "## denoise" in board and "## sr4" in board
    assert "l2" not in board.split("## sr4")[0]  # denoise at 2 iterations: l1 only
    assert "rfinal_grad" in board.split("## sr4")[1]


def test_compare_perf_command_survives_the_shell(tmp_path):
    """Was: compare/<loss>.md's cost sentence gave `plbench perf --losses ffl(alpha=2) l1` unquoted: pasted into
    a shell it is a syntax error (the parenthesis), and a spec with a space split into two losses. Now each
    loss is quoted, so the command reads back as the losses compared."""
    import re
    import subprocess

    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    new = "ffl(alpha=2)"
    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0,), budget_check=False,
                        offsets={"l1": 0.0, new: 1.0})
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, [new], {"denoise": []}, 0.05, 50, "l1", ())
    cmd = re.search(r"`(plbench perf [^`]*)`", text).group(1)
    # as a shell reads it: the words it passes to plbench (a syntax error: bash exits non-zero)
    got = subprocess.run(["bash", "-c", "printf '%s\\n' " + cmd.removeprefix("plbench ")], capture_output=True,
                         text=True)
    assert got.returncode == 0, (cmd, got.stderr)
    argv = got.stdout.splitlines()
    assert argv[argv.index("--losses") + 1:] == [new, "l1"], cmd


@pytest.mark.parametrize("key, value, listed", [("seeds", "0,1", "[0, 1]"), ("tasks", "denoise,sr4", "[denoise, sr4]"),
                                                ("metrics", "psnr, ssim", "[psnr, ssim]"),
                                                ("tasks", ["denoise sr4"], "[denoise, sr4]")])
def test_a_config_list_written_with_commas_says_how_to_write_it(key, value, listed):
    """Was: `seeds: 0,1` still gave 'setting argument seeds expects tuple[int, ...] | None, got ['0,1'] (list)',
    `tasks: denoise,sr4` (or `[denoise sr4]`) was one task 'denoise,sr4', and `metrics: psnr, ssim` was told its
    list is '[psnr,, ssim]' (--metrics psnr, ssim) → one line naming the 2 values and how to list them."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    with pytest.raises(UserError) as err:
        GridSpec.from_mapping({key: value}, source="grid.yaml")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"grid.yaml: {key}: ") and "names 2 values" in msg, msg
    assert listed in msg and ",," not in msg and f"--{key} {listed[1:-1].replace(',', '')} " in msg, msg


def test_a_metric_failing_on_the_same_images_for_every_run_keeps_its_column(tmp_path):
    """Was: a metric with no score on the same 6 of 10 images for every run (a metric undefined on some images)
    made every run 'scored on fewer than half the images' (stats.sparse_runs), so the whole column went blank
    ('every loss on the 0 of 10 images'), where before it was over the 4 images every run scored. Now a run is
    sparse against the images its column scored, and the note names no run as left out."""
    from benchmark.export import notes

    store = write_store(tmp_path, offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1, 2), n_images=10,
                        metrics=("psnr", "ssim"), budget_check=False)
    t = select(store.table()).table.copy()
    imgs = sorted(t["image"].unique())
    t.loc[(t["metric"] == "ssim") & t["image"].isin(imgs[:6]), "value"] = np.nan
    stats = compute(t, store.metas(), n_boot=20)
    ssim = stats.cells[stats.cells["metric"] == "ssim"].set_index("label")
    assert ssim.loc["good", "n_seeds"] == 3 and ssim.loc["l1", "n_seeds"] == 3
    assert ssim.loc["good", "mean"] > ssim.loc["l1", "mean"]
    text = " ".join(notes(stats))
    assert "every loss on the 4 of 10 images" in text and "left out of the column" not in text, text


def test_check_counts_one_run_in_the_singular(tmp_path, capsys):
    """Was: `plbench check` on a store of one trained run said '1 runs (and 1 scoring of the degraded input)'
    (the grid's own log line was fixed to '1 run') → '1 run'."""
    from benchmark.cli import main

    write_store(tmp_path, offsets={"l1": 0.0}, seeds=(0,), n_images=3, metrics=("psnr",), budget_check=False)
    assert main(["check", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ": 1 run (and 1 scoring of the degraded input)," in out, out


def test_the_degraded_input_scored_on_every_image_does_not_blank_the_column(tmp_path):
    """The same metric failing on the same 6 of 10 images of every restored run, while the degraded input has all
    10 scored: the input's images set the count (sparse against 10) and every restored run was left out → the
    input takes the column's images but does not set them (as common_images), the column is over the 4."""
    from benchmark.stats import INPUT

    store = write_store(tmp_path, offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1, 2), n_images=10,
                        metrics=("psnr", "ssim"), budget_check=False)
    t = select(store.table()).table.copy()
    imgs = sorted(t["image"].unique())
    t.loc[(t["metric"] == "ssim") & t["image"].isin(imgs[:6]) & (t["loss"] != INPUT), "value"] = np.nan
    stats = compute(t, store.metas(), n_boot=20)
    ssim = stats.cells[stats.cells["metric"] == "ssim"].set_index("label")
    assert ssim.loc["good", "n_seeds"] == 3 and ssim.loc["l1", "n_seeds"] == 3
    assert not stats.sparse and "left out of the column" not in " ".join(stats.nonfinite)


def test_compare_summary_says_a_run_of_the_new_loss_was_left_out(tmp_path):
    """Was: a run of the compared loss its metric scored on 1 of 6 images was left out of the column (a missing run,
    stats.sparse_runs) and compare/<loss>.md gave its rank over the other runs with no word; the leaderboard's
    notes said it. Now the summary carries the same note under its task."""
    from benchmark.compare import _summary

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), n_images=6,
                        budget_check=False, offsets={"l1": 0.0, "good": 1.0})
    rid, seed = min((m["run_id"], m["config"]["seed"]) for m in store.metas()
                    if (m.get("config") or {}).get("loss") == "good")
    t = store.table()
    t.loc[t.index[t["run_id"] == rid][1:], "value"] = np.nan  # the metric scored 1 of its 6 images
    store.table = lambda: t.copy()
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 50, "l1", ())
    assert f"more than half the images of 1 run, seed {seed}" in text, text

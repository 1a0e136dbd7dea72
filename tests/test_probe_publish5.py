"""Defects found probing the publishing path (figures, report, config): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec
from benchmark.errors import UserError

pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------------------------------------
# the visual grid reads a loss recorded under two spellings as the leaderboard does: one panel
# ------------------------------------------------------------------------------------------------
def _two_spellings_store(tmp_path: Path):
    """A real results store of one denoise loss recorded as ``ffl(alpha=1)`` (seed 1) and ``ffl(alpha=1.0)``
    (seed 0), and ``l1`` (seed 0): each a finished run with a saved tiny net, on a one-image test folder."""
    from PIL import Image

    from benchmark.nets import build_net
    from benchmark.results import ResultsStore, atomic_write_json

    folder = tmp_path / "Set"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(folder / "im.png")
    store = ResultsStore(tmp_path / "store")
    store.ensure_writable()
    test_data = [DataSpec.parse(str(folder), role="test").token()]
    for rid, loss, seed in (("r_a", "ffl(alpha=1)", 1), ("r_b", "ffl(alpha=1.0)", 0), ("r_c", "l1", 0)):
        run = store.run_dir(rid)
        run.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(seed)
        torch.save(build_net("tiny").state_dict(), run / "net.pt")
        cfg = {"task": "denoise", "task_params": {}, "test_data": test_data, "loss": loss, "seed": seed,
               "net": "tiny"}
        atomic_write_json(run / "meta.json", {"run_id": rid, "status": "ok", "config": cfg, "weights": "none"})
    return store


def test_the_visual_grid_draws_one_panel_per_leaderboard_row_of_a_loss_spelt_two_ways(tmp_path, monkeypatch):
    """The leaderboard reads ``ffl(alpha=1)`` and ``ffl(alpha=1.0)`` as one loss (one row over all its runs),
    but the visual grid took each recorded spelling as a loss of its own: two panels for one row. It now reads
    the spellings as the table does: one panel, labelled as the row, from the merged loss's first seed."""
    import benchmark.figures as F

    store = _two_spellings_store(tmp_path)
    assert store.loss_spellings() == {"ffl(alpha=1.0)": "ffl(alpha=1)"}  # the case at hand
    drawn = []
    monkeypatch.setattr(F, "draw_visual_grid", lambda panels, *a: drawn.append(dict(panels)))
    monkeypatch.setattr(F, "save", lambda fig, base, formats: [base])
    assert F.visual_grid(store, "denoise", tmp_path / "fig", formats=("png",)) == [tmp_path / "fig"]
    (panels,) = drawn
    assert sorted(panels) == ["clean", "ffl(alpha=1)", "input", "l1"], sorted(panels)
    # the merged loss's panel is its first seed's net (seed 0, recorded as ffl(alpha=1.0))
    from benchmark.nets import build_net

    torch.manual_seed(0)
    net = build_net("tiny").eval()
    with torch.no_grad():
        want = net(panels["input"]).float().clamp(0, 1)  # denoise clips: the input is the scored one
    assert torch.allclose(panels["ffl(alpha=1)"], want)


# ------------------------------------------------------------------------------------------------
# an empty mapping of tasks (or losses) is refused showing what was written
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,text,key", [
    ("cfg.yaml", "tasks: {}\n", "tasks"),
    ("cfg.yaml", "losses: {}\n", "losses"),
    ("cfg.toml", "[tasks]\n", "tasks"),
])
def test_an_empty_mapping_in_a_config_file_is_refused_as_the_mapping_written(tmp_path, name, text, key):
    """``tasks: {}`` (or an empty TOML ``[tasks]`` table) was refused as "tasks: [] names none": a list the
    user never wrote. The one-line error now shows the empty mapping they wrote; ``[]`` stays ``[]``."""
    from benchmark.config import GridSpec

    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(UserError, match=rf"^{name}: {key}: {{}} names none \(leave {key} out for the profile's\)$"):
        GridSpec.from_file(p)


# ------------------------------------------------------------------------------------------------
# a cell's CI never leaves the range its metric has by definition, and the notes say where it was cut
# ------------------------------------------------------------------------------------------------
def _two_seed_blocks(metrics=("vsi", "psnr", "gmsd")):
    """One block per metric: labels l1 and good, 2 seeds × 4 images, the seeds far apart near the top of [0, 1]
    (gmsd: near 0), so a Student-t interval over 2 runs reaches past 1 (below 0)."""
    import benchmark.stats as S

    rng = np.random.default_rng(0)
    out = []
    for m in metrics:
        base = np.array([[0.99], [0.89]]) if m != "gmsd" else np.array([[0.01], [0.11]])
        v = np.stack([base + rng.normal(0, 0.002, (2, 4)), base - 0.01 + rng.normal(0, 0.002, (2, 4))])
        v = v * 30 if m == "psnr" else v
        out.append(S.Block("denoise", m, m != "gmsd", ["l1", "good"], ["l1", "good"], np.arange(2),
                           [f"i{i}" for i in range(4)], v))
    return out


def test_a_cells_ci_is_cut_at_its_metrics_bound_and_the_notes_say_so():
    """A Student-t interval of 2 seeds gave vsi ``0.940 [0.832, 1.048]``: an upper bound no image can score
    (vsi ≤ 1 by definition). A CI is now cut at the range its metric has by definition
    (:func:`benchmark.metrics.metric_range`; cutting to the true range never lowers coverage), the cell says
    so (``ci_clipped``) and the report's notes name the metric; psnr (no upper bound) is left as it was."""
    import benchmark.stats as S
    from benchmark.export import notes
    from benchmark.metrics import metric_range

    assert metric_range("vsi")[1] == 1.0 and metric_range("gmsd")[0] == 0.0
    assert metric_range("psnr")[1] == float("inf")
    cells = S.cell_table(_two_seed_blocks(), n_boot=200).set_index(["metric", "label"])
    vsi, gmsd, psnr = cells.loc["vsi"], cells.loc["gmsd"], cells.loc["psnr"]
    assert (vsi["ci_high"] <= 1.0).all() and (vsi["ci_low"] < vsi["mean"]).all(), vsi
    assert vsi["ci_clipped"].all() and (gmsd["ci_low"] >= 0.0).all() and gmsd["ci_clipped"].all()
    assert (psnr["ci_high"] > 30.0).all() and not psnr["ci_clipped"].any(), psnr  # no bound to cut at
    from benchmark.synthetic import synthetic_table

    st = S.compute(synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4,
                                   metrics=("psnr",)), n_boot=50)
    assert not any("cut at" in n for n in notes(st))  # nothing cut: no note
    st.cells = S.cell_table(_two_seed_blocks(), n_boot=200)
    line, = [n for n in notes(st) if "cut at" in n]
    assert "vsi ≤ 1" in line and "gmsd ≥ 0" in line and "psnr" not in line, line


def test_compares_table_says_where_a_ci_was_cut_as_the_leaderboard_does(tmp_path, monkeypatch):
    """``plbench compare`` prints each metric's ``value [low, high]`` from the same cells, but its notes (the
    leaderboard's: coverage, non-finite, sparse) left out the line saying an interval was cut at its metric's
    bound: a cut CI read as measured. The line is now among its notes. (A bound of 0.87 stands in for ssim's 1,
    so synthetic scores reach it.)"""
    import math

    import benchmark.metrics as M
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4,
                        metrics=("ssim",), budget_check=False)
    chosen = {"denoise": [m for m in store.metas() if m.get("config", {}).get("loss")]}
    md, _ = _summary(store, chosen, ["good"], {"denoise": []}, 0.05, 50, "l1", ())
    assert "cut at" not in md  # nothing reaches ssim's true bound
    monkeypatch.setitem(M.RANGE, "ssim", (-math.inf, 0.87))
    md, _ = _summary(store, chosen, ["good"], {"denoise": []}, 0.05, 50, "l1", ())
    assert "> CIs cut at the range their metric has by definition (ssim ≤ 0.87)" in md, md
    assert ", 0.870]" in md, md  # the printed interval is the cut one


def test_compare_counts_a_loss_spelt_two_ways_as_one_loss_in_its_costs_and_convergence(tmp_path, monkeypatch):
    """``plbench compare`` read its table with the two spellings of one loss merged (one row) but its run
    records as recorded: the merged loss got two cost rows under one label (2 runs and 1 run) and its
    convergence line counted "0 of 2 run(s)" of its 3. It reads the records as the table does: one cost
    row of 3 runs, "0 of 3 run(s)"."""
    import benchmark.compare as C
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path / "s")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "ffl(alpha=1)": 1.0}, seeds=(0, 1, 2), n_images=4,
                                          metrics=("psnr",), budget_check=False):
        if meta.get("config", {}).get("seed") == 2 and meta["config"]["loss"] == "ffl(alpha=1)":
            meta = {**meta, "config": {**meta["config"], "loss": "ffl(alpha=1.0)"}}
        if rows:
            store.write_eval(rid, rows, ["psnr"], {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    seen = {}
    compute = C.compute
    monkeypatch.setattr(C, "compute", lambda *a, **k: seen.setdefault("st", compute(*a, **k)))
    chosen = {"denoise": [m for m in store.metas() if m.get("config", {}).get("loss")]}
    md, _ = C._summary(store, chosen, ["ffl(alpha=1)"], {"denoise": []}, 0.05, 50, "l1", ())
    costs = seen["st"].costs
    assert list(costs.loc[costs["label"] == "ffl(alpha=1)", "runs"]) == [3], costs
    assert "0 of 3 runs of ffl(alpha=1)" in md, md

"""Review of round 2 (session 23): run_grid's handover of old gpl checkpoints, the diverged-after-check status."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


from benchmark.results import ResultsStore  # noqa: E402

# their reports are read for their text and tables: the figures (half of each report) are not drawn
pytestmark = pytest.mark.usefixtures("no_report_figures")

FIVE = tuple(range(5))


def test_run_grid_s_handover_scans_no_store_for_a_grid_no_old_id_could_hold(tmp_path, monkeypatch):
    """ceb2da62 made run_grid — every worker's call, every compare — call resume_under_new_id for its pending runs,
    which listed the store's stopped checkpoints (a stat per run folder, each stopped run's record read) whenever a
    pending run had no checkpoint: for l1 or lpips grids too, whose id no older plbench gave another value (only gpl
    and pdl(layers=()) under 'pretrained' had another id). Only a config that one id covers two values of
    (backbone weights 'random' that 'pretrained' and 'none' record as) asks for the store's checkpoints."""
    from test_probe_loose23 import _old_gpl_checkpoint_planned
    from test_probe_store23 import _small

    from benchmark.config import RunConfig, resolve
    from benchmark.data import DataCache
    from benchmark.results import ResultsStore
    from benchmark.runner import resume_under_new_id

    store = _small(tmp_path / "res")
    gpl, rid, old = _old_gpl_checkpoint_planned(store)
    scans = []
    real = ResultsStore.stopped_with_checkpoint
    monkeypatch.setattr(ResultsStore, "stopped_with_checkpoint", lambda self, *a: scans.append(1) or real(self, *a))
    others = [resolve(RunConfig(task="denoise", loss=loss, seed=0, iterations=8, backbone_weights=w), DataCache())
              for loss, w in (("l1", "random"), ("lpips", "random"))]
    import benchmark.runner

    asked = []
    real_had = benchmark.runner._had_another_id
    monkeypatch.setattr(benchmark.runner, "_had_another_id", lambda c: asked.append(c.loss) or real_had(c))
    others += [resolve(RunConfig(task="denoise", loss="l1", seed=s, iterations=8), DataCache()) for s in (1, 2)]
    assert resume_under_new_id(store, others, dry_run=True) == {}
    assert scans == [], "a grid of l1 and lpips runs listed the store's checkpoints"
    assert sorted(asked) == ["l1", "lpips"]  # once per loss and weights, not per run (0.13 ms each)
    assert resume_under_new_id(store, [gpl, *others], dry_run=True) == {rid: (old, 3)}  # gpl still handed over
    assert scans == [1]


def test_a_seed_diverged_under_an_older_loss_version_does_not_make_the_fixed_version_worse(tmp_path):
    """good at version 1: seed 4's run diverged at 150 iterations, its budget check at 75 finished; the loss file
    fixed (version 2) and its 5 seeds run again with checks, every one fine. 40dca61a's diverged_after_check (now
    convergence.diverged_seeds, the one rule, which it wrapped) keyed
    the broken seed by task, loss and weights kind only, so version 2's arm — a row of its own on the board, whose
    costs never take version 1's runs — was 'worse with more budget (seed 4 diverged …)' too. A diverged run counts
    against the arm of its own loss version (a run recording no versions, as before: every version)."""
    import hashlib

    from benchmark.convergence import diverged_seeds, with_divergences
    from benchmark.report import write_report
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    for v in (1, 2):
        for rid, meta, rows in synthetic_runs(tasks=("sr4",), metrics=("psnr",), seeds=FIVE, n_images=6,
                                              offsets={"l1": 0.0, "good": 1.0}):
            cfg = meta.get("config", {})
            if v == 2 and cfg.get("loss") != "good":
                continue
            if cfg.get("loss") == "good":
                rid = hashlib.sha256(f"{rid}{v}".encode()).hexdigest()[:16]
                meta = {**meta, "run_id": rid, "loss_versions": {"good": v}}
                rows = [{**r, "run_id": rid, "loss_version": f"good={v}"} for r in rows]
                if (v, cfg.get("seed"), cfg.get("iterations")) == (1, 4, 150):
                    meta, rows = {**meta, "status": "diverged", "diverged_at": 140}, []
            if rows:
                store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
            atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    metas = store.metas()
    from benchmark.settings import drop_budget_checks

    table, checks = drop_budget_checks(store.table())
    diverged = diverged_seeds(metas, None, checks)
    broke = diverged[diverged["side"] == "run"]  # run diverged, check finished: more budget broke it
    keys = broke.groupby(["task", "loss", "weights_kind", "loss_version"])["seed"]
    assert [sorted(set(seeds)) for _, seeds in keys] == [[4]]
    import pandas as pd

    # both arms in the diverged run's setting, as arm_budget gives them (the one rule matches arms by setting too)
    arms = pd.DataFrame({"setting": [broke["setting"].iloc[0]] * 2, "task": ["sr4", "sr4"], "loss": ["good", "good"],
                         "weights_kind": ["none", "none"],
                         "loss_version": ["good=1", "good=2"], "metric": ["psnr", "psnr"],
                         "status": ["converged", "converged"]})
    assert list(with_divergences(arms, broke)["status"]) == ["worse with more budget", "converged"]
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=50, formats=())
    conv = (tmp_path / "convergence.csv").read_text().splitlines()
    assert sum("worse with more budget" in line for line in conv if line.startswith("sr4,good,")) == 1, conv


def test_the_note_on_seeds_diverged_where_their_checks_finished_says_which_run_and_agrees_in_number(tmp_path):
    """good × 5 seeds, seeds 3 and 4 diverged at iteration 40 of their 150-iteration runs, their checks at 75 fine:
    40dca61a's note read "seeds 3, 4 diverged at 150 iterations, its budget check at 75 finished" — 'at 150
    iterations' read as the iteration they diverged at (40 here), and 'its' for two seeds. It names the runs they
    diverged in, in the number of the seeds."""
    from benchmark.report import write_report
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(tasks=("sr4",), metrics=("psnr",), seeds=FIVE, n_images=6,
                                          offsets={"l1": 0.0, "good": 1.0}):
        cfg = meta.get("config", {})
        if cfg.get("loss") == "good" and cfg.get("seed") in (3, 4) and cfg.get("iterations") == 150:
            meta, rows = {**meta, "status": "diverged", "diverged_at": 40}, []
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=50, formats=())
    md = (tmp_path / "leaderboard.md").read_text()
    assert ("sr4/good worse with more budget (seeds 3, 4 diverged in their 150-iteration runs, their budget checks "
            "at 75 finished)") in md, md
    assert "diverged at 150 iterations" not in md

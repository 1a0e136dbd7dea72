"""Probe of the results store's integrity and scale (store4): each test failed before its fix."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pandas as pd
import pytest

from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import write_store


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1, 2), "n_images": 4,
          "metrics": ("psnr", "ssim"), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_report_parses_each_meta_json_once(tmp_path, monkeypatch):
    """``report`` read and parsed every run's meta.json about six times (table, selection, metas,
    coverage, figures): each is now parsed once per store, and a rewritten one is read again."""
    store = _small(tmp_path / "s")
    reads = collections.Counter()
    orig = Path.read_bytes  # meta.json is read as bytes (decoded as UTF-8 with or without an editor's BOM)

    def counting(self, *a, **kw):
        if self.name == "meta.json":
            reads[self.parent.name] += 1
        return orig(self, *a, **kw)

    monkeypatch.setattr(Path, "read_bytes", counting)
    from benchmark.report import write_report

    write_report(store, formats=("png",), visual=False, html=False, n_boot=100)
    assert set(reads) == set(store.run_ids())
    assert max(reads.values()) == 1, reads.most_common(3)
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    meta = store.meta(rid)
    meta["status"] = "failed"  # a copy: the store's own record is not changed
    assert store.meta(rid)["status"] == "ok"
    atomic_write_json(store.run_dir(rid) / "meta.json", meta)  # a rewrite (new file renamed in) is read again
    assert store.meta(rid)["status"] == "failed" and reads[rid] == 2
    (store.run_dir(rid) / "meta.json").unlink()
    assert store.meta(rid) is None


def _two_settings(root, field="train_data", values=(["T91"], ["T91", "BSD200"])):
    """A store whose runs (one task) come in two settings differing in ``field``."""
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=3,
                                          metrics=("psnr",), budget_check=False):
        for k, value in enumerate(values if meta.get("kind") != "input" else [None]):
            r = f"{rid}{k}" if value is not None else rid
            m = {**meta, "run_id": r}
            out = [{**row, "run_id": r} for row in rows]
            if value is not None:
                m["setting"] = {**meta["setting"], field: value}
                for row in out:
                    row["setting"] = json.dumps({**json.loads(row["setting"]), field: value}, sort_keys=True)
            store.write_eval(r, out, ["psnr"], {})
            atomic_write_json(store.run_dir(r) / "meta.json", m)
    return store


def _backticked(text: str) -> list[list[str]]:
    import re
    import shlex

    return [shlex.split(c) for c in re.findall(r"`(plbench [^`]*)`", text)]


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_pick_a_setting_hint_is_a_command_that_runs(tmp_path, capsys):
    """``plbench report --out 'my results'`` on two settings told the user to run
    ``plbench report --where train_data=T91 + BSD200``: without the --out (it reads ./results) and with
    the value split by the shell. The hint now carries the --out, and each part is shell-quoted."""
    from benchmark.cli import main

    out = tmp_path / "my results"
    _two_settings(out)
    assert main(["report", "--out", str(out), "--no-visual", "-q"]) == 2
    err = capsys.readouterr().err
    cmds = _backticked(err)
    pick = [c for c in cmds if "--where" in c]
    assert pick, err
    argv = pick[0]
    assert argv[argv.index("--out") + 1] == str(out), argv
    where = argv[argv.index("--where") + 1]
    assert where.startswith("train_data=") and len(argv) == argv.index("--where") + 2, argv
    assert main(["report", "--out", str(out), "--no-visual", "-q", "--where", where]) == 0, capsys.readouterr().err


def test_no_results_hint_quotes_the_out(tmp_path, capsys):
    """``no results in …: run `plbench run --out my results` first`` broke a path with a space in two."""
    from benchmark.cli import main

    out = tmp_path / "my results"
    assert main(["report", "--out", str(out)]) == 2
    cmds = _backticked(capsys.readouterr().err)
    assert cmds and cmds[0][cmds[0].index("--out") + 1] == str(out), cmds
    out.mkdir()
    assert main(["report", "--out", str(out)]) == 2
    cmds = _backticked(capsys.readouterr().err)
    assert cmds and cmds[0][cmds[0].index("--out") + 1] == str(out), cmds


def test_sparse_rule_has_one_definition_both_callers_agree():
    """The sparse-run rule was written twice (numpy ``sparse_runs`` for the leaderboard, pandas
    ``run_coverage`` for its notes); now both call :func:`benchmark.stats.left_out`. On a column with runs
    scored on every image, exactly half, fewer than half, none, and an input scored on more images than any
    restored run, the runs the notes call left out are exactly those the leaderboard leaves out."""
    import numpy as np

    from benchmark import stats
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -1.0}, seeds=(0, 1, 2), n_images=8,
                        metrics=("psnr", "ssim"))
    restored = t[t["loss"] != "input"]
    runs = sorted(restored["run_id"].unique())
    img = t["image"].str[-4:].astype(int)
    keep_n = dict(zip(runs, [8, 4, 3, 0, 1, 7, 8, 2, 5]))  # images scored per run (psnr), by run
    n = t["run_id"].map(keep_n)
    drop = (t["metric"] == "psnr") & (t["loss"] != "input") & (img >= n)
    t = t.assign(value=t["value"].where(~drop)).reset_index(drop=True)
    cov = stats.run_coverage(t).set_index(["task", "metric", "run"])
    blocks = stats.blocks(t)
    checked = 0
    for b in blocks:
        gone = np.isnan(b.values).all(axis=2)  # (L, S): the runs the column leaves out
        for li, label in enumerate(b.labels):
            for si, seed in enumerate(b.seeds):
                sel = (t["task"] == b.task) & (t["metric"] == b.metric) & (stats.labels(t) == label) & \
                      (t["seed"].fillna(-1) == seed)
                for rid in t.loc[sel, "run_id"].unique():
                    assert bool(cov.at[(b.task, b.metric, rid), "sparse"]) == bool(gone[li, si]), \
                        (b.metric, label, seed, cov.loc[(b.task, b.metric, rid)].to_dict())
                    checked += 1
    assert checked == 2 * (len(runs) + 1)
    assert cov["sparse"].sum() == 4  # 3, 0, 1 and 2 of 8 images
    assert list(stats.left_out(np.array([0, 3, 4, 8]), 8)) == [True, True, False, False]


def _spelt_two_ways(root):
    """l1 (seeds 0-2) and one loss recorded as ``ffl(alpha=1)`` (seeds 0, 1) and ``ffl(alpha=1.0)`` (seed 2),
    as runs made before a run took the recorded spelling left it."""
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "ffl(alpha=1)": 1.0}, seeds=(0, 1, 2), n_images=4,
                                          metrics=("psnr",), budget_check=False):
        if meta.get("config", {}).get("seed") == 2 and meta["config"]["loss"] == "ffl(alpha=1)":
            meta = {**meta, "config": {**meta["config"], "loss": "ffl(alpha=1.0)"}}
            rows = [{**r, "loss": "ffl(alpha=1.0)"} for r in rows]
        store.write_eval(rid, rows, ["psnr"], {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_a_loss_recorded_under_two_spellings_is_one_row(tmp_path):
    """A store holding ``ffl(alpha=1)`` and ``ffl(alpha=1.0)`` (the same loss: one ``loss_identity``) from
    before run/compare took the recorded spelling showed two leaderboard rows of 2 and 1 seeds; now one row
    over its 3 runs, under the spelling with most runs, with a note naming the other spelling."""
    from benchmark.report import write_report

    store = _spelt_two_ways(tmp_path / "s")
    table = store.table()
    assert set(table["loss"]) == {"input", "l1", "ffl(alpha=1)"}
    assert table.loc[table["loss"] == "ffl(alpha=1)", "seed"].nunique() == 3
    assert store.respelt == {"ffl(alpha=1.0)": "ffl(alpha=1)"}
    write_report(store, formats=("png",), visual=False, html=False, n_boot=100)
    md = (tmp_path / "s" / "leaderboard.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith("| ffl")]
    assert rows and all("ffl(alpha=1.0)" not in r for r in rows), rows
    assert "`ffl(alpha=1.0)` is the loss `ffl(alpha=1)` spelt another way" in md
    costs = pd.read_csv(tmp_path / "s" / "costs.csv")
    assert "ffl(alpha=1.0)" not in set(costs["loss"].astype(str)), costs
    # nothing recorded is renamed
    assert sorted(m["config"]["loss"] for m in store.metas() if "config" in m).count("ffl(alpha=1.0)") == 1


def test_categorical_table_equals_the_string_table_on_mixed_and_older_stores(tmp_path):
    """``table(categories=True)`` (what report and findings read: categoricals built pass by pass) holds the
    values and dtypes of ``as_categories(table())`` on a store of two settings, a loss under two spellings,
    and a pass written by an older schema (no ``weights_kind``, ``backbone_seed``, ``loss_version``
    columns); the per-setting filters of :func:`benchmark.settings.select` keep the same rows."""
    from benchmark.results import as_categories
    from benchmark.settings import select

    store = _two_settings(tmp_path / "s")
    spelt = _spelt_two_ways(tmp_path / "t")
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    p = store.run_dir(rid) / "eval-0.parquet"
    old = pd.read_parquet(p).drop(columns=["weights_kind", "backbone_seed", "loss_version"])
    (store.run_dir(rid) / "eval-0.parquet").unlink()
    (store.run_dir(rid) / "eval-0.json").unlink()
    store.write_eval(rid, old.to_dict("records"), ["psnr"], {})  # to_frame fills the missing columns
    import io

    buf = io.BytesIO()
    old.to_parquet(buf, index=False)  # the rows as the older schema wrote them
    from benchmark.results import _sha256, atomic_write_bytes

    atomic_write_bytes(p, buf.getvalue())
    rec = json.loads((store.run_dir(rid) / "eval-0.json").read_text())
    atomic_write_json(store.run_dir(rid) / "eval-0.json", {**rec, "sha256": _sha256(buf.getvalue())})
    for s in (store, spelt):
        a, b = as_categories(s.table()), s.table(categories=True)
        pd.testing.assert_frame_equal(a, b)
        assert not s.damaged
    where = {"train_data": "T91 + BSD200"}
    a, b = select(as_categories(store.table()), where=where), select(store.table(categories=True), where=where)
    pd.testing.assert_frame_equal(a.table.reset_index(drop=True), b.table.reset_index(drop=True))
    assert a.run_ids == b.run_ids and len(b.run_ids) == 5  # 2 losses × 2 seeds + the input


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_rows_without_a_meta_json_are_named_not_silently_dropped(tmp_path, capsys):
    """A finished run whose meta.json was deleted (or not copied with its folder): ``check`` said "6 runs,
    every record readable" and the report's cell silently lost that seed. Both now name the run."""
    from benchmark.cli import main
    from benchmark.report import write_report

    store = _small(tmp_path / "s", metrics=("psnr",))
    rid = next(r for r in store.run_ids() if not r.startswith("input") and store.meta(r)["config"]["loss"] == "l1")
    seed = store.meta(rid)["config"]["seed"]
    (store.run_dir(rid) / "meta.json").unlink()
    # exit 1: rows in no leaderboard need an action, as damage does (`check && report` drew a board without them)
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert f"run {rid}: rows of l1 seed {seed} (denoise) without a meta.json" in out, out
    write_report(ResultsStore(store.root), formats=("png",), visual=False, html=False, n_boot=100)
    md = (store.root / "leaderboard.md").read_text()
    assert f"run {rid} (l1 seed {seed} (denoise)) left out: its rows have no meta.json" in md


def test_merge_a_cluster_nodes_store_keeps_every_finished_run(tmp_path, capsys):
    """Stores of two nodes: the README's ``cp -rn node2/runs/* results/runs/`` kept node 1's failed attempt's
    meta.json next to node 2's finished rows (the table ignored them, the next run deleted them). ``plbench
    merge`` copies node 2's finished runs in: a run missing here is copied, one failed or interrupted here is
    replaced (its files set aside, nothing deleted), one finished on both is kept, one unfinished there is
    not copied; the merged table holds every finished run once and ``check`` finds no damage."""
    import shutil

    from benchmark.cli import main

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    runs = [r for r in node2.run_ids() if not r.startswith("input")]
    failed, absent, unfinished = runs[0], runs[1], runs[2]
    meta = node1.meta(failed)
    for p in node1.run_dir(failed).glob("eval-*"):
        p.unlink()
    atomic_write_json(node1.run_dir(failed) / "meta.json", {**meta, "status": "failed", "error": "OOM"})
    (node1.run_dir(failed) / "ckpt.pt").write_bytes(b"checkpoint of the failed attempt")
    shutil.rmtree(node1.run_dir(absent))
    (node2.run_dir(unfinished) / "meta.json").unlink()
    rescored = runs[3]  # node 2 scored it on one more metric: not mixed into node 1's run, said
    row = {**node2.table().query("run_id == @rescored").iloc[0].to_dict(), "metric": "lpips", "value": 0.3}
    node2.write_eval(rescored, [row], ["lpips"], {})
    expected = len(ResultsStore(tmp_path / "node2").table()) + 2 * 4 - 1  # + node 1's `unfinished`, - the lpips row
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0
    out = capsys.readouterr().out
    assert "1 copied" in out and "1 unfinished or damaged here replaced" in out and \
           "1 not finished there" in out and "1 of those scored there on metrics not scored here " \
           "(lpips" in out, out
    merged = ResultsStore(node1.root)
    assert merged.check() == {} and not merged.unrecorded()
    table = merged.table()
    assert len(table) == expected and set(table["run_id"]) == set(node2.run_ids())
    assert merged.meta(failed)["status"] == "ok"
    assert merged.attempts(failed)[0]["error"] == "OOM"  # the failed attempt's record kept
    assert (merged.run_dir(failed) / "damaged" / "0" / "ckpt.pt").read_bytes() == b"checkpoint of the failed attempt"
    assert main(["merge", str(node2.root), "--out", str(node1.root)]) == 0  # again: nothing more to copy
    assert "0 copied" in capsys.readouterr().out and len(ResultsStore(node1.root).table()) == expected

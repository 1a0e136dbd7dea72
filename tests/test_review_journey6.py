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


def test_a_store_loss_that_came_from_no_file_is_not_called_a_loss_file(tmp_path, capsys):
    """Was: any unknown loss name the store held runs of was "of a loss file not loaded now … load it
    with --loss-file FILE", a loss no longer registered that came from no file too (a plugin
    uninstalled, a loss removed from the repository: version `1`, no file hash, no `loss_files`). Only
    runs of a loss file (a version with its file's hash) are named so; a store written before
    `loss_files` existed still names the version and says FILE."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "gone_loss": 1.0, "old_file_loss": 0.5}, seeds=(0,),
                                          metrics=("psnr",), n_images=3, budget_check=False):
        loss = (meta.get("config") or {}).get("loss")
        if loss == "gone_loss":
            meta["loss_versions"] = {"gone_loss": "1"}
        if loss == "old_file_loss":  # written before meta.json recorded loss_files
            meta["loss_versions"] = {"old_file_loss": "1+0123456789ab"}
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    out = str(tmp_path / "r")
    assert main(["compare", "--loss", "gone_loss", "--no-visual", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown loss 'gone_loss'" in err and "of a loss file not loaded" not in err, err  # the registry's line
    assert main(["compare", "--loss", "old_file_loss", "--no-visual", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "v1+0123456789ab" in err and "--loss-file FILE" in err, err


def test_the_compare_command_run_suggests_trains_the_specs_that_were_run(tmp_path, monkeypatch, caplog):
    """Was: `run --loss-file F --losses 'my_loss(w=0.5)'` beside a field at another setting warned
    "`plbench compare --loss-file F --out R` trains your loss under their setting": that command trains
    every loss of F at its defaults (`my_loss`, w=1), not the spec that was run, now that
    `compare --loss` names what is compared. The command names the specs (`--loss 'my_loss(w=0.5)'`)."""
    import logging
    from types import SimpleNamespace

    from benchmark import cli
    from benchmark import config as C

    monkeypatch.setattr(C, "setting", lambda c: {"task": c.task, "iterations": c.iterations})
    field = [{"status": "ok", "setting": {"task": "denoise", "iterations": 2}, "config": {"loss": "l1"}}]
    store = SimpleNamespace(metas=lambda: field, root=tmp_path / "r")
    configs = [SimpleNamespace(task="denoise", iterations=3, loss="my_loss(w=0.5)"),
               SimpleNamespace(task="denoise", iterations=3, loss="0.1*my_loss + l1")]
    caplog.set_level(logging.WARNING)
    cli._warn_field_apart(store, configs, ["/x/my loss.py"])
    said = [r.getMessage() for r in caplog.records if "another setting" in r.getMessage()]
    assert len(said) == 1, said
    assert ("plbench compare --loss-file '/x/my loss.py' --loss '0.1*my_loss + l1' --loss 'my_loss(w=0.5)' --out "
            in said[0]), said

"""Probe of the store's and loss specs' loose ends (session 26): stray copies of pass files, duplicated rows, passes
set aside by a retry, one loss spelt twice in a grid."""
from __future__ import annotations

import logging
import shutil


def _finished(root):
    """(store, a trained run's id, its folder): a small finished store (:func:`test_review_store11._noted`)."""
    from test_review_store11 import _noted

    store = _noted(root)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    return store, rid, store.run_dir(rid)


def _said(capsys) -> list[str]:
    out = capsys.readouterr()
    return (out.out + out.err).splitlines()


def test_a_finder_duplicate_or_sync_conflict_copy_of_a_pass_is_no_pass(tmp_path, capsys, caplog):
    """Was: every ``eval-*.json`` / ``eval-*.parquet`` in a run folder was read as a pass, a Finder duplicate
    (``eval-0 2.json``) or a sync tool's conflict copy too, sorted last as the newest pass: the table warned of
    duplicated rows, check said all was fine, and write_eval deleted a copied parquet without its record as rows
    of a killed write. Now a pass is ``eval-<k>.json``/``.parquet`` alone; check names the copies (exit unchanged)
    and --repair sets them aside, never deletes them."""
    from benchmark.cli import main

    store, rid, d = _finished(tmp_path / "r")
    rows = len(store.table())
    copies = ["eval-0 2.json", "eval-0 2.parquet", "eval-0 (conflicted copy).parquet"]
    for name in copies:
        shutil.copy(d / ("eval-0" + name[name.index("."):]), d / name)
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        assert len(store.table()) == rows
    assert not any("duplicated" in r.getMessage() for r in caplog.records), caplog.text
    assert store.damage(rid) == ""
    store.write_eval(rid, store.table().query("run_id == @rid").to_dict("records"), ["psnr"], {})
    assert all((d / n).is_file() for n in copies) and (d / "eval-1.json").is_file()
    assert main(["check", "--out", str(store.root)]) == 0
    line = next((x for x in _said(capsys) if "named like an evaluation pass" in x), "")
    assert f"runs/{rid}/eval-0 2.json" in line and "--repair sets them aside" in line, line
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    line = next((x for x in _said(capsys) if "named like an evaluation pass" in x), "")
    assert "set aside to" in line, line
    assert all((d / "damaged" / "0" / n).is_file() and not (d / n).exists() for n in copies)
    assert main(["check", "--out", str(store.root)]) == 0
    assert not any("named like an evaluation pass" in x for x in _said(capsys))


def test_check_names_rows_a_report_reads_twice_and_repair_sets_a_pass_of_repeats_aside(tmp_path, capsys, caplog):
    """Was: every report warned '<n> duplicated (run, image, metric) rows ignored' while check named none and said
    all was fine, so the user could not get rid of the warning. Check names the run and the pass that repeats them;
    --repair sets aside a pass that holds nothing of its own (the table reads the same without it, nothing deleted)
    and says that one holding rows of its own stays."""
    from benchmark.cli import main

    store, rid, d = _finished(tmp_path / "r")
    table = store.table()
    rows = table.query("run_id == @rid").to_dict("records")
    store.write_eval(rid, rows, ["psnr"], {})  # eval-1: the same rows again
    other = next(r for r in store.run_ids() if r not in (rid,) and not r.startswith("input-"))
    more = table.query("run_id == @other").to_dict("records")
    store.write_eval(other, more + [{**more[0], "metric": "ssim", "value": 0.5}], ["psnr", "ssim"], {})
    assert main(["check", "--out", str(store.root)]) == 0
    lines = _said(capsys)
    line = next((x for x in lines if f"run {rid}:" in x and "read twice" in x), "")
    assert f"{len(rows)} (run, image, metric) rows read twice (eval-1: {len(rows)} repeated)" in line, lines
    assert "--repair sets eval-1 aside" in line, line
    line = next((x for x in lines if f"run {other}:" in x and "read twice" in x), "")
    assert "eval-1 (1 row of its own) stays" in line, lines
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    capsys.readouterr()
    assert (d / "damaged" / "0" / "eval-1.parquet").is_file() and not (d / "eval-1.json").exists()
    assert (store.run_dir(other) / "eval-1.json").is_file()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        again = store.table()
    assert len(again) == len(table) + 1 and store.duplicated == {other: len(more)}, caplog.text


def test_check_names_evaluation_passes_a_retry_left_under_damaged(tmp_path, capsys):
    """Was: a retry (reset_run) sets an unfinished attempt's passes aside under ``runs/<id>/damaged/<n>/`` and, once
    it ends, removes those it wrote again byte for byte; one that differs stayed there, rows in no table, while
    check's damaged/ line named checkpoints and saved nets alone. It names the passes' rows too (no error)."""
    from benchmark.cli import main

    store, rid, d = _finished(tmp_path / "r")
    aside = d / "damaged" / "0"
    aside.mkdir(parents=True)
    for name in ("eval-0.json", "eval-0.parquet"):
        shutil.copy(d / name, aside / name)
    store.drop_identical_aside(rid, aside)  # the retry wrote the same rows: that copy goes
    assert not (aside / "eval-0.parquet").exists()
    aside.mkdir(parents=True)
    (aside / "eval-0.parquet").write_bytes(b"rows that differ from the retry's")
    (aside / "eval-0.json").write_text("{}")
    store.drop_identical_aside(rid, aside)
    assert main(["check", "--out", str(store.root)]) == 0
    lines = _said(capsys)
    line = next((x for x in lines if "damaged/" in x and "evaluation pass" in x), "")
    assert f"runs/{rid}/damaged/0/eval-0.parquet" in line and "1 evaluation pass" in line, lines
    assert "delete them once you do not need them" in line and "eval-[0-9]+" in line, line


def test_a_finished_run_whose_folder_holds_only_a_conflict_copy_of_its_rows_is_gone_not_unfinished(tmp_path, capsys):
    """Was: ``_holds_none`` took any ``eval-*`` file for a run's own, so a finished run whose folder a sync left
    holding only a conflict copy of its rows (``eval-0 (conflicted copy).parquet``, read by no report) was counted
    an unfinished run 'the same `plbench run` resumes' (exit 0) — its results lost, said nowhere. It is named gone
    (exit 1), as a folder holding none of its files is, and the copy in the strays' line."""
    from benchmark.cli import main

    store, rid, d = _finished(tmp_path / "r")
    (d / "eval-0.parquet").rename(d / "eval-0 (conflicted copy).parquet")
    for p in d.iterdir():
        if p.is_file() and not p.name.startswith("eval-0 "):
            p.unlink()
    assert rid in store.gone()
    assert main(["check", "--out", str(store.root)]) == 1
    lines = _said(capsys)
    assert any(rid in x and "conflicted copy" in x for x in lines), lines
    assert not any("unfinished" in x for x in lines), lines


def test_a_finished_run_trained_again_and_stopped_in_its_half_batch_retry_is_not_gone(tmp_path):
    """Was: ``_holds_none`` knew a run's checkpoint as ``ckpt.pt`` alone, so a finished run whose folder was emptied
    and trained again, stopped in its retry at half the batch (``ckpt-b4.pt`` alone, which the same command resumes
    from), was named gone — 'its results are lost', check exit 1, the next report noting it deleted in finished.log —
    while a run stopped with ``ckpt.pt`` was not. One rule for checkpoints (:data:`benchmark.results._CHECKPOINT`)."""
    store, rid, d = _finished(tmp_path / "r")
    for p in d.iterdir():
        if p.is_file():
            p.unlink()
    (d / "ckpt.pt").write_bytes(b"a checkpoint")
    assert rid not in store.gone()
    (d / "ckpt.pt").rename(d / "ckpt-b4.pt")
    assert rid not in store.gone()

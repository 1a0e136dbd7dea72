"""The results store detects damage and never touches what is not its own (issue 22): a foreign
folder is refused, damaged runs are named and set aside (never deleted), no reader counts a
(run, image, metric) twice, and a re-run re-scores or retrains only the damaged runs."""

from __future__ import annotations

import json
import os

import pytest
import torch
from conftest import figures_off

from benchmark.cli import main
from benchmark.results import ROW_KEY, ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _store(path):
    write_store(path, tasks=("sr4",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0, "l2": 0.3})
    return ResultsStore(path)


def _a_run(store):
    return next(r for r in store.run_ids() if not r.startswith("input"))


def test_foreign_folder_is_refused_and_left_untouched(tmp_path, capsys):
    own = tmp_path / "mine"
    own.mkdir()
    files = {"results.csv": "my,data\n1,2\n", "report.html": "<p>mine</p>", "leaderboard.md": "# mine"}
    for name, text in files.items():
        (own / name).write_text(text)
    (own / "figures").mkdir()
    (own / "figures" / "fig.png").write_bytes(b"png")
    for argv in (["run", "--out", str(own), "--iterations", "2", "-q"], ["report", "--out", str(own), "-q"]):
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not a plbench results directory" in err or "no results in" in err
    assert main(["report", "--out", str(own), "-q"]) == 2  # and is not offered as a place to run
    err = capsys.readouterr().err
    assert "not a plbench results directory" in err and "plbench run" not in err
    assert main(["report", "--out", str(tmp_path / "nowhere"), "-q"]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert {n: (own / n).read_text() for n in files} == files and (own / "figures" / "fig.png").read_bytes() == b"png"
    (own / "runs").mkdir()  # even with a runs/ folder of files, the report never writes over them
    (own / "runs" / "note.txt").write_text("x")
    assert main(["report", "--out", str(own), "-q"]) == 2
    assert "not a plbench results directory" in capsys.readouterr().err
    assert (own / "results.csv").read_text() == files["results.csv"]
    empty = tmp_path / "empty"
    empty.mkdir()
    ResultsStore(empty).ensure_writable()  # an empty folder becomes a store
    assert (empty / "store.json").exists()


def test_empty_and_nested_out_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--out", "", "-q"]) == 2
    assert "--out is empty" in capsys.readouterr().err and not (tmp_path / "runs").exists()
    store = _store(tmp_path / "s")
    for inner in (store.runs / "x", store.root / "sub" / "deeper"):
        assert main(["run", "--out", str(inner), "-q"]) == 2
        assert "is inside the results directory" in capsys.readouterr().err
        assert not inner.exists()


@pytest.mark.parametrize("damage, why", [
    (lambda d: (d / "meta.json").write_text("{garbage"), "meta.json unreadable"),
    pytest.param(lambda d: (d / "eval-0.json").write_text("\0\0"), "eval-0.json unreadable", marks=pytest.mark.slow),
    (lambda d: (d / "eval-0.parquet").write_bytes((d / "eval-0.parquet").read_bytes()[:50]),
     "eval-0.parquet does not match its checksum"),
    pytest.param(lambda d: (d / "eval-0.parquet").unlink(), "eval-0.parquet missing", marks=pytest.mark.slow),
])
def test_damaged_run_is_named_left_out_and_set_aside(tmp_path, capsys, monkeypatch, damage, why):
    figures_off(monkeypatch)
    store = _store(tmp_path)
    before = store.table()
    rid = _a_run(store)
    damage(store.run_dir(rid))
    t = store.table()  # never an internal error; the damaged run is left out and named
    assert store.damaged == {rid: store.damage(rid)} and why in store.damaged[rid]
    assert set(t["run_id"]) == set(before["run_id"]) - {rid} and len(t) == len(before[before.run_id != rid])
    assert main(["report", "--out", str(tmp_path), "--no-visual", "--bootstrap", "100", "-q"]) == 0
    assert f"damaged run {rid} left out" in (tmp_path / "leaderboard.md").read_text()
    capsys.readouterr()
    assert main(["check", "--out", str(tmp_path), "-q"]) == 1
    assert f"run {rid}: {why}" in capsys.readouterr().out
    assert main(["check", "--out", str(tmp_path), "--repair", "-q"]) == 0
    kept = list((store.run_dir(rid) / "damaged" / "0").iterdir())
    assert kept and {p.name for p in kept} >= {"eval-0.json"} - ({"eval-0.json"} if "missing" in why else set())
    assert main(["check", "--out", str(tmp_path), "-q"]) == 0


def test_a_row_is_never_counted_twice(tmp_path):
    store = _store(tmp_path)
    rid = _a_run(store)
    n = len(store.table())
    rows = store.table().query("run_id == @rid").to_dict("records")
    store.write_eval(rid, rows, ["psnr"], {})  # the same rows again, as a second pass
    t = store.table()
    assert len(t) == n and not t.duplicated(ROW_KEY).any()


def test_rerun_rescores_or_retrains_only_damaged_runs(tmp_path, capsys, random_images):
    from benchmark.config import RunConfig, run_id
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    cfgs = resolve_all([RunConfig(task="denoise", loss=loss, iterations=4, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,)) for loss in ("l1", "l2", "charbonnier")])
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    run_grid(cfgs, store, ("psnr",), cpu, progress=False)
    first = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    ids = [run_id(c) for c in cfgs]
    stamp = {p: p.stat().st_mtime_ns for p in store.run_dir(ids[2]).iterdir() if p.is_file()}
    (store.run_dir(ids[0]) / "eval-0.parquet").write_bytes(b"truncated")       # re-scored from net.pt
    (store.run_dir(ids[1]) / "meta.json").write_text("not json")                 # retrained
    s = run_grid(cfgs, store, ("psnr",), cpu, progress=False)
    assert (s.trained, s.rescored, s.skipped) == (1, 1, 1)
    again = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    assert again[ROW_KEY + ["value"]].equals(first[ROW_KEY + ["value"]])  # CPU: bit-identical
    assert {p: p.stat().st_mtime_ns for p in store.run_dir(ids[2]).iterdir() if p.is_file()} == stamp
    assert (store.run_dir(ids[0]) / "damaged" / "0" / "eval-0.parquet").read_bytes() == b"truncated"
    assert json.loads(json.dumps(store.meta(ids[1])))["status"] == "ok"
    assert (store.run_dir(ids[1]) / "damaged" / "0" / "meta.json").read_text() == "not json"
    assert os.path.exists(store.run_dir(ids[1]) / "net.pt")


def test_leaderboard_markdown_escapes_names_from_folders_and_files():
    from benchmark.report import by_dataset_markdown, to_markdown
    from benchmark.synthetic import synthetic_table

    evil = "<img src=x onerror=alert(1)>"
    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0, "a|b": 0.2})
    t.loc[t.index % 2 == 0, "dataset"] = evil
    md = to_markdown(t, n_boot=50) + by_dataset_markdown(t)
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "| a\\|b |" in md  # a pipe in a name cannot split a table cell



# a meta.json that parses but is not a run's record: damaged exactly like a garbled one (issue: data loss)
INCOMPLETE_METAS = [
    ({}, "meta.json incomplete (no run_id)"),
    ({"status": "ok"}, "meta.json incomplete (no run_id)"),
    ([1, 2], "meta.json holds a list"),
    ({"run_id": "{rid}"}, "meta.json incomplete (no status)"),
    ({"run_id": "{rid}", "status": "OK"}, "unknown status 'OK'"),
    ({"run_id": "someone-else", "status": "ok", "config": {"task": "sr4", "loss": "l1", "seed": 0}},
     "meta.json names another run"),
    ({"run_id": "{rid}", "status": "ok"}, "meta.json incomplete (no config)"),
    ({"run_id": "{rid}", "status": "ok", "config": {"task": "sr4", "seed": 0}}, "config without loss"),
    ({"run_id": "{rid}", "status": "ok", "config": {"task": "sr4", "loss": "l1", "seed": "0"}},
     "seed is not an integer"),
]


@pytest.mark.parametrize("meta, why", INCOMPLETE_METAS, ids=[w.split("(")[-1].strip(")") for _, w in INCOMPLETE_METAS])
def test_incomplete_meta_is_damage(tmp_path, meta, why):
    """Every reader sees it as damaged: named by check, left out of the table and of metas(), not done."""
    from benchmark.results import meta_problem

    store = _store(tmp_path)
    rid = _a_run(store)
    meta = json.loads(json.dumps(meta).replace("{rid}", rid))
    (store.run_dir(rid) / "meta.json").write_text(json.dumps(meta))
    assert why in meta_problem(meta, rid)
    assert store.meta(rid) is None and not store.is_done(rid) and why in store.meta_damage(rid)
    assert why in store.check()[rid]
    assert rid not in set(store.table()["run_id"]) and why in store.damaged[rid]
    assert rid not in {m["run_id"] for m in store.metas()}


def test_complete_metas_of_every_kind_are_trusted():
    from benchmark.results import meta_problem

    cfg = {"task": "denoise", "loss": "l1", "seed": 0}
    assert meta_problem({"run_id": "a", "status": "ok", "config": cfg}, "a") == ""
    assert meta_problem({"run_id": "a", "status": "diverged", "config": cfg}, "a") == ""
    assert meta_problem({"run_id": "a", "status": "failed", "config": cfg, "error": "x"}, "a") == ""
    assert meta_problem({"run_id": "input-x", "status": "ok", "kind": "input", "task": "denoise"}, "input-x") == ""
    assert "without its task" in meta_problem({"run_id": "input-x", "status": "ok", "kind": "input"}, "input-x")


def test_incomplete_meta_is_set_aside_and_report_findings_name_it(tmp_path, capsys, monkeypatch):
    """`{"status": "ok"}` beside intact passes: check names it (exit 1), report and findings leave it
    out naming it, and --repair moves every file to damaged/ — the passes byte for byte."""
    figures_off(monkeypatch)
    store = _store(tmp_path)
    rid = _a_run(store)
    d = store.run_dir(rid)
    passes = {p.name: p.read_bytes() for p in d.glob("eval-*")}
    (d / "meta.json").write_text('{"status": "ok"}')
    assert main(["check", "--out", str(tmp_path), "-q"]) == 1
    assert f"run {rid}: meta.json incomplete (no run_id)" in capsys.readouterr().out
    assert main(["report", "--out", str(tmp_path), "--no-visual", "--bootstrap", "100", "-q"]) == 0
    assert f"damaged run {rid} left out (meta.json incomplete" in (tmp_path / "leaderboard.md").read_text()
    assert main(["findings", "--out", str(tmp_path), "--bootstrap", "100", "-q"]) == 0
    from benchmark.compare import field_groups  # compare's field: once a KeyError 'run_id'

    groups, checks = field_groups(store.metas(), set())
    grouped = {m["run_id"] for ms in [*groups["sr4"], *checks.values()] for m in ms}
    assert rid not in grouped and len(grouped) == len(store.metas()) - 1  # every run but the input's
    assert main(["check", "--out", str(tmp_path), "--repair", "-q"]) == 0
    kept = d / "damaged" / "0"
    assert {p: (kept / p).read_bytes() for p in passes} == passes and (kept / "meta.json").exists()
    assert not list(d.glob("eval-*")) and main(["check", "--out", str(tmp_path), "-q"]) == 0


def test_reset_run_never_deletes_beside_a_damaged_meta(tmp_path):
    """reset_run deletes the passes of an interrupted attempt (no meta.json, or a failed one) but
    moves a damaged meta.json and the passes beside it to damaged/ (their origin is unknown)."""
    store = _store(tmp_path)
    rid = _a_run(store)
    d = store.run_dir(rid)
    passes = {p.name: p.read_bytes() for p in d.glob("eval-*")}
    (d / "meta.json").write_text("{}")
    store.reset_run(rid)
    kept = d / "damaged" / "0"
    assert {p: (kept / p).read_bytes() for p in passes} == passes and (kept / "meta.json").read_text() == "{}"
    assert not (d / "meta.json").exists() and not list(d.glob("eval-*"))
    lone = "lone-run"  # a damaged meta.json with nothing else: not a damaged run, but never written over
    store.run_dir(lone).mkdir()
    (store.run_dir(lone) / "meta.json").write_text('{"status": "ok"}')
    assert store.check().get(lone) is None and not store.is_done(lone)
    store.reset_run(lone)
    assert (store.run_dir(lone) / "damaged" / "0" / "meta.json").read_text() == '{"status": "ok"}'


def test_rerun_sets_aside_an_incomplete_meta_and_keeps_its_passes(tmp_path, random_images):
    """The regression: a re-run deleted the intact, checksummed eval-0.* beside an `{}` meta.json
    ("removed 2 file(s) left by an interrupted attempt"). Now they are moved to damaged/ and the
    run retrains to the same numbers."""
    from benchmark.config import RunConfig, run_id
    from benchmark.runner import resolve_all, run_grid

    data = random_images(3, 40)
    (cfg,) = resolve_all([RunConfig(task="denoise", loss="l1", iterations=2, batch_size=2, crop=32, train_data=data,
                                    test_data=(data,))])
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    run_grid([cfg], store, ("psnr",), cpu, progress=False)
    first = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    rid = run_id(cfg)
    d = store.run_dir(rid)
    passes = {p.name: p.read_bytes() for p in d.glob("eval-*")}
    (d / "meta.json").write_text("{}")
    s = run_grid([cfg], store, ("psnr",), cpu, progress=False)
    assert s.trained == 1 and store.is_done(rid)
    kept = d / "damaged" / "0"
    assert {p: (kept / p).read_bytes() for p in passes} == passes
    again = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    assert again[ROW_KEY + ["value"]].equals(first[ROW_KEY + ["value"]])


def test_finished_run_whose_pass_record_was_deleted_is_damage_not_silence(tmp_path, capsys):
    """A finished run's ``eval-0.json`` deleted by hand: its rows are not silently dropped from every
    table — ``check`` names it (exit 1), the table leaves it out with a warning, ``--repair`` sets the
    orphaned rows aside (never deleted). Its hint quotes a folder with a space."""
    store = _store(tmp_path / "my results")
    rid = _a_run(store)
    n = len(store.table())
    rows = (store.run_dir(rid) / "eval-0.parquet").read_bytes()
    (store.run_dir(rid) / "eval-0.json").unlink()
    assert store.check() == {rid: "eval-0.json missing (its rows eval-0.parquet have no record)"}
    assert len(store.table()) < n and rid in store.damaged
    assert main(["check", "--out", str(tmp_path / "my results")]) == 1
    out = capsys.readouterr().out
    assert "eval-0.json missing" in out and f"--out '{tmp_path}/my results' --repair" in out  # copy-pasteable
    assert main(["check", "--out", str(tmp_path / "my results"), "--repair", "-q"]) == 0
    assert (store.run_dir(rid) / "damaged" / "0" / "eval-0.parquet").read_bytes() == rows
    assert store.check() == {}  # now a run to re-score, as after any repair


def test_unreadable_store_marker_next_to_runs_says_how_to_restore_it(tmp_path, capsys):
    store = _store(tmp_path / "r")
    (tmp_path / "r" / "store.json").write_text('{"store_')  # truncated or hand-edited
    for cmd in ("check", "report"):
        assert main([cmd, "--out", str(tmp_path / "r"), "-q"]) == 2
        err = capsys.readouterr().err
        assert '{"store_version": 2}' in err and "use another --out" not in err and len(err.splitlines()) == 1
    (tmp_path / "r" / "store.json").write_text('{"store_version": 2}')
    assert store.check() == {}


def test_check_names_old_temporary_files_and_repair_removes_them(tmp_path, capsys):
    """A process killed mid-write leaves ``.results.csv.XXXX.tmp.csv`` in the root (or grids/,
    figures/) for ever; ``check`` names the old ones (a young one may be a write in flight) and
    ``--repair`` removes them, touching nothing else."""
    store = _store(tmp_path / "r")
    old = [store.root / ".results.csv.ab12.tmp.csv", store.root / "grids" / ".20260101.yaml.cd34.tmp.yaml"]
    young = store.root / ".store.json.ef56.tmp.json"
    for p in [*old, young]:
        p.parent.mkdir(exist_ok=True)
        p.write_text("half")
    for p in old:
        os.utime(p, (1e9, 1e9))
    before = sorted(p for p in store.root.rglob("*") if p not in old)
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "2 temporary files left by interrupted writes" in out and "--repair removes them" in out
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert "removed" in capsys.readouterr().out
    assert not any(p.exists() for p in old) and sorted(store.root.rglob("*")) == before

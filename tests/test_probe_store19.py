"""Session-19 probe of the results store, ``merge``, ``check`` and the report's gone runs: leftovers of the store's
clock probe and a finished run's checkpoint, a ``grids`` file in the way of a merge, a merged grid's data not on this
machine, a link that is a run's only way in, a case-insensitive disk."""
from __future__ import annotations

import json
import os
import shutil
import time

import benchmark.cli  # noqa: F401 - imported once, at collection: no test here pays for the command line's imports
import benchmark.report  # noqa: F401
import benchmark.synthetic  # noqa: F401

KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def _store(root, losses=("l1",)):
    from benchmark.synthetic import write_store

    store = write_store(root, offsets={loss: 0.0 for loss in losses}, **KW)
    return store, sorted(r for r in store.run_ids() if not r.startswith("input-"))


def test_check_names_and_repair_removes_a_clock_probe_a_killed_process_left(tmp_path, capsys):
    """ResultsStore.store_now writes `.clock.<random>.probe` in the store's root and removes it; a process killed in
    between (a worker's progress line, `check --repair`) left it, which check never named and --repair never removed
    (it looked for `.tmp` names alone). Now it is a leftover as a killed write's temporary file is: named an hour
    old, removed by --repair; a younger one (a probe in flight) is not named."""
    from benchmark.cli import main

    store, _ = _store(tmp_path / "r")
    old, young = store.root / ".clock.k1x9.probe", store.root / ".clock.z2y8.probe"
    old.write_bytes(b""), young.write_bytes(b"")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.leftover_temp_files() == [old]
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert "1 temporary file left by interrupted writes (.clock.k1x9.probe): never read; --repair removes them" \
        in said, said
    main(["check", "--repair", "--out", str(store.root)])
    assert not old.exists() and young.exists()


def test_a_grids_file_in_the_way_here_merges_every_source_and_says_so(tmp_path, capsys):
    """`plbench merge a b --out here` where here/grids is a file (a tool's, a copy gone wrong): the first source's runs
    were copied, then its saved grid could not be, and the command ended in that one error — its line never said,
    the second source never merged. Now every source's runs are merged, each source's line says its saved grids were
    not copied and why, and the last line says the merge is incomplete (exit 1); merging again once it is moved
    aside copies them."""
    from benchmark.cli import main

    here, _ = _store(tmp_path / "here")
    a, (ra,) = _store(tmp_path / "a", ("l2",))
    b, (rb,) = _store(tmp_path / "b", ("huber",))
    for s in (a, b):
        (s.root / "grids").mkdir()
        (s.root / "grids" / "20260101-000000Z.yaml").write_text(f"grid: {s.root.name}\n")
    (here.root / "grids").write_text("mine\n")
    assert main(["merge", str(a.root), str(b.root), "--out", str(here.root)]) == 1
    said = capsys.readouterr().out.strip().splitlines()
    assert {ra, rb} <= set(here.run_ids()), said
    way = f"saved grids not copied ({here.root / 'grids'}: a file in the way — move it aside)"
    assert sum(way in line for line in said) == 2 and said[-1].startswith("merge incomplete: "), said
    assert "saved grids of 2 sources not copied" in said[-1] and "every run merged" in said[-1], said
    (here.root / "grids").rename(tmp_path / "grids.mine")
    assert main(["merge", str(a.root), str(b.root), "--out", str(here.root)]) == 0
    assert len(list((here.root / "grids").glob("*.yaml"))) == 2


def test_a_link_that_is_a_finished_runs_only_way_in_is_a_renamed_run_for_check_the_report_and_merge(tmp_path,
                                                                                                     capsys):
    """`mv runs/X /archive/best-run; ln -s /archive/best-run runs/best` of a finished run X: check told to rename the
    link (ResultsStore.renamed_links) and, on the next line, that X's results are lost ('put the folder back, or the
    same `plbench run` retrains it; deleted on purpose: the next `plbench report` notes it'); the board said it is
    gone, deleted or left out of a copy, and a merge from that store 'finished there whose results are not there'.
    Now one rule (ResultsStore.renamed: copies and links alike) names it where it is, with the mv, in all three."""
    from benchmark.cli import main
    from benchmark.report import gone_lines

    store, (x, y) = _store(tmp_path / "here", ("l1", "l2"))
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    archive = tmp_path / "archive" / "best-run"
    archive.parent.mkdir()
    store.run_dir(x).rename(archive)
    (store.runs / "best").symlink_to(archive)
    mv = f"mv {store.runs / 'best'} {store.run_dir(x)}"
    (board,) = gone_lines(store)
    assert mv in board and "runs/best" in board and "retrains" not in board and "deleted" not in board, board
    assert main(["check", "--out", str(store.root)]) == 1
    said = [ln for ln in capsys.readouterr().out.splitlines() if "runs/best" in ln or x in ln]
    assert len(said) == 1 and mv in said[0] and "lost" not in said[0] and "retrains" not in said[0], said
    other, _ = _store(tmp_path / "other", ("l3",))
    got = other.merge_from(store)
    assert got["renamed_there"] == ["best"] and got["gone_there"] == [] and y in got["copied"], got


def test_a_run_folder_under_another_letter_case_on_a_case_insensitive_disk_is_the_run(tmp_path, monkeypatch, capsys):
    """On a case-insensitive disk (macOS's default, Windows, an SMB share) `runs/0123…ABCD` is `runs/0123…abcd`: the
    run itself, found by `plbench run` as done. Its name, not a run id's (lower-case hex), read as a copy of the run:
    no report read it (the board said the run gone, deleted), and check told the user to move the store's only copy
    of it out of runs/. Now a store on such a disk (ResultsStore.folds_case, one stat, once) lists it as the run."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    store, (x, y) = _store(tmp_path / "r", ("l1", "l2"))
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    store.run_dir(x).rename(store.runs / x.upper())
    monkeypatch.setattr(ResultsStore, "folds_case", lambda self: True, raising=False)  # as on macOS
    store = ResultsStore(store.root)
    assert x in store.run_ids() and store.copies() == [] and store.gone() == {} and store.is_done(x)
    assert set(store.table()["run_id"]) >= {x, y}
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr().out
    assert ": 2 runs (and 1 scoring" in said and "copy" not in said and "gone" not in said, said


def test_a_store_knows_whether_its_disk_folds_letter_case(tmp_path, monkeypatch):
    """ResultsStore.folds_case: whether runs/ and RUNS/ are one folder (asked once per store); no RUNS/: no."""
    from benchmark.results import ResultsStore

    store, _ = _store(tmp_path / "r")
    folds = (tmp_path / "r" / "RUNS").exists()  # this disk's own answer
    assert ResultsStore(store.root).folds_case() is folds
    calls = []
    monkeypatch.setattr(os.path, "samefile", lambda a, b: calls.append((a, b)) or True)
    s = ResultsStore(store.root)
    assert s.folds_case() and s.folds_case() and len(calls) == 1
    assert calls[0] == (s.runs, s.root / "RUNS")


def test_merge_says_when_a_copied_grid_names_data_not_on_this_machine(tmp_path, capsys):
    """A node's saved grid records its data by absolute path (/scratch/node2/BSD200); merged into a head node where
    that path is not, merge's line still said '`plbench run --config …/grids/<name>` runs one here' — there it fails
    on the missing folder, and the same images at another path are another setting, every run trained again. Now
    the line names each copied grid's paths not on this machine and says it replays only where they are."""
    from benchmark.cli import main

    here, _ = _store(tmp_path / "here")
    node, _ = _store(tmp_path / "node2", ("l2",))
    data = tmp_path / "data"
    data.mkdir()
    (node.root / "grids").mkdir()
    away = "/nonexistent-node2-scratch/BSD200"
    (node.root / "grids" / "20260101-000000Z.yaml").write_text(
        f"profile: standard\ntrain_data:\n- {away}\ntest_data:\n- {data}:test\n")
    (node.root / "grids" / "20260101-000001Z.yaml").write_text(f"profile: standard\ntest_data:\n- {data}\n")
    assert main(["merge", str(node.root), "--out", str(here.root)]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert "2 saved grids copied" in line, line
    assert f"grids/20260101-000000Z.yaml names {away}, not on this machine: it replays only where that is" in line
    assert str(data) not in line and "20260101-000001Z.yaml names" not in line, line


def test_a_finished_runs_checkpoint_left_by_a_crash_after_its_record_is_named_removed_and_never_merged(tmp_path,
                                                                                                        capsys):
    """A run killed right after its meta.json (before it deleted ckpt.pt: a checkpoint newer than its record, 900 MB
    on a GPU) kept it for good: check never named it, --repair never removed it, and merge copied it into every store
    it joined. Now check names it (a finished run's checkpoint: never read), --repair removes it, its results intact;
    merge copies a finished run without it; a failed run's checkpoint (what the retry resumes) is no leftover."""
    from benchmark.cli import main

    store, (x, y) = _store(tmp_path / "here", ("l1", "l2"))
    (store.run_dir(x) / "ckpt.pt").write_bytes(b"\0" * 4096)
    failed = store.meta(y) | {"status": "failed"}
    (store.run_dir(y) / "meta.json").write_text(json.dumps(failed))
    from types import SimpleNamespace

    from test_probe_store25 import _save_checkpoint

    # an intact checkpoint, recording the run's own (synthetic) config: what its retry resumes from
    _save_checkpoint(store.run_dir(y) / "ckpt.pt", SimpleNamespace(to_dict=lambda: store.meta(y)["config"]))
    other, _ = _store(tmp_path / "other", ("l3",))
    assert x in other.merge_from(store)["copied"]
    assert sorted(p.name for p in other.run_dir(x).iterdir()) == ["eval-0.json", "eval-0.parquet", "meta.json"]
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr().out
    assert f"runs/{x}/ckpt.pt" in said and "never read; --repair removes" in said and f"runs/{y}/ckpt" not in said, said
    main(["check", "--repair", "--out", str(store.root)])
    assert not (store.run_dir(x) / "ckpt.pt").exists() and (store.run_dir(y) / "ckpt.pt").exists()
    assert store.is_done(x) and not store.damage(x)


def test_a_report_does_not_forget_a_renamed_run_as_deleted_on_purpose(tmp_path):
    """A report names each gone run once, then notes it in finished.log (ResultsStore.forget_gone: a run deleted on
    purpose is acknowledged so). A finished run renamed (`mv runs/X runs/best`) or moved and linked in under another
    name was forgotten alike: after one report the next boards left it out in silence, its results still in the store
    and one mv from being read. Now a renamed run is not forgotten: every board names it, with its mv, until it is
    renamed back; a run really deleted is still forgotten."""
    from benchmark.report import gone_lines

    store, (x, y, z) = _store(tmp_path / "r", ("l1", "l2", "huber"))
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    store.run_dir(x).rename(store.runs / "best")
    archive = tmp_path / "archive" / "kept"
    archive.parent.mkdir()
    store.run_dir(y).rename(archive)
    (store.runs / "kept").symlink_to(archive)
    shutil.rmtree(store.run_dir(z))
    assert set(store.gone()) == {x, y, z}
    store.forget_gone(set(store.gone()))  # what a report does once it named them
    assert set(store.gone()) == {x, y}
    said = " ".join(gone_lines(store))
    assert f"mv {store.runs / 'best'} {store.run_dir(x)}" in said and f"mv {store.runs / 'kept'}" in said, said


def test_a_finished_log_that_cannot_be_written_is_said_once_not_per_run(tmp_path, caplog):
    """A shared store's finished.log this user may not append to (another user's 0644 file), or a folder in its place:
    each run noted as finished — every run a grid trains, every run merge copies — said the same warning again, 500
    lines for a merge of 500 runs. Now the store says it once; every run is still copied and readable."""
    import logging

    here, _ = _store(tmp_path / "here")
    other, theirs = _store(tmp_path / "other", ("l2", "huber", "charbonnier"))
    (here.root / "finished.log").mkdir()
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        got = here.merge_from(other)
    assert set(theirs) <= set(got["copied"]), got
    said = [r.getMessage() for r in caplog.records if "could not note in" in r.getMessage()]
    assert len(said) == 1 and "finished.log" in said[0], said

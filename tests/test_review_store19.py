"""Review of the session-19 store fixes (probe-store): a finished run's checkpoint that a worker took since check
listed it, ..."""
from __future__ import annotations

import json
import shutil

import benchmark.cli  # noqa: F401 - imported once, at collection
import benchmark.synthetic  # noqa: F401

KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def _store(root, losses=("l1",)):
    from benchmark.synthetic import write_store

    store = write_store(root, offsets={loss: 0.0 for loss in losses}, **KW)
    return store, sorted(r for r in store.run_ids() if not r.startswith("input-"))


def test_repair_leaves_a_checkpoint_a_worker_took_after_check_listed_it(tmp_path, monkeypatch, capsys):
    """check --repair listed a finished run's left checkpoint (no live holder then), and removed it later without
    the run's lock: a worker that took the run in between (its retry, its record set aside) lost the checkpoint it
    resumes from. Now each is removed under the run's lock while the run is still finished; one held is left."""
    from benchmark import results
    from benchmark.cli import main
    from benchmark.results import RunLock

    store, (x, y) = _store(tmp_path / "r", ("l1", "l2"))
    for rid in (x, y):
        (store.run_dir(rid) / "ckpt.pt").write_bytes(b"\0" * 4096)
    monkeypatch.setattr(results, "held_as_far_as_known", lambda path: False)  # listed before the worker came
    worker = RunLock.acquire(store.run_dir(x) / ".lock")  # x taken by a worker since
    try:
        main(["check", "--repair", "--out", str(store.root)])
    finally:
        worker.release()
    said = capsys.readouterr().out
    assert (store.run_dir(x) / "ckpt.pt").exists() and not (store.run_dir(y) / "ckpt.pt").exists()
    assert f"1 checkpoint of finished runs (runs/{y}/ckpt.pt, 0.0 MB)" in said and f"runs/{x}/ckpt" not in said, said


def test_repair_leaves_a_checkpoint_of_a_run_no_longer_finished(tmp_path, monkeypatch):
    """The run's record was set aside for its retry (not finished any more) after check listed its checkpoint:
    the retry's checkpoint stays."""
    from benchmark.results import ResultsStore

    store, (x,) = _store(tmp_path / "r")
    ck = store.run_dir(x) / "ckpt.pt"
    ck.write_bytes(b"\0")
    found = store.left_checkpoints()
    assert found == [ck]
    (store.run_dir(x) / "meta.json").write_text(json.dumps(store.meta(x) | {"status": "failed"}))
    assert ResultsStore(store.root).remove_left_checkpoints(found) == [] and ck.exists()


def test_many_gone_runs_count_a_renamed_one_apart_not_as_deleted(tmp_path, monkeypatch, capsys):
    """More than GONE_NAMED gone runs are one line — which counted a run renamed (mv runs/<id> runs/best, its
    results still in the store) among those 'deleted, left out of a copy', 'put the folders back, or the same
    `plbench run` retrains them'. Now the renamed are a line of their own on the board (with their names), and
    check, which names each with its mv, leaves them out of its count of the deleted."""
    from benchmark import report
    from benchmark.cli import main

    monkeypatch.setattr(report, "GONE_NAMED", 1)
    store, (x, y, z) = _store(tmp_path / "r", ("l1", "l2", "l3"))
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    shutil.rmtree(store.run_dir(x))
    shutil.rmtree(store.run_dir(z))
    store.run_dir(y).rename(store.runs / "best")
    lost, moved = report.gone_lines(store)
    assert lost.startswith("2 runs finished in this store are gone") and y not in lost, lost
    assert moved.startswith("1 run finished in this store is renamed in runs/ (runs/best is run ") and y in moved
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr().out
    (count,) = [ln for ln in said.splitlines() if "are gone" in ln]
    assert count.startswith("2 runs") and y not in count, count
    assert f"mv {store.runs / 'best'} {store.run_dir(y)}" in said, said


def test_a_file_named_as_a_run_id_in_capitals_on_a_case_insensitive_disk_is_named_by_check(tmp_path, monkeypatch,
                                                                                          capsys):
    """On a disk that folds case, runs/0123…ABCD a file is in the way of run 0123…abcd (`plbench run` fails it
    there), yet check's no_folders took only lower-case names: an unfinished run's was never named; a finished
    run's was named once, as gone, not twice."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    store, (x, y) = _store(tmp_path / "r", ("l1", "l2"))
    store.note_finished(y, store.meta(y))
    zid = "ab" * 8
    for rid in (x, y):
        shutil.rmtree(store.run_dir(rid))
    (store.runs / zid.upper()).write_text("not a run\n")
    (store.runs / y.upper()).write_text("not a run\n")
    monkeypatch.setattr(ResultsStore, "folds_case", lambda self: True)  # as on macOS
    assert set(ResultsStore(store.root).no_folders()) == {zid.upper(), y.upper()}
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert f"runs/{zid.upper()} is a file, not a run's folder: read by no report, and `plbench run` fails run {zid} " \
        "on it" in said, said
    assert f"runs/{y.upper()} is a file" not in said, said
    monkeypatch.setattr(ResultsStore, "folds_case", lambda self: False)  # a disk that tells case apart: no run's
    assert ResultsStore(store.root).no_folders() == {}


def test_checks_summary_counts_a_renamed_run_as_renamed_not_gone(tmp_path, capsys):
    """check's last line said '1 gone (said above: finished here, its results not in runs/)' of a run renamed
    (mv runs/<id> runs/best), whose results are in runs/ under another name and whose mv the line above says."""
    from benchmark.cli import main

    store, (x, y) = _store(tmp_path / "r", ("l1", "l2"))
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    store.run_dir(y).rename(store.runs / "best")
    shutil.rmtree(store.run_dir(x))
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 gone (said above: finished here, its results not in runs/), 1 renamed (said above" in last, last

"""Probe of the store's follow-up (session 14): today's metric file noted in the store for a machine without it,
a file there but unreadable said so, merge's gone runs, the last of two compares' summaries."""
from __future__ import annotations

import json
import logging

import pytest

import benchmark.cli  # noqa: F401 - imported once at collection (pandas, the store): no test here pays it
import benchmark.compare  # noqa: F401
import benchmark.metrics  # noqa: F401
import benchmark.synthetic  # noqa: F401


@pytest.fixture(autouse=True)
def _ssim_stands_for_a_metric_with_a_file(monkeypatch):
    """These tests let ``ssim`` stand for a metric read from a replaceable file (lpips' weights): since readers know
    pyiqa's file-free metrics without importing the metrics (metric_code.OFFLINE_OK), ssim is taken off that list."""
    import benchmark.metric_code

    monkeypatch.setattr(benchmark.metric_code, "OFFLINE_OK",
                        tuple(m for m in benchmark.metric_code.OFFLINE_OK if m != "ssim"))


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr", "ssim"),
          "budget_check": False, **kw}
    store = write_store(root, **kw)
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    return store


def _trial_scored_last(store):
    """``ssim`` scored with today's file "a…" by two runs, then with a trial file "t…", later, by one run (its
    net.pt gone: never re-scored): where the file is, the trial scores are left out."""
    runs = sorted(store.run_ids())
    trial = runs[0]
    for d in store.runs.iterdir():
        p = d / "eval-0.json"
        rec = json.loads(p.read_text())
        rec["metric_sha256"] = {"ssim": ("t" if d.name == trial else "a") * 64}
        rec["written"] = 2000.0 if d.name == trial else 1000.0
        p.write_text(json.dumps(rec))
    return trial


def test_a_machine_without_the_file_reads_todays_as_the_store_notes_it_not_the_trial_scored_last(
        tmp_path, monkeypatch, caplog):
    """A metric's file replaced by a trial file that scored one run last, then put back: on the machine with the file
    the trial run's scores are left out; on a laptop without it the newest scoring's file (the trial's) stood for
    today's and left out the others instead — one store, two leaderboards. A machine with the file now notes it in
    the store (metric-digests.json); one without it reads today's from there: the same table, its line saying so."""
    from benchmark.results import ResultsStore, stale_lines

    store = _small(tmp_path / "r")
    trial = _trial_scored_last(store)
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "a" * 64 if n == "ssim" else "")
    here = store.table()  # the GPU machine's report
    assert set(here[here.metric == "ssim"].run_id) == set(store.run_ids()) - {trial}
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "")  # the laptop: no file to hash
    laptop = ResultsStore(store.root)
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        there = laptop.table()
    assert set(there[there.metric == "ssim"].run_id) == set(here[here.metric == "ssim"].run_id)
    from benchmark.results import DIGESTS_FILE

    line = stale_lines(laptop)["ssim"]
    assert "1 of 3 runs" in line and DIGESTS_FILE in line and "aaaaaaaa" in line, line
    assert "newest scoring" not in line, line


def test_a_file_there_but_unreadable_is_said_so_not_said_not_here(tmp_path, monkeypatch):
    """lpips' cached file there but another user's 0600 file (a shared TORCH_HOME): the stale line said 'today's file
    is not here to hash' — the user looks for a missing download, not at the file's permissions. It says the file is
    here but cannot be read, and why."""
    import errno

    from benchmark.results import stale_lines

    store = _small(tmp_path / "r")
    _trial_scored_last(store)

    def denied(name):
        if name == "ssim":
            raise PermissionError(errno.EACCES, "Permission denied", "/shared/torch/hub/checkpoints/ssim.pth")
        return ""

    monkeypatch.setattr(benchmark.metrics, "weights_digest", denied)
    store.table()
    line = stale_lines(store)["ssim"]
    assert "cannot be read (Permission denied: /shared/torch/hub/checkpoints/ssim.pth)" in line, line
    assert "not here" not in line, line


@pytest.mark.slow
def test_the_last_of_two_compares_to_write_its_summary_says_no_run_is_being_trained_once_done(tmp_path, monkeypatch):
    """Two ``plbench compare`` of one loss at once: the second left the new loss's run to the first and noted it as
    'being trained by another process' before writing its report; the first finished and wrote its summary meanwhile,
    and the second's, written last, kept the note over the first's correct file until compare was run again. The
    summary is read and written under the comparison's lock, its notes made from the store as it is then (~30 s)."""
    import shutil

    import benchmark.compare as C
    import benchmark.report
    from benchmark import api
    from benchmark.results import ResultsStore

    kw = dict(tasks=["denoise"], seeds=[0], iterations=2, crop=32, batch_size=2, device="cpu", metrics=["psnr"],
              report=False, budget_check=False)
    api.run(losses=["l1", "l2"], out=str(tmp_path / "r"), **kw)
    api.run(losses=["charbonnier"], out=str(tmp_path / "other"), **kw)  # the other compare's run, finished
    store = ResultsStore(tmp_path / "r")
    (cid,) = [r for r in ResultsStore(tmp_path / "other").run_ids() if not r.startswith("input-")]
    lock = store.lock(cid)  # the other compare trains it
    report = benchmark.report.write_report

    def finished_meanwhile(*a, **k):  # the other compare finishes its run while this one writes its report
        shutil.copytree(tmp_path / "other" / "runs" / cid, store.run_dir(cid), dirs_exist_ok=True)
        lock.release()
        return report(*a, **k)

    monkeypatch.setattr(benchmark.report, "write_report", finished_meanwhile)
    res = C.compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=20)
    written = res.path.read_text()
    assert "being trained" not in written and "**charbonnier** — mean rank" in written, written
    assert not list(res.path.parent.glob(".*.lock"))  # the lock's file removed with it


def test_merge_of_a_store_with_a_run_deleted_on_purpose_says_what_stops_naming_it(tmp_path, capsys):
    """A node's store older than finished.log (its last report's results.csv alone remembers its runs), a bad run's
    folder deleted there on purpose: every ``plbench merge`` of it named the run as 'finished there whose results are
    not there … copy it again from that machine' — a way forward the user cannot take, on every merge. The line
    says too what stops it: a report in that store notes the deletion, and no merge of it names the run again."""
    import shutil

    from benchmark.cli import main

    src = _small(tmp_path / "node2")
    (src.root / "finished.log").unlink()  # a store older than the log
    t = src.table()
    t[["run_id", "task", "loss", "seed"]].to_csv(src.root / "results.csv", index=False)  # its last report's
    deleted = next(r for r in src.run_ids() if not r.startswith("input-"))
    shutil.rmtree(src.run_dir(deleted))
    assert main(["merge", str(src.root), "--out", str(tmp_path / "r")]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if deleted in x]
    assert f"deleted there on purpose: `plbench report --out {src.root}` notes it there" in line, line

    src.forget_gone([deleted])  # what that report does, besides rewriting results.csv
    t[t.run_id != deleted][["run_id", "task", "loss", "seed"]].to_csv(src.root / "results.csv", index=False)
    assert main(["merge", str(src.root), "--out", str(tmp_path / "r")]) == 0
    assert deleted not in capsys.readouterr().out


def test_a_merged_store_reads_todays_file_as_the_node_that_scored_noted_it(tmp_path, monkeypatch):
    """The node that scored has the metric's file and notes it (metric-digests.json); its store merged into a head
    node's without the file left the note behind: the head's table took the newest scoring's file (a trial file scored
    last) for today's, a leaderboard the node's own report does not make. A merge takes the source's notes of metrics
    it has none of (its own kept)."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    node = _small(tmp_path / "node2")
    trial = _trial_scored_last(node)
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "a" * 64 if n == "ssim" else "")
    there = node.table()  # the node's report: notes its file
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "")  # the head node: no file
    assert main(["merge", str(node.root), "--out", str(tmp_path / "head")]) == 0
    t = ResultsStore(tmp_path / "head").table()
    assert trial not in set(t[t.metric == "ssim"].run_id)
    assert set(t[t.metric == "ssim"].run_id) == set(there[there.metric == "ssim"].run_id)


@pytest.mark.slow
def test_a_run_left_to_another_compare_that_failed_or_was_stopped_is_not_said_to_be_in_training(tmp_path,
                                                                                               monkeypatch):
    """The new loss's run left to another compare, which then failed (out of memory) or was stopped (Ctrl-C) while
    this one worked: the summary said the run 'is being trained by another process … once it finishes shows them'
    — no process trains it, and it never finishes. A run no process holds any more is said as failed (its error)
    or stopped, which the same compare trains (~35 s)."""
    import json
    import shutil

    import benchmark.compare as C
    import benchmark.report
    from benchmark import api
    from benchmark.results import ResultsStore

    kw = dict(tasks=["denoise"], seeds=[0], iterations=2, crop=32, batch_size=2, device="cpu", metrics=["psnr"],
              report=False, budget_check=False)
    api.run(losses=["l1", "l2"], out=str(tmp_path / "r"), **kw)
    api.run(losses=["charbonnier"], out=str(tmp_path / "other"), **kw)
    store = ResultsStore(tmp_path / "r")
    (cid,) = [r for r in ResultsStore(tmp_path / "other").run_ids() if not r.startswith("input-")]
    meta = json.loads((tmp_path / "other" / "runs" / cid / "meta.json").read_text())
    report = benchmark.report.write_report
    for how in ("failed", "stopped"):
        shutil.rmtree(store.run_dir(cid), ignore_errors=True)
        lock = store.lock(cid)  # the other compare trains it

        def ended_meanwhile(*a, how=how, lock=lock, **k):  # ... and fails, or is stopped, while this one reports
            if how == "failed":
                (store.run_dir(cid) / "meta.json").write_text(json.dumps(
                    {**meta, "status": "failed", "error": "RuntimeError: CUDA out of memory"}))
            lock.release()
            return report(*a, **k)

        monkeypatch.setattr(benchmark.report, "write_report", ended_meanwhile)
        res = C.compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=20)
        written = res.path.read_text()
        assert "being trained" not in written, written
        assert ("CUDA out of memory" if how == "failed" else "stopped there before it finished") in written, written


def test_the_coverage_of_a_column_none_of_whose_runs_has_todays_file_is_the_same_without_the_file(tmp_path,
                                                                                                 monkeypatch):
    """A metric's file replaced, no run re-scored yet: every run keeps its scores (nothing of today's to rank against),
    and the report's coverage says they are of another file — on the machine with the file. On a laptop without it
    the coverage said nothing: the column read as today's. The store's note of today's file says it there too."""
    from benchmark.report import coverage_table
    from benchmark.results import ResultsStore

    store = _small(tmp_path / "r")
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "b" * 64 if n == "ssim" else "")
    for d in store.runs.iterdir():  # every run scored with the earlier file "a…"
        p = d / "eval-0.json"
        rec = json.loads(p.read_text())
        rec["metric_sha256"] = {"ssim": "a" * 64}
        p.write_text(json.dumps(rec))
    here = coverage_table(store, store.run_ids())  # the GPU machine's report: notes today's file "b…"
    assert list(here.status) == ["stale"] and int(here.runs.iloc[0]) == len(store.run_ids()), here
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "")  # the laptop
    there = coverage_table(ResultsStore(store.root), store.run_ids())
    assert there.to_dict("records") == here.to_dict("records"), there

"""Probe of the results store, compare and the wording helpers (session 20)."""
from __future__ import annotations

import logging


def test_words_chosen_by_a_count_above_one_agree_through_the_helper(caplog, tmp_path):
    """The scan for hand-written singular/plural choices (tests/test_mend_words17.py) caught ``== 1`` alone: choices
    on ``> 1`` (``"tasks" if len(idle) > 1 else "task"``, ``'they finish' if n > 1 else 'it finishes'``), on
    ``k == '1'`` and tuples of words stayed by hand. They go through docmarkup.agree now, with the same text for one
    and for several."""
    from benchmark.config import GridSpec, check_grid
    from benchmark.report import in_flight_lines
    from benchmark.results import ResultsStore

    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        check_grid(GridSpec(tasks=("denoise", "sr4", "deblur"), losses=("l1",), seeds=(0,),
                            loss_tasks=(("l1", ("denoise",)),)))
    said = [r.getMessage() for r in caplog.records if "no run" in r.getMessage()]
    assert said == ["tasks sr4, deblur get no run: --loss-tasks keeps every loss of this grid (l1) off them"], said
    store = ResultsStore(tmp_path / "results")
    one = in_flight_lines(store, {"a" * 16: "pid 7 on here"})[0]
    two = in_flight_lines(store, {"a" * 16: "pid 7 on here", "b" * 16: "pid 7 on here"}, comparison=True)[0]
    assert "1 run in this results directory was being trained" in one and "once it finishes adds it (" in one, one
    assert "2 runs in this results directory were being" in two and "compare` once they finish adds them" in two, two


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def test_merge_names_a_run_whose_record_is_damaged_there_not_as_unfinished(tmp_path, capsys):
    """A node's run whose meta.json is garbled (a copy cut mid-file, a power cut) or a folder, next to its rows and
    net, is damaged (`plbench check` there says 'meta.json unreadable'), yet `plbench merge` called it '1 not finished
    there (not copied)' — a run still training there, to merge later — so the user waited for a run that never
    finishes. Now it is damaged there, named with its damage, as a run with cut rows is; an intact copy here keeps
    it."""
    import shutil

    from benchmark.cli import main
    from benchmark.results import ResultsStore

    src = _small(tmp_path / "node2")
    here = ResultsStore(tmp_path / "here")
    shutil.copytree(src.root, here.root)
    garbled, folder = sorted(r for r in src.run_ids() if not r.startswith("input-"))[:2]
    meta = src.run_dir(garbled) / "meta.json"
    meta.write_bytes(meta.read_bytes()[:120])  # cut mid-file
    (src.run_dir(folder) / "meta.json").unlink()
    (src.run_dir(folder) / "meta.json").mkdir()
    got = ResultsStore(tmp_path / "new").merge_from(src)
    assert sorted(got["damaged_there"]) == sorted([garbled, folder]) and got["unfinished"] == [], got
    got = here.merge_from(src)
    assert got["damaged_there"] == [] and {garbled, folder} <= set(got["kept"]), got
    assert main(["merge", str(src.root), "--out", str(tmp_path / "new2")]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "damaged there" in x]
    assert f"{garbled} (meta.json unreadable)" in line and f"{folder} (meta.json unreadable)" in line, line
    assert "not finished there" not in line, line


def test_merge_says_a_run_whose_scores_differ_there_where_no_net_checksum_tells(tmp_path, capsys):
    """Two stores holding one run id with other scores (the grid run on both nodes, its runs recorded before plbench
    kept its nets' checksums, or its net.pt not there): merge said '… already here' and kept this store's numbers,
    the other's never mentioned — trained_apart only compared the nets' checksums. Where those cannot tell, the first
    pass's scores are compared: a run scored apart is counted and named as trained apart; an identical copy is not."""
    import shutil

    from benchmark.cli import main
    from benchmark.results import ResultsStore

    here, there = _small(tmp_path / "here"), _small(tmp_path / "there", seed=1)  # other rows, the same run ids
    shutil.copytree(here.root, tmp_path / "copy")
    runs = sorted(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    assert sorted(r for r in there.run_ids() if not r.startswith("input-")) == runs
    assert ResultsStore(tmp_path / "copy").merge_from(here)["trained_apart"] == []
    got = ResultsStore(here.root).merge_from(there)
    assert set(runs) <= set(got["kept"]) and sorted(got["trained_apart"]) == runs, got
    assert got["trained_apart_why"][0] == "its scores differ from this store's", got
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    line = capsys.readouterr().out
    assert f"2 of those trained apart there (runs/{got['trained_apart'][0]}, the first: its scores differ" in line, line


def test_compare_names_the_new_losss_runs_trained_at_half_the_batch():
    """A new loss out of memory at the field's batch size (a heavy perceptual loss on the field's GPU) is retried at
    half the batch, a setting of its own: `plbench run` names such runs in its last lines, but compare said nothing —
    its section showed the new loss on the seeds left ('flaky2 seeds 1, 3 (2)', 'not tested'), and its budget checks
    'without a run at the full budget', the runs trained at half the batch never mentioned. Now a note per loss
    names them, the batch they trained at, and what compares them."""
    from benchmark.compare import _lost_run_notes
    from benchmark.config import RunConfig, run_id

    configs = [RunConfig(task="denoise", loss=loss, seed=s, iterations=2, batch_size=16) for loss in ("l1", "l2")
               for s in (0, 1, 2)]
    halved = [run_id(c) for c in configs if c.loss == "l2" and c.seed != 1]
    metas = {run_id(c): {"status": "ok", **({"batch_size_used": 8} if run_id(c) in halved else {})} for c in configs}

    class Store:
        root = "/data/results"

        def meta(self, rid):
            return metas.get(rid)

    (note,) = _lost_run_notes(Store(), configs)
    assert note.startswith(f"l2: 2 of 3 runs of the new loss ran out of memory at batch size 16 and trained at batch "
                           f"size 8 (runs/{halved[0]}, the first): a setting of its own, not in this comparison"), note
    assert "--where batch_size=8" in note, note
    metas[halved[1]].pop("batch_size_used")
    (note,) = _lost_run_notes(Store(), configs)
    assert note.startswith("l2: 1 of 3 runs of the new loss ran out of memory at batch size 16 and trained at batch "
                           f"size 8 (runs/{halved[0]}): a setting of its own"), note


def test_compare_says_one_run_left_to_another_process_in_the_singular(tmp_path):
    """compare's notes on the new loss's runs left to another process wrote the plural whatever the count: '1 of 2
    runs … is being trained by another process (…; this compare left them to it): … once it finishes shows them', and
    '1 of 2 runs … was stopped there before they finished (…): the same `plbench compare` trains them'. Each word now
    agrees with its count (compare._left_notes)."""
    from benchmark.compare import _left_notes
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    configs = [RunConfig(task="denoise", loss="l1", seed=s, iterations=2) for s in range(4)]
    rids = [run_id(c) for c in configs]
    held = [store.lock(r) for r in rids[:1]]  # another process trains it
    one = _left_notes(store, configs[:2])
    assert one == [f"l1: 1 of 2 runs of the new loss is being trained by another process on this results directory "
                   f"(runs/{rids[0]}; this compare left it to that process): the same `plbench compare` once it "
                   "finishes shows it.",
                   f"l1: 1 of 2 runs of the new loss left to another process was stopped there before it finished "
                   f"(runs/{rids[1]}): the same `plbench compare` trains it."], one
    held.append(store.lock(rids[1]))
    two = _left_notes(store, configs)
    assert two[0].startswith("l1: 2 of 4 runs of the new loss are being trained") and "left them to that" in two[0], two
    assert two[0].endswith("shows them.") and "were stopped there before they finished" in two[1], two
    assert two[1].endswith("trains them."), two
    for lock in held:
        lock.release()


def test_check_says_a_new_losss_interrupted_or_failed_run_is_resumed_by_compare(tmp_path, capsys):
    """A `plbench compare` stopped part-way (Ctrl-C, the node's time limit) leaves the new loss's run with its
    checkpoint, and one that failed its record; `plbench check` said only 'the same `plbench run` resumes it' /
    'retries it' — a user who ran compare alone had no such command, and `plbench run --out results` trains the quick
    profile's grid there, not the new loss. It names compare beside run for both."""
    from benchmark.cli import main
    from benchmark.results import atomic_write_json

    store = _small(tmp_path / "r")
    rid = next(m["run_id"] for m in store.metas() if m.get("kind") != "input")
    for f in store.run_dir(rid).glob("eval-*"):
        f.unlink()
    atomic_write_json(store.run_dir(rid) / "meta.json", {**store.meta(rid), "status": "failed", "error": "boom"})
    from conftest import stopped_run

    stopped_run(store.run_dir("0123456789abcdef"))  # what an interrupted run leaves: its checkpoint
    assert main(["check", "--out", str(store.root)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 unfinished (interrupted or still training: the same `plbench run` resumes it, or the same `plbench " \
           "compare` for a compared loss)" in last, last
    assert "1 failed (the same `plbench run` retries it, or the same `plbench compare` for a compared loss)" \
        in last, last


def test_merge_replaces_a_run_here_whose_record_is_a_folder(tmp_path):
    """A run here whose meta.json is a folder (a tool's or a hand's mkdir, a copy gone wrong) beside its rows is
    damaged, as `check` says, and `check --repair` or `plbench run` sets it aside; `plbench merge` of a store that
    finished it said instead 'not copied, its folder here in the way (…/meta.json is a folder in the way — move it
    aside)', exit 1: the empty folder was taken for a killed merge's byte copy of the source's files, so nothing
    was set aside. A folder is a copy only of a folder there: the run is replaced, its files set aside."""
    import shutil

    from benchmark.results import ResultsStore

    src = _small(tmp_path / "node2")
    shutil.copytree(src.root, tmp_path / "here")
    here = ResultsStore(tmp_path / "here")
    rid = next(m["run_id"] for m in here.metas() if m.get("kind") != "input")
    (here.run_dir(rid) / "meta.json").unlink()
    (here.run_dir(rid) / "meta.json").mkdir()
    got = ResultsStore(here.root).merge_from(src)
    assert got["replaced"] == [rid] and got["in_the_way"] == [], got
    here = ResultsStore(here.root)
    assert here.is_done(rid) and not here.damage(rid)
    assert (here.run_dir(rid) / "damaged" / "0" / "meta.json").is_dir()

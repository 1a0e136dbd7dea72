"""Session-18 review of the results store: ``plbench merge`` of several sources, ``check`` on what else lies in
``runs/``, a ``results.csv`` cut mid-line."""
from __future__ import annotations

import pytest

import benchmark.cli  # noqa: F401 - imported once, at collection: no test here pays for the command line's imports
import benchmark.synthetic  # noqa: F401

KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def test_a_merge_naming_its_own_store_among_the_sources_merges_the_others(tmp_path, capsys):
    """``plbench merge node*/results --out node1/results``: the store itself among the sources ended the command with
    'is the results directory itself' after the sources before it were merged — those after it never were, the very
    case 9114fd6 fixed for a source that is no store. It is named in the last line (exit 2), the others merged."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    here = write_store(tmp_path / "node1", offsets={"l1": 0.0}, **KW)
    node0 = write_store(tmp_path / "node0", offsets={"l2": 0.1}, **KW)
    node2 = write_store(tmp_path / "node2", offsets={"l3": 0.2}, **KW)
    assert main(["merge", str(node0.root), str(here.root), str(node2.root), "--out", str(here.root)]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"error: 1 of 3 sources not merged: {here.root} (" in said, said
    assert "results directory itself" in said and "the others were merged" in said, said
    assert set(node2.run_ids()) <= set(here.run_ids()) and set(node0.run_ids()) <= set(here.run_ids())
    capsys.readouterr()


def test_merge_help_says_what_its_exit_codes_mean(capsys):
    """A night script merging the nodes' stores reads merge's exit code: 1 (runs not copied, their folders here in the
    way) and 2 (a source that could not be read, the others merged) were in the README only; `plbench merge --help`
    says both."""
    from benchmark.cli import main

    with pytest.raises(SystemExit):
        main(["merge", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit code 1" in text and "in the way" in text, text
    assert "exit code 2" in text and "others are merged" in text, text


@pytest.mark.parametrize("what", ["file", "dangling link"])
def test_check_names_what_lies_in_runs_as_a_run_id_but_is_no_run_folder(tmp_path, capsys, what):
    """``runs/<id>`` a plain file (a run folder saved back as a file by a tool), or a link to a folder not there (a
    disk not mounted) of a run finished.log does not hold (a store older than it, an unfinished run moved away): no
    report reads either and `plbench run` fails that run on it, yet `check` said 'every record readable', naming
    neither. Each is named in one line, with what clears it; nothing is touched."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = "0123456789abcdef"
    entry = store.runs / rid
    if what == "file":
        entry.write_text("x")
    else:
        entry.symlink_to(tmp_path / "usb" / rid)
    main(["check", "--out", str(store.root), "--repair"])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if f"runs/{rid}" in ln]
    assert len(lines) == 1, lines
    if what == "file":
        assert f"runs/{rid} is a file, not a run's folder" in lines[0] and "move it out of runs/" in lines[0], lines
        assert entry.read_text() == "x"
    else:
        assert f"runs/{rid} is a link to {tmp_path / 'usb' / rid}, which is not there" in lines[0], lines
        assert "mount or restore it" in lines[0] and entry.is_symlink(), lines


def test_a_results_csv_cut_mid_line_is_said_naming_the_file_and_line(tmp_path, caplog):
    """d3ff4a9 reads the whole lines of a ``results.csv`` cut mid-line (a copy cut short) and skips the cut one — in
    silence: the runs of the lines the cut took cannot be named if their folders go, and the user's own reader of the
    file (pandas) fails on it. One warning names the file and the line, and says the next report writes it whole."""
    import logging

    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    lines = ["run_id,task,task_params,loss,seed,metric,value", f"{rid},denoise,,l1,0,psnr,20.5", f"{rid},deno"]
    (store.root / "results.csv").write_text("\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        assert store.gone() == {}
    said = [r.getMessage() for r in caplog.records if "results.csv" in r.getMessage()]
    assert len(said) == 1 and "\n" not in said[0], said
    assert f"{store.root / 'results.csv'}: line 3 has 2 cells, its header 7" in said[0], said
    assert "next `plbench report` writes it whole" in said[0], said


def test_a_finished_run_whose_folder_was_renamed_is_named_with_the_mv_that_puts_it_back(tmp_path, capsys):
    """``mv runs/<id> runs/best`` of a finished run (d8bd881: a folder under a name of the user's holding a run's
    record is that run's copy, no run): the board said its folder 'is gone (deleted, or left out of a copy)' and
    'put it back' — not where it is — and check said so too, 'its results are lost', beside its own line naming
    runs/best with the mv. Where a copy holds the gone run's record, both name that folder and the mv, once."""
    from benchmark.cli import main
    from benchmark.report import gone_lines
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    store.note_finished(rid, store.meta(rid))
    store.run_dir(rid).rename(store.runs / "best")
    mv = f"mv {store.runs / 'best'} {store.run_dir(rid)}"
    (board,) = gone_lines(store)
    assert "renamed runs/best" in board and mv in board and "deleted" not in board, board
    assert main(["check", "--out", str(store.root)]) == 1
    said = [ln for ln in capsys.readouterr().out.splitlines() if "runs/best" in ln or rid in ln]
    assert len(said) == 1 and mv in said[0] and "lost" not in said[0], said


def test_merge_says_where_the_runs_in_the_way_beyond_the_third_are_named(tmp_path, capsys):
    """Four runs whose folders here are in the way: merge's line names three with what clears each, then 'and 1
    more' — which, and why, the user could not learn, while its last line said '…: said above'. It says that
    `plbench check` names each (it names a link to nothing and a file in runs/ as well: test above)."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    kw = dict(n_images=2, metrics=("psnr",), budget_check=False)
    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, seeds=(0,), **kw)
    there = write_store(tmp_path / "there", offsets={"l2": 0.1, "l3": 0.2}, seeds=(0, 1), **kw)
    xs = sorted(m["run_id"] for m in there.metas() if m.get("kind") != "input" and m["config"]["loss"] != "l1")
    for x in xs:
        (here.runs / x).symlink_to(tmp_path / "usb" / x)
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 1
    lines = capsys.readouterr().out.strip().split("\n")
    assert "4 not copied" in lines[0] and "; and 1 more (`" in lines[0], lines[0]
    assert lines[0].endswith(f"check --out {here.root}` names each)"), lines[0]
    assert "said above" not in lines[-1] and f"check --out {here.root}` names each" in lines[-1], lines[-1]


def test_a_renamed_finished_run_with_a_second_copy_names_both_folders(tmp_path, capsys):
    """``mv runs/<id> runs/best`` and ``cp -a runs/best runs/best2``: check names the run once as renamed (the mv
    back from runs/best) — and runs/best2, the other copy of it, in a line of its own, never in silence."""
    import shutil

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    store.note_finished(rid, store.meta(rid))
    store.run_dir(rid).rename(store.runs / "best")
    shutil.copytree(store.runs / "best", store.runs / "best2")
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert f"mv {store.runs / 'best'} {store.run_dir(rid)}" in out and "runs/best2" in out, out


def test_a_finished_runs_folder_turned_into_a_file_is_named_as_a_file(tmp_path, capsys):
    """``runs/<id>`` of a finished run a plain file (a tool saved the folder back as one): check and the board said
    its folder 'is gone (deleted, or left out of a copy)' and 'put the folder back, or the same `plbench run` retrains
    it' — which fails that run on the file. Named as a file, to move out of runs/ first."""
    import shutil

    from benchmark.cli import main
    from benchmark.report import gone_lines
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    store.note_finished(rid, store.meta(rid))
    shutil.rmtree(store.run_dir(rid))
    store.run_dir(rid).write_text("x")
    (board,) = gone_lines(store)
    assert f"runs/{rid} is a file, not its folder (move it out of runs/ first)" in board, board
    assert main(["check", "--out", str(store.root)]) == 1
    said = [ln for ln in capsys.readouterr().out.splitlines() if f"runs/{rid}" in ln]
    assert len(said) == 1 and "is a file, not its folder" in said[0] and "is gone" not in said[0], said


def test_a_run_in_the_way_from_two_sources_counts_once(tmp_path, capsys):
    """Two nodes both finished run x (a run id finished on both is one run), whose folder here is a link to a disk
    not mounted: merge's last line counted it once per source — 'merge incomplete: 2 runs not copied (runs/x,
    runs/x…)' — for one run. A run is counted, and named, once."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **KW)
    node1 = write_store(tmp_path / "node1", offsets={"l2": 0.1}, **KW)
    node2 = write_store(tmp_path / "node2", offsets={"l2": 0.1}, **KW)
    x = next(m["run_id"] for m in node1.metas() if m.get("kind") != "input")
    (here.runs / x).symlink_to(tmp_path / "usb" / x)
    assert main(["merge", str(node1.root), str(node2.root), "--out", str(here.root)]) == 1
    last = capsys.readouterr().out.strip().split("\n")[-1]
    assert last.startswith(f"merge incomplete: 1 run not copied, its folder here in the way (runs/{x}:"), last


def test_merge_names_a_run_renamed_there_which_it_does_not_copy(tmp_path, capsys):
    """A source whose run folder was renamed there (``mv runs/<id> runs/best``: by d8bd881's rule a copy, no run),
    its store older than finished.log: before d8bd881 merge named it 'damaged there'; since, it was left behind in
    silence — a run trained there, in no merged board. Named, with what brings it."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    here = write_store(tmp_path / "here", offsets={"l1": 0.0}, **KW)
    there = write_store(tmp_path / "there", offsets={"l2": 0.1}, **KW)
    x = next(m["run_id"] for m in there.metas() if m.get("kind") != "input")
    there.run_dir(x).rename(there.runs / "best")
    assert main(["merge", str(there.root), "--out", str(here.root)]) == 0
    line = capsys.readouterr().out.split("\n")[0]
    assert f"1 renamed there, not copied: runs/best (run {x})" in line, line
    assert f"check --out {there.root}` names each" in line and x not in here.run_ids(), line

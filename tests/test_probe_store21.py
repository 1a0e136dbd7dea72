"""Probe of the results store: integrity and input checks (session 21)."""
from __future__ import annotations


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def test_merging_a_copy_again_reads_no_rows_of_its_kept_runs(tmp_path, monkeypatch):
    """A store merged again (a node's store merged into the head after every grid) kept its runs by their records,
    yet for each run without a net checksum (every run before plbench kept them) _scored_apart parsed the first pass
    of both stores into DataFrames and joined them: 85% of a merge of 1000 kept runs. Passes whose records hold the
    same checksum are the same bytes, the same scores: nothing is parsed; a run whose rows differ is still named."""
    import shutil

    import pandas as pd

    from benchmark.results import ResultsStore

    here = _small(tmp_path / "here")
    shutil.copytree(here.root, tmp_path / "copy")
    parsed = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: parsed.append(1) or real(*a, **k))
    got = ResultsStore(tmp_path / "copy").merge_from(here)
    assert len(got["kept"]) == len(list(here.run_ids())) and got["trained_apart"] == [], got
    assert parsed == [], f"{len(parsed)} passes parsed to keep {len(got['kept'])} identical runs"
    there = _small(tmp_path / "there", seed=1)  # other rows under the same run ids: still told apart
    got = ResultsStore(tmp_path / "copy").merge_from(there)
    assert got["trained_apart"] and got["trained_apart_why"][0] == "its scores differ from this store's", got


def _checkpoint(store, rid, cfg):
    """A mid-training checkpoint of ``cfg`` in ``runs/<rid>/ckpt.pt``, as the runner writes it (its fingerprint: the
    config and today's code version)."""
    import torch

    from benchmark.checkpoint import CheckpointPolicy, checkpointer

    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    checkpointer(store, rid, cfg, CheckpointPolicy()).save(
        3, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={})
    return store.run_dir(rid) / "ckpt.pt"


def test_check_names_a_checkpoint_whose_run_finished_since_under_another_id(tmp_path, capsys):
    """`plbench compare --loss-file my.py` stopped mid-training, my.py edited, the same compare run again: the loss's
    file hash is in the run id, so the compare trained the run under a new id to the end, and the first folder (its
    ckpt.pt, up to hundreds of MB) stayed — `plbench check` counted it '1 unfinished (... the same `plbench compare`
    resumes it)', which no command ever does. A run not finished whose checkpoint records the config and code version
    of a run finished since under another id is named as superseded by it, not counted unfinished; --repair removes
    its folder (a checkpoint, nothing else); an unfinished run no finished run matches is still resumable."""
    from benchmark.cli import main
    from benchmark.config import RunConfig, code_version, run_id

    store = _small(tmp_path / "results")
    cfg, other = (RunConfig(task="denoise", loss="l1", seed=s, iterations=2) for s in (0, 1))
    done = sorted(r for r in store.run_ids() if not r.startswith("input-"))[0]
    store.write_meta(done, {**store.meta(done), "config": cfg.to_dict(), "code_version": code_version()})
    orphan, waiting = "0123456789abcdef", run_id(other)  # the waiting run in its own folder (another's: named)
    _checkpoint(store, orphan, cfg)  # trained before its loss file was edited
    _checkpoint(store, waiting, other)  # no run of its settings finished: the same command resumes it
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if x.startswith(f"run {orphan}")]
    assert f"superseded by run {done}" in line and "--repair removes it" in line, line
    assert "1 unfinished (interrupted or still training" in out and "1 superseded" in out, out
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    out = capsys.readouterr().out
    assert not store.run_dir(orphan).exists() and (store.run_dir(waiting) / "ckpt.pt").is_file(), out
    assert f"run {orphan}" in out and "removed" in out and "moved or deleted" not in out, out
    assert store.superseded({waiting: [store.run_dir(waiting) / "ckpt.pt"]}) == {}


def test_check_repair_of_a_superseded_run_in_a_read_only_store_moves_nothing(tmp_path, monkeypatch, capsys):
    """--repair where the store cannot be written (a read-only mount) says so in one line before anything moves, the
    superseded run's folder (test above) kept, as for every other repair."""
    import re

    import benchmark.cli as cli
    from benchmark.config import RunConfig, code_version

    store = _small(tmp_path / "results")
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=2)
    done = sorted(r for r in store.run_ids() if not r.startswith("input-"))[0]
    store.write_meta(done, {**store.meta(done), "config": cfg.to_dict(), "code_version": code_version()})
    ckpt = _checkpoint(store, "0123456789abcdef", cfg)
    monkeypatch.setattr(cli, "_not_writable", lambda folder: "read-only file system")
    assert cli.main(["check", "--out", str(store.root), "--repair"]) == 2
    assert re.search(r"error: cannot repair .*not writable .*nothing was moved", capsys.readouterr().err)
    assert ckpt.is_file()


def test_a_store_json_of_another_shape_is_said_as_such(tmp_path):
    """store.json hand-edited to ``[2]`` was 'unreadable (AttributeError)' — a Python exception's name for valid JSON
    of another shape — and ``{"store_version": 2.0}`` had 'store_version 2.0, not a number', which it is: each says
    what it holds now, and what to write, as before."""
    import pytest

    from benchmark.errors import UserError

    store = _small(tmp_path / "results")
    for text, said in (("[2]", "holds a list, not an object"),
                       ('{"store_version": 2.0}', "has store_version 2.0, not a whole number"),
                       ('{"store_version": "2"}', "has store_version '2', not a whole number")):
        (store.root / "store.json").write_text(text)
        with pytest.raises(UserError) as e:
            store.check_version()
        assert f"store.json {said}, but" in str(e.value) and '{"store_version": 2}' in str(e.value), str(e.value)
        assert "Error" not in str(e.value), str(e.value)


def test_merge_names_a_run_superseded_there_not_as_one_still_training(tmp_path, capsys):
    """A node's store holding a superseded run (test above: a --loss-file edited mid-compare there) is merged: the run
    was '1 not finished there (not copied)', as a run still training there is — merge again later — which it never
    finishes. It is counted as superseded there, with what names and removes it there."""
    from benchmark.cli import main
    from benchmark.config import RunConfig, code_version
    from benchmark.results import ResultsStore

    there = _small(tmp_path / "there")
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=2)
    done = sorted(r for r in there.run_ids() if not r.startswith("input-"))[0]
    there.write_meta(done, {**there.meta(done), "config": cfg.to_dict(), "code_version": code_version()})
    _checkpoint(there, "0123456789abcdef", cfg)
    _checkpoint(there, "fedcba9876543210", RunConfig(task="denoise", loss="l1", seed=1, iterations=2))
    got = ResultsStore(tmp_path / "here").merge_from(there)
    assert got["unfinished"] == ["fedcba9876543210"] and got["superseded_there"] == ["0123456789abcdef"], got
    assert main(["merge", str(there.root), "--out", str(tmp_path / "here2")]) == 0
    line = capsys.readouterr().out
    assert "1 not finished there (not copied)" in line, line
    assert (f"1 superseded there by a run finished since under another id (not copied: `plbench check --out "
            f"{there.root}` names it, --repair removes it)") in line, line


def test_a_pass_holding_another_runs_rows_is_damage_not_a_silent_swap(tmp_path, capsys):
    """A run folder whose eval-0.* are another run's (copied between folders by hand, a store assembled from two
    copies): every checksum matches its record, so check said 'every record readable', and the table counted the other
    run's rows under it — read as duplicates of that run's and dropped, this run's results silently gone from every
    table. The rows of a pass name their run (run_id): a pass whose rows name another run is damage, named."""
    import shutil

    from benchmark.cli import main

    store = _small(tmp_path / "results")
    mine, other = sorted(r for r in store.run_ids() if not r.startswith("input-"))[:2]
    for name in ("eval-0.json", "eval-0.parquet"):
        shutil.copy2(store.run_dir(other) / name, store.run_dir(mine) / name)
    assert f"rows of run {other}" in store.damage(mine) and not store.damage(other)
    table = store.table()
    assert mine in store.damaged and set(table["run_id"]) == set(store.run_ids()) - {mine}
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert f"run {mine}: eval-0.parquet holds rows of run {other}" in out, out


def test_golden_only_with_a_name_of_no_entry_is_refused_not_all_match(capsys):
    """`python -m benchmark.golden --only loss:pdll` (a typo) checked no entry and printed 'golden numbers: all
    match', exit 0 — the guard passed having computed nothing (and --update wrote nothing, exit 0). A name of no entry
    is one line naming it with the nearest entry, exit 2, before any number is computed."""
    import pytest

    from benchmark import golden

    with pytest.raises(SystemExit) as e:
        golden.main(["--only", "loss:pdll", "task:denoise"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--only: no golden entry loss:pdll" in err and "loss:pdl" in err, err
    with pytest.raises(SystemExit):
        golden.main(["--update", "--only", "net:tinyy"])
    assert "no golden entry net:tinyy" in capsys.readouterr().err


def test_golden_numbers_file_cut_short_is_one_line_and_update_writes_it_whole(tmp_path, monkeypatch):
    """tests/golden/numbers.json cut short (an --update killed mid-write: it was written in place, or a merge conflict
    left in it) made every golden check a JSONDecodeError traceback. It is one line naming the file and how to get it
    back; --update writes it whole or not at all (a temporary file renamed over it)."""
    import json

    import pytest

    from benchmark import golden
    from benchmark.errors import UserError

    path = tmp_path / "numbers.json"
    path.write_text('{"net:tiny": {"version": "1", "numb')
    with pytest.raises(UserError, match=r"numbers\.json is not readable JSON .*git checkout"):
        golden.load(path)
    monkeypatch.setattr(golden, "entries", lambda: {"net:tiny": ("2", lambda: [1.0, 2.0])})
    path.write_text(json.dumps({"runner": {"version": "1", "numbers": [3.0]}}))
    writes = []
    real = golden.atomic_write_bytes
    monkeypatch.setattr(golden, "atomic_write_bytes", lambda p, data: writes.append(p) or real(p, data))
    assert golden.update(path) == (["net:tiny"], [])
    assert writes == [path] and set(golden.load(path)) == {"net:tiny", "runner"}

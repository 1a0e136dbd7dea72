"""Review of the store4 commits (results-store changes): each test failed before its fix."""

from __future__ import annotations

from conftest import figures_off

from benchmark.results import ResultsStore, RunLock, atomic_write_json
from benchmark.synthetic import write_store


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_merge_keeps_a_run_that_finished_here_while_it_waited_for_the_lock(tmp_path):
    """``merge_from`` judged "finished here?" before taking the run's lock: a run a local worker finished
    between that look and the lock was set aside to ``damaged/`` as if unfinished and replaced by the
    other node's copy (reported ``replaced``). It is judged again under the lock: kept, untouched."""
    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = next(r for r in node1.run_ids() if not r.startswith("input"))
    mine = {**node1.meta(rid), "node": 1}
    (node1.run_dir(rid) / "meta.json").unlink()  # a worker is still evaluating it here
    dst = ResultsStore(node1.root)

    def lock_after_the_worker_finished(run_id):
        if run_id == rid:  # the worker writes its record and lets go of the lock just before merge takes it
            atomic_write_json(dst.run_dir(rid) / "meta.json", mine)
        return RunLock.acquire(dst.run_dir(run_id) / ".lock")

    dst.lock = lock_after_the_worker_finished
    got = dst.merge_from(ResultsStore(node2.root))
    assert rid in got["kept"] and rid not in got["replaced"], got
    assert dst.meta(rid)["node"] == 1 and not (dst.run_dir(rid) / "damaged").exists()
    assert dst.check() == {}


def _spelt_two_ways_one_diverged(root):
    """``ffl(alpha=1)`` seeds 0, 1 finished, and its seed 2 recorded as ``ffl(alpha=1.0)`` (the same loss) that
    diverged: a meta.json and no rows."""
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "ffl(alpha=1)": 1.0}, seeds=(0, 1, 2), n_images=4,
                                          metrics=("psnr",), budget_check=False):
        if meta.get("config", {}).get("seed") == 2 and meta["config"]["loss"] == "ffl(alpha=1)":
            meta = {**meta, "status": "diverged", "config": {**meta["config"], "loss": "ffl(alpha=1.0)"}}
            rows = []
        if rows:
            store.write_eval(rid, rows, ["psnr"], {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


def test_a_spelling_recorded_only_by_runs_without_rows_is_merged_too(tmp_path, monkeypatch):
    """Two spellings of one loss were read as one only where both had rows: a seed recorded under the other
    spelling that diverged (no rows) stayed a loss of its own — costs.csv a second ``ffl(alpha=1.0)`` row
    holding the divergence, the leaderboard's ffl row none, and ``findings`` a loss whose every run was lost."""
    figures_off(monkeypatch)
    import pandas as pd

    from benchmark.findings import lost_runs
    from benchmark.report import write_report

    store = _spelt_two_ways_one_diverged(tmp_path / "s")
    store.table()
    assert store.respelt == {"ffl(alpha=1.0)": "ffl(alpha=1)"}
    write_report(store, formats=("png",), visual=False, html=False, n_boot=100)
    costs = pd.read_csv(tmp_path / "s" / "costs.csv")
    assert "ffl(alpha=1.0)" not in set(costs["loss"].astype(str)), costs
    assert int(costs.loc[costs["loss"] == "ffl(alpha=1)", "diverged"].sum()) == 1, costs
    md = (tmp_path / "s" / "leaderboard.md").read_text()
    assert "`ffl(alpha=1.0)` is the loss `ffl(alpha=1)` spelt another way" in md
    lost = lost_runs(store.metas_as_read())
    assert list(lost["loss"]) == ["ffl(alpha=1)"] and list(lost["seed"]) == [2], lost


def test_the_reports_note_on_rows_without_a_meta_json_names_a_check_of_this_store(tmp_path, monkeypatch):
    """The note on a run whose rows have no meta.json said "`plbench check` names it": run as printed, that
    checks ./results, not the store reported on. It now carries the store's --out, shell-quoted."""
    figures_off(monkeypatch)
    import re
    import shlex

    from benchmark.report import write_report

    store = _small(tmp_path / "my results")
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    (store.run_dir(rid) / "meta.json").unlink()
    write_report(ResultsStore(store.root), formats=("png",), visual=False, html=False, n_boot=100)
    md = (store.root / "leaderboard.md").read_text()
    line = next(line for line in md.splitlines() if f"run {rid} (" in line)
    cmds = [shlex.split(c) for c in re.findall(r"`(plbench check[^`]*)`", line)]
    assert cmds and all(c[c.index("--out") + 1] == str(store.root) for c in cmds if "--out" in c), line
    assert all("--out" in c for c in cmds), line


def test_the_baseline_named_in_a_spelling_the_store_records_is_its_merged_row(tmp_path, capsys, monkeypatch):
    """Since a loss recorded under two spellings reads as one, ``plbench report --baseline 'ffl(alpha=1.0)'``
    (a spelling its runs record) was refused: "'ffl(alpha=1.0)' is not a loss of these results". It is the
    merged row's loss: the report takes it as that row, ``ffl(alpha=1)``, and marks the others against it."""
    figures_off(monkeypatch)
    from test_probe_store4 import _spelt_two_ways

    from benchmark.cli import main

    root = tmp_path / "s"
    _spelt_two_ways(root)
    assert main(["report", "--out", str(root), "--no-visual", "-q", "--baseline", "ffl(alpha=1.0)"]) == 0, \
        capsys.readouterr().err
    md = (root / "leaderboard.md").read_text()
    assert "significantly better/worse than `ffl(alpha=1)`" in md
    assert main(["report", "--out", str(root), "--no-visual", "-q", "--baseline", "fl1"]) == 2  # a typo still is


def _two_settings(root):
    """Runs of one task in two settings, ``train_data`` T91 and T91 + BSD200 (ids ``<id>0`` and ``<id>1``)."""
    import json

    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=3,
                                          metrics=("psnr",), budget_check=False):
        for k, value in enumerate([["T91"], ["T91", "BSD200"]] if meta.get("kind") != "input" else [None]):
            r = f"{rid}{k}" if value is not None else rid
            m, out = {**meta, "run_id": r}, [{**row, "run_id": r} for row in rows]
            if value is not None:
                m["setting"] = {**meta["setting"], "train_data": value}
                for row in out:
                    row["setting"] = json.dumps({**json.loads(row["setting"]), "train_data": value}, sort_keys=True)
            store.write_eval(r, out, ["psnr"], {})
            atomic_write_json(store.run_dir(r) / "meta.json", m)
    return store


def test_a_run_without_its_meta_json_is_named_in_its_own_settings_report_only(tmp_path, monkeypatch):
    """The report of one setting named every run of the store whose rows have no meta.json as "left out" of its
    leaderboard, a run of another setting too (it never belonged there). It names those of its own setting."""
    figures_off(monkeypatch)
    from benchmark.report import write_report

    store = _two_settings(tmp_path / "s")
    rid = next(r for r in store.run_ids() if not r.startswith("input") and r.endswith("1"))  # T91 + BSD200
    (store.run_dir(rid) / "meta.json").unlink()
    assert rid in store.unrecorded()
    md = store.root / "leaderboard.md"
    write_report(ResultsStore(store.root), formats=("png",), visual=False, html=False, n_boot=100,
                 where={"train_data": "T91"})
    assert f"run {rid} (" not in md.read_text()
    write_report(ResultsStore(store.root), formats=("png",), visual=False, html=False, n_boot=100,
                 where={"train_data": "T91 + BSD200"})
    assert f"run {rid} (" in md.read_text()


def test_the_copy_it_first_hint_quotes_the_store(tmp_path, capsys, monkeypatch):
    """A results directory report cannot write to: "copy it first (cp -r /x/my results <a writable place>)" split
    a path with a space in two, the one printed command the store4 quoting left as it was."""
    import re
    import shlex

    from benchmark import cli

    store = _small(tmp_path / "my results")
    monkeypatch.setattr(cli, "_not_writable", lambda folder: "Read-only file system")
    assert cli.main(["report", "--out", str(store.root), "-q"]) == 2
    err = capsys.readouterr().err
    m = re.search(r"\(cp -r (.*) <a writable place>\)", err)
    assert m and shlex.split(m.group(1)) == [str(store.root)], err


def test_a_finding_finds_its_loss_under_the_spelling_the_table_reads_it_as():
    """The table reads a loss recorded under several spellings as one of them, the one with most runs — not
    necessarily the finding's: ``ms_ssim_l1`` read as ``ms_ssim_l1(alpha=0.84)`` (its defaults spelt out) made
    Zhao 2017's Mix claim "not applicable: ms_ssim_l1 not in these results". A finding's loss is matched by
    identity (:func:`benchmark.lossfn.loss_identity`), as it was before under its own spelling."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    got = {}
    for mix in ("ms_ssim_l1", "ms_ssim_l1(alpha=0.84)"):
        t = synthetic_table(tasks=("jpeg",), offsets={"l1": 0.0, mix: 1.0}, seeds=(0, 1, 2, 3, 4), n_images=6,
                            metrics=("psnr", "ssim", "ms_ssim"), budget_check=False)
        r = check_all(t, ["zhao2017_mix_best"], n_boot=100)[0]
        got[mix] = (r.verdict, len(r.parts))
    assert got["ms_ssim_l1(alpha=0.84)"] == got["ms_ssim_l1"] and got["ms_ssim_l1"][0] == "reproduced", got

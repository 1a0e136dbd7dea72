"""Start-up and bookkeeping on a big store: what makes the damage check cheap, and that it still catches damage.

Timings are measured by ``scripts/bench_bookkeeping.py``, never here."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store


def _store(path):
    return write_store(path, offsets={"l1": 0.0}, seeds=(0,), n_images=6, budget_check=False)


def _a_run(store: ResultsStore) -> str:
    return next(r for r in store.run_ids() if not r.startswith("input-"))


def test_damage_check_makes_no_frame_of_an_intact_runs_rows(tmp_path, monkeypatch):
    """`plbench run`, the SLURM driver and `check` parsed every pass's rows into a DataFrame to find damage:
    most of their planning time on a store of finished runs. The checksum of the bytes (and the footer's row
    count) is the check; no frame is made."""
    store = _store(tmp_path)

    def no_frames(*a, **k):
        raise AssertionError("a pass's rows were read into a frame")

    monkeypatch.setattr(pd, "read_parquet", no_frames)
    monkeypatch.setattr(pq, "read_table", no_frames)
    assert store.check() == {}
    assert all(not ResultsStore(tmp_path).damage(r) for r in store.run_ids())


def _truncate(p):
    p.write_bytes(p.read_bytes()[:-40])


def _flip_a_byte(p):  # same size: a hand edit
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def _edit_record_rows(p):
    rec_path = p.with_suffix(".json")
    rec = json.loads(rec_path.read_text())
    rec_path.write_text(json.dumps({**rec, "rows": rec["rows"] + 1}))


def _truncate_without_checksum(p):
    rec_path = p.with_suffix(".json")
    rec = json.loads(rec_path.read_text())
    del rec["sha256"]
    rec_path.write_text(json.dumps(rec))
    _truncate(p)


def _missing(p):
    p.unlink()


@pytest.mark.parametrize("edit, why", [
    (_truncate, "eval-0.parquet does not match its checksum (truncated or changed)"),
    (_flip_a_byte, "eval-0.parquet does not match its checksum (truncated or changed)"),
    (_edit_record_rows, "eval-0.parquet holds 18 rows, its record says 19"),
    (_truncate_without_checksum, "eval-0.parquet unreadable"),
    (_missing, "eval-0.parquet missing"),
])
def test_damaged_pass_is_still_caught(tmp_path, edit, why):
    """A truncated or hand-edited pass, or a record whose row count was changed, is damage — by a fresh store
    object (a new process) and by `check`, as before the check stopped reading rows into frames."""
    store = _store(tmp_path)
    rid = _a_run(store)
    edit(store.run_dir(rid) / "eval-0.parquet")
    fresh = ResultsStore(tmp_path)
    assert fresh.damage(rid) == why
    assert fresh.check() == {rid: why}


def test_the_categorical_table_is_made_once_not_pass_by_pass(tmp_path, monkeypatch):
    """``report``'s table (``table(categories=True)``) made a DataFrame of every pass and a categorical union
    over thousands of them: minutes on a store of 10⁴ runs. The passes are now one frame made once, the same
    as the string table's categoricals — with budget checks, a diverged run, settings of another release and
    a damaged run (left out) among them."""
    import benchmark.results as results
    from benchmark.config import code_version
    from benchmark.results import as_categories

    store = write_store(tmp_path, offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4, diverged=("l1",))
    rid, other = [r for r in store.run_ids() if not r.startswith("input-")][:2]
    rows = store.table()
    mine = rows.loc[rows["run_id"] == other, "setting"].iloc[0]
    old_release = json.dumps({**json.loads(mine), "code_version": "0.0.1+c" + code_version().rpartition("+c")[2]},
                             sort_keys=True)
    # a run of its own (16 hex digits): `<id>x` would be a user's copy of `other` (results.copy_of), not a run
    old = format(int(other, 16) ^ 1, "016x")
    store.write_eval(old, rows[rows["run_id"] == other].assign(run_id=old, setting=old_release)
                     .to_dict("records"), ["psnr"], {})
    store.write_meta(old, {**store.meta(other), "run_id": old})
    _truncate(store.run_dir(rid) / "eval-0.parquet")
    expected = as_categories(ResultsStore(tmp_path).table())

    def per_pass(*a, **k):
        raise AssertionError("categoricals made pass by pass")

    monkeypatch.setattr(results, "_concat_categories", per_pass)
    fresh = ResultsStore(tmp_path)
    got = fresh.table(categories=True)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(got, expected)
    assert list(fresh.damaged) == [rid]
    assert json.loads(got.loc[got["run_id"] == old, "setting"].iloc[0])["code_version"] == code_version()

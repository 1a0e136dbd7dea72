"""Probe of the results store: integrity (session 24)."""
from __future__ import annotations

import json

import pytest


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _edit_meta(store, rid: str, edit) -> None:
    path = store.run_dir(rid) / "meta.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def _trained(store, loss: str = "l1", seed: int = 0) -> str:
    return next(r for r in store.run_ids() if (m := store.meta(r) or {}).get("config", {}).get("loss") == loss
                and m["config"]["seed"] == seed)


@pytest.mark.parametrize("categories", [False, True])
@pytest.mark.parametrize("field,value", [("seed", 1), ("task", "sr4")])
def test_the_table_leaves_out_a_run_check_calls_damaged_for_a_config_its_rows_disagree_with(
        tmp_path, field, value, categories):
    """A meta.json edited by hand so its config's seed (or task) is no longer its rows' (the rows matching their
    checksum): `plbench check` named the run damaged and `plbench run` set it aside, but the table every report,
    finding and comparison reads took its rows as they were — a leaderboard published numbers of a run check calls
    damaged. The table leaves it out and names it, as it does every other damaged run."""
    from benchmark.results import ResultsStore

    store = _small(tmp_path / "res")
    rid = _trained(store)
    _edit_meta(store, rid, lambda m: m["config"].__setitem__(field, value))
    assert set(ResultsStore(store.root).check()) == {rid}
    reader = ResultsStore(store.root)
    table = reader.table(categories=categories)
    assert rid not in set(table["run_id"].astype(str)), "the table holds the rows of a run check calls damaged"
    assert set(reader.damaged) == {rid} and f"meta.json says {field} {value}" in reader.damaged[rid]
    assert table["run_id"].astype(str).nunique() == 4  # the three other runs and the degraded input

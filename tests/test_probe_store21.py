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

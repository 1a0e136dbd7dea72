"""Review of the store probe (session 20): merge's score comparison, the words scan, the helpers' names."""
from __future__ import annotations


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def test_merge_takes_scores_apart_only_beyond_float_noise(tmp_path):
    """Where no net checksum tells, merge compares the runs' first passes: an exact comparison named a run whose
    scores differ only by float noise (one net scored on another CPU or GPU: ~1e-7 relative) as 'trained apart' and
    its training as not reproducible there. Noise is one training; a difference in the scores' own digits is two."""
    from benchmark.results import ResultsStore

    here = _small(tmp_path / "here")
    there = _small(tmp_path / "there", offsets={"l1": 0.01, "good": 1.0 + 3e-6})  # l1 apart, good within noise
    loss = {m["run_id"]: (m.get("config") or {}).get("loss") for m in here.metas() if m.get("kind") != "input"}
    got = ResultsStore(here.root).merge_from(there)
    assert set(loss) <= set(got["kept"]) and [loss[r] for r in got["trained_apart"]] == ["l1"], got
    assert got["trained_apart_why"] == ["its scores differ from this store's"], got

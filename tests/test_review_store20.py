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


def test_fragile_seeds_words_agree_with_the_seeds_named():
    """fragile_seeds chose 'seed'/'any of seeds' by hand (an f-string: the words scan cannot see it) and
    fragile_text counted the seeds of a CSV cell read back by its own split, blanks too: 'seed 3: max p_holm' for
    the cell '3; '. One parse, one agree: 'max' only where several seeds are named."""
    from benchmark.stats import fragile_seeds, fragile_text

    assert [fragile_seeds(s) for s in ([3], "3; ", "0; 1; 3", (4, 1))] == \
        ["seed 3", "seed 3", "any of seeds 0, 1, 3", "any of seeds 1, 4"]
    assert fragile_text("3; ", 0.081) == "seed 3: p_holm = 0.081"
    assert fragile_text("1;3", 0.12) == "any of seeds 1, 3: max p_holm = 0.12"

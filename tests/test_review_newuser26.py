"""Review of the newuser probes of session 26 (tests/test_probe_newuser26.py): what the messages of a first meeting
with the tool say, where the commits reviewed left a case of their own kind untold."""
from __future__ import annotations


def test_a_step_time_cache_behind_a_dangling_link_is_warned_of_without_the_store_s_advice(tmp_path, caplog):
    """6b144964 warned of an unwritable steptimes.json with the cause alone by cutting the store's one line at
    "; nothing half-written" — but a link to a folder not there (a shared cluster cache on a disk not mounted) is said
    "…; nothing was written, results written before are intact: mount or restore it … and run `plbench …` again",
    which that cut kept whole: advice on results, and a command to rerun, for a cache. The cause alone is one rule of
    the store's (:func:`benchmark.results.write_cause`), which the cache's warning and _not_put_back both use."""
    import logging

    from benchmark import perf

    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "plbench").symlink_to(tmp_path / "a disk not mounted")
    cache = perf.StepTimes(tmp_path / "hub" / "plbench" / "steptimes.json")
    with caplog.at_level(logging.WARNING, logger="benchmark.perf"):
        assert cache.get("denoise|l1", lambda: 0.5) == 0.5
    (said,) = [r.getMessage() for r in caplog.records if "could not keep measured step times" in r.getMessage()]
    assert "is a link to" in said and "measures them again" in said, said
    assert "results written before" not in said and "again (the next" not in said, said

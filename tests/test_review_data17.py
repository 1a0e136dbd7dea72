"""Review of the data fixes of session 17: their neighbours, other inputs of the same kind."""

from __future__ import annotations

import logging
import warnings

import pytest


@pytest.mark.parametrize("missing", [OSError("libc.so.6: cannot open shared object file"), AttributeError])
def test_handing_freed_memory_back_is_nothing_where_there_is_no_glibc(monkeypatch, caplog, missing):
    """macOS, musl and Windows have no libc.so.6 (OSError) or one without malloc_trim (musl's gcompat): the comparisons'
    hand-back is then nothing, without an error, a warning or a line."""
    import ctypes

    from benchmark import data

    class NoTrim:
        def __getattr__(self, name):
            raise AttributeError(name)

    def cdll(name, *a, **k):
        if isinstance(missing, OSError):
            raise missing
        return NoTrim()

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    data._malloc_trim.cache_clear()
    try:
        with warnings.catch_warnings(), caplog.at_level(logging.DEBUG):
            warnings.simplefilter("error")
            assert data._malloc_trim() is None
            data._release_freed_memory()
            with data._still_comparing("x: its hold-out: 2 images"):
                pass
        assert not caplog.records
    finally:
        data._malloc_trim.cache_clear()

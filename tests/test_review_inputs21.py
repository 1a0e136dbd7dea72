"""Review of session 21's data and store changes: what the review found still wrong, each pinned by a test."""

from __future__ import annotations


def test_a_named_spill_file_is_removed_when_decoding_stops_before_its_finish(tmp_path, monkeypatch):
    """Where the spill file keeps its name until :meth:`finish` (no /proc: macOS, Windows; or its removal refused),
    decoding that stops before the finish — Ctrl-C on a big source, an error raised while its rows are read on — left
    the file of every spilled image's pixels behind for good: 03522216 made it ``delete=False`` (the
    NamedTemporaryFile removed it as it was dropped before). It is removed as the spill is dropped (or at exit)."""
    import gc
    import os

    import torch

    import benchmark.data as data

    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: False if str(p) == "/proc/self/fd" else isdir(p))  # not Linux
    spill = data._Spill("photos")
    spill(torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8))
    assert len(list(tmp_path.iterdir())) == 1  # named while decoding, as before
    del spill  # decoding stopped: no finish
    gc.collect()
    assert list(tmp_path.iterdir()) == []

"""Probe of the results store's integrity under faults (probe-store, eleventh pass). Each test failed before its fix."""

from __future__ import annotations

import logging

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


@pytest.mark.parametrize("when", ["unrecorded", "check_state"])
def test_check_names_a_run_folder_moved_while_it_reads_and_does_not_crash(tmp_path, monkeypatch, capsys, caplog, when):
    """``plbench check`` listed the run folders, then read each: one moved away meanwhile (a user's ``mv`` of a
    run to retrain it, another process) ended the check with 'internal error: FileNotFoundError'. The moved
    folder is named in one warning, left out of the summary, and the check exits 1 (check again)."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    real = getattr(ResultsStore, when)

    def moving(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        if self.run_dir(rid).is_dir():
            self.run_dir(rid).rename(tmp_path / "aside")
        return out

    monkeypatch.setattr(ResultsStore, when, moving)
    with caplog.at_level(logging.WARNING, logger="benchmark"):
        assert main(["check", "--out", str(store.root)]) == 1
    said = [r.getMessage() for r in caplog.records if "moved or deleted while check read" in r.getMessage()]
    assert len(said) == 1 and f"runs/{rid}" in said[0], caplog.text
    last = capsys.readouterr().out.strip().splitlines()[-1]
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    assert last.startswith(f"{store.root}: {len(trained)} run"), last  # the folder left is counted, the moved one not
    assert (tmp_path / "aside" / "meta.json").is_file()

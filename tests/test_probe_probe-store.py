"""Probe of the results store's integrity under faults (probe-store, ninth pass). Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("which", ["trained", "input"])
def test_the_damaged_count_counts_runs_as_the_finished_summary_does(tmp_path, capsys, which):
    """The finished summary says "4 runs (and 1 scoring of the degraded input)"; with one run damaged the
    same store said "1 of 5 runs damaged" (and --repair "1 of 5 runs set aside"): the degraded input's
    scoring counted as a trained run. Both lines count trained runs, and the input's scorings apart."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    ids = store.run_ids()
    inputs = [r for r in ids if r.startswith("input-")]
    trained = [r for r in ids if not r.startswith("input-")]
    assert inputs and trained
    assert main(["check", "--out", str(store.root)]) == 0
    capsys.readouterr()
    rid = (trained if which == "trained" else inputs)[0]
    _flip(store.run_dir(rid) / "eval-0.parquet")
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    if which == "trained":
        assert last.startswith(f"1 of {len(trained)} runs damaged"), last
    else:
        assert last.startswith(f"1 of {len(inputs)} scoring of the degraded input damaged"), last
    main(["check", "--out", str(store.root), "--repair"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    if which == "trained":
        assert last.startswith(f"1 of {len(trained)} runs set aside"), last
    else:
        assert last.startswith(f"1 of {len(inputs)} scoring of the degraded input set aside"), last

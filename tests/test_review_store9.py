"""Review of the results store's integrity under faults (rev-store, ninth pass). Each test failed before its fix."""

from __future__ import annotations

import shutil

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _reported(store: ResultsStore) -> None:
    """The ``results.csv`` a report writes (its raw table), as a spreadsheet saves it back: BOM and CRLF."""
    text = store.table().to_csv(index=False, lineterminator="\r\n")
    (store.root / "results.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())


@pytest.mark.parametrize("which", ["trained", "input"])
def test_a_run_folder_deleted_by_hand_is_named_by_check_and_report(tmp_path, capsys, which, caplog):
    """A run folder deleted by hand (or left out of a copy) vanished without a word: ``check`` said "N runs,
    every record readable" with exit 0, and the next report dropped its loss's cells (or the input row) silently,
    forgetting it had ever been there. The last report's ``results.csv`` names it: check names the run, what it
    was and what to do, with exit 1; the report says it left it out."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    _reported(store)
    rid = next(r for r in store.run_ids() if r.startswith("input-") == (which == "input"))
    shutil.rmtree(store.run_dir(rid))
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    line = next((x for x in out.splitlines() if rid in x), "")
    assert "gone" in line and "results.csv" in line and "plbench run" in line, out
    assert (" input" if which == "input" else "/l1 seed 0") in line or "/good seed 0" in line, line
    assert "1 gone" in out.strip().splitlines()[-1], out
    fresh = ResultsStore(store.root)
    from benchmark.report import gone_lines
    assert any(rid in x for x in gone_lines(fresh))


def test_a_run_id_a_spreadsheet_saved_as_a_number_is_not_named_gone(tmp_path, capsys):
    """A spreadsheet saves an all-digit hex run id back as a number: that cell names no run, not a lost one."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    _reported(store)
    csv = store.root / "results.csv"
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    csv.write_bytes(csv.read_bytes().replace(rid.encode(), b"1.23457E+19"))
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr().out
    assert store.gone() == {}

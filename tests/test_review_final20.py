"""Cross-area review of 2026-12-07's merged branches (final-rv)."""

from pathlib import Path

import numpy as np
from PIL import Image


def _pngs(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)).save(folder / f"{name}.png")


def test_the_readme_orders_a_sources_read_check_after_the_out_folders_refusal(tmp_path, monkeypatch, capsys):
    """data's check_source_readable (a test table's bad row, a split or column not there, a hub id asked online) runs
    after run has looked at --out, as its docstring says, while README's rule said every mistake found without
    reading an image is said before the --out refusal: a table with a row too many beside an --out that is a file
    said the --out. The README now says which: a path's check before it, a source's reading after it."""
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    _pngs(tmp_path, "a", "b")
    (tmp_path / "photos.csv").write_text("path,caption\na.png,x\nb.png,x,y\n")
    (tmp_path / "r").write_text("not a folder")
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--test-data",
                 str(tmp_path / "photos.csv"), "--out", str(tmp_path / "r"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "photos.csv" not in err[-1] and str(tmp_path / "r") in err[-1], err
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert "and that refusal before any source is read (a table's rows, a split or column not there" in readme


def test_compares_left_run_notes_name_each_new_loss_and_count_its_runs_as_its_half_batch_note_does(tmp_path):
    """store made compare name a new loss's half-batch runs per loss ('l2: 1 of 3 runs of the new loss ran out of
    memory …', as its failed/diverged notes), and agreed the words of the notes on runs left to another process,
    which still pooled every new loss's runs of the task: `compare --loss l1 --loss l2` with one of l2's runs held
    elsewhere said '1 of 4 runs of the new loss is being trained …', of no loss, against both losses' runs. Now one
    voice: per loss, its name first, its own runs counted."""
    from benchmark.compare import _left_notes
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    configs = [RunConfig(task="denoise", loss=loss, seed=s, iterations=2) for loss in ("l1", "l2") for s in range(2)]
    lock = store.lock(run_id(configs[2]))  # one of l2's runs, trained by another process
    try:
        notes = _left_notes(store, configs)
    finally:
        lock.release()
    held = run_id(configs[2])
    assert notes[1] == (f"l2: 1 of 2 runs of the new loss is being trained by another process on this results "
                        f"directory (runs/{held}; this compare left it to that process): the same `plbench compare` "
                        "once it finishes shows it."), notes
    assert [n.split(":")[0] for n in notes] == ["l1", "l2", "l2"], notes  # l1's two and l2's other: stopped there
    assert notes[0].startswith("l1: 2 of 2 runs of the new loss left to another process were stopped"), notes

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

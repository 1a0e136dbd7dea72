"""Golden numbers (benchmark/golden.py): every task, loss, net preset and the runner recompute
their fixed-seed numbers; a number that moved at an unchanged version fails here."""

from __future__ import annotations

import pytest

from benchmark import golden

ENTRIES = golden.entries()
STORED = golden.load()


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_golden_numbers(name):
    version, fn = ENTRIES[name]
    assert golden.problem(name, version, fn(), STORED) is None, golden.problem(name, version, fn(), STORED)


def test_every_stored_entry_still_exists():
    """An entry whose task/loss/preset was removed is stale: drop it from tests/golden/numbers.json."""
    assert set(STORED) <= set(ENTRIES), sorted(set(STORED) - set(ENTRIES))


def test_a_moved_number_without_a_version_bump_fails(monkeypatch):
    """The mechanism itself: change what denoise computes, keep its version → a problem is reported;
    bump the version → a (different) problem asks for regeneration; ``update`` refuses the first case."""
    from tasks.denoise import Denoise

    name = "task:denoise"
    version = ENTRIES[name][0]
    real = Denoise.degrade
    monkeypatch.setattr(Denoise, "degrade", lambda self, clean, g: real(self, clean, g) + 1e-3)
    moved = golden.task_numbers("denoise")
    msg = golden.problem(name, version, moved, STORED)
    assert msg is not None and "numbers moved at unchanged version" in msg
    bumped = golden.problem(name, version + ".1", moved, STORED)
    assert bumped is not None and "golden numbers are from version" in bumped


def test_update_refuses_moved_numbers_at_the_same_version(tmp_path, monkeypatch):
    from tasks.denoise import Denoise

    path = tmp_path / "numbers.json"
    path.write_text(golden.GOLDEN_PATH.read_text())
    real = Denoise.degrade
    monkeypatch.setattr(Denoise, "degrade", lambda self, clean, g: real(self, clean, g) * 0.5)
    written, refused = golden.update(path, only=["task:denoise"])
    assert refused == ["task:denoise"] and written == []
    assert golden.load(path)["task:denoise"] == STORED["task:denoise"]  # untouched


@pytest.mark.slow  # 12 s: runs the golden suite in a subprocess
def test_the_suite_fails_when_a_number_moves_without_a_bump(tmp_path):
    """End to end: pytest itself, with denoise's output nudged by a plugin, fails on the golden test."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "nudge_denoise.py").write_text(
        "from tasks.denoise import Denoise\n"
        "_real = Denoise.degrade\n"
        "Denoise.degrade = lambda self, clean, g: _real(self, clean, g) + 1e-3\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(root)]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "nudge_denoise", "-k",
                           "test_golden_numbers and denoise", str(root / "tests" / "test_golden.py"),
                           "-p", "no:cacheprovider"],
                          capture_output=True, text=True, cwd=root, env=env, timeout=300)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "numbers moved at unchanged version" in proc.stdout

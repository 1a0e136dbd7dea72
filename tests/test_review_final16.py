"""Review of the merged final16 tree: what crosses the areas each branch fixed."""

from __future__ import annotations


def test_the_overlap_check_runs_once_per_grid_while_it_is_planned_never_in_a_run(tmp_path, monkeypatch):
    """probe-data16's turned-crop look-ups doubled the overlap check (the standard profile's 2.5 → 4.7 s CPU; 2.7 →
    11.8 s with a large test side), which the README gives as a cost paid once per grid, while it is planned: one call
    per (training, test) pair, however many tasks, losses and seeds, and none by the runner that workers run."""
    import numpy as np
    import torch
    from PIL import Image

    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import build_configs
    from benchmark.data import DataCache
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    rng = np.random.default_rng(0)
    for side in ("train", "test"):
        (tmp_path / side).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(tmp_path / side / f"{i}.png")
    calls = []
    real = DataCache.overlap

    def counted(self, train, test):
        calls.append((train, test))
        return real(self, train, test)

    monkeypatch.setattr(DataCache, "overlap", counted)
    spec = grid_spec(build_parser().parse_args(
        ["run", "--tasks", "denoise", "deblur", "--losses", "l1", "l2", "--seeds", "0", "1", "--iterations", "1",
         "--batch-size", "1", "--crop", "16", "--metrics", "psnr", "--device", "cpu",
         "--train-data", str(tmp_path / "train"), "--test-data", str(tmp_path / "test")]))
    data = DataCache()
    configs, metrics, dev = build_configs(spec, data)
    assert len(configs) == 8 and len(calls) == 1, calls

    def refused(self, train, test):
        raise AssertionError("the overlap check ran again outside planning")

    monkeypatch.setattr(DataCache, "overlap", refused)
    summary = run_grid(configs[:1], ResultsStore(tmp_path / "r"), metrics, torch.device(dev), data=DataCache())
    assert summary.trained == 1

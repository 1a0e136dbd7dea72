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


def test_a_rerun_over_a_newer_plbench_s_runs_says_to_update_as_compare_does(tmp_path, caplog):
    """probe-store16 (517e395) had `plbench compare` on a field made by a later plbench release than this checkout
    say to update plbench (re-running the field here makes it again with older code, the colleague's runs unused),
    while `plbench run` on the same store still said of those runs only that 'the code that computes the numbers
    changed': not reused, trained again — the older code retraining the newer's grid, with no word of updating."""
    import logging

    from benchmark.cli import _warn_runs_kept_apart
    from benchmark.config import RunConfig, code_version, resolve
    from benchmark.results import ResultsStore

    grid = [resolve(RunConfig(task="denoise", loss="l1", seed=s)) for s in (0, 1)]
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for c, (rid, version) in zip(grid, (("a" * 16, "99.0.0+c999"), ("b" * 16, "0.0.1+c0"))):
        store.write_meta(rid, {"run_id": rid, "status": "ok", "config": c.to_dict(), "code_version": version})
    with caplog.at_level(logging.WARNING):
        _warn_runs_kept_apart(store, grid)
    newer = [r.getMessage() for r in caplog.records if "99.0.0+c999" in r.getMessage()]
    older = [r.getMessage() for r in caplog.records if "0.0.1+c0" in r.getMessage()]
    assert len(newer) == 1 and "newer plbench" in newer[0] and "update plbench" in newer[0], newer
    assert code_version() in newer[0] and "computes the numbers changed" not in newer[0], newer
    assert len(older) == 1 and "computes the numbers changed" in older[0] and "update" not in older[0], older

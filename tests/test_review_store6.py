"""Review of the store6 changes (merge's source locks, damaged/ moves): each test failed before its fix."""

from __future__ import annotations

import logging
import threading

import pytest
import torch

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def _a_run(store, k=0):
    return [r for r in store.run_ids() if not r.startswith("input")][k]


def _tiny_grid(random_images):
    from benchmark.config import RunConfig
    from benchmark.runner import resolve_all

    data = random_images(3, 40)
    return resolve_all([RunConfig(task="denoise", loss="l1", iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,))])


def test_a_worker_waits_for_a_merge_reading_its_run_instead_of_leaving_it_undone(tmp_path, random_images, caplog):
    """``merge`` reads each finished or failed run of its source under that run's lock. A worker there that
    wanted the run meanwhile (re-scoring it on a new metric, retrying a failure) found it held, tried once
    more at the end of its grid and left it "to that process": merge, which never trains or scores. The run
    stayed undone, exit 0. A lock taken to read for a merge now says so, and a worker waits for it (it is
    held for one run's copy) and then does the run."""
    from benchmark.config import run_id
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    node = ResultsStore(tmp_path / "node2")
    cpu = torch.device("cpu")
    run_grid([cfg], node, ("psnr",), cpu, progress=False)
    rid = run_id(cfg)
    reading = node.lock_to_read(rid)  # a merge on another node is copying the run
    assert reading is not None and not isinstance(reading, str)
    timer = threading.Timer(1.5, reading.release)
    timer.start()
    try:
        with caplog.at_level(logging.INFO):
            s = run_grid([cfg], ResultsStore(node.root), ("psnr", "ssim"), cpu, progress=False)
    finally:
        timer.cancel()
        reading.release()
    assert s.locked == 0 and s.rescored == 1, s
    assert "ssim" in ResultsStore(node.root).metrics_scored(rid)
    assert "merge" in caplog.text and "waiting" in caplog.text, caplog.text

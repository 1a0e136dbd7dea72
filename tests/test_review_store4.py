"""Review of the store4 commits (results-store changes): each test failed before its fix."""

from __future__ import annotations

from benchmark.results import ResultsStore, RunLock, atomic_write_json
from benchmark.synthetic import write_store


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_merge_keeps_a_run_that_finished_here_while_it_waited_for_the_lock(tmp_path):
    """``merge_from`` judged "finished here?" before taking the run's lock: a run a local worker finished
    between that look and the lock was set aside to ``damaged/`` as if unfinished and replaced by the
    other node's copy (reported ``replaced``). It is judged again under the lock: kept, untouched."""
    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = next(r for r in node1.run_ids() if not r.startswith("input"))
    mine = {**node1.meta(rid), "node": 1}
    (node1.run_dir(rid) / "meta.json").unlink()  # a worker is still evaluating it here
    dst = ResultsStore(node1.root)

    def lock_after_the_worker_finished(run_id):
        if run_id == rid:  # the worker writes its record and lets go of the lock just before merge takes it
            atomic_write_json(dst.run_dir(rid) / "meta.json", mine)
        return RunLock.acquire(dst.run_dir(run_id) / ".lock")

    dst.lock = lock_after_the_worker_finished
    got = dst.merge_from(ResultsStore(node2.root))
    assert rid in got["kept"] and rid not in got["replaced"], got
    assert dst.meta(rid)["node"] == 1 and not (dst.run_dir(rid) / "damaged").exists()
    assert dst.check() == {}

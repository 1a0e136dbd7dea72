"""Review of the drivers' round 27 (tests/test_probe_drivers27.py's commits): what the review found and mended."""
from __future__ import annotations


def test_the_dry_run_resumes_a_run_from_the_checkpoint_check_and_the_lost_workers_line_read_first(tmp_path):
    """Review f00b648b: resumes_at read a half-batch retry's ``ckpt-b<n>.pt`` wherever the run's ``ckpt.pt`` gave no
    iteration — one cut short or another run's too — so the dry run and the ETA took its iterations off while
    ``plbench check``, the stopped note and the lost-workers line (results.first_checkpoint: ``ckpt.pt`` first, its
    first try restores it) said the run trains again from iteration 0 → resumes_at reads the checkpoint
    first_checkpoint names, the one rule: a retry's ``ckpt-b<n>.pt`` where the run has no ``ckpt.pt``."""
    from test_probe_drivers27 import _half_batch_checkpoint

    from benchmark.checkpoint import CheckpointPolicy, resumes_at
    from benchmark.config import RunConfig
    from benchmark.executors import _checkpoint_counts
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", iterations=40, batch_size=4, crop=32)
    rid = _half_batch_checkpoint(store, cfg, 30)
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 30  # ckpt-b2.pt alone: resumed there
    (store.run_dir(rid) / "ckpt.pt").write_bytes(b"cut short")
    assert _checkpoint_counts([cfg], store.root) == (0, 1)  # the lost-workers line: trains again from iteration 0
    assert resumes_at(store, rid, cfg, CheckpointPolicy()) == 0
    assert GridProgress(store, [cfg])._resumes_at(rid) == 0


def test_a_step_floored_to_a_time_measured_on_a_busy_machine_is_marked(tmp_path, monkeypatch):
    """Review b115fa66: the table marks a cell whose own step times were measured now under contention, but a step is
    never estimated below ℓ1's (nor a weighted sum below its dearest term): l2's time kept from a free machine
    (10 ms), floored to ℓ1's measured now on a busy one (20 ms), read 20.0 unmarked — the very busy number the mark
    is for → a cell raised to a floor timed busy is marked too; one whose floor did not raise it is not."""
    import pytest
    from test_probe_drivers27 import _estimated_with_busy_steps

    est = _estimated_with_busy_steps(tmp_path, monkeypatch, ("l1", "l2", "ssim"), {"l2": 0.010, "ssim": 0.030})
    assert est["ms_per_step"] == {"l1": {"denoise": pytest.approx(20.0)}, "l2": {"denoise": pytest.approx(20.0)},
                                  "ssim": {"denoise": pytest.approx(30.0)}}
    assert est["ms_busy"] == {"l1": {"denoise"}, "l2": {"denoise"}}  # ssim's own 30 ms: kept, above the floor


def test_a_job_given_up_soon_after_its_end_is_not_said_to_have_ended_over_30_min_ago(caplog):
    """Review 20ad0b76: the give-up clock starts at the earlier of the driver's first sight and sacct's End, so a job
    read in a state the driver does not know while it ran, which ended 5 min before its 30 min were up, was given up
    with "sacct says it ended at <5 min ago> …, over 30 min ago" → where sacct's End is under SLURM_UNKNOWN_S ago,
    the line says the driver has read the state for over 30 min (its own clock), as before 20ad0b76."""
    import time

    import benchmark.executors as ex

    class Job:
        job_id = "1000_0"

        def cancel(self, check=False):
            pass

    with caplog.at_level("WARNING", logger="benchmark.executors"):
        ex._give_up(Job(), "FANCY_NEW_STATE", None, time.time() - 300)
        ex._give_up(Job(), "FANCY_NEW_STATE", None, time.time() - 2 * ex.SLURM_UNKNOWN_S)
    recent, old = [r.getMessage() for r in caplog.records]
    assert "has read it FANCY_NEW_STATE" in recent and "for over 30 min" in recent and "ago" not in recent, recent
    assert "sacct says it ended at" in old and "over 30 min ago" in old, old

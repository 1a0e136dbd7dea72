"""Probe of the overnight run (session 24): what the stopped drivers say, the spill folder, the dry run's reads of old
checkpoints, and the faults of a night found fresh."""
from __future__ import annotations

from test_probe_overnight23 import _driver_fails, _endless_ray


def test_a_ray_connection_lost_while_the_stopped_driver_waits_is_said(tmp_path, monkeypatch):
    """A Ctrl-C'd Ray driver said 'waiting up to 120 s for 2 ray tasks to checkpoint and stop' and then, its connection
    to Ray lost during that wait, nothing more: the user could not tell whether the tasks stopped, or still trained
    into the store. A line now says the connection was lost, that whether they stopped is not known, how to see them
    and that the same command resumes their runs."""
    ray = _endless_ray(stubborn=True)
    ray.up = True  # the user's own instance

    def lost(refs, num_returns=1, timeout=None):
        if timeout:  # the grace wait (the driver's own polls wait with no timeout or a short one)
            raise ConnectionError("GCS connection lost\nmore of Ray's text")
        return [], list(refs)

    import benchmark.executors as ex

    real_stop = ex._stop_ray_tasks

    def stop(r, refs, exc, checkpoint):
        r.wait = lost
        return real_stop(r, refs, exc, checkpoint)

    monkeypatch.setattr(ex, "_stop_ray_tasks", stop)
    raised, said = _driver_fails(tmp_path, monkeypatch, ray, KeyboardInterrupt(), seeds=(0, 1))
    assert isinstance(raised, KeyboardInterrupt), raised
    assert "waiting up to" in said, said
    tail = said[said.index("waiting up to"):]
    assert "connection to Ray was lost" in tail and "GCS connection lost" in tail and "more of Ray" not in tail, said
    assert "2 ray tasks" in tail and "same command" in tail, said

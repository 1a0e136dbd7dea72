"""Mends of repeated work and duplicated helpers (review of the session's diff): one helper, one behaviour each."""


def _cheap_config(seed: int = 0):
    """A denoise ℓ1 config on the embedded photos, not resolved (no image decoded)."""
    from benchmark.config import RunConfig
    from benchmark.data import DataSpec

    return RunConfig(task="denoise", loss="l1", seed=seed, iterations=2, crop=16, batch_size=1,
                     train_data=(DataSpec.parse("skimage:train", role="train"),),
                     test_data=(DataSpec.parse("skimage:test", role="test"),))


def test_a_remote_and_a_local_workers_hang_are_looked_up_by_one_helper(tmp_path, monkeypatch):
    """Was: executors._lost (a remote job's line) and _hang_said (a local worker's) each wrapped the lazy imports and
    runner.hang_recorded in their own swallow-all try — a merge lost one copy's helper (a NameError). Now both go
    through _hang_found: each worker's runs and those it took over, and the grid's id;
    a store unreadable here leaves each line as it was."""
    import dataclasses

    from benchmark import executors, runner

    cfg = _cheap_config()
    other = dataclasses.replace(cfg, seed=1)
    calls = []

    def recorded(store, configs, since, grid_id="", worker="", taken=(), pid=None, pid_grid=""):
        calls.append((list(configs), since, grid_id, list(taken)))
        return "its hung run x recorded failed"

    monkeypatch.setattr(runner, "hang_recorded", recorded)
    unit = executors.WorkUnit((cfg,), str(tmp_path / "r"), ("psnr",), "cpu", steal=(other,), since=5.0, grid_id="g1")
    lost = executors._lost(unit, "job 7_1 ended without a result")
    assert lost["hung"] and "its hung run x" in lost["error"]
    assert executors._hang_said(unit, 7.0) == "its hung run x recorded failed"
    # both: the worker's share, and the runs it took over where their record names it (test_probe_overnight17)
    # a local worker by time alone (test_review_overnight17: one started again is not named for its predecessor's)
    assert calls == [([cfg], 5.0, "g1", [other]), ([cfg], 7.0, "", [other])]
    assert "hung" not in executors._lost(dataclasses.replace(unit, since=None), "job")  # no grid start: not looked up
    assert len(calls) == 2

    def unreadable(*a, **k):
        raise OSError("store unreadable")

    monkeypatch.setattr(runner, "hang_recorded", unreadable)
    assert executors._lost(unit, "job 7_1") == {"error": "job 7_1", "user": False, "lost": True}
    assert executors._hang_said(unit, 7.0).startswith("no record of the hang found")


def test_the_inputs_scoring_reads_their_stall_mark_once(tmp_path, monkeypatch, caplog):
    """Was: runner._score_input asked _hung_in_this_grid, which read the inputs' .stalled mark, then read it again on
    the next line. Now it reads the mark once and passes it: a mark of this grid skips the scoring (True), an
    earlier command's leaves it to the grid's end (False) — one read each."""
    import types

    from benchmark import runner

    reads = []
    marks = {"this": {"at": 10.0, "error": "hung here", "grid_id": "g1"}, "earlier": {"at": 1.0, "grid_id": "g0"}}
    which = []

    def stall_mark(store, rid):
        reads.append(rid)
        return marks[which[-1]]

    monkeypatch.setattr(runner, "stall_mark", stall_mark)
    grid = types.SimpleNamespace(store=None, since=5.0, grid_id="g1")
    task = types.SimpleNamespace(name="denoise", params={})
    which.append("this")
    caplog.set_level("ERROR")
    assert runner._score_input(grid, task, "1", (), "", []) is True
    assert len(reads) == 1 and "hung here" in caplog.text
    which.append("earlier")
    assert runner._score_input(grid, task, "1", (), "", []) is False
    assert len(reads) == 2


def test_torch_threads_gives_the_count_back_after_an_exception_and_changes_nothing_when_not_asked(monkeypatch):
    """Was: four hand-written 'set torch's threads, give them back in a finally' (cli's dry run, executors' run_unit
    and execute_local, data's one-thread planning). Now one context manager, devices.torch_threads: the count set
    inside, given back on the way out — an exception's too — and no call to torch at all where none is asked (0, None)
    or the count asked is already this process's."""
    import pytest
    import torch

    from benchmark.devices import torch_threads

    before = torch.get_num_threads()
    other = 1 if before != 1 else 2
    with pytest.raises(RuntimeError, match="boom"), torch_threads(other):
        assert torch.get_num_threads() == other
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before

    sets = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: sets.append(n) or real(n))
    for n in (None, 0, before):
        with torch_threads(n):
            assert torch.get_num_threads() == before
    assert sets == []

    @torch_threads(other)  # as a decorator (data's planning: @torch_threads(1)), each call on its own
    def inside():
        return torch.get_num_threads()

    assert inside() == other and inside() == other and torch.get_num_threads() == before
    assert sets == [other, before, other, before]

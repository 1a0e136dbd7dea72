"""Review of the cost and overnight areas' changes of 2026-12-07 (tests/test_probe_cost21.py,
tests/test_probe_overnight21.py): what the review found still wrong."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import scipy.stats  # noqa: F401 - the statistics' own import, at collection rather than in the first test's time

from benchmark import stats as S


def _two_task_store(monkeypatch):
    """l1 and l2, 3 runs each on denoise and on sr4, 1 CPU thread: l1's denoise runs timed with the core free
    (10 ms/it), its sr4 runs all while other work held it (50 ms/it at 0.2 of a core); l2's all free (20 and 40)."""
    from benchmark.synthetic import synthetic_runs

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    ms = {("l1", "denoise"): 10.0, ("l1", "sr4"): 50.0, ("l2", "denoise"): 20.0, ("l2", "sr4"): 40.0}
    metas = []
    for _, meta, _rows in synthetic_runs(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(3),
                                         metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:
            key = (meta["config"]["loss"], meta["config"]["task"])
            meta = {**meta, "device": "cpu", "device_name": "AMD EPYC", "threads": 1, "timing_excluded": {},
                    "ms_per_it": ms[key], "cpu_share": 0.2 if key == ("l1", "sr4") else 0.95}
        metas.append(meta)
    return metas


def test_a_loss_s_overall_ms_per_it_keeps_a_task_whose_runs_were_all_timed_busy(monkeypatch):
    """Was (probe-cost's 86214c12): the overall row chose the runs timed with the cores free per kind of device over
    all of a loss's tasks, so l1, free on denoise (10 ms/it) and busy on every sr4 run (50), was charged denoise's
    10 alone — its sr4 runs dropped from 'its median over the tasks it trained on' while l2's counted both (30): l1
    read 3× cheaper than l2 on a mix of tasks no other loss's figure is of. Now the free runs are chosen per task (and
    kind of device), as the per-task table and the dry run's check (per loss and task) choose them: a task with no
    free run keeps its busy runs, which the note says read high."""
    from benchmark.export import reads_high_cost_lines

    costs, task_costs = S.cost_table(_two_task_store(monkeypatch))
    costs, task_costs = costs.set_index("label"), task_costs.set_index(["task", "label"])
    assert task_costs.loc[("sr4", "l1"), "ms_per_it"] == 50.0 and task_costs.loc[("sr4", "l1"), "busy_left_out"] == 0
    assert costs.loc["l1", "ms_per_it"] == 30.0 == costs.loc["l2", "ms_per_it"], costs
    assert (costs.loc["l1", "ms_per_it_low"], costs.loc["l1", "ms_per_it_high"]) == (10.0, 50.0)
    assert costs.loc["l1", "timed_busy"] == 3 and costs.loc["l1", "busy_left_out"] == 0
    text = " ".join(reads_high_cost_lines(SimpleNamespace(costs=costs.reset_index())))
    assert "reads high" in text and "left out" not in text, text


def test_the_busy_note_gives_each_loss_its_own_count_where_some_are_left_out_and_some_kept(monkeypatch):
    """Was (probe-cost's 86214c12): with l1's 2 busy runs left out of its median (it has a free one) and l3's 3 kept
    (it has none), the note read 'left out of the median of l1, which has runs timed with the cores free (2 runs)':
    the count of the runs left out read as l1's free runs (it has 1), and 'l3, which has none' was untrue of a loss
    with a task of free runs beside one without (the median is chosen per task). Now each loss carries its own count
    where some are left out and some kept, and the kept ones are said to have no run of the same task timed free."""
    from benchmark.export import reads_high_cost_lines
    from benchmark.synthetic import synthetic_runs

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas, n = [], {"l1": 0, "l2": 0, "l3": 0}
    for _, meta, _rows in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3, "l3": 0.2},
                                         seeds=range(3), metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:
            loss = meta["config"]["loss"]
            busy_run = loss == "l3" or (loss == "l1" and n[loss] < 2)
            n[loss] += 1
            meta = {**meta, "device": "cpu", "device_name": "AMD EPYC", "threads": 1, "timing_excluded": {},
                    "ms_per_it": 50.0 if busy_run else 10.0, "cpu_share": 0.2 if busy_run else 0.95}
        metas.append(meta)
    text = " ".join(reads_high_cost_lines(SimpleNamespace(costs=S.cost_table(metas)[0])))
    assert "left out of the median of l1 (2 runs), which has runs timed with the cores free on the same task" in text
    assert "in the median of l3 (3 runs), with no run of the same task timed free, so it reads high" in text, text
    assert "cores free (2 runs)" not in text, text


def test_a_checkpoint_a_live_run_holds_under_another_id_is_not_said_stopped_nor_to_be_removed(tmp_path, caplog):
    """Was (probe-overnight's 282e9850): every run folder of another id holding a checkpoint and no meta.json was said
    'stopped with a checkpoint … trained from the start … remove it once not needed' — a run training right now under
    its old id (the night's grid, started before the --loss-file was edited, while a dry run of the edited file is
    planned beside it) too: the user was told to remove a live run's checkpoint. Now a folder whose lock a live
    process holds is left out (held_as_far_as_known, as ResultsStore.superseded leaves it out), and said once it has
    stopped."""
    import torch

    from benchmark.checkpoint import FORMAT
    from benchmark.cli import _warn_runs_kept_apart
    from benchmark.config import RunConfig, code_version, resolve
    from benchmark.results import ResultsStore

    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4000, batch_size=2, crop=32, seed=0))
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    old = store.run_dir("0123456789abcdef")
    old.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {"config": cfg.to_dict(), "code_version": code_version()},
                "iteration": 2500, "progress": {}}, old / "ckpt.pt")
    lock = store.lock(old.name)  # the night's grid training it now
    try:
        with caplog.at_level(logging.WARNING):
            _warn_runs_kept_apart(store, [cfg])
        assert not [r for r in caplog.records if "checkpoint" in r.getMessage()], caplog.text
    finally:
        lock.release()
    with caplog.at_level(logging.WARNING):  # stopped since: said
        _warn_runs_kept_apart(store, [cfg])
    assert [r for r in caplog.records if "stopped with a checkpoint" in r.getMessage()], caplog.text


def test_a_ray_driver_interrupted_twice_leaves_no_claim_folder(tmp_path, monkeypatch):
    """Was (probe-overnight's 0f605dbe): the Ray driver removed its grid's claim folder on the way out only when its
    first interrupt's grace wait ran to its end; the second Ctrl-C its own warning invites ('interrupt again to stop
    now'), or any other error of the driver, ended it with the folder left in the temp folder. Now it is removed
    however the driver ends before _collect, as the local driver removes it."""
    import tempfile
    import types

    import pytest

    from benchmark import executors
    from benchmark.config import RunConfig, resolve

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    calls = []

    class FakeRay:
        exceptions = types.SimpleNamespace(RayError=RuntimeError)
        up = False

        def is_initialized(self):
            return self.up

        def init(self, **kw):
            self.up = True

        def shutdown(self):
            self.up = False

        def cluster_resources(self):
            return {"CPU": 2.0}

        def remote(self, **opts):
            return lambda fn: types.SimpleNamespace(remote=lambda unit: unit.tag)

        def cancel(self, ref):
            pass

        def wait(self, refs, num_returns=1, timeout=None):  # Ctrl-C while polling, again while waiting for the stop
            calls.append(timeout)
            assert list((tmp_path / "tmp").glob("plbench-said-*")), "the grid's claims open while its tasks run"
            raise KeyboardInterrupt

    monkeypatch.setattr(executors, "_require", lambda module, extra: FakeRay())
    monkeypatch.setattr(executors, "_ray_output_settled", lambda: None)
    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    with pytest.raises(KeyboardInterrupt):
        executors.execute_ray([cfg], tmp_path / "r", ("psnr",), "cpu", workers=1)
    assert len(calls) == 2 and not list((tmp_path / "tmp").iterdir()), (calls, list((tmp_path / "tmp").iterdir()))


def test_building_a_grid_s_units_writes_nothing_to_the_temp_folder(tmp_path, monkeypatch):
    """Was (probe-overnight's 554261c7): _units, which builds a Ray or SLURM grid's units, opened the grid's claim
    folder in the temp folder as a side effect — for a SLURM grid too, whose jobs (own_log) never claim into it and
    whose driver, unlike the local and Ray ones (0f605dbe), left it behind when stopped before _collect; and every
    test that builds units to inspect them (test_review_overnight6, test_probe_overnight, …: 14 folders a run) left
    one in the machine's /tmp. Now the Ray driver opens its claims as its tasks start; building units writes
    nothing, and a SLURM grid opens none."""
    import tempfile

    from benchmark import executors
    from benchmark.config import RunConfig, resolve

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cfg = resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32, seed=0))
    args = ([cfg], 1, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), None, 1)
    assert executors._units(*args, own_log=True)[0].own_log and executors._units(*args)[0].grid_id
    assert not list((tmp_path / "tmp").iterdir())

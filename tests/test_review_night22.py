"""Review of the store, overnight and data areas' fixes of day 22 (test_probe_store22, test_probe_overnight22,
test_probe_data22): what those fixes left of their defects' categories."""

from __future__ import annotations

import pytest
from test_probe_overnight22 import _grid, _ray_stopped_at_its_second_task, _said_when_stopped

NO_USER = "~no_such_user_x"


@pytest.mark.parametrize("argv", [
    ["check", "--out", f"{NO_USER}/res"],
    ["report", "--out", f"{NO_USER}/res"],
    ["run", "--dry-run", "-q", "--loss-file", f"{NO_USER}/my.py"],
    ["run", "--dry-run", "-q", "--out", f"{NO_USER}/res"],
    ["run", "--dry-run", "-q", "--backbone-weights", f"{NO_USER}/enc.pt"],
    ["run", "--dry-run", "-q", "--config", f"{NO_USER}/grid.yaml"],
], ids=["check-out", "report-out", "loss-file", "run-out", "backbone-weights", "config"])
def test_a_path_flag_under_the_home_of_a_user_this_machine_has_not_is_one_line_not_an_internal_error(
        tmp_path, monkeypatch, capsys, argv):
    """test_probe_data22 made a data source under ``~name`` of a user this machine has not one line; every other path
    a user types (``--out``, ``--loss-file``, ``--backbone-weights``, ``--config``) still reached pathlib's
    expanduser, whose RuntimeError('Could not determine home directory.') was printed as 'internal error' (exit 1)
    → one line naming the missing user and the folder of one's own home it may mean, exit 2."""
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err, err
    assert "no user 'no_such_user_x'" in err and f"~/no_such_user_x/{argv[-1].split('/', 1)[1]}" in err, err


def test_a_merge_source_under_the_home_of_a_user_this_machine_has_not_is_named_as_the_source(tmp_path, monkeypatch,
                                                                                             capsys):
    """The same for a store to merge: named as the merge source (it read '--out ~photos/node'), and the other
    sources merged all the same."""
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["merge", f"{NO_USER}/node", "--out", str(tmp_path / "res")])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err and "--out" not in err, err
    assert f"merge source {NO_USER}/node: there is no user 'no_such_user_x'" in err, err


def test_a_stopped_slurm_driver_counts_a_failed_run_its_jobs_retry_as_one_not_begun(tmp_path):
    """test_probe_overnight22's stop line counted a run as in progress (its folder made, not finished) or not begun
    (no folder): a failed run an earlier command left, which the cancelled job was to retry (the same command retries
    it), was neither, so a stop whose jobs held only such runs said 'every run of the cancelled jobs is finished' —
    the next command trains them from iteration 0. Counted as not begun now (in progress where its folder holds a
    checkpoint to resume from)."""
    import json

    from benchmark.config import run_id
    from benchmark.executors import _cancelled_said
    from benchmark.results import ResultsStore

    configs = _grid((0, 1))
    store = ResultsStore(tmp_path / "r")
    for c in configs:
        d = store.run_dir(run_id(c))
        d.mkdir(parents=True)
        (d / "meta.json").write_text(json.dumps({"run_id": run_id(c), "status": "failed", "error": "boom",
                                                     "config": c.to_dict()}))
    assert store.meta(run_id(configs[0]))["status"] == "failed"
    said = _cancelled_said(configs, store.root)
    assert "finished" not in said and "2 runs not begun yet" in said and "in progress" not in said, said
    (store.run_dir(run_id(configs[1])) / "ckpt.pt").write_bytes(b"x")
    said = _cancelled_said(configs, store.root)
    assert "1 run not begun yet" in said and "1 run in progress" in said, said


def test_a_local_driver_stopped_while_it_reads_the_store_for_its_progress_line_closes_the_shared_images(
        tmp_path, monkeypatch):
    """test_probe_overnight22 closed the file of the images the local driver shares with its workers when it was
    stopped while planning them; the progress line's store read after that (GridProgress: every record of a big store,
    seconds on NFS), before the workers start, was outside both tries — a Ctrl-C there kept the file (up to the
    decoded set's size) open, for good in a long-lived process. Closed there too."""
    import tempfile

    import benchmark.executors as ex
    import benchmark.progress as progress

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(ex, "check_local_memory", lambda *a, **k: None)
    monkeypatch.setattr(ex, "_holdouts", lambda *a: ())
    monkeypatch.setattr(ex, "_overlaps", lambda *a: ())

    def reading(*a, **k):
        raise KeyboardInterrupt  # Ctrl-C while the progress line reads the store

    monkeypatch.setattr(progress, "GridProgress", reading)
    shared = tempfile.TemporaryFile()

    class Data:  # the driver's decoded images, written for its workers to map
        def share(self, specs):
            return shared, ("/proc/self/fd/0", ())

    with pytest.raises(KeyboardInterrupt):
        ex.execute_local(_grid((0, 1)), tmp_path / "r", ("psnr",), "cpu", workers=2, logger="none", data=Data())
    assert shared.closed
    assert not list((tmp_path / "tmp").glob("plbench-said-*"))


@pytest.mark.parametrize("off", [False, True], ids=["checkpoints", "no-checkpoints"])
def test_a_stopped_ray_driver_says_no_checkpoint_is_saved_with_checkpoints_off(tmp_path, monkeypatch, off):
    """test_probe_overnight22 made the local and SLURM drivers' stop lines say that with --checkpoint-every 0
    --checkpoint-seconds 0 a run in progress starts again from iteration 0; the Ray driver, whose tasks run the local
    worker's code (no checkpointer with checkpoints off), still said 'waiting up to 30 s for N ray tasks to checkpoint
    and stop'. It says checkpoints are off now; with them on, the line is as it was."""
    import tempfile

    import benchmark.executors as ex
    from benchmark.checkpoint import CheckpointPolicy

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    ray = _ray_stopped_at_its_second_task()
    monkeypatch.setattr(ex, "_require", lambda module, extra: ray)
    monkeypatch.setattr(ex, "check_local_memory", lambda *a, **k: None)
    policy = CheckpointPolicy(every=0, seconds=0) if off else CheckpointPolicy()
    said = _said_when_stopped(lambda: ex.execute_ray(_grid((0, 1)), tmp_path / "r", ("psnr",), "cpu", split="run",
                                                     logger="none", checkpoint=policy), "waiting")
    if off:
        assert "to checkpoint" not in said and "checkpoints are off" in said and "iteration 0" in said, said
    else:
        assert "1 ray task to checkpoint and stop" in said, said


def test_compare_leaves_out_a_failure_superseded_since_as_the_report_does(tmp_path, monkeypatch):
    """test_probe_store22 left a failed run whose config finished since under another id (its --loss-file fixed) out
    of the report, the findings, check and merge; `plbench compare` — the command a --loss-file is fixed for — still
    counted it on its board: 'good (denoise: failed 1/3) … findings give its parts no verdict (missing runs)'. Its
    board reads the records as the report does now; a failure nothing finished since is still counted."""
    from test_probe_store22 import _failed_before_success

    from benchmark import figures
    from benchmark.compare import _summary

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the notes are tested, not the figure
    for later in (False, True):
        store, failed, ok = _failed_before_success(tmp_path / str(later), failed_later=later)
        done = [m for m in store.metas() if m.get("kind") != "input" and m.get("status") == "ok"]
        text, _ = _summary(store, {"denoise": done}, ["good"], {"denoise": []}, 0.05, 50, "l1", ())
        if later:
            assert "failed 1/3" in text, text
        else:
            assert "failed 1/" not in text and "missing runs" not in text and "1+7468392937a3" not in text, text

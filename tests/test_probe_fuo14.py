"""Probe of overnight follow-ups (session 14, fuo): each test failed on the code before its fix."""

from __future__ import annotations

import pytest


def test_a_full_disk_in_any_worker_decides_the_exit_code_over_another_workers_bug_or_bad_input(caplog):
    """When several workers failed, the first one's error decided the grid's exit code: a bug in w0 (internal error,
    exit 1) or a refusal in it (exit 2) hid w1's full disk, whose documented code is 3 (free space, run the same
    command). The error the README ranks first decides now — full disk (3), then bad input (2), then a bug (1) — and
    each other error is still said in its own line."""
    import logging

    from benchmark import executors
    from benchmark.errors import UserError

    disk = {"error": "disk full while writing x (No space left on device)", "user": True, "exit_code": 3,
            "worker": "w1"}
    bug = {"error": "ZeroDivisionError: division by zero", "user": False, "worker": "w0"}
    bad = {"error": "the loss file l.py was edited since the grid was planned", "user": True, "worker": "w2"}
    with caplog.at_level(logging.ERROR, logger="benchmark"), pytest.raises(UserError) as exc:
        executors._raise_failures([bug, bad, disk], "workers")
    assert exc.value.exit_code == 3 and str(exc.value).startswith(disk["error"]), str(exc.value)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(bug["error"] in s for s in said) and any(bad["error"] in s for s in said), said
    with pytest.raises(UserError) as exc:  # no disk full: bad input before a bug
        executors._raise_failures([bug, bad], "workers")
    assert exc.value.exit_code == 2 and str(exc.value).startswith(bad["error"]), str(exc.value)


def _cheap_config(seed: int = 0):
    """A denoise ℓ1 config on the embedded photos, not resolved (no image decoded: its run id all the same)."""
    from benchmark.config import RunConfig
    from benchmark.data import DataSpec

    return RunConfig(task="denoise", loss="l1", seed=seed, iterations=2, crop=16, batch_size=1,
                     train_data=(DataSpec.parse("skimage:train", role="train"),),
                     test_data=(DataSpec.parse("skimage:test", role="test"),))


def _store_with_runs_in_flight(tmp_path):
    """A synthetic store, two runs of another command in flight (their locks held, no record yet), and a run whose
    process died (its lock file left, held by nobody): (store, the held locks, the runs in flight)."""
    import socket

    from benchmark.results import RunLock
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=3, metrics=("psnr",),
                        budget_check=False)
    training = ["0123456789abcdef", "fedcba9876543210"]
    held = [RunLock.acquire(store.run_dir(rid) / ".lock") for rid in training]
    (store.run_dir("00000000deadbeef")).mkdir()
    (store.run_dir("00000000deadbeef") / ".lock").write_text(f"pid 999999999 on {socket.gethostname()} since 01:00")
    return store, held, training


def test_the_runs_another_process_trains_are_found_and_said_on_the_runs_last_line(tmp_path):
    """The runs a board written now would lack — another process's, in flight — are found without taking their
    locks (a taken lock would make that process leave its run), and the run's last line says how many of its grid's
    are still being trained (the slow test below: the board's note)."""
    from benchmark.cli import leaderboard_line
    from benchmark.report import in_flight_lines

    store, held, training = _store_with_runs_in_flight(tmp_path)
    try:
        assert set(store.in_flight()) == set(training) and set(store.in_flight(training[:1])) == set(training[:1])
        (note,) = in_flight_lines(store, store.in_flight())
        assert note.startswith("2 runs in this results directory were being trained by another process"), note
        line = leaderboard_line({"markdown": store.root / "leaderboard.md"}, store.in_flight(set(training[:1])))
        assert line.startswith("leaderboard: ") and "1 run of this grid is still being trained by" in line, line
    finally:
        for lock in held:
            lock.release()
    assert store.in_flight() == {}


@pytest.mark.slow  # two reports written (5-10 s on a loaded machine)
def test_a_board_written_while_another_process_trains_runs_says_how_many_are_not_in_it(tmp_path):
    """Two `plbench run` on one store at once: the first to finish wrote a leaderboard without the runs the other was
    still training, without a word — read in the morning after one command ended, a partial board looked whole. The
    board's notes now say how many runs another live process holds unfinished, and by whom; the run's last line (the
    leaderboard's) says how many of its own grid's runs are still being trained there."""
    from benchmark.report import write_report

    store, held, training = _store_with_runs_in_flight(tmp_path)
    try:
        paths = write_report(store, formats=(), visual=False, n_boot=50)
        md = paths["markdown"].read_text()
        (note,) = [line for line in md.splitlines() if "being trained" in line]
        assert "2 runs" in note and "another process" in note and "not in these tables" in note, note
        assert paths["html"].read_text().count("being trained by another process") == 1
    finally:
        for lock in held:
            lock.release()
    md = write_report(store, formats=(), visual=False, html=False, n_boot=50)["markdown"].read_text()
    assert "being trained" not in md  # the other command done: a whole board, no note


def test_the_drivers_line_on_a_worker_ended_by_a_hang_says_what_the_hang_recorded(tmp_path):
    """A local worker ended by a hang in C code (exit 75) was said 'ended with its hung run (recorded as failed)' by
    the driver whatever hung: a finished run's re-score or the degraded inputs' scoring is no failure — its rows are
    kept and a mark leaves it to the next command. The line says what the hang recorded now."""
    import dataclasses
    import json
    import time

    from benchmark import executors, runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, atomic_write_json

    cfg = _cheap_config()
    other = dataclasses.replace(cfg, seed=1)
    store = ResultsStore(tmp_path / "r")
    unit = executors.WorkUnit((cfg,), str(store.root), ("psnr",), "cpu", steal=(other,), tag="[w0]")
    since = time.time() - 1
    assert "no record of the hang" in executors._hang_said(unit, since)
    rid = run_id(cfg)
    atomic_write_json(store.run_dir(rid) / "meta.json", {"run_id": rid, "status": "ok", "config": cfg.to_dict(),
                                                         runner.RESCORE_STALLED: {"at": time.time(), "error": "hung"}})
    said = executors._hang_said(unit, since)
    assert said.startswith(f"its re-score of run {rid}") and "rows kept" in said and "failed" not in said, said
    (inputs,) = runner.input_groups([cfg]).values()
    store.run_dir(inputs).mkdir(parents=True)
    (store.run_dir(inputs) / runner.STALLED).write_text(json.dumps({"at": time.time(), "error": "hung"}))
    said = executors._hang_said(unit, since)  # the newest hang: the inputs'
    assert said.startswith("its scoring of denoise's degraded test inputs") and "failed" not in said, said
    time.sleep(0.02)
    atomic_write_json(store.run_dir(run_id(other)) / "meta.json", {
        "run_id": run_id(other), "status": "failed", "stalled": True, "config": other.to_dict(), "error": "hung",
        "worker": "w0"})  # in a run it took over: its record names it (test_probe_overnight17)
    said = executors._hang_said(unit, since)  # the newest hang: a run recorded failed
    assert said.startswith(f"its hung run {run_id(other)}") and "recorded failed" in said, said
    assert executors._hang_said(unit, time.time() + 5).startswith("no record")  # older than the worker: not its hang


@pytest.mark.slow  # two worker processes start (torch imported: 2-3 s each)
def test_a_worker_ended_by_a_hung_re_score_is_not_said_to_have_a_run_recorded_failed(tmp_path, caplog):
    """The same through the driver: a worker ended (exit 75) after its hang marked a finished run's re-score is
    started again in a line that names the re-score, not a run 'recorded as failed'; ended so once per run of its
    share, its error names the re-score too."""
    import logging

    from benchmark import executors, runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, atomic_write_json

    cfg = _cheap_config()
    store = ResultsStore(tmp_path / "r")
    meta = store.run_dir(run_id(cfg)) / "meta.json"
    atomic_write_json(meta, {"run_id": run_id(cfg), "status": "ok", "config": cfg.to_dict()})
    (tmp_path / "hangs.py").write_text(  # what stall_watch does for a re-score hung in C code, as the worker starts
        "import json, os, time\nfrom pathlib import Path\nfrom benchmark.results import atomic_write_json\n"
        f"p = Path({str(meta.with_name(runner.STALLED))!r})\n"
        "atomic_write_json(p, {'at': time.time(), 'error': 'hung'})\n"
        "os._exit(75)\n")
    unit = executors.WorkUnit((cfg,), str(store.root), ("psnr",), "cpu", tag="[w0]",
                              loss_files=(str(tmp_path / "hangs.py"),))
    with caplog.at_level(logging.WARNING, logger="benchmark"):
        results = executors._run_processes([unit], [{}])
    (warning,) = [r.getMessage() for r in caplog.records if "starting a worker in its place" in r.getMessage()]
    assert f"its re-score of run {run_id(cfg)}" in warning and "recorded as failed" not in warning, warning
    assert f"its re-score of run {run_id(cfg)}" in results[0]["error"] and "recorded failed" not in results[0]["error"]


def test_a_worker_failing_with_a_bug_keeps_the_nights_summary_for_its_last_lines(tmp_path):
    """A worker that failed with an internal error (a bug, not bad input) while the others trained on ended the grid
    in 'error: internal error: RuntimeError: a worker failed: …' alone: what the others trained and which runs failed
    were in no summary (a full disk's night got one, 9f2fa3c; a lost worker's too). The error carries the grid's
    summary now, counted as for those, and it names the worker."""
    from test_probe_faults import _finish

    from benchmark import executors
    from benchmark.results import ResultsStore

    configs, metrics = [_cheap_config(seed) for seed in (0, 1)], ("psnr",)
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    _finish(store, configs[0])
    survivor = {"summary": {"trained": 1, "skipped": 0, "rescored": 0, "failed": 0, "diverged": 0, "locked": 1,
                            "unscored": 0}}
    failed = {"error": "ZeroDivisionError: division by zero", "user": False, "worker": "w1"}
    with pytest.raises(RuntimeError) as err:
        executors._collect(configs, store.root, metrics, [survivor, failed], "workers")
    assert str(err.value) == "a worker (w1) failed: ZeroDivisionError: division by zero"
    summary = err.value.summary
    assert (summary.trained, summary.failed, summary.locked) == (1, 0, 1), summary


@pytest.mark.slow  # two runs trained (5 s)
def test_a_night_a_worker_ends_with_a_bug_sums_up_writes_its_board_and_ends_on_the_bug(tmp_path, monkeypatch, caplog,
                                                                                       capsys):
    """Through the CLI: the night's summary, then its board (the other workers' runs), then the bug's line, exit 1."""
    import dataclasses
    import logging

    from test_probe_overnight12 import _photos

    from benchmark import executors
    from benchmark.cli import main

    real = executors.EXECUTE["local"]

    def a_worker_with_a_bug(configs, store_root, metrics, device_spec, **opts):  # the last run was that worker's
        summary = real(configs[:-1], store_root, metrics, device_spec, **opts)
        bug = {"error": "ZeroDivisionError: division by zero", "user": False, "worker": "w1"}
        return executors._collect(configs, store_root, metrics, [{"summary": dataclasses.asdict(summary)}, bug],
                                  "workers")

    monkeypatch.setitem(executors.EXECUTE, "local", a_worker_with_a_bug)
    data = _photos(tmp_path)
    args = ["run", "--tasks", "denoise", "--losses", "l1", "l2", "--seeds", "0", "--iterations", "3", "--crop", "24",
            "--batch-size", "2", "--metrics", "psnr", "--train-data", str(data["train_data"][0]),
            "--test-data", str(data["test_data"][0]), "--device", "cpu", "--no-progress", "--no-budget-check",
            "--out", str(tmp_path / "r")]
    with caplog.at_level(logging.INFO, logger="benchmark"):
        assert main(args) == 1
    assert "trained 1, skipped 0 (already done), re-scored 0, diverged 0, failed 0, 1 unfinished" in caplog.text
    out, err = capsys.readouterr()
    assert "leaderboard: " in out and (tmp_path / "r" / "leaderboard.md").exists()
    assert err.strip().splitlines()[-1].startswith("error: internal error: WorkerFailed: a worker (w1) failed: "
                                                   "ZeroDivisionError"), err

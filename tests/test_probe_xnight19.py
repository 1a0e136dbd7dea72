"""Overnight leftovers: the 'again' wording and the broken-pipe guard of concurrent calls, a host's MemoryError,
dead workers' lines."""

from __future__ import annotations

import logging

import pytest


def test_two_killed_workers_say_the_oom_killer_clause_once(tmp_path, caplog):
    """Two workers killed by SIGKILL: 'worker a was killed by SIGKILL (the out-of-memory killer sends it, as does kill
    -9); worker b was killed by SIGKILL (the out-of-memory killer …)' said the clause once per worker."""
    from benchmark import executors

    results = [executors._died("w0", -9), executors._died("w1", -9), executors._died("w2", -15)]
    with caplog.at_level(logging.WARNING, logger="benchmark.executors"):
        executors._collect([], tmp_path, ("psnr",), results, "workers")
    text = " ".join(r.getMessage() for r in caplog.records)
    assert text.count("out-of-memory killer") == 1, text
    assert "worker w0 was killed by SIGKILL (the out-of-memory killer" in text
    assert "worker w1 was killed by SIGKILL" in text and "worker w2 was killed by SIGTERM" in text


def test_host_out_of_memory_is_one_line_naming_what_to_lower():
    """A CPU run's MemoryError (often without a message) was recorded as 'MemoryError' alone."""
    from benchmark.config import RunConfig
    from benchmark.runner import failure_message

    cfg = RunConfig(task="denoise", loss="l1", batch_size=16, crop=96)
    for exc in (MemoryError(), MemoryError("Unable to allocate 3.1 GiB for an array\nwith shape (9, 9)")):
        line = failure_message(exc, cfg)
        assert line.startswith("MemoryError: the host ran out of memory at batch size 16, crop 96"), line
        assert "lower the batch size or the crop, or run fewer workers" in line and "\n" not in line, line
    assert "(Unable to allocate 3.1 GiB for an array)" in line
    assert failure_message(ValueError("bad\nmore"), cfg) == "ValueError: bad"


@pytest.mark.slow
def test_a_run_out_of_host_memory_says_so_and_what_to_lower(tmp_path, monkeypatch, random_images, caplog):
    """A CPU run whose allocation failed (MemoryError, often with no message) was recorded and logged as 'MemoryError'
    alone: nothing said the host ran out of memory, nor what setting to lower."""
    import torch

    from benchmark import runner
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    data = random_images(2, 40)
    cfg = runner.resolve_all([RunConfig(task="denoise", loss="l1", iterations=3, batch_size=2, crop=32,
                                        train_data=(data,), test_data=(data,))])[0]
    store = ResultsStore(tmp_path / "r")

    def out_of_memory(kind):
        if kind == "iteration":
            raise MemoryError

    monkeypatch.setattr(runner, "crash_point", out_of_memory)
    with caplog.at_level(logging.ERROR, logger="benchmark"):
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
    error = store.meta(run_id(cfg))["error"]
    assert error.startswith("MemoryError: the host ran out of memory") and "\n" not in error, error
    assert "batch size 2" in error and "crop 32" in error and "workers" in error, error
    logged = [r.getMessage() for r in caplog.records if run_id(cfg) in r.getMessage()]
    assert any("the host ran out of memory" in m for m in logged), logged
    (line,) = runner.failed_runs(store, [cfg])
    assert run_id(cfg) in line and "the host ran out of memory" in line


def test_bytes_written_to_stdout_buffer_with_the_reader_gone_go_nowhere(monkeypatch):
    """`sys.stdout.buffer.write(b"…")` (a loss printing bytes, a library writing raw output) bypassed the guard and
    raised BrokenPipeError into the run once `| head` was gone."""
    import contextlib
    import os
    import sys

    from benchmark.errors import output_to_a_reader_gone_goes_nowhere

    r, w = os.pipe()
    os.close(r)  # the reader is gone
    stdout = open(w, "w")  # noqa: SIM115 - closed below
    monkeypatch.setattr("sys.stdout", stdout)
    try:
        with output_to_a_reader_gone_goes_nowhere():
            buffer = sys.stdout.buffer
            buffer.write(b"raw bytes of a run\n")
            buffer.flush()
            buffer.writelines([b"more\n"])
            print("text after it", flush=True)
            assert buffer.raw is not None  # everything else is the buffer's own
        assert sys.stdout is stdout
    finally:
        with contextlib.suppress(OSError):
            stdout.close()


def _in_thread(body):
    """``body(ready, go)`` in a thread: it sets ``ready`` once inside what it holds and waits for ``go`` to leave."""
    import threading

    ready, go, errors = threading.Event(), threading.Event(), []

    def run():
        try:
            body(ready, go)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            errors.append(exc)
            ready.set()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert ready.wait(5)
    return t, go, errors


def test_api_run_wording_stays_in_its_own_call_beside_another_thread():
    """api.run's 'the same api.run() call' was a process-wide variable: a CLI call in another thread said it too, and
    the first of two api.run calls to end took it from the second, still running."""
    from benchmark.errors import AGAIN, again, again_as

    seen = {}

    def api_call(ready, go):
        with again_as("api"):
            ready.set()
            go.wait(5)
            seen["api, after the other ended"] = again()

    def other_api_call(ready, go):
        with again_as("api"):
            seen["other api"] = again()
        ready.set()

    first, go, errors = _in_thread(api_call)
    assert again() == AGAIN["command"], "a CLI call beside an api.run call named the call"
    second, _, errors2 = _in_thread(other_api_call)
    second.join(5)
    go.set()
    first.join(5)
    assert not errors and not errors2
    assert seen == {"other api": AGAIN["api"], "api, after the other ended": AGAIN["api"]}


def test_api_run_wording_reaches_its_threads_and_workers(monkeypatch):
    """Without the process-wide variable, what api.run starts says its wording still: the stall watch's threads, and a
    worker (its unit carries it: a local process, a Ray task, a SLURM job), which run in no context of the call."""
    from benchmark import executors, progress
    from benchmark.errors import AGAIN, again, again_as

    said = []
    with again_as("api"):
        progress._started(lambda: said.append(again())).join(5)
        unit = executors.WorkUnit((), "unused", ("psnr",), "cpu")
    assert said == [AGAIN["api"]]
    monkeypatch.setattr(executors, "run_unit", lambda unit: again())
    monkeypatch.setattr(executors, "bars_of_a_worker", lambda: None, raising=False)
    got = []

    def worker(ready, go):
        got.append(executors._worker_main(unit))
        ready.set()

    _in_thread(worker)[0].join(5)
    assert got == [{"summary": AGAIN["api"]}]
    assert executors.WorkUnit((), "unused", ("psnr",), "cpu").again == "command"



def test_the_broken_pipe_guard_stands_until_the_last_call_holding_it_ends():
    """Two calls in threads (api.run beside a CLI call, two api.run): the first to start put the guard up and took it
    down as it ended, while the other still ran, whose runs then met BrokenPipeError again."""
    import sys

    from benchmark.errors import _ToAReaderGone, output_to_a_reader_gone_goes_nowhere

    own = sys.stdout

    def call(ready, go):
        with output_to_a_reader_gone_goes_nowhere():
            ready.set()
            go.wait(5)

    first, go_first, errors = _in_thread(call)
    second, go_second, errors2 = _in_thread(call)
    try:
        go_first.set()
        first.join(5)
        assert isinstance(sys.stdout, _ToAReaderGone), "the first call to end took the other's guard down"
    finally:
        go_first.set()
        go_second.set()
        second.join(5)
    assert not errors and not errors2 and sys.stdout is own


def test_a_command_out_of_host_memory_is_not_called_an_internal_error(monkeypatch, capsys):
    """Out of host memory outside any run (a grid's data decoded, a report of a large store) said 'error: internal
    error: MemoryError (rerun with --debug …)': a bug to report, where the machine had too little memory."""
    from benchmark import cli

    def out_of_memory(args):
        raise MemoryError

    monkeypatch.setattr(cli, "cmd_list", out_of_memory)
    assert cli.main(["list", "tasks"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error" not in err, err
    assert err.startswith("error: the host ran out of memory (MemoryError) in `plbench list`"), err

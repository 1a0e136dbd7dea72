"""Probe of overnight and cluster runs under faults (session 13): each test failed on the code before its fix."""

from __future__ import annotations

import dataclasses
import time

import pytest

from benchmark.config import RunConfig, run_id
from benchmark.data import DataSpec
from benchmark.results import ResultsStore


def _configs(n: int = 2) -> list[RunConfig]:
    """``n`` planned ℓ1 runs (nothing read: run ids and progress need no data)."""
    data = {f"{r}_data": (DataSpec.parse("skimage:train" if r == "train" else "skimage:test", role=r),)
            for r in ("train", "test")}
    return [RunConfig(task="denoise", loss="l1", seed=s, iterations=4, **data) for s in range(n)]


def test_the_progress_lines_failed_count_goes_by_the_grid_id_after_a_clock_step(tmp_path):
    """The worker's progress line ('run k/N …: d done, f failed') told this grid's failures from an earlier command's
    by time alone, while the summary and the retries go by the grid's id (d7e2e4f): after the clock was stepped back
    during the night (NTP, a VM resumed), a run failed by this grid read '0 failed' and counted as still to do (its
    ETA too). The grid's id decides where the run's record has one."""
    from benchmark.progress import GridProgress

    store = ResultsStore(tmp_path / "r")
    configs = _configs()
    rid = run_id(configs[0])
    store.write_meta(rid, {"run_id": rid, "config": configs[0].to_dict(), "status": "failed", "error": "boom",
                           "started": time.time(), "grid_id": "abc123"})
    ahead = time.time() + 3600  # the driver read its clock an hour before the clock was stepped back
    st = GridProgress(store, configs, since=ahead, grid_id="abc123").status()
    assert (st["failed"], sum(st["todo"].values())) == (1, 1)
    # an earlier command's failure (another grid's id) is still a run this grid has to do, whatever the clock says
    st = GridProgress(store, configs, since=time.time() - 3600, grid_id="other").status()
    assert (st["failed"], sum(st["todo"].values())) == (0, 2)


def test_a_run_that_makes_no_progress_is_stopped_as_hung_where_it_waits():
    """A run that hung (a deadlock, a stalled NFS read) held its worker for ever: nothing timed it out, the night
    was lost. The stall watch interrupts it where it waits once it has made no progress for the timeout: the run
    fails with that error (and its stack, from which the grid goes on)."""
    from benchmark.progress import RunStalled, stall_watch

    t0 = time.monotonic()
    with pytest.raises(RunStalled, match=r"run r1 made no progress .* for 0.3 s .*stall-timeout"):
        with stall_watch(0.3, "run r1"):
            time.sleep(30)  # a read that never returns
    assert time.monotonic() - t0 < 5


def test_a_run_that_keeps_making_progress_is_not_stopped():
    from benchmark.progress import beat, stall_watch

    with stall_watch(0.4, "run r1"):
        for _ in range(6):  # 0.6 s in all, never 0.4 s without a step
            time.sleep(0.1)
            beat()
    with stall_watch(0, "run r1"):  # 0: never
        time.sleep(0.2)
    import os
    import signal

    # another's SIGALRM (a library's alarm) is no stall: it goes to that library's handler (pytest-timeout's here,
    # which would fail the test, hence one of our own)
    old = signal.signal(signal.SIGALRM, lambda signum, frame: None)
    try:
        with stall_watch(30, "run r1"):
            os.kill(os.getpid(), signal.SIGALRM)
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGALRM, old)


HANGS_AT_3 = '''
import signal
import time

import torch
from benchmark.registry import register_loss


@register_loss("{name}")
class HangsAt3(torch.nn.Module):
    """(N, 3, H, W) in [0, 1] → mean absolute error; its 3rd training call never returns ({how})."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target):
        self.calls += pred.requires_grad
        if self.calls == 3:
            {block}
            time.sleep(3600)
        return (pred - target).abs().mean()
'''


def _hanging_grid(tmp_path, name: str, in_c: bool) -> list[RunConfig]:
    """Two resolved denoise runs on one random 32² photo: the loss ``name`` that hangs at its 3rd call (``in_c``: as
    code no signal reaches, SIGALRM blocked in its thread) and ℓ1."""
    from test_probe_overnight11 import _one_photo_run

    from benchmark.runner import resolve_all

    source = HANGS_AT_3.format(name=name, how="blocked in C code" if in_c else "a stalled read",
                               block="signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})" if in_c else "pass")
    cfg = _one_photo_run(tmp_path, source, name, iterations=6)
    return resolve_all([cfg, dataclasses.replace(cfg, loss="l1")])


@pytest.mark.slow
def test_a_hung_run_fails_with_why_and_the_grid_goes_on(tmp_path):
    """The grid's hung run is recorded failed — at its iteration, with the stall's words and where it waited — and
    the next run of the grid trains; the grid's last lines name it as any failed run."""
    import torch

    from benchmark.registry import LOSSES
    from benchmark.runner import failed_runs, run_grid

    try:
        configs = _hanging_grid(tmp_path, "hangs_at_3_probe13", in_c=False)
        store = ResultsStore(tmp_path / "r")
        summary = run_grid(configs, store, ("psnr",), torch.device("cpu"), progress=False, stall_s=2)
        rid, lines = run_id(configs[0]), failed_runs(store, configs)
    finally:
        LOSSES.remove("hangs_at_3_probe13")
    assert (summary.failed, summary.trained) == (1, 1)
    meta = store.meta(rid)
    assert meta["failed_at"] == 3 and "made no progress" in meta["error"] and "time.sleep" in meta["traceback"]
    assert len(lines) == 1 and "at training iteration 3 of 6: RunStalled: run" in lines[0]


@pytest.mark.slow
def test_a_worker_hung_in_c_code_is_ended_and_another_takes_its_runs(tmp_path, caplog):
    """A run hung where no signal reaches Python (a deadlock in C code) cannot be interrupted: its process is ended,
    its failure recorded first, and the driver starts a worker in its place for the worker's other runs."""
    from benchmark import executors
    from benchmark.registry import LOSSES

    try:
        configs = _hanging_grid(tmp_path, "hangs_in_c_probe13", in_c=True)
        store = ResultsStore(tmp_path / "r")
        # two workers, each its own run first: w0's hangs in C code and is ended; w1 trains l1
        summary = executors.execute_local(configs, store.root, ("psnr",), "cpu", workers=2, stall_s=2,
                                          loss_files=(str(tmp_path / "loss.py"),))
        rids = [run_id(c) for c in configs]
    finally:
        LOSSES.remove("hangs_in_c_probe13")
    meta = store.meta(rids[0])
    assert meta["status"] == "failed" and "did not stop at the interrupt" in meta["error"]
    assert "time.sleep" in meta["traceback"]  # where it waited
    assert store.meta(rids[1])["status"] == "ok"
    assert "starting a worker in its place" in caplog.text
    assert (summary.failed, summary.trained) == (1, 1)


UNGUARDED_SCRIPT = '''
from benchmark import api

api.run(tasks=["denoise"], losses=["l1", "l2"], seeds=[0], iterations=4, crop=24, batch_size=2, metrics=["psnr"],
        train_data=[{train!r}], test_data=[{test!r}], out={out!r}, workers=2, budget_check=False, report=False,
        checkpoint_every=0, checkpoint_seconds=0)
'''


def test_a_worker_that_runs_the_users_script_again_stops_at_once_and_says_why(monkeypatch):
    """A user's script calling api.run(workers=2) at its top level, as the README's API example is written (no
    `if __name__ == "__main__":`): each spawned worker imports the script again, planned the whole grid again (the
    data decoded, minutes) and died in multiprocessing's bootstrapping error; the driver then said 'worker w0 exited
    with code 1 without reporting …: run the same command again to resume them', which fails the same way for ever.
    Such a worker now stops before any work, and the driver says what to change, as bad input (exit 2)."""
    import multiprocessing

    from benchmark import api, executors
    from benchmark.errors import UserError

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(SystemExit) as stop:
        api.run(tasks=["denoise"], losses=["l1"], workers=2)  # stops before it plans anything
    assert stop.value.code == executors.MAIN_RUN_AGAIN_EXIT
    monkeypatch.undo()
    results = [executors._died("w0", executors.MAIN_RUN_AGAIN_EXIT), executors._died("w1", -9)]
    with pytest.raises(UserError, match=r'if __name__ == "__main__":') as err:
        executors._collect([], "unused", ("psnr",), results, "workers")
    assert err.value.exit_code == 2 and "resume" not in str(err.value)


@pytest.mark.slow
def test_an_unguarded_api_script_with_workers_fails_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from test_probe_overnight12 import _photos

    data = {k: str(v[0].source) for k, v in _photos(tmp_path).items()}
    (tmp_path / "mine.py").write_text(UNGUARDED_SCRIPT.format(train=data["train_data"], test=data["test_data"],
                                                              out=str(tmp_path / "r")))
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": repo, "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, str(tmp_path / "mine.py")], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 1  # the UserError the script did not catch
    assert 'if __name__ == "__main__":' in p.stderr.strip().splitlines()[-1]
    assert "bootstrapping phase" not in p.stderr


@pytest.mark.slow
def test_a_night_with_a_lost_worker_still_ends_with_its_summary_and_failed_runs(tmp_path, monkeypatch, caplog,
                                                                                 capsys):
    """A night where one worker was killed (the out-of-memory killer) with runs of the grid left, and where other
    runs failed, ended in one line — 'worker w1 was killed by SIGKILL …: 1 of 4 runs of the grid is unfinished;
    run the same command again' —: no 'trained …, failed …' summary, no line naming the failed runs and why (the
    rerun retried them to the same failure), no leaderboard of what finished. The summary and those lines now
    come first, then that line (exit 1)."""
    import logging

    from test_probe_overnight12 import BOOM_AT_3, _photos

    from benchmark import executors
    from benchmark.cli import main
    from benchmark.registry import LOSSES

    real = executors.EXECUTE["local"]

    def a_worker_lost(configs, store_root, metrics, device_spec, **opts):  # the last run was the lost worker's
        summary = real(configs[:-1], store_root, metrics, device_spec, **opts)
        return executors._collect(configs, store_root, metrics, [{"summary": dataclasses.asdict(summary)},
                                                                 executors._died("w1", -9)], "workers")

    monkeypatch.setitem(executors.EXECUTE, "local", a_worker_lost)
    data = _photos(tmp_path)
    (tmp_path / "boom.py").write_text(BOOM_AT_3)
    args = ["run", "--tasks", "denoise", "--losses", "boom_at_3_probe12", "l1",
            "--loss-file", str(tmp_path / "boom.py"), "--seeds", "0", "1", "--iterations", "5", "--crop", "24",
            "--batch-size", "2", "--metrics", "psnr",
            "--train-data", str(data["train_data"][0]), "--test-data", str(data["test_data"][0]), "--device", "cpu",
            "--no-progress", "--no-budget-check", "--no-report", "--out", str(tmp_path / "r")]
    try:
        with caplog.at_level(logging.INFO, logger="benchmark"):
            assert main(args) == 1
    finally:
        LOSSES.remove("boom_at_3_probe12")
    tail = caplog.text[caplog.text.index("trained 1, skipped 0"):]
    assert "failed 2, 1 unfinished (a worker lost)" in tail and "2 runs failed" in tail
    assert tail.count("RuntimeError: index 7 is out of bounds") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "1 of 4 runs of the grid is unfinished; run the same command again" in err[-1]


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_the_memory_check_reads_a_slurm_jobs_own_cgroup_limit(tmp_path, monkeypatch, version):
    """A SLURM job (no container) runs in its own cgroup below the hierarchy's root — v2:
    /sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/…, v1: /sys/fs/cgroup/memory/slurm/uid_0/job_7/… — where
    --slurm-mem is its limit. The memory check read /sys/fs/cgroup/memory.max only (a container's own limit), so
    it compared the runs with the whole node's MemAvailable (here 500 GiB) and passed a grid the job's 8 GiB then
    OOM-killed overnight. It now takes the least room under any limit from the process's own cgroup up."""
    import torch

    from benchmark import resources

    gib = 2**30
    (tmp_path / "meminfo").write_text(f"MemTotal: {600 * gib // 1024} kB\nMemAvailable: {500 * gib // 1024} kB\n")
    root = tmp_path / "cgroup"
    if version == "v2":
        own = "system.slice/slurmstepd.scope/job_7/step_0/user/task_0"
        (tmp_path / "self").write_text(f"0::/{own}\n")
        (root / own).mkdir(parents=True)
        job, files = root / "system.slice/slurmstepd.scope/job_7", ("memory.max", "memory.current")
        (root / own / "memory.max").write_text("max\n")
        (root / own / "memory.current").write_text(f"{gib}\n")
    else:
        own = "slurm/uid_0/job_7/step_0"
        (tmp_path / "self").write_text(f"12:pids:/{own}\n4:memory:/{own}\n1:name=systemd:/{own}\n")
        (root / "memory" / own).mkdir(parents=True)
        job, files = root / "memory/slurm/uid_0/job_7", ("memory.limit_in_bytes", "memory.usage_in_bytes")
        (root / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "no limit"
        (root / "memory" / "memory.usage_in_bytes").write_text(f"{300 * gib}\n")
    (job / files[0]).write_text(f"{8 * gib}\n")
    (job / files[1]).write_text(f"{2 * gib}\n")
    monkeypatch.setattr(resources, "MEMINFO", tmp_path / "meminfo")
    monkeypatch.setattr(resources, "PROC_CGROUP", tmp_path / "self")
    monkeypatch.setattr(resources, "CGROUP_ROOT", root)
    free, where = resources.available_bytes(torch.device("cpu"))
    assert free == 6 * gib and files[0] in where


@pytest.mark.slow
def test_local_workers_map_the_drivers_decoded_images_instead_of_decoding_their_own(tmp_path, monkeypatch):
    """`plbench run --workers 4` decoded the training and test images once in the driver (planning) and again in
    every worker, each holding its own copy — on a 1/4 share of the decoded-pixel budget, the rest spilled to a
    temporary file of its own: 4 × the disk, 4 × the page cache, 4 × the decoding time at the start of the night.
    The driver now writes them once to a file it holds open, and the workers map it: the same pixels (so the same
    fingerprints and crops), no decoding, one copy."""
    import torch
    from test_probe_overnight12 import _photos

    from benchmark import data as data_mod
    from benchmark import executors
    from benchmark.data import DataCache
    from benchmark.runner import resolve_all

    photos = _photos(tmp_path)
    cache = DataCache()
    configs = resolve_all([RunConfig(task="denoise", loss="l1", seed=s, iterations=2, crop=24, batch_size=2,
                                     **photos) for s in (0, 1)], cache)
    driver_pixels = {s: [r.pixels.clone() for r in cache.images(s)] for s in (*photos["train_data"],
                                                                               *photos["test_data"])}
    decoded = []
    real = data_mod.load_images
    monkeypatch.setattr(data_mod, "load_images", lambda spec: decoded.append(spec) or real(spec))
    mapped = []

    def workers_here(units, envs, monitor=None):  # in this process, one after the other
        for u in units:  # what a worker maps, while the driver holds the file: its pixels, byte for byte
            adopted = DataCache()
            adopted.adopt(u.decoded)
            mapped.extend(torch.equal(a.pixels, b) for spec, pixels in driver_pixels.items()
                          for a, b in zip(adopted.images(spec), pixels, strict=True))
        return [executors._worker_main(u) for u in units]

    monkeypatch.setattr(executors, "check_local_memory", lambda *a, **k: None)
    monkeypatch.setattr(executors, "_run_processes", workers_here)
    store = ResultsStore(tmp_path / "r")
    summary = executors.execute_local(configs, store.root, ("psnr",), "cpu", workers=2, data=cache)
    assert summary.trained == 2 and decoded == []  # no worker decoded a source again
    assert len(mapped) == 2 * 4 and all(mapped)


def test_shared_decoded_images_are_the_same_pixels_of_every_type(tmp_path, monkeypatch):
    """What a local worker maps (:meth:`DataCache.share` / :meth:`adopt`) is each source's images as the driver decoded
    them — uint8, 16-bit and float alike, ids and order kept — without decoding anything."""
    import torch

    from benchmark import data as data_mod
    from benchmark.data import DataCache, ImageRecord

    specs = [DataSpec.parse(str(tmp_path / name), role="train") for name in ("a", "b")]
    driver = DataCache()
    g = torch.Generator().manual_seed(0)
    driver._images[specs[0]] = [ImageRecord("x", torch.randint(0, 256, (3, 9, 7), generator=g, dtype=torch.uint8)),
                                ImageRecord("y", torch.randint(0, 65536, (3, 5, 8), generator=g).to(torch.uint16))]
    driver._images[specs[1]] = [ImageRecord("z", torch.rand((3, 6, 6), generator=g))]
    file, shared = driver.share(specs)
    monkeypatch.setattr(data_mod, "load_images", lambda spec: pytest.fail(f"decoded {spec} again"))
    try:
        worker = DataCache()
        worker.adopt(shared)
        for spec in specs:
            got, want = worker.images(spec), driver.images(spec)
            assert [r.image_id for r in got] == [r.image_id for r in want]
            assert all(a.pixels.dtype == b.pixels.dtype and torch.equal(a.pixels, b.pixels) for a, b in zip(got, want))
    finally:
        file.close()

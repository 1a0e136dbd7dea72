"""Probe of the cost side, 2026-12-06 (third pass): memory over a run's attempts, the dry run's words under load,
``plbench perf``'s memory check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch._dynamo  # noqa: F401 - Adam's first build imports it (seconds): at collection, not in a test's time

import benchmark.runner  # noqa: F401 - at collection: no test pays for its first import
import benchmark.task  # noqa: F401


def _images(n: int = 2, side: int = 32):
    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, side, side), dtype=np.uint8)))
            for k in range(n)]


def test_a_resumed_run_records_the_peak_memory_of_every_attempt(tmp_path, monkeypatch):
    """Was: a run killed after its checkpoint (the OOM killer, a SLURM preemption) and resumed recorded the peak
    resident memory of its last attempt alone (``peak_rss_mb``, reset at the attempt's start): the attempt that held
    900 MB, killed, then a resume that held 300 MB read "RSS MB 300" — the figure a reader sizes a machine by, a third
    of what the run needed. Now the checkpoint carries the peak so far (the process's reading at each save, the
    largest of the attempts before), and meta.json's ``peak_rss_mb`` is the largest over every attempt; an attempt
    whose peak could not be reset (``peak_rss_of: process``) marks the resumed run's figure so too."""
    from benchmark import resources
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.runner import TrainStep, peak_rss_fields, train
    from benchmark.task import build_task

    step_call, kill_at, rss = TrainStep.__call__, [4], [900.0]

    def step(self, it):
        if it == kill_at[0]:
            raise RuntimeError("killed")
        return step_call(self, it)

    monkeypatch.setattr(TrainStep, "__call__", step)
    monkeypatch.setattr(resources, "peak_rss_mb", lambda: rss[0])
    cfg = RunConfig(task="denoise", loss="l1", iterations=5, batch_size=1, crop=16, net="tiny")

    def attempt(own=True):
        ck = Checkpointer(tmp_path / "ck.pt", CheckpointPolicy(every=3, seconds=0), {"config": cfg.to_dict()})
        return train(cfg, build_task("denoise"), _images(), torch.device("cpu"), checkpoint=ck, rss_own=own)

    with pytest.raises(RuntimeError, match="killed"):
        attempt()  # checkpoint at 3 (900 MB so far), killed at 4
    rss[0], kill_at[0] = 300.0, 0
    r = attempt()
    assert r.resumed_at == 3
    assert peak_rss_fields(r, own_peak=True) == {"peak_rss_mb": 900.0}  # not the last attempt's 300
    rss[0] = 1200.0  # the last attempt the largest: its own
    assert peak_rss_fields(r, own_peak=True) == {"peak_rss_mb": 1200.0}
    assert peak_rss_fields(r, own_peak=False) == {"peak_rss_mb": 1200.0, "peak_rss_of": "process"}

    (tmp_path / "ck.pt").unlink()  # an earlier attempt whose peak was the process's: so is the resumed run's
    rss[0], kill_at[0] = 500.0, 4
    with pytest.raises(RuntimeError, match="killed"):
        attempt(own=False)
    rss[0], kill_at[0] = 300.0, 0
    r = attempt()
    assert peak_rss_fields(r, own_peak=True) == {"peak_rss_mb": 500.0, "peak_rss_of": "process"}
    fresh = train(cfg, build_task("denoise"), _images(), torch.device("cpu"))  # no checkpoint: this attempt's alone
    assert peak_rss_fields(fresh, own_peak=True) == {"peak_rss_mb": 300.0}


@pytest.mark.slow  # a run trained, failed in evaluation, and trained again from its checkpoint: 4-8 s on 2 busy cores
def test_a_run_that_failed_records_its_peak_and_its_retry_keeps_it(tmp_path, monkeypatch):
    """Was: a run that failed (a ``MemoryError`` while it was scored) recorded no ``peak_rss_mb`` — the memory it had
    reached, what a reader needs to size the machine it failed on — and its retry, resumed from the checkpoint saved
    after training, recorded its own attempt's peak alone. Now the failed record holds the peak it reached (kept
    under ``attempts/`` by the retry), and the retry's is the largest of both attempts' training and its own
    scoring."""
    from test_probe_overnight14 import _photo_run

    from benchmark import resources, runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    cfg = _photo_run(tmp_path, iterations=2)
    rid, store = run_id(cfg), ResultsStore(tmp_path / "r")
    evaluate, rss = runner.evaluate, [700.0]

    def out_of_memory(net, items, metrics, device):
        if net is not None:  # the run's own pass (net None: the degraded inputs scored)
            rss[0] = 2500.0  # what it reached before it failed
            raise MemoryError("cannot allocate")
        return evaluate(net, items, metrics, device)

    monkeypatch.setattr(resources, "peak_rss_mb", lambda: rss[0])
    monkeypatch.setattr(runner, "evaluate", out_of_memory)
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).failed == 1
    failed = store.meta(rid)
    assert failed["status"] == "failed" and failed["peak_rss_mb"] == 2500.0, failed

    monkeypatch.setattr(runner, "evaluate", evaluate)
    rss[0] = 600.0
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).trained == 1
    meta = store.meta(rid)
    assert meta["status"] == "ok" and meta["resumed_at"] == 2, meta  # resumed from the checkpoint after training
    assert meta["peak_rss_mb"] == 700.0 and "peak_rss_of" not in meta, meta  # the first attempt's training
    assert [a["peak_rss_mb"] for a in store.attempts(rid)] == [2500.0]


def _dry_run_output(tmp_path, monkeypatch, capsys, busy: int, measured: int) -> str:
    """What ``plbench run --dry-run`` prints of a one-run grid on a 2-core machine at load 7, its estimate a stand-in
    that measured ``measured`` step times now, ``busy`` of them under that load."""
    import os

    from conftest import dry_run_estimate, metric_set_of

    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli
    from benchmark.config import RunConfig, resolve

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")  # the product's default (the suite sets 0: conftest)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (7.0, 6.0, 5.0))
    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32))]
    monkeypatch.setattr(benchmark.perf, "estimate_grid", lambda configs, *a, **k: {
        **dry_run_estimate(configs, {"l1": {"denoise": 7.6}}), "measured": measured, "busy": busy})
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick") == 0
    return capsys.readouterr().out


def test_a_dry_run_under_load_says_its_steps_were_timed_under_that_load(tmp_path, monkeypatch, capsys):
    """Was: a dry run on 2 cores at load 7 measured its 26 step times then and there (each judged busy, used once and
    not kept) and printed that runs started now take longer than its estimate "of steps timed with the cores free" —
    false of every one of them — and "26 measured now, 0 reused" without a word of the load (its runs then took 450
    ms/it against 7.6 estimated). Now the busy line and the step-times line say how many were measured under load;
    times kept from before (timed with the cores free) are still said to be so."""
    out = _dry_run_output(tmp_path, monkeypatch, capsys, busy=26, measured=26)
    busy_line = next(line for line in out.splitlines() if line.startswith("this machine is busy now"))
    assert "timed with the cores free" not in busy_line, busy_line
    assert "26 step times of it measured now under that load" in busy_line and "take longer" in busy_line, busy_line
    assert "step times: 26 measured now (26 of them while this machine was busy: not kept), 0 reused" in out, out

    out = _dry_run_output(tmp_path, monkeypatch, capsys, busy=0, measured=0)  # every time kept from before
    assert "take longer than this estimate, of steps timed with the cores free" in out, out
    assert "step times: 0 measured now, 0 reused" in out and "busy: not kept" not in out, out


def test_the_step_times_measured_under_load_are_counted(tmp_path, monkeypatch):
    """:attr:`benchmark.perf.StepTimes.busy`, what the dry run's lines count: the times measured now under contention
    (:func:`benchmark.perf._best_time` counted them), neither the ones measured with the cores free nor the ones
    reused."""
    from benchmark import perf

    cache = perf.StepTimes(tmp_path / "steptimes.json")

    def contended():
        perf._CONTENDED[0] += 1
        return 0.5

    assert cache.get("a", lambda: 0.01) == 0.01 and cache.get("b", contended) == 0.5 and cache.get("a", None) == 0.01
    assert (cache.measured, cache.busy) == (2, 1)
    again = perf.StepTimes(tmp_path / "steptimes.json")
    assert again.get("a", None) == 0.01 and (again.measured, again.reused, again.busy) == (0, 1, 0)


def test_perf_refuses_a_step_this_machine_s_memory_cannot_hold(monkeypatch, capsys):
    """Was: ``plbench perf --batch-size 100000`` checked no memory: it built and stepped every candidate at that batch
    (a loss file's loss probed at it too), so the kernel's OOM killer ended the process — or another job on the
    machine — where ``plbench run`` refuses the same step in one line. Now ``perf`` makes the run's memory check
    (:func:`benchmark.resources.check_fits`) for every candidate, l1 among them, before a loss is probed or a step
    built or timed (after a crop larger than every photo is refused: the check's own probe runs the net at the crop):
    one line, exit code 2."""
    from benchmark import lossfn, perf, resources
    from benchmark.cli import main

    monkeypatch.setattr(resources, "available_bytes", lambda device: (2 * 2**30, "available RAM (MemAvailable)"))
    monkeypatch.setattr(perf, "training_images", lambda crop: _images(2, 64))  # the photos' decoding: seconds
    monkeypatch.setattr(lossfn, "check_loss_on_crop", lambda *a, **k: pytest.fail("a loss probed at that batch"))
    monkeypatch.setattr(perf, "measure", lambda *a, **k: pytest.fail("a step timed that cannot fit"))
    assert main(["perf", "--losses", "l2", "--net", "tiny", "--batch-size", "100000", "--crop", "64", "--device",
                 "cpu", "--no-naive", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "batch 100000 × 64² crops needs ≈" in err[0] and "2.0 GiB" in err[0], err
    assert "lower --batch-size or --crop" in err[0], err


#: fake cgroup layouts: (/proc/self/cgroup, {file under /sys/fs/cgroup: its text}, the CPU affinity's cores, the cores
#: usable_cores must give)
CGROUPS = {
    "v1 container (its namespace's root)": (
        "12:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n",
        {"cpu,cpuacct/cpu.cfs_quota_us": "150000", "cpu,cpuacct/cpu.cfs_period_us": "100000"}, 16, 1.5),
    "v1 no quota (-1)": (
        "4:cpu,cpuacct:/user.slice\n",
        {"cpu,cpuacct/cpu.cfs_quota_us": "-1", "cpu,cpuacct/cpu.cfs_period_us": "100000",
         "cpu,cpuacct/user.slice/cpu.cfs_quota_us": "-1", "cpu,cpuacct/user.slice/cpu.cfs_period_us": "100000"},
        8, 8.0),
    "v1 RHEL 7 order (cpuacct,cpu), a job's quota above its step": (
        "11:cpuacct,cpu:/slurm/uid_1/job_7/step_0\n",
        {"cpu,cpuacct/slurm/uid_1/job_7/cpu.cfs_quota_us": "400000",
         "cpu,cpuacct/slurm/uid_1/job_7/cpu.cfs_period_us": "100000"}, 64, 4.0),
    "v1 RHEL 7 order, through systemd's cpu link only": (
        "11:cpuacct,cpu:/kubepods/pod1/ctr\n",
        {"cpu/cpu.cfs_quota_us": "200000", "cpu/cpu.cfs_period_us": "100000"}, 32, 2.0),
    "v2 no quota (max 100000)": (
        "0::/user.slice/session-1.scope\n", {"cpu.max": "max 100000", "user.slice/cpu.max": "max 100000"}, 4, 4.0),
    "v2 a pod's quota above its container's": (
        "0::/kubepods.slice/kubepods-pod1.slice/cri-abc.scope\n",
        {"kubepods.slice/kubepods-pod1.slice/cpu.max": "300000 100000",
         "kubepods.slice/kubepods-pod1.slice/cri-abc.scope/cpu.max": "max 100000"}, 32, 3.0),
    "v2 container namespace (/)": ("0::/\n", {"cpu.max": "250000 100000"}, 32, 2.5),
}


@pytest.mark.parametrize("layout", CGROUPS)
def test_the_usable_cores_are_read_from_each_cgroup_layout(layout, tmp_path, monkeypatch):
    """Was: :func:`benchmark.devices.usable_cores` read a cgroup v1 quota under the folder named as
    ``/proc/self/cgroup`` lists the controllers, and RHEL/CentOS 7 (many SLURM clusters, Kubernetes nodes) list them
    ``cpuacct,cpu`` while the hierarchy is mounted at ``cpu,cpuacct`` (and linked as ``cpu``): no quota was found, so
    a container allowed 2 of 32 cores split 32 cores' threads among its workers and recorded ``cpu_cores: 32`` (its
    runs judged timed busy). Now a v1 hierarchy is looked up as written, then as systemd's ``cpu`` link, then in the
    mount's own order; every other layout (v1 -1, v2 ``max``, nested paths, a namespace's ``/``) as before."""
    import os

    from benchmark import devices

    lines, files, affinity, cores = CGROUPS[layout]
    (tmp_path / "cgroup").write_text(lines)
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text + "\n")
    monkeypatch.setattr(devices, "PROC_CGROUP", str(tmp_path / "cgroup"))
    monkeypatch.setattr(devices, "CGROUP_ROOT", str(tmp_path / "fs"))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(affinity)))
    assert devices.usable_cores() == cores


def _cpu_metas(where: dict[tuple[str, int], tuple[str, int, float]], **config):
    """The metas of l1 and l2 × 4 seeds on denoise, each CPU run's (device_name, threads, ms/it) as
    ``where[(loss, seed)]`` gives them, and ``config``'s settings in each run's config."""
    from benchmark.synthetic import synthetic_runs

    metas = []
    for _, meta, _rows in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(4),
                                         metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:
            name, threads, ms = where[(meta["config"]["loss"], meta["config"]["seed"])]
            meta = {**meta, "device": "cpu", "device_name": name, "threads": threads, "ms_per_it": ms,
                    "timing_excluded": {}, "config": {**meta["config"], **config}}
        metas.append(meta)
    return metas


XEON, EPYC = "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", "AMD EPYC 7763 64-Core Processor"


def test_cpu_runs_of_two_machines_merged_into_one_store_are_not_one_median(monkeypatch):
    """Was: the cost table told CPU runs apart by their thread count alone (``cpu (4 threads)``), though meta.json names
    the CPU model (``device_name``, /proc/cpuinfo's): l1's runs merged from a node twice as fast (``plbench merge``),
    at the same thread count, were pooled into one median beside l2's, all timed on the slow one — "l1 20 ms/it,
    l2 20 ms/it" where on either machine l2 costs twice l1. Now a CPU's kind names its model (``cpu (<model>, 4
    threads)``): two models are two kinds, never pooled, as two GPU models are; a run recorded before the model was
    (``x86_64``, ``cpu``) joins the one model of its thread count where the store has one; the dry run looks its
    measured runs up on this machine's model."""
    from types import SimpleNamespace

    from benchmark import perf
    from benchmark import stats as S
    from benchmark.export import device_cost_lines

    where = {("l1", s): (XEON, 4, 20.0) if s < 2 else (EPYC, 4, 10.0) for s in range(4)}
    where.update({("l2", s): (XEON, 4, 40.0) for s in range(4)})
    per_loss = S.cost_table(_cpu_metas(where))[0]
    costs = per_loss.set_index("label")
    assert np.isnan(costs.loc["l1", "ms_per_it"]) and costs.loc["l2", "ms_per_it"] == 40.0, costs
    text = " ".join(device_cost_lines(SimpleNamespace(costs=per_loss)))  # the leaderboard's notes on them
    assert f"cpu ({XEON}, 4 threads) 20.0 ms/it (2 runs)" in text and f"cpu ({EPYC}, 4 threads) 10.0" in text, text

    where = {("l1", s): ("x86_64" if s < 2 else XEON, 4, 20.0) for s in range(4)}  # before and after the upgrade
    where.update({("l2", s): ("cpu", 4, 40.0) for s in range(4)})
    metas = _cpu_metas(where)
    costs = S.cost_table(metas)[0].set_index("label")
    assert costs.loc["l1", "ms_per_it"] == 20.0 and costs.loc["l2", "ms_per_it"] == 40.0, costs
    assert set(costs["timed_on"]) == {f"cpu ({XEON}, 4 threads)"}, costs["timed_on"]
    assert S.device_kind("cpu", "x86_64", 2) == "cpu (2 threads)" and S.device_kind("cpu", None, None) == "cpu"

    settings = [("denoise", "l1", "tiny", 8, 48, False)]  # the dry run's check: this machine's model only
    for m in metas:
        if "config" in m:
            m["config"] = {**m["config"], "net": "tiny", "batch_size": 8, "crop": 48, "compile": False}
    got = perf.measured_in_store(metas, settings, S.device_kind("cpu", XEON, 4))
    assert got == {("l1", "denoise"): (20.0, 4, False)}, got  # the x86_64 runs joined XEON, its one model
    assert perf.measured_in_store(metas, settings, S.device_kind("cpu", EPYC, 4)) == {}


def test_the_overall_ms_per_it_of_a_loss_trained_on_other_tasks_is_said_to_be():
    """Was: the overall ranking's ms/it is the median over a loss's runs on every task it trained on, and a step costs
    more on one task than another (l1 at the quick profile's shape on 1 thread: denoise 21 ms, jpeg 37 ms; here 10 and
    50): ssim trained on demosaic alone (``--loss-tasks ssim=demosaic``, a loss file compared on some tasks) read 60
    ms/it beside l1's 30 — twice l1, where on demosaic it costs 1.2× — and no note said its figure was of other tasks.
    Now a note (the leaderboard's, :func:`benchmark.export.notes`) names each loss whose ms/it is of other tasks than
    most losses', with its tasks and theirs, and sends the reader to the task tables; none where every loss was timed
    on the same tasks."""
    from types import SimpleNamespace

    from benchmark import stats as S
    from benchmark.export import task_cost_lines
    from benchmark.synthetic import synthetic_runs

    def costs(ssim_tasks):
        metas = []
        for task in ("demosaic", "denoise"):
            offsets = {"l1": 0.0, "l2": 0.3, **({"ssim": 0.1} if task in ssim_tasks else {})}
            for _, meta, _rows in synthetic_runs(tasks=(task,), offsets=offsets, seeds=range(2), metrics=("psnr",),
                                                 n_images=2, budget_check=False):
                if "config" in meta:
                    ms = {"denoise": 10.0, "demosaic": 50.0}[task] * (1.2 if meta["config"]["loss"] == "ssim" else 1)
                    meta = {**meta, "device": "cpu", "device_name": XEON, "threads": 2, "ms_per_it": ms,
                            "timing_excluded": {}}
                metas.append(meta)
        per_loss, per_task = S.cost_table(metas)
        return SimpleNamespace(costs=per_loss, task_costs=per_task)  # as Stats holds them (stats.compute)

    st = costs(("demosaic",))
    assert st.costs.set_index("label").loc["ssim", "ms_per_it"] == 60.0  # the pooled figure stays, now explained
    said = task_cost_lines(st)
    assert len(said) == 1 and "on demosaic: ssim" in said[0] and "(demosaic, denoise)" in said[0], said
    assert "task tables" in said[0] and "l1:" not in said[0], said
    assert task_cost_lines(costs(("demosaic", "denoise"))) == []


def test_a_resumed_run_s_cpu_share_is_of_every_attempt_its_ms_per_it_is_of(tmp_path, monkeypatch):
    """Was: a resumed run's ms/it is over the steady iterations of every attempt (the checkpoint carries them), but
    its ``cpu_share`` — what the cost table's ``timed_busy`` and the leaderboard's "reads high" note judge — was its
    last attempt's alone: 10 iterations timed at a fifth of a core (other jobs on the machine), killed, then 3 timed
    with the core free, recorded ms/it 40 (mostly busy time) beside a share of 1.0, and the run passed as timed idle.
    Now the checkpoint carries the CPU and wall seconds of the steady iterations too, and the share is over every
    attempt's. The clocks are the test's own."""
    from conftest import steps_on_a_fake_clock

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.devices import busy
    from benchmark.runner import train
    from benchmark.task import build_task

    clock = steps_on_a_fake_clock(monkeypatch, (0.05, 0.01), kill_at=14)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    cfg = RunConfig(task="denoise", loss="l1", iterations=19, batch_size=1, crop=16, net="tiny")

    def attempt():
        ck = Checkpointer(tmp_path / "ck.pt", CheckpointPolicy(every=13, seconds=0), {"config": cfg.to_dict()})
        return train(cfg, build_task("denoise"), _images(1), torch.device("cpu"), checkpoint=ck)

    with pytest.raises(RuntimeError, match="killed"):
        attempt()  # busy: a fifth of a core, 50 ms a step; checkpoint at 13, killed at 14
    clock.per_step, clock.kill_at = (0.01, 0.01), 0
    r = attempt()  # idle: 10 ms a step, all of it CPU
    assert r.resumed_at == 13 and r.steady_ms_per_it > 25, r.steady_ms_per_it  # mostly the busy attempt's time
    assert r.cpu_share == pytest.approx((10 * 0.01 + 3 * 0.01) / (10 * 0.05 + 3 * 0.01), rel=0.05), r.cpu_share
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    assert busy(r.cpu_share, 1)  # the cost table's timed_busy

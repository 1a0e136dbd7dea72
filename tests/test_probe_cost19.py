"""Probe of the cost side, 2026-12-07 (fourth pass): a resumed run's cores, macOS's CPU model, ``plbench perf``'s cold
start and out-of-memory, the dry run's one name of its device."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch._dynamo  # noqa: F401 - Adam's first build imports it (seconds): at collection, not in a test's time
from conftest import load_script

import benchmark.runner  # noqa: F401 - at collection: no test pays for its first import
import benchmark.task  # noqa: F401


def _images(n: int = 1, side: int = 32):
    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, side, side), dtype=np.uint8)))
            for k in range(n)]


def test_a_resumed_run_s_cpu_cores_are_of_every_attempt_its_cpu_share_is_of(tmp_path, monkeypatch):
    """Was: a resumed run's ``cpu_share`` is over the steady seconds of every attempt, but its ``cpu_cores`` — what
    that share is judged against (:func:`benchmark.devices.busy`) — was read when meta.json was written: the last
    attempt's. 8 threads timed 10 iterations in a container allowed 1 core, using all of it (share 1.0: idle), then
    resumed for 1 iteration on 8 free cores (share 8.0): the run's share 1.6 was judged against 8 cores and the run
    read as timed busy. Now the checkpoint carries the cores × seconds too, and ``cpu_cores`` is over the same seconds
    as the share (1.6 here): the run is idle on both attempts, and so it reads."""
    from conftest import steps_on_a_fake_clock

    import benchmark.runner as R
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig
    from benchmark.devices import busy
    from benchmark.task import build_task

    clock, cores = steps_on_a_fake_clock(monkeypatch, (0.01, 0.01), kill_at=14), [1.0]
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    monkeypatch.setattr(R, "usable_cores", lambda: cores[0])
    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    cfg = RunConfig(task="denoise", loss="l1", iterations=17, batch_size=1, crop=16, net="tiny")

    def attempt():
        ck = Checkpointer(tmp_path / "ck.pt", CheckpointPolicy(every=13, seconds=0), {"config": cfg.to_dict()})
        return R.train(cfg, build_task("denoise"), _images(), torch.device("cpu"), checkpoint=ck)

    with pytest.raises(RuntimeError, match="killed"):
        attempt()  # 1 core's quota, all of it used: 10 ms a step of 10 ms CPU; checkpoint at 13, killed at 14
    clock.per_step, clock.kill_at, cores[0] = (0.01, 0.08), 0, 8.0
    r = attempt()  # 8 free cores, every one used: 3 warm-up iterations, 1 timed
    assert r.resumed_at == 13 and r.cpu_share == pytest.approx(1.8 / 1.1, rel=0.02), r.cpu_share
    meta = R._cost(r)
    assert meta["cpu_cores"] == pytest.approx((10 * 0.01 * 1 + 1 * 0.01 * 8) / 0.11, rel=0.02), meta
    assert not busy(meta["cpu_share"], 8, meta["cpu_cores"])  # the cost table's timed_busy


def test_a_mac_names_its_cpu_model(monkeypatch, tmp_path):
    """Was: the CPU model was read from /proc/cpuinfo alone; a Mac has none, so every Mac's runs recorded
    ``platform.processor()``'s ``arm`` (or ``i386``): an M1's and an M3 Max's runs merged into one store were one kind,
    pooled into one median, and the dry run's step times of one reused on the other. Now macOS's
    ``sysctl -n machdep.cpu.brand_string`` names it, as /proc/cpuinfo does on Linux; where sysctl says nothing the
    architecture stands, as before."""
    import platform
    import subprocess

    from benchmark import devices
    from benchmark.stats import device_kind

    asked = []

    def sysctl(cmd, **kw):
        asked.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, stdout=brand[0], stderr="")

    brand = ["Apple M2 Pro\n"]
    monkeypatch.setattr(devices, "CPUINFO", str(tmp_path / "no-cpuinfo"), raising=False)
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    monkeypatch.setattr(platform, "processor", lambda: "arm")
    monkeypatch.setattr(platform, "machine", lambda: "arm64")  # a native process (x86_64: Rosetta's, test_probe_cost20)
    monkeypatch.setattr(subprocess, "run", sysctl)
    devices.cpu_model.cache_clear()
    try:
        assert devices.cpu_model() == "Apple M2 Pro"
        assert asked == [["sysctl", "-n", "machdep.cpu.brand_string"]]
        assert device_kind("cpu", devices.cpu_model(), 8) == "cpu (Apple M2 Pro, 8 threads)"
        brand[0] = ""
        devices.cpu_model.cache_clear()
        assert devices.cpu_model() == "arm"
    finally:
        devices.cpu_model.cache_clear()


class _Clock:
    """A stand-in for perf's ``time`` whose clock moves only as the stand-in steps say."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now

    process_time = perf_counter


def _counting_steps(monkeypatch, clock, first_s=0.1, step_s=0.01, fail=None):
    """``benchmark.perf.harness_step`` as stand-ins that count their calls: the process's first step of all costs
    ``first_s`` (its thread pools, caches, the allocator's first blocks), every other ``step_s``; ``fail``: an
    exception every step of a loss of that name raises."""
    from types import SimpleNamespace

    from benchmark import perf

    calls = []

    def harness_step(loss, **kw):
        def step():
            if fail is not None and loss == fail[0]:
                raise fail[1]
            clock.now += first_s if not calls else step_s
            calls.append(loss)
        return step, SimpleNamespace(loss_fn=SimpleNamespace(provenance="stand-in"), prefetch=None)

    monkeypatch.setattr(perf, "harness_step", harness_step)
    monkeypatch.setattr(perf, "time", clock)
    monkeypatch.setattr(perf, "_WARM", set())
    return calls


def test_perf_with_no_warmup_does_not_charge_the_process_s_cold_start_to_l1(monkeypatch):
    """Was: ``plbench perf --warmup 0 --reps 1`` timed l1's first step first, and with it the process's one-time
    costs (thread pools, kernel caches, lazy imports): 10× a warm step here, so l2, as dear as l1, read 0.10 × L1.
    Now every process pays them in steps of its own before any candidate is timed, whatever --warmup (as the dry run
    does): l2 reads 1.00 × L1."""
    from benchmark import perf

    clock = _Clock()
    calls = _counting_steps(monkeypatch, clock)
    rows = {r.name: r for r in perf.measure(["l2"], reps=1, warmup=0, naive=False, flops=False, images=[])}
    assert rows["l2"].x_l1 == pytest.approx(1.0), rows["l2"]
    assert rows["l1"].ms_per_step == pytest.approx(10.0), rows["l1"]
    assert calls[-2:] == ["l1", "l2"]  # the timed steps, after the warm-up's


def test_perf_out_of_gpu_memory_is_one_line_naming_the_loss_and_the_shape(monkeypatch):
    """Was: ``plbench perf --batch-size 512 --crop 256`` on a GPU checks the scoring's memory alone (the step is not
    estimated there), and a step the GPU could not hold ended in torch's traceback of CUDA's out-of-memory error.
    Now an out-of-memory error while a candidate is built or stepped (cuDNN's and
    cuBLAS's allocation failures too: :func:`benchmark.runner.is_out_of_memory`) is one line naming the loss, net and
    shape and what to lower; any other error still goes up as it is."""
    from benchmark import perf
    from benchmark.errors import UserError

    oom = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 79.10 GiB total)\n"
                                      "See documentation for Memory Management")
    _counting_steps(monkeypatch, _Clock(), fail=("vgg", oom))
    with pytest.raises(UserError) as err:
        perf.measure(["vgg"], net="base", batch=512, crop=256, reps=1, warmup=0, naive=False, flops=False,
                     images=[])
    line = str(err.value)
    assert "\n" not in line and "'vgg'" in line and "net base" in line and "512 × 256²" in line, line
    assert "Tried to allocate 20.00 GiB" in line and "--batch-size" in line, line
    _counting_steps(monkeypatch, _Clock(), fail=("vgg", ValueError("a bug in the loss")))
    with pytest.raises(ValueError, match="a bug in the loss"):
        perf.measure(["vgg"], reps=1, warmup=0, naive=False, flops=False, images=[])


def test_the_dry_run_names_its_device_one_way(tmp_path, monkeypatch, capsys):
    """Was: one dry run named its device three ways: the header 'on cpu (CPU, 2 threads)', the step-times line
    'measured on cpu:Intel(R) Xeon(R) Processor:2cores:2t' (the step-time cache's key) and the measured table 'on cpu
    (Intel(R) Xeon(R) Processor, 2 threads)': three machines, to a reader comparing them. Now every line names it as
    the cost table and the store's runs do (:func:`benchmark.stats.device_kind`)."""
    from conftest import dry_run_estimate, metric_set_of

    import benchmark.devices
    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli
    from benchmark.config import RunConfig, resolve
    from benchmark.devices import torch_threads

    grid = [resolve(RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32))]
    monkeypatch.setattr(benchmark.perf, "estimate_grid", lambda configs, *a, **k: {
        **dry_run_estimate(configs, {"l1": {"denoise": 7.6}}), "device": "cpu:Xeon W:2cores:2t"})
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    monkeypatch.setattr(benchmark.devices, "cpu_model", lambda: "Xeon W")
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    args = type("Args", (), {"dry_run": True})()
    with torch_threads(2):
        assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick") == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("dry run:"))
    times = next(line for line in out.splitlines() if line.startswith("step times:"))
    assert "on cpu (Xeon W, 2 threads); nothing was trained" in header, header
    assert "measured on cpu (Xeon W, 2 threads), at" in times, times
    assert "CPU," not in out and "cpu:" not in out, out


def test_a_gpu_run_s_peak_memory_covers_its_scoring_and_a_failed_run_records_it(monkeypatch):
    """Was: meta.json's ``peak_mem_mb`` was the allocator's peak read at the end of training: scoring, which runs the
    test set's whole images through the net (a Kodak24 image is 25× a 128² crop's pixels), was left out of the
    column that says what GPU a loss needs; and a run that failed (out of memory at half the batch too) recorded no
    ``peak_mem_mb`` at all, beside its host peak. Now both are read where the host's is, when the run is recorded —
    after scoring — the largest of its attempts' (the checkpoint's), and on the CPU there is none."""
    from types import SimpleNamespace

    from benchmark import resources
    from benchmark.runner import peak_rss_fields

    gpu = SimpleNamespace(type="cuda")  # no CUDA here: the allocator's counter is the test's
    peak = [5000 * 2**20]
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: peak[0])
    monkeypatch.setattr(torch.cuda, "max_memory_reserved", lambda device=None: peak[0])
    monkeypatch.setattr(resources, "peak_rss_mb", lambda: 800.0)
    trained = SimpleNamespace(peak_mem_mb=2000.0, peak_mem_reserved_mb=None, peak_rss_before=None,
                              peak_rss_own_before=True)
    assert peak_rss_fields(trained, True, device=gpu) == {"peak_rss_mb": 800.0, "peak_mem_mb": 5000.0,
                                                         "peak_mem_reserved_mb": 5000.0}
    peak[0] = 1000 * 2**20  # scoring held less than training did
    assert peak_rss_fields(trained, True, device=gpu)["peak_mem_mb"] == 2000.0
    # failed in training, resumed from a checkpoint whose attempt held 7 GB: none returned, the checkpoint's kept
    got = peak_rss_fields(None, True, before={"peak_mem_mb": 7000.0, "peak_rss_mb": 600.0}, device=gpu)
    assert got == {"peak_rss_mb": 800.0, "peak_mem_mb": 7000.0, "peak_mem_reserved_mb": 1000.0}, got
    assert peak_rss_fields(None, True, device=gpu)["peak_mem_mb"] == 1000.0  # failed before any checkpoint
    assert "peak_mem_mb" not in peak_rss_fields(trained, True, device=torch.device("cpu"))


def test_the_gpu_check_names_the_host_cpu_s_model(monkeypatch):
    """Was: ``scripts/gpu_check.py`` recorded the host CPU as ``platform.processor()`` — ``x86_64`` on every Linux
    machine — and its Markdown named none, though the data side of the step it times (sampling, JPEG's host-side
    degradation) and its whole ``--device cpu`` check run there. Now it is the model the runs' meta.json names
    (:func:`benchmark.devices.cpu_model`), in gpu_check.json and beside the thread count in gpu_check.md."""

    from benchmark import devices, weights

    mod = load_script("gpu_check")
    monkeypatch.setattr(weights, "weights_report", lambda losses=None: [])  # (the real one imports every loss)
    monkeypatch.setattr(devices, "cpu_model", lambda: "AMD EPYC 9654 96-Core Processor")
    env = mod.environment(torch.device("cpu"))
    assert env["cpu"] == "AMD EPYC 9654 96-Core Processor", env
    md = mod.to_markdown({"date": "d", "environment": env, "wall_s": 1.0})
    assert f"{env['threads']} threads of AMD EPYC 9654 96-Core Processor; total 1 s." in md, md


def test_runs_recorded_before_the_cpu_model_was_named_and_counted_as_one_are_said_to_be():
    """Was: a CPU run whose meta.json names no model (``x86_64``: recorded before plbench named it) joins the one
    model the store names at its thread count (:func:`benchmark.stats.device_kinds`) — right for the store's machine
    before and after an upgrade, but an old Xeon store merged with an EPYC's newer runs had its l1 runs pooled into
    the EPYC's median, the leaderboard silent about it. The join stays (a store of its machine alone would otherwise
    lose every pooled median at the upgrade), and is said: the cost table counts such runs per loss
    (``timed_model_assumed``) and the notes name them, and what keeps another machine's apart."""
    from test_probe_cost18 import _cpu_metas

    from benchmark import stats as S
    from benchmark.export import CSV_COLUMNS, device_cost_lines

    epyc = "AMD EPYC 7763 64-Core Processor"
    where = {("l1", s): ("x86_64" if s < 2 else epyc, 4, 30.0 if s < 2 else 10.0) for s in range(4)}
    where.update({("l2", s): (epyc, 4, 20.0) for s in range(4)})
    costs = S.cost_table(_cpu_metas(where))[0].set_index("label")
    assert costs.loc["l1", "timed_on"] == f"cpu ({epyc}, 4 threads)", costs  # joined, as before
    assert costs.loc["l1", "ms_per_it"] == 20.0 and costs.loc["l1", "timed_model_assumed"] == 2, costs
    assert costs.loc["l2", "timed_model_assumed"] == 0
    assert "timed_model_assumed" in CSV_COLUMNS["costs.csv"]
    notes = device_cost_lines(type("Stats", (), {"costs": costs.reset_index()})())
    said = [n for n in notes if "before plbench named the CPU model" in n]
    assert len(said) == 1 and "ms/it of 2 runs (l1)" in said[0] and "device_name" in said[0], notes
    alone = {k: ("x86_64", 4, 10.0) for k in where}  # no model named anywhere: nothing assumed, nothing said
    costs = S.cost_table(_cpu_metas(alone))[0]
    assert costs["timed_model_assumed"].sum() == 0 and costs["timed_on"].tolist() == ["cpu (4 threads)"] * 2
    assert not [n for n in device_cost_lines(type("Stats", (), {"costs": costs})()) if "CPU model" in n]


def test_perf_says_which_steps_were_timed_while_other_work_held_the_cores(monkeypatch):
    """Was: ``plbench perf`` on a CPU shared with other jobs printed ms/step and it/s several times an idle machine's
    with nothing but the load average in its header, while the dry run and every run judge such a timing (its
    process's CPU seconds ÷ wall seconds per torch thread, ``PLBENCH_MIN_CPU_SHARE``) and say it reads high. Now perf
    times each candidate's CPU seconds too, records its share in its row and names the candidates timed so under
    its table (× L1 stays comparable: the steps are interleaved under the same load)."""
    from benchmark import perf

    class Busy(_Clock):
        """Every step's wall time, a fifth of it the process's CPU time: four fifths went to other work."""

        def process_time(self):
            return self.now / 5

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    monkeypatch.setattr(perf, "usable_cores", lambda: 1.0)
    _counting_steps(monkeypatch, Busy(), first_s=0.05, step_s=0.05)
    rows = perf.measure(["l2"], reps=3, warmup=0, naive=False, flops=False, images=[])
    assert all(r.busy and r.cpu_share == pytest.approx(0.2) for r in rows), rows
    table = perf.format_rows(rows, "header")
    assert table.splitlines()[-1].startswith("l1, l2: timed while this process had under 0.5 of a core"), table
    _counting_steps(monkeypatch, _Clock(), first_s=0.05, step_s=0.05)  # every second of it the process's own
    rows = perf.measure(["l2"], reps=3, warmup=0, naive=False, flops=False, images=[])
    assert not any(r.busy for r in rows) and "timed while" not in perf.format_rows(rows, "header")

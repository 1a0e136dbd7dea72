"""Probe of the cost area, session 20: what a run costs (its device's kind, its memory, its time) as the cost table,
the dry run and ``plbench perf`` tell it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from benchmark import devices
from benchmark.stats import device_kind, timed_kind


def test_the_kind_a_step_is_timed_on_here_has_one_public_home(monkeypatch):
    """The kind of device a step timed in this process is of was written three times (meta.json's ``device_name``,
    runner's private ``_steady_kind``, which ``plbench pretrain``'s estimate imported, and the dry run's header) →
    devices.device_name gives the model meta.json records and stats.timed_kind its cost-table kind, used by all."""
    monkeypatch.setattr(devices, "cpu_model", lambda: "AMD EPYC 7763 64-Core Processor")
    assert devices.device_name(torch.device("cpu")) == "AMD EPYC 7763 64-Core Processor"
    assert timed_kind(torch.device("cpu"), 2) == "cpu (AMD EPYC 7763 64-Core Processor, 2 threads)"
    monkeypatch.setattr(devices, "cpu_model", lambda: "")
    assert devices.device_name(torch.device("cpu")) == "cpu"  # as meta.json recorded it
    assert timed_kind(torch.device("cpu"), 4) == device_kind("cpu", "cpu", 4)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA H100 80GB HBM3")
    assert devices.device_name(torch.device("cuda:0")) == "NVIDIA H100 80GB HBM3"
    assert timed_kind(torch.device("cuda:0"), 16) == "cuda (NVIDIA H100 80GB HBM3)"


def test_a_rosetta_process_on_apple_silicon_is_another_kind_than_a_native_one(monkeypatch, tmp_path):
    """An Intel build of Python on an M1 (Rosetta 2: x86 code translated, no native kernels) read the same
    ``machdep.cpu.brand_string`` as a native arm64 one, so its runs were of the native kind: a store holding both
    pooled a translated step's ms/it (several times a native one's) into one median, and the dry run reused one's step
    times for the other → an x86_64 process's Apple model is ``"… under Rosetta"``, another kind; an Intel Mac's is
    its own; a run recorded before the model was named (platform.processor()'s ``i386`` in any x86_64 process, ``arm``
    in a native one) joins a Rosetta model only where it says ``i386``."""
    import platform
    import subprocess

    from benchmark.stats import device_kinds

    brand = ["Apple M1\n"]
    monkeypatch.setattr(devices, "CPUINFO", str(tmp_path / "no-cpuinfo"))
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, brand[0], ""))
    named = {}
    try:
        for label, text, machine in (("native", "Apple M1\n", "arm64"), ("rosetta", "Apple M1\n", "x86_64"),
                                     ("intel", "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz\n", "x86_64")):
            brand[0] = text
            monkeypatch.setattr(platform, "machine", lambda m=machine: m)
            devices.cpu_model.cache_clear()
            named[label] = devices.cpu_model()
    finally:
        devices.cpu_model.cache_clear()
    assert named == {"native": "Apple M1", "rosetta": "Apple M1 under Rosetta",
                     "intel": "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz"}
    assert device_kind("cpu", named["rosetta"], 8) != device_kind("cpu", named["native"], 8)
    # the store's one model at 8 threads is Rosetta's: an old i386 run may be of it, an old arm run is not
    kinds = device_kinds(["cpu"] * 3, [named["rosetta"], "i386", "arm"], [8, 8, 8])
    assert kinds == ["cpu (Apple M1 under Rosetta, 8 threads)"] * 2 + ["cpu (arm, 8 threads)"]
    kinds = device_kinds(["cpu"] * 3, [named["native"], "i386", "arm"], [8, 8, 8])
    assert kinds == ["cpu (Apple M1, 8 threads)", "cpu (i386, 8 threads)", "cpu (Apple M1, 8 threads)"]


def test_a_dry_run_counts_only_the_iterations_an_interrupted_run_has_left(tmp_path, monkeypatch, capsys):
    """Was: the dry run of a grid stopped at 3 a.m. (a run's checkpoint at iteration 339 of 400) estimated that run's
    400 iterations again (48 s where the run trains 61 iterations, 7 s), and, the grid's first run not finished, its
    degraded inputs' scoring again though the store held it → a run resuming from a usable checkpoint is estimated at
    the iterations it has left, said in a line; a checkpoint of another configuration, or a policy that saves none,
    resumes nothing; the inputs scored are looked up whether or not a run is done."""
    from conftest import dry_run_estimate, metric_set_of

    import benchmark.metrics
    import benchmark.perf
    import benchmark.runner
    from benchmark import cli
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "res")
    stopped, other = (resolve(RunConfig(task="denoise", loss=loss, iterations=40, batch_size=2, crop=32))
                      for loss in ("l1", "l2"))
    net = torch.nn.Linear(1, 1)
    opt = SimpleNamespace(state_dict=dict)  # an optimiser's and a schedule's state (a real one imports dynamo: 6 s)
    for c, fingerprint_of in ((stopped, stopped), (other, stopped)):  # other's: another configuration's checkpoint
        store.run_dir(run_id(c)).mkdir(parents=True)
        Checkpointer(store.run_dir(run_id(c)) / "ckpt.pt", CheckpointPolicy(),
                     {"config": fingerprint_of.to_dict(), "code_version": benchmark.runner.code_version()}).save(
            30, net=net, opt=opt, sched=opt, loss_fn=torch.nn.L1Loss(),
            gen=torch.Generator(), device=torch.device("cpu"), progress={})
    asked = []
    monkeypatch.setattr(benchmark.perf, "estimate_grid", lambda configs, *a, **k: asked.append((configs, k)) or
                        dry_run_estimate(configs, {"l1": {"denoise": 7.6}}))
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    monkeypatch.setattr(benchmark.runner, "is_complete", lambda store, rid, *a, **k: rid.startswith("input-"))
    args = type("Args", (), {"dry_run": True})()
    for policy, left in ((None, [10, 40]), (CheckpointPolicy(every=50), [10, 40]), (CheckpointPolicy(0, 0), [40, 40])):
        asked.clear()
        assert cli._dry_run(args, [stopped, other], ("psnr",), torch.device("cpu"), "quick", store=store,
                            checkpoint=policy) == 0
        out = capsys.readouterr().out
        (configs, kwargs), = asked
        assert [c.iterations - kwargs["trained"].get(c, 0) for c in configs] == left, policy  # the rest charged
        said = "1 run resumes from its checkpoint (30 of its 40 iterations trained): this estimate counts the 10 left"
        assert (said in out) == (left[0] == 10), out
        assert kwargs["inputs_scored"] and "nothing was trained" in out


def test_perf_s_times_l1_lies_within_its_own_interquartile_range(monkeypatch):
    """Was: `plbench perf`'s × L1 was the ratio of the two medians while its IQR beside it was of the per-rep ratios
    (each rep's step over the same rep's interleaved l1 step): under load the figure fell outside its own range
    (ssim "2.54  2.58–8.91" on a loaded 2-core machine) → × L1 is the median of those paired ratios, the statistic
    its IQR is of. The steps run on the test's own clock: l1 takes 1, 10, 10 s in its three reps, l2 10, 10, 100 s."""
    import time as _time

    from benchmark import perf

    clock = {"wall": 0.0}
    took = {"l1": [1.0, 10.0, 10.0], "l2": [10.0, 10.0, 100.0]}

    def harness_step(name, **kw):
        def step():
            clock["wall"] += took[name].pop(0)
        return step, SimpleNamespace(loss_fn=SimpleNamespace(provenance="none"))

    monkeypatch.setattr(perf, "harness_step", harness_step)
    monkeypatch.setattr(perf, "_warm_process", lambda *a, **k: None)
    monkeypatch.setattr(_time, "perf_counter", lambda: clock["wall"])
    monkeypatch.setattr(_time, "process_time", lambda: clock["wall"])
    rows = {r.name: r for r in perf.measure(["l2"], net="tiny", batch=1, crop=32, device="cpu", reps=3, warmup=0,
                                            naive=False, flops=False, images=[])}
    low, high = rows["l2"].x_l1_iqr
    assert low <= rows["l2"].x_l1 <= high and rows["l2"].x_l1 == 10.0, rows["l2"]  # paired ratios 10, 1, 10
    assert rows["l1"].x_l1 == 1.0 and rows["l2"].ms_per_step == 10_000.0  # ms/step: still the median step


def test_a_dry_run_on_workers_is_never_shorter_than_its_longest_run(monkeypatch, capsys):
    """Was: the dry run's '≈ … on N workers' was the sequential estimate ÷ the runs at once, though a run is not split
    over workers (the run's own ETA knows it): one PDL run of 100 s and three ℓ1 runs of 1 s on 4 workers read
    '≈ 26 s' for a grid that takes 100 s at least → estimate_grid gives its longest run (``longest_s``) and the line
    is never below it, saying why. The step and evaluation times are the test's own (a StepTimes stand-in)."""
    from conftest import metric_set_of

    import benchmark.executors
    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli
    from benchmark.config import RunConfig, resolve

    class Times:  # StepTimes' interface: a step (step s, its data s), a data part, an evaluation (warm, cold, spill)
        measured = busy = reused = 0
        path = "steptimes.json"

        def get(self, key, measure):
            parts = key.split("|")
            if parts[3] == "eval":
                return 0.0 if key.endswith("|spill") else 0.5
            return 0.0 if parts[4] == "-" else (1.0 if parts[4] == "pdl" else 0.01, 0.0)

        def save(self):
            pass

    grid = [resolve(RunConfig(task="denoise", loss=loss, iterations=100, batch_size=2, crop=32, seed=seed))
            for loss, seed in (("pdl", 0), ("l1", 0), ("l1", 1), ("l1", 2))]
    real = benchmark.perf.estimate_grid
    monkeypatch.setattr(benchmark.perf, "estimate_grid", lambda configs, metrics, device, **k: real(
        configs, metrics, device, Times(), **k))
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    monkeypatch.setattr(benchmark.executors, "_cores", lambda: 8)
    est = real(grid, ("psnr",), "cpu", Times(), processes=4)
    assert est["longest_s"] == pytest.approx(100.5) and est["seconds"] < 4 * 100.5, est  # pdl: 100 steps + scoring
    args = type("Args", (), {"dry_run": True})()
    assert cli._dry_run(args, grid, ("psnr",), torch.device("cpu"), "quick", {"workers": 4}) == 0
    out = capsys.readouterr().out
    assert "≈ 1.7 min on 4 workers, its longest run alone (a run is not split over workers; " in out, out

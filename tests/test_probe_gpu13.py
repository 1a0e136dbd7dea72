"""GPU readiness, probed on the CPU (session 13): the lent-GPU recipe (``scripts/gpu_device.sh`` →
``scripts/gpu_check.py``) and the device path of the training step. Each test failed on the code before its fix."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_a_section_still_running_at_the_budget_is_stopped_with_the_tables_written(tmp_path, monkeypatch):
    """--budget-s was checked only before a section (or one of its rows) started: a section started just before it
    — or one that hung, a worker stuck in a kernel — ran on past it until the lent machine's 10-minute limit killed
    the command, and the sections after it never ran. Now a watchdog stops the check at the deadline: the tables
    are written with that section marked stopped (its rows so far kept), worker processes ended, exit 1."""
    mod = load_script("gpu_check")
    release, at_stop = threading.Event(), {}
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})

    def hangs(*a, rows, saved, **k):  # one row measured, then the next one hangs
        rows.append({"net": "tiny", "batch": 1, "crop": 32, "loss": "l1", "ms_per_step": 2.0, "x_l1": 1.0,
                     "x_naive": None, "peak_mem_mb": None, "tflops": None, "weights": "-"})
        saved()
        release.wait(10)
        return rows

    def abandon(code):  # what the process would leave behind when it ends here
        at_stop.update(code=code, json=json.loads((tmp_path / "gpu_check.json").read_text()),
                       md=(tmp_path / "gpu_check.md").read_text())
        release.set()

    monkeypatch.setattr(mod, "step_times", hangs)
    monkeypatch.setattr(mod, "_abandon", abandon, raising=False)
    for name in ("utilisation_during_run", "runs_per_hour", "same_seed_identity"):
        monkeypatch.setattr(mod, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("not reached")))
    mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "0.3"], exit_at_deadline=True)  # the script
    assert at_stop, "the check was not stopped at its --budget-s deadline"
    steps = at_stop["json"]["steps"]
    assert at_stop["code"] == 1 and "--budget-s deadline" in steps["stopped"], steps
    assert [r["loss"] for r in steps["rows"]] == ["l1"] and "wall_s" in at_stop["json"]
    assert "stopped: still running at the --budget-s deadline" in at_stop["md"] and "| l1 | 2.00 |" in at_stop["md"]


def test_the_sections_after_one_stopped_at_the_budget_are_named_skipped(tmp_path, monkeypatch):
    """When the script ended at the deadline inside a section, gpu_check.md — what comes back from a lent machine —
    ended with that section: the sections after it were not in it at all, so it did not say that the GPU's
    utilisation, runs/hour and same-seed identity were never measured. Each is now listed, skipped, saying why."""
    mod = load_script("gpu_check")
    release, at_stop = threading.Event(), {}
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})
    monkeypatch.setattr(mod, "step_times", lambda *a, rows, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: release.wait(10) and {})  # hangs

    def abandon(code):
        at_stop.update(json=json.loads((tmp_path / "gpu_check.json").read_text()),
                       md=(tmp_path / "gpu_check.md").read_text())
        release.set()

    monkeypatch.setattr(mod, "_abandon", abandon)
    for name in ("runs_per_hour", "same_seed_identity"):
        monkeypatch.setattr(mod, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("not reached")))
    mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "0.2"], exit_at_deadline=True)
    res, md = at_stop["json"], at_stop["md"]
    assert "stopped" in res["utilisation"], res
    for key, title in (("runs_per_hour", "## Runs per hour"), ("identity", "## Same seed, trained twice")):
        assert res[key] == {"skipped": "not started: utilisation was stopped at the --budget-s deadline"}, res[key]
        assert f"{title}\n\nskipped: not started: utilisation was stopped" in md, md


def test_the_budget_watchdog_never_ends_a_test_process(tmp_path, monkeypatch):
    """The watchdog ended the whole process at --budget-s (os._exit from its thread) wherever main() ran: a test that
    runs the check in its own process (tests/test_gpu_check.py, the reduced check, past 480 s on a loaded machine)
    killed pytest with it. Only the script (``exit_at_deadline``) ends its process now; in another process the tables
    are written at the deadline with the section marked stopped, the section runs on (its later rows kept) and the
    check returns 1, the sections after it skipped."""
    mod = load_script("gpu_check")
    abandoned = []
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})
    monkeypatch.setattr(mod, "_abandon", abandoned.append)
    row = {"net": "tiny", "batch": 1, "crop": 32, "ms_per_step": 2.0, "x_l1": 1.0, "x_naive": None,
           "peak_mem_mb": None, "tflops": None, "weights": "-"}
    seen_at_deadline = {}

    def slow(*a, rows, saved, **k):  # one row, then the deadline passes while the next is measured
        rows.append({**row, "loss": "l1"})
        saved()
        for _ in range(200):
            text = (tmp_path / "gpu_check.json").read_text()
            if "stopped" in text:
                seen_at_deadline["json"] = json.loads(text)
                break
            threading.Event().wait(0.02)
        rows.append({**row, "loss": "l2"})
        saved()
        return rows

    monkeypatch.setattr(mod, "step_times", slow)
    for name in ("utilisation_during_run", "runs_per_hour", "same_seed_identity"):
        monkeypatch.setattr(mod, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("not reached")))
    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "0.2"]) == 1
    assert abandoned == [], "the watchdog tried to end the test process"
    assert [r["loss"] for r in seen_at_deadline["json"]["steps"]["rows"]] == ["l1"], seen_at_deadline
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert "--budget-s deadline" in res["steps"]["stopped"]
    assert [r["loss"] for r in res["steps"]["rows"]] == ["l1", "l2"]
    assert all("skipped" in res[k] for k in ("utilisation", "runs_per_hour", "identity")), res


def test_a_hung_training_process_of_the_check_is_ended_at_the_budget_in_a_test_process(tmp_path, monkeypatch):
    """Run inside another process (the test suite), the watchdog left the same-seed section's training process (a
    fresh interpreter, a1e53c1) running when it hung: the check waited on it, the test with it, until pytest's
    timeout. The check's own training processes are now ended at the deadline there too; the section stays stopped."""
    import time

    mod = load_script("gpu_check")
    abandoned = []
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})
    monkeypatch.setattr(mod, "_abandon", abandoned.append)
    monkeypatch.setattr(mod, "step_times", lambda *a, **k: [])
    monkeypatch.setattr(mod, "utilisation_during_run", lambda *a, **k: {"samples": 0, "iterations": 1, "wall_s": 0.1})
    monkeypatch.setattr(mod, "runs_per_hour", lambda *a, **k: [])
    monkeypatch.setattr(mod, "_configs", lambda *a, **k: [])
    monkeypatch.setattr(mod, "_TRAIN_COPY", "import time; time.sleep(20)")  # hung
    t0 = time.perf_counter()
    assert mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "0.3"]) == 1
    assert time.perf_counter() - t0 < 10 and abandoned == [] and mod._SUBPROCESSES == []
    res = json.loads((tmp_path / "gpu_check.json").read_text())
    assert "--budget-s deadline" in res["identity"]["stopped"], res["identity"]


def test_runs_per_hour_leaves_out_the_workers_start_up(tmp_path, monkeypatch):
    """Runs/hour per worker count was the grid's wall time, the spawned workers' start-up included (a fresh
    interpreter, imports, a CUDA context, decoding the data: seconds each), while one worker trains in the check's
    own process and pays none: on 2 CPU cores the reduced check gave 793 runs/h for 1 worker and 226 for 2, so a
    tiny grid always said that sharing a GPU loses, whatever it does overnight. Now runs/hour is measured from the
    first run's start to the last one's end (meta.json), the wall time with start-up kept beside it."""
    import time

    import torch

    from benchmark import executors
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    mod = load_script("gpu_check")

    def fake(configs, root, metrics, device, **kw):  # 0.3 s of start-up, then runs spanning 4 s of recorded time
        time.sleep(0.3)
        store = ResultsStore(root)
        store.ensure_writable()
        for i, c in enumerate(configs):
            rid = run_id(c)
            store.write_meta(rid, {"run_id": rid, "config": c.to_dict(), "status": "ok", "started": 1000.0 + 2 * i,
                                   "wall_s": 2.0, "eval_s": 0.5})  # wall_s: training and evaluation, as the runner

    monkeypatch.setattr(executors, "execute_local", fake)
    monkeypatch.setattr(mod, "_configs", lambda *a, seeds, **k: [RunConfig(task="denoise", loss="l1", seed=s)
                                                                 for s in (0, 1)])  # (planning reads the photos: 8 s)
    (row,) = mod.runs_per_hour(torch.device("cpu"), (2,), n_runs=2, iterations=4, net="tiny", batch=1, crop=16)
    assert row["runs"] == 2 and row["runs_span_s"] == 4.0 and row["runs_per_hour"] == 3600 * 2 / 4.0, row
    assert row["wall_s"] >= 0.3 and row["runs_per_hour_wall"] == 3600 * 2 / row["wall_s"]
    md = "\n".join(mod._section_md("runs_per_hour", [row], {"device": "cpu"}))
    assert "| 2 | 2 | 4 | 4.0 | 1800 |" in md, md


def test_the_check_says_which_pretrained_weights_are_cached(monkeypatch):
    """The check was to say which pretrained weights a machine has cached (README: it 'prints and writes ... cached
    weights'), but gpu_check.md — what is printed and what comes back from a lent machine — named none, and the JSON
    keyed every loss that needs no file by '' (one entry for all of them). Now each file the losses load is named,
    cached or missing, in both."""
    import torch

    from benchmark import weights

    rows = [{"loss": "l1", "needs": "none", "file": "", "path": "", "present": True},
            {"loss": "l2", "needs": "none", "file": "", "path": "", "present": True},
            {"loss": "vgg", "needs": "vgg16", "file": "vgg16-397923af.pth", "path": "/c/vgg16-397923af.pth",
             "present": True},
            {"loss": "dists", "needs": "dists", "file": "DISTS_weights-f5e65c96.pth", "path": "/c/D.pth",
             "present": False}]
    monkeypatch.setattr(weights, "weights_report", lambda losses=None: rows)  # (the real one imports every loss)
    mod = load_script("gpu_check")
    env = mod.environment(torch.device("cpu"))
    files = {"vgg16-397923af.pth": True, "DISTS_weights-f5e65c96.pth": False}
    assert env["weights"] == files and "" not in env["weights"], env["weights"]
    md = mod.to_markdown({"date": "d", "environment": env})
    line = next(x for x in md.splitlines() if x.startswith("Pretrained weights cached:"))
    assert line == "Pretrained weights cached: 1 of 2 (vgg16-397923af.pth); missing: DISTS_weights-f5e65c96.pth.", line


class _HostReads:
    """A TorchFunctionMode that records every read of a tensor's value by the host made directly by this repository's
    code (``.item()``, ``bool()``/``float()``/``int()`` of a tensor, ``.tolist()``, ``.numpy()``, ``nonzero``, boolean
    indexing): each one a host sync on a GPU. Reads inside torch itself (Adam's CPU step counter) are not ours."""

    def __new__(cls):
        import torch
        from torch.overrides import TorchFunctionMode

        T = torch.Tensor
        reads = {T.item, T.__bool__, T.__float__, T.__int__, T.__index__, T.tolist, T.numpy, T.nonzero, torch.nonzero,
                 T.masked_select, torch.masked_select, T.unique, torch.unique}
        ours = tuple(str(ROOT / d) for d in ("benchmark", "losses", "tasks"))

        class Mode(TorchFunctionMode):
            def __init__(self):
                super().__init__()
                self.hits = []

            def __torch_function__(self, func, types, args=(), kwargs=None):
                read = func in reads or (func is T.__getitem__ and any(
                    isinstance(i, T) and i.dtype == torch.bool
                    for i in (args[1] if isinstance(args[1], tuple) else (args[1],))))
                if read:
                    import sys

                    caller = sys._getframe(1)
                    if caller.f_code.co_filename.startswith(ours):
                        self.hits.append(f"{func.__name__} at {caller.f_code.co_filename}:{caller.f_lineno}")
                return func(*args, **(kwargs or {}))

        return Mode()


def test_the_device_path_step_reads_nothing_back_from_the_device(one_thread):
    """The GPU step is built not to wait on the host (README); tests/test_review_overnight12.py checks it with
    torch.cuda.set_sync_debug_mode, which runs only where CUDA is. This is its CPU stand-in: the device path's step
    (``device_path=True``, bf16 autocast) for a trunk loss with an online update (contrastive_select, whose per-step
    ``int(self.steps)`` issue 23 found), PDL with fresh projections (pdl_proj) and a pixel loss on jpeg (its host codec
    made ahead in a thread) records no read of a tensor's value by our code between the checks (deblur's CPU
    generator draws kernels on the host by design: left out). A guard: it fails on any such read added to the step
    (a per-step gradient check or log line with float(loss))."""
    import torch

    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.runner import TrainStep
    from benchmark.task import build_task

    images = [ImageRecord(f"i{i}", torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(i)))
              for i in range(2)]
    found = {}
    for task, loss in [("denoise", "l1 + 0.1*contrastive_select(layers=('relu1_2',), update_every=1)"),
                       ("sr4", "pdl_proj(resample=True, layers=('relu1_2',))"), ("jpeg", "l1")]:
        cfg = RunConfig(task=task, loss=loss, net="tiny", iterations=4, batch_size=1, crop=24,
                        backbone_weights="random")
        step = TrainStep(cfg, build_task(task), images, torch.device("cpu"), device_path=True, autocast_bf16=True)
        step(1)  # the loss's first-call checks (user input: read once), the optimiser's state
        with _HostReads() as mode:
            step(2)
        found[f"{task}/{loss}"] = mode.hits
        if step.prefetch is not None:
            step.prefetch.close()
    assert not any(found.values()), found


@pytest.mark.slow
def test_same_seed_identity_trains_each_copy_in_a_fresh_process(tmp_path, monkeypatch, one_thread):
    """The identity section trained both copies in the check's own process: on a GPU the second reused the first's
    cuDNN algorithm choices (cudnn.benchmark times them, once per process) and allocator, so 'bit-identical' said
    nothing of a resumed run or another worker, which is what the README's CUDA tolerance is about. Each copy now
    trains in a fresh process; here the check's own run_grid is broken to show that neither copy uses it."""
    import torch

    from benchmark import runner

    def not_here(*a, **k):
        raise AssertionError("trained in the check's own process")

    monkeypatch.setattr(runner, "run_grid", not_here)
    res = load_script("gpu_check").same_seed_identity(torch.device("cpu"), iterations=2, net="tiny", batch=1, crop=16)
    assert res["runs"] == 2 and res["rows"] > 0 and res["bit_identical"], res


def _fake_cuda_allocator(monkeypatch, step_bytes: int):
    """torch.cuda's memory counters on the CPU: reserved = the DeviceSampler buffers this process holds (the training
    sets uploaded) + 1 MB; the peak since the last reset = that + ``step_bytes`` (a training step's own)."""
    import torch

    from benchmark.sampler import DeviceSampler

    def reserved(device=None):
        return sum(s.buffer.numel() for s, _ in DeviceSampler._cache.values() if s.buffer is not None) + 2**20

    for name, fn in {"synchronize": lambda device=None: None, "reset_peak_memory_stats": lambda device=None: None,
                     "memory_reserved": reserved, "max_memory_reserved": lambda device=None: reserved() + step_bytes,
                     "empty_cache": lambda: None}.items():
        monkeypatch.setattr(torch.cuda, name, fn)


def test_the_gpu_memory_check_counts_the_training_set_once(monkeypatch, one_thread):
    """The GPU memory check (measure_cuda_step: two real steps) counted the uint8 training set twice when this process
    uploaded it during the measurement — in the peak, and added once more as 'shared, kept after this step' — so the
    first setting a worker checked needed one training set more than the next one (6–7 GB on the DIV2K fallback: a
    grid refused with a worker count that fits). And a set too large to be resident, kept on the host (buffer None),
    raised AttributeError, which the check took as 'no estimate': that setting was not checked at all. Now the set is
    counted once in both orders, and not at all when it stays on the host. (CUDA's counters faked on the CPU.)"""
    import torch

    from benchmark import sampler
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.runner import measure_cuda_step
    from benchmark.sampler import DeviceSampler

    _fake_cuda_allocator(monkeypatch, step_bytes=5000)
    monkeypatch.setattr(DeviceSampler, "_cache", {})
    images = [ImageRecord(f"i{i}", torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(i)))
              for i in range(2)]
    data = 2 * 3 * 40 * 40  # bytes of the set as uint8
    cfg = RunConfig(task="denoise", loss="l1", net="tiny", iterations=4, batch_size=1, crop=24)
    cpu = torch.device("cpu")
    first, again = (measure_cuda_step(cfg, images, cpu, device_path=True) for _ in range(2))
    assert (first, again) == (5000 + data, 5000 + data)
    monkeypatch.setattr(DeviceSampler, "_cache", {})
    monkeypatch.setattr(sampler, "RESIDENT_SHARE", 0.0)  # too large to be resident: kept on the host
    assert measure_cuda_step(cfg, images, cpu, device_path=True) == 5000


class _LiveTensorBytes:
    """A CPU stand-in for torch.cuda's allocated-memory counters: allocated = the bytes of every live tensor's storage
    (found through the garbage collector); the peak since the last reset is what is live when it is read."""

    def __init__(self):
        self.resets = 0

    @staticmethod
    def memory_allocated(device=None) -> int:
        import gc

        import torch

        seen = {}
        for o in gc.get_objects():
            if isinstance(o, torch.Tensor) and not o.is_meta:
                st = o.untyped_storage()
                seen[st.data_ptr()] = st.nbytes()
        return sum(seen.values())

    def max_memory_allocated(self, device=None) -> int:
        return self.memory_allocated()

    def max_memory_reserved(self, device=None) -> int:  # a CPU has no cache: what is live
        return self.memory_allocated()

    def reset_peak_memory_stats(self, device=None) -> None:
        self.resets += 1

    def synchronize(self, device=None) -> None:
        pass

    def empty_cache(self) -> None:
        pass


def test_perf_peak_memory_is_each_loss_alone(one_thread, monkeypatch):
    """`plbench perf` (and the GPU check's 'peak MB' column) built every candidate first, then read each one's peak
    with all of them resident: every row counted every other row's net, frozen trunk and optimiser state, so ℓ1 showed
    what the heaviest trunk needs. Each candidate's peak is now read from one step of it built again alone, the others
    freed. (On the CPU the allocator's counters are a stand-in: the bytes of the live tensors.)"""
    import torch

    from benchmark import perf
    from benchmark.data import ImageRecord
    from benchmark.perf import measure

    monkeypatch.setattr(perf, "training_images", lambda crop: [  # (decoding the photos: seconds)
        ImageRecord(f"i{i}", torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(i))) for i in range(2)])
    import gc

    meter = _LiveTensorBytes()
    gc.freeze()  # the objects of the test process so far: out of the stand-in's scans and perf's gc.collect (2 s)
    try:
        rows = {r.name: r for r in measure(["vgg"], net="tiny", batch=1, crop=16, reps=1, warmup=1, naive=False,
                                           flops=False, memory=meter)}
    finally:
        gc.unfreeze()
    # the VGG-16 trunk to relu2_2 (4 convolutions, 260,160 float32 weights: 0.99 MiB) is vgg's own, not ℓ1's
    trunk_mib = 260_160 * 4 / 2**20
    extra = rows["vgg"].peak_mem_mb - rows["l1"].peak_mem_mb
    assert trunk_mib <= extra < trunk_mib + 0.5, {n: r.peak_mem_mb for n, r in rows.items()}
    assert meter.resets == 2 and rows["l1"].ms_per_step > 0


def test_the_checks_output_folder_is_git_ignored_and_a_relative_out_is_the_callers(tmp_path):
    """With $OUT unset (a run here, not on a lent machine) scripts/gpu_device.sh wrote gpu_check/ (also
    gpu_check.py's default --out) into the repository root, untracked: listed by git status, taken by `git add -A`,
    and carried to the next lent machine with the working tree. That folder is now git-ignored. And a relative $OUT
    was read from the repository root the wrapper moves to, not from where it was called."""
    import shutil
    import subprocess

    from tests.test_probe_overnight4 import _device_repo, _stub_modules

    if shutil.which("git") and (ROOT / ".git").exists():
        for f in ("gpu_check/gpu_check.md", "gpu_check/gpu_device.log"):  # the wrapper's and the script's default
            ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", f], capture_output=True)
            assert ignored.returncode == 0, f"{f} is not git-ignored"
    repo, env = _device_repo(tmp_path)
    env["PYTHONPATH"] = _stub_modules(tmp_path / "stubs")
    here = tmp_path / "here"
    here.mkdir()
    env["OUT"] = "rel"
    r = subprocess.run(["bash", str(repo / "scripts" / "gpu_device.sh"), "--device", "cpu"], cwd=here, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (here / "rel" / "gpu_check.md").is_file() and (here / "rel" / "gpu_device.log").is_file()
    assert not (repo / "rel").exists()


def test_perf_peak_memory_pass_holds_no_other_candidate(one_thread, monkeypatch):
    """63e613a measured each candidate's peak 'alone', but the timing loops' variable (``for n, s in steps.items()``)
    still held the last candidate's step when the memory pass ran: every row's peak counted that candidate's net,
    trunk and optimiser state (on the GPU check, contextual's VGG-19 in ℓ1's row). The stand-in counts the training
    steps alive at each peak reading: one, the candidate's own."""
    import gc
    import weakref

    import torch

    from benchmark import perf
    from benchmark.data import ImageRecord
    from benchmark.runner import TrainStep

    monkeypatch.setattr(perf, "training_images", lambda crop: [
        ImageRecord(f"i{i}", torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(i))) for i in range(2)])
    alive = weakref.WeakSet()
    built = TrainStep.__init__

    def tracked(self, *a, **k):
        built(self, *a, **k)
        alive.add(self)

    monkeypatch.setattr(TrainStep, "__init__", tracked)
    seen = []

    class Meter(_LiveTensorBytes):
        def max_memory_allocated(self, device=None) -> int:
            seen.append(len(alive))
            return 0

    gc.freeze()  # (perf's gc.collect over the whole test process: seconds)
    try:
        perf.measure(["l2"], net="tiny", batch=1, crop=16, reps=1, warmup=1, naive=False, flops=True, memory=Meter())
    finally:
        gc.unfreeze()
    assert seen == [1, 1], f"training steps alive at each candidate's peak reading: {seen}"

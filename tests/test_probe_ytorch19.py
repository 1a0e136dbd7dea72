"""Probe of torch-free reading and the cheap checks, round 19: check_loss_on_crop's out-of-memory, the weights digest
read without torch, the dry run's compile."""

import pytest

HOST_OOM = ("[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough memory: you tried to allocate "
            "21474836480 bytes.")


def _raising(monkeypatch, exc):
    from benchmark.lossfn import build_loss

    loss = build_loss("l1")

    def forward(*a, **k):
        raise exc

    monkeypatch.setattr(loss, "forward", forward)
    return loss


@pytest.mark.parametrize("exc", [RuntimeError(HOST_OOM), RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")])
def test_the_crop_check_running_out_of_memory_says_so_not_that_the_loss_fails(monkeypatch, exc):
    """``plbench run --crop 512`` on a loaded machine: the loss probe's forward failing to allocate was "loss 'l1'
    fails on 512×512 training crops (…): it runs from --crop …", blaming the loss and sending the user up the crop
    ladder. It now says out of memory, on what shape, and what to lower."""
    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_on_crop
    from benchmark.task import build_task

    loss = _raising(monkeypatch, exc)
    with pytest.raises(UserError) as err:
        check_loss_on_crop("l1", loss, [build_task("denoise")], crop=512, batch=16)
    line = str(err.value)
    assert "\n" not in line and line.startswith("out of memory on the cpu checking loss 'l1' on 2 × 512² crops"), line
    assert str(exc).split(".")[0] in line and "--crop" in line and "fails on" not in line, line


def test_the_crop_check_still_blames_a_loss_that_fails(monkeypatch):
    """Any other error of the loss's forward is still the loss failing on that crop."""
    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_on_crop
    from benchmark.task import build_task

    loss = _raising(monkeypatch, RuntimeError("shape mismatch in my loss"))
    with pytest.raises(UserError, match=r"loss 'l1' fails on 48×48 training crops .*shape mismatch in my loss"):
        check_loss_on_crop("l1", loss, [build_task("denoise")], crop=48)


def _hub_with_lpips(tmp_path, monkeypatch):
    """A torch hub dir holding lpips's two files (AlexNet's, the heads) and brisque's kept as read; {name: bytes}."""
    from benchmark import weights as W

    hub = tmp_path / "torch" / "hub"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    files = {"checkpoints/alexnet-owt-7be5be79.pth": b"alexnet", "pyiqa/LPIPS_v0.1_alex-df73285e.pth": b"heads",
             "pyiqa/brisque_svm_weights.pth": b"svm"}
    for rel, data in files.items():
        (hub / rel).parent.mkdir(parents=True, exist_ok=True)
        (hub / rel).write_bytes(data)
    W.remember_metric_files("brisque", [str(hub / "pyiqa/brisque_svm_weights.pth")])
    return files


def test_a_report_on_lpips_scores_hashes_their_files_without_torch(tmp_path, monkeypatch):
    """``plbench findings`` / ``report`` on a store scored with lpips (dists, niqe, musiq; a pyiqa metric whose files
    were kept as it was opened: brisque) imported torch to hash the weight files: current_digests went through
    benchmark.metrics, and benchmark.weights imported torch (and torchvision, for two file names) at module level.
    Locating and hashing a file now needs neither; the digests are the files' own."""
    import hashlib

    from conftest import refuse_imports

    files = _hub_with_lpips(tmp_path, monkeypatch)
    import sys

    from benchmark.results import current_digests

    refuse_imports(monkeypatch, "torch", "torchvision", "benchmark.metrics")
    monkeypatch.delitem(sys.modules, "benchmark.weights")  # imported anew, under the refusal
    digests = current_digests(["lpips", "brisque", "niqe", "psnr"])
    sha = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    lpips = hashlib.sha256((sha["checkpoints/alexnet-owt-7be5be79.pth"]
                            + sha["pyiqa/LPIPS_v0.1_alex-df73285e.pth"]).encode()).hexdigest()
    assert digests == {"lpips": lpips, "brisque": sha["pyiqa/brisque_svm_weights.pth"]}, digests


def test_the_torch_free_digests_are_the_metrics_own(tmp_path, monkeypatch):
    """What a reader hashes without torch is what a scoring pass records (metrics.weights_digest), and no metric of
    the harness takes a name of the pyiqa table it hashes that way."""
    from benchmark.metrics import weights_digest
    from benchmark.registry import METRICS
    from benchmark.results import current_digests
    from benchmark.weights import METRIC_WEIGHTS

    _hub_with_lpips(tmp_path, monkeypatch)
    names = ["lpips", "brisque", "dists"]
    assert current_digests(names) == {m: d for m in names if (d := weights_digest(m))}
    assert not {e.name for e in METRICS.entries()} & set(METRIC_WEIGHTS)


@pytest.mark.parametrize("env", [{"TORCH_HOME": "th"}, {"XDG_CACHE_HOME": "xdg"}, {}])
def test_the_hub_dir_read_without_torch_is_torch_s(tmp_path, monkeypatch, env):
    """weights.hub_dir, torch not imported, is the folder torch.hub.get_dir() names under the same variables."""
    import sys

    import torch

    from benchmark.weights import hub_dir

    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for k, v in env.items():
        monkeypatch.setenv(k, str(tmp_path / v))
    expected = torch.hub.get_dir()
    monkeypatch.delitem(sys.modules, "torch")
    assert str(hub_dir()) == expected


@pytest.mark.slow  # imports torchvision (2 s where nothing did before)
def test_the_torchvision_files_written_out_are_torchvision_s():
    """The torchvision checkpoints' file names, written in benchmark.weights so that no torchvision is imported to
    locate them, are those of the installed torchvision's WeightsEnum members."""
    import torchvision.models as tvm

    from benchmark.weights import TORCHVISION_STORE, known_files

    tv = [wf for wf in known_files().values() if wf.url and wf.url.startswith(TORCHVISION_STORE)]
    assert len(tv) >= 6
    for wf in tv:
        member = wf.key.partition(":")[2]
        assert tvm.get_model_weights(wf.arch)[member].url == wf.url, wf.key


COMPILE_S = 0.3


def _counting_compile(monkeypatch):
    """A stand-in for torch.compile (backbones.compile_fn): counts what is compiled and takes COMPILE_S at the first
    call of each compiled function, as compiling does; the calls after run eagerly."""
    import time

    from benchmark import backbones

    compiled = []

    def compile_fn(fn):
        compiled.append(type(fn).__name__)
        state = {"first": True}

        def run(*a, **k):
            if state["first"]:
                state["first"] = False
                time.sleep(COMPILE_S)
            return fn(*a, **k)
        return run

    monkeypatch.setattr(backbones, "compile_fn", compile_fn)
    return compiled


@pytest.mark.slow  # two dry-run estimates on the CPU (7 s)
def test_the_dry_run_charges_each_compiled_run_its_compilation_once(tmp_path, monkeypatch):
    """``compile: yes`` with ``--dry-run`` compiled the net at each step shape it timed (minutes on a CPU), discarded
    that first step as warm-up and estimated the runs without it, though each compiled run compiles again from empty
    caches (runner.train): the estimate left out the cost the dry run itself paid. The first step's time over a
    step's is now charged to each run once (not per step), and said per loss (est["compile_s"], the dry run's line)."""
    import benchmark.perf as perf
    from benchmark.config import RunConfig

    compiled = _counting_compile(monkeypatch)
    grid = [RunConfig(task="denoise", loss="l1", iterations=10, batch_size=2, crop=32, compile=c, seed=s)
            for c in (False, True) for s in (0, 1)]
    est = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(tmp_path / "t.json"))
    assert compiled == ["ResidualCNN"], compiled  # one shape timed, compiled once: what the dry run compiles
    assert set(est["compile_s"]) == {"l1"} and COMPILE_S * 0.8 < est["compile_s"]["l1"] < COMPILE_S * 2, est
    eager = perf.estimate_grid(grid[:2], ["psnr"], "cpu", perf.StepTimes(tmp_path / "t.json"))
    assert eager["compile_s"] == {} and eager["measured"] == 0
    # two compiled runs: each pays it once (the eager ones and the compiled ones' steps cost alike here)
    assert est["train_s"] - 2 * eager["train_s"] > 2 * COMPILE_S * 0.8, (est["train_s"], eager["train_s"])
    assert est["train_s"] - 2 * eager["train_s"] < 2 * COMPILE_S * 2 + 0.5 * eager["train_s"]

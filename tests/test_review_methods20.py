"""Review of the methods fixes, session 20."""

from __future__ import annotations

import hashlib

import pytest
import torch


@pytest.mark.parametrize("device, threads", [("cpu", 1), ("meta", 3)])
def test_pretraining_on_the_cpu_runs_on_its_own_thread_count_and_gives_the_processs_back(monkeypatch, device, threads):
    """A CPU's numbers depend on the thread count (1, 2 and 4 threads: three checkpoints of one config), so csr's
    self-trained encoder, made again on a node of other cores, was another file and the node refused csr's runs:
    pretraining on the CPU runs on pretrain.CPU_THREADS (one), another device on the process's count, which is
    given back after."""
    from benchmark import pretrain as P

    seen = []

    def stop(*a, **k):
        seen.append(torch.get_num_threads())
        raise KeyboardInterrupt

    before = torch.get_num_threads()
    monkeypatch.setattr(P, "output_path", stop)
    try:
        torch.set_num_threads(3)
        with pytest.raises(KeyboardInterrupt):
            P.pretrain(P.PretrainConfig(recipe="simclr"), device=device)
        assert seen == [threads] and torch.get_num_threads() == 3 and P.threads_on(device) == threads
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow  # two pretrainings: the first imports torch._dynamo (Adam's step), ~4 s in a cold process
def test_a_cpu_pretraining_is_the_same_file_whatever_the_processs_thread_count(tmp_path):
    """csr self-trains on the CPU so that every node making its encoder again makes the file whose SHA-256 its run ids
    hold; but a CPU's numbers depend on the thread count: a SLURM worker of 4 cores and a head node of 2 made two
    files of one config, and the worker refused csr's runs. Pretraining on the CPU runs on pretrain.CPU_THREADS, and
    the process's own count is given back after."""
    from benchmark.data import ImageRecord
    from benchmark.pretrain import PretrainConfig, pretrain

    photo = [ImageRecord("a", torch.randint(0, 256, (3, 40, 40), dtype=torch.uint8,
                                            generator=torch.Generator().manual_seed(0)))]
    cfg = PretrainConfig(recipe="simclr", steps=1, batch_size=2, crop=16, bn_recalibrate=False)
    before, files = torch.get_num_threads(), []
    try:
        for threads in (4, 2):
            torch.set_num_threads(threads)
            files.append(pretrain(cfg, out_dir=tmp_path / f"node{threads}", quiet=True, images=photo))
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)
    assert hashlib.sha256(files[0].read_bytes()).digest() == hashlib.sha256(files[1].read_bytes()).digest()


@pytest.mark.parametrize("data", ["skimage:train", "skimage-medical:train"])
def test_every_command_that_makes_csrs_encoder_makes_it_on_the_cpu(monkeypatch, tmp_path, data):
    """csr self-trains its encoder on the CPU — the one file every node makes again, whose SHA-256 its run ids hold —
    but the commands that make it first (csr's refusal with ``selftrain=False``, the dry run's and ``plbench perf``'s
    "make it with `plbench pretrain --recipe simclr …`", whose estimate times it too) left ``--device`` at its default,
    ``auto``: on a machine with a GPU they made the GPU's file, which a worker without it does not make again, and it
    refused the grid's csr runs. Each names ``--device cpu``, as the automatic self-training runs."""
    import losses.csr as C
    from benchmark import weights as W
    from benchmark.errors import UserError

    monkeypatch.setattr(W, "get_file", lambda key: __import__("types").SimpleNamespace(key=key, present=False,
                                                                                       path=tmp_path / key))
    monkeypatch.setattr(W, "cache_dir", lambda subdir="plbench": tmp_path / subdir)
    monkeypatch.setattr(W, "missing_message", lambda f: f"{f.key} missing")
    spec = "csr" if data == "skimage:train" else f"csr(selftrain_data='{data}')"
    [(term, cmd)] = W.selftrain_commands(spec)
    assert cmd.startswith("plbench pretrain --recipe simclr") and cmd.endswith(" --device cpu"), cmd
    with pytest.raises(UserError) as err:
        C.resolve_encoder(selftrain=False, selftrain_data=data)
    assert "--device cpu" in str(err.value) and "\n" not in str(err.value), err.value

"""Review of probe-images (rev-images): large training sets on the device, users' photo folders."""

from __future__ import annotations

import logging

import torch

from benchmark.data import ImageRecord
from benchmark.sampler import DeviceSampler


def _images() -> list[ImageRecord]:
    g = torch.Generator().manual_seed(0)
    return [ImageRecord("a", torch.randint(0, 256, (3, 40, 56), dtype=torch.uint8, generator=g)),
            ImageRecord("b", torch.randint(0, 256, (3, 64, 33), dtype=torch.uint8, generator=g)),
            ImageRecord("c", torch.rand(3, 48, 48, generator=g))]  # a float (16-bit) image: quantised as on a GPU


def test_a_training_set_larger_than_the_free_device_memory_is_not_uploaded_and_draws_the_same_crops(
        monkeypatch, caplog):
    """DeviceSampler uploaded the whole training set to the GPU (and concatenated a second host copy of it first): a
    large set exhausted the GPU's memory before the first step → beyond half the free memory it stays on the host,
    each batch cropped there from the same device draws (one line says so): the same crops, so run ids hold."""
    images = _images()
    resident = DeviceSampler(images, "cpu")
    assert resident.buffer is not None
    monkeypatch.setattr("benchmark.sampler.available_bytes", lambda device: (10_000.0, "free on a small GPU"),
                        raising=False)
    with caplog.at_level(logging.WARNING, logger="benchmark.sampler"):
        host = DeviceSampler(images, "cpu")
    assert host.buffer is None
    assert "kept in host memory" in caplog.text and "free on a small GPU" in caplog.text
    for crop, multiple in ((16, 1), (30, 4)):
        a = resident.sample(8, crop, multiple, torch.Generator().manual_seed(5))
        b = host.sample(8, crop, multiple, torch.Generator().manual_seed(5))
        assert a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


def test_local_workers_share_the_decoded_pixel_budget(monkeypatch, tmp_path):
    """Each spawned local worker decodes its own copy of the training images, and each kept PLBENCH_DECODED_RAM_MB
    of them in memory: ``--workers 2`` held 2 GB of decoded pixels for a 1 GB budget → each worker gets 1/N of it."""
    from test_probe_overnight import _slurm_unit

    import benchmark.executors as ex

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "1000")
    seen: list[list[str]] = []
    monkeypatch.setattr(ex, "_run_processes",
                        lambda units, envs, monitor=None: seen.append([e.get("PLBENCH_DECODED_RAM_MB") for e in envs]))
    monkeypatch.setattr(ex, "_collect", lambda *a, **kw: None)
    unit = _slurm_unit(tmp_path)
    ex.execute_local(list(unit.configs), unit.store_root, unit.metrics, "cpu", workers=2)
    assert seen == [["500", "500"]]

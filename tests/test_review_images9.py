"""Review of probe-images (rev-images): large training sets on the device, users' photo folders."""

from __future__ import annotations

import logging
import tempfile

import torch

from benchmark.data import DataSpec, ImageRecord
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


def test_local_workers_share_the_decoded_pixel_budget(monkeypatch, tmp_path, image_folder):
    """Each spawned local worker decodes its own copy of the training images, and each kept PLBENCH_DECODED_RAM_MB
    of them in memory: ``--workers 2`` held 2 GB of decoded pixels for a 1 GB budget → each worker gets 1/N of it."""
    import benchmark.executors as ex
    from benchmark.config import GridSpec, build_configs

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "1000")
    seen: list[list[str]] = []
    monkeypatch.setattr(ex, "_run_processes",
                        lambda units, envs, monitor=None: seen.append([e.get("PLBENCH_DECODED_RAM_MB") for e in envs]))
    monkeypatch.setattr(ex, "_collect", lambda *a, **kw: None)
    (tmp_path / "tmp").mkdir()  # the grid's claim folder (never removed: _collect is stubbed) kept out of /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    spec = GridSpec(profile="quick", tasks=("denoise",), losses=("l1",), seeds=(0, 1), iterations=2, crop=16,
                    batch_size=2, device="cpu", metrics=("psnr",), budget_check=False,
                    train_data=(str(image_folder),), test_data=(str(image_folder),))
    ex.execute_local(list(build_configs(spec)[0]), str(tmp_path / "r"), ("psnr",), "cpu", workers=2)
    assert seen == [["500", "500"]]


def test_a_test_photo_that_is_a_training_photo_resized_and_turned_is_named(tmp_path):
    """A phone photo trained on at full size, tested on as a web-size export that lost its EXIF orientation (turned by
    90°) or was mirrored: resized copies were looked for in one orientation only, so the leak was silent → resized
    copies are looked for in the eight turnings, '(near-identical: resized, turned or mirrored)'."""
    import numpy as np
    from PIL import Image
    from test_probe_images9 import _smooth

    from benchmark.data import DataCache, DataSpec

    for d in ("train", "test"):
        (tmp_path / d).mkdir()
    for i in range(3):
        Image.fromarray(_smooth(96, 128, seed=i)).save(tmp_path / "train" / f"full{i}.png")
    turned = np.rot90(_smooth(96, 128, seed=1)).copy()
    Image.fromarray(turned).resize((48, 64), Image.BICUBIC).save(tmp_path / "test" / "web1.jpg", quality=90)
    mirrored = _smooth(96, 128, seed=2)[:, ::-1].copy()
    Image.fromarray(mirrored).resize((64, 48), Image.BICUBIC).save(tmp_path / "test" / "web2.jpg", quality=90)
    Image.fromarray(np.rot90(_smooth(48, 64, seed=7)).copy()).save(tmp_path / "test" / "new.png")
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    assert sorted(DataCache().overlap((train,), (test,))) == ["test/web1 (near-identical: resized, turned or mirrored)",
                                                              "test/web2 (near-identical: resized, turned or mirrored)"]


def test_images_memory_mapped_beyond_the_budget_hold_no_file_descriptor(tmp_path, monkeypatch):
    """Each image beyond PLBENCH_DECODED_RAM_MB was memory-mapped by numpy, whose mapping keeps a file descriptor
    open: past ~1000 photos (ulimit -n) the spill failed with 'Too many open files', the rest stayed in memory and the
    process was left with no descriptor to open anything → torch's mapping closes its descriptor."""
    import os
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from benchmark.data import load_images

    if not Path("/proc/self/fd").exists():
        import pytest

        pytest.skip("counts /proc/self/fd (Linux)")
    d = tmp_path / "photos"
    d.mkdir()
    for i in range(30):
        Image.fromarray(np.full((20, 24, 3), i * 8, np.uint8)).save(d / f"{i:02d}.png")
    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "0")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    before = len(os.listdir("/proc/self/fd"))
    recs = load_images(DataSpec.parse(str(d)))
    assert len(os.listdir("/proc/self/fd")) - before < 5
    assert [int(r.pixels[0, 0, 0]) for r in recs] == [i * 8 for i in range(30)]
    assert all(r.pixels.shape == (3, 20, 24) and r.pixels.dtype == torch.uint8 for r in recs)
    assert not list(tmp_path.glob("plbench-pixels-*"))


def test_a_mapping_that_fails_keeps_the_images_in_memory_with_one_line(image_folder, monkeypatch, tmp_path, caplog):
    """torch raises RuntimeError (not OSError) where a file cannot be mapped (vm.max_map_count reached by a hub set
    of 100 000 photos): it ended the load with a traceback → the images stay in memory, one warning says so."""
    import logging

    from benchmark.data import load_images

    def no_map(*a, **kw):
        raise RuntimeError("unable to mmap 5760 bytes from file </tmp/x>: Cannot allocate memory (12)")

    expected = [r.pixels for r in load_images(DataSpec(str(image_folder)))]
    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "0")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    monkeypatch.setattr(torch, "from_file", no_map)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec(str(image_folder)))
    assert all(torch.equal(r.pixels, e) for r, e in zip(recs, expected)) and len(recs) == len(expected)
    assert caplog.text.count("could not write or map decoded images") == 1


def test_images_beyond_the_budget_share_one_mapping_per_source(tmp_path, monkeypatch):
    """Each spilled image was its own memory mapping: the kernel allows a process about 65 000
    (vm.max_map_count), so a hub set of 100 000 photos ran out of mappings and kept the rest in memory → one file
    and one mapping per source, each image a view of it (mixed dtypes: 8-bit and 16-bit files in one folder)."""
    import os
    from pathlib import Path

    import numpy as np
    import pytest
    from PIL import Image

    from benchmark.data import load_images

    if not Path("/proc/self/maps").exists():
        pytest.skip("reads /proc/self/maps (Linux)")
    d = tmp_path / "photos"
    d.mkdir()
    for i in range(25):
        Image.fromarray(np.full((20, 24 + i % 3, 3), i * 8, np.uint8)).save(d / f"{i:02d}.png")
    Image.fromarray(np.full((22, 26), 40000, np.uint16)).save(d / "deep16.png")  # a float32 image among uint8
    expected = {r.image_id: r.pixels for r in load_images(DataSpec.parse(str(d)))}
    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "0")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    recs = load_images(DataSpec.parse(str(d)))
    maps = [line for line in open("/proc/self/maps") if f"{tmp_path}/plbench-pixels-" in line]
    files = {line.split()[5] for line in maps if len(line.split()) > 5}
    assert len(files) == 1, files  # one file for the 26 images (a mapping may be split by the kernel, not per image)
    assert {r.image_id for r in recs} == set(expected)
    for r in recs:
        assert r.pixels.dtype == expected[r.image_id].dtype and torch.equal(r.pixels, expected[r.image_id])
    assert not list(tmp_path.glob("plbench-pixels-*")) and os.listdir(tmp_path) == ["photos"]

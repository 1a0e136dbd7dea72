"""Defects found probing reproducible degradations and data identity (each test failed before its fix)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from benchmark.data import DataSpec, ImageRecord
from benchmark.task import build_task

pytestmark = pytest.mark.usefixtures("one_thread")

REPO = Path(__file__).resolve().parents[1]


def _records(n: int = 2, size=(32, 40), seed: int = 0, lo: int = 64, hi: int = 192) -> list[ImageRecord]:
    """uint8 images in a mid-grey range (noise of a few % is never clipped)."""
    g = torch.Generator().manual_seed(seed)
    return [ImageRecord(f"im{i}", torch.randint(lo, hi, (3, *size), dtype=torch.uint8, generator=g))
            for i in range(n)]


def _degraded(task, records, spec=None) -> list[torch.Tensor]:
    from benchmark.runner import held_out_items

    return [it.degraded for it in held_out_items(task, {spec or DataSpec("x"): records})]


# ------------------------------------------------------------------------------------------------
# 1. one random stream per component: a sweep of one parameter changes only its own component
# ------------------------------------------------------------------------------------------------
def test_a_deblur_noise_sweep_keeps_every_test_images_blur_kernel():
    """A test image's generator was seeded by every task parameter: in a ``deblur.noise_sigma`` sweep each
    noise level blurred the test images with other kernels, so the sweep confounded noise with blur. Now
    the kernel is drawn from a stream of its own: the noise-free input is the same blur, and the noise
    added at 0.02 and 0.04 is one pattern, scaled."""
    recs = _records()
    clean = _degraded(build_task("deblur", noise_sigma=0.0), recs)
    for sigma in (0.02, 0.04):
        noisy = _degraded(build_task("deblur", noise_sigma=sigma), recs)
        if sigma == 0.02:
            pattern = [(n - c) / sigma for n, c in zip(noisy, clean)]
        for n, c, p in zip(noisy, clean, pattern):
            assert torch.allclose((n - c) / sigma, p, atol=1e-4)
            assert float(((n - c) / sigma).std()) == pytest.approx(1.0, abs=0.1)  # it is the noise, not a blur


def test_a_deblur_kernel_sweep_keeps_every_test_images_noise():
    """The other way round: another blur (Gaussian σ, or the chance of a motion blur) left the noise added
    to each test image as it was — it comes from its own stream, whatever the kernel drew."""
    recs = _records()
    noise = None
    for params in ({"p_motion": 0.0, "gaussian_sigma": (1.0, 1.5)}, {"p_motion": 0.0, "gaussian_sigma": (2.0, 3.0)},
                   {"p_motion": 1.0}, {"p_motion": 0.5}):
        blur = _degraded(build_task("deblur", noise_sigma=0.0, **params), recs)
        noisy = _degraded(build_task("deblur", noise_sigma=0.03, **params), recs)
        now = [n - b for n, b in zip(noisy, blur)]
        noise = noise or now
        for a, b in zip(now, noise):
            assert torch.allclose(a, b, atol=1e-5), params


@pytest.mark.parametrize("name, field, values", [("denoise", "sigma", (0.02, 0.05)),
                                                 ("demosaic", "noise_sigma", (0.01, 0.03))])
def test_a_noise_level_sweep_draws_one_noise_pattern(name, field, values):
    """Denoise and demosaic: each noise level drew another noise field for the same test image (the level
    seeded it), so a σ sweep compared levels on different draws. Now one pattern per image, scaled."""
    recs = _records()
    extra = {"clip": False} if name == "denoise" else {}
    base = _degraded(build_task(name, **{field: 0.0} if name == "demosaic" else {field: 1e-6}, **extra), recs)
    pats = []
    for v in values:
        out = _degraded(build_task(name, **{field: v}, **extra), recs)
        pats.append([(o - b) / v for o, b in zip(out, base)])
    for a, b in zip(*pats):
        assert torch.allclose(a, b, atol=2e-3)
        assert float(a.abs().max()) > 1  # noise, not nothing


# ------------------------------------------------------------------------------------------------
# 2. a test image's draw depends on its pixels, not on which other sources are in the grid
# ------------------------------------------------------------------------------------------------
def _folder(root: Path, records) -> Path:
    from PIL import Image

    root.mkdir(parents=True)
    for r in records:
        Image.fromarray(r.pixels.permute(1, 2, 0).numpy()).save(root / f"{r.image_id}.png")
    return root


@pytest.mark.parametrize("name", ["denoise", "deblur"])
def test_adding_a_test_source_or_moving_its_folder_keeps_its_degraded_inputs(tmp_path, name):
    """The draw was seeded by the source's name in the grid: ``a/Set5`` alone is named ``Set5``, beside
    ``b/Set5`` it becomes ``a/Set5`` — adding a test set re-drew another test set's inputs (and the same
    images in a folder of another name were degraded otherwise). Now each draw is keyed by the image's
    pixels: alone, beside a namesake, in another folder, the inputs are identical."""
    from benchmark.data import load_images

    recs = _records(2, seed=1)
    a = DataSpec.parse(str(_folder(tmp_path / "a" / "Set5", recs)), role="test")
    b = DataSpec.parse(str(_folder(tmp_path / "b" / "Set5", _records(2, seed=2))), role="test")
    moved = DataSpec.parse(str(_folder(tmp_path / "elsewhere" / "copy_of_set5", recs)), role="test")
    task = build_task(name)
    alone = _degraded(task, load_images(a), a)

    from benchmark.runner import held_out_items

    both = held_out_items(task, {a: load_images(a), b: load_images(b)})
    assert [it.dataset for it in both][:2] == ["a/Set5", "a/Set5"]  # named apart, as before
    for x, y in zip(alone, [it.degraded for it in both[:2]]):
        assert torch.equal(x, y)
    for x, y in zip(alone, _degraded(task, load_images(moved), moved)):
        assert torch.equal(x, y)


def test_two_identical_images_in_one_test_set_get_their_own_draws():
    """Keyed by pixels, a repeated image must not share its copy's noise: each copy is its own draw."""
    rec = _records(1)[0]
    first, second = _degraded(build_task("denoise"), [rec, ImageRecord("again", rec.pixels.clone())])
    assert not torch.equal(first, second)


# ------------------------------------------------------------------------------------------------
# reproducibility: every task's test inputs bit-identical across processes and thread counts
# ------------------------------------------------------------------------------------------------
ALL_TASKS = {"denoise": {}, "deblur": {}, "demosaic": {"noise_sigma": 0.02}, "jpeg": {}, "sr4": {}}


def _digests(threads: int, size=(256, 192)) -> dict[str, str]:
    """sha256 of each task's degraded test set (two images of ``size``) on ``threads`` CPU threads."""
    from benchmark.runner import held_out_items

    torch.set_num_threads(threads)
    recs = _records(2, size=size, seed=5, lo=0, hi=256)
    out = {}
    for name, params in ALL_TASKS.items():
        h = hashlib.sha256()
        for it in held_out_items(build_task(name, **params), {DataSpec("x"): recs}):
            h.update(it.degraded.contiguous().numpy().tobytes())
        out[name] = h.hexdigest()
    return out


def test_every_tasks_test_inputs_are_bit_identical_on_one_and_two_threads():
    """The held-out inputs every run is scored on: the same bytes on 1 thread and on 2."""
    assert _digests(2, (128, 96)) == _digests(1, (128, 96))


@pytest.mark.slow
def test_every_tasks_test_inputs_are_bit_identical_across_processes_and_thread_counts():
    """... and in another process on 2 threads as here on 1."""
    here = _digests(1)
    code = "import json, tests.test_probe_data2 as t; print(json.dumps(t._digests(2)))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == here


# ------------------------------------------------------------------------------------------------
# versioning: runs and input rows made with the old draws are never taken for new ones
# ------------------------------------------------------------------------------------------------
def test_runs_scored_on_the_old_draws_keep_their_own_ids_and_setting(monkeypatch):
    """The test inputs were re-drawn: a run cached before (code version 2) must not be resumed as done,
    nor its rows pooled with new ones. The code version that run ids hash was bumped, so the old run's id,
    its degraded-input row's id and its setting's code version all differ from today's."""
    import benchmark.config as config
    import benchmark.runner as runner
    from benchmark.config import RunConfig, as_current_code, code_version, run_id

    cfg = RunConfig(task="deblur", loss="l1", train_fingerprint="t" * 12, test_fingerprint="s" * 12)
    task = build_task("deblur")
    now = run_id(cfg), runner.input_run_id(task, "1", [DataSpec("x")], "f" * 12)
    monkeypatch.setattr(config, "CODE_VERSION", "2")
    monkeypatch.setattr(runner, "CODE_VERSION", "2")
    before = run_id(cfg), runner.input_run_id(task, "1", [DataSpec("x")], "f" * 12)
    assert now[0] != before[0] and now[1] != before[1]
    monkeypatch.undo()
    assert as_current_code("0.1.0+c2") != code_version()  # another setting: never one leaderboard with today's


# ------------------------------------------------------------------------------------------------
# 3. 16-bit colour PNG/TIFF at full precision; 8-bit files as before
# ------------------------------------------------------------------------------------------------
def _rgb16(h: int = 12, w: int = 20, alpha: bool = False):
    import numpy as np

    rng = np.random.default_rng(3)
    arr = rng.integers(0, 65536, (h, w, 4 if alpha else 3), dtype=np.uint16)
    if alpha:
        arr[..., 3] = 65535
    return arr


def _write(path: Path, arr, orientation: int | None = None) -> Path:
    """A 16-bit colour PNG (OpenCV, BGR order) or TIFF (tifffile), optionally with an EXIF orientation."""
    import cv2
    import tifffile

    if path.suffix == ".png":
        order = [2, 1, 0, 3][:arr.shape[-1]]
        assert cv2.imwrite(str(path), arr[..., order])
        if orientation is not None:  # an eXIf chunk before IDAT: the orientation a camera writes
            import struct
            import zlib

            exif = b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01" + \
                struct.pack(">H", orientation) + b"\x00\x00\x00\x00\x00\x00"
            chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + struct.pack(">I", zlib.crc32(b"eXIf" + exif))
            data = path.read_bytes()
            at = data.index(b"IDAT") - 4
            path.write_bytes(data[:at] + chunk + data[at:])
    else:
        extratags = [(274, "H", 1, orientation, True)] if orientation is not None else []
        tifffile.imwrite(path, arr, photometric="rgb", extratags=extratags)
    return path


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("alpha", [False, True])
def test_16_bit_colour_is_read_at_16_bits(tmp_path, suffix, alpha):
    """Pillow reads 16-bit colour PNG and TIFF at 8 bits (the high byte): 65536 levels became 256, so a
    16-bit test set was scored against its 8-bit rounding. Now such a file is read at full precision, as
    16-bit greyscale always was: float32, value / 65535 (alpha dropped)."""
    from benchmark.data import decode_image

    arr = _rgb16(alpha=alpha)
    px = decode_image(str(_write(tmp_path / f"im{suffix}", arr)), "im")
    assert px.dtype == torch.float32 and px.shape == (3, 12, 20)
    want = torch.from_numpy(arr[..., :3].astype("float64") / 65535).permute(2, 0, 1).float()
    assert torch.equal(px, want)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_16_bit_colour_honours_its_exif_orientation_as_8_bit_files_do(tmp_path, suffix, orientation):
    """The orientation an 8-bit file gets (Pillow's exif_transpose) is applied to a 16-bit one alike."""
    from benchmark.data import decode_image

    arr = _rgb16()
    px16 = decode_image(str(_write(tmp_path / f"a{suffix}", arr, orientation)), "a")
    px8 = decode_image(str(_write(tmp_path / f"b{suffix}", (arr >> 8).astype("uint8"), orientation)), "b")
    assert px8.shape[1:] == ((20, 12) if orientation >= 5 else (12, 20))  # the 8-bit file was turned
    assert torch.equal((px16 * 65535).round().to(torch.int32) >> 8, px8.to(torch.int32))


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_8_bit_colour_reads_as_before(tmp_path, suffix):
    """An 8-bit file is read by Pillow exactly as before: uint8, the stored values."""
    import numpy as np
    from PIL import Image

    from benchmark.data import decode_image

    arr = np.random.default_rng(4).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / f"im{suffix}")
    px = decode_image(str(tmp_path / f"im{suffix}"), "im")
    assert px.dtype == torch.uint8 and torch.equal(px, torch.from_numpy(arr).permute(2, 0, 1))


def test_a_folder_of_16_bit_colour_loads_at_16_bits_and_gets_its_own_fingerprint(tmp_path):
    """Through the loader (a folder, as ``--test-data`` reads it): the 16-bit file arrives at full precision
    beside an 8-bit one (unchanged), and the content fingerprint — part of every run id — is not the one
    its 8-bit reading had, so runs scored on the 8-bit reading are never taken for new ones."""
    import numpy as np
    from PIL import Image

    from benchmark.data import fingerprint, load_images

    arr = _rgb16(16, 16)
    _write((tmp_path / "f").mkdir() or tmp_path / "f" / "deep.png", arr)
    Image.fromarray((arr >> 8).astype(np.uint8)).save(tmp_path / "f" / "flat.png")
    recs = {r.image_id: r for r in load_images(DataSpec.parse(str(tmp_path / "f"), role="test"))}
    assert recs["deep"].pixels.dtype == torch.float32 and recs["flat"].pixels.dtype == torch.uint8
    assert torch.equal((recs["deep"].pixels * 65535).round().to(torch.int32) >> 8, recs["flat"].pixels.to(torch.int32))
    assert fingerprint([recs["deep"]]) != fingerprint([ImageRecord("deep", recs["flat"].pixels)])


@pytest.mark.parametrize("layout", [{"planarconfig": "separate"}, {"compression": "zlib"}])
def test_planar_and_compressed_16_bit_tiff_are_read_at_16_bits(tmp_path, layout):
    """A planar TIFF (one plane per channel: Pillow's tiles say ``R``, not ``RGB;16``) or a deflated one
    (libtiff's tiles) is 16-bit colour as well: it was still read at 8 bits."""
    import numpy as np
    import tifffile

    from benchmark.data import decode_image

    arr = _rgb16()
    data = np.moveaxis(arr, -1, 0) if layout.get("planarconfig") else arr
    tifffile.imwrite(tmp_path / "im.tif", data, photometric="rgb", **layout)
    px = decode_image(str(tmp_path / "im.tif"), "im")
    assert px.dtype == torch.float32
    assert torch.equal(px, torch.from_numpy(arr.astype("float64") / 65535).permute(2, 0, 1).float())


def test_a_16_bit_png_is_read_without_a_warning(tmp_path, caplog):
    """torchvision's decoder warns that its image I/O is deprecated: each 16-bit file was logged as read
    "with Pillow's warning" (a library notice, nothing about the file). Nothing is logged for a good file."""
    import logging

    from benchmark.data import decode_image

    caplog.set_level(logging.WARNING)
    decode_image(str(_write(tmp_path / "im.png", _rgb16())), "im")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text

"""Every kind of image file a folder or a dataset can hold: each is converted to the (3, H, W) image a
viewer shows, on the scale of its format, or skipped by name with the reason."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec, load_images, to_float
from benchmark.errors import UserError


def _pgm16(path, values: np.ndarray) -> None:
    """A binary 16-bit PGM (maxval 65535), which Pillow opens as mode ``I``."""
    h, w = values.shape
    path.write_bytes(b"P5\n%d %d\n65535\n" % (w, h) + values.astype(">u2").tobytes())


def test_a_dark_16_bit_image_keeps_the_16_bit_scale(tmp_path):
    """A 16-bit PGM whose brightest pixel is ≤ 255 was read as 8-bit (200/255: near white, 257× too bright)."""
    from PIL import Image

    _pgm16(tmp_path / "dark.pgm", np.full((16, 16), 200))
    _pgm16(tmp_path / "bright.pgm", np.full((16, 16), 60000))
    assert Image.open(tmp_path / "dark.pgm").mode == "I"  # the mode the scale was guessed for
    px = {r.image_id: to_float(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    assert torch.allclose(px["dark"], torch.full((3, 16, 16), 200 / 65535))
    assert torch.allclose(px["bright"], torch.full((3, 16, 16), 60000 / 65535))


def test_integer_pixels_beyond_16_bits_are_skipped_with_the_reason_not_clipped(tmp_path, caplog):
    """A 32-bit integer TIFF has no scale to read it on: 100000 was clipped to white, and 0..255 content read
    as 8-bit (or, on the 16-bit scale, near black)."""
    from PIL import Image

    Image.fromarray(np.full((16, 16), 100000, dtype=np.int32)).save(tmp_path / "deep32.tif")
    Image.fromarray(np.full((16, 16), 200, dtype=np.int32)).save(tmp_path / "dim32.tif")
    Image.fromarray(np.zeros((16, 16, 3), dtype=np.uint8)).save(tmp_path / "ok.png")
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path)))
    assert [r.image_id for r in recs] == ["ok"]
    assert "deep32.tif" in caplog.text and "dim32.tif" in caplog.text and "32-bit integer pixels" in caplog.text


def test_the_memory_check_covers_evaluating_a_large_test_image():
    """A 6000×4000 test image passed the check (3 activations estimated) and then took 1.7× that: on a
    machine with less free memory the OOM killer, not the one-line refusal. Peak RSS growth of a real
    evaluation (fresh process: clean and degraded images, net, clamp) is what the estimate says (±5 %)."""
    import subprocess
    import sys

    code = """
import torch
from pathlib import Path
from benchmark.nets import build_net
from benchmark.resources import estimate

def kib(field):
    return next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith(field + ":"))

torch.set_num_threads(2)
h, w = 750, 1000
net = build_net("tiny").eval()
Path("/proc/self/clear_refs").write_text("5")  # the high-water mark restarts from the RSS now
r0 = kib("VmRSS")
clean = torch.rand(1, 3, h, w)
degraded = (clean + 0.1).clamp(0, 1)
with torch.no_grad():
    pred = net(degraded).float().clamp(0, 1)
print((kib("VmHWM") - r0) * 1024, estimate("tiny", "l1", 1, 32, "random", h * w, train=False).eval_bytes)
"""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux's /proc/self/clear_refs to measure a peak")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    grew, est = map(float, proc.stdout.split())
    assert 0.95 * grew <= est <= 1.6 * grew, (grew, est)  # 5 activations


def test_of_a_file_of_several_frames_the_first_is_used_and_named(tmp_path, caplog):
    """An animated GIF or a multi-page TIFF silently became its first frame."""
    from PIL import Image

    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:2])
    frames[0].save(tmp_path / "still.png")
    frames[0].save(tmp_path / "camera.jpg", format="MPO", save_all=True, append_images=frames[1:2])  # photo + preview
    assert Image.open(tmp_path / "camera.jpg").n_frames == 2
    with caplog.at_level(logging.WARNING):
        recs = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    assert set(recs) == {"anim", "pages", "still", "camera"}
    assert torch.equal(recs["pages"], recs["still"])  # the first page
    assert "2 files hold several frames" in caplog.text
    assert "anim.gif (3 frames)" in caplog.text and "pages.tif (2 frames)" in caplog.text
    assert "still.png" not in caplog.text and "camera.jpg" not in caplog.text


def test_a_link_to_an_image_beside_it_is_read_once(tmp_path, caplog):
    """``best.png -> photo.png`` in one folder scored the same image twice (twice its weight in every mean)."""
    import os

    from PIL import Image

    rng = np.random.default_rng(1)
    for name in ("photo", "other"):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    os.symlink(tmp_path / "photo.png", tmp_path / "best.png")          # sorts before its target
    (tmp_path / "sub").mkdir()
    os.symlink("../other.png", tmp_path / "sub" / "again.png")         # relative, in a sub-folder
    os.link(tmp_path / "other.png", tmp_path / "sub" / "hard.png")     # a hard link: one file too
    outside = tmp_path.parent / f"{tmp_path.name}_elsewhere.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(outside)
    os.symlink(outside, tmp_path / "linked_in.png")                   # a link to a file read nowhere else: kept
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path)))
    assert sorted(r.image_id for r in recs) == ["linked_in", "other", "photo"]
    assert "second path to a file read as photo.png: best.png" in caplog.text
    assert "sub/again.png" in caplog.text and "sub/hard.png" in caplog.text


def test_a_file_system_without_inode_numbers_keeps_every_image(tmp_path, monkeypatch):
    """Some FUSE/SMB mounts report st_ino 0 for every file: the read-once-per-file check must not
    take them all for one file."""
    import os

    from PIL import Image

    rng = np.random.default_rng(2)
    for name in ("a", "b", "c"):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / f"{name}.png")
    real = Path.stat

    def no_inode(self, *a, **kw):
        st = real(self, *a, **kw)
        return os.stat_result((st.st_mode, 0, *tuple(st)[2:]))

    monkeypatch.setattr(Path, "stat", no_inode)
    assert sorted(r.image_id for r in load_images(DataSpec(str(tmp_path)))) == ["a", "b", "c"]


@pytest.mark.parametrize("source", ["folder", "saved"])
def test_undecodable_files_say_what_they_are(tmp_path, caplog, source):
    """A zero-byte or text file named .png was 'cannot identify image file <_io.BytesIO object at 0x…>' from a
    saved dataset (from a folder: the path again); a TIFF Pillow cannot decode looked like a non-image."""

    from PIL import Image

    d = tmp_path / "imgs"
    d.mkdir()
    Image.fromarray(np.zeros((16, 16, 3), dtype=np.uint8)).save(d / "ok.png")
    (d / "zero.png").write_bytes(b"")
    (d / "text.png").write_text("hello, not a picture")
    (d / "odd.tif").write_bytes(b"II*\x00" + b"\x00" * 60)  # a TIFF header and nothing Pillow can use
    if source == "saved":
        import datasets

        files = sorted(str(f) for f in d.iterdir())
        feats = datasets.Features({"image": datasets.Image(decode=False)})
        datasets.Dataset.from_dict({"image": files}, features=feats).save_to_disk(str(tmp_path / "saved"))
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path / ("saved" if source == "saved" else "imgs"))))
    assert [r.image_id for r in recs] == ["ok"]
    lines = {ln.split(": ", 1)[0].rsplit("/", 1)[-1].split()[-1]: ln.split(": ", 1)[1]
             for ln in caplog.text.splitlines() if "skipping unreadable image" in ln}
    assert lines["zero.png"] == "empty file (0 bytes)"
    assert lines["text.png"].startswith("not an image file")
    assert lines["odd.tif"].startswith("a TIFF file Pillow cannot decode")
    assert "BytesIO" not in caplog.text


def test_pillows_warnings_name_the_image(tmp_path, caplog, recwarn, monkeypatch):
    """Corrupt EXIF and a decompression-bomb size were library warnings on stderr naming no file."""
    import io
    import struct

    from PIL import Image

    rgb = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG")
    payload = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12"  # an IFD of 5 entries, cut short
    jpeg = buf.getvalue()
    (tmp_path / "camera.jpg").write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
                                          + jpeg[2:])
    Image.fromarray(rgb).save(tmp_path / "big.png")                  # 1920 px: over a limit of 1500
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "small.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1500)
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path)))
    assert sorted(r.image_id for r in recs) == ["big", "camera", "small"]  # all read, as Pillow reads them
    assert not [w for w in recwarn if "PIL" in w.filename]
    assert re.search(r"camera\.jpg: read, with Pillow's warning: Corrupt EXIF data", caplog.text)
    # its size and the limit in megapixels, not Pillow's 'decompression bomb DOS attack' (test_review_inputs6)
    assert re.search(r"big\.png: read, with Pillow's warning: a large image \(0\.0019 MP, over Pillow's warning "
                     r"limit of 0\.0015 MP", caplog.text)
    assert "small.png" not in caplog.text


def test_an_image_repeated_in_a_test_set_is_warned(tmp_path, caplog):
    """Two copies of one photo (another name, another lossless format) were both scored, silently: twice
    its weight in every mean of the test set."""
    import shutil

    from PIL import Image

    from benchmark.data import DataCache

    rng = np.random.default_rng(2)
    d = tmp_path / "test"
    d.mkdir()
    photo = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(photo).save(d / "a.png")
    shutil.copy(d / "a.png", d / "a_copy.png")
    Image.fromarray(photo).save(d / "a.bmp")                        # the same pixels in another format
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(d / "b.png")
    train = tmp_path / "train"
    train.mkdir()
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(train / "t.png")
    data = DataCache()
    with caplog.at_level(logging.WARNING):
        assert data.overlap((DataSpec(str(train)),), (DataSpec(str(d)),)) == []
    assert "2 of 4 test images repeat an earlier one" in caplog.text
    assert "a.png (= a.bmp)" in caplog.text and "a_copy (= a.bmp)" in caplog.text
    assert "also a training image" not in caplog.text and "also training images" not in caplog.text


def test_training_images_smaller_than_the_crop_are_named_once_per_grid(tmp_path, caplog):
    """The same 'skipping 1 image(s) … smaller than the 32 px crop' line came again before every run."""
    from PIL import Image

    from benchmark.config import RunConfig
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_all, run_grid

    rng = np.random.default_rng(3)
    d = tmp_path / "train"
    d.mkdir()
    for name, side in (("big", 40), ("big2", 40), ("tiny", 16)):
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(d / f"{name}.png")
    spec = DataSpec(str(d))
    cfgs = resolve_all([RunConfig(task="denoise", loss=loss, iterations=1, batch_size=2, crop=32, train_data=(spec,),
                                  test_data=(spec,)) for loss in ("l1", "l2")])
    with caplog.at_level(logging.WARNING):
        summary = run_grid(cfgs, ResultsStore(tmp_path / "r"), ("psnr",), torch.device("cpu"), progress=False)
    assert summary.trained == 2
    assert caplog.text.count("smaller than the 32 px crop: tiny") == 1


def test_a_training_set_mixing_8_and_16_bit_images_gives_batches_in_0_1():
    """Stacking a uint8 crop with a float32 one (a 16-bit or float image) promoted the uint8 crop to float 0..255,
    which to_float then passed through: about half the CPU batches of such a set held pixels up to 255."""
    from benchmark.data import ImageRecord
    from benchmark.pretrain import _crops
    from benchmark.runner import sample_batch

    eight = ImageRecord("eight", torch.full((3, 40, 40), 200, dtype=torch.uint8))
    sixteen = ImageRecord("sixteen", torch.full((3, 40, 40), 0.25))
    g = torch.Generator().manual_seed(0)
    for _ in range(10):
        batch = sample_batch([eight, sixteen], 6, 32, 1, g)
        assert batch.dtype == torch.float32 and float(batch.max()) <= 1
        assert all(min(abs(v - 200 / 255), abs(v - 0.25)) < 1e-6 for v in torch.unique(batch).tolist())
        crops, _ = _crops([eight, sixteen], 6, 32, g)
        assert float(crops.max()) <= 1
    only8 = [eight, ImageRecord("other", torch.arange(3 * 40 * 40, dtype=torch.int64).remainder(256)
                                .to(torch.uint8).reshape(3, 40, 40))]
    a = sample_batch(only8, 4, 32, 1, torch.Generator().manual_seed(1))
    ref = torch.Generator().manual_seed(1)  # an 8-bit set's batch is what it was: to_float of the stack
    assert torch.equal(a, _old_sample_batch(only8, 4, 32, 1, ref))


def _old_sample_batch(images, batch, crop, multiple, generator):
    """The sampler before per-crop scaling (every crop uint8 here), to check 8-bit batches are unchanged."""
    crop -= crop % multiple
    out = []
    for i in torch.randint(len(images), (batch,), generator=generator).tolist():
        px = images[i].pixels
        h, w = px.shape[-2:]
        top = int(torch.randint(h - crop + 1, (1,), generator=generator))
        left = int(torch.randint(w - crop + 1, (1,), generator=generator))
        patch = torch.rot90(px[:, top:top + crop, left:left + crop],
                            torch.randint(4, (1,), generator=generator).item(), dims=(1, 2))
        out.append(patch.flip(-1) if torch.rand(1, generator=generator).item() < 0.5 else patch)
    return to_float(torch.stack(out))


def test_images_with_transparent_pixels_are_named(tmp_path, caplog):
    """RGBA, LA and palette images with transparent pixels lost their alpha silently (the colours under it,
    often black, are what is scored); an opaque RGBA image is not named."""
    from PIL import Image

    rgb = np.random.default_rng(4).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    alpha = np.full((16, 16, 1), 255, dtype=np.uint8)
    Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA").save(tmp_path / "opaque.png")
    alpha[:8] = 0
    Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA").save(tmp_path / "cutout.png")
    Image.fromarray(rgb).convert("LA").save(tmp_path / "grey_opaque.png")
    pal = Image.fromarray(rgb).convert("P")
    pal.save(tmp_path / "pal.png", transparency=int(np.asarray(pal)[0, 0]))
    Image.fromarray(rgb).convert("P").save(tmp_path / "pal_opaque.png")
    with caplog.at_level(logging.WARNING):
        recs = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    assert len(recs) == 5 and torch.equal(recs["cutout"], recs["opaque"])  # colours kept under the alpha
    line = next(ln for ln in caplog.text.splitlines() if "transparent pixels" in ln)
    assert "2 images" in line and "cutout.png" in line and "pal.png" in line
    assert "opaque" not in line
    from benchmark.data import _transparent

    assert _transparent(Image.new("RGBa", (2, 2))) and _transparent(Image.new("La", (2, 2)))  # alpha band "a"
    assert not _transparent(Image.new("RGBa", (2, 2), (0, 0, 0, 255)))


def test_a_file_name_that_is_not_utf8_is_skipped_by_name(tmp_path, caplog):
    """A Latin-1 name (bytes no encoding decodes) ended the grid as 'internal error: UnicodeEncodeError'."""
    import os

    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), dtype=np.uint8)).save(tmp_path / "ok.png")
    try:
        Image.fromarray(np.ones((16, 16, 3), dtype=np.uint8)).save(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.png"))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    with caplog.at_level(logging.WARNING):
        recs = load_images(DataSpec(str(tmp_path)))
    assert [r.image_id for r in recs] == ["ok"]
    assert "1 name not UTF-8 (rename the file): caf\\xe9.png" in caplog.text
    folder = os.fsdecode(bytes(tmp_path) + b"/d\xe9j\xe0")
    os.mkdir(folder)
    Image.fromarray(np.zeros((16, 16, 3), dtype=np.uint8)).save(os.path.join(folder, "ok.png"))
    with pytest.raises(UserError, match=r"d\\xe9j\\xe0: its path is not UTF-8") as err:
        load_images(DataSpec.parse(folder))
    assert "\n" not in str(err.value)


def test_every_format_pillow_reads_is_an_image_in_a_folder(tmp_path, caplog):
    """AVIF, QOI and MPO files were skipped as 'not an image' (datasets' fixed suffix list), though Pillow reads
    them; HDF5 data files stay out."""
    from PIL import Image, features

    from benchmark.data import image_extensions

    rgb = np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.qoi")
    Image.fromarray(rgb).save(tmp_path / "b.mpo", format="MPO")
    expected = {"a", "b"}
    if features.check("avif"):
        Image.fromarray(rgb).save(tmp_path / "c.avif")
        expected.add("c")
    (tmp_path / "d.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    with caplog.at_level(logging.WARNING):
        recs = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    assert set(recs) == expected and torch.equal(recs["a"], torch.from_numpy(rgb).permute(2, 0, 1))
    assert "1 not an image: d.h5" in caplog.text
    assert {".png", ".jpg", ".tif", ".webp", ".bmp"} <= image_extensions() and ".pdf" not in image_extensions()


def test_the_memory_check_counts_the_test_sets_float_copies(monkeypatch):
    """A task's runs hold a float clean and degraded copy of every test image (24 B/px): a folder of large
    photos as test data passed the check (only the largest image was counted) and then exhausted memory."""
    from types import SimpleNamespace

    from benchmark import resources

    monkeypatch.setattr(resources, "available_bytes", lambda device: (2 * 2**30, "available RAM"))
    cfg = SimpleNamespace(net="tiny", loss="l1", batch_size=2, crop=32, backbone_weights="random",
                          test_data=("photos",))
    cpu = torch.device("cpu")
    resources.check_fits([cfg], cpu, {("photos",): 1_000_000}, test_pixels={("photos",): 24_000_000})  # fits
    with pytest.raises(UserError) as err:  # 1200 photos of 1 Mpx: 29 GB of float copies
        resources.check_fits([cfg], cpu, {("photos",): 1_000_000}, test_pixels={("photos",): 1_200_000_000})
    msg = str(err.value)
    assert "\n" not in msg and "test set's float copies (≈ 26.8 GiB, 1200 Mpx" in msg
    assert msg.endswith("use fewer or smaller test images")


def test_a_grid_holds_one_tasks_test_items_at_a_time(tmp_path, monkeypatch):
    """Every task's float copies of the test set were kept until the grid ended (5 tasks: 10 copies)."""
    import gc
    import weakref

    from PIL import Image

    from benchmark import runner
    from benchmark.config import RunConfig
    from benchmark.results import ResultsStore

    rng = np.random.default_rng(6)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(tmp_path / f"im{i}.png")
    spec = DataSpec(str(tmp_path))
    made, alive_then = [], []
    real = runner.held_out_items

    def spy(task, test_sets):
        gc.collect()
        alive_then.append([ref() is not None for ref in made])
        items = real(task, test_sets)
        made.append(weakref.ref(items[0]))
        return items

    monkeypatch.setattr(runner, "held_out_items", spy)
    cfgs = runner.resolve_all([RunConfig(task=t, loss="l1", iterations=1, batch_size=2, crop=32, train_data=(spec,),
                                         test_data=(spec,)) for t in ("denoise", "deblur", "sr4")])
    summary = runner.run_grid(cfgs, ResultsStore(tmp_path / "r"), ("psnr",), torch.device("cpu"), progress=False)
    assert summary.trained == 3 and len(made) == 3
    assert alive_then == [[], [False], [False, False]]


def test_a_training_pool_mixing_dtypes_has_its_own_fingerprint():
    """Runs trained on a pool mixing 8-bit with 16-bit/float images before per-crop scaling saw 0..255
    batches: such a pool's training fingerprint (part of the run id) differs from the plain content
    hash, so they are not resumed as done; a test set, or a pool of one dtype, keeps its old one."""
    from benchmark.data import DataCache, ImageRecord, fingerprint

    eight = ImageRecord("eight", torch.full((3, 8, 8), 200, dtype=torch.uint8))
    sixteen = ImageRecord("sixteen", torch.full((3, 8, 8), 0.25))
    cache = DataCache()
    mixed, plain = (DataSpec("mixed"),), (DataSpec("plain"),)
    cache._images = {mixed[0]: [eight, sixteen], plain[0]: [eight]}
    assert cache.fingerprint(mixed, role="test") == fingerprint([eight, sixteen])
    assert cache.fingerprint(mixed, role="train") != fingerprint([eight, sixteen])
    assert cache.fingerprint(plain, role="train") == cache.fingerprint(plain) == fingerprint([eight])

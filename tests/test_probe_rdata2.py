"""Defects found reviewing reproducible test degradations and 16-bit reading (each test failed before its fix)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec

pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------------------------------------
# the visual grid of runs made by another code version: their scored inputs are not re-drawn
# ------------------------------------------------------------------------------------------------
def _visual_store(tmp_path: Path, code_version: str | None):
    """A store of one finished denoise run (tiny net saved) on a one-image test folder, recorded as made by
    ``code_version`` (None: not recorded)."""
    from PIL import Image

    from benchmark.nets import build_net

    folder = tmp_path / "Set"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(folder / "im.png")
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    torch.save(build_net("tiny").state_dict(), run / "net.pt")
    cfg = {"task": "denoise", "task_params": {}, "test_data": [DataSpec.parse(str(folder), role="test").token()],
           "loss": "l1", "seed": 0, "net": "tiny"}
    meta = {"run_id": "r1", "status": "ok", "config": cfg, "weights": "none"}
    if code_version is not None:
        meta["code_version"] = code_version

    class Store:
        def metas(self):
            return [meta]

        metas_as_read = metas  # one spelling per loss: read as recorded

        def run_dir(self, rid):
            return tmp_path / "runs" / rid

        def state_damage(self, rid):  # its net was just saved: intact
            return None

    return Store()


@pytest.mark.parametrize("old", ["0.1.0+c2", "0.0.9+c1"])
def test_the_visual_grid_of_runs_scored_on_another_versions_draws_is_skipped_not_redrawn(tmp_path, monkeypatch,
                                                                                        caplog, old):
    """Code version 3 re-draws every test image's degradation. ``plbench report`` on a folder of version-2
    runs (their own setting: the leaderboard is theirs, correctly) drew the visual grid's input with
    today's draw: an input the nets were never scored on, their restorations of it, under the title of
    the scored image — silently. Now the grid of such runs is skipped with a logged reason; the runs
    of this code version are drawn as before."""
    import benchmark.figures as F
    from benchmark.config import code_version

    drawn = []
    monkeypatch.setattr(F, "draw_visual_grid", lambda panels, *a: drawn.append(dict(panels)))
    monkeypatch.setattr(F, "save", lambda fig, base, formats: [base])
    (tmp_path / "old").mkdir()
    with caplog.at_level(logging.INFO, logger="benchmark.figures"):
        out = F.visual_grid(_visual_store(tmp_path / "old", old), "denoise", tmp_path / "fig", formats=("png",))
    assert out == [] and drawn == []
    assert "visual grid for denoise skipped" in caplog.text and old in caplog.text and code_version() in caplog.text
    for now in (code_version(), None):  # made by this code version, or not recorded: drawn as before
        drawn.clear()
        sub = tmp_path / str(now)
        sub.mkdir()
        assert F.visual_grid(_visual_store(sub, now), "denoise", sub / "fig", formats=("png",)) == [sub / "fig"]
        assert [sorted(p) for p in drawn] == [["clean", "input", "l1"]]


# ------------------------------------------------------------------------------------------------
# 16-bit greyscale with alpha (PNG colour type 4): read at 16 bits, as 16-bit greyscale is
# ------------------------------------------------------------------------------------------------
def _png16(path: Path, arr: np.ndarray, colour_type: int, exif_orientation: int | None = None) -> Path:
    """A 16-bit PNG written by hand (OpenCV writes no grey + alpha): ``arr`` (H, W, C) uint16, C = 1, 2, 3 or 4
    for colour type 0, 4, 2 or 6; an eXIf chunk with ``exif_orientation`` before IDAT when given."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    h, w = arr.shape[:2]
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
    if exif_orientation is not None:
        out += chunk(b"eXIf", b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01"
                     + struct.pack(">H", exif_orientation) + b"\x00" * 6)
    rows = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    path.write_bytes(out + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("orientation", [None, 6])
def test_a_16_bit_grey_png_with_alpha_is_read_at_16_bits(tmp_path, orientation):
    """Pillow opens a 16-bit grey + alpha PNG as RGBA with raw mode ``LA;16B`` and keeps the high byte: the
    README's "16-bit greyscale kept at 16 bits" held for grey alone, while the same picture with an alpha
    channel arrived as uint8 (256 levels of 65536, and another fingerprint than its grey twin's). Now it is
    read as the grey file is: float32, value / 65535 on all three channels, alpha dropped, orientation
    applied; its transparent pixels are still named."""
    from benchmark.data import decode_image

    rng = np.random.default_rng(7)
    grey = rng.integers(0, 65536, (10, 14, 1), dtype=np.uint16)
    alpha = np.full_like(grey, 65535)
    alpha[0, 0] = 0
    notes: dict = {}
    px = decode_image(str(_png16(tmp_path / "la.png", np.concatenate([grey, alpha], -1), 4, orientation)), "la",
                      notes=notes)
    alone = decode_image(str(_png16(tmp_path / "g.png", grey, 0, orientation)), "g")
    assert alone.dtype == torch.float32  # 16-bit grey alone: at 16 bits already
    assert px.dtype == torch.float32 and torch.equal(px, alone)
    assert px.shape[1:] == ((14, 10) if orientation == 6 else (10, 14))
    assert notes.get("transparent") == ["la"]


# ------------------------------------------------------------------------------------------------
# a 16-bit colour file no decoder reads at 16 bits: said, not read at 8 bits in silence
# ------------------------------------------------------------------------------------------------
def _no_16_bit_png(*args, **kwargs):
    raise RuntimeError("At most 8-bit PNG images are supported currently.")  # what an older torchvision says


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_colour_file_read_at_8_bits_is_named_in_a_warning(tmp_path, monkeypatch, caplog, suffix):
    """Where torchvision's PNG decoder gives no 16 bits (pyproject allows torchvision ≥ 0.17, whose decode_png
    refuses 16-bit files) or tifffile (and OpenCV) is missing, a 16-bit colour file fell back to Pillow's 8 bits with a
    DEBUG line only: the README says such files are kept at 16 bits, and nothing told the user otherwise.
    Now the loader names them in one warning per source (the file is still read, at 8 bits)."""
    import sys

    import tifffile
    import torchvision.io
    from PIL import Image

    from benchmark.data import load_images

    folder = tmp_path / "set"
    folder.mkdir()
    arr = np.random.default_rng(1).integers(0, 65536, (12, 16, 3), dtype=np.uint16)
    if suffix == ".png":
        _png16(folder / "deep.png", arr, 2)
    else:
        tifffile.imwrite(folder / "deep.tif", arr, photometric="rgb")
    Image.fromarray((arr >> 8).astype(np.uint8)).save(folder / f"flat{suffix}")  # an 8-bit file: not named
    monkeypatch.setattr(torchvision.io, "decode_png", _no_16_bit_png)
    monkeypatch.setitem(sys.modules, "tifffile", None)  # import tifffile: ImportError
    monkeypatch.setitem(sys.modules, "cv2", None)  # and no OpenCV either (the TIFF's second decoder)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = {r.image_id: r for r in load_images(DataSpec.parse(str(folder), role="test"))}
    assert torch.equal(recs["deep"].pixels, recs["flat"].pixels)  # still read: Pillow's high byte
    lines = [r.getMessage() for r in caplog.records if "deep" in r.getMessage()]
    assert len(lines) == 1 and "8 bits" in lines[0] and "16-bit" in lines[0], caplog.text
    assert "flat" not in lines[0]


# ------------------------------------------------------------------------------------------------
# a 16-bit colour TIFF compressed with LZW (OpenCV's default, common in photo editors' 16-bit exports)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [False, True])
def test_an_lzw_compressed_16_bit_colour_tiff_is_read_at_16_bits(tmp_path, alpha):
    """tifffile decodes LZW only with the ``imagecodecs`` package, which plbench does not install: a 16-bit
    colour TIFF written with LZW (with its horizontal predictor, as OpenCV writes every 16-bit TIFF) was read
    by Pillow at 8 bits, against the README's "16-bit colour PNG/TIFF kept at 16 bits". Now OpenCV's libtiff
    (a dependency of pyiqa) decodes what tifffile cannot: the stored 16-bit values, alpha dropped."""
    import cv2
    import tifffile

    from benchmark.data import decode_image

    arr = np.random.default_rng(5).integers(0, 65536, (12, 20, 4 if alpha else 3), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "im.tif"), arr[..., [2, 1, 0, 3][:arr.shape[-1]]])
    with tifffile.TiffFile(tmp_path / "im.tif") as tif:
        assert tif.pages[0].compression == 5 and tif.pages[0].predictor == 2  # LZW with the predictor: the case
    px = decode_image(str(tmp_path / "im.tif"), "im")
    assert px.dtype == torch.float32
    assert torch.equal(px, torch.from_numpy(arr[..., :3].astype("float64") / 65535).permute(2, 0, 1).float())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_16_bit_tiff_read_by_opencv_is_turned_as_pillow_turns_it(tmp_path, monkeypatch, orientation):
    """OpenCV reads the file unchanged (no orientation applied): the TIFF's orientation tag is applied once,
    as to the 8-bit twin of the file."""
    import benchmark.data as data

    def no_tifffile(*args):
        raise ValueError("<COMPRESSION.LZW: 5> requires the 'imagecodecs' package")

    monkeypatch.setattr(data, "_tiff_by_tifffile", no_tifffile)
    arr = np.random.default_rng(6).integers(0, 65536, (12, 20, 3), dtype=np.uint16)
    import tifffile
    from PIL import Image

    tifffile.imwrite(tmp_path / "a.tif", arr, photometric="rgb", extratags=[(274, "H", 1, orientation, True)])
    exif = Image.Exif()
    exif[274] = orientation
    Image.fromarray((arr >> 8).astype(np.uint8)).save(tmp_path / "b.tif", exif=exif)
    px16, px8 = data.decode_image(str(tmp_path / "a.tif"), "a"), data.decode_image(str(tmp_path / "b.tif"), "b")
    assert px16.dtype == torch.float32 and px8.shape[1:] == ((20, 12) if orientation >= 5 else (12, 20))
    assert torch.equal((px16 * 65535).round().to(torch.int32) >> 8, px8.to(torch.int32))


# ------------------------------------------------------------------------------------------------
# `plbench run` on a folder of the same grid's runs made by an earlier code version
# ------------------------------------------------------------------------------------------------
def test_run_says_why_a_grid_made_by_an_earlier_code_version_is_trained_again(tmp_path, caplog):
    """After the code-version bump (every test input re-drawn), re-running a grid into its old results folder
    trained every run again — hours on the full profile — with "skipped 0 (already done)" and nothing said
    about the runs already there. Now the run says how many of its runs the folder holds from which earlier
    code version, that they are not reused, and how their own leaderboard is still reached."""
    import json

    from PIL import Image

    from benchmark.cli import main

    folder = tmp_path / "set"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(folder / "a.png")
    out = tmp_path / "out"
    argv = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "1", "--crop", "16",
            "--batch-size", "1", "--net", "tiny", "--metrics", "psnr", "--train-data", str(folder), "--test-data",
            str(folder), "--no-budget-check", "--no-report", "--no-progress", "--out", str(out), "--device", "cpu"]
    assert main(argv) == 0
    (run,) = [p for p in (out / "runs").iterdir() if not p.name.startswith("input-")]
    meta = json.loads((run / "meta.json").read_text())
    old_id = "0" * 16  # as an earlier code version made it: another id, its version recorded
    meta.update(run_id=old_id, code_version="0.1.0+c2")
    (run / "meta.json").write_text(json.dumps(meta))
    run.rename(out / "runs" / old_id)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert main(argv) == 0
    said = [r.getMessage() for r in caplog.records if "0.1.0+c2" in r.getMessage()]
    assert len(said) == 1 and "1 of the 1 run" in said[0] and "--where code_version=0.1.0+c2" in said[0], said
    assert "trained 1, skipped 0" in caplog.text  # trained again: its test inputs are drawn otherwise now


def test_a_16_bit_grey_tiff_with_alpha_pillow_cannot_open_is_read_at_16_bits(tmp_path):
    """Pillow cannot open a 16-bit grey + alpha TIFF: it was skipped as "an encoding it does not read (colour
    float or many-channel TIFFs are not read: save it as 8- or 16-bit)" — advice a 16-bit file already follows —
    then with a reason naming grey + alpha. tifffile reads it: now read at 16 bits as the grey file is (alpha
    dropped; tests/test_probe_inputs4.py has the other layouts)."""
    import tifffile

    from benchmark.data import decode_image

    arr = np.random.default_rng(8).integers(0, 65536, (12, 20, 2), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "la.tif", arr, photometric="minisblack", extrasamples=["unassalpha"])
    px = decode_image(str(tmp_path / "la.tif"), "la")
    assert px.dtype == torch.float32 and px.shape == (3, 12, 20)
    assert torch.equal(px, torch.from_numpy((arr[..., 0] / 65535).astype(np.float32)).expand(3, -1, -1))

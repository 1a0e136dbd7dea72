"""Images and datasets a user brings, round 7 (each test failed before its fix): camera JPEGs in Adobe RGB said by
their EXIF only, the reason a 16-bit file's profile of another colour space is not applied, 16-bit CMYK TIFF and
12-bit grey JPEG 2000; then 8-bit files whose profile's black is not zero, and test images that are training images
turned or mirrored, folders that cannot be read, Lab TIFFs, imagefolders whose metadata pairs images, an image
column beside a ground truth, local copies of hub datasets with several configs, Train/ + Test/ folders and the
profiles' DIV2K hub fallback."""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
import pytest
import torch
from test_probe_inputs4 import icc_rgb_profile
from test_probe_inputs6 import ADOBE_COLORANTS, _hwc, _lcms, _png16

from benchmark.data import DataSpec, load_images


def cmyk_profile(description: str = "Press CMYK (test)") -> bytes:
    """A minimal ICC v2 CMYK output profile: an ``A2B0`` lut16 (2-point grid) to Lab, a neutral ink model
    (lightness (1 − (c + m + y) / 4) · (1 − k)): a profile of another colour space than RGB, as press profiles are."""
    def s15(*values):
        return b"".join(struct.pack(">i", int(round(v * 65536))) for v in values)

    clut = []
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    lightness = 100 * (1 - (c + m + y) / 4) * (1 - k)
                    clut += [round(lightness * 65280 / 100), 0x8000, 0x8000]
    identity = s15(1, 0, 0, 0, 1, 0, 0, 0, 1)
    a2b0 = (b"mft2" + b"\0" * 4 + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
            + struct.pack(">8H", *[0, 65535] * 4) + struct.pack(f">{len(clut)}H", *clut)
            + struct.pack(">6H", *[0, 65535] * 3))
    text = description.encode() + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 78
    tags = [(b"desc", desc), (b"wtpt", b"XYZ " + b"\0" * 4 + s15(0.9642, 1.0, 0.8249)),
            (b"cprt", b"text" + b"\0" * 4 + b"none\0"), (b"A2B0", a2b0)]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"prtrCMYKLab "
              + b"\0" * 12 + b"acspAPPL" + b"\0" * 24 + s15(0.9642, 1.0, 0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


# ------------------------------------------------------------------------------------------------
# camera JPEGs in Adobe RGB, said by EXIF (DCF) and no ICC profile
# ------------------------------------------------------------------------------------------------
def _camera_jpeg(rgb8: np.ndarray, index: str | None, space: int = 0xFFFF, orientation: int = 1, **save) -> bytes:
    """A JPEG as a DSLR writes it: EXIF ColorSpace (0xA001) ``space`` in the Exif IFD, and (``index``) the Interop
    IFD (0xA005, inside the Exif IFD) with InteroperabilityIndex "R03" (Adobe RGB) or "R98" (sRGB)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    sub = {0xA001: space}
    if index is not None:
        sub[0xA005] = {0x0001: index}
    exif[0x8769] = sub
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="JPEG", quality=95, exif=exif, **save)
    return buf.getvalue()


def _ramp() -> np.ndarray:
    yy, xx = np.mgrid[0:32, 0:48]
    return np.stack([xx * 5, yy * 7 + 20, 255 - xx * 5], -1).astype(np.uint8)


def test_a_camera_jpeg_in_adobe_rgb_by_its_exif_is_converted_and_named(tmp_path, caplog):
    """A DSLR set to Adobe RGB writes no ICC profile, only EXIF ColorSpace = 0xFFFF (uncalibrated) and the DCF
    Interoperability index "R03": it was read as sRGB (dull, shifted colours). Now converted as Adobe RGB (1998),
    as a viewer applying Adobe's profile shows it (within 1 level of littleCMS's rendering), and named in the
    one-line warning; the same file turned by its orientation is turned, then converted."""
    from PIL import Image

    rgb8 = _ramp()
    (tmp_path / "dsc_adobe.jpg").write_bytes(_camera_jpeg(rgb8, "R03"))
    (tmp_path / "dsc_turned.jpg").write_bytes(_camera_jpeg(rgb8, "R03", orientation=6))
    stored = np.asarray(Image.open(io.BytesIO(_camera_jpeg(rgb8, "R03"))).convert("RGB"))
    adobe = icc_rgb_profile("Adobe RGB (1998) (test)", ADOBE_COLORANTS, gamma=563 / 256)
    want = _lcms(stored, adobe).astype(int)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels).astype(int) for r in load_images(DataSpec(str(tmp_path)))}
    assert np.abs(px["dsc_adobe"] - want).max() <= 1
    assert np.abs(px["dsc_adobe"] - stored).max() > 10  # not read as stored
    np.testing.assert_array_equal(px["dsc_turned"], np.rot90(px["dsc_adobe"], -1))
    (line,) = [r.getMessage() for r in caplog.records if "dsc_adobe" in r.getMessage()]
    assert "Adobe RGB (1998)" in line and "EXIF" in line and "converted to sRGB" in line


@pytest.mark.parametrize("index, space", [("R98", 0xFFFF), ("R98", 1), (None, 0xFFFF), ("R03", 1)])
def test_a_camera_jpeg_in_srgb_or_unsaid_keeps_its_pixels(tmp_path, caplog, index, space):
    """DCF "R98" is sRGB, ColorSpace 1 is sRGB, and "uncalibrated" with no index says nothing: read as stored,
    unnamed. So is an Adobe RGB one whose ICC profile (which takes precedence) is sRGB."""
    from PIL import Image, ImageCms

    rgb8 = _ramp()
    (tmp_path / "dsc.jpg").write_bytes(_camera_jpeg(rgb8, index, space))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (tmp_path / "tagged.jpg").write_bytes(_camera_jpeg(rgb8, "R03", icc_profile=srgb))
    stored = np.asarray(Image.open(tmp_path / "dsc.jpg").convert("RGB"))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    np.testing.assert_array_equal(px["dsc"], stored)
    np.testing.assert_array_equal(px["tagged"], stored)
    assert "colour profile" not in caplog.text


# ------------------------------------------------------------------------------------------------
# a 16-bit file with a profile of another colour space
# ------------------------------------------------------------------------------------------------
def test_a_16_bit_rgb_file_with_a_cmyk_profile_is_named_with_the_true_reason(tmp_path, caplog):
    """A CMYK press profile on 16-bit RGB pixels was 'not a matrix/TRC one (LUT-based, or CMYK), so not applied to
    16-bit or float pixels (8-bit files' are)': 8-bit RGB files' CMYK profiles are not applied either. Now one line
    saying the profile is of another colour space than the pixels; the pixels are read as stored."""
    rgb16 = (np.arange(16 * 16 * 3).reshape(16, 16, 3) * 85).astype(np.uint16)
    _png16(tmp_path / "deep.png", rgb16, icc_profile=cmyk_profile())
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    np.testing.assert_array_equal(_hwc(rec.pixels), (rgb16 / 65535).astype(np.float32))
    (line,) = [r.getMessage() for r in caplog.records if "deep.png" in r.getMessage()]
    assert "8-bit files' are" not in line and "LUT-based" not in line
    assert "CMYK" in line and "RGB pixels" in line


# ------------------------------------------------------------------------------------------------
# 16-bit CMYK TIFF
# ------------------------------------------------------------------------------------------------
def _cmyk16() -> np.ndarray:
    yy, xx = np.mgrid[0:16, 0:24]
    return np.stack([xx * 2700 + 13, yy * 4000 + 7, (xx + yy) * 1400 + 1, (xx * yy) * 170 + 3], -1).astype(np.uint16)


def test_a_16_bit_cmyk_tiff_is_read_at_16_bits(tmp_path, caplog):
    """A 16-bit CMYK TIFF (a prepress export) was read at 8 bits (Pillow's), unsaid. Now at 16 bits, converted as
    the 8-bit path converts a CMYK TIFF (stored not inverted: RGB = (1 − C)(1 − K), …), float32."""
    import tifffile

    cmyk = _cmyk16()
    tifffile.imwrite(tmp_path / "press.tif", cmyk, photometric="separated")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    f = cmyk.astype(np.float64) / 65535
    want = (1 - f[..., :3]) * (1 - f[..., 3:])
    assert rec.pixels.dtype == torch.float32
    np.testing.assert_allclose(_hwc(rec.pixels), want, atol=1e-6)
    assert "8 bits" not in caplog.text
    # the 8-bit path's convention (Pillow's CMYK → RGB of a TIFF), which the 16-bit read agrees with
    tifffile.imwrite(tmp_path / "press8.tif", (cmyk // 257).astype(np.uint8), photometric="separated")
    (tmp_path / "press.tif").unlink()
    (rec8,) = load_images(DataSpec(str(tmp_path)))
    assert np.abs(_hwc(rec8.pixels).astype(int) - np.round(want * 255)).max() <= 2


def test_a_16_bit_cmyk_tiff_with_a_cmyk_profile_says_it_is_read_at_8_bits(tmp_path, caplog):
    """With its press profile, a 16-bit CMYK TIFF is converted by littleCMS, which takes 8 bits here: read so, and
    said in the 16-bit files' one line."""
    import tifffile

    tifffile.imwrite(tmp_path / "proof.tif", _cmyk16(), photometric="separated",
                     extratags=[(34675, 7, None, cmyk_profile(), False)])
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    assert rec.pixels.dtype == torch.uint8
    (line,) = [r.getMessage() for r in caplog.records if "proof.tif" in r.getMessage() and "8 bits" in r.getMessage()]
    assert "CMYK" in line


# ------------------------------------------------------------------------------------------------
# 12-bit grey JPEG 2000
# ------------------------------------------------------------------------------------------------
def test_a_12_bit_grey_jpeg_2000_is_read_on_the_scale_of_12_bit_colour(tmp_path):
    """A 12-bit grey JPEG 2000 (a radiograph) was read through Pillow's 16-bit scaling (value · 16 / 65535: white
    0.99977) while 12-bit colour is value / 4095. Now grey is value / 4095 too: white is 1."""
    import cv2

    yy, xx = np.mgrid[0:64, 0:64]
    g12 = np.minimum(xx * 65 + yy, 4095).astype(np.uint16)
    ok, enc = cv2.imencode(".jp2", g12 + 30720)  # DC shift 2^15 − 2^11, then the depth set to 12 bits (as in round 6)
    assert ok
    raw = bytearray(enc.tobytes())
    siz = raw.find(b"\xff\x4f\xff\x51")
    raw[siz + 42] = 11  # Ssiz: 12 bits, unsigned
    raw[raw.find(b"ihdr") + 14] = 11
    (tmp_path / "xray.jp2").write_bytes(bytes(raw))
    (rec,) = load_images(DataSpec(str(tmp_path)))
    assert rec.pixels.dtype == torch.float32
    np.testing.assert_allclose(_hwc(rec.pixels)[..., 0], g12 / 4095, atol=1e-7)
    assert float(rec.pixels.max()) == 1.0


# ------------------------------------------------------------------------------------------------
# an 8-bit file whose profile's black is not zero: littleCMS's optimised 8-bit tables
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("colorants", ["display-p3", "adobe-rgb"])
def test_an_8_bit_file_whose_profile_has_a_raised_black_is_converted_exactly(tmp_path, colorants):
    """littleCMS's 8-bit transform resamples its pipeline into tables; with black-point compensation in it (a profile
    whose black is not zero: a calibrated display's, which a screenshot embeds) those were up to 13 (Display P3) and
    18 (Adobe RGB) levels off the pipeline evaluated exactly, so an 8-bit file and its 16-bit twin (converted
    exactly, round 6) differed by as much. Now the 8-bit file is converted exactly too: within a level of both."""
    import tifffile
    from test_probe_inputs4 import P3_COLORANTS
    from test_review_inputs6 import _lcms_exact, _raised_black_table

    icc = icc_rgb_profile("Calibrated display (test)", {"display-p3": P3_COLORANTS, "adobe-rgb": ADOBE_COLORANTS}
                          [colorants], curve=_raised_black_table())
    steps = np.arange(0, 256, 5, dtype=np.uint8)  # a 52-level cube
    rgb8 = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), -1).reshape(52 * 4, 13 * 52, 3)
    for bits in (8, 16):
        (tmp_path / str(bits)).mkdir()
        tifffile.imwrite(tmp_path / str(bits) / "shot.tif", rgb8 if bits == 8 else rgb8.astype(np.uint16) * 257,
                         photometric="rgb", iccprofile=icc)
    (rec8,) = load_images(DataSpec(str(tmp_path / "8")))
    (rec16,) = load_images(DataSpec(str(tmp_path / "16")))
    want = _lcms_exact(rgb8, icc).astype(np.float64)
    assert np.abs(_lcms(rgb8, icc) - want).max() > 8  # the optimised tables are far off for this profile
    assert rec8.pixels.dtype == torch.uint8
    got8 = _hwc(rec8.pixels).astype(np.float64)
    assert np.abs(got8 - want).max() <= 1
    assert np.abs(got8 - _hwc(rec16.pixels) * 255).max() <= 1.01


# ------------------------------------------------------------------------------------------------
# a test image that is a training image turned or mirrored
# ------------------------------------------------------------------------------------------------
def test_a_test_image_that_is_a_turned_or_mirrored_training_image_is_warned(tmp_path, caplog):
    """Every training crop is turned by k·90° and maybe mirrored, so a test image that is a training image turned
    or mirrored (a dataset saved with its augmentations, the classic '291 augmented', then split at random) has
    been trained on as surely as an identical copy; only identical pixels were warned of, so such a test set was
    scored as held out, unsaid. Now each of those is counted in the same warning, marked; an unrelated image and
    an identical copy are counted as before."""
    from PIL import Image

    from benchmark.data import DataCache

    rng = np.random.default_rng(71)
    photo = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    Image.fromarray(photo).save(tmp_path / "train" / "p.png")
    Image.fromarray(rng.integers(0, 256, (40, 24, 3), dtype=np.uint8)).save(tmp_path / "train" / "q.png")
    variants = {"same": photo, "turned": np.rot90(photo), "mirrored": photo[:, ::-1], "upside": photo[::-1],
                "transposed": photo.transpose(1, 0, 2), "other": rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)}
    for name, arr in variants.items():
        Image.fromarray(np.ascontiguousarray(arr)).save(tmp_path / "test" / f"{name}.png")
    train, test = DataSpec(str(tmp_path / "train")), DataSpec(str(tmp_path / "test"))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        both = DataCache().overlap((train,), (test,))
    assert sorted(both) == ["test/mirrored (turned or mirrored)", "test/same", "test/transposed (turned or mirrored)",
                            "test/turned (turned or mirrored)", "test/upside (turned or mirrored)"]
    (line,) = [r.getMessage() for r in caplog.records if "also training images" in r.getMessage()]
    assert "5 of 6 test images" in line and "turned or mirrored" in line


# ------------------------------------------------------------------------------------------------
# a folder that cannot be read
# ------------------------------------------------------------------------------------------------
def _unreadable(monkeypatch, *folders):
    """``os.scandir`` of ``folders`` fails as it does for a folder without read permission (another user's, on a shared
    file system; made so here whatever user the tests run as: root reads any folder)."""
    import os

    real = os.scandir
    denied = {str(f) for f in folders}

    def scandir(path="."):
        if os.fspath(path) in denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_sub_folder_that_cannot_be_read_is_named_not_left_out_unsaid(tmp_path, monkeypatch, caplog):
    """os.walk passes over a folder it cannot list: a sub-folder of a shared data set without read permission was
    left out of the images, unsaid (a test set silently smaller). Now it is named in a warning with the reason."""
    from PIL import Image

    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        Image.fromarray(np.full((16, 16, 3), 9, np.uint8)).save(tmp_path / sub / f"{sub}.png")
    _unreadable(monkeypatch, tmp_path / "b")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec(str(tmp_path)))
    assert [r.image_id for r in recs] == ["a/a"]
    (line,) = [r.getMessage() for r in caplog.records if "not be read" in r.getMessage()]
    assert "b/" in line and "Permission denied" in line


def test_an_image_folder_that_cannot_be_read_is_one_line_saying_so(tmp_path, monkeypatch):
    """A folder that cannot be listed was 'holds no image file (0 other file(s) …)': untrue, and no hint of why.
    Now one line saying it cannot be read, and why."""
    from PIL import Image

    from benchmark.errors import UserError

    (tmp_path / "test").mkdir()
    Image.fromarray(np.full((16, 16, 3), 9, np.uint8)).save(tmp_path / "test" / "a.png")
    whole, split = DataSpec(str(tmp_path)), DataSpec(str(tmp_path), "test")
    assert whole.kind == "folder"
    for spec, denied in ((whole, tmp_path), (split, tmp_path / "test")):
        with monkeypatch.context() as m:
            _unreadable(m, denied)
            with pytest.raises(UserError) as err:
                load_images(spec)
        assert "cannot be read" in str(err.value) and "Permission denied" in str(err.value)
        assert "holds no image file" not in str(err.value) and str(denied) in str(err.value)


# ------------------------------------------------------------------------------------------------
# a CIE L*a*b* TIFF
# ------------------------------------------------------------------------------------------------
def test_a_lab_tiff_is_converted_and_not_said_to_be_read_as_stored(tmp_path, caplog):
    """An 8-bit CIELab TIFF (Photoshop's Lab mode, a colorimetric archive) carries the Lab profile; Pillow converts Lab
    to sRGB (by littleCMS), yet it was named as 'a colour profile that is not applied: pixels read as stored, as if
    sRGB', untrue. Now read as before (littleCMS's Lab → sRGB) and not named as not applied."""
    from PIL import Image, ImageCms

    rng = np.random.default_rng(72)
    rgb8 = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
    to_lab = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB")
    lab = ImageCms.applyTransform(Image.fromarray(rgb8), to_lab)
    lab.save(tmp_path / "archive.tif")
    assert Image.open(tmp_path / "archive.tif").info.get("icc_profile")  # Pillow writes the Lab profile with it
    to_srgb = ImageCms.buildTransform(ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB")
    want = np.asarray(ImageCms.applyTransform(Image.open(tmp_path / "archive.tif"), to_srgb))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    np.testing.assert_array_equal(_hwc(rec.pixels), want)
    assert np.abs(want.astype(int) - rgb8).mean() < 3  # sRGB again, not Lab's numbers
    assert "not applied" not in caplog.text and "as stored" not in caplog.text


# ------------------------------------------------------------------------------------------------
# a Hugging Face imagefolder whose metadata pairs images (clean and noisy)
# ------------------------------------------------------------------------------------------------
def _paired_folder(root, kind: str, n: int = 3) -> dict[str, list[np.ndarray]]:
    """An imagefolder as ``datasets`` documents paired data: clean/ and noisy/ images and a metadata file whose
    ``file_name`` names each row's image and ``noisy_file_name`` its noisy twin (``datasets`` reads the columns image
    and noisy)."""
    import json

    from PIL import Image

    rng = np.random.default_rng(73)
    out: dict[str, list[np.ndarray]] = {"clean": [], "noisy": []}
    rows = []
    for sub in out:
        (root / sub).mkdir(parents=True)
    for i in range(n):
        clean = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
        noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255).astype(np.uint8)
        for sub, arr in (("clean", clean), ("noisy", noisy)):
            Image.fromarray(arr).save(root / sub / f"{i}.png")
            out[sub].append(arr)
        rows.append({"file_name": f"clean/{i}.png", "noisy_file_name": f"noisy/{i}.png", "sigma": 25})
    if kind == "csv":
        (root / "metadata.csv").write_text("file_name,noisy_file_name,sigma\n"
                                           + "".join(f"{r['file_name']},{r['noisy_file_name']},25\n" for r in rows))
    else:
        (root / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_an_imagefolder_whose_metadata_pairs_images_is_read_by_its_image_column(tmp_path, kind, caplog):
    """A paired imagefolder (metadata ``file_name`` + ``noisy_file_name``: what ``datasets`` reads as the columns
    image and noisy) was read as a folder of images, every file: the noisy twins trained on and scored as clean
    images, unsaid (the metadata file 'not an image'). Now read as ``datasets`` reads it: its image column (the
    clean images, said), another by '#COLUMN'; a folder whose metadata names one image per row is read as before."""
    import datasets

    want = _paired_folder(tmp_path / "pairs", kind)
    ds = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "pairs"), split="train")
    assert sorted(n for n, f in ds.features.items() if isinstance(f, datasets.Image)) == ["image", "noisy"]
    with caplog.at_level(logging.INFO, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(tmp_path / "pairs")))
    assert [r.image_id for r in recs] == ["clean/0", "clean/1", "clean/2"]
    for rec, arr in zip(recs, want["clean"]):
        np.testing.assert_array_equal(_hwc(rec.pixels), arr)
    assert "noisy" in caplog.text and "not an image" not in caplog.text
    noisy = load_images(DataSpec.parse(f"{tmp_path / 'pairs'}#noisy"))
    for rec, arr in zip(noisy, want["noisy"]):
        np.testing.assert_array_equal(_hwc(rec.pixels), arr)
    (tmp_path / "pairs" / "clean" / "0.png").rename(tmp_path / "pairs" / "clean" / "9.png")  # in no row: said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "pairs")))] == ["clean/1", "clean/2"]
    assert "clean/9.png" in caplog.text and "in no row of its metadata" in caplog.text
    # one image per row (captions): every image file, as before
    (tmp_path / "pairs" / f"metadata.{kind}").unlink()
    (tmp_path / "pairs" / "metadata.csv").write_text("file_name,text\nclean/0.png,a cat\n")
    assert len(load_images(DataSpec.parse(str(tmp_path / "pairs")))) == 6  # 9.png among them


def test_paired_metadata_of_another_split_or_damaged_leaves_the_folder_read_as_before(tmp_path, caplog):
    """The root's metadata pairing train/ images leaves FOLDER:test (no row of it) read as every image file; a metadata
    file that cannot be read is named in a warning and not used, never a refusal of the folder."""
    from PIL import Image

    _paired_folder(tmp_path / "d" / "train", "csv")
    (tmp_path / "d" / "train" / "metadata.csv").rename(tmp_path / "d" / "metadata.csv")
    text = (tmp_path / "d" / "metadata.csv").read_text()
    text = text.replace("clean/", "train/clean/").replace("noisy/", "train/noisy/")
    (tmp_path / "d" / "metadata.csv").write_text(text)
    (tmp_path / "d" / "test").mkdir()
    Image.fromarray(np.full((16, 16, 3), 7, np.uint8)).save(tmp_path / "d" / "test" / "t.png")
    assert [r.image_id for r in load_images(DataSpec.parse(f"{tmp_path / 'd'}:test"))] == ["test/t"]
    assert [r.image_id for r in load_images(DataSpec.parse(f"{tmp_path / 'd'}:train"))] == [
        "train/clean/0", "train/clean/1", "train/clean/2"]
    (tmp_path / "d" / "metadata.csv").write_bytes(b"file_name,noisy_file_name\n\xff\xfe,x\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert len(load_images(DataSpec.parse(f"{tmp_path / 'd'}:train"))) == 6
    assert "metadata.csv" in caplog.text and "cannot be read" in caplog.text


# ------------------------------------------------------------------------------------------------
# several image columns, one of them named as the clean target
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["gt", "target", "clean", "ground_truth", "sharp", "hr"])
def test_image_beside_a_column_named_as_the_clean_target_is_not_guessed(tmp_path, target):
    """Of image columns ``image`` and ``gt`` (a paired set: the degraded input and its ground truth), 'image' was taken,
    said only at INFO: the degraded inputs trained on and scored as clean images. The names say the other column
    holds the clean images: now one line asking for '#COLUMN', and either column read when named."""
    import datasets

    from benchmark.errors import UserError

    rng = np.random.default_rng(74)
    arrs = {c: [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(2)] for c in ("image", target)}
    feats = datasets.Features({c: datasets.Image() for c in arrs})
    datasets.Dataset.from_dict({c: list(v) for c, v in arrs.items()}, features=feats).save_to_disk(str(tmp_path / "d"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(tmp_path / "d")))
    assert "#COLUMN" in str(err.value) and f"image, {target}" in str(err.value) and "\n" not in str(err.value)
    for col in arrs:
        recs = load_images(DataSpec.parse(f"{tmp_path / 'd'}#{col}"))
        np.testing.assert_array_equal(_hwc(recs[1].pixels), arrs[col][1])


def test_a_path_column_image_beside_a_path_column_gt_is_not_guessed(tmp_path):
    """The same for columns of file paths: 'image' and 'gt' paths (a paired set's CSV made into a dataset) read
    'image', unsaid. Now one line asking for '#COLUMN'; a 'target' column of class names (no image paths) beside
    'image' paths is no image column, and 'image' is read as before."""
    import datasets
    from PIL import Image

    from benchmark.errors import UserError

    paths = {}
    for col in ("image", "gt"):
        (tmp_path / col).mkdir()
        paths[col] = []
        for i in range(2):
            Image.fromarray(np.full((16, 16, 3), 40 * i + (100 if col == "gt" else 0), np.uint8)).save(
                tmp_path / col / f"{i}.png")
            paths[col].append(str(tmp_path / col / f"{i}.png"))
    datasets.Dataset.from_dict(paths).save_to_disk(str(tmp_path / "pairs"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(tmp_path / "pairs")))
    assert "#COLUMN" in str(err.value) and "'gt'" in str(err.value)
    assert int(load_images(DataSpec.parse(f"{tmp_path / 'pairs'}#gt"))[1].pixels[0, 0, 0]) == 140
    datasets.Dataset.from_dict({"image": paths["image"], "target": ["cat", "dog"]}).save_to_disk(str(tmp_path / "cls"))
    assert [int(r.pixels[0, 0, 0]) for r in load_images(DataSpec.parse(str(tmp_path / "cls")))] == [0, 40]


# ------------------------------------------------------------------------------------------------
# a local copy of a hub dataset with several configs
# ------------------------------------------------------------------------------------------------
def test_a_local_copy_with_several_configs_names_them_and_what_to_pass(tmp_path):
    """A hub dataset's local copy whose README declares several configs (x2, x4: a super-resolution set per scale)
    was 'a folder of data files that datasets cannot read (Config name is missing.)': no config named, nothing to do.
    Now the line names the configs and the folder of each to pass, which reads as that config."""
    import datasets

    from benchmark.errors import UserError

    root = tmp_path / "copy"
    feat = datasets.Features({"image": datasets.Image()})
    rng = np.random.default_rng(75)
    for cfg in ("x2", "x4"):
        (root / cfg).mkdir(parents=True)
        for split, n in (("train", 2), ("validation", 1)):
            rows = [{"bytes": _png_bytes(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)), "path": None}
                    for _ in range(n)]
            datasets.Dataset.from_dict({"image": rows}, features=feat).to_parquet(
                str(root / cfg / f"{split}-00000-of-00001.parquet"))
    (root / "README.md").write_text("---\nconfigs:\n" + "".join(
        f"- config_name: {c}\n  data_files:\n  - split: train\n    path: {c}/train-*\n"
        f"  - split: validation\n    path: {c}/validation-*\n" for c in ("x2", "x4")) + "---\n")
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(root), role="test"))
    text = str(err.value)
    assert "x2, x4" in text and f"{root / 'x4'}" in text and "\n" not in text
    assert len(load_images(DataSpec.parse(str(root / "x4"), role="test"))) == 1
    flat = tmp_path / "flat"  # the configs' files side by side: no folder to pass, so how to save one
    flat.mkdir()
    for f in root.glob("*/*.parquet"):
        f.rename(flat / f"{f.parent.name}-{f.name}")
    (flat / "README.md").write_text((root / "README.md").read_text().replace("x2/", "x2-").replace("x4/", "x4-"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(flat), role="test"))
    assert "x2, x4" in str(err.value) and "save_to_disk" in str(err.value)


def _png_bytes(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# Train/ and Test/ sub-folders, capitalised
# ------------------------------------------------------------------------------------------------
def test_a_test_folder_with_capitalised_train_and_test_subfolders_warns(tmp_path, caplog):
    """A folder of Train/ and Test/ (Kaggle's spelling) given as test data is read whole, training images included:
    the warning that names the held-out sub-folder to pass came only for lower-case train/ and test/. Now for any
    case, naming the sub-folder as it is spelt."""
    from PIL import Image

    for split in ("Train", "Test"):
        (tmp_path / "d" / split).mkdir(parents=True)
        Image.fromarray(np.full((16, 16, 3), 5, np.uint8)).save(tmp_path / "d" / split / "a.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        DataSpec.parse(str(tmp_path / "d"), role="test")
    assert "Train/ sub-folder included" in caplog.text and f"{tmp_path / 'd'}:Test" in caplog.text


# ------------------------------------------------------------------------------------------------
# the profiles' hub fallback: DIV2K's HR archive, not every archive of a split
# ------------------------------------------------------------------------------------------------
def test_the_hub_fallback_reads_div2k_hr_images_only(tmp_path, monkeypatch):
    """goodfellowliu/DIV2K is an imagefolder of zip archives, DIV2K_train_HR.zip beside every low-resolution one
    (DIV2K_train_LR_bicubic_X4.zip, …, unknown, mild, wild, x8); datasets puts each archive in the split its name
    says, so the standard and full profiles' fallback ':train' trained on the LR images as clean ones and ':validation'
    scored LR images as ground truth. Built here as a local copy of that layout (4 HR + 4 LR train images, 2 + 2
    validation), in the hub cache as a download leaves it, read through the hub path: now the HR archive of each
    split only."""
    import zipfile

    from hubcache import cache_hub_file
    from huggingface_hub import constants

    from benchmark import config

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    rng = np.random.default_rng(76)
    for name, inner, n, side in (("DIV2K_train_HR", "DIV2K_train_HR", 4, 32),
                                 ("DIV2K_train_LR_bicubic_X4", "DIV2K_train_LR_bicubic/X4", 4, 8),
                                 ("DIV2K_valid_HR", "DIV2K_valid_HR", 2, 32),
                                 ("DIV2K_valid_LR_bicubic_X4", "DIV2K_valid_LR_bicubic/X4", 2, 8)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for i in range(n):
                z.writestr(f"{inner}/{i:04d}.png", _png_bytes(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)))
        cache_hub_file("goodfellowliu/DIV2K", f"{name}.zip", buf.getvalue(), tmp_path / "hub")
    for tokens, n in ((config.HUB_TRAIN, 4), (config.HUB_TEST, 2)):
        (spec,) = [DataSpec.parse(t) for t in tokens]
        assert spec.kind == "hub"
        recs = load_images(spec)
        assert [r.size for r in recs] == [(32, 32)] * n, (tokens, [r.size for r in recs])

"""Images and datasets a user brings (each test failed before its fix): every real-world file or layout is read
with the pixels a viewer shows, or named in one line with what to do."""

from __future__ import annotations

import io
import logging
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec, load_images

# D50-adapted colorants of Display P3 (the rXYZ/gXYZ/bXYZ tags of Apple's profile, rounded)
P3_COLORANTS = ((0.5151, 0.2412, -0.0011), (0.2920, 0.6922, 0.0419), (0.1571, 0.0666, 0.7841))


def icc_rgb_profile(description: str, colorants=P3_COLORANTS, gamma: float | None = 2.2,
                    curve: bytes | None = None) -> bytes:
    """A minimal ICC v2 matrix/TRC RGB display profile (what an Adobe-RGB / Display-P3 photo embeds): its
    description, D50 white, three colorants and one tone curve per channel: a pure ``gamma``, (None) the
    sRGB curve as a 1024-entry table, or the tag ``curve`` as given (a ``para`` curve)."""
    def s15(x):
        return struct.pack(">i", int(round(x * 65536)))

    def xyz(v):
        return b"XYZ " + b"\0" * 4 + b"".join(s15(c) for c in v)

    if curve is not None:
        curv = curve
    elif gamma is not None:
        curv = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    else:
        x = np.linspace(0, 1, 1024)
        y = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
        curv = b"curv" + b"\0" * 4 + struct.pack(">I", x.size) + np.round(y * 65535).astype(">u2").tobytes()
    text = description.encode() + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0" * 70
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"cprt", b"text" + b"\0" * 4 + b"none\0"),
            (b"rXYZ", xyz(colorants[0])), (b"gXYZ", xyz(colorants[1])), (b"bXYZ", xyz(colorants[2])),
            (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv)]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12
              + b"acspAPPL" + b"\0" * 20 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def _srgb_reference(rgb: np.ndarray, icc: bytes) -> np.ndarray:
    """littleCMS's conversion of 8-bit ``rgb`` tagged with ``icc`` to sRGB: what a colour-managed viewer shows."""
    from PIL import Image, ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return np.asarray(ImageCms.profileToProfile(Image.fromarray(rgb), src, ImageCms.createProfile("sRGB"),
                                                outputMode="RGB"))


def _hwc(pixels: torch.Tensor) -> np.ndarray:
    return pixels.permute(1, 2, 0).numpy()


# ------------------------------------------------------------------------------------------------
# ICC colour profiles
# ------------------------------------------------------------------------------------------------
def test_a_wide_gamut_photo_is_converted_to_srgb_and_named(tmp_path, caplog):
    """A Display-P3 photo (an iPhone export) was read as if its numbers were sRGB: every colour off (saturated
    ones most). Now converted to sRGB as a viewer shows it, its EXIF orientation still applied, and named."""
    from PIL import Image

    rgb = np.random.default_rng(0).integers(0, 256, (12, 20, 3), dtype=np.uint8)
    p3 = icc_rgb_profile("Display P3 (test)")
    Image.fromarray(rgb).save(tmp_path / "iphone.png", icc_profile=p3)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    Image.fromarray(rgb).save(tmp_path / "turned.png", icc_profile=p3, exif=exif)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    want = _srgb_reference(rgb, p3)
    assert (want != rgb).mean() > 0.5  # the profile matters for these pixels
    np.testing.assert_array_equal(px["iphone"], want)
    np.testing.assert_array_equal(px["turned"], np.rot90(want, -1))
    text = " ".join(r.getMessage() for r in caplog.records if "colour profile" in r.getMessage())
    assert "converted to sRGB" in text and "Display P3 (test)" in text
    assert "iphone.png" in text and "turned.png" in text


def test_images_without_a_profile_or_with_an_srgb_one_keep_their_pixels(tmp_path, caplog):
    """The conversion must not touch what was already sRGB (shared datasets keep their fingerprints): no
    profile, Pillow's sRGB profile, or a profile under another name that maps colours to themselves."""
    from PIL import Image, ImageCms

    srgb_colorants = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))
    rgb = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "plain.png")
    Image.fromarray(rgb).save(tmp_path / "tagged.png",
                              icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # sRGB's primaries and tone curve under a camera maker's name: within one level of itself, so kept as stored
    Image.fromarray(rgb).save(tmp_path / "camera.png", icc_profile=icc_rgb_profile("Built-in RGB", srgb_colorants,
                                                                                   gamma=None))
    # a profile its maker calls sRGB is taken at its word
    Image.fromarray(rgb).save(tmp_path / "named.png", icc_profile=icc_rgb_profile("sRGB IEC61966-2.1 (camera)",
                                                                                  srgb_colorants))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    for name in ("plain", "tagged", "camera", "named"):
        np.testing.assert_array_equal(px[name], rgb, err_msg=name)
    assert not [r for r in caplog.records if "colour profile" in r.getMessage()]


def test_a_16_bit_file_with_a_wide_gamut_profile_is_converted_and_named(tmp_path, caplog):
    """A 16-bit Display-P3 TIFF was read at 16 bits as stored (its profile named as not applied); since
    probe-inputs6 it is converted at 16 bits (test_probe_inputs6 checks the numbers against littleCMS), and named."""
    import tifffile

    values = np.random.default_rng(2).integers(0, 65536, (16, 16, 3)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "deep.tif", values, photometric="rgb", iccprofile=icc_rgb_profile("Display P3 (x)"))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    assert rec.pixels.dtype == torch.float32
    assert np.abs(_hwc(rec.pixels) - values / 65535).max() > 0.05  # converted, not as stored
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "deep.tif" in text and "converted to sRGB" in text and "Display P3 (x)" in text


def test_an_unreadable_profile_is_named_and_the_pixels_kept(tmp_path, caplog):
    """A damaged ICC block (a truncated export) must not make the image unreadable, nor pass unsaid."""
    from PIL import Image

    rgb = np.random.default_rng(3).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "odd.png", icc_profile=icc_rgb_profile("Display P3")[:100])
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    np.testing.assert_array_equal(_hwc(rec.pixels), rgb)
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "odd.png" in text and "cannot be read" in text


# ------------------------------------------------------------------------------------------------
# TIFF layouts Pillow does not open
# ------------------------------------------------------------------------------------------------
def test_tiffs_pillow_cannot_open_are_read_at_their_precision(tmp_path, caplog):
    """16-bit grey + alpha, float32/float16 RGB (an HDR tool's or a scientist's export) and planar float TIFFs
    were all skipped as unreadable ('an encoding it does not read'): now read by tifffile, on the scale of
    their format (16-bit: value / 65535; float: as stored, in [0, 1]), alpha dropped and named if transparent,
    the orientation tag applied."""
    import tifffile

    rng = np.random.default_rng(4)
    grey = rng.integers(0, 65536, (12, 20)).astype(np.uint16)
    alpha = np.full((12, 20), 65535, np.uint16)
    alpha[0, 0] = 0
    tifffile.imwrite(tmp_path / "ga16.tif", np.dstack([grey, alpha]), photometric="minisblack",
                     extrasamples=["unassalpha"])
    rgb = rng.random((12, 20, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "f32.tif", rgb, photometric="rgb")
    tifffile.imwrite(tmp_path / "f16.tif", rgb.astype(np.float16), photometric="rgb")
    tifffile.imwrite(tmp_path / "planar.tif", np.moveaxis(rgb, -1, 0), photometric="rgb", planarconfig="separate")
    tifffile.imwrite(tmp_path / "turned.tif", rgb, photometric="rgb", extratags=[(274, "H", 1, 6, True)])
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    assert sorted(px) == ["f16", "f32", "ga16", "planar", "turned"]
    assert all(p.dtype == torch.float32 and p.shape[0] == 3 for p in px.values())
    np.testing.assert_array_equal(_hwc(px["ga16"]), np.repeat((grey / 65535).astype(np.float32)[..., None], 3, -1))
    np.testing.assert_array_equal(_hwc(px["f32"]), rgb)
    np.testing.assert_array_equal(_hwc(px["planar"]), rgb)
    np.testing.assert_array_equal(_hwc(px["f16"]), rgb.astype(np.float16).astype(np.float32))
    np.testing.assert_array_equal(_hwc(px["turned"]), np.rot90(rgb, -1))
    assert "transparent pixels" in caplog.text and "ga16.tif" in caplog.text
    assert "unreadable" not in caplog.text


def test_a_tiff_layout_not_read_is_named_with_what_it_holds(tmp_path, caplog):
    """What tifffile reads but no image here fits (float outside [0, 1], five channels, 32-bit integers) is
    skipped in one line naming the file and what it holds; the folder's other images still load."""
    import tifffile

    rng = np.random.default_rng(5)
    tifffile.imwrite(tmp_path / "hdr.tif", (rng.random((12, 20, 3)) * 4).astype(np.float32), photometric="rgb")
    tifffile.imwrite(tmp_path / "bands.tif", rng.integers(0, 255, (12, 20, 5)).astype(np.uint8),
                     photometric="minisblack", planarconfig="contig")
    tifffile.imwrite(tmp_path / "ok.tif", rng.random((12, 20, 3)).astype(np.float32), photometric="rgb")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec(str(tmp_path)))
    assert [r.image_id for r in recs] == ["ok"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping unreadable image")]
    assert len(lines) == 2 and all("\n" not in ln for ln in lines)
    hdr = next(ln for ln in lines if "hdr.tif" in ln)
    bands = next(ln for ln in lines if "bands.tif" in ln)
    assert "outside [0, 1]" in hdr
    assert "5 per pixel" in bands and "save it as" in bands


# ------------------------------------------------------------------------------------------------
# datasets of numpy images
# ------------------------------------------------------------------------------------------------
def test_a_dataset_of_16_bit_or_float_numpy_images_is_read_on_their_scale(tmp_path):
    """``Dataset.from_dict({"image": [float or uint16 arrays]})`` (a simulation's output, a RAW pipeline's) was
    'has no image column; name one with #COLUMN (columns: image)': the column was there. Now uint16 is read
    as value / 65535 and floats as stored (in [0, 1]), as 16-bit and float files are; channels first or last."""
    import datasets

    rng = np.random.default_rng(6)
    f32 = rng.random((12, 20, 3)).astype(np.float32)
    u16 = rng.integers(0, 65536, (12, 20, 3)).astype(np.uint16)
    datasets.Dataset.from_dict({"image": [f32, np.moveaxis(f32, -1, 0)]}).save_to_disk(str(tmp_path / "f"))
    datasets.Dataset.from_dict({"image": [u16]}).save_to_disk(str(tmp_path / "u"))
    datasets.Dataset.from_dict({"image": [u16[..., 0]]}).save_to_disk(str(tmp_path / "g"))
    f = load_images(DataSpec(str(tmp_path / "f")))
    u = load_images(DataSpec(str(tmp_path / "u"))) + load_images(DataSpec(str(tmp_path / "g")))
    for r in f:
        assert r.pixels.dtype == torch.float32
        np.testing.assert_array_equal(_hwc(r.pixels), f32)
    np.testing.assert_array_equal(_hwc(u[0].pixels), (u16 / 65535).astype(np.float32))
    np.testing.assert_array_equal(_hwc(u[1].pixels), np.repeat((u16[..., :1] / 65535).astype(np.float32), 3, -1))


def test_numpy_images_of_a_type_not_read_are_named_with_the_types_that_are(tmp_path):
    """int64 images (numpy's default integer) or floats outside [0, 1]: one line that says what the column holds
    and what is read, not 'no image column' beside a column called image."""
    import datasets

    from benchmark.errors import UserError

    rng = np.random.default_rng(7)
    datasets.Dataset.from_dict({"image": [rng.integers(0, 256, (12, 20, 3))]}).save_to_disk(str(tmp_path / "i"))
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(tmp_path / "i")))
    assert "'image' holds arrays of int64" in str(err.value) and "uint16" in str(err.value)
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(tmp_path / "i"), image_column="image"))
    assert "arrays of int64" in str(err.value) and "uint16" in str(err.value)
    big = (rng.random((12, 20, 3)) * 255).astype(np.float32)
    datasets.Dataset.from_dict({"image": [big]}).save_to_disk(str(tmp_path / "b"))
    with pytest.raises(UserError, match="no readable image"):
        load_images(DataSpec(str(tmp_path / "b")))


# ------------------------------------------------------------------------------------------------
# phone and camera photo formats that are not decoded
# ------------------------------------------------------------------------------------------------
def _heic_bytes() -> bytes:
    """The first bytes of an iPhone HEIC file (an ISO media 'ftyp' box of brand heic), and no more."""
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def test_phone_heic_and_camera_raw_files_are_named_as_such_not_as_non_images(tmp_path, caplog):
    """A folder of iPhone photos (.HEIC) or camera RAW files (.dng, .CR2) was skipped as 'not an image', and a
    folder of nothing else was 'holds no image file': now each is skipped with what it is and what to do."""
    from PIL import Image

    from benchmark.errors import UserError

    phone = tmp_path / "phone"
    phone.mkdir()
    (phone / "IMG_0001.HEIC").write_bytes(_heic_bytes())
    (phone / "IMG_0002.dng").write_bytes(b"II*\x00" + b"\x00" * 64)
    with pytest.raises(UserError) as err:
        load_images(DataSpec(str(phone)))
    assert "HEIC/HEIF photo" in str(err.value) and "pillow-heif" in str(err.value) and "RAW" in str(err.value)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(phone / "ok.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(phone)))] == ["ok"]
    assert "1 HEIC/HEIF photo" in caplog.text and "IMG_0001.HEIC" in caplog.text
    assert "1 camera RAW file" in caplog.text and "IMG_0002.dng" in caplog.text


def test_heic_bytes_under_an_image_suffix_are_named_heic(tmp_path, caplog):
    """A HEIC photo saved as .jpg (a phone's 'most compatible' setting off, a renaming script) was 'not an image
    file (no image format's signature)'."""
    from PIL import Image

    (tmp_path / "photo.jpg").write_bytes(_heic_bytes())
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "ok.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        load_images(DataSpec(str(tmp_path)))
    line = next(r.getMessage() for r in caplog.records if "photo.jpg" in r.getMessage())
    assert "HEIC/HEIF photo" in line and "pillow-heif" in line


# ------------------------------------------------------------------------------------------------
# test images too small for a metric
# ------------------------------------------------------------------------------------------------
def _tiny_folder(tmp_path) -> Path:
    from PIL import Image

    d = tmp_path / "tiny"
    d.mkdir()
    rng = np.random.default_rng(9)
    for i, (h, w) in enumerate([(9, 9), (12, 30)]):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(d / f"t{i}.png")
    return d


def test_a_metric_no_test_image_fits_is_warned_and_one_some_miss_is_said(tmp_path, caplog):
    """check_metric_sizes, which planning calls per test-set group: ssim (11 px) fits none of 8 px (cut to
    multiples of 8), a WARNING; psnr fits all, nothing; a set where one image fits gives INFO naming the other."""
    from PIL import Image

    from benchmark.config import check_metric_sizes
    from benchmark.data import DataCache

    d = _tiny_folder(tmp_path)
    data = DataCache()
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        check_metric_sizes(("psnr", "ssim"), (DataSpec(str(d)),), data)
    (line,) = [r for r in caplog.records if "metric" in r.getMessage()]
    assert line.levelno == logging.WARNING and "metric ssim" in line.getMessage()
    assert "score nothing" in line.getMessage() and str(d) in line.getMessage() and "8 px" in line.getMessage()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(d / "big.png")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        check_metric_sizes(("psnr", "ssim"), (DataSpec(str(d)),), DataCache())
    (line,) = [r for r in caplog.records if "metric" in r.getMessage()]
    assert line.levelno == logging.INFO and "2 of 3" in line.getMessage() and "t0 (8 px)" in line.getMessage()


@pytest.mark.slow  # ≈ 18 s on 2 busy cores: a dry run plans the grid (loss probes included)
def test_planning_says_which_metric_no_test_image_is_large_enough_for(tmp_path, caplog):
    """Test images under 11 px (crops a user cut small) and --metrics psnr ssim: every run trained, ssim scored
    nothing, and the run's log said nothing (a DEBUG line per image; the leaderboard's note afterwards). Now
    planning (a dry run too) warns that ssim will score nothing, naming the source and its largest side."""
    from benchmark.cli import main

    d = _tiny_folder(tmp_path)
    with caplog.at_level(logging.INFO):
        assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "2", "--crop",
                     "16", "--batch-size", "2", "--metrics", "psnr", "ssim", "--train-data", "skimage:train",
                     "--max-train-images", "1", "--test-data", str(d), "--no-budget-check", "--dry-run",
                     "--device", "cpu", "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    warned = [r.getMessage() for r in caplog.records
              if r.levelno == logging.WARNING and "metric ssim" in r.getMessage()]
    assert len(warned) == 1 and "score nothing" in warned[0] and str(d) in warned[0] and "8 px" in warned[0]
    assert not [r for r in caplog.records if "metric psnr" in r.getMessage()]


# ------------------------------------------------------------------------------------------------
# folders systems put beside photos
# ------------------------------------------------------------------------------------------------
def test_a_nas_thumbnail_folder_is_not_read_as_test_images(tmp_path, caplog):
    """A photo folder copied from a Synology NAS holds @eaDir/<photo>/SYNOPHOTO_THUMB_*.jpg, real JPEGs: each was
    read as a test image, so every photo was scored again at thumbnail size (and a training set trained on
    them). Now @eaDir (and __MACOSX, a recycle bin) is skipped and named."""
    from PIL import Image

    rng = np.random.default_rng(10)
    Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    thumbs = tmp_path / "@eaDir" / "photo.png"
    thumbs.mkdir(parents=True)
    Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(thumbs / "SYNOPHOTO_THUMB_M.jpg")
    (tmp_path / "__MACOSX").mkdir()
    Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(tmp_path / "__MACOSX" / "stray.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(tmp_path)))] == ["photo"]
    assert "@eaDir/" in caplog.text and "__MACOSX/" in caplog.text and "thumbnails" in caplog.text


# ------------------------------------------------------------------------------------------------
# a hub dataset's local copy in WebDataset shards
# ------------------------------------------------------------------------------------------------
def _webdataset(root: Path, splits=("train", "test"), n: int = 3) -> dict[str, list[np.ndarray]]:
    """``root/data/<split>-00000.tar`` shards of ``<key>.png`` + ``<key>.json`` samples (what
    ``huggingface-cli download`` leaves of a WebDataset hub dataset); returns the pixels per split."""
    import tarfile

    from PIL import Image

    (root / "data").mkdir(parents=True)
    out = {}
    for k, split in enumerate(splits):
        out[split] = []
        with tarfile.open(root / "data" / f"{split}-00000.tar", "w") as tar:
            for i in range(n):
                rgb = np.random.default_rng(100 * k + i).integers(0, 256, (16, 24, 3), dtype=np.uint8)
                out[split].append(rgb)
                buf = io.BytesIO()
                Image.fromarray(rgb).save(buf, format="PNG")
                for name, data in ((f"{split}_{i:04d}.png", buf.getvalue()), (f"{split}_{i:04d}.json", b'{"k": 1}')):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return out


def test_a_local_copy_of_a_webdataset_hub_dataset_is_read_with_its_splits(tmp_path):
    """A WebDataset hub dataset downloaded with huggingface-cli (.tar shards, no image file) was 'image folder …
    holds no image file' while the same copy in parquet shards was read: now ``datasets`` reads the shards, the
    test role takes the test split, images named by their file in the shard (the sample key)."""
    pixels = _webdataset(tmp_path / "wds")
    test = DataSpec.parse(str(tmp_path / "wds"), role="test")
    assert test.kind == "files" and test.split == "test"
    recs = load_images(test)
    assert [r.image_id for r in recs] == ["test_0000", "test_0001", "test_0002"]
    for r, want in zip(recs, pixels["test"]):
        np.testing.assert_array_equal(_hwc(r.pixels), want)
    assert len(load_images(DataSpec.parse(str(tmp_path / "wds"), role="train"))) == 3


# ------------------------------------------------------------------------------------------------
# PPM of more than 8 bits
# ------------------------------------------------------------------------------------------------
def test_a_colour_ppm_of_more_than_8_bits_keeps_its_precision(tmp_path):
    """dcraw -4's 16-bit PPM, a 10-bit camera PPM (binary or plain): Pillow scales colour PPM to 8 bits, so 1024
    or 65536 levels were scored as 256, unsaid, while a 16-bit grey PGM was read at 16. Now read as value /
    maxval in float32; an 8-bit PPM is read as before (uint8)."""
    from PIL import Image

    v = (np.arange(16 * 24 * 3).reshape(16, 24, 3) % 1024).astype(np.int64)
    (tmp_path / "ten.ppm").write_bytes(b"P6\n# camera\n24 16\n1023\n" + v.astype(">u2").tobytes())
    (tmp_path / "plain.ppm").write_bytes(b"P3\n24 16\n1023\n" + " ".join(map(str, v.ravel())).encode() + b"\n")
    (tmp_path / "deep.ppm").write_bytes(b"P6 24 16 65535\n" + (v * 64).astype(">u2").tobytes())
    eight = np.random.default_rng(11).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    Image.fromarray(eight).save(tmp_path / "eight.ppm")
    px = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    for name, want in (("ten", v / 1023), ("plain", v / 1023), ("deep", v * 64 / 65535)):
        assert px[name].dtype == torch.float32, name
        np.testing.assert_allclose(_hwc(px[name]), want, atol=1e-7, err_msg=name)
    assert px["eight"].dtype == torch.uint8
    np.testing.assert_array_equal(_hwc(px["eight"]), eight)


# ------------------------------------------------------------------------------------------------
# a dataset of image URLs; many unreadable files
# ------------------------------------------------------------------------------------------------
def test_a_column_of_image_urls_says_urls_are_not_downloaded_in_one_line(tmp_path, caplog):
    """A LAION-style dataset (a column of https:// image URLs) logged one 'no such file: https:/host/…' per row (the
    URL mangled into a path; 100 000 rows, 100 000 lines) and ended 'contains no readable image (N unreadable
    files)'. Now each says it is a URL, at most MAX_NAMED_UNREADABLE are logged, and the error line says why."""
    import datasets

    from benchmark.data import MAX_NAMED_UNREADABLE
    from benchmark.errors import UserError

    n = MAX_NAMED_UNREADABLE + 15
    urls = [f"https://example.org/img/{i}.jpg" for i in range(n)]
    datasets.Dataset.from_dict({"image": urls}).save_to_disk(str(tmp_path / "urls"))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"), pytest.raises(UserError) as err:
        load_images(DataSpec(str(tmp_path / "urls")))
    per_file = [r for r in caplog.records if r.getMessage().startswith("skipping")]
    assert len(per_file) == MAX_NAMED_UNREADABLE
    assert "https://example.org/img/0.jpg: a URL" in per_file[0].getMessage()
    line = str(err.value)
    assert "\n" not in line and f"{n} unreadable" in line and "every one: a URL" in line and "download" in line


# ------------------------------------------------------------------------------------------------
# an image column under another name
# ------------------------------------------------------------------------------------------------
def test_an_image_column_under_another_name_is_found(tmp_path):
    """A dataset with its images as bytes in 'image_bytes' or as paths in 'filepath' (beside a caption or a label)
    was 'has no image column; name one with #COLUMN': the one binary column, or the one column of image paths,
    is read."""
    import datasets
    from PIL import Image

    rng = np.random.default_rng(12)
    files, raw = [], []
    for i in range(2):
        rgb = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(tmp_path / f"im{i}.png")
        files.append(str(tmp_path / f"im{i}.png"))
        raw.append(rgb)
    datasets.Dataset.from_dict({"image_bytes": [Path(f).read_bytes() for f in files], "label": [0, 1]}
                               ).save_to_disk(str(tmp_path / "b"))
    datasets.Dataset.from_dict({"caption": ["a cat", "a dog"], "filepath": files}).save_to_disk(str(tmp_path / "p"))
    for name in ("b", "p"):
        recs = load_images(DataSpec(str(tmp_path / name)))
        assert len(recs) == 2, name
        for r, want in zip(recs, raw):
            np.testing.assert_array_equal(_hwc(r.pixels), want)


def test_hdr_renders_are_named_as_such_not_as_non_images(tmp_path, caplog):
    """An OpenEXR or Radiance .hdr file in a folder was skipped as 'not an image'."""
    from PIL import Image

    (tmp_path / "render.exr").write_bytes(b"v/1\x01" + b"\x00" * 64)
    (tmp_path / "sky.hdr").write_bytes(b"#?RADIANCE\n" + b"\x00" * 64)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "ok.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(tmp_path)))] == ["ok"]
    assert "2 HDR images (OpenEXR/Radiance), not decoded" in caplog.text and "render.exr" in caplog.text


@pytest.mark.parametrize("name", ["Set5.zip", "DIV2K_valid_HR.tar.gz"])
def test_an_archive_given_as_a_source_is_told_to_be_unpacked(tmp_path, name):
    """--test-data Set5.zip (a benchmark as downloaded) was 'is a file, not a dataset: a source is an image
    folder, …': now it says to unpack it."""
    from benchmark.data import load_raw
    from benchmark.errors import UserError

    (tmp_path / name).write_bytes(b"PK\x03\x04" + b"\x00" * 32)
    with pytest.raises(UserError, match="is an archive: unpack it"):
        load_raw(DataSpec.parse(str(tmp_path / name), role="test"))


# ------------------------------------------------------------------------------------------------
# 16-bit WhiteIsZero TIFF (scanners, radiographs)
# ------------------------------------------------------------------------------------------------
def test_a_16_bit_white_is_zero_tiff_is_not_read_as_its_negative(tmp_path):
    """PhotometricInterpretation WhiteIsZero (a scanner's or an X-ray's 16-bit TIFF): Pillow inverts 8-bit such
    files but not 16-bit ones, so a 16-bit one was read as its negative (white 0 scored as black), unsaid. Now
    inverted as the 8-bit one is, little- or big-endian (the latter read by tifffile)."""
    import tifffile

    v = np.random.default_rng(13).integers(0, 65536, (12, 20)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "le.tif", v, photometric="miniswhite")
    tifffile.imwrite(tmp_path / "be.tif", v, photometric="miniswhite", byteorder=">")
    tifffile.imwrite(tmp_path / "eight.tif", (v >> 8).astype(np.uint8), photometric="miniswhite")
    px = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    want = np.repeat(((65535 - v.astype(np.float64)) / 65535).astype(np.float32)[..., None], 3, -1)
    np.testing.assert_array_equal(_hwc(px["le"]), want)
    np.testing.assert_array_equal(_hwc(px["be"]), want)
    np.testing.assert_array_equal(_hwc(px["eight"])[..., 0], 255 - (v >> 8).astype(np.uint8))  # Pillow's, as before


def test_a_signed_integer_tiff_is_refused_in_one_line_not_read_wrapped(tmp_path, caplog):
    """A signed 8-bit TIFF (SampleFormat 2) was read by Pillow as unsigned bytes: -1 became 255, -100 156,
    unsaid; a signed 16-bit one with no negative value was read on the unsigned 16-bit scale. Both have no
    known scale: skipped by name, with what to do, as 32-bit integer TIFFs are."""
    import tifffile

    rng = np.random.default_rng(14)
    tifffile.imwrite(tmp_path / "s8.tif", rng.integers(-100, 100, (12, 20)).astype(np.int8))
    tifffile.imwrite(tmp_path / "s16.tif", rng.integers(0, 30000, (12, 20)).astype(np.int16))
    tifffile.imwrite(tmp_path / "ok.tif", rng.integers(0, 255, (12, 20)).astype(np.uint8))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(tmp_path)))] == ["ok"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping unreadable image")]
    assert len(lines) == 2 and all("signed" in ln and "no scale" in ln for ln in lines)


def test_an_installed_heif_plugin_is_registered_so_heic_photos_are_read(tmp_path, monkeypatch):
    """The advice for HEIC was 'pip install pillow-heif', but installing it does not make Pillow read HEIC: its
    opener must be registered, which nothing did, so the photos stayed skipped. Now an installed pillow_heif is
    registered before a folder is listed (here a stand-in module whose opener reads a stand-in HEIC file)."""
    import sys
    import types

    from PIL import Image, ImageFile

    from benchmark import data

    class FakeHeif(ImageFile.ImageFile):
        format = "FAKEHEIF"

        def _open(self):  # the stand-in file: the HEIC header, then raw RGB pixels
            self._mode, self._size = "RGB", (24, 16)
            self.tile = [ImageFile._Tile("raw", (0, 0, 24, 16), len(_heic_bytes()), ("RGB", 0, 1))]

    registered = []

    def register_heif_opener():
        Image.register_open("FAKEHEIF", FakeHeif, lambda head: head[4:12] == b"ftypheic")
        Image.register_extensions("FAKEHEIF", [".heic"])
        registered.append(True)

    monkeypatch.setitem(sys.modules, "pillow_heif", types.SimpleNamespace(register_heif_opener=register_heif_opener))
    data.pillow_plugins.cache_clear()
    try:
        (tmp_path / "IMG_0001.HEIC").write_bytes(_heic_bytes() + bytes([10, 200, 30]) * (24 * 16))
        (rec,) = load_images(DataSpec(str(tmp_path)))
        assert registered and rec.image_id == "IMG_0001"
        assert rec.pixels[:, 0, 0].tolist() == [10, 200, 30]
    finally:
        Image.OPEN.pop("FAKEHEIF", None)
        Image.ID[:] = [i for i in Image.ID if i != "FAKEHEIF"]
        Image.EXTENSION.pop(".heic", None)
        data.pillow_plugins.cache_clear()

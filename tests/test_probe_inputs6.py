"""Images and datasets a user brings, round 6 (each test failed before its fix): colour profiles of 16-bit and
float files, PNG gamma chunks, and the image-column guess of big datasets."""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
import pytest
import torch
from test_probe_inputs4 import icc_rgb_profile

from benchmark.data import DataSpec, load_images

# D50-adapted colorants of Adobe RGB (1998) and ProPhoto (ROMM), as their profiles hold them
ADOBE_COLORANTS = ((0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446))
PROPHOTO_COLORANTS = ((0.7977, 0.2880, 0.0), (0.1352, 0.7119, 0.0), (0.0313, 0.0001, 0.8249))


def _para(ftype: int, *params: float) -> bytes:
    """An ICC ``para`` tone-curve tag (Apple's Display P3 holds sRGB's curve as type 3)."""
    return (b"para" + b"\0" * 4 + struct.pack(">HH", ftype, 0)
            + b"".join(struct.pack(">i", int(round(p * 65536))) for p in params))


SRGB_PARA = _para(3, 2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)


def _lcms(rgb8: np.ndarray, icc: bytes) -> np.ndarray:
    """littleCMS's sRGB rendering of 8-bit ``rgb8`` tagged ``icc`` (what a colour-managed viewer shows)."""
    from PIL import Image, ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return np.asarray(ImageCms.profileToProfile(Image.fromarray(rgb8), src, ImageCms.createProfile("sRGB"),
                                                outputMode="RGB"))


def grey_profile(description: str, gamma: float) -> bytes:
    """A minimal ICC v2 GRAY display profile: its description, D50 white and one tone curve, a pure ``gamma``."""
    def s15(*values):
        return b"".join(struct.pack(">i", int(round(c * 65536))) for c in values)

    ktrc = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    text = description.encode() + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 78
    tags = [(b"desc", desc), (b"wtpt", b"XYZ " + b"\0" * 4 + s15(0.9642, 1.0, 0.8249)),
            (b"cprt", b"text" + b"\0" * 4 + b"none\0"), (b"kTRC", ktrc)]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrGRAYXYZ "
              + b"\0" * 12 + b"acspAPPL" + b"\0" * 24 + s15(0.9642, 1.0, 0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


def _hwc(pixels: torch.Tensor) -> np.ndarray:
    return pixels.permute(1, 2, 0).numpy()


def _png16(path, rgb16: np.ndarray, **info) -> None:
    """A 16-bit RGB PNG (OpenCV writes them; Pillow cannot) with PNG chunks from ``info`` (``icc_profile``)."""
    import zlib

    h, w, _ = rgb16.shape
    raw = b"".join(b"\0" + rgb16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    extra = b""
    if "icc_profile" in info:
        extra += chunk(b"iCCP", b"x\0\0" + zlib.compress(info["icc_profile"]))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)) + extra
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ------------------------------------------------------------------------------------------------
# 16-bit and float files with a wide-gamut profile
# ------------------------------------------------------------------------------------------------
PROFILES = {
    "display-p3 (para)": icc_rgb_profile("Display P3 (para)", curve=SRGB_PARA),
    "adobe-rgb": icc_rgb_profile("Adobe RGB (1998) (test)", ADOBE_COLORANTS, gamma=563 / 256),
    "prophoto": icc_rgb_profile("ProPhoto RGB (test)", PROPHOTO_COLORANTS, gamma=1.8),
    "p3 (table)": icc_rgb_profile("P3 table (test)", gamma=None),
}


@pytest.mark.parametrize("which", sorted(PROFILES))
@pytest.mark.parametrize("kind", ["png16", "tif16", "tif-float"])
def test_16_bit_and_float_files_with_a_wide_gamut_profile_are_converted_at_full_precision(tmp_path, caplog,
                                                                                         which, kind):
    """A 16-bit PNG/TIFF or float TIFF tagged Adobe RGB, Display P3 or ProPhoto was read as stored, as if sRGB
    (only named as 'not applied'): every colour off, saturated ones by up to 0.4. Now converted at full precision:
    on values of the 8-bit grid it agrees with littleCMS's 8-bit conversion to within one level (its own
    rounding), and a smooth 16-bit ramp keeps far more than 256 levels."""
    import tifffile

    rng = np.random.default_rng(7)
    rgb8 = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    rgb16 = rgb8.astype(np.uint16) * 257
    rgb16[-1] = np.linspace(0, 65535, 32 * 3).reshape(32, 3).astype(np.uint16)  # one row: a fine ramp
    icc = PROFILES[which]
    path = tmp_path / ("deep.png" if kind == "png16" else "deep.tif")
    if kind == "png16":
        _png16(path, rgb16, icc_profile=icc)
    elif kind == "tif16":
        tifffile.imwrite(path, rgb16, photometric="rgb", iccprofile=icc)
    else:
        tifffile.imwrite(path, (rgb16 / 65535).astype(np.float32), photometric="rgb", iccprofile=icc)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    got = _hwc(rec.pixels)
    assert rec.pixels.dtype == torch.float32
    want = _lcms(rgb8, icc)[:-1].astype(np.float64) / 255
    assert np.abs(want - rgb8[:-1] / 255).max() > 0.05  # the profile matters for these pixels
    assert np.abs(got[:-1] - want).max() <= 1.01 / 255
    assert len(np.unique(got[-1])) > 64  # 96 distinct inputs stay (nearly) distinct: no 8-bit step
    assert "converted to sRGB" in caplog.text and "deep." in caplog.text
    assert "not applied" not in caplog.text


def test_16_bit_and_float_files_without_a_profile_or_with_srgb_keep_their_pixels(tmp_path, caplog):
    """The conversion must not touch what is sRGB already: no profile, Pillow's sRGB profile, sRGB's curve as a
    ``para`` tag under a camera's name; 16-bit PNG/TIFF and float TIFF alike, bit for bit."""
    import tifffile
    from PIL import ImageCms

    srgb_colorants = ((0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141))
    rgb16 = np.random.default_rng(8).integers(0, 65536, (16, 16, 3)).astype(np.uint16)
    profiles = {"none": None, "pillow": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
                "camera": icc_rgb_profile("Built-in RGB", srgb_colorants, curve=SRGB_PARA)}
    for name, icc in profiles.items():
        extra = {"iccprofile": icc} if icc else {}
        tifffile.imwrite(tmp_path / f"{name}16.tif", rgb16, photometric="rgb", **extra)
        tifffile.imwrite(tmp_path / f"{name}f.tif", (rgb16 / 65535).astype(np.float32), photometric="rgb", **extra)
        _png16(tmp_path / f"{name}16.png", rgb16, **({"icc_profile": icc} if icc else {}))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    assert len(px) == 9
    for name, got in px.items():
        stored = (rgb16 / 65535).astype(np.float32)
        np.testing.assert_array_equal(got, stored, err_msg=name)
    assert "colour profile" not in caplog.text


def test_16_bit_grey_with_a_grey_gamma_profile_is_converted(tmp_path, caplog):
    """A 16-bit grey PNG (Pillow's I;16) tagged with a gamma-1.0 grey profile (linear light: a scientific camera's)
    was read as stored: mid-grey far too dark. Now converted as littleCMS converts the 8-bit one."""
    from PIL import Image, ImageCms

    grey8 = np.random.default_rng(9).integers(0, 256, (16, 16), dtype=np.uint8)
    icc = grey_profile("Linear grey (test)", 1.0)
    Image.fromarray(grey8.astype(np.uint16) * 257).save(tmp_path / "grey16.png", icc_profile=icc)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    want = np.asarray(ImageCms.profileToProfile(Image.fromarray(grey8), src, ImageCms.createProfile("sRGB"),
                                                outputMode="RGB")).astype(np.float64) / 255
    got = _hwc(rec.pixels)
    assert np.abs(want - grey8[..., None] / 255).max() > 0.2
    # littleCMS's 8-bit grey tables are coarse in the shadows (1/255 linear → 6, where sRGB's formula gives 13)
    assert np.abs(got - want)[grey8 >= 8].max() <= 2.01 / 255
    linear = grey8[..., None] / 255  # IEC 61966-2-1's encoding, everywhere
    exact = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    assert np.abs(got - exact).max() < 1e-5
    assert "converted to sRGB" in caplog.text and "Linear grey (test)" in caplog.text


def test_an_8_bit_tiff_read_by_tifffile_has_its_profile_applied(tmp_path):
    """A TIFF Pillow cannot open is read by tifffile; an 8-bit one's profile was named 'not applied to 16-bit or float
    pixels' (wrong on both counts) and kept. Now applied by littleCMS as any 8-bit file's."""
    import tifffile

    from benchmark.data import _tiff_pillow_cannot_open

    rgb8 = np.random.default_rng(10).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    icc = PROFILES["adobe-rgb"]
    buf = io.BytesIO()
    tifffile.imwrite(buf, rgb8, photometric="rgb", iccprofile=icc)
    notes: dict = {}
    px = _tiff_pillow_cannot_open(buf.getvalue(), None, "scan.tif", notes)
    assert px.dtype == torch.uint8
    np.testing.assert_array_equal(_hwc(px), _lcms(rgb8, icc))
    assert notes == {"icc": [("scan.tif", "Adobe RGB (1998) (test)")]}


# ------------------------------------------------------------------------------------------------
# PNG gAMA / cHRM / sRGB / iCCP chunks
# ------------------------------------------------------------------------------------------------
def _with_chunks(png: bytes, *chunks: tuple[bytes, bytes]) -> bytes:
    """``png`` with ``(type, data)`` chunks inserted before its first IDAT (where gAMA/cHRM/sRGB belong)."""
    import zlib

    at = png.index(b"IDAT") - 4
    extra = b"".join(struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
                     for t, d in chunks)
    return png[:at] + extra + png[at:]


def _gama(gamma: float) -> tuple[bytes, bytes]:
    return b"gAMA", struct.pack(">I", int(round(gamma * 100000)))


def _chrm(*xy: float) -> tuple[bytes, bytes]:
    return b"cHRM", struct.pack(">8I", *(int(round(v * 100000)) for v in xy))


def _srgb_encode(linear: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1's encoding (the test's own reference)."""
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def test_a_png_whose_gama_is_not_srgb_is_converted_and_named(tmp_path, caplog):
    """A PNG with only a gAMA chunk of 1.0 (linear light: a renderer's or a scientific export) or 1/1.8 (an old
    Mac's) was read as if sRGB: mid-grey 128 scored as 128 where every viewer shows 188. Now converted as viewers
    convert it (linear = value ** (1 / gAMA), then sRGB's encoding), 8- and 16-bit alike, and named."""
    from PIL import Image

    rng = np.random.default_rng(11)
    rgb8 = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="PNG")
    (tmp_path / "linear.png").write_bytes(_with_chunks(buf.getvalue(), _gama(1.0)))
    (tmp_path / "mac.png").write_bytes(_with_chunks(buf.getvalue(), _gama(1 / 1.8)))
    _png16(tmp_path / "deep.png", rgb8.astype(np.uint16) * 257)
    (tmp_path / "deep.png").write_bytes(_with_chunks((tmp_path / "deep.png").read_bytes(), _gama(1.0)))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    linear = _srgb_encode(rgb8 / 255)
    assert np.abs(linear - rgb8 / 255).max() > 0.2  # the chunk matters
    assert px["linear"].dtype == torch.uint8 and px["deep"].dtype == torch.float32
    assert np.abs(_hwc(px["linear"]).astype(int) - np.round(linear * 255)).max() <= 1
    assert np.abs(_hwc(px["mac"]).astype(int) - np.round(_srgb_encode((rgb8 / 255) ** 1.8) * 255)).max() <= 1
    np.testing.assert_allclose(_hwc(px["deep"]), linear, atol=1e-5)
    assert "gAMA 1" in caplog.text and "gAMA 0.55556" in caplog.text and "converted to sRGB" in caplog.text
    assert all(n in caplog.text for n in ("linear.png", "mac.png", "deep.png"))


def test_a_png_whose_chunks_say_srgb_keeps_its_pixels(tmp_path, caplog):
    """gAMA 1/2.2 (what most tools write, alone or with sRGB's cHRM), an sRGB chunk beside any gAMA, or an iCCP sRGB
    profile beside a gAMA (iCCP and sRGB take precedence, as in viewers) leave the stored pixels, bit for bit."""
    from PIL import Image, ImageCms

    rgb8 = np.random.default_rng(12).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="PNG")
    plain = buf.getvalue()
    srgb_chrm = _chrm(0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06)
    files = {"g22": [_gama(0.45455)], "g22chrm": [_gama(0.45455), srgb_chrm],
             "srgbchunk": [(b"sRGB", b"\0"), _gama(1.0)]}
    for name, chunks in files.items():
        (tmp_path / f"{name}.png").write_bytes(_with_chunks(plain, *chunks))
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="PNG",
                               icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (tmp_path / "iccp.png").write_bytes(_with_chunks(buf.getvalue(), _gama(1.0)))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    assert sorted(px) == ["g22", "g22chrm", "iccp", "srgbchunk"]
    for name, got in px.items():
        np.testing.assert_array_equal(got, rgb8, err_msg=name)
    assert "converted" not in caplog.text


def test_a_png_whose_chrm_is_adobe_rgb_is_converted_as_its_profile_would_be(tmp_path):
    """gAMA 1/2.2 with Adobe RGB's primaries in cHRM (a 'Save for Web' export of an Adobe-RGB photo, profile
    stripped) is converted as littleCMS converts the same space given as an ICC profile."""
    from PIL import Image

    rgb8 = np.random.default_rng(13).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="PNG")
    chunks = (_gama(0.45455), _chrm(0.3127, 0.3290, 0.64, 0.33, 0.21, 0.71, 0.15, 0.06))
    (tmp_path / "adobe.png").write_bytes(_with_chunks(buf.getvalue(), *chunks))
    (rec,) = load_images(DataSpec(str(tmp_path)))
    want = _lcms(rgb8, icc_rgb_profile("Adobe RGB (1998) (test)", ADOBE_COLORANTS, gamma=1 / 0.45455))
    assert np.abs(want.astype(int) - rgb8).max() > 20
    assert np.abs(_hwc(rec.pixels).astype(int) - want).max() <= 1


# ------------------------------------------------------------------------------------------------
# the image-column guess
# ------------------------------------------------------------------------------------------------
def test_the_image_column_guess_reads_only_the_columns_it_weighs(tmp_path, monkeypatch):
    """To find a column of image bytes or paths the guess read the whole first row: a depth map and a normal map
    stored as nested float lists beside the PNG bytes were turned into Python lists for nothing (two 1500² maps:
    0.65 s, growing with the row). Now only the string and binary columns of that row are read."""
    import datasets
    from PIL import Image

    from benchmark.data import _image_column

    rng = np.random.default_rng(14)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(buf, format="PNG")
    maps = [rng.random((16, 16), dtype=np.float32) for _ in range(2)]
    datasets.Dataset.from_dict({"depth": maps, "normals": maps, "note": ["a", "b"],
                                "jpg": [buf.getvalue()] * 2}).save_to_disk(str(tmp_path / "d"))
    ds = datasets.load_from_disk(str(tmp_path / "d"))
    read = []
    real = datasets.Dataset.__getitem__

    def spy(self, key):
        read.append(tuple(self.column_names))
        return real(self, key)

    monkeypatch.setattr(datasets.Dataset, "__getitem__", spy)
    assert _image_column(ds, DataSpec(str(tmp_path / "d"))) == "jpg"
    assert read and all(set(cols) <= {"note", "jpg"} for cols in read), read


# ------------------------------------------------------------------------------------------------
# CMYK JPEG (coverage: read right before this round too)
# ------------------------------------------------------------------------------------------------
def _strip_app14(jpeg: bytes) -> bytes:
    """``jpeg`` without its Adobe APP14 segment (the marker saying its CMYK values are stored inverted)."""
    at = jpeg.index(b"\xff\xee")
    (length,) = struct.unpack(">H", jpeg[at + 2:at + 4])
    assert jpeg[at + 4:at + 9] == b"Adobe"
    return jpeg[:at] + jpeg[at + 2 + length:]


def test_a_cmyk_jpeg_is_read_with_its_colours_with_or_without_the_adobe_marker(tmp_path):
    """A CMYK JPEG (a print workflow's export) is read as browsers show it: Adobe's inverted CMYK, assumed without
    the APP14 marker too (as Chromium and Firefox assume), converted to RGB within a few levels of the original."""
    from PIL import Image

    yy, xx = np.mgrid[0:32, 0:48]
    rgb8 = np.stack([xx * 5, yy * 7, 255 - xx * 5], -1).astype(np.uint8)  # smooth: JPEG keeps it closely
    buf = io.BytesIO()
    Image.fromarray(rgb8).convert("CMYK").save(buf, format="JPEG", quality=100)
    (tmp_path / "adobe.jpg").write_bytes(buf.getvalue())
    (tmp_path / "bare.jpg").write_bytes(_strip_app14(buf.getvalue()))
    assert b"Adobe" not in (tmp_path / "bare.jpg").read_bytes()
    px = {r.image_id: _hwc(r.pixels).astype(int) for r in load_images(DataSpec(str(tmp_path)))}
    for name in ("adobe", "bare"):
        assert np.abs(px[name] - rgb8).mean() < 3, name


# ------------------------------------------------------------------------------------------------
# JPEG 2000 of more than 8 bits
# ------------------------------------------------------------------------------------------------
def test_a_16_bit_colour_jpeg_2000_is_read_at_16_bits(tmp_path, caplog):
    """A 16-bit colour JPEG 2000 (remote sensing, digital cinema, medical exports) was read by Pillow at 8 bits —
    65536 levels scored as 256 — unsaid, as 16-bit PNG/TIFF were before they were read at 16. Now read at 16 bits
    (value / 65535, float32, as 16-bit PNG/TIFF); an 8-bit one is read as before (uint8)."""
    import cv2

    yy, xx = np.mgrid[0:64, 0:64]
    rgb16 = np.stack([xx * 1000 + 7, yy * 1000 + 3, (xx + yy) * 500 + 1], -1).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "deep.jp2"), rgb16[..., ::-1])  # OpenCV writes BGR, losslessly
    rgb8 = (rgb16 // 257).astype(np.uint8)
    assert cv2.imwrite(str(tmp_path / "flat.jp2"), rgb8[..., ::-1])
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: r.pixels for r in load_images(DataSpec(str(tmp_path)))}
    assert px["deep"].dtype == torch.float32
    np.testing.assert_array_equal(_hwc(px["deep"]), (rgb16 / 65535).astype(np.float32))
    assert px["flat"].dtype == torch.uint8
    np.testing.assert_array_equal(_hwc(px["flat"]), rgb8)
    assert "8 bits" not in caplog.text


# ------------------------------------------------------------------------------------------------
# an image over Pillow's decompression-bomb limit
# ------------------------------------------------------------------------------------------------
def test_an_image_over_the_decompression_bomb_limit_is_named_with_what_to_do(tmp_path, caplog, monkeypatch):
    """A legitimately huge image (a 20000² satellite or slide scan: 400 MP, over Pillow's 179 MP limit) was skipped
    with Pillow's 'could be decompression bomb DOS attack' — an attack, no size to compare, nothing to do about it.
    Now one line naming the file, its size and the limit in megapixels, and that tiles of it are read."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)  # errors from 800 px: the 40×48 image is 1920
    Image.fromarray(np.zeros((40, 48, 3), dtype=np.uint8)).save(tmp_path / "scan.png")
    Image.fromarray(np.zeros((20, 20, 3), dtype=np.uint8)).save(tmp_path / "ok.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec(str(tmp_path)))
    assert [r.image_id for r in recs] == ["ok"]
    (line,) = [r.getMessage() for r in caplog.records if "scan.png" in r.getMessage() and "skipping" in r.getMessage()]
    assert "DOS attack" not in line
    assert "0.0019 MP" in line and "0.0008 MP" in line and "tiles" in line


def test_the_image_column_guess_looks_past_an_empty_first_row(tmp_path):
    """A scraped dataset whose first row lost its image (a null cell: the download failed) was 'has no image
    column; name one with #COLUMN (columns: image_bytes)' — the column was there. The guess now weighs the first
    value that is there (of the first rows); the empty row is then skipped as unreadable, the rest read."""
    import datasets
    from PIL import Image

    rng = np.random.default_rng(15)
    cells = [None]
    for _ in range(2):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(buf, format="PNG")
        cells.append(buf.getvalue())
    feats = datasets.Features({"image_bytes": datasets.Value("binary"), "caption": datasets.Value("string")})
    datasets.Dataset.from_dict({"image_bytes": cells, "caption": ["a", "b", "c"]},
                               features=feats).save_to_disk(str(tmp_path / "d"))
    recs = load_images(DataSpec(str(tmp_path / "d")))
    assert len(recs) == 2


# ------------------------------------------------------------------------------------------------
# colour Portable Float Maps
# ------------------------------------------------------------------------------------------------
def _pfm(arr: np.ndarray, little: bool = True) -> bytes:
    """A Portable Float Map: 'PF' (colour) or 'Pf' (grey), width height, scale (negative: little-endian), then
    float32 rows from the bottom up."""
    kind = b"PF" if arr.ndim == 3 else b"Pf"
    h, w = arr.shape[:2]
    body = np.ascontiguousarray(arr[::-1]).astype("<f4" if little else ">f4").tobytes()
    return kind + f"\n{w} {h}\n{-1.0 if little else 1.0}\n".encode() + body


def test_a_colour_pfm_is_read_and_an_hdr_one_named(tmp_path, caplog):
    """A colour PFM (what Monte-Carlo denoisers and renderers write; Pillow reads only grey 'Pf') was skipped as
    'not an image file (no image format's signature)'. Now read as float RGB, top row first, little- or big-endian,
    as a grey one is; one with values outside [0, 1] (HDR radiance) is skipped in one line saying so, as float TIFFs
    are."""
    rng = np.random.default_rng(16)
    rgb = rng.random((12, 20, 3)).astype(np.float32)
    (tmp_path / "le.pfm").write_bytes(_pfm(rgb))
    (tmp_path / "be.pfm").write_bytes(_pfm(rgb, little=False))
    (tmp_path / "grey.pfm").write_bytes(_pfm(rgb[..., 0]))
    (tmp_path / "hdr.pfm").write_bytes(_pfm(rgb * 8))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels) for r in load_images(DataSpec(str(tmp_path)))}
    assert sorted(px) == ["be", "grey", "le"]
    np.testing.assert_array_equal(px["le"], rgb)
    np.testing.assert_array_equal(px["be"], rgb)
    np.testing.assert_array_equal(px["grey"], np.repeat(rgb[..., :1], 3, -1))
    (line,) = [r.getMessage() for r in caplog.records if "hdr.pfm" in r.getMessage() and "skipping" in r.getMessage()]
    assert "outside [0, 1]" in line and "signature" not in line


def test_float_images_outside_0_1_are_named_with_what_to_do(tmp_path, caplog):
    """A float TIFF or PFM of HDR radiance (values above 1) was skipped with 'float pixels outside [0, 1] (min, max)'
    and no word of what to do, where an EXR beside it says 'tone-map it into [0, 1]'. Now each says it too."""
    import tifffile
    from PIL import Image

    rng = np.random.default_rng(17)
    hdr = (rng.random((12, 20, 3)) * 8).astype(np.float32)
    tifffile.imwrite(tmp_path / "render.tif", hdr, photometric="rgb")
    tifffile.imwrite(tmp_path / "grey.tif", hdr[..., 0])  # Pillow's mode F
    (tmp_path / "render.pfm").write_bytes(_pfm(hdr))
    Image.fromarray(np.zeros((12, 20, 3), np.uint8)).save(tmp_path / "ok.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec(str(tmp_path)))] == ["ok"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert len(lines) == 3
    assert all("outside [0, 1]" in ln and "tone-map" in ln for ln in lines), lines


def test_a_12_bit_colour_jpeg_2000_is_read_at_12_bits(tmp_path, caplog):
    """A 12-bit colour JPEG 2000 (digital cinema's DCP frames, medical exports) was read by Pillow at 8 bits, and
    after the 16-bit fix named as such. Now read at its precision, value / 4095, by its codestream's depth. (The file:
    a lossless 16-bit codestream of values around 2^15 whose SIZ/ihdr depth is then set to 12 bits — its decoded
    values are the intended 12-bit ones, as OpenCV's and Pillow's decoders agree.)"""
    import cv2

    yy, xx = np.mgrid[0:64, 0:64]
    rgb12 = np.stack([xx * 60 + yy, yy * 60 + xx, 4095 - xx * 60], -1).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "c.jp2"), (rgb12 + 30720)[..., ::-1])  # DC shift 2^15 − 2^11 = 30720
    raw = bytearray((tmp_path / "c.jp2").read_bytes())
    siz = raw.find(b"\xff\x4f\xff\x51")
    for k in range(3):
        raw[siz + 42 + 3 * k] = 11  # Ssiz: 12 bits, unsigned
    raw[raw.find(b"ihdr") + 14] = 11  # the JP2 header's bits per component
    (tmp_path / "dcp.jp2").write_bytes(bytes(raw))
    (tmp_path / "c.jp2").unlink()
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    assert rec.pixels.dtype == torch.float32
    np.testing.assert_allclose(_hwc(rec.pixels), rgb12 / 4095, atol=1e-7)
    assert "8 bits" not in caplog.text


def test_a_12_bit_tiff_is_read_on_its_own_scale(tmp_path, monkeypatch):
    """A 12-bit TIFF (BitsPerSample 12: a scientific camera's) needs the imagecodecs package to unpack, which the
    skip line names; with it, tifffile gives uint16 of 0..4095, which were read as value / 65535: every image 16×
    too dark, unsaid. Now read on the file's own scale, value / 4095 (here tifffile's unpacking is stood in for,
    as imagecodecs is not installed: the page says 12 bits and gives its unpacked values)."""
    import tifffile

    rng = np.random.default_rng(18)
    values = rng.integers(0, 4096, (12, 20, 3)).astype(np.uint16)
    values[0, 0] = 4095
    tifffile.imwrite(tmp_path / "cam.tif", values, photometric="rgb")  # a 16-bit file that says 12 bits, unpacked
    monkeypatch.setattr(tifffile.TiffPage, "bitspersample", property(lambda self: 12))
    monkeypatch.setattr(tifffile.TiffPage, "asarray", lambda self, *a, **k: values.copy())
    from benchmark.data import _tiff_pillow_cannot_open

    px = _tiff_pillow_cannot_open(None, tmp_path / "cam.tif", "cam.tif", {})
    np.testing.assert_allclose(_hwc(px), values / 4095, atol=1e-7)


# ------------------------------------------------------------------------------------------------
# a TIFF whose first page is a preview
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["8-bit", "16-bit", "float"])
def test_a_tiff_whose_first_page_is_a_preview_is_read_at_full_resolution(tmp_path, caplog, kind):
    """A TIFF whose first page is a reduced-resolution preview (NewSubfileType 1: scanners' and some cameras'
    files) was read as that preview — an 8×12 thumbnail scored instead of the 64×96 image — with only 'holds
    several frames: the first is used'. Now its first full-resolution page is read (8-bit, 16-bit and float
    alike), and the preview does not count as a frame."""
    import tifffile

    rng = np.random.default_rng(19)
    full = {"8-bit": rng.integers(0, 256, (64, 96, 3), dtype=np.uint8),
            "16-bit": rng.integers(0, 65536, (64, 96, 3)).astype(np.uint16),
            "float": rng.random((64, 96, 3)).astype(np.float32)}[kind]
    with tifffile.TiffWriter(tmp_path / "scan.tif") as w:
        w.write(full[::8, ::8], photometric="rgb", subfiletype=1)
        w.write(full, photometric="rgb")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    want = full if kind == "8-bit" else (full / 65535 if kind == "16-bit" else full).astype(np.float32)
    np.testing.assert_array_equal(_hwc(rec.pixels), want)
    assert "several frames" not in caplog.text


@pytest.mark.parametrize("curve", [
    _para(0, 2.2),                                           # Y = X^g
    _para(1, 2.2, 1.05, -0.05),                              # (aX + b)^g above -b/a, else 0
    _para(2, 2.2, 1.0, 0.0, 0.02),                           # (aX + b)^g + c above -b/a, else c
    _para(4, 2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045, 0.0, 0.0),  # sRGB's curve in type 4's form
], ids=["type0", "type1", "type2", "type4"])
def test_every_parametric_curve_type_converts_as_littlecms_does(curve):
    """benchmark.colour reads each ICC 'para' function type (0 to 4) as littleCMS does: on the 8-bit grid, the float
    conversion of a P3 profile with that curve is within one level of littleCMS's."""
    from benchmark.colour import icc_shaper

    rgb8 = np.random.default_rng(20).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    icc = icc_rgb_profile("P3 para (test)", curve=curve)
    got = icc_shaper(icc).to_srgb(rgb8 / 255.0)
    assert np.abs(got - _lcms(rgb8, icc) / 255).max() <= 1.01 / 255

"""Review of probe-inputs6 (colour management and image I/O of files a user brings): each test failed before its
fix."""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
import pytest
import torch
from test_probe_inputs6 import _chrm, _gama, _hwc, _with_chunks

from benchmark.data import DataSpec, decode_image, load_images


# ------------------------------------------------------------------------------------------------
# PNG cHRM that describes no colour space
# ------------------------------------------------------------------------------------------------
def test_a_png_with_an_invalid_chrm_still_loads_its_gama_applied(tmp_path, caplog):
    """A PNG whose cHRM chunk is degenerate (every primary at the white point: what some encoders write as a
    placeholder) loaded before probe-inputs6; then it was skipped as unreadable with numpy's 'Singular matrix'. libpng
    and browsers ignore an invalid cHRM (sRGB's primaries assumed) and still apply the gAMA: so here (a converted file
    is named with 'cHRM invalid: ignored')."""
    from PIL import Image

    rgb8 = np.random.default_rng(30).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="PNG")
    white = (0.3127, 0.3290)
    (tmp_path / "flat.png").write_bytes(_with_chunks(buf.getvalue(), _gama(0.45455), _chrm(*white * 4)))
    (tmp_path / "linear.png").write_bytes(_with_chunks(buf.getvalue(), _gama(1.0), _chrm(*white * 4)))
    # collinear primaries (all y = 0.3): nearly singular, no triangle around the white
    (tmp_path / "line.png").write_bytes(_with_chunks(buf.getvalue(), _gama(0.45455),
                                                     _chrm(0.3127, 0.329, 0.6, 0.3, 0.4, 0.3, 0.2, 0.3)))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = {r.image_id: _hwc(r.pixels).astype(int) for r in load_images(DataSpec(str(tmp_path)))}
    assert sorted(px) == ["flat", "line", "linear"]
    np.testing.assert_array_equal(px["flat"], rgb8)  # gAMA 1/2.2 and no valid cHRM: sRGB as far as it says
    np.testing.assert_array_equal(px["line"], rgb8)
    lin = rgb8 / 255
    want = np.round(np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055) * 255)
    assert np.abs(px["linear"] - want).max() <= 1
    assert "Singular" not in caplog.text and "skipping" not in caplog.text
    assert "PNG gAMA 1 (cHRM invalid: ignored)" in caplog.text and "linear.png" in caplog.text


# ------------------------------------------------------------------------------------------------
# a JPEG 2000 whose codestream starts after a large box
# ------------------------------------------------------------------------------------------------
def test_a_16_bit_jpeg_2000_with_a_large_box_before_its_codestream_is_read_at_16_bits():
    """The depth of a JPEG 2000 was read off its first 4 KiB only: a JP2 whose XMP/XML box (or a large ICC profile)
    comes before the codestream — Photoshop's and GDAL's files — was read by Pillow at 8 bits, unsaid. Now the JP2
    boxes are walked to the codestream, wherever it starts."""
    import cv2

    yy, xx = np.mgrid[0:64, 0:64]
    rgb16 = np.stack([xx * 1000 + 7, yy * 1000 + 3, (xx + yy) * 500 + 1], -1).astype(np.uint16)
    ok, enc = cv2.imencode(".jp2", rgb16[..., ::-1])
    raw = enc.tobytes()
    at = raw.find(b"jp2c") - 4
    xml = b"<x:xmpmeta>" + b" " * 6000 + b"</x:xmpmeta>"
    big = raw[:at] + struct.pack(">I", 8 + len(xml)) + b"xml " + xml + raw[at:]
    notes: dict = {}
    px = decode_image(big, "scan.jp2", notes=notes)
    assert px.dtype == torch.float32 and notes == {}
    np.testing.assert_array_equal(_hwc(px), (rgb16 / 65535).astype(np.float32))
# ------------------------------------------------------------------------------------------------
# a 12-bit grey TIFF, which Pillow reads itself
# ------------------------------------------------------------------------------------------------
def _tiff12_grey(values: np.ndarray) -> bytes:
    """An uncompressed 12-bit grey TIFF (BitsPerSample 12, MSB first: two samples in three bytes), as scientific and
    X-ray cameras write them; Pillow opens it (mode I;16, values 0..4095)."""
    h, w = values.shape
    rows = []
    for r in values.astype(np.uint32):
        r = np.append(r, 0) if len(r) % 2 else r
        a, b = r[0::2], r[1::2]
        rows.append(np.stack([a >> 4, ((a & 15) << 4) | (b >> 8), b & 255], -1).astype(np.uint8).tobytes())
    data = b"".join(rows)
    tags = [(256, w), (257, h), (258, 12), (259, 1), (262, 1), (273, 0), (277, 1), (278, h), (279, len(data))]
    data_at = 8 + 2 + 12 * len(tags) + 4
    ifd = b"".join(struct.pack("<HHII", code, 4, 1, data_at if code == 273 else v) for code, v in tags)
    return b"II*\0" + struct.pack("<IH", 8, len(tags)) + ifd + b"\0" * 4 + data


def test_a_12_bit_grey_tiff_read_by_pillow_is_read_on_its_own_scale():
    """probe-inputs6 read 10/12-bit TIFFs on their own scale (value / 4095) where tifffile reads them, which needs
    imagecodecs (not installed); the common case — a 12-bit grey TIFF, which Pillow opens itself as I;16 of 0..4095
    — was still read as value / 65535: 16× too dark. Now value / 4095 there too."""
    from PIL import Image

    grey = np.random.default_rng(31).integers(0, 4096, (16, 20)).astype(np.uint16)
    grey[0, 0] = 4095
    raw = _tiff12_grey(grey)
    with Image.open(io.BytesIO(raw)) as img:
        assert img.mode == "I;16" and np.array_equal(np.asarray(img), grey)  # Pillow opens it: the case at hand
    px = decode_image(raw, "xray.tif")
    assert px.dtype == torch.float32
    np.testing.assert_allclose(_hwc(px), np.repeat(grey[..., None], 3, -1) / 4095, atol=1e-7)


# ------------------------------------------------------------------------------------------------
# a TIFF whose preview follows its full page
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["8-bit", "16-bit", "float"])
def test_a_tiff_whose_preview_follows_its_full_page_is_not_named_as_several_frames(kind):
    """probe-inputs6 stopped counting a TIFF's reduced-resolution preview (NewSubfileType 1) as a frame only where it
    is the first page: the common layout — the full image, then its thumbnail — was still named 'holds several
    frames: the first is used' where Pillow reads it (8- and 16-bit), though not where tifffile does (float). Now
    previews are not counted wherever they are; a real second page still is."""
    import tifffile

    rng = np.random.default_rng(32)
    full = {"8-bit": rng.integers(0, 256, (64, 96, 3), dtype=np.uint8),
            "16-bit": rng.integers(0, 65536, (64, 96, 3)).astype(np.uint16),
            "float": rng.random((64, 96, 3)).astype(np.float32)}[kind]
    for pages, frames in ((1, {}), (2, {"frames": [("scan.tif", 2)]})):
        buf = io.BytesIO()
        with tifffile.TiffWriter(buf) as w:
            for _ in range(pages):
                w.write(full, photometric="rgb")
            w.write(full[::8, ::8], photometric="rgb", subfiletype=1)
        notes: dict = {}
        px = decode_image(buf.getvalue(), "scan.tif", notes=notes)
        assert tuple(px.shape) == (3, 64, 96)
        assert notes == frames, (pages, notes)


# ------------------------------------------------------------------------------------------------
# a profile whose black is not zero: 16-bit and 8-bit reads of one image agree
# ------------------------------------------------------------------------------------------------
def _raised_black_table(black: float = 0.01, gamma: float = 2.2) -> bytes:
    """A 256-entry ``curv`` table from ``black`` (linear light at code 0: a measured display's, as calibration
    software writes it) up to 1 along a gamma curve."""
    x = np.linspace(0, 1, 256)
    table = np.round((black + (1 - black) * x**gamma) * 65535).astype(">u2")
    return b"curv" + b"\0" * 4 + struct.pack(">I", 256) + table.tobytes()


def _lcms_exact(rgb8: np.ndarray, icc: bytes) -> np.ndarray:
    """littleCMS's rendering of 8-bit ``rgb8`` tagged ``icc`` in sRGB with the 8-bit files' intent (perceptual), its
    pipeline evaluated for each pixel (NOOPTIMIZE: no 8-bit table resampled from it, which is up to ~14 levels off
    with black-point compensation in the pipeline)."""
    from PIL import Image, ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    t = ImageCms.buildTransform(src, ImageCms.createProfile("sRGB"), "RGB", "RGB", flags=ImageCms.Flags.NOOPTIMIZE)
    return np.asarray(ImageCms.applyTransform(Image.fromarray(rgb8), t))


@pytest.mark.parametrize("which", ["table", "para1", "para4"])
def test_a_16_bit_file_whose_profile_has_a_raised_black_is_converted_as_littlecms_renders_it(tmp_path, which):
    """littleCMS, which converts 8-bit files, renders perceptually, and with a v4 destination (its sRGB is v4.4)
    that forces black-point compensation: a profile whose black is not zero (a calibrated display's measured black,
    a para curve with an offset) has its black taken to sRGB's. benchmark.colour rendered relative-colorimetrically,
    without it (its docstring saying littleCMS's perceptual intent was the same): a 16-bit file's shadows up to 40
    levels lighter than littleCMS's rendering of its 8-bit values, and black not black. Now black-point compensated
    as littleCMS's perceptual pipeline, to within a level of it evaluated exactly."""
    import tifffile
    from test_probe_inputs4 import icc_rgb_profile
    from test_probe_inputs6 import _para

    curve = {"table": _raised_black_table(), "para1": _para(1, 2.2, 0.9, 0.1),
             "para4": _para(4, 2.2, 0.98, 0.02, 0.116, 0.05, 0.005, 0.002)}[which]
    icc = icc_rgb_profile(f"Calibrated display ({which})", curve=curve)
    rgb8 = np.random.default_rng(33).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    rgb8[0, :4] = 0  # black itself
    tifffile.imwrite(tmp_path / "deep.tif", rgb8.astype(np.uint16) * 257, photometric="rgb", iccprofile=icc)
    (rec,) = load_images(DataSpec(str(tmp_path)))
    want = _lcms_exact(rgb8, icc).astype(np.float64)
    assert want[0, 0].max() == 0 and _hwc(rec.pixels)[0, 0].max() < 1e-4  # black to black
    assert np.abs(_hwc(rec.pixels) * 255 - want).max() <= 1.01


# ------------------------------------------------------------------------------------------------
# memory of a conversion
# ------------------------------------------------------------------------------------------------
def test_a_conversion_holds_a_few_copies_of_the_image_at_most():
    """benchmark.colour converted a whole image at once in float64: a dozen temporaries the size of the image (882 MB
    at the peak for 6 MP of float32 input, ~3.5 GB for a 24 MP photo) for each 16-bit file with a profile. Now it
    converts a chunk of pixels at a time: the output and a few MB besides, the same values."""
    import tracemalloc

    from test_probe_inputs6 import PROFILES

    from benchmark.colour import icc_shaper

    rgb = np.random.default_rng(34).random((1000, 1000, 3), dtype=np.float32)
    shaper = icc_shaper(PROFILES["display-p3 (para)"])
    want = shaper.to_srgb(rgb[:300])
    tracemalloc.start()
    try:
        out = shaper.to_srgb(rgb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (1000, 1000, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out[:300], want)
    assert peak < 2 * out.nbytes, peak / out.nbytes  # before: 6 times the output


# ------------------------------------------------------------------------------------------------
# an image between Pillow's warning and error limits
# ------------------------------------------------------------------------------------------------
def test_an_image_over_the_decompression_bomb_warning_limit_is_read_with_a_plain_line(tmp_path, caplog, monkeypatch):
    """probe-inputs6 reworded Pillow's refusal of an image over twice its pixel limit; one between the limit and
    twice it (a 100 MP scan: read) was still logged with Pillow's 'could be decompression bomb DOS attack'. Now its
    line says it was read, its size and the limit in megapixels, and no attack."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1200)  # warns from 1200 px, refuses from 2400: 40×48 is 1920
    Image.fromarray(np.zeros((40, 48, 3), dtype=np.uint8)).save(tmp_path / "scan.png")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        (rec,) = load_images(DataSpec(str(tmp_path)))
    assert tuple(rec.pixels.shape) == (3, 40, 48)
    (line,) = [r.getMessage() for r in caplog.records if "scan.png" in r.getMessage()]
    assert "DOS attack" not in line and "0.0019 MP" in line and "0.0012 MP" in line, line

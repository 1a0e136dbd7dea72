"""Defects found reviewing the data-input commits af9928e..probe-data (each test failed before its fix)."""

from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image, ImageFile

import benchmark.data as data
from benchmark.data import DataSpec, load_images


def _jpeg(seed: int = 0, side: int = 64, **kw) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(buf, "JPEG", quality=90, **kw)
    return buf.getvalue()


def test_the_libjpeg_check_runs_while_pillow_decodes_not_after_it(tmp_path, monkeypatch):
    """cfcfb0f's check decodes every JPEG a second time (OpenCV's libjpeg) after Pillow's decode: measured on 315
    JPEGs made from BSD200/T91/Kodak24, loading took 1.7-1.9x as long (a 12 MP baseline photo +35 %, progressive
    +90 %: the entropy decoding, which the 1/8 scale does not skip, is most of a decode). The check now runs in a
    thread of its own while Pillow decodes the same file, so its time hides behind Pillow's where a core is free:
    here Pillow's decode waits (up to 2 s) for the check to have started, which it never had before."""
    started = threading.Event()
    seen = []

    def check(raw):
        started.set()
        return [], []

    real_load = ImageFile.ImageFile.load

    def load(self):
        if getattr(self, "format", None) == "JPEG" and not seen:  # the decode (later calls return at once)
            seen.append(started.wait(2.0))
        return real_load(self)

    monkeypatch.setattr(data, "_libjpeg_warnings", check)
    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    (tmp_path / "a.jpg").write_bytes(_jpeg(1))
    assert len(load_images(DataSpec.parse(str(tmp_path)))) == 1
    assert seen == [True]


def test_libjpeg_lines_other_than_corrupt_data_are_not_printed_without_the_files_name(tmp_path, capfd, caplog):
    """cfcfb0f passed every libjpeg line but 'Corrupt JPEG data: …' on to stderr as it came: a camera's JFIF 3.x
    header printed 'Warning: unknown JFIF revision number 3.01' and an odd scan header 'Invalid SOS parameters for
    sequential JPEG', once per file and naming none (before it Pillow printed nothing): a folder of such photos
    filled the terminal with lines no one could act on. libjpeg's own warnings are now kept out of stderr: these
    format oddities (the decode is unchanged) are logged at debug level with the file's name."""
    import logging

    raw = bytearray(_jpeg(2))
    app0 = raw.index(b"\xff\xe0")
    raw[app0 + 9] = 3  # JFIF version 3.01
    (tmp_path / "v3.jpg").write_bytes(bytes(raw))
    raw = bytearray(_jpeg(3))
    sos = raw.index(b"\xff\xda")
    raw[sos + 2 + int.from_bytes(raw[sos + 2:sos + 4], "big") - 2] = 62  # Se 62 in a baseline scan
    (tmp_path / "sos.jpg").write_bytes(bytes(raw))
    with caplog.at_level(logging.DEBUG, logger="benchmark.data"):
        assert len(load_images(DataSpec.parse(str(tmp_path)))) == 2
    err = capfd.readouterr().err
    assert "JFIF revision" not in err and "SOS parameters" not in err
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "v3.jpg" in said and "unknown JFIF revision number 3.01" in said
    assert "sos.jpg" in said and "Invalid SOS parameters" in said
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def _saved(path, column: dict, features: dict) -> str:
    import datasets

    datasets.Dataset.from_dict(column, features=datasets.Features(features)).save_to_disk(str(path))
    return str(path)


def test_naming_the_struct_column_itself_points_to_its_image_field(tmp_path):
    """3872364 named '#s.inner.img' in the error for a dataset without an image column, but naming the struct
    itself (``#s``, what one types after reading the features) still got 'column 's' … holds arrays (dict), not
    images, …': the dead end that commit meant to remove. It now names the struct's image field."""
    import datasets
    import pytest

    from benchmark.errors import UserError

    img = Image.fromarray(np.zeros((16, 16, 3), np.uint8))
    src = _saved(tmp_path / "nested", {"s": [{"inner": {"img": img}, "lab": 1}]},
                 {"s": {"inner": {"img": datasets.Image()}, "lab": datasets.Value("int64")}})
    with pytest.raises(UserError, match=r"'#s\.inner\.img'") as err:
        load_images(DataSpec.parse(src + "#s"))
    assert "\n" not in str(err.value)


def test_a_column_of_lists_of_structs_holding_images_is_refused_as_lists_of_images(tmp_path):
    """3872364 caught a column of image lists (``List(Image)``) but not one of lists of structs holding an image
    (``List({"img": Image, …})``: a hub layout of several views a row, each with its metadata): still 'has no image
    column; name one with '#COLUMN' (columns: views)' and, for '#views', 'holds arrays (List)', the advice leading
    nowhere. Both now say the column holds lists of images."""
    import datasets
    import pytest

    from benchmark.errors import UserError

    img = Image.fromarray(np.zeros((16, 16, 3), np.uint8))
    src = _saved(tmp_path / "views", {"views": [[{"img": img, "angle": 0}, {"img": img, "angle": 90}]]},
                 {"views": datasets.List({"img": datasets.Image(), "angle": datasets.Value("int64")})})
    for token in (src, src + "#views"):
        with pytest.raises(UserError, match="'views' holds lists of images"):
            load_images(DataSpec.parse(token))

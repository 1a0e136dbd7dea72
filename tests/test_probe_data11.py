"""Defects found probing odd data inputs (each test failed before its fix)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark.data import DataSpec, load_images


def _jpeg(seed: int = 0, side: int = 96) -> bytes:
    """A smooth colour photo-like JPEG (quality 90), ``side`` px square."""
    y, x = np.mgrid[0:side, 0:side]
    rng = np.random.default_rng(seed)
    img = np.dstack([x * 2, y * 2, (x + y)]).astype(np.float64) + rng.normal(0, 8, (side, side, 3))
    buf = io.BytesIO()
    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_a_jpeg_whose_data_ends_early_is_skipped_not_read_half_grey(tmp_path, caplog):
    """A JPEG cut short but still ending in its EOI marker (a copy stopped and closed, a download repaired by a
    tool): Pillow decoded it without a word, the missing part filled grey (libjpeg's 'premature end of data
    segment', printed by no one here), and it was trained on or scored as a clean image. It is skipped as
    unreadable, named, as a truncated file is."""
    good, raw = _jpeg(0), _jpeg(1)
    (tmp_path / "good.jpg").write_bytes(good)
    (tmp_path / "cut.jpg").write_bytes(raw[:len(raw) // 2] + b"\xff\xd9")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(tmp_path)))
    assert [r.image_id for r in recs] == ["good"]
    line = next(r.getMessage() for r in caplog.records if "cut.jpg" in r.getMessage() and "skipping" in r.getMessage())
    assert "premature end of data segment" in line and "\n" not in line


def test_a_jpeg_with_garbled_data_is_read_and_named(tmp_path, caplog):
    """Bytes of a JPEG overwritten (a bad sector, a damaged transfer: on Kodak's first photo 2000 zero bytes in the
    middle garble 29 % of its pixels) make libjpeg report 'Corrupt JPEG data: N extraneous bytes before marker';
    nothing said so. The image is kept (the same warning comes from the harmless padding some cameras write before
    the end marker, as here: a deterministic way to raise it) and named in one warning per source with libjpeg's
    words."""
    raw = _jpeg(2)
    (tmp_path / "zeros.jpg").write_bytes(raw[:-2] + b"\x12\x34" * 30 + b"\xff\xd9")
    (tmp_path / "good.jpg").write_bytes(_jpeg(3))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(tmp_path)))
    assert sorted(r.image_id for r in recs) == ["good", "zeros"]
    said = [r.getMessage() for r in caplog.records if "zeros.jpg" in r.getMessage()]
    assert len(said) == 1 and "extraneous bytes" in said[0] and "good.jpg" not in said[0]


def test_a_sound_jpeg_says_nothing(tmp_path, caplog):
    (tmp_path / "a.jpg").write_bytes(_jpeg(4))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert len(load_images(DataSpec.parse(str(tmp_path)))) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_txt_list_passes_over_comment_lines_and_reads_quoted_paths(tmp_path, caplog):
    """A hand-written ``.txt`` list with a ``# …`` comment line and paths quoted as a shell or spreadsheet copies them
    (``"my photos/a.jpg"``): the comment was read as an image path and the quoted ones as names with quotes, each
    'skipping unreadable image … no such file' and counted among the image files ('loaded 1 of 4'). A line that
    starts with ``#`` and names no file is a comment; a path in matching quotes is read without them."""
    (tmp_path / "my photos").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "my photos" / f"{name}.jpg").write_bytes(_jpeg(ord(name)))
    (tmp_path / "#odd.jpg").write_bytes(_jpeg(9))  # a file whose name starts with '#' is still a path
    (tmp_path / "list.txt").write_text('# test photos, summer\n"my photos/a.jpg"\n\'my photos/b.jpg\'\n'
                                       "my photos/c.jpg\n#odd.jpg\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(tmp_path / "list.txt")))
    assert [r.image_id for r in recs] == ["a", "b", "c", "#odd"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def _saved(path, column: dict, features: dict):
    import datasets

    datasets.Dataset.from_dict(column, features=datasets.Features(features)).save_to_disk(str(path))
    return str(path)


def test_a_struct_column_holding_an_image_is_named_and_read_by_its_dotted_name(tmp_path):
    """A saved dataset whose image sits in a struct column (``{"sample": {"img": Image, "label": …}}``, a nested hub
    layout) was 'has no image column; name one with '#COLUMN' (columns: sample)', and naming it (``#sample``) was
    refused as 'holds arrays (dict)', ``#sample.img`` as 'has no column': no way to read it. The first error names
    the field (``#sample.img``), and that name reads it (``datasets``' flattened column)."""
    import datasets

    from benchmark.errors import UserError

    px = np.arange(24 * 32 * 3, dtype=np.uint8).reshape(24, 32, 3)
    src = _saved(tmp_path / "nested", {"sample": [{"img": Image.fromarray(px), "label": 1}]},
                 {"sample": {"img": datasets.Image(), "label": datasets.Value("int64")}})
    with pytest.raises(UserError, match=r"#sample\.img") as err:
        load_images(DataSpec.parse(src))
    assert "\n" not in str(err.value)
    (rec,) = load_images(DataSpec.parse(src + "#sample.img"))
    assert np.array_equal(rec.pixels.permute(1, 2, 0).numpy(), px)


def test_a_column_of_image_lists_says_so_instead_of_asking_for_its_name(tmp_path):
    """A column of lists of images (``Sequence(Image)``: views or frames of one scene a row) was 'has no image
    column; name one with '#COLUMN' (columns: frames)', and '#frames' then 'holds arrays (List)': advice that leads
    nowhere. The error says the column holds lists of images and that one image a row is read."""
    import datasets

    from benchmark.errors import UserError

    img = Image.fromarray(np.zeros((16, 16, 3), np.uint8))
    src = _saved(tmp_path / "seq", {"frames": [[img, img]]}, {"frames": datasets.Sequence(datasets.Image())})
    for token in (src, src + "#frames"):
        with pytest.raises(UserError, match="'frames' holds lists of images") as err:
            load_images(DataSpec.parse(token))
        assert "one image a row" in str(err.value)


@pytest.mark.slow
def test_the_jpeg_check_reads_images_where_the_process_has_no_stderr(tmp_path):
    """A worker started with its stderr closed (fd 2: a daemon, some schedulers' workers): capturing libjpeg's
    warnings must not make every JPEG unreadable; the check is passed over there."""
    import os
    import subprocess
    import sys

    (tmp_path / "a.jpg").write_bytes(_jpeg(5))
    code = ("import os, sys; os.close(2); from benchmark.data import DataSpec, load_images; "
            f"print(len(load_images(DataSpec.parse({str(tmp_path)!r}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=False, stdout=subprocess.PIPE, text=True,
                         stderr=subprocess.DEVNULL, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.strip().splitlines()[-1] == "1"


def test_an_offline_hub_id_typo_names_the_cached_dataset_it_is_close_to(tmp_path, monkeypatch):
    """Offline, a slip in a hub id whose dataset is cached (``plbench-test/data11-photoz`` for the cached
    ``plbench-test/data11-photos``) was 'is not cached and the hub is offline … download it on a connected machine':
    advice to download what is already there under its right name. The error offers the cached id."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from hubcache import cache_hub_dataset

    from benchmark.errors import UserError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    cache_hub_dataset("plbench-test/data11-photos", {"train": [np.zeros((16, 16, 3), np.uint8)]})
    with pytest.raises(UserError, match="did you mean plbench-test/data11-photos") as err:
        load_images(DataSpec.parse("plbench-test/data11-photoz:train"))
    assert "\n" not in str(err.value)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])

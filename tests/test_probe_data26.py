"""Data edge cases, round 26 (each test failed before its fix)."""

from __future__ import annotations

import io

import numpy as np

from benchmark.data import DataCache, DataSpec


def _png_bytes(seed: int, h: int = 16, w: int = 16) -> bytes:
    from PIL import Image

    raw = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)).save(raw, "PNG")
    return raw.getvalue()


def _saved_images(folder, column: str, paths: list, **more) -> DataSpec:
    """A saved Dataset whose image column ``column`` holds PNG bytes with the stored ``paths``, beside ``more``."""
    import datasets

    features = {column: datasets.Image(), **{k: datasets.Value("string") for k in more}}
    ds = datasets.Dataset.from_dict({column: [{"bytes": _png_bytes(i), "path": p} for i, p in enumerate(paths)],
                                     **more}, features=datasets.Features(features))
    ds.save_to_disk(str(folder))
    return DataSpec.parse(str(folder))


# --- an image column named file_name ------------------------------------------------------------------------------
def test_an_image_column_named_file_name_is_not_read_as_its_own_id_column(tmp_path):
    """A saved Dataset whose image column is named ``file_name`` (an imagefolder's metadata name, cast to Image) was
    taken as its own id column, so each image's id was ``str()`` of its cell — "{'bytes': b'\\x89PNG…', 'path': …}",
    hundreds of characters of bytes in every result row and the fingerprint. Its ids are now those the same images
    get in a column named ``image``: the stored name's stem, else the row number; an id column beside it is used."""
    paths = ["a.png", "b.png", None]
    want = [r.image_id for r in DataCache().images(_saved_images(tmp_path / "as_image", "image", paths))]
    assert want == ["a", "b", "00002"]
    got = [r.image_id for r in DataCache().images(_saved_images(tmp_path / "as_file_name", "file_name", paths))]
    assert got == want
    beside = _saved_images(tmp_path / "with_ids", "file_name", paths, image_id=["x1", "x2", "x3"])
    assert [r.image_id for r in DataCache().images(beside)] == ["x1", "x2", "x3"]


# --- a Windows machine's paths stored with the images -------------------------------------------------------------
def test_an_image_stored_with_a_windows_absolute_path_is_named_by_its_file_not_that_machine_s_folders(tmp_path):
    """A saved Dataset made on Windows stores each image's bytes with the path it was read from
    ('C:\\Users\\me\\photos\\a.png'); on Linux that path is one file name, so the id was 'C:\\Users\\me\\photos\\a' —
    the other machine's folders in every result row and the fingerprint, as ids must never be. It is now the id the
    same images stored under POSIX paths get: the file's name ('a'), same names told apart as there."""
    posix = ["/home/me/photos/a.png", "/home/me/trip/c.png", "/home/me/home/c.png", "//nas/share/d.png"]
    windows = ["C:\\Users\\me\\photos\\a.png", "C:\\Users\\me\\trip\\c.png", "D:\\me\\home\\c.png",
               "\\\\nas\\share\\d.png"]
    want = [r.image_id for r in DataCache().images(_saved_images(tmp_path / "posix", "image", posix))]
    assert want[0] == "a" and not any("me" in i.split("/") for i in want)
    got = [r.image_id for r in DataCache().images(_saved_images(tmp_path / "windows", "image", windows))]
    assert got == want


# --- 16-bit files of 8-bit values -----------------------------------------------------------------------------------
def test_sr4_matlab_on_16bit_files_of_8bit_values_keeps_the_untagged_ids_its_numbers_were_made_under(tmp_path):
    """5655043f tagged the data fingerprint of sr4 resize=matlab runs whose pool holds 16-bit or float images, as their
    input is no longer rounded to 8-bit levels. A 16-bit file holding 8-bit values (v·257: an 8-bit photo saved at 16
    bits) is rounded as it always was (its pixels lie on 8-bit levels, on_8bit_levels), so its runs' numbers did not
    change, yet they got the tag and another id: re-trained for nothing. Now a pool whose images are all on 8-bit
    levels is not tagged; one holding a true 16-bit image still is."""
    import tifffile
    import torch

    from benchmark.data import on_8bit_levels, to_float
    from benchmark.task import build_task

    values = np.random.default_rng(0).integers(0, 256, (32, 40, 3)).astype(np.uint16)
    for name, arr in {"wide": values * 257, "deep": values * 257 + 1}.items():
        (tmp_path / name).mkdir()
        tifffile.imwrite(tmp_path / name / "a.tif", arr, photometric="rgb")
    wide, deep = DataSpec(str(tmp_path / "wide")), DataSpec(str(tmp_path / "deep"))
    data = DataCache()
    (px,) = (r.pixels for r in data.images(wide))
    assert px.dtype == torch.float32 and bool(on_8bit_levels(to_float(px)[None]).all())  # rounded as 8-bit data
    matlab = build_task("sr4", resize="matlab")
    for role in ("train", "test"):
        assert data.fingerprint((wide,), role, matlab) == data.fingerprint((wide,), role)  # before: tagged
        assert data.fingerprint((deep,), role, matlab) != data.fingerprint((deep,), role)  # true 16-bit: tagged


# --- a blank id cell ------------------------------------------------------------------------------------------------
def test_a_blank_cell_of_the_id_column_gives_the_image_the_id_it_has_without_one(tmp_path):
    """A table of paths with a ``name`` (``image_id``, ``id``) column whose cell is blank for a row — an export leaving
    the names it has not filled in empty — gave that image the id '' (an unnamed row in every result table, and
    '_<row>' for a second one), though a row named None already fell back to its file's name. A blank or
    whitespace-only cell now gives the id the image has without the column (its file's name)."""
    from PIL import Image

    for i, name in enumerate(("a", "b", "c")):
        Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8)).save(tmp_path / f"{name}.png")
    (tmp_path / "plain.csv").write_text("image\na.png\nb.png\nc.png\n")
    (tmp_path / "named.csv").write_text('image,name\na.png,first\nb.png,\nc.png," "\n')
    plain = [r.image_id for r in DataCache().images(DataSpec(str(tmp_path / "plain.csv")))]
    named = [r.image_id for r in DataCache().images(DataSpec(str(tmp_path / "named.csv")))]
    assert named == ["first", *plain[1:]]


def test_an_id_column_of_records_or_lists_is_not_read_as_ids(tmp_path):
    """The category of the image column named file_name: a saved Dataset whose ``name`` (``id``, ``image_id``) column
    holds records or lists (a name per language, a list of tags) gave each image ``str()`` of its cell as its id
    ("{'en': 'dog', 'fr': 'chien'}"). A column is an id column only where it holds one value a row (text, a number or
    a class label); another is passed over, the images named as without it."""
    import datasets

    paths = ["a.png", "b.png"]
    want = [r.image_id for r in DataCache().images(_saved_images(tmp_path / "plain", "image", paths))]
    for column, cells, feature in (
            ("name", [{"en": "dog", "fr": "chien"}, {"en": "cat", "fr": "chat"}],
             {"en": datasets.Value("string"), "fr": datasets.Value("string")}),
            ("id", [["x", "y"], ["z"]], datasets.Sequence(datasets.Value("string")))):
        ds = datasets.Dataset.from_dict(
            {"image": [{"bytes": _png_bytes(i), "path": p} for i, p in enumerate(paths)], column: cells},
            features=datasets.Features({"image": datasets.Image(), column: feature}))
        ds.save_to_disk(str(tmp_path / column))
        assert [r.image_id for r in DataCache().images(DataSpec.parse(str(tmp_path / column)))] == want


# --- file URLs in an id column --------------------------------------------------------------------------------------
def test_a_file_url_in_the_id_column_names_its_file_not_this_machine_s_folders(tmp_path):
    """A table exported by a photo manager or labelling tool gives both its image column and its ``file_name`` (or
    ``name``) column as file URLs (file:///home/me/photos/a.png). The image column's URL was read as its path, but the
    id column's was kept whole as each image's id — this machine's folders in every result row and the fingerprint.
    A file URL in the id column now names its file as the same absolute path does ('a')."""
    from PIL import Image

    for i, name in enumerate(("a", "b")):
        Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8)).save(tmp_path / f"{name}.png")
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    (tmp_path / "paths.csv").write_text("image,file_name\n" + "".join(f"{p},{p}\n" for p in paths))
    (tmp_path / "urls.csv").write_text("image,file_name\n" + "".join(f"{p.as_uri()},{p.as_uri()}\n" for p in paths))
    want = [r.image_id for r in DataCache().images(DataSpec(str(tmp_path / "paths.csv")))]
    assert want == ["a", "b"]
    assert [r.image_id for r in DataCache().images(DataSpec(str(tmp_path / "urls.csv")))] == want


# --- an empty folder ------------------------------------------------------------------------------------------------
def test_an_empty_folder_is_said_to_be_empty_not_to_hold_0_other_files(tmp_path):
    """A folder with no file in it (a download that did not happen, a mount not made) was refused as 'holds no image
    file (0 other files; image suffixes: …)', which reads as if files were there but of the wrong kind. It now says
    the folder is empty; one holding other files still names how many and the image suffixes."""
    import pytest

    from benchmark.errors import UserError

    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(UserError, match=r"empty") as refused:
        DataCache().images(DataSpec(str(tmp_path / "empty")))
    assert "0 other files" not in str(refused.value) and str(refused.value).count("\n") == 0
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("x")
    with pytest.raises(UserError, match=r"holds no image file \(1 other file; image suffixes"):
        DataCache().images(DataSpec(str(tmp_path / "notes")))


# --- a folder's order -----------------------------------------------------------------------------------------------
def test_a_folder_copied_from_a_mac_has_the_order_and_fingerprint_of_the_same_folder_named_on_linux(tmp_path):
    """_distinct_ids composes names (NFC) so that a folder copied from a Mac, whose names are decomposed (e + U+0301),
    has the ids — and so the fingerprint — of the same folder written on Linux. But the images were ordered by their
    names as stored: 'été' decomposed sorts before 'f', composed after it, so the two folders hashed their images in
    other orders (another fingerprint, other run ids) and a capped source ([max_images]) took other images. Files are
    now ordered by their composed names."""
    import unicodedata

    from PIL import Image

    for form in ("NFC", "NFD"):
        (tmp_path / form).mkdir()
        for i, name in enumerate(("été", "f", "e")):
            Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8)).save(
                tmp_path / form / f"{unicodedata.normalize(form, name)}.png")
    data = DataCache()
    composed, decomposed = DataSpec(str(tmp_path / "NFC")), DataSpec(str(tmp_path / "NFD"))
    assert [r.image_id for r in data.images(decomposed)] == [r.image_id for r in data.images(composed)]
    assert data.fingerprint((decomposed,)) == data.fingerprint((composed,))

"""Data inputs, probed as a researcher with their own photos and Hugging Face datasets would hit them (session 14)."""

from __future__ import annotations

import io
import logging

import datasets  # imported once here, not inside the first test's time
import numpy as np
import pytest
from PIL import Image

from benchmark.data import DataSpec, load_images


def _png(arr: np.ndarray) -> dict:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return {"bytes": buf.getvalue(), "path": None}


def _saved(path, cells: list[dict], mode: str | None) -> str:
    """A dataset saved with ``save_to_disk`` whose ``image`` column is ``datasets.Image(mode=mode)``."""
    ds = datasets.Dataset.from_dict({"image": cells}, features=datasets.Features({"image": datasets.Image(mode=mode)}))
    ds.save_to_disk(str(path))
    return str(path)


def _colour(seed: int = 0, h: int = 24, w: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("mode", ["L", "LA", "I", "I;16", "F"])
def test_a_greyscale_image_feature_is_read_as_greyscale(tmp_path, caplog, mode):
    """A dataset whose feature is ``Image(mode='L')`` (Set12/BSD68-style grey sets stored as colour files; `datasets`
    hands its users greyscale) was trained and scored in colour, unsaid → its colour images are read as the mode's
    greyscale (Pillow's luma, replicated to RGB), in one warning naming the mode and the count."""
    arr = _colour()
    src = _saved(tmp_path / "ds", [_png(arr), _png(_colour(1))], mode)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(src))
    px = recs[0].pixels
    assert (px[0] == px[1]).all() and (px[1] == px[2]).all()
    want = np.asarray(Image.fromarray(arr).convert("L"))
    assert np.array_equal(px[0].numpy(), want)
    said = [r.getMessage() for r in caplog.records if f"mode {mode!r}" in r.getMessage()]
    assert len(said) == 1 and "2 colour images" in said[0] and "greyscale" in said[0]


def test_a_16_bit_colour_image_under_a_greyscale_feature_keeps_its_precision(tmp_path, caplog):
    import tifffile

    arr = np.random.default_rng(2).integers(0, 65536, (24, 32, 3), dtype=np.uint16)
    buf = io.BytesIO()
    tifffile.imwrite(buf, arr, photometric="rgb")
    src = _saved(tmp_path / "ds", [{"bytes": buf.getvalue(), "path": None}], "L")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = load_images(DataSpec.parse(src))[0].pixels
    want = (arr / 65535.0) @ np.array([0.299, 0.587, 0.114])
    assert px.dtype.is_floating_point and (px[0] == px[2]).all()
    assert np.abs(px[0].numpy() - want).max() < 1e-5
    assert [r for r in caplog.records if "mode 'L'" in r.getMessage()]


@pytest.mark.parametrize("mode", ["RGB", "RGBA", None])
def test_a_colour_image_feature_reads_the_files_colours_in_silence(tmp_path, caplog, mode):
    arr = _colour()
    src = _saved(tmp_path / "ds", [_png(arr)], mode)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = load_images(DataSpec.parse(src))[0].pixels
    assert np.array_equal(px.permute(1, 2, 0).numpy(), arr)
    assert not [r for r in caplog.records if "mode" in r.getMessage()]


@pytest.mark.parametrize("mode", ["P", "1", "CMYK"])
def test_a_palette_bilevel_or_cmyk_feature_is_not_applied_and_said_so(tmp_path, caplog, mode):
    """``Image(mode='P')`` or ``'1'`` would quantise or dither a photo (what `datasets` hands out), which no
    restoration benchmark means: the files' own colours are read, and one warning says the mode is not applied."""
    arr = _colour()
    src = _saved(tmp_path / "ds", [_png(arr)], mode)
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = load_images(DataSpec.parse(src))[0].pixels
    assert np.array_equal(px.permute(1, 2, 0).numpy(), arr)
    said = [r.getMessage() for r in caplog.records if f"mode {mode!r}" in r.getMessage()]
    assert len(said) == 1 and "not applied" in said[0]


def test_a_greyscale_feature_over_grey_files_says_nothing(tmp_path, caplog):
    grey = _colour()[:, :, 0]
    src = _saved(tmp_path / "ds", [_png(grey)], "L")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        px = load_images(DataSpec.parse(src))[0].pixels
    assert np.array_equal(px[0].numpy(), grey)
    assert not [r for r in caplog.records if "mode 'L'" in r.getMessage()]


def _folder_of(path, images: dict[str, np.ndarray]) -> str:
    path.mkdir(parents=True)
    for name, arr in images.items():
        Image.fromarray(arr).save(path / f"{name}.png")
    return str(path)


def test_training_patches_cut_from_a_test_photo_of_another_source_are_warned_of(tmp_path, caplog):
    """Training patches cut from a set of photos, one of them also in the user's test folder under another name, were
    trained on unsaid (only the other way, a test image cut from a training one, was looked for) → the test photo is
    named in planning's overlap warning with the count of patches cut from it, turned ones included."""
    from benchmark.data import DataCache

    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    patches = {f"patch{i:03d}": rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for i in range(40)}
    patches["patch900"] = photo[8:40, 16:48]
    patches["patch901"] = np.rot90(photo[50:82, 70:102]).copy()  # a patch augmented by a turn, saved
    train = DataSpec.parse(_folder_of(tmp_path / "patches", patches))
    test = DataSpec.parse(_folder_of(tmp_path / "mine", {"holiday": photo,
                                                          "other": rng.integers(0, 256, (96, 128, 3), np.uint8)}))
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        both = DataCache().overlap((train,), (test,))
    assert both == ["mine/holiday (2 training images cut from it)"]
    said = [r.getMessage() for r in caplog.records if "is also a training image" in r.getMessage()]
    assert len(said) == 1 and "1 of 2 test images" in said[0] and "training images cut from it" in said[0]


def test_each_training_patch_is_looked_up_once_not_eight_times(tmp_path, monkeypatch):
    """The reverse check costs one look-up per training patch (the few test photos indexed turned the eight ways),
    not eight (each patch turned against the index): 1000 patches against Kodak24 took 14 s, now 2.5 s."""
    import torch

    import benchmark.data as data

    rng = np.random.default_rng(4)
    photos = [data.ImageRecord(f"p{i}", torch.from_numpy(rng.integers(0, 256, (3, 64, 96), np.uint8)))
              for i in range(3)]
    patches = [data.ImageRecord(f"q{i}", torch.from_numpy(rng.integers(0, 256, (3, 24, 24), np.uint8)))
               for i in range(30)]
    patches.append(data.ImageRecord("cut", photos[1].pixels[:, 10:34, 20:44].flip(-1).rot90(1, (1, 2)).contiguous()))
    calls = []
    real = data._cut_from
    monkeypatch.setattr(data, "_cut_from", lambda *a: calls.append(1) or real(*a))
    pairs = []
    assert data._cut_from_test(patches, {None: photos}, {None: "mine"}, set(), pairs) == ["mine/p1 (1 training "
                                                                                         "image cut from it)"]
    assert len(calls) == len(patches) and pairs == [(photos[1], patches[-1])]


@pytest.mark.parametrize("written, said", [
    ("{f}[Holdout=10%]", r"\[Holdout=10%\] is not an option of a source.*did you mean holdout\?"),
    ("{f}[hold-out=10%]", r"\[hold-out=10%\] is not an option of a source.*did you mean holdout\?"),
    ("{f}:test[hold_out=10%]", r"\[hold_out=10%\] is not an option.*did you mean holdout\?"),
    ("{f}[holdout=10%][holdout=20%]", r"two hold-outs \(\[holdout=10%\] and \[holdout=20%\]\): give one"),
])
def test_a_misspelt_source_option_is_refused_naming_it(tmp_path, written, said):
    """`--test-data mine[Holdout=10%]` (a typo in the bracket) was read as the hub id 'mine[Holdout=10%]': an error
    about the hub cache, online a download attempt; a second [holdout=…] was read as part of the name → one line
    naming the option and the one it resembles."""
    from benchmark.errors import UserError

    f = _folder_of(tmp_path / "mine", {"a": _colour()})
    with pytest.raises(UserError, match=said):
        DataSpec.parse(written.format(f=f), role="test")


def test_a_folder_whose_name_holds_brackets_is_still_read(tmp_path):
    from benchmark.data import load_raw
    from benchmark.errors import UserError

    with pytest.raises(UserError, match=r"folder not found: .*scanz\[v=2\]"):  # misspelt: said as a missing folder
        load_raw(DataSpec.parse(str(tmp_path / "scanz[v=2]"), role="test"))
    f = _folder_of(tmp_path / "scans[v=2]", {"a": _colour()})
    assert DataSpec.parse(f, role="test").source == f
    assert DataSpec.parse(f + "[holdout=10%]", role="test").holdout == (10.0, "test")
    assert DataSpec.parse(f + "[max_images=5][holdout=10%]", role="train").max_images == 5


def _in_memory():
    import torch

    arr = np.zeros((2, 32, 32, 3), np.uint8)
    ds = datasets.Dataset.from_dict({"image": [arr[0]]})
    return [
        ("pil", Image.fromarray(arr[0]), r"a PIL image \(32×32\).*save the images as files in a folder"),
        ("pil list", [Image.fromarray(arr[0])], r"a PIL image \(32×32\).*save the images as files in a folder"),
        ("numpy", arr, r"a numpy array \(2, 32, 32, 3\).*save the images as files in a folder"),
        ("tensor", torch.zeros(2, 3, 32, 32), r"a torch tensor \(2, 3, 32, 32\).*save the images as files"),
        ("torch dataset", torch.utils.data.TensorDataset(torch.zeros(2, 3, 8, 8)), r"a torch TensorDataset.*save"),
        ("dataset", ds, r"datasets.Dataset object.*\.save_to_disk\(DIR\)"),
        ("iterable", ds.to_iterable_dataset(), r"IterableDataset object.*from_list\(list\(.*take\(N\)"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_images_in_memory_given_as_data_are_refused_in_one_line(tmp_path, case):
    """`api.run(train_data=np_images)` (or a tensor, PIL images) failed with the whole array printed, 1767 characters
    over many lines, and no way forward; an IterableDataset was told to `.save_to_disk(DIR)`, which it lacks → one
    line naming what was given (its type and shape) and how to make a source of it."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    _, value, said = _in_memory()[case]
    with pytest.raises(UserError, match=said) as err:
        GridSpec.from_mapping({"train_data": value}, "api.run()")
    assert "\n" not in str(err.value) and len(str(err.value)) < 400
    assert not hasattr(datasets.IterableDataset, "save_to_disk")  # the advice it was given could not be followed


def test_large_test_photos_against_few_training_images_are_indexed_once_not_turned_eight_ways(monkeypatch):
    """The reverse check indexed the test photos turned the eight ways whatever their size: DIV2K's validation photos
    (2 K) against a few training images of about their size cost eight indexes of 100 photos, 3.5 s for 12 of them
    → the test photos are indexed as they are where that is cheaper, each training image then looked up turned."""
    import torch

    import benchmark.data as data

    rng = np.random.default_rng(5)
    photos = [data.ImageRecord(f"p{i}", torch.from_numpy(rng.integers(0, 256, (3, 300, 400), np.uint8)))
              for i in range(2)]
    cut = data.ImageRecord("cut", photos[0].pixels[:, 20:280, 10:390].flip(-1).rot90(1, (1, 2)).contiguous())
    other = data.ImageRecord("other", torch.from_numpy(rng.integers(0, 256, (3, 260, 380), np.uint8)))
    indexed = []
    real = data._window_index
    monkeypatch.setattr(data, "_window_index", lambda views, *a: indexed.append(len(views)) or real(views, *a))
    pairs = []
    assert data._cut_from_test([cut, other], {None: photos}, {None: "v"}, set(), pairs) == ["v/p0 (1 training image "
                                                                                            "cut from it)"]
    assert indexed == [2] and pairs == [(photos[0], cut)]


def test_planning_compares_images_on_one_thread_and_gives_the_threads_back(tmp_path, monkeypatch):
    """The overlap, repeat and hold-out checks are many small torch operations (thumbnails, casts, means); on two
    threads of a machine whose cores other jobs use they spin-wait: the standard profile's overlap check took 27 s
    there against 3.3 s on one thread (and 2.6× the CPU time) → they run on one thread, the count given back after."""
    import torch

    import benchmark.data as data

    rng = np.random.default_rng(6)
    photo = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    train = DataSpec.parse(_folder_of(tmp_path / "train", {"a": photo, "b": _colour(7, 64, 96)}))
    test = DataSpec.parse(_folder_of(tmp_path / "test", {"a2": photo[:48, :72], "c": _colour(8, 40, 60)}))
    seen = []
    real = data._area_thumbnail
    monkeypatch.setattr(data, "_area_thumbnail", lambda px: seen.append(torch.get_num_threads()) or real(px))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        cache = data.DataCache()
        cache.overlap((train,), (test,))
        whole = cache.images(train) + cache.images(test)
        data.holdout_split(whole, 50.0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {1}


@pytest.mark.parametrize("written, said", [
    ("{b}[Holdout=10%]", r"\[Holdout=10%\] is not an option of a source.*did you mean holdout\?"),
    ("{f}[v=2][Holdout=10%]", r"\[Holdout=10%\] is not an option of a source.*did you mean holdout\?"),
    ("{f}[max_images=abc]", r"\[max_images=abc\]: give a whole number of images, \[max_images=N\]"),
    ("{f}[max_images=5][max_images=6]", r"two caps \(\[max_images=5\] and \[max_images=6\]\): give one"),
    ("{f}[holdout = 10%]", r"\[holdout = 10%\] is not read: write \[holdout=10%\], without spaces"),
])
def test_every_stray_bracket_is_looked_at_and_said_plainly(tmp_path, written, said):
    """Review of 26ae1eb/a567e3c: only the first ``[NAME=VALUE]`` was looked at, so a folder named with brackets
    (``scans[v=2]``, or a bracket like no option) hid a misspelt ``[Holdout=10%]`` after it, read as a hub id; and
    an option's own name was told 'is not an option …; did you mean max_images?' for a bad value, a second cap or
    spaces."""
    from benchmark.errors import UserError

    f = _folder_of(tmp_path / "mine", {"a": _colour()})
    b = _folder_of(tmp_path / "scans[v=2]", {"a": _colour()})
    with pytest.raises(UserError, match=said):
        DataSpec.parse(written.format(f=f, b=b), role="test")


def test_an_image_cap_is_read_wherever_written(tmp_path):
    """``[max_images=N]``, which the options' message names, was read only last (or before a hold-out):
    ``mine[max_images=5]:test`` was refused as 'not an option …; did you mean max_images?'."""
    f = _folder_of(tmp_path / "mine", {"a": _colour()})
    spec = DataSpec.parse(f + "[max_images=5]#image", role="train")
    assert (spec.source, spec.image_column, spec.max_images) == (f, "image", 5)
    b = _folder_of(tmp_path / "caps[max_images=2]", {"a": _colour()})  # a folder named so stays one name
    assert DataSpec.parse(b + "[holdout=10%]", role="test").source == b
    capped = DataSpec.parse(DataSpec.parse(b + "[holdout=10%]", 4, role="train").token())  # its token read back
    assert (capped.source, capped.max_images, capped.holdout) == (b, 4, (10.0, "train"))


@pytest.mark.parametrize("name", ["scanz[v=2]", "scans [v=2]", "scans(v=2)"])
def test_a_relative_name_no_hub_id_can_be_is_a_missing_folder(tmp_path, monkeypatch, name):
    """Review of a567e3c: a bracket like no option is left to 'the path's own error', but a relative ``scanz[v=2]``
    (or a name with a space) was read as a hub id, which it cannot be (a repo id is letters, digits, '-', '_' and
    '.'): online 'Repo id must use alphanumeric chars…', no word of the folder → said as a folder not found, with the
    close spelling that is there."""
    from benchmark.data import load_raw
    from benchmark.errors import UserError

    _folder_of(tmp_path / "scans[v=2]", {"a": _colour()})
    monkeypatch.chdir(tmp_path)
    spec = DataSpec.parse(name, role="train")
    assert spec.kind == "missing-path"
    with pytest.raises(UserError, match=r"^dataset folder not found: .*did you mean scans\[v=2\]\?$"):
        load_raw(spec)


def _more_in_memory(tmp_path):
    import pandas as pd
    import torch

    _folder_of(tmp_path / "photos" / "all", {"a": _colour()})

    class ImageFolder(torch.utils.data.Dataset):  # torchvision's, as its package defines it (not imported: 7 s)
        __module__ = "torchvision.datasets.folder"

        def __init__(self, root):
            self.root = root

        def __repr__(self):
            return f"Dataset ImageFolder\n    Number of datapoints: 1\n    Root location: {self.root}"

    class Odd:
        def __repr__(self):
            return "Odd\n    with\n    many\n    lines"

    return [
        (ImageFolder(str(tmp_path / "photos")),
         r"a torchvision ImageFolder, not a source.*pass the folder of its image files, .*photos$"),
        (torch.utils.data.DataLoader(torch.zeros(2, 3, 8, 8)), r"a torch DataLoader, not a source.*as files"),
        (pd.DataFrame({"path": ["a.png"]}), r"a pandas DataFrame \(1 row\).*to_csv\('images.csv', index=False\)"),
        (Odd(), r"expects a list of texts, got Odd with many lines \(Odd\)$"),
    ]


@pytest.mark.parametrize("case", range(4))
def test_other_objects_given_as_data_are_refused_in_one_line(tmp_path, case):
    """Review of 2c9409c: a torch Dataset was caught by its module only, so torchvision's (ImageFolder, the one a
    PyTorch user holds) and a pandas DataFrame still failed with their repr printed over lines, 'expects a list of
    texts, got [Dataset ImageFolder\\n    Number of datapoints: 5\\n …]', and no way forward → each named, with its
    folder or a table of paths to pass; any other value's repr is said on one line."""
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    value, said = _more_in_memory(tmp_path)[case]
    with pytest.raises(UserError, match=said) as err:
        GridSpec.from_mapping({"train_data": value}, "api.run()")
    assert "\n" not in str(err.value) and len(str(err.value)) < 400

"""Review of the data-inputs fixes of session 15 (probe-data): defects found in them, each with its test."""

from __future__ import annotations

import io

import datasets  # imported once here, not inside the first test's time
import numpy as np
from PIL import Image

import benchmark.data as data_module
from benchmark.data import DataSpec, load_images


def _png_cell(seed: int) -> dict:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(buf, "PNG")
    return {"bytes": buf.getvalue(), "path": f"{seed}.png"}


def _parquet_copy(root, n: int) -> str:
    (root / "data").mkdir(parents=True)
    features = datasets.Features({"image": datasets.Image()})
    datasets.Dataset.from_dict({"image": [_png_cell(i) for i in range(n)]}, features=features).to_parquet(
        str(root / "data" / "train-00000-of-00001.parquet"))
    return str(root)


def test_a_cap_its_first_rows_fill_is_streamed_once_and_a_split_of_just_n_rows_reads(tmp_path, monkeypatch):
    """Capped at N, a streamed split whose first N rows are all images was streamed a second time (2N + 16 rows: the
    loop asked for the row after the N-th before it checked the cap), and one of exactly N rows crashed with
    'IndexError: Index N out of range' → the rows after the first N are read only where those hold too few images."""
    source = _parquet_copy(tmp_path / "copy", 3)
    asked = []
    load_raw = data_module.load_raw
    monkeypatch.setattr(data_module, "load_raw", lambda spec, rows=None: asked.append(rows) or load_raw(spec, rows))
    assert [r.image_id for r in load_images(DataSpec.parse(source, max_images=3))] == ["0", "1", "2"]
    assert [r.image_id for r in load_images(DataSpec.parse(source, max_images=2))] == ["0", "1"]
    assert asked == [3, 2]


def test_a_capped_hub_id_under_hf_datasets_offline_reads_the_cache_not_a_stream(monkeypatch):
    """``HF_DATASETS_OFFLINE=1`` (datasets' own switch, without ``HF_HUB_OFFLINE``) is offline for ``datasets``: the
    whole split's load reads the datasets cache. Capped, the hub id was streamed first (the check read
    huggingface_hub's switch only), and a stream offline cannot reach the hub: 'not cached and the hub cannot be
    reached' for a cached dataset → offline by either switch, a cap reads the cache as an uncapped load does."""
    from huggingface_hub import constants

    calls = []

    def load_dataset(*args, streaming=False, **kwargs):
        calls.append(streaming)
        if streaming:
            raise ConnectionError("Couldn't reach 'someone/photos' on the Hub (OfflineModeIsEnabled)")
        return datasets.Dataset.from_dict({"image": [_png_cell(i) for i in range(4)]},
                                          features=datasets.Features({"image": datasets.Image()}))

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    assert [r.image_id for r in load_images(DataSpec.parse("someone/photos:train", max_images=2))] == ["0", "1"]
    assert calls == [False]


def test_a_capped_hub_id_with_a_split_it_has_not_is_refused_from_the_stream(monkeypatch):
    """Online, a capped hub id with a split it has not (``:tset``): the stream's answer, 'Bad split: tset. Available
    splits: […]', was taken for a source that cannot stream (7fe19e1 knew only the cache's 'Unknown split'), so the
    whole dataset was downloaded and prepared, every split, to be refused then → said from the stream, one line,
    naming the splits; a stream's other failure (a builder that cannot stream) still falls back to the whole load."""
    from huggingface_hub import constants

    from benchmark.errors import UserError

    calls = []

    def load_dataset(*args, streaming=False, **kwargs):
        calls.append(streaming)
        if streaming and kwargs["split"] == "tset":
            raise ValueError("Bad split: tset. Available splits: ['train', 'test']")
        if streaming:
            raise NotImplementedError("this builder does not support streaming")
        return datasets.Dataset.from_dict({"image": [_png_cell(i) for i in range(3)]},
                                          features=datasets.Features({"image": datasets.Image()}))

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    try:
        load_images(DataSpec.parse("someone/photos:tset", max_images=2))
    except UserError as exc:
        said = str(exc)
    assert calls == [True] and "Available splits: ['train', 'test']" in said and "\n" not in said
    calls.clear()
    assert [r.image_id for r in load_images(DataSpec.parse("someone/photos:train", max_images=2))] == ["0", "1"]
    assert calls == [True, False]


def test_the_re_encoded_crop_check_on_tiled_patterns_does_no_more_work_per_training_image(monkeypatch):
    """The re-encoded crop check (211f9fe) looked each key of a test image up in the index of every training image's
    keys: on a repeated pattern (a test chart, a render, a tiled texture) one key is at every period of every image,
    so a look-up's hits grew with the training set — 48 patterns of 512 px against 3 smaller ones took 2 s of CPU,
    a DIV2K-sized set of them hours → a key the index holds more than _REENCODED_COMMON times is left out. Counted,
    not timed (a timed test flakes under load): the index hits a look-up returns are the same for 12 and 48."""
    import torch

    from benchmark.data import ImageRecord, _reencoded_both_ways

    def pattern(h: int, w: int, period: int, phase: int) -> ImageRecord:  # diagonal ramps, shifted by phase
        v = (((np.arange(w)[None] + np.arange(h)[:, None] + phase) % period) * (255 / period)).astype(np.uint8)
        return ImageRecord(f"{period}-{phase}", torch.from_numpy(v)[None].expand(3, h, w))

    isin, hits = np.isin, []

    def counted(element, *args, **kwargs):  # _reencoded_crops keeps the hits of the images that fit: one per hit
        hits.append(len(element))
        return isin(element, *args, **kwargs)

    monkeypatch.setattr(np, "isin", counted)
    test = [pattern(200, 256, 41 + i, 3 * i) for i in range(3)]
    work = []
    for n in (12, 48):
        hits.clear()
        _reencoded_both_ways([pattern(384, 512, 40, i) for i in range(n)], {None: test}, {None: "test"}, set())
        work.append(sum(hits))
    assert work[1] == work[0], f"index hits {work[0]} for 12 training images, {work[1]} for 48"


def test_a_re_encoded_crop_of_a_16_bit_photo_is_found_as_an_8_bit_ones_is():
    """A JPEG crop (8-bit) of a 16-bit photo (read as float in [0, 1]) on the other side: the re-encoded crop check
    (211f9fe) compared the two by their stored numbers, 0-255 against 0-1, and never found it, though it finds the
    same crop of the 8-bit photo → both are compared on one scale, whichever side holds which."""
    import torch
    from skimage import data as skdata

    from benchmark.data import ImageRecord, _reencoded_crops

    photo = skdata.astronaut()
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(photo[37:237, 53:213])).save(buf, "JPEG", quality=90)
    crop8 = ImageRecord("crop", torch.from_numpy(np.array(Image.open(buf))).permute(2, 0, 1).contiguous())
    photo8 = ImageRecord("photo", torch.from_numpy(photo).permute(2, 0, 1).contiguous())
    photo16 = ImageRecord("photo16", photo8.pixels.float() / 255)
    assert _reencoded_crops([crop8], [photo8]) == [(0, 0)]
    assert _reencoded_crops([crop8], [photo16]) == [(0, 0)]
    assert _reencoded_crops([ImageRecord("crop16", crop8.pixels.float() / 255)], [photo8]) == [(0, 0)]


def test_a_capped_hub_id_whose_stream_times_out_mid_split_is_loaded_whole(monkeypatch, caplog):
    """Online, a capped hub id is streamed (80b8957); a ConnectionError or TimeoutError raised while reading the
    stream (a slow or dropped connection mid-shard, after ``load_dataset(..., streaming=True)`` resolved the split) was
    raised as the hub's error (7fe19e1 meant those of the stream's resolution: not found, unreachable), where the whole
    split's load, with its own retries, read it before → read whole, said in one info line; only the resolution's
    errors, which the whole load would meet too, are raised at once."""
    import logging

    from huggingface_hub import constants

    features = datasets.Features({"image": datasets.Image()})
    calls = []

    class Stream:  # resolved: its features are known; its rows are read over the network
        def __init__(self):
            self.features = features

        def decode(self, decode: bool):
            yield {"image": _png_cell(0)}
            raise TimeoutError("The read operation timed out")

    def load_dataset(*args, streaming=False, **kwargs):
        calls.append(streaming)
        return Stream() if streaming else datasets.Dataset.from_dict(
            {"image": [_png_cell(i) for i in range(3)]}, features=features)

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    with caplog.at_level(logging.INFO, logger=data_module.log.name):
        assert [r.image_id for r in load_images(DataSpec.parse("someone/photos:train", max_images=2))] == ["0", "1"]
    assert calls == [True, False]
    assert sum("The read operation timed out" in r.getMessage() for r in caplog.records) == 1

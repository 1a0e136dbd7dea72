"""Data edge cases, round 27 (each test failed before its fix)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from benchmark.data import DataCache, DataSpec


def _png_bytes(seed: int, h: int = 16, w: int = 16) -> bytes:
    from PIL import Image

    raw = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)).save(raw, "PNG")
    return raw.getvalue()


def _ids(spec: DataSpec) -> list[str]:
    return [r.image_id for r in DataCache().images(spec)]


# --- a relative path written on Windows -----------------------------------------------------------------------------
@pytest.mark.parametrize("sep", ["/", "\\"])
def test_a_relative_windows_path_stored_with_an_images_bytes_names_it_as_a_posix_one_does(tmp_path, sep):
    """A saved Dataset (or hub dataset) whose images were stored on Windows with a relative path
    (``photos\\a.png``) gave the id ``photos\\a`` — the stem of a POSIX name holding backslashes — where
    ``photos/a.png`` gives ``a``: the file's name, as a drive path (``C:\\photos\\a.png``) already gave it."""
    import datasets

    paths = [f"photos{sep}a.png", f"photos{sep}trip{sep}b.png"]
    ds = datasets.Dataset.from_dict({"image": [{"bytes": _png_bytes(i), "path": p} for i, p in enumerate(paths)]},
                                    features=datasets.Features({"image": datasets.Image()}))
    ds.save_to_disk(str(tmp_path / "saved"))
    assert _ids(DataSpec.parse(str(tmp_path / "saved"))) == ["a", "b"]


@pytest.mark.parametrize("column", ["file_name", "image_id"])
def test_an_id_column_of_relative_windows_paths_gives_the_ids_of_posix_ones(tmp_path, column):
    """A table whose id column holds the user's own relative paths written on Windows (``photos\\a.png``, a CSV from
    Excel there) gave ids holding the backslash path, where the same paths written ``photos/a.png`` give
    ``photos/a.png``: now the same ids."""
    (tmp_path / "photos").mkdir()
    for i in range(2):
        (tmp_path / "photos" / f"{'ab'[i]}.png").write_bytes(_png_bytes(i))
    ids = {}
    for name, sep in (("posix", "/"), ("windows", "\\")):
        rows = "".join(f"photos/{n}.png,photos{sep}{n}.png\n" for n in "ab")
        (tmp_path / f"{name}.csv").write_text(f"image,{column}\n{rows}")
        ids[name] = _ids(DataSpec.parse(str(tmp_path / f"{name}.csv")))
    assert ids["windows"] == ids["posix"] == ["photos/a.png", "photos/b.png"]
    (tmp_path / "alone.csv").write_text("file_name\nphotos\\a.png\nphotos\\b.png\n")  # the image column its own ids
    assert _ids(DataSpec.parse(str(tmp_path / "alone.csv"))) == ids["posix"]


# --- the hub's refusal said at once ---------------------------------------------------------------------------------
def test_a_hub_id_the_hub_refuses_is_said_without_waiting_for_the_other_answers(tmp_path, monkeypatch):
    """ask_hub_ahead asks every hub id at once, then waited for every answer (each up to HUB_CHECK_S, 20 s) before
    any check said one: an id the hub said at once it does not hold was said only after the slowest other answer.
    Now its refusal ends the wait; the unanswered id is left to its load, and the refusal is raised by its own check,
    in one line."""
    import threading
    import time

    import httpx2
    from conftest import hub_online
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    from benchmark.data import ask_hub_ahead, check_source_readable
    from benchmark.errors import UserError

    hub_online(monkeypatch, tmp_path)
    release = threading.Event()

    def info(self, repo, **kw):
        if repo == "me/gone":
            url = f"https://huggingface.co/api/datasets/{repo}"
            raise RepositoryNotFoundError(f"404 Client Error. Repository Not Found for url: {url}.",
                                          response=httpx2.Response(404, request=httpx2.Request("GET", url)))
        release.wait(2)  # a slow answer (the old code waited for it)

    monkeypatch.setattr(HfApi, "dataset_info", info)
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train"])
    specs = [DataSpec.parse(t) for t in ("me/slow", "me/gone")]
    asked: dict = {}
    start = time.monotonic()
    try:
        ask_hub_ahead(specs, asked)
        waited = time.monotonic() - start
        check_source_readable(specs[0], asked)  # left to its load, not asked again
        with pytest.raises(UserError, match="the hub holds no dataset me/gone") as err:
            check_source_readable(specs[1], asked)
        checked = time.monotonic() - start
    finally:
        release.set()
    assert waited < 1 and checked < 1, (waited, checked)
    assert "\n" not in str(err.value)


# --- sr4 resize=matlab: an 8-bit source decided per image -----------------------------------------------------------
def _photo_16bit_on_8bit_levels_but_its_last_row() -> torch.Tensor:
    """(3, 21, 24) float32: a 16-bit photo whose values are 8-bit levels (v·257) but in its last row (cut away by
    sr4's test multiple of 8: 16 rows scored)."""
    g = torch.Generator().manual_seed(5)
    px = torch.floor(torch.rand(3, 21, 24, generator=g) * 255 + 0.5) / 255
    px[:, -1] = torch.rand(3, 24, generator=g) * 0.5 + 0.25  # 16-bit values, off the 8-bit levels
    return px


def test_sr4_matlab_test_image_of_a_16bit_source_is_kept_at_its_precision_whatever_its_cut_holds():
    """sr4 resize=matlab rounds an 8-bit image's passes to 8 bit and keeps a 16-bit source's at its precision, but
    read which from the batch it degrades: a 16-bit test photo whose cut (16×24 of 21×24) happens to hold 8-bit levels
    alone was rounded as 8-bit, while its data fingerprint (DataCache, of the whole image) tagged it 16-bit. Now the
    harness decides per source image (on_8bit_source) and tells degrade."""
    from benchmark.data import ImageRecord, on_8bit_levels
    from benchmark.runner import held_out_items
    from benchmark.task import build_task
    from tasks.super_resolution import imresize

    task = build_task("sr4", resize="matlab")
    px = _photo_16bit_on_8bit_levels_but_its_last_row()
    assert not on_8bit_levels(px[None]) and on_8bit_levels(px[None, :, :16])
    (item,) = held_out_items(task, {DataSpec.parse("skimage"): [ImageRecord("p", px)]})
    clean = px[None, :, :16]
    assert torch.equal(item.clean, clean)
    kept = imresize(imresize(clean, (4, 6)), (16, 24)).clamp(0, 1)
    rounded = imresize(imresize(clean, (4, 6), uint8=True), (16, 24), uint8=True).clamp(0, 1)
    assert not torch.equal(kept, rounded)
    assert torch.equal(item.degraded, kept)
    # an 8-bit source (uint8, or a 16-bit one on 8-bit levels as a whole) is rounded as before
    for eight in ((px[:, :16] * 255).round().to(torch.uint8), px[:, :16].clone()):
        (item,) = held_out_items(task, {DataSpec.parse("skimage"): [ImageRecord("e", eight)]})
        assert torch.equal(item.degraded, rounded)


@pytest.mark.slow  # a TrainStep: Adam imports torch._dynamo (7 s alone), a step of sr4 resize=matlab ~1 s here
def test_sr4_matlab_training_crops_of_a_16bit_source_are_kept_at_its_precision(monkeypatch):
    """The CPU's training crops alike: a crop of a 16-bit photo that lies on 8-bit levels (here all but one pixel of
    the photo is) was rounded as an 8-bit image's; each crop now takes its image's precision (SourcePrecision)."""
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord, on_8bit_levels
    from benchmark.runner import TrainStep
    from benchmark.task import build_task
    from tasks.super_resolution import SuperResolution, imresize

    g = torch.Generator().manual_seed(9)
    px = torch.floor(torch.rand(3, 16, 17, generator=g) * 255 + 0.5) / 255
    px[:, 0, 16] = 0.5  # one 16-bit value, off the levels: in the 16-px crops at left 1 only
    seen, real = [], SuperResolution.degrade

    def spy(self, clean, generator, **kw):
        out = real(self, clean, generator, **kw)
        seen.append((clean, out))
        return out

    monkeypatch.setattr(SuperResolution, "degrade", spy)
    cfg = RunConfig(task="sr4", loss="l1", iterations=2, batch_size=8, crop=16, net="tiny",
                    task_params=(("resize", "matlab"),))
    step = TrainStep(cfg, build_task("sr4", resize="matlab"), [ImageRecord("p", px)], torch.device("cpu"))
    step(0)
    (clean, out), = seen
    on_levels = on_8bit_levels(clean)
    assert on_levels.any() and not on_levels.all()  # both kinds of crop drawn
    kept = imresize(imresize(clean, (4, 4)), (16, 16)).clamp(0, 1)
    assert torch.equal(out, kept)

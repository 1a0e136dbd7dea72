"""SOURCE[holdout=P%] with near copies grouped: one split for the driver and every worker, its cost, its refusal."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import benchmark.data
from benchmark.config import GridSpec, build_configs
from benchmark.data import DataCache, DataSpec, holdout_split


def _smooth(rng, h: int, w: int) -> np.ndarray:
    """A photo-like (h, w, 3) uint8 image: a random 4×4 colour field, resized smoothly, plus fine detail."""
    field = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    return np.clip(np.asarray(field, np.int16) + rng.integers(-12, 13, (h, w, 3)), 0, 255).astype(np.uint8)


def _exports(folder, n: int = 12) -> str:
    """``n`` photos, each beside its JPEG export (a near copy: other pixels, the same photo)."""
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i in range(n):
        photo = _smooth(rng, 40, 48)
        Image.fromarray(photo).save(folder / f"p{i:02d}.png")
        Image.fromarray(photo).save(folder / f"p{i:02d}_export.jpg", quality=90)
    return str(folder)


@pytest.mark.slow  # ~3 s: a run trained in a SLURM job (submitit's debug cluster); the quick test is the next one
def test_remote_workers_train_on_the_drivers_hold_out_whatever_their_detectors_say(tmp_path, monkeypatch):
    """A Ray or SLURM worker (a machine of its own, its maths libraries rounding otherwise) drew the hold-out again,
    near copies compared by its own floating-point thresholds: where they said otherwise on a borderline pair, its
    split, and so the part's fingerprint, was not the one the driver planned the run ids on — the run refused as
    'data changed since this grid was set up', which planning it again could not mend → the driver hands its split
    (the near copies it joined) to every worker, which draws it from them without comparing images again."""
    from benchmark.executors import execute
    from benchmark.results import ResultsStore

    f = _exports(tmp_path / "mine")
    data = DataCache()
    configs, metrics, device = build_configs(GridSpec(
        tasks=("denoise",), losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu", iterations=2, crop=16,
        batch_size=2, budget_check=False, train_data=(f"{f}[holdout=30%]",), test_data=(f"{f}[holdout=30%]",),
        executor="slurm"), data)
    test = configs[0].test_data[0]
    planned = {r.image_id for r in data.images(test)}
    # the worker's detector finds no near copy at all: drawn by it, the split is another one
    monkeypatch.setattr(benchmark.data, "near_copy_pairs", lambda train, test, memo=None: [])
    whole = DataCache().images(DataSpec.parse(f))
    alone = {r.image_id for r, h in zip(whole, holdout_split(whole, 30.0)) if h}
    assert alone != planned
    summary = execute("slurm", configs, tmp_path / "r", metrics, device, cluster="debug", split="run", threads=1,
                      data=data)
    assert (summary.trained, summary.failed) == (1, 0)
    assert {r["image"] for r in ResultsStore(tmp_path / "r").table().to_dict("records")} == planned


def test_a_worker_takes_the_drivers_hold_out_without_comparing_images(tmp_path, monkeypatch):
    """What a worker is handed (:attr:`WorkUnit.holdouts`) draws the driver's split, to the fingerprint the run ids
    were planned on, with no near-copy detector run (they are where another machine's rounding splits otherwise)."""
    from benchmark.executors import _holdouts

    f = _exports(tmp_path / "mine")
    data = DataCache()
    parts = [DataSpec.parse(f"{f}[holdout=30%]", role=role) for role in ("train", "test")]
    planned = [data.fingerprint((p,), role) for p, role in zip(parts, ("train", "test"))]
    given = data.holdouts(parts)
    assert len(given) == 1 and given[0][2]  # one source, and the near copies joined there
    assert _holdouts(data, []) == () and _holdouts(None, []) == ()

    def detector(train, test, memo=None):
        raise AssertionError("a worker compared images again")

    monkeypatch.setattr(benchmark.data, "near_copy_pairs", detector)
    worker = DataCache()
    worker.take_holdouts(given)
    assert [worker.fingerprint((p,), role) for p, role in zip(parts, ("train", "test"))] == planned


def _frames(n: int, others: int = 10, h: int = 24, w: int = 32) -> list:
    """``n`` video frames, each a near copy of the one before (a random walk of fine detail: the first and last far
    apart), then ``others`` distinct photos."""
    import torch

    from benchmark.data import ImageRecord

    rng = np.random.default_rng(2)
    base, walk, out = _smooth(rng, h, w).astype(np.float32), np.zeros((h, w, 3), np.float32), []
    for i in range(n):
        walk += rng.normal(0, 2.0, walk.shape).astype(np.float32)
        px = np.clip(base + walk, 0, 255).astype(np.uint8)
        out.append(ImageRecord(f"f{i:02d}", torch.from_numpy(px.transpose(2, 0, 1).copy())))
    for i in range(others):
        out.append(ImageRecord(f"p{i:02d}", torch.from_numpy(_smooth(rng, h, w).transpose(2, 0, 1).copy())))
    return out


def test_a_chain_of_near_copies_is_split_comparing_each_pair_once(monkeypatch):
    """holdout_split draws the split again after each near copy joined across it: a chain of video frames took many
    rounds, each comparing the images anew (their sketches, thumbnails and each pair whole: 400 frames, minutes) →
    each image is sketched, and each pair compared, once for every round; the same split."""
    import hashlib

    whole = _frames(24, 6, 16, 16)
    rounds, compared, sketched = [], [], []
    pairs, near_copy, parts = benchmark.data.near_copy_pairs, benchmark.data._near_copy, benchmark.data._thumbnail

    def digest(px):
        return hashlib.sha1(px.contiguous().numpy().tobytes() + str(tuple(px.shape)).encode()).hexdigest()

    monkeypatch.setattr(benchmark.data, "near_copy_pairs", lambda *a: rounds.append(1) or pairs(*a))
    monkeypatch.setattr(benchmark.data, "_near_copy", lambda a, b, *c: compared.append((digest(a), digest(b)))
                        or near_copy(a, b, *c))
    monkeypatch.setattr(benchmark.data, "_thumbnail", lambda px, **k: sketched.append(digest(px)) or parts(px, **k))
    held = holdout_split(whole, 10.0)
    assert len(rounds) > 3 and sum(held[:24]) in (0, 24)  # the chain on one side, found in several rounds
    assert len(compared) == len(set(compared)) and len(sketched) == len(set(sketched))
    monkeypatch.setattr(benchmark.data, "near_copy_pairs", lambda train, test, memo=None: pairs(train, test))
    assert holdout_split(whole, 10.0) == held  # each round on its own, as before: the same answer


def test_a_folder_chained_into_one_group_of_near_copies_is_refused_as_such():
    """A folder of video frames, each a near copy of the next, is one group: the refusal said the source 'has 1
    distinct image' of 12 read, which its user (12 different frames) could not make sense of → it says the images
    are near copies chained one to the next (a burst, video frames) and what to do."""
    from benchmark.errors import UserError

    with pytest.raises(UserError) as err:
        holdout_split(_frames(12, 0, 16, 16), 10.0, None, DataSpec("clip", holdout=(10.0, "test")))
    said = str(err.value)
    assert said.startswith("clip[holdout=10%:test]: ") and "\n" not in said
    assert "12 images read are 12 distinct images" in said and "near copies" in said and "one group" in said
    assert "split the folder yourself" in said and "has 1 (" not in said
    with pytest.raises(UserError, match=r"its source has 1 \(3 images read; copies"):  # copies: as before
        holdout_split(_frames(1, 0, 16, 16) * 3, 10.0, None, DataSpec("clip", holdout=(10.0, "test")))

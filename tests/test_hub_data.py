"""The full profile's data through `datasets`: the shared local folders (BSD200 + T91 to train on,
Set5/Set14/Kodak24 to test on), and the hub path a connected user takes, offline, from a Hugging
Face cache laid out exactly as a download leaves it (tests/hubcache.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hubcache import cache_hub_dataset

from benchmark.config import PROFILES, SHARED_DATASETS, full_data
from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError
from benchmark.runner import DataCache


def _arrays(n: int, side: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (side, side + 8, 3), dtype=np.uint8) for _ in range(n)]


def test_a_hub_id_loads_offline_from_the_cache():
    cache_hub_dataset("plbench-test/tiny-photos", {"train": _arrays(3, 40, 0), "validation": _arrays(2, 32, 1)})
    train = load_images(DataSpec.parse("plbench-test/tiny-photos:train"))
    val = load_images(DataSpec.parse("plbench-test/tiny-photos:validation#image"))
    assert [r.size for r in train] == [(40, 48)] * 3 and [r.size for r in val] == [(32, 40)] * 2
    assert np.array_equal(train[0].pixels.permute(1, 2, 0).numpy(), _arrays(3, 40, 0)[0])


def test_a_hub_id_not_in_the_cache_fails_at_once_naming_the_cache():
    with pytest.raises(UserError, match=r"not cached and the hub is offline .*download it on a connected machine"):
        load_images(DataSpec.parse("plbench-test/never-downloaded:train"))


def test_full_profile_falls_back_to_hub_ids_and_they_load(tmp_path):
    """Where ../shared/datasets is absent the full profile names script-free hub datasets; with
    them in the cache (as a download leaves them) its training and test data load by hub id."""
    train, test = full_data(tmp_path / "no-shared-datasets")
    specs = [DataSpec.parse(s) for s in (*train, *test)]
    assert all(s.kind == "hub" for s in specs)
    repos: dict[str, dict] = {}
    for s in specs:
        repos.setdefault(s.source, {})[s.split or "train"] = _arrays(2, 48, len(repos))
    for repo, splits in repos.items():
        cache_hub_dataset(repo, splits)
    data = DataCache()
    assert len(data.pooled(tuple(DataSpec.parse(s) for s in train))) == 2 * len(train)
    for s in test:
        assert len(data.images(DataSpec.parse(s))) == 2


@pytest.mark.skipif(not (SHARED_DATASETS / "BSD200").is_dir(), reason=f"no shared datasets at {SHARED_DATASETS}")
def test_full_profile_uses_the_shared_folders():
    prof = PROFILES["full"]
    assert [DataSpec.parse(s).name for s in prof.train_data] == ["BSD200", "T91"]
    assert [DataSpec.parse(s).name for s in prof.test_data] == ["CSet5", "CSet14", "Kodak24"]
    data = DataCache()
    train = data.pooled(tuple(DataSpec.parse(s) for s in prof.train_data))
    assert len(train) == 291 and min(min(r.size) for r in train) >= 70  # the classic 291, all wide enough
    assert [len(data.images(DataSpec.parse(s))) for s in prof.test_data] == [5, 14, 24]

"""The full profile's data through `datasets`: the shared local folders (BSD200 + T91 to train on,
Set5/Set14/Kodak24 to test on), and the hub path a connected user takes, offline, from a Hugging
Face cache laid out exactly as a download leaves it (tests/hubcache.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hubcache import cache_hub_dataset, cache_hub_file, png_zip

from benchmark.config import PROFILES, SHARED_DATASETS, full_data
from benchmark.data import DataSpec, hub_data_file, load_images
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


def test_a_cached_hub_id_with_a_wrong_split_names_the_split_not_the_cache():
    cache_hub_dataset("plbench-test/split-typo", {"train": _arrays(1, 16, 0), "validation": _arrays(1, 16, 1)})
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("plbench-test/split-typo:validaton"))
    msg = str(err.value)
    assert "\n" not in msg and "not cached" not in msg
    assert "validaton" in msg and "'train', 'validation'" in msg
    with pytest.raises(UserError) as err:  # a config that is not in the cache, of a dataset that is
        load_images(DataSpec.parse("plbench-test/split-typo/x4:train"))
    msg = str(err.value)
    assert "\n" not in msg and "not cached and the hub is offline" not in msg and "'x4'" in msg


def test_a_hub_id_as_test_data_without_a_split_warns_it_is_the_train_split(caplog):
    import logging

    with caplog.at_level(logging.WARNING):
        assert DataSpec.parse("plbench-test/tiny-photos", role="train").split is None
        assert not caplog.text
        DataSpec.parse("plbench-test/tiny-photos", role="test")
    assert "testing on its 'train' split" in caplog.text and "plbench-test/tiny-photos:SPLIT" in caplog.text


def test_a_revision_offline_says_the_cached_copy_was_read_unless_it_is_that_commit(caplog):
    import hashlib
    import logging

    cache_hub_dataset("plbench-test/revs", {"train": _arrays(1, 16, 0)})
    commit = hashlib.sha1(b"plbench-test/revs").hexdigest()  # the commit cache_hub_dataset files it under
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert len(load_images(DataSpec.parse(f"plbench-test/revs@{commit[:10]}:train"))) == 1
        assert "cannot be resolved offline" not in caplog.text
        assert len(load_images(DataSpec.parse("plbench-test/revs@v2:train"))) == 1
    assert "revision 'v2' cannot be resolved offline" in caplog.text and commit in caplog.text


def test_an_unreachable_hub_names_the_cache_and_the_offline_switch(monkeypatch):
    """Online without a network, datasets' ConnectionError said only "Couldn't reach …"."""
    from huggingface_hub import constants

    from benchmark.data import _hub_error

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    exc = ConnectionError("Couldn't reach 'someone/photos' on the Hub (LocalEntryNotFoundError)")
    msg = str(_hub_error(DataSpec.parse("someone/photos"), exc))
    assert "\n" not in msg and "not cached and the hub cannot be reached" in msg
    assert "download it on a connected machine into" in msg and "HF_HUB_OFFLINE=1" in msg


def test_full_profile_falls_back_to_hub_ids_and_they_load(tmp_path, monkeypatch):
    """Where ../shared/datasets is absent the full profile names script-free hub datasets; with
    them in the cache (as a download leaves them) its training and test data load by hub id."""
    from huggingface_hub import constants

    hub = tmp_path / "hub"  # not the user's hub cache: a fake DIV2K there would be read by the profiles
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub))
    train, test = full_data(tmp_path / "no-shared-datasets")
    specs = [DataSpec.parse(s) for s in (*train, *test)]
    assert all(s.kind == "hub" for s in specs)
    repos: dict[str, dict] = {}
    for s in specs:
        repos.setdefault(s.source, {})[s.split or "train"] = _arrays(2, 48, len(repos))
    for repo, splits in repos.items():  # owner/name/FILE (DIV2K's HR archive): in the hub cache, as downloaded
        if (file := hub_data_file(repo)) is not None:
            (arrays,) = splits.values()
            cache_hub_file("/".join(repo.split("/")[:2]), file, png_zip(file.rsplit(".", 1)[0], arrays), hub)
        else:
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


def test_the_standard_images_folder_can_be_named_by_plbench_shared_datasets(tmp_path):
    """The standard and full profiles took BSD200/T91/CSet5/CSet14/Kodak24 only from ``../shared/datasets``
    beside the checkout: a second clone or worktree, or a cluster's data disk, fell back to the hub datasets
    (offline: refused) with the images on the machine. ``PLBENCH_SHARED_DATASETS`` names the folder."""
    import os
    import subprocess
    import sys

    for name in ("BSD200", "T91", "CSet5", "CSet14", "Kodak24"):
        (tmp_path / name).mkdir()
    code = ("from benchmark.config import PROFILES, SHARED_DATASETS; "
            "print(SHARED_DATASETS); print(*PROFILES['full'].train_data, *PROFILES['standard'].test_data, sep='\\n')")
    env = {**os.environ, "PLBENCH_SHARED_DATASETS": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout.split()
    assert out == [str(tmp_path), str(tmp_path / "BSD200"), str(tmp_path / "T91"), str(tmp_path / "Kodak24"),
                   str(tmp_path / "CSet14")]

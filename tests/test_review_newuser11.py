"""Review of a new user's first hour (af9928e..probe-newuser): config paths, executor flags, errors."""

from __future__ import annotations

import pytest


def test_a_configs_own_shared_folder_beside_it_is_not_swapped_for_the_shared_images(tmp_path, monkeypatch):
    """A user's ``proj/configs/my.yaml`` naming ``../shared/datasets/BSD200`` — their own copy at
    ``proj/shared/datasets/BSD200``, beside the config — run from ``proj``: it was refused with the path to write
    ('it is at …'); the shared-images fallback then read the *shared* BSD200 instead, silently (an INFO line), a
    different folder of the same name. Where the path exists beside the config and is not the shared folder, the
    refusal naming it stands; where only the shared folder has it, it is read there."""
    import benchmark.config as config
    from benchmark.config import GridSpec
    from benchmark.errors import UserError

    shared = tmp_path / "elsewhere" / "datasets"
    (shared / "BSD200").mkdir(parents=True)
    (shared / "T91").mkdir(parents=True)
    monkeypatch.setattr(config, "SHARED_DATASETS", shared)
    proj = tmp_path / "home" / "proj"
    (proj / "configs").mkdir(parents=True)
    (proj / "shared" / "datasets" / "BSD200").mkdir(parents=True)  # the user's own, beside the config
    cfg = proj / "configs" / "my.yaml"
    cfg.write_text("train_data: [../shared/datasets/BSD200]\n")
    monkeypatch.chdir(proj)  # ../shared/datasets/BSD200 is not there from here
    with pytest.raises(UserError, match=r"is not in .*it is at .*configs/\.\./shared/datasets/BSD200: write that path"):
        GridSpec.from_file(cfg)
    cfg.write_text("train_data: [../shared/datasets/T91]\n")  # only the shared folder has it: read there
    assert GridSpec.from_file(cfg).train_data == (str(shared / "T91"),)

"""Review of the newuser session-14 fixes: what they must not change, and what they left."""

from __future__ import annotations

import dataclasses

import pytest

from benchmark.errors import UserError


@pytest.fixture(scope="module")
def data_reader():
    """The datasets package, imported once for the module (0.7 s the first test to decode a folder paid)."""
    import datasets  # noqa: F401


@pytest.fixture
def photos(tmp_path, data_reader):
    """A folder of one 64-px photo: enough for the quick profile's 48-px crop, decoded at once."""
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (64, 64), (90, 120, 30)).save(folder / "a.png")
    return str(folder)


def test_where_a_setting_came_from_never_enters_its_identity(photos, tmp_path):
    """``spelt`` and ``filled`` (as ``origins``) say where a setting came from, not what it is: two grids that
    differ only there are equal, hash alike, save the same grid file and plan the same run ids."""
    from benchmark.config import GridSpec, build_configs, run_id

    (tmp_path / "grid.yaml").write_text(f"executor: {{name: local, workers: 2}}\ntasks: [denoise]\nlosses: [l1]\n"
                                        f"train_data: ['{photos}']\ntest_data: ['{photos}']\niterations: 2\n")
    from_file = GridSpec.from_file(tmp_path / "grid.yaml")
    assert from_file.spelt and from_file.origins
    flags = GridSpec(executor="local", workers="2", tasks=("denoise",), losses=("l1",), train_data=(photos,),
                     test_data=(photos,), iterations=2)
    other = dataclasses.replace(flags, spelt=(("crop", "x.crop"),), filled=("crop", "net"))
    for a, b in ((from_file, flags), (flags, other), (from_file.resolved(), flags.resolved()),
                 (flags.resolved(), dataclasses.replace(flags.resolved(), filled=()))):
        assert a == b and hash(a) == hash(b)
        assert a.with_absolute_paths().to_yaml() == b.with_absolute_paths().to_yaml()
        assert "spelt" not in a.to_mapping() and "filled" not in a.to_mapping() and "origins" not in a.to_mapping()
    ids = [sorted(run_id(c) for c in build_configs(s)[0]) for s in (from_file, flags, other)]
    assert ids[0] == ids[1] == ids[2] and ids[0]
    for key in ("spelt", "filled", "origins"):  # nobody's setting: refused as unknown where settings are given
        with pytest.raises(UserError, match=f"unknown setting '{key}'"):
            GridSpec.from_mapping({key: ()}, "api.run()")

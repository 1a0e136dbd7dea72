"""Data inputs and task adapters, probed as a researcher with their own photos would hit them (session 22)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch


@pytest.mark.parametrize("sigma", [1e-30, 1e-24, 1e-6])
def test_deblur_a_tiny_gaussian_sigma_is_the_identity_kernel_not_nan(sigma):
    """gaussian_sigma = 0 is refused for its NaN kernel, but any σ above it was taken, and one under ~1e-23 (2σ² zero
    in float32) still divided 0 by 0 at the kernel's centre: every test image's degrade was NaN (refused only as the
    task's 'values that are not finite', naming no parameter) and every training batch NaN → a σ that small blurs by
    nothing, as any σ under 0.05 already did (a one-pixel kernel): on both the CPU and the device kernels."""
    from benchmark.task import build_task, image_generator
    from tasks.deblur import gaussian_kernel, gaussian_kernels

    delta = torch.zeros(21, 21)
    delta[10, 10] = 1
    assert torch.equal(gaussian_kernel(21, sigma), delta)
    assert torch.equal(gaussian_kernels(21, torch.tensor([sigma, 0.5, 2.0]))[0], delta)
    torch.testing.assert_close(gaussian_kernels(21, torch.tensor([sigma, 0.5, 2.0]))[1:],
                               torch.stack([gaussian_kernel(21, 0.5), gaussian_kernel(21, 2.0)]))
    task = build_task("deblur", gaussian_sigma=(sigma, sigma), p_motion=0.0, noise_sigma=0.0)
    clean = torch.rand(1, 3, 24, 24, generator=torch.Generator().manual_seed(0))
    assert torch.equal(task.degrade(clean, image_generator(task, "k")), clean)
    assert torch.isfinite(task.sample_kernels(4, torch.Generator().manual_seed(0))).all()


def _card(*configs):
    """HfApi().dataset_info's answer for a dataset whose card lists ``configs``: (config name, column names)."""
    from types import SimpleNamespace

    from huggingface_hub import DatasetCardData

    infos = [{"config_name": name, "features": [{"name": c, "dtype": "image" if c == "image" else "string"}
                                                for c in cols]} for name, cols in configs]
    return SimpleNamespace(card_data=DatasetCardData(dataset_info=infos[0] if len(infos) == 1 else infos))


@pytest.mark.parametrize("source, said", [
    ("me/photos:test#imgae", r"dataset 'me/photos' has no column 'imgae'; did you mean image\? \(columns: image, "
                             r"caption\)"),
    ("me/photos/faces#fase", r"dataset 'me/photos/faces' has no column 'fase'; did you mean face\? \(columns: face, "
                             r"name\)"),
])
def test_a_misspelt_column_of_an_online_hub_id_is_refused_while_planning(tmp_path, monkeypatch, source, said):
    """``--test-data me/photos:test#imgae`` (online, not cached): the hub was asked for the id and its splits, not
    the column, so the slip was met at the load — the whole dataset downloaded and prepared, after the training
    sources were decoded (minutes). The hub's answer on the id carries its card, whose dataset_info names each config's
    columns: the column is checked against them, in the load's words, with no other request; a column the card does
    not list (no card, no features, a config it does not name) is left to the load, as before."""
    from conftest import hub_online
    from huggingface_hub import HfApi

    from benchmark.data import DataSpec, check_source_readable
    from benchmark.errors import UserError

    hub_online(monkeypatch, tmp_path)
    card = _card(("default", ["image", "caption"]), ("faces", ["face", "name"]))
    asked = []
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: asked.append(repo) or card)
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train", "test"])
    with pytest.raises(UserError, match=said):
        check_source_readable(DataSpec.parse(source))
    seen: dict = {}
    for ok in ("me/photos:test#image", "me/photos/faces#face", "me/photos#caption.text", "me/photos/other#x"):
        check_source_readable(DataSpec.parse(ok), seen)
    assert asked == ["me/photos", "me/photos"], asked  # once per planning: the card came with the id's answer
    for answer in (None, _card(("default", [])), SimpleNamespace(card_data=None)):  # nothing known: left to the load
        monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, _a=answer, **kw: _a)
        check_source_readable(DataSpec.parse("me/photos:test#imgae"))


def test_an_online_hub_ids_every_split_asks_the_hub_for_no_split_names(tmp_path, monkeypatch):
    """``me/photos:all`` (datasets' every split) has no split to check, but the early check still listed the id's
    splits first (the builder resolved on the hub: up to HUB_CHECK_S, 20 s, while planning) and then passed over the
    answer → not asked for ``:all``; a named split still is, once, and a config's (``me/photos/facez:all``: the listing
    is what refuses a config the id has not)."""
    from conftest import hub_online
    from huggingface_hub import HfApi

    from benchmark.data import DataSpec, check_source_readable

    hub_online(monkeypatch, tmp_path)
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: None)
    listed = []
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda repo, *a, **k: listed.append(repo) or ["train"])
    seen: dict = {}
    check_source_readable(DataSpec.parse("me/photos:all"), seen)
    check_source_readable(DataSpec.parse("me/photos: all "), seen)
    assert listed == []
    check_source_readable(DataSpec.parse("me/photos:train"), seen)
    check_source_readable(DataSpec.parse("me/photos"), seen)
    assert listed == ["me/photos"]
    check_source_readable(DataSpec.parse("me/photos/faces:all"), seen)
    assert listed == ["me/photos", "me/photos"]


@pytest.mark.parametrize("given", ["~photos", "~photos/set5:test", "~no_such_user_x/a#image"])
def test_a_source_under_the_home_of_a_user_this_machine_has_not_is_one_line_not_an_internal_error(
        tmp_path, monkeypatch, capsys, given):
    """``--test-data ~photos`` (meant ~/photos; a shell leaves ``~name`` as typed where no user has that name, and a
    config file's value is never expanded by one): pathlib's expanduser raised RuntimeError('Could not determine home
    directory.'), which ``run`` printed as 'internal error' → a one-line UserError naming the missing user and the
    folder of one's own home it may have meant; a folder of that name in the working directory is still read."""
    from benchmark.cli import main
    from benchmark.data import DataSpec
    from benchmark.errors import UserError

    monkeypatch.chdir(tmp_path)
    user = given[1:].split("/")[0].split("#")[0]
    with pytest.raises(UserError, match=rf"no user {user!r} .* ~/{user}") as err:
        DataSpec.parse(given, role="test")
    assert "\n" not in str(err.value)
    code = main(["run", "--test-data", given, "--out", str(tmp_path / "r"), "--dry-run", "-q"])
    out = capsys.readouterr().err
    assert code != 0 and "internal error" not in out and f"no user {user!r}" in out, out
    (tmp_path / "~photos").mkdir()  # a folder named so, here: read as written
    import numpy as np
    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "~photos" / "a.png")
    assert DataSpec.parse("~photos").kind == "folder"


def test_a_listed_image_under_the_home_of_a_user_this_machine_has_not_is_said_so(tmp_path, monkeypatch, caplog):
    """A list's line ``~photos/a.png`` (meant ~/photos/a.png) was skipped as unreadable in pathlib's words, 'Could not
    determine home directory.', naming neither the user nor the file it looked for → 'no such file' as any path not
    there, with the user this machine has not and the path in one's own home it may mean."""
    import numpy as np
    from PIL import Image

    from benchmark.data import DataSpec, load_images

    monkeypatch.chdir(tmp_path)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "b.png")
    (tmp_path / "list.txt").write_text("~photos/a.png\nb.png\n")
    with caplog.at_level("WARNING"):
        assert [r.image_id for r in load_images(DataSpec.parse("list.txt"))] == ["b"]
    said = [r.getMessage() for r in caplog.records if "~photos/a.png" in r.getMessage()]
    assert said and "no such file: ~photos/a.png" in said[0] and "no user 'photos'" in said[0], said
    assert "~/photos/a.png" in said[0] and "home directory" not in said[0]

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


def test_backbone_weights_help_names_every_kind_the_setting_takes():
    """491c511 refuses a --backbone-weights value that is not a word, a weights key, a checkpoint file or a
    self-trained encoder's name, in those words; the flag's help named only the words and a checkpoint path, so a
    user with a weights key or a ``plbench pretrain`` encoder had it from the error message alone."""
    from benchmark.cli import build_parser

    run = build_parser()._subparsers._group_actions[0].choices["run"]
    text = next(a.help for a in run._actions if "--backbone-weights" in a.option_strings)
    for words in ("random", "pretrained", "auto", "weights key (vgg16:IMAGENET1K_V1", "checkpoint", "self-trained"):
        assert words in text, text


@pytest.mark.parametrize("given", ["file", "home", "name", "name.pt"])
def test_backbone_weights_by_file_or_self_trained_name_pass_the_early_check(given, tmp_path, monkeypatch):
    """491c511's check before the data is read takes what a backbone loads: a checkpoint by path (``~`` too) and a
    self-trained encoder by name, ``.pt`` or not (a weights key and the words: test_probe_newuser14)."""
    import torch

    from benchmark import weights
    from benchmark.config import backbone_weights_known

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(weights, "known_files", lambda: ("vgg16:IMAGENET1K_V1",))  # not torchvision's import
    own = tmp_path / "hub" / "plbench" / "selftrained"
    own.mkdir(parents=True)
    (own / "enc.pt").write_bytes(b"x")
    (tmp_path / "mine.pt").write_bytes(b"x")
    value = {"file": str(tmp_path / "mine.pt"), "home": "~/mine.pt", "name": "enc", "name.pt": "enc.pt"}[given]
    assert backbone_weights_known(value)
    assert not backbone_weights_known(value.replace("mine", "mien").replace("enc", "nec"))


def test_unknown_backbone_weights_name_the_keys_themselves(photos, monkeypatch):
    """491c511's refusal sent the user to `plbench weights` for the weights keys, which lists the files each loss
    needs, not the keys: the message names a backbone's keys (not the metrics' and LPIPS heads', which no backbone
    loads)."""
    from benchmark import weights
    from benchmark.config import GridSpec, build_configs

    monkeypatch.setattr(weights, "known_files", lambda: ("vgg16:IMAGENET1K_V1", "lpips:alex:v0.1", "resnet50:simclr"))
    with pytest.raises(UserError) as e:
        build_configs(GridSpec(tasks=("denoise",), losses=("l1", "vgg"), backbone_weights="imagenet",
                               train_data=(photos,), test_data=(photos,)))
    said = str(e.value)
    assert said.startswith("--backbone-weights imagenet: not random, pretrained, auto, a weights key "
                           "(vgg16:IMAGENET1K_V1, resnet50:simclr), a checkpoint file or a self-trained "), said
    assert "plbench weights" not in said and "lpips:alex" not in said and "\n" not in said, said


@pytest.mark.parametrize("where, chosen", [
    ("net=tiny iterations=5", {"net": "tiny", "iterations": "5"}),
    (["net=tiny  iterations=5"], {"net": "tiny", "iterations": "5"}),
    (["net=tiny", "iterations=5 denoise.sigma=0.1"], {"net": "tiny", "iterations": "5", "denoise.sigma": "0.1"}),
    ("train_data=/data/My Photos", {"train_data": "/data/My Photos"}),  # a value with a space: one condition
])
def test_api_report_where_as_one_string_is_every_filter_in_it(where, chosen):
    """``api.report(out, where="iterations=300 net=small")``, the README's ``--where iterations=300 net=small`` as
    one string, was one filter, net = 'small iterations=300' ... — 'no results match' results that do: each
    FIELD=VALUE in it counts, as the flag's words do."""
    from benchmark.cli import report_options

    assert report_options(where=where)["where"] == chosen


@pytest.mark.parametrize("where", [5, ["net=tiny", 5], [["net=tiny"]], ("net=tiny", None)])
def test_api_report_where_of_another_type_is_one_line(where):
    """``where=5`` or a list holding a number was an AttributeError/TypeError from deep in the filter."""
    from benchmark.cli import report_options

    with pytest.raises(UserError, match=r"^where must be FIELD=VALUE strings \(one or several\) or a mapping, got "):
        report_options(where=where, names={"where": "where"})


@pytest.mark.parametrize("text, said", [
    ("executor: {gpus: 2, partition: gpu}\n", "grid.yaml: executor.partition, executor.gpus are settings of the slurm "
     "executor, and this grid names no executor, so it would train here with the local one: add name: slurm to its "
     "executor block, or drop them"),
    ("slurm_time: '4:00:00'\n", "grid.yaml: slurm_time is a setting of the slurm executor, and this grid names no "
     "executor, so it would train here with the local one: add executor: slurm, or drop it"),
    ("executor: {ray_address: auto}\n", "grid.yaml: executor.ray_address is a setting of the ray executor"),
])
def test_a_remote_executors_setting_in_a_grid_naming_no_executor_is_refused(text, said, tmp_path):
    """``executor: {gpus: 2, partition: gpu}`` (no ``name:``) trained the whole grid here, in one process, the SLURM
    settings dropped without a word — as ``--slurm-gpus 2`` without ``--executor slurm`` did before the flag was
    refused: refused alike, before any data is read, naming the key as the file wrote it. A flag's ``--executor
    local`` over the file's block leaves its settings unused, as before."""
    from benchmark.config import GridSpec, build_configs

    (tmp_path / "grid.yaml").write_text(text + "tasks: [denoise]\nlosses: [l1]\ntrain_data: [/nowhere/at/all]\n")
    spec = GridSpec.from_file(tmp_path / "grid.yaml")
    with pytest.raises(UserError) as e:
        build_configs(spec)
    assert str(e.value).startswith(said), e.value
    with pytest.raises(UserError, match="dataset folder not found"):  # executor local given: unused, as before
        build_configs(spec.merged(GridSpec(executor="local")))


def test_api_run_with_a_slurm_setting_and_no_executor_is_refused(tmp_path):
    from benchmark import api

    with pytest.raises(UserError, match=r"^api\.run\(\): slurm_partition is a setting of executor='slurm', .*: "
                                        r"pass executor='slurm', or drop it$"):
        api.run(slurm_partition="gpu", tasks=["denoise"], losses=["l1"], out=str(tmp_path / "r"),
                train_data=["/nowhere/at/all"])


def test_api_reports_where_messages_speak_of_where_not_the_flag(tmp_path):
    """api.report(out, where=...) that matched nothing told its user to run '`plbench report` without --where', and
    one over several settings to 'pick one with `plbench report --where …`': flags of a command the Python user never
    ran; said in the keyword's words, as its other messages are (the command's as before)."""
    import json

    from benchmark import api
    from benchmark.settings import select
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1), metrics=("psnr",), n_images=2,
                        budget_check=False)
    with pytest.raises(UserError) as e:
        api.report(str(store.root), where={"net": "small"}, formats="png", visual=False, html=False)
    assert str(e.value).endswith("(they have net: tiny; without where, api.report() lists the settings)"), e.value
    table = store.table()
    two = table.copy()
    two["setting"] = [json.dumps({**json.loads(s), "iterations": 7}) if str(seed) == "1" else s
                      for s, seed in zip(two["setting"], two["seed"])]
    with pytest.raises(UserError, match=r"pick one with where='iterations=7'"):
        select(two, where_name="where")
    with pytest.raises(UserError, match=r"pick one with `plbench report --where iterations=7`"):
        select(two)


@pytest.mark.parametrize("given", ["dir/enc.pt", "~/gone/enc.pt", "/gone/enc.pth"])
def test_a_checkpoint_path_not_there_is_said_to_be_missing(given, tmp_path, monkeypatch):
    """``--backbone-weights ~/ckpt/enc.pt`` (moved, or a typo in a folder) was refused as 'not random, pretrained,
    auto, a weights key (… ten keys …), a checkpoint file or a self-trained encoder': it is a checkpoint file, one
    not there — said so, with the path looked at (Backbone's own words before 491c511: 'not found: …')."""
    from pathlib import Path

    from benchmark import weights
    from benchmark.config import GridSpec, build_configs

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(weights, "known_files", lambda: ("vgg16:IMAGENET1K_V1",))
    with pytest.raises(UserError) as e:
        build_configs(GridSpec(tasks=("denoise",), losses=("vgg",), backbone_weights=given))
    where = Path(given).expanduser().absolute()
    assert str(e.value) == f"--backbone-weights {given}: checkpoint file not found: {where}", e.value


def test_the_saved_grid_names_a_relative_checkpoint_by_its_absolute_path(tmp_path, monkeypatch):
    """``--backbone-weights ckpts/enc.pt`` was saved in ``<out>/grids/<time>.yaml`` as written, so ``--config`` on
    that grid from another directory was refused, checkpoint not found, where its data folders and loss files are
    made absolute for that; a weights key or a self-trained name is left as written."""
    from benchmark.config import GridSpec

    (tmp_path / "ckpts").mkdir()
    (tmp_path / "ckpts" / "enc.pt").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    saved = GridSpec(backbone_weights="ckpts/enc.pt").with_absolute_paths()
    assert saved.backbone_weights == str(tmp_path.resolve() / "ckpts" / "enc.pt")
    for kept in ("random", "vgg16:IMAGENET1K_V1", "my_encoder", "/abs/enc.pt"):
        assert GridSpec(backbone_weights=kept).with_absolute_paths().backbone_weights == kept

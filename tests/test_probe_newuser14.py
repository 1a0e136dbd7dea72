"""Probe of a new user's first hour (session 14): the README followed on a fresh clone with a folder of one's own
photos, every setting got wrong as a new user gets it wrong."""

from __future__ import annotations

import pytest

from benchmark.errors import UserError


def _grid(tmp_path, text: str, **flags):
    """The grid ``run --config grid.yaml`` plans from a file holding ``text`` and these flags."""
    from benchmark.config import GridSpec

    path = tmp_path / "grid.yaml"
    path.write_text(text)
    return GridSpec.from_file(path).merged(GridSpec(**flags))


@pytest.fixture(scope="module")
def data_reader():
    """The datasets package, imported once for the module: the first test to decode a folder paid its import
    (0.7 s of a 1.3 s test) where the others did not."""
    import datasets  # noqa: F401


@pytest.mark.parametrize("flags, said", [
    ({"tasks": ("deblur",), "task_params": (("deblur", (("kernel_size", 99),)),), "losses": ("l1",)},
     "the quick profile's crop 48 is too small for task deblur: it needs ≥ 50 px"),
    ({"profile": "standard", "tasks": ("sr4",), "task_params": (("sr4", (("scale", 64),)),),
      "losses": ("l1",), "backbone_weights": "random", "train_data": ("skimage:train",),
      "test_data": ("skimage:test",)},
     "the standard profile's crop 96 is too small for task sr4"),
    ({"tasks": ("deblur",), "crop": 10, "losses": ("l1",)}, "--crop 10 is too small for task deblur"),
])
def test_a_profiles_crop_is_not_blamed_on_a_flag_the_user_never_gave(flags, said):
    """``--tasks deblur --task-param deblur.kernel_size=99`` was refused as '--crop 48 is too small for task deblur',
    a flag the user never typed (48 is the quick profile's): a value the profile filled in is named as the profile's;
    one the user gave, as the flag."""
    from benchmark.config import GridSpec, build_configs

    with pytest.raises(UserError) as e:
        build_configs(GridSpec(**flags))
    assert str(e.value).startswith(said), e.value


def test_a_profiles_device_is_not_blamed_on_a_flag_the_user_never_gave(tmp_path):
    from benchmark.config import GridSpec, build_configs

    with pytest.raises(UserError, match=r"^--executor ray with the quick profile's device auto: the runs would be "
                                        r"planned for this machine's device .*; pass --device cuda or --device cpu"):
        build_configs(GridSpec(executor="ray"), local=False)
    with pytest.raises(UserError, match=r"^--executor ray with --device auto: "):  # given: the flag, as before
        build_configs(GridSpec(executor="ray", device="auto"), local=False)


def test_a_profiles_crop_is_named_so_in_the_warning_that_it_trains_smaller_crops(caplog, tmp_path, data_reader):
    from benchmark.config import GridSpec, build_configs

    with pytest.raises(UserError):  # stopped after the warning: planning reads the data next
        build_configs(GridSpec(tasks=("sr4",), task_params=(("sr4", (("scale", 5),)),), losses=("l1",),
                               train_data=(str(tmp_path / "none"),)))
    assert "the quick profile's crop 48 trains 45-px crops for task sr4" in caplog.text, caplog.text


@pytest.mark.parametrize("text, said", [
    ("executor: {name: slurm, gpus: 2}\ndevice: cuda\n", "grid.yaml: executor.gpus 2: each SLURM job trains one run"),
    ("executor: {name: slurm, gpus: two}\n", "grid.yaml: setting executor.gpus expects a whole number, got 'two'"),
    ("executor: {name: slurm, cpus: 0}\ndevice: cpu\n", "grid.yaml: executor.cpus must be at least 1, got 0"),
    ("executor: {name: slurm, time: banana}\ndevice: cpu\n", "grid.yaml: executor.time 'banana' is not a positive"),
    ("executor: {name: slurm, mem: lots}\ndevice: cpu\n", "grid.yaml: executor.mem 'lots' is not a memory size"),
    ("executor: {name: slurm, gpus: 1}\ndevice: cpu\n", "grid.yaml: device cpu with executor.gpus 1: jobs given GPUs"),
    ("executor: {name: local, workers: 0}\n", "grid.yaml: executor.workers must be at least 1, got 0"),
    ("executor: {name: slurm, slurm_cpus: 0}\ndevice: cpu\n", "grid.yaml: executor.slurm_cpus must be at least 1"),
    ("executor: slurm\nslurm_cpus: 0\ndevice: cpu\n", "grid.yaml: slurm_cpus must be at least 1, got 0"),
])
def test_a_config_files_executor_block_is_named_by_its_own_keys(text, said, tmp_path):
    """``executor: {name: slurm, gpus: 2}`` was refused as 'grid.yaml: slurm_gpus 2: …', a key the file does not
    hold: each executor option is named as the file wrote it, ``executor.gpus`` (a top-level ``slurm_cpus:``
    as ``slurm_cpus``)."""
    from benchmark.config import build_configs
    from benchmark.executors import executor_options

    with pytest.raises(UserError) as e:
        spec = _grid(tmp_path, text)
        executor_options(spec.resolved())
        build_configs(spec, local=False)
    assert str(e.value).startswith(said), e.value


@pytest.mark.parametrize("command", ["report", "compare", "calibrate"])
def test_where_given_twice_keeps_both_filters(command):
    """``report --where iterations=120 --where denoise.sigma=0.1`` kept the last filter alone, in a warning, so the
    report picked (or refused) a setting by the second filter only: a filter narrows, so every ``--where`` counts,
    as ``--task-param`` and ``--train-data`` gather theirs (``FIELD=VALUE`` pairs given together or apart are one
    condition, AND)."""
    from benchmark.cli import _Parser, build_parser
    from benchmark.settings import parse_where

    argv = [command, "--where", "iterations=120", "--where", "denoise.sigma=0.1", "net=tiny"]
    _Parser.argv = argv
    args = build_parser().parse_args(argv)
    assert not getattr(args, "_once_repeated", None), args._once_repeated
    assert parse_where(args.where) == {"iterations": "120", "denoise.sigma": "0.1", "net": "tiny"}


def test_where_given_twice_for_one_field_with_two_values_is_refused(tmp_path, capsys):
    from benchmark import cli
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1), metrics=("psnr",), n_images=2,
                        budget_check=False)
    assert cli.main(["report", "--out", str(store.root), "--where", "net=tiny", "--where", "net=small"]) == 2
    assert "error: --where net is given twice (tiny and small)" in capsys.readouterr().err


@pytest.mark.parametrize("text, flags, said", [
    ("tasks: {denoise: {sigmaa: 0.1}}\n", {}, "grid.yaml: task 'denoise' has no parameter sigmaa; did you mean sigma?"),
    ("tasks: {denoise: {sigma: high}}\n", {}, "grid.yaml: task 'denoise' parameter sigma expects"),
    ("task_params: {denoise: {sigma: -1}}\ntasks: [denoise]\n", {}, "grid.yaml: task 'denoise'"),
    ("tasks: [denoise]\n", {"task_params": (("denoise", (("sigmaa", 0.1),)),)}, "task 'denoise' has no parameter"),
])
def test_a_config_files_bad_task_parameter_is_named_by_the_file(text, flags, said, tmp_path):
    """``tasks: {denoise: {sigmaa: 0.1}}`` in a config file was refused as 'task 'denoise' has no parameter sigmaa',
    the only setting error that did not say which file gave it: named by the file as every other key is (a
    ``--task-param`` flag's as before)."""
    from benchmark.config import build_configs

    with pytest.raises(UserError) as e:
        build_configs(_grid(tmp_path, text, losses=("l1",), **flags))
    assert str(e.value).startswith(said), e.value


def test_api_run_names_its_bad_task_parameter(tmp_path):
    from benchmark import api

    with pytest.raises(UserError, match=r"^api\.run\(\): task 'denoise' has no parameter sigmaa"):
        api.run(tasks={"denoise": {"sigmaa": 0.1}}, losses=["l1"], out=str(tmp_path / "r"))


@pytest.mark.parametrize("text, flags, said", [
    ("backbone_weights: imagenet\n", {}, "grid.yaml: backbone_weights imagenet: not "),
    ("tasks: [denoise]\n", {"backbone_weights": "imagenet"}, "--backbone-weights imagenet: not "),
    ("backbone_weights: randm\n", {}, "grid.yaml: backbone_weights randm: not "),
])
def test_unknown_backbone_weights_are_refused_naming_the_setting_before_the_data_is_read(text, flags, said, tmp_path,
                                                                                         monkeypatch):
    """``backbone_weights: imagenet`` (or ``--backbone-weights imagenet``) was refused only once every data source
    was decoded (20 s on the quick profile, minutes on the full one) and as 'backbone alexnet: weights must be …',
    naming neither the setting nor the file: now at once, before any image is read (a training source that is not
    there is not reached), naming both, with the spelling meant where it is a slip."""
    from benchmark.config import build_configs
    from benchmark.runner import DataCache

    class NotRead(DataCache):
        def pooled(self, specs):
            raise AssertionError("the data was read before the weights were checked")

    from benchmark import weights

    keys = ("vgg16:IMAGENET1K_V1", "alexnet:IMAGENET1K_V1")  # of the keys, not torchvision's import (4 s)
    monkeypatch.setattr(weights, "known_files", lambda: keys)
    with pytest.raises(UserError) as e:
        build_configs(_grid(tmp_path, text, losses=("l1", "vgg"), **flags), NotRead())
    assert str(e.value).startswith(said), e.value
    assert "random" in str(e.value) and "pretrained" in str(e.value), e.value
    if "randm" in text:
        assert "did you mean random" in str(e.value), e.value


def test_an_empty_out_is_named_where_it_was_given(tmp_path):
    """``api.run(out="")``, ``out: ""`` in a config file and ``api.report("")`` were refused as '--out is empty', a
    flag never given: each is named as its user wrote it (the flag's message as before)."""
    from benchmark import api, cli
    from benchmark.config import GridSpec

    with pytest.raises(UserError, match=r"^api\.run\(\): out is empty: name a results directory"):
        api.run(out="", tasks=["denoise"], losses=["l1"])
    (tmp_path / "grid.yaml").write_text("out: ''\n")
    with pytest.raises(UserError, match=r"^grid\.yaml: out is empty: name a results directory"):
        cli.planned(GridSpec.from_file(tmp_path / "grid.yaml"))  # run's checks (api.run's): the file is only read
    for call in (lambda: api.report(""), lambda: api.load_results(" ")):
        with pytest.raises(UserError, match=r"^out is empty: name a results directory$"):
            call()
    from benchmark.results import ResultsStore

    with pytest.raises(UserError, match=r"^--out is empty: name a results directory \(e\.g\. --out results\)$"):
        ResultsStore("")


@pytest.mark.parametrize("key", ["train_data", "test_data"])
def test_a_config_files_missing_data_folder_is_named_by_the_file(key, tmp_path, data_reader):
    """``train_data: ~/photos/holiday`` (a folder not there) in a config file was refused as 'dataset folder not
    found: …', naming no file, where every other bad value of a file is named by it: now 'grid.yaml: dataset folder
    not found: …' (a flag's as before)."""
    from PIL import Image

    from benchmark.config import GridSpec, build_configs

    missing, small = tmp_path / "My Phötos été", tmp_path / "small"  # the other side: one small photo, read at once
    small.mkdir()
    Image.new("RGB", (16, 16), (90, 120, 30)).save(small / "a.png")
    other = {"train_data": "test_data", "test_data": "train_data"}[key]
    with pytest.raises(UserError, match=r"^grid\.yaml: dataset folder not found: .*My Phötos été"):
        build_configs(_grid(tmp_path, f"{key}: '{missing}'\n{other}: '{small}'\nlosses: [l1]\ntasks: [denoise]\n"))
    with pytest.raises(UserError, match=r"^dataset folder not found: .*My Phötos été"):
        build_configs(GridSpec(losses=("l1",), tasks=("denoise",), **{key: (str(missing),), other: (str(small),)}))


@pytest.mark.parametrize("text, flags, said", [
    ("tasks: [denoise, sr4]\nlosses: [l1, lpips]\nloss_tasks: {'lpips*': [sr4]}\n", {},
     "grid.yaml: loss_tasks: 'lpips*' names "),
    ("tasks: [denoise, sr4]\nlosses: [l1, lpips]\nloss_tasks: {lpips: [sr5]}\n", {},
     "grid.yaml: unknown task 'sr5'; did you mean sr4?"),
    ("tasks: [denoise, sr4]\nlosses: [l1, lpips]\n", {"loss_tasks": (("lpips*", ("sr4",)),)},
     "--loss-tasks: 'lpips*' names "),
])
def test_loss_tasks_errors_name_the_flag_or_the_file(text, flags, said, tmp_path):
    """``--loss-tasks 'lpips*=sr4'`` was refused as 'loss_tasks: 'lpips*' names 3 losses', a key of no file the user
    wrote, and ``loss_tasks: {lpips: [sr5]}`` in a config file as 'unknown task 'sr5'', naming no file: each is
    named where it was given."""
    from benchmark.config import build_configs

    with pytest.raises(UserError) as e:
        build_configs(_grid(tmp_path, text, **flags))
    assert str(e.value).startswith(said), e.value

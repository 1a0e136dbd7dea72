"""A new user's first hour, probed (20): an unknown option's hint on every subcommand, …"""

import argparse
import re

import datasets  # noqa: F401  (what reading a data source's token imports)
import pytest
import torch._dynamo  # noqa: F401  (what Adam imports at its first use: imported once, not in a test's time)

import benchmark.checkpoint  # noqa: F401  (what `run` and `pretrain` import: imported once, not in a test's time)
import benchmark.pretrain  # noqa: F401
import benchmark.runner  # noqa: F401
from benchmark.cli import build_parser, main

_COMMANDS = sorted(next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices)


def _last_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[-1]


@pytest.mark.parametrize("command", _COMMANDS)
@pytest.mark.parametrize("word", ["--epochs", "--max-steps", "--iterations", "--steps"])
def test_a_training_length_flag_gets_the_commands_own_or_a_hint_on_every_subcommand(command, word, capsys):
    """``plbench pretrain --epochs 3`` (its option is --steps) said only 'unrecognized arguments', ``perf --epochs``
    'did you mean --reps?' by spelling alone, ``list --epochs 3`` 'invalid choice: '3'' (the option not named)."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    own = {o for a in sub._actions for o in a.option_strings}
    if word in own:
        pytest.skip(f"{word} is {command}'s own option")
    with pytest.raises(SystemExit) as exc:
        main([command, word, "3"])
    assert exc.value.code == 2
    said = _last_error(capsys)
    assert said.startswith(f"error: unrecognized arguments: {word}"), said
    offered = re.search(r"; did you mean (--[\w-]+)\? \(" + command + r" counts ", said)
    if offered:
        assert offered.group(1) in own, said
        assert ("not epochs" in said) == (word == "--epochs"), said
    else:
        assert ("; compare trains for as many iterations as the field's runs in --out" in said
                or "is an option of run: compare trains at the settings" in said if command == "compare"
                else f"; {command} trains nothing (a grid's training length is `plbench run --iterations`)" in said), \
            said
    if command in ("run", "pretrain", "perf"):  # the commands that train or time steps are offered their count
        assert offered, said


@pytest.mark.parametrize("flags, said", [
    (["--lr", "-1"], "error: lr must be positive and finite, got -1.0"),
    (["--lr", "0"], "error: lr must be positive and finite, got 0.0"),
    (["--seed", "-1"], "error: seed must be in [0, 2**63), got -1"),
    (["--crop", "3"], "error: crop 3: every distortion class cuts the crops (BatchNorm recalibration, the probe) and "
                      "takes a multiple of 4 px from 8: use 8"),
    (["--crop", "9"], "error: crop 9: every distortion class cuts the crops (BatchNorm recalibration, the probe) and "
                      "takes a multiple of 4 px from 8: use 8 or 12"),
    (["--classes-per-batch", "0"], "error: classes_per_batch must be in [1, 18] (the 17 distortion classes and "
                                   "pristine), got 0"),
    (["--classes-per-batch", "100"], "error: classes_per_batch must be in [1, 18]"),
    (["--save-every", "-1"], "error: save_every must be 0 (never) or a positive number of steps, got -1"),
    (["--probe", "--probe-random-seeds", "0"], "error: --probe-random-seeds must be at least 1, got 0"),
])
def test_pretrain_refuses_an_out_of_range_value_before_reading_any_image(flags, said, tmp_path, monkeypatch, capsys):
    """``plbench pretrain --lr -1`` and ``--crop 3``/``9`` were internal errors (Adam's, a task's) after the data was
    read; ``--save-every 0`` a ZeroDivisionError after the first step; ``--lr 0``, ``--seed -1``,
    ``--classes-per-batch 0`` or ``100`` (drawn as 1 or all 18) and ``--probe-random-seeds 0`` (taken as 1) trained."""
    from benchmark import data

    def no_images(*a, **k):
        raise AssertionError("an image was read")

    monkeypatch.setattr(data, "load_images", no_images)
    assert main(["pretrain", "--out-dir", str(tmp_path), "--device", "cpu", *flags]) == 2
    got = _last_error(capsys)
    assert got.startswith(said), got
    assert not any(tmp_path.iterdir())


def test_pretrain_save_every_0_saves_no_state_and_trains(tmp_path):
    """``--save-every 0`` means never, as run's ``--checkpoint-every 0`` (it was a ZeroDivisionError at step 1)."""
    import torch

    from benchmark.data import ImageRecord
    from benchmark.pretrain import PretrainConfig, pretrain

    images = [ImageRecord(f"i{i}", (torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(i)) * 255)
                          .to(torch.uint8)) for i in range(3)]
    cfg = PretrainConfig(steps=1, batch_size=2, crop=8, classes_per_batch=2, bn_recalibrate=False)
    path = pretrain(cfg, out_dir=tmp_path, save_every=0, images=images, quiet=True)
    assert path.is_file() and not list(tmp_path.glob("*.state.pt"))


def test_merge_does_not_call_a_held_out_folder_that_is_here_away(tmp_path):
    """``plbench merge`` of a store whose grid trained on ``'/my photos/Ünïcode fotos[holdout=25%]'`` said that
    folder was 'not on this machine: it replays only where that is' — the folder beside it: the ``[holdout=…]`` and
    ``[max_images=N]`` options were read as part of its name."""
    import json

    from benchmark.results import paths_not_here

    folder = tmp_path / "my photos" / "Ünïcode fotos"
    folder.mkdir(parents=True)
    gone = tmp_path / "gone"
    grid = tmp_path / "g.yaml"
    grid.write_text(json.dumps({"train_data": [f"{folder}[holdout=25%]", f"{folder}:train[max_images=3]",
                                               f"{gone}[holdout=25%]"],
                                "test_data": [f"{folder}[holdout=25%]", f"{folder}[holdout=25%:test]"]}))
    assert paths_not_here(grid) == [f"{gone}[holdout=25%]"]


def test_python_m_benchmark_configs_help_prints_its_usage(capsys):
    """``python -m benchmark.configs --help`` (README names the command) was "no shipped config file '--help'", exit
    1; ``--list`` alike: now the usage, exit 0, and an unknown option said as one."""
    from benchmark.configs.__main__ import main as configs_main

    for flag in ("--help", "-h"):
        configs_main([flag])
        out = capsys.readouterr().out
        assert out.startswith("usage: python -m benchmark.configs [NAME ...]") and "configs/cpu.yaml" in out, out
    with pytest.raises(SystemExit) as got:
        configs_main(["--list"])
    said = capsys.readouterr().err
    assert got.value.code == 2, got.value
    assert said.startswith("error: unknown option '--list' (usage: python -m benchmark.configs"), said


def test_api_report_names_every_unknown_keyword_and_the_flags_own(tmp_path):
    """A notebook copying ``plbench report --bootstrap 2000 --no-visual`` as ``api.report(bootstrap=2000)`` was told
    only "unknown option 'bootstrap'" (its keyword is n_boot), and of two typos only the first was named, the second
    refused on the next try, where a config file's or api.run()'s unknown keys are all named in one line."""
    from benchmark import api

    with pytest.raises(api.UserError) as got:
        api.report(tmp_path, bootstrap=2000)
    assert str(got.value) == "api.report(): unknown option 'bootstrap', pass n_boot=N", got.value
    with pytest.raises(api.UserError) as got:
        api.report(tmp_path, formts="png", no_visual=True, out_dir="x")
    assert str(got.value) == ("api.report(): unknown options 'formts', did you mean formats?; 'no_visual', pass "
                              "visual=False; 'out_dir' (options: baseline, alpha, n_boot, formats, visual, where, "
                              "html)"), got.value


@pytest.mark.parametrize("word", ["all", "*"])
def test_metrics_all_is_not_offered_two_pyiqa_metrics(word, tmp_path, capsys):
    """``--metrics all`` (as ``--losses all``) was 'unknown metric 'all'; did you mean qualiclip, afine_all?' — two
    pyiqa metrics, one of them learned —; now it says metrics are named one by one, in a file and api.run() alike."""
    from benchmark import api

    (tmp_path / "afile").write_text("x")
    assert main(["run", "--metrics", "psnr", word, "--out", str(tmp_path / "afile")]) == 2
    said = _last_error(capsys)
    assert said.startswith(f"error: --metrics {word}: {word!r} is for losses only (--losses all names every "
                           "registered loss), not every metric: name the metrics, e.g. --metrics psnr ssim "
                           "lpips ("), said
    assert "did you mean" not in said, said
    with pytest.raises(api.UserError, match=r"^api.run\(\): metrics=\[.*\]: .* is for losses only"):
        api.run(metrics=[word], out=str(tmp_path / "afile"))


def test_run_out_and_compare_device_help_say_what_the_defaults_do():
    """``run --help`` said ``--out`` defaults to results, where ``--config configs/cpu.yaml`` writes to results-cpu
    (README: a results folder holds one grid's settings); ``compare --help`` said ``--device`` takes auto, not that
    auto is the field's kind of device (a CPU field's loss trains on the CPU on a GPU machine too)."""
    from benchmark.config import RUN_DEFAULTS, GridSpec

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    out = next(a for a in subs["run"]._actions if a.dest == "out")
    assert out.help.endswith(f"(default: the --config file's out, else {RUN_DEFAULTS['out']})"), out.help
    assert GridSpec.from_file("configs/cpu.yaml").out not in (None, RUN_DEFAULTS["out"])
    device = next(a for a in subs["compare"]._actions if a.dest == "device")
    assert device.default == "auto" and "auto: the kind of device the field trained on" in device.help, device.help

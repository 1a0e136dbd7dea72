"""Review of the newuser probe (20): pretrain's crop rule, a positional's typo after an unknown option, …"""

import re

import pytest
import torch
from conftest import dry_run_estimate, metric_set_of

import benchmark.pretrain  # noqa: F401  (imported once, not in a test's time)
from benchmark.cli import main


def _images(n: int = 3, side: int = 40):
    from benchmark.data import ImageRecord

    return [ImageRecord(f"i{i}", (torch.rand(3, side, side, generator=torch.Generator().manual_seed(i)) * 255)
                        .to(torch.uint8)) for i in range(n)]


@pytest.mark.parametrize("recipe, crop", [("contrique", 10), ("contrique", 6), ("simclr", 10), ("simclr", 9)])
def test_pretrain_refuses_a_crop_its_bn_recalibration_cannot_distort(recipe, crop, tmp_path, monkeypatch, capsys):
    """``--crop 10`` (offered by the refusal of ``--crop 9``) and ``--recipe simclr --crop 9`` passed the check (a
    contrique 2·crop region a multiple of 4, simclr nothing) and trained every step, then BatchNorm recalibration cut
    crop-px crops through the ×4 bicubic class: 'image 10×10 is not a multiple of scale 4', the encoder lost."""
    from benchmark import data

    def no_images(*a, **k):
        raise AssertionError("an image was read")

    monkeypatch.setattr(data, "load_images", no_images)
    assert main(["pretrain", "--recipe", recipe, "--crop", str(crop), "--out-dir", str(tmp_path), "--device",
                 "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: crop {crop}: every distortion class cuts the crops"), err
    assert "multiple of 4 px from 8: use 8" in err[0], err


@pytest.mark.parametrize("recipe", ["contrique", "simclr"])
def test_a_crop_pretrain_takes_trains_through_its_bn_recalibration(recipe, tmp_path):
    """What the check lets through (12: a multiple of 4, not of 8) trains and recalibrates: the rule is no stricter
    than the distortion classes."""
    from benchmark.pretrain import PretrainConfig, pretrain

    kw = {"classes_per_batch": 2} if recipe == "contrique" else {}
    cfg = PretrainConfig(recipe=recipe, steps=1, batch_size=2, crop=12, **kw)
    assert pretrain(cfg, out_dir=tmp_path, save_every=0, images=_images(2, 24), quiet=True).is_file()


@pytest.mark.parametrize("argv, said", [
    (["list", "--json", "lossess"], "error: argument what: invalid choice: 'lossess' (choose from 'all', 'tasks', "
                                    "'losses', 'metrics'); did you mean losses?; --json is not an option of list ("),
    (["weights", "--json", "lst"], "error: argument action: invalid choice: 'lst' (choose from 'list', 'prefetch'); "
                                   "did you mean list?; --json is not an option of weights ("),
    (["list", "--epochs", "3"], "error: unrecognized arguments: --epochs 3; list trains nothing"),
])
def test_a_positionals_typo_after_an_unknown_switch_keeps_its_did_you_mean(argv, said, capsys):
    """``plbench list --json lossess`` was 'unrecognized arguments: --json lossess' — the typo of ``losses`` taken
    for the unknown option's value, its 'did you mean losses?' lost — since ``list --epochs 3`` is said as the option
    and its value; a word close to a choice is the positional's typo, the option named beside it."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(said), err


def test_the_plan_line_says_how_many_seeds_seeds_3_is(tmp_path, monkeypatch, capsys):
    """``seeds: 3`` in a file (``--seeds 3`` alike) is seed 3, one seed, and the dry run's plan line said only
    "1 run (quick profile; …)": a user who meant three seeds learnt it from the leaderboard's seeds = 1."""
    import dataclasses

    import benchmark.metrics
    import benchmark.perf
    from benchmark import cli
    from benchmark.config import GridSpec, RunConfig
    from benchmark.results import ResultsStore

    monkeypatch.setattr(benchmark.perf, "estimate_grid", lambda configs, *a, **k: dry_run_estimate(configs))
    monkeypatch.setattr(benchmark.metrics, "MetricSet", metric_set_of("psnr"))
    monkeypatch.setattr(cli, "_check_fits_as_the_run", lambda *a, **k: None)
    cfg = tmp_path / "grid.yaml"
    cfg.write_text("tasks: [denoise]\nlosses: [l1]\nseeds: 3\n")
    assert tuple(GridSpec.from_file(cfg).seeds) == (3,)
    one = RunConfig(task="denoise", loss="l1", seed=3, iterations=4, batch_size=2, crop=32)
    args = type("Args", (), {"dry_run": True})()
    store = ResultsStore(tmp_path / "r")
    assert cli._dry_run(args, [one], ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert "dry run: 1 run (quick profile; net tiny, 4 iterations of 2×32²), 1 seed (3), on cpu" \
        in capsys.readouterr().out
    three = [dataclasses.replace(one, seed=s) for s in (0, 1, 2)]
    assert cli._dry_run(args, three, ("psnr",), torch.device("cpu"), "quick", {}, store=store) == 0
    assert "3 runs (quick profile; net tiny, 4 iterations of 2×32²), 3 seeds (0 1 2), on" in capsys.readouterr().out


@pytest.mark.parametrize("argv, dest, value", [
    (["pretrain", "--steps", "1e3"], "steps", 1000), (["pretrain", "--save-every", "5e1"], "save_every", 50),
    (["perf", "--reps", "1e2"], "reps", 100), (["report", "--bootstrap", "2e3"], "bootstrap", 2000),
    (["calibrate", "--nulls", "1e3"], "nulls", 1000),
])
def test_every_commands_whole_number_flag_reads_1e3_as_runs_do(argv, dest, value):
    """``plbench run --iterations 1e4`` is 10000 (as ``iterations: 1e4`` in a file) but ``pretrain --steps 1e3``,
    ``perf --reps 1e2`` and ``report --bootstrap 2e3`` were 'invalid int value': one reader for every command."""
    from benchmark.cli import build_parser

    args = build_parser().parse_args(argv)
    got = getattr(args, dest)
    assert got == value and type(got) is int, vars(args)


def test_a_fractional_whole_number_flag_is_still_invalid(capsys):
    """``--steps 2.5`` stays argparse's one line, its type named int."""
    with pytest.raises(SystemExit):
        main(["pretrain", "--steps", "2.5"])
    assert "argument --steps: invalid int value: '2.5'" in capsys.readouterr().err


@pytest.mark.parametrize("field, value, said", [
    ("tau", -0.1, "tau must be positive and finite, got -0.1"), ("tau", 0.0, "tau must be positive and finite"),
    ("tau", float("nan"), "tau must be positive and finite"),
    ("warmup", -1.0, "warmup must be a fraction of the steps in [0, 1], got -1.0"),
    ("warmup", 2.0, "warmup must be a fraction of the steps in [0, 1], got 2.0"),
    ("proj_dim", 0, "proj_dim must be positive, got 0"),
])
def test_pretrain_config_refuses_every_out_of_range_field(field, value, said):
    """c3be40b checked the fields pretrain's flags set (lr, seed, crop, classes_per_batch); ``PretrainConfig(tau=-0.1)``
    and ``warmup=2.0`` still trained unsaid (under another file name), ``tau=0`` diverged at step 1 after the data was
    read, ``proj_dim=0`` was an IndexError at the first step."""
    from benchmark.errors import UserError
    from benchmark.pretrain import PretrainConfig

    with pytest.raises(UserError, match=r"^" + re.escape(said)):
        PretrainConfig(**{field: value})

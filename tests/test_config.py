"""Building a grid: profile + config file + flags (benchmark/config.py), the shipped example files,
and the resolved grid saved beside the results."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmark.cli import build_parser, grid_spec
from benchmark.config import GridSpec, build_configs, run_id
from benchmark.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def _spec(*argv) -> GridSpec:
    return grid_spec(build_parser().parse_args(["run", *argv]))


def test_flags_override_the_file(tmp_path):
    f = tmp_path / "grid.yaml"
    f.write_text("tasks: {denoise: {sigma: 0.2}, sr4: {}}\nlosses: [l1, {vgg: {layers: [relu1_2]}}]\n"
                 "seeds: 3\niterations: 50\nexecutor: {name: local, workers: 2}\n")
    spec = _spec("--config", str(f), "--iterations", "7", "--task-param", "denoise.clip=False")
    assert spec.iterations == 7 and spec.seeds == (3,) and spec.workers == "2" and spec.executor == "local"
    assert spec.tasks == ("denoise", "sr4") and spec.losses == ("l1", "vgg(layers=('relu1_2',))")
    assert dict(spec.task_params)["denoise"] == (("clip", False), ("sigma", 0.2))
    r = spec.resolved()
    assert r.net == "tiny" and r.crop == 48 and r.out == "results"  # the quick profile and the run defaults


@pytest.mark.parametrize("text,pattern", [
    ("iteratons: 5\n", r"grid\.yaml: unknown setting 'iteratons'; did you mean iterations\?"),
    ("iterations: five\n", r"grid\.yaml: setting argument iterations expects int \| None, got 'five'"),
    ("losses: [{vgg: 1, pdl: 2}]\n", r"a loss is a spec string or"),
    ("tasks: [denoise\n", r"grid\.yaml is not valid YAML"),
    ("- just a list\n", r"expected a mapping of settings"),
])
def test_bad_config_files_are_one_line_errors(tmp_path, text, pattern):
    f = tmp_path / "grid.yaml"
    f.write_text(text)
    with pytest.raises(UserError, match=pattern):
        GridSpec.from_file(f)


def test_a_missing_config_file():
    with pytest.raises(UserError, match="config file not found"):
        GridSpec.from_file("/nonexistent/grid.yaml")


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_config_files_are_their_profiles(path):
    """configs/<profile>.yaml plans exactly the runs of `--profile <profile>` (same run ids); the
    other shipped files (e.g. standard-cpu.yaml) load and state every choice they make."""
    from benchmark.config import PROFILES

    from_file = _spec("--config", str(path)).resolved()
    if path.stem not in PROFILES:
        raw = yaml.safe_load(path.read_text())
        assert from_file.profile == raw["profile"] and from_file.net == raw["net"] and from_file.seeds == tuple(
            raw["seeds"]) and len(from_file.losses) == len(raw["losses"])
        return
    from_profile = _spec("--profile", from_file.profile).resolved()
    for field in ("tasks", "seeds", "net", "iterations", "batch_size", "crop", "lr", "backbone_weights", "metrics"):
        assert getattr(from_file, field) == getattr(from_profile, field), field
    if from_file.profile == "quick":  # cheap enough to build every config and compare the ids
        a, _, _ = build_configs(_spec("--config", str(path)))
        b, _, _ = build_configs(_spec("--profile", "quick"))
        assert [run_id(c) for c in a] == [run_id(c) for c in b]


def test_resolved_grid_round_trips_through_yaml():
    spec = _spec("--tasks", "denoise", "jpeg", "--task-param", "jpeg.quality=20", "--losses", "l1", "ssim",
                 "--seeds", "0", "1").resolved()
    again = GridSpec.from_mapping(yaml.safe_load(spec.to_yaml()), "saved")
    assert again.resolved() == spec


def test_run_saves_the_resolved_grid(tmp_path):
    from benchmark.cli import main

    out = tmp_path / "r"
    f = tmp_path / "grid.yaml"
    f.write_text(f"tasks: [denoise]\nlosses: [l1]\niterations: 2\ncrop: 32\nbatch_size: 2\nmetrics: [psnr]\n"
                 f"test_data: [skimage-natural:test]\ndevice: cpu\nout: {out}\n")
    assert main(["run", "--config", str(f), "--seeds", "4", "--no-progress", "--no-report", "-q"]) == 0
    (saved,) = list((out / "grids").glob("*.yaml"))
    spec = GridSpec.from_file(saved)
    assert spec.seeds == (4,) and spec.iterations == 2 and spec.net == "tiny" and spec.tasks == ("denoise",)
    assert saved.read_text().startswith("# the resolved grid of:")


def test_loss_tasks_runs_a_slow_loss_on_fewer_tasks(tmp_path):
    """``loss_tasks`` (file) / ``--loss-tasks`` (flag): the named loss runs only on its tasks, the
    others on every task; it round-trips through the saved YAML; a narrower ``--losses`` ignores it;
    unknown names are one-line errors."""
    f = tmp_path / "grid.yaml"
    f.write_text("tasks: [denoise, sr4]\nlosses: [l1, vgg]\nloss_tasks: {vgg: [sr4]}\nseeds: [0, 1]\n"
                 "iterations: 2\nbackbone_weights: random\n")
    spec = _spec("--config", str(f))
    configs, _, _ = build_configs(spec)
    assert sorted((c.task, c.loss) for c in configs if c.seed == 0 and c.iterations == 2) == [
        ("denoise", "l1"), ("sr4", "l1"), ("sr4", "vgg")]
    assert GridSpec.from_mapping(yaml.safe_load(spec.resolved().to_yaml()), "saved").resolved() == spec.resolved()
    flag = _spec("--tasks", "denoise", "sr4", "--losses", "l1", "vgg", "--loss-tasks", "vgg=sr4", "--seeds", "0",
                 "--iterations", "2", "--backbone-weights", "random")
    assert sorted((c.task, c.loss) for c in build_configs(flag)[0] if c.iterations == 2) == [
        ("denoise", "l1"), ("sr4", "l1"), ("sr4", "vgg")]
    narrow, _, _ = build_configs(_spec("--config", str(f), "--losses", "l1"))
    assert {c.loss for c in narrow} == {"l1"}
    for bad, pattern in [("vgg=sr44", "sr44"), ("vggg=sr4", "vggg"), ("vgg", "LOSS=TASK")]:
        with pytest.raises(UserError, match=pattern):
            build_configs(_spec("--config", str(f), "--loss-tasks", bad))

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
CONFIGS = sorted((ROOT / "benchmark" / "configs").glob("*.yaml"))


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
    ("iterations: five\n", r"grid\.yaml: setting iterations expects a whole number, got 'five'"),
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
    # every loss kept off this grid's tasks: a one-line error, not an empty (or crashing) run
    with pytest.raises(UserError, match="the grid is empty.*loss_tasks"):
        build_configs(_spec("--tasks", "denoise", "--losses", "vgg", "--loss-tasks", "vgg=sr4", "--seeds", "0",
                            "--iterations", "2", "--backbone-weights", "random"))


@pytest.mark.parametrize("block, pattern", [
    ("{name: local, worker: 2}", r"grid\.yaml: unknown executor key 'worker'; did you mean workers\?"),
    ("{name: slurm, partiton: gpu}", r"unknown executor key 'partiton'; did you mean partition\?"),
    ("{name: local, colour: blue}", r"unknown executor key 'colour' \(keys: name, workers, "),
    ("{name: slurm, time: '1:00:00', slurm_time: '2:00:00'}", r"slurm_time is given twice"),
])
def test_executor_block_typos_name_the_key_written(tmp_path, block, pattern):
    """A typo in ``executor:`` names the key the user wrote, suggesting among the block's keys (it
    said "unknown setting 'slurm_worker'; did you mean slurm_mem?")."""
    f = tmp_path / "grid.yaml"
    f.write_text(f"executor: {block}\n")
    with pytest.raises(UserError, match=pattern):
        GridSpec.from_file(f)


def test_executor_block_keys_map_to_their_settings(tmp_path):
    f = tmp_path / "grid.yaml"
    f.write_text("executor: {name: slurm, partition: gpu, gpus: 1, slurm_time: '1:00:00', mem: 8G, workers: 2}\n")
    spec = GridSpec.from_file(f)
    assert (spec.executor, spec.slurm_partition, spec.slurm_gpus, spec.slurm_time, spec.slurm_mem, spec.workers) == (
        "slurm", "gpu", 1, "1:00:00", "8G", "2")


def test_a_scalar_is_a_list_of_one_for_every_list_setting(tmp_path):
    f = tmp_path / "grid.yaml"
    f.write_text("tasks: denoise\nlosses: l1\nseeds: 0\nmetrics: psnr\ntrain_data: skimage:train\n"
                 "test_data: skimage-natural:test\n")
    spec = GridSpec.from_file(f)
    assert (spec.tasks, spec.losses, spec.seeds, spec.metrics, spec.train_data, spec.test_data) == (
        ("denoise",), ("l1",), (0,), ("psnr",), ("skimage:train",), ("skimage-natural:test",))


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "{}\n", "null\n"])
def test_an_empty_config_file_is_refused(tmp_path, text):
    """It silently ran the whole quick profile."""
    f = tmp_path / "grid.yaml"
    f.write_text(text)
    with pytest.raises(UserError, match=r"config file .*grid\.yaml is empty"):
        GridSpec.from_file(f)


def test_a_config_directory_is_named_as_one(tmp_path):
    with pytest.raises(UserError, match=r"config file .* is a directory: pass a YAML file"):
        GridSpec.from_file(tmp_path)


def test_relative_paths_in_a_config_are_the_current_directorys(tmp_path, monkeypatch):
    """Relative paths resolve against the current directory, as the shipped configs are written
    (``out: results-cpu``, ``../shared/datasets/...`` from the repo root); a loss file that is only
    next to the config says where it looked and where the file is."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "my_loss.py").write_text("X = 1\n")
    f = tmp_path / "cfg" / "grid.yaml"
    f.write_text("loss_files: [my_loss.py]\nout: res\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"grid\.yaml: loss file 'my_loss\.py' not found in .*: relative paths in a "
                       r"config file are resolved against the current directory, not the config file's folder "
                       r"\(it is at .*cfg/my_loss\.py"):
        GridSpec.from_file(f)
    f.write_text("loss_files: [cfg/my_loss.py]\nout: res\n")
    spec = GridSpec.from_file(f)
    assert spec.loss_files == ("cfg/my_loss.py",) and spec.out == "res"  # kept as written: the cwd's
    (tmp_path / "cfg" / "imgs").mkdir()
    f.write_text("train_data: [imgs]\ntest_data: ['skimage-natural:test']\n")
    with pytest.raises(UserError, match=r"grid\.yaml: train_data 'imgs' is not in .*: relative paths in a config file "
                       r"are resolved against the current directory.*\(it is at .*cfg/imgs: write that path\)"):
        GridSpec.from_file(f)
    assert "../shared/datasets/BSD200" in (CONFIGS[0].parent / "cpu.yaml").read_text()  # why: repo-root relative


def test_repeated_tasks_losses_and_seeds_run_once_with_a_warning(tmp_path, caplog):
    """``--tasks denoise denoise --losses l1 l1 '1*l1' --seeds 0 0`` planned 4 runs; it is one, and
    each repeat is named (losses the same once canonical count as repeats)."""
    import logging

    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        configs, _, _ = build_configs(_spec("--tasks", "denoise", "denoise", "--losses", "l1", "l1", "1*l1",
                                            "--seeds", "0", "0", "--iterations", "2", "--no-budget-check"))
    assert [(c.task, c.loss, c.seed) for c in configs] == [("denoise", "l1", 0)]
    text = caplog.text
    assert "tasks: denoise given more than once" in text and "seeds: 0 given more than once" in text
    assert "losses: l1 is given 3 times ('l1', '1*l1'): it runs once" in text
    saved = _spec("--losses", "l1", "l1", "ssim", "l1").resolved().to_mapping()["losses"]
    assert saved == ["l1", "ssim"]  # the saved grid names a repeated loss once
    f = tmp_path / "grid.yaml"
    f.write_text("tasks: [denoise, sr4, denoise]\nseeds: [0, 0, 1]\nlosses: [l1]\niterations: 2\n"
                 "budget_check: false\n")
    spec = _spec("--config", str(f))
    assert spec.resolved().tasks == ("denoise", "sr4") and spec.resolved().seeds == (0, 1)
    assert len(build_configs(spec)[0]) == 4


@pytest.mark.parametrize("spec, pattern", [
    ("0.5*l1 + nan*l2", r"weight nan is not a finite number: weights must be finite"),
    ("inf*l1", r"weight inf is not a finite number"),
    ("l1*inf", r"weight inf is not a finite number"),
    ("1e999*l1", r"\(overflow\): weights must be finite"),
    ("-1*l1", r"weight -1 is negative: weights must be positive"),
    ("-l1", r"weights must be positive"),
    ("l1 - 0.1*l2", r"never subtracted: weights must be positive"),
    ("l1 + l1", r"term l1 appears twice in 'l1 \+ l1': combine the weights \(2\*l1\)"),
    ("l1 + 0.1*l1", r"term l1 appears twice in 'l1 \+ 0\.1\*l1': combine the weights \(1\.1\*l1\)"),
    ("ssim(window=7) + ssim(window=7)", r"term ssim\(window=7\) appears twice"),
])
def test_loss_spec_messages_say_what_is_wrong(spec, pattern):
    from benchmark.lossfn import canonical_spec

    with pytest.raises(UserError, match=pattern):
        canonical_spec(spec)


def test_a_loss_with_different_arguments_is_not_a_repeat():
    from benchmark.lossfn import canonical_spec

    assert canonical_spec("ssim(window=7) + 0.5*ssim(window=5)") == "ssim(window=7) + 0.5*ssim(window=5)"
    assert canonical_spec("+1*l1") == "l1"


def test_a_product_of_weights_is_one_label_and_distinct_weights_stay_distinct():
    """``3*(0.1*l1)`` is ``0.3*l1`` (the float product 0.30000000000000004 made it another run id),
    while two weights that differ in the 7th digit keep their own labels."""
    from benchmark.lossfn import canonical_spec

    assert canonical_spec("3*(0.1*l1)") == canonical_spec("0.3*l1") == "0.3*l1"
    assert canonical_spec("0.1234567*l1") != canonical_spec("0.1234568*l1")

"""Mends of repeated work in cli/api/config/runner/perf/checkpoint (session 18)."""
from __future__ import annotations

import torch
import torch._dynamo  # noqa: F401 - Adam's first build imports it (seconds): at collection, not in a test's time

import benchmark.runner  # noqa: F401 - at collection: no test pays for its first import
from benchmark.data import image_extensions
from benchmark.metrics import open_metric

image_extensions(), open_metric("psnr")  # Pillow's plugins, the metrics' imports: at collection, not in a test's time


def test_check_memory_sizes_the_run_config_harness_step_builds(monkeypatch):
    """check_memory built its own RunConfig beside harness_step's (no compile=, another iterations): one
    _harness_config gives both."""
    import benchmark.perf as perf
    import benchmark.runner as runner
    from benchmark import resources

    sized, built = [], []
    monkeypatch.setattr(resources, "check_fits", lambda cfgs, dev: sized.extend(cfgs))

    class Step:
        def __init__(self, cfg, task, images, device):
            built.append(cfg)

    monkeypatch.setattr(runner, "TrainStep", Step)
    kw = dict(net="tiny", batch=2, crop=32, device=torch.device("cpu"), task="denoise", compile=True)
    perf.check_memory(["l2"], **kw)
    perf.harness_step("l2", images=[], **kw)
    assert [c.loss for c in sized] == ["l1", "l2"]
    assert sized[1] == built[0]


def test_a_resumed_run_that_fails_in_training_reads_its_checkpoint_once_for_the_earlier_peak(tmp_path, monkeypatch):
    """A resumed run that failed in training CRC-checked and torch.loaded its whole checkpoint again (_checkpoint_
    progress) for the peak memory train() had already read at its restore: the failure path takes the progress kept
    at the restore (Checkpointer.earlier), and still records the earlier attempt's 900 MB."""
    from test_review_cost18 import killed_after_a_checkpoint_at_900_mb

    from benchmark import checkpoint, resources, runner
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy

    monkeypatch.setattr(resources, "check_fits", lambda *a, **k: None)
    cfg, rid, store = killed_after_a_checkpoint_at_900_mb(tmp_path, monkeypatch)  # checkpoint at 2, killed at 3
    loads, restores, load, restore = [], [], checkpoint.torch.load, Checkpointer.restore
    monkeypatch.setattr(checkpoint.torch, "load", lambda *a, **k: loads.append(1) or load(*a, **k))
    monkeypatch.setattr(Checkpointer, "restore", lambda self, **k: restores.append(1) or restore(self, **k))
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0,
                           checkpoint=CheckpointPolicy(every=100, seconds=0)).failed == 1  # at 4, at 300 MB
    assert (len(restores), len(loads)) == (1, 2)  # the thread count's read, the restore's: none at the failure
    assert store.meta(rid)["peak_rss_mb"] == 900.0


def test_main_builds_its_parser_once_for_a_command_line_that_starts_with_an_option(monkeypatch, capsys):
    """A command line starting with an option built a second whole parser (_run_option_strings) for run's option
    strings before main built its own: one parser now, run's options read off it."""
    import pytest

    from benchmark import cli

    built, build = [], cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda *a, **k: built.append(1) or build(*a, **k))
    with pytest.raises(SystemExit):  # `plbench --nonsense list tasks`: said by list's parser
        cli.main(["--nonsense", "list", "tasks"])
    assert "unrecognized arguments: --nonsense" in capsys.readouterr().err
    assert len(built) == 1
    with pytest.raises(SystemExit):  # compare's hint still names run's option
        cli.main(["compare", "--iterations", "50"])
    assert "--iterations is an option of run" in capsys.readouterr().err
    assert cli._run_option_strings(build()) >= {"--tasks", "--iterations", "-h"}


def test_api_run_reads_a_gridspec_through_to_mapping_as_given(monkeypatch):
    """api._grid re-wrote GridSpec.to_mapping (task parameters and loss tasks as a file holds them): it takes
    to_mapping's, and keeps what to_mapping changes for a saved grid as given — no task list where none was given, a
    loss typed twice, another executor's setting (refused later, as a keyword's)."""
    from benchmark import api
    from benchmark.config import GridSpec

    calls, to_mapping = [], GridSpec.to_mapping
    monkeypatch.setattr(GridSpec, "to_mapping", lambda self: calls.append(1) or to_mapping(self))
    g = api._grid(GridSpec(executor="local", slurm_partition="gpu", losses=("l1", "l1"),
                           task_params=(("denoise", (("sigma", 0.1),)),), loss_tasks=(("l1", ("denoise",)),)))
    assert calls == [1]
    assert (g.tasks, g.task_params, g.losses, g.slurm_partition, g.loss_tasks) == (
        None, (("denoise", (("sigma", 0.1),)),), ("l1", "l1"), "gpu", (("l1", ("denoise",)),))
    assert dict(g.origins)["slurm_partition"] == "api.run()"
    assert api._grid(GridSpec(tasks=("denoise", "sr4"), task_params=(("denoise", (("sigma", 0.1),)),))).tasks == (
        "denoise", "sr4")

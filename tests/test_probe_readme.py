"""The README's journey as a new user walks it: the CLI started with `python -m`, typos in
flags and choices answered with the closest option, and `compare`'s table stating what it tested."""

from __future__ import annotations

import sys

import pytest
from conftest import use_shared_datasets

from benchmark.cli import main


def test_resume_hint_names_python_m(monkeypatch):
    """The resume hint (and the saved grid's header) of a run started with `python -m benchmark.cli`
    is that command, not `python /…/benchmark/cli.py` (which cannot import the package)."""
    import types

    from benchmark import cli

    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=types.SimpleNamespace(
        name="benchmark.cli")))
    assert cli._program()[1:] == ["-m", "benchmark.cli"]
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__spec__=types.SimpleNamespace(
        name="benchmark.__main__")))
    assert cli._program()[1:] == ["-m", "benchmark"]


@pytest.mark.parametrize("argv,expected", [
    (["run", "--iteraions", "10"], "unrecognized arguments: --iteraions 10; did you mean --iterations? "
                                   "(`plbench run -h` shows the options)"),
    (["--iteraions", "10"], "did you mean --iterations? (`plbench run -h`"),           # run is the default
    (["run", "--no-budget-chek"], "did you mean --no-budget-check?"),
    (["findings", "--lst"], "did you mean --list? (`plbench findings -h`"),
    (["report", "--basline=l2", "--bogus"], "did you mean --baseline (for --basline)? (`plbench report -h`"),
    (["run", "--bogus"], "unrecognized arguments: --bogus (`plbench run -h` shows the options)"),
    (["list", "metric"], "(choose from 'all', 'tasks', 'losses', 'metrics'); did you mean metrics?"),
    (["run", "--logger", "tensorbord"], "did you mean tensorboard?"),
])
def test_flag_and_choice_typos_name_the_closest_option(argv, expected, capsys):
    """A misspelt flag got no suggestion and pointed at `plbench -h`, which does not list a
    subcommand's options; a misspelt choice got the list but no suggestion."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and expected in err, err


def test_compare_table_says_not_tested_below_the_minimum_runs(tmp_path):
    """With 1 run per loss nothing is tested, yet compare's table said "top group: no" for every
    metric (as if tested and found worse), and printed 0.96 beside 0.9506 (``.4g``) where the
    leaderboard prints 0.9600."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), metrics=("psnr", "vsi"),
                        n_images=6, budget_check=False)
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 50, "l1", ("png",))
    rows = [line for line in text.splitlines() if line.startswith(("| psnr", "| vsi"))]
    assert len(rows) == 2 and all("| not tested |" in r and "| no |" not in r for r in rows), rows
    vsi = rows[1].split("|")[2].strip()  # "0.9xxx [0.9xxx, 0.9xxx]": one number of decimals throughout
    assert len({len(x.split(".")[1]) for x in vsi.replace("[", "").replace("]", "").split(", ")[0].split()
                + vsi.split("[")[1].rstrip("]").split(", ")}) == 1, vsi

    store5 = write_store(tmp_path / "r5", offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1, 2, 3, 4),
                         metrics=("psnr",), n_images=6, budget_check=False)
    group5 = [m for m in store5.metas() if m.get("config")]
    text5, _ = _summary(store5, {"denoise": group5}, ["good"], {"denoise": []}, 0.05, 50, "l1", ("png",))
    assert "| yes |" in text5 and "not tested" not in text5  # tested: the clearly better loss is the top group


def test_profile_on_hub_data_says_which_local_folders_are_missing(tmp_path, monkeypatch, caplog):
    """`run --profile full` without ../shared/datasets fell back to the hub in silence: offline the
    only message was that goodfellowliu/DIV2K is not cached, never that the profile looked for
    BSD200/T91/Set5/… and where."""
    import dataclasses
    import logging

    from benchmark import config
    from benchmark.errors import UserError

    use_shared_datasets(monkeypatch, tmp_path / "shared" / "datasets")
    (tmp_path / "shared" / "datasets" / "CSet5").mkdir(parents=True)
    monkeypatch.setitem(config.PROFILES, "full", dataclasses.replace(
        config.PROFILES["full"], train_data=config.HUB_TRAIN, test_data=config.HUB_TEST))
    spec = config.GridSpec(profile="full", tasks=("denoise",), losses=("l1",), backbone_weights="random",
                           train_data=("skimage:train",), device="cpu", crop=2)
    # the crop is refused after the warning and before any data loads (a DIV2K another test cached is not read)
    with caplog.at_level(logging.WARNING, logger="benchmark.config"), pytest.raises(UserError, match="crop"):
        config.build_configs(spec)
    said = [r.getMessage() for r in caplog.records if "from the hub" in r.getMessage()]
    assert len(said) == 1, said  # --train-data was given: only the test data fell back
    assert f"CSet14, Kodak24 not in {tmp_path / 'shared' / 'datasets'}" in said[0] and "--test-data" in said[0]


def test_compare_after_editing_the_loss_file_shows_the_current_version_only(tmp_path):
    """Edit the loss file, compare again: the report showed both versions of the loss as the one
    being compared ("my_loss (v1+<old hash>)" first), though the old file is gone and its runs are
    now part of the field."""
    from conftest import edited_loss_summary

    text = edited_loss_summary(tmp_path / "r", metrics=("psnr", "vsi"), n_images=6)
    sections = [line for line in text.splitlines() if line.startswith("**mine")]
    # one section, for the file as it is now; the earlier version is one of the 3 losses of the field
    assert sections == ["**mine (v1+n3w)** — mean rank 1.0 of 3 losses"], sections  # the task table's decimals


def test_saved_grid_reruns_from_another_directory(tmp_path, monkeypatch):
    """The saved grid (`<out>/grids/<time>.yaml`) kept relative paths as typed: `--config` on it
    from another directory could not find the loss file or data folder, and a relative `out`
    trained the whole grid again into a new results folder there."""
    from benchmark.config import GridSpec

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "photos").mkdir(parents=True)
    elsewhere.mkdir()
    (work / "my_loss.py").write_text("# a loss file\n")
    monkeypatch.chdir(work)
    spec = GridSpec(train_data=("skimage:train", "photos"), test_data=("photos:test", "owner/name:test"),
                    loss_files=("my_loss.py",), out="results").resolved()
    saved = tmp_path / "grid.yaml"
    saved.write_text(spec.with_absolute_paths().to_yaml())
    monkeypatch.chdir(elsewhere)
    again = GridSpec.from_file(saved)
    assert again.train_data == ("skimage:train", str(work / "photos"))
    assert again.test_data == (f"{work / 'photos'}:test", "owner/name:test")  # a hub id stays an id
    assert again.loss_files == (str(work / "my_loss.py"),) and again.out == str(work / "results")


@pytest.mark.parametrize("where, msg", [
    (["iteration=150"], "--where iteration: no such setting field; did you mean iterations?"),
    (["dnoise.sigma=0.1"], "no task 'dnoise' in these results; did you mean denoise?"),
    (["denoise.sigmx=0.1"], "denoise has no parameter 'sigmx'; did you mean sigma?"),
    (["iterations=5"], "no results match iterations=5 (they have iterations: 75 | 150; `plbench report`"),
    (["iterations=150", "net=small"], "(they have iterations: 75 | 150; net: tiny;"),
])
def test_where_typos_and_misses_name_what_is_there(where, msg):
    """`--where` typos got the field list but no suggestion, and a value no run has said only
    "no results match iterations=5", not which values the runs have."""
    from benchmark.errors import UserError
    from benchmark.results import to_frame
    from benchmark.settings import parse_where, select
    from benchmark.synthetic import synthetic_runs

    t = to_frame([r for _, _, rows in synthetic_runs(seeds=(0, 1), metrics=("psnr",), n_images=4) for r in rows])
    with pytest.raises(UserError) as e:
        select(t, where=parse_where(where))
    assert msg in str(e.value), str(e.value)


def test_figures_of_a_self_trained_encoder_run_fit(recwarn):
    """The README's `pretrain` → `run --losses "csr(weights='<encoder .pt>')" --metrics …
    contrique_fr@<encoder .pt>` journey: the metric's full checkpoint path ran off the metrics
    figure and over the P–D plane's title, the leaderboard's rows ran into each other once the
    column names were long, the rank heatmap's colourbar label crossed its title with 2 losses, and
    seaborn's first draw printed "constrained_layout not applied" warnings on the terminal."""
    import matplotlib.pyplot as plt
    from test_figure_layout import layout_problems

    from benchmark import figures as F
    from benchmark.report import heatmap_panels
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    metric = "contrique_fr@/tmp/u/pre/deeper/folder/contrique-tinycnn-photos-s0-4-7e88ea.pt"
    loss = "csr(weights='/tmp/u/pre/contrique-tinycnn-photos-s0-4-7e88ea.pt')"
    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, loss: -0.5}, seeds=(0,), n_images=6,
              metrics=("psnr", "ssim", metric), weights={loss: "tinycnn:selftrained(contrique,photos,steps=4)"})
    table = synthetic_table(**kw)
    stats = compute(table, [m for _, m, _ in synthetic_runs(**kw)], n_boot=50)
    with F.style():
        figs = F.draw_all(stats, [m for _, m, _ in synthetic_runs(**kw)])
        figs["leaderboard"] = F.draw_leaderboard_heatmap(heatmap_panels(table))
        problems = {k: layout_problems(f) for k, f in figs.items() if f is not None}
        for f in figs.values():
            if f is not None:
                plt.close(f)
    assert {"pd_plane", "metrics_denoise", "rank_heatmap", "leaderboard"} <= set(problems)
    assert not any(problems.values()), problems
    assert not [w for w in recwarn if "constrained_layout" in str(w.message)]
    assert F.metric_name(metric) == "contrique_fr@contrique-tinycnn-photos-s0-4-7e88ea.pt"


def test_a_loss_file_beside_losses_that_leave_its_loss_out_is_said(tmp_path, caplog):
    """`run --losses l1 --loss-file my_loss.py` trained l1 only, in silence: the file's loss is
    trained only when --losses names it (or is left out)."""
    import logging

    from benchmark.config import GridSpec, build_configs
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES

    f = tmp_path / "probe_readme_loss.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('probe_readme_loss', citation='test')\nclass P(torch.nn.Module):\n"
                 "    '''l1'''\n    def forward(self, p, t):\n        return (p - t).abs().mean()\n")
    try:
        for losses, said in ((("l1",), True), (("l1", "probe_readme_loss"), False),
                             (("l1 + 0.1*probe_readme_loss",), False), (None, False)):
            caplog.clear()
            spec = GridSpec(tasks=("denoise",), losses=losses, loss_files=(str(f),), crop=2, device="cpu")
            with caplog.at_level(logging.WARNING, logger="benchmark.config"), pytest.raises(UserError, match="crop"):
                build_configs(spec)  # the crop is refused after the losses are planned: no data is loaded
            warned = [r.getMessage() for r in caplog.records if "does not train" in r.getMessage()]
            assert bool(warned) == said, (losses, warned)
            assert not said or "registers probe_readme_loss, which this grid does not train" in warned[0]
    finally:
        LOSSES.remove("probe_readme_loss")


@pytest.mark.parametrize("kw, msg", [
    ({"baseline": "l3"}, "--baseline 'l3' is not a loss of these results or the new one; did you mean"),
    ({"tasks": ["denoize"]}, "no field results for task denoize in"),
    ({"tasks": ["denoize"]}, "; did you mean denoise? (field tasks: denoise)"),
])
def test_compare_refuses_a_misspelt_baseline_or_task_before_training(tmp_path, kw, msg):
    """`compare --baseline l3` was accepted (the regenerated leaderboard lost its ▲/▼ marks, where
    `report --baseline l3` is refused); `--tasks denoize` named neither the field's tasks nor the
    closest one."""
    from benchmark.compare import compare
    from benchmark.errors import UserError
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",), n_images=4,
                        budget_check=False)
    with pytest.raises(UserError) as e:
        compare(store.root, losses=["ssim"], device="cpu", **kw)
    assert msg in str(e.value), str(e.value)
    assert not any(m.get("config", {}).get("loss") == "ssim" for m in store.metas())  # nothing trained


def test_compare_on_a_folder_that_is_no_store_does_not_offer_to_run_there(tmp_path, capsys):
    """`compare --out <a folder of photos>` said "run `plbench run --out <that folder>` first",
    which `run` refuses (a non-empty folder of other files); a file as --out got the same hint."""
    from benchmark.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.png").write_bytes(b"not really")
    for out, said in ((photos, "is not a plbench results directory"), (photos / "a.png", "is a file"),
                      (tmp_path / "none", "no such directory")):
        assert main(["compare", "--loss", "l2", "--out", str(out), "--device", "cpu"]) == 2
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1, err
        assert "plbench run --out" not in err or said == "no such directory"


def test_a_vgg_tap_on_a_self_trained_tinycnn_says_which_layers_it_has(monkeypatch):
    """The README's `pdl(weights='<encoder .pt>')` on the CPU encoder (`pretrain`'s default
    tinycnn) failed with "has no layer 'relu1_2' this loss taps" and no way forward: the error now
    names the encoder's layers and the keyword (the README's command passes them)."""
    from benchmark import backbones
    from benchmark.errors import UserError

    monkeypatch.setattr(backbones, "_selftrained_manifest", lambda w: {"arch": "tinycnn"})
    with pytest.raises(UserError) as e:
        backbones._adopt_selftrained("vgg16", ("relu1_2", "relu2_2"), "/x/enc.pt", None)
    msg = str(e.value)
    assert "no layer 'relu1_2' this loss taps; a loss with a layers=(…) keyword" in msg
    assert "layers=('layer1', 'layer2', 'layer3', 'layer4')" in msg and "\n" not in msg
    assert backbones._adopt_selftrained("vgg16", ("layer1", "layer2"), "/x/enc.pt", None)[0] == "tinycnn"


def test_perf_with_a_loss_file_times_the_files_losses(tmp_path, monkeypatch, capsys):
    """`perf --loss-file my_loss.py` timed vgg, lpips and pdl at 16 × 128² (minutes on a CPU) and
    not the file's loss, where `run --loss-file` trains only the file's losses."""
    from benchmark import lossfn, perf
    from benchmark.cli import main
    from benchmark.registry import LOSSES

    timed = []
    monkeypatch.setattr(perf, "measure", lambda losses, **kw: timed.append(list(losses)) or [])
    monkeypatch.setattr(perf, "format_rows", lambda rows, header: "")
    # the work before the timing (the photos loaded, the memory estimate, each loss built and probed on the crop: vgg,
    # lpips and pdl at 16 × 128², all but 0.5 s of this test's 9 s) is not what is asked here, which losses are timed;
    # test_perf's perf runs (test_probe_cost18's memory refusal) do it
    monkeypatch.setattr(perf, "training_images", lambda crop: [])
    monkeypatch.setattr(perf, "check_memory", lambda losses, **kw: None)
    monkeypatch.setattr(lossfn, "build_loss", lambda spec, **kw: None)
    monkeypatch.setattr(lossfn, "check_loss_on_crop", lambda *a, **kw: None)
    f = tmp_path / "probe_perf_loss.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('probe_perf_loss', citation='test')\nclass P(torch.nn.Module):\n"
                 "    '''l1'''\n    def forward(self, p, t):\n        return (p - t).abs().mean()\n")
    try:
        assert main(["perf", "--loss-file", str(f), "--device", "cpu"]) == 0
        assert main(["perf", "--loss-file", str(f), "--losses", "l2", "--device", "cpu"]) == 0
    finally:
        LOSSES.remove("probe_perf_loss")
    assert main(["perf", "--device", "cpu"]) == 0
    assert timed == [["probe_perf_loss"], ["l2"], ["vgg", "lpips", "pdl"]]


def test_compare_says_whether_the_new_loss_is_shown_converged(tmp_path):
    """compare trained the new loss's budget checks but its report never said what they showed, nor
    that the field is a smoke test (the leaderboard opens with both)."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1, 2, 3, 4), metrics=("psnr",),
                        n_images=6, unconverged=("good",))
    group = [m for m in store.metas() if m.get("config", {}).get("iterations") == 150]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 50, "l1", ("png",))
    assert "Convergence: 0 of 5 runs of good shown converged (budget checks at 75 of 150 iterations)." in text
    assert "> Smoke test, not a ranking: 5 of 10 runs not shown converged" in text


def test_a_misspelt_task_parameter_gets_the_closest_name(capsys):
    """`--task-param denoise.sgma=0.1` listed the parameters but suggested none (every other name
    typo gets did_you_mean)."""
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--task-param", "denoise.sgma=0.1",
                 "--dry-run", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "task 'denoise' has no parameter sgma; did you mean sigma? (it has: clip, modcrop, sigma)" in err, err

"""Command-line mistakes found by trying the tool as a new user: each is one line and exit 2."""

from __future__ import annotations

import pytest

from benchmark.cli import main
from benchmark.errors import UserError
from benchmark.synthetic import write_store


@pytest.fixture
def store(tmp_path):
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=range(3), seed_sd=0.1,
                offsets={"l1": 0.0, "l2": 0.2}, budget_check=False)
    return tmp_path


def _one_error(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.parametrize("cmd", [["report", "--no-visual"], ["findings"], ["calibrate", "--nulls", "20"]])
def test_a_read_only_results_directory_is_one_line(store, cmd, capsys, monkeypatch):
    import benchmark.cli as cli

    real = cli.os.access
    monkeypatch.setattr(cli.os, "access", lambda p, mode, **k: False if str(p) == str(store) else real(p, mode, **k))
    before = sorted(p.name for p in store.iterdir())
    assert main([*cmd, "--out", str(store), "-q"]) == 2
    assert "is not writable" in _one_error(capsys)
    assert sorted(p.name for p in store.iterdir()) == before


def test_typos_get_suggestions(store, capsys):
    assert main(["report", "--out", str(store), "--baseline", "l11", "--no-visual", "-q"]) == 2
    assert "did you mean l1" in _one_error(capsys)
    assert main(["findings", "--out", str(store), "--only", "zhao", "-q"]) == 2
    err = _one_error(capsys)
    assert "zhao2017_l1_vs_l2" in err and "plbench findings --list" in err
    assert main(["calibrate", "--out", str(store), "--seed", "-1", "-q"]) == 2
    assert "--seed" in _one_error(capsys)
    from benchmark.metrics import check_metric_names

    with pytest.raises(UserError, match="did you mean psnr"):
        check_metric_names(["PSNR"])


def test_costs_keep_two_versions_of_one_loss_apart():
    """Two versions of a loss file (same name, other code) are two leaderboard rows; their runs and
    speeds are counted per row, never pooled by name."""
    from benchmark.stats import cost_table

    def meta(rid, ms):
        return {"run_id": rid, "status": "ok", "ms_per_it": ms, "weights": "none",
                "config": {"task": "denoise", "loss": "my_loss", "seed": 0}}

    metas = [meta("a0", 300.0), meta("a1", 310.0), meta("b0", 180.0),
             {"run_id": "b1", "status": "diverged", "weights": "none",
              "config": {"task": "denoise", "loss": "my_loss", "seed": 1}}]
    per_loss, per_task = cost_table(metas, None, {"a0": "my_loss (v1+aa)", "a1": "my_loss (v1+aa)",
                                                  "b0": "my_loss (v1+bb)"})
    rows = per_loss.set_index("label")
    assert rows.loc["my_loss (v1+aa)", "runs"] == 2 and rows.loc["my_loss (v1+aa)", "ms_per_it"] == 305.0
    assert rows.loc["my_loss (v1+bb)", "runs"] == 1 and rows.loc["my_loss (v1+bb)", "ms_per_it"] == 180.0
    assert rows.loc["my_loss", "diverged"] == 1  # a run without rows: labelled from its spec
    assert len(per_task) == 3


def test_perf_checks_the_crop_as_run_does(capsys):
    assert main(["perf", "--losses", "l1", "--net", "tiny", "--batch-size", "2", "--crop", "3", "-q"]) == 2
    assert "--crop 3 is too small for task denoise" in _one_error(capsys)


def test_a_super_resolution_scale_that_does_not_divide_8_scores_its_test_images():
    """×3 super-resolution: test images are cut to multiples of 24 (lcm of 8 and 3), not refused."""
    import torch

    from benchmark.data import DataSpec, ImageRecord
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    task = build_task("sr4", scale=3)
    recs = [ImageRecord("a", torch.randint(0, 255, (3, 50, 77), dtype=torch.uint8)),
            ImageRecord("tiny", torch.randint(0, 255, (3, 20, 30), dtype=torch.uint8))]
    items = held_out_items(task, {DataSpec.parse("skimage"): recs})
    assert [i.image for i in items] == ["a"] and tuple(items[0].clean.shape[-2:]) == (48, 72)


def test_no_test_image_large_enough_is_one_line():
    import torch

    from benchmark.data import DataSpec, ImageRecord
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    recs = [ImageRecord("tiny", torch.randint(0, 255, (3, 20, 30), dtype=torch.uint8))]
    with pytest.raises(UserError, match="at least 24 px on each side"):
        held_out_items(build_task("sr4", scale=3), {DataSpec.parse("skimage"): recs})


@pytest.mark.parametrize("typo, meant", [("rn", "run"), ("reprot", "report"), ("findigns", "findings")])
def test_a_misspelt_command_is_named(typo, meant, capsys):
    assert main([typo, "--out", "x"]) == 2
    assert f"did you mean {meant}?" in _one_error(capsys)


def test_weights_takes_loss_specs_and_fails_before_printing(capsys):
    assert main(["weights", "--losses", "l1 + 0.1*vgg", "-q"]) in (0, 1)
    out = capsys.readouterr().out
    assert "l1" in out and "vgg" in out and "unknown loss" not in out
    assert main(["weights", "--losses", "l1 + 0.1*vggg", "-q"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "did you mean vgg" in captured.err


def test_a_file_that_is_not_a_checkpoint_says_so(tmp_path):
    import torch

    from benchmark.weights import load_state

    junk = tmp_path / "notes.txt"
    junk.write_text("hi\n")
    with pytest.raises(UserError, match="is not a PyTorch checkpoint"):
        load_state(junk)
    good = tmp_path / "w.pt"
    torch.save({"a": torch.zeros(2)}, good)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(UserError, match=r"cannot load checkpoint .*cut\.pt \(damaged\)"):
        load_state(cut)
    assert set(load_state(good)) == {"a"}


def test_a_misspelt_weights_keyword_gets_a_suggestion():
    from benchmark.backbones import Backbone

    with pytest.raises(UserError, match="did you mean pretrained"):
        Backbone("alexnet", ("relu1",), weights="pretraind")


def test_metric_names_and_out_fail_before_the_data_is_loaded(tmp_path, capsys):
    """A metric typo or an unusable --out is reported before any image is read (it came after the
    data had loaded: minutes on a large training set); a data folder with no image (an error only once it is read:
    a folder not there is said before --out, as a name is) shows they come first."""
    (tmp_path / "no-photos").mkdir()
    missing = str(tmp_path / "no-photos")
    assert main(["run", "--train-data", missing, "--metrics", "psnrr", "--out", str(tmp_path / "r"), "-q"]) == 2
    assert "unknown metric 'psnrr'" in capsys.readouterr().err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("x")
    assert main(["run", "--train-data", missing, "--out", str(mine), "-q"]) == 2
    assert "not a plbench results directory" in capsys.readouterr().err
    assert main(["run", "--train-data", missing, "--out", str(mine / "notes.txt" / "sub"), "-q"]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_a_loss_spec_that_begins_with_minus_gets_the_equals_hint(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--losses", "-1*l1", "--dry-run"])
    assert e.value.code == 2
    assert "written --losses=VALUE" in capsys.readouterr().err
    assert main(["run", "--losses=-1*l1", "--dry-run", "-q"]) == 2  # then the spec itself is judged
    assert "weights must be positive" in capsys.readouterr().err


def test_backbone_weights_no_loss_uses_is_said(caplog):
    """``--losses l1 --backbone-weights pretraind``: no loss takes backbone weights, so nothing checked
    the typo and it passed unseen; it is a warning with the suggestion (a used value is still an error)."""
    import logging

    from benchmark.config import GridSpec, build_configs
    from benchmark.errors import UserError

    for weights, said in (("pretraind", True), ("pretrained", False), (None, False)):
        caplog.clear()
        spec = GridSpec(tasks=("denoise",), losses=("l1",), backbone_weights=weights, crop=2, device="cpu")
        with caplog.at_level(logging.WARNING, logger="benchmark.config"), pytest.raises(UserError, match="crop"):
            build_configs(spec)  # the crop is refused after the losses are planned: no data is loaded
        warned = [r.getMessage() for r in caplog.records if "--backbone-weights" in r.getMessage()]
        assert bool(warned) == said, (weights, warned)
        assert not said or "did you mean pretrained?" in warned[0]

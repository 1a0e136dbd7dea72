"""A new user's day through the CLI: defects found following the README on a folder of own photos."""

from __future__ import annotations

import json
import re

import pytest

from benchmark.cli import main
from benchmark.errors import UserError

FIELD = ["--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--crop", "32", "--batch-size", "2",
         "--metrics", "psnr", "--seeds", "0", "--no-budget-check", "--device", "cpu", "--no-progress", "-q",
         "--no-report"]
FAST = ["--device", "cpu", "--no-progress", "-q", "--no-visual", "--formats", "png", "--bootstrap", "100"]


def _statuses(out):
    metas = [json.loads(p.read_text()) for p in (out / "runs").glob("*/meta.json")]
    return sorted((m.get("config", {}).get("loss", ""), m.get("status", "")) for m in metas)


def test_compare_refuses_a_loss_file_whose_forward_raises_before_training_it(tmp_path, capsys):
    """Was: `run --loss-file` refused a loss whose forward raises (one line, exit 2, nothing trained) but
    `compare --loss-file` with the same file trained it, recorded a failed run in the user's store and
    exited 1 with a note → compare plans the new loss as `run` does: the same one-line refusal, no run."""
    from benchmark.registry import LOSSES

    out = tmp_path / "r"
    f = tmp_path / "bug_loss.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('journey_bug')\nclass B(torch.nn.Module):\n"
                 "    def forward(self, pred, target):\n        return (pred - target).abs().mean() + undefined_name\n")
    assert main([*FIELD, "--out", str(out)]) == 0
    before = _statuses(out)
    try:
        capsys.readouterr()
        assert main(["compare", "--loss-file", str(f), "--out", str(out), *FAST]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "loss 'journey_bug' fails on 32×32 training crops (NameError" in err[0], err
        assert _statuses(out) == before  # no failed run of the new loss written into the field's store
    finally:
        LOSSES.remove("journey_bug")


@pytest.mark.parametrize("spec", ["my_loss.py", "/home/me/losses/my_loss.py", "./my_loss.py"])
def test_a_loss_file_given_to_losses_is_told_to_use_loss_file(spec):
    """Was: `--losses my_loss.py` (the file, where --loss-file was meant) was 'cannot parse loss spec
    ...: expected e.g. 'l1 + 0.01*pdl(k=v)'', which does not say what to do → the error names --loss-file."""
    from benchmark.lossfn import parse_loss_spec

    with pytest.raises(UserError, match=rf"is a file name: a loss file is loaded with --loss-file {re.escape(spec)}"):
        parse_loss_spec(spec)


def test_a_grid_whose_metrics_all_cannot_be_scored_is_refused_before_training(tmp_path, capsys, monkeypatch):
    """Was: `run --metrics lpips` offline (its weights not cached) warned 'metric lpips skipped', trained
    every run, wrote a report of 0 rows and exited 0 (or, into a folder with other runs, 'no results match
    this grid's settings (`plbench report` without --where lists the settings)', naming a --where never
    given) → one error line before anything trains, naming each metric's reason and `plbench weights`."""
    import benchmark.metrics

    monkeypatch.setattr(benchmark.metrics, "open_metric",
                        lambda name, device="cpu": (None, f"{name}-weights.pth is not cached (test)"))
    out = tmp_path / "r"
    capsys.readouterr()
    assert main([*FIELD, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "psnr" in err[0] and "psnr-weights.pth is not cached (test)" in err[0], err
    assert "plbench weights" in err[0]
    assert not list(out.glob("runs/*/net.pt"))  # nothing trained


LATE_BUG = ("import torch\nfrom benchmark.registry import register_loss\n\n"
            "@register_loss('journey_late_bug')\nclass L(torch.nn.Module):\n    calls = 0\n\n"
            "    def forward(self, pred, target):\n        self.calls += 1\n        if self.calls > 1:\n"
            "            raise RuntimeError('shape mismatch in my code')\n"
            "        return (pred - target).abs().mean()\n")


def test_a_grid_whose_every_run_failed_says_so_not_a_where_it_never_gave(tmp_path, capsys, caplog):
    """Was: a grid whose every run failed in training, into a results folder holding other runs, ended
    'error: no results match this grid's settings (`plbench report` without --where lists the settings)'
    (a --where never given; the failure itself unmentioned there) → the report is skipped with one line
    saying none of the grid's runs has results and how many failed; exit 1, as for any failed run."""
    from benchmark.registry import LOSSES

    out = tmp_path / "r"
    other = [a if a != "2" else "3" for a in FIELD]  # another setting's results in the folder (3 iterations)
    assert main([*other, "--out", str(out)]) == 0
    f = tmp_path / "late_bug.py"
    f.write_text(LATE_BUG)
    capsys.readouterr()
    try:
        grid = [a if a != "l1" else "journey_late_bug" for a in FIELD if a != "--no-report"]
        assert main([*grid, "--loss-file", str(f), "--out", str(out)]) == 1
    finally:
        LOSSES.remove("journey_late_bug")
    err = capsys.readouterr().err + caplog.text
    assert "--where" not in err and "no results match" not in err, err
    assert "no leaderboard: this grid's one run has results (1 failed" in err, err


def test_a_dry_run_measures_an_edited_loss_file_anew(tmp_path):
    """Was: the dry run's step-time cache was keyed by the loss's name, not its version: after editing a
    loss file (here made ~100× dearer) the next dry run reused the old file's time, 'measuring nothing'
    → the key holds each term's registry version and file hash, as a run's id does."""
    import benchmark.perf as perf
    from benchmark.config import RunConfig
    from benchmark.registry import LOSSES, load_user_file

    f = tmp_path / "cost_loss.py"
    body = ("import torch\nfrom benchmark.registry import register_loss\n\n"
            "@register_loss('journey_cost')\nclass C(torch.nn.Module):\n"
            "    def forward(self, pred, target):\n        d = (pred - target).abs()\n{extra}"
            "        return d.mean()\n")
    grid = [RunConfig(task="denoise", loss="journey_cost", iterations=10, batch_size=2, crop=32)]
    path = tmp_path / "steptimes.json"
    try:
        f.write_text(body.format(extra=""))
        load_user_file(f)
        one = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
        assert one["measured"] > 0
        assert perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))["measured"] == 0  # same file
        f.write_text(body.format(extra="        for _ in range(200):\n            d = d + 0 * d.exp()\n"))
        load_user_file(f)  # the edited file replaces the old entry
        edited = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
        assert edited["measured"] > 0 and edited["reused"] < one["measured"]
    finally:
        LOSSES.remove("journey_cost")


def test_an_unknown_loss_with_no_close_name_points_to_loss_file(tmp_path, capsys):
    """Was: `run --losses grad_diff` (the loss of the user's file, --loss-file forgotten) was only
    'unknown loss 'grad_diff' (`plbench list losses` shows all)' → the line also says that a loss of
    one's own file is loaded with --loss-file; a near spelling of a registered loss keeps its did-you-mean."""
    capsys.readouterr()
    assert main(["run", "--losses", "grad_difference_mine", "--dry-run", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown loss 'grad_difference_mine'" in err[0] and "--loss-file FILE" in err[0], err
    assert main(["run", "--losses", "l11", "--dry-run", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "did you mean l1?" in err and "--loss-file" not in err, err


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_a_failed_run_of_an_edited_loss_file_is_not_charged_to_the_version_that_worked(tmp_path):
    """Was: a loss file trained fine, then edited (a bug that fails in training) and run again: the failed
    run of the new version has no rows, was labelled by its bare spec, and counted against the version
    that worked ('grad_diff (denoise: failed 1/2)', the failed column 1) → it is labelled with its own
    version, so the working version's row shows 0 failed of its 1 run."""
    from benchmark.registry import LOSSES

    out = tmp_path / "r"
    f = tmp_path / "late_bug.py"
    grid = [a if a != "l1" else "journey_late_bug" for a in FIELD if a != "--no-report"]
    try:
        f.write_text(LATE_BUG.replace("if self.calls > 1:", "if self.calls < 0:"))  # works
        assert main([*grid, "--loss-file", str(f), "--out", str(out)]) == 0
        f.write_text(LATE_BUG)  # edited: fails in training
        assert main([*grid, "--loss-file", str(f), "--out", str(out)]) == 1
        assert main(["report", "--out", str(out), "--no-visual", "--formats", "png", "--bootstrap", "100"]) == 0
    finally:
        LOSSES.remove("journey_late_bug")
    md = (out / "leaderboard.md").read_text()
    assert "failed 1/2" not in md, md
    rows = [ln for ln in md.splitlines() if ln.startswith("| journey_late_bug |")]
    assert rows and all(ln.rstrip(" |").endswith("| 0") for ln in rows[:1]), rows  # overall: failed column 0

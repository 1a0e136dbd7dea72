"""A tiny grid end to end through the CLI: results table, leaderboard, resume, determinism, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from benchmark.cli import main
from benchmark.results import COLUMNS, ResultsStore

TINY = ["--tasks", "denoise", "sr4", "--losses", "l1", "ssim", "--iterations", "3", "--crop", "32",
        "--batch-size", "2", "--metrics", "psnr", "ssim", "--device", "cpu", "--no-progress", "-q",
        "--test-data", "skimage-natural:test"]


# torch on one thread for this module's tiny grids, the shared grid included (conftest's one_thread_module)
pytestmark = pytest.mark.usefixtures("one_thread_module")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    assert main([*TINY, "--out", str(out)]) == 0
    return out


def test_table_and_leaderboard(grid):
    store = ResultsStore(grid)
    table = store.table()
    assert list(table.columns) == list(COLUMNS)
    # 2 tasks × (2 losses × 2 budgets (each run and its budget check at half the iterations) + input)
    # × 3 test images × 2 metrics
    assert len(table) == 2 * 5 * 3 * 2
    assert set(table["loss"]) == {"l1", "ssim", "input"}
    assert table["value"].notna().all()
    assert set(table.loc[table.metric == "psnr", "higher_is_better"]) == {True}
    md = (grid / "leaderboard.md").read_text()
    assert "## denoise" in md and "## sr4" in md and "| input |" in md and "**" in md
    assert "3 iterations" in md and "1 iterations" not in md  # the checks are no leaderboard of their own
    assert "from 1 to 3 iterations" in md or "Convergence not checked" not in md
    assert (grid / "leaderboard.png").stat().st_size > 1000
    metas = [m for m in store.metas() if m.get("kind") != "input"]
    assert len(metas) == 8 and all(m["status"] == "ok" for m in metas)
    assert sorted(m["config"]["iterations"] for m in metas) == [1] * 4 + [3] * 4
    m = metas[0]
    for key in ("config", "git_commit", "versions", "device", "wall_s", "it_per_s", "code_version"):
        assert key in m


@pytest.mark.usefixtures("no_report_figures")  # the runs are checked, not the report it redraws: 2/3 of the time
def test_second_invocation_trains_nothing(grid, tmp_path, caplog):
    import shutil

    grid = shutil.copytree(grid, tmp_path / "grid")  # its report, redrawn without figures, is not the module's
    before = {p: p.stat().st_mtime_ns for p in (grid / "runs").rglob("*") if p.is_file()}
    with caplog.at_level("INFO"):
        assert main([*TINY, "--out", str(grid)]) == 0
    after = {p: p.stat().st_mtime_ns for p in (grid / "runs").rglob("*") if p.is_file()}
    assert before == after
    assert "8 of 8 runs already have results" in caplog.text


def test_new_metric_rescores_without_training(tmp_path):
    out = tmp_path / "r"
    args = ["--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--crop", "32", "--batch-size", "2",
            "--test-data", "skimage-natural:test",
            "--device", "cpu", "--no-progress", "-q", "--no-report", "--no-budget-check", "--out", str(out)]
    assert main([*args, "--metrics", "psnr"]) == 0
    run = next(p for p in (out / "runs").iterdir() if not p.name.startswith("input"))
    net_mtime = (run / "net.pt").stat().st_mtime_ns
    assert main([*args, "--metrics", "psnr", "gmsd"]) == 0
    assert (run / "net.pt").stat().st_mtime_ns == net_mtime  # not retrained
    table = ResultsStore(out).table()
    assert set(table["metric"]) == {"psnr", "gmsd"}
    assert len(table[(table.loss == "l1")]) == 3 * 2


def test_cpu_training_is_deterministic(tmp_path):
    from benchmark.config import RunConfig
    from benchmark.data import load_images
    from benchmark.runner import train
    from benchmark.task import build_task

    cfg = RunConfig(task="denoise", loss="l1", iterations=4, crop=32, batch_size=2)
    images = load_images(cfg.train_data[0])
    a = train(cfg, build_task("denoise"), images, torch.device("cpu"))
    b = train(cfg, build_task("denoise"), images, torch.device("cpu"))
    for (k, va), vb in zip(a.net.state_dict().items(), b.net.state_dict().values()):
        assert torch.equal(va, vb), k
    c = train(RunConfig(task="denoise", loss="l1", iterations=4, crop=32, batch_size=2, seed=1),
              build_task("denoise"), images, torch.device("cpu"))
    assert not torch.equal(a.net.tail.weight, c.net.tail.weight)


def test_loss_file_grid(tmp_path):
    f = tmp_path / "my_loss.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('e2e_user_l1', citation='test')\nclass U(torch.nn.Module):\n"
                 "    '''user L1'''\n    def forward(self, p, t):\n        return (p - t).abs().mean()\n")
    out = tmp_path / "r"
    try:
        assert main(["--tasks", "denoise", "--loss-file", str(f), "--iterations", "2", "--crop", "32",
                     "--batch-size", "2", "--metrics", "psnr", "--device", "cpu", "--no-progress", "-q",
                     "--out", str(out)]) == 0
        table = pd.read_csv(out / "results.csv")
        assert "e2e_user_l1" in set(table["loss"])
        meta = next(json.loads(p.read_text()) for p in (out / "runs").glob("*/meta.json")
                    if "e2e_user_l1" in p.read_text())
        assert meta["config"]["loss"] == "e2e_user_l1"
    finally:
        from benchmark.registry import LOSSES

        LOSSES.remove("e2e_user_l1")


@pytest.mark.parametrize("argv,match", [
    (["--tasks", "denoize"], "did you mean denoise"),
    (["--losses", "l3"], "unknown loss 'l3'"),
    (["--metrics", "psnrr"], "did you mean psnr"),
    (["--net", "tinny"], "did you mean tiny"),
    (["--profile", "quik"], "did you mean quick"),
    (["--iterations", "-5"], "must be positive"),
    (["--device", "tpu"], "unknown device"),
    (["--crop", "4000", "--tasks", "denoise", "--losses", "l1"], "smaller than the 4000 px crop"),
    (["--train-data", "nobody/nothing-here"], "nothing-here"),
    (["--task-param", "denoise.sigmaa=0.1", "--tasks", "denoise"], "no parameter sigmaa"),
    (["--task-param", "oops"], "TASK.KEY=VALUE"),
])
def test_bad_input_one_line_exit_2(argv, match, tmp_path, capsys):
    import re

    base = ["--iterations", "1", "--metrics", "psnr", "--out", str(tmp_path / "r"), "--no-progress", "-q"]
    code = main([*base, *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert re.search(match, err[0]), err[0]


def test_list_command(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "denoise" in out and "ms_ssim_l1" in out and "psnr" in out and "usable offline" in out

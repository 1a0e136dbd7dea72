"""Third-party losses arrive through the `plbench.losses` entry-point group: a tiny package is
built, installed into a folder, and its loss appears in `plbench list losses` and trains."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # builds and installs a wheel (20 s); a loss in one file: tests/test_end_to_end.py
def test_a_plugin_package_is_found(tmp_path):
    pkg = tmp_path / "plbench-huber"
    (pkg / "plbench_huber").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "plbench-huber"
        version = "0.1"

        [project.entry-points."plbench.losses"]
        huber_plugin = "plbench_huber.loss"

        [project.entry-points."plbench.metrics"]
        mean_abs_plugin = "plbench_huber.metric:MeanAbs"

        [tool.setuptools]
        packages = ["plbench_huber"]
    """))
    (pkg / "plbench_huber" / "__init__.py").write_text("")
    (pkg / "plbench_huber" / "loss.py").write_text(textwrap.dedent('''
        import torch
        from benchmark.registry import register_loss

        @register_loss("huber_plugin", citation="Huber, 1964")
        class Huber(torch.nn.Module):
            """Huber loss (a third-party plugin)."""
            def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
                return torch.nn.functional.smooth_l1_loss(pred, target, beta=0.05)
    '''))
    (pkg / "plbench_huber" / "metric.py").write_text(textwrap.dedent('''
        import torch

        class MeanAbs(torch.nn.Module):
            """Mean absolute error per image (a third-party metric plugin); lower is better."""
            lower_better = True
            metric_mode = "FR"
            provenance = "none"

            def __init__(self, weights="pretrained", device="cpu"):
                super().__init__()

            def forward(self, pred, target):
                return (pred - target).abs().mean((1, 2, 3))
    '''))
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--target", str(site), str(pkg)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    listed = subprocess.run([sys.executable, str(ROOT / "run_all.py"), "list", "losses"], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=300)
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if "huber_plugin" in line)
    assert "Huber loss (a third-party plugin)" in line and "plugin: plbench_huber.loss (plbench-huber)" in line
    metrics = subprocess.run([sys.executable, str(ROOT / "run_all.py"), "list", "metrics"], capture_output=True,
                             text=True, env=env, cwd=ROOT, timeout=300)
    assert any(line.split()[0] == "mean_abs_plugin" for line in metrics.stdout.splitlines()[1:] if line.strip())
    out = tmp_path / "r"
    run = subprocess.run([sys.executable, str(ROOT / "run_all.py"), "--tasks", "denoise", "--losses", "huber_plugin",
                          "--iterations", "2", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
                          "mean_abs_plugin", "--test-data", "skimage-natural:test", "--device", "cpu", "--no-progress",
                          "-q",
                          "--no-report", "--out", str(out)], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert any('"loss": "huber_plugin"' in p.read_text() for p in out.glob("runs/*/meta.json"))
    import pandas as pd

    table = pd.concat([pd.read_parquet(f) for f in out.glob("runs/*/eval-*.parquet")])
    scored = table[table["metric"] == "mean_abs_plugin"]
    assert len(scored) > 0 and (scored["value"] >= 0).all() and not scored["higher_is_better"].any()

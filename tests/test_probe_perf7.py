"""Speed without changing a number: shared work in evaluation, lazy heavy imports."""

import subprocess
import sys

import pytest
import torch

from benchmark import metrics as M


def _pair(h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(1, 3, h, w, generator=g)
    return (clean + 0.1 * torch.randn(1, 3, h, w, generator=g)).clamp(0, 1), clean


def test_ssim_and_ms_ssim_share_their_full_resolution_pass(monkeypatch):
    """Scoring both computed the luma and the full-resolution SSIM twice (6 filter passes, 4 conversions);
    ms_ssim's first scale is ssim itself, so a set scoring both does 5 passes and 2 conversions."""
    import pyiqa.archs.func_util as fu

    calls = {"ssim": 0, "luma": 0}
    real_ssim, real_pre = M.ssim_separable, fu.preprocess_rgb

    def count_ssim(*a, **k):
        calls["ssim"] += 1
        return real_ssim(*a, **k)

    def count_pre(*a, **k):
        calls["luma"] += 1
        return real_pre(*a, **k)

    monkeypatch.setattr(M, "ssim_separable", count_ssim)
    monkeypatch.setattr(fu, "preprocess_rgb", count_pre)
    pred, clean = _pair(170, 180)
    scores = M.MetricSet(["ssim", "ms_ssim"]).score(pred, clean)
    assert set(scores) == {"ssim", "ms_ssim"}
    assert calls == {"ssim": 5, "luma": 2}


@pytest.mark.parametrize("shape", [(170, 180), (161, 200), (300, 161), (64, 90)])
def test_scores_of_a_set_equal_each_metric_alone_to_the_last_bit(shape):
    """The shared pass gives each metric exactly what its own module gives (below ms_ssim's 161 px, ssim
    alone is scored by its module, ms_ssim left out)."""
    pred, clean = _pair(*shape, seed=sum(shape))
    together = M.MetricSet(["psnr", "ssim", "ms_ssim"]).score(pred, clean)
    alone = {}
    for name in ("psnr", "ssim", "ms_ssim"):
        alone.update(M.MetricSet([name]).score(pred, clean))
    assert together == alone
    ssim_mod, ms_mod = M.SeparableSSIM(False), M.SeparableSSIM(True)
    assert together["ssim"] == float(ssim_mod(pred, clean).float().mean())
    if min(shape) >= M.min_side("ms_ssim"):
        assert together["ms_ssim"] == float(ms_mod(pred, clean).float().mean())
        s, ms = ms_mod.both(pred, clean)
        assert torch.equal(s, ssim_mod(pred, clean)) and torch.equal(ms, ms_mod(pred, clean))
    else:
        assert "ms_ssim" not in together


def test_cli_api_and_runner_import_neither_pyiqa_nor_dynamo():
    """`plbench --help`, `import benchmark.api` and the runner must not pay pyiqa's or torch._dynamo's import
    (seconds each): pyiqa (which pulls torchvision → torch._dynamo) is imported only when a metric is opened."""
    code = ("import sys, benchmark.cli, benchmark.api, benchmark.runner, benchmark.metrics, benchmark.executors; "
            "print(sorted(m for m in ('pyiqa', 'torch._dynamo', 'torchvision', 'torch._inductor') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_checking_metric_names_does_not_import_pyiqa():
    """check_metric_names imported pyiqa (torchvision, torch._dynamo: seconds) to read its list of names, in
    a dry run and in a re-run of a finished grid that opens no metric → the names come from pyiqa's configs
    file alone; a typo is still the one-line error with its suggestion."""
    code = ("import sys\n"
            "from benchmark.metrics import check_metric_names, available_metrics\n"
            "from benchmark.config import DEFAULT_METRICS\n"
            "from benchmark.errors import UserError\n"
            "check_metric_names(DEFAULT_METRICS + ('contrique_fr', 'mad'))\n"
            "try:\n"
            "    check_metric_names(['ms_sim'])\n"
            "except UserError as exc:\n"
            "    print(exc)\n"
            "print(sorted(m for m in ('pyiqa', 'torch._dynamo', 'torchvision') if m in sys.modules))\n"
            "import pyiqa\n"
            "from benchmark.registry import METRICS\n"
            "print(available_metrics() == sorted([*pyiqa.list_models(), *METRICS.names()]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    error, loaded, same = out.stdout.strip().splitlines()
    assert "unknown metric 'ms_sim'" in error and "ms_ssim" in error
    assert loaded == "[]"
    assert same == "True"

"""Review of the perf7 commits (shared ssim/ms_ssim pass, pyiqa's names read from its configs file, the bench
scripts): each test here checks what the commits' own tests left unchecked or failed before its fix."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_names_read_from_pyiqas_file_equal_list_models_and_a_moved_file_falls_back_silently(tmp_path):
    """test_probe_perf7 compared ``available_metrics()`` with ``pyiqa.list_models()`` only after ``import pyiqa``,
    when :func:`pyiqa_names` asks pyiqa itself: the list read from the configs file alone was never compared.
    Here it is, and a pyiqa laid out otherwise (the file moved; its dict renamed) gives the same list, silently."""
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    (renamed / "default_model_configs.py").write_text("CONFIGS = {'psnr': {}}\n")
    code = f"""
import importlib.util, logging, sys
logging.basicConfig(level=logging.INFO)
from benchmark.metrics import pyiqa_names
alone = pyiqa_names()
assert 'pyiqa' not in sys.modules
real = importlib.util.find_spec
def moved_to(folder):
    def find(name, *a):
        spec = real(name, *a)
        if name == 'pyiqa':
            spec.submodule_search_locations = [folder]
        return spec
    return find
moved = {{}}
for label, folder in (('moved', {str(tmp_path / 'empty')!r}), ('renamed', {str(renamed)!r})):
    importlib.util.find_spec = moved_to(folder)
    for m in [m for m in sys.modules if m == 'pyiqa' or m.startswith('pyiqa.')]:
        del sys.modules[m]
    moved[label] = pyiqa_names()
importlib.util.find_spec = real
import pyiqa
truth = sorted(pyiqa.list_models())
print(alone == truth, moved['moved'] == truth, moved['renamed'] == truth, len(truth))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    alone, moved, renamed_ok, n = out.stdout.split()
    assert (alone, moved, renamed_ok) == ("True", "True", "True") and int(n) > 50, out.stdout
    assert "pyiqa_names" not in out.stderr and "configs" not in out.stderr, out.stderr  # silent: nothing at INFO


class _Metric:
    def __init__(self, name, value):
        self.name, self.full_reference = name, True
        self.module = lambda pred, target: torch.tensor([value], dtype=torch.float64)


class _Set:
    def __init__(self, metrics):
        self.metrics = metrics

    def score(self, pred, target):
        return {m.name: float(m.module(pred, target).float().mean()) for m in self.metrics}


def _fake_bench(monkeypatch, mod, metrics):
    import benchmark.metrics as M

    monkeypatch.setattr(M, "MetricSet", lambda names: _Set(metrics))
    img = torch.zeros(1, 3, 8, 8)
    monkeypatch.setattr(mod, "noisy_pairs", lambda folder, limit, **kw: [(img, img)])


def test_bench_eval_takes_a_nan_scored_by_both_paths_as_equal(monkeypatch, caplog):
    """A metric scoring NaN (niqe or piqe on a flat image) in both paths made ``bench_eval`` report "scores differ"
    and exit 1 (NaN != NaN), and ``--threads`` count it as a difference: equal bits are now equal, NaN included;
    a ``--threads`` equal to torch's count (nothing to compare) is a one-line error."""
    caplog.set_level(logging.INFO)
    mod = load_script("bench_eval")
    _fake_bench(monkeypatch, mod, [_Metric("flat", math.nan), _Metric("psnr", 30.0)])
    assert mod.main(["--metrics", "flat,psnr", "--reps", "1"]) == 0, caplog.text
    caplog.clear()
    base = torch.get_num_threads()
    try:
        assert mod.main(["--metrics", "flat,psnr", "--reps", "1", "--threads", str(2 if base != 2 else 1)]) == 0
        assert "0 of 2 (image, metric) scores differ" in caplog.text, caplog.text
        with pytest.raises(SystemExit, match="thread count already"):
            mod.main(["--metrics", "flat,psnr", "--reps", "1", "--threads", str(base)])
    finally:
        torch.set_num_threads(base)
    assert mod._differing({"a": 0.0}, {"a": -0.0}) == {"a"} and mod._differing({"a": 1.0}, {}) == {"a"}

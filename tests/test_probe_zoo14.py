"""Probe of the loss zoo and metrics, session 14: defects found against the references, each with its test."""

from __future__ import annotations

import pytest
import torch

from benchmark.metrics import MetricSet


def _brisque_file(tmp_path, monkeypatch, seed: int = 0):
    """A BRISQUE SVM file (support vector coefficients, support vectors over its 36 features) where pyiqa's brisque
    reads it, in a fresh torch hub dir: a file of another content than pyiqa's, as a user's replaced one is."""
    import pyiqa.utils.download_util as du

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(du, "DEFAULT_CACHE_DIR", str(tmp_path / "torch" / "hub" / "pyiqa"))  # pyiqa's, set on import
    g = torch.Generator().manual_seed(seed)
    path = tmp_path / "torch" / "hub" / "pyiqa" / "brisque_svm_weights.pth"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save((torch.randn(20, generator=g, dtype=torch.float64), torch.rand(20, 36, generator=g,
                                                                             dtype=torch.float64)), path)
    return path


def test_a_pyiqa_metric_outside_the_table_has_the_files_it_read_hashed(tmp_path, monkeypatch):
    """The mechanism of the test below without importing pyiqa (seconds): a metric whose constructor reads a weights
    file (a stand-in for pyiqa's create_metric) records that file's SHA-256 with the metric it opens, and planning
    (no metric built) hashes the same file again, another content at its place being another digest."""
    import sys
    import types

    from benchmark.metrics import open_metric, weights_digest  # what planning's weights_digests calls per metric
    from benchmark.weights import file_sha256

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = tmp_path / "torch" / "hub" / "pyiqa" / "probe_iqa.pth"
    path.parent.mkdir(parents=True)
    torch.save({"w": torch.ones(3)}, path)

    def create_metric(name, device=None, as_loss=False):
        state = torch.load(str(path))
        return types.SimpleNamespace(lower_better=False, metric_mode="NR", state=state)

    monkeypatch.setitem(sys.modules, "pyiqa", types.SimpleNamespace(create_metric=create_metric))
    assert weights_digest("probe_iqa") == ""  # never opened: nothing known to hash
    m, why = open_metric("probe_iqa")
    assert m is not None and m.sha256 == file_sha256(path) and m.weights == "pyiqa-cache:probe_iqa.pth", why
    assert weights_digest("probe_iqa") == m.sha256
    torch.save({"w": torch.zeros(3)}, path)
    assert weights_digest("probe_iqa") not in ("", m.sha256)


@pytest.mark.slow  # imports pyiqa (5–10 s on 2 loaded cores); the test above checks the same path without it
def test_every_learned_metrics_cached_file_is_hashed_not_only_the_tables(tmp_path, monkeypatch):
    """a33dc30 hashed the cached files of lpips, dists, niqe and musiq (benchmark.weights.METRIC_WEIGHTS) alone: any
    other pyiqa metric with a weights file (brisque's SVM, topiq's, cnniqa's, lpips-vgg's) recorded no digest, so a
    file put at its place scored new runs while the stored runs kept the old file's scores in the same column → the
    files a pyiqa metric reads as it is opened are hashed as they are read, remembered, and hashed again at planning."""
    from benchmark.runner import weights_digests
    from benchmark.weights import file_sha256

    path = _brisque_file(tmp_path, monkeypatch)
    opened = MetricSet(["brisque", "psnr"])
    assert [m.name for m in opened.metrics] == ["brisque", "psnr"], opened.skipped
    digest = file_sha256(path)
    assert opened.digests == {"brisque": digest}
    assert weights_digests(["brisque", "psnr"]) == {"brisque": digest}  # at planning: no metric built
    _brisque_file(tmp_path, monkeypatch, seed=1)  # another file at its place
    assert weights_digests(["brisque"])["brisque"] not in ("", digest)
    path.unlink()  # gone: skipped when opened, nothing to compare
    assert weights_digests(["brisque"]) == {}


def test_the_harness_modcrop_is_one_definition_a_plugin_task_inherits():
    """Each of the five task files declared the harness's ``modcrop`` field and its ``cuts_by_modcrop`` switch itself
    (five copies of one parameter; a plugin task wanting the papers' cut had to copy both lines and know the switch)
    → :class:`benchmark.task.ModcropTask` declares them once; the built-in tasks and a plugin's inherit them, with
    the same recorded parameters (``modcrop`` only when true) and the same run ids."""
    import dataclasses

    from benchmark.registry import TASKS
    from benchmark.task import ModcropTask, Task

    @dataclasses.dataclass(frozen=True)
    class Crops4(ModcropTask):
        sigma: float = 0.1
        size_multiple = 4

        def degrade(self, clean, generator):
            return clean

    assert Crops4().params == {"sigma": 0.1} and Crops4().test_multiple == 8
    assert Crops4(0.2, modcrop=True).params == {"sigma": 0.2, "modcrop": True}
    assert Crops4(modcrop=True).test_multiple == 4
    for name in ("denoise", "sr4", "jpeg", "deblur", "demosaic"):
        cls = TASKS.get(name).obj
        assert issubclass(cls, ModcropTask) and "modcrop" not in cls.__dict__.get("__annotations__", {}), name
        assert "cuts_by_modcrop" not in cls.__dict__, name
    assert not Task.cuts_by_modcrop


def test_a_metric_file_read_through_an_open_file_or_torchscript_is_recorded(tmp_path):
    """pyiqa's CLIP loader (clipiqa, liqe, qualiclip, afine) opens its file and hands torch.jit.load / torch.load the
    file object, and arniqa's regressor is a TorchScript file: neither was recorded by files_read, which took paths
    given to torch.load alone, so those metrics' files went unhashed → a file object's name and torch.jit.load are
    recorded too."""
    from benchmark.metrics import files_read
    from benchmark.weights import file_sha256

    script, state = tmp_path / "regressor.pt", tmp_path / "clip.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 1)), str(script))
    torch.save({"w": torch.ones(2)}, state)
    read: dict[str, str] = {}
    with files_read(read):
        torch.jit.load(str(script))
        with open(state, "rb") as f:
            torch.load(f)
    assert read == {str(script): file_sha256(script), str(state): file_sha256(state)}

"""Probe of the loss zoo and metrics, session 14: defects found against the references, each with its test."""

from __future__ import annotations

import pytest
import scipy.io  # noqa: F401 - files_read imports it once a process (a second): at collection, not in a test's time
import torch

import benchmark.results  # noqa: F401 - pandas at collection, as the suite's other modules import it: a test's time is its own
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

    from benchmark.metrics import open_metric, weights_digest  # what planning's current_digests calls per metric
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
    from benchmark.results import current_digests
    from benchmark.weights import file_sha256

    path = _brisque_file(tmp_path, monkeypatch)
    opened = MetricSet(["brisque", "psnr"])
    assert [m.name for m in opened.metrics] == ["brisque", "psnr"], opened.skipped
    digest = file_sha256(path)
    assert opened.digests == {"brisque": digest}
    assert current_digests(["brisque", "psnr"]) == {"brisque": digest}  # at planning: no metric built
    _brisque_file(tmp_path, monkeypatch, seed=1)  # another file at its place
    assert current_digests(["brisque"])["brisque"] not in ("", digest)
    path.unlink()  # gone: skipped when opened, nothing to compare
    assert current_digests(["brisque"]) == {}


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


def _mad_pair(h: int, w: int, seed: int = 0):
    """A smooth image of mid-grey content (a luminance above MAD's masking threshold) and a noisy copy, (1, 3, h, w)."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 3, h), torch.linspace(0, 4, w), indexing="ij")
    clean = (0.5 + 0.2 * torch.sin(xx + yy)[None, None] + 0.1 * torch.rand(1, 3, h, w, generator=g)).clamp(0, 1)
    return (clean + 0.08 * torch.randn(clean.shape, generator=g)).clamp(0, 1), clean


@pytest.fixture(scope="module")
def mad():
    """mad as a grid opens it, once for the module: importing pyiqa and the first call's warm-up (torch's FFT and
    pow kernels: seconds, then 0.7 s) are this fixture's setup, not a test's."""
    module = MetricSet(["mad"]).metrics[0].module
    pred, clean = _mad_pair(32, 32)
    module(pred[:, :1], clean[:, :1])
    return module


def test_mad_of_a_non_square_or_odd_sided_image_is_not_a_perfect_zero(mad):
    """pyiqa's mad reshaped its contrast-sensitivity filter, built (W, H) by a transpose, into (H, W) and shifted an
    odd side's spectrum one pixel past the filter's centre: on an odd side the image's mean luminance fell under MAD's
    masking threshold and every block was masked, so MAD — lower is better — was 0.0, a perfect score, for any pair
    (two independent noise images at 32×35: 0.0; the authors' make_csf(M, N)' is (H, W), centred by fftshift) → the
    filter is built (H, W) about the spectrum's centre: its DC gain is the CSF's 0.9809 on every shape."""
    import numpy as np
    from pyiqa.archs.mad_arch import make_csf

    from benchmark.fastiqa import _mad_csf, mad_csf_filter

    m, n = 6, 9  # the authors' make_csf(M, N, 32)' of an M×N image, transcribed (MATLAB's meshgrid is numpy's)
    xplane, yplane = np.meshgrid(np.arange(-m / 2 + 0.5, m / 2), np.arange(-n / 2 + 0.5, n / 2))
    plane = (xplane + 1j * yplane) / n * 2 * 32
    radfreq = np.abs(plane) / ((1 - 0.7) / 2 * np.cos(4 * np.angle(plane)) + (1 + 0.7) / 2)
    csf = 2.6 * (0.0192 + 0.114 * radfreq) * np.exp(-((0.114 * radfreq) ** 1.1))
    csf[radfreq < 7.8909] = 0.9809
    assert np.allclose(_mad_csf(m, n).numpy(), csf.T, rtol=1e-12)
    assert not np.allclose(make_csf(m, n, 32).reshape(m, n), csf.T)  # pyiqa's (W, H) array read as (H, W)
    g = torch.Generator().manual_seed(3)
    for h, w in ((32, 35), (35, 32), (33, 33), (40, 56)):  # one channel: each is scored alone
        x, y = torch.rand(1, 1, h, w, generator=g), torch.rand(1, 1, h, w, generator=g)
        assert float(mad(x, y)) > 10, (h, w)  # two unrelated noise images: far from identical
        flat = torch.full((1, 1, h, w), 0.7, dtype=torch.float64)
        assert torch.allclose(mad_csf_filter(flat), 0.9809 * flat, rtol=1e-9), (h, w)


def test_mad_scores_each_channel_alone(mad):
    """pyiqa's mad scores each RGB channel ×255 and averages, but reshaped its (batch, block, channel) local
    statistics as (batch, channel, block), mixing the three channels' blocks: an RGB pair's score was not the mean
    of its channels' scores (a 64×64 crop: 98.2, and 109.2 transposed) → the statistics are computed per channel."""
    pred, clean = _mad_pair(32, 32)
    whole = float(mad(pred, clean))
    per_channel = [float(mad(pred[:, c:c + 1], clean[:, c:c + 1])) for c in range(3)]
    assert abs(whole - sum(per_channel) / 3) <= 1e-9 * whole, (whole, per_channel)


def test_mad_weights_each_gabor_map_by_its_scale_as_the_authors_code(mad):
    """The authors' lo_index (MAD_index_april_2010.m) sums, for each scale gb_i = 1..5 and orientation gb_j = 1..4,
    s(gb_i)·(|Δstd| + 2|Δskew| + |Δkurtosis|) of the log-Gabor maps' local statistics, s = [0.5 0.75 1 5 6] / 13.25.
    pyiqa's loop ran gb_i over the 4 orientations of its [orientation][scale] maps and weighted by s[gb_i]: each
    orientation's maps by one scale's weight, the coarsest scale's 6/13.25 never used (weights summing to 0.55) →
    each map by its scale's weight, equal to a transcription of the authors' loop."""
    from pyiqa.archs.mad_arch import ical_stat, lo_index
    from pyiqa.matlab_utils import math_util

    from benchmark.fastiqa import DefinedMAD, mad_gaborconvolve

    pred, clean = _mad_pair(48, 40)
    ref, dst = clean[:, :1].double() * 255, pred[:, :1].double() * 255
    gab_ref, gab_dst = mad_gaborconvolve(ref), mad_gaborconvolve(dst)  # the maps: [orientation][scale]
    s = [0.5 / 13.25, 0.75 / 13.25, 1 / 13.25, 5 / 13.25, 6 / 13.25]
    mp = 0
    for gb_i in range(5):  # scales
        for gb_j in range(4):  # orientations
            r = ical_stat(math_util.abs(gab_ref[gb_j][gb_i]))
            d = ical_stat(math_util.abs(gab_dst[gb_j][gb_i]))
            mp = mp + s[gb_i] * ((r[0] - d[0]).abs() + 2 * (r[1] - d[1]).abs() + (r[2] - d[2]).abs())
    authors = float(torch.linalg.vector_norm(mp) / mp[0, 0].numel() ** 0.5)
    ours = float(DefinedMAD.lo_index(ref, dst))
    assert abs(ours - authors) <= 1e-12 * authors
    assert abs(float(lo_index(ref, dst)) - authors) > 1e-3 * authors  # pyiqa's weighting is another number


def test_mad_gabor_filters_zero_the_centre_of_the_spectrum_as_the_authors_code(mad):
    """The authors' gaborconvolve sets the radius at MATLAB's (round(rows/2+1), round(cols/2+1)) — the spectrum's
    centre — to 1 before its log, then zeroes the filter there. pyiqa's port indexed that pixel 0-based as it stood:
    on an even side the diagonal neighbour of DC got radius 1, so the finest scale passed frequency (1, 1) — an
    image's broadest gradient — at 0.79 × its spread where the filter is ~0.003 (a 32×32 cosine: 0.129 instead of
    0.0005), and numpy's round-half-to-even moved both pixels on a side of 4k + 1; MAD 0.3–2.8 % off on 64–96 px
    crops → the authors' indices; on a side of 4k + 3, where pyiqa's indices are the authors', its maps unchanged."""
    from pyiqa.archs.mad_arch import gaborconvolve

    from benchmark.fastiqa import mad_gaborconvolve

    for n in (32, 33):
        yy, xx = torch.meshgrid(*(torch.arange(n, dtype=torch.float64),) * 2, indexing="ij")
        broadest = torch.cos(2 * torch.pi * (yy + xx) / n)[None, None]  # frequency (1, 1)
        finest = mad_gaborconvolve(broadest)[0][0]  # orientation 0, scale 0 (3-px wavelength)
        assert float(finest.norm(dim=-1).max()) < 0.01, n
        assert float(gaborconvolve(broadest)[0][0].norm(dim=-1).max()) > 0.1, n  # pyiqa's
    im = torch.rand(1, 1, 35, 35, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours, pyiqa = mad_gaborconvolve(im), gaborconvolve(im)
    assert all(torch.allclose(ours[o][s], pyiqa[o][s], rtol=0, atol=1e-9) for o in range(4) for s in range(5))


def test_the_readme_says_what_a_run_id_hashes_of_a_checkpoint_named_in_a_loss_spec(tmp_path):
    """README (Weights) said a checkpoint named in a loss spec was one "which the run's id does not hash": since
    7a9a4d7 the id holds its content (RunConfig.weights_fingerprint: a file replaced in place is another run) and,
    the spec being part of the config, its path (the file moved elsewhere is another run too, unlike
    --backbone-weights' file) → the README says both, as the ids behave."""
    from pathlib import Path

    from benchmark.config import RunConfig, run_id
    from benchmark.weights import weights_fingerprint

    def planned(path):  # the id resolve() gives it (its fingerprint filled), without resolving the data
        loss = f"vgg(weights={str(path)!r}, layers=('layer1',))"
        return run_id(RunConfig(task="denoise", loss=loss, backbone_weights="random",
                                weights_fingerprint=weights_fingerprint(loss, "random")))

    ckpt = tmp_path / "a" / "enc.pt"
    ckpt.parent.mkdir()
    ckpt.write_bytes(b"an encoder")
    first = planned(ckpt)
    ckpt.write_bytes(b"another encoder")
    replaced = planned(ckpt)
    moved = tmp_path / "b" / "enc.pt"
    moved.parent.mkdir()
    ckpt.rename(moved)
    assert len({first, replaced, planned(moved)}) == 3
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert "which the run's id does not hash" not in readme
    assert ("a run's id holds a checkpoint named in a loss spec by its content and by its path (the file replaced in "
            "place or moved elsewhere is another run; `--backbone-weights`' file, by its content alone, keeps its runs "
            "where it moves: `tests/test_probe_weights1312.py`)") in readme


def _mad_store(root, marked: dict[str, bool]):
    """A store of synthetic runs scored with psnr and mad, each run's mad pass recorded with today's code marker
    (``marked[loss]``) or without one, as every pass before 5cba3ce (pyiqa's mad) was."""
    from benchmark.metric_code import code_digest
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    old = []
    for rid, meta, rows in synthetic_runs(offsets={loss: 0.0 for loss in marked}, seeds=(0,), n_images=2,
                                          metrics=("psnr", "mad"), budget_check=False):
        new = marked.get((meta.get("config") or {}).get("loss"), True)  # the degraded input's: today's
        store.write_eval(rid, rows, ["psnr", "mad"], {}, metric_sha256={"mad": code_digest("mad")} if new else None)
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
        old += [] if new else [rid]
    return store, old


def test_mad_scores_of_the_code_before_its_fix_are_stale_re_scored_and_left_out(tmp_path, monkeypatch, caplog):
    """5cba3ce changed mad's numbers on every image but its stored scores (pyiqa's port) recorded nothing to tell
    them by, so a rerun kept them and a table held both codes' numbers in one column → mad's digest holds a marker of
    its code (benchmark.metric_code, no torch), a pass without it is stale: planning re-scores the run, and the table
    leaves the old scores out where runs have today's, in one line, without hashing a file or opening a metric."""
    import benchmark.metrics
    from benchmark.metric_code import UNMARKED, code_digest
    from benchmark.report import coverage_lines, coverage_table

    now = {"mad": benchmark.metrics.weights_digest("mad")}  # planning's (results.current_digests), the pass's record
    assert now["mad"] == code_digest("mad") != ""
    store, old = _mad_store(tmp_path / "r", {"l1": False, "good": True})
    assert old and all(store.stale_metrics(r, now) == {"mad": UNMARKED} for r in old)  # incomplete: re-scored
    assert all(store.stale_metrics(r, now) == {} for r in set(store.run_ids()) - set(old))
    from benchmark.docmarkup import plural

    (line,) = coverage_lines(coverage_table(store, old), len(old))  # a board of old runs alone keeps them: says so
    said = f"`mad` scored by its code before today's fix in {len(old)} of {plural(len(old), 'run')}"
    assert line.startswith(said), line
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda name: (_ for _ in ()).throw(AssertionError(name)))
    with caplog.at_level("WARNING", logger="benchmark.results"):
        t = store.table()
    mad = set(t.loc[t.metric == "mad", "run_id"].astype(str))
    assert mad and mad.isdisjoint(old) and set(old) <= set(t.loc[t.metric == "psnr", "run_id"].astype(str))
    (line,) = [r.getMessage() for r in caplog.records if "`mad`" in r.getMessage()]
    assert "code before today's fix" in line and f"in {len(old)} of" in line and "\n" not in line, line
    store.write_eval(old[0], [], ["mad"], {}, metric_sha256={"mad": code_digest("mad")})  # re-scored
    assert store.stale_metrics(old[0], {"mad": code_digest("mad")}) == {}


def test_the_metric_code_markers_are_read_without_torch():
    """The results readers (report, findings, api.load_results) tell mad's old scores by benchmark.metric_code alone:
    it imports no torch, nor benchmark.metrics."""
    import subprocess
    import sys

    code = ("import sys, benchmark.metric_code as c; c.code_digest('mad'); "
            "assert not {'torch', 'benchmark.metrics', 'benchmark.weights'} & set(sys.modules), sys.modules.keys()")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _probe_pyiqa(tmp_path, monkeypatch):
    """A stand-in for pyiqa whose metric ``probe_iqa`` reads one weights file as it is built, in a fresh torch hub
    dir; returns that file."""
    import sys
    import types

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = tmp_path / "torch" / "hub" / "pyiqa" / "probe_iqa.pth"
    path.parent.mkdir(parents=True)
    torch.save({"w": torch.ones(3)}, path)

    def create_metric(name, device=None, as_loss=False):
        return types.SimpleNamespace(lower_better=False, metric_mode="NR", state=torch.load(str(path)))

    monkeypatch.setitem(sys.modules, "pyiqa", types.SimpleNamespace(create_metric=create_metric))
    return path


def test_a_metric_files_list_that_cannot_be_written_or_read_fails_no_scoring_pass(tmp_path, monkeypatch, caplog):
    """a1f8ee3 kept the files a pyiqa metric read in <hub>/plbench/metric_files.json, catching OSError alone: the
    store's writer raises its one-line errors (a read-only or full cache, a folder at the name) as UserError, so
    opening brisque, topiq, … on a read-only shared cache crashed the scoring pass → nothing kept, the metric opens
    with its digest, one warning line a process; a corrupt list is written anew."""
    import benchmark.weights
    from benchmark.metrics import open_metric, weights_digest
    from benchmark.weights import METRIC_FILES_JSON, cache_dir, file_sha256

    path = _probe_pyiqa(tmp_path, monkeypatch)
    (cache_dir() / METRIC_FILES_JSON).mkdir(parents=True)  # the name taken by a folder
    with caplog.at_level("WARNING", logger="benchmark.weights"):
        for _ in range(2):
            m, why = open_metric("probe_iqa")
            assert m is not None and m.sha256 == file_sha256(path), why
    said = [r.getMessage() for r in caplog.records if METRIC_FILES_JSON in r.getMessage()]
    assert len(said) == 1 and "\n" not in said[0], said
    (cache_dir() / METRIC_FILES_JSON).rmdir()
    (cache_dir() / METRIC_FILES_JSON).write_text('{"brisque": ["pyiqa/brisq', encoding="utf-8")  # cut short
    m, why = open_metric("probe_iqa")
    assert m is not None and weights_digest("probe_iqa") == m.sha256 == file_sha256(path), why

    def read_only(*a, **k):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(benchmark.weights, "_write_whole_json", read_only)
    (cache_dir() / METRIC_FILES_JSON).unlink()
    m, why = open_metric("probe_iqa")
    assert m is not None and m.sha256 == file_sha256(path) and weights_digest("probe_iqa") == "", why


def test_two_processes_keeping_metric_files_lose_neither_metric(tmp_path, monkeypatch):
    """metric_files.json was read, changed and written back with no lock: a process that read it before another
    wrote its metric wrote its own list over it (brisque's kept, topiq's lost: no digest for topiq at planning) →
    read again under a lock before writing."""
    import benchmark.weights as w

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    w.remember_metric_files("topiq_nr", [str(tmp_path / "torch" / "hub" / "pyiqa" / "topiq.pth")])
    real, calls = w._metric_files_read, []

    def before_the_other_wrote():  # this process's first read: the file as it was before topiq's was kept
        calls.append(1)
        return {} if len(calls) == 1 else real()

    monkeypatch.setattr(w, "_metric_files_read", before_the_other_wrote)
    w.remember_metric_files("brisque", [str(tmp_path / "torch" / "hub" / "pyiqa" / "brisque.pth")])
    monkeypatch.setattr(w, "_metric_files_read", real)
    assert [p.name for p in w.metric_files("topiq_nr")] == ["topiq.pth"]
    assert [p.name for p in w.metric_files("brisque")] == ["brisque.pth"]


def test_a_reader_pyiqa_imports_as_it_builds_a_metric_is_recorded(tmp_path, monkeypatch):
    """f499c9f patched the weights readers already imported, taking ``import pyiqa`` to import them all; pyiqa
    imports an arch (and with it scipy.io: nrqm, pi; timm's safetensors: its backbones) as the metric is built, so a
    file read through a reader first imported then went unhashed → a pyiqa metric that may read a file has the
    readers imported, and patched, before it is built."""
    import sys
    import types

    import safetensors
    import safetensors.torch as st

    from benchmark.metrics import open_metric
    from benchmark.weights import file_sha256

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = tmp_path / "torch" / "hub" / "checkpoints" / "backbone.safetensors"
    path.parent.mkdir(parents=True)
    st.save_file({"w": torch.ones(3)}, str(path))
    monkeypatch.delitem(sys.modules, "safetensors.torch")  # not imported yet, as after `import pyiqa`
    monkeypatch.setattr(safetensors, "torch", st, raising=False)

    def create_metric(name, device=None, as_loss=False):
        import importlib

        arch = importlib.import_module("safetensors.torch")  # the arch's import, as pyiqa builds the metric
        return types.SimpleNamespace(lower_better=False, metric_mode="NR", state=arch.load_file(str(path)))

    monkeypatch.setitem(sys.modules, "pyiqa", types.SimpleNamespace(create_metric=create_metric))
    m, why = open_metric("probe_backbone_iqa")
    assert m is not None and m.sha256 == file_sha256(path) and m.weights == "pyiqa-cache:backbone.safetensors", why

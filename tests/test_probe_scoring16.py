"""Scoring and metrics: one place per rule, the reference side computed once (probe 16)."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import torch

from tests.conftest import SHARED


def _photo(name: str = "Kodak24/kodim01.png") -> torch.Tensor:
    """A real test image (1, 3, H, W) in [0, 1]; skipped where the shared datasets are not here."""
    from PIL import Image

    path = os.path.join(SHARED, name)
    if not glob.glob(path):
        pytest.skip(f"{path} not here")
    return torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1)[None].float() / 255



def _mad_pair():
    clean = _photo()[..., 100:124, 200:237].contiguous()  # 24 × 37: an odd side, not square
    g = torch.Generator().manual_seed(0)
    return (clean + 0.05 * torch.randn(clean.shape, generator=g)).clamp(0, 1), clean


@pytest.mark.slow  # pyiqa's import: 7-12 s on 2 cores (tests/test_golden.py scores mad by default)
def test_mad_computes_a_clean_images_side_once_and_scores_as_before(monkeypatch):
    """DefinedMAD recomputed the reference's CSF filtering, block statistics and 20 log-Gabor maps for every output
    scored against it (half its time): they are kept per clean image, as fsim's, vsi's and vif's are, and the scores
    are the same to the bit (the values before the cache, on a Kodak24 crop)."""
    from pyiqa.archs import mad_arch

    from benchmark import fastiqa

    noisy, clean = _mad_pair()
    calls = []
    real = mad_arch.ical_stat
    monkeypatch.setattr(mad_arch, "ical_stat", lambda x, *a, **k: calls.append(1) or real(x, *a, **k))
    mad = fastiqa.DefinedMAD()
    first = mad(noisy, clean)
    n_first = len(calls)
    second = mad(clean.flip(-1), clean)
    assert len(calls) - n_first == n_first // 2  # the output's 20 maps only: the clean image's are kept
    assert [v.hex() for v in first.tolist()] == ["0x1.4c1b91f390118p+5"]
    assert [v.hex() for v in second.tolist()] == ["0x1.55b534727d710p+7"]


@pytest.mark.slow  # pyiqa's import: 7-12 s on 2 cores (tests/test_golden.py scores mad by default)
def test_mads_filters_of_a_large_image_are_not_kept_and_its_maps_are_read_one_at_a_time(monkeypatch):
    """The per-size cache of MAD's 20 float64 Gabor filters would hold 442 MB for each of two DIV2K sizes (2040 ×
    1356) for the process's life, and the reference's 20 maps were all held at once (2.7 GB at that size, as much for
    the output's) before their statistics were taken: above MAD_FILTER_BYTES the filters are built one at a time as
    each map is read, and each map's statistics are taken before the next is made; the scores are the same bits."""
    from pyiqa.archs import mad_arch

    from benchmark import fastiqa

    noisy, clean = _mad_pair()
    monkeypatch.setattr(fastiqa, "MAD_FILTER_BYTES", 0)  # every size "too large" here
    calls, ifft2, stat = [], torch.fft.ifft2, mad_arch.ical_stat
    monkeypatch.setattr(torch.fft, "ifft2", lambda *a, **k: calls.append("f") or ifft2(*a, **k))
    monkeypatch.setattr(mad_arch, "ical_stat", lambda *a, **k: calls.append("s") or stat(*a, **k))
    mad = fastiqa.DefinedMAD()
    assert [v.hex() for v in mad(noisy, clean).tolist()] == ["0x1.4c1b91f390118p+5"]
    # a map's statistics taken before the next map is made (before the output's first: the CSF filterings' transforms,
    # the reference's made again, as it is not kept, and the output's)
    assert calls.count("s") == 40 and max(len(run) for run in "".join(calls).split("s")) <= 3, "".join(calls)
    assert not mad.filters.entries



@pytest.mark.slow  # pyiqa's import: 7-12 s on 2 cores (tests/test_golden.py scores mad by default)
def test_mads_kept_reference_side_is_its_block_statistics_alone():
    """MAD's kept reference side held the clean image's CSF-filtered luminance, a full-resolution map whose storage
    is complex (12 of 33 MB a 500² Kodak24 photo): the 256 MB cache kept 7 of the 24, and a grid scores its runs one
    after another, each over all 24, so 17 were computed again every run. That map is one transform pair to remake:
    only the block statistics are kept now (21 MB: 12 of the 24), and the scores are the same bits."""
    from benchmark import fastiqa

    noisy, clean = _mad_pair()
    mad = fastiqa.DefinedMAD()
    assert [v.hex() for v in mad(noisy, clean).tolist()] == ["0x1.4c1b91f390118p+5"]
    (parts,) = mad.refs.entries.values()
    sides = {s.nbytes() for s in fastiqa._storages(parts)}
    full = clean.numel() * 8  # one float64 map of the image's size, all channels
    assert max(sides) < full / 4, sorted(sides)
    assert [v.hex() for v in mad(clean.flip(-1), clean).tolist()] == ["0x1.55b534727d710p+7"]


def test_a_hung_scoring_has_one_mark_beside_the_run_and_an_earlier_stores_mark_still_reads(tmp_path):
    """A finished run's hung re-score was marked in its meta.json (``rescore_stalled``, the finished record rewritten)
    and the degraded inputs' in a ``.stalled`` file, each with its own writer, reader and eraser in runner.py. One mark
    now, the file, for both: the record is left as it was; a store with the old key reads, is named and is cleared
    alike."""
    from types import SimpleNamespace

    from test_probe_fuo14 import _cheap_config

    from benchmark import runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, atomic_write_json

    cfg = _cheap_config()
    rid, store = run_id(cfg), ResultsStore(tmp_path / "r")
    meta = {"run_id": rid, "status": "ok", "config": cfg.to_dict()}
    atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    record = (store.run_dir(rid) / "meta.json").read_bytes()
    assert runner.stall_mark(store, rid) is None
    runner._mark_stalled(SimpleNamespace(store=store, grid_id="g16", worker=""), rid, "hung")
    assert (store.run_dir(rid) / "meta.json").read_bytes() == record  # the finished record untouched
    mark = runner.stall_mark(store, rid)
    assert (mark["error"], mark["grid_id"]) == ("hung", "g16")
    assert runner.hang_recorded(store, [cfg], mark["at"]).startswith(f"its re-score of run {rid}")
    runner._clear_stall_mark(store, rid)
    assert runner.stall_mark(store, rid) is None and store.meta(rid) == meta
    old = {**meta, runner.RESCORE_STALLED: {"at": 5.0, "error": "hung before"}}  # a store of the earlier mark
    atomic_write_json(store.run_dir(rid) / "meta.json", old)
    assert runner.stall_mark(store, rid) == {"at": 5.0, "error": "hung before"}
    assert runner.hang_recorded(store, [cfg], 4.0).startswith(f"its re-score of run {rid}")
    runner._clear_stall_mark(store, rid)
    assert runner.stall_mark(store, rid) is None and store.meta(rid) == meta



def test_the_metric_code_tags_are_read_in_one_walk_without_parsing_whole_files(monkeypatch, tmp_path):
    """metric_code walked benchmark/*.py twice as it was imported (the tags, then the pyiqa_code flags) and parsed
    every file holding the decorator whole with ast (fastiqa.py, and metric_code.py itself for its docstring: 47 ms of
    every CLI and reader start, ~120 ms in all). One walk now, each decorator's call parsed alone; the tags read are
    the classes' own."""
    import ast

    from benchmark import fastiqa, metric_code

    parsed, real = [], ast.parse
    monkeypatch.setattr(ast, "parse", lambda text, filename="<unknown>", mode="exec", *a, **kw:
                        parsed.append(mode) or real(text, filename, mode, *a, **kw))
    walked, glob = [], type(tmp_path).glob
    monkeypatch.setattr(type(tmp_path), "glob", lambda self, pattern: walked.append(self) or glob(self, pattern))
    metric_code._tags_in.cache_clear()
    tags, pyiqa_code = metric_code.declared()
    # one walk of each product folder (benchmark/, and tasks/, losses/, findings/: tests/test_probe_ysmall20.py)
    assert walked == metric_code.product_folders() and "exec" not in parsed and parsed, (walked, parsed)
    assert tags == metric_code.CODE_VERSIONS == {"mad": fastiqa.DefinedMAD.code_version,
                                                 "gmsd": fastiqa.DefinedGMSD.code_version,
                                                 "fsim": fastiqa.CachedFSIM.code_version,
                                                 "vsi": fastiqa.CachedVSI.code_version}
    assert pyiqa_code == metric_code.PYIQA_CODE == {"fsim", "vsi", "mad"}
    (tmp_path / "m.py").write_text('"""Docs: ``@code_version("x", "doc")`` is how."""\n\n\n'
                                   "@code_version('a', 'a tag (with) parentheses)', pyiqa_code=True)\nclass A: pass\n")
    assert metric_code.declared(tmp_path) == ({"a": "a tag (with) parentheses)"}, frozenset({"a"}))


def test_the_metric_benches_make_their_test_pairs_in_one_place(tmp_path):
    """scripts/bench_metric_cpu.py's ``_pairs`` was a copy of scripts/bench_eval.py's ``_images`` (the folder's
    photos, noise σ = 0.1 from one seeded generator) with a crop added, and the copy missed the original's check: a
    wrong ``--images`` ended the bench in a FileNotFoundError traceback. One helper now, bench_eval's
    ``noisy_pairs``, whose errors are one line naming the script."""
    from conftest import load_script
    from PIL import Image

    cpu = load_script("bench_metric_cpu")
    with pytest.raises(SystemExit, match=f"^bench_metric_cpu: {tmp_path / 'nope'} is not a folder"):
        cpu.main(["--images", str(tmp_path / "nope"), "--metrics", "psnr", "--reps", "1", "--sizes", "8"])
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (10, 14, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    (pred, clean), = cpu.noisy_pairs(str(tmp_path), 1, side=12, exactly=True)  # mirrored past the bottom edge
    assert clean.shape == pred.shape == (1, 3, 12, 12) and 0 <= float(pred.min()) <= float(pred.max()) <= 1
    with pytest.raises(SystemExit, match="holds 1 images; 2 needed"):
        cpu.noisy_pairs(str(tmp_path), 2, side=12, exactly=True, who="bench_metric_cpu")


@pytest.mark.slow  # a run trained (3 s)
def test_a_run_retrained_after_its_re_score_hung_drops_the_mark(tmp_path):
    """The hang mark of a finished run's re-score is a file beside its record (not in it, as before): a run set aside
    and trained again (its net damaged, say) kept the file, so every later command planned it among the hung runs. A
    run recorded by this attempt removes it."""
    import json

    import torch
    from test_probe_overnight14 import _photo_run

    from benchmark import runner
    from benchmark.config import run_id
    from benchmark.results import ResultsStore

    cfg = _photo_run(tmp_path)
    store = ResultsStore(tmp_path / "r")
    store.run_dir(run_id(cfg)).mkdir(parents=True)
    (store.run_dir(run_id(cfg)) / runner.STALLED).write_text(json.dumps({"at": 1.0, "error": "hung"}))
    assert runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, stall_s=0).trained == 1
    assert runner.stall_mark(store, run_id(cfg)) is None


def test_a_tag_example_in_a_docstring_is_not_read_as_a_tag(tmp_path):
    """metric_code reads each ``@code_version(`` at a line's start alone (43c06c3): an example of the decorator in a
    docstring, at a line's start as a docstring shows code, was read as a second tag of its metric — the reader
    failed ('two @code_version tags') where Python's reading (the classes' decorators) finds one. A match after an
    odd number of triple quotes is read the whole file's way; a decorator over several lines, or through a module
    name, still reads."""
    from benchmark import metric_code

    (tmp_path / "m.py").write_text('"""How a metric is tagged::\n\n    @code_version("real", "an example")\n'
                                   '    class Example: ...\n"""\nfrom benchmark import metric_code\n\n\n'
                                   '@code_version(\n    "real",\n    "over lines",\n)\nclass Real:\n    pass\n\n\n'
                                   '@metric_code.code_version("other", "by module", pyiqa_code=True)\nclass Other:\n'
                                   '    pass\n')
    assert metric_code.declared(tmp_path) == ({"real": "over lines", "other": "by module"}, frozenset({"other"}))

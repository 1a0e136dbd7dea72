"""Probes of the data inputs and task adapters (session 23)."""

from __future__ import annotations

import functools
import runpy
from pathlib import Path

import pytest
import torch


@functools.cache
def _bench_imresize() -> dict:
    return runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / "bench_imresize.py"))


def _dense_imresize(img: torch.Tensor, size: tuple[int, int], uint8: bool = False) -> torch.Tensor:
    """The dense-matrix imresize as it was before the banded one (the reference it must equal): the one
    scripts/bench_imresize.py times the banded one against."""
    return _bench_imresize()["dense_imresize"](img, size, uint8=uint8)


@pytest.mark.parametrize("hw,size", [((37, 53), (9, 13)), ((53, 37), (17, 5)), ((9, 13), (37, 53)),
                                     ((3, 5), (12, 20)), ((41, 7), (10, 2)), ((2, 2), (1, 1)), ((1, 9), (4, 3)),
                                     ((48, 36), (12, 9)), ((12, 9), (48, 36)), ((33, 31), (11, 31))])
@pytest.mark.parametrize("uint8", [True, False])
def test_matlab_imresize_banded_equals_the_dense_matrix_on_odd_sizes(hw, size, uint8):
    """resize=matlab built dense (n_out, n_in) float64 matrices and multiplied them in: 23.5 s per 3000×4000 photo
    for ~18 nonzero taps a row → blocked matmuls over the rows each block of outputs reaches; outputs equal the
    dense ones (±1e-6, the 8-bit ones bit for bit) on odd, tiny and mirrored-border sizes, shrinking and growing."""
    from tasks.super_resolution import imresize

    g = torch.Generator().manual_seed(hw[0] * 100 + size[1])
    img = torch.rand(2, 3, *hw, generator=g)
    if uint8:
        img = torch.floor(img * 255 + 0.5) / 255
    new, ref = imresize(img, size, uint8=uint8), _dense_imresize(img, size, uint8=uint8)
    assert new.shape == ref.shape == (2, 3, *size)
    torch.testing.assert_close(new, ref, atol=1e-6, rtol=0)
    if uint8:
        assert torch.equal(torch.round(new * 255), torch.round(ref * 255))


def test_matlab_sr4_degrade_equals_the_dense_reference_on_a_real_photo():
    """The sr4 resize=matlab input of a real photo (Set5's butterfly-sized crop, ×3 and ×4) equals the dense
    reference's bit for bit at 8 bit."""
    from benchmark.task import build_task

    g = torch.Generator().manual_seed(7)
    clean = torch.floor(torch.rand(1, 3, 60, 84, generator=g).cumsum(-1) / 84 * 255 + 0.5) / 255
    for scale in (3, 4):
        out = build_task("sr4", scale=scale, resize="matlab").degrade(clean, torch.Generator())
        ref = _dense_imresize(_dense_imresize(clean, (60 // scale, 84 // scale), uint8=True), (60, 84), uint8=True)
        assert torch.equal(torch.round(out * 255), torch.round(ref * 255))


def test_matlab_imresize_of_a_big_photo_uses_a_band_of_taps_not_a_dense_matrix(monkeypatch):
    """The dense matrix of a 3000-px side shrunk ×4 is 750×3000 (2.25 M weights, 0.6 % nonzero); the blocks hold
    only the input rows each block of outputs reaches (≤ BLOCK·scale + 4·scale + 3); imresize never builds it."""
    import tasks.super_resolution as sr

    blocks = sr.imresize_blocks(3000, 750, 0.25)
    assert blocks.shape[:2] == (-(-750 // sr.BLOCK), sr.BLOCK) and blocks.shape[2] <= sr.BLOCK * 4 + 4 * 4 + 3
    torch.testing.assert_close(blocks.flatten(0, 1)[:750].sum(1), torch.ones(750, dtype=torch.float64),
                               atol=1e-12, rtol=0)
    monkeypatch.setattr(sr, "imresize_matrix", lambda *a: pytest.fail("dense imresize matrix built"))
    out = sr.imresize(torch.rand(1, 1, 3000, 8), (750, 2), uint8=True)
    assert out.shape == (1, 1, 750, 2)


def test_several_online_hub_ids_are_asked_of_the_hub_at_once_and_said_in_order(tmp_path, monkeypatch, capsys):
    """Planning asked the hub about each uncached hub id in turn (whether it holds it, then its splits), each up to
    its 20 s deadline on a slow network: three test sources, up to two minutes → asked at once (a barrier the three
    requests must all reach together), each once; the error of the third (a split it lacks) is still the one said,
    naming it, and nothing is decoded."""
    import threading

    from conftest import dry_run_of_test_data, hub_online
    from huggingface_hub import HfApi

    hub_online(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    together, broken, asked, listed = threading.Barrier(3, timeout=3), [], [], []

    def info(self, repo, **kw):
        asked.append(repo)
        try:
            together.wait()
        except threading.BrokenBarrierError:
            broken.append(repo)

    monkeypatch.setattr(HfApi, "dataset_info", info)
    monkeypatch.setattr("datasets.get_dataset_split_names",
                        lambda repo, config=None, **kw: listed.append(repo) or ["train", "test"])
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: 1 / 0)
    import benchmark.cli

    real_main = benchmark.cli.main
    monkeypatch.setattr(benchmark.cli, "main", lambda argv: real_main(
        [*argv[:argv.index("--test-data") + 2], "me/two:test", "Me/One:train", "me/three:tset",
         *argv[argv.index("--test-data") + 2:]]))
    code, err, decoded = dry_run_of_test_data(monkeypatch, capsys, "me/one:test", tmp_path / "r")
    assert broken == [], f"asked one after the other: {broken}"
    assert code == 2 and "'me/three' has splits train, test; got 'tset'" in err[-1], err
    assert sorted(asked) == ["me/one", "me/three", "me/two"] and sorted(listed) == sorted(asked), (asked, listed)
    assert decoded == []


def test_an_unknown_hub_id_asked_ahead_is_refused_by_its_own_check_in_one_line(tmp_path, monkeypatch):
    """The hub's refusal of an id asked ahead (ask_hub_ahead) is raised by that source's check, not by the one asked
    with it, in the words the check said before."""
    import httpx2
    from conftest import hub_online
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    from benchmark.data import DataSpec, ask_hub_ahead, check_source_readable
    from benchmark.errors import UserError

    hub_online(monkeypatch, tmp_path)

    def info(self, repo, **kw):
        if repo == "me/gone":
            url = f"https://huggingface.co/api/datasets/{repo}"
            raise RepositoryNotFoundError(f"404 Client Error. Repository Not Found for url: {url}.",
                                          response=httpx2.Response(404, request=httpx2.Request("GET", url)))

    monkeypatch.setattr(HfApi, "dataset_info", info)
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train"])
    specs = [DataSpec.parse(t) for t in ("me/here", "me/gone", "me/here:train")]
    asked: dict = {}
    ask_hub_ahead(specs, asked)
    check_source_readable(specs[0], asked)
    with pytest.raises(UserError, match="the hub holds no dataset me/gone") as err:
        check_source_readable(specs[1], asked)
    assert "\n" not in str(err.value)
    check_source_readable(specs[2], asked)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matlab_imresize_works_in_place_on_its_own_copies_only(dtype):
    """imresize rounds each pass in place (on a photo each out-of-place pass over its pixels took as long as the
    resize's matmuls): the caller's image, float64 too, is left as it was, and the result is contiguous."""
    from tasks.super_resolution import imresize

    img = torch.rand(1, 3, 20, 28, generator=torch.Generator().manual_seed(3), dtype=dtype) * 1.2 - 0.1
    before = img.clone()
    out = imresize(img, (5, 7), uint8=True)
    assert torch.equal(img, before) and out.is_contiguous() and out.dtype == dtype
    assert torch.equal(out, _dense_imresize(before, (5, 7), uint8=True))


def test_a_source_that_cannot_be_looked_at_is_left_by_the_hub_questions_to_its_own_check(tmp_path, monkeypatch):
    """ask_hub_ahead runs before the sources' checks, outside their --train-data/--test-data blame: a source whose
    kind cannot be told (an OSError of a share, say) raised there, without the role it was given for → left to its
    own check (which says it as before); the other ids are still asked."""
    from conftest import hub_online
    from huggingface_hub import HfApi

    from benchmark.data import DataSpec, ask_hub_ahead

    hub_online(monkeypatch, tmp_path)
    asked = []
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: asked.append(repo))
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train"])
    real = DataSpec.kind

    def kind(self):
        if self.source == "me/broken":
            raise PermissionError(13, "Permission denied", self.source)
        return real.fget(self)

    monkeypatch.setattr(DataSpec, "kind", property(kind))
    table: dict = {}
    ask_hub_ahead([DataSpec.parse(t) for t in ("me/broken", "me/one", "me/two")], table)
    assert sorted(asked) == ["me/one", "me/two"] and ("me/one", None) in table and ("me/two", None) in table

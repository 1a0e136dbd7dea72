"""Mends of the tidy pass, session 22: what today's helpers were not yet used for."""

from __future__ import annotations

import os
import sys

import pytest


def _other_pip_first(tmp_path, monkeypatch) -> str:
    """Another Python's ``pip`` first on the PATH (not the one beside this interpreter), run from ``tmp_path``: the
    pip an install hint must name now, ``<this python> -m pip``."""
    from benchmark.errors import pip

    monkeypatch.chdir(tmp_path)
    other = tmp_path / "system-bin"
    other.mkdir()
    (other / "pip").write_text("#!/bin/sh\n")
    (other / "pip").chmod(0o755)
    monkeypatch.setenv("PATH", str(other))
    said = pip()
    assert said.endswith(" -m pip") and os.path.samefile(said.split(" -m ")[0].strip("'"), sys.executable), said
    return said


def test_the_heif_and_jpeg_xl_hints_name_the_pip_of_the_python_that_runs_plbench(tmp_path, monkeypatch):
    """534595b0 made every install hint name this interpreter's pip (errors.pip: ``<python> -m pip`` where the PATH's
    is another Python's), but the HEIC/HEIF and JPEG XL reasons a folder's photos are skipped for, module constants
    of benchmark.data, still said plain ``pip install pillow-heif`` / ``pillow-jxl-plugin``."""
    from benchmark.data import DataSpec, _undecodable, load_images
    from benchmark.errors import UserError

    pip = _other_pip_first(tmp_path, monkeypatch)
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    assert f"({pip} install pillow-heif" in _undecodable(heic), _undecodable(heic)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "IMG_0001.HEIC").write_bytes(heic)
    (photos / "a.jxl").write_bytes(b"\xff\x0a")
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(photos)))
    said = str(err.value)
    assert f"({pip} install pillow-heif, or export it" in said and f"({pip} install pillow-jxl-plugin" in said, said
    assert "(pip install" not in said, said


def test_the_tomli_hint_names_the_pip_of_the_python_that_runs_plbench(tmp_path, monkeypatch):
    """The same for the TOML config's hint on Python < 3.11 (no tomllib): it said `pip install tomli`."""
    from benchmark.config import _load_toml
    from benchmark.errors import UserError

    pip = _other_pip_first(tmp_path, monkeypatch)
    monkeypatch.setitem(sys.modules, "tomllib", None)  # Python 3.10: no tomllib, and no tomli installed
    monkeypatch.setitem(sys.modules, "tomli", None)
    with pytest.raises(UserError) as err:
        _load_toml("iterations = 5", "grid.toml")
    assert f"(or `{pip} install tomli`)" in str(err.value), err.value


def test_the_update_and_executor_hints_name_the_pip_of_the_python_that_runs_plbench(tmp_path, monkeypatch):
    """The other `pip install` hints in benchmark/: a store of a newer plbench's runs said 'update plbench (`git pull`,
    or `pip install -U` of the package)' (run and compare: errors.UPDATE_PLBENCH, a module constant), and --executor's
    help 'ray (pip install .[ray])'."""
    from benchmark import compare
    from benchmark.cli import build_parser
    from benchmark.errors import update_plbench

    pip = _other_pip_first(tmp_path, monkeypatch)
    assert f"`{pip} install -U` of the package" in update_plbench(), update_plbench()
    assert update_plbench() in compare._update(), compare._update()
    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]
    executor = next(a for a in run._actions if "--executor" in a.option_strings)
    assert f"{pip} install '.[ray]'" in executor.help and f"{pip} install '.[slurm]'" in executor.help, executor.help


@pytest.mark.parametrize("sigma", [1e-30, 1e-200])
def test_ssim_s_window_of_a_tiny_sigma_is_one_pixel_not_nan(sigma):
    """d466e8c1 floored deblur's Gaussian σ at 0.01 (a tiny σ made 2σ² zero and the kernel 0/0, NaN); losses/ssim's
    window, whose σ a loss file sets through ssim(), ms_ssim() and ssim_components() (sigma=), is made in float64: 1e-30
    was one pixel there, but a σ under ~1e-154 made 2σ² zero the same way — every SSIM and MS-SSIM NaN, and its
    gradient. Floored as deblur's is now: one pixel, the window every σ ≤ 0.025 already gave (bit-identical)."""
    import torch

    from losses.ssim import _gaussian_1d, ms_ssim, ssim

    one_pixel = torch.zeros(11)
    one_pixel[5] = 1.0
    assert torch.equal(_gaussian_1d(11, sigma), one_pixel), _gaussian_1d(11, sigma)
    assert torch.equal(_gaussian_1d(11, 0.02), one_pixel) and torch.equal(_gaussian_1d(11, 0.01), one_pixel)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 24, 24, generator=g).requires_grad_()
    y = torch.rand(2, 3, 24, 24, generator=g)
    for score in (ssim(x, y, sigma=sigma), ms_ssim(x, y, levels=2, sigma=sigma)):
        score.sum().backward()
        assert torch.isfinite(score).all() and torch.isfinite(x.grad).all(), (sigma, score)
        x.grad = None
    assert torch.equal(ssim(x, y, sigma=sigma), ssim(x, y, sigma=0.01))

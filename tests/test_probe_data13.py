"""Data inputs, probed as a researcher with a folder of their own photos would hit them (session 13)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmark.config import GridSpec, build_configs
from benchmark.data import DataCache
from benchmark.errors import UserError


def _folder(path, n: int, side: int = 24, seed: int = 0) -> str:
    """``n`` distinct random PNG photos of ``side``² px in a new folder ``path``."""
    path.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path / f"p{i:02d}.png")
    return str(path)


def _plan(train, test, data=None):
    return build_configs(GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu",
                                  iterations=2, crop=16, batch_size=2, budget_check=False, train_data=tuple(train),
                                  test_data=tuple(test)), data or DataCache())


@pytest.mark.parametrize("train, test", [
    ("{f}[holdout=10%]", "{f}[holdout=20%]"),  # the 10–20 % band: held out by the test, trained on by the training
    ("{f}[holdout=20%]", "{f}[holdout=10%]"),
    ("{f}", "{f}[holdout=10%]"),               # the whole folder trained on, its held-out part tested
    ("{f}[holdout=10%]", "{f}"),               # the whole folder tested, its training part trained on
    ("{f}[holdout=10%:test]", "{f}[holdout=10%]"),  # the held-out part trained on
])
def test_hold_out_parts_that_overlap_are_refused_when_the_grid_is_planned(tmp_path, train, test):
    """`--train-data mine[holdout=10%] --test-data mine[holdout=20%]` (a share changed on one side only) planned and
    trained, the images ranked 10–20 % tested and trained on, said only by the overlap warning among planning's lines
    → refused in one line before anything is decoded, naming both and the form that splits the source in two."""
    f = _folder(tmp_path / "mine", 20)
    with pytest.raises(UserError, match=r"mine.* and .*mine.* overlap.*the same .*\[holdout=\d+%\] as --train-data "
                                        r"and --test-data"):
        _plan([train.format(f=f)], [test.format(f=f)])


def test_pretrain_refuses_a_probe_that_overlaps_its_data_before_it_trains(tmp_path, monkeypatch, capsys):
    """`plbench pretrain --data mine[holdout=10%] --probe mine[holdout=20%]` pretrained (17 min on BSD200) and then
    probed quality awareness on images it had trained on, unsaid → refused in one line before pretraining."""
    import benchmark.pretrain
    from benchmark.cli import main

    f = _folder(tmp_path / "mine", 20)
    monkeypatch.setattr(benchmark.pretrain, "pretrain", lambda *a, **k: pytest.fail("pretrained"))
    assert main(["pretrain", "--data", f"{f}[holdout=10%]", "--probe", f"{f}[holdout=20%]", "--steps", "2",
                 "--out-dir", str(tmp_path / "enc"), "--device", "cpu", "-q"]) != 0
    err = capsys.readouterr().err
    assert "--data" in err and "--probe" in err and "overlap (hold-outs of 10% and 20%" in err
    assert len(err.strip().splitlines()) == 1

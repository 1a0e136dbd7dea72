"""A new user's first hour from a fresh clone (probe-journey): the README top to bottom, then their own photos,
typos, config files, interruptions and two commands on one results folder."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role", ["train", "test"])
def test_a_mistyped_data_source_is_refused_before_the_losses_are_probed(role, monkeypatch):
    """``plbench run --test-data skimag:test`` (a typo of ``skimage``) ran every loss of the grid on training crops
    first — a minute and more of MS-SSIM filters on 2 busy cores (62 s of 78 s, profiled) — and only then said
    "unknown dataset 'skimag'; did you mean skimage?"; a mistyped ``--train-data`` too (its error was swallowed
    and said again after the probe). Every source is now read before any loss is built."""
    from benchmark import lossfn
    from benchmark.config import GridSpec, build_configs
    from benchmark.errors import UserError

    probed = []
    monkeypatch.setattr(lossfn, "check_loss_on_crop", lambda *a, **k: probed.append(a[0]))
    monkeypatch.setattr(lossfn, "build_loss", lambda *a, **k: probed.append(a[0]))
    data = {"train_data": ("skimage:train",), "test_data": ("skimage:test",)}
    data[f"{role}_data"] = ("skimag:" + role,)
    spec = GridSpec(tasks=("denoise",), losses=("ms_ssim_l1",), seeds=(0,), device="cpu", budget_check=False, **data)
    with pytest.raises(UserError, match=r"unknown dataset 'skimag'; did you mean skimage\?"):
        build_configs(spec)
    assert probed == []

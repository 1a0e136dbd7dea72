"""Review of the probe-conventions commits (modcrop, @grey, the published input rows): defects found after them."""

from __future__ import annotations

import pandas as pd
import pytest


def _table(*params: dict) -> pd.DataFrame:
    import json

    rows = []
    for i, p in enumerate(params):
        setting = {"iterations": 10, "task_params": p}
        rows.append({"run_id": f"r{i}", "task": "denoise", "loss": "l1", "seed": 0, "image": "a", "metric": "psnr",
                     "value": 20.0 + i, "higher_is_better": True, "setting": json.dumps(setting, sort_keys=True)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("wanted, expect", [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_where_picks_a_boolean_task_param_as_task_param_spells_it(wanted, expect):
    """`--task-param denoise.modcrop=true` records True, but `--where denoise.modcrop=true` compared str(True),
    'True', with 'true': 'no denoise runs have modcrop true (they have False | True)' — the README's own spelling
    of the new parameter (and of clip=false) could not pick the runs it made."""
    from benchmark.settings import _matches, check_where, settings_of

    table = _table({"sigma": 0.1, "clip": True}, {"sigma": 0.1, "clip": True, "modcrop": True})
    st = settings_of(table)
    check_where(st, {"denoise.modcrop": wanted})
    picked = [s["task_params"].get("modcrop", False) for t, s in zip(st["task"], st["setting"])
              if _matches(t, s, {"denoise.modcrop": wanted})]
    assert picked == [expect]
    clip = [s for t, s in zip(st["task"], st["setting"]) if _matches(t, s, {"denoise.clip": wanted.lower()})]
    assert len(clip) == (2 if expect else 0)


@pytest.mark.parametrize("side", [1, 2, 5, 10, 11, 30])
def test_deblur_reflect_pads_an_image_smaller_than_the_kernel_as_it_says(side):
    """Deblur.degrade switched to replicate padding for a side ≤ kernel_size // 2 (an 8-px test image or crop at
    the default 21-px kernel), though its convention line says 'reflect-padded border': the blurred border of such
    an image was another operator's. Now numpy's reflect (the mirror continued) for every size."""
    import numpy as np
    import torch

    from benchmark.task import build_task, stream

    task = build_task("deblur", noise_sigma=0.0)
    clean = torch.rand(2, 3, side, side + 3, generator=torch.Generator().manual_seed(side))
    gen = torch.Generator().manual_seed(0)
    kernels = torch.stack([task.sample_kernel(stream(gen, "kernel")) for _ in range(2)])  # as degrade draws them
    out = task.degrade(clean, torch.Generator().manual_seed(0))
    pad = task.kernel_size // 2
    ref = np.pad(clean.numpy(), ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="reflect")
    k = kernels.numpy()
    want = np.zeros(clean.shape, dtype=np.float64)
    for i in range(2):
        for dy in range(task.kernel_size):
            for dx in range(task.kernel_size):
                want[i] += k[i, dy, dx] * ref[i, :, dy:dy + side, dx:dx + side + 3]
    np.testing.assert_allclose(out.numpy(), np.clip(want, 0, 1), atol=1e-5)
    assert "reflect" in task.convention()

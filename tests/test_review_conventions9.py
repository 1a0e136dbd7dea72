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


def _kair_bef(im, block: int = 8) -> float:
    """BEF as KAIR's utils_image._blocking_effect_factor computes it (cszn/KAIR; copied by FBCNN and SwinIR, whose
    JPEG tables report PSNR-B): boundary pairs at columns/rows 7|8, 15|16, … < side − 1, averaged over
    H·(W // 8 − 1) + W·(H // 8 − 1) of them — the count of those pairs only where a side is a multiple of 8."""
    import math

    import numpy as np

    h, w = im.shape
    hb, vb = np.arange(7, w - 1, block), np.arange(7, h - 1, block)
    hc, vc = np.setdiff1d(np.arange(w - 1), hb), np.setdiff1d(np.arange(h - 1), vb)
    d_b = ((im[:, hb] - im[:, hb + 1]) ** 2).sum() + ((im[vb] - im[vb + 1]) ** 2).sum()
    d_c = ((im[:, hc] - im[:, hc + 1]) ** 2).sum() + ((im[vc] - im[vc + 1]) ** 2).sum()
    n_h, n_v = h * (w // block - 1), w * (h // block - 1)
    d_b, d_c = d_b / (n_h + n_v), d_c / (h * (w - 1) - n_h + w * (h - 1) - n_v)
    return math.log2(block) / math.log2(min(h, w)) * (d_b - d_c) if d_b > d_c else 0.0


@pytest.mark.parametrize("shape", [(40, 48), (41, 53), (321, 481)])
def test_psnrb_y_bef_of_a_whole_image_is_the_jpeg_tables_for_any_size(shape):
    """jpeg.modcrop=true scores whole images (BSD's 481×321, LIVE1's) as the JPEG papers, but blocking_effect_factor
    averaged over the boundary pairs it counted (60 columns of 481) where the code behind the python-era tables
    (KAIR's, in FBCNN and SwinIR) divides by H·(W // 8 − 1) (59): psnrb_y read 0.06 dB above their script on
    BSD200 at q10 (max 0.08), silently. Sides that are multiples of 8 (every stored run's) are unchanged."""
    import numpy as np
    import torch

    from benchmark.metrics import blocking_effect_factor

    g = torch.Generator().manual_seed(sum(shape))
    h, w = shape
    clean = torch.nn.functional.avg_pool2d(torch.rand(1, 1, h, w, generator=g), 5, 1, 2)
    blocks = torch.rand(1, 1, -(-h // 8), -(-w // 8), generator=g).repeat_interleave(8, 2).repeat_interleave(8, 3)
    y = ((clean + 0.15 * (blocks[..., :h, :w] - 0.5)).clamp(0, 1) * 219 + 16).double()
    want = _kair_bef(y[0, 0].numpy())
    assert want > 0
    assert float(blocking_effect_factor(y)) == pytest.approx(want, rel=1e-9)
    assert np.isfinite(float(blocking_effect_factor(y[..., :12, :10])))  # a side under 16: no division by zero


def test_compare_names_the_where_for_a_field_stored_without_modcrop():
    """Two field groups, one stored without modcrop (before it existed, or false: not recorded) and one with
    modcrop=true: compare's refusal fell back to '--where FIELD=VALUE' (the missing value is no scalar) instead of
    naming the two --where that pick them, as it does for any other parameter."""
    from benchmark.compare import _where_pick
    from benchmark.settings import _matches

    a, b = {"task_params": {"sigma": 0.1}}, {"task_params": {"sigma": 0.1, "modcrop": True}}
    text = _where_pick("denoise", "task_params", a, b)
    assert text == "`--where denoise.modcrop=False` or `--where denoise.modcrop=True`"
    assert _matches("denoise", a, {"denoise.modcrop": "False"}) and not _matches("denoise", b, {"denoise.modcrop":
                                                                                              "False"})

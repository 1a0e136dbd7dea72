"""Review of the leaderboard-verdict changes (costs per device, one number format, rank heatmap, findings)."""

from __future__ import annotations

import numpy as np

from benchmark import stats as S
from benchmark.synthetic import synthetic_runs

H100, T4 = "NVIDIA H100 80GB HBM3", "Tesla T4"


def _gpu_table_metas(where: dict[tuple[str, int], tuple[str, str, float]]):
    """(tidy table, metas) of two losses × 5 seeds on denoise, each run timed on ``where[(loss, seed)]`` =
    (device, device_name, ms/it) as ``meta.json`` records them (:func:`benchmark.runner._meta`)."""
    from benchmark.results import to_frame

    rows, metas = [], []
    for _, meta, rs in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(5),
                                      metrics=("psnr",), n_images=6, budget_check=False):
        rows += rs
        if "config" in meta:
            dev, name, ms = where[(meta["config"]["loss"], meta["config"]["seed"])]
            meta = {**meta, "device": dev, "device_name": name, "ms_per_it": ms}
        metas.append(meta)
    return to_frame(rows), metas


def test_cost_of_a_loss_timed_on_two_gpu_models_is_not_one_median():
    """Was: l2's 3 runs on an H100 (4 ms/it) and 2 on a T4 (20 ms/it) were one device kind ("cuda"), so one
    median (4.0) stood as l2's cost beside l1's, H100-only, with no word. meta.json records each GPU's model
    (``device_name``): now two GPU models are two devices, as a CPU and a GPU are."""
    from benchmark.export import notes

    where = {("l1", s): ("cuda:0", H100, 4.0) for s in range(5)}
    where.update({("l2", s): ("cuda:0", H100 if s < 3 else T4, 4.0 if s < 3 else 20.0) for s in range(5)})
    t, metas = _gpu_table_metas(where)
    st = S.compute(t, metas, n_boot=20)
    costs = st.costs.set_index("label")
    assert costs.loc["l1", "ms_per_it"] == 4.0  # one GPU model: its median as before
    assert np.isnan(costs.loc["l2", "ms_per_it"])
    text = " ".join(notes(st))
    assert f"cuda ({H100}) 4.0 ms/it (3 runs)" in text and f"cuda ({T4}) 20.0 ms/it (2 runs)" in text, text


def test_losses_each_on_another_gpu_model_are_named_per_device():
    """l1 on an H100, l2 on a T4: each has one device and its median, but the ms/it column compares two GPUs."""
    from benchmark.export import notes

    where = {("l1", s): ("cuda:0", H100, 4.0) for s in range(5)}
    where.update({("l2", s): ("cuda:0", T4, 20.0) for s in range(5)})
    t, metas = _gpu_table_metas(where)
    st = S.compute(t, metas, n_boot=20)
    assert st.costs.set_index("label").loc["l2", "ms_per_it"] == 20.0
    text = " ".join(notes(st))
    assert f"cuda ({H100}): l1" in text and f"cuda ({T4}): l2" in text, text


def test_one_gpu_model_for_every_loss_has_no_device_note():
    """Every run on one H100: nothing to say (no note), every loss its median."""
    from benchmark.export import notes

    where = {(loss, s): ("cuda:0", H100, 4.0) for loss in ("l1", "l2") for s in range(5)}
    t, metas = _gpu_table_metas(where)
    st = S.compute(t, metas, n_boot=20)
    assert (st.costs["ms_per_it"] == 4.0).all()
    assert "device" not in " ".join(notes(st))

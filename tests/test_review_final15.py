"""Final cross-area review of the 15th round's merges: conventions one branch set that another's code follows."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (pandas, scipy, matplotlib): once for the file, not in a test."""
    import scipy.stats  # noqa: F401

    import benchmark.compare  # noqa: F401
    import benchmark.export  # noqa: F401
    import benchmark.figures  # noqa: F401


def test_compare_lists_a_sweeps_new_losses_and_their_rivals_in_the_one_name_order(tmp_path, monkeypatch):
    """probe-figures made one name order (a number read as a number: ``w2`` before ``w10``) for the tables, the figures
    and compare's 'Ranking here'; compare's sections, one per new loss, and its 'significantly better than' lists
    still went by the string: a sweep ``--losses w2 w10`` was written w10 first, under a ranking listing w2 first."""
    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the text is tested, not the figure
    store = write_store(tmp_path / "r", tasks=("denoise",), metrics=("psnr",), seeds=tuple(range(5)), n_images=2,
                        offsets={"w10": 3.0, "w2": 3.0, "v10": 0.0, "v2": 0.0}, noise=0.01, budget_check=False)
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["w10", "w2"], {"denoise": []}, 0.05, 10, "v2", ())
    heads = [line.split("**")[1] for line in text.splitlines() if line.startswith("**") and "— mean rank" in line]
    assert heads == ["w2", "w10"], text
    rows = [line for line in text.splitlines() if line.startswith("| psnr")]
    assert rows and all("| v2, v10 |" in row for row in rows), rows  # the rivals it beats, in the same order


def test_a_plugin_metrics_scores_from_before_its_code_was_hashed_are_kept_not_re_scored(tmp_path):
    """README (probe-zoo): a plugin metric's scores a store holds from before plbench hashed its code record no digest
    and are kept as they are, never re-scored — unlike a tagged metric's (mad), whose pass without a marker is stale.
    The claim had no test behind it."""
    from benchmark.metric_code import code_digest
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", tasks=("denoise",), offsets={"l1": 0.0}, metrics=("plugin_mae", "mad"),
                        seeds=(0,), n_images=1, budget_check=False)  # passes written with no digest recorded
    rid = next(m["run_id"] for m in store.metas() if (m.get("config") or {}).get("loss") == "l1")
    today = {"plugin_mae": "ab" * 32, "mad": code_digest("mad")}
    assert set(store.stale_metrics(rid, today)) == {"mad"}


def test_the_budget_checks_lines_name_an_arm_as_the_leaderboard_labels_it(caplog):
    """probe-figures' line on a metric left out of an arm's budget check (and its neighbour on an incomplete grid)
    named the arm by its stored keys, ``denoise/l1/none/l1=1``, where probe-verdicts made one label for the board,
    the findings and compare: ``l1``, a version as ``(v2)`` only where the loss has several, weights as ``[kind]``."""
    import logging

    import numpy as np
    import pandas as pd

    from benchmark.convergence import arm_budget

    rows = [dict(setting="{}", task="denoise", loss=loss, weights_kind=kind, loss_version=ver, seed=s, metric=m,
                 run_id=f"{loss}{ver}{s}", check_id=f"c{loss}{ver}{s}", final=1.0, check=1.0,
                 gain=0.0 if m == "psnr" else np.nan)
            for loss, kind, ver in (("l1", "none", "l1=1"), ("vgg", "vgg16:random", "vgg=1"), ("vgg", "vgg16:random",
                                                                                              "vgg=2"))
            for s in range(2) for m in ("psnr", "nlpd")]
    with caplog.at_level(logging.INFO, logger="benchmark.convergence"):
        arm_budget(pd.DataFrame(rows))
    line = next(r.getMessage() for r in caplog.records if "left out for" in r.getMessage())
    assert "left out for denoise/l1, denoise/vgg [vgg16:random] (v1), denoise/vgg [vgg16:random] (v2):" in line, line

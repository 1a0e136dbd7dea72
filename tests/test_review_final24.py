"""Final review, session 24 (each test failed before its mend)."""

from __future__ import annotations

import numpy as np

from benchmark.config import RunConfig, resolve
from benchmark.data import DataCache, DataSpec


def _png8(path, h=32, w=40, seed=0):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)).save(path)


def _tiff16(path, h=32, w=40, seed=0):
    import tifffile

    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, np.random.default_rng(seed).integers(0, 65536, (h, w, 3)).astype(np.uint16),
                     photometric="rgb")


def test_a_16bit_icon_never_trained_on_leaves_an_8bit_training_pools_sr4_matlab_id_alone(tmp_path):
    """5655043's data tag read the dtypes of every image of a pool, those under 8 px too, which 44e3edf loads but
    leaves out of the training fingerprint (never trained on): an 8-bit training folder with one 16-bit 5×5 icon
    gave sr4 resize=matlab runs another training id, though not one trained image changed how it is degraded."""
    _png8(tmp_path / "train" / "a.png")
    _png8(tmp_path / "train" / "b.png", seed=1)
    _tiff16(tmp_path / "train" / "icon.tif", h=5, w=5)
    _png8(tmp_path / "test" / "c.png", seed=2)
    train, test = DataSpec(str(tmp_path / "train")), DataSpec(str(tmp_path / "test"))
    data = DataCache()
    cfg = resolve(RunConfig(task="sr4", loss="l1", task_params=(("resize", "matlab"),), train_data=(train,),
                            test_data=(test,)), data)
    assert cfg.train_fingerprint == data.fingerprint((train,), role="train")  # before: salted by the icon's dtype


def test_the_data_tag_reads_a_pools_images_once_not_per_run_config(tmp_path):
    """resolve asks DataCache.fingerprint(task=) twice per run config; the tag walked the whole pool in Python on
    every ask (a grid of 1000 configs on a 100 000-image table: 2·10^8 steps) where the hash itself is cached."""
    from benchmark.task import build_task

    _png8(tmp_path / "d" / "a.png")
    spec = DataSpec(str(tmp_path / "d"))
    data = DataCache()
    task = build_task("sr4", resize="matlab")
    first = data.fingerprint((spec,), role="test", task=task)
    asked = []
    pooled = data.pooled
    data.pooled = lambda specs: asked.append(specs) or pooled(specs)
    for _ in range(3):
        assert data.fingerprint((spec,), role="test", task=task) == first
    assert asked == []  # before: the pool listed on each of the 3 asks


def test_a_seed_lost_at_one_budget_in_a_second_setting_sets_that_settings_arm():
    """693e504's with_divergences gives an arm with no budget gain at all (its one seed's check diverged) a row of
    its own, but looked for an existing row of the arm without its setting: in a store of two settings (100 and 200
    iterations) whose l1 arm has a row at 100, setting 200's seed 0 — check diverged, run finished — got no row and
    matched none, so convergence.csv, the board and the findings lost it (that arm read 'not checked')."""
    import pandas as pd

    from benchmark.convergence import ARM_COLUMNS, DIVERGED_COLUMNS, IMPROVING, with_divergences

    at100, at200 = '{"iterations": 100}', '{"iterations": 200}'
    arms = pd.DataFrame([dict(setting=at100, task="sr4", loss="l1", weights_kind="none", loss_version="",
                              metric="psnr", runs=3, gain=0.01, low=0.0, high=0.02, margin=0.05, status="converged",
                              df=2.0, diverged_runs="", diverged_checks="")], columns=ARM_COLUMNS)
    lost = pd.DataFrame([dict(setting=at200, task="sr4", loss="l1", weights_kind="none", loss_version="", seed=0,
                              side="check", metrics="psnr")], columns=DIVERGED_COLUMNS)
    out = with_divergences(arms, lost).set_index("setting")
    assert out.loc[at100, "status"] == "converged"  # the other setting's arm as it was
    assert at200 in out.index  # before: no row of setting 200 at all
    assert out.loc[at200, "status"] == IMPROVING and out.loc[at200, "diverged_checks"] == "0"
    anywhere = lost.assign(setting="")  # a diverged run recording no setting: any setting's row is its arm's
    assert len(with_divergences(arms, anywhere)) == 1


def test_the_findings_match_a_lost_seed_to_the_tables_settings_without_casting_every_row(monkeypatch):
    """693e504's Results.diverged_of cast the whole table's setting column to str (set(table.setting.astype(str))) on
    each arm's budget look: 0.7 s an arm on a 10^6-row table, where the table holds a handful of settings → the
    distinct settings alone are read."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.convergence import DIVERGED_COLUMNS
    from benchmark.findings import Arm, Results

    n = 10_000
    table = pd.DataFrame({"setting": ['{"iterations": 100}'] * (n - 1) + ['{"iterations": 200}']})
    lost = pd.DataFrame([dict(setting=s, task="sr4", loss="l1", weights_kind="none", loss_version="", seed=0,
                              side="check", metrics="psnr") for s in ('{"iterations": 200}', '{"iterations": 300}')],
                        columns=DIVERGED_COLUMNS)
    cast = []
    real = pd.Series.astype

    def counted(self, dtype, *a, **kw):
        if len(self) == n:
            cast.append(dtype)
        return real(self, dtype, *a, **kw)

    monkeypatch.setattr(pd.Series, "astype", counted)
    got = Results.diverged_of(SimpleNamespace(diverged=lost, table=table), "sr4", Arm("l1"))
    assert list(got["setting"]) == ['{"iterations": 200}']  # the table's setting kept, another's left out
    assert cast == []  # before: [str], every row of the table cast

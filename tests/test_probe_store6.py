"""Probe of the results store (store6): results already computed are never lost or mixed.
Each test failed before its fix."""

from __future__ import annotations

import logging

import pytest
import torch

from benchmark.results import ROW_KEY, ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 3,
          "metrics": ("psnr",), "budget_check": False, **kw}
    return write_store(root, **kw)


def _tiny_grid(random_images, losses=("l1",)):
    from benchmark.config import RunConfig
    from benchmark.runner import resolve_all

    data = random_images(3, 40)
    return resolve_all([RunConfig(task="denoise", loss=loss, iterations=2, batch_size=2, crop=32, train_data=data,
                                  test_data=(data,)) for loss in losses])


def test_a_rerun_keeps_the_rows_of_a_run_whose_meta_json_is_missing(tmp_path, random_images, caplog):
    """A finished run whose meta.json was lost (deleted, or left out by a copy): ``check`` and the report
    name its rows, but the next ``plbench run`` of its grid deleted them ("removed 2 file(s) left by an
    interrupted attempt") before retraining. They are now moved to ``runs/<id>/damaged/<n>/`` byte for
    byte, one warning line says where, and the retrained run's rows replace them in the table."""
    from benchmark.config import run_id
    from benchmark.runner import run_grid

    (cfg,) = _tiny_grid(random_images)
    store = ResultsStore(tmp_path / "r")
    cpu = torch.device("cpu")
    run_grid([cfg], store, ("psnr",), cpu, progress=False)
    first = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    rid = run_id(cfg)
    d = store.run_dir(rid)
    passes = {p.name: p.read_bytes() for p in d.glob("eval-*")}
    assert passes
    (d / "meta.json").unlink()
    assert rid in store.unrecorded()
    with caplog.at_level(logging.INFO, logger="benchmark.results"):
        s = run_grid([cfg], store, ("psnr",), cpu, progress=False)
    assert s.trained == 1 and store.is_done(rid)
    kept = d / "damaged" / "0"
    assert {p: (kept / p).read_bytes() for p in passes} == passes
    said = [r for r in caplog.records if r.name == "benchmark.results" and rid in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and str(kept) in said[0].getMessage(), \
        [r.getMessage() for r in said]
    again = store.table().sort_values(ROW_KEY).reset_index(drop=True)
    assert again[ROW_KEY + ["value"]].equals(first[ROW_KEY + ["value"]])
    assert store.check() == {} and not store.unrecorded()

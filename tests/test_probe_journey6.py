"""A researcher adds a loss of their own file, compares it with a cached field and publishes
(journey 6): edited loss files, hyper-parameters on the command line, names the store knows."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.errors import UserError


def _rows(loss: str, version: str, run: str) -> dict:
    return {"run_id": run, "task": "denoise", "loss": loss, "loss_version": version, "weights": "none",
            "weights_kind": "none", "metric": "psnr", "value": 30.0, "seed": 0}


def test_every_spec_of_an_edited_loss_file_names_its_version():
    """Was: after editing `my_loss.py`, `my_loss` showed as two rows `my_loss (v1+<old>)` and
    `my_loss (v1+<new>)`, but `my_loss(w=0.5)` and `my_loss(w=0.5) + 0.1*l1`, trained with the old
    text only, kept a bare label: a reader took them for the current file with w=0.5. A spec with a
    term the table holds at several versions names its version, as the term's own rows do."""
    from benchmark.stats import labels

    t = pd.DataFrame([_rows("my_loss", "my_loss=1+0ld", "a"), _rows("my_loss", "my_loss=1+n3w", "b"),
                      _rows("my_loss(w=0.5)", "my_loss=1+0ld", "c"),
                      _rows("my_loss(w=0.5) + 0.1*l1", "l1=1,my_loss=1+0ld", "d"),
                      _rows("l1", "l1=1", "e"), _rows("l2 + 0.1*l1", "l1=1,l2=1", "f")])
    got = dict(zip(t["run_id"], labels(t)))
    assert got["a"] == "my_loss (v1+0ld)" and got["b"] == "my_loss (v1+n3w)"
    assert got["c"] == "my_loss(w=0.5) (v1+0ld)", got
    assert got["d"] == "my_loss(w=0.5) + 0.1*l1 (v1/1+0ld)", got
    assert got["e"] == "l1" and got["f"] == "l2 + 0.1*l1", got  # one version of every term: no suffix

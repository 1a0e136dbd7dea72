"""Probe of session 27 (lazy): reading a store imports neither torch nor the loss modules."""

from __future__ import annotations

import inspect

import pytest

from benchmark import registry
from benchmark.findings import Results, check_all
from benchmark.synthetic import synthetic_table
from tests.test_mend_find17 import _no_identity

LPIPS_WEIGHTS = "alexnet:imagenet+lpips:alex:v0.1"


@pytest.fixture
def unloaded_losses(monkeypatch) -> registry.Registry:
    """A loss registry that imported nothing (as a fresh ``plbench findings`` has), in place of this process's."""
    fresh = registry.Registry("loss", package="losses", identifiers=True)
    monkeypatch.setattr(registry, "LOSSES", fresh)
    return fresh


def test_a_store_of_lpips_runs_is_checked_without_the_loss_modules(monkeypatch, unloaded_losses):
    """Ding's WINNERS asked ``is_loss("lpips", "lpips_vgg")``: the loss identity of both (benchmark.lossfn: every loss
    module, torch), and ``_taps`` looked lpips up in the registry (registered by a call, its layers unread). lpips is
    lpips(net='alex'), lpips_vgg lpips(net='vgg'): known from the loss files; the verdicts are those the identities
    gave."""
    t = synthetic_table(tasks=("sr4",), offsets={"l2": 0, "lpips": 1}, weights={"lpips": LPIPS_WEIGHTS},
                        metrics=("psnr", "dists"), n_images=6, seeds=(0, 1))
    asked = _no_identity(monkeypatch)
    got = {r.name: r.verdict for r in check_all(t, n_boot=20)}
    assert asked == [] and not unloaded_losses._scanned
    assert got["ding2021_dists_lpips"] != "not applicable", got


def _spellings() -> list[str]:
    """Every registered loss and alias, as named, with each literal default spelt out, its alias's spec, a weight,
    and ``weights=``/``seed=`` (run arguments, kept as given): derived from the registry, not typed."""
    from benchmark.lossfn import _init_params
    from benchmark.specgrammar import ALIAS_OF

    specs = []
    for name in registry.LOSSES.names():
        specs += [name, f"0.5*{name}", f"{name}(weights='pretrained')", f"{name}(seed=1)"]
        params, _ = _init_params(registry.LOSSES.get(name).obj)
        for k, p in params.items():
            if p.default is not inspect.Parameter.empty and k not in ("weights", "seed"):
                specs.append(f"{name}({k}={p.default!r})")
                if isinstance(p.default, tuple):
                    specs.append(f"{name}({k}={list(p.default)!r})")
        same_as = registry.LOSSES.get(name).meta.get("same_as")
        if same_as:
            specs.append(same_as)
    return list(dict.fromkeys([*specs, *ALIAS_OF.values()]))


def test_is_loss_answers_as_the_loss_identity_over_every_registered_spelling(monkeypatch):
    """What the loss files tell apart (Results.is_loss without the identity) is never one loss to
    :func:`benchmark.lossfn.loss_identity`; every answer equals the identity's, of each pair of spellings of one loss
    name (others are told apart by their names, as before)."""
    from benchmark.config import _loss_names
    from benchmark.lossfn import loss_identity
    from benchmark.specgrammar import ALIAS_OF

    def identity(spec):
        try:
            return loss_identity(spec)
        except Exception:  # noqa: BLE001 - a spelling the loss refuses: no identity
            return None

    specs = _spellings()
    ids = {s: identity(s) for s in specs}
    res = Results(synthetic_table(offsets={"l2": 0.0}, tasks=("sr4",), metrics=("psnr",), n_images=2, seeds=(0,)))
    monkeypatch.setattr(registry, "LOSSES", registry.Registry("loss", package="losses", identifiers=True))
    asked = [*registry.LOSSES.declared_names(), *ALIAS_OF.values()]  # what findings name, against every spelling
    pairs = {p for a in asked for b in specs if _loss_names(a) == _loss_names(b) for p in ((a, b), (b, a))}
    wrong = [(a, b) for a, b in pairs
             if res.is_loss(a, b) != (a == b or ids[a] is not None and ids[a] == ids[b])]
    assert wrong == []
    assert not registry.LOSSES._scanned
    assert res.is_loss("lpips", "lpips(net='vgg')") is False and res.is_loss("lpips_vgg", "lpips(net='vgg')")


def test_the_statistics_of_a_table_import_no_torch(monkeypatch):
    """stats.cell_table (every leaderboard's cells) looked each metric's range up in benchmark.metrics, which imports
    torch at its top (~2 s cold of a report's or an api reader's statistics): the range is a plain lookup, torch-free.
    The cut is as before (vsi ≤ 1 of a 2-seed interval). Torch and benchmark.metrics are made unimportable here."""
    import sys

    from benchmark import stats

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.5}, metrics=("psnr", "vsi"), n_images=4, seeds=(0, 1))
    blks = stats.blocks(t)
    for name in ("torch", "benchmark.metrics"):
        monkeypatch.setitem(sys.modules, name, None)
    cells = stats.cell_table(blks, baseline="l1", n_boot=20)
    assert set(cells["metric"]) == {"psnr", "vsi"} and (cells.loc[cells["metric"] == "vsi", "ci_high"] <= 1).all()

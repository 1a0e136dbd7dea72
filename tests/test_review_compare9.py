"""Review of probe-compare: user 2's compare path (a new loss against a cached field)."""

from __future__ import annotations

import pytest

from benchmark.config import RunConfig


def test_an_unscored_new_run_is_named_with_its_loss_and_net():
    """A new loss's finished run whose net.pt is gone could not be scored on a metric the field has: the note
    said '1 run(s) of the new loss could not be re-scored … (see the log)' — not which loss, nor which run's
    net.pt. It now names the loss, its count, the metrics missing and runs/<id>/net.pt, as failed runs are."""
    from benchmark.compare import _lost_run_notes
    from benchmark.config import run_id

    configs = [RunConfig(task="denoise", loss=loss, seed=s, iterations=2) for loss in ("l1", "l2") for s in (0, 1)]
    lacking = run_id(configs[3])  # l2 seed 1: ok, scored on psnr only

    class Store:
        def meta(self, rid):
            return {"status": "ok"}

        def metrics_attempted(self, rid):
            return {"psnr"} if rid == lacking else {"psnr", "ssim"}

    notes = _lost_run_notes(Store(), configs, ("psnr", "ssim"))
    assert len(notes) == 1
    assert notes[0].startswith("l2: 1 of 2 runs of the new loss could not be scored on ssim")
    assert f"runs/{lacking}/net.pt" in notes[0]
    assert _lost_run_notes(Store(), configs) == []  # no metrics asked: nothing to say


@pytest.fixture
def untrained_parameter_loss():
    """A loss file's loss with a learnable weight (an nn.Parameter) and no train_step."""
    import torch

    from benchmark.registry import LOSSES

    class Learned(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3))

        def forward(self, pred, target):
            return (self.w.view(1, 3, 1, 1) * (pred - target).abs()).mean()

    LOSSES.add("test_review_learned", Learned)
    yield
    LOSSES.remove("test_review_learned")


def test_a_loss_with_parameters_no_step_updates_is_named(untrained_parameter_loss, caplog):
    """A new loss with a learnable nn.Parameter and no train_step trained as if learned: the runner's Adam steps
    the net only, so the parameter stayed at its initial value every run, and loss.pt saved it as the loss's
    learned state — silently. Building it now warns once, naming the parameter and train_step (not refused: a loss
    file holding an unfrozen pretrained trunk is common, and its values are right)."""
    import logging

    from benchmark.lossfn import build_loss

    with caplog.at_level(logging.WARNING, logger="benchmark.lossfn"):
        build_loss("test_review_learned")
        build_loss("test_review_learned")
        build_loss("l1")  # a loss without parameters: nothing said
    said = [r.getMessage() for r in caplog.records if "trainable parameter" in r.getMessage()]
    assert len(said) == 1 and "test_review_learned" in said[0] and "(w)" in said[0] and "train_step" in said[0], said


@pytest.mark.slow
def test_a_compare_that_adds_no_rows_reads_the_store_twice(tmp_path, monkeypatch):
    """compare read every run's rows three times (its own check, the report, its section) even when it trained
    and re-scored nothing — the second compare of a loss, ~1 s a read on a 90-run store. Its section now reuses
    compare's own read when no row was added: two reads (compare's and the report's)."""

    import benchmark.compare as C
    from benchmark.results import ResultsStore

    store = field_to_compare(tmp_path, monkeypatch, ("psnr", "ssim"))
    reads, table = [], ResultsStore.table
    monkeypatch.setattr(ResultsStore, "table", lambda self, *a, **k: reads.append(1) or table(self, *a, **k))
    out = C.compare(store.root, losses=["l2"], formats=(), visual=False, n_boot=50)
    assert "## denoise" in out.text and len(reads) == 2


def field_to_compare(tmp_path, monkeypatch, metrics):
    """A synthetic field (l1, l2; seeds 0, 1; 2 images) stamped as made by this code, with compare's training
    of the new loss and its probe stubbed out: ``compare(store.root, losses=["l2"], ...)`` only reads and writes."""
    import json

    import benchmark.compare as C
    import benchmark.runner as R
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, metrics=tuple(metrics), seeds=(0, 1),
                        n_images=2, budget_check=False)
    for p in store.root.glob("runs/*/meta.json"):  # made by this code (write_store records no version)
        m = json.loads(p.read_text())
        p.write_text(json.dumps({**m, "code_version": R.code_version()}))
    monkeypatch.setattr(R, "run_grid", lambda *a, **k: R.GridSummary())  # the new loss's runs: nothing to train
    monkeypatch.setattr(C, "_probe_new_losses", lambda *a, **k: None)
    monkeypatch.setattr(C, "_config_from", lambda m, loss, s, *a: RunConfig(task=m["config"]["task"], loss=loss,
                                                                             seed=s, iterations=2))
    return store

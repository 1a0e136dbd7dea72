"""Review of probe-compare: user 2's compare path (a new loss against a cached field)."""

from __future__ import annotations

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
    assert notes[0].startswith("l2: 1 of 2 run(s) of the new loss could not be scored on ssim")
    assert f"runs/{lacking}/net.pt" in notes[0]
    assert _lost_run_notes(Store(), configs) == []  # no metrics asked: nothing to say

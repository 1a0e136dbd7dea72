"""Review of probe-lstore and probe-lmisc (session 25): mends of what their commits left out."""
from __future__ import annotations


def test_an_attempt_set_aside_as_unreadable_keeps_its_number_from_a_merge_and_a_second_repair(tmp_path):
    """fef65cbb renamed an unreadable ``attempts/<n>.json`` to ``<n>.json.unreadable`` and made archive_attempt step
    over that number, but merge's copy of another store's attempts (:meth:`_merge_attempts`, a second numbering rule)
    did not: it filed the other store's attempt as ``0.json`` beside ``0.json.unreadable``, and a second repair of that
    number (``os.replace``) overwrote the first kept file — 'nothing deleted' untrue. One numbering rule for both,
    and a kept file is never overwritten."""
    from benchmark.results import ResultsStore

    here, there = tmp_path / "here", tmp_path / "there"
    (here / "attempts").mkdir(parents=True)
    (there / "attempts").mkdir(parents=True)
    (here / "attempts" / "0.json.unreadable").write_bytes(b"\x00\xff first")
    (there / "attempts" / "0.json").write_text('{"status": "failed", "error": "OOM there"}')
    ResultsStore._merge_attempts(there, here)
    assert not (here / "attempts" / "0.json").exists()
    assert (here / "attempts" / "1.json").read_text() == '{"status": "failed", "error": "OOM there"}'

    store = ResultsStore(tmp_path / "store")
    bad = tmp_path / "store" / "runs" / "r" / "attempts" / "0.json"
    bad.parent.mkdir(parents=True)
    (bad.parent / "0.json.unreadable").write_bytes(b"\x00\xff first")
    bad.write_bytes(b"\x00\xff second")
    kept = store.set_aside_attempt(bad)
    assert (bad.parent / "0.json.unreadable").read_bytes() == b"\x00\xff first"
    assert kept.read_bytes() == b"\x00\xff second" and kept.name.startswith("0.json.unreadable") and not bad.exists()


def test_a_user_loss_registered_same_as_another_is_one_row_with_it_in_a_store():
    """c6845b42 lets a loss be registered ``same_as=`` another spec (README: 'a loss registered same_as= another …
    are one loss'), but merged_spellings' torch-free pre-check knew the three built-in aliases alone
    (``specgrammar.ALIAS_OF``): a user's loss so registered (a --loss-file) was one loss to expand_losses and
    loss_identity, yet a store holding both spellings read them as two leaderboard rows. The pre-check reads an alias
    registered in this process too (no scan, no import)."""
    import torch.nn as nn

    from benchmark.config import merged_spellings
    from benchmark.lossfn import loss_identity
    from benchmark.registry import LOSSES

    @LOSSES.register("review25_charb", same_as="charbonnier(eps=0.01)")
    class Charb(nn.Module):
        def forward(self, pred, target):
            return (pred - target).abs().mean()

    try:
        assert loss_identity("review25_charb") == loss_identity("charbonnier(eps=0.01)")
        recorded = [("review25_charb", True), ("review25_charb", True), ("charbonnier(eps=0.01)", True)]
        assert merged_spellings(recorded) == {"charbonnier(eps=0.01)": "review25_charb"}
    finally:
        LOSSES.remove("review25_charb")


def test_repair_of_a_garbled_finished_log_waits_for_its_lock_no_longer_than_an_appender(tmp_path, monkeypatch):
    """3591a313's ``mend_finished_log`` took the appenders' flock on ``finished.log`` blocking, without a bound: a
    stopped process holding it (a worker suspended mid-note, SIGSTOP or a SLURM suspend) hung ``check --repair`` for
    ever, where every appender waits up to a bound and then writes (the run's record must not wait). One bounded wait
    for both (``FINISHED_LOG_WAIT_S``)."""
    import fcntl
    import os
    import threading

    import benchmark.results as results

    store = results.ResultsStore(tmp_path / "r")
    store.ensure_writable()
    log = tmp_path / "r" / results.FINISHED_LOG
    log.write_bytes(b"\x00\xff garbage\n")
    monkeypatch.setattr(results, "FINISHED_LOG_WAIT_S", 0.2, raising=False)
    holder = os.open(log, os.O_RDWR)  # another open file: its flock excludes the repair's, as another process's
    fcntl.flock(holder, fcntl.LOCK_EX)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (store.mend_finished_log([]), done.set()), daemon=True)
    try:
        worker.start()
        assert done.wait(3), "check --repair waited for finished.log's lock without a bound"
    finally:
        os.close(holder)
        worker.join(5)
    assert (tmp_path / "r" / "finished.log.unreadable").read_bytes() == b"\x00\xff garbage\n"


def test_floats_slightly_over_one_are_not_told_to_divide_by_255():
    """4397c43d's hint '(on the 8-bit scale, 0..255: divide by 255, or store uint8)' was given to any float pixels in
    0..255 outside [0, 1] — a resampled [0, 1] image overshooting to 1.03 (bicubic ringing) or an HDR highlight at 1.5
    too, whose 'fix' divides it to black. A brightest pixel above 2 only (no [0, 1] image overshoots so far; an 8-bit
    image whose brightest pixel is at most 2 of 255 is black) reads as the 8-bit scale."""
    import numpy as np

    from benchmark.data import _outside_0_1

    assert "8-bit" in _outside_0_1(np.array([0.05, 128.0, 254.9], dtype=np.float32))
    for overshoot in (1.03, 1.5, 2.0):
        assert "8-bit" not in _outside_0_1(np.array([0.0, 0.5, overshoot], dtype=np.float32))

"""Probes of the evaluator's metrics: fastiqa's caches under threads, scores of outputs that are not finite."""

from __future__ import annotations

import threading

import torch

from benchmark import fastiqa


def _hammer(fn, args_per_thread):
    """Run fn(*args) in one thread per args, all released at once; the exceptions they raised."""
    gate, errors = threading.Barrier(len(args_per_thread)), []

    def work(*args):
        gate.wait()
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=a) for a in args_per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_ref_cache_computes_a_cold_image_once_and_counts_it_once_under_threads():
    """Was: 8 threads scoring against one clean image at once all missed the cold cache, each computed its parts
    and each added their bytes to ``used`` (8× the real size: the budget filled with bytes nobody kept, and later
    images were recomputed on every run) → one thread computes, the others wait for its parts."""
    cache, calls, lock = fastiqa.RefCache(), [], threading.Lock()
    ref = torch.rand(1, 3, 48, 48)

    def compute(t):
        with lock:
            calls.append(1)
        return (torch.fft.fft2(t).abs() + t.flip(-1).cumsum(-1),)  # some real work, releasing the GIL

    got = []
    errors = _hammer(lambda: got.append(cache.get(ref, compute)[0]), [()] * 8)
    assert not errors
    assert len(calls) == 1, f"{len(calls)} threads computed the same clean image's parts"
    assert cache.used == fastiqa._nbytes(next(iter(cache.entries.values())))
    assert all(g is got[0] for g in got)

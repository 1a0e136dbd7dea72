"""Session-19 probe of the results store, ``merge``, ``check`` and the report's gone runs: leftovers of the store's
clock probe, a ``grids`` file in the way of a merge, a link that is a run's only way in, a case-insensitive disk."""
from __future__ import annotations

import os
import time

import benchmark.cli  # noqa: F401 - imported once, at collection: no test here pays for the command line's imports
import benchmark.report  # noqa: F401
import benchmark.synthetic  # noqa: F401

KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def _store(root, losses=("l1",)):
    from benchmark.synthetic import write_store

    store = write_store(root, offsets={loss: 0.0 for loss in losses}, **KW)
    return store, sorted(r for r in store.run_ids() if not r.startswith("input-"))


def test_check_names_and_repair_removes_a_clock_probe_a_killed_process_left(tmp_path, capsys):
    """ResultsStore.store_now writes `.clock.<random>.probe` in the store's root and removes it; a process killed in
    between (a worker's progress line, `check --repair`) left it, which check never named and --repair never removed
    (it looked for `.tmp` names alone). Now it is a leftover as a killed write's temporary file is: named an hour
    old, removed by --repair; a younger one (a probe in flight) is not named."""
    from benchmark.cli import main

    store, _ = _store(tmp_path / "r")
    old, young = store.root / ".clock.k1x9.probe", store.root / ".clock.z2y8.probe"
    old.write_bytes(b""), young.write_bytes(b"")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.leftover_temp_files() == [old]
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert "1 temporary file left by interrupted writes (.clock.k1x9.probe): never read; --repair removes them" \
        in said, said
    main(["check", "--repair", "--out", str(store.root)])
    assert not old.exists() and young.exists()

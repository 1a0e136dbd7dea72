"""Review of today's store, overnight and data changes (night23). Each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.synthetic import write_store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def _store_with_a_failed_pixel_run(root: Path):
    store = write_store(root, offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    cfg = {**store.metas()[0]["config"], "loss": "l1", "backbone_weights": "none", "seed": 7}
    for rid, bw, status in (("00000000000000aa", "none", "failed"), ("00000000000000bb", "pretrained", "failed")):
        d = store.runs / rid
        d.mkdir()
        (d / "meta.json").write_text(json.dumps({
            "run_id": rid, "status": status, "started": 1.0, "error": "RuntimeError: boom",
            "config": {**cfg, "loss": "l1" if bw == "none" else "vgg", "backbone_weights": bw},
            "code_version": store.metas()[0].get("code_version") or "0.1.0+c0"}))
    return store


@pytest.mark.parametrize("command", ["check", "failed_superseded"])
def test_reading_a_store_with_a_failed_run_imports_no_loss_module_nor_torch(tmp_path, command):
    """``ckptrecord.as_current`` (6ee0588b) read every record's ``backbone_weights`` through the loss registry, so
    ``plbench check`` of any store holding a failed run (``failed_superseded``, which report, compare and findings
    call too, keys every record) imported every loss module and torch (8.7 s on a busy 2-core box) → the registry is
    asked only where a spec's terms could load nothing under ``pretrained`` (gpl, layers, a term's own ``weights=``, a
    loss the package does not declare)."""
    store = _store_with_a_failed_pixel_run(tmp_path / "r")
    run = ("from benchmark.cli import main\nmain(['check', '--out', sys.argv[1]])\n" if command == "check" else
           "from benchmark.results import ResultsStore\nassert ResultsStore(sys.argv[1]).failed_superseded() == {}\n")
    code = ("import sys, json\n" + run + "print(json.dumps({'torch': 'torch' in sys.modules, 'losses': sorted(m for m "
            "in sys.modules if m.startswith('losses.'))}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-c", code, str(store.root)], env=env, cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got == {"torch": False, "losses": []}, p.stdout[-2000:] + p.stderr[-2000:]


def test_the_registry_free_reading_of_a_record_agrees_with_the_registry(monkeypatch):
    """The syntax filter of ``as_current`` misses no spec ``recorded_weights`` reads as ``random``: every registered
    loss (its defaults), and the specs that compute the same under both values; a pixel or trunk loss is no such."""
    from benchmark.ckptrecord import _may_read_otherwise
    from benchmark.config import recorded_weights
    from benchmark.registry import LOSSES

    names = LOSSES.names()
    monkeypatch.setattr(type(LOSSES), "declared_names", lambda self: names)  # as in a fresh `plbench check`
    assert not _may_read_otherwise("l1") and not _may_read_otherwise("0.5*lpips + l1")
    assert _may_read_otherwise("pdl(layers=())") and _may_read_otherwise("my_own_loss")
    specs = [*names, "vgg(weights='random')", "0.5*gpl + l1", "l1 + pdl(layers=())",
             *(f"{n}(layers=())" for n in names)]
    for spec in specs:
        for bw in ("pretrained", "none"):
            try:
                one = recorded_weights(spec, bw)
            except Exception:  # noqa: BLE001 - a loss refusing its defaults: read as written
                continue
            if bw == "pretrained" and one == "random" or bw == "none" and one == "random":
                assert _may_read_otherwise(spec), spec


def test_a_bf16_runs_loss_file_hash_still_decides_which_failure_is_superseded(tmp_path):
    """``failed_superseded``'s reading of the ``--loss-file`` (a6c8dc88) took what follows ``+`` in a record's
    ``loss_versions`` as the file's hash, yet a bf16 run (the default on a GPU) of a loss with a trunk records
    ``1+<hash>:t2`` (the trunk policy): no hash matched, and the two machines' clocks decided again → the hash is read
    up to the trunk policy's ``:``."""
    from test_probe_store23 import _failed_and_finished

    from benchmark.results import atomic_write_json

    def bf16(store, rid):
        meta = store.meta(rid)
        atomic_write_json(store.run_dir(rid) / "meta.json",
                          {**meta, "loss_versions": {k: f"{v}:t2" for k, v in meta["loss_versions"].items()}})

    store, failed, ok = _failed_and_finished(tmp_path / "a", failed_started=1000.0, file_holds="broken")
    bf16(store, failed), bf16(store, ok)
    assert store.failed_superseded() == {}, "a failure the same command retries (its file is broken now) superseded"
    store, failed, ok = _failed_and_finished(tmp_path / "b", failed_started=3000.0, file_holds="fixed")
    bf16(store, failed), bf16(store, ok)
    assert store.failed_superseded() == {failed: ok}


def test_check_gives_an_old_gpl_checkpoint_its_own_reason_not_an_edited_loss_file(tmp_path, capsys):
    """`plbench check` named an old gpl checkpoint (stopped under ``--backbone-weights pretrained`` before both values
    were one id) superseded 'its loss's code (a --loss-file edited), task or net changed after it stopped … resumes
    this one only if that code is put back' — none of which happened, and no code put back resumes it → the line
    says the reason: recorded under the value an older plbench kept apart, the same computation finished under its
    one id now. A superseded checkpoint of an edited loss file keeps its line."""
    from test_probe_store23 import _old_gpl_checkpoint, _small

    from benchmark.cli import main
    from benchmark.config import code_version
    from benchmark.results import atomic_write_json

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint(store)
    store.run_dir(rid).mkdir()
    atomic_write_json(store.run_dir(rid) / "meta.json", {
        "run_id": rid, "config": cfg.to_dict(), "status": "ok", "code_version": code_version(), "started": 1.0})
    capsys.readouterr()
    main(["check", "--out", str(store.root)])
    out = capsys.readouterr()
    line = next(ln for ln in (out.out + out.err).splitlines() if f"run {old}: not finished" in ln)
    assert "--loss-file edited" not in line and "put back" not in line, line
    assert "--backbone-weights pretrained" in line and "one id" in line and f"superseded by run {rid}" in line, line


@pytest.mark.parametrize("field, value", [("seed", 5), ("task", "deblur")])
def test_check_names_a_meta_json_whose_config_disagrees_with_its_checksummed_rows(tmp_path, capsys, field, value):
    """A ``meta.json`` edited by hand — its config's seed (or task) no longer that of its rows, which match their
    checksums — passed ``plbench check`` as sound, while the readers of meta.json (planning's done runs, budget
    checks, compare) and of the rows (the board) then disagreed on which run it is → the footer statistics check
    already reads say the rows' seed and task: one that differs from the record is damage, said in one line."""
    from benchmark.cli import main
    from benchmark.results import atomic_write_json

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=2,
                        metrics=("psnr",), budget_check=False)
    rid = next(r for r in sorted(store.run_ids()) if (store.meta(r) or {}).get("config", {}).get("seed") == 0)
    assert main(["check", "--out", str(store.root)]) == 0
    meta = json.loads((store.run_dir(rid) / "meta.json").read_text())
    atomic_write_json(store.run_dir(rid) / "meta.json", {**meta, "config": {**meta["config"], field: value}})
    capsys.readouterr()
    rc = main(["check", "--out", str(store.root)])
    said = capsys.readouterr()
    lines = [ln for ln in (said.out + said.err).splitlines() if rid in ln]
    assert rc != 0 and lines, said.out + said.err
    assert any(f"{field} {value!s}" in ln and "meta.json" in ln for ln in lines), lines


def test_api_run_resumes_an_old_gpl_checkpoint_under_its_one_id_as_plbench_run_does(tmp_path, monkeypatch):
    """bfce6f69 put an old gpl checkpoint (stopped under ``--backbone-weights pretrained`` before both values were one
    id) under the new id in ``plbench run``'s planning alone (cli._warn_runs_kept_apart): the same grid through
    ``api.run`` (a notebook) trained the run from iteration 0, its checkpoint's hours lost, where the README says
    such a run resumes → ``api.run`` gives it its checkpoint before the executor starts, as ``run`` does."""
    import dataclasses

    from test_probe_store23 import _old_gpl_checkpoint, _small

    import benchmark.cli
    import benchmark.executors
    from benchmark import api
    from benchmark.config import GridSpec

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint(store, iteration=3)
    s = dataclasses.replace(GridSpec(), out=str(store.root)).resolved()
    monkeypatch.setattr(benchmark.cli, "planned", lambda spec, **kw: (s, [cfg], ("psnr",), "cpu", None))
    seen = {}

    class Stop(Exception):
        pass

    def execute(executor, configs, root, *a, **kw):
        seen["ckpt"] = (store.run_dir(rid) / "ckpt.pt").is_file()
        raise Stop

    monkeypatch.setattr(benchmark.executors, "execute", execute)
    with pytest.raises(Stop):
        api.run(out=str(store.root), report=False)
    assert seen == {"ckpt": True}, "api.run started the old gpl run over from iteration 0"

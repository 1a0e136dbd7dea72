"""Results store and ``plbench compare`` under faults, as a user comparing a new loss with a field run once (session
14): nothing computed lost or left out without a word, one behaviour per rule."""
from __future__ import annotations

import pytest


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    store = write_store(root, **kw)
    for rid in store.run_ids():  # as write_meta notes each run it records finished
        store.note_finished(rid, store.meta(rid))
    return store


def _cut_short(store, rid):
    """runs/<id> as an rsync cut short leaves a finished run (it copies a folder's files in name order: curve.csv,
    then eval-*, meta.json, net.pt): the curve and the TensorBoard folder, none of its results."""
    d = store.run_dir(rid)
    for p in d.iterdir():
        p.unlink()
    (d / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.002\n")
    (d / "tb").mkdir()


def test_a_finished_run_whose_folder_holds_none_of_its_results_is_named_not_resumable(tmp_path, capsys, caplog):
    """A finished run's folder copied by an rsync cut short (or its files deleted by hand) keeps curve.csv and tb/
    alone: ``plbench check`` called it 'unfinished: the same `plbench run` resumes it' (exit 0) though finished.log
    records it finished, and every report dropped its cells without a word. It is named as a gone run is — finished
    here, its results not in its folder — by check (exit 1) and the report, which notes it once."""
    from benchmark.cli import main
    from benchmark.report import gone_lines

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    _cut_short(store, rid)
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert "unfinished" not in out and f"runs/{rid}" in out and "holds none of its results" in out, out
    assert list(store.gone()) == [rid]
    (line,) = gone_lines(store)
    assert rid in line and "holds none of its results" in line, line
    store.forget_gone([rid])  # as a report that named it does: named once
    assert store.gone() == {}
    assert main(["check", "--out", str(store.root)]) == 0
    assert "1 unfinished" in capsys.readouterr().out


@pytest.mark.parametrize("kept", ["ckpt.pt", ".lock", "damaged", "net.pt"])
def test_a_finished_runs_folder_holding_a_checkpoint_lock_or_set_aside_files_is_not_gone(tmp_path, kept):
    """A run retrained after its results were set aside (``check --repair``: damaged/), or one a process trains again
    (its lock, its checkpoint), is not a lost run: :meth:`ResultsStore.gone` names only a folder with none of it."""
    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    _cut_short(store, rid)
    p = store.run_dir(rid) / kept
    p.mkdir() if kept == "damaged" else p.write_bytes(b"x")
    assert store.gone() == {}

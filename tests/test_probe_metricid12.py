"""A metric whose weights are a file the user can replace (``contrique_fr@<checkpoint>``): scores made with another
file than the current one are not reused as if they were its scores."""
import shutil

import pytest


def _grid(out, metric):
    from benchmark import api

    api.run(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=2, crop=32, batch_size=2, device="cpu",
            metrics=["psnr", metric], out=str(out), report=False, budget_check=False)
    return api.load_results(str(out))


@pytest.mark.slow
def test_a_metric_checkpoint_replaced_in_place_rescores_the_runs(tmp_path):
    """Retraining the encoder of ``contrique_fr@enc.pt`` and rerunning the grid kept the old encoder's scores (the
    run complete by the metric's name, the row key by its name): the rerun re-scores the saved nets with the file now
    there, the table holds those scores — the numbers a fresh store gets — once per image, and psnr is untouched."""
    from benchmark.pretrain import PretrainConfig, pretrain

    old, new = (pretrain(PretrainConfig(arch="tinycnn", data="skimage-natural:train", steps=2, batch_size=4, crop=32,
                                        seed=s), out_dir=tmp_path / f"enc{s}") for s in (0, 1))
    enc = old  # a self-trained encoder, by its path (its manifest beside it)
    metric = f"contrique_fr@{enc}"
    before = _grid(tmp_path / "r", metric)
    shutil.copy(new, enc)  # the checkpoint retrained, written over in place
    after = _grid(tmp_path / "r", metric)
    fresh = _grid(tmp_path / "fresh", metric)

    def values(t, m):
        return t[t.metric == m].set_index(["dataset", "image"])["value"].sort_index()

    def runs(t):
        return t[t.loss != "input"]

    for t in (before, after, fresh):
        assert not t.duplicated(["run_id", "dataset", "image", "metric"]).any()
    assert values(runs(after), "psnr").equals(values(runs(before), "psnr"))
    assert not values(runs(after), metric).equals(values(runs(before), metric))
    assert values(runs(after), metric).equals(values(runs(fresh), metric))
    inputs = after[after.loss == "input"]
    assert values(inputs, metric).equals(values(fresh[fresh.loss == "input"], metric))


def test_scores_made_with_another_file_are_stale_and_left_out_of_the_table(tmp_path):
    """A pass records the SHA-256 of the file a replaceable metric read; one written before it did is read from its
    provenance (``…sha256=<8 hex>)``), one naming no file is never stale (old stores keep working); a later pass
    re-scoring the metric with another file supersedes the earlier rows of that metric only."""
    import pandas as pd
    import pyarrow as pa

    from benchmark.results import ResultsStore, _superseded, _without_metrics

    store = ResultsStore(tmp_path)
    old, new = "a" * 64, "b" * 64
    store.write_eval("r1", [], ["m", "psnr"], {}, metric_sha256={"m": old})
    store.write_eval("r2", [], ["m"], {}, metric_weights={"m": f"tinycnn:selftrained(x,sha256={old[:8]})+f(v2)"})
    store.write_eval("r3", [], ["m"], {}, metric_weights={"m": "resnet50:contrique+f(v2)"})
    assert store.stale_metrics("r1", {"m": new}) == {"m": old}
    assert store.stale_metrics("r2", {"m": new}) == {"m": old[:8]}
    assert store.stale_metrics("r1", {"m": old}) == {} == store.stale_metrics("r2", {"m": old})
    assert store.stale_metrics("r3", {"m": new}) == {}
    store.write_eval("r1", [], ["m"], {}, metric_sha256={"m": new})  # re-scored with the file now there
    assert store.stale_metrics("r1", {"m": new}) == {}
    passes = sorted(store.run_dir("r1").glob("eval-*.json"))
    assert _superseded([ResultsStore._read_record(p) for p in passes]) == [{"m"}, set()]
    rows = pd.DataFrame({"metric": ["m", "psnr"], "value": [1.0, 2.0]})
    assert list(_without_metrics(rows, {"m"})["metric"]) == ["psnr"]
    arrow = pa.table({"metric": pa.array(["m", "psnr"]).dictionary_encode(), "value": [1.0, 2.0]})
    assert _without_metrics(arrow, {"m"})["value"].to_pylist() == [2.0]


def test_a_report_says_which_runs_scores_were_made_with_another_file(tmp_path):
    """``plbench report`` after the checkpoint of ``contrique_fr@enc.pt`` was replaced (no rerun yet, or a run whose
    net.pt is gone) showed the old file's scores as today's, silently → its coverage notes say in how many runs the
    metric was scored with another file, and how to re-score them; nothing is said while the file is the same."""
    import hashlib

    from benchmark.report import coverage_lines, coverage_table
    from benchmark.results import ResultsStore

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"the encoder as first trained")
    metric = f"contrique_fr@{enc}"
    store = ResultsStore(tmp_path / "r")
    for rid in ("r1", "r2"):
        store.write_eval(rid, [], [metric, "psnr"], {},
                         metric_sha256={metric: hashlib.sha256(enc.read_bytes()).hexdigest()})
    assert coverage_table(store, ["r1", "r2"]).empty
    enc.write_bytes(b"the encoder trained again")
    (line,) = coverage_lines(coverage_table(store, ["r1", "r2"]), 2)
    assert line.startswith(f"`{metric}` scored with another file than today's in 2 of 2 runs")
    assert hashlib.sha256(enc.read_bytes()).hexdigest()[:8] in line and "plbench run" in line


def test_a_run_scored_with_another_file_is_incomplete_wherever_completeness_is_asked(tmp_path):
    """``is_complete`` as the executors (``--workers N``, SLURM, Ray: which runs to send out) and ``plbench run``'s
    counts call it, with no digests: a run whose ``contrique_fr@enc.pt`` scores were made with another file than the
    one there now was complete, so no worker re-scored it → it is not, until re-scored with that file."""
    import hashlib

    from benchmark.results import ResultsStore
    from benchmark.runner import is_complete

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"the encoder as first trained")
    metric = f"contrique_fr@{enc}"
    store = ResultsStore(tmp_path / "r")

    def scored(rid):
        store.write_eval(rid, [], [metric], {}, metric_sha256={metric: hashlib.sha256(enc.read_bytes()).hexdigest()})

    scored("input-1")
    store.write_meta("input-1", {"run_id": "input-1", "status": "ok", "kind": "input", "task": "denoise"})
    assert is_complete(store, "input-1", [metric])
    enc.write_bytes(b"the encoder trained again")
    assert not is_complete(store, "input-1", [metric])
    scored("input-1")
    assert is_complete(store, "input-1", [metric])

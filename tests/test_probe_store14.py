"""Results store and ``plbench compare`` under faults, as a user comparing a new loss with a field run once (session
14): nothing computed lost or left out without a word, one behaviour per rule."""
from __future__ import annotations

import pytest

import benchmark.cli  # noqa: F401 - imported once at collection (pandas, the store): no test here pays it
import benchmark.report  # noqa: F401
import benchmark.synthetic  # noqa: F401


@pytest.fixture(autouse=True)
def _ssim_stands_for_a_metric_with_a_file(monkeypatch):
    """These tests let ``ssim`` stand for a metric read from a replaceable file (lpips' weights): since readers know
    pyiqa's file-free metrics without importing the metrics (metric_code.OFFLINE_OK), ssim is taken off that list."""
    import benchmark.metric_code

    monkeypatch.setattr(benchmark.metric_code, "OFFLINE_OK",
                        tuple(m for m in benchmark.metric_code.OFFLINE_OK if m != "ssim"))


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


def _two_files(store, metric, old_runs):
    """The pass records of ``store`` as a replaced weights file leaves them: ``metric`` scored with file "a…" by the
    runs ``old_runs`` (their net.pt gone: never re-scored), with file "b…", later, by every other run."""
    import json

    for d in store.runs.iterdir():
        p = d / "eval-0.json"
        rec = json.loads(p.read_text())
        old = d.name in old_runs
        rec["metric_sha256"] = {metric: ("a" if old else "b") * 64}
        rec["written"] = 1000.0 if old else 2000.0
        p.write_text(json.dumps(rec))


@pytest.mark.parametrize("here", [True, False])
def test_a_column_scored_with_two_files_is_the_same_on_a_machine_without_the_file(tmp_path, monkeypatch, caplog,
                                                                                  here):
    """A store whose runs scored ``lpips`` (or ``contrique_fr@enc.pt``) with two files — the file replaced, the runs
    without a net.pt never re-scored — left the earlier file's scores out of the column where the file is (the GPU
    machine), but on a machine without it (the store copied to a laptop to publish the plots, lpips' weights not
    cached there) nothing could be hashed and the column mixed both files' scores, without a word: one store, two
    leaderboards. Where today's file is not here, the newest pass's file stands for it: the same table, said."""
    import benchmark.metrics

    store = _small(tmp_path / "r", metrics=("psnr", "ssim"))
    old = [next(r for r in store.run_ids() if not r.startswith("input-"))]
    _two_files(store, "ssim", old)
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "b" * 64 if here and n == "ssim" else "")
    t = store.table()
    ssim = t[t.metric == "ssim"]
    assert set(ssim.run_id) == set(store.run_ids()) - set(old), sorted(set(ssim.run_id))
    assert set(t[t.metric == "psnr"].run_id) == set(store.run_ids())  # the other metric untouched
    (line,) = [r.getMessage() for r in caplog.records if "`ssim`" in r.getMessage()]
    assert "1 of 3 runs" in line and "bbbbbbbb" in line, line
    assert ("not here" in line) != here, line


def test_a_metric_file_that_cannot_be_read_is_judged_alike_by_run_and_every_reader(tmp_path, monkeypatch):
    """The runner hashed a metric's file with its own map (runner.weights_digests, raising), the readers with
    results.current_digests (leaving out what cannot be hashed): lpips' cached file unreadable (a shared TORCH_HOME
    another user's 0600 file) made the same ``plbench run`` of a finished grid die with 'internal error:
    PermissionError' while ``report`` read the store. One map now: a file that cannot be hashed is left out of it for
    both (the metric's own opening says why, where a run must score it)."""
    import errno

    import benchmark.metrics
    from benchmark.results import current_digests
    from benchmark.runner import is_complete

    store = _small(tmp_path / "r", metrics=("psnr", "ssim"))

    def digest(name):
        if name == "ssim":
            raise PermissionError(errno.EACCES, "Permission denied", "/shared/torch/hub/checkpoints/ssim.pth")
        return ""

    monkeypatch.setattr(benchmark.metrics, "weights_digest", digest)
    assert current_digests(["psnr", "ssim"]) == {}
    assert all(is_complete(store, rid, ["psnr", "ssim"]) for rid in store.run_ids())
    assert set(store.table().metric) == {"psnr", "ssim"}


def test_a_column_left_with_the_degraded_input_alone_says_so(tmp_path, monkeypatch, caplog):
    """Only the degraded input's scoring was re-scored with today's file (a grid of another setting re-scored the
    task's input; this setting's runs were not re-run): every trained run's scores of the earlier file are left out,
    so the column ranks no loss — said only as 'in 2 of 3 runs (degraded-input scoring included)', which reads as a
    column still holding most runs. The line now says that no run of a loss keeps a score there, and why."""
    import benchmark.metrics
    from benchmark.results import stale_lines

    store = _small(tmp_path / "r", metrics=("psnr", "ssim"))
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    _two_files(store, "ssim", trained)
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "b" * 64 if n == "ssim" else "")
    t = store.table()
    assert set(t[t.metric == "ssim"].run_id) == set(store.run_ids()) - set(trained)
    line = stale_lines(store)["ssim"]
    assert "in 2 of 3 runs" in line and "no run of a loss keeps a score in its column" in line, line
    assert "only the degraded input" in line, line
    # where some run of a loss has today's file's scores, the column still ranks: nothing more to say
    _two_files(store, "ssim", trained[:1])
    store.table()
    assert "no run of a loss" not in stale_lines(store)["ssim"]


def test_merge_names_runs_finished_there_whose_results_are_not_there(tmp_path, capsys):
    """``plbench merge`` of a node's store copied by an rsync cut short (a finished run's folder with curve.csv
    alone) said '1 not finished there (not copied)': the user waits for a run the node finished long ago, whose
    results are lost in that copy; a run folder deleted there was not named at all. Both are named now as finished
    there with their results not there, not copied, with what to do."""
    import shutil

    from benchmark.cli import main

    src = _small(tmp_path / "node2", offsets={"l1": 0.0, "good": 1.0, "bad": -1.0})
    cut, deleted = [r for r in src.run_ids() if not r.startswith("input-")][:2]
    _cut_short(src, cut)
    shutil.rmtree(src.run_dir(deleted))
    assert main(["merge", str(src.root), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "not finished there" not in out, out
    assert "2 finished there whose results are not there" in out and cut in out and deleted in out, out
    assert f"plbench check --out {src.root}" in out, out


@pytest.mark.slow  # ~8 s: the comparison's statistics and imports
def test_compare_of_a_new_loss_without_the_fields_perceptual_metric_does_not_crash(tmp_path, monkeypatch):
    """The field scored with lpips (merged from a machine with its weights) and the new loss not (lpips skipped here:
    its weights not cached), or the field's lpips scores left out but the degraded input's: ``plbench compare``
    trained and scored the new loss, then died in its summary with 'internal error: KeyError: <loss>' — the
    perception–distortion line looked up the new loss's lpips mean. The line is drawn from the metrics the new loss
    has: here none, the rest of the summary as before."""
    import benchmark.figures as figures
    from benchmark.compare import _summary
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "l2": -1.0, "mine": 0.5}, metrics=("psnr", "lpips"),
                                          seeds=(0,), n_images=2, budget_check=False):
        if meta.get("config", {}).get("loss") == "mine":  # lpips skipped for it
            rows = [r for r in rows if r["metric"] != "lpips"]
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    chosen = {"denoise": [m for m in store.metas() if m.get("config", {}).get("loss")]}
    md, _ = _summary(store, chosen, ["mine"], {"denoise": []}, 0.05, 20, "l1", ())
    assert "**mine**" in md and "| psnr" in md, md
    assert "Perception–distortion plane" not in md, md


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    """A self-trained ``contrique_fr`` encoder (2 steps) and the same file 'retrained': its weights perturbed."""
    import torch

    from benchmark.pretrain import PretrainConfig, pretrain

    root = tmp_path_factory.mktemp("enc")
    old = pretrain(PretrainConfig(arch="tinycnn", data="skimage-natural:train", steps=2, batch_size=4, crop=32, seed=0),
                   out_dir=root / "enc")
    ckpt = torch.load(old, weights_only=True)
    torch.manual_seed(0)  # the weights moved, the batch-norm statistics kept (a negative variance is a NaN)
    ckpt["state_dict"] = {k: v + 0.5 * torch.randn_like(v) if v.is_floating_point() and "running" not in k else v
                          for k, v in ckpt["state_dict"].items()}
    retrained = root / "retrained.pt"
    torch.save(ckpt, retrained)
    return old, retrained


@pytest.mark.slow
def test_compare_scores_the_new_loss_on_a_metric_whose_field_scores_are_all_of_another_file(tmp_path, encoder):
    """``contrique_fr@enc.pt`` retrained in place, then a grid of another setting scored the task's degraded input
    (and its own run) with today's file: every field run's scores of the earlier file are left out of the table, and
    ``plbench compare`` took the field's metrics from that table — psnr alone — so the new loss was never scored on
    contrique_fr and the field never re-scored: the comparison silently lost a metric the field was scored on. The
    field's metrics include those whose scores the table left out as another file's: the new loss is scored on it,
    the field re-scored from its nets, one column of today's file."""
    import shutil

    from benchmark import api
    from benchmark.compare import compare

    old, retrained = encoder
    enc = tmp_path / old.name
    for f in (old, old.with_suffix(".json")):
        shutil.copy(f, tmp_path)
    metric = f"contrique_fr@{enc}"
    kw = dict(tasks=["denoise"], seeds=[0], crop=32, batch_size=2, device="cpu", metrics=["psnr", metric],
              out=str(tmp_path / "r"), report=False, budget_check=False)
    api.run(losses=["l1", "l2"], iterations=2, **kw)
    shutil.copy(retrained, enc)
    api.run(losses=["l1"], iterations=3, **kw)  # another setting: the input re-scored with today's file
    res = compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=50)
    t = api.load_results(str(tmp_path / "r"))
    t = t[(t.metric == metric) & t.setting.str.contains('"iterations": 2')]
    assert {"l1", "l2", "charbonnier"} <= set(t.loss.astype(str)), sorted(set(t.loss.astype(str)))
    assert "re-scored from their net.pt" in res.text, res.text


def test_a_metric_checkpoint_this_user_cannot_read_is_one_line_not_an_internal_error(tmp_path, monkeypatch):
    """``contrique_fr@enc.pt`` whose file this user may not read (another user's 0600 checkpoint on a shared disk):
    opening the metric hashed it first and the run died with 'internal error: PermissionError' → one line naming the
    metric, the file and why; a file it reads for no checkpoint named (the pretrained one) is skipped with that why."""
    import errno

    import benchmark.weights
    from benchmark.errors import UserError
    from benchmark.metrics import MetricSet

    enc = tmp_path / "enc.pt"
    enc.write_bytes(b"an encoder")

    def unreadable(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(benchmark.weights, "file_sha256", unreadable)
    with pytest.raises(UserError, match=r"contrique_fr@.*enc\.pt.*cannot be read \(Permission denied"):
        MetricSet([f"contrique_fr@{enc}"])


@pytest.mark.slow
def test_a_compare_whose_new_runs_another_compare_trains_says_so_and_shows_them_once_done(tmp_path, monkeypatch):
    """Two ``plbench compare`` of one loss file at once (two terminals): the second found the new loss's run held by
    the first, left it to it, and — its table read before — wrote compare/<loss>.md saying 'The new loss has no
    scored results for this task (diverged or failed)' over the first's, the run finished meanwhile. A run left to
    another process is read again from the store once this compare's own work is done (shown when it finished), and
    one still in training is said to be, never 'diverged or failed'."""
    import shutil

    import benchmark.compare as C
    from benchmark import api
    from benchmark.compare import compare
    from benchmark.results import ResultsStore

    kw = dict(tasks=["denoise"], seeds=[0], iterations=2, crop=32, batch_size=2, device="cpu", metrics=["psnr"],
              report=False, budget_check=False)
    api.run(losses=["l1", "l2"], out=str(tmp_path / "r"), **kw)
    api.run(losses=["charbonnier"], out=str(tmp_path / "other"), **kw)  # the other compare's run, finished
    store = ResultsStore(tmp_path / "r")
    (cid,) = [r for r in ResultsStore(tmp_path / "other").run_ids() if not r.startswith("input-")]
    lock = store.lock(cid)  # the other compare trains it
    res = compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=20)
    assert "diverged or failed" not in res.text and "another process" in res.text, res.text

    rescore = C._rescore_stale_field

    def finished_meanwhile(*a, **k):  # the other compare finishes the run while this one works
        shutil.copytree(tmp_path / "other" / "runs" / cid, store.run_dir(cid), dirs_exist_ok=True)
        lock.release()
        return rescore(*a, **k)

    monkeypatch.setattr(C, "_rescore_stale_field", finished_meanwhile)
    lock.release()
    lock = store.lock(cid)
    res = compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=20)
    assert "no scored results" not in res.text and "**charbonnier** — mean rank" in res.text, res.text

    # finished by the other compare before this one's grid reached it (counted to train, then found done): the same
    import benchmark.runner as R

    for d in (store.run_dir(cid), store.root / "compare"):
        shutil.rmtree(d)
    grid = R.run_grid

    def finished_before(*a, **k):
        shutil.copytree(tmp_path / "other" / "runs" / cid, store.run_dir(cid), dirs_exist_ok=True)
        return grid(*a, **k)

    monkeypatch.setattr(C, "_rescore_stale_field", rescore)
    monkeypatch.setattr(R, "run_grid", finished_before)
    res = compare(tmp_path / "r", losses=["charbonnier"], device="cpu", visual=False, formats=(), n_boot=20)
    assert "no scored results" not in res.text and "**charbonnier** — mean rank" in res.text, res.text

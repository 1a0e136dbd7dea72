"""The final review of the session's merged change (fu-final): where two areas' rules met."""


def test_a_learned_metrics_scores_of_another_cached_file_are_left_out_of_every_table(tmp_path, monkeypatch):
    """a33dc30 (zoo) hashes a learned metric's cached weights (lpips, dists, niqe, musiq, contrique_fr: no ``@`` in
    the name) with each pass and re-scores runs scored with another file; 1679422 (store) left such scores out of
    the table for ``contrique_fr@<checkpoint>`` alone ('only such a metric reads a file'): an lpips file replaced,
    the runs without a net.pt kept the old file's scores in the column beside the re-scored runs' → every metric with
    a file is checked."""
    import hashlib

    import benchmark.metrics
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    now, was = hashlib.sha256(b"lpips now").hexdigest(), "0" * 64
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda name: now if name == "lpips" else "")
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    stale = []
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=2,
                                          metrics=("psnr", "lpips"), budget_check=False):
        old = (meta.get("config") or {}).get("loss") == "l1"
        store.write_eval(rid, rows, ["psnr", "lpips"], {}, metric_sha256={"lpips": was if old else now})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
        stale += [rid] if old else []
    t = store.table()
    lpips = set(t.loc[t.metric == "lpips", "run_id"].astype(str))
    assert lpips and lpips.isdisjoint(stale), sorted(lpips & set(stale))
    assert store.stale_left["lpips"]["stale"] == sorted(stale)
    assert set(stale) <= set(t.loc[t.metric == "psnr", "run_id"].astype(str))


def test_a_table_of_runs_scored_with_one_file_hashes_no_metric_file(tmp_path, monkeypatch):
    """Left out only where runs recorded two files or more: a store whose lpips column is of one file (every store
    but one whose file was replaced) neither hashes a learned metric's file (hundreds of MB, each reader process) nor
    reads each run's pass records a second time."""
    import benchmark.metrics
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    hashed = []
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda name: hashed.append(name) or "")
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0}, seeds=(0, 1), n_images=2, metrics=("psnr", "lpips"),
                                          budget_check=False):
        store.write_eval(rid, rows, ["psnr", "lpips"], {}, metric_sha256={"lpips": "1" * 64})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    monkeypatch.setattr(ResultsStore, "eval_records", lambda *a: (_ for _ in ()).throw(AssertionError("read again")))
    assert (store.table().metric == "lpips").any() and hashed == [] and store.stale_left == {}


def test_results_arm_takes_the_first_weight_set_by_name_whatever_their_versions():
    """0c79b94's Results.arm ('of several weight sets of that kind, the first by name') took the newest version over
    all the sets: vgg19 run under two versions of vgg, vgg16 under one, it took vgg [vgg19:random] (v2) and named
    vgg16 left out, where Results.first (872d3b3, liu2021's mixes) takes each set's newest, then the first by name →
    arm takes its choice from first."""
    import pandas as pd

    from benchmark.findings import Results
    from benchmark.synthetic import synthetic_table

    kw = dict(tasks=("sr4",), metrics=("vsi",), seeds=range(4), n_images=2)
    t16 = synthetic_table(offsets={"vgg": 1.0}, weights={"vgg": "vgg16:random(seed=0)"}, **kw)
    t19 = synthetic_table(offsets={"vgg": 1.0}, weights={"vgg": "vgg19:random(seed=0)"}, seed=1, **kw)
    t19 = t19[t19["loss"].astype(str) == "vgg"]
    t19 = t19.assign(run_id=t19["run_id"].astype(str) + "-19",
                     loss_version=t19["seed"].map(lambda s: "vgg=1" if s < 2 else "vgg=2"))
    res = Results(pd.concat([t16.assign(loss_version="vgg=2"), t19], ignore_index=True))
    arm = res.arm("sr4", "vgg", prefer=("random",))
    assert arm.weights == "vgg16:random", arm
    what, left = res.passed_over("sr4", arm)
    assert what == "random weight sets of vgg" and len(left) == 1 and "vgg19" in left[0], (what, left)


def test_the_runs_last_line_names_every_part_of_a_split_leaderboard_figure(tmp_path):
    """The quick profile's leaderboard figure is now split into page-sized parts (one task each), yet the run's
    last line named ``leaderboard.png`` alone: a new user opened it and saw one task of five. The line names the
    parts; a figure in one part reads as before."""
    from benchmark.cli import leaderboard_line

    png = tmp_path / "leaderboard.png"
    paths = {"markdown": tmp_path / "leaderboard.md", "heatmap": png, "html": tmp_path / "report.html"}
    for name in ("leaderboard.png", "leaderboard-2.png", "leaderboard-3.png", "leaderboard-old.png"):
        (tmp_path / name).write_bytes(b"")  # the last: a user's own file, no part (leaderboard_parts)
    line = leaderboard_line(paths)
    assert f"heatmap: {png} … leaderboard-3.png (3 parts)" in line and line.endswith(f"report: {tmp_path}/report.html")
    for name in ("leaderboard-2.png", "leaderboard-3.png"):
        (tmp_path / name).unlink()
    assert leaderboard_line(paths) == (f"leaderboard: {tmp_path}/leaderboard.md  heatmap: {png}  "
                                       f"report: {tmp_path}/report.html")

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

"""Probe 25 of a new user's path: a first session's slips, each one true, actionable line."""


def test_a_missing_results_folder_is_offered_only_a_close_folder_that_holds_results(tmp_path, monkeypatch, capsys):
    """``plbench report --out tasks2`` in the checkout said 'no such directory; did you mean tasks?' — the task
    package, which ``report --out tasks`` then refuses as no results directory. Only a close folder that is a
    results store is offered; a close store still is."""
    from benchmark.cli import main
    from benchmark.results import STORE_VERSION, ResultsStore

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "denoise.py").write_text("")
    assert main(["report", "--out", "tasks2"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert err.startswith("error: no results in tasks2: no such directory (run"), err
    assert "did you mean" not in err, err
    ResultsStore(tmp_path / "results").runs.mkdir(parents=True)
    (tmp_path / "results" / "store.json").write_text(f"{{\"store_version\": {STORE_VERSION}}}")
    assert main(["report", "--out", "result"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert "; did you mean results?" in err, err

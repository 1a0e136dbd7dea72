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


def test_a_shared_data_set_named_bare_is_told_where_it_is(tmp_path, monkeypatch, capsys):
    """``--train-data BSD200`` (the README names the standard profile's sets so) was read as a hub id: 'not cached
    and the hub is offline … download it on a connected machine … huggingface-cli download BSD200', though the
    shared images hold it. The line names the shared folder to pass, and a close spelling of one (``Kodak``, the
    README's ``Set14`` for ``CSet14``) is offered too."""
    from PIL import Image

    from benchmark import data
    from benchmark.cli import main

    shared = tmp_path / "shared"
    for name in ("BSD200", "CSet14", "Kodak24"):
        (shared / name).mkdir(parents=True)
        Image.new("RGB", (32, 32)).save(shared / name / "a.png")
    monkeypatch.setattr(data, "SHARED_DATASETS", shared)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    for given, there in (("BSD200", "BSD200"), ("Set14", "CSet14"), ("kodak24", "Kodak24")):
        assert main(["run", "--train-data", given, "--tasks", "denoise", "--losses", "l1", "--seeds", "0",
                     "--no-budget-check", "--out", str(tmp_path / "r"), "--dry-run"]) == 2
        (err,) = capsys.readouterr().err.strip().splitlines()
        assert f"{shared / there}: pass that path" in err, err
        assert "huggingface-cli" not in err, err
    assert not (tmp_path / "r" / "runs").exists()

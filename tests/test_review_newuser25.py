"""Review 25 of a new user's path: the mends of probe-newuser's commits (tests/test_probe_newuser25.py)."""

from test_probe_newuser25 import dry_run_refusal, shared_images


def test_the_stopped_note_leaves_out_a_run_superseded_by_one_finished_under_another_id(tmp_path):
    """691e3b4f's note named every unfinished run with a ``ckpt.pt``, one whose config and code version finished
    since under another id (its ``--loss-file`` edited: check's 'superseded') too: 'not in these tables; the same
    `plbench run` resumes it', though the run of that config is in the tables and no command resumes the old one.
    Such a run is left out of the note (``plbench check`` names it); a run stopped and not superseded still named."""
    import json

    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.report import stopped_lines
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    (meta,) = [m for m in store.metas() if m.get("config")]
    meta["code_version"] = "0.1.0+c1"  # as a run records it
    (store.run_dir(meta["run_id"]) / "meta.json").write_text(json.dumps(meta))
    store = ResultsStore(store.root)
    old = store.run_dir("0123456789abcdef")
    old.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {"config": meta["config"], "code_version": meta["code_version"]},
                "iteration": 5}, old / "ckpt.pt")
    assert stopped_lines(store) == []
    other = store.run_dir("fedcba9876543210")
    other.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {"config": {**meta["config"], "seed": 1},
                                                  "code_version": meta["code_version"]}, "iteration": 7},
               other / "ckpt.pt")
    (line,) = stopped_lines(store)
    assert line.startswith("1 run of this results directory stands stopped") and "seed 1, stopped at iteration 7" \
        in line, line


def test_a_shared_data_set_named_bare_in_lower_case_is_told_where_it_is(tmp_path, monkeypatch, capsys):
    """fd940cc0 offered the shared folder close to a bare source by difflib's case-sensitive ratio: ``Set5`` found
    ``CSet5``, but ``set5`` and ``set14`` (0.67, 0.73 against ``CSet5``, ``CSet14``, under its 0.75) were told the hub
    is offline and to download them with huggingface-cli. Case no longer counts in that closeness."""
    shared = shared_images(tmp_path, monkeypatch, ("CSet5", "CSet14"))
    monkeypatch.chdir(tmp_path)
    for given, there in (("set5", "CSet5"), ("set14", "CSet14")):
        err = dry_run_refusal(capsys, "--test-data", given, tmp_path / "r")
        assert f"did you mean the shared images' {there}? It is at {shared / there}: pass that path" in err, err


def test_compare_on_an_empty_field_does_not_send_to_resume_the_compared_losss_own_stopped_run(tmp_path, capsys):
    """865a03a2 counted every run stopped with a checkpoint into 'no finished field runs … : 1 run stands stopped with
    a checkpoint, not finished: the same `plbench run` resumes it, then compare', one of the loss compared too —
    resumed, it is no field run, and compare then says its finished runs are of the loss compared. Only a stopped run
    of another loss (or one whose checkpoint does not say) is counted; a field loss's still is."""
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for rid, loss in (("0123456789abcdef", "l1"), ("fedcba9876543210", "charbonnier")):
        store.run_dir(rid).mkdir(parents=True)
        config = {"task": "denoise", "loss": loss, "seed": 0, "iterations": 120}
        torch.save({"format": FORMAT, "fingerprint": {"config": config, "code_version": "x"}, "iteration": 62},
                   store.run_dir(rid) / "ckpt.pt")
        assert main(["compare", "--loss", "l1", "--out", str(store.root), "--no-visual"]) == 2
        (err,) = capsys.readouterr().err.strip().splitlines()
        if loss == "l1":  # the compared loss's own alone
            assert err == f"error: no finished field runs in {store.root} to compare against", err
        else:
            assert ": 1 run stands stopped with a checkpoint, not finished" in err, err


def test_a_close_local_folder_is_offered_before_a_close_shared_one(tmp_path, monkeypatch, capsys):
    """fd940cc0 put the shared images' close folder ahead of a local one: ``--test-data Set5h`` beside a folder
    ``Set5hr`` was offered the shared ``CSet5``, not ``Set5hr``, one letter away. A local close folder is offered first;
    a shared set named as it is (``BSD200``, case aside) still is, a local ``BSD20`` beside it or not."""
    shared = shared_images(tmp_path, monkeypatch, ("CSet5", "BSD200"))
    for name in ("Set5hr", "BSD20"):
        (tmp_path / "here" / name).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "here")
    for given, said in (("Set5h", "; did you mean Set5hr?"), ("bsd200", f"It is at {shared / 'BSD200'}: pass")):
        err = dry_run_refusal(capsys, "--test-data", given, tmp_path / "r")
        assert said in err, err

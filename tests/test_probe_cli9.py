"""Store/CLI leftovers: check's exit codes and summary, hints written as the user started the tool, cmd_run's
order of refusals, and the step-time cache's cap."""

import json


def test_steptimes_keeps_a_new_measurement_beyond_the_cap(tmp_path, monkeypatch):
    """A dry run that used more keys than :data:`~benchmark.perf.STEPTIMES_MAX` saved each new measurement before
    counting it as used: with the cap already filled by this run's keys, the new one fell outside it and was not
    written (Ctrl-C then lost it, though the docstring promises "kept as measured")."""
    from benchmark import perf

    monkeypatch.setattr(perf, "STEPTIMES_MAX", 2)
    st = perf.StepTimes(tmp_path / "steptimes.json")
    for i, key in enumerate(("a", "b", "c")):
        st.get(key, lambda i=i: float(i))
        on_disk = json.loads((tmp_path / "steptimes.json").read_text())["times"]
        assert key in on_disk, (key, on_disk)


def test_run_says_a_mistyped_loss_before_refusing_the_out_folder(tmp_path, capsys):
    """``plbench run --losses l11 --out F`` (F a file): the ``--out`` refusal came first; fixed that, the next try
    said the typo. Every name (task, metric, loss, net) is checked before the folder, as the comment there says."""
    from benchmark.cli import main

    out = tmp_path / "not-a-folder"
    out.write_text("x")
    for flags, said in ((["--losses", "l11"], "l11"), (["--losses", "l1+ssimm"], "ssimm"),
                        (["--losses", "charbonnier(eps=-1)"], "eps"), (["--losses", "zzz*"], "zzz*"),
                        (["--net", "unett"], "unett"), (["--losses", "l1", "--lr", "-1"], "--lr"),
                        (["--losses", "l1", "--iterations", "0"], "--iterations")):
        code = main(["run", "--tasks", "denoise", *flags, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and said in err and str(out) not in err, (flags, err)


def _store(root):
    from benchmark.synthetic import write_store

    return write_store(root, offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=3, metrics=("psnr",),
                       budget_check=False)


def _trained(store):
    return [r for r in store.run_ids() if not r.startswith("input")]


def test_check_summary_of_rows_without_a_record_is_not_an_unfinished_run(tmp_path, capsys):
    """A run whose meta.json was lost (rows in no leaderboard): ``check`` exited 0 and its last line counted it as
    "1 unfinished (interrupted or still training: the same `plbench run` resumes it) (and 1 scoring …)" — two
    brackets side by side, a resume that is in fact a retrain, and ``check && report`` drew a leaderboard without
    it. Rows or files that no table counts need an action, as damage does: exit 1, and the summary says how many
    runs' results are in no leaderboard; the degraded input's scorings are counted only when finished."""
    from benchmark.cli import main

    store = _store(tmp_path / "s")
    rid = _trained(store)[0]
    (store.run_dir(rid) / "meta.json").unlink()
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert ") (" not in last and "unfinished" not in last and "1 with results in no leaderboard" in last, last
    assert "3 runs finished" in last and "1 scoring of the degraded input" in last, last
    (inp,) = [r for r in store.run_ids() if r.startswith("input")]
    (store.run_dir(inp) / "meta.json").unlink()  # the input's scoring is now in no leaderboard either
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "degraded input" not in last and "2 with results in no leaderboard" in last, last


def test_check_repair_exits_1_when_a_damaged_net_remains(tmp_path, capsys):
    """``check --repair`` returned 0 after setting a damaged record aside although a damaged saved net (which
    repair does not move) remained — a plain ``check`` right after exited 1. Its exit now says what remains."""
    from benchmark.cli import main

    store = _store(tmp_path / "s")
    a, b = _trained(store)[:2]
    rows = store.run_dir(a) / "eval-0.parquet"
    rows.write_bytes(rows.read_bytes()[:-20])  # a record not matching its checksum
    (store.run_dir(b) / "net.pt").write_bytes(b"not a saved state")
    assert main(["check", "--out", str(store.root)]) == 1
    capsys.readouterr()
    assert main(["check", "--out", str(store.root), "--repair"]) == 1
    out = capsys.readouterr().out
    assert f"run {b}: net.pt unreadable" in out, out
    assert main(["check", "--out", str(store.root)]) == 1  # what remains: the net
    capsys.readouterr()
    (store.run_dir(b) / "net.pt").unlink()  # no net saved: nothing to say (as for a synthetic store's runs)
    assert main(["check", "--out", str(store.root), "--repair"]) == 0


def test_logged_hints_name_the_command_as_started(tmp_path, started_as_run_all, caplog):
    """Started as ``.venv/bin/python run_all.py …`` (no ``plbench`` on the PATH), the commands the harness's
    modules suggest in their log lines (results.py, report.py, compare.py, …: ~80 of them) still said
    `` `plbench check … --repair` ``, "command not found" when copied. The CLI's log handlers now write each as
    it was started (the one place, as the ``error:`` line already did), whatever module logged it."""
    import logging

    from benchmark.cli import main

    store = _store(tmp_path / "s")
    rows = store.run_dir(_trained(store)[0]) / "eval-0.parquet"
    rows.write_bytes(rows.read_bytes()[:-20])
    started_as_run_all("findings", "--out", str(store.root))
    with caplog.at_level(logging.WARNING):
        main(["findings", "--out", str(store.root)])
    said = [r.getMessage() for r in caplog.records if "--repair" in r.getMessage()]
    assert said and all("`plbench" not in m and "run_all.py check --out" in m for m in said), said


def test_pretrain_says_how_to_use_the_encoder_as_started(tmp_path, started_as_run_all, monkeypatch, capsys):
    """``pretrain``'s last line said ``use it:  plbench run --losses "csr(weights='…')" …`` outside backticks, so
    neither the run_all.py start was written in (no ``plbench`` on the PATH) nor a path with a space quoted: the
    line is now a command that runs as pasted."""
    import shlex

    from benchmark import pretrain as pretrain_mod
    from benchmark.cli import main

    enc = tmp_path / "my encoders" / "enc.pt"
    monkeypatch.setattr(pretrain_mod, "pretrain", lambda *a, **k: enc)
    started_as_run_all("pretrain", "--device", "cpu")
    assert main(["pretrain", "--device", "cpu"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("use it:"))
    words = shlex.split(line.removeprefix("use it:"))
    assert words[:2] == [".venv/bin/python", "run_all.py"] and "run" in words, line
    assert f"csr(weights='{enc}')" in words and f"contrique_fr@{enc}" in words, line


def test_compare_says_a_mistyped_loss_or_task_before_refusing_the_out_folder(tmp_path, capsys):
    """``plbench compare --loss l11 --out F`` said "F is a file, not a results directory" first; fixed that, the
    next try said the typo. Its loss specs and tasks are checked first, as ``run``'s."""
    from benchmark.cli import main

    out = tmp_path / "not-a-folder"
    out.write_text("x")
    for flags, said in ((["--loss", "l11"], "l11"), (["--loss", "l1", "--tasks", "denoize"], "denoize")):
        code = main(["compare", *flags, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and said in err and str(out) not in err, (flags, err)

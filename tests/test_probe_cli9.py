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
                        (["--net", "unett"], "unett")):
        code = main(["run", "--tasks", "denoise", *flags, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and said in err and str(out) not in err, (flags, err)

"""Review of the newuser probes of session 26 (tests/test_probe_newuser26.py): what the messages of a first meeting
with the tool say, where the commits reviewed left a case of their own kind untold."""
from __future__ import annotations


def test_a_step_time_cache_behind_a_dangling_link_is_warned_of_without_the_store_s_advice(tmp_path, caplog):
    """6b144964 warned of an unwritable steptimes.json with the cause alone by cutting the store's one line at
    "; nothing half-written" — but a link to a folder not there (a shared cluster cache on a disk not mounted) is said
    "…; nothing was written, results written before are intact: mount or restore it … and run `plbench …` again",
    which that cut kept whole: advice on results, and a command to rerun, for a cache. The cause alone is one rule of
    the store's (:func:`benchmark.results.write_cause`), which the cache's warning and _not_put_back both use."""
    import logging

    from benchmark import perf

    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "plbench").symlink_to(tmp_path / "a disk not mounted")
    cache = perf.StepTimes(tmp_path / "hub" / "plbench" / "steptimes.json")
    with caplog.at_level(logging.WARNING, logger="benchmark.perf"):
        assert cache.get("denoise|l1", lambda: 0.5) == 0.5
    (said,) = [r.getMessage() for r in caplog.records if "could not keep measured step times" in r.getMessage()]
    assert "is a link to" in said and "measures them again" in said, said
    assert "results written before" not in said and "again (the next" not in said, said


def test_an_interrupted_dry_run_that_kept_no_step_time_of_a_busy_machine_does_not_say_it_kept_some(
        tmp_path, monkeypatch, capsys):
    """b31b9600's line for an interrupted dry run on a busy machine said "of the step times measured so far, those
    timed with the cores free are kept (…), not the 1 step time timed while other work held them" where every one was
    timed so — the case it was written for (load 10 on 2 cores: each timing busy) — and none was kept. It now says
    none was; where some were timed with the cores free, the line stays as it was."""
    import json

    from benchmark import cli, perf

    def interrupted(busy: list[bool]) -> tuple[str, dict]:
        path = tmp_path / f"{len(busy)}.json"
        cache = perf.StepTimes(path)

        def dry_run(args):
            for i, b in enumerate(busy):
                cache.get(f"denoise|l{i}", lambda b=b: (perf._CONTENDED.__setitem__(0, perf._CONTENDED[0] + b), 0.5)[1])
            raise KeyboardInterrupt

        monkeypatch.setattr(cli, "cmd_run", dry_run)
        assert cli.main(["run", "--dry-run", "--tasks", "denoise", "--losses", "l1", "-q"]) == 130
        return capsys.readouterr().err.strip().splitlines()[-2], json.loads(path.read_text())["times"]

    monkeypatch.setattr(perf, "_CONTENDED", [0])
    line, kept = interrupted([True, True])
    assert not kept and "cores free are kept" not in line and "only the rest" not in line, line
    assert "2 step times measured so far" in line and "not kept" in line and "measures them again" in line, line
    line, kept = interrupted([False, True])
    assert list(kept) == ["denoise|l0"], kept
    assert "those timed with the cores free are kept" in line and "not the 1 step time timed while" in line, line


def test_python_m_benchmark_golden_names_the_option_a_typo_meant(capsys):
    """`python -m benchmark.golden --updat` printed argparse's usage block and "unrecognized arguments: --updat",
    where plbench's commands say one line with the closest option: the golden check's parser is plbench's
    (:class:`benchmark.cli._Parser`), which now names the closest option of a parser without subcommands too."""
    import pytest

    from benchmark import golden

    with pytest.raises(SystemExit) as stop:
        golden.main(["--updat"])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1, err
    assert "unrecognized arguments: --updat; did you mean --update?" in err[0] and "benchmark.golden -h" in err[0], err

"""Review (night, session 24) of the probe-overnight, probe-newuser and probe-report commits: what was still wrong."""
import logging
import os
import stat


def _records(name: str):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger(name).addHandler(handler)
    return records, handler


def test_jobs_scancel_could_not_cancel_with_the_controller_down_are_said_and_kept(tmp_path, monkeypatch):
    """9a4c1028 said jobs a stopped SLURM driver could not cancel — but only where ``job.cancel`` raised, which
    submitit's ``cancel(check=False)`` (``subprocess.call``) does only with no scancel on the PATH: with the
    controller down scancel exits 1, nothing raised, ``_cancel`` answered True (every job cancelled), the ledger
    forgot the jobs and nothing was said while they trained on. Real submitit jobs, a scancel that exits 1 as
    Slurm's does when it cannot reach its controller."""
    import submitit

    import benchmark.executors as ex

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scancel = bin_dir / "scancel"
    scancel.write_text("#!/bin/sh\necho 'scancel: error: Unable to contact slurm controller (connect failure)' >&2\n"
                       "exit 1\n")
    scancel.chmod(scancel.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    jobs = [submitit.SlurmJob(folder=tmp_path / "jobs", job_id=f"1000_{i}") for i in range(3)]
    # the third finished as the jobs' shared sacct watcher last read it: nothing to cancel, not said as still running
    monkeypatch.setitem(submitit.SlurmJob.watcher._info_dict, "1000_2", {"State": "COMPLETED"})
    records, handler = _records("benchmark.executors")
    try:
        cancelled = ex._cancel(jobs, "slurm")
    finally:
        logging.getLogger("benchmark.executors").removeHandler(handler)
    said = [r.getMessage() for r in records if "could not cancel" in r.getMessage()]
    assert cancelled is False, "jobs scancel did not stop read as cancelled: the ledger forgets them"
    assert len(said) == 1 and "2 jobs" in said[0] and "`scancel 1000`" in said[0], [r.getMessage() for r in records]


def test_a_spill_folder_not_there_refuses_only_the_commands_that_decode_images(tmp_path, monkeypatch, capsys):
    """641d61af refused a PLBENCH_SPILL_DIR that is not there before every command but list, check, merge and
    weights — so `plbench findings` and `plbench calibrate`, which read the store's rows and decode no image, were
    refused too (exit 2) over a setting they never use: a stale export in a shell's profile kept a user from the
    verdicts of a finished grid. They run; run (and report, whose visual grid reads a test source) still refuse."""
    from benchmark.cli import main

    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path / "spil"))
    monkeypatch.chdir(tmp_path)
    for argv in (["findings", "--out", str(tmp_path / "r")], ["calibrate", "--out", str(tmp_path / "r")]):
        main(argv)
        err = capsys.readouterr().err
        assert "PLBENCH_SPILL_DIR" not in err, (argv, err)
    assert main(["report", "--out", str(tmp_path / "r")]) == 2
    assert "PLBENCH_SPILL_DIR" in capsys.readouterr().err

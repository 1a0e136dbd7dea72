"""Review of session 25's driver commits (probe-drivers): what their own tests left unasserted."""
from __future__ import annotations


def test_a_stopped_slurm_driver_counts_no_job_whose_result_is_written_while_sacct_still_reads_it_running(
        tmp_path, monkeypatch):
    """90e4e514 looked at a result file only for a job the fresh sacct read did not list, so a job that had written
    its result while sacct still read it RUNNING or COMPLETING (the job exiting, slurmdbd behind the controller)
    counted as still queued or running — and was scancelled — where 57e16b91 counted it ended. A started job's file
    is looked at; a pending one's (most of a big array's) still never."""
    from test_probe_drivers25 import _slurm_jobs

    import benchmark.executors as ex

    _, jobs, _ = _slurm_jobs(tmp_path, monkeypatch, ["RUNNING", "COMPLETING", "RUNNING", "PENDING"])
    for job in jobs[:2]:  # their results written, sacct not yet saying they ended
        job.paths.result_pickle.parent.mkdir(parents=True, exist_ok=True)
        job.paths.result_pickle.write_bytes(b"")
    looked = []
    real = ex._result_written
    monkeypatch.setattr(ex, "_result_written", lambda job: looked.append(job.job_id) or real(job))
    assert [j.job_id for j in ex._still_queued(jobs, {})] == ["1000_2", "1000_3"]
    assert "1000_3" not in looked, looked


def test_a_title_rebroken_for_its_widow_keeps_every_line_within_the_width():
    """8f0f1a79's _no_widow rebroke a title whose last line was one word at fewer characters, saying each line stays
    within the width, but measured none: fewer characters are not a narrower line where the words moved down are of
    wide letters. 'ii ii ii ii ii ii ii WWWWWW WWWWWW' in 1 in (8 pt) was 'ii ii ii ii ii' / 'ii ii WWWWWW' / a lone
    'WWWWWW' (0.86 in at most), and became '…' / 'WWWWWW WWWWWW', 1.36 in: past the canvas. A rebreaking is kept
    only where every line still fits as drawn, else the lines stay as they were."""
    from benchmark import figures as F

    text = " ".join(["ii"] * 7) + " WWWWWW WWWWWW"
    with F.style() as plt:
        fig = plt.figure(figsize=(4, 3))
        lines = F._measured_lines(fig, text, 1.0, 8)
        wide = {line: F._text_width(fig, line, 8) for line in lines if F._text_width(fig, line, 8) > 1.0}
        plt.close(fig)
    assert " ".join(lines) == text and not wide, (lines, wide)

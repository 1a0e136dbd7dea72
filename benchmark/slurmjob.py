"""A SLURM job's process (submitit's, ``--executor slurm``): submitit's own job entry, ended as the command ends.

submitit runs each job as ``<python> -u -m submitit.core._submit FOLDER``; the slurm executor names this module as that
``<python>`` (:data:`COMMAND`), so a job runs ``python -u -m benchmark.slurmjob -u -m submitit.core._submit FOLDER``:
submitit's :func:`~submitit.core.submission.process_job` (the job's function, its result saved), then, once it saved
a success, :func:`~benchmark.errors.exit_now` — every atexit handler once, logs flushed, exit 0 —, never the
interpreter's teardown, where a C++ library's thread (pyarrow's) aborted a job now and then ('terminate called without
an active exception', exit 134: FAILED in sacct and SLURM's mail, its result saved). A job whose function raised ends
as submitit's entry ends it (its traceback, its exit code). Nothing of the interpreter's (atexit) is patched."""

from __future__ import annotations

import shlex
import sys

#: submitit's ``python`` for the slurm and local clusters: this interpreter, running this module
COMMAND = f"{shlex.quote(sys.executable)} -u -m benchmark.slurmjob"


def main(argv: list[str] | None = None, process_job=None) -> None:
    """Run the job of submitit's folder (``argv``'s last word: ``-u -m submitit.core._submit FOLDER``), then end the
    process with 0 once its result is saved as a success. ``process_job``: submitit's (tests pass their own)."""
    argv = sys.argv[1:] if argv is None else argv
    if process_job is None:
        from submitit.core.submission import process_job
    process_job(argv[-1])  # raises where the job's function raised (its error saved): submitit's own end
    from benchmark.errors import exit_now

    exit_now(0)


if __name__ == "__main__":
    main()

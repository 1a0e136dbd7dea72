"""Review 18 of overnight and cluster runs: how a SLURM job's process ends once submitit saved its result."""
from __future__ import annotations

_A_JOB_THAT_IMPORTED_TORCH = '''
import atexit, pickle, sys
from benchmark.executors import _end_once_saved

_end_once_saved(sys.argv[1])  # at the job function's start: before what training imports
atexit.register(print, "a handler registered while the job trained ran")  # torch's C++ cleanup, multiprocessing's
with open(sys.argv[1], "wb") as f:  # what submitit's process_job saves once the job's function returned
    pickle.dump(("success", {"summary": None}), f)
'''


def test_a_slurm_jobs_end_runs_each_atexit_handler_once(tmp_path):
    """_end_once_saved runs as an atexit handler and ended the job by exit_now, which ran every atexit handler again:
    those registered while the job trained (torch's C++ cleanup, multiprocessing's, weakref's) had run already, and
    ran twice. They run once; the job still ends with 0."""
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.run([sys.executable, "-c", _A_JOB_THAT_IMPORTED_TORCH, str(tmp_path / "result.pkl")],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert proc.returncode == 0, proc.stderr[-1000:]
    assert proc.stdout.count("a handler registered while the job trained ran") == 1, proc.stdout

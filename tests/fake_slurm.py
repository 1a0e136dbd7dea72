#!/usr/bin/env python3
"""A stand-in for SLURM's commands on one machine, for tests: ``sbatch``, ``sacct``, ``squeue``, ``scancel``,
``scontrol requeue`` and ``srun`` are links to this file (``install(bin_dir, state_dir)``).

``sbatch SCRIPT`` starts each task of the script's ``--array`` (or the one job) as a detached
process running ``bash SCRIPT`` with SLURM's variables (``SLURM_ARRAY_JOB_ID``, ``SLURM_ARRAY_TASK_ID``,
``SLURM_RESTART_COUNT``, …); ``sacct`` (``-j ID`` or ``--name NAME``) reads each task's state (RUNNING, then
COMPLETED or FAILED by exit code, or what ``scancel`` / the test wrote: CANCELLED, TIMEOUT, NODE_FAIL): none while
``FAKE_SLURM_SACCT_LAG`` is set (accounting behind the controller), failing while ``FAKE_SLURM_SACCT_DOWN`` is;
``squeue --name NAME`` (or ``-j ID``) lists the tasks of the jobs of that name (failing while ``FAKE_SLURM_SQUEUE_DOWN``
is set);
``scancel ID`` sends SIGTERM then SIGKILL after ``FAKE_SLURM_KILL_WAIT`` s (SLURM's KillWait) and marks the task
CANCELLED, ``scancel ID --signal SIG`` only signals; ``scontrol requeue ID`` starts the task again,
``SLURM_RESTART_COUNT`` one higher, once its process has exited. State lives in ``$FAKE_SLURM_DIR``:
``<task>.state``, ``<task>.pgid`` (the batch script's process group), ``<task>.step`` (srun's step's),
``<task>.requeue``, ``<task>.starts``, ``<job>.name``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = ("sbatch", "sacct", "squeue", "scancel", "scontrol", "srun")


def install(bin_dir: Path, state_dir: Path) -> dict:
    """Links for every command in ``bin_dir``; the environment variables the fakes need."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    launcher = bin_dir / "_fake_slurm"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} \"$@\"\n")
    launcher.chmod(0o755)
    for name in COMMANDS:
        (bin_dir / name).write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} {name} \"$@\"\n")
        (bin_dir / name).chmod(0o755)
    return {"FAKE_SLURM_DIR": str(state_dir), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


class Job:
    """A submitted job that has finished, with an empty summary: what ``jobs`` (of :func:`executor`) returns one of
    per run; ``job_id`` as ``sacct`` lists it (``"1000_0"``)."""

    def __init__(self, job_id: str):
        self.job_id = job_id

    def done(self) -> bool:
        return True

    def result(self) -> dict:
        return {"summary": {}}


def executor(jobs, cluster: str = "slurm") -> type:
    """A stand-in for ``submitit.AutoExecutor`` (monkeypatched in): ``map_array`` returns ``jobs(n)``, the
    test's own job objects for the n units, and nothing is submitted."""

    class Executor:
        params: dict = {}  # the last update_parameters (the job name: what sbatch --job-name gets)
        made: dict = {}  # the last constructor's keywords (slurm_python: each job's process)

        def __init__(self, folder, cluster=None, **kwargs):
            type(self).made = kwargs

        def update_parameters(self, **kw):
            type(self).params = {**type(self).params, **kw}

        def map_array(self, fn, units):
            return jobs(len(units))

    Executor.cluster = cluster
    return Executor


def count_submissions(monkeypatch, summary: dict) -> list[int]:
    """Monkeypatch ``submitit.AutoExecutor`` with jobs that are done at once and return ``{"summary": summary}``,
    and the driver's poll interval to 10 ms; returns the list the number of units of each submission is
    appended to (``[]`` where nothing was submitted)."""
    import submitit

    import benchmark.executors as ex

    submitted: list[int] = []

    class Job:
        job_id = "1000_0"

        def done(self):
            return True

        def result(self):
            return {"summary": dict(summary)}

    monkeypatch.setattr(submitit, "AutoExecutor",
                        executor(lambda n: submitted.append(n) or [Job() for _ in range(n)]))
    monkeypatch.setattr(ex, "SLURM_POLL_S", 0.01)
    return submitted


def preempt_a_training_run(tmp_path: Path, root: Path, checkpoint_every: str):
    """The real CLI with SLURM faked on PATH trains one denoise/l1 run (1500 iterations, periodic checkpoints
    by time off, by count every ``checkpoint_every``); once its curve has points, ``scancel --signal USR2``
    (SLURM's time-out/preemption warning). Returns (curve.csv path or None if it never trained, the
    driver's exit status, its stderr); state under ``tmp_path / "state"``."""
    env = {**os.environ, **install(tmp_path / "bin", tmp_path / "state"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(root)}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "benchmark", "run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0",
           "--iterations", "1500", "--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--test-data",
           "skimage-natural:test", "--device", "cpu", "--no-progress", "--no-budget-check", "--executor", "slurm",
           "--slurm-time", "30", "--no-report", "--checkpoint-seconds", "0", "--checkpoint-every",
           str(checkpoint_every), "--out", str(out)]
    driver = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    curve = None
    while time.time() < deadline and driver.poll() is None:  # training: its curve has points
        curve = next(iter(out.glob("runs/*/curve.csv")), None)
        if curve is not None and len(curve.read_text().splitlines()) > 2:
            break
        time.sleep(0.5)
    if curve is None:
        driver.kill()
        return None, driver.wait(), driver.stderr.read()
    subprocess.run(["scancel", "1000", "--signal", "USR2"], env=env, check=True)
    _, err = driver.communicate(timeout=300)
    return curve, driver.returncode, err


def _dir() -> Path:
    return Path(os.environ["FAKE_SLURM_DIR"])


def _tasks(job: str) -> list[str]:
    """Task ids (``123_0``, or ``123``) matching a job id as sacct/scancel take it."""
    found = sorted(p.name[:-len(".state")] for p in _dir().glob("*.state"))
    return [t for t in found if t == job or t.split("_")[0] == job]


def sbatch(args: list[str]) -> int:
    script = Path(args[-1])
    text = script.read_text()
    counter = _dir() / "counter"
    jid = int(counter.read_text()) + 1 if counter.exists() else 1000
    counter.write_text(str(jid))
    m = re.search(r"^#SBATCH --array=(\d+)-(\d+)", text, re.M)
    name = re.search(r"^#SBATCH --job-name=(\S+)", text, re.M)
    if name:
        (_dir() / f"{jid}.name").write_text(name.group(1))
    indices = [str(i) for i in range(int(m.group(1)), int(m.group(2)) + 1)] if m else [None]
    for idx in indices:
        task = f"{jid}_{idx}" if idx is not None else str(jid)
        (_dir() / f"{task}.state").write_text("PENDING")
        subprocess.Popen([sys.executable, __file__, "_run", str(jid), idx or "", str(script)], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"Submitted batch job {jid}")
    return 0


def _run(jid: str, idx: str, script: str) -> int:
    task = f"{jid}_{idx}" if idx else jid
    restarts = 0
    while True:
        env = {**os.environ, "SLURM_JOB_ID": f"{jid}{idx}" if idx else jid,
               "SLURM_RESTART_COUNT": str(restarts), "SLURM_NTASKS": "1", "SLURM_JOB_NUM_NODES": "1",
               "SLURM_NODEID": "0", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_JOB_NODELIST": "node1"}
        if idx:  # an array's task; a plain job has neither variable
            env.update(SLURM_ARRAY_JOB_ID=jid, SLURM_ARRAY_TASK_ID=idx)
        else:
            env.pop("SLURM_ARRAY_JOB_ID", None)
            env.pop("SLURM_ARRAY_TASK_ID", None)
        (_dir() / f"{task}.state").write_text("RUNNING")
        with open(_dir() / f"{task}.starts", "a") as f:
            f.write(f"{restarts}\n")
        p = subprocess.Popen(["bash", script], env=env, start_new_session=True, stdin=subprocess.DEVNULL)
        (_dir() / f"{task}.pgid").write_text(str(p.pid))
        rc = p.wait()
        requeue = _dir() / f"{task}.requeue"
        if requeue.exists():
            requeue.unlink()
            restarts += 1
            (_dir() / f"{task}.state").write_text("REQUEUED")
            continue
        state = (_dir() / f"{task}.state").read_text()
        if state == "RUNNING":
            (_dir() / f"{task}.state").write_text("COMPLETED" if rc == 0 else "FAILED")
        return 0


def _named(args: list[str]) -> list[str]:
    """The jobs submitted under the names ``--name=NAME`` / ``--name NAME`` in ``args`` (sbatch --job-name)."""
    names = [a.split("=", 1)[1] for a in args if a.startswith("--name=")]
    names += [args[i + 1] for i, a in enumerate(args) if a == "--name"]
    return [p.name[:-len(".name")] for p in sorted(_dir().glob("*.name")) if p.read_text() in names]


def sacct(args: list[str]) -> int:
    jobs = [args[i + 1] for i, a in enumerate(args) if a == "-j"] + _named(args)
    if os.environ.get("FAKE_SLURM_SACCT_DOWN"):  # accounting (slurmdbd) unreachable
        print("sacct: error: Problem talking to the database: Connection refused", file=sys.stderr)
        return 1
    print("JobID|State|NodeList|End")
    if os.environ.get("FAKE_SLURM_SACCT_LAG"):  # accounting behind the controller: no job listed yet
        return 0
    for job in jobs:
        for t in _tasks(job):  # End: a task's <t>.end where a test wrote one (when it ended), else Unknown
            end = _dir() / f"{t}.end"
            print(f"{t}|{(_dir() / f'{t}.state').read_text()}|node1|{end.read_text() if end.exists() else 'Unknown'}")
    return 0


def squeue(args: list[str]) -> int:
    """``squeue -h -r -t all --name=NAME -o %i`` or ``-j ID[,ID…]``: the controller's tasks of the jobs of that name
    or those ids, one a line (``-o %i|%T``: with its state; every task: the fake never forgets a finished job, as
    SLURM does after MinJobAge; one ``-j`` id it has no task of is SLURM's "Invalid job id specified", exit 1);
    failing while ``FAKE_SLURM_SQUEUE_DOWN`` is set (the controller overloaded: socket timed out)."""
    if os.environ.get("FAKE_SLURM_SQUEUE_DOWN"):
        print("slurm_load_jobs error: Socket timed out on send/recv operation", file=sys.stderr)
        return 1
    ids = [j for i, a in enumerate(args) if a == "-j" for j in args[i + 1].split(",")]
    if len(ids) == 1 and not _tasks(ids[0]):
        print("slurm_load_jobs error: Invalid job id specified", file=sys.stderr)
        return 1
    fmt = args[args.index("-o") + 1] if "-o" in args else "%i"
    for job in _named(args) + ids:
        for t in _tasks(job):
            print(fmt.replace("%i", t).replace("%T", (_dir() / f"{t}.state").read_text().split(" ")[0]))
    return 0


def _signal(task: str, sig: int, what: tuple[str, ...] = ("step", "pgid")) -> None:
    """``sig`` to the task's job step (srun's process group) and/or its batch script's."""
    for kind in what:
        try:
            os.killpg(int((_dir() / f"{task}.{kind}").read_text()), sig)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass


def scancel(args: list[str]) -> int:
    """``scancel ID [ID …]`` (a job, an array task, or a whole array by its base id), or ``scancel ID --signal SIG``."""
    if "--signal" in args:
        sig = args[args.index("--signal") + 1]
        for t in _tasks(args[0]):  # as scancel --signal without --batch: the job steps only, not the batch shell
            _signal(t, getattr(signal, sig if sig.startswith("SIG") else f"SIG{sig}"), ("step",))
        return 0
    tasks = [t for job in args if not job.startswith("-") for t in _tasks(job)
             if (_dir() / f"{t}.state").read_text() in ("PENDING", "RUNNING", "REQUEUED")]
    for t in tasks:
        (_dir() / f"{t}.state").write_text("CANCELLED")
        _signal(t, signal.SIGTERM)
    time.sleep(float(os.environ.get("FAKE_SLURM_KILL_WAIT", "2")))
    for t in tasks:
        _signal(t, signal.SIGKILL)
    return 0


def scontrol(args: list[str]) -> int:
    if args[:1] != ["requeue"]:
        print(f"fake scontrol: only 'requeue' ({args})", file=sys.stderr)
        return 1
    for t in _tasks(args[1]):
        (_dir() / f"{t}.requeue").write_text("1")
    return 0


def srun(args: list[str]) -> int:
    out = err = None
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ("--output", "--error"):
            path = args[i + 1]
            for k, v in (("%A", os.environ.get("SLURM_ARRAY_JOB_ID", "")),
                         ("%a", os.environ.get("SLURM_ARRAY_TASK_ID", "")),
                         ("%j", os.environ.get("SLURM_JOB_ID", "")), ("%t", "0")):
                path = path.replace(k, v)
            if args[i] == "--output":
                out = path
            else:
                err = path
            i += 2
        else:
            i += 1
    stdout = open(out, "a") if out else None
    stderr = open(err, "a") if err else None
    step = subprocess.Popen(args[i:], stdout=stdout, stderr=stderr, start_new_session=True)
    task = (f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
            if "SLURM_ARRAY_TASK_ID" in os.environ else os.environ["SLURM_JOB_ID"])
    (_dir() / f"{task}.step").write_text(str(step.pid))
    return step.wait()


def main(argv: list[str]) -> int:
    cmd, rest = argv[0], argv[1:]
    if cmd == "_run":
        return _run(*rest)
    return {"sbatch": sbatch, "sacct": sacct, "squeue": squeue, "scancel": scancel, "scontrol": scontrol,
            "srun": srun}[cmd](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

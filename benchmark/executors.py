"""Executors: who runs the runs of a grid — this process, N local workers, a Ray cluster, SLURM.

Every executor has one signature::

    execute(configs, store_root, metrics, device_spec, **opts) -> GridSummary

and every one of them ends in :func:`benchmark.runner.run_grid` on some list of configs, writing
through the same :class:`~benchmark.results.ResultsStore`. Resume, re-scoring and the leaderboard
therefore work unchanged, whichever executor wrote a run.

How a run is never done twice. ``run_grid`` takes a per-run lock (``flock`` on
``runs/<id>/.lock``) and re-checks the store under it, and the degraded-input rows of a task are
written under their own lock in the same way. So workers may be handed overlapping lists:

* a *shard* worker runs its own strided share (``configs[i::n]``), then the runs of the others'
  shares that nobody has attempted yet (no ``meta.json``), so a worker that finishes early takes
  over work (stealing through the store, no coordinator); a run another worker holds is skipped
  and retried once at the end, by which time it is normally done; a run that failed during this
  grid is not retried by a second worker (the next invocation retries it, as always);
* a *per-run* task (Ray or SLURM, ``split="run"``) gets one config.

Results are identical to the sequential executor's: every run is seeded by its config alone.
On the CPU, bit-identical numbers also need the same number of intra-op threads per run
(float reductions are split by thread); workers use ``max(1, cores // N)`` threads, and
``threads=`` sets the sequential executor's count for a like-for-like comparison.

With GPUs, local worker ``i`` sees one GPU (``CUDA_VISIBLE_DEVICES``); ``workers_per_gpu=K``
puts K workers on each GPU, for runs too small to fill one. Ray tasks ask for ``num_gpus=1/K``.

Ray and submitit are optional extras (``pip install 'perceptual-loss-bench[ray]'`` / ``[slurm]``),
imported only when their executor is used. Cross-machine use needs the results directory on a
shared file system whose ``flock`` works across clients (NFSv4; Lustre mounted with ``flock``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shlex
import signal
import sys
import time
import time as _time  # execute_slurm's argument `time` (the job's time limit) shadows the module there
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from benchmark import slurmjob
from benchmark.docmarkup import agree, plural
from benchmark.errors import (
    UserError,
    again,
    again_as,
    again_who,
    first_line,
    output_to_a_reader_gone_goes_nowhere,
    pip,
)

log = logging.getLogger(__name__)
EXECUTORS = ("local", "ray", "slurm")
STOP_GRACE_S = 120  # how long an interrupted driver waits for remote tasks to checkpoint and stop
RAY_POLL_S = 5.0  # how often the Ray driver, waiting on its tasks, updates the grid's progress
#: the Ray driver, its tasks done, waits until their output forwarded to its console has been quiet this long (Ray's log
#: monitor polls the workers' files every 0.1 s), RAY_SETTLE_MAX_S at most, before it shuts the instance down or ends
RAY_SETTLE_S, RAY_SETTLE_MAX_S = 1.0, 5.0
SACCT_STOP_S = 15.0  # the most the SLURM driver waits for one sacct read of its jobs' states (at the stop, in its poll)
SLURM_STATE_S = 60.0  # how often the SLURM driver reads its jobs' states (one sacct; submitit's own: every 600 s)
#: how long the SLURM driver waits on a job sacct reads in a state it does not know (neither SLURM_ACTIVE nor
#: SLURM_ENDED) with no result before giving it up: scancelled, its runs lost, dropped from the ledger; counted from
#: the job's End where sacct gives one (a later driver's ledger gives its runs up as well), else from the driver's
#: first sight of it
SLURM_UNKNOWN_S = 1800.0
#: the sacct fields the driver and the ledger read of their jobs (End: when one in a state unknown here ended, the
#: start of its SLURM_UNKNOWN_S)
SACCT_FIELDS = ("-o", "JobID,State,NodeList,End", "--parsable2")
SLURM_POLL_S = 5.0  # how often the SLURM driver looks for finished jobs (the result files of those sacct read started)
DRIVER_POLL_S = 1.0  # how often a local worker looks whether its driver is still there (_stop_with_driver)
_REPO_ROOT = Path(__file__).resolve().parents[1]  # where `benchmark`, `tasks`, `losses` live


class Executor(Protocol):
    def __call__(self, configs: list, store_root: str | Path, metrics: tuple[str, ...], device_spec: str,
                 **opts) -> "GridSummary":  # noqa: F821 - benchmark.runner.GridSummary
        ...


# --------------------------------------------------------------------------------------------
# one unit of work, the same for every executor
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkUnit:
    """What one worker process (or Ray task, or SLURM job) runs: ``run_grid`` on ``configs``."""

    configs: tuple                       # RunConfig: this worker's own share, in order
    store_root: str
    metrics: tuple[str, ...]
    device: str                          # device spec as the worker will see it ("cuda" once pinned)
    steal: tuple = ()                    # other workers' shares, to take over when its own is done
    progress: bool = False
    checkpoint: object = None            # CheckpointPolicy | None
    loss_files: tuple[str, ...] = ()     # user loss files to import before anything else
    threads: int | None = None           # torch intra-op threads; None: leave torch's default
    log_level: int = logging.WARNING
    tag: str = ""                        # shown in this worker's log lines
    since: float | None = None           # grid start (time.time()): a run that failed after it is not retried
    grid: tuple = ()                     # every config of the grid: progress lines count the whole grid
    grid_workers: int | None = 1         # how many units run at once (for the ETA; None: as many as seen in flight)
    logger: str = "tensorboard"          # live curves besides the CSV (benchmark.loggers)
    gpu_share: int = 1                   # workers sharing this worker's GPU (--workers-per-gpu)
    #: (run id, {loss: version}) of each config of ``configs`` + ``steal`` as the driver planned it: a job that
    #: starts after the code or a ``--loss-file`` changed would train other runs than those submitted
    planned: tuple = ()
    #: an attempt of a SLURM job after its requeue (:meth:`RequeueableUnit.checkpoint`): runs an earlier attempt
    #: finished are in no summary, its result says so (``requeued``) for the driver to count them from the store
    requeued: bool = False
    #: the driver's id of a grid of several processes (local workers, Ray, SLURM: :func:`_units`), written into the
    #: meta.json and pass records of the runs the unit does: what the driver counts this grid's runs by, a node's clock
    #: being no match for its own (nor a clock stepped back during the night for its earlier reading)
    grid_id: str = ""
    #: seconds a run may go without progress before it is stopped as hung (``--stall-timeout``; None: the default,
    #: 0: never; :func:`benchmark.progress.stall_watch`)
    stall_s: float | None = None
    #: the driver's decoded images, to map instead of decoding them again (:meth:`benchmark.data.DataCache.share`)
    decoded: tuple = ()
    #: the driver's ``SOURCE[holdout=P%]`` splits (:meth:`benchmark.data.DataCache.holdouts`), drawn here from the near
    #: copies it joined: this node's detectors, rounding otherwise, would split a borderline folder otherwise
    holdouts: tuple = ()
    #: the driver's overlap checks of the runs' (training, test) data (:meth:`benchmark.data.DataCache.overlaps`),
    #: recorded in each run's meta.json: test images that are training images, found once, where the grid was planned
    overlaps: tuple = ()
    #: who runs the grid again, as the driver's call says it (:func:`benchmark.errors.again_who`: ``api`` within
    #: api.run's call), for the worker's lines to say it too: a process, a Ray task, a SLURM job have no context of it
    again: str = field(default_factory=again_who)
    #: the store's warnings the driver gave once for every worker (finished.log not writable:
    #: :meth:`benchmark.results.ResultsStore.finished_log_unwritable`), not given again by each
    said: tuple = ()
    #: the worker's log is its own, not the driver's console (a SLURM job's file; a Ray task's output is forwarded to
    #: the driver): a warning kept for the driver where it is not is said there too
    own_log: bool = False


def run_unit(unit: WorkUnit) -> dict:
    """Run one :class:`WorkUnit` in this process; the :class:`GridSummary` as a dict, with ``"said"``: the store's
    warnings kept for the driver to say once for the grid, where any (:meth:`ResultsStore.for_the_driver`)."""
    import torch

    from benchmark.config import run_id
    from benchmark.devices import torch_threads
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.results import ResultsStore, of_this_grid
    from benchmark.runner import DataCache, resolve_device, run_grid

    # in-process (submitit's debug cluster): the caller's thread count given back after
    with torch_threads(unit.threads):
        for f in unit.loss_files:
            load_user_file(f, LOSSES)
        check_planned(unit)
        store, device = ResultsStore(unit.store_root), resolve_device(unit.device)
        from benchmark.results import driver_here

        store.said_by_the_driver(unit.said, unit.grid_id, here=driver_here(unit.grid_id), own_log=unit.own_log)
        if device.type == "cuda" and unit.gpu_share > 1:  # K workers on one GPU: each keeps to its share
            torch.cuda.set_per_process_memory_fraction(1 / unit.gpu_share, device)
        data = DataCache()  # decoded once for the worker's own share and what it takes over
        data.take_holdouts(unit.holdouts)  # the hold-outs split as the driver planned them, not drawn again here
        data.take_overlaps(unit.overlaps)  # what the driver's overlap check found, for the runs' meta.json
        if unit.decoded:  # a local worker: the driver's decoded images, mapped (one copy for every worker)
            data.adopt(unit.decoded)

        def failed_here(c) -> bool:  # failed during this grid (another worker, or this job before a requeue)
            meta = store.meta(run_id(c)) or {}
            return meta.get("status") == "failed" and of_this_grid(meta, "started", unit.since, unit.grid_id)

        from benchmark.progress import GridProgress

        progress = GridProgress(store, unit.grid or (*unit.configs, *unit.steal), unit.grid_workers, since=unit.since,
                                grid_id=unit.grid_id, policy=unit.checkpoint)
        own = [c for c in unit.configs if not failed_here(c)]
        summary = dataclasses.asdict(run_grid(own, store, tuple(unit.metrics), device, progress=unit.progress,
                                              checkpoint=unit.checkpoint, data=data, grid_progress=progress,
                                              logger=unit.logger, gpu_share=unit.gpu_share, grid_id=unit.grid_id,
                                              since=unit.since, stall_s=unit.stall_s, worker=_name(unit)))
        # Then the others' runs that nobody has attempted yet (no meta.json): a run another worker
        # is on is skipped by its lock; one that failed there is not tried again here.
        rest = [c for c in unit.steal if store.meta(run_id(c)) is None]
        if rest:
            log.info("own share done; taking over %s not started elsewhere", plural(len(rest), "run"))
            more = run_grid(rest, store, tuple(unit.metrics), device, progress=unit.progress,
                            checkpoint=unit.checkpoint, data=data, grid_progress=progress, logger=unit.logger,
                            gpu_share=unit.gpu_share, grid_id=unit.grid_id, since=unit.since, stall_s=unit.stall_s,
                            worker=_name(unit))
            summary = {k: v + getattr(more, k) for k, v in summary.items()}
    # the store's warnings met here (finished.log failing mid-grid), for the driver to say once for the grid
    return {**summary, "said": store.for_the_driver()} if store.for_the_driver() else summary


def _identity(c) -> dict:
    """What a run's id is made of besides its config (:func:`benchmark.config.run_id`), as this process sees it."""
    from benchmark import CODE_VERSION
    from benchmark.lossfn import loss_versions
    from benchmark.nets import signature
    from benchmark.registry import TASKS

    try:
        losses = loss_versions(c.loss)
    except UserError:  # a loss file that no longer registers it
        losses = {}
    out = {"code version": CODE_VERSION, "net definition": signature(c.net),
           "task version": TASKS.get(c.task).version, **{f"loss {n}": v for n, v in losses.items()}}
    if c.precision == "bf16" and losses:  # part of a bf16 trunk run's id (benchmark.config.run_id)
        from benchmark.lossfn import takes_weights
        from benchmark.precision import trunk_policy

        if takes_weights(c.loss):
            out["trunk policy"] = trunk_policy()
    return out


def _holdouts(data, configs) -> tuple:
    """The ``SOURCE[holdout=P%]`` splits of ``configs``' data as the driver drew them to plan the run ids (``data``,
    its :class:`~benchmark.data.DataCache`; none: ``()``, each worker draws its own), for every worker to take
    (:attr:`WorkUnit.holdouts`)."""
    specs = [s for c in configs for s in (*c.train_data, *c.test_data) if s.holdout]
    return data.holdouts(specs) if data is not None and specs else ()


def _overlaps(data, configs) -> tuple:
    """The driver's overlap checks of ``configs``' data (:meth:`benchmark.data.DataCache.overlaps`; no ``data``:
    ``()``, nothing recorded), for every worker to take (:attr:`WorkUnit.overlaps`)."""
    return data.overlaps(configs) if data is not None else ()


def _planned(configs) -> dict:
    """``{config: (run id, what it is made of)}`` as this process sees them, each computed once (a shard job's
    :attr:`WorkUnit.planned` is the whole grid's, in its order: ``tuple(plan[c] for c in order)``)."""
    from benchmark.config import run_id

    return {c: (run_id(c), _identity(c)) for c in dict.fromkeys(configs)}


def check_planned(unit: WorkUnit) -> None:
    """A :class:`UserError` when a config of ``unit`` has another run id here than the driver planned: a loss
    file edited, the code updated, or another torch on this node than where the grid was submitted (the net's
    definition), while the job waited in the queue. It would train another run than the one submitted, under an
    id the driver does not look for ("no results" for a grid that trained)."""
    from benchmark.config import run_id

    for c, (rid, planned) in zip((*unit.configs, *unit.steal), unit.planned):
        try:
            now = run_id(c)
        except UserError:  # no id at all here: a loss gone
            if not any(k.startswith("loss ") and "+" in str(v) for k, v in planned.items()):
                raise  # not from a --loss-file (one the driver's process alone registered): unknown here
            now = "none"  # its loss file no longer registers it
        if now == rid:
            continue
        current = _identity(c)
        changed = [f"{k} {v} → {current.get(k, 'gone')}" for k, v in planned.items() if current.get(k) != v]
        raise UserError(f"run {c.task}/{c.loss} seed {c.seed} changed since the grid was submitted: "
                        f"{'; '.join(changed) or 'its identity'} (run {rid}, now {now}); this job would train another "
                        "run than the one submitted: put the code back, or submit the grid again")


def _worker_main(unit: WorkUnit) -> dict:
    """Entry point of a fresh worker process: logging, then :func:`run_unit`.

    Returns ``{"summary": …}`` (with ``"said"``: warnings for the driver to say once for the grid, where any),
    ``{"interrupted": True, "worker": tag, "pid": pid, "host": …}``, or ``{"error": …, "user": bool}`` (bad input
    also carries its ``exit_code``: a full disk's 3 must reach the driver's exit status), so the driver can report
    a failure in one line instead of a pickled traceback.
    """
    from benchmark.progress import bars_of_a_worker

    # first, before any bar: every worker's, a local one's, a Ray task's, a SLURM job's (killed outright, one left
    # a semaphore in its resource tracker, which warned of it in the night's log after the grid's last line)
    bars_of_a_worker()
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=unit.log_level, stream=sys.stderr, datefmt="%H:%M:%S",
                            format=f"%(levelname).1s %(asctime)s {unit.tag + ' ' if unit.tag else ''}%(name)s: "
                                   "%(message)s")
        for noisy in ("datasets", "huggingface_hub", "urllib3", "filelock", "fsspec", "matplotlib", "PIL"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        # the driver's stdout, a pipe whose reader is gone: no run's error; its lines say the driver's call
        with output_to_a_reader_gone_goes_nowhere(), again_as(unit.again):
            summary = run_unit(unit)
        # the store's warnings met here (finished.log failing mid-grid): said by the driver, once for the grid
        said = summary.pop("said", []) if isinstance(summary, dict) else []
        # requeued through submitit's checkpoint, or by SLURM itself (node failure, scontrol requeue)
        again = unit.requeued or os.environ.get("SLURM_RESTART_COUNT", "0").strip() not in ("", "0")
        return {"summary": summary, **({"requeued": True} if again else {}), **({"said": said} if said else {})}
    except KeyboardInterrupt:  # pid + machine: the driver's own Ctrl-C (in-process) or a signal from outside
        return {"interrupted": True, "worker": _name(unit) or "?", "pid": os.getpid(), "host": _host()}
    except UserError as exc:
        return {"error": str(exc), "user": True, "exit_code": exc.exit_code, "worker": _name(unit) or "?",
                "host": _host()}
    except Exception as exc:  # noqa: BLE001 - reported by the driver in one line
        log.debug("worker %s failed", unit.tag, exc_info=True)
        # the host out of memory (a bare MemoryError() read 'MemoryError: ') as a run's line says it
        if isinstance(exc, MemoryError):
            from benchmark.runner import failure_message

            error = failure_message(exc, None)
        else:
            error = f"{type(exc).__name__}: {exc}" if str(exc).strip() else type(exc).__name__
        return {"error": error, "user": False, "worker": _name(unit) or "?", "host": _host(),
                **({"memory": True} if isinstance(exc, MemoryError) else {})}


def local_workers(device_spec: str, workers: int | str, workers_per_gpu: int, runs: int) -> tuple[int, list[str]]:
    """How many processes :func:`execute_local` starts for ``runs`` runs (``workers``: a number, or ``"auto"``: one
    per visible GPU × ``workers_per_gpu``, else 1) and the GPUs (CUDA_VISIBLE_DEVICES entries) it spreads them over
    (``cuda:N``: GPU N only). The dry run plans with the same numbers."""
    from benchmark.runner import resolve_device

    if workers_per_gpu < 1:
        raise UserError(f"--workers-per-gpu must be at least 1, got {workers_per_gpu}")
    gpus = _visible_gpus() if _uses_cuda(device_spec) else []
    if gpus and device_spec.startswith("cuda:"):  # one GPU named (others may be a colleague's): every worker on it
        gpus = [gpus[resolve_device(device_spec).index]]  # an index past the GPUs: the one-line device error
    if workers == "auto":
        workers = max(1, len(gpus) * workers_per_gpu)
    workers = int(workers)
    if workers < 1:
        raise UserError(f"--workers must be at least 1 (or auto), got {workers}")
    return min(workers, max(1, runs)), gpus


def gpu_shares(workers: int, workers_per_gpu: int, n_gpus: int) -> list[int]:
    """For each local worker, how many workers share its GPU (worker i is pinned to GPU
    ``(i // workers_per_gpu) % n_gpus``)."""
    pinned = [(i // workers_per_gpu) % n_gpus for i in range(workers)]
    return [pinned.count(g) for g in pinned]


def memory_share(workers: int, workers_per_gpu: int, gpus: list) -> int:
    """How many of :func:`execute_local`'s processes share one device's memory: the most workers on one GPU, or on
    the CPU every worker (they all hold their runs in this machine's RAM at once)."""
    if workers <= 1:
        return 1
    return max(gpu_shares(workers, workers_per_gpu, len(gpus))) if gpus else workers


def check_local_memory(configs: list, device, data, workers: int, gpus: list, workers_per_gpu: int,
                       store=None, metric_names=()) -> None:
    """The memory check of a local grid (:func:`~benchmark.resources.check_fits`) as its ``workers`` processes over
    ``gpus`` (:func:`local_workers`) need it: each with its :func:`memory_share` of the device's free memory (and its
    own reference caches of ``metric_names``); runs ``store`` has done are not checked. Made by the dry run, and by
    the driver of CPU workers before it starts them (each worker checks against the whole RAM, with no word of the
    others)."""
    from benchmark.config import run_id
    from benchmark.resources import check_fits
    from benchmark.runner import DataCache, measure_cuda_step

    data = data if data is not None else DataCache()
    configs = [c for c in configs if store is None or not store.is_done(run_id(c))]
    if not gpus:  # CPU workers: no more hold a run at once than there are runs left (a resumed grid's tail)
        workers = min(workers, max(1, len(configs)))
    tests = {c.test_data for c in configs}
    check_fits(configs, device, {t: max(r.size[0] * r.size[1] for r in data.pooled(t)) for t in tests},
               share=memory_share(workers, workers_per_gpu, gpus),
               measure=lambda c: measure_cuda_step(c, data.pooled(c.train_data), device),
               test_pixels={t: sum(r.size[0] * r.size[1] for r in data.pooled(t)) for t in tests},
               metric_names=metric_names, test_sizes={t: {tuple(r.size) for r in data.pooled(t)} for t in tests})


def shard_order(configs: list, i: int, n: int) -> list:
    """Worker ``i`` of ``n``: its own share ``configs[i::n]`` first, then the others' shares
    (worker i+1's, i+2's, …) to take over runs nobody has started."""
    return [c for j in range(n) for c in configs[(i + j) % n::n]]


def _merge(configs: list, store_root, metrics, results: list[dict]):
    """One :class:`GridSummary` for the whole grid from the workers' (overlapping) summaries.

    Trained, re-scored and diverged are summed (a finished run is never redone); failed is what
    the store says at the end (a failure can be retried by a second worker that reached the run
    before the first recorded it). A run still incomplete afterwards, and not failed, was left to
    a process outside this grid (``locked``); everything else was already done (``skipped``), a finished run
    lacking only a metric nothing here can score (weights not cached) too, as run_grid counts it."""
    from benchmark.config import run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import GridSummary, is_attempted, is_complete

    out = GridSummary()
    for r in results:
        for k in ("trained", "rescored", "diverged", "unscored"):  # failed: from the store, below
            setattr(out, k, getattr(out, k) + r.get(k, 0))
    store = ResultsStore(store_root)
    ids = list(map(run_id, configs))  # once each: 0.1-0.4 ms a config, seconds on a grid of 10⁴ runs
    out.failed = sum((store.meta(rid) or {}).get("status") == "failed" for rid in ids)
    incomplete = [rid for rid in ids if not is_attempted(store, rid, metrics)]
    if any(store.is_done(rid) for rid in incomplete):  # finished, lacking a metric: one nothing here can score
        from benchmark.metrics import MetricSet  # (weights not cached) was skipped by the workers, not left

        unavailable = set(MetricSet(metrics, "cpu").skipped)
        incomplete = [rid for rid in incomplete if not is_complete(store, rid, metrics, unavailable)]
    out.locked = max(0, len(incomplete) - out.failed - out.unscored)
    out.skipped = max(0, len(configs) - out.trained - out.rescored - out.failed - out.diverged - out.locked
                      - out.unscored)
    return out


class WorkerFailed(RuntimeError):
    """A worker process (a Ray task, a SLURM job) failed with an internal error — a bug, not bad input — while the
    others trained on: exit code 1 as any internal error, with ``summary``, the grid's
    :class:`~benchmark.runner.GridSummary` (what the others trained, what failed), for the grid's last lines to say
    before this one, as :class:`WorkersLost` and a full disk have it."""

    summary = None
    host_memory = False  # the host out of memory (MemoryError) in that worker: not a bug, no traceback to ask for


class WorkersLost(UserError):
    """A worker process (a Ray task, a SLURM job) died without reporting — killed by a signal (the
    out-of-memory killer, ``kill -9``), its node lost — and runs of the grid are left unfinished:
    one line and exit code 1, like failed runs; the same command resumes those with a checkpoint from it and starts
    the others again (the line says which). ``summary``:
    the grid's :class:`~benchmark.runner.GridSummary` all the same (what the other workers trained, what failed),
    for the grid's last lines to say before this one."""

    exit_code = 1
    summary = None


#: the exit status of a local worker that found itself running the grid again while it started: the user's script,
#: which Python's spawn start method imports again in every worker, calls the API at its top level
MAIN_RUN_AGAIN_EXIT = 78


def refuse_in_a_starting_worker() -> None:
    """Exit with :data:`MAIN_RUN_AGAIN_EXIT` when this process is a local worker still starting (multiprocessing's
    spawn imports the driver's main script again, as ``__mp_main__``): a script that calls ``api.run`` (or the CLI)
    outside ``if __name__ == "__main__":`` ran it again in every worker — the whole grid planned again, its data
    decoded, before multiprocessing's bootstrapping error — and the driver read that as workers lost, to resume."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit(MAIN_RUN_AGAIN_EXIT)


#: what a worker killed by SIGKILL was likely killed by, said after the first such worker's line only (:func:`_collect`)
SIGKILL_NOTE = " (the out-of-memory killer sends it, as does kill -9)"


def _died(name: str, exitcode: int | None, said: str = "") -> dict:
    """A worker's result when it died without sending one: killed by a signal (``exitcode`` is minus
    its number, :class:`multiprocessing.Process`) or exited — ``said``: the last line it wrote to stderr while Python
    started it (:class:`_StartupStderr`: the error an import there failed with), named after the exit code; for a
    worker ended by a hang (exit 75), what its last hang recorded (:func:`_hang_said`)."""
    from benchmark.progress import STALLED_EXIT

    if exitcode == MAIN_RUN_AGAIN_EXIT:  # bad input, the same in every worker and every rerun: no resume to offer
        return {"error": "each worker process imports your script again (Python's spawn start method), and at its "
                         "top level the script runs the grid: put the call under `if __name__ == \"__main__\":`",
                "user": True, "worker": name}
    if exitcode is not None and exitcode < 0:
        try:
            sig = signal.Signals(-exitcode).name
        except ValueError:
            sig = f"signal {-exitcode}"
        how = f"was killed by {sig}" + (SIGKILL_NOTE if -exitcode == signal.SIGKILL else "")
    elif exitcode == STALLED_EXIT:  # _run_processes starts one in its place once per run of its unit, no more
        how = (f"was ended with a run hung in C code (exit code {exitcode}; the hung runs are recorded failed), as "
               "often as it has runs: not started again") if not said else (
            f"was ended with a hang in C code (exit code {exitcode}; the last: {said}), as often as it has runs: not "
            "started again")
    else:
        how = f"exited with code {exitcode} without reporting" + (f": {said}" if said else "")
    return {"error": f"worker {name} {how}", "user": False, "lost": True}


def _lost(unit: WorkUnit, error: str) -> dict:
    """A remote worker's result (a Ray task's, a SLURM job's) when it gave none: ``error``, its line (the job's state,
    the task's error), and where one of ``unit``'s runs hung in C code, which ends its process (exit 75) with no worker
    started in its place (a local driver starts one: :func:`_died`), what that hang recorded
    (:func:`benchmark.runner.hang_recorded`): the job's state alone said nothing of it. The hangs its worker recorded
    (a run of its share, or one of another job's it took over: ``steal``), not another job's in a run of its share."""
    from benchmark.progress import STALLED_EXIT

    hung = _hang_found(unit, unit.since, unit.grid_id) if unit.since is not None else None
    if not hung:
        return {"error": error, "user": False, "lost": True}
    return {"error": f"{error}: ended by a hang in C code (exit code {STALLED_EXIT}; {hung})", "user": False,
            "lost": True, "hung": True}


class _StartupStderr:
    """A local worker's stderr while Python starts it — imports the user's script again, unpickles its unit (importing
    the modules that takes) — before any of its code runs: a pipe that this driver passes on to its own stderr line
    for line and of which it keeps the tail, so a worker that fails there (exit code 1: an import failed, the code
    updated during the night; 2: the script's argument parsing at its top level) is named by its error's last line,
    not as 'exited with code 1' alone. :func:`_process_entry` gives the worker this driver's stderr back as its first
    step (``fd``, passed as a connection is): after that the pipe is closed, and a driver killed outright leaves the
    worker's log lines where they went before."""

    TAIL = 8192
    #: what :func:`_process_entry` writes there as it takes the driver's stderr back: started, it is no longer named by
    #: what it said while starting (a deprecation warning of an import read as the cause of an exit hours later)
    STARTED = b"\0plbench-worker-started\n"

    def __init__(self):
        import threading

        self.tail, self.ran = b"", False
        self.fd = os.dup(2)  # this driver's stderr: the worker's again once it runs (``_ParentFd``); OSError: none
        out = os.dup(2)
        read, self._write = os.pipe()

        def copy() -> None:
            with contextlib.suppress(OSError):
                while chunk := os.read(read, 65536):
                    if chunk.endswith(self.STARTED):  # its last write there (one write, under PIPE_BUF: whole)
                        chunk, self.ran = chunk[:-len(self.STARTED)], True
                    self.tail = (self.tail + chunk)[-self.TAIL:]
                    with contextlib.suppress(OSError):
                        os.write(out, chunk)
            os.close(read)
            os.close(out)

        self._reader = threading.Thread(target=copy, name="plbench-worker-stderr", daemon=True)
        self._reader.start()

    @contextlib.contextmanager
    def as_stderr(self):
        """This process's fd 2 is the pipe while a worker is started inside (it inherits it), then again what it was.
        The resource tracker, which a first start would launch now, is started before: it would hold the pipe."""
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        sys.stderr.flush()
        os.dup2(self._write, 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(self.fd, 2)

    def started(self) -> None:
        """The worker has its copies (or was not started): this driver's are closed, the pipe's end with the worker."""
        for fd in (self._write, self.fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def last_line(self, wait: float = 2.0) -> str:
        """The last line the worker wrote there (the pipe read to its end: the worker has exited), or "" — also when
        the worker started (:data:`STARTED`): it exited later, for another reason than what it said there."""
        self._reader.join(wait)
        if self.ran:
            return ""
        lines = [ln.strip() for ln in self.tail.decode(errors="replace").splitlines() if ln.strip()]
        return lines[-1] if lines else ""


class _ParentFd:
    """A file descriptor of the driver handed to a spawned worker as multiprocessing hands a connection's: the worker
    unpickles its own copy (an int)."""

    def __init__(self, fd: int):
        self.fd = fd

    def __reduce__(self):
        from multiprocessing import reduction

        return _detached_fd, (reduction.DupFd(self.fd),)


def _detached_fd(dup) -> int:
    return dup.detach()


def _collect(configs: list, store_root, metrics, results: list[dict], where: str, since: float | None = None,
             requeued: bool = False, grid_id: str = ""):
    """The grid's :class:`GridSummary` from what the workers reported. A worker that died without
    reporting (``lost``: killed by the OOM killer, its node lost) is not an internal error: its
    runs are in the store, finished, or resumable from their checkpoints, and the other workers take
    over those it never started. When every run is done it costs a warning; when some are left
    unfinished, :class:`WorkersLost` (one line, exit 1) says how many and how to resume them. The runs a
    lost worker finished before it died are in no summary, nor are those a SLURM job finished before its
    requeue (``requeued``: a job was requeued; its last attempt finds them done): with ``since``
    (the grid's start, ``time.time()``) those the store says were started by this grid count as trained (or
    diverged), not as done by an earlier command."""
    from benchmark.results import forget_said, said_here

    results = [_stopped(r) for r in results]
    for line in dict.fromkeys(x for r in results for x in r.get("said", ())):  # met by several workers: said once
        if not said_here(grid_id, line):  # a worker on this machine said it when it met it (a local grid's: above)
            log.warning("%s", line)
    forget_said(grid_id)
    lost = [r for r in results if r.get("lost")]
    requeued = requeued or any(r.get("requeued") for r in results)  # a SLURM job's, a hung worker's replacement
    try:
        _raise_failures([r for r in results if not r.get("lost")], where)
    except (UserError, WorkerFailed) as exc:  # a full disk (exit 3), or a bug, met by one worker while the others
        # trained on: what the night did, failed runs included, is the grid's summary all the same, said before this
        # line (as a lost worker's)
        _sum_up(exc, configs, store_root, metrics, [r["summary"] for r in results if "summary" in r], since, grid_id)
        raise
    summary = _merge(configs, store_root, metrics, [r["summary"] for r in results if "summary" in r])
    if since is not None and (lost or requeued):  # a lost worker's runs, a requeued job's before it: in no summary
        _count_lost_workers_runs(summary, configs, store_root, since, grid_id)
    if lost:
        what = _lost_lines([r["error"] for r in lost[:3]]) + (f" (and {len(lost) - 3} more)" if len(lost) > 3 else "")
        if summary.locked:  # not finished, not failed: the lost workers' runs (or another process's)
            err = WorkersLost(f"{what}: {summary.locked} of {plural(len(configs), 'run')} of the grid "
                              f"{agree(summary.locked, 'is', 'are')} unfinished; run {again()} again"
                              f"{_resume_said(summary.locked, *_checkpoint_counts(configs, store_root), store_root)}")
            err.summary = summary
            raise err
        hung = any(r.get("hung") for r in lost)  # a hung run is recorded failed, taken over by none
        if summary.failed:
            log.warning("%s; no run of the grid is left unfinished (%s%d failed, said below: %s retries "
                        "%s)", what, "" if hung else f"the other {where} took over its runs; ", summary.failed, again(),
                        agree(summary.failed, "it", "them"))
        elif hung:  # a re-score or input scoring that hung: marked, its rows kept (said in `what`); no run failed
            log.warning("%s; every run of the grid is finished", what)
        else:
            log.warning("%s; every run of the grid is finished (the other %s took over its runs)", what, where)
    return summary


def _checkpoint_counts(configs: list, store_root) -> tuple[int, int]:
    """(resumable, unusable) of ``configs``' unfinished runs (neither done nor failed) that hold a checkpoint:
    resumable where the one the run restores first (``ckpt.pt``, else a half-batch retry's ``ckpt-b<n>.pt``:
    :func:`benchmark.results.first_checkpoint`) reads and is its own, unusable where it does not
    (:func:`benchmark.results.not_resumed`, ``plbench check``'s rule and the stopped note's: one cut short, or another
    run's, trains again from iteration 0)."""
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, _is_checkpoint, checkpoints, first_checkpoint, not_resumed

    store = ResultsStore(store_root)
    try:  # the run folders holding one, first: none (the usual case) costs no run id
        held = {p.parent.name for p in store.runs.glob("*/ckpt*.pt") if _is_checkpoint(p) and p.is_file()}
    except OSError:
        return 0, 0
    if not held:
        return 0, 0
    # an unreadable checkpoint or another run's trains again from iteration 0, not "resumes from its checkpoint"
    # (tests/test_probe_r3find25.py, tests/test_review_r325.py), nor "had no checkpoint yet" (test_probe_store26.py)
    unfinished = [names for rid in sorted({run_id(c) for c in configs} & held)
                  if (store.meta(rid) or {}).get("status") not in ("ok", "diverged", "failed")
                  and (names := checkpoints(store.run_dir(rid)))]
    bad = sum(bool(not_resumed(first_checkpoint(names), names[0].parent.name)) for names in unfinished)
    return len(unfinished) - bad, bad


def _resume_said(unfinished: int, checkpointed: int, unusable: int = 0, store_root="") -> str:
    """What the same command does with ``unfinished`` runs of which ``checkpointed`` have a checkpoint to resume from
    and ``unusable`` one no run can resume from (:func:`_checkpoint_counts`), after "run the same command again":
    those with one resume from it, those whose checkpoint is unusable start again from iteration 0 (`plbench check
    --out <store_root>` says why), the others (a worker lost before a run's first checkpoint, checkpoints off) start
    again too."""
    checkpointed = min(checkpointed, unfinished)
    unusable = min(unusable, unfinished - checkpointed)
    fresh = unfinished - checkpointed - unusable
    if checkpointed == unfinished:
        return f" to resume {agree(unfinished, 'it from its checkpoint', 'them from their checkpoints')}"
    if not checkpointed and not unusable:
        return " to start " + agree(unfinished, "it again (it had no checkpoint yet)",
                                    "them again (none had a checkpoint yet)")
    parts = [f"{checkpointed} {agree(checkpointed, 'resumes from its checkpoint', 'resume from their checkpoints')}"
             ] * bool(checkpointed)
    if unusable:
        parts.append(f"{unusable} {agree(unusable, 'starts', 'start')} again from iteration 0 ("
                     f"{agree(unusable, 'its checkpoint is one', 'their checkpoints are ones')} no run can resume "
                     f"from: `plbench check --out {shlex.quote(str(store_root))}` says why)")
    if fresh:
        parts.append(f"{'the other ' if parts else ''}{fresh} {agree(fresh, 'starts', 'start')} again (no checkpoint "
                     "yet)")
    return ": " + ", ".join(parts)


def _lost_lines(errors: list[str]) -> str:
    """Lost workers' lines joined, :data:`SIGKILL_NOTE` after the first that has it only: two workers killed by the
    out-of-memory killer said its clause twice in one line."""
    first = next((i for i, e in enumerate(errors) if SIGKILL_NOTE in e), None)
    return "; ".join(e if i == first else e.replace(SIGKILL_NOTE, "") for i, e in enumerate(errors))


def _sum_up(exc: Exception, configs: list, store_root, metrics, summaries: list[dict], since: float | None,
            grid_id: str) -> None:
    """Give ``exc`` (a full disk, met by a worker or this process after runs finished, or a worker's bug) the grid's
    :class:`GridSummary` as ``summary``, as :class:`WorkersLost` has it, for the CLI to say what was trained and what
    failed before the error's line; the runs of the process that met it are in no summary (``since``: counted from
    the store). A store that cannot be read for it leaves the error as it is."""
    try:
        exc.summary = _merge(configs, store_root, metrics, summaries)
        if since is not None:
            _count_lost_workers_runs(exc.summary, configs, store_root, since, grid_id)
    except Exception:  # noqa: BLE001 - the error itself is what must reach the user
        exc.summary = None


def _count_lost_workers_runs(summary, configs: list, store_root, since: float, grid_id: str = "") -> None:
    """Raise ``summary``'s trained/diverged to what the store says this grid (runs started at or after
    ``since``) finished, and its rescored to the finished runs started before it with a pass written since
    (the record's ``written``), taking those runs from ``skipped``: a worker that died without reporting
    trained or re-scored some of them."""
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, of_this_grid

    store = ResultsStore(store_root)
    here = {"ok": 0, "diverged": 0, "rescored": 0}
    for c in configs:
        rid = run_id(c)
        meta = store.meta(rid) or {}
        if meta.get("status") not in ("ok", "diverged") or not (
                isinstance(meta.get("started"), (int, float)) or "grid_id" in meta):
            continue
        if of_this_grid(meta, "started", since, grid_id):  # by the grid's id where recorded (remote clocks)
            here[meta["status"]] += 1
        elif meta["status"] == "ok":
            with contextlib.suppress(UserError):  # damaged: not re-scored
                here["rescored"] += any(of_this_grid(r, "written", since, grid_id) for r in store.eval_records(rid))
    for key, status in (("trained", "ok"), ("diverged", "diverged"), ("rescored", "rescored")):
        extra = min(summary.skipped, max(0, here[status] - getattr(summary, key)))
        setattr(summary, key, getattr(summary, key) + extra)
        summary.skipped -= extra


def _stopped(result: dict) -> dict:
    """A unit that reports an interrupt from another process than the driver was stopped by a signal
    from outside (``scancel`` and preemption send SIGTERM, as does ``kill``): a lost worker, whose runs
    the others take over or the same command resumes, not the driver's Ctrl-C (which the driver raises
    itself, before collecting). One run in the driver's own process (submitit's debug cluster) is: same pid
    on the same machine (a pid alone is per machine: a job on another node can have the driver's)."""
    if not result.get("interrupted") or (result.get("pid", os.getpid()), result.get("host", _host())) == (
            os.getpid(), _host()):
        return result
    return {"error": f"worker {result.get('worker', '?')} was stopped by a signal (SIGTERM or SIGINT from outside "
                     "this driver: scancel, preemption, kill)", "user": False, "lost": True}


def _host() -> str:
    import socket

    return socket.gethostname()


def _raise_failures(results: list[dict], where: str) -> None:
    """Re-raise what workers reported: an interrupt as KeyboardInterrupt, bad input as UserError. Of several workers'
    errors the one :func:`_precedence` ranks first decides the grid's line and exit code (a full disk in one worker is
    exit code 3 whatever another failed with first); each other error is said in a line of its own."""
    if any(r.get("interrupted") for r in results):
        raise KeyboardInterrupt
    errors = sorted((r for r in results if "error" in r), key=_precedence)  # stable: the first worker's among equals
    if not errors:
        return
    first = errors[0]
    more = _others(first, errors[1:], where)
    if first.get("user"):
        # met on another machine (a SLURM job's node, a Ray worker's): its "here" is not the driver's
        there = f" (in {first.get('worker', '?')} on {first['host']})" if first.get("host", _host()) != _host() else ""
        err = UserError(first["error"] + there + more)
        err.exit_code = int(first.get("exit_code", UserError.exit_code))  # DiskFull's 3 as in one process
        raise err
    name = f" ({first['worker']})" if first.get("worker") else ""
    err = WorkerFailed(f"a {where.rstrip('s')}{name} failed: {first['error']}{more}")
    err.host_memory = bool(first.get("memory"))  # no bug: said as the host's memory, no traceback asked for
    raise err


def _hang_found(unit: WorkUnit, since: float, grid_id: str = "", pid: int | None = None) -> str | None:
    """What a hang in C code of ``unit``'s worker recorded at or after ``since``, in a run of its share or one it took
    over (``steal``), ``grid_id`` and ``pid`` (its process) as in :func:`benchmark.runner.hang_recorded`; None when
    none is found or ``unit``'s store cannot be read here."""
    try:
        from benchmark.results import ResultsStore
        from benchmark.runner import hang_recorded

        return hang_recorded(ResultsStore(unit.store_root), list(unit.configs), since, grid_id, worker=_name(unit),
                             taken=list(unit.steal), pid=pid, pid_grid=unit.grid_id if pid is not None else "")
    except Exception:  # noqa: BLE001 - the store unreadable here: the caller's line as it is
        return None


def _name(unit: WorkUnit) -> str:
    """``unit``'s worker as its lines and its records name it (``w0``, ``r3``), "" where it has no tag."""
    return unit.tag.strip("[]")


def _hang_said(unit: WorkUnit, since: float, pid: int | None = None) -> str:
    """What the hang in C code that ended ``unit``'s worker (exit 75, process ``pid``), started at ``since``,
    recorded: a run failed, a re-score or the degraded inputs' scoring marked (:func:`_hang_found`) — the driver's
    line said 'recorded as failed' for each, wrong for a mark, whose rows stay and which the next command scores."""
    # by its process where the record names one: a clock stepped back during the night made the record older than the
    # worker's start; else by time alone (a local worker's clock is the driver's), never by the grid's id: one started
    # in the place of a worker a hang ended (the same unit, name and grid id) would be said to have hung in its run
    return (_hang_found(unit, since, pid=pid)
            or "no record of the hang found: the worker's log above says where it hung")


def _precedence(result: dict) -> int:
    """Which of several workers' errors decides the grid's exit code (lowest first): a full disk (3: free space and
    run the same command), then bad input (2: fix it), then an internal error (1) — as one process would end on the
    disk that every later write meets, and a bug's line would send the user to a fix the disk does not need."""
    from benchmark.results import DiskFull

    if not result.get("user"):
        return 2
    return 0 if int(result.get("exit_code", UserError.exit_code)) == DiskFull.exit_code else 1


def _kind(result: dict) -> str:
    """What tells two workers' errors apart: the message, but a full disk is one failure whichever file each met it
    at (each worker writes its own: the messages differ by the path alone)."""
    from benchmark.results import DiskFull

    if result.get("user") and int(result.get("exit_code", UserError.exit_code)) == DiskFull.exit_code:
        return "disk full"
    return result["error"]


def _others(first: dict, rest: list[dict], where: str) -> str:
    """What follows the first failed worker's error in the grid's line: how many others failed with the same error,
    and how many with another — each other error said in a line of its own, here (the count alone hid a disk full
    in one worker behind a bug in another; '(and 1 more workers)' was all there was)."""
    def some(n: int) -> str:
        return f"{n} other {where if n > 1 else where.removesuffix('s')}"

    same = sum(_kind(r) == _kind(first) for r in rest)
    groups: dict[str, list[dict]] = {}
    for r in rest:
        if _kind(r) != _kind(first):
            groups.setdefault(r["error"], []).append(r)
    for error, group in groups.items():
        names = [str(r["worker"]) for r in group if r.get("worker")]
        log.error("%s%s failed too: %s", some(len(group)), f" ({', '.join(names)})" if names else "", error)
    parts = ([f"also in {some(same)}"] if same else []) + (
        [f"{some(sum(map(len, groups.values())))} failed otherwise, said above"] if groups else [])
    return f" ({'; '.join(parts)})" if parts else ""


def _log_level() -> int:
    return logging.getLogger("benchmark").getEffectiveLevel()


def _cores() -> int:
    """The whole cores this process's workers share: :func:`benchmark.devices.usable_cores` (its affinity, cut to its
    cgroups' CPU quota: ``docker --cpus 2`` on 16 cores is 2), at least 1."""
    from benchmark.devices import usable_cores

    return max(1, int(usable_cores()))


def worker_threads(workers: int, threads: int | None = None, cores: int | None = None) -> int:
    """The torch threads each of ``workers`` processes sharing ``cores`` (this machine's where None) trains on (local
    workers, the CPU tasks of a Ray instance): ``threads`` where given, else ``max(1, cores // workers)``."""
    return threads or max(1, (_cores() if cores is None else cores) // max(1, int(workers)))


def slurm_threads(cpus_per_task: int | None, threads: int | None = None) -> int:
    """A SLURM job's cores, which are its torch threads: ``--slurm-cpus``, else ``threads``, else 1."""
    return cpus_per_task or threads or 1


def threads_per_run(executor: str, opts: dict, device, workers: int, runs: int | None = None) -> int | None:
    """The torch threads a CPU grid's runs train on under ``executor`` with :func:`executor_options`' ``opts`` and
    ``workers`` processes (:func:`local_workers`): what the dry run times its steps at and looks the store's
    measured runs up by. Local: :func:`worker_threads` with two or more workers, one process its own count (None);
    SLURM: each job's ``--slurm-cpus``; a Ray instance started here with ``--workers N``: :func:`worker_threads`, one
    each without (no more tasks than ``runs``, as execute_ray makes); None on a GPU or a Ray cluster elsewhere, whose
    nodes' cores are not known here."""
    if getattr(device, "type", str(device)) != "cpu":
        return None
    if executor == "local":
        return worker_threads(workers, opts.get("threads")) if workers > 1 else opts.get("threads")
    if executor == "slurm":
        return slurm_threads(opts.get("cpus_per_task"), opts.get("threads"))
    if executor == "ray" and opts.get("ray_address") is None:
        given = opts.get("workers")
        if given in (None, "auto"):
            return opts.get("threads") or 1
        return worker_threads(min(int(given), max(1, runs)) if runs is not None else given, opts.get("threads"))
    return None


@contextlib.contextmanager
def _main_as_spawn_reads_it():
    """While workers are spawned: a main module that names no file (``python - <<EOF`` — a batch script's heredoc —
    or ``python - < night.py``: ``__file__`` is ``'<stdin>'``) hides that name, so spawn starts the workers as it
    starts a notebook's or ``python -c``'s, without importing the main module again; spawn ran ``'<stdin>'`` as a
    script path in every worker, which died at once (FileNotFoundError), every run lost. A script that is a file
    is imported again as spawn does (the ``__main__`` guard it needs: :func:`refuse_in_a_starting_worker`)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    hide = isinstance(path, str) and getattr(main, "__spec__", None) is None and not os.path.isfile(path)
    if hide:
        del main.__file__
    try:
        yield
    finally:
        if hide:
            main.__file__ = path


@contextlib.contextmanager
def _environ(**values: str | None):
    """Set (or, with None, remove) environment variables for the duration of the block; a child
    started inside inherits them before any import of its own."""
    def apply(mapping: dict[str, str | None]) -> None:
        for k, v in mapping.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    saved = {k: os.environ.get(k) for k in values}
    try:
        apply(values)
        yield
    finally:
        apply(saved)


def _pythonpath() -> str:
    """PYTHONPATH for fresh interpreters (submitit jobs, Ray workers): this checkout first, so
    they import the same code even when the package is not installed."""
    rest = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join([str(_REPO_ROOT), *([rest] if rest else [])])


def _visible_gpus() -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES entries."""
    import torch

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None and env.strip():
        ids = [x.strip() for x in env.split(",") if x.strip()]
        return ids[:n] if n else []
    return [str(i) for i in range(n)]


def _uses_cuda(device_spec: str) -> bool:
    import torch

    return device_spec.startswith("cuda") or (device_spec == "auto" and torch.cuda.is_available())


# --------------------------------------------------------------------------------------------
# local
# --------------------------------------------------------------------------------------------
def execute_local(configs: list, store_root, metrics, device_spec: str, *, workers: int | str = 1,
                  workers_per_gpu: int = 1, progress: bool = False, checkpoint=None, loss_files=(),
                  threads: int | None = None, data=None, logger: str = "tensorboard", stall_s: float | None = None,
                  **_ignored):
    """``workers=1``: :func:`run_grid` in this process (``threads`` sets torch's thread count for
    it). ``workers=N`` (or ``"auto"``: one per visible GPU × ``workers_per_gpu``, else 1): N
    spawned processes — no more than the runs left (:func:`_to_submit`; one left: this process) —, each
    running :func:`run_grid` on its :func:`shard_order` of those runs; with GPUs,
    worker i sees GPU ``(i // workers_per_gpu) % n_gpus`` only (``cuda:N``: GPU N only); on the CPU each gets
    ``max(1, cores // N)`` threads."""
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_device, run_grid

    refuse_in_a_starting_worker()
    cuda = _uses_cuda(device_spec)
    workers, gpus = local_workers(device_spec, workers, workers_per_gpu, len(configs))
    todo = list(configs)
    if workers > 1:  # a rerun: no process for runs already finished (each starts up and decodes the data for nothing)
        todo = _to_submit(list(configs), store_root, metrics, "worker")
        workers = min(workers, max(1, len(todo)))
    if workers == 1:
        from benchmark.devices import torch_threads
        from benchmark.progress import GridProgress, log_to_bars

        store = ResultsStore(store_root)
        store.ensure_writable()
        grid_id = uuid.uuid4().hex[:12]  # the progress line's failures of this grid by id, not by a clock (d7e2e4f)
        bars = GridProgress(store, configs, 1, bar=progress, grid_id=grid_id, policy=checkpoint)
        since = time.time()
        try:
            with torch_threads(threads), log_to_bars(progress):
                return run_grid(list(configs), store, tuple(metrics), resolve_device(device_spec),
                                progress=progress, checkpoint=checkpoint, data=data, grid_progress=bars,
                                logger=logger, grid_id=grid_id, stall_s=stall_s, alone=True)
        except Exception as exc:  # a full disk or a bug after hours of runs: what they did is the grid's summary all
            _sum_up(exc, list(configs), store_root, metrics, [], since, grid_id)  # the same, said before its line
            raise  # (_collect's, a worker's bug's); the exception itself, its type and traceback, unchanged
        finally:
            bars.close()
    if cuda and not gpus:
        resolve_device(device_spec)  # raises the usual one-line error
    ResultsStore(store_root).ensure_writable()
    said = (ResultsStore(store_root).finished_log_unwritable(),)  # said once here, not by each worker
    if not gpus:  # CPU workers share this machine's RAM: checked here for all of them, before any starts
        check_local_memory(todo, resolve_device(device_spec), data, workers, gpus, workers_per_gpu,
                           ResultsStore(store_root), metrics)
    since = time.time()
    # which runs are this grid's (a failure not to retry, a lost worker's runs to count) by id, not by time alone: the
    # clock may be stepped back during the night (NTP, a VM resumed), and every run after looked older than the grid
    grid_id = uuid.uuid4().hex[:12]
    per_worker_threads = worker_threads(workers, threads)
    # the images the driver decoded to plan the grid, written once for every worker to map: N workers decoded
    # them N times more, each holding (or spilling to a file of its own) a copy
    shared = data.share(s for c in todo for s in (*c.train_data, *c.test_data)) if data is not None else None
    try:  # stopped while planning (Ctrl-C): the shared images' file is closed, not kept by a long-lived process
        units, envs = [], []
        plan = _planned(todo)
        holdouts, overlaps = _holdouts(data, todo), _overlaps(data, todo)  # the driver's, once for every worker
        from benchmark.data import decoded_in_ram_bytes

        # a worker maps the driver's decoded images (shared, above); one that cannot decodes its own copy, on 1/N of the
        # decoded-pixel budget, so N such copies stay within it
        ram_mb = f"{decoded_in_ram_bytes() / 2**20 / workers:.6g}"
        for i in range(workers):
            env: dict[str, str | None] = {"OMP_NUM_THREADS": str(per_worker_threads),
                                          "MKL_NUM_THREADS": str(per_worker_threads), "PLBENCH_DECODED_RAM_MB": ram_mb}
            device = device_spec
            if gpus:
                env["CUDA_VISIBLE_DEVICES"] = gpus[(i // workers_per_gpu) % len(gpus)]
                device = "cuda"  # the one GPU this worker sees
            order = shard_order(todo, i, workers)  # the grid's runs left (all of them the first time)
            own = len(todo[i::workers])
            units.append(WorkUnit(tuple(order[:own]), str(store_root), tuple(metrics), device, steal=tuple(order[own:]),
                                  progress=False, checkpoint=checkpoint, loss_files=tuple(map(str, loss_files)),
                                  threads=per_worker_threads, log_level=_log_level(), tag=f"[w{i}]", since=since,
                                  grid=tuple(configs), grid_workers=workers, logger=logger,
                                  gpu_share=gpu_shares(workers, workers_per_gpu, len(gpus))[i] if gpus else 1,
                                  planned=tuple(plan[c] for c in order), grid_id=grid_id, stall_s=stall_s,
                                  decoded=shared[1] if shared else (), holdouts=holdouts, overlaps=overlaps,
                                  said=said))
            envs.append(env)
        placement = (", ".join(f"w{i}→GPU {e['CUDA_VISIBLE_DEVICES']}" for i, e in enumerate(envs)) if gpus
                     else f"CPU, {plural(per_worker_threads, 'thread')} each")
        log.info("local executor: %d workers (%s) on %d runs", workers, placement, len(todo))
        from benchmark.progress import GridProgress, Monitor, log_to_bars

        # (its store read — every record: seconds on NFS — stopped too: the shared images' file closed)
        bars = GridProgress(ResultsStore(store_root), configs, workers, bar=progress, since=since, grid_id=grid_id,
                            policy=checkpoint)
    except BaseException:
        if shared:
            shared[0].close()
        raise
    from benchmark.results import forget_said, open_claims

    try:  # the grid's warnings claimed by its workers (all on this machine), opened as they start (not before the
        # planning above: stopped there, it was left); removed by _collect, or below
        open_claims(grid_id)
        with log_to_bars(progress):
            results = _run_processes(units, envs, Monitor(bars))
    except BaseException:  # stopped (Ctrl-C, SIGTERM), or the driver's own error: no _collect to remove the claims
        forget_said(grid_id)
        raise
    finally:
        bars.close()
        if shared:
            shared[0].close()
    return _collect(list(configs), store_root, metrics, results, "workers", since=since, grid_id=grid_id)


def _run_processes(units: list[WorkUnit], envs: list[dict], monitor=None) -> list[dict]:
    """Start one spawned process per unit (each in its own process group, so a terminal's Ctrl-C
    reaches the driver only, which passes on exactly one SIGINT: workers checkpoint and stop).
    While waiting, ``monitor.tick()`` (:class:`~benchmark.progress.Monitor`) reports the grid's progress."""
    import multiprocessing as mp

    from benchmark.progress import STALLED_EXIT

    ctx = mp.get_context("spawn")
    procs = []
    booting: dict[int, _StartupStderr | None] = {}  # {worker pid: its stderr while it started}

    def start(unit: WorkUnit, env: dict):
        recv, send = ctx.Pipe(duplex=False)
        try:  # what the worker says before its code runs: an import's error, named if it exits
            boot = _StartupStderr()
        except OSError:  # no stderr to pass on (closed by a daemonising wrapper): started as it is
            boot = None
        try:
            with _environ(**env), _main_as_spawn_reads_it(), boot.as_stderr() if boot else contextlib.nullcontext():
                p = ctx.Process(target=_spawned_worker, args=(unit, send, os.getpid(), _ParentFd(boot.fd) if boot
                                                             else None), name=f"plbench-{unit.tag.strip('[]')}")
                p.start()
        finally:
            if boot:
                boot.started()
        send.close()
        booting[p.pid] = boot
        return p, recv

    try:
        begun = [time.time()] * len(units)  # each worker's start: what a hang that ends it records is newer
        for unit, env in zip(units, envs):
            procs.append(start(unit, env))
        results: dict[int, dict] = {}
        restarts = [0] * len(procs)
        while len(results) < len(procs):
            for i, (p, recv) in enumerate(procs):
                if i in results or not recv.poll(1.0 / len(procs)):
                    continue
                try:
                    results[i] = recv.recv()
                except EOFError:
                    p.join()
                    # a run that hung in C code ended its process (its failure recorded, stall_watch): the rest of
                    # the worker's runs go to a worker in its place, which leaves that run failed (at most one new
                    # worker per run of the unit)
                    hung = _hang_said(units[i], begun[i], p.pid) if p.exitcode == STALLED_EXIT else ""
                    if p.exitcode == STALLED_EXIT and restarts[i] < len(units[i].configs) + len(units[i].steal):
                        restarts[i] += 1
                        log.warning("worker %s was ended with a hang in C code (%s); starting a worker in its place "
                                    "for the rest of its runs", _name(units[i]), hung)
                        begun[i] = time.time()
                        procs[i] = start(units[i], envs[i])
                        continue
                    boot = booting.get(p.pid)
                    results[i] = _died(p.name.removeprefix("plbench-"), p.exitcode, hung or (
                        boot.last_line() if boot and p.exitcode and p.exitcode > 0 else ""))
                p.join()
            if monitor is not None:
                monitor.tick()
        # a worker started in the place of one ended with its hung run: the runs that one finished are in no summary
        return [{**results[i], "requeued": True} if restarts[i] and "summary" in results[i] else results[i]
                for i in range(len(procs))]
    except BaseException as exc:  # a Ctrl-C, or the driver's own error (a full disk or a store gone bad while it
        # polls, a bug): its workers stop all the same — left running they trained on into the store after the error
        # (in a notebook's api.run), or the interpreter's exit waited for them (multiprocessing joins its children)
        alive = sum(p.is_alive() for p, _ in procs)
        off = any(u.checkpoint is not None and not u.checkpoint.enabled for u in units)  # None: the default, on
        said = "" if isinstance(exc, KeyboardInterrupt) else f"the driver stopped on an error ({first_line(exc)}): "
        if not alive:  # its workers all exited (their runs ended, saved as they went) or none started: none to stop
            log.warning("%s%s", said or "interrupted: ", "no worker had started" if not procs
                        else agree(len(procs), "its worker had exited", "its workers had all exited"))
        else:
            log.warning("%sstopping %s; %s", said, plural(alive, "worker"),
                        "checkpoints are off: a run in progress starts again from iteration 0" if off
                        else agree(alive, "it saves a checkpoint first", "each saves a checkpoint first"))
        for p, _ in procs:
            if p.is_alive():
                # a worker still starting (no word from _process_entry yet) has run none of its code, and its SIGINT
                # may still be ignored as inherited (a driver started in a script's background): it went on with its
                # share once started, the driver waiting for it. SIGTERM ends it there — or, its handlers just in
                # (_worker_signals), stops it as SIGINT does
                boot = booting.get(p.pid)
                with contextlib.suppress(OSError):
                    os.kill(p.pid, signal.SIGTERM if boot is not None and not boot.ran else signal.SIGINT)
        for p, _ in procs:
            p.join()
        raise


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _worker_signals() -> None:
    """A local worker's signals. SIGINT reaches it from its driver only (its own process group, see
    :func:`_run_processes`), so it is always taken as an interrupt — also where the driver was started
    with SIGINT ignored (``nohup plbench run … &``, a batch script), which a spawned process
    inherits and which made a worker ignore the driver and go on through its whole share. SIGTERM
    (SLURM signals every process of a job) is an interrupt too, as in the driver; an ignored
    SIGTERM stays ignored."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN:
        signal.signal(signal.SIGTERM, _interrupt)


def _stop_with_driver(driver: int) -> bool:
    """Have this worker stopped as by its driver's Ctrl-C (one SIGINT: checkpoint, stop) when the driver dies. In its
    own process group (:func:`_run_processes`) a worker outlived a driver killed outright — kill -9, the out-of-memory
    killer, the hangup of the ssh session it ran in — and trained on with no one to collect it, out of reach of the
    next command's Ctrl-C. A thread looks for the driver every :data:`DRIVER_POLL_S` (its parent no longer: it is
    gone). False when the driver is already gone."""
    import threading

    def watch() -> None:
        while os.getppid() == driver:
            _time.sleep(DRIVER_POLL_S)
        log.warning("the driver (pid %d) is gone: stopping", driver)
        os.kill(os.getpid(), signal.SIGINT)

    if os.getppid() != driver:
        return False
    threading.Thread(target=watch, name="plbench-driver-watch", daemon=True).start()
    return True


def _spawned_worker(unit: WorkUnit, conn, driver: int | None = None, stderr: int | None = None) -> None:
    """A local worker process's target: :func:`_process_entry`, then the end the command has
    (:func:`~benchmark.errors.exit_now`: threads joined, atexit handlers, logs flushed), not the interpreter's teardown,
    which a spawned process otherwise runs once its result is sent: there a C++ library's thread (pyarrow's) aborted
    it now and then, 'terminate called without an active exception' in the grid's log, and a core file."""
    from benchmark import errors

    _process_entry(unit, conn, driver, stderr)
    errors.exit_now(0)


def _process_entry(unit: WorkUnit, conn, driver: int | None = None, stderr: int | None = None) -> None:
    # its signals in before it says it started: a stopped driver sends a worker that said so SIGINT (one still starting
    # SIGTERM), which in between met the SIGINT it inherited ignored (a driver in a script's background) and was lost
    _worker_signals()
    if stderr is not None:  # the driver's stderr, this worker's again (a pipe to the driver while it started)
        sys.stderr.flush()
        with contextlib.suppress(OSError):  # started: what it said there names no exit (a driver gone: EPIPE)
            os.write(2, _StartupStderr.STARTED)
        os.dup2(stderr, 2)
        os.close(stderr)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # our own process group: see _run_processes
    if driver is not None and not _stop_with_driver(driver):  # died while this process started: no one to work for
        conn.close()
        return
    result = _worker_main(unit)
    with contextlib.suppress(BrokenPipeError, OSError):
        conn.send(result)
    conn.close()


# --------------------------------------------------------------------------------------------
# ray
# --------------------------------------------------------------------------------------------
def _require(module: str, extra: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UserError(f"the {extra} executor needs {module}: {pip()} install "
                        f"'perceptual-loss-bench[{extra}]'") from None


def _ray_said(exc: BaseException, refused: type) -> tuple[str, bool]:
    """What ``ray.init`` said, in one line: the first line of ``exc`` and of each error it was raised from (Ray 2.60
    wraps a cluster's refusal, ``Unauthenticated: InvalidAuthToken: …``, in ``ConnectionError('Failed to connect to
    Ray cluster at …')``), each said once; and whether it is a refused or missing token (``refused``:
    ``ray.exceptions.AuthenticationError``), which no new cluster mends."""
    lines, auth, seen = [], False, set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = (str(exc) if not isinstance(exc, refused) or isinstance(exc, ConnectionError)
                else getattr(exc, "message", "") or str(exc)).strip()  # Ray's own help text after its message
        line = text.splitlines()[0] if text else type(exc).__name__
        auth = auth or isinstance(exc, refused) and not isinstance(exc, ConnectionError) or any(
            word in line for word in ("InvalidAuthToken", "Unauthenticated", "uthentication token"))
        if not any(line in said for said in lines):
            lines.append(line)
        exc = exc.__cause__
    return ": ".join(lines), auth


def execute_ray(configs: list, store_root, metrics, device_spec: str, *, ray_address: str | None = None,
                workers: int | str | None = None, workers_per_gpu: int = 1, split: str = "shard",
                progress: bool = False, checkpoint=None, loss_files=(), threads: int | None = None,
                logger: str = "tensorboard", data=None, stall_s: float | None = None, **_ignored):
    """Each unit a Ray task asking for ``num_gpus=1/workers_per_gpu`` (GPU) or ``num_cpus=threads``
    (CPU). ``ray_address`` joins a running cluster (``"auto"`` or ``host:port``); without it a
    local instance is started (on the CPU with ``workers`` × ``cores // workers`` CPUs: each task
    has the threads a local worker has) and shut down afterwards.
    ``split="shard"`` (default): one task per concurrent slot, each with the whole grid in its
    :func:`shard_order`; ``split="run"``: one task per run. A run already finished gets no task
    (:func:`_to_submit`, as SLURM's jobs)."""
    ray = _require("ray", "ray")
    if workers_per_gpu < 1:
        raise UserError(f"--workers-per-gpu must be at least 1, got {workers_per_gpu}")
    todo = _to_submit(list(configs), store_root, metrics, "task")
    if configs and not todo:  # every run finished: not even a Ray instance (an empty grid still checks the address)
        return _collect(list(configs), store_root, metrics, [], "ray tasks")
    started = False
    if not ray.is_initialized():
        init = dict(address=ray_address, include_dashboard=False, log_to_driver=True,
                    runtime_env={"env_vars": {"PYTHONPATH": _pythonpath()}})
        if ray_address is None and workers not in (None, "auto"):  # each task the threads a local worker gets
            n = min(int(workers), max(1, len(todo)))  # no more tasks than runs left, as no more local workers
            init["num_cpus"] = n * worker_threads(n, threads)
        refused = getattr(getattr(ray, "exceptions", None), "AuthenticationError", ConnectionError)
        try:
            ray.init(**{k: v for k, v in init.items() if v is not None})
        except (ConnectionError, ValueError, refused) as exc:  # no cluster there, a malformed address, no token
            said, auth = _ray_said(exc, refused)
            if ray_address is None:
                raise UserError(f"cannot start a local Ray instance: {said}") from None
            if auth:  # a cluster runs there and refused this driver's token (none, or another): not one to start
                raise UserError(f"cannot join the Ray cluster at --ray-address {ray_address!r}: {said} (it asks for "
                                "its token: put it in RAY_AUTH_TOKEN, or a file named by RAY_AUTH_TOKEN_PATH, or "
                                "~/.ray/auth_token, with RAY_AUTH_MODE=token)") from None
            raise UserError(f"cannot join the Ray cluster at --ray-address {ray_address!r}: {said} (start one with "
                            "`ray start --head`, pass its HOST:PORT, or leave --ray-address out to start a local "
                            "one)") from None
        started = True
    try:
        resources = ray.cluster_resources()
        n_gpu = int(resources.get("GPU", 0))
        use_gpu = device_spec.startswith("cuda") or (device_spec == "auto" and n_gpu > 0)
        if use_gpu and not n_gpu:
            raise UserError(f"device {device_spec!r} requested but the Ray cluster has no GPUs")
        cpus = int(resources.get("CPU", 1))
        if workers in (None, "auto"):
            slots = n_gpu * workers_per_gpu if use_gpu else max(1, cpus // (threads or 1))
        else:  # no more slots than runs left (as local workers): the cores of slots no task fills go to those that run
            slots = min(int(workers), max(1, len(todo)))
        task_threads = worker_threads(slots, threads, cpus)  # the rule the dry run times at (threads_per_run)
        if started and ray_address is None and not use_gpu:  # a Ray instance on this machine: tasks share its RAM
            from benchmark.results import ResultsStore
            from benchmark.runner import resolve_device

            check_local_memory(todo, resolve_device("cpu"), data, min(slots, len(todo)), [], 1,
                               ResultsStore(store_root), metrics)
        opts = ({"num_gpus": 1 / workers_per_gpu, "num_cpus": 1} if use_gpu else {"num_cpus": task_threads})
        device = "cuda" if use_gpu else device_spec
        units = _units(todo, slots, split, store_root, metrics, device, checkpoint, loss_files, logger,
                       task_threads, gpu_share=workers_per_gpu if use_gpu else 1, grid=list(configs), stall_s=stall_s,
                       holdouts=_holdouts(data, todo), overlaps=_overlaps(data, todo))
        log.info("ray executor: %s (%s) on %s, each %s", plural(len(units), "task"), split, plural(len(todo), "run"),
                 opts)
        remote = ray.remote(max_retries=0, **opts)(_worker_main)
        from benchmark.progress import GridProgress, Monitor, log_to_bars
        from benchmark.results import ResultsStore, open_claims

        # the grid's progress line and ETA while the tasks run, as the SLURM driver's: a run task's own lines count
        # its run only (a unit of one run carries no grid); Ray runs as many tasks at once as the cluster has room
        # for (a user's cluster smaller than --workers, or shared), not every task submitted: the ETA divides by the
        # most runs seen in flight at once lately
        bars = GridProgress(ResultsStore(store_root), configs, None, bar=progress,
                            since=units[0].since if units else None, grid_id=units[0].grid_id if units else "",
                            policy=checkpoint)
        monitor, results, done, refs = Monitor(bars), [], False, []
        try:
            # the grid's warnings claimed by its tasks on this machine, removed by _collect (or below, stopped before:
            # a Ctrl-C while the tasks are submitted too, those submitted cancelled): a SLURM job (own_log) claims
            # none, so its driver opens none
            open_claims(units[0].grid_id if units else "")
            for u in units:
                refs.append(remote.remote(u))
            with log_to_bars(progress):
                for unit, ref in zip(units, refs):
                    while not ray.wait([ref], num_returns=1, timeout=RAY_POLL_S)[0]:
                        monitor.tick()
                    try:
                        results.append(ray.get(ref))
                    except ray.exceptions.RayError as exc:  # the worker died (OOM-killed, node lost, a hang, …)
                        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                        results.append(_lost(unit, f"ray task: {first}"))
                    monitor.tick()
            done = True  # every task's result in: _collect removes the grid's claims
        except BaseException as exc:  # a Ctrl-C, or the driver's own error (a full disk, a store gone bad, a bug):
            # every task not finished is cancelled — on an instance this driver did not start (the user's own Ray) none
            # else would end them, and they trained on into the store with no driver; a local one's shutdown killed
            # them with no checkpoint saved
            _stop_ray_tasks(ray, refs[len(results):], exc, checkpoint)
            raise
        finally:
            if not done:  # stopped (a second Ctrl-C in the wait above too), or the driver's own error: no _collect to
                from benchmark.results import forget_said  # remove the grid's claims, as execute_local removes them

                forget_said(units[0].grid_id if units else "")
            with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: shut down now
                _ray_output_settled()  # the tasks' last lines on the console before the instance goes (or we end)
            bars.close()
    finally:
        if started:
            ray.shutdown()
    return _collect(list(configs), store_root, metrics, results, "ray tasks", since=units[0].since if units else None,
                    grid_id=units[0].grid_id if units else "")


def _stop_ray_tasks(ray, refs: list, exc: BaseException, checkpoint) -> None:
    """Stop the Ray tasks ``refs`` (those whose result is not in, less those Ray says are finished: the driver collects
    them in order, so a later task may be done and was counted as one to stop) of a driver stopped by ``exc``: each is
    cancelled
    (SIGINT: its run checkpoints and stops), waited for :data:`STOP_GRACE_S`, and one still running then — or when a
    second Ctrl-C cuts the wait short — is ended (a forced cancel: the training since its last checkpoint lost), so no
    task trains on into the store once the driver is gone, whoever started the Ray instance. Each step said in a
    line; an error of Ray's own (the cluster lost) is passed over, the driver's ``exc`` being the one it ends with."""
    if not refs:
        return
    try:
        try:  # those finished already (the driver collects in order: a later task may be done) are not counted
            refs = ray.wait(refs, num_returns=len(refs), timeout=0)[1]
        except Exception:  # noqa: BLE001 - Ray cannot say now: every one not collected, as before
            pass
        if not refs:
            return
        for ref in refs:
            with contextlib.suppress(Exception):
                ray.cancel(ref)
    except KeyboardInterrupt:  # a second Ctrl-C while a big grid's tasks are cancelled one by one: the rest went on
        _end_ray_tasks(ray, refs)  # with no driver — all ended now, as 'interrupt again to stop now' promises
        log.warning("interrupted again: %s ended at once (the training since %s last checkpoint is lost; the same "
                    "command resumes %s)", plural(len(refs), "ray task"), agree(len(refs), "its", "their"),
                    agree(len(refs), "its run", "their runs"))
        raise
    why = "" if isinstance(exc, KeyboardInterrupt) else first_line(exc)
    if why:  # a Ctrl-C says only what it waits for (the user knows why)
        log.warning("the driver stopped on an error (%s): cancelling %s", why, plural(len(refs), "ray task"))
    if checkpoint is not None and not checkpoint.enabled:  # a task runs the local worker's code: no checkpointer, none
        # saved as it stops (as the local and SLURM debug drivers say)
        log.warning("waiting up to %d s for %s to stop (checkpoints are off: a run in progress starts again from "
                    "iteration 0; interrupt %sto stop now)", STOP_GRACE_S, plural(len(refs), "ray task"),
                    "again " if not why else "")
    else:
        log.warning("waiting up to %d s for %s to checkpoint and stop (interrupt %sto stop now)", STOP_GRACE_S,
                    plural(len(refs), "ray task"), "again " if not why else "")
    try:
        still = ray.wait(refs, num_returns=len(refs), timeout=STOP_GRACE_S)[1]
    except KeyboardInterrupt:  # 'interrupt again to stop now': each is ended (one finished meanwhile: a no-op)
        still = refs
    except Exception as lost:  # noqa: BLE001 - Ray itself gone (the cluster, or this driver's connection to it)
        # said: the wait's line promised a follow-up, and the tasks may still run where only the connection broke
        log.warning("the connection to Ray was lost while waiting for %s to stop (%s): whether %s stopped is not "
                    "known here: if the cluster is still up, `ray list tasks --filter state=RUNNING` on it shows "
                    "any still training into the store; the same command, run again, leaves a run a live task holds "
                    "to it and resumes the others from their last checkpoint", plural(len(refs), "ray task"),
                    first_line(lost), agree(len(refs), "it", "they"))
        return
    _end_ray_tasks(ray, still)
    if still:
        log.warning("%s did not stop: ended (the training since %s last checkpoint is lost; the same command "
                    "resumes %s)", plural(len(still), "ray task"), agree(len(still), "its", "their"),
                    agree(len(still), "its run", "their runs"))


def _end_ray_tasks(ray, refs: list) -> None:
    """End the Ray tasks ``refs`` at once (a forced cancel: the worker process killed; a finished one: a no-op), every
    one of them: an error of Ray's or a further Ctrl-C meanwhile (a few RPCs) does not leave the rest running."""
    for ref in refs:
        with contextlib.suppress(Exception, KeyboardInterrupt):
            ray.cancel(ref, force=True)


def _stdstream_dispatcher():
    """Ray's dispatcher of the tasks' output forwarded to the driver (``log_to_driver``), where this Ray has one (a
    private API: None where it moved)."""
    try:
        from ray._private.ray_logging import global_worker_stdstream_dispatcher
    except Exception:  # noqa: BLE001 - another Ray: a fixed wait instead
        return None
    return global_worker_stdstream_dispatcher if hasattr(global_worker_stdstream_dispatcher, "add_handler") else None


def _ray_output_settled(quiet: float | None = None, most: float | None = None) -> None:
    """Wait until the Ray tasks' output forwarded to this console has been quiet for ``quiet`` seconds
    (:data:`RAY_SETTLE_S`), ``most`` (:data:`RAY_SETTLE_MAX_S`) at most: a task's last lines (its last run's 'ok', a
    warning said for the grid) are forwarded a moment after it returned, and a shut-down instance, or a driver that
    ended, lost them. Where Ray's dispatcher cannot be watched, ``quiet`` seconds."""
    quiet = RAY_SETTLE_S if quiet is None else quiet
    most = RAY_SETTLE_MAX_S if most is None else most
    dispatcher, last = _stdstream_dispatcher(), [time.monotonic()]
    name = f"plbench-settle-{id(last)}"
    if dispatcher is not None:
        try:
            dispatcher.add_handler(name, lambda data: last.__setitem__(0, time.monotonic()))
        except Exception:  # noqa: BLE001 - a dispatcher of another shape: a fixed wait
            dispatcher = None
    try:
        end = time.monotonic() + (most if dispatcher is not None else quiet)
        while (now := time.monotonic()) < end and now - last[0] < quiet:
            time.sleep(min(0.05, quiet))
    finally:
        if dispatcher is not None:
            with contextlib.suppress(Exception):
                dispatcher.remove_handler(name)


def _to_submit(configs: list, store_root, metrics, what: str) -> list:
    """The configs of a grid that a remote executor (Ray tasks, SLURM jobs: ``what`` is "task" or "job") still
    submits. A resubmission (the same command after a time-out, a lost worker, a stopped driver) left a finished
    run's task or job to wait in the queue and start up (a worker, a data load) only to find its results there.
    As :func:`~benchmark.runner.run_grid` decides: damaged runs are set aside first (so they are redone), a finished
    run lacking only a metric nothing can score (weights not cached) is left out, and a finished run whose task's
    inputs lack a metric is submitted after all (run_grid skips the run and scores the inputs). One log line
    each; the runs left out count as skipped (:func:`_merge`)."""
    from benchmark.config import run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import _repair_damaged, input_groups, input_key, is_complete

    store = ResultsStore(store_root)
    store.ensure_writable()
    ids, inputs = {c: run_id(c) for c in configs}, input_groups(configs)
    _repair_damaged(store, [*ids.values(), *inputs.values()])  # as run_grid: set aside, so the workers redo them
    todo = [c for c in configs if not is_complete(store, ids[c], metrics)]
    unscored = [k for k, rid in inputs.items() if not is_complete(store, rid, metrics)]  # a task's inputs
    if any(store.is_done(ids[c]) for c in todo) or any(store.is_done(inputs[k]) for k in unscored):
        from benchmark.metrics import MetricSet  # finished, lacking a metric: can it be scored now (as run_grid)?

        unavailable = set(MetricSet(metrics, "cpu").skipped)  # the weights cache is the workers' (shared TORCH_HOME)
        todo = [c for c in todo if not is_complete(store, ids[c], metrics, unavailable)]
        unscored = [k for k in unscored if not is_complete(store, inputs[k], metrics, unavailable)]
    if len(todo) < len(configs):
        done = len(configs) - len(todo)
        log.info("%d of %s %s finished already: no %s for %s", done, plural(len(configs), "run"),
                 agree(done, "is", "are"), what, agree(done, "it", "them"))
    # inputs lacking a metric while every run of theirs is finished (all diverged): a task or job for one of those
    # runs scores them (run_grid does, its run skipped)
    planned = set(map(input_key, todo))
    inputs_only = [next(c for c in configs if input_key(c) == k) for k in unscored if k not in planned]
    if inputs_only:
        log.info("a %s for %s scores their task's inputs on the metrics they lack", what,
                 plural(len(inputs_only), "finished run"))
        todo += inputs_only
    return todo


#: the store's record of the SLURM jobs its runs were submitted to: {"runs": {run_id: job id}, "at": {job id: time}}
SLURM_LEDGER = ".slurm-jobs.json"
#: SLURM job states in which a job will still run (or is running) its runs, or is held until a user releases it
#: (REQUEUE_HOLD, SPECIAL_EXIT, RESV_DEL_HOLD); with :data:`SLURM_ENDED`, every state sacct(1) and squeue(1) report
SLURM_ACTIVE = ("PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED",
                "CONFIGURING", "COMPLETING", "SIGNALING", "STAGE_OUT", "STOPPED", "SPECIAL_EXIT", "RESV_DEL_HOLD")
# the states sacct gives a job that will not run again (anything else, an unknown one too, may still run); PREEMPTED:
# killed by preemption and not requeued (a requeued one reads REQUEUED or PENDING)
SLURM_ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
               "REVOKED", "PREEMPTED")
SLURM_ACCOUNTING_LAG_S = 600.0  # a job sacct does not list yet, submitted this recently, counts as queued


class SlurmLedger:
    """Which SLURM job each run of a store was submitted to, so that a second ``plbench run --executor slurm`` on the
    same ``--out`` while the first one's jobs are queued or running submits none of their runs again (two jobs
    racing on one run, an allocation wasted). ``<store>/.slurm-jobs.json``, read and written only while the store's
    submission lock (``.slurm-submit.lock``, a :class:`~benchmark.results.RunLock`) is held, from before the
    ledger is read until the new jobs are recorded: two drivers submit one after the other. A recorded job counts
    while ``sacct`` says it may still run (:func:`_may_run`: not ended, as a stopped driver counts it), or does not
    list it yet and it was submitted less than :data:`SLURM_ACCOUNTING_LAG_S` ago (accounting lags ``sbatch``).
    Where ``sacct`` cannot say (not installed, accounting down, timed out) the controller does (``squeue -t all``: a
    job it lists in a state that may still run); where neither can, the recorded runs are submitted again, in one
    warning, and the record keeps the entries it could not check, less the runs the store has finished."""

    def __init__(self, store_root):
        self.path = Path(store_root) / SLURM_LEDGER
        self.lock_path = Path(store_root) / ".slurm-submit.lock"
        self._no_sacct = ""  # why sacct could not say, once it failed: not asked again
        self._no_squeue = False  # squeue failed once: not asked again

    @contextlib.contextmanager
    def held(self, poll_s: float = 0.5):
        from benchmark.results import RunLock, _hint_stale, _write_error

        said, hinted, t0 = False, False, _time.monotonic()
        while True:
            try:
                lock = RunLock.acquire(self.lock_path)
            except OSError as exc:
                raise _write_error(self.lock_path, exc) from None
            if not isinstance(lock, str):
                break
            if not said:
                log.info("another driver is submitting jobs for %s (%s); waiting for it", self.path.parent, lock)
                said = True
            hinted = hinted or _hint_stale(self.lock_path, lock, t0)  # a driver on another login node (NFS)
            _time.sleep(poll_s)
        with lock:
            yield self

    def read(self) -> dict:
        import json

        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):  # none yet (or unreadable: it only ever saves a submission)
            return {"runs": {}, "at": {}, "pending": {}}
        runs, at, pending = data.get("runs"), data.get("at"), data.get("pending")
        return {"runs": runs if isinstance(runs, dict) else {}, "at": at if isinstance(at, dict) else {},
                "pending": pending if isinstance(pending, dict) else {}}

    def intend(self, token: str, units: list, ids: dict) -> None:
        """Before ``sbatch``: record the runs of each unit under the submission's job name (:meth:`job_name`), so a
        driver killed before :meth:`record` leaves what the next one needs to find the jobs (:meth:`adopt`)."""
        from benchmark.results import atomic_write_json

        data = self.read()
        data["pending"][token] = {"units": [[ids[c] for c in u.configs] for u in units], "at": _time.time()}
        atomic_write_json(self.path, data)

    @staticmethod
    def job_name(token: str) -> str:
        return f"plbench-{token}"

    def adopt(self, own: str = "") -> set[str]:
        """Submissions an earlier driver recorded (:meth:`intend`) but not their jobs (killed between ``sbatch`` and
        :meth:`record`), or this driver's own (token ``own``: submitit raised, its lines say so): their jobs, found
        by name with ``sacct``, are recorded against their runs. One that
        ``sacct`` lists no job of was never submitted once :data:`SLURM_ACCOUNTING_LAG_S` has passed (dropped);
        before that the controller (:meth:`_squeue`, no lag) says which jobs it has — none: never submitted (a
        driver stopped before ``sbatch`` and run again at once submits its runs now) — and only where it cannot say
        do its runs count as queued (accounting lags ``sbatch``): returned. Where ``sacct`` cannot say (down, or no
        accounting on the cluster) the controller's jobs are recorded, none there: dropped (none will run); where
        neither can say, kept (this driver's own: said to be kept for the next driver, nothing submitted again)."""
        import subprocess

        from submitit.slurm.slurm import SlurmInfoWatcher

        from benchmark.results import atomic_write_json

        data, queued = self.read(), set()
        if not data["pending"]:
            return queued
        now = _time.time()
        for token, entry in list(data["pending"].items()):
            units = entry.get("units") if isinstance(entry, dict) else None
            at = float(entry.get("at", 0) or 0) if isinstance(entry, dict) else 0.0
            if not isinstance(units, list):
                del data["pending"][token]
                continue
            since = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.localtime(at - 86400))  # a day's clock skew
            cmd = ["sacct", f"--name={self.job_name(token)}", "-S", since, "-o", "JobID,State,NodeList",
                   "--parsable2"]
            jobs = None  # sacct cannot say
            if not self._no_sacct:
                try:
                    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
                    jobs = sorted(SlurmInfoWatcher().read_info(out))
                except (OSError, subprocess.SubprocessError) as exc:
                    self._no_sacct = f"sacct: {type(exc).__name__}"
            # the controller says at once (a driver stopped before sbatch, run again), and where accounting is down
            # or absent: a job of that name not there will not run (never submitted, or ended)
            if jobs is None or (not jobs and now - at < SLURM_ACCOUNTING_LAG_S):
                listed = self._squeue(self.job_name(token))
                if listed is None and jobs is None:  # cannot say: kept for a driver that can; its runs submitted again
                    if token == own:
                        log.warning("cannot tell whether sbatch queued SLURM jobs for %s before submitit "
                                    "failed (%s, squeue failed): the submission is kept in %s; the next driver on "
                                    "this --out settles it (its jobs recorded, or its runs submitted)",
                                    plural(sum(map(len, units)), "run"), self._no_sacct, self.path.name)
                    else:
                        log.warning("cannot tell whether an earlier driver, stopped while it submitted, queued SLURM "
                                    "jobs for %s (%s, squeue failed): those runs are submitted again",
                                    plural(sum(map(len, units)), "run"), self._no_sacct)
                    continue
                if listed is None:  # sacct may not list them yet: queued, asked again by the next driver
                    queued.update(rid for runs in units for rid in runs)
                    continue
                jobs = listed  # none: never submitted, or ended (dropped)
            del data["pending"][token]
            found = 0
            for j in jobs:
                i = int(j.split("_")[1]) if "_" in j and j.split("_")[1].isdigit() else 0
                if 0 <= i < len(units):
                    data["at"][j] = at
                    for rid in units[i]:  # a run a later driver submitted again (sacct down then) keeps that job
                        if float(data["at"].get(data["runs"].get(rid), 0) or 0) <= at:
                            data["runs"][rid] = j
                            found += 1
            if found:  # the runs recorded to them, not those a later submission holds
                named = sorted({j.split("_")[0] for j in jobs})
                log.info("%s queued SLURM %s %s for %s: recorded",
                         "sbatch, before submitit failed," if token == own else
                         "an earlier driver, stopped while it submitted,",
                         agree(len(named), "job", "jobs"), ", ".join(named), plural(found, "run"))
        atomic_write_json(self.path, data)
        return queued

    def _squeue(self, name: str) -> list[str] | None:
        """The job ids (``1000_3``, ``1001``) the controller holds under the job name ``name`` — queued, running or
        just ended (``-t all``; SLURM forgets an ended job after MinJobAge, 5 min by default, by which time
        ``sacct`` lists it) — without the accounting lag of ``sacct``, in every partition (``-a``: hidden ones
        too); None when ``squeue`` cannot say (asked once per ledger, as ``sacct``)."""
        import subprocess

        if self._no_squeue:
            return None
        try:
            out = subprocess.run(["squeue", "-h", "-a", "-r", "-t", "all", f"--name={name}", "-o", "%i"],
                                 capture_output=True, text=True, timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            self._no_squeue = True
            return None
        return sorted({line.strip() for line in out.splitlines() if line.strip()})

    def _squeue_states(self, jobs: set[str]) -> dict[str, str] | None:
        """``{job id: state}`` of the ``jobs`` (``1000_3``, ``1001``) the controller still holds (``squeue -t all``:
        queued, running, or ended less than MinJobAge ago); a job it does not list has ended. None when ``squeue``
        cannot say (asked once per ledger, as ``sacct``)."""
        import subprocess

        if self._no_squeue:
            return None
        bases = ",".join(sorted({j.split("_")[0] for j in jobs}))
        try:
            done = subprocess.run(["squeue", "-h", "-a", "-r", "-t", "all", "-j", bases, "-o", "%i|%T"],
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            self._no_squeue = True
            return None
        if done.returncode != 0:  # one job id the controller has forgotten: "Invalid job id specified" (it ended)
            if "invalid job id" in done.stderr.lower():
                return {}
            self._no_squeue = True
            return None
        return {i.strip(): st.strip() for i, _, st in (line.partition("|") for line in done.stdout.splitlines())
                if i.strip()}

    def active(self, jobs) -> set[str] | None:
        """Which of ``jobs`` (job ids as submitit gives them: ``1000_3``, ``1001``) will still run, as ``sacct``
        says, or the controller (``squeue``) where ``sacct`` cannot (accounting down or absent); None when neither
        can say (each asked once per ledger: a failed or timed-out command is not waited for twice, and said in one
        warning)."""
        import subprocess

        from submitit.slurm.slurm import SlurmInfoWatcher

        jobs = set(jobs)
        if not jobs:
            return set()

        def from_queue() -> set[str] | None:  # no accounting lag: a job the controller does not list has ended
            states = self._squeue_states(jobs)
            if states is None:
                return None
            return {j for j in jobs if _may_run(states.get(j, ""))}

        if self._no_sacct:
            return from_queue()
        cmd = ["sacct", *SACCT_FIELDS]
        for base in sorted({j.split("_")[0] for j in jobs}):
            cmd += ["-j", base]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            self._no_sacct = f"sacct: {type(exc).__name__}"
            return from_queue()
        info = SlurmInfoWatcher().read_info(out)
        at = self.read()["at"]
        now = _time.time()

        def alive(j: str) -> bool:
            if j not in info:
                return now - float(at.get(j, 0) or 0) < SLURM_ACCOUNTING_LAG_S
            state = info[j].get("State", "")
            if _unknown(state) and (end := _sacct_time(info[j].get("End"))) is not None:
                # a state the driver does not know, which sacct says the job ended at: given up after
                # SLURM_UNKNOWN_S from then, as the driver's poll gives it up (no driver may be polling it now)
                return now - end < SLURM_UNKNOWN_S
            return _may_run(state)

        return {j for j in jobs if alive(j)}

    def not_queued(self, configs: list, ids: dict) -> list:
        """``configs`` less those whose run is recorded to a job that will still run (one log line)."""
        lagging = self.adopt()  # an earlier driver's submission sacct does not list yet
        if lagging & {ids[c] for c in configs}:
            n_lag = len(lagging & {ids[c] for c in configs})
            log.info("%s %s being submitted to SLURM by an earlier driver that stopped before recording its "
                     "jobs, which sacct does not list yet (accounting lags sbatch) and squeue could not tell: not "
                     "submitted again now; a run of this command after %.0f min submits them if no job of theirs is "
                     "listed by then",
                     plural(n_lag, "run"), agree(n_lag, "was", "were"), SLURM_ACCOUNTING_LAG_S / 60)
            configs = [c for c in configs if ids[c] not in lagging]
        recorded = self.read()["runs"]
        theirs = {c: recorded[ids[c]] for c in configs if ids[c] in recorded}
        alive = self.active(theirs.values()) if theirs else set()
        if alive is None:
            log.warning("cannot tell whether the SLURM jobs an earlier driver submitted for %d of these runs still "
                        "run (%s; squeue failed): those runs are submitted again", len(theirs), self._no_sacct)
            return configs
        if not alive:
            return configs
        queued = [c for c, j in theirs.items() if j in alive]
        names = sorted({theirs[c].split("_")[0] for c in queued})
        log.info("%s %s queued or running in SLURM %s %s, submitted by an earlier driver on this --out: "
                 "not submitted again (this driver waits for its own jobs only)", plural(len(queued), "run"),
                 agree(len(queued), "is", "are"), agree(len(names), "job", "jobs"),
                 ", ".join(names[:5]) + (", …" if len(names) > 5 else ""))
        queued_set = set(queued)
        return [c for c in configs if c not in queued_set]

    def forget(self, jobs: set[str]) -> None:
        """Drop ``jobs`` (job ids as submitit gives them), cancelled by this driver, from the ledger: their runs are
        submitted by the next driver. Under the submission lock if it is free at once; another driver submitting
        (holding it) keeps its own record, and checks these jobs with ``sacct`` as before."""
        from benchmark.results import RunLock, atomic_write_json

        lock = RunLock.acquire(self.lock_path)
        if isinstance(lock, str):  # held by another driver: not waited for on a Ctrl-C
            return
        with lock:
            data = self.read()
            runs = {rid: j for rid, j in data["runs"].items() if j not in jobs}
            if len(runs) == len(data["runs"]):
                return
            at = {j: t for j, t in data["at"].items() if j not in jobs}
            atomic_write_json(self.path, {"runs": runs, "at": at,
                                          **({"pending": data["pending"]} if data["pending"] else {})})

    def record(self, units: list, jobs: list, ids: dict, token: str = "") -> None:
        """Save each unit's own runs against its job, keeping earlier entries whose jobs still run; the submission
        ``token`` (:meth:`intend`) is no longer pending."""
        from benchmark.results import atomic_write_json

        old = self.read()
        alive = self.active(set(old["runs"].values()))
        if alive is None:  # sacct cannot say: kept for a driver whose sacct can, less the runs the store finished
            from benchmark.results import STATUSES, ResultsStore

            store = ResultsStore(self.path.parent)
            runs = {rid: j for rid, j in old["runs"].items() if (store.meta(rid) or {}).get("status") not in STATUSES}
        else:
            runs = {rid: j for rid, j in old["runs"].items() if j in alive}
        now = _time.time()
        for unit, job in zip(units, jobs):
            for c in unit.configs:
                runs[ids[c]] = str(job.job_id)
        recorded = set(runs.values())
        at = {j: t for j, t in old["at"].items() if j in recorded}  # the jobs still recorded only
        at.update({str(job.job_id): now for job in jobs})
        pending = {t: e for t, e in old["pending"].items() if t != token}
        atomic_write_json(self.path, {"runs": runs, "at": at, **({"pending": pending} if pending else {})})


def _units(configs: list, slots: int, split: str, store_root, metrics, device, checkpoint, loss_files, logger,
           threads, gpu_share: int = 1, grid: list | None = None, stall_s: float | None = None,
           holdouts: tuple = (), overlaps: tuple = (), own_log: bool = False) -> list[WorkUnit]:
    """The units that run ``configs``; ``grid``: every config of the grid (default ``configs``), which a shard's
    progress lines count; ``holdouts``: the driver's hold-out splits (:func:`_holdouts`: the keys of near copies
    only); ``overlaps``: its overlap checks (:func:`_overlaps`). A unit of ``split="run"`` counts its own run only:
    each carrying the whole grid made N units of N configs (quadratic: submitit pickles each job's unit to a file,
    ~2 MB each at 20,000 runs); the driver's progress line counts the grid."""
    from benchmark.results import ResultsStore

    if split not in ("shard", "run"):
        raise UserError(f"split must be 'shard' or 'run', got {split!r}")
    grid_id = uuid.uuid4().hex[:12]  # the driver opens its claims (open_claims) as its tasks start, not here
    common = dict(store_root=str(store_root), metrics=tuple(metrics), device=device, checkpoint=checkpoint,
                  loss_files=tuple(map(str, loss_files)), threads=threads, log_level=_log_level(), since=time.time(),
                  grid_id=grid_id, own_log=own_log,
                  # Ray or SLURM runs as many units at once as the cluster has room for, not every one submitted: a
                  # unit's ETA divides by the most runs it sees in flight at once (GridProgress), as its driver's
                  grid=tuple(configs if grid is None else grid), grid_workers=None,
                  logger=logger, gpu_share=gpu_share, stall_s=stall_s, holdouts=holdouts,
                  overlaps=overlaps, said=(ResultsStore(store_root).finished_log_unwritable(),))
    plan = _planned(configs)
    if split == "run":
        common.pop("grid")
        return [WorkUnit((c,), tag=f"[r{i}]", planned=(plan[c],), grid=(c,), **common) for i, c in enumerate(configs)]
    slots = max(1, min(slots, len(configs)))
    units = []
    for i in range(slots):
        order, own = shard_order(configs, i, slots), len(configs[i::slots])
        units.append(WorkUnit(tuple(order[:own]), steal=tuple(order[own:]), tag=f"[w{i}]",
                              planned=tuple(plan[c] for c in order), **common))
    return units


# --------------------------------------------------------------------------------------------
# slurm (submitit)
# --------------------------------------------------------------------------------------------
def parse_minutes(text: str | int | float, setting: str = "--slurm-time") -> int:
    """A SLURM time limit → whole minutes, in every format ``sbatch --time`` reads: ``MM``
    (``90``), ``MM:SS`` (``45:00``), ``HH:MM:SS`` (``1:30:00``), ``D-HH`` (``2-12``: 60 h),
    ``D-HH:MM`` and ``D-HH:MM:SS``; seconds round up. Anything else, or a limit that is not
    positive (SLURM's ``0`` means none, which a requeued job cannot rely on), is one line naming ``setting``
    (``grid.yaml: slurm_time`` where a config file gave it: :meth:`benchmark.config.GridSpec.named`)."""
    def bad() -> UserError:
        return UserError(f"{setting} {text!r} is not a positive time limit: use minutes, [D-]HH:MM:SS or D-HH "
                         "(e.g. 90, 8:00:00, 2-12)")

    if isinstance(text, bool):
        raise bad()
    if isinstance(text, (int, float)):
        if not text > 0 or text == float("inf"):
            raise bad()
        return _below_2_63(max(1, int(text)), text, setting)
    s = str(text).strip()
    days = None
    if "-" in s:
        d, s = s.split("-", 1)
        if not d.isdigit():
            raise bad()
        days = int(d)
    fields = s.split(":")
    if not all(f.isdigit() for f in fields) or len(fields) > 3:
        raise bad()
    parts = [int(f) for f in fields]
    if days is not None:  # after "D-": hours first (D-HH, D-HH:MM, D-HH:MM:SS)
        parts += [0] * (3 - len(parts))
        minutes = days * 24 * 60 + parts[0] * 60 + parts[1] + (parts[2] > 0)
    elif len(parts) == 1:
        minutes = parts[0]
    elif len(parts) == 2:  # MM:SS
        minutes = parts[0] + (parts[1] > 0)
    else:
        minutes = parts[0] * 60 + parts[1] + (parts[2] > 0)
    if minutes < 1:
        raise bad()
    return _below_2_63(minutes, text, setting)


def _below_2_63(minutes: int, text, setting: str) -> int:
    """``minutes``, refused in one line past a 64-bit integer, as ``--iterations 1e19`` is
    (:func:`benchmark.config.check_numbers`): sbatch was handed ``--time 99999999999999999999``."""
    if not minutes < 2**63:
        raise UserError(f"{setting} must be below 2**63 minutes, got {text!r}")
    return minutes


def _bare_number(time) -> bool:
    """A SLURM time limit given as a number alone (``90``, ``time: 5``): minutes, as ``sbatch --time`` reads it, which
    a user may have meant as hours; the submission line says so."""
    return not isinstance(time, bool) and (isinstance(time, (int, float)) or str(time).strip().isdigit())


def _limit_text(minutes: int) -> str:
    """Whole minutes as SLURM writes a time limit: ``0:05:00``, ``8:00:00``, ``2-12:00:00`` (a day or more)."""
    days, rest = divmod(minutes, 24 * 60)
    return f"{days}-{rest // 60:02d}:{rest % 60:02d}:00" if days else f"{rest // 60}:{rest % 60:02d}:00"


def check_slurm_options(time, mem, cpus_per_task, cluster: str | None = None, named=None) -> None:
    """Refuse in one line a SLURM time limit, memory size, core count or submitit backend that the submission cannot
    use: checked by :func:`executor_options` (``run`` and its ``--dry-run``, before any data is read) and by
    :func:`execute_slurm`. ``named``: a grid's :meth:`~benchmark.config.GridSpec.named` (each named where it was
    given: ``grid.yaml: slurm_time``); else the flags."""
    named = named or (lambda key: "--" + key.replace("_", "-"))
    if cluster not in (None, "slurm", "local", "debug"):
        from benchmark.errors import did_you_mean

        raise UserError(f"{named('submitit_cluster')} must be slurm, local or debug, got {cluster!r}"
                        + did_you_mean(str(cluster), ("slurm", "local", "debug")))
    if cpus_per_task is not None and cpus_per_task < 1:
        raise UserError(f"{named('slurm_cpus')} must be at least 1, got {cpus_per_task}")
    parse_minutes(time, named("slurm_time"))
    if mem is not None:
        parse_mem_gb(mem, named("slurm_mem"))


def parse_mem_gb(text: str | int | float, setting: str = "--slurm-mem") -> float:
    """``"32G"``, ``"32GB"``, ``"500M"``, ``32`` (GB) → GB; a size that is not positive and finite is one line naming
    ``setting`` (as :func:`parse_minutes`'), and so is a bare number of a terabyte or more (``16000``: sbatch's
    megabytes, which GB would make a job no node holds), with the unit to write."""
    import math

    def bad() -> UserError:
        return UserError(f"{setting} {text!r} is not a memory size: use e.g. 32G or 500M")

    if isinstance(text, bool):
        raise bad()
    bare = isinstance(text, (int, float))
    if bare:
        gb = float(text)
    else:
        s = str(text).strip().upper().removesuffix("B")
        scale = {"K": 1 / 2**20, "M": 1 / 1024, "G": 1.0, "T": 1024.0}
        bare = not (s and s[-1] in scale)
        try:
            gb = float(s) if bare else float(s[:-1]) * scale[s[-1]]
        except ValueError:
            raise bad() from None
    if not math.isfinite(gb) or gb <= 0:
        raise bad()
    if bare and gb >= 1024:  # sbatch's --mem 16000 (megabytes), read here as GB: a job no node holds
        raise UserError(f"{setting} {text!r} reads as {gb:g} GB (a bare number is GB here; sbatch reads it as MB): "
                        f"write {str(text).strip()}M for megabytes, or {gb / 1024:g}T for {gb:g} GB")
    return gb


class RequeueableUnit:
    """A SLURM job's function. On a time-out or preemption SLURM sends ``SIGUSR2`` (submitit asks for
    it 90 s ahead); submitit's handler calls :meth:`checkpoint` and requeues the job with what it
    returns: the same unit, which resumes from the runs' own checkpoints (``runs/<id>/ckpt.pt``) and
    skips the runs already finished. That handler ran at once, mid-iteration, so the requeued run went
    back to its last periodic checkpoint (up to ``--checkpoint-seconds`` of training lost). A run that
    is training when ``SIGUSR2`` comes now finishes its step and saves a checkpoint first, as on
    SIGTERM (:class:`~benchmark.results.DeferredInterrupt`), and then the job is requeued; outside
    training it is requeued at once, as before. With periodic checkpoints off (``--checkpoint-every 0
    --checkpoint-seconds 0``) a run had no checkpointer and its requeue trained it again from iteration 0:
    in a SLURM job a run now always saves a checkpoint when stopped (and once its training is done), none
    periodically (:attr:`~benchmark.checkpoint.CheckpointPolicy.on_stop`)."""

    def __call__(self, unit: WorkUnit) -> dict:
        import threading

        from benchmark.results import DeferredInterrupt

        usr2 = getattr(signal, "SIGUSR2", None)
        requeue = signal.getsignal(usr2) if usr2 is not None else None
        if not callable(requeue) or threading.current_thread() is not threading.main_thread():
            return _worker_main(unit)  # not under submitit's handler (debug cluster, tests)
        policy = getattr(unit, "checkpoint", None)
        if policy is not None and not policy.enabled:  # None: run_grid's default policy, enabled
            log.info("periodic checkpoints are off: a run still saves one when stopped (time-out, preemption), "
                     "for the requeued job to resume from")
            unit = dataclasses.replace(unit, checkpoint=dataclasses.replace(policy, on_stop=True))
        asked = []

        def on_usr2(signum, frame):
            asked.append(signum)
            deferred = signal.getsignal(signal.SIGTERM)  # a training loop's DeferredInterrupt, while one runs
            if isinstance(getattr(deferred, "__self__", None), DeferredInterrupt):
                deferred(signum, frame)  # finish the step, save a checkpoint, stop (a second USR2: the same)
                return
            requeue(signum, frame)  # not training: requeue now

        signal.signal(usr2, on_usr2)
        try:
            result = _worker_main(unit)
        finally:
            signal.signal(usr2, requeue)
        if asked and result.get("interrupted"):
            requeue(usr2, None)  # submitit: checkpoint() → scontrol requeue → exit
        return result

    def checkpoint(self, unit: WorkUnit):
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, dataclasses.replace(unit, requeued=True))


def execute_slurm(configs: list, store_root, metrics, device_spec: str, *, cluster: str | None = None,
                  workers: int | str | None = None, split: str = "shard", partition: str | None = None,
                  gpus: int | None = None, time: str | int = "8:00:00", mem: str | None = None,
                  cpus_per_task: int | None = None, folder: str | Path | None = None, progress: bool = False,
                  checkpoint=None, loss_files=(), threads: int | None = None, logger: str = "tensorboard",
                  stall_s: float | None = None, data=None, **_ignored):
    """Submit the grid through submitit's ``AutoExecutor`` as a job array and wait for it.

    ``cluster``: ``None``/``"slurm"`` (real SLURM), ``"local"`` (subprocesses on this machine) or
    ``"debug"`` (in this process, for tests). ``split="shard"`` (default): ``workers`` jobs, each
    the whole grid in its :func:`shard_order`; ``split="run"``: one job per run. A job that SLURM
    preempts or times out is requeued (:class:`RequeueableUnit`) and resumes from its checkpoints.
    Job logs go to ``folder`` (default ``<results>/.submitit``)."""
    submitit = _require("submitit", "slurm")
    folder = Path(folder) if folder else Path(store_root) / ".submitit"
    gpus = gpus if gpus is not None else (1 if device_spec.startswith("cuda") else 0)
    slots = len(configs) if workers in (None, "auto") else int(workers)
    check_slurm_options(time, mem, cpus_per_task, cluster)
    cpus = slurm_threads(cpus_per_task, threads)  # the job's cores are its torch threads (as the dry run's)
    todo = _to_submit(configs, store_root, metrics, "job")
    if not todo:
        return _collect(list(configs), store_root, metrics, [], "slurm jobs")
    from benchmark.config import run_id

    ids = {c: run_id(c) for c in todo}
    ledger = SlurmLedger(store_root) if (cluster or "slurm") == "slurm" else None  # local/debug: this driver's own
    with ledger.held() if ledger else contextlib.nullcontext():
        if ledger:  # runs an earlier driver's jobs will still run: not submitted twice
            todo = ledger.not_queued(todo, ids)
            if not todo:
                return _collect(list(configs), store_root, metrics, [], "slurm jobs")
        try:  # "slurm" by name: submitit's auto-detection ran every job at once as a local process without SLURM
            # each job's process is plbench's entry around submitit's (benchmark.slurmjob): once its result is saved,
            # it ends as the command does, not through the interpreter's teardown (a C++ thread's abort: FAILED)
            ex = submitit.AutoExecutor(folder=str(folder / "%j"), cluster=cluster or "slurm",
                                       slurm_python=slurmjob.COMMAND, local_python=slurmjob.COMMAND)
        except RuntimeError as exc:
            if (cluster or "slurm") != "slurm":
                raise
            raise UserError("--executor slurm: no SLURM here (srun/sbatch not found); submit from the cluster's "
                            "login node, or pass --submitit-cluster local to run the jobs as local processes "
                            f"({exc})") from None
        token = uuid.uuid4().hex[:12]  # the submission's job name: how the next driver finds its jobs if this
        params = dict(timeout_min=parse_minutes(time), gpus_per_node=gpus, cpus_per_task=cpus,  # one is stopped
                      name=SlurmLedger.job_name(token) if ledger else "plbench",
                      slurm_partition=partition, mem_gb=parse_mem_gb(mem) if mem else None)
        ex.update_parameters(**{k: v for k, v in params.items() if v is not None})
        device = "cuda" if gpus else device_spec
        units = _units(todo, slots, split, store_root, metrics, device, checkpoint, loss_files, logger, cpus,
                       grid=list(configs), stall_s=stall_s, holdouts=_holdouts(data, todo),
                       overlaps=_overlaps(data, todo), own_log=True)
        if ledger:  # before sbatch: a driver stopped between sbatch and record() leaves its runs findable
            ledger.intend(token, units, ids)
        try:
            with _environ(PYTHONPATH=_pythonpath()):
                jobs = ex.map_array(RequeueableUnit(), units)
        except Exception:  # submitit raised: before sbatch, or after it had queued the array (its output not
            if ledger:  # understood, a full disk moving the pickles, a client time-out): the queue settles which
                with contextlib.suppress(Exception):  # (adopt: jobs of that name recorded, none: dropped); where it
                    ledger.adopt(own=token)  # cannot say the submission stays pending, for the next driver (a stop, a
            raise  # KeyboardInterrupt, leaves it pending as well)
        if ledger:
            ledger.record(units, jobs, ids, token)
    log.info("slurm executor (%s): %s submitted (%s), time limit %s per job%s; logs in %s",
             cluster or ex.cluster, plural(len(jobs), "job"), split, _limit_text(parse_minutes(time)),
             " (a bare number is minutes, as sbatch reads it)" if _bare_number(time) else "", folder)
    def result_of(job, unit: WorkUnit, state: str = "") -> dict:
        """``job``'s result; one the driver's sacct read says ended (``state``) that submitit still counts unfinished
        (PREEMPTED) with no result: lost, not waited on (submitit's ``job.result()`` waits until it reads it done)."""
        if state and not job.done():
            return _lost(unit, _no_result(job.job_id, _state_name(state), job.paths.folder))
        try:
            res = job.result()
            if isinstance(res, dict) and (res.get("interrupted") or res.get("user")):  # say which job
                res = {**res, "worker": f"{res.get('worker', '?')} (job {job.job_id})"}
            return res
        except Exception as exc:  # noqa: BLE001 - a job that died (OOM-killed, timeout, node failure)
            return _lost(unit, _job_failure(job.job_id, exc))

    from benchmark.progress import GridProgress, Monitor, log_to_bars
    from benchmark.results import ResultsStore

    # a job saves a checkpoint when stopped even with periodic ones off (RequeueableUnit), and resumes from it
    jobs_policy = (dataclasses.replace(checkpoint, on_stop=True) if cluster != "debug" and checkpoint is not None
                   and not checkpoint.enabled else checkpoint)
    # SLURM runs as many jobs at once as the cluster gives (and submitit's array throttle), not every job submitted (one
    # per run, or N shard jobs of a busy cluster): the ETA divides by the most runs seen in flight at once
    bars = GridProgress(ResultsStore(store_root), configs, None, bar=progress, since=units[0].since if units else None,
                        grid_id=units[0].grid_id if units else "", policy=jobs_policy)
    monitor = Monitor(bars)
    results: dict[int, dict] = {}
    try:
        with log_to_bars(progress):
            if (cluster or "slurm") == "debug":  # submitit's debug jobs run in result(), one after the other
                for i, job in enumerate(jobs):
                    results[i] = result_of(job, units[i])
                    if _stopped(results[i]).get("interrupted"):  # the driver's own Ctrl-C: not the next job
                        raise KeyboardInterrupt
            read, states = float("-inf"), {}  # read at once: its first look at each job too
            ends: dict[str, float] = {}  # job id: when sacct says it ended, as the last read gave it
            odd: dict[str, float] = {}  # job id: when the poll first read it in a state it does not know
            while len(results) < len(jobs):  # the grid's progress line and ETA while the jobs run (hours)
                if (cluster or "slurm") == "slurm" and _time.monotonic() - read >= SLURM_STATE_S:
                    # submitit's shared sacct read is refreshed every 600 s once the jobs are old: a job killed
                    # without a result (OOM, NODE_FAIL) was seen up to ten minutes late (the night's end with it)
                    # a fresh read or none: a job last read PENDING before accounting went down is looked at again
                    ends = {}
                    states = _sacct_states([job for i, job in enumerate(jobs) if i not in results], interrupt=True,
                                           ends=ends)
                    read, wall = _time.monotonic(), _time.time()
                    # from when sacct says it ended, where it says so (a job in that state before this driver saw
                    # it: an earlier driver's, or this one's restarted), else from this driver's first sight
                    odd = {j: min(odd.get(j, read), read - max(0.0, wall - ends[j]) if j in ends else read)
                           for j, st in states.items() if _unknown(st)}
                lost = {j for j, at in odd.items() if _time.monotonic() - at >= SLURM_UNKNOWN_S}
                for i in _finished_jobs(jobs, results, states, lost):
                    job_id = str(jobs[i].job_id)
                    if job_id in lost and not _result_written(jobs[i]):
                        _give_up(jobs[i], states[job_id], ledger, ends.get(job_id))
                    results[i] = result_of(jobs[i], units[i], states.get(job_id, ""))
                monitor.tick()
                if len(results) < len(jobs):
                    _time.sleep(SLURM_POLL_S)
    except KeyboardInterrupt:
        off = (cluster == "debug" and checkpoint is not None and not checkpoint.enabled)  # in this process: no
        # RequeueableUnit saves none on the stop
        try:  # the store read for each run not finished: a second Ctrl-C meanwhile still cancels the jobs
            what = ("checkpoints are off: a run in progress starts again from iteration 0" if off
                    else _cancelled_said([c for i, u in enumerate(units) if i not in results for c in u.configs],
                                         store_root))
        except (Exception, KeyboardInterrupt):  # noqa: BLE001 - the line only
            what = "a run in progress resumes from the checkpoint it saves as it stops, one not begun starts then"
        left = _still_queued(jobs, results)
        log.warning("interrupted: cancelling %s%s; %s", plural(len(left), "job"),
                    f" still queued or running (of {len(jobs)}; the others finished)" if len(left) < len(jobs)
                    else "", what)
        if _cancel(jobs, cluster or "slurm") and ledger:  # they will not run: the same command, run again at once,
            with contextlib.suppress(Exception):  # submits their runs (the controller lists them COMPLETING a while,
                ledger.forget({str(job.job_id) for job in jobs})  # sacct lags)
        raise
    except Exception as exc:  # the driver's own error (a full disk, a store gone bad while it polls, a bug in it)
        left = _still_queued(jobs, results)
        if left and (cluster or "slurm") == "slurm":  # SLURM's jobs outlive their driver (as one logged out), and
            # the ledger keeps the next command from submitting their runs twice: what they train is not thrown away
            log.warning("the driver stopped on an error (%s): %s not finished %s left to SLURM, training into the "
                        "store (the same command does not submit their runs again while they are queued or running; "
                        "`scancel %s` stops them)", first_line(exc), plural(len(left), "job"),
                        agree(len(left), "is", "are"), " ".join(sorted({str(j.job_id).split("_")[0] for j in left})))
        elif left and cluster != "debug":  # submitit's local jobs: this driver's own processes, no ledger to find
            # them by — cancelled as at a Ctrl-C (the debug cluster's run in this process: none runs on)
            log.warning("the driver stopped on an error (%s): cancelling %s (a run in progress resumes from the "
                        "checkpoint it saves as it stops)", first_line(exc), plural(len(left), "job"))
            with contextlib.suppress(Exception):
                _cancel(left, cluster)
        raise
    finally:
        bars.close()
    collected = [results[i] for i in range(len(jobs))]
    return _collect(list(configs), store_root, metrics, collected, "slurm jobs",
                    since=units[0].since if units else None, requeued=any(r.get("requeued") for r in collected),
                    grid_id=units[0].grid_id if units else "")


def _finished_jobs(jobs: list, results: dict, states: dict[str, str], lost: set = frozenset()) -> list[int]:
    """The indices of the submitit ``jobs`` with no result collected (``results``: {index in ``jobs``: result}) that
    have ended, from the driver's own sacct read (``states``, :func:`_sacct_states`, at most :data:`SLURM_STATE_S`
    old): an ended job is done, a pending one is not (no file looked at: most of a big array's jobs, one chmod, stat
    and lookup each on a shared file system every :data:`SLURM_POLL_S` through submitit's ``job.done()``), a started
    one is done once its result file is written, or once the driver gives it up (``lost``: job ids read in a state
    it does not know for :data:`SLURM_UNKNOWN_S`); a job sacct has not said (not SLURM, accounting down or behind):
    submitit's ``job.done()``."""
    done = []
    for i, job in enumerate(jobs):
        if i in results:
            continue
        state = states.get(str(job.job_id))
        if not state:
            finished = job.done()
        elif _pending(state):
            continue
        else:
            finished = _ended(state) or str(job.job_id) in lost or _result_written(job)
        if finished:
            done.append(i)
    return done


def _still_queued(jobs: list, results: dict, fresh: bool = True) -> list:
    """The submitit ``jobs`` a stopped driver leaves queued or running: those with no result collected (``results``:
    {index in ``jobs``: result}) whose state is not an ended one (:data:`SLURM_ENDED`). The state is ``fresh``
    (default) one sacct read of those jobs at the stop (:func:`_sacct_states`) — submitit's shared watcher refreshes
    its cached read only every 10 minutes once the jobs are old, so a job since killed (OUT_OF_MEMORY, NODE_FAIL) or
    finished read as running; where that read gives none (accounting down or behind, not SLURM), the watcher's cached
    read (no sacct call); a job whose result file is written has ended (its result not yet polled), looked at unless
    that read says it is pending. A job whose state cannot be read counts as still queued."""
    left = []
    for i, job in enumerate(jobs):
        if i in results:
            continue
        try:
            state = str(job.watcher.get_state(job.job_id, mode="cache") or "UNKNOWN")
        except Exception:  # noqa: BLE001 - no watcher (another cluster's job) or its cache unreadable: not known ended
            state = "UNKNOWN"
        if not _ended(state):
            left.append((job, state))
    now = _sacct_states([job for job, _ in left]) if fresh else {}
    # a file looked at only where sacct could not say or says the job started (its result may be written before
    # SLURM or its accounting sees it end): never a pending one's, most of a big array's (one NFS stat each)
    return [job for job, state in left if not _ended(now.get(str(job.job_id)) or state)
            and (_pending(now.get(str(job.job_id), "")) or not _result_written(job))]


def _pending(state: str) -> bool:
    """Whether a SLURM job state as sacct writes it is PENDING (the job not started: no result file to look at)."""
    return state.split(" ")[0].upper() == "PENDING"


def _ended(state: str) -> bool:
    """Whether a SLURM job state as sacct writes it (``CANCELLED by 123``, ``RUNNING``, ``NODE_FAIL+``) is an ended
    one (:data:`SLURM_ENDED`)."""
    return _state_name(state) in SLURM_ENDED


def _state_name(state: str) -> str:
    """A SLURM job state as sacct or squeue write it (``CANCELLED by 123``, ``NODE_FAIL+``) → its name
    (``CANCELLED``, ``NODE_FAIL``)."""
    return state.split(" ")[0].rstrip("+").upper()


def _may_run(state: str) -> bool:
    """Whether a SLURM job in ``state`` as sacct or squeue write it may still run: one not ended (:func:`_ended`),
    a state neither :data:`SLURM_ACTIVE` nor :data:`SLURM_ENDED` holds (a newer SLURM's) too — the one rule of the
    stopped driver's count (:func:`_still_queued`) and of the ledger (:meth:`SlurmLedger.active`), so a job the stop
    leaves to SLURM is not submitted again by the next command; ``""`` (not listed) is not."""
    return bool(state.strip()) and not _ended(state)


def _unknown(state: str) -> bool:
    """Whether a SLURM job state as sacct writes it is one the driver does not know (neither :data:`SLURM_ACTIVE`
    nor :data:`SLURM_ENDED`: a newer SLURM's); ``""`` (not listed) is not."""
    return bool(_state_name(state)) and _state_name(state) not in (*SLURM_ACTIVE, *SLURM_ENDED)


def _give_up(job, state: str, ledger, ended: float | None = None) -> None:
    """Give up a SLURM ``job`` sacct has read in ``state``, one the driver does not know (:func:`_unknown`), for
    :data:`SLURM_UNKNOWN_S` with no result (``ended``: since when sacct says it ended, the clock's start where it says
    so over :data:`SLURM_UNKNOWN_S` ago; one ended since, read in that state while it ran, is said as read so): said,
    scancelled (so that it does not run on, where that state is a running one) and dropped from the ``ledger`` (None:
    no ledger), so that the same command submits its runs again — as a job cancelled at a stop, which the stop's count
    (:func:`_still_queued`) and the ledger (:func:`_may_run`) read alike."""
    import datetime

    if ended is not None and _time.time() - ended < SLURM_UNKNOWN_S:  # its clock ran from this driver's first sight
        ended = None
    what = (f"sacct says it ended at {datetime.datetime.fromtimestamp(ended).isoformat(' ', 'seconds')}, in "
            if ended is not None else "sacct has read it ")
    log.warning("job %s: %s%s (a state this driver does not know)%s, with no result: taken as ended, cancelled and "
                "its runs lost (the same command submits them again)", job.job_id, what, _state_name(state),
                f", over {SLURM_UNKNOWN_S / 60:g} min ago" if ended is not None
                else f" for over {SLURM_UNKNOWN_S / 60:g} min")
    with contextlib.suppress(Exception):
        job.cancel(check=False)
    if ledger:
        with contextlib.suppress(Exception):
            ledger.forget({str(job.job_id)})


def _result_written(job) -> bool:
    """Whether a submitit ``job`` has written its result file (it has ended), without asking SLURM."""
    try:
        return job.paths.result_pickle.exists()
    except Exception:  # noqa: BLE001 - no paths (a stand-in job), or its folder unreadable: not known
        return False


def _sacct_time(text) -> float | None:
    """A time as sacct writes it (``End``: ``2026-12-07T10:00:00``, this machine's local time) as seconds since the
    epoch; None where it gives none (``Unknown``, ``None``, blank: a job that has not ended) or it cannot be read."""
    import datetime

    try:
        return datetime.datetime.fromisoformat(str(text or "").strip()).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _sacct_states(jobs: list, interrupt: bool = False, ends: dict | None = None) -> dict[str, str]:
    """The states of submitit's SLURM ``jobs`` from one sacct read of their arrays now ({job id: state}, the ids
    as submitit's ``job_id``), bounded by :data:`SACCT_STOP_S`, kept in their shared watcher's cache; ``{}`` where it
    cannot be read (no SLURM jobs, sacct failing or too slow, a second Ctrl-C meanwhile — raised where ``interrupt``:
    the driver's poll —: the caller keeps the cached read). ``ends``: filled with {job id: when sacct says it ended
    (:func:`_sacct_time` of its ``End``)} of the jobs that give one."""
    import subprocess

    try:
        from submitit import SlurmJob
    except ImportError:
        return {}
    jobs = [job for job in jobs if isinstance(job, SlurmJob)]
    if not jobs:
        return {}
    command = ["sacct", *SACCT_FIELDS]
    for base in sorted({str(job.job_id).split("_")[0] for job in jobs}):
        command += ["-j", base]
    try:
        out = subprocess.run(command, capture_output=True, timeout=SACCT_STOP_S, check=True).stdout
        info = jobs[0].watcher.read_info(out)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the cached read stands in
        if interrupt and isinstance(exc, KeyboardInterrupt):
            raise
        log.debug("sacct: %s (the jobs' states as sacct last read them)", first_line(exc))
        return {}
    try:  # as the watcher's own read: a later look at the cache sees it too (submitit's private cache: a submitit
        jobs[0].watcher._info_dict.update(info)  # without it keeps its own read, this one is returned all the same)
    except Exception as exc:  # noqa: BLE001 - the cache only
        log.debug("submitit's job-state cache not updated (%s)", first_line(exc))
    if ends is not None:
        ends.update({k: t for k, v in info.items() if (t := _sacct_time(v.get("End"))) is not None})
    return {k: str(v.get("State") or "") for k, v in info.items()}


def _cancelled_said(configs: list, store_root) -> str:
    """What the next command does with the runs of the SLURM jobs a stopped driver cancels (``configs``, those of the
    jobs with no result yet): a run in progress (its folder made, not finished) saves a checkpoint as its job stops and
    resumes from it; one not begun (an array task SLURM had not started, a run later in a shard job) has none, and
    starts from iteration 0, as does a failed run the job was to retry (unless its folder holds a checkpoint)."""
    from benchmark.config import run_id
    from benchmark.results import ResultsStore, checkpoints

    store = ResultsStore(store_root)
    begun = not_begun = 0
    for c in dict.fromkeys(configs):
        rid = run_id(c)
        try:
            there = store.run_dir(rid).is_dir()
        except OSError:
            there = False
        status = (store.meta(rid) or {}).get("status") if there else None
        if status in ("ok", "diverged"):
            continue
        if status == "failed":  # an earlier command's failure the job was to retry: from its start, or its checkpoint
            there = bool(checkpoints(store.run_dir(rid)))
        if there:
            begun += 1
        else:
            not_begun += 1
    said = []
    if begun:
        said.append(f"{plural(begun, 'run')} in progress {agree(begun, 'saves a checkpoint', 'save checkpoints')} "
                    f"as {agree(begun, 'its job stops', 'their jobs stop')} and {agree(begun, 'resumes', 'resume')} "
                    "from it when the same command runs again")
    if not_begun:
        said.append(f"{plural(not_begun, 'run')} not begun yet (jobs SLURM had not started, runs later in a job) "
                    f"{agree(not_begun, 'starts', 'start')} from iteration 0 then")
    return "; ".join(said) or "every run of the cancelled jobs is finished"


def _cancel(jobs: list, cluster: str) -> bool:
    """Cancel submitit's ``jobs``: on SLURM one ``scancel`` naming each array (or plain job) once — submitit's
    ``job.cancel`` is one ``scancel`` per task, waited for in turn (minutes for a grid of one job per run, and a
    second Ctrl-C meanwhile left the rest queued); elsewhere, or where that ``scancel`` fails, job by job (each
    ``scancel``'s exit status checked; a job SLURM last read ended, :func:`_still_queued`, left alone). Whether every
    job was cancelled (no error met)."""
    import subprocess

    if cluster == "slurm" and jobs:
        bases = sorted({str(job.job_id).split("_")[0] for job in jobs})
        try:
            subprocess.run(["scancel", *bases], capture_output=True, timeout=120, check=True)
            return True
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("scancel %s failed (%s): cancelling the jobs one by one", " ".join(bases), exc)
    failed, why = [], ""
    for job in _still_queued(jobs, {}, fresh=False):  # one ended as read at the stop: nothing to stop (scancel fails)
        try:  # check=True: submitit's check=False is subprocess.call, whose scancel exiting 1 (the controller down,
            # 'Unable to contact slurm controller') raised nothing, so a job still running read as cancelled
            job.cancel(check=True)
        except Exception as exc:  # noqa: BLE001 - the others are cancelled all the same
            failed.append(str(job.job_id))
            why = why or first_line(exc)
    if failed:  # said: a job not cancelled may train on into the store with no driver (the ledger keeps its runs)
        shown = " ".join(sorted({j.split("_")[0] for j in failed}) if cluster == "slurm" else failed)
        log.warning("could not cancel %s (%s): %s may still be queued or running, training into the store; %s",
                    plural(len(failed), "job"), why, agree(len(failed), "it", "they"),
                    f"`scancel {shown}` stops {agree(len(failed), 'it', 'them')}" if cluster == "slurm"
                    else f"job {shown} ({agree(len(failed), 'its', 'their')} processes) may need ending by hand")
    return not failed


def _job_failure(job_id: str, exc: BaseException) -> str:
    """One line for a SLURM job that gave no result. A job with no output (node failure, time-out with
    no requeue left, killed): its state and log folder; submitit's message goes on with the job's
    stderr, whose last line is whatever the job logged last. A job that raised: the error's last line."""
    import re

    text = str(exc).strip()
    state = re.search(r"has not produced any output \(state: ([^)]*)\)", text)
    if state:
        where = re.search(r"with path (\S+)", text)
        return _no_result(job_id, state.group(1), Path(where.group(1)).parent if where else None)
    return f"job {job_id}: {text.splitlines()[-1] if text else type(exc).__name__}"


def _no_result(job_id: str, state: str, log_dir) -> str:
    """One line for a SLURM job that ended in ``state`` without a result, its logs in ``log_dir`` (None: not known)."""
    return f"job {job_id} ended without a result (state: {state}{f'; its logs: {log_dir}' if log_dir else ''})"


# --------------------------------------------------------------------------------------------
EXECUTE: dict[str, Executor] = {"local": execute_local, "ray": execute_ray, "slurm": execute_slurm}


def executor_options(s) -> dict:
    """A resolved GridSpec's executor settings → keyword arguments of :func:`benchmark.executors.execute`."""
    workers = s.workers
    if workers not in (None, "auto"):
        from benchmark.params import whole_number

        try:
            workers = whole_number(workers)  # `--workers 2e0`: 2, as `workers: 2e0` in a config file
        except ValueError:
            raise UserError(f"{s.named('workers')} must be a number or auto, got {workers!r}") from None
        if workers < 1:
            raise UserError(f"{s.named('workers')} must be at least 1, got {workers}")
        if not workers < 2**63:  # as --iterations 1e19 (benchmark.config.check_numbers)
            raise UserError(f"{s.named('workers')} must be below 2**63, got {workers}")
    if s.workers_per_gpu < 1:
        raise UserError(f"{s.named('workers_per_gpu')} must be at least 1, got {s.workers_per_gpu}")
    opts = dict(workers=workers, workers_per_gpu=s.workers_per_gpu, stall_s=s.stall_timeout)
    if s.executor == "local":
        opts["workers"] = 1 if workers is None else workers
    elif s.executor == "ray":
        opts["ray_address"] = s.ray_address
    elif s.executor == "slurm":  # one job per run unless --workers N asks for N shard jobs
        check_slurm_options(s.slurm_time, s.slurm_mem, s.slurm_cpus, s.submitit_cluster, s.named)  # before planning
        opts.update(cluster=s.submitit_cluster, partition=s.slurm_partition, gpus=s.slurm_gpus,
                    time=s.slurm_time, mem=s.slurm_mem, cpus_per_task=s.slurm_cpus,
                    split="run" if workers in (None, "auto") else "shard")
    else:
        from benchmark.config import check_executor_name

        check_executor_name(s.executor)
    return opts


def execute(name: str, configs: list, store_root, metrics, device_spec: str, **opts):
    """Run ``configs`` with the named executor; a :class:`~benchmark.runner.GridSummary`."""
    if name not in EXECUTE:
        from benchmark.config import check_executor_name

        check_executor_name(name)
    t0 = time.perf_counter()
    summary = EXECUTE[name](list(configs), store_root, tuple(metrics), device_spec, **opts)
    log.debug("%s executor finished in %.1f s", name, time.perf_counter() - t0)
    return summary

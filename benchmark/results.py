"""The results store: one tidy long-format table, appended per run, never rewritten.

Layout under the results directory::

    store.json                       {"store_version": N}: a directory from another layout is refused
    finished.log                     append-only: "+<id>\t<what>" as each run finishes or is merged in, "-<id>" once
                                     a report named its folder gone (ResultsStore.gone)
    metric-digests.json              {metric: {"sha256", "noted"}}: today's file of each metric, as a machine that has
                                     it last hashed it (run, compare, report): a machine without it reads it from here
    runs/<run_id>/meta.json          full config, versions, device, timing, status (written last)
    runs/<run_id>/net.pt             the trained net's state_dict (re-evaluation, figures)
    runs/<run_id>/loss.pt            trainable parts of the loss, when it has any
    runs/<run_id>/eval-<k>.parquet   rows: one per (image, metric) for one evaluation pass
    runs/<run_id>/eval-<k>.json      which metrics that pass scored, skipped (why), could not score on
                                     any image, or scored on only some images (which, why)
    runs/<run_id>/attempts/<n>.json  the meta.json of an earlier attempt that failed (kept on retry)
    runs/<run_id>/attempts/<n>.curve.csv  its curve.csv, where a merge replaced the failed run
    runs/<run_id>/ckpt.pt            mid-training checkpoint (only while a run is unfinished)
    runs/<run_id>/.lock              held (flock) by the process working on the run
    runs/<run_id>/.stalled           its scoring (a finished run's re-score, degraded inputs') hung in C code, its
                                     process ended (runner.stall_mark: scored last)
    .report.lock                     held (flock) by the process writing the report outputs
    .slurm-jobs.json                 the SLURM job each submitted run went to (benchmark.executors.SlurmLedger)
    .slurm-submit.lock               held (flock) by the SLURM driver submitting jobs for this store

What is ever rewritten or deleted: a checkpoint (replaced by the next, deleted when its run is
done); temporary files of interrupted writes; ``meta.json`` of a failed run, which is moved to
``attempts/`` before the retry. Evaluation passes of a run that is not finished (not in the table: a
crashed attempt's, i.e. no ``meta.json`` yet, one saying the attempt failed, or a finished run's whose
``meta.json`` was lost) and files whose origin cannot be proven (passes next to a damaged
``meta.json``) are moved to ``runs/<id>/damaged/<n>/`` before a retry, never deleted. A finished
run's rows and records are never touched again; new metrics add passes.

A run counts as done when ``meta.json`` says ``status: ok`` (or ``diverged``); an evaluation pass
counts when its ``.json`` exists (it is written after its ``.parquet``). A ``meta.json`` is only
trusted when it is complete (:func:`meta_problem`: the ``run_id`` of its folder, a known
``status``, and the task, loss and seed of a trained run); one that does not parse, or parses with
missing or wrong fields, is *damaged*, and both are handled alike: next to results it makes the
run damaged (named by ``check``, left out of every reader, set aside by ``run``), and it is never
deleted or overwritten (:meth:`ResultsStore.reset_run` moves it to ``damaged/``). Every file is written
atomically (temporary file, fsync, rename, fsync of the folder), with SIGINT/SIGTERM held back
until the write is complete — a run's last pass and its ``meta.json`` together (nested
:class:`DeferredInterrupt` blocks) — so a crash leaves either the old state or the new one. Before an
unfinished run is evaluated its stale passes are moved aside (:meth:`ResultsStore.reset_run`), so a
crash between a pass and ``meta.json`` can never produce duplicated rows.

Two processes may share a results directory: :meth:`ResultsStore.lock` gives one of them a run
and tells the other who holds it. The lock is an ``fcntl.flock`` on ``runs/<id>/.lock``, which
the kernel drops when its holder dies (even by SIGKILL), so a stale lock never blocks a run.

:data:`COLUMNS` is the row schema every leaderboard, plot and statistic is derived from.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import logging
import os
import re
import shlex
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

from benchmark.docmarkup import agree, plural
from benchmark.errors import UnknownName, UserError, again, did_you_mean_path, expand_home
from benchmark.faults import crash_point, disk_full_point

log = logging.getLogger(__name__)

#: one row per (run, image, metric)
COLUMNS = {
    "run_id": "string",          # config hash; "input" rows have their own id per task/test set
    "task": "string",
    "task_version": "string",
    "task_params": "string",     # JSON of the task's named parameters
    "loss": "string",            # canonical loss spec, or "input" for the degraded input itself
    "loss_version": "string",    # registry versions of the spec's terms, "l1=1,pdl=2" ("" for input)
    "seed": "Int64",             # <NA> for input rows
    "net": "string",
    "weights": "string",         # full provenance of the loss's learned weights ("none" for pixel losses)
    "weights_kind": "string",    # provenance without per-run seeds ("vgg16:random"): part of the loss identity
    "backbone_seed": "Int64",    # the random backbone's seed (<NA> when the weights are not random)
    "train_data": "string",
    "setting": "string",         # JSON of the run's setting (benchmark.config.setting): one leaderboard per setting
    "dataset": "string",         # test set name
    "image": "string",
    "metric": "string",
    "value": "float64",
    "higher_is_better": "boolean",
    "code_version": "string",
}
STORE_VERSION = 2
#: two scores of one (image, metric) that differ by no more than this (relative; absolute ``SCORE_NOISE_ATOL`` near 0)
#: are one net's, scored by another CPU or GPU (float32's reduction order: ~1e-7, cudnn's choice of algorithm ~1e-6):
#: :meth:`ResultsStore._scored_apart` takes them for one training, a difference in no digit a table prints
SCORE_NOISE_RTOL, SCORE_NOISE_ATOL = 1e-5, 1e-7
#: the signals that stop a run after the write in progress: Ctrl-C, SIGTERM (a scheduler's polite kill) and SIGHUP (the
#: terminal of a foreground command closed, its ssh session dropped: killed outright, it lost up to
#: --checkpoint-seconds of training); each one a process ignores (``nohup``) stays ignored
INTERRUPTS = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())
_UMASK = os.umask(0o022)  # read once (os.umask can only be read by setting it), then put back
os.umask(_UMASK)


# --------------------------------------------------------------------------------------------
# interrupts and atomic writes
# --------------------------------------------------------------------------------------------
class DeferredInterrupt:
    """Hold SIGINT/SIGTERM (and SIGHUP: :data:`INTERRUPTS`) back for the duration of a ``with`` block.

    A signal that arrives inside the block sets :attr:`requested`; on leaving the block
    :class:`KeyboardInterrupt` is raised, so a write in progress always completes. The same
    signal again (a second Ctrl-C) interrupts at once, except ``SIGUSR2`` (a SLURM job's time-out or
    preemption ahead, forwarded by :class:`~benchmark.executors.RequeueableUnit`, whose requeue comes
    after the checkpoint: a second one changes nothing); the other one does not: at walltime SLURM
    sends SIGTERM to every process of a job and a stopping driver passes SIGINT to its workers,
    two signals of one stop that must not cost the checkpoint being written. Blocks nest: a stop that
    comes inside an inner block (one file's atomic write) is handed to the block around it when the
    inner one closes, and the outermost open block raises it as it closes — so a pass's rows, their
    record and the run's ``meta.json`` are written together or not at all; a block opened inside one
    already asked to stop starts asked (the same signal again still stops at once). Outside the main
    thread this does nothing (Python delivers signals to the main thread only), and a signal the
    process ignores (a background job's SIGINT) stays ignored.
    """

    def __init__(self):
        self.requested = False
        self._first: int | None = None  # the signal that requested the stop
        self._saved: dict | None = None
        self._outer: DeferredInterrupt | None = None  # the open block this one is nested in

    def _handler(self, signum, frame):
        requeue = signum == getattr(signal, "SIGUSR2", None)  # a SLURM job's time-out or preemption ahead
        if self.requested:
            if signum == self._first and not requeue:
                raise KeyboardInterrupt
            log.info("%s received %s: still finishing the current step", signal.Signals(signum).name,
                     "again" if signum == self._first else "too")
            return
        self.requested, self._first = True, signum
        log.warning("%s received: finishing the current step first (%s)", signal.Signals(signum).name,
                    "SLURM time-out or preemption ahead: the job is requeued after it" if requeue else
                    "send it again to stop now")

    def __enter__(self) -> "DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():  # an ignored signal stays ignored
            self._saved = {s: signal.signal(s, self._handler) for s in INTERRUPTS
                           if signal.getsignal(s) is not signal.SIG_IGN}
            outer = next((o for h in self._saved.values()
                          if isinstance(o := getattr(h, "__self__", None), DeferredInterrupt) and o._saved is not None),
                         None)
            self._outer = outer
            if outer is not None and outer.requested:  # already asked to stop: a second signal stops at once
                self.requested, self._first = True, outer._first
        return self

    def hand_over(self) -> bool:
        """Take a requested stop over from this block: leaving it no longer raises, the caller stops once
        what it must not lose is written (True when a stop was requested)."""
        asked, self.requested = self.requested, False
        return asked

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self._saved is not None:
            for s, h in self._saved.items():
                signal.signal(s, h)
            self._saved = None
        outer, self._outer = self._outer, None
        if self.requested and outer is not None and outer._saved is not None:
            if not outer.requested:  # the outermost open block stops, once what it holds together is written
                outer.requested, outer._first = True, self._first
            return False
        if self.requested and (exc_type is None or not issubclass(exc_type, KeyboardInterrupt)):
            raise KeyboardInterrupt
        return False


class DiskFull(UserError):
    """No space left (or quota exceeded) while writing a result: one line, exit code 3."""

    exit_code = 3


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | Path, place=None):
    """Yield a temporary path next to ``path``; on success fsync it and rename it over ``path``
    (or hand it to ``place(tmp)``, which puts it where it belongs: :func:`atomic_write_new`).

    For writers that want a file name (``DataFrame.to_csv``, ``Figure.savefig``)::

        with atomic_output(root / "results.csv") as tmp:
            table.to_csv(tmp, index=False)
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    except OSError as exc:
        raise _write_error(path, exc) from None
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; results should be readable like any file
    os.close(fd)
    try:
        with DeferredInterrupt():
            yield Path(tmp)
            disk_full_point(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            crash_point("write")
            if place is None:
                os.replace(tmp, path)
            else:
                place(Path(tmp))
                Path(tmp).unlink(missing_ok=True)
            _fsync_dir(path.parent)
            crash_point("written")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise


class NotWritable(UserError):
    """The results directory stopped being writable mid-way (read-only mount, permissions): one line. ``way``: the
    file that could not be written (in one run's folder, with the store writable: that run's failure)."""

    way: Path | None = None


class InTheWay(UserError):
    """A folder where a file is written (``results.csv/``), or a file where a folder is made: one line. ``way``: what
    is in the way (a run's own file blocked fails that run, not its grid: :func:`blocks`)."""

    way: Path | None = None


def blocks(exc: BaseException, folder: Path) -> bool:
    """Whether ``exc`` is an :class:`InTheWay` whose obstacle is ``folder`` or inside it, or a :class:`NotWritable`
    of a file there (one run's folder: that run's failure, not the grid's, while the store itself is writable)."""
    way = getattr(exc, "way", None) if isinstance(exc, (InTheWay, NotWritable)) else None
    return way is not None and (way == folder or folder in way.parents)


def _in_the_way(path: Path) -> Path | None:
    """What stands where ``path`` (a file to write) or one of its folders must go: ``path`` itself when it is a
    folder, else the nearest of its parents that is there and is not a folder, or is a link to nothing (``runs/<id>``
    linked to a disk not mounted); None when nothing is."""
    if path.is_dir() and not path.is_symlink():
        return path
    return next((q for q in path.parents if (q.exists() and not q.is_dir()) or _dangling(q)), None)


def _run_folder(linked: str) -> str:
    """How a message names the folder a run's link points to (:meth:`ResultsStore.links`): ``runs/<id>`` in this
    store, its path elsewhere."""
    return linked if "/" in linked or os.sep in linked else f"runs/{linked}"


def _dangling(path: Path) -> bool:
    """Whether ``path`` is a symlink whose target is not there (a folder moved to a disk not mounted now)."""
    return path.is_symlink() and not path.exists()


def _write_error(path: Path, exc: OSError) -> OSError | UserError:
    """What a failed write of ``path`` raises: one line for a full disk (:class:`DiskFull`), a
    directory that cannot be written to (:class:`NotWritable`) or a folder or file in the way
    (:class:`InTheWay`), else the error itself. The line is its cause (:func:`write_cause`), then the store's advice
    on results written before."""
    def failed(kind, cause: str, advice: str) -> UserError:
        err = kind(f"{cause}; {advice}")
        err.cause = cause
        return err

    if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.EEXIST) and (way := _in_the_way(Path(path))) is not None:
        if _dangling(way):  # nothing written through or over it: its folder, and results, may come back
            err = failed(InTheWay, f"cannot write {path}: {way} is a link to {os.readlink(way)}, which is not there (a "
                                   "disk not mounted, a folder moved?)",
                         "nothing was written, results written before are intact: mount or restore it (or remove the "
                         f"link to train it again here) and run {again()} again")
        else:
            err = failed(InTheWay, f"cannot write {path}: {way} is a {'folder' if way.is_dir() else 'file'} in the way",
                         f"nothing half-written was left, results written before are intact: move it aside and run "
                         f"{again()} again")
        err.way = way
        return err
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return failed(DiskFull, f"disk full while writing {path} ({exc.strerror})",
                      f"nothing half-written was left, results written before are intact: free space and run {again()} "
                      "again to resume")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        err = failed(NotWritable, f"cannot write {path} ({exc.strerror})",
                     "nothing half-written was left, results written before are intact: make the folder writable and "
                     f"run {again()} again to resume")
        err.way = Path(path)
        return err
    return exc


def write_cause(exc: BaseException) -> str:
    """A failed write's cause alone (:func:`_write_error`'s one line without the store's advice on results written
    before and the command to run again): for a file that is no result, a cache's (``steptimes.json``), or a line
    that gives advice of its own (:func:`_not_put_back`); the error's text where it is no such line."""
    return getattr(exc, "cause", "") or str(exc)


def _not_put_back(path: Path, exc: OSError, stuck: list[tuple[Path, Path, OSError]]) -> OSError | UserError:
    """What a failed move of ``path`` raises (:func:`_write_error`) when moving back the files moved before it
    failed too (``stuck``: where each is, where it belongs, the error putting it back): the same one line, now
    naming every file left where it is and where it belongs, for the user to move back by hand."""
    err = _write_error(path, exc)
    if not stuck:
        return err
    kind = type(err) if isinstance(err, UserError) else UserError
    first = write_cause(err) if isinstance(err, UserError) else f"cannot write {path} ({exc.strerror or exc})"
    why = stuck[0][2].strerror or type(stuck[0][2]).__name__
    homes = {b.parent for _, b, _ in stuck}
    if len(homes) == 1 and all(a.name == b.name for a, b, _ in stuck):
        where = ", ".join(str(a) for a, _, _ in stuck)
        move = f"move {agree(len(stuck), 'it', 'them')} back into {homes.pop()}"
    else:
        where, move = "; ".join(f"{a} (move it to {b})" for a, b, _ in stuck), "move each back as named"
    fixes = {"free space, " if e.errno in (errno.ENOSPC, errno.EDQUOT) else
             "make the store writable, " if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else ""
             for e in (exc, *(e for _, _, e in stuck))}  # what stopped the move, and the put-back: both to fix
    fix = "".join(f for f in ("free space, ", "make the store writable, ") if f in fixes)
    what = agree(len(stuck), "the file moved before it was", f"the {len(stuck)} files moved before it were")
    return kind(f"{first}; {what} not put back ({why}): {where}; nothing is lost (results written before are "
                f"intact): {fix}{move}, then run {again()} again")


def disk_full(exc: BaseException) -> DiskFull | None:
    """The one-line :class:`DiskFull` of an error that is, or was raised while handling, no space left or
    quota exceeded; None for any other. For writes outside :func:`atomic_output` (a run's live
    ``curve.csv``, TensorBoard's event files): a full disk is the machine's state, never a run's failure."""
    for _ in range(5):
        if exc is None:
            break
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return _write_error(Path(exc.filename or "a file"), exc)
        exc = exc.__cause__ or exc.__context__
    return None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over ``path``."""
    with atomic_output(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


def link_to_free_name(src: Path, name_for) -> tuple[Path, bool]:
    """Hard-link the file ``src`` to the first free ``name_for(n)`` (n = 1, 2, …): a link never replaces a file, so
    two processes never take one name. Where the file system has no hard links, ``src`` is renamed to a name that
    was free a moment before. Returns ``(path, moved)``: ``moved`` where ``src`` was renamed (else it is still
    there, for the caller to remove)."""
    n = 1
    while True:
        dest = name_for(n)
        try:
            os.link(src, dest, follow_symlinks=False)
            return dest, False
        except FileExistsError:
            n += 1
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if dest.exists() or dest.is_symlink():
                n += 1
                continue
            os.replace(src, dest)
            return dest, True


def grid_stamp(when: float | None = None) -> str:
    """The name of a saved grid (``grids/<stamp>.yaml``): its start time in UTC, ``20261206-150500Z`` — not the
    machine's own time zone, so the grids of nodes in several zones sharing a store (or of a laptop that travelled)
    are named in the order they started (:func:`grid_order`)."""
    return time.strftime("%Y%m%d-%H%M%SZ", time.gmtime(time.time() if when is None else when))


def grid_order(path: Path) -> tuple:
    """The sort key of a saved grid, oldest first: its time in UTC, then the number :func:`atomic_write_new` gives a
    second grid of the same second (``-2`` after none, ``-10`` after ``-9``); another name sorts by itself. A name
    before :func:`grid_stamp` (no ``Z``) is in the local time of the machine that wrote it: read in this machine's,
    its likeliest writer, so the grids of a store's last days before and after the change sort as they ran."""
    m = re.fullmatch(r"(\d{8}-\d{6})(Z?)(?:-(\d+))?", Path(path).stem)
    if not m:
        return (Path(path).stem, 0)
    stamp = m.group(1)
    if not m.group(2):
        with contextlib.suppress(ValueError, OverflowError):  # not a date (a name of the user's): as it is
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.mktime(time.strptime(stamp, "%Y%m%d-%H%M%S"))))
    return (stamp, int(m.group(3) or 1))


def atomic_write_new(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` atomically to a file of ``folder`` that no other writer takes: ``<stem><suffix>``,
    else ``<stem>-2<suffix>``, ``-3``, … — for records two processes may name alike (the grids of two
    ``plbench run`` started in the same second). The complete, fsynced temporary file is hard-linked
    to the first free name (a link never replaces a file, so two writers cannot take one name);
    where the file system has no hard links it is renamed to a name that was free a moment before.
    Returns the path written."""
    folder = Path(folder)
    written: list[Path] = []

    def place(tmp: Path) -> None:
        written.append(link_to_free_name(tmp, lambda n: folder / (f"{stem}{suffix}" if n == 1
                                                                   else f"{stem}-{n}{suffix}"))[0])

    with atomic_output(folder / f"{stem}{suffix}", place=place) as tmp, open(tmp, "wb") as f:
        f.write(data)
    return written[0]


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


def read_json(path: Path):
    """A store's JSON record (``meta.json``, ``eval-*.json``, ``store.json``, attempts) as UTF-8 whatever the
    locale, with or without the BOM an editor adds on saving it (line ends are JSON whitespace either way).
    Raises ``OSError``, ``UnicodeDecodeError`` or ``json.JSONDecodeError`` (both ``ValueError``s)."""
    return json.loads(path.read_bytes().decode("utf-8-sig"))


def _as_written(path: Path, data: bytes, meta: dict | None) -> None:
    """A saved state (``net.pt``, ``loss.pt``) copied to ``path`` by a merge gets the modification time its run
    recorded when it was written (``state_stat``), so ``check`` takes it as intact unread
    (:meth:`ResultsStore.state_damage`, quick) — only when the copied bytes match the recorded sha256: a copy
    that does not keeps its own time, and is hashed and named."""
    if not isinstance(meta, dict) or not isinstance(meta.get("state_sha256"), dict) \
            or not isinstance(meta.get("state_stat"), dict):
        return
    want, stamp = meta["state_sha256"].get(path.name), meta["state_stat"].get(path.name)
    if not (isinstance(stamp, list) and len(stamp) == 2 and stamp[0] == len(data) and isinstance(stamp[1], int)):
        return
    if want is not None and _sha256(data) == want:
        with contextlib.suppress(OSError):  # its time only: without it, check reads the file
            os.utime(path, ns=(stamp[1], stamp[1]))


_RUN_ID = re.compile(r"[0-9a-f]{16}|input-[0-9a-f]{12}")  # config.run_id, runner's input scoring
#: a run folder's copy beside it, named by the user: the run id, then anything but more hex digits alone
#: (``<id>.bak``, ``<id>-old``, ``<id> copy``, ``<id>bak``, ``<id>copy2``): no run (:meth:`ResultsStore.copies`);
#: the id then hex digits alone (``<id>2``, :data:`_RUN_HEX_TAIL`) is a copy where its meta.json names that run
_RUN_COPY = re.compile(rf"({_RUN_ID.pattern})(?![0-9a-f]+\Z).+", re.S)
#: a run id then hex digits alone (``<id>2``, ``<id>0``): a copy of the run (``cp -a runs/<id> runs/<id>2``) when its
#: meta.json names that run, as a copy's does; a run of its own (a test's) when it names the folder itself
_RUN_HEX_TAIL = re.compile(rf"({_RUN_ID.pattern})[0-9a-f]+")


#: what a run's folder holds besides its ``eval-*`` passes (:func:`_is_stray`: a folder with none is no run)
_RUN_FILES = frozenset({"meta.json", "net.pt", "loss.pt", "ckpt.pt", "curve.csv", "tb", "attempts", "damaged",
                        ".lock"})


def _metric_plugins() -> bool:
    """Do installed packages declare metrics (``plbench.metrics`` entry points; asked once per process)?"""
    from benchmark.registry import _plugins

    return _plugins("plbench.metrics", tuple(sys.path))


def current_digests(metrics, store: "ResultsStore | None" = None, why: dict | None = None) -> dict[str, str]:
    """{metric: SHA-256 of its file now} of ``metrics`` whose weights are a file the user can replace
    (:func:`benchmark.metrics.weights_digest`: ``contrique_fr@<checkpoint>``, a learned metric's cached weights); a
    file no longer there, or one that cannot be read, or a metric this code cannot open, is left out (nothing to
    compare). A metric whose code changed its numbers (:data:`benchmark.metric_code.CODE_VERSIONS`: mad, no file) is
    its code's marker, read without importing torch. The one map of every process: the runner's (which runs are
    complete, which to re-score), compare's and every table's, so none tells stale scores another way; where a run must
    score such a metric, opening it (:class:`benchmark.metrics.MetricSet`) names a checkpoint not there, or skips a
    file it cannot read, with why. ``store``: the files hashed are noted there as today's
    (:meth:`ResultsStore.note_digests`), for a machine without them to read. ``why``: filled with {metric: why its
    file cannot be hashed} of those left out that are there but cannot be read (another user's 0600 file)."""
    from benchmark.metric_code import OFFLINE_OK, READS_NO_FILE, REGISTERED, code_digest

    out = {m: d for m in sorted(metrics) if (d := code_digest(m))}
    # pyiqa's metrics that read no file and have no tag (psnr) have no digest: known without importing the metrics, and
    # torch with them (`plbench findings` on a store of psnr scores imported torch for it), where no plugin may have
    # registered a metric of that name; the harness's own (psnr_y@shave4: by its name before '@'), whose names no
    # plugin may take, marked where each is registered
    plugins = _metric_plugins()
    fileless = () if plugins else OFFLINE_OK
    rest = sorted(m for m in dict.fromkeys(metrics) if m not in out and m not in fileless
                  and m.partition("@")[0] not in READS_NO_FILE)
    if not rest:
        return out
    from benchmark.metric_code import with_code
    from benchmark.registry import METRICS
    from benchmark.weights import METRIC_WEIGHTS, pyiqa_files_digest, remembered_metrics

    # pyiqa's metrics that read a file (lpips, dists, niqe, musiq; those whose files were kept as they were opened)
    # are hashed without the metrics, and torch with them (`plbench findings` on lpips scores imported torch to hash
    # its two files), where no plugin may have registered a metric of that name: as weights_digest hashes them
    pyiqa_files = set() if plugins else {*METRIC_WEIGHTS, *remembered_metrics()}
    if not plugins and "benchmark.metrics" not in sys.modules:  # (once imported, weights_digest costs nothing)
        # any other pyiqa metric (a name neither the harness registers — REGISTERED, read from its source — nor this
        # process) was never opened here (brisque): no file known, its digest "" — known without importing the metrics
        # and torch to learn it
        rest = [m for m in rest if m in pyiqa_files or m.partition("@")[0] in REGISTERED
                or METRICS.holds(m.partition("@")[0])]
    hashed = {}
    for m in rest:
        try:
            if m in pyiqa_files:
                digest = with_code(m, pyiqa_files_digest(m))
            else:
                from benchmark.metrics import weights_digest

                digest = weights_digest(m)
            if digest:
                hashed[m] = digest
        except (UserError, OSError) as exc:
            if why is not None:
                why[m] = (f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror
                          and exc.filename else str(exc))
            continue
    if store is not None and hashed:
        store.note_digests(hashed)
    return {**out, **hashed}


def stale_lines(store: "ResultsStore", run_ids=None) -> dict[str, str]:
    """{metric: the line saying in how many runs its scores of another file than today's were left out of its column}
    of the last :meth:`ResultsStore.table` (:attr:`~ResultsStore.stale_left`: where other runs have scores of today's
    file), counted over ``run_ids`` (a board's, a comparison's setting's) when given, else over the store."""
    from benchmark.metric_code import scored_with, tagged

    lines = {}
    for m, left in store.stale_left.items():
        rids = [r for r in left["stale"] if run_ids is None or r in run_ids]
        n = len([r for r in left["scored"] if run_ids is None or r in run_ids])
        if tagged(m) and rids:
            lines[m] = (f"`{m}` scored {scored_with(m)} in {len(rids)} of {plural(n, 'run')} (degraded-input scoring "
                        f"included), not re-scored since: those scores are left out of its column; "
                        f"{_rescorable(store, rids)}")
        elif rids:
            is_here, noted = left.get("here", True), "noted" in left
            when = left.get("noted") if noted else left.get("when")  # where a file stands for today's (not here)
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when)) if isinstance(when, (int, float)) else ""
            today = (f"today's (sha256 {left['sha256'][:8]}…)" if is_here else
                     f"today's as noted where the file was (sha256 {left['sha256'][:8]}…, noted {when or 'undated'})"
                     if noted else
                     f"its newest scoring's (sha256 {left['sha256'][:8]}…{', scored ' + when if when else ''})")
            missing = (f"today's file is here but cannot be read ({left['unreadable']})" if left.get("unreadable")
                       else "today's file is not here to hash")
            stand = ("" if is_here else f"; {missing}, so {DIGESTS_FILE}'s note stands for it" if noted else
                     f"; {missing}, so the newest scoring's file stands for it (a report on a machine with today's "
                     "file keeps the scores of that file instead)")
            here = [r for r in left["scored"] if run_ids is None or r in run_ids]
            runs, fresh = [r for r in here if not r.startswith("input-")], [r for r in here if r not in rids]
            alone = ("; no run of a loss keeps a score in its column (today's file scored "
                     + ("only the degraded input here)" if fresh else "only runs of another setting)")
                     if runs and set(runs) <= set(rids) else "")  # a column that ranks nothing: said so
            lines[m] = (f"`{m}` scored {scored_with(m, today)} in {len(rids)} of {plural(n, 'run')} (degraded-input "
                        f"scoring included), not re-scored with it: those scores are left out of its column{alone}; "
                        f"{_rescorable(store, rids)}{stand}")
    return lines


def _rescorable(store: "ResultsStore", rids: list[str]) -> str:
    """What re-scores the runs ``rids`` (:func:`stale_lines`): the same ``plbench run`` those with a saved net (a
    merged run, a rerun stopped part-way) or none (the degraded input's scoring), nothing those whose net.pt is gone."""
    gone = [r for r in rids if not r.startswith("input-") and not (store.run_dir(r) / "net.pt").is_file()]
    can = len(rids) - len(gone)
    return "; ".join(
        ([f"the same `plbench run` re-scores {agree(len(rids), 'it', 'them' if not gone else f'{can} of them')}"]
         if can else [])
        + ([f"{len(gone)} {agree(len(gone), 'has', 'have')} no net.pt to score (runs/{gone[0]}"
            f"{agree(len(gone), '', ', the first')}: put it back, or move the run aside to retrain it)"] if gone
           else []))


#: the names Windows keeps for devices, with any extension (``aux.md``, ``nul.v2.png``): no file can have them there
_WINDOWS_DEVICE = re.compile(r"con|prn|aux|nul|com[0-9]|lpt[0-9]", re.I)


#: (prefix, suffix) of :meth:`ResultsStore.store_now`'s file in the store's root: a process killed while it is there
#: leaves it, which :meth:`ResultsStore.leftover_temp_files` finds (``check`` names it, ``--repair`` removes it)
CLOCK_PROBE = (".clock.", ".probe")


def paths_not_here(grid: Path) -> list[str]:
    """The absolute local paths a saved grid (``grids/<time>.yaml``: its data, loss files and backbone weights,
    recorded absolute by :meth:`benchmark.config.GridSpec.with_absolute_paths`) names that are not on this machine
    — a node's ``/scratch/...`` merged into a head node's store: the grid replays only where they are (the same images
    at another path are another setting, their runs trained again). Each as the grid writes it (a ``:test`` split
    kept); none where the file is no grid, or cannot be read."""
    import yaml

    from benchmark.data import DataSpec, _split_source  # SOURCE[@REV][:SPLIT][#COLUMN], as the grid was written with it

    try:
        spec = yaml.safe_load(grid.read_bytes())
    except (OSError, yaml.YAMLError):
        return []
    out = []
    for key in ("train_data", "test_data", "loss_files", "backbone_weights") if isinstance(spec, dict) else ():
        for token in spec.get(key) if isinstance(spec.get(key), list) else [spec.get(key)]:
            if not isinstance(token, str) or not os.path.isabs(os.path.expanduser(token)):
                continue  # a hub id, an embedded source, none
            path = _split_source(token)[0]
            if key in ("train_data", "test_data"):  # its [holdout=P%] and [max_images=N] read as DataSpec reads them
                with contextlib.suppress(UserError, ValueError):  # (they were part of the folder's name: not here)
                    path = DataSpec.parse(token, role=key.removesuffix("_data")).source
            if not os.path.exists(os.path.expanduser(path)) and token not in out:
                out.append(token)
    return out


def device_safe(stem: str) -> str:
    """``stem`` in a name Windows takes as a file's: one that is a device's, whatever follows its first dot (``aux``,
    ``nul.v2``: :data:`_WINDOWS_DEVICE`), with that dot made ``_`` (``nul_v2``), or ``_`` added where it has none
    (``aux_``); any other as it is. The rule of :func:`file_name` and of :func:`benchmark.compare._keep_aside`."""
    if not _WINDOWS_DEVICE.fullmatch(stem.partition(".")[0]):
        return stem
    return stem.replace(".", "_", 1) if "." in stem else f"{stem}_"


def file_name(name: str, default: str, width: int = 80, sep: str = "-") -> str:
    """``name`` in a file name of at most ``width`` characters (a compared spec's ``compare/<this>.md``, a task's
    ``figures/metrics_<this>.png``): the name itself where it is lower-case letters, digits and ``_.-``, neither
    starts nor ends with ``_``, fits and does not end in ``-<digits>`` (a figure's numbered part: ``metrics_sr-2`` is
    part 2 of ``metrics_sr``); else its such characters (``default`` where none), cut to fit, then ``sep`` and 8 hex
    digits of the name's SHA-256, so two names that differ only in what is replaced or cut never write one file, and
    ``L1`` beside ``l1`` are two files on a case-insensitive disk (macOS, Windows) too; so is a name that Windows
    (an SMB share, a FAT disk) refuses as a file: a device's (``aux``, ``nul.v2``: :data:`_WINDOWS_DEVICE`) or one
    ending in a dot, which it drops. The one naming rule of :func:`benchmark.report.task_file_name` and
    :func:`benchmark.compare._safe`."""
    import hashlib

    if len(name) <= width and re.fullmatch(r"[a-z0-9.-][a-z0-9_.-]*", name) and not name.endswith(("_", ".")) \
            and not re.search(r"-[0-9]+$", name) and device_safe(name) == name:
        return name
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:width - 9].rstrip("_") or default
    # `aux.v2-<hash>` is the device too: `aux_v2-<hash>` (`aux-<hash>` is none)
    return device_safe(f"{safe}{sep}{hashlib.sha256(name.encode()).hexdigest()[:8]}")


def copy_of(name: str, folder: Path | None = None) -> str | None:
    """The run id a folder of ``runs/`` named as a copy of a run (:data:`_RUN_COPY`, :data:`_RUN_HEX_TAIL`) would
    copy, or — its name no run id, ``folder`` given — the run its record names (``cp -a runs/<id> runs/best``:
    :func:`_recorded_id`); else None (:meth:`ResultsStore.copies` says which are)."""
    if m := _RUN_COPY.fullmatch(name) or _RUN_HEX_TAIL.fullmatch(name):
        return m.group(1)
    return (_recorded_id(folder) or None) if folder is not None and not _RUN_ID.fullmatch(name) else None


def _recorded_id(folder: Path) -> str:
    """The run id the ``meta.json`` in ``folder`` records (its first MB read), or "" where it has none shaped as a run
    id (:data:`_RUN_ID`), or no readable record: a run is known by its own id, whatever its folder is called."""
    try:
        with open(folder / "meta.json", "rb") as f:
            meta = json.loads(f.read(1 << 20))
    except (OSError, ValueError):  # no record, or an unreadable one
        return ""
    rid = meta.get("run_id") if isinstance(meta, dict) else None
    return rid if isinstance(rid, str) and _RUN_ID.fullmatch(rid) else ""


def _is_stray(folder: Path) -> bool:
    """Whether a folder of ``runs/`` is the user's own, no run (``runs/old/``, ``runs/notes/``): a name that is no run
    id (:data:`_RUN_ID`) and none of a run's files in it (``meta.json``, ``eval-*``, a saved net or checkpoint,
    ``curve.csv``, ``attempts/``, ``damaged/``, a lock: :data:`_RUN_FILES`). A run's files under any name: a run."""
    if _RUN_ID.fullmatch(folder.name):
        return False
    try:
        return not any(p.name in _RUN_FILES or p.name.startswith("eval-") for p in folder.iterdir())
    except OSError:  # gone meanwhile, or unreadable: not taken for the user's
        return False


def _is_copy(folder: Path) -> bool:
    """Whether a folder of ``runs/`` is a user's copy of a run, no run: named the run id then anything but hex digits
    alone (:data:`_RUN_COPY`), or the id then hex digits (``<id>2``) holding that run's meta.json
    (:data:`_RUN_HEX_TAIL`: a run of its own under such a name records its own id), or named no run id and holding
    the record of a run (``cp -a runs/<id> runs/best``: that run's copy, whose files ``check --repair`` set aside as
    the damage of a run 'best', and which every report named damaged)."""
    if _RUN_COPY.fullmatch(folder.name):
        return True
    if m := _RUN_HEX_TAIL.fullmatch(folder.name):
        return _recorded_id(folder) == m.group(1)
    if _RUN_ID.fullmatch(folder.name):  # a run's own name: a record naming another is its damage (check names it)
        return False
    return bool(_recorded_id(folder))  # a run id in the record of a folder not named so: another run's


#: the names of a run's checkpoints, as the runner writes them: ``ckpt.pt``, a half-batch retry's ``ckpt-b<n>.pt``
_CHECKPOINT = re.compile(r"ckpt(?:-b[0-9]+)?\.pt")


def _is_checkpoint(p: Path) -> bool:
    """A run's mid-training checkpoint (:data:`_CHECKPOINT`: ``ckpt.pt``, a half-batch retry's ``ckpt-b<n>.pt``):
    deleted once the run is finished; one left in a finished run's folder (a run stopped right after its record) is
    never read. Any other name (a user's copy, ``ckpt-old.pt``) is no checkpoint: nothing resumes from it or deletes
    it. The one test of the runner (:func:`benchmark.runner._drop_checkpoints`), the executors' count of runs that
    resume and ``check``."""
    return _CHECKPOINT.fullmatch(p.name) is not None


def checkpoints(folder: Path) -> list[Path]:
    """The checkpoints (:func:`_is_checkpoint`, files) in run folder ``folder``; none where it cannot be listed."""
    try:
        return sorted(p for p in folder.iterdir() if _is_checkpoint(p) and p.is_file())
    except OSError:
        return []


def _ckpt_pt_first(p: Path) -> tuple[bool, str]:
    """Sort key of a run's checkpoints (:func:`checkpoints`): its ``ckpt.pt`` first, then a half-batch retry's
    ``ckpt-b<n>.pt`` by name."""
    return p.name != "ckpt.pt", p.name


#: the names of a run's evaluation passes, as :meth:`ResultsStore.write_eval` writes them: ``eval-<k>.parquet`` (its
#: rows) and ``eval-<k>.json`` (its record), k = 0, 1, … Any other ``eval-*`` name — a Finder duplicate
#: (``eval-0 2.json``), a sync tool's conflict copy (``eval-0 (conflicted copy).parquet``), ``eval-0.json.bak`` — is
#: no pass: never read, written over or deleted (:func:`stray_passes`: check names it, --repair sets it aside)
_PASS = re.compile(r"eval-(0|[1-9][0-9]*)\.(json|parquet)")


def _pass_index(p: Path) -> int:
    """``eval-<k>.json`` → k (passes in the order they were written; a name that is no pass, :data:`_PASS`, last)."""
    m = _PASS.fullmatch(p.name)
    return int(m.group(1)) if m else 1 << 30


def pass_files(d: Path, suffix: str = "") -> list[Path]:
    """Run folder ``d``'s evaluation pass files (:data:`_PASS`), oldest pass first; with ``suffix`` (``".json"``:
    the records, ``".parquet"``: the rows) those only. None where ``d`` is not there or cannot be listed. The one
    reader of a run's passes: a stray copy (:func:`stray_passes`) is never taken for one."""
    try:
        found = [p for p in d.glob("eval-*") if _PASS.fullmatch(p.name) and (not suffix or p.suffix == suffix)]
    except OSError:
        return []
    return sorted(found, key=lambda p: (_pass_index(p), p.suffix))


def stray_passes(d: Path) -> list[Path]:
    """The files of run folder ``d`` named like a pass but none (``eval-*`` not :data:`_PASS`: ``eval-0 2.json``, a
    sync tool's conflict copy): read by nothing; none where ``d`` cannot be listed."""
    try:
        return sorted(p for p in d.glob("eval-*") if not _PASS.fullmatch(p.name))
    except OSError:
        return []


def _foreign(ckpt: Path, rid: str, state: dict | None = None) -> str:
    """Why run ``rid`` cannot resume from its checkpoint ``ckpt`` of a readable record: it was written for another run
    (:func:`benchmark.ckptrecord.written_for_run`), which the run ignores ('written for another configuration');
    "" where it is the run's own, or whose it is is not known. ``state``: its record as the caller read it (read here
    when None)."""
    from benchmark.ckptrecord import written_for_run

    if (other := written_for_run(ckpt, state)) is None or other == rid:
        return ""
    return (f"was written for run {other}, not this one (a file copied from that run's folder, or this run's loss "
            "file, task or net changed since it stopped)")


def not_resumed(ckpt: Path, rid: str) -> str:
    """Why run ``rid`` does not resume from its checkpoint ``ckpt`` but trains from iteration 0 again: it reads not
    (:func:`benchmark.ckptrecord.unusable`: empty, cut short, another format) or was written for another run
    (:func:`_foreign`); "" where the run restores it. The one rule of ``plbench check``
    (:meth:`ResultsStore.unusable_checkpoints`) and of the lost-workers line
    (:func:`benchmark.executors._checkpoint_counts`)."""
    from benchmark.ckptrecord import unusable

    return unusable(ckpt) or _foreign(ckpt, rid)


def first_checkpoint(names: list[Path]) -> Path:
    """The checkpoint of ``names`` (a run's, :func:`checkpoints`) a run restores first: its ``ckpt.pt``, else a
    half-batch retry's first ``ckpt-b<n>.pt`` (:meth:`ResultsStore.stopped_with_checkpoint`'s choice)."""
    return min(names, key=_ckpt_pt_first)


def _drop_uncommitted(d: Path) -> None:
    """Delete run folder ``d``'s rows written after its last committed pass without their record (``eval-<k>.parquet``
    past the last ``eval-<j>.json``: a write killed between the two): never in a table, nothing lost. Rows before it
    whose record is gone (lost by a copy, deleted) are kept: a finished run's results, which ``check`` names and
    :meth:`ResultsStore.reset_run` moves aside. The one rule of :meth:`ResultsStore.write_eval` and
    :meth:`ResultsStore._passes_to_keep`."""
    last = max((_pass_index(p) for p in pass_files(d, ".json")), default=-1)
    for rows in pass_files(d, ".parquet"):
        if not rows.with_suffix(".json").exists() and _pass_index(rows) > last:
            rows.unlink(missing_ok=True)


def _is_pass_record(p: Path) -> bool:
    """``eval-<k>.json``: an evaluation pass's record, written (and copied) after its rows."""
    return _PASS.fullmatch(p.name) is not None and p.suffix == ".json"


def _sets_aside_own(damaged: Path) -> bool:
    """Whether a run's ``damaged/`` holds a file of the run's own set aside (a repair's, a merge's, a retry's): not
    only copies of passes (:func:`stray_passes`: a conflict copy ``check --repair`` set aside is none of its results,
    so a finished run holding nothing else is gone still). One empty, or that cannot be listed: taken as its own."""
    try:
        names = [p.name for a in damaged.iterdir() for p in (a.iterdir() if a.is_dir() else [a])]
    except OSError:
        return True
    return not names or any(not n.startswith("eval-") or _PASS.fullmatch(n) for n in names)


def _is_rows_set_aside(p: Path) -> bool:
    """A file of rows under ``damaged/<n>/``: an evaluation pass's (``eval-<k>.parquet``, :data:`_PASS`) or a copy
    of one that ``check --repair`` set aside there (``eval-0 (conflicted copy).parquet``, :func:`stray_passes`)."""
    return re.fullmatch(r"eval-[0-9]+.*\.parquet", p.name) is not None


def _recorded_digest(rec: dict, metric: str) -> str:
    """The SHA-256 (or, for a pass written before ``metric_sha256`` was recorded, the 8-digit prefix its provenance
    names: ``…sha256=1a2b3c4d)…``) of the file ``metric``'s scores in the pass record ``rec`` were made with; ""
    when it names none, :data:`~benchmark.metric_code.UNMARKED` when the metric's code changed its numbers since
    (:data:`~benchmark.metric_code.CODE_VERSIONS`: mad scored before its fix; never today's)."""
    from benchmark.metric_code import UNMARKED, tagged

    if digest := (rec.get("metric_sha256") or {}).get(metric):
        return str(digest)
    found = re.search(r"sha256=([0-9a-f]{8,64})", str((rec.get("metric_weights") or {}).get(metric, "")))
    return found.group(1) if found else UNMARKED if tagged(metric) else ""


def _latest_digests(records, metrics=None) -> dict[str, str]:
    """{metric: :func:`_recorded_digest` in the latest of the pass records ``records`` (in order) that scored it},
    for every metric scored, or those of ``metrics``."""
    latest: dict[str, str] = {}
    for rec in records:
        for m in rec.get("scored", []):
            if metrics is None or m in metrics:
                latest[m] = _recorded_digest(rec, m)
    return latest


def _superseded(records: list[dict]) -> list[set[str]]:
    """Per pass record (in order): the metrics whose rows there were made with another file than the latest pass that
    scored them (a checkpoint replaced in place, then re-scored: :meth:`ResultsStore.stale_metrics`), left out of
    the table so one run's column never holds two files' scores."""
    if len(records) < 2:  # one pass (most runs): nothing to supersede
        return [set() for _ in records]
    latest = _latest_digests(records)
    out = []
    for rec in records:
        out.append({m for m in rec.get("scored", []) if (d := _recorded_digest(rec, m)) and latest.get(m)
                    and not (d.startswith(latest[m]) or latest[m].startswith(d))})
    return out


def _without_metrics(frame, metrics: set[str]):
    """A pass's rows (a DataFrame or a pyarrow Table) without those of ``metrics``."""
    if not metrics:
        return frame
    if isinstance(frame, pd.DataFrame):
        return frame[~frame["metric"].astype(str).isin(metrics)].reset_index(drop=True)
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pc.invert(pc.is_in(frame["metric"].cast(pa.string()), value_set=pa.array(sorted(metrics), pa.string())))
    return frame.filter(keep)


def to_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows → DataFrame with exactly :data:`COLUMNS` and their dtypes."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    return df.astype(COLUMNS)


def as_categories(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (:data:`COLUMNS`) with its repeated string columns as categoricals — same values,
    same CSV, every derived number the same — for the statistics of a large table: a string column
    holds its text once per row (the setting JSON alone is hundreds of bytes a row), a categorical
    once per distinct value, and every filter or copy on the way to the leaderboard copies it.
    ``image`` (about as many values as rows per run) stays as it is."""
    return table.astype({c: "category" for c in _category_columns(table.columns)})


def _category_columns(columns) -> list[str]:
    """The columns :func:`as_categories` makes categorical, of ``columns``."""
    return [c for c, t in COLUMNS.items() if t == "string" and c in columns and c != "image"]


def _concat_categories(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(frames)`` with :data:`COLUMNS`' dtypes, the repeated string columns as categoricals
    (:func:`as_categories`), column by column: each categorical column is the union of the frames' own
    categoricals (:func:`pandas.api.types.union_categoricals`), so no column ever holds its text once per
    row. Same values and dtypes as ``as_categories(pd.concat(frames).astype(COLUMNS))``."""
    from pandas.api.types import union_categoricals

    names = list(dict.fromkeys(c for f in frames for c in f.columns))  # a pass of an older schema lacks some
    frames = [f if len(f.columns) == len(names) else f.reindex(columns=names) for f in frames]
    cats = set(_category_columns(names))
    cols = {}
    for c in names:
        if c in cats:
            parts = []
            for f in frames:
                col = f[c].array if isinstance(f[c].dtype, pd.CategoricalDtype) else pd.Categorical(f[c])
                parts.append(col.rename_categories(col.categories.astype(COLUMNS[c])))  # one dtype of categories
            u = union_categoricals(parts, ignore_order=True)
            cols[c] = u.reorder_categories(u.categories.sort_values())
        else:
            cols[c] = pd.concat([f[c] for f in frames], ignore_index=True)
            if c in COLUMNS:
                cols[c] = cols[c].astype(COLUMNS[c])
    return pd.DataFrame(cols)


def _arrow_categories(tables: list, spellings: dict[str, str], seen: dict) -> pd.DataFrame:
    """The passes' rows (:class:`pyarrow.Table`, string columns dictionary-encoded) as one frame: what
    :func:`_concat_categories` makes of them read pass by pass, each through :func:`_as_one_spelling` and
    :func:`_as_current_settings` (``spellings``, ``seen``) — same values, dtypes, categories and order. One
    conversion to pandas, the spellings and settings mapped on each column's categories: a frame and a
    categorical union per pass were 8 ms a run of ~70 rows, minutes for ``report`` on a store of 10⁴ runs."""
    import pyarrow as pa

    names = list(dict.fromkeys(c for t in tables for c in t.column_names))  # a pass of an older schema lacks some
    cats = set(_category_columns(names))
    cols = {}
    for c in names:
        arrays = [t.column(c).combine_chunks() if c in t.column_names else None for t in tables]
        typed = next(a.type for a in arrays if a is not None)
        if c in cats and not pa.types.is_dictionary(typed):
            typed = pa.dictionary(pa.int32(), typed)
        arrays = [pa.nulls(t.num_rows, typed) if a is None else a for a, t in zip(arrays, tables)]
        if c in cats:
            cols[c] = _categories_of(c, arrays, spellings, seen)
        else:
            col = pa.chunked_array(arrays, type=typed).to_pandas()
            cols[c] = col.astype(COLUMNS[c]) if c in COLUMNS else col
    return pd.DataFrame(cols)


def _categories_of(c: str, chunks: list, spellings: dict[str, str], seen: dict) -> pd.Categorical:
    """One categorical column of :func:`_arrow_categories` from its dictionary chunks: categories sorted, of
    :data:`COLUMNS`' dtype, ``loss`` read through ``spellings`` and ``setting`` as this release's."""
    import numpy as np
    import pyarrow as pa

    values, codes, offset = [], [], 0
    for ch in chunks:
        ch = ch if pa.types.is_dictionary(ch.type) else ch.dictionary_encode()
        ch = ch.cast(pa.dictionary(pa.int32(), pa.string())) if ch.dictionary.type != pa.string() else ch
        idx = ch.indices.to_numpy(zero_copy_only=False)
        idx = np.where(ch.is_null().to_numpy(zero_copy_only=False), -1, idx).astype(np.int64)
        values += ch.dictionary.to_pylist()
        codes.append(np.where(idx >= 0, idx + offset, -1))
        offset += len(ch.dictionary)
    if c == "loss" and spellings:
        values = [spellings.get(v, v) for v in values]
    if c == "setting":
        from benchmark.config import current_setting_json

        for v in values:
            if v is not None and v not in seen:
                seen[v] = current_setting_json(v)
        values = [seen[v] if v is not None else v for v in values]
    codes = np.concatenate(codes) if codes else np.zeros(0, np.int64)
    present = np.unique(codes[codes >= 0])  # categories of the rows only, as the per-pass union has
    uniq = sorted({values[i] for i in present if values[i] is not None})
    where = {v: k for k, v in enumerate(uniq)}
    remap = np.array([where.get(v, -1) for v in values] + [-1], dtype=np.int64)
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(uniq, dtype=COLUMNS[c]))


def _as_one_spelling(frame: pd.DataFrame, spellings: dict[str, str]) -> pd.DataFrame:
    """One pass's rows with each ``loss`` spelling in ``spellings`` (:func:`benchmark.config.merged_spellings`)
    read as the loss's preferred spelling; ``frame`` itself when none of its rows has one."""
    if not spellings or frame.empty or not frame["loss"].isin(list(spellings)).any():
        return frame
    frame = frame.copy()
    frame["loss"] = frame["loss"].astype(object).replace(spellings).astype(COLUMNS["loss"])
    return frame


def respelt_meta(meta: dict, spellings: dict[str, str]) -> dict:
    """``meta`` with its loss read as the spelling :meth:`ResultsStore.table` reads its rows' as (``spellings``:
    :meth:`ResultsStore.loss_spellings`; a copy, the recorded spelling kept as ``config.loss_as_recorded``), so
    costs, curves and lost runs count under the row's label; ``meta`` itself when its spelling is kept."""
    cfg = meta.get("config")
    if not isinstance(cfg, dict) or cfg.get("loss") not in spellings:
        return meta
    return {**meta, "config": {**cfg, "loss": spellings[cfg["loss"]], "loss_as_recorded": cfg["loss"]}}


def _as_current_settings(frame: pd.DataFrame, seen: dict | None = None) -> pd.DataFrame:
    """One pass's rows with their ``setting`` read as this release's
    (:func:`benchmark.config.current_setting_json`): rows of another release of the same numbers
    code share this one's setting. Done per pass — a handful of distinct settings among a few
    thousand rows — rather than on the whole table, where mapping a 10⁶-row column of long JSON
    strings took seconds and doubled :meth:`ResultsStore.table`'s peak memory. ``seen``: {setting:
    as read} shared by the passes of one table, so each distinct setting is parsed once. Returns
    ``frame`` itself when no setting changes."""
    if frame.empty or "setting" not in frame.columns:
        return frame
    from benchmark.config import current_setting_json

    seen = {} if seen is None else seen
    changed = {}
    for s in frame["setting"].dropna().unique():
        if s not in seen:
            seen[s] = current_setting_json(s)
        if seen[s] != s:
            changed[s] = seen[s]
    if not changed:
        return frame
    frame = frame.copy()
    frame["setting"] = frame["setting"].astype(object).replace(changed).astype(COLUMNS["setting"])
    return frame


# --------------------------------------------------------------------------------------------
# per-run locks
# --------------------------------------------------------------------------------------------
class NoLocks(UserError):
    """The results directory's file system has no file locks (flock): one line, exit code 2."""


def _locked_inodes() -> set[int] | None:
    """The inode numbers of the files some process of this host holds a lock on now (``/proc/locks``: flocks, and
    the POSIX locks NFS turns them into), or None where that table cannot be read (not Linux). A waiter's line
    (``->``) holds nothing."""
    try:
        text = Path("/proc/locks").read_text()
    except OSError:
        return None
    out = set()
    for line in text.splitlines():
        fields = line.split()
        if "->" in fields:
            continue
        for f in fields:  # "1: FLOCK  ADVISORY  WRITE 3690 fe:00:2146448 0 EOF": device major:minor:inode
            parts = f.split(":")
            if len(parts) == 3 and parts[2].isdigit():
                out.add(int(parts[2]))
                break
    return out


def _has_open(pid: int, st: os.stat_result) -> bool | None:
    """Whether process ``pid`` has the file of ``st`` (its inode) open — the holder of a run's lock keeps
    it open until it releases it — or None where its open files cannot be listed (``/proc/<pid>/fd``: another user's
    process, not Linux). Unlike ``/proc/locks`` this holds on every file system: one whose locks the kernel hands to
    its server (FUSE mounts with flock: GlusterFS, JuiceFS, ceph-fuse, virtiofs) lists none of them there."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            s = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if s.st_ino == st.st_ino and stat.S_ISREG(s.st_mode):  # the inode alone, as /proc/locks: one file reached
            return True  # by two mounts (an NFS export mounted twice, overlayfs, btrfs subvolumes) has two devices
    return False


#: the UTC day and time a run lock's text says it was taken (``pid N on HOST since <LOCK_TIME>``)
LOCK_TIME = "%Y-%m-%dT%H:%M:%SZ"
_LOCK_LINE = re.compile(r"pid (\d+) on (\S+) (?:(since)(?: ([^\s,]*))?)?")


#: the lock file's own inode, as its holder saw it (``…, inode N``): every client of a shared (NFS) store sees the
#: server's number alike, while a copy of the store (cp -r, cp -a, rsync, a tar) is another file, another number
_LOCK_INODE = re.compile(r", inode (\d+)")


def _said_folder(grid_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"plbench-said-{grid_id}"


def _said_file(grid_id: str, line: str) -> Path:
    """The claim file of warning ``line`` for grid ``grid_id`` on this machine (:func:`said_first_here`)."""
    import hashlib

    return _said_folder(grid_id) / hashlib.sha256(line.encode()).hexdigest()[:32]


#: the file of a grid's claim folder naming its driver's process (:func:`open_claims`)
_CLAIMS_DRIVER = "driver"
#: how long a claim folder of a grid that named no driver (left by a version before they did) is kept untouched
_CLAIMS_UNNAMED_S = 86400.0


def open_claims(grid_id: str, pid: int | None = None) -> None:
    """A grid's driver, before its workers start: the grid's claim folder made on this machine, naming the driver's
    process (``pid``, default this one), so that a worker here claims its warnings (:func:`said_first_here`) and one
    elsewhere (:func:`driver_here` false: a Ray node's, a SLURM node's) leaves them to the driver. The folders a driver
    no longer running left (killed before :func:`forget_said`), and those older than a day naming none, are removed."""
    import shutil

    if not grid_id:
        return
    for old in Path(tempfile.gettempdir()).glob("plbench-said-*"):
        try:
            text = (old / _CLAIMS_DRIVER).read_text().strip()
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                if time.time() - max(p.stat().st_mtime for p in (old, *old.iterdir())) > _CLAIMS_UNNAMED_S:
                    shutil.rmtree(old, ignore_errors=True)
            continue
        except OSError:  # another user's, not readable: theirs
            continue
        if text.isdigit() and not _pid_alive(int(text)):
            shutil.rmtree(old, ignore_errors=True)
    folder = _said_folder(grid_id)
    with contextlib.suppress(OSError):  # none made: its workers leave their warnings to the driver, said once still
        folder.mkdir(exist_ok=True)
        (folder / _CLAIMS_DRIVER).write_text(f"{os.getpid() if pid is None else pid}\n")


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: another user's
        return True
    return True


def driver_here(grid_id: str) -> bool:
    """Whether grid ``grid_id``'s driver runs on this machine (:func:`open_claims` made its folder here); True without
    a grid."""
    return not grid_id or (_said_folder(grid_id) / _CLAIMS_DRIVER).exists()


def said_first_here(grid_id: str, line: str) -> bool:
    """Claim warning ``line`` for grid ``grid_id`` among its processes on this machine (a file in the temp folder,
    created once): True for the first to claim it, which says it; True without a grid, or where the claim cannot be
    made (it is said rather than lost). Only where the driver is (:func:`driver_here`), which removes the claims."""
    if not grid_id:
        return True
    said = _said_file(grid_id, line)
    try:
        said.parent.mkdir(exist_ok=True)
        os.close(os.open(said, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    except OSError:
        return True
    return True


def said_here(grid_id: str, line: str) -> bool:
    """Whether a process of grid ``grid_id`` on this machine said ``line`` (:func:`said_first_here`)."""
    return bool(grid_id) and _said_file(grid_id, line).exists()


def forget_said(grid_id: str) -> None:
    """The grid's driver, at its end: the claims of its processes here (:func:`said_first_here`) removed."""
    import shutil

    if grid_id:
        shutil.rmtree(_said_folder(grid_id), ignore_errors=True)


def _mount_table() -> str:
    """The kernel's table of mounts (``/proc/self/mounts``: device, mount point, type, options), "" where there is
    none (not Linux)."""
    try:
        return Path("/proc/self/mounts").read_text(errors="replace")
    except OSError:
        return ""


def inodes_per_client(path: Path) -> bool:
    """Whether the mount ``path`` is on numbers its files per client, so that another machine sees other inode numbers
    than this one: SMB with ``noserverino`` (set, or the kernel's fallback where the server has none), and FUSE
    (sshfs, s3fs, gcsfuse number the files they hand out themselves). Read from the longest mount point above it."""
    try:
        where = os.path.realpath(path)
    except OSError:
        return False
    best, fstype, options = "", "", ""
    for line in _mount_table().splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])  # "\040": a space
        # >=: of mounts at one point (autofs, then the share over it) the last is the one a path there reaches
        if len(point) >= len(best) and (where == point or where.startswith(point.rstrip("/") + "/")):
            best, fstype, options = point, fields[2], fields[3]
    return (fstype in ("cifs", "smb3", "smbfs") and "noserverino" in options.split(",")) or fstype.startswith("fuse")


#: how long a device's answer of :func:`inodes_per_client` stands in :func:`copied_lock` (a share remounted with other
#: options on the same device number is seen after at most this long)
MOUNTS_RECHECK_S = 300.0
#: {(st_dev, the mount table's reader, MOUNTS_RECHECK_S period): :func:`inodes_per_client`}: :func:`copied_lock`'s
#: mount table read and path resolved once per device and period, not at each poll for each lock held elsewhere (1 ms
#: a lock on a host of 800 mounts). The reader is part of the key: a table patched in is read afresh
_PER_CLIENT_DEVS: dict[tuple, bool] = {}


def _inodes_per_client_dev(path: Path, dev: int) -> bool:
    """:func:`inodes_per_client` of ``path``, its file's device ``dev``, as first decided for that device (of late)."""
    key = (dev, _mount_table, int(time.monotonic() // MOUNTS_RECHECK_S))
    if key not in _PER_CLIENT_DEVS:
        if len(_PER_CLIENT_DEVS) >= 64:  # bounded: periods gone by, tables patched in
            _PER_CLIENT_DEVS.clear()
        _PER_CLIENT_DEVS[key] = inodes_per_client(path)
    return _PER_CLIENT_DEVS[key]


def copied_lock(path: Path, text: str) -> bool:
    """Whether the run lock at ``path``, its text ``text``, is a copy of one (a store copied while a worker held it):
    its text names the inode of the file its holder locked, and ``path`` is another file. A lock of an earlier plbench,
    which names none, is never judged so; one gone meanwhile is a copy of nothing held; nor is one on a mount whose
    clients number files themselves (:func:`inodes_per_client`: SMB ``noserverino``, FUSE), where another machine's
    live run records another number than this client sees: a copy cannot be told there, and the lock counts held."""
    m = _LOCK_INODE.search(text)
    if m is None:
        return False
    try:
        st = path.stat()
    except OSError:
        return True
    return st.st_ino != int(m.group(1)) and not _inodes_per_client_dev(path, st.st_dev)


def shown_holder(text: str) -> str:
    """A run lock's text as its lines show who holds it (``pid N on HOST since T``, a role after a comma): without the
    inode it records for :func:`copied_lock`."""
    return _LOCK_INODE.sub("", text)


def lock_holder(text: str) -> tuple[int, str, str | None] | None:
    """``(pid, host, since)`` of a run lock's text as :meth:`RunLock.acquire` writes it (``pid N on HOST since T``,
    a role after a comma, :meth:`RunLock.mark`), or None where it does not begin so (read empty, "another
    process", cut short). ``since``: the time as written (:data:`LOCK_TIME`; "" where the word ends the text or is
    not followed by one), None where the text names none."""
    m = _LOCK_LINE.match(text)
    if not m:
        return None
    return int(m.group(1)), m.group(2), (m.group(4) or "") if m.group(3) else None


class RunLock:
    """An exclusive lock on one run, held by this process until :meth:`release`.

    ``fcntl.flock`` on ``runs/<id>/.lock``: the kernel releases it when the holder exits or is
    killed, so there are no stale locks to clean up; the file records the holder's pid and host
    for messages. The file is removed on release; :meth:`acquire` re-checks that the file it
    locked is still the one at the path, so removal cannot let two processes in.
    """

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, path: Path) -> "RunLock | str":
        """The lock, or (when another live process holds it) a description of the holder."""
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides, as for every file here: a
            # group sharing the store (umask 002) can open another member's lock to wait on it
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # held (EWOULDBLOCK)
                holder = shown_holder(os.read(fd, 200).decode(errors="replace").strip()) or "another process"
                os.close(fd)
                return holder
            except OSError as exc:  # no locks at all there (ENOLCK: NFS without its lock daemon; ENOSYS: Lustre
                os.close(fd)  # without -o flock): taken for "held", a report waited for ever, a grid left every run
                raise NoLocks(f"cannot lock {path} ({exc.strerror}): its file system has no file locks (flock), "
                              "which plbench needs to share a results directory between processes; use a results "
                              "directory on a local disk, or a mount with locking (NFS with its lock daemon, "
                              "Lustre with -o flock)") from None
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                # since when, as the UTC day and time: read on other machines of a shared store (is it stale?)
                # and the file it locked: a copy of the store (another file) is told from the store shared (NFS)
                os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                             f"{time.strftime(LOCK_TIME, time.gmtime())}, inode {os.fstat(fd).st_ino}".encode())
                return cls(path, fd)
            os.close(fd)  # the previous holder removed it between our open and flock: retry

    @staticmethod
    def held_for(path: Path, text: str | None = None, now=None) -> float | None:
        """Seconds since a live process on this host took the lock at ``path`` (the file's age), or
        None: no lock, or one left by a process that is gone or on another host, or a copy of a held one
        (``cp -a`` of a store mid-grid copies the text naming a live process, never its flock: that process must have
        the file itself open, :func:`_has_open`; where its files cannot be listed, the kernel's table of locks,
        ``/proc/locks``, where it can be read, must list the file). Read only — it never
        touches the flock, so it cannot make a worker's own :meth:`acquire` fail. ``text``: the file's text, read
        already by the caller ("" where it could not be read); the file is stat'd only for a lock of this host.
        ``now``: a callable giving the time by the clock that stamps the store's files (a file server's, which may be
        hours off this host's), against which the file's time is an age; default this host's clock."""
        try:
            holder = path.read_text(errors="replace") if text is None else text
        except OSError:
            return None
        who = lock_holder(holder)
        if who is None or who[1] != socket.gethostname():
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        age = (now or time.time)() - st.st_mtime
        try:
            os.kill(who[0], 0)
        except ProcessLookupError:
            return None
        except PermissionError:  # alive, another user's
            pass
        opened = _has_open(who[0], st)
        if opened is None:  # its open files cannot be listed (another user's process, not Linux): the kernel's table
            locked = _locked_inodes()  # of locks, where it can be read, tells a copy (never listed) from the file
            opened = locked is None or st.st_ino in locked
        return max(age, 0.0) if opened else None

    def mark(self, role: str) -> None:
        """Add what the lock is held for to its file (``pid … since …, <role>``), for the processes that find
        it held: :data:`MERGE_READ`, a short read that a worker waits for rather than leave its run undone."""
        with contextlib.suppress(OSError):  # the message only: the flock is what excludes
            os.pwrite(self._fd, f", {role}".encode(), os.fstat(self._fd).st_size)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> bool:
        self.release()
        return False


#: what a run's lock file says while ``merge`` reads the run (:meth:`ResultsStore.lock_to_read`): held for one
#: run's copy, so a worker that wants the run waits for it (:meth:`ResultsStore.lock`) rather than leave it undone
MERGE_READ = "merge reading it"
#: what a run's lock file says while ``merge`` copies the run into this store: one run's copy, which another merge
#: or a worker waits for (:meth:`ResultsStore.lock`) rather than leave the run to it
MERGE_WRITE = "merge writing it"
#: after this long waiting for a lock held from another machine, one warning says who holds it and how to clear it
LOCK_HINT_S = 120.0


#: the fields of a pass record (``eval-<k>.json``) whose type is checked where they are read: {field: its test}
_RECORD_FIELDS = {
    "sha256": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[0-9a-f]{64}", v)),
    "rows": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "scored": lambda v: isinstance(v, list) and all(isinstance(m, str) for m in v),
    **{k: (lambda v: v is None or isinstance(v, dict)) for k in ("skipped", "partial", "unscorable", "metric_weights")},
}


def trained_apart(mine: dict, theirs: dict) -> str:
    """How two finished records of one run id (this store's ``mine``, another's ``theirs``) show two trainings, or ""
    (one training, or nothing to tell it by): one diverged and the other not, or their saved nets' checksums differ
    (trained on both machines: a GPU's training, or one on another thread count, is not bit for bit reproducible)."""
    def did(status) -> str:
        return "diverged" if status == "diverged" else "finished"

    if mine.get("status") != theirs.get("status"):
        return f"{did(mine.get('status'))} here, {did(theirs.get('status'))} there"
    x, y = (r.get("state_sha256") if isinstance(r.get("state_sha256"), dict) else {} for r in (mine, theirs))
    if x.get("net.pt") and y.get("net.pt") and x["net.pt"] != y["net.pt"]:
        return "its saved net differs from this store's, so do its scores"
    return ""


def held_from_another_machine(holder: str) -> bool:
    """Whether ``holder`` (a run lock's text, :func:`lock_holder`) names a process of another machine and the time it
    took the lock: the locks :func:`stale_lock_hint` has a line for."""
    who = lock_holder(holder)
    return who is not None and bool(who[2]) and who[1] != socket.gethostname()


def stale_lock_hint(path: Path, holder: str) -> str | None:
    """For a lock at ``path`` held by ``holder`` (what :meth:`RunLock.acquire` wrote: ``pid N on HOST since T``)
    on another machine — a worker or report on another node of a shared (NFS) store — one line naming it and
    how to clear it if it is stale (its machine crashed: the file server may keep the lock), since whether that
    process runs cannot be checked from here; None for a holder on this machine (alive: the kernel drops the
    lock of a dead one); None too for a holder that names no host (a lock file read empty, "another process": its
    holder between ``flock`` and writing its name, a live process whose lock must not be removed)."""
    if not held_from_another_machine(holder):
        return None
    pid, host, since = lock_holder(holder)
    who = f"pid {pid} on {host} (since {since})"
    return (f"{path} is held by {who}, another machine, whose processes cannot be checked from here: if "
            f"nothing of plbench runs there any more (it crashed or was switched off), remove {path} to clear the "
            "stale lock; otherwise it is released when that process finishes")


def copied_mid_grid_hint(root: Path, n: int = 1) -> str:
    """For ``n`` unfinished runs of the store at ``root`` whose locks name another machine: what to do where the store
    is a copy made while that machine trained them (rsync, ``cp -a``, a tar: a copied lock names its holder, yet
    nothing releases it here), which cannot be told from a store shared with that machine (NFS) from here."""
    it, they = agree(n, "it", "them"), agree(n, "it", "they")
    finish, has = agree(n, "finishes", "finish"), agree(n, "has", "have")
    return (f"if this results directory is a copy made while that machine trained {it} (rsync, cp -a, a tar), {they} "
            f"{finish} there, not here: `plbench merge <that machine's results> --out {shlex.quote(str(root))}` "
            f"copies {it} in once {they} {has} (or `plbench run` here trains {it} again)")


def held_as_far_as_known(path: Path) -> bool:
    """Whether the run lock at ``path`` must be taken as held: by a live process of this host
    (:meth:`RunLock.held_for`), or by one of another machine of a shared (NFS) store — whose processes cannot be
    checked from here (:meth:`ResultsStore.in_flight` counts it in flight; :func:`stale_lock_hint` says how to clear a
    stale one). Never a live worker's run named for retraining, nor its files removed, from another node: a lock
    whose file is not the one its holder locked (:func:`copied_lock`) counts as held here too — a copy of the store,
    or a live run on a mount whose clients see other inode numbers (SMB ``noserverino``, some FUSE mounts)."""
    try:  # read once for both
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return RunLock.held_for(path, text=text) is not None or bool(
        held_elsewhere(path, roles=True, text=text, copies=True))


def held_elsewhere(path: Path, roles: bool = False, text: str | None = None, copies: bool = False) -> str:
    """``pid N on HOST`` where the run lock at ``path`` names another machine (a worker on another node of a shared
    store, whose processes cannot be checked from here: taken as held), else "" (no lock, one of this host, one
    read empty, or a copy's, :func:`copied_lock`). ``roles``: a merge's short copy (:data:`MERGE_READ`,
    :data:`MERGE_WRITE`) counts too; without, only a run trained or scored there does. ``text``: the file's text, read
    already by the caller. ``copies``: a copy's lock counts too — for what is shown only is the inode trusted (a mount
    whose clients see other inode numbers makes a live run's lock look copied), never before a file is removed."""
    try:
        holder = path.read_text(errors="replace") if text is None else text
    except OSError:
        return ""
    who = lock_holder(holder)
    if who is None or who[1] == socket.gethostname() or (not copies and copied_lock(path, holder)):  # a copy's
        return ""
    return f"pid {who[0]} on {who[1]}" if roles or (MERGE_READ not in holder and MERGE_WRITE not in holder) else ""


def _hint_stale(path: Path, holder: str, since: float) -> bool:
    """While waiting for the lock at ``path`` since ``since`` (``time.monotonic()``): once :data:`LOCK_HINT_S`
    have passed, warn (:func:`stale_lock_hint`) when it is held from another machine; whether the wait is over
    with hinting (True: not again)."""
    if time.monotonic() - since < LOCK_HINT_S:
        return False
    hint = stale_lock_hint(path, holder)
    if hint:
        log.warning("still waiting after %.0f s: %s", time.monotonic() - since, hint)
    return True


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------
class Damage(Exception):
    """A run's files that cannot be trusted (unreadable, truncated, checksum mismatch)."""


#: the statuses a run's ``meta.json`` may record (:mod:`benchmark.runner` writes no other)
STATUSES = ("ok", "diverged", "failed")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _curve(v) -> bool:
    """A ``loss_curve`` as :mod:`benchmark.runner` writes it: [[iteration, loss], …], the loss a number (NaN or
    infinite where the run diverged) or null."""
    return isinstance(v, list) and all(isinstance(p, list) and len(p) == 2 and _number(p[0])
                                       and (p[1] is None or _number(p[1])) for p in v)


#: the fields of a run's ``meta.json`` whose shape a reader relies on, past those :func:`meta_problem` names one by
#: one: {field: its test} — null or absent is as a record of a plbench that wrote none
_META_FIELDS = {
    "loss_curve": _curve,  # the training-curves figure unpacks each point
}


def meta_problem(meta, run_id: str) -> str:
    """Why a parsed ``meta.json`` of run ``run_id`` cannot be trusted, or "" when it is complete.

    What :mod:`benchmark.runner` writes and every reader relies on: a JSON object whose ``run_id``
    is its folder's name and whose ``status`` is one of :data:`STATUSES`; an input run
    (``kind: input``) names its ``task``; any other run holds its ``config`` with the ``task``,
    ``loss`` (strings) and ``seed`` (an integer) that tell runs apart in every table and figure."""
    if not isinstance(meta, dict):
        return f"meta.json holds a {type(meta).__name__}, not a run's record"
    if "run_id" not in meta:
        return "meta.json incomplete (no run_id)"
    if meta["run_id"] != run_id:
        return f"meta.json names another run ({str(meta['run_id'])[:40]!r})"
    status = meta.get("status")
    if status is None:
        return "meta.json incomplete (no status)"
    if status not in STATUSES:
        return f"meta.json has an unknown status {str(status)[:40]!r} (one of {', '.join(STATUSES)})"
    if meta.get("kind") == "input":
        if not isinstance(meta.get("task"), str) or not meta["task"]:
            return "meta.json incomplete (input run without its task)"
        return ""
    cfg = meta.get("config")
    if not isinstance(cfg, dict):
        return "meta.json incomplete (no config)" if cfg is None else "meta.json has a config that is not a mapping"
    missing = [k for k in ("task", "loss", "seed") if k not in cfg]
    if missing:
        return f"meta.json incomplete (config without {', '.join(missing)})"
    for k in ("task", "loss"):
        if not isinstance(cfg[k], str) or not cfg[k]:
            return f"meta.json has a config whose {k} is not a name ({str(cfg[k])[:40]!r})"
    if not isinstance(cfg["seed"], int) or isinstance(cfg["seed"], bool):
        return f"meta.json has a config whose seed is not an integer ({str(cfg['seed'])[:40]!r})"
    for field, ok in _META_FIELDS.items():
        if meta.get(field) is not None and not ok(meta[field]):
            return f"meta.json has a {field} of another shape than plbench writes ({json.dumps(meta[field])[:40]})"
    return ""


#: a store's row key: no reader ever counts one (run, image, metric) twice
ROW_KEY = ["run_id", "dataset", "image", "metric"]


def _runs_named(rows: pd.DataFrame, n: int = 3) -> str:
    """The runs of ``rows`` as a line names them: "<id>: <loss> seed <s>, <task>" (a degraded input's entry: "<id>:
    <task> input", after the runs), the first ``n`` by id, then how many more."""
    first = rows.drop_duplicates("run_id").assign(is_input=lambda f: f["loss"].astype(str) == "input")
    first = first.sort_values(["is_input", "run_id"], kind="stable")
    named = [f"{r.run_id}: {r.task} input" if r.is_input else
             f"{r.run_id}: {r.loss}" + (f" seed {int(r.seed)}" if not pd.isna(r.seed) else "") + f", {r.task}"
             for r in first.head(n).itertuples()]
    return "; ".join(named) + (f"; and {len(first) - n} more" if len(first) > n else "")


def _runs_counted(rows: pd.DataFrame) -> str:
    """How many runs ``rows`` hold, "3 runs", the degraded inputs' entries (no run: nothing trained) said apart, "3
    runs and 1 degraded input" (:func:`one_direction`'s sides)."""
    ids = rows.drop_duplicates("run_id")
    k = int((ids["loss"].astype(str) == "input").sum())
    n = len(ids) - k
    said = [plural(n, "run")] if n or not k else []
    return " and ".join(said + ([plural(k, "degraded input")] if k else []))


class DirectionSplit(UserError):
    """A metric whose rows disagree on which way is better (:func:`one_direction`): `plbench check` says it."""


def one_direction(table: pd.DataFrame, root: Path | str = "") -> pd.DataFrame:
    """``table`` with one direction (``higher_is_better``) per metric, as every reader takes it from one row
    (:func:`benchmark.stats.blocks`, :class:`benchmark.findings.Results`): a row without one (NA) reads as its
    metric's other rows; rows of one metric that disagree (two versions of a metric scoring one store, a record
    edited by hand, a plugin metric registered the other way since) are a :class:`UserError` naming the metric,
    the runs on each side and what to do — never a whole column judged by whichever run is read first. The one rule
    for a table read from a store (:meth:`ResultsStore.table`), passed from Python (:func:`benchmark.stats.blocks`,
    :func:`benchmark.findings.check_all`) or checked (`plbench check`): :class:`DirectionSplit`."""
    if table.empty:
        return table
    if "higher_is_better" not in table.columns:
        # no column at all (a table exported or built without it): every metric's direction unknown, refused as one
        # whose rows all leave it empty is — it raised a KeyError traceback in stats.blocks and findings.check_all
        # (tests/test_review_stats21.py)
        if "metric" not in table.columns:
            return table
        names = sorted(set(table["metric"].astype(str)))
        raise DirectionSplit(
            f"the table has no higher_is_better column, so no metric's direction is known "
            f"({', '.join(names[:5])}{', …' if len(names) > 5 else ''}) and none can be ranked or tested; add the "
            "column (True where higher is better, False where lower) for every row")
    h = table["higher_is_better"].astype("boolean")
    known = h.groupby(table["metric"], observed=True).agg(["min", "max"]).dropna()
    split = known[known["min"] != known["max"]]
    if not split.empty:
        m = str(split.index[0])
        rows = table[(table["metric"].astype(str) == m) & h.notna()]
        up, down = rows[h[rows.index].astype(bool)], rows[~h[rows.index].astype(bool)]
        raise DirectionSplit(
            f"metric {m!r}: its rows disagree on which way is better — higher in {_runs_counted(up)} "
            f"({_runs_named(up)}), lower in {_runs_counted(down)} ({_runs_named(down)}): two versions of the "
            f"metric scored this store, or a record was edited by hand, so its column cannot be judged; move the "
            f"wrong side's runs out of {Path(root) / 'runs' if root else 'runs/'} and the same `plbench run` trains "
            "and scores them again" + (f" ({', '.join(map(str, split.index[1:]))}: theirs disagree too)"
                                       if len(split) > 1 else ""))
    if not h.isna().any():
        return table
    # a metric no row gives a direction for: never read as higher-is-better (stats.blocks' default), which turned
    # every verdict of a lower-is-better metric over — the better loss on LPIPS ranked last and marked ▼
    # (tests/test_probe_verdicts21.py)
    blind = sorted(set(table.loc[h.isna(), "metric"].astype(str)) - set(map(str, known.index)))
    if blind:
        m = blind[0]
        rows = table[table["metric"].astype(str) == m]
        where = _runs_counted(rows) if "run_id" in rows.columns else plural(len(rows), "row")
        raise DirectionSplit(
            f"metric {m!r}: none of its rows records which way is better (higher_is_better empty in {where}), so "
            "its column cannot be ranked or tested; fill the table's higher_is_better column for it (True where "
            "higher is better, False where lower)"
            + (f" ({', '.join(blind[1:])}: theirs are empty too)" if len(blind) > 1 else ""))
    fill = table["metric"].astype(str).map({str(k): bool(v) for k, v in known["min"].items()})
    return table.assign(higher_is_better=h.fillna(fill.astype("boolean")))


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


#: what :meth:`ResultsStore.repair` says of a run with no evaluation pass to move (it is re-scored as it is)
NOTHING_TO_SET_ASIDE = "no evaluation pass to set aside; the next run re-scores it"

#: files a results folder may hold and still count as empty (version-control and desktop placeholders)
def _legacy_state_loads(path: Path) -> bool:
    """Whether ``path`` is a state in torch's legacy (non-zip) format — a pickle, as a torch before 1.6 or
    ``_use_new_zipfile_serialization=False`` writes it — that ``torch.load`` reads whole (a truncated one fails)."""
    from benchmark.ckptrecord import is_legacy, load

    try:
        if not is_legacy(path):  # a zip (even a truncated one) starts with PK
            return False
        load(path, peek=False)
    except Exception:  # noqa: BLE001 - truncated, not a state: not loadable
        return False
    return True


PLACEHOLDERS = (".gitkeep", ".gitignore", ".keep", ".DS_Store")
#: the store's append-only list of its finished runs (``+<id>\t<what>``; ``-<id>``: left out by a report, which named
#: its folder gone): what :meth:`ResultsStore.gone` remembers a deleted run folder by
FINISHED_LOG = "finished.log"


def _free_attempt(d: Path, curve: bytes | None = None) -> int:
    """The number of the next earlier attempt's record in ``d`` (``runs/<id>/attempts/``): the first from the count
    of records there not taken — by a record, one set aside as unreadable (``<n>.json.unreadable``), or a curve
    (``<n>.curve.csv``) other than ``curve`` (its own, a killed copy's: None, any curve takes the number)."""
    n = len(list(d.glob("*.json"))) if d.is_dir() else 0
    while (d / f"{n}.json").exists() or any(d.glob(f"{n}.json.unreadable*")) or (
            (c := d / f"{n}.curve.csv").exists() and (curve is None or c.read_bytes() != curve)):
        n += 1
    return n


def _attempt_unread(path: Path) -> str:
    """Why the earlier attempt's record at ``path`` (``attempts/<n>.json``) cannot be read as one, in words; ""
    where it reads as a JSON object."""
    try:
        rec = read_json(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:
        return f"cannot be read ({type(exc).__name__}: garbled, or cut short by a copy)"
    return "" if isinstance(rec, dict) else f"is no record (a JSON {type(rec).__name__})"


#: how long a write of :data:`FINISHED_LOG` waits for another's flock on it (a holder is one short write; a stopped
#: process holding it — SIGSTOP, a SLURM suspend — must not stop a run's record, nor ``check --repair``, for ever)
FINISHED_LOG_WAIT_S = 5.0


def _lock_finished_log(fd: int) -> None:
    """flock :data:`FINISHED_LOG` open at ``fd`` (released by its close), waiting up to :data:`FINISHED_LOG_WAIT_S`;
    then, or where the file system has no locks, it is written unlocked (one line may be lost, as before the log)."""
    import fcntl

    end = time.monotonic() + FINISHED_LOG_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= end:
                return
            time.sleep(0.01)
        except OSError:
            return


def _finished_note(run_id: str, meta: dict) -> str:
    """The line of :data:`FINISHED_LOG` that notes run ``run_id`` (its record ``meta``) finished:
    ``+<id><TAB><task>/<loss> seed <s>`` (``<task> input`` for the degraded input's scoring)."""
    cfg = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    seed = f" seed {cfg['seed']}" if cfg.get("seed") is not None else ""
    what = f"{meta.get('task')} input" if meta.get("kind") == "input" else f"{cfg.get('task')}/{cfg.get('loss')}{seed}"
    return f"+{run_id}\t{' '.join(str(what).split())}"


def _finished_line(line: str) -> tuple[str, str, str] | None:
    """A line of :data:`FINISHED_LOG` read: (``+``, id, what) of a run noted finished, (``-``, id, "") of one noted
    gone; None for anything else (cut short, edited beyond reading, garbage)."""
    sign, rid, what = line[:1], *(line[1:].split("\t", 1) + [""])[:2]
    if not _RUN_ID.fullmatch(rid):
        return None
    return (sign, rid, what) if sign == "+" and what else (sign, rid, "") if sign == "-" else None


def _finished_notes(data: bytes) -> list[tuple[int, str, tuple[str, str, str] | None]]:
    """(line number from 1, its text, its note as :func:`_finished_line` reads it, None where it is none) of each
    line of :data:`FINISHED_LOG`'s bytes ``data`` that is not blank (each note opens with a newline), decoded as
    UTF-8 with undecodable bytes replaced (such a line is no note). The one decoding of the file: its readers
    (:meth:`ResultsStore.finished_log`, :meth:`ResultsStore.finished_log_garbled`) and its repair
    (:meth:`ResultsStore.mend_finished_log`)."""
    return [(i, line, _finished_line(line)) for i, line in enumerate(data.decode("utf-8", errors="replace")
                                                                      .splitlines(), 1) if line.strip()]


#: what a run not noted finished in :data:`FINISHED_LOG` costs, as its warning says
NOTED_FINISHED_LOST = "a run folder deleted before the next report may go unnamed"
#: {metric: {"sha256": its file's, "noted": when}}: the file of each metric a machine that has it last hashed
#: (:meth:`ResultsStore.note_digests`), which stands for today's on a machine without it (:meth:`ResultsStore.table`)
DIGESTS_FILE = "metric-digests.json"


def not_writable(folder) -> str:
    """Why nothing can be written in ``folder`` (a read-only mount, another user's directory), or ""."""
    try:
        with tempfile.TemporaryFile(dir=folder):  # first: it names the reason (a read-only file system)
            pass
        if not os.access(folder, os.W_OK):
            raise PermissionError(13, "permission denied")
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def gone_task(what: str) -> str:
    """The task of a gone run as :meth:`ResultsStore.gone` names it: ``what`` is "<task>/<loss> seed <s>" (a trained
    run's; no " seed <s>" where it had none) or "<task> input" (the degraded input's scoring), as
    :meth:`ResultsStore.note_finished` and the last report's ``results.csv`` write them."""
    return what.split("/")[0].split(" ")[0]


def _json_kind(value) -> str:
    """What a JSON value is, in words (``a list``, ``a number``): a file of valid JSON and another shape, said."""
    if value is None:
        return "null"
    return {list: "a list", str: "a string", bool: "true or false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _footer_bounds(md, column: str) -> list:
    """The least and greatest value of ``column`` in each row group of a pass, as its parquet footer's statistics
    record them (none where they are not recorded: nothing read to tell); text decoded."""
    out = []
    for i in range(md.num_row_groups):
        group = md.row_group(i)
        for j in range(group.num_columns):
            col = group.column(j)
            if col.path_in_schema == column and col.is_stats_set and col.statistics.has_min_max:
                out += [col.statistics.min, col.statistics.max]
    return [v.decode(errors="replace") if isinstance(v, bytes) else v for v in out]


def _rows_of_config(values_of, config: dict, parquet: Path) -> None:
    """:class:`Damage` where a pass's rows are of another ``seed`` or ``task`` than the run's recorded ``config`` — its
    meta.json edited by hand (the rows match their checksum). ``values_of``: a column's name → the values the rows hold
    in it (its footer's statistics, :func:`_footer_bounds`, where no row is read; the rows' own where they are read:
    :meth:`ResultsStore._own_rows`); none (null) passed over."""
    for field in ("seed", "task"):
        want = config.get(field)
        if want is None or isinstance(want, bool):
            continue
        got = [g for g in values_of(field) if g is not None]
        if any(g != want for g in got):
            held = got[0] if min(got) == max(got) else f"{min(got)}–{max(got)}"
            raise Damage(f"meta.json says {field} {want}, its rows in {parquet.name} {field} {held} "
                         "(meta.json edited by hand? the rows match their checksum)")


def _foreign_rows(names, run_id: str, parquet: Path) -> None:
    """:class:`Damage` where a pass's rows name (``names``: the ``run_id`` values they hold) a run other than
    ``run_id``, whose folder holds them."""
    other = sorted({str(n) for n in names if isinstance(n, (str, bytes)) and str(n).lower() != run_id.lower()})
    if other:
        raise Damage(f"{parquet.name} holds rows of run {other[0]}, not this run's (copied from another run's folder?)")


def _file_says(failed: dict, finished: dict, hashes: dict[str, str | None]) -> bool | None:
    """Whether the ``--loss-file`` as it is here makes the same command train the finished run's code (True: the
    failure superseded) or the failed run's (False: retried), by the file's hash against each record's
    ``loss_versions`` (``<version>+<first 12 hex of its SHA-256>[:t<trunk policy>]``: :func:`_hash_in`) for each
    term whose hash the two records differ in and whose file (``loss_files``) is here; None where no such file tells
    (gone, another edit, a package). ``hashes``: {path: its hash}, filled as read."""
    said: set[bool] = set()
    files = failed.get("loss_files") if isinstance(failed.get("loss_files"), dict) else {}
    mine, theirs = failed.get("loss_versions"), finished.get("loss_versions")
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return None
    for name, path in files.items():
        a, b = str(mine.get(name, "")), str(theirs.get(name, ""))
        if a == b or "+" not in a or "+" not in b or not isinstance(path, str):
            continue
        if path not in hashes:
            try:
                hashes[path] = _sha256(Path(path).read_bytes())[:12]
            except OSError:
                hashes[path] = None
        now, hers, his = hashes[path], _hash_in(a), _hash_in(b)
        if now is not None and now in (hers, his):
            said.add(now == his)
    return said.pop() if len(said) == 1 else None


def _hash_in(version: str) -> str:
    """The file hash in a term's ``loss_versions`` entry: ``1+<hash>`` or, in a bf16 run of a term with a trunk,
    ``1+<hash>:t2`` (:func:`benchmark.lossfn.run_loss_versions`' trunk policy)."""
    return version.rsplit("+", 1)[1].split(":", 1)[0]


class ResultsStore:
    """Reads and appends to one results directory."""

    def __init__(self, root: str | Path, name: str = "--out"):
        """``name``: how an error names ``root``, as its user gave it (``--out``; ``out`` in :mod:`benchmark.api`)."""
        if not isinstance(root, (str, os.PathLike)):  # api.load_results(summary): what api.run() returned
            raise UserError(f"{name} is a results directory's path (api.run()'s out=), got {root!r:.60} "
                            f"({type(root).__name__})")
        if str(root).strip() == "":
            raise UserError(f"{name} is empty: name a results directory"
                            + (" (e.g. --out results)" if name == "--out" else ""))
        self.root = expand_home(root, name)  # ~name of a user this machine has not: one line
        self.name = name  # how require_results asks for a results directory in its place
        self.runs = self.root / "runs"
        #: {run_id: why} of the damaged runs the last :meth:`table` left out
        self.damaged: dict[str, str] = {}
        #: {recorded spec: the spelling the last :meth:`table` read it as} (:meth:`loss_spellings`, rows or not)
        self.respelt: dict[str, str] = {}
        #: {metric: {"sha256": its file's now, "stale": [run ids], "scored": [run ids]}} of the scores of another file
        #: than today's the last :meth:`table` left out (:meth:`_without_stale`)
        self.stale_left: dict[str, dict] = {}
        #: {run_id: how many of its (run, image, metric) rows} the last :meth:`table` read twice and counted once
        #: (:meth:`repeated_rows` says in which passes)
        self.duplicated: dict[str, int] = {}
        #: lines of :data:`FINISHED_LOG` that are no note (:meth:`finished_log_garbled`) at the last
        #: :meth:`finished_log` read (its :meth:`gone`): the report says them without reading the file again
        self.finished_garbled = 0
        self._said: set[str] = set()  # the lines of stale_left (and finished.log's failures) logged: once each
        #: a grid's worker (:meth:`said_by_the_driver`): its finished.log failures kept for the driver to say once
        #: for the grid (:meth:`for_the_driver`); None: said here
        self._to_driver: list[str] | None = None
        self._grid_id = ""  # that worker's grid (:func:`said_first_here`)
        self._driver_here, self._own_log = True, False  # where its driver is, whose its log is (said_by_the_driver)
        #: {run_id: (stat stamp, (meta, why))}: each meta.json parsed once (:meth:`_load_meta`)
        self._metas: dict[str, tuple] = {}
        self._folds: bool | None = None  # :meth:`folds_case`, asked once
        #: {run id: its folder's name as listed} of the run folders named in other letters than their id on a disk
        #: that folds case (:meth:`_entries`): :meth:`run_dir` names the folder as it is (on that disk, the same)
        self._cased: dict[str, str] = {}

    def check_version(self) -> None:
        """Refuse a directory written with another layout (``store.json``), touching nothing."""
        marker = self.root / "store.json"
        if not marker.exists():
            return
        try:
            data = read_json(marker)
        except (OSError, ValueError) as exc:
            what = f"is unreadable ({type(exc).__name__})"
        else:  # read, but no version in it (emptied, edited, another tool's file): damaged, not another plbench's
            version = data.get("store_version") if isinstance(data, dict) else None
            what = (f"holds {_json_kind(data)}, not an object" if not isinstance(data, dict) else
                    "has no store_version" if "store_version" not in data else
                    None if isinstance(version, int) and not isinstance(version, bool) else
                    f"has store_version {version!r}, not a whole number")
        if what:
            if self.runs.is_dir() and any((p / "meta.json").is_file() for p in self.runs.iterdir()):
                raise UserError(f"{marker} {what}, but {self.runs} holds runs: if this "
                                f"is a plbench results directory, write {{\"store_version\": {STORE_VERSION}}} into "
                                f"{marker.name} and run {again()} again (no run is touched meanwhile)") from None
            raise UserError(f"{marker} {what}; is {self.root} a plbench results directory? "
                            + ("use another --out" if self.name == "--out" else self._pass_instead())) from None
        # a merge source is read, never run into: it is not merged, where --out (api: out) is to be another folder
        refuse = ", so it is not merged" if self.name == "merge source" else f"; use another {self.name}"
        if version == 1:
            raise UserError(f"{self.root} was written by plbench 0.1 (store_version 1), whose run ids did not cover "
                            "the data's content, the device or the net's definition: its runs cannot be resumed or "
                            f"mixed with new ones{refuse} (its leaderboard.md and results.csv stay readable)")
        if isinstance(version, int) and not isinstance(version, bool) and version > STORE_VERSION:
            from benchmark import __version__

            raise UserError(f"{self.root} was written by an incompatible version (store_version {version}, this is "
                            f"{STORE_VERSION}): a newer plbench's layout, which plbench {__version__} cannot read; "
                            + ("upgrade plbench to merge it (nothing there was changed)" if self.name == "merge source"
                               else "upgrade plbench to read or extend it (nothing here was changed), or use another "
                               f"{self.name} for new runs"))
        if version != STORE_VERSION:
            raise UserError(f"{self.root} was written by an incompatible version "
                            f"(store_version {version!r}, this is {STORE_VERSION}){refuse}")

    def is_store(self) -> bool:
        """Whether the directory is recognisably a results store: its ``store.json`` marker (or, for a
        store written before the marker existed, a ``runs/`` folder of run directories)."""
        if (self.root / "store.json").is_file():
            return True
        return self.runs.is_dir() and all(p.is_dir() or p.name in PLACEHOLDERS or p.name.startswith("._")
                                          for p in self.runs.iterdir())  # a copy by macOS adds .DS_Store, ._*

    def _pass_instead(self) -> str:
        """How an error asks for a results directory in place of this one, by what named it: ``--out``, the API's
        ``out`` or a merge source (a results directory another run wrote, not one to train into here)."""
        if self.name == "--out":
            return "pass the --out a run wrote to"
        if self.name == "out":
            return "pass as out the folder a run wrote to"
        return f"name as the {self.name} the --out a run wrote to"

    def require_results(self, out: str | Path) -> None:
        """A one-line error unless this is a results store with a ``runs/`` folder: a missing
        directory, a folder of other files (which is not offered as a place to run) and a store
        with no runs yet each say which they are; ``out`` is the folder as the user typed it. A merge
        source is not told to be trained into (``plbench run --out`` it): it is named as the source it is."""
        if self.runs.is_dir() and self.is_store():
            return
        self.check_links()
        train = f"run `plbench run --out {shlex.quote(str(out))}` first"
        instead = self._pass_instead()
        if not self.root.exists():
            hint = did_you_mean_path(out, kind=lambda p: ResultsStore(p).is_store())  # not tasks/ for tasks2
            advice = f"{train}, or {instead}" if self.name in ("--out", "out") else instead
            raise UserError(f"no results in {self.root}: no such directory{hint} ({advice})")
        if not self.root.is_dir():
            raise UserError(f"{self.root} is a file, not a results directory ({instead})")
        if self.is_store() or not any(p.name not in PLACEHOLDERS for p in self.root.iterdir()):
            advice = train if self.name in ("--out", "out") else f"no run has written there: {instead}"
            raise UserError(f"no results in {self.root} ({advice})")
        for up in (self.root.parent, self.root.parent.parent):  # runs/ or one run's folder of a store: name it
            if up != self.root and (up / "store.json").is_file() and self.root.resolve().is_relative_to(
                    (up / "runs").resolve()):
                raise UserError(f"{self.root} is inside the results directory {up}, not one: pass {up}")
        raise UserError(f"{self.root} is not a plbench results directory (no store.json, no runs/): {instead}")

    def leftover_temp_files(self, min_age_s: float = 3600.0, store_clock: bool = False,
                            checkpoints: dict[str, list[Path]] | None = None) -> list[Path]:
        """Temporary files of :func:`atomic_output` that a killed process left in the store's root,
        ``grids/``, ``figures/`` or a run folder no live process holds (an unfinished run's retry removes its own),
        and the probes of the store's clock (:meth:`store_now`, ``.clock.*.probe``) one left in the root,
        untouched for at least ``min_age_s`` seconds: younger ones may be another process's write in flight.
        ``store_clock`` (before removing them): old by this host's clock *and* by the store's — the mtime a
        file written now gets there (a file server stamps it) — so a host whose clock runs ahead of the
        server's does not take another host's write in flight for a leftover; it writes (and removes) one
        small file in the root. ``checkpoints`` (a dict, filled): each run's checkpoints (:func:`_is_checkpoint`) by
        run id, found in the same listing of its folder, for :meth:`left_checkpoints` (``check``: one pass)."""
        now = time.time()
        if store_clock and (server := self.store_now()) is not None:  # read-only: nothing will be removed anyway
            now = min(now, server)
        found = []
        try:  # and each run folder's: a killed merge's copy of a net (hundreds of MB) that the merge run again
            # completed, a re-score killed mid-pass — nothing else removes them once the run is finished
            runs = {self.run_dir(r): r for r in self.run_ids()}  # not a user's copy of a run: what it holds is theirs
        except OSError:
            runs = {}
        for folder in (self.root, self.root / "grids", self.root / "figures", *sorted(runs)):
            try:
                listed = list(folder.iterdir())
            except OSError:  # not there (moved meanwhile), not a folder
                continue
            if checkpoints is not None and folder in runs:
                checkpoints[runs[folder]] = [p for p in listed if _is_checkpoint(p)]
            # and in the root, a killed process's probe of the store's clock (:meth:`store_now`)
            names = [p for p in listed if p.name.startswith(".") and (".tmp" in p.name or (
                folder == self.root and p.name.startswith(CLOCK_PROBE[0]) and p.name.endswith(CLOCK_PROBE[1])))]
            for p in names:
                with contextlib.suppress(OSError):
                    if p.is_file() and now - p.stat().st_mtime >= min_age_s and (
                            folder.parent != self.runs or not held_as_far_as_known(folder / ".lock")):
                        found.append(p)
        return sorted(found)

    def left_checkpoints(self, listed: dict[str, list[Path]] | None = None) -> list[Path]:
        """The checkpoints (:func:`_is_checkpoint`) in the folders of finished runs (``ok``, ``diverged``) no live
        process holds: a run stopped right after writing its record, before it deleted them — never read again (the
        run is done), up to hundreds of MB each; ``check`` names them, ``--repair`` removes them, ``merge`` copies no
        finished run's. ``listed``: each run's, as :meth:`leftover_temp_files` collected them in its listing of the run
        folders (``check``: no second one); None: listed here, by that same pass."""
        if listed is None:
            self.leftover_temp_files(checkpoints=(listed := {}))
        found = []
        for rid, names in listed.items():
            try:
                ckpts = [p for p in names if p.is_file()]
            except OSError:
                continue
            if ckpts and self.is_done(rid) and not held_as_far_as_known(self.run_dir(rid) / ".lock"):
                found += ckpts
        return sorted(found)

    def set_aside_states(self, held: set | None = None) -> dict[Path, int]:
        """{path: size in bytes} of the checkpoints (:func:`_is_checkpoint`) and saved states (``net.pt``,
        ``loss.pt``) under ``runs/<id>/damaged/<n>/``: set aside on purpose (a merge that replaced an unfinished run
        or a damaged net, ``check --repair``'s or a run's :meth:`set_aside`), never read again nor removed by plbench,
        up to hundreds of MB each; and the rows of the evaluation passes set aside there (``eval-<k>.parquet``,
        :data:`_PASS`: a damaged run's, or an attempt's that a retry did not write again byte for byte,
        :meth:`drop_identical_aside`; and a copy of one, a sync's conflict copy ``check --repair`` set aside:
        :func:`_is_rows_set_aside`), read by no table; largest first. A run folder without ``damaged/`` costs one
        failed listing; one that cannot be listed is skipped. Those of a run a live process holds
        (:func:`held_as_far_as_known`: its retry, a merge copying it, a repair setting it aside — which may still move
        them back) are left out, their run ids added to ``held`` where given."""
        out: dict[Path, int] = {}
        for rid in self.run_ids():
            try:
                asides = [a for a in (self.run_dir(rid) / "damaged").iterdir() if a.is_dir()]
            except OSError:  # none (the usual case), or not a folder
                continue
            found = {}
            for a in asides:
                with contextlib.suppress(OSError):
                    for p in a.iterdir():
                        if (_is_checkpoint(p) or p.name in ("net.pt", "loss.pt") or _is_rows_set_aside(p)) \
                                and p.is_file():
                            found[p] = p.stat().st_size
            if found and held_as_far_as_known(self.run_dir(rid) / ".lock"):
                if held is not None:
                    held.add(rid)
                continue
            out.update(found)
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], str(kv[0]))))

    def stray_passes(self) -> dict[str, list[Path]]:
        """{run id: its files named like an evaluation pass but none} (:func:`stray_passes`: ``eval-0 2.json``, a
        Finder duplicate; ``eval-0 (conflicted copy).parquet``, a sync tool's): read by no table, written over or
        deleted by nothing; ``check`` names them and ``--repair`` sets them aside (:meth:`set_aside`)."""
        return {rid: found for rid in self.run_ids() if (found := stray_passes(self.run_dir(rid)))}

    def kept_unreadable(self) -> list[Path]:
        """The unreadable files an earlier ``check --repair`` kept rather than deleted: a garbled ``finished.log``
        (:meth:`mend_finished_log`: ``finished.log.unreadable``, numbered) and earlier attempts' records
        (:meth:`set_aside_attempt`: ``runs/<id>/attempts/<n>.json.unreadable``, numbered); read by nothing, named by
        ``check`` until the user deletes them. One listing of the root, one glob of the runs' ``attempts/``."""
        out = []
        with contextlib.suppress(OSError):
            out += sorted(p for p in self.root.glob(f"{FINISHED_LOG}.unreadable*") if p.is_file())
        with contextlib.suppress(OSError):
            out += sorted(p for p in self.runs.glob("*/attempts/*.json.unreadable*") if p.is_file())
        return out

    def remove_left_checkpoints(self, found: list[Path]) -> list[Path]:
        """Remove the checkpoints :meth:`left_checkpoints` found, each run's under its lock and only while the run is
        still finished: a worker that took the run since (a retry of it, after its record was set aside) holds or
        rewrote them, and they are its own — left as they are. The files removed."""
        by_folder: dict[Path, list[Path]] = defaultdict(list)
        for p in found:
            by_folder[p.parent].append(p)
        removed = []
        for d, mine in sorted(by_folder.items()):
            # the run's id: its folder's name (in other letters on a disk that folds case: :meth:`_entries`)
            rid = low if (low := d.name.lower()) != d.name and _RUN_ID.fullmatch(low) else d.name
            if not d.is_dir():  # gone since it was listed: nothing to remove, and no lock to make a folder for
                continue
            lock = self.lock(rid)
            if isinstance(lock, str):  # a live process took it since it was listed: its files
                continue
            with lock:
                if not self.is_done(rid):
                    continue
                for p in mine:
                    with contextlib.suppress(OSError):
                        p.unlink()
                        removed.append(p)
        return removed

    def superseded(self, listed: dict[str, list[Path]],
                   records: dict[Path, dict | None] | None = None) -> dict[str, str]:
        """{run id: the run that supersedes it} for each run not finished (no record, or one of no status), held by no
        live process, whose ``ckpt.pt`` (or half-batch retry's ``ckpt-b<n>.pt``, :func:`benchmark.ckptrecord.
        run_configs`) was written for the config and code version (:func:`benchmark.ckptrecord.written_for`) of a run
        finished here since under another id — its loss's code (a ``--loss-file`` edited:
        its hash is in the run id), task or net changed after it stopped, so the command that started it trains
        that run now and resumes this one only if that code is put back. ``listed``: each run's checkpoints, as
        :meth:`leftover_temp_files` found them; ``records``: {checkpoint path: its record} as the caller read them
        (:func:`benchmark.ckptrecord.record`; one not there read here). Nothing is read where no unfinished run has a
        checkpoint."""
        waiting = self._stopped(listed)
        if not waiting:
            return {}
        from benchmark.ckptrecord import fingerprint_key, fingerprint_of, run_configs, written_for

        finished: dict[str, str] = {}
        for rid in self.run_ids():
            m = self.meta(rid) or {}
            if m.get("status") in ("ok", "diverged") and isinstance(m.get("config"), dict) and m.get("code_version"):
                finished.setdefault(fingerprint_key({"config": m["config"], "code_version": m["code_version"]}), rid)
        out = {}
        for rid, names in sorted(waiting.items()):
            for ckpt in sorted(names, key=_ckpt_pt_first):
                path = self.run_dir(rid) / ckpt.name
                fp = fingerprint_of(records[path]) if records and path in records else written_for(path)
                keys = [fingerprint_key({**fp, "config": c}) for c in run_configs(ckpt, fp["config"])] if fp else []
                if by := next((finished[k] for k in keys if finished.get(k, rid) != rid), None):
                    out[rid] = by
                    break
        return out

    def stopped_with_checkpoint(self, listed: dict[str, list[Path]] | None = None) -> dict[str, Path]:
        """{run id: its checkpoint} of the runs stopped with a checkpoint: a run of ``runs/`` (:meth:`run_ids`: no
        user's copy of one) not finished (no record, or one of no status — a damaged one next to results is damage,
        not a stop), whose folder holds a checkpoint (:func:`checkpoints`: ``ckpt.pt``, or a half-batch retry's
        ``ckpt-b<n>.pt`` alone — a run out of memory before its first checkpoint, stopped in its retry, which the
        same command resumes from there) and no live process holds; its ``ckpt.pt`` where it has one, else its
        first ``ckpt-b<n>.pt`` (:func:`benchmark.ckptrecord.run_configs` reads the run's configs off it). What
        :func:`benchmark.runner.stopped_under_other_id` (planning) and :meth:`superseded` (check's) match.
        ``listed``: each run's checkpoints, as :meth:`leftover_temp_files` found them in its listing (None: each run
        folder asked here)."""
        if listed is None:
            listed = {rid: checkpoints(self.run_dir(rid)) for rid in self.run_ids()}
        return {rid: self.run_dir(rid) / first_checkpoint(names).name for rid, names in self._stopped(listed).items()}

    def _stopped(self, listed: dict[str, list[Path]]) -> dict[str, list[Path]]:
        """``listed`` (each run's checkpoints, :func:`_is_checkpoint`) of the runs stopped with one: not finished, not
        damaged, held by no live process (:meth:`stopped_with_checkpoint`'s selection)."""
        return {rid: names for rid, names in listed.items() if names
                and (d := self.run_dir(rid)) and (self.meta(rid) or {}).get("status") not in STATUSES
                and not self.damage_meta_matters(rid) and not held_as_far_as_known(d / ".lock")}

    def _failed_with_checkpoint(self, listed: dict[str, list[Path]]) -> dict[str, list[Path]]:
        """``listed`` (each run's checkpoints) of the runs recorded ``failed`` that hold one, no live process holding
        them: a failure in training after a checkpoint, which the same ``plbench run`` retries from it
        (:meth:`reset_run` keeps checkpoints)."""
        return {rid: names for rid, names in listed.items()
                if names and (self.meta(rid) or {}).get("status") == "failed"
                and not held_as_far_as_known(self.run_dir(rid) / ".lock")}

    def unusable_checkpoints(self, listed: dict[str, list[Path]] | None = None,
                             superseded=()) -> dict[str, dict[Path, str]]:
        """{run id: {checkpoint: why}} for each run stopped with a checkpoint (the selection of
        :meth:`stopped_with_checkpoint`), or failed with one (:meth:`_failed_with_checkpoint`: its retry resumes from
        it), whose ``ckpt.pt`` or half-batch retry's ``ckpt-b<n>.pt`` (the one
        :func:`benchmark.runner._train_with_oom_retry` resumes from at half the batch) no run can resume from
        (:func:`benchmark.ckptrecord.unusable`: empty, cut short, another format; or written for another run,
        :func:`_foreign`, but for the runs of ``superseded``, said so apart): the run, or its retry at half the
        batch, trains from iteration 0 again, though its folder looks like a run to resume. ``listed``: as
        :meth:`stopped_with_checkpoint`'s (None: each run folder listed here). Its record alone read; nothing read (nor
        torch imported) where no unfinished run has a checkpoint."""
        if listed is None:
            listed = {rid: checkpoints(self.run_dir(rid)) for rid in self.run_ids()}
        waiting = {**self._stopped(listed), **self._failed_with_checkpoint(listed)}
        if not waiting:
            return {}
        from benchmark.ckptrecord import unusable

        out: dict[str, dict[Path, str]] = {}
        for rid, names in sorted(waiting.items()):
            for ckpt in sorted(names, key=_ckpt_pt_first):
                path = self.run_dir(rid) / ckpt.name
                if why := unusable(path) if rid in superseded else not_resumed(path, rid):
                    out.setdefault(rid, {})[path] = why
        return out

    def failed_superseded(self, also: "ResultsStore | None" = None, metas: list[dict] | None = None) -> dict[str, str]:
        """{run id: the run that supersedes it} for each run recorded ``failed``, held by no live process, whose
        record's config and code version (``config``, ``code_version``: what :meth:`superseded` matches a checkpoint
        by) are those of a run started after it and finished (``ok``, ``diverged``) under another id — a
        ``--loss-file`` fixed after the failure (its hash is in the run id): the command that failed it trains that
        run now, and retries this one only if the broken code is put back. A failure started after the finished run
        (the file broken again), or either start unknown, is not superseded: the same command retries it. Where both
        records name a loss file that is here, the file as it is decides, not the start times (two machines' clocks
        in a merged store may be hours apart): :func:`_file_says`. ``also``: another store whose finished runs
        supersede too (a merge's: the run finished on the head, failed on a node). ``metas``: this store's
        :meth:`metas`, where already read (:meth:`standing_metas`)."""
        from benchmark.ckptrecord import fingerprint_key

        mine = self.metas() if metas is None else metas
        if not any(m.get("status") == "failed" for m in mine):  # nothing to supersede: no record's key computed
            return {}
        finished: dict[str, tuple[float, str, dict]] = {}
        failed: list[tuple[str, str, float, dict]] = []
        for m in mine + [m for m in (also.metas() if also is not None else []) if m.get("status") != "failed"]:
            rid, st, started = m.get("run_id"), m.get("status"), m.get("started")
            if not isinstance(m.get("config"), dict) or not m.get("code_version") or not isinstance(rid, str) \
                    or not isinstance(started, (int, float)) or isinstance(started, bool):
                continue
            key = fingerprint_key({"config": m["config"], "code_version": m["code_version"]})
            if st in ("ok", "diverged"):
                if key not in finished or (started, rid) > finished[key][:2]:  # the latest of them
                    finished[key] = (started, rid, m)
            elif st == "failed":
                failed.append((rid, key, started, m))
        out = {}
        hashes: dict[str, str | None] = {}
        for rid, key, started, m in sorted(failed, key=lambda f: f[:3]):
            if not (by := finished.get(key)) or by[1] == rid or held_as_far_as_known(self.run_dir(rid) / ".lock"):
                continue
            said = _file_says(m, by[2], hashes)  # the loss file as it is here: no machine's clock
            if said if said is not None else by[0] > started:
                out[rid] = by[1]
        return out

    def standing_metas(self) -> tuple[list[dict], dict[str, str]]:
        """(the run records a report, its findings and a comparison count: :meth:`metas` without the failed runs
        :meth:`failed_superseded` names, {those run ids: the run superseding each}) — every record read once. The
        one place a command leaves those failures out: it reads this once and hands both on (``write_report`` to
        ``check_store`` and, through ``superseded_out``, to ``compare``'s summary), never working it out again."""
        metas = self.metas()
        superseded = self.failed_superseded(metas=metas)
        return [m for m in metas if m.get("run_id") not in superseded], superseded

    def only_checkpoints(self, run_id: str) -> bool:
        """Run ``run_id``'s folder holds its checkpoints (:func:`_is_checkpoint`) and nothing of its own besides
        (hidden files aside: its lock, a write in flight): what :meth:`remove_superseded` may remove."""
        try:
            own = [p for p in self.run_dir(run_id).iterdir() if not p.name.startswith(".")]
        except OSError:
            return False
        return bool(own) and all(_is_checkpoint(p) and p.is_file() for p in own)

    def remove_superseded(self, run_id: str) -> bool:
        """Remove the folder of a run :meth:`superseded` names, under its lock and only while it is still not
        finished and holds checkpoints alone (:meth:`only_checkpoints`); whether it was removed."""
        lock = self.lock(run_id)
        if isinstance(lock, str):  # a process took it since it was read (the code put back): its run
            return False
        d = self.run_dir(run_id)
        with lock:
            if (self.meta(run_id) or {}).get("status") in STATUSES or not self.only_checkpoints(run_id):
                return False
            for p in d.iterdir():
                if p.name != ".lock":
                    p.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the lock released (its file removed): the folder, unless refilled
            d.rmdir()
        return not d.exists()

    def store_now(self) -> float | None:
        """Now by the store's clock: the time a file written in its root now is stamped with (a file server stamps it
        by its own clock, which may be hours off this host's), or None where none can be written (read-only). It
        writes, and removes, one small file (``.clock.*.probe``)."""
        try:
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=CLOCK_PROBE[0], suffix=CLOCK_PROBE[1])
        except OSError:
            return None
        try:
            return os.fstat(fd).st_mtime
        except OSError:
            return None
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(probe)

    def check_foreign(self) -> None:
        """Refuse a directory that is neither empty nor a results store (a folder of the user's own
        files: the report would overwrite their ``results.csv``, ``report.html``, …), and a store
        nested inside another store."""
        resolved = self.root.resolve()
        for parent in resolved.parents:
            if (parent / "store.json").is_file():
                raise UserError(f"{self.root} is inside the results directory {parent}: use a directory outside "
                                "it (a store inside another store's files is never read as either)")
        # a placeholder (the repository's own results/.gitkeep, which a fresh clone's default --out holds)
        # is not a file plbench could write over: such a folder counts as empty
        others = sorted(p.name for p in self.root.iterdir() if p.name not in PLACEHOLDERS) \
            if self.root.is_dir() else []
        if others and not self.is_store():
            raise UserError(f"{self.root} is not a plbench results directory (no store.json) and holds other files "
                            f"({', '.join(others[:3])}{', …' if len(others) > 3 else ''}): "
                            "use a new or empty --out; plbench never writes over files it did not write")

    def check_links(self) -> None:
        """One line where the results directory or its ``runs/`` is a symlink to a folder that is not there (a disk
        not mounted now): not a store with no results, nor a place to create one over the link."""
        for path in (self.root, self.runs):
            if _dangling(path):
                raise UserError(f"{path} is a link to {os.readlink(path)}, which is not there (a disk not mounted, a "
                                f"folder moved?): mount or restore it and run {again()} again; nothing was "
                                "written")

    def preflight(self, writes: str = "`plbench run` writes its runs and report there") -> None:
        """The checks of :meth:`ensure_writable` that create nothing, for a run to make before it loads
        its data: a file in the way, a folder of other files, an incompatible store, no permission
        to create the directory (its nearest existing parent not writable). ``writes``: what the command
        writes there, as a read-only store's line says it."""
        self.check_links()
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"results directory {self.root} exists and is not a directory")
        self.check_foreign()
        if self.root.is_dir():
            self.check_version()
        parent = self.root if self.root.is_dir() else next(
            (p for p in self.root.absolute().parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise UserError(f"cannot create results directory {self.root}: {parent} is not a directory")
        if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            why = not_writable(parent) or "permission denied"  # the reason, as report's line gives it
            if parent == self.root:  # it exists: nothing to create (a read-only copy, a read-only mount)
                raise UserError(f"results directory {self.root} is not writable ({why}): {writes}; make it writable "
                                "or copy it (its results stay readable by `check` and `api.load_results`)")
            raise UserError(f"cannot create results directory {self.root}: {parent} is not writable ({why})")

    def ensure_writable(self) -> None:
        """Create the directory if needed and prove it is writable; every failure is one line."""
        self.check_links()
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"results directory {self.root} exists and is not a directory")
        self.check_foreign()
        self.check_version()
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create results directory {self.root}: {exc.strerror}") from None
        if not self.runs.is_dir():
            raise UserError(f"{self.runs} is not a directory")
        if not (os.access(self.runs, os.W_OK) and os.access(self.root, os.W_OK)):
            why = not_writable(self.runs) or not_writable(self.root) or "permission denied"
            raise UserError(f"results directory {self.root} is not writable ({why})")
        marker = self.root / "store.json"
        try:
            if not marker.exists():
                atomic_write_json(marker, {"store_version": STORE_VERSION})
            with tempfile.TemporaryFile(dir=self.runs):
                pass
        except OSError as exc:
            raise UserError(f"results directory {self.root} is not writable: {exc.strerror}") from None

    def run_dir(self, run_id: str) -> Path:
        return self.runs / self._cased.get(run_id, run_id)

    def folds_case(self) -> bool:
        """Whether the store's disk takes names in any letter case for one (macOS's default, Windows, an SMB share):
        ``runs/`` and ``RUNS/`` are one folder — asked once per store (one stat), and only where a folder of
        ``runs/`` is named as a run id in other letters (``0123…ABCD``), which on such a disk *is* run ``0123…abcd``
        (:meth:`_entries`): found done by :meth:`is_done`, so never a copy of itself, nor gone."""
        if self._folds is None:
            try:
                self._folds = os.path.samefile(self.runs, self.root / self.runs.name.upper())
            except OSError:  # no RUNS/: a disk that tells case apart
                self._folds = False
        return self._folds

    @contextlib.contextmanager
    def report_lock(self, poll_s: float = 0.2):
        """Hold the store's report lock (``.report.lock``, an flock like :class:`RunLock`'s, dropped by the
        kernel if its holder dies) for the ``with`` block; while another process holds it, wait, saying so
        in one line. Report outputs (``results.csv``, ``leaderboard.*``, ``figures/``, …) are written one file
        at a time and a report removes the figure files it did not write: two at once mixed or deleted each
        other's, so each report is written whole while it holds this lock."""
        with self.waiting_lock(self.root / ".report.lock", "another report is being written into %s (%s); waiting "
                               "for it (two at once would mix their outputs)", poll_s):
            yield

    @contextlib.contextmanager
    def waiting_lock(self, path: Path, waiting: str, poll_s: float = 0.2):
        """Hold the flock at ``path`` (:class:`RunLock`) for the ``with`` block, waiting while another process holds
        it, saying so once in ``waiting`` (its ``%s``: the store, the holder); a store that cannot be written is the
        one line any write there gives."""
        said, hinted, t0 = False, False, time.monotonic()
        while True:
            try:
                lock = RunLock.acquire(path)
            except OSError as exc:  # a read-only store, a full disk: the one line any write there gives
                raise _write_error(path, exc) from None
            if not isinstance(lock, str):
                break
            if not said:
                log.info(waiting, self.root, lock)
                said = True
            hinted = hinted or _hint_stale(path, lock, t0)
            time.sleep(poll_s)
        with lock:
            yield

    # -- status -------------------------------------------------------------------------
    def _load_meta(self, run_id: str) -> tuple[dict | None, str]:
        """(the run's ``meta.json``, "") when it is present and complete; (None, why) when it is
        damaged — unreadable, or complete JSON with missing or wrong fields (:func:`meta_problem`);
        (None, "") when it is absent.

        Each file is read and parsed once per store object: the result is kept with the file's
        inode, size and times (every writer renames a new file into place, so a rewritten
        ``meta.json`` is read again). The dict returned is a copy of its top level; its nested values
        (``config``, ``loss_curve``) are shared with the cache and must not be changed in place."""
        p = self.run_dir(run_id) / "meta.json"
        try:
            st = os.stat(p)
        except FileNotFoundError:
            self._metas.pop(run_id, None)
            return None, ""
        except OSError:
            return None, "meta.json unreadable"
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)  # every write renames a new file in
        cached = self._metas.get(run_id)
        if cached is not None and cached[0] == stamp:
            meta, why = cached[1]
            return (dict(meta) if meta is not None else None), why
        got = self._parse_meta(p, run_id)
        self._metas[run_id] = (stamp, got)
        return (dict(got[0]) if got[0] is not None else None), got[1]

    @staticmethod
    def _parse_meta(p: Path, run_id: str) -> tuple[dict | None, str]:
        """:meth:`_load_meta` of the file ``p`` itself, read and checked (no cache)."""
        try:
            text = p.read_bytes().decode("utf-8-sig")  # as read_json: an editor's BOM, any locale
        except FileNotFoundError:
            return None, ""
        except (OSError, UnicodeDecodeError):
            return None, "meta.json unreadable"
        try:
            meta = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return None, "meta.json unreadable"
        why = meta_problem(meta, run_id)
        if why:
            return None, why
        if isinstance(meta.get("setting"), dict):  # another release of the same numbers code: one setting
            from benchmark.config import current_setting

            meta["setting"] = current_setting(meta["setting"])
        return meta, ""

    def meta(self, run_id: str) -> dict | None:
        """The run's ``meta.json``; None when it is absent or damaged — unreadable or incomplete
        (:meth:`meta_damage` tells which). Its ``setting`` is read as :meth:`table` reads the rows'
        (:func:`benchmark.config.current_setting`); its top-level ``code_version`` is the writer's."""
        return self._load_meta(run_id)[0]

    def meta_damage(self, run_id: str) -> str:
        """Why the run's ``meta.json`` cannot be trusted ("" when it is absent or fine): unreadable,
        or readable with missing or wrong fields (:func:`meta_problem`)."""
        return self._load_meta(run_id)[1]

    def damage_meta_matters(self, run_id: str) -> bool:
        """A damaged ``meta.json`` (unreadable or incomplete) next to results (passes or a saved net):
        a damaged run. (One with nothing else is an attempt that crashed while writing it, and simply
        not done; :meth:`reset_run` moves it aside before the run is retried.)"""
        d = self.run_dir(run_id)
        return bool(self.meta_damage(run_id)) and (bool(pass_files(d, ".json")) or (d / "net.pt").exists())

    def damage(self, run_id: str, deep: bool = True, lost_rows: bool = True) -> str:
        """Why a run's files cannot be trusted, or "": an unreadable or incomplete ``meta.json``
        (while the run has evaluation passes or a saved net), an unreadable pass record, a pass
        whose rows are missing, truncated or differ from the checksum its record holds.
        ``deep=False`` checks the small files only (meta.json, pass records, the rows' presence)
        without reading and hashing the rows; ``lost_rows=False`` accepts a finished run whose passes
        are all gone (:meth:`_no_pass`: nothing is there to count twice, so it can be re-scored)."""
        d = self.run_dir(run_id)
        passes = pass_files(d, ".json")
        if self.damage_meta_matters(run_id):
            return self.meta_damage(run_id)
        meta = self.meta(run_id)
        if meta is None or meta.get("status") not in ("ok", "diverged"):
            return ""  # unfinished: its passes are a crashed attempt's, removed before the run goes on
        if why := self._missing_record(d, passes) or (self._no_pass(meta, d, passes) if lost_rows else ""):
            return why
        for rec_path in passes:
            try:
                if deep:
                    self._verify_pass(d, rec_path, run_id, meta.get("config"))
                else:
                    self._read_record(rec_path)
                    if not (d / (rec_path.stem + ".parquet")).is_file():
                        raise Damage(f"{rec_path.stem}.parquet missing")
            except Damage as exc:
                return str(exc)
        return ""

    @staticmethod
    def _missing_record(d: Path, passes: list[Path]) -> str:
        """A finished run's rows whose pass record is gone (deleted or moved by hand), or "": a crash
        can leave only the newest pass without its record (written after its rows), and only while
        an earlier pass is committed (a run's first pass precedes its ``meta.json``)."""
        have = {p.stem for p in passes}
        last = max(map(_pass_index, passes), default=-1)
        for rows in pass_files(d, ".parquet"):
            if rows.stem not in have and (_pass_index(rows) < last or not passes):
                return f"{rows.stem}.json missing (its rows {rows.name} have no record)"
        return ""

    @staticmethod
    def _no_pass(meta: dict, d: Path, passes: list[Path]) -> str:
        """A run recorded ``ok`` without any evaluation pass, or "": its first pass is written before
        its ``meta.json``, so every file of its rows was deleted or lost (a copy or sync that left
        them out) — not a run without results, which the table would silently lack."""
        if meta.get("status") != "ok" or passes or pass_files(d, ".parquet"):
            return ""
        return "no evaluation pass (its eval-*.json and eval-*.parquet are gone)"

    @staticmethod
    def _read_record(rec_path: Path) -> dict:
        """A pass record (``eval-<k>.json``) as :meth:`write_eval` writes it; :class:`Damage` naming it where it is
        unreadable, or valid JSON of another shape (edited by hand, another tool's): a field of another type than
        plbench writes (a checksum that is no text was taken for rows that differ from it; a ``scored`` text was read
        letter by letter as the metrics scored)."""
        try:
            rec = read_json(rec_path)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except (OSError, UnicodeDecodeError, ValueError):
            raise Damage(f"{rec_path.name} unreadable") from None
        for field, ok in _RECORD_FIELDS.items():
            if field in rec and not ok(rec[field]):
                raise Damage(f"{rec_path.name} is not a pass record (its {field} is {rec[field]!r:.60})")
        return rec

    @staticmethod
    def _own_rows(run_id: str, parquet: Path, rows, config: dict | None = None):
        """``rows`` (a pass's, a :class:`pyarrow.Table` or DataFrame), or :class:`Damage` where they name another run
        in their ``run_id`` than ``run_id``, the folder's: another run's pass copied into it (by hand, a store put
        together from two copies), which the table read as that run's twice and this one's as none; or where they are
        of another seed or task than ``config`` (the run's meta.json: :func:`_rows_of_config`), as :meth:`damage` and
        so ``check`` and ``plbench run`` judge it — no reader takes a run's rows that check calls damaged."""
        if rows is None:
            return rows
        columns = rows.column_names if hasattr(rows, "column_names") else list(rows.columns)

        def values_of(column: str) -> list:
            if column not in columns:
                return []
            if hasattr(rows, "column_names"):
                import pyarrow.compute as pc

                return pc.unique(rows.column(column)).to_pylist()
            return [None if pd.isna(v) else v for v in rows[column].unique().tolist()]

        _foreign_rows(values_of("run_id"), run_id, parquet)
        if isinstance(config, dict):
            _rows_of_config(values_of, config, parquet)
        return rows

    def _verify_pass(self, d: Path, rec_path: Path, run_id: str | None = None, config: dict | None = None) -> None:
        """:class:`Damage` where one committed pass's rows fail what :meth:`_read_pass` checks, without making a
        frame of them: bytes that differ from its record's checksum (truncated or changed), a row count (the
        parquet footer's) other than its record's, or a seed or task (the footer's statistics) other than the run's
        ``config`` (its meta.json, edited by hand: its readers and the rows' would disagree on the run). Parsing
        every pass's rows into a DataFrame was most of the time ``plbench run`` and the SLURM driver took to plan a
        store of finished runs; the checksum covers every byte, so a pass that matches it is the readable file
        :meth:`write_eval` wrote. A record without a checksum (none that this code wrote) is read in full, as
        before."""
        rec = self._read_record(rec_path)
        parquet = d / (rec_path.stem + ".parquet")
        if not rec.get("sha256"):
            rows = self._read_pass(d, rec_path)
            if run_id:
                self._own_rows(run_id, parquet, rows, config)
            return
        try:
            data = parquet.read_bytes()
        except OSError:
            raise Damage(f"{parquet.name} missing") from None
        if rec["sha256"] != _sha256(data):
            raise Damage(f"{parquet.name} does not match its checksum (truncated or changed)")
        if "rows" in rec or run_id:
            import pyarrow.parquet as pq

            try:
                md = pq.read_metadata(io.BytesIO(data))
            except Exception:  # noqa: BLE001 - pyarrow raises many types for a damaged file
                raise Damage(f"{parquet.name} unreadable") from None
            if "rows" in rec and rec["rows"] != md.num_rows:
                raise Damage(f"{parquet.name} holds {md.num_rows} rows, its record says {rec['rows']}")
            if run_id:  # the footer's statistics of the run_id column: no row read
                _foreign_rows(_footer_bounds(md, "run_id"), run_id, parquet)
            if isinstance(config, dict):
                _rows_of_config(lambda field: _footer_bounds(md, field), config, parquet)

    def _pass_bytes(self, d: Path, rec_path: Path, rec: dict | None = None) -> tuple[dict, Path, bytes]:
        """(record, rows' path, rows' bytes) of one committed pass, the bytes checked against the record's
        checksum (:class:`Damage` when they are missing or differ); ``rec``: its record, already read."""
        rec = self._read_record(rec_path) if rec is None else rec
        parquet = d / (rec_path.stem + ".parquet")
        try:
            data = parquet.read_bytes()
        except OSError:
            raise Damage(f"{parquet.name} missing") from None
        if rec.get("sha256") and rec["sha256"] != _sha256(data):
            raise Damage(f"{parquet.name} does not match its checksum (truncated or changed)")
        return rec, parquet, data

    def _read_pass_arrow(self, d: Path, rec_path: Path, rec: dict | None = None):
        """:meth:`_read_pass` with ``categories`` as a :class:`pyarrow.Table` (its repeated string columns
        dictionary-encoded), verified alike; None for a pass without columns (read it with :meth:`_read_pass`)."""
        import pyarrow.parquet as pq

        rec, parquet, data = self._pass_bytes(d, rec_path, rec)
        try:
            t = pq.read_table(io.BytesIO(data), read_dictionary=_category_columns(COLUMNS))
        except Exception:  # noqa: BLE001 - pyarrow raises many types for a damaged file
            raise Damage(f"{parquet.name} unreadable") from None
        if not t.num_columns:
            return None
        if "rows" in rec and rec["rows"] != t.num_rows:
            raise Damage(f"{parquet.name} holds {t.num_rows} rows, its record says {rec['rows']}")
        return t

    def _read_pass(self, d: Path, rec_path: Path, categories: bool = False, rec: dict | None = None) -> pd.DataFrame:
        """One committed pass's rows, verified against its record (:class:`Damage` when they fail);
        ``categories``: the repeated string columns read as categoricals (parquet's own dictionaries, never
        a string per row)."""
        rec, parquet, data = self._pass_bytes(d, rec_path, rec)
        try:
            if categories:
                import pyarrow.parquet as pq

                # one parse of the footer: the dictionary columns are named from the schema (a pass of an
                # older schema lacks some, which read_table allows), not from a first read of the file
                t = pq.read_table(io.BytesIO(data), read_dictionary=_category_columns(COLUMNS))
                df = t.to_pandas() if t.num_columns else pd.read_parquet(io.BytesIO(data))  # no columns: its rows
            else:
                df = pd.read_parquet(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - pyarrow raises many types for a damaged file
            raise Damage(f"{parquet.name} unreadable") from None
        if "rows" in rec and rec["rows"] != len(df):
            raise Damage(f"{parquet.name} holds {len(df)} rows, its record says {rec['rows']}")
        return df

    def _read_pass_columns(self, d: Path, rec_path: Path, columns, rec: dict | None = None) -> dict[str, list]:
        """:meth:`_read_pass` of the ``columns`` (names) the pass has, each a list of its values (Python's strings and
        numbers): the rest of its columns never decoded, no frame built; its bytes checked against its record's
        checksum and row count alike."""
        import pyarrow.parquet as pq

        rec, parquet, data = self._pass_bytes(d, rec_path, rec)
        try:
            f = pq.ParquetFile(io.BytesIO(data))
            t = f.read(columns=[c for c in columns if c in f.schema_arrow.names])
        except Exception:  # noqa: BLE001 - pyarrow raises many types for a damaged file
            raise Damage(f"{parquet.name} unreadable") from None
        if "rows" in rec and rec["rows"] != t.num_rows:
            raise Damage(f"{parquet.name} holds {t.num_rows} rows, its record says {rec['rows']}")
        return {c: t.column(c).to_pylist() for c in t.column_names}

    def repeated_rows(self, run_id: str) -> list[tuple[Path, int, int]]:
        """``(record, rows repeated, rows of its own)`` of each pass of a finished run that holds (run, image, metric)
        rows an earlier pass of it (or the pass itself, before them) holds too, as :meth:`table` reads them (a metric a
        later pass superseded, :func:`_superseded`, left out first): the table counts the earliest and drops the
        rest. ``rows of its own``: the pass's rows found in no earlier pass, or of a metric it records another file for
        than the earlier passes (:func:`_recorded_digest`: what stale scores are told by) — 0 where setting the pass
        aside changes no table (:meth:`set_aside_repeats`). Empty for a run with damage (check names that) or none
        repeated."""
        d = self.run_dir(run_id)
        if self.damage(run_id, deep=False):
            return []
        cols = ("dataset", "image", "metric")
        try:
            passes = pass_files(d, ".json")
            records = [self._read_record(p) for p in passes]
            superseded = _superseded(records)
            seen: set = set()
            out = []
            for i, (p, rec, gone) in enumerate(zip(passes, records, superseded)):
                got = self._read_pass_columns(d, p, cols, rec)
                keys = [k for k in zip(*(got.get(c, []) for c in cols)) if k[2] not in gone]
                before = _latest_digests(records[:i])  # a file recorded here but not there: its record matters
                other = {m for m in rec.get("scored", []) if _recorded_digest(rec, m) != before.get(m, "")}
                own = set(keys) - seen
                if len(own) < len(keys):
                    out.append((p, len(keys) - len(own), len(own | {k for k in keys if k[2] in other})))
                seen |= own
        except (OSError, Damage):
            return []
        return out

    def set_aside_repeats(self, run_id: str) -> list[str]:
        """Set aside (:meth:`set_aside`, under ``runs/<id>/damaged/<n>/``, nothing deleted) the passes of
        :meth:`repeated_rows` that hold no row of their own: the table read the same without them and stops
        warning. Their names (``eval-<k>``); none where the run is held by a live process (its lock). Leaves the
        first pass, and one with rows of its own, where they are."""
        if isinstance(lock := self.lock(run_id), str):
            return []
        with lock:
            names = {p.stem for p, _, own in self.repeated_rows(run_id) if not own}
            if names:
                self.set_aside(run_id, only=lambda p: _PASS.fullmatch(p.name) is not None and p.stem in names)
        return sorted(names, key=lambda n: int(n.split("-")[1]))

    def is_done(self, run_id: str) -> bool:
        meta = self.meta(run_id)
        return meta is not None and meta.get("status") in ("ok", "diverged")

    def eval_records(self, run_id: str) -> list[dict]:
        """The records of a run's committed evaluation passes, in order: ``scored`` (metrics),
        ``skipped`` ({metric: why}, e.g. weights not cached), ``unscorable`` ({metric: why no test
        image could be scored}), ``partial`` ({metric: which images were left out and why}),
        ``metric_weights`` ({metric: the weights it scored with}; passes written before it lack it).
        A damaged run (:meth:`damage`) is a :class:`UserError`: re-scoring it would count its
        rows twice."""
        why = self.damage(run_id, deep=False, lost_rows=False)  # rows are verified where they are read
        if why:
            raise UserError(f"run {run_id}: {why} — `plbench check --out {shlex.quote(str(self.root))} --repair` sets "
                            "it aside so the same `plbench run` re-scores or retrains it")
        out = []
        for p in pass_files(self.run_dir(run_id), ".json"):
            try:
                out.append(read_json(p))
            except (OSError, ValueError):  # unreadable, not UTF-8, not JSON
                continue
        return out

    def coverage(self, run_id: str) -> dict:
        """What a run's passes scored and what they did not: ``{"scored": set, "skipped": {m: why},
        "unscorable": {m: why}, "partial": {m: why}}``; a metric skipped by one pass and scored by a
        later one counts as scored."""
        scored, skipped, unscorable, partial = set(), {}, {}, {}
        for rec in self.eval_records(run_id):
            scored |= set(rec.get("scored", []))
            skipped.update(rec.get("skipped", {}))
            unscorable.update(rec.get("unscorable", {}))
            partial.update(rec.get("partial", {}))
        return {"scored": scored, "skipped": {m: r for m, r in skipped.items() if m not in scored},
                "unscorable": {m: r for m, r in unscorable.items() if m not in scored},
                "partial": {m: r for m, r in partial.items() if m in scored}}

    def stale_metrics(self, run_id: str, digests: dict[str, str], records: list[dict] | None = None) -> dict[str, str]:
        """{metric: the SHA-256 (or its prefix) of the file its scores were made with} for each metric of ``digests``
        ({metric: the SHA-256 of its file now}, :func:`benchmark.metrics.weights_digest`) whose latest scoring pass
        read another file: a checkpoint retrained or copied over in place. A pass that recorded no digest (a metric
        with no such file, or one written before passes recorded it and whose provenance names none) is never stale.
        ``records``: the run's :meth:`eval_records`, where already read."""
        latest = _latest_digests(self.eval_records(run_id) if records is None else records, digests)
        return {m: d for m, d in latest.items() if d and not digests[m].startswith(d)}

    def stale_scores(self, run_ids) -> dict[str, dict]:
        """{metric: {"sha256": today's file's (or code's), "runs": the runs of ``run_ids`` whose latest scoring of it
        read another file — or code, a metric fixed since (:data:`benchmark.metric_code.CODE_VERSIONS`)}}, each metric
        the runs of ``run_ids`` scored checked against :func:`current_digests` (a file not here: as the store notes it,
        :meth:`noted_digests`). The one reading of the report's coverage, ``compare``'s and the findings' — not
        :meth:`table`'s, which hashes only a metric whose runs recorded two files and leaves out the scores of the
        older where some runs have today's (:attr:`stale_left`); a metric no run was re-scored on keeps them. Reads
        each run's records once (:meth:`coverage`'s ``scored`` and :meth:`stale_metrics` of the same read)."""
        runs = sorted(run_ids)
        records = {rid: self.eval_records(rid) for rid in runs}
        scored = {m for recs in records.values() for rec in recs for m in rec.get("scored", [])}
        digests = current_digests(scored, self)
        digests.update({m: v["sha256"] for m, v in self.noted_digests().items()  # a file not here: as the store notes
                        if m in scored and m not in digests})  # it (a laptop's report says what the GPU machine's does)
        out: dict[str, dict] = {}
        for rid in runs if digests else ():
            for metric in self.stale_metrics(rid, digests, records[rid]):
                out.setdefault(metric, {"sha256": digests[metric], "runs": []})["runs"].append(rid)
        return out

    def metrics_scored(self, run_id: str) -> set[str]:
        """Metrics with rows for this run."""
        return self.coverage(run_id)["scored"]

    def metrics_attempted(self, run_id: str) -> set[str]:
        """Metrics scored, skipped with a reason, or unscorable on these images."""
        cov = self.coverage(run_id)
        return cov["scored"] | set(cov["skipped"]) | set(cov["unscorable"])

    # -- locking and crash recovery -------------------------------------------------------
    def lock(self, run_id: str, poll_s: float = 0.1) -> "RunLock | str":
        """Lock a run for this process: a :class:`RunLock` (use it as a context manager), or a
        string naming the live process that holds it. A lock file that cannot be made (a full disk, a
        read-only store) is the one line of :func:`_write_error`. While a ``merge`` holds it to read the run
        (:data:`MERGE_READ`: one run's copy) or to copy it here (:data:`MERGE_WRITE`) it waits, saying so once: a
        worker finding it held otherwise left the run to that process, which never trains or scores it, and a
        second merge into this store left a run the first one was copying for the user to merge again."""
        path = self.run_dir(run_id) / ".lock"
        if other := self.linked_run(run_id):  # its lock, its files: another run's (merged or trained over it)
            err = InTheWay(f"cannot write {path}: runs/{run_id} is a link to {_run_folder(other)}, another run's "
                           "folder; nothing was written through it, that run's files are intact: remove the link (rm "
                           f"{shlex.quote(str(self.run_dir(run_id)))}) and run {again()} again")
            err.way = self.run_dir(run_id)
            raise err
        said, hinted, t0 = False, False, time.monotonic()
        while True:
            try:
                lock = RunLock.acquire(path)
            except OSError as exc:
                raise _write_error(path, exc) from None
            if not (isinstance(lock, str) and lock.endswith((MERGE_READ, MERGE_WRITE))):
                return lock
            if not said:
                log.info("run %s is being %s by a merge (%s); waiting for it", run_id,
                         "read" if lock.endswith(MERGE_READ) else "copied here", lock)
                said = True
            hinted = hinted or _hint_stale(path, lock, t0)
            time.sleep(poll_s)

    def reset_run(self, run_id: str, redone: bool = False) -> Path | None:
        """Before (re-)evaluating an unfinished run: clear the run's folder of what an earlier attempt
        left, without losing a computed row. Keeps checkpoints. Call with the run's lock held.

        Its evaluation passes are in no table (the run is not done), but they may be a finished run's
        rows whose ``meta.json`` was lost (deleted, or left out by a copy): ``check`` and the report
        name them. They are moved to ``damaged/<n>/`` (:meth:`set_aside`), never deleted, with one
        warning line; so are a damaged ``meta.json`` (unreadable or incomplete: it proves nothing) and
        the passes beside it, so the retry never writes over them. Only temporary files of
        interrupted writes are deleted, and rows written after the last committed pass without their record
        (a write killed between the two: :meth:`_passes_to_keep`). Returns the ``damaged/<n>/`` folder it moved
        files to, or None: once the retry has written its pass, :meth:`drop_identical_aside` removes from it the
        passes the retry wrote again byte for byte (``redone``: the caller will, and the warning says so rather
        than "nothing deleted")."""
        d = self.run_dir(run_id)
        if not d.is_dir() or self.is_done(run_id):
            return None
        dest = None
        why = self.meta_damage(run_id)
        if why:
            dest = self.set_aside(run_id, only=lambda p: p.name == "meta.json" or p.name.startswith("eval-"))
            log.warning("run %s: %s — moved it and its evaluation passes to %s before the retry", run_id, why, dest)
        elif passes := self._passes_to_keep(d):
            records = sum(p.suffix == ".json" for p in passes)
            dest = self.set_aside(run_id, passes_only=True)
            log.warning("run %s: %s without a finished meta.json (%s: rows of an attempt "
                        "that did not finish, or whose record was lost; in no table) moved to %s before the retry; %s",
                        run_id, plural(records, "evaluation pass", "evaluation passes"), plural(len(passes), "file"),
                        dest,
                        "removed there if the retry computes the same rows, else kept" if redone
                        else "nothing deleted")
        for p in d.glob(".*.tmp*"):  # a killed write's temporary file: never anything's record
            p.unlink(missing_ok=True)
        return dest

    def drop_identical_aside(self, run_id: str, aside: Path | None) -> None:
        """After a retry recorded its run: remove from ``aside`` (the ``damaged/<n>/`` :meth:`reset_run` made
        before it) each evaluation pass whose rows are byte for byte a pass of the run now, with its record — a
        SIGKILL between a pass and its meta.json, which no deferred stop holds back, left it, and the retry
        computed the same rows: a copy, not damage — then the folder, and ``damaged/``, when left empty. One
        line says so; a pass that differs stays aside."""
        if aside is None or not aside.is_dir():
            return
        d = self.run_dir(run_id)
        kept = {p.read_bytes() for p in pass_files(d, ".parquet") if p.with_suffix(".json").is_file()}
        dropped = []
        for rows in pass_files(aside, ".parquet"):
            if rows.read_bytes() in kept:
                rows.with_suffix(".json").unlink(missing_ok=True)
                rows.unlink()
                dropped.append(rows.name)
        if not dropped:
            return
        with contextlib.suppress(OSError):  # only when nothing else is in it
            aside.rmdir()
            aside.parent.rmdir()
        log.info("run %s: the retry wrote the rows set aside in %s again byte for byte (%s): that copy removed",
                 run_id, aside, ", ".join(dropped))

    @staticmethod
    def _passes_to_keep(d: Path) -> list[Path]:
        """The ``eval-*`` files of an unfinished run that :meth:`reset_run` moves aside; first deletes the rows
        of a write killed before their record (a parquet past the last committed pass, without its ``.json``):
        never in a table, nothing lost, and :meth:`write_eval` deletes them as well."""
        _drop_uncommitted(d)
        return [p for p in pass_files(d) if p.is_file()]

    def archive_attempt(self, run_id: str) -> Path | None:
        """Before retrying a run whose last attempt failed: move that attempt's ``meta.json`` to
        ``attempts/<n>.json`` (so a retry never rewrites its record). Call with the run's lock held."""
        meta = self.meta(run_id)
        if meta is None or meta.get("status") in ("ok", "diverged"):
            return None
        d = self.run_dir(run_id) / "attempts"
        try:  # a full disk or a read-only store: one line, nothing moved
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(d, exc) from None
        n = _free_attempt(d)  # a curve without its record (a merge killed between the two) is not this attempt's
        try:  # a rename needs a directory entry there: a full disk is one line, the record left where it was
            os.replace(self.run_dir(run_id) / "meta.json", d / f"{n}.json")
        except OSError as exc:
            raise _write_error(d / f"{n}.json", exc) from None
        _fsync_dir(d)
        _fsync_dir(self.run_dir(run_id))
        return d / f"{n}.json"

    def attempts(self, run_id: str) -> list[dict]:
        """Earlier (failed) attempts of a run, oldest first; one whose record cannot be read
        (:meth:`unreadable_attempts`, which ``check`` names) left out, in one warning."""
        d = self.run_dir(run_id) / "attempts"
        out = []
        for p in sorted(d.glob("*.json"), key=lambda p: (not p.stem.isdigit(), int(p.stem) if p.stem.isdigit() else 0,
                                                         p.stem)):
            if why := _attempt_unread(p):
                log.warning("%s %s: left out of run %s's earlier attempts", p, why, run_id)
                continue
            out.append(read_json(p))
        return out

    def unreadable_attempts(self) -> dict[Path, str]:
        """{``runs/<id>/attempts/<n>.json``: why} for each earlier attempt's record (:meth:`archive_attempt`) that
        cannot be read as one (garbage, cut short by a copy, not a JSON object): a failed attempt's history lost —
        why it failed, its config — though the run's results do not depend on it."""
        out: dict[Path, str] = {}
        for rid in self.run_ids():
            d = self.run_dir(rid) / "attempts"
            if d.is_dir():
                out.update((p, why) for p in sorted(d.glob("*.json")) if (why := _attempt_unread(p)))
        return out

    def set_aside_attempt(self, path: Path) -> Path:
        """``check --repair`` of an unreadable attempt's record (:meth:`unreadable_attempts`): renamed
        ``<n>.json.unreadable`` beside it (nothing deleted), out of :meth:`attempts`' way. Returns the new path."""
        dest, n = path.with_name(f"{path.name}.unreadable"), 1
        while dest.exists():  # one kept before (a merge filed another attempt under that number since): kept too
            dest, n = path.with_name(f"{path.name}.unreadable.{n}"), n + 1
        os.replace(path, dest)
        return dest

    # -- writing ------------------------------------------------------------------------
    def write_eval(self, run_id: str, rows: list[dict], scored: list[str], skipped: dict[str, str],
                   unscorable: dict[str, str] | None = None, partial: dict[str, str] | None = None,
                   grid_id: str = "", metric_weights: dict[str, str] | None = None,
                   metric_sha256: dict[str, str] | None = None) -> None:
        """Append one evaluation pass (its rows, then its record; see :meth:`eval_records`); ``grid_id``: the
        remote grid that wrote it (:attr:`benchmark.executors.WorkUnit.grid_id`), recorded when given;
        ``metric_weights``: {metric: the weights it scored with} (:attr:`benchmark.metrics.OpenMetric.weights`:
        "none", pyiqa's cached file(s), contrique_fr's encoder), recorded when given; ``metric_sha256``: {metric: the
        SHA-256 of the file it read} for a metric whose file the user can replace
        (:func:`benchmark.metrics.weights_digest`: ``contrique_fr@<checkpoint>``), recorded when not empty
        (:meth:`stale_metrics` compares it)."""
        d = self.run_dir(run_id)
        d.mkdir(parents=True, exist_ok=True)
        _drop_uncommitted(d)  # rows whose record was never written (a crash); a lost record's rows are kept
        k = len(pass_files(d, ".json"))
        while (d / f"eval-{k}.json").exists() or (d / f"eval-{k}.parquet").exists():
            k += 1
        buf = io.BytesIO()
        to_frame(rows).to_parquet(buf, index=False)
        data = buf.getvalue()
        with DeferredInterrupt():  # both halves of the pass, or neither
            atomic_write_bytes(d / f"eval-{k}.parquet", data)
            atomic_write_json(d / f"eval-{k}.json", {"scored": sorted(scored), "skipped": skipped,
                                                     "unscorable": unscorable or {}, "partial": partial or {},
                                                     "sha256": _sha256(data), "rows": len(rows),
                                                     "written": time.time(),  # a grid's own passes (re-scores)
                                                     **({"grid_id": grid_id} if grid_id else {}),
                                                     **({"metric_weights": metric_weights}
                                                        if metric_weights is not None else {}),
                                                     **({"metric_sha256": metric_sha256} if metric_sha256 else {})})

    def write_meta(self, run_id: str, meta: dict) -> None:
        atomic_write_json(self.run_dir(run_id) / "meta.json", meta)
        if isinstance(meta, dict) and meta.get("status") in ("ok", "diverged"):
            self.note_finished(run_id, meta)

    def note_finished(self, run_id: str, meta: dict) -> None:
        """Append a finished run to :data:`FINISHED_LOG` (``+<id><TAB><what>``), the store's memory of its runs that
        :meth:`gone` reads: a run folder deleted before any report is named too. One ``write`` of one short line in
        append mode, fsynced, each line opened by a newline (a line a kill cut short is ended by the next, and read
        as no run); a failure to write it (a full disk after the run's record) is one warning, never the run's."""
        self._log_finished(_finished_note(run_id, meta))

    def forget_gone(self, run_ids, every: dict[str, str] | None = None) -> None:
        """Append ``-<id>`` lines to :data:`FINISHED_LOG` for runs :meth:`gone` named and a report has now left out
        (said there): not named again, as before the log existed (a rerun that finishes one notes it again). A run
        whose folder is back (retrained by a `plbench run` while the report ran: its ``+`` line came first) is not,
        nor one renamed (:meth:`renamed`: its results still in the store, under another name, which every report
        names until it is renamed back). ``every``: :meth:`renamed` as the caller already has it (None: asked here)."""
        run_ids = [r for r in run_ids if self._holds_none(r)]
        if run_ids and (renamed := set((self.renamed() if every is None else every).values())):
            run_ids = [r for r in run_ids if r not in renamed]
        if run_ids:
            self._log_finished("\n".join(f"-{r}" for r in sorted(run_ids)),
                               f"{agree(len(run_ids), 'it is', 'they are')} named again by the next check and "
                               "report")

    def _log_finished(self, lines: str, lost: str = NOTED_FINISHED_LOST) -> None:
        """Append ``lines`` to :data:`FINISHED_LOG`; where it cannot be written, one warning saying ``lost``: what
        that costs (a run noted finished: its folder deleted may go unnamed; a gone run noted as said: named again)
        — once per store and reason, however many runs a grid or a merge notes."""
        path = self.root / FINISHED_LOG
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                # several nodes append to one log (SLURM, Ray on a shared file system): O_APPEND alone is not atomic
                # on NFS, whose flock is a lock across nodes that also refreshes the file's end
                _lock_finished_log(fd)
                os.write(fd, f"\n{lines}\n".encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:  # said once per store, not once per run noted (a merge of 500 runs: 500 lines)
            self._say_once(f"could not note in {path} ({exc.strerror or exc}): {lost}")

    def _say_once(self, said: str) -> None:
        """Warn ``said`` unless this store (or, for a grid's worker, its driver: :meth:`said_by_the_driver`) has; a
        worker's store keeps it for its driver instead (:meth:`for_the_driver`), which says it once for the grid."""
        if said not in self._said:
            self._said.add(said)
            if self._to_driver is None or (not self._own_log and self._driver_here
                                            and said_first_here(self._grid_id, said)):
                # the first of the grid's workers here to meet it says it now, not at the grid's end: a night's log
                # read early, and a worker killed -9 before its summary, left it unsaid
                log.warning("%s", said)
            else:
                # a worker on another machine than the driver's claims nothing (no claim there is ever removed): a Ray
                # task's output is the driver's console, where the driver says it once; a SLURM job's log is its own,
                # the driver's another: said in both
                self._to_driver.append(said)
                if self._own_log:
                    log.warning("%s", said)
                else:
                    log.debug("%s (said by the grid's driver)", said)

    def finished_log_unwritable(self) -> str:
        """A grid's driver, before its workers start: the warning a run noted finished would give now where
        :data:`FINISHED_LOG` cannot be written (a file of another user's, read-only; a folder in its place), said here
        once and returned for the workers to take (:meth:`said_by_the_driver`), each of which said it again: N lines
        for N workers. "" where it can be written, or is not there yet (its folder writable: the caller's
        :meth:`ensure_writable`); nothing is written, or created, to find out."""
        path = self.root / FINISHED_LOG
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        except FileNotFoundError:
            return ""
        except OSError as exc:
            self._say_once(said := f"could not note in {path} ({exc.strerror or exc}): {NOTED_FINISHED_LOST}")
            return said
        return ""

    def said_by_the_driver(self, lines, grid_id: str = "", here: bool = True, own_log: bool = False) -> None:
        """A worker's store: ``lines`` (:meth:`finished_log_unwritable`'s) were said by the grid's driver, once for
        every worker; not said again here. A new reason (finished.log failing mid-grid: a disk filled, the store
        remounted read-only) is said at once by the first worker of grid ``grid_id`` on this machine to meet it
        (:func:`said_first_here`), and kept by the others for the driver (:meth:`for_the_driver`), which says it once
        for the grid unless a worker on its machine has: N workers meeting it said N identical lines. A worker where the
        driver is not (``here`` false: :func:`driver_here`) keeps each for the driver and claims nothing; one whose log
        is its own (``own_log``: a SLURM job's, not a Ray task's, which the driver's console shows) says it there and
        keeps it for the driver's log, wherever it runs."""
        self._said.update(x for x in lines if x)
        self._grid_id, self._driver_here, self._own_log = grid_id, here, own_log
        if self._to_driver is None:
            self._to_driver = []

    def for_the_driver(self) -> list[str]:
        """The warnings this worker's store kept for its grid's driver to say (:meth:`said_by_the_driver`)."""
        return list(self._to_driver or ())

    def note_digests(self, digests: dict[str, str]) -> None:
        """Note ``digests`` ({metric: SHA-256 of its file here now}, :func:`current_digests`) in :data:`DIGESTS_FILE`
        as today's files, where they are not already: a machine without a file (the store copied to a laptop to
        publish its plots) reads today's from there (:meth:`noted_digests`), so its table is the one made where the
        file is. Written atomically, only when a digest changed; a store that cannot be written (a read-only copy)
        keeps the note it has, said at debug level (the stand-in is said in the stale line)."""
        if not (self.root / "store.json").is_file():
            return

        def changed(noted: dict) -> dict:
            return {m: {"sha256": d, "noted": now} for m, d in digests.items()
                    if d and (noted.get(m) or {}).get("sha256") != d}

        now = time.time()
        if changed(self.noted_digests()):  # read once unlocked: the common case, nothing new, takes no lock
            self._update_notes(changed, "today's metric files not noted in %s: %s")

    def _update_notes(self, changed, unsaid: str) -> None:
        """Add ``changed(noted)`` ({metric: note}) to :data:`DIGESTS_FILE`, read again and written under its lock
        (``.metric-digests.json.lock``, waited for): two processes noting different metrics at once (two scoring
        passes, a merge and a scoring) each keep theirs, as :func:`benchmark.weights.remember_metric_files` does for
        its cache. A store that cannot be written keeps the note it has, said at debug level (``unsaid``)."""
        path = self.root / DIGESTS_FILE
        try:
            with self.waiting_lock(self.root / f".{DIGESTS_FILE}.lock", "another process is noting today's metric "
                                   "files in %s (%s); waiting for it"):
                noted = self.noted_digests()  # again, under the lock: another process's note kept
                if new := changed(noted):
                    atomic_write_json(path, {**noted, **new})
        except (OSError, UserError) as exc:
            log.debug(unsaid, path, exc)

    def noted_digests(self) -> dict[str, dict]:
        """{metric: {"sha256": today's file's, "noted": when}} as :meth:`note_digests` last noted them; {} for a
        store without the note (one older than it: the newest scoring's file stands for today's) or one that cannot
        be read."""
        try:
            noted = read_json(self.root / DIGESTS_FILE)
        except (OSError, ValueError):
            return {}
        return {str(m): v for m, v in noted.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)
                and v["sha256"]} if isinstance(noted, dict) else {}

    def finished_log_unread(self) -> str | None:
        """Why :data:`FINISHED_LOG` is there but cannot be read (its permissions, a directory), else None."""
        try:
            with open(self.root / FINISHED_LOG, "rb") as f:
                f.read(1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return exc.strerror or str(exc)
        return None

    def _read_finished_log(self, warn: bool = False) -> list[tuple[int, str, tuple[str, str, str] | None]]:
        """:func:`_finished_notes` of :data:`FINISHED_LOG`: the one reader of the file. [] without it, or where it
        cannot be read (:meth:`finished_log_unread` says why), then with one warning if ``warn``."""
        try:
            data = (self.root / FINISHED_LOG).read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            if warn:
                log.warning("%s cannot be read (%s): a run folder deleted since the last report goes unnamed; make "
                            "it a readable file", self.root / FINISHED_LOG, exc.strerror or exc)
            return []
        return _finished_notes(data)

    def finished_log(self) -> dict[str, str]:
        """{run_id: what} of the runs :data:`FINISHED_LOG` holds as finished (the last line of each id: ``+``, not
        ``-``); lines cut short or edited beyond reading are no run (counted in :attr:`finished_garbled`). {} without
        the file; {} with one warning where it cannot be read (:meth:`finished_log_unread`)."""
        out: dict[str, str] = {}
        self.finished_garbled = 0
        for _, _, read in self._read_finished_log(warn=True):
            if read is None:
                self.finished_garbled += 1
                continue
            sign, rid, what = read
            if sign == "+":
                out[rid] = what
            else:
                out.pop(rid, None)
        return out

    def finished_log_garbled(self) -> list[tuple[int, str]]:
        """(line number, its text) of each line of :data:`FINISHED_LOG` that is no note (:func:`_finished_line`:
        neither ``+<id><TAB><what>`` nor ``-<id>``): a file overwritten (a sync tool's conflict copy, an editor's
        save in another encoding), a line cut short — a finished run it noted is forgotten, so its folder deleted
        goes unnamed by check and report. Blank lines (each note opens with a newline) are none. [] without the
        file or where it cannot be read (:meth:`finished_log_unread` says that)."""
        return [(i, line) for i, line, read in self._read_finished_log() if read is None]

    def mend_finished_log(self, metas: list[dict]) -> Path:
        """``check --repair`` of :meth:`finished_log_garbled`: the file as it was kept beside it
        (``finished.log.unreadable``, numbered where one is there), then, under the appenders' lock
        (:meth:`_log_finished`'s flock, in place: a note appended meanwhile is not lost), written again of its readable
        lines and a ``+`` note for each finished run of ``metas`` (the store's records) it does not hold: a run of
        this store deleted later is named again. Returns the kept copy's path."""
        path = self.root / FINISHED_LOG
        fd = os.open(path, os.O_RDWR)
        try:
            _lock_finished_log(fd)
            data = b""
            while chunk := os.read(fd, 1 << 20):
                data += chunk
            kept, n = path.with_name(f"{FINISHED_LOG}.unreadable"), 1
            while kept.exists():
                kept, n = path.with_name(f"{FINISHED_LOG}.unreadable.{n}"), n + 1
            atomic_write_bytes(kept, data)
            notes = [(line, read) for _, line, read in _finished_notes(data) if read is not None]
            lines = [line for line, _ in notes]
            noted = {read[1] for _, read in notes if read[0] == "+"}
            lines += [_finished_note(m["run_id"], m) for m in metas if m.get("status") in ("ok", "diverged")
                      and isinstance(m.get("run_id"), str) and _RUN_ID.fullmatch(m["run_id"])
                      and m["run_id"] not in noted]
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, "".join(f"\n{line}\n" for line in lines).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return kept

    def save_state(self, run_id: str, name: str, state: dict) -> str:
        """Write a run's saved state (``net.pt``, ``loss.pt``) atomically; its bytes' sha256, which the run's
        ``meta.json`` records (``state_sha256``) so :meth:`state_damage` can tell a truncated or changed copy."""
        import torch

        buf = io.BytesIO()
        torch.save(state, buf)
        data = buf.getvalue()
        atomic_write_bytes(self.run_dir(run_id) / name, data)
        return _sha256(data)

    def state_stats(self, run_id: str, names) -> dict[str, list[int]]:
        """{name: [size in bytes, modification time in ns]} of a run's saved states as they are now: the runner
        records it in ``meta.json`` (``state_stat``) right after :meth:`save_state`, so a quick
        :meth:`state_damage` need not read a file left as it was written."""
        out = {}
        for n in names:
            st = (self.run_dir(run_id) / n).stat()
            out[n] = [st.st_size, st.st_mtime_ns]
        return out

    def state_damage(self, run_id: str, name: str = "net.pt", recorded_only: bool = False, quick: bool = False,
                     by_stamp: list | None = None, rehashed: list | None = None) -> str:
        """Why a finished run's saved state ``name`` cannot be used, or "": missing or differing from the checksum
        its ``meta.json`` recorded (``state_sha256``: truncated by a full disk or a copy, changed on disk); for a
        run recorded without checksums (an older version of plbench), a file failing the CRC-32s of the zip
        ``torch.save`` writes. Not :meth:`damage`: the run's rows were scored from the net in memory and stay
        valid; only re-scoring a new metric and the visual grid need the file. "" for a run that never saved it
        (diverged, input). ``recorded_only``: only against a recorded checksum ("" for a run without one).
        ``quick``: a file whose size and modification time are those recorded when it was written (``state_stat``)
        is taken as intact without reading it (its ``run_id`` appended to ``by_stamp``), one of another size as cut
        or changed; one whose time differs (rewritten, or copied without its times: ``cp -r``) is hashed. A change
        that kept both (bit rot, a write restoring the time) is found only without ``quick``. ``rehashed``: gets
        ``(path, recorded [size, mtime_ns])`` of each file that was hashed for its changed time and matched
        (:meth:`restamp` gives it its time back)."""
        meta = self.meta(run_id)
        if meta is None or meta.get("status") != "ok" or meta.get("kind") == "input":
            return ""
        path = self.run_dir(run_id) / name
        want = (meta.get("state_sha256") or {}).get(name) if isinstance(meta.get("state_sha256"), dict) else None
        if want is None:
            if recorded_only or not path.is_file():
                return ""  # not recorded as saved (an older store, or a run without trainable loss state)
            import zipfile

            try:  # torch.save's zip holds a CRC-32 per tensor: a truncated or changed file fails it (torch.load
                # reads a changed one without a word), and checking it needs no torch import
                with zipfile.ZipFile(path) as z:
                    bad = z.testzip()
            except (OSError, zipfile.BadZipFile, EOFError, ValueError):
                if _legacy_state_loads(path):  # torch's legacy (non-zip) format has no CRC-32: it loads, or not
                    return ""
                return f"{name} unreadable (truncated or not a saved state)"
            return f"{name} does not match its CRC-32 ({bad}): truncated or changed" if bad else ""
        stamp = (meta.get("state_stat") or {}).get(name) if isinstance(meta.get("state_stat"), dict) else None
        if quick and isinstance(stamp, list) and len(stamp) == 2:
            try:
                st = path.stat()
            except FileNotFoundError:
                return f"{name} missing"
            except OSError as exc:
                return f"{name} unreadable ({exc.strerror})"
            if st.st_size != stamp[0]:
                return f"{name} does not match its checksum: truncated or changed ({st.st_size} bytes, " \
                       f"{stamp[0]} written)"
            if st.st_mtime_ns == stamp[1]:
                if by_stamp is not None:
                    by_stamp.append(run_id)
                return ""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return f"{name} missing"
        except OSError as exc:
            return f"{name} unreadable ({exc.strerror})"
        if _sha256(data) != want:
            return f"{name} does not match its checksum: truncated or changed"
        if quick and rehashed is not None and isinstance(stamp, list) and len(stamp) == 2 \
                and isinstance(stamp[1], int) and stamp[0] == len(data):
            rehashed.append((path, stamp))
        return ""

    @staticmethod
    def restamp(found: list) -> int:
        """Give each saved state of ``found`` (``rehashed`` of :meth:`state_damage`: hashed and intact, its time
        changed by a copy such as ``cp -r``) the modification time its run recorded, so the next quick check
        need not read it, as :func:`_as_written` does for a merge's copy; returns how many were (a read-only
        store: none)."""
        done = 0
        for path, (_size, mtime_ns) in found:
            with contextlib.suppress(OSError):
                os.utime(path, ns=(mtime_ns, mtime_ns))
                done += 1
        return done

    def check_state(self, quick: bool = False, by_stamp: list | None = None,
                    rehashed: list | None = None) -> dict[str, str]:
        """{run_id: why} of every finished run whose saved net (or loss state) is damaged (:meth:`state_damage`;
        ``quick``, ``by_stamp`` and ``rehashed`` as there)."""
        out = {}
        for r in self.run_ids():
            if why := "; ".join(w for n in ("net.pt", "loss.pt")
                                if (w := self.state_damage(r, n, quick=quick, by_stamp=by_stamp, rehashed=rehashed))):
                out[r] = why
        return out

    # -- reading ------------------------------------------------------------------------
    def run_ids(self) -> list[str]:
        """The run folders of ``runs/`` — not a folder named as a copy of one (:meth:`copies`), nor a user's own
        folder there (:meth:`strays`): no reader takes either for a run, nor tidies what it holds."""
        return sorted(p.name for p in self._entries()[0] if not _is_copy(p) and not _is_stray(p))

    def links(self) -> dict[str, str]:
        """{name: the run it points to} of the folders of ``runs/`` that are symlinks to another run's folder of this
        store (made by hand, a deduplicating tool): no run — not read, counted, set aside or merged (``check
        --repair`` set "its" damaged files aside through the link: the other run's own) — and named by ``check``.
        A link to a folder elsewhere (a run moved to another disk) is the run itself."""
        try:
            return self._entries()[1]
        except OSError:
            return {}

    def _entries(self) -> tuple[list[Path], dict[str, str]]:
        """One listing of ``runs/`` (none: nothing): its folders, a link to one followed, less the links to another
        run's (:meth:`links`), and those links. The entries' types come from the listing itself: no stat per run (10⁴
        runs on NFS), the links alone resolved."""
        try:
            with os.scandir(self.runs) as it:
                entries = [(Path(e.path), e.is_symlink(), e.is_dir()) for e in it]
        except FileNotFoundError:
            return [], {}
        found = [p for p, link, _ in entries if link]
        try:
            runs = self.runs.resolve() if found else self.runs
            links = {p.name: other for p in found if (other := self._linked_to(p, runs))}
        except OSError:
            links = {}
        folders = [p for p, _, folder in entries if folder and p.name not in links]
        # a run id in other letters (`0123…ABCD`): on a disk that folds case, that run's own folder, listed by its id
        for i, p in enumerate(folders):
            if (rid := p.name.lower()) != p.name and _RUN_ID.fullmatch(rid) and self.folds_case():
                self._cased[rid] = p.name
                folders[i] = p.with_name(rid)
        return folders, links
    def linked_run(self, run_id: str) -> str:
        """The run whose folder ``runs/<run_id>`` is a symlink to (:meth:`links`), or "": one ``lstat``, the link
        alone resolved. Nothing is written through it (:meth:`lock` refuses it in one line: ``plbench run`` and
        ``merge`` wrote that run's files aside and their own in its place)."""
        d = self.run_dir(run_id)
        try:
            return self._linked_to(d, self.runs.resolve()) if d.is_symlink() else ""
        except OSError:
            return ""

    @staticmethod
    def _linked_to(p: Path, runs: Path) -> str:
        """Where the link ``p`` points to where that is another run's folder, else "": the name of a folder of ``runs``
        (resolved) other than its own, or the path of a folder elsewhere named as another run id (``ln -s
        ../other-results/runs/<y> runs/<x>``: that store's run ``<y>``, whose files ``check --repair`` and ``merge``
        would set aside through it) or holding another run's record under a name of the user's (``ln -s
        /archive/best-run runs/best``). A folder elsewhere of its own name, or recording its own id, is the run itself,
        moved there."""
        try:
            target = p.resolve()
        except (OSError, RuntimeError):  # a loop of links: not a run either way
            return ""
        if target.name == p.name or not target.is_dir():
            return ""
        if target.parent == runs:
            return target.name
        if _RUN_ID.fullmatch(target.name):
            return str(target)
        # a folder of the user's name (``ln -s /archive/best-run runs/best``): the run its record names, where that is
        # another (a run moved elsewhere under another name records its own id: the run itself)
        return str(target) if (rid := _recorded_id(target)) and rid != p.name else ""

    def copies(self) -> list[str]:
        """The folders of ``runs/`` named as a copy of a run (``<id>.bak``, ``<id>-old``, ``<id>bak``, ``<id>2`` holding
        run ``<id>``'s meta.json: a user's backup, :func:`_is_copy`): no run — never read, counted, set aside or
        merged; ``check`` names them."""
        return sorted(p.name for p in self._entries()[0] if _is_copy(p))

    def renamed_copies(self, copies: list[str] | None = None) -> dict[str, str]:
        """{copy: run id} of the :meth:`copies` (``copies``: as already listed) whose run's own ``runs/<id>`` is not
        there at all, not even as a link or a file (``mv runs/<id> runs/best``, not ``cp``): the only copy of that run,
        to be renamed back. A link to nothing or a file at ``runs/<id>`` is named as such, not as renamed. One
        definition for ``check``, the report's gone runs (:func:`benchmark.report.gone_lines`) and :meth:`merge_from`'s
        ``renamed_there``."""
        out = {}
        for c in self.copies() if copies is None else copies:
            if (rid := copy_of(c, self.runs / c)) and not os.path.lexists(self.run_dir(rid)):
                out[c] = rid
        return out

    def renamed_links(self, links: dict[str, str] | None = None) -> dict[str, str]:
        """{link: run id} of the :meth:`links` (``links``: as already listed) to a folder elsewhere whose run's own
        ``runs/<id>`` is not there at all (``ln -s /archive/<id> runs/best``): the store's only way to that run, to be
        renamed to ``runs/<id>`` (then read as the run, moved there), not removed; of two links to one run, the first
        by name. The run is its record's id, else the folder's name."""
        out = {}
        for name, to in (self.links() if links is None else links).items():
            target = Path(to)
            rid = _recorded_id(target) or (target.name if _RUN_ID.fullmatch(target.name) else "")
            if (target.is_absolute() and rid and rid != name and rid not in out.values()  # two links: one renamed
                    and not os.path.lexists(self.run_dir(rid))):
                out[name] = rid
        return out

    def renamed(self, copies: list[str] | None = None, links: dict[str, str] | None = None) -> dict[str, str]:
        """{name in ``runs/``: run id} of every way to a run whose own ``runs/<id>`` is not there at all: its copies
        (:meth:`renamed_copies`, ``mv runs/<id> runs/best``) then the links to its folder elsewhere
        (:meth:`renamed_links`, ``mv runs/<id> /archive/x; ln -s /archive/x runs/best``) — each the run renamed, to
        be renamed back with ``mv``, not lost, deleted or retrained. The one rule of ``check``, the report's gone
        runs (:func:`benchmark.report.gone_lines`) and :meth:`merge_from`'s ``renamed_there`` (``copies``,
        ``links``: as already listed)."""
        return {**self.renamed_copies(copies), **self.renamed_links(links)}

    def strays(self) -> list[str]:
        """The folders of ``runs/`` that are no run (a user's own: ``runs/old/`` holding runs moved out of the way,
        ``runs/notes/``; :func:`_is_stray`): not in :meth:`run_ids`; ``check`` names them as no run, never as a run
        to resume, and nothing removes what they hold."""
        return sorted(p.name for p in self._entries()[0] if not _is_copy(p) and _is_stray(p))

    def no_folders(self) -> dict[str, str]:
        """Of the entries of ``runs/`` named as a run id, {name: ""} of the plain files, {name: where it points} of the
        links to nothing (a disk not mounted): neither is a run's folder, so no report reads them and ``plbench run``
        fails that run on them — ``check`` names them (a finished run's link to nothing is :meth:`gone`'s). On a disk
        that folds case (:meth:`folds_case`) a run id in other letters (``0123…ABCD``) is that run's too."""
        try:
            with os.scandir(self.runs) as it:
                entries = [(e.name, e.is_symlink(), e.is_dir()) for e in it]
        except OSError:
            return {}
        out = {}
        for name, link, folder in entries:
            if folder or not (_RUN_ID.fullmatch(name) or (
                    name.lower() != name and _RUN_ID.fullmatch(name.lower()) and self.folds_case())):
                continue
            with contextlib.suppress(OSError):
                out[name] = os.readlink(self.runs / name) if link and not (self.runs / name).exists() else ""
        return dict(sorted(out.items()))

    def metas(self) -> list[dict]:
        return [m for m in (self.meta(r) for r in self.run_ids()) if m is not None]

    def in_flight(self, among=None) -> dict[str, str]:
        """{run id: its holder (``pid N on HOST since T``)} of the runs (of ``among``, when given) another process is
        training or scoring now: not finished (no ``ok``/``diverged`` record) and their lock held — by a live process
        of this host, or by one of another host, which cannot be checked from here. A board written meanwhile lacks
        them (two ``plbench run`` on one store: the first to end writes it). Read only: no lock is taken, which would
        make that process leave its run. A lock file left by a process gone (kill -9) holds nothing; nor does a
        merge's (one run's short copy)."""
        ids = self.run_ids() if among is None else sorted(set(among) & set(self.run_ids()))
        out = {}
        for rid in ids:
            path = self.run_dir(rid) / ".lock"
            try:
                holder = path.read_text(errors="replace").strip()
            except OSError:
                continue
            who = lock_holder(holder)
            if who is None or who[2] is None or MERGE_READ in holder or MERGE_WRITE in holder:
                continue
            if who[1] == socket.gethostname() and RunLock.held_for(path) is None:
                continue
            if copied_lock(path, holder):  # a copy of the store made while another machine trained it: nothing holds
                continue  # it here (this host's copy is told by its holder's open files, held_for)
            if (self.meta(rid) or {}).get("status") not in ("ok", "diverged"):
                out[rid] = shown_holder(holder)
        return out

    def recorded_losses(self) -> list[tuple[str, bool]]:
        """``(loss spec, reused)`` of each run recorded here, one per run (``[]`` where this is no results
        store); ``reused``: done (ok or diverged) by this code version (:func:`benchmark.config.as_current_code`),
        so a grid naming its config finds it — not a failed run, nor one an earlier code version made."""
        if not self.root.is_dir() or not self.is_store():
            return []
        from benchmark.config import as_current_code, code_version

        here = code_version()
        return [(m["config"]["loss"],
                 m.get("status") in ("ok", "diverged") and as_current_code(m.get("code_version")) == here)
                for m in self.metas() if isinstance(m.get("config"), dict) and isinstance(m["config"].get("loss"), str)]

    @contextlib.contextmanager
    def naming_file_losses(self):
        """Around code that resolves loss specs: an unknown loss name that this store holds runs of, from a
        loss file not loaded now (`--loss-file` forgotten on a second command), is one line naming those runs,
        their versions and the file they were trained from, not the registry's guesses at a built-in."""
        try:
            yield
        except UnknownName as exc:
            if exc.kind != "loss" or not self.root.is_dir() or not self.is_store():
                raise
            from benchmark.settings import is_budget_check

            metas = self.metas()
            settings = {json.dumps(m["setting"], sort_keys=True, default=str): m["setting"] for m in metas
                        if isinstance(m.get("setting"), dict)}
            runs, checks, versions, files = 0, 0, {}, {}
            for m in metas:
                v = (m.get("loss_versions") or {}).get(exc.name) if isinstance(m.get("loss_versions"), dict) else None
                f = (m.get("loss_files") or {}).get(exc.name) if isinstance(m.get("loss_files"), dict) else None
                if not isinstance(v, str) or "+" not in v and not isinstance(f, str):
                    continue  # not a loss file's run (its version holds the file's hash): a loss gone from the code
                s = m.get("setting")  # a budget check (the run at half its iterations) is no run of its own
                if isinstance(s, dict) and any(is_budget_check(s, o) for o in settings.values()):
                    checks += 1
                else:
                    runs += 1
                versions.setdefault(v, m.get("started") or 0.0)
                versions[v] = max(versions[v], m.get("started") or 0.0)
                if isinstance(f, str):
                    files[f] = max(files.get(f, 0.0), m.get("started") or 0.0)
            if not runs + checks:
                raise
            runs = runs or checks
            newest = max(files, key=files.get) if files else None
            # a store moved to another machine, or the file moved since: the path recorded is not there, but any copy
            # of the file at that version (its hash) finds the runs
            gone = newest is not None and not Path(newest).is_file()
            raise UserError(
                f"unknown loss {exc.name!r}: {self.root} holds {plural(runs, 'run')} of it, of a loss "
                f"file not loaded now (version{agree(len(versions), '', 's')} "
                + ", ".join(f"v{v}" for v in sorted(versions, key=versions.get)) + "): load it with --loss-file "
                + (shlex.quote(newest) + agree(len(files), "", " (its newest runs' file)") if newest else "FILE")
                + (f" — not there now (the store or the file moved): a copy of that file at "
                   f"v{max(versions, key=versions.get)}, wherever it is, finds these runs" if gone else "")
            ) from None

    def loss_spellings(self) -> dict[str, str]:
        """{recorded spec: the spelling it is read as} for a loss recorded here under several spellings of one
        identity (:func:`benchmark.config.merged_spellings`): :meth:`table` and the report read them as one
        loss, one row over all its runs; run ids and files stay as they are."""
        from benchmark.config import merged_spellings

        return merged_spellings(self.recorded_losses())

    def metas_as_read(self) -> list[dict]:
        """:meth:`metas` with each loss read as :meth:`table` reads its rows' (:meth:`loss_spellings`,
        :func:`respelt_meta`): the records of one loss recorded under two spellings — its failed and diverged
        runs included, which have no rows — count as that loss's."""
        spellings = self.loss_spellings()
        return [respelt_meta(m, spellings) for m in self.metas()]

    def table(self, categories: bool = False) -> pd.DataFrame:
        """Every committed row of every finished, intact run, as one tidy DataFrame. Damaged runs
        (:meth:`damage`) are left out and named, one warning line each (also in :attr:`damaged`); a run whose folder
        is moved or deleted while it is read is left out too, said so, no damaged run (:meth:`gone` names it);
        a (run, image, metric) is never counted twice (:data:`ROW_KEY`: the first pass's row wins).
        The ``setting`` of rows written by another release of the same numbers code reads as this
        release's (:func:`benchmark.config.as_current_code`; the ``code_version`` column keeps the writer's).
        A loss recorded under several spellings of one identity reads as one (:meth:`loss_spellings`;
        which were merged: :attr:`respelt`). ``categories``: the repeated string columns as categoricals
        (:func:`as_categories`: same values), made pass by pass, so the table never exists with its text
        (the setting JSON) once per row — a fraction of the time and peak memory at 10⁵–10⁷ rows."""
        self.check_version()
        frames, self.damaged, self.respelt, self.stale_left, self.duplicated = [], {}, {}, {}, {}
        arrow = categories  # each pass an arrow table, one frame of them all (:func:`_arrow_categories`)
        recorded: dict[str, dict[str, str]] = {}  # {metric: {run: the file its latest pass read}}
        newest: dict[str, tuple[float, str]] = {}  # {metric: (when, the file) of the newest pass of any run}

        def read_run(run_id: str) -> tuple[str, list, dict, dict]:
            """(why the run is damaged or "", its passes' rows, {metric: the file its latest pass read}, {metric:
            when that pass was written}): each pass and its record read once, verified as it is read."""
            why = self.meta_damage(run_id) if self.damage_meta_matters(run_id) else ""
            if why or not self.is_done(run_id):
                return why, [], {}, {}
            d = self.run_dir(run_id)
            passes = pass_files(d, ".json")
            meta = self.meta(run_id) or {}
            why = self._missing_record(d, passes) or self._no_pass(meta, d, passes)
            try:
                if why:
                    return why, [], {}, {}
                records = [self._read_record(p) for p in passes]
                superseded = _superseded(records)
                when = {m: rec.get("written") for rec in records for m in rec.get("scored", [])}  # the latest's
                return why, [_without_metrics(self._own_rows(run_id, p.with_suffix(".parquet"), (
                    self._read_pass_arrow(d, p, rec) if arrow else None) or self._read_pass(d, p, categories, rec),
                    meta.get("config")),
                    superseded[i]) for i, (p, rec) in enumerate(zip(passes, records))], _latest_digests(records), when
            except Damage as exc:
                return str(exc), [], {}, {}

        from concurrent.futures import ThreadPoolExecutor

        # runs read by a few threads, in order: reading and parsing thousands of small files is mostly waiting on
        # the file system and pyarrow's parser, which let go of the GIL
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            for run_id, (why, run_frames, latest, when) in zip(ids := self.run_ids(), pool.map(read_run, ids)):
                if why and not self.run_dir(run_id).is_dir():  # moved or deleted while read (a user's `mv`, another
                    # process): no damage to repair — the board names it as gone (:meth:`gone`), check as moved
                    log.warning("run %s: its folder runs/%s was moved or deleted while the results were read — left "
                                "out", run_id, run_id)
                    continue
                if why:
                    self.damaged[run_id] = why
                    log.warning("run %s: %s — left out; `plbench check --out %s --repair` sets it aside so the same "
                                "`plbench run` re-scores or retrains it", run_id, why, shlex.quote(str(self.root)))
                    continue
                frames += run_frames
                for m, digest in latest.items():
                    if digest:
                        recorded.setdefault(m, {})[run_id] = digest
                        w = when.get(m) if isinstance(when.get(m), (int, float)) else 0.0
                        if w >= newest.get(m, (-1.0, ""))[0]:
                            newest[m] = (w, digest)
        if not frames:
            return to_frame([])
        seen: dict = {}
        # every spelling a meta.json records, also one only runs without rows (diverged, failed) have: their
        # records (costs, lost runs) are read as the rows' loss too (:meth:`metas_as_read`)
        self.respelt = self.loss_spellings()
        if arrow and all(not isinstance(f, pd.DataFrame) for f in frames):
            table = _arrow_categories(frames, self.respelt, seen)
        else:
            if arrow:  # a pass without columns (none this code writes): every pass a frame, as _read_pass makes it
                frames = [f if isinstance(f, pd.DataFrame) else f.to_pandas() for f in frames]
            frames = [_as_current_settings(_as_one_spelling(f, self.respelt), seen) for f in frames]
            table = _concat_categories(frames) if categories else pd.concat(frames, ignore_index=True).astype(COLUMNS)
        dup = table.duplicated(ROW_KEY, keep="first")
        if dup.any():
            self.duplicated = {str(r): int(k) for r, k in table.loc[dup, "run_id"].astype(str).value_counts().items()}
            runs = sorted(self.duplicated)
            log.warning("%d duplicated (run, image, metric) rows ignored (runs %s): each counts once; `plbench check "
                        "--out %s` names the passes that repeat them", int(dup.sum()), ", ".join(runs[:5]),
                        shlex.quote(str(self.root)))
            table = table[~dup].reset_index(drop=True)
        return one_direction(self._without_stale(table, recorded, newest), self.root)

    def _without_stale(self, table: pd.DataFrame, recorded: dict[str, dict[str, str]],
                       newest: dict[str, tuple[float, str]] | None = None) -> pd.DataFrame:
        """``table`` less each run's scores of a metric made with another file than the metric's file now
        (:meth:`stale_metrics`: ``contrique_fr@<checkpoint>`` retrained in place, a learned metric's cached weights —
        lpips', dists', niqe's, musiq's, contrique_fr's — replaced, the run not re-scored: its net.pt gone, or no
        ``plbench run`` since) where other runs of the table have scores of today's file: one column never holds the
        scores of two files, whichever reader (report, findings, compare, calibrate, ``api.load_results``) reads it.
        A metric none of whose runs was re-scored yet keeps them (the report's coverage line says so). Only a metric
        whose runs recorded two files or more is hashed now (:func:`current_digests`: a learned metric's cached file
        is hundreds of MB, once a process). ``recorded``: {metric: {run: the file its latest pass read}}, as
        :meth:`table` read the runs' pass records (no record read again). ``newest``: {metric: (when, the file) of the
        newest pass that scored it}, whose file stands for today's where that is not here to hash (a store copied to a
        machine without lpips' cached weights, or without the checkpoint) and the store holds no note of today's
        (:meth:`noted_digests`, which stands for it first): the same column where the newest scoring was of today's
        file, the stale line naming the file and its time either way.
        What was left out: :attr:`stale_left`."""
        mixed = [m for m, by in recorded.items() if len(set(by.values())) > 1]
        unread: dict[str, str] = {}  # {metric: why its file here cannot be read}
        digests = current_digests(mixed, self, unread) if mixed else {}  # no file hashed, nor metrics imported,
        noted = self.noted_digests() if any(m not in digests for m in mixed) else {}  # else: today's as noted
        absent = {m: noted[m]["sha256"] if m in noted else newest[m][1]
                  for m in mixed if m not in digests and (m in noted or m in (newest or {}))}
        if not digests and not absent:
            return table
        ref = {**absent, **digests}
        scored = {str(m): sorted(map(str, rids))
                  for m, rids in table.groupby("metric", observed=True)["run_id"].unique().items() if str(m) in ref}
        stale = {m: sorted(r for r, d in recorded[m].items() if not (now.startswith(d) or d.startswith(now)))
                 for m, now in ref.items()}
        stale = {m: rids for m, rids in stale.items()  # where some runs have today's file's scores
                 if rids and len(rids) < len(recorded[m])}
        if not stale:
            return table
        metric_of, run_of = table["metric"].astype(str), table["run_id"].astype(str)
        drop = pd.Series(False, index=table.index)
        for metric, rids in stale.items():
            drop |= (metric_of == metric) & run_of.isin(rids)
        self.stale_left = {m: {"sha256": ref[m], "stale": rids, "scored": scored[m], "here": m in digests,
                               **({} if m in digests else {"noted": noted[m].get("noted")} if m in noted
                                  else {"when": newest[m][0]}),
                               **({"unreadable": unread[m]} if m in unread else {})}
                           for m, rids in sorted(stale.items())}
        for line in stale_lines(self).values():  # every reader (findings, calibrate, the API) says so, once a store
            if line not in self._said:
                self._said.add(line)
                log.warning("%s", line)
        return table[~drop].reset_index(drop=True)

    def unrecorded(self, settings: list[dict] | None = None) -> dict[str, str]:
        """{run_id: what its rows are} of the runs holding committed evaluation passes but no ``meta.json``:
        an attempt interrupted between its last pass and its record, or a record deleted or left out by a
        copy. Their rows are in no table (nothing proves the run finished), and the next ``plbench run`` of
        their grid moves them to ``damaged/<n>/`` (:meth:`reset_run`) and retrains the run: ``check`` and the
        report name them rather than leave a run silently missing from its cell. ``what``: "<loss> seed <s>
        (<task>)" from the rows.
        ``settings`` (a report's, as :meth:`meta` reads them): only the runs whose rows record one of them (none
        recorded: when ``settings`` hold none either); a run whose rows cannot be read is always named."""
        from benchmark.config import current_setting

        out = {}
        for run_id in self.run_ids():
            d = self.run_dir(run_id)
            if (d / "meta.json").exists() or not pass_files(d, ".json") \
                    or held_as_far_as_known(d / ".lock"):  # a live process writes its meta.json next
                continue
            what, belongs = "evaluation passes", True
            for rows in pass_files(d, ".parquet")[:1]:
                try:
                    r = pd.read_parquet(rows, columns=["task", "loss", "seed", "setting"]).iloc[0]
                    what = (f"{r['loss']}" + (f" seed {r['seed']}" if not pd.isna(r["seed"]) else "")
                            + f" ({r['task']})")
                    if settings is not None:
                        s = current_setting(json.loads(r["setting"])) if not pd.isna(r["setting"]) else None
                        belongs = (not any(settings)) if not s else any(s == x for x in settings)
                except Exception:  # noqa: BLE001 - unreadable or empty: named by its id alone
                    pass
            if belongs:
                out[run_id] = what
        return out

    def gone(self) -> dict[str, str]:
        """{run_id: what it was} of the runs :data:`FINISHED_LOG` holds as finished (:meth:`finished_log`: noted as
        each finishes or is merged in, so a folder deleted before any report is named too) or the last report's
        ``results.csv`` holds rows of (a store older than the log), but whose folder ``runs/<id>/`` is gone (deleted
        by hand, or left out of a copy): nothing else remembers them, and the next report would drop their cells
        without a word. ``what``: "<task>/<loss> seed <s>" ("<task> input" for the degraded input's scoring).
        ``results.csv`` unreadable (hand-edited beyond reading: it is derived, not a record) names nothing, a line cut
        short (a copy cut mid-line) is skipped, the whole lines read; a cell not
        shaped as a run id, as a spreadsheet may save one back, is no run. Reads its four naming columns only
        (pyarrow: a spreadsheet's BOM, CRLF and quoting are CSV)."""
        here = set(self.run_ids())
        out = {rid: what for rid, what in self.finished_log().items() if rid not in here or self._holds_none(rid)}
        for rid, what in self._gone_from_csv(here).items():
            out.setdefault(rid, what)
        return out

    def _holds_none(self, run_id: str) -> bool:
        """``runs/<id>`` of a run :data:`FINISHED_LOG` holds as finished is there but holds none of it: no record
        (``meta.json``, ``eval-<k>.*``: a stray copy of a pass, :func:`stray_passes`, is none), no saved net, no
        checkpoint (:data:`_CHECKPOINT`: a half-batch retry's too) or lock (a run trained again), nothing set aside
        (``damaged/``: ``check --repair``; copies of passes alone are none, :func:`_sets_aside_own`) — an rsync cut
        short (it copies a folder's files in name order, curve.csv and tb/ before the results) or the files deleted by
        hand: the run is gone as a deleted folder is (:meth:`gone`),
        not an unfinished run to resume. A folder gone meanwhile is gone; one that cannot be listed is not named."""
        d = self.run_dir(run_id)
        if (d / "meta.json").exists():  # the usual case: one stat
            return False
        try:
            names = [p.name for p in d.iterdir()]
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError:
            return False
        if any(n in ("net.pt", ".lock") or _PASS.fullmatch(n) or _CHECKPOINT.fullmatch(n) for n in names):
            return False
        return "damaged" not in names or not _sets_aside_own(d / "damaged")

    def _gone_from_csv(self, here: set[str]) -> dict[str, str]:
        """:meth:`gone` of the last report's ``results.csv`` (``here``: the run folders there are)."""
        path = self.root / "results.csv"
        if not path.is_file():
            return {}
        try:
            import pyarrow as pa
            import pyarrow.compute as pc
            from pyarrow import csv as pacsv

            bad: list = []  # the lines of another number of cells than the header, the first read's

            def read(cols, handler=lambda row: "skip"):  # only these columns parsed into memory, as strings; a line
                # cut short (a copy, a full disk: fewer cells than the header) is skipped, not the whole file with it
                return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(invalid_row_handler=handler),
                                      convert_options=pacsv.ConvertOptions(
                    include_columns=cols, include_missing_columns=True, column_types={c: "string" for c in cols}))

            # only a run id's shape: a spreadsheet saves some hex ids back as numbers
            ids = {r for r in pc.unique(read(["run_id"], lambda row: bad.append(row) or "skip").column(0)).to_pylist()
                   if r and r not in here and _RUN_ID.fullmatch(r)}  # (1.23457E+19): no run
            if bad:
                self._say_cut(path, bad)
            if not ids:  # the usual case: one column read, nothing named
                return {}
            cols = ["run_id", "task", "loss", "seed"]
            t = read(cols)
            t = t.filter(pc.is_in(t.column("run_id"), value_set=pa.array(sorted(ids), pa.string())))
        except Exception:  # noqa: BLE001 - unreadable, not a CSV, no such columns: nothing it can name
            return {}
        out = {}
        for rid, task, loss, seed in zip(*(t.column(c).to_pylist() for c in cols)):
            if rid not in out:
                out[rid] = (f"{task} input" if rid.startswith("input-")
                            else f"{task}/{loss}" + (f" seed {seed}" if seed else ""))
        return out

    @staticmethod
    def _say_cut(path: Path, bad: list) -> None:
        """One warning for the lines of ``results.csv`` (``path``) that :meth:`_gone_from_csv` skipped (``bad``:
        pyarrow's invalid rows, another number of cells than the header: a copy cut mid-line), the first by its line
        number (pyarrow's threaded reader gives none: found by its text, in this rare case alone)."""
        first = bad[0]
        number = first.number
        if number is None:
            with contextlib.suppress(OSError):
                data = path.read_bytes()  # the line itself, not another it begins
                if m := re.search(rb"(?:\A|\n)" + re.escape(first.text.encode()) + rb"\r?(?:\n|\Z)", data):
                    number = data.count(b"\n", 0, m.start()) + (data[m.start():m.start() + 1] == b"\n") + 1
        more = f" (and {len(bad) - 1} more such {agree(len(bad) - 1, 'line', 'lines')})" if len(bad) > 1 else ""
        log.warning("%s: %s has %d cells, its header %d (%s?)%s: skipped, its other lines read; the next `plbench "
                    "report` writes it whole", path, f"line {number}" if number else "a line", first.actual_columns,
                    first.expected_columns,
                    "cut mid-line by a copy" if first.actual_columns < first.expected_columns else "edited by hand",
                    more)

    def merge_killed(self, run_id: str) -> str:
        """The holder a killed ``merge`` left in the run's lock file while copying it here (:data:`MERGE_WRITE`:
        ``pid N on HOST since T, merge writing it``; SIGKILL or a crashed host leaves the file), or "" (none, or
        one a live process on this machine holds). Its unrecorded files are that merge's copy in flight, which
        the same ``plbench merge`` finishes — not a run to retrain."""
        path = self.run_dir(run_id) / ".lock"
        try:
            holder = path.read_text(errors="replace").strip()
        except OSError:
            return ""
        if not holder.endswith(MERGE_WRITE) or RunLock.held_for(path) is not None:
            return ""
        return holder

    def unrecorded_files(self) -> list[str]:
        """The runs holding result files (rows, a saved net) but no record at all — no ``meta.json``, no
        ``eval-*.json`` — that no live process works on: a ``merge`` or a run killed between copying or
        writing those files and their records (which come after them). Not in any table (:meth:`unrecorded`
        names the runs whose passes are committed); the same ``plbench merge`` or ``plbench run`` finishes
        them (their files are replaced or set aside, never read as results)."""
        out = []
        for run_id in self.run_ids():
            d = self.run_dir(run_id)
            if (d / "meta.json").exists() or pass_files(d, ".json") or held_as_far_as_known(d / ".lock"):
                continue
            if (d / "net.pt").exists() or pass_files(d, ".parquet"):
                out.append(run_id)
        return out

    def merge_from(self, src: "ResultsStore") -> dict[str, list[str]]:
        """Copy into this store the finished runs of ``src`` (another machine's or cluster node's store of
        the same code): {what: run ids} with ``copied`` (not here), ``replaced`` (here but unfinished —
        failed, interrupted, damaged — while ``src`` finished it: this store's files of it are set aside
        under ``runs/<id>/damaged/<n>/`` or ``attempts/``, never deleted), ``kept`` (finished here too: one run
        id is one run; ``more_there``: those of them ``src`` scored on metrics this store lacks, whose rows are
        not mixed in — ``plbench run --metrics …`` re-scores the net saved here; ``trained_apart``: those of them
        trained twice, :func:`trained_apart` — diverged on one machine only, or their saved nets' checksums differ —
        with other scores, of which this store's stay the tables'; ``trained_apart_why``: each one's line),
        ``failed`` (failed in ``src`` and no record of it here: its record — ``meta.json``, ``attempts/``,
        ``curve.csv``, no checkpoint — is copied, so the report counts the failure and the next ``plbench run`` here
        retries it),
        ``unfinished`` (interrupted in ``src``, or failed there with a record here: not copied), ``superseded_there``
        (unfinished there, its checkpoint's settings finished there since under another id: :meth:`superseded`; or
        failed there, its config finished since there or here under another id: :meth:`failed_superseded`; not
        copied), ``damaged_there``
        (finished in ``src`` but damaged there, :meth:`damage` — its rows cut or changed, or its ``meta.json`` garbled
        or a folder beside its results, never an unfinished run —, and not finished intact here: not copied),
        ``gone_there`` (finished in ``src``, its folder there gone or holding none of its results: :meth:`gone`, an
        rsync of that store cut short; not finished here: nothing to copy), ``renamed_there`` (a copy or link there,
        :meth:`renamed`, of each run whose folder there is gone: renamed, not copied, not gone;
        ``renamed_there_runs``: their runs),
        ``held`` (a live process works on it here), ``held_there`` (a live process works on it in ``src``: its
        files may be half-written, so it is not read; merge again later) and ``in_the_way`` (its folder here a
        link to a folder not there or to another run's, or something else in the way, :func:`blocks`: not
        copied, nothing written through it; ``in_the_way_why``: each one's line), the runs after it merged all
        the same. ``src``'s notes of today's metric files are taken where this store has none
        (:meth:`_adopt_notes`), and its saved grids this store lacks (``grids``: their names here,
        :meth:`_adopt_grids`; ``grids_in_the_way``: the one line saying why none could be written here, ``grids`` a
        file or a folder not writable, the runs merged all the same). Each run is read under
        ``src``'s lock (:meth:`lock_to_read`: none to take in a read-only source) and copied under this
        store's, its ``meta.json`` last, every file atomically: an interrupted merge leaves runs that are either
        complete or not done (the next merge or ``plbench run`` finishes them). ``cp -rn`` instead kept a
        failed attempt's ``meta.json`` next to the other node's finished rows, which the table then ignored and
        the next run deleted."""
        src.check_version()
        self.ensure_writable()
        self.refuse_itself(src)
        out: dict[str, list[str]] = {k: [] for k in ("copied", "replaced", "kept", "more_there", "trained_apart",
                                                     "trained_apart_why", "failed", "replaced_checkpoints",
                                                     "unfinished", "damaged_there", "gone_there", "held",
                                                     "held_there", "in_the_way", "in_the_way_why",
                                                     "superseded_there")}
        gone = src.gone()  # finished there, its results not there: not a run still training
        # failed there, its config finished since (there or here) under another id (a --loss-file fixed): no command
        # retries it, so its record is not copied (:meth:`failed_superseded`); said as superseded there
        retried = src.failed_superseded(also=self)
        # a run folder renamed there (`mv runs/<id> runs/best`: a copy, no run; or moved elsewhere and linked in under
        # another name), whether or not gone() remembers it: not copied, named as renamed, not as lost
        # (``renamed_there``: the copies' and links' names there, one per run)
        renamed: dict[str, str] = {}
        for c, rid in src.renamed().items():
            if rid not in renamed.values() and not self.is_done(rid):
                renamed[c] = rid
        out["renamed_there"], out["renamed_there_runs"] = list(renamed), list(renamed.values())
        out["gone_there"] = sorted(r for r in gone if not self.is_done(r) and r not in renamed.values())
        for rid in src.run_ids():  # a user's own folder there (runs/old/, :meth:`strays`) is none of them
            if rid in gone or (rid in retried and not self.run_dir(rid).exists()):
                continue
            if (src.meta(rid) or {}).get("status") not in STATUSES and not src.damage_meta_matters(rid):
                out["unfinished"].append(rid)  # unfinished there: never locked (a worker there that found it held
                continue  # would leave it undone); a garbled record beside its results is damage, said as such
            try:
                if src.is_done(rid) and not src.damage(rid) and self._kept(src, rid, out):
                    self._fill_state(src, rid)  # finished here too: compared only (its net, if copied without)
                    continue
                there = src.lock_to_read(rid)
                if isinstance(there, str):
                    out["held_there"].append(rid)
                    continue
                with there or contextlib.nullcontext():
                    self._merge_run(src, rid, out)
            except (InTheWay, NotWritable) as exc:  # its folder here a link to nothing or to another run's folder, a
                if not blocks(exc, self.run_dir(rid)):  # file in the way: that run not copied, the others are
                    raise
                out["in_the_way"].append(rid)
                out["in_the_way_why"].append(str(exc))
        # unfinished there, but its checkpoint's settings finished there since under another id (a --loss-file edited
        # mid-compare): no command there resumes it, so it is no run to merge later (:meth:`superseded`)
        waiting = {r: checkpoints(src.run_dir(r)) for r in out["unfinished"]}  # ckpt.pt, a retry's ckpt-b<n>.pt
        out["superseded_there"] = sorted(set(src.superseded(waiting))
                                         | {r for r in retried if not self.run_dir(r).exists()})
        out["unfinished"] = [r for r in out["unfinished"] if r not in out["superseded_there"]]
        self._adopt_notes(src)
        try:
            out["grids"] = self._adopt_grids(src)
        except (InTheWay, NotWritable) as exc:  # grids/ here a file, or a folder this user may not write: the runs
            if not blocks(exc, self.root / "grids"):  # are merged all the same, the grids named (merge again once
                raise  # it is cleared), the next source merged
            out["grids"], out["grids_in_the_way"] = [], [str(exc)]
        return out

    def refuse_itself(self, src: "ResultsStore") -> None:
        """A one-line :class:`UserError` where ``src`` is this store itself (``plbench merge node*/results --out
        node1/results``): nothing to merge from it (``plbench merge`` names it and merges the other sources)."""
        if src.root.resolve() == self.root.resolve():
            raise UserError(f"{src.root} is the results directory itself: merge another store into it")

    def _adopt_grids(self, src: "ResultsStore") -> list[str]:
        """Copy into ``grids/`` the grids ``src`` saved (``grids/*.yaml``, what each ``plbench run`` there ran) whose
        text this store holds under no name: the merged runs' grids, to replay here (``plbench run --config``; a grid
        saved in a store runs into that store) — what re-scores them on a metric, or with today's metric file — and
        read by the report for their profile (:func:`benchmark.report.grid_profile`). A name taken here by another
        grid (two nodes started in the same second) gets the next free number (:func:`atomic_write_new`). The names
        written, in ``grids/``; nothing where ``src`` has none or they cannot be read (``plbench merge`` names those
        whose local paths are not on this machine: :func:`paths_not_here`)."""
        try:
            theirs = sorted((p for p in (src.root / "grids").glob("*.yaml") if p.is_file()), key=grid_order)
        except OSError:
            return []
        if not theirs:
            return []
        have = set()
        with contextlib.suppress(OSError):
            have = {p.read_bytes() for p in (self.root / "grids").glob("*.yaml") if p.is_file()}
        copied = []
        for p in theirs:
            try:
                data = p.read_bytes()
            except OSError:  # unreadable there: no grid to bring
                continue
            if data in have:
                continue
            m = re.fullmatch(r"(\d{8}-\d{6}Z?)(?:-\d+)?", p.stem)  # its time, without its number there
            copied.append(atomic_write_new(self.root / "grids", m.group(1) if m else p.stem, ".yaml", data).name)
            have.add(data)
        return copied

    def _adopt_notes(self, src: "ResultsStore") -> None:
        """Note here today's file of each metric ``src`` noted (:meth:`note_digests`: the node that scored with it)
        and this store has no note of: a head node or laptop without the file reads the merged columns as that node
        does, not with the newest scoring's file standing for today's. A note of this store's own is kept: its
        machine's file, which its own reports read."""
        notes = src.noted_digests()

        def changed(mine: dict) -> dict:
            return {m: v for m, v in notes.items() if m not in mine}

        if changed(self.noted_digests()):
            self._update_notes(changed, f"today's metric files of {src.root} not noted in %s: %s")

    def _kept(self, src: "ResultsStore", rid: str, out: dict[str, list[str]]) -> bool:
        """Finished and intact here (``rid``, finished in ``src``): stays as it is (counted as ``kept``)."""
        if not self.is_done(rid) or self.damage(rid):
            return False
        out["kept"].append(rid)
        # its rows are not mixed in: another net's; a run diverged here has no net to score (said trained apart)
        if (self.meta(rid) or {}).get("status") != "diverged" and src.metrics_scored(rid) - self.metrics_scored(rid):
            out["more_there"].append(rid)
        if how := trained_apart(self.meta(rid) or {}, src.meta(rid) or {}) or self._scored_apart(src, rid):
            out["trained_apart"].append(rid)
            out["trained_apart_why"].append(how)
        return True

    def _scored_apart(self, src: "ResultsStore", rid: str) -> str:
        """Run ``rid``, finished ``ok`` in both stores, where their saved nets' checksums cannot tell one training from
        two (a record without it: a run recorded before plbench kept them): "its scores differ from this store's"
        where the first evaluation pass of each (the training's own scoring) holds another value for an (image,
        metric) both scored, beyond float noise (:data:`SCORE_NOISE_RTOL`), else "". Records that both hold the
        checksum are told by it (:func:`trained_apart`), nothing read; so is a scoring of the degraded input, which
        trains nothing, and a first pass whose record holds the checksum the other's holds: the same rows, byte for
        byte (a copy: a store merged again), never parsed — parsing both passes of every kept run into frames was
        most of a merge's time. Rows of other bytes are read in their key and value columns alone."""
        mine, theirs = self.meta(rid) or {}, src.meta(rid) or {}
        if mine.get("kind") == "input" or mine.get("status") != "ok" or theirs.get("status") != "ok":
            return ""
        if all(isinstance(m.get("state_sha256"), dict) and m["state_sha256"].get("net.pt") for m in (mine, theirs)):
            return ""
        cols = ("dataset", "image", "metric", "value")
        try:
            firsts = [(s, d, p, s._read_record(p)) for s, d in ((self, self.run_dir(rid)), (src, src.run_dir(rid)))
                      for p in (min(pass_files(d, ".json"), key=_pass_index),)]
            if firsts[0][3].get("sha256") and firsts[0][3].get("sha256") == firsts[1][3].get("sha256"):
                return ""
            a, b = (s._read_pass_columns(d, p, cols, rec) for s, d, p, rec in firsts)
        except (OSError, ValueError, Damage):  # no pass to read (ValueError: none there), or a damaged one
            return ""
        keys = [c for c in cols[:3] if c in a and c in b]
        if "image" not in keys or "metric" not in keys or "value" not in a or "value" not in b:
            return ""
        import numpy as np

        theirs_by: dict[tuple, list] = defaultdict(list)  # every pair of rows of one (dataset, image, metric)
        for *k, v in zip(*(b[c] for c in keys), b["value"]):
            theirs_by[tuple(k)].append(v)
        pairs = [(v, w) for *k, v in zip(*(a[c] for c in keys), a["value"]) for w in theirs_by.get(tuple(k), ())]
        x, y = (pd.to_numeric(pd.Series([p[i] for p in pairs], dtype=object), errors="coerce").to_numpy(float)
                for i in (0, 1))
        # float noise is one training: one net scored by another CPU or GPU differs in its last float32 digits
        same = np.isclose(x, y, rtol=SCORE_NOISE_RTOL, atol=SCORE_NOISE_ATOL, equal_nan=True)
        return "its scores differ from this store's" if not same.all() else ""

    def _fill_state(self, src: "ResultsStore", rid: str) -> None:
        """A run kept here (finished in both) that lacks the net (``net.pt``, ``loss.pt``) ``src`` has, while its
        ``meta.json`` is byte for byte the source's — the same training, copied without them (a merge from an rsync
        copy stopped mid-run: ``meta.json`` sorts before ``net.pt``): their copy here, under this store's lock.
        A run trained apart (another record) keeps what it has. A net here of another size than the source's that
        is damaged (:meth:`state_damage`: truncated) counts as missing: the source's intact copy replaces it, the
        damaged one set aside under ``damaged/``; a source net that differs from its recorded checksum is never
        copied."""
        d, there = self.run_dir(rid), src.run_dir(rid)

        def cut(n: str) -> bool:  # a size other than the source's, then damaged (truncated: a full disk, a copy
            # cut short): only such nets are hashed, not every kept run's at every merge
            try:
                return (d / n).stat().st_size != (there / n).stat().st_size and bool(self.state_damage(rid, n))
            except OSError:
                return False

        missing = [n for n in ("net.pt", "loss.pt") if (there / n).is_file()
                   and (not (d / n).exists() or cut(n)) and not src.state_damage(rid, n, recorded_only=True)]
        if not missing:
            return
        try:
            if (d / "meta.json").read_bytes() != (there / "meta.json").read_bytes():
                return
        except OSError:
            return
        lock = self.lock(rid)
        if isinstance(lock, str):  # a worker here: the next merge fills them in
            return
        lock.mark(MERGE_WRITE)  # a worker here (re-scoring it: this very net) waits for the copy, as for any merge's
        with lock:
            damaged = [n for n in missing if (d / n).exists() and self.state_damage(rid, n)]
            if damaged:  # kept, never deleted: what `plbench check` named
                where = self.set_aside(rid, only=lambda p: p.name in damaged)
                log.warning("run %s: its damaged %s set aside in %s; the intact copy of %s put in its place", rid,
                            " and ".join(damaged), where, src.root)
            for name in missing:
                if not (d / name).exists():
                    atomic_write_bytes(d / name, data := (there / name).read_bytes())
                    _as_written(d / name, data, self.meta(rid))

    def _merge_run(self, src: "ResultsStore", rid: str, out: dict[str, list[str]]) -> None:
        """:meth:`merge_from` of one run, read with ``src``'s lock held (or none to take)."""

        def kept() -> bool:
            return self._kept(src, rid, out)

        def own_files(d: Path) -> list[Path]:  # no hidden file is a run's: the lock, a write in flight (ours:
            # .<name>.<random>.tmp; rsync's: .<name>.<random>, renamed when complete — a copy stopped mid-file)
            return [p for p in d.iterdir() if p.name not in ("damaged", "attempts")
                    and not p.name.startswith(".")] if d.is_dir() else []

        meta = src.meta(rid)
        failed = meta is not None and meta.get("status") == "failed"
        if not failed and not src.is_done(rid) and not src.damage_meta_matters(rid):
            out["unfinished"].append(rid)
            return
        # its results cut or changed there, or its record garbled beside them (a copy cut mid-file, a folder in its
        # place): named by merge with its damage, never copied, never taken for a run still training there
        if not failed and src.damage(rid):
            if self.is_done(rid) and not self.damage(rid):
                out["kept"].append(rid)  # finished intact here: nothing lost
            else:
                out["damaged_there"].append(rid)
            return
        if kept():
            self._fill_state(src, rid)
            return
        d, there = self.run_dir(rid), src.run_dir(rid)

        def copied(p: Path) -> bool:
            """Byte for byte the source's file (a sub-folder of a folder there: each of its files), as a killed merge
            left it: the same copy, not this store's own attempt to set aside — a folder where the source has a file
            (``meta.json/``, empty) is none."""
            q = there / p.relative_to(d)
            if p.is_dir():
                return q.is_dir() and all(copied(f) for f in p.rglob("*") if f.is_file())
            return q.is_file() and p.stat().st_size == q.stat().st_size and p.read_bytes() == q.read_bytes()

        def recorded_here() -> bool:
            """This store has its own record of the failed run: its ``meta.json`` (a complete copy too: written
            last), or files that are not a killed merge's byte copies of the source's (which this merge finishes)."""
            if (d / "meta.json").exists():
                return True
            return any(not copied(p) for p in own_files(d)) or ((d / "attempts").is_dir()
                                                                 and not copied(d / "attempts"))

        if failed and recorded_here():  # this store's own record of it stays
            out["unfinished"].append(rid)
            return
        # waits if another merge reads it here (its source): never a cycle — that merge reads it only when it is
        # recorded here, and then this one takes no lock (kept, or a failure of which this store has a record)
        lock = self.lock(rid)
        if isinstance(lock, str):
            out["held"].append(rid)
            return
        lock.mark(MERGE_WRITE)  # another merge (or a worker) waits for this copy rather than leave the run
        with lock:
            if kept():  # a worker here finished it between the look above and the lock
                return
            if failed:
                if recorded_here():  # a worker here recorded it meanwhile
                    out["unfinished"].append(rid)
                    return
                # the record of the failure only: rows, nets and another machine's checkpoints are no results;
                # its earlier attempts with the curves filed beside them
                self._merge_attempts(src.run_dir(rid), d)
                for name in ("curve.csv", "meta.json"):  # its record last
                    if (src.run_dir(rid) / name).is_file():
                        atomic_write_bytes(d / name, (src.run_dir(rid) / name).read_bytes())
                out["failed"].append(rid)
                return
            replaced = any(not copied(p) for p in own_files(d))
            if replaced:
                with DeferredInterrupt():  # record and curve together: a stop between left the curve to be damage
                    archived = self.archive_attempt(rid)  # a failed attempt's record joins attempts/
                    if archived is not None and (d / "curve.csv").is_file():  # and its curve with it: no damage
                        try:
                            os.replace(d / "curve.csv", archived.with_suffix(".curve.csv"))
                        except OSError as exc:  # a full disk: one line, the failed attempt's record back in place
                            stuck = []
                            try:
                                os.replace(archived, d / "meta.json")
                            except OSError as back:  # and where it is, if it cannot be put back
                                stuck.append((archived, d / "meta.json", back))
                            raise _not_put_back(archived.with_suffix(".curve.csv"), exc, stuck) from None
                aside = self.set_aside(rid) if own_files(d) else None
            self._merge_attempts(there, d)  # its failed attempts there: its history, as a failed run's is copied
            # a pass's rows before its record, the run's record (meta.json) last: a killed merge leaves no record
            # without what it records
            # a finished run's checkpoint (a run stopped right after its record, before it deleted it): no result
            files = [p for p in own_files(there) if not _is_checkpoint(p)]
            for p in sorted(files, key=lambda p: (p.name == "meta.json", _is_pass_record(p), p.name)):
                # a sub-folder (TensorBoard's tb/) file by file, as atomically: shutil.copytree went on past a
                # full disk and raised every failed file at once (shutil.Error), a traceback
                for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
                    if f.is_file() and not f.name.startswith("."):
                        atomic_write_bytes(d / f.relative_to(there), data := f.read_bytes())
                        if f.parent == there:
                            _as_written(d / f.name, data, meta)
            if isinstance(meta, dict):
                self.note_finished(rid, meta)
            if replaced and aside is not None:  # that training's checkpoints resume nothing now: said, with size
                out["replaced_checkpoints"] += [
                    f"runs/{rid}/damaged/{aside.name}/{p.name} ({p.stat().st_size / 1e6:.1f} MB)"
                    for p in checkpoints(aside)]
        out["replaced" if replaced else "copied"].append(rid)

    @staticmethod
    def _merge_attempts(there: Path, d: Path) -> None:
        """Copy the failed attempts of a run in another store (``there/attempts/<n>.json``, with the
        ``<n>.curve.csv`` a merge there filed beside one) after this store's own (``d/attempts/``), numbered on
        from them, oldest first; one already here byte for byte (a merge run again) is not copied twice."""
        src = there / "attempts"
        if not src.is_dir():
            return
        here = d / "attempts"
        have = {p.read_bytes() for p in here.glob("*.json")} if here.is_dir() else set()
        for p in sorted(src.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else -1):
            data = p.read_bytes()
            if data in have:
                continue
            curve = p.with_suffix(".curve.csv")
            mine = curve.read_bytes() if curve.is_file() else None
            # a curve there without its record: this very copy, killed before the record (written again), or
            # another's, whose number is not taken
            n = _free_attempt(here, mine)
            if mine is not None:  # before the record it belongs to
                atomic_write_bytes(here / f"{n}.curve.csv", mine)
            atomic_write_bytes(here / f"{n}.json", data)
            have.add(data)

    def lock_to_read(self, run_id: str) -> "RunLock | str | None":
        """The run's lock, taken to read its files while no process writes them (:meth:`merge_from` reads
        another store's runs so): a :class:`RunLock`, a string naming the live process that holds it, or
        None where no lock file can be made (a read-only copy or mount, a full disk) and no live process on this host
        holds one (:meth:`RunLock.held_for`): then nothing writes there, and the files are read as they are."""
        path = self.run_dir(run_id) / ".lock"
        try:
            lock = RunLock.acquire(path)
            if not isinstance(lock, str):
                lock.mark(MERGE_READ)  # a worker there waits for it rather than leave the run undone
            return lock
        except NoLocks:  # nor can any process there have locked it: read as it is
            return None
        except OSError as exc:  # no lock file can be made there (read-only, or full: nothing writes there either)
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT):
                raise
        if RunLock.held_for(path) is None:
            return None
        try:
            return path.read_text(errors="replace").strip() or "another process"
        except OSError:
            return "another process"

    def check(self) -> dict[str, str]:
        """{run_id: why} of every damaged run (:meth:`damage`)."""
        self.check_version()
        return {r: why for r in self.run_ids() if (why := self.damage(r))}

    def repair(self, run_id: str) -> str:
        """Set a damaged run aside (:meth:`set_aside`): only its evaluation passes when its
        ``meta.json`` and ``net.pt`` are intact (the next ``plbench run`` re-scores the saved net, or
        the degraded input), else every file (it retrains). Returns what was done, in words. Call
        with the run's lock held."""
        meta = self.meta(run_id)
        d = self.run_dir(run_id)
        rescore = meta is not None and (meta.get("kind") == "input" or meta.get("status") == "diverged" or (
            (d / "net.pt").exists() and not self.state_damage(run_id, recorded_only=True)))
        if rescore and not any(p.name.startswith("eval-") for p in d.iterdir()):
            return NOTHING_TO_SET_ASIDE
        dest = self.set_aside(run_id, passes_only=rescore)
        return (f"evaluation passes moved to {dest}; the next run re-scores it" if rescore
                else f"files moved to {dest}; the next run retrains it")

    def set_aside(self, run_id: str, passes_only: bool = False, only=None) -> Path:
        """Move a damaged run's files (all but its lock and earlier attempts; with ``passes_only``
        its ``eval-*`` files only; with ``only``, a predicate on the path, those it accepts) to
        ``runs/<id>/damaged/<n>/``, so the same ``plbench run`` re-scores or retrains it while
        nothing is deleted. A full disk (or a store that stopped being writable) on the way is one line
        (:class:`DiskFull`, :class:`NotWritable`), what was moved put back."""
        if passes_only:
            only = lambda p: p.name.startswith("eval-")  # noqa: E731
        d = self.run_dir(run_id)
        base = d / "damaged"
        n = 0
        while (base / str(n)).exists():
            n += 1
        dest, new_base = base / str(n), not base.exists()
        # moved whole, or put back whole: a stop (Ctrl-C, SIGTERM) on the way comes after, never leaving a pass's
        # record aside and its rows here (orphans the next pass deletes)
        with DeferredInterrupt():
            try:  # a full disk or a read-only store: one line, nothing moved
                dest.mkdir(parents=True)
            except OSError as exc:
                raise _write_error(dest, exc) from None
            moved: list[Path] = []
            for p in sorted(d.iterdir()):
                if p.name in ("damaged", ".lock", "attempts") or (only is not None and not only(p)):
                    continue
                try:
                    os.replace(p, dest / p.name)
                except OSError as exc:  # a full disk (a new directory block there): one line, nothing moved
                    stuck = []
                    for q in reversed(moved):  # back where they were (their entries here are free): the run as it was
                        try:
                            os.replace(dest / q.name, q)
                        except OSError as back:  # the store gone read-only meanwhile: say where each file is
                            stuck.append((dest / q.name, q, back))
                    with contextlib.suppress(OSError):  # only when empty: whatever could not be put back stays there
                        dest.rmdir()
                        if new_base:
                            base.rmdir()
                    raise _not_put_back(dest / p.name, exc, stuck[::-1]) from None
                moved.append(p)
            _fsync_dir(dest)
            _fsync_dir(d)
        return dest


def of_this_grid(record: dict, stamp: str, since: float | None, grid_id: str = "") -> bool:
    """Whether a run's ``meta.json`` or a pass's record (``stamp``: its time field, ``started`` or ``written``) was
    written by this grid: by the grid's id where both have one (a remote grid's: its nodes' clocks need not agree
    with the driver's), else by time, at or after the grid's start ``since``."""
    if grid_id and "grid_id" in record:
        return record["grid_id"] == grid_id
    t = record.get(stamp)
    return since is not None and isinstance(t, (int, float)) and t >= since

"""Where a whole grid stands: runs done of the total, the current run, and an ETA.

The ETA comes from measured run times per *loss family* (the registry module of a loss: a PDL run
costs many times an ℓ1 run, so one mean for all would mislead): the wall time recorded in the
``meta.json`` of every finished run of the grid — this invocation's and earlier ones' — averaged per
family, times the runs of that family still to do, divided by the number of workers — never less than the
longest run left, which no worker can split (the grid's tail, fewer runs left than workers). A family with
no finished run yet is estimated from the mean of all finished runs, and the line says so. A run in
flight (its ``.lock`` held by a live process on this host, :class:`benchmark.results.RunLock`, or naming a process
of another machine of a shared store, which cannot be checked from here) is
charged only what its family's mean leaves after the time it has already run (the lock file's
age, or the training seconds its live ``curve.csv`` last records when more: a run resumed from a checkpoint
trained before it), so the ETA counts down between finished runs instead of standing still for a long run; a run
stopped with a checkpoint (a ``ckpt.pt``, or a half-batch retry's ``ckpt-b<n>.pt``, it resumes from,
:func:`~benchmark.checkpoint.resumes_at`, no process holding it) is charged what its family's mean leaves
after the training seconds its ``curve.csv`` last records, as it resumes from there. The
processes holding the grid's runs, here and on other machines, are the workers when they outnumber the grid's own:
two nodes training one store each finish about half of it, while a SLURM or Ray grid's jobs on other nodes are its
own workers, counted once. A lock held from another machine for over :data:`STALE_RUNS` times the longest
finished run of its family (by its file's age against the store's clock — a file server's, not this machine's —,
which a plain ``cp`` resets to the copy's; never by the time its text says, by that machine's clock, which may be
hours off; at least as long as this process has seen it unchanged; once seen changing, only since its last change
seen here) is no run in flight — a copy of the store made mid-grid, whose
runs ``plbench run`` here trains again, or a machine that stopped: it is charged in full, no worker, and the line
counts it apart.

Because it reads the results store, every process of a grid — the driver, local workers, Ray tasks,
SLURM jobs — reports the same progress: each run starts with a log line

    run 12/60 (denoise/lpips seed 1): 11 done, 0 failed; ETA 0:14:20 (measured per family: pixel 8 s, lpips 31 s)

which reaches worker, Ray and SLURM logs, and in a terminal one overall bar (tqdm) sits above the
per-run bar; logging is routed through tqdm (:func:`log_to_bars`) so lines and bars never garble.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import threading
import time
from collections import deque

from benchmark.errors import again, in_this_context
from benchmark.results import RunLock, held_elsewhere, of_this_grid

log = logging.getLogger(__name__)


def _fmt(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


#: the bytes of a ``curve.csv``'s end :func:`_trained_s` reads: its last rows (a row is some 30 bytes), not the whole
#: file (3 MB at 100k iterations), read at every poll of the progress for each run in flight or stopped
CURVE_TAIL = 4096


def _trained_s(curve, since: float, upto: int | None = None) -> float:
    """Training seconds of a run in flight as its live ``curve.csv`` last says them (a resumed run's go on from
    those before its checkpoint, :class:`~benchmark.loggers.CurveLog`); 0 when the file is missing, unreadable
    or older than ``since`` (the attempt's start: a failed earlier attempt's curve says nothing of this one). Its last
    :data:`CURVE_TAIL` bytes alone are read. ``upto``: the iteration a stopped run resumes from
    (:func:`~benchmark.checkpoint.resumes_at`): the seconds its curve records there, not past it (the iterations after
    the checkpoint are trained again, as the dry run counts them); where the tail starts after it, its first row's
    seconds in proportion."""
    try:
        if curve.stat().st_mtime < since - 1:
            return 0.0
        with open(curve, "rb") as f:
            start = max(0, f.seek(0, os.SEEK_END) - CURVE_TAIL)
            f.seek(start)
            tail = f.read(CURVE_TAIL)
    except OSError:
        return 0.0
    # the first line left out: the header (iteration,seconds,loss,lr), or a row the tail cuts
    rows = []  # (iteration, seconds) of the rows whose seconds are whole (a field follows): not one cut mid-write
    for line in tail.decode(errors="replace").splitlines()[1:]:  # csv's rows end in \r\n
        fields = line.split(",")
        try:
            if len(fields) >= 3:
                rows.append((int(float(fields[0])), max(0.0, float(fields[1]))))
        except ValueError:
            continue
    if upto is None or not rows:
        return rows[-1][1] if rows else 0.0
    before = [sec for it, sec in rows if it <= upto]
    if before:
        return before[-1]
    first_it, first_s = rows[0]
    return first_s * upto / first_it if first_it > 0 else 0.0


#: a lock held from another machine for longer than this many times its family's longest finished run is taken for one
#: no process holds (a copy of the store made mid-grid, a machine that stopped): the ETA charges its run in full
STALE_RUNS = 3
#: how long :meth:`GridProgress._store_now` keeps a measured offset of the store's clock (a clock stepped by NTP)
CLOCK_PROBE_S = 600.0


def _wall_s(meta: dict) -> float | None:
    """A finished run's wall seconds as its record has them, or None: none recorded, or not above 0 — a store written
    before they were measured on the monotonic clock holds runs 'ok in -3599.9 s' (the clock stepped back during the
    run), which made a family's mean, and every ETA of the store, negative."""
    try:
        wall = float(meta["wall_s"])
    except (KeyError, TypeError, ValueError):
        return None
    return wall if wall > 0 and wall != float("inf") else None


def _mtime_ns(path) -> int | None:
    """``path``'s ``st_mtime_ns``; None where it cannot be read (none there)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


_monotonic = time.monotonic  # the clock of GridProgress's looks at the runs in flight


class GridProgress:
    """Progress of one grid (``configs``) in a results store; ``workers`` runs at a time (None: as many as a scheduler
    runs at once — a SLURM grid of one job per run, whose jobs do not all run together —, the most seen in flight at
    once within the longest family's mean run, :meth:`eta`). ``since``
    (``time.time()`` when the grid started; default: now) and ``grid_id`` (an executor's id of the grid, compared
    where a run's record has one, as the summary and the retries compare it: a clock stepped back during the night
    makes no failure of this grid look older) tell this grid's failures, which move the run counter, from those an
    earlier invocation recorded, which are runs this one still has to do. ``policy``: the grid's
    :class:`~benchmark.checkpoint.CheckpointPolicy` (None: run_grid's default), under which a stopped run resumes
    from its checkpoint or not (:func:`~benchmark.checkpoint.resumes_at`)."""

    def __init__(self, store, configs, workers: int | None = 1, bar: bool = False, since: float | None = None,
                 grid_id: str = "", policy=None):
        from benchmark.config import run_id
        from benchmark.lossfn import loss_family

        self.store = store
        self.runs = {run_id(c): c for c in configs}
        self.family = {rid: loss_family(c.loss) for rid, c in self.runs.items()}
        self.total = len(self.runs)
        self.workers = None if workers is None else max(1, int(workers))
        # (monotonic time, runs in flight) of each look, the last longest family's mean run of them (workers None:
        # how many the scheduler runs together, the most of them)
        self._seen: deque[tuple[float, int]] = deque()
        self.since = time.time() if since is None else float(since)
        self.grid_id = grid_id
        self.bar = None
        if bar:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc="grid", unit="run", position=0, dynamic_ncols=True, leave=True)
        self._shown = 0
        #: {run_id: its wall seconds or None} of the runs seen finished: a run's record is final once it is
        #: (ok or diverged), so each later :meth:`status` reads only the runs still to do — it read every run's
        #: record and lock at each run's start, O(N²) stat calls over a grid (seconds per run at 10⁴ runs on NFS)
        self._finished: dict[str, float | None] = {}
        #: {run_id: (what its lock and curve.csv looked like, when this process first saw them so: time.monotonic(),
        #: its curve's training seconds then, whether they changed while watched)} of the runs held from another
        #: machine — how long they stayed unchanged, on this machine's own clock (:meth:`_held_s`); dropped once done
        self._watched: dict[str, tuple[tuple, float, float, bool]] = {}
        #: {run_id: (its lock's text, time.monotonic() and its age when first seen)} of the runs in flight here
        #: (:meth:`_anchored`)
        self._anchors: dict[str, tuple[str, float, float]] = {}
        #: (time.monotonic() when measured, the store's clock less this machine's) — :meth:`_store_now`
        self._skew: tuple[float, float] | None = None
        self.policy = policy
        #: {run_id: (its ckpt.pt's and ckpt-b<n>.pt's st_mtime_ns, the iteration it resumes from)} of the runs stopped
        #: with a checkpoint:
        #: each checkpoint peeked once (:meth:`_resumes_at`), not at every poll
        self._ckpts: dict[str, tuple[tuple, int]] = {}

    def status(self) -> dict:
        """``{"done", "failed" (during this grid), "started" (not done: failed during this grid, or in
        flight), "todo": {family: runs left, this grid's failures left out}, "seconds": {family: [wall s of
        finished runs]}, "running": {family: [seconds each run in flight has run]}, "resumes": {family: [training
        seconds of each run left that resumes from its checkpoint]}, "elsewhere": [the process of
        another machine (``pid N on HOST``) holding each run of the grid held there]}``. A failure an earlier
        invocation recorded is a run still to do (this grid retries it), not one it started."""
        done = failed = started = 0  # started: not done, but failed or in flight
        todo: dict[str, int] = {}
        seconds: dict[str, list[float]] = {}
        running: dict[str, list[float]] = {}
        resumes: dict[str, list[float]] = {}  # {family: training seconds} of the runs left that resume a checkpoint
        elsewhere: list[str] = []
        away: list[tuple] = []  # the runs whose locks name another machine
        try:  # one listing: a run not begun has no folder, so no record or lock to read (N reads a call otherwise)
            begun = set(os.listdir(self.store.runs))
        except OSError:
            begun = set()
        for rid in self.runs:
            fam = self.family[rid]
            if rid in self._finished:
                done += 1
                if self._finished[rid]:
                    seconds.setdefault(fam, []).append(self._finished[rid])
                continue
            if rid not in begun:  # still to do, by no worker yet
                todo[fam] = todo.get(fam, 0) + 1
                continue
            meta = self.store.meta(rid) or {}
            st = meta.get("status")
            if st in ("ok", "diverged"):
                done += 1
                self._watched.pop(rid, None)  # watched no more: what is kept stays within the runs still to do
                self._anchors.pop(rid, None)
                self._ckpts.pop(rid, None)
                self._finished[rid] = wall = _wall_s(meta)
                if wall:
                    seconds.setdefault(fam, []).append(wall)
            else:
                # a record without its start time (written by hand, or cut short) counts as this grid's
                here = st == "failed" and (of_this_grid(meta, "started", self.since, self.grid_id)
                                           or not isinstance(meta.get("started"), (int, float)))
                if not here:  # failed during this grid: not tried again by it, no time left to charge
                    todo[fam] = todo.get(fam, 0) + 1
                failed += here
                lock = self.store.run_dir(rid) / ".lock"
                try:  # read once: held_for and held_elsewhere each read it (2 NFS reads a tick a run)
                    text = lock.read_text(errors="replace")
                except OSError:
                    text = ""
                age = RunLock.held_for(lock, text=text, now=self._store_now)  # the file server's clock stamped it
                if age is None and (who := held_elsewhere(lock, text=text)):  # a worker of another node of a shared
                    away.append((rid, fam, here, who, lock, text))  # store or a copy's lock: judged once every wall
                    # time is read
                    continue
                if age is not None:  # a resumed run also spent what it trained before its checkpoint
                    age = self._anchored(rid, text, age)
                    age = max(age, _trained_s(self.store.run_dir(rid) / "curve.csv", self._store_now() - age))
                    running.setdefault(fam, []).append(age)
                elif not here and (it := self._resumes_at(rid)):  # stopped with a checkpoint it resumes from
                    # (as the run reads it): having trained what its curve says at the checkpoint's iteration (an
                    # attempt's without one starts over; those after it are trained again)
                    resumes.setdefault(fam, []).append(_trained_s(self.store.run_dir(rid) / "curve.csv", 0.0, it))
                started += here or age is not None
        # a lock held from another machine for longer than STALE_RUNS × the longest finished run of its family is no
        # run in flight: a copy of the store made mid-grid (which `plbench run` here trains again) or a machine that
        # stopped; one of a family not measured yet is not judged (a PDL run lasts many ℓ1 runs)
        stale = 0
        server_now = self._store_now() if away else 0.0
        for rid, fam, here, who, lock, text in away:
            try:  # since the lock was taken, by the file server's clock
                lock_t = lock.stat().st_mtime
            except OSError:  # released meanwhile
                started += here
                continue
            age = max(0.0, server_now - lock_t)
            held = self._held_s(rid, lock, text, lock_t, age) if seconds.get(fam) else None
            if held is not None and held > STALE_RUNS * max(seconds[fam]):
                stale += 1
                started += here  # failed during this grid, as a run with no lock
                continue
            elsewhere.append(who)  # the curve's seconds as _held_s read them: read again only when it changed
            age = max(age, self._watched[rid][2] if held is not None else
                      _trained_s(self.store.run_dir(rid) / "curve.csv", lock_t))
            running.setdefault(fam, []).append(age)
            started += 1
        return {"done": done, "failed": failed, "started": started, "todo": todo, "seconds": seconds,
                "running": running, "resumes": resumes, "elsewhere": elsewhere, "stale": stale}

    def _resumes_at(self, rid: str) -> int:
        """The iteration run ``rid`` resumes from (:func:`~benchmark.checkpoint.resumes_at` under the grid's policy: a
        ``ckpt.pt`` of another config or code version, or under ``--no-checkpoint``, is trained again, not taken off
        the ETA; its half-batch retry's ``ckpt-b<n>.pt`` where it has no ``ckpt.pt`` at all: one there, cut short or
        another run's, is the one it restores, :func:`benchmark.results.first_checkpoint`); its checkpoints peeked once
        per version of the files (``st_mtime_ns``), not at every poll."""
        d, half = self.store.run_dir(rid), self.runs[rid].batch_size // 2
        stamp = tuple(_mtime_ns(d / name) for name in ("ckpt.pt", f"ckpt-b{half}.pt"))
        if stamp == (None, None):
            self._ckpts.pop(rid, None)
            return 0
        seen = self._ckpts.get(rid)
        if seen is None or seen[0] != stamp:
            from benchmark.checkpoint import CheckpointPolicy, resumes_at

            policy = CheckpointPolicy() if self.policy is None else self.policy
            seen = self._ckpts[rid] = (stamp, resumes_at(self.store, rid, self.runs[rid], policy))
        return seen[1]

    def _anchored(self, rid: str, text: str, age: float) -> float:
        """The age of run ``rid`` in flight here, its lock's text ``text``, by the clock ``age``: at least the age it
        had when this process first saw that lock, carried on by the monotonic clock — a clock stepped back during the
        night (NTP, a VM resumed) put the lock's time ahead of now, and the ETA counted the run as just started."""
        now = time.monotonic()
        seen = self._anchors.get(rid)
        if seen is None or seen[0] != text:  # another attempt's lock (its text names its process and start)
            self._anchors[rid] = (text, now, max(age, 0.0))
            return max(age, 0.0)
        return max(age, seen[2] + (now - seen[1]))

    def _store_now(self) -> float:
        """Now by the clock that stamps the store's files (its file server's), against which a lock file's time is an
        age: this machine's clock may be hours off the server's, as another node's may (two hours ahead read a lock
        taken a minute ago as held for two hours). Measured by a file written in the store
        (:meth:`~benchmark.results.ResultsStore.store_now`), again after :data:`CLOCK_PROBE_S`; this machine's clock
        where none can be written."""
        t = time.monotonic()
        if self._skew is None or not 0 <= t - self._skew[0] < CLOCK_PROBE_S:
            server = self.store.store_now()
            self._skew = (t, 0.0 if server is None else server - time.time())
        return time.time() + self._skew[1]

    def _held_s(self, rid: str, lock, text: str, lock_t: float, age: float) -> float:
        """How long the run ``rid``'s lock held from another machine has been held, as far as can be told here, never
        by that machine's clock (a node hours behind made a live run it had just resumed — its curve starting with
        what it trained before its checkpoint, as a copy's does — read as a copy's lock at the first look of a new
        grid's progress). Once this process has seen its lock or curve.csv change, they are a live run's files, no
        copy's: the time since the last change seen here (this machine's monotonic clock) alone — a live run is never
        judged stale while it writes, and a worker that stopped is judged ``STALE_RUNS`` times its family's longest
        run after its last write. Before any change is seen: its file's ``age`` (``lock_t``: its time, the file
        server's clock, which a ``cp -a`` copy keeps and a plain ``cp`` resets to the copy's), at least as long as this
        process has watched them unchanged: a copy made just now is judged when it has stayed so for that long. The
        curve is read only when it changed (``self._watched`` keeps its seconds)."""
        curve = self.store.run_dir(rid) / "curve.csv"
        try:
            st = curve.stat()
            look = (text, lock_t, st.st_size, st.st_mtime)
        except OSError:
            st, look = None, (text, lock_t, None, None)
        now = time.monotonic()
        seen = self._watched.get(rid)
        if seen is None or seen[0] != look:  # (look, seen so since, its curve's seconds, changed while watched)
            trained = _trained_s(curve, lock_t) if st is not None else 0.0
            seen = self._watched[rid] = (look, now, trained, seen is not None)
        _, since, _, moved = seen
        watched = now - since
        return watched if moved else max(age, watched)

    def eta(self, status: dict | None = None) -> tuple[float | None, list[str]]:
        """(seconds left, families estimated from the overall mean), or (None, …) before any run finished."""
        st = status or self.status()
        # another machine's processes share what is left: each run in flight here is one process of this node, each
        # holder there one of that node (a SLURM or Ray grid's own jobs among them: never more than the grid's workers)
        away = st.get("elsewhere", ())
        at_once = sum(map(len, st.get("running", {}).values())) - len(away) + len(set(away))
        now = _monotonic()
        self._seen.append((now, at_once))  # seen before the first run finished too
        per = {f: statistics.mean(v) for f, v in st["seconds"].items()}
        if not per:
            return None, sorted(st["todo"])
        overall = statistics.mean(t for v in st["seconds"].values() for t in v)
        guessed = sorted(f for f in st["todo"] if f not in per)
        left = sum(n * per.get(f, overall) for f, n in st["todo"].items())
        # a run in flight has already spent its age (never more than its family's mean: an over-long
        # run is assumed about to finish, not negative time)
        in_flight = [(per.get(f, overall), age) for f, ages in st.get("running", {}).items() for age in ages]
        left -= sum(min(age, mean) for mean, age in in_flight)
        # a run stopped with a checkpoint resumes from it: what it trained before is not charged again
        resumes = st.get("resumes", {})
        left -= sum(min(t, per.get(f, overall)) for f, ts in resumes.items() for t in ts)
        # a run is not split over workers: the grid's tail (fewer runs left than workers) takes its longest run
        # (``todo`` counts the runs in flight and those that resume too: those to start afresh are the rest)
        longest = max([*(per.get(f, overall) for f, n in st["todo"].items()
                         if n > len(st.get("running", {}).get(f, ())) + len(resumes.get(f, ()))),
                       *(max(mean - age, 0.0) for mean, age in in_flight),
                       *(max(per.get(f, overall) - t, 0.0) for f, ts in resumes.items() for t in ts)], default=0.0)
        # a remote grid: the most runs in flight within the longest family's mean run (a dip between two jobs is
        # shorter; a slot empty for longer, the cluster given to others, is not counted for ever)
        while len(self._seen) > 1 and now - self._seen[0][0] > max(per.values()):
            self._seen.popleft()
        workers = max(self.workers, at_once) if self.workers else max(1, *(n for _, n in self._seen))
        return max(max(left, 0.0) / workers, longest), guessed

    def line(self, current: str | None = None) -> str:
        """``run k/N (current): d done, f failed; ETA h:mm:ss (measured per family: …)``."""
        st = self.status()
        eta, guessed = self.eta(st)
        n_running = sum(len(v) for v in st.get("running", {}).values())
        # k counts finished, failed and in-flight runs (a worker's own run holds its lock): a failure or a
        # second worker moves it on; with nothing in flight it is the next run to start
        k = st["done"] + st["started"] + (0 if n_running else 1)
        head = f"run {min(max(k, 1), self.total)}/{self.total}" + (f" ({current})" if current else "")
        away = len(st.get("elsewhere", ()))  # of them on other machines of a shared store
        body = f"{st['done']} done, " + (f"{n_running} running{f' ({away} on another machine)' if away else ''}, "
                                         if n_running else "") + f"{st['failed']} failed"
        if stale := st.get("stale"):  # charged as runs to do: not running, yet no worker here may be on them
            body += (f", {stale} held by another machine for longer than any run takes (a copy made mid-grid, or "
                     "that machine stopped: `plbench check`)")
        if eta is None:
            tail = "ETA after the first finished run"
        else:
            per = ", ".join(f"{f} {statistics.mean(v):.0f} s" for f, v in sorted(st["seconds"].items()))
            tail = f"ETA {_fmt(eta)} (measured per family: {per}" + (
                f"; not yet measured, assumed average: {', '.join(guessed)})" if guessed else ")")
        self.update(st)
        return f"{head}: {body}; {tail}"

    def update(self, status: dict | None = None) -> None:
        """Move the overall bar to the store's count of finished runs."""
        if self.bar is None:
            return
        st = status or self.status()
        n = st["done"] + st["failed"]
        if n > self._shown:
            self.bar.update(n - self._shown)
            self._shown = n
        eta, _ = self.eta(st)
        if eta is not None:
            self.bar.set_postfix_str(f"ETA {_fmt(eta)}", refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.update()
            self.bar.close()


def bars_of_a_worker() -> None:
    """Lock this process's tqdm bars with a thread lock, not the multiprocessing lock tqdm makes with its first bar: a
    spawned local worker shares its driver's resource tracker, so one killed outright (the OOM killer, kill -9) or
    ended by a hang in C code (``os._exit``) left that lock's semaphore registered there, and the driver's night ended
    on the tracker's 'leaked semaphore objects' warning, after the grid's last line; a Ray task's or SLURM job's worker
    (a start method other than fork: Python 3.14's forkserver, macOS's spawn) left it in its own tracker, which
    outlived it and wrote the warning into the job's log. Such a lock is shared with no other process anyway (each
    worker makes its own): a worker's bars lose nothing. Called first thing in every worker
    (:func:`benchmark.executors._worker_main`), before any bar."""
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


@contextlib.contextmanager
def log_to_bars(enabled: bool = True):
    """Route logging through tqdm while bars are drawn, so a log line never cuts through a bar."""
    if not enabled:
        yield
        return
    from tqdm.contrib.logging import logging_redirect_tqdm

    loggers = [logging.getLogger(), logging.getLogger("benchmark")]
    with logging_redirect_tqdm(loggers=loggers):
        yield


class Monitor:
    """For a driver that waits on worker processes: logs the grid's progress line (and moves the
    bar) every ``interval`` seconds while :meth:`tick` is called."""

    def __init__(self, progress: GridProgress, interval: float = 30.0):
        self.progress, self.interval = progress, interval
        self._last = 0.0

    def tick(self) -> None:
        now = time.monotonic()
        self.progress.update()
        if now - self._last >= self.interval:
            self._last = now
            log.info("grid %s", self.progress.line())


# --------------------------------------------------------------------------------------------
# a run that stops making progress (a deadlock, an NFS stall): the stall watch
# --------------------------------------------------------------------------------------------
#: how long a hung run's process is given to stop at the interrupt before it exits outright (a hang in C code)
STALL_GRACE_S = 60.0
#: the exit status of a process a hung run was ended with: its driver starts a worker in its place
STALLED_EXIT = 75
#: how long the stall watch waits for its own words — a log line, the hung run's record in the store — before it goes
#: on without them: a run hung on a stalled network file system stalls a write to that store (or a log on it) too, and
#: a run hung while it logged holds the handler's lock
RECORD_WAIT_S = 60.0
#: {thread id: its run's last sign of progress} (monotonic: a clock step is no stall, nor hides one): one per thread, as
#: two grids in threads of one process (two ``api.run`` calls of a notebook, a service) each counted the other's
#: steps as their own progress, and a hung run was never stopped while the other thread trained
_beats: dict[int, float] = {}


def beat() -> None:
    """A sign of progress of the run this thread is doing (a training iteration, a checkpoint, a scored image): called
    every training step, so no import here."""
    _beats[threading.get_ident()] = time.monotonic()


class RunStalled(Exception):
    """Raised in the main thread when its run made no progress for the stall timeout: the run fails with it."""


def _started(say) -> threading.Thread:
    """``say()`` (a log line, a record written to the store) run in a thread of its own, for the caller to wait on
    as long as it can: the stall watch must go on where a run hung in I/O or in a log handler holds up its words
    too, or the hang it is there to end holds it as well."""
    def run() -> None:
        with contextlib.suppress(Exception):
            say()

    thread = threading.Thread(target=in_this_context(run), name="plbench-stall-words", daemon=True)
    thread.start()
    return thread


def _stack(thread_id: int | None) -> str:
    """Where a thread is now, as a traceback prints it: where the hung run waits."""
    import sys
    import traceback

    frame = sys._current_frames().get(thread_id) if thread_id is not None else None
    return "".join(traceback.format_stack(frame)) if frame is not None else "(no Python frame: waiting in C code)"


@contextlib.contextmanager
def stall_watch(timeout: float | None, what: str, record=None, grace: float | None = None):
    """Stop the run inside the block when it makes no progress (:func:`beat`) for ``timeout`` seconds (None, 0: no
    watch): a hang — a deadlock, an I/O stall on a network file system — would hold a worker, and the night, for
    ever. A thread watches; at the timeout it interrupts the run's thread, which raises :class:`RunStalled` where it
    waits (the run fails with that error and its stack, and the grid goes on): the main thread by a signal (SIGALRM,
    which also breaks a blocking system call; another's alarm goes on to the handler it had), another thread (a
    notebook's, a service's) at its next Python instruction. A run that goes on making progress instead (code that
    caught the interrupt and tried again) is watched on. A thread that neither stops nor makes progress
    within ``grace`` seconds (default: the timeout, at most :data:`STALL_GRACE_S`) is stuck in C code, where no
    signal reaches Python, and past saving: ``record(error, stack)`` writes the run's failure, and the process exits
    with :data:`STALLED_EXIT` — a local driver starts another worker for the rest of its runs; the same command
    retries the run."""
    import signal

    if not timeout or timeout <= 0:
        yield
        return
    grace = min(timeout, STALL_GRACE_S) if grace is None else grace
    runner = threading.get_ident()  # the run's thread: the main thread, or one of a notebook, a service, a GUI
    here = threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_kill")
    done, fired, lock = threading.Event(), threading.Event(), threading.Lock()
    said = f"{what} made no progress (no training iteration, checkpoint or scored test image) for {timeout:g} s"
    stopped = f"{said} (--stall-timeout): stopped as hung"

    class Stalled(RunStalled):  # raised in another thread by its class alone (PyThreadState_SetAsyncExc): the words
        def __init__(self, *args):
            super().__init__(*(args or (stopped,)))

    Stalled.__name__ = Stalled.__qualname__ = "RunStalled"  # as a failed run's record names its error

    def interrupt(signum, frame):
        # only the watch's own signal, and not once the run has moved on at the last moment; another's alarm (a
        # library's time-out) goes on to the handler it had
        if fired.is_set():
            if not done.is_set():
                raise RunStalled(stopped)
        elif callable(previous):
            previous(signum, frame)

    def stop_thread() -> None:
        """Raise :class:`RunStalled` in the run's thread (not the main one) at its next Python instruction."""
        import ctypes

        with lock:
            if not done.is_set():
                fired.set()
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(runner), ctypes.py_object(Stalled))

    def watch() -> None:
        # the time without progress is summed over the watch's own looks, each at most two intervals: a longer gap
        # between two looks is time this process did not run (stopped: Ctrl-Z then fg, a suspended SLURM job,
        # SIGSTOP/SIGCONT), which the monotonic clock counts and a healthy run must not be failed for
        poll = min(timeout, 5.0) / 5
        last, seen, stalled = time.monotonic(), _beats.get(runner), 0.0
        while not done.wait(poll):
            now = time.monotonic()
            step, last = min(now - last, 2 * poll), now
            if (now_beat := _beats.get(runner)) != seen:  # progress since the last look
                seen, stalled = now_beat, min(max(now - (now_beat or now), 0.0), step)
            else:
                stalled += step
            if stalled < timeout:
                continue
            stack = _stack(runner)
            # said in a thread of its own, waited for a second at most: a log on a stalled file system hangs too
            _started(lambda stack=stack: log.error("%s: stopping it as hung; it waits here:\n%s", said, stack)).join(
                min(grace, 1.0))
            if here:
                with lock:  # a run whose block was left meanwhile (its handler given back) gets no alarm
                    if done.is_set():
                        return
                    fired.set()
                    signal.pthread_kill(runner, signal.SIGALRM)
            else:
                stop_thread()
            # the run stops (the block ends), or goes on making progress (code that caught the interrupt as one more
            # failed try and went on: watched on as before), or neither: hung where no interrupt reaches it
            mark, waited = _beats.get(runner), 0.0
            while waited < grace and _beats.get(runner) == mark:
                if done.wait(min(poll, grace)):
                    return
                waited += min(poll, grace)
            if _beats.get(runner) != mark:
                log.warning("%s went on making progress after the interrupt; watching it on", what)
                fired.clear()
                last, seen, stalled = time.monotonic(), _beats.get(runner), 0.0
                continue
            error = (f"{said} and did not stop at the interrupt (hung in C code: a deadlock, an I/O stall); its "
                     f"process was ended (--stall-timeout)")

            def last_line(error: str = error) -> None:
                log.error("%s; %s retries it and goes on with the grid's other runs", error, again())
                flush()

            def last_record(error: str = error, stack: str = stack) -> None:
                record(error, stack)  # and, where the process is the whole command, its last lines (runner._ending)
                flush()

            # bounded: on a stalled file system the record's write (or the log's) hangs as the run did, and the process
            # was never ended; without its record the same command retries the run all the same. The line and the
            # record each in a thread of their own (a run hung while it logged holds the handler, and the record,
            # written after the line, was never written), the record started once the line is out (so the line comes
            # first where the handler is free), or after min(grace, 1 s) where it is not
            deadline = time.monotonic() + RECORD_WAIT_S
            line = _started(last_line)
            line.join(min(grace, 1.0))
            if record is not None:
                _started(last_record).join(max(deadline - time.monotonic(), 0.0))
            line.join(max(deadline - time.monotonic(), 0.0))
            os._exit(STALLED_EXIT)

    def flush() -> None:
        import sys

        sys.stderr.flush()  # not logging.shutdown(): the hung thread may hold a handler's lock

    previous = signal.signal(signal.SIGALRM, interrupt) if here else None
    beat()
    thread = threading.Thread(target=in_this_context(watch), name="plbench-stall-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            if fired.is_set() and not here:  # the block ended as it was stopped: no RunStalled left pending after it
                import ctypes

                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(runner), None)
        if here:
            signal.signal(signal.SIGALRM, previous)

"""The device a process trains on: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` → a checked ``torch.device``.

Below every module that plans or runs work (config, runner, perf), so none of them imports another
to learn which device it is on."""

from __future__ import annotations

import contextlib
import functools
import re
from typing import TYPE_CHECKING

from benchmark.docmarkup import plural
from benchmark.errors import UserError

if TYPE_CHECKING:
    import torch

#: the device types plbench trains on (a run's ``device_type``, part of its id)
DEVICE_TYPES = ("cpu", "cuda")


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Torch on ``n`` intra-op threads inside (a ``with`` block, or a decorator: ``@torch_threads(1)``), this process's
    count given back on the way out, an exception's included. Nothing is changed where ``n`` is 0 or None (the count
    as it is) or already this process's count."""
    import torch

    before = torch.get_num_threads()
    if not n or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def parse_device(device: str) -> torch.device:
    """``device`` (not ``auto``) as a ``torch.device`` of a type plbench trains on, without asking whether this
    machine has it: a remote executor's driver checks the name so, the device being its workers'."""
    import torch  # here: config takes DEVICE_TYPES from this module without importing torch

    try:
        dev = torch.device(device)
    except RuntimeError:
        close = _close_device(device)
        raise UserError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N"
                        + (f"; did you mean {close}?" if close else "")) from None
    if dev.type not in DEVICE_TYPES:  # torch knows mps, xpu, meta, …: refused here, before planning reads any image
        raise UserError(f"device {device!r} is not one plbench trains on: use auto, cpu, cuda or cuda:N")
    return dev


def _close_device(device: str) -> str:
    """The device name :func:`parse_device` offers for a ``device`` torch does not know, as every other choice's
    close name is offered (``--net Tiny``: did you mean tiny?): a case slip (``CPU``), another word for a GPU
    (``gpu``, ``nvidia``), a misspelling (``cdua``, ``cpuu``) and an index written without its colon (``cuda0``,
    ``gpu 1``, ``cdua:1``); ``""`` where none is close."""
    import difflib

    lower = str(device).strip().lower()
    if re.fullmatch(r"auto|cpu|cuda(:\d+)?", lower):
        return lower
    found = re.fullmatch(r"([a-z]+?)[\s:_-]*(\d+)", lower)
    word, index = (found.group(1), found.group(2)) if found else (lower, None)
    if word in ("tpu", "npu"):  # another accelerator, no slip of `cpu`
        return ""
    name = "cuda" if word in ("gpu", "nvidia") else next(iter(difflib.get_close_matches(word, ("auto", "cpu", "cuda"),
                                                                                         n=1, cutoff=0.6)), "")
    if index is None:
        return name
    return f"cuda:{int(index)}" if name == "cuda" else ""


def resolve_device(device: str, setting: str = "") -> torch.device:
    """``device`` (``auto`` or :func:`parse_device`'s) as this machine's checked ``torch.device``. ``setting``: what
    gave the value (``--device``), which then starts a :class:`UserError`'s line (``--device: unknown device …``)."""
    import torch

    try:
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        dev = parse_device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise UserError(f"device {device!r} requested but CUDA is not available here")
        if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
            # torch accepts the name and fails at the first tensor moved there ("invalid device ordinal"), after
            # planning
            import os

            n = torch.cuda.device_count()
            visible = os.environ.get("CUDA_VISIBLE_DEVICES")
            raise UserError(f"device {device!r} requested but this machine has {plural(n, 'GPU')} visible here "
                            f"({', '.join(f'cuda:{i}' for i in range(n))}"
                            + (f"; CUDA_VISIBLE_DEVICES={visible} numbers them from 0" if visible else "") + ")")
        return dev
    except UserError as exc:
        if setting:
            exc.args = (f"{setting}: {exc}", *exc.args[1:])
        raise


#: where a Linux machine names its CPU model (a module constant, for tests)
CPUINFO = "/proc/cpuinfo"
#: what :func:`cpu_model` appends to an Apple CPU's model in an x86_64 process (translated by Rosetta 2)
ROSETTA = "under Rosetta"


@functools.cache
def cpu_model() -> str:
    """This machine's CPU model as ``/proc/cpuinfo`` names it (``"AMD EPYC 7763 64-Core Processor"``), on macOS as
    ``sysctl -n machdep.cpu.brand_string`` does (``"Apple M2 Pro"``, ``"Intel(R) Core(TM) i7-9750H …"``), else
    ``platform.processor()`` or ``platform.machine()``: what a CPU cost was measured on (``platform.processor()``
    alone is "" on Linux, or ``x86_64``, the same for a laptop and a server; on macOS ``arm`` or ``i386``, every Mac
    alike); read once per process (the dry run keys every step time by it). An x86_64 process on Apple silicon
    (an Intel build of Python, translated by Rosetta 2: its torch's steps run several times a native one's) names
    its model ``"Apple M2 Pro under Rosetta"``, another kind in the cost table and the dry run's step times."""
    import platform
    from pathlib import Path

    try:
        for line in Path(CPUINFO).read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        import subprocess

        try:
            brand = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                                   timeout=5, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            brand = ""
        if brand:  # an Intel build of Python on Apple silicon: x86 code translated, its steps another kind's
            return f"{brand} {ROSETTA}" if brand.startswith("Apple") and platform.machine() == "x86_64" else brand
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    """The model of ``device`` as a run's ``meta.json`` records it (``device_name``) and the cost table tells kinds
    apart by it (:func:`benchmark.stats.device_kind`): a GPU's (``"NVIDIA H100 80GB HBM3"``), else this machine's CPU
    model (:func:`cpu_model`; ``"cpu"`` where none is named)."""
    if device.type == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    return cpu_model() or "cpu"


#: a CPU timing whose process got less than this share of one core per torch thread while it ran (CPU time ÷ wall time
#: of the fastest call, ÷ the threads it ran on: a 2-thread step with one core's time had half of what it asked for)
#: was taken on a machine busy with other work: the fastest of three calls was still 13× the idle
#: time where the load lasted through all three, and ``steptimes.json`` kept it for every later dry run (a grid of
#: 33 s estimated at 1.3 h) → used for this dry run, said, not kept (:meth:`benchmark.perf.StepTimes.get`).
#: ``PLBENCH_MIN_CPU_SHARE`` sets another (0: never judged; the test suite's, whose timings must not depend on
#: the machine's load)
MIN_CPU_SHARE = 0.5


def min_cpu_share() -> float:
    """:data:`MIN_CPU_SHARE`, or ``PLBENCH_MIN_CPU_SHARE`` where set: a share of one core, 0 or more (a typo was
    read as the default, unsaid)."""
    import math
    import os

    text = os.environ.get("PLBENCH_MIN_CPU_SHARE", "").strip()
    try:
        share = float(text) if text else MIN_CPU_SHARE
    except ValueError:
        share = math.nan
    if not math.isfinite(share) or share < 0:
        raise UserError(f"PLBENCH_MIN_CPU_SHARE={text!r} is not a share of one core (a number ≥ 0, e.g. 0.5; 0: "
                        "never judge a timing busy)")
    return share


#: where this process's cgroups and their CPU quotas are read (:func:`usable_cores`; module constants, for tests)
PROC_CGROUP = "/proc/self/cgroup"
CGROUP_ROOT = "/sys/fs/cgroup"


def _v1_hierarchy(controllers: str):
    """The folder of a cgroup v1 hierarchy holding the ``cpu`` controller, listed ``controllers`` in
    ``/proc/self/cgroup``: that name where it is a folder, else systemd's ``cpu`` link, else the controllers in the
    mount's own order — RHEL/CentOS 7 list ``cpuacct,cpu`` for the hierarchy mounted at ``cpu,cpuacct``."""
    from pathlib import Path

    root = Path(CGROUP_ROOT)
    names = (controllers, "cpu", ",".join(sorted(controllers.split(","))))
    return next((root / n for n in names if (root / n).is_dir()), root / controllers)


def usable_cores() -> float:
    """The cores this process's threads can run on at once: its CPU affinity, at most the least CPU quota of its
    cgroups from its own up to the root (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us`` ÷ ``cpu.cfs_period_us``: a
    container's ``--cpus``, a Kubernetes CPU limit, a SLURM job's), which torch's default thread count does not see."""
    import os
    from pathlib import Path

    try:
        cores = float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return float(os.cpu_count() or 1)
    try:
        lines = Path(PROC_CGROUP).read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _hid, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        v2 = controllers == ""
        if not v2 and "cpu" not in controllers.split(","):
            continue
        parts = [p for p in path.strip().split("/") if p]
        base = Path(CGROUP_ROOT) if v2 else _v1_hierarchy(controllers)
        for k in range(len(parts), -1, -1):  # a cgroup namespace shows "/": the container's own root
            folder = base.joinpath(*parts[:k])
            try:
                if v2:
                    quota, period = (Path(folder, "cpu.max").read_text().split() + ["100000"])[:2]
                else:
                    quota = Path(folder, "cpu.cfs_quota_us").read_text().strip()
                    period = Path(folder, "cpu.cfs_period_us").read_text().strip()
                if quota not in ("max", "-1") and float(period) > 0:
                    cores = min(cores, max(float(quota) / float(period), 0.01))
            except (OSError, ValueError):
                continue
    return cores


#: where this process's threads' scheduler statistics are read (:func:`sched_times`; a module constant, for tests)
PROC_TASKS = "/proc/self/task"


def sched_times() -> tuple[float, float] | None:
    """(seconds on a core, seconds runnable but waiting on a run queue for one) of this process's threads so far,
    summed over ``/proc/self/task/*/schedstat``: how long its threads wanted a core another process held, which a
    thread idle for want of work (a many-core host's step too small to split over all its threads) never adds to.
    None where they cannot be read (not Linux, a kernel built without scheduler statistics)."""
    import os

    ran = waited = 0.0
    try:
        tasks = os.listdir(PROC_TASKS)
    except OSError:
        return None
    read = 0
    for tid in tasks:
        try:
            with open(f"{PROC_TASKS}/{tid}/schedstat") as f:
                on_cpu, on_queue = f.read().split()[:2]
            ran, waited, read = ran + int(on_cpu) / 1e9, waited + int(on_queue) / 1e9, read + 1
        except (OSError, ValueError):  # a thread that ended meanwhile
            continue
    return (ran, waited) if read else None


def waited_busy(ran: float, waited: float, wall: float, threads=None, cores=None) -> bool | None:
    """Was a CPU timing of ``wall`` seconds taken while other work held the cores, judged by its process's threads'
    scheduler statistics over it (:func:`sched_times`' differences): busy where, of the time they were runnable
    (``ran`` on a core plus ``waited`` on a run queue), they had a core under :func:`min_cpu_share` of it. A thread
    idle for want of work counts neither way, so a free 64-core host whose step keeps 12 of its 64 threads busy is
    free (its share per thread, 0.19, read busy). None where they tell nothing of that timing — its threads runnable
    under half its wall time (a CPU step keeps the calling thread runnable throughout; asleep, it waited on I/O or
    another clock), or no wall time —, which :func:`busy` then judges by the share per thread; False where the
    threshold is 0. ``threads``, ``cores``: the torch threads and the cores they could run on (:func:`runnable_busy`:
    more threads than cores wait on each other, no other work)."""
    if wall <= 0 or ran + waited < 0.5 * wall:
        return None
    return runnable_busy(ran / (ran + waited), threads, cores)


def runnable_busy(runnable: float, threads=None, cores=None) -> bool:
    """Is ``runnable``, a timing's threads' share of a core while runnable (:func:`waited_busy`, meta.json's
    ``cpu_runnable_share``), a machine busy with other work? Under :func:`min_cpu_share` of what each thread can have
    when all run: a core, or cores ÷ threads where ``threads`` outnumber the ``cores`` they could run on — torch's
    default 16 threads in a container allowed 2 cores wait on a run queue 7/8 of the time for their own siblings, on
    an idle machine (judged against a whole core, every such timing read busy: tests/test_review_stats22.py), as
    :func:`busy` judges the share per thread that had a core."""
    import math

    try:
        n, c = float(threads), float(cores)
    except (TypeError, ValueError):
        n = c = math.nan
    fit = c / n if math.isfinite(n) and math.isfinite(c) and n > c > 0 else 1.0  # NaN compares false: a whole core
    return runnable < min_cpu_share() * fit


def busy(share, threads, cores=None) -> bool:
    """Was a CPU timing taken while other work held the cores? ``share``: its process's CPU seconds ÷ wall seconds
    (``cpu_share`` in meta.json); ``threads``: the torch threads it ran on; ``cores``: the cores they could run on at
    once (:func:`usable_cores`, meta.json's ``cpu_cores``; None: as many as threads). Judged per thread that had a
    core to run on, against :func:`min_cpu_share`: 0.9 of a core is a 1-thread run that had its core, but a 2-thread
    run whose threads each had under half of one (the process's share alone, judged against one core, passed it as
    idle); 16 threads in a container allowed 2 cores had them both at 1.9, not 0.12 each. False where no share is
    recorded (a GPU run, an older run) or the threshold is 0."""
    import math

    try:
        share, n = float(share), 1.0 if threads is None else float(threads)
        cores = math.inf if cores is None else float(cores)
    except (TypeError, ValueError):
        return False
    n = 1.0 if math.isnan(n) else max(n, 1.0)  # no thread count (a table's NaN): one
    if 0 < cores < math.inf:  # NaN compares false: no cap
        n = min(n, cores)  # half a core's quota: a share of 0.5 is all of it
    return math.isfinite(share) and share / n < min_cpu_share()


def timing_busy(share, waits, threads=None, cores=None) -> bool:
    """Was a CPU timing taken while other work held the cores? By its threads' scheduler statistics where they tell
    (``waits``: (seconds on a core, seconds waiting for one, wall seconds) over it, :func:`waited_busy`), else by its
    process's CPU ``share`` per thread (:func:`busy`). The one rule of ``plbench perf``'s rows and the dry run's step
    times (:mod:`benchmark.perf`); a finished run's record is judged by :func:`timed_busy`."""
    judged = waited_busy(*waits, threads, cores) if waits is not None else None
    return busy(share, threads, cores) if judged is None else judged


def timed_busy(meta: dict) -> bool:
    """Was run ``meta``'s ms/it (its ``meta.json``) timed while other work held the cores? Where it records
    ``cpu_runnable_share`` (its threads' share of a core while runnable, :func:`waited_busy`'s judgment), that
    (:func:`runnable_busy`, against its ``threads`` and ``cpu_cores``); else :func:`busy` of its ``cpu_share``,
    ``threads`` and ``cpu_cores``. False where it records no ``ms_per_it`` or no share (a GPU run, an older run)."""
    if meta.get("ms_per_it") is None or meta.get("cpu_share") is None:
        return False
    runnable = meta.get("cpu_runnable_share")
    if isinstance(runnable, (int, float)) and not isinstance(runnable, bool) and 0 <= runnable <= 1:
        return runnable_busy(runnable, meta.get("threads"), meta.get("cpu_cores"))
    return busy(meta.get("cpu_share"), meta.get("threads"), meta.get("cpu_cores"))


def free_where_any(busy_runs, cells) -> list[bool]:
    """Which runs a cost cell's ms/it is of: of each cell's runs, those timed with the cores free where the cell has
    any, else all of them (a run timed while other work held the cores reads several times high: l1 charged 5× its
    free run's time, above l2's; an estimate checked against one read ×25 off). ``busy_runs``: per run, whether it
    was timed busy (:func:`timed_busy`); ``cells``: per run, its cell (any hashable: the dry run's (loss, task), the
    cost table's (kind of device, task)), None where the run counts in none (untimed, another setting). The one rule
    both the dry run's check of its estimate (:func:`benchmark.perf.measured_in_store`) and the cost table
    (:func:`benchmark.stats.cost_table`) choose a cell's runs by."""
    busy_runs, cells = list(busy_runs), list(cells)
    free_cells = {c for c, b in zip(cells, busy_runs) if c is not None and not b}
    return [c is not None and (not b or c not in free_cells) for c, b in zip(cells, busy_runs)]

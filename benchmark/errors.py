"""The one exception type that the CLI turns into a one-line message and exit code 2, and how a process of the
harness ends with its code (:func:`exit_now`: the command, a local worker, a SLURM job)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path


def first_line(exc: BaseException) -> str:
    """``exc``'s message's first line that is not blank, else its type's name: an error in a few words."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class UserError(Exception):
    """Bad input from the user: unknown names, malformed config, unreachable data, ...

    The CLI prints ``error: <message>`` on one line (no traceback unless ``--debug``)
    and exits with :attr:`exit_code`. Results already on disk are never touched.
    """

    exit_code = 2


def expand_home(path: str | os.PathLike, said: str = "") -> Path:
    """``path`` with ``~`` and ``~name`` expanded as a shell does, where pathlib's ``expanduser`` raised
    RuntimeError('Could not determine home directory.') for a ``~name`` of a user this machine has not (``~photos``,
    meant ``~/photos``: a shell leaves it as typed, a config file's value is never expanded) — an 'internal error'.
    Such a path is refused in one line naming the missing user and the folder of one's own home it may mean (``said``:
    how the error names it, ``--out``), unless a file or folder of that literal name is in the working directory."""
    text = os.fspath(path)
    if missing := unknown_home(text):
        user, own = missing
        raise UserError(f"{said + ' ' if said else ''}{text}: there is no user {user!r} on this machine for "
                        f"~{user} (one in your own home is {own})")
    return Path(os.path.expanduser(text))


def unknown_home(path: str | os.PathLike) -> tuple[str, str] | None:
    """For a ``~name`` path of a user this machine has not (``~photos/a``: a shell leaves it as typed, pathlib's
    ``expanduser`` raises RuntimeError) and no file or folder of that literal name in the working directory: the user
    and the path in one's own home it may mean (``photos``, ``~/photos/a``); else None. The one rule of
    :func:`expand_home` and of a data source's and an image list's own words for it (:mod:`benchmark.data`)."""
    text = os.fspath(path)
    if not text.startswith("~") or os.path.expanduser(text) != text or os.path.exists(text):
        return None
    user, _, rest = text[1:].replace("\\", "/").partition("/")
    return (user, f"~/{user}{'/' + rest if rest else ''}") if user else None


class UnknownName(UserError):
    """A name no registry holds (:meth:`benchmark.registry.Registry.get`): ``kind`` (``"loss"``, ``"task"``,
    …) and ``name`` let a caller that knows more (a results store holding runs of that loss, from a loss
    file not loaded now) say so instead of the registry's suggestions."""

    def __init__(self, message: str, kind: str = "", name: str = ""):
        super().__init__(message)
        self.kind, self.name = kind, name


#: what runs a grid again — resumes it, retries its failed runs —, as its lines say it: `plbench run`'s command, or
#: :func:`benchmark.api.run`'s own call (a script has no command to run again)
AGAIN = {"command": "the same command", "api": "the same api.run() call"}
#: ``api`` within :func:`benchmark.api.run`'s call (:func:`again_as`): the call's own — its thread's context, the
#: threads it starts that copy it (:func:`in_this_context`), its workers' units (``WorkUnit.again``) —, not the
#: process's: a CLI call or another api.run in a thread beside it says its own words
_AGAIN = contextvars.ContextVar("plbench_again", default="command")


def again_who() -> str:
    """Who runs this grid again here (a key of :data:`AGAIN`): ``api`` within :func:`benchmark.api.run`'s call."""
    return _AGAIN.get()


def again() -> str:
    """What runs this call's grid again, for its lines (a full disk's error, a hung run's, workers lost): ``the same
    command``, or ``the same api.run() call`` within :func:`benchmark.api.run` (:func:`again_as`)."""
    return AGAIN[again_who()]


@contextlib.contextmanager
def again_as(who: str):
    """Within the block — this thread's context, not the process's —, :func:`again` says ``who``'s (a key of
    :data:`AGAIN`)."""
    token = _AGAIN.set(who if who in AGAIN else "command")
    try:
        yield
    finally:
        _AGAIN.reset(token)


def in_this_context(target):
    """``target`` to run in a copy of this thread's context (``threading.Thread(target=in_this_context(f))``): a new
    thread starts in an empty one, where :func:`again` said a command's words within api.run's call."""
    return functools.partial(contextvars.copy_context().run, target)


def pip() -> str:
    """How this interpreter's pip is run from the current folder, for an install hint's words: ``pip`` where the
    PATH's ``pip`` is the one beside this interpreter (an activated venv), else ``<python> -m pip`` with the
    interpreter as reached from here (``.venv/bin/python -m pip`` after the README's first command, the venv not
    activated: the PATH's ``pip``, if any, installs into another Python)."""
    import shlex
    import shutil

    here = os.path.abspath(sys.executable)
    found = shutil.which("pip")
    if found and os.path.dirname(os.path.abspath(found)) == os.path.dirname(here):
        return "pip"
    return f"{shlex.quote(reached_from_here(here))} -m pip"


def reached_from_here(path) -> str:
    """``path`` (an interpreter, a script) as a command line typed in the current folder reaches it: relative where it
    lies under that folder (``./python`` where bare, so a shell does not look it up on the PATH), else absolute — also
    where no relative path exists (another drive on Windows: ``os.path.relpath`` raises ValueError; the current folder
    deleted). The one rule of :func:`pip`, the CPU dry run's gpu_check line and the resume line after Ctrl-C."""
    path = os.path.abspath(path)
    try:
        rel = os.path.relpath(path)
    except (ValueError, OSError):  # C:\ vs D:\, or no current folder: a hint's words never stop the command
        return path
    return path if rel.startswith("..") else rel if os.sep in rel else os.path.join(".", rel)


def update_plbench() -> str:
    """How runs of a later plbench release than this checkout are reused (re-made here, they are made again with older
    code: :func:`benchmark.config.newer_code`); ``compare`` and ``run`` end it with what to do then. Its pip is the one
    of the python running plbench (:func:`pip`)."""
    return f"update plbench (`git pull`, or `{pip()} install -U` of the package)"


def did_you_mean(name: str, choices, n: int = 1, cutoff: float = 0.6) -> str:
    """``"; did you mean a, b?"`` for a misspelt ``name`` among ``choices`` (a case slip such as
    ``PSNR`` first, then up to ``n`` close spellings), or ``""`` when nothing is close."""
    close = _close(name, choices, n, cutoff)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _close(name: str, choices, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The ``choices`` :func:`did_you_mean` offers for ``name``: one differing in case only, else up to ``n`` close."""
    import difflib

    choices = [str(c) for c in choices]
    return [c for c in choices if c.lower() == str(name).lower()] or \
        difflib.get_close_matches(str(name), choices, n=n, cutoff=cutoff)


def _close_file(name: str, siblings) -> list[str]:
    """Up to two of ``siblings`` close to file name ``name``, those with its suffix compared by their stems: the
    shared ``.yaml`` made ``x.yaml`` a close spelling of ``nonexist.yaml``."""
    stem, ext = os.path.splitext(name)
    same = {os.path.splitext(s)[0]: s for s in siblings if ext and os.path.splitext(s)[1].lower() == ext.lower()}
    others = [s for s in siblings if s not in same.values()]
    return ([same[s] for s in _close(stem, same, n=2)] + _close(name, others, n=2))[:2]


def did_you_mean_path(path, kind: str | Callable[[str], bool] | None = None) -> str:
    """``"; did you mean DIR/NAME?"`` for a path that is not there while its folder holds a close spelling of its
    last part (``CSet5`` for ``Cset5``, ``my_loss.py`` for ``my_los.py``; hidden entries left out), written as
    the path was given; ``""`` when the folder is missing or holds nothing close. ``kind``: ``"file"`` or ``"dir"``
    where only one can be used (``--config configs.yaml`` beside a ``configs`` folder was offered the folder, which
    is then refused as one); ``None``: either (a data source); a function of the path: the entries it accepts (a
    results store, where ``--out tasks2`` was offered the task package)."""
    text = os.fspath(path)
    head, _, name = text.rstrip("/").rpartition("/")
    folder = os.path.expanduser(head or ".") if head or not text.startswith("/") else "/"
    try:
        siblings = [e for e in os.listdir(folder) if not e.startswith(".")]
    except OSError:
        fixed = _fixed_folders(text.rstrip("/"))  # `my_photo/test`: a folder on the way is misspelt
        return f"; did you mean {fixed}?" if fixed and _is_kind(os.path.expanduser(fixed), kind) else ""
    siblings = [e for e in siblings if _is_kind(os.path.join(folder, e), kind)]
    close = _close_file(name, siblings)
    return "; did you mean " + ", ".join(f"{head}/{n}" if head or text.startswith("/") else n for n in close) + "?" \
        if close else ""


def _is_kind(path: str, kind: str | Callable[[str], bool] | None) -> bool:
    """Whether ``path`` is what ``kind`` (:func:`did_you_mean_path`'s) asks for: a file, a folder, either, or what
    its function accepts."""
    if callable(kind):
        return kind(path)
    return kind is None or os.path.isdir(path) == (kind == "dir")


def _fixed_folders(text: str) -> str:
    """``text`` with each part from its first missing one on replaced by the closest spelling its parent folder
    holds (``my_photos/test`` for ``my_photo/test``), when the path so spelt exists; else ``""``."""
    parts = text.split("/")
    fixed = []
    for i, part in enumerate(parts):
        here = os.path.expanduser("/".join([*fixed, part]) or "/")
        if (part in ("", ".", "..", "~") and (i == 0 or part)) or (len(fixed) == i and os.path.exists(here)):
            fixed.append(part)  # the path's own start, and every part that is there as given
            continue
        try:
            siblings = [e for e in os.listdir(os.path.expanduser("/".join(fixed) or ("/" if fixed else ".")))
                        if not e.startswith(".")]
        except OSError:
            return ""
        close = [part] if part in siblings else _close(part, siblings, n=1)
        if not close:
            return ""
        fixed.append(close[0])
    joined = "/".join(fixed)
    return joined if joined != text and os.path.exists(os.path.expanduser(joined)) else ""


def offline_switches() -> list[str]:
    """The variables of ``HF_HUB_OFFLINE``, ``PLBENCH_OFFLINE`` set to a true value here."""
    return [v for v in ("HF_HUB_OFFLINE", "PLBENCH_OFFLINE")
            if os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")]


_NETWORK_ERRORS = ("URLError", "HTTPError", "ConnectionError", "gaierror", "OfflineModeIsEnabled",
                   "LocalEntryNotFoundError", "ConnectTimeout", "ReadTimeout")


def download_hint(exc: BaseException) -> str:
    """For a user's loss file whose own code failed to download weights (``torchvision.models.vgg16(weights=
    "DEFAULT")``, ``torch.hub.load_state_dict_from_url``, a Hugging Face file): ``"; it was downloading URL to
    PATH: …"`` — the file and where it goes, read from the downloader's frames, and that this machine is
    offline — so the one error line says what to fetch and where to put it; ``""`` for any other error."""
    chain, seen = [], set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        chain.append(e)
        e = e.__cause__ or e.__context__
    if not any(type(c).__name__ in _NETWORK_ERRORS for c in chain):
        return ""
    url = dst = hub = None
    for c in chain:  # the innermost downloader frame that names its URL and target file
        tb = c.__traceback__
        while tb is not None:
            try:
                loc = tb.tb_frame.f_locals
            except Exception:  # noqa: BLE001 - a frame that cannot be read says nothing
                loc = {}
            u, d = loc.get("url"), loc.get("dst", loc.get("cached_file"))
            if isinstance(u, str) and isinstance(d, (str, Path)):
                url, dst = u, Path(d)
            repo, name = loc.get("repo_id"), loc.get("filename")  # huggingface_hub.hf_hub_download's frames
            if isinstance(repo, str) and isinstance(name, str) and hub is None:
                hub = (repo, name, loc.get("cache_dir"))
            tb = tb.tb_next
    switches = offline_switches()
    why = (f"this machine is offline ({', '.join(f'{v}=1' for v in switches)})" if switches
           else "no server answered (no network?)")
    if hub and not url:  # a Hugging Face Hub file: its own cache, not torch.hub's folder
        repo, name, cache = hub
        if not isinstance(cache, (str, Path)):
            try:
                from huggingface_hub.constants import HF_HUB_CACHE as cache
            except ImportError:  # pragma: no cover - the frames above are huggingface_hub's
                cache = "the Hugging Face cache (HF_HOME)"
        return (f"; it was downloading {name} of the Hugging Face repo {repo} into {cache}: {why} — fetch it on a "
                f"connected machine (`huggingface-cli download {repo} {name}`) and copy that cache here")
    if url:
        return (f"; it was downloading {url} to {dst}: {why} — fetch that file on a connected machine and put it "
                "there (torch.hub finds it and downloads nothing)")
    import torch.hub

    return (f"; a download failed: {why} — fetch the file on a connected machine: torch.hub and torchvision "
            f"weights go in {Path(torch.hub.get_dir()) / 'checkpoints'}")


class _ToAReaderGone:
    """``sys.stdout``/``sys.stderr`` (and their ``buffer``) of a grid whose reader may go away (``plbench run … |
    head``, a ``| tee`` killed, an ssh session's pipe gone): a write that meets the broken pipe makes the stream's
    descriptor the null device and is made again there, so what is printed from then on — a loss's debugging print, a
    library's chatter — goes nowhere instead of failing the run that printed it. Everything else is the stream's own."""

    def __init__(self, stream):
        self._stream = stream
        self._buffer = None

    def _nowhere(self) -> None:
        try:
            fd = self._stream.fileno()
        except (OSError, ValueError, AttributeError):  # no descriptor (io.StringIO): a stream of its own
            binary = isinstance(self._stream, (io.RawIOBase, io.BufferedIOBase))
            self._stream = open(os.devnull, "wb" if binary else "w")  # noqa: SIM115 - this process's stream from now on
            return
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)  # the buffered text that met the broken pipe is written there too
        os.close(null)

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._nowhere()
            return self._stream.write(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._nowhere()
            self._stream.flush()

    @property
    def buffer(self):
        """The stream's binary buffer (``sys.stdout.buffer.write(b"…")``), guarded as the stream is: bytes written there
        raised BrokenPipeError into the run past the guard."""
        raw = self._stream.buffer  # AttributeError where the stream has none (io.StringIO), as the stream's own
        if self._buffer is None or self._buffer._stream is not raw:
            self._buffer = _ToAReaderGone(raw)
        return self._buffer

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _Guard:
    """The one guard of this process's ``sys.stdout``/``sys.stderr`` (the streams are the process's): put up by the
    first call that holds it, taken down by the last to end — two calls in threads (api.run beside a CLI call, two
    api.run), the first to start took it down as it ended while the other still ran."""

    def __init__(self):
        import threading

        self.lock, self.held, self.put, self.handlers = threading.Lock(), 0, {}, []

    def up(self) -> None:
        with self.lock:
            self.held += 1
            if self.held == 1:
                self.put, self.handlers = _guard_streams()

    def down(self) -> None:
        with self.lock:
            self.held -= 1
            if self.held == 0:
                _unguard_streams(self.put, self.handlers)
                self.put, self.handlers = {}, []


_GUARD = _Guard()


@contextlib.contextmanager
def output_to_a_reader_gone_goes_nowhere():
    """Within the block, this process's ``sys.stdout`` and ``sys.stderr`` write nowhere once their reader is gone
    (:class:`_ToAReaderGone`), instead of raising ``BrokenPipeError`` into whatever printed: every run of a night
    whose ``| tee`` was killed failed at its loss's first print. Around what trains a grid: ``plbench run`` and
    ``compare``, :func:`benchmark.api.run`, each worker; held until the last of them in this process ends."""
    _GUARD.up()
    try:
        yield
    finally:
        _GUARD.down()


def _guard_streams() -> tuple[dict, list]:
    """Put :class:`_ToAReaderGone` on ``sys.stdout``/``sys.stderr`` and the log handlers writing to them: what was put,
    for :func:`_unguard_streams`."""
    put = {}
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _ToAReaderGone):
            put[name] = _ToAReaderGone(stream)
            setattr(sys, name, put[name])
    # a log handler made on one of them before (a script's logging.basicConfig(stream=sys.stdout)) holds the stream
    # itself: through the guard too, or each record of the night wrote a '--- Logging error ---' traceback to stderr
    guards = {id(g._stream): g for g in put.values()}
    handlers = [h for h in _stream_handlers() if id(getattr(h, "stream", None)) in guards]
    for h in handlers:
        h.stream = guards[id(h.stream)]
    return put, handlers


def _unguard_streams(put: dict, handlers: list) -> None:
    """The streams :func:`_guard_streams` guarded, their own again (their descriptor the null device if gone)."""
    for h in handlers:
        if isinstance(h.stream, _ToAReaderGone):
            h.stream = h.stream._stream
    for name, guard in put.items():
        if getattr(sys, name) is guard:
            setattr(sys, name, guard._stream)


def _stream_handlers() -> list[logging.StreamHandler]:
    """Every :class:`logging.StreamHandler` of this process's loggers, the root's first."""
    loggers = [logging.getLogger(), *(x for x in list(logging.Logger.manager.loggerDict.values())
                                      if isinstance(x, logging.Logger))]
    return [h for x in loggers for h in list(x.handlers) if isinstance(h, logging.StreamHandler)]


def exit_now(code) -> None:
    """End the process with ``code`` once what Python runs at exit has run — its non-daemon threads joined, the
    :mod:`atexit` handlers (multiprocessing's children joined, Ray's shutdown, temporary directories' cleanup),
    logging flushed and closed, stdout and stderr flushed —, skipping the interpreter's teardown: there a C++
    library's thread (pyarrow's: apache/arrow#34314) aborted the process now and then ('terminate called without an
    active exception', exit 134 where the command said 3), and a night script reading the exit code misread it.
    ``code`` as :func:`sys.exit` takes it (None: 0; a message: said on stderr, 1)."""
    import atexit
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):
        with contextlib.suppress(OSError, ValueError):
            print(code, file=sys.stderr)
        code = 1
    shutdown = getattr(threading, "_shutdown", None)  # the interpreter's first step at exit: non-daemon threads
    if shutdown is not None and threading.current_thread() is threading.main_thread():
        shutdown()
    atexit._run_exitfuncs()
    logging.shutdown()  # registered at exit too: here also where the atexit handlers logged after it
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reader gone (`plbench findings | head`), a stream closed or None
            stream.flush()
    os._exit(code)


#: what an out-of-memory error says when it is not a ``torch.cuda.OutOfMemoryError``: cuDNN's and
#: cuBLAS's allocation failures (raised as RuntimeError), the CUDA runtime's own, a compiled
#: kernel's allocation
OOM_MESSAGES = ("CUDNN_STATUS_ALLOC_FAILED", "CUBLAS_STATUS_ALLOC_FAILED", "CUDA out of memory",
                "CUDA error: out of memory", "cudaErrorMemoryAllocation", "CUDNN_STATUS_NOT_ENOUGH_WORKSPACE",
                "HIP out of memory")
#: what the host's allocator says when it cannot give a CPU tensor its memory (a RuntimeError: "[enforce fail at
#: alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough memory: …", on older builds "… can't allocate memory")
HOST_OOM_MESSAGES = ("DefaultCPUAllocator", "alloc_cpu.cpp")


def oom_summary(exc: BaseException) -> str:
    """An out-of-memory error in a few words, for one line: its first line, of CUDA's allocator's message the first
    three sentences (what was asked, the GPU's total and what was free), not the process's and PyTorch's shares,
    PYTORCH_CUDA_ALLOC_CONF advice and documentation link that follow (~500 characters of one line)."""
    import re

    return " ".join(re.split(r"(?<=\.)\s+(?=[A-Z])", first_line(exc).rstrip())[:3])


def is_out_of_memory(exc: BaseException, host: bool = False) -> bool:
    """Is ``exc`` (or its cause) the device running out of memory, which half the batch may fix? ``host``: the
    host's allocator failing counts too (:data:`HOST_OOM_MESSAGES`: ``plbench perf``'s step on the CPU; a run's is
    not retried at half the batch, which the README says of CUDA's alone)."""
    messages = OOM_MESSAGES + HOST_OOM_MESSAGES if host else OOM_MESSAGES
    torch = sys.modules.get("torch")  # no torch imported: no torch error to be (this module stays torch-free)
    cuda_oom = torch.cuda.OutOfMemoryError if torch is not None else ()
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, cuda_oom):
            return True
        if isinstance(exc, RuntimeError) and any(m in str(exc) for m in messages):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False

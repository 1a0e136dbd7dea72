"""What a checkpoint (``runs/<id>/ckpt.pt``, :mod:`benchmark.checkpoint`) says of the run it was written for, read
without its tensors: its format and fingerprint (``{"config": …, "code_version": …}``). Apart from
:mod:`benchmark.checkpoint` so the results store (:meth:`benchmark.results.ResultsStore.superseded`), which that module
writes through, can read it too without an import cycle."""

from __future__ import annotations

from pathlib import Path

FORMAT = 2  # 2: the CUDA RNG state of the run's own device only


def as_current(fingerprint):
    """A checkpoint's fingerprint with its ``code_version`` read by :func:`benchmark.config.as_current_code`:
    another release of the same numbers code (``0.1.0+c3`` / ``0.1.1+c3``) trains the run of the same id (its
    finished runs are kept as done), so its checkpoint resumes it rather than start the run over; and its config's
    ``backbone_weights`` as :func:`benchmark.config.resolve` records it now (:func:`benchmark.config.
    recorded_weights`): a gpl run checkpointed under ``pretrained`` by a plbench before 2026-12-07 is the computation
    recorded ``random`` since, one id."""
    if not isinstance(fingerprint, dict):
        return fingerprint
    out = fingerprint
    if "code_version" in out:
        from benchmark.config import as_current_code

        out = {**out, "code_version": as_current_code(out["code_version"])}
    cfg = out.get("config")
    if isinstance(cfg, dict) and cfg.get("backbone_weights") in ("pretrained", "none") \
            and isinstance(cfg.get("loss"), str) and _may_read_otherwise(cfg["loss"]):
        from benchmark.config import recorded_weights

        try:
            one = recorded_weights(cfg["loss"], cfg["backbone_weights"])
        except Exception:  # noqa: BLE001 - a loss not registered here (its --loss-file not loaded): read as written
            one = cfg["backbone_weights"]
        if one == "random":  # one computation, one id; a pixel loss's old value read as written, registry or not
            out = {**out, "config": {**cfg, "backbone_weights": one}}
    return out


#: the package's losses that load no pretrained file under ``pretrained`` as written bare (gpl: its random VGG-19 is
#: the method): :func:`_may_read_otherwise`
_LOAD_NOTHING = frozenset({"gpl"})
#: what a term's arguments say where they may make it load nothing (``pdl(layers=())``, ``pdl_proj(layers=())``, a
#: term's own ``weights='random'``)
_LOAD_NOTHING_WORDS = ("weights", "layers", "random", "()")


def _may_read_otherwise(loss: str) -> bool:
    """Whether :func:`benchmark.config.recorded_weights` may read a record of ``loss`` under ``pretrained`` or
    ``none`` as another value, known without the loss registry where it is not loaded (no loss module, no torch:
    ``check`` and ``report`` key every record of a store holding a failed run): a term of gpl, a term whose arguments
    name layers, weights or ``random``, or a loss the package's files do not declare (a ``--loss-file``'s, a
    plugin's); the registry asked where it is loaded already."""
    from benchmark.registry import LOSSES
    from benchmark.specgrammar import term_names

    names, declared = term_names(loss), LOSSES.declared_names()
    if names is None or declared is None:  # not in the grammar, or the registry loaded (or plugins): it answers
        return True
    return any(w in loss for w in _LOAD_NOTHING_WORDS) or bool(_LOAD_NOTHING.intersection(names)) \
        or not set(names) <= set(declared)


def fingerprint_key(fingerprint) -> str:
    """One text per run a checkpoint can resume (its fingerprint read by :func:`as_current`): what
    :func:`written_for` and a finished run's record (``config``, ``code_version``) are matched by."""
    import json

    return json.dumps(as_current(fingerprint), sort_keys=True, default=str)


def is_legacy(path: Path) -> bool:
    """Whether the file at ``path`` is in torch's legacy (non-zip) serialization — a pickle, as a torch before 1.6 or
    ``_use_new_zipfile_serialization=False`` writes it: no CRC-32 to test, and ``torch.load`` cannot map it
    (``mmap=True`` raises), only read it whole. A zip, even a cut one, starts ``PK``."""
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"  # a pickle's PROTO opcode


def load(path: Path, peek: bool = True):
    """``torch.load`` of the checkpoint at ``path`` on the CPU, weights only; ``peek``: its tensors mapped from the
    file, not read (a file in torch's legacy format, :func:`is_legacy`, which cannot be mapped: read whole)."""
    import torch  # here: check matches records by :func:`fingerprint_key` and imports no torch

    mapped = {"mmap": True} if peek and not is_legacy(path) else {}
    return torch.load(path, map_location="cpu", weights_only=True, **mapped)


def record(path: Path) -> dict | None:
    """The checkpoint at ``path`` as saved (``format``, ``fingerprint``, ``iteration``, …), its tensors mapped, not
    read; None where it is unreadable or of another format."""
    try:
        state = load(path)
    except Exception:  # noqa: BLE001 - a damaged checkpoint says nothing of its run
        return None
    return state if isinstance(state, dict) and state.get("format") == FORMAT else None


def unusable(path: Path) -> str:
    """Why no run can resume from the checkpoint at ``path`` (its record alone read, its tensors mapped, not read), in
    words — empty, unreadable (cut short: a copy or sync stopped midway, a disk that filled), of another format — or ""
    where its record reads (a tensor changed on disk is found where the run restores it: its CRC-32)."""
    try:
        if path.stat().st_size == 0:
            return "is empty"
        state = load(path)
    except FileNotFoundError:
        return ""  # gone meanwhile (the run finished, or was set aside): nothing to say
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a damaged file
        return f"cannot be read ({type(exc).__name__}: cut short by a copy or a full disk?)"
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        got = state.get("format") if isinstance(state, dict) else type(state).__name__
        return f"is of another format ({str(got)[:20]}, this plbench reads {FORMAT})"
    return ""


def written_for_run(path: Path, state: dict | None = None) -> str | None:
    """The run id today's code gives the config the checkpoint at ``path`` was written for (:func:`written_for`; a
    half-batch retry's: :func:`run_configs`, either id given where one of them is the run's own folder, else the
    first); None where that is not known: no fingerprint, a config this
    code cannot build (a ``--loss-file``'s loss not loaded), one :func:`as_current` reads otherwise (gpl's old
    checkpoint, which :func:`benchmark.runner.resume_under_new_id` hands to its id now: its old folder keeps a copy),
    or one of another numbers code (an older ``+cN``: the id this code gives its config is not the one it ran under).
    ``state``: its :func:`record` as the caller read it (read here when None): one read of a file of up to hundreds of
    MB."""
    fingerprint = written_for(path) if state is None else fingerprint_of(state)
    cfg = (fingerprint or {}).get("config")
    current = as_current(fingerprint) or {}
    if not isinstance(cfg, dict) or current.get("config") != cfg:
        return None
    from benchmark.config import RunConfig, code_version, run_id

    if current.get("code_version") != code_version():
        return None

    try:
        ids = [run_id(RunConfig.from_dict(c)) for c in run_configs(path, cfg)]
    except Exception:  # noqa: BLE001 - a config this code cannot build: not known
        return None
    return path.parent.name if path.parent.name in ids else ids[0]


def run_configs(path: Path, config: dict) -> list[dict]:
    """The configs of the run whose checkpoint at ``path`` records ``config`` (a dict): a ``ckpt.pt``'s own; a
    half-batch retry's ``ckpt-b<n>.pt`` records the retry's batch size n (:func:`benchmark.runner.
    _train_with_oom_retry` halves the run's), so the run's is 2n or 2n + 1: both."""
    import re

    half = re.fullmatch(r"ckpt-b([0-9]+)\.pt", path.name)
    return [{**config, "batch_size": 2 * int(half[1]) + odd} for odd in (0, 1)] if half else [config]


def written_for(path: Path) -> dict | None:
    """The fingerprint (``{"config": …, "code_version": …}``) of the checkpoint at ``path`` (:func:`record`); None
    where it is unreadable, of another format, or has none."""
    return fingerprint_of(record(path))


def fingerprint_of(state: dict | None) -> dict | None:
    """:func:`written_for` of a checkpoint's :func:`record` (``state``; None: unreadable) as already read."""
    fingerprint = (state or {}).get("fingerprint")
    return fingerprint if isinstance(fingerprint, dict) and "config" in fingerprint else None

"""Which metrics this project computes otherwise than it once did: a code-version marker per metric, recorded with
each evaluation pass as the metric's digest, as a replaced weights file's is.

A pass records ``metric_sha256`` ({metric: the SHA-256 of the file(s) it read}) and scores made with another file
than today's are re-scored, and left out of a column holding today's (:meth:`benchmark.results.ResultsStore.
stale_metrics`, :meth:`~benchmark.results.ResultsStore.table`). A fix that changes a metric's numbers is the same
event with no file: the metric's :func:`code_version` tag where it is defined (:data:`CODE_VERSIONS`) names it,
:func:`with_code` folds it into the metric's digest, and a pass of that metric recorded without it (:data:`UNMARKED`:
scored by the code before) is stale. No torch here: the results
reader (report, findings, ``api.load_results``) imports this alone.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

#: the decorator as written at a line's start (``@code_version(``, ``@metric_code.code_version(``): a file without it is
#: not parsed (``config.code_version()`` is called in ten files, 840 kB, ≈ 1 s of every table reader's start to parse)
_DECORATED = re.compile(r"^[ \t]*@\s*(?:[A-Za-z_]\w*\s*\.\s*)*code_version\s*\(", re.M)
#: a metric's registration as a decorator (``@register_metric(``): where its :data:`READS_NO_FILE` marker is written
_REGISTERED = re.compile(r"^[ \t]*@\s*(?:[A-Za-z_]\w*\s*\.\s*)*register_metric\s*\(", re.M)
#: a metric's registration, a decorator or a call, at a line's start (``register_metric("contrique_fr", …)``): the
#: names :data:`REGISTERED` reads (an example in a docstring's ``` ``@register_metric("metric", …`` ``` starts with
#: backticks: none)
_NAMED = re.compile(r"^[ \t]*@?\s*(?:[A-Za-z_]\w*\s*\.\s*)*register_metric\s*\(\s*(['\"])([A-Za-z_]\w*)\1", re.M)
#: a docstring's delimiter: a decorator after an odd number of them may be an example in one
_TRIPLE_QUOTE = re.compile(r'"""|\'\'\'')


def code_version(metric: str, tag: str, pyiqa_code: bool = False):
    """Decorator on the class that computes ``metric``: a pyiqa name computed by the harness's own code
    (:data:`benchmark.metrics.FAST`), or a registered one (``psnr_y``, its ``@options`` too). ``tag`` names its code
    since its numbers last changed, the metric's counterpart of a loss's ``register_loss(…, version=)``; a new tag
    re-scores every stored score of the metric. Only for metrics that read no weights file, so a reader hashes no
    file for them (:func:`benchmark.results.current_digests`). Where the class is defined is the one place a tag is
    written: :data:`CODE_VERSIONS` reads it from there without importing the class, nor torch; golden numbers
    (``metric:<name>``, :mod:`benchmark.golden`) fail a change of a metric's numbers that keeps its tag.
    ``pyiqa_code`` (a literal ``True``): its numbers are also pyiqa's code's (fsim, vsi: pyiqa's own module scores
    under a pyiqa other than :data:`PYIQA_MIRRORED`, :mod:`benchmark.fastiqa`; mad: pyiqa's helpers under any), so
    under another pyiqa its marker names that pyiqa too (:func:`code_digest`)."""
    def mark(cls):
        cls.code_version = tag
        return cls
    return mark


def _decorator_call(text: str, start: int, path: str):
    """The ``ast.Call`` of the decorator whose name :data:`_DECORATED` matched at ``start`` (its ``@``), parsed
    alone: the shortest text from there to a ``)`` that is one call expression; None where there is none."""
    import ast

    at = text.index("@", start) + 1
    end = text.find(")", at)
    while end != -1:
        try:
            node = ast.parse(text[at:end + 1].strip(), filename=path, mode="eval").body
        except SyntaxError:
            end = text.find(")", end + 1)
            continue
        return node if isinstance(node, ast.Call) else None
    return None


@functools.lru_cache(maxsize=64)
def _tags_in(path: str, mtime_ns: int, size: int
             ) -> tuple[tuple[tuple[str, str, bool], ...], tuple[str, ...], tuple[str, ...]]:
    """The (metric, tag, pyiqa_code) of the ``@code_version("metric", "tag"[, pyiqa_code=True])`` decorators
    in one file (``mtime_ns``/``size`` key the cache), the metrics it registers with
    ``@register_metric("metric", …, reads_no_file=True)``: each decorator's call parsed alone with :mod:`ast` (the
    whole file, 47 ms of every reader's start, only where one does not parse), and every metric it registers
    (:data:`_NAMED`)."""
    import ast

    text = Path(path).read_text(encoding="utf-8")
    named = tuple(m.group(2) for m in _NAMED.finditer(text))
    matches = sorted([*_DECORATED.finditer(text), *_REGISTERED.finditer(text)], key=lambda m: m.start())
    calls = [_decorator_call(text, m.start(), path) for m in matches]
    # not read alone where one does not parse, or may be in a docstring (an example at a line's start: after an odd
    # number of triple quotes) — the file's classes' decorators then, as Python reads them
    if None in calls or any(len(_TRIPLE_QUOTE.findall(text, 0, m.start())) % 2 for m in matches):
        calls = [d for node in ast.walk(ast.parse(text, filename=path)) if isinstance(node, ast.ClassDef)
                 for d in node.decorator_list if isinstance(d, ast.Call)]
    out, fileless = [], []
    for called in calls:
        name = getattr(called.func, "id", None) or getattr(called.func, "attr", None)
        if name == "code_version":
            metric, tag = (ast.literal_eval(a) for a in called.args)
            kw = {k.arg: ast.literal_eval(k.value) for k in called.keywords}
            out.append((metric, tag, kw.get("pyiqa_code") is True))
        elif name == "register_metric" and called.args and any(
                k.arg == "reads_no_file" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in called.keywords):
            fileless.append(ast.literal_eval(called.args[0]))
    return tuple(out), tuple(fileless), named


def _scan(folder: str | Path | None = None
          ) -> tuple[dict[str, str], frozenset[str], frozenset[str], frozenset[str]]:
    """:func:`declared`'s two, the metrics the files register with ``reads_no_file=True``
    (:data:`READS_NO_FILE`) and every metric they register (:data:`REGISTERED`), in one pass over the ``*.py`` files
    of ``folder`` (default: the product's, :func:`product_folders`)."""
    tags: dict[str, str] = {}
    pyiqa_code, fileless, registered = set(), set(), set()
    folders = [Path(folder)] if folder else product_folders()
    for f in [f for d in folders for f in sorted(d.glob("*.py"))]:
        st = f.stat()
        found, none_read, named = _tags_in(str(f), st.st_mtime_ns, st.st_size)
        fileless.update(none_read)
        registered.update(named)
        for metric, tag, falls in found:
            if metric in tags:
                raise ValueError(f"metric {metric!r}: two @code_version tags (the second in {f})")
            tags[metric] = tag
            if falls:
                pyiqa_code.add(metric)
    return tags, frozenset(pyiqa_code), frozenset(fileless), frozenset(registered)


def product_folders() -> list[Path]:
    """The folders whose files may register a metric of the harness: ``benchmark/`` and every package the registries
    import (:attr:`benchmark.registry.Registry.package`: tasks, losses, findings), found without importing them — a
    metric registered in ``losses/`` is the harness's as one in :mod:`benchmark.metrics` is, never taken for pyiqa's."""
    import importlib.util

    from benchmark.registry import FINDINGS, LOSSES, METRICS, TASKS

    out = [Path(__file__).parent]
    for pkg in dict.fromkeys(r.package for r in (TASKS, LOSSES, METRICS, FINDINGS) if r.package):
        spec = importlib.util.find_spec(pkg)
        out += [Path(p) for p in (spec.submodule_search_locations or ()) if Path(p).is_dir()] if spec else []
    return list(dict.fromkeys(out))


def declared(folder: str | Path | None = None) -> tuple[dict[str, str], frozenset[str]]:
    """({metric: tag} of every :func:`code_version` decorator in the ``*.py`` files of ``folder`` (default: the
    product's, :func:`product_folders`), the metrics among them whose decorator says ``pyiqa_code=True``), read from
    their source in one pass: no import, no torch. A metric tagged twice is an error."""
    return _scan(folder)[:2]


def declared_code_versions(folder: str | Path | None = None) -> dict[str, str]:
    """{metric: tag} of :func:`declared`."""
    return declared(folder)[0]


def declared_pyiqa_code(folder: str | Path | None = None) -> frozenset[str]:
    """The metrics of :func:`declared_code_versions` whose decorator says ``pyiqa_code=True``."""
    return declared(folder)[1]


#: {metric: the tag of its code since its numbers last changed}, read from each metric's :func:`code_version`
#: decorator where the metric is defined (``mad``: :class:`benchmark.fastiqa.DefinedMAD`, four faults of pyiqa's port
#: fixed, README, Metrics)
CODE_VERSIONS: dict[str, str]
#: the metrics of :data:`CODE_VERSIONS` whose numbers are also pyiqa's code's: fsim and vsi, scored by pyiqa's own
#: module (its downsampling, not the tag's) under a pyiqa other than :data:`PYIQA_MIRRORED`; mad, pyiqa's helpers
PYIQA_CODE: frozenset[str]
#: the harness's own metrics that read no file and have no code tag (psnr_y, ssim_y, psnr_rgb, psnrb_y), marked where
#: each is registered (``@register_metric(…, reads_no_file=True)`` in :mod:`benchmark.metrics`) and read from there
#: without importing it: a reader hashes nothing for them, nor imports torch to learn it
#: (:func:`benchmark.results.current_digests`). Only the harness's files are read: a plugin's metric has its code's
#: digest.
READS_NO_FILE: frozenset[str]
#: every metric the harness registers (``register_metric("name", …)`` in its files, a call or a decorator), read from
#: there without importing it: any other name a store holds that no plugin registers is pyiqa's, whose digest is its
#: files' (:func:`benchmark.weights.pyiqa_files_digest`), hashed without torch
#: (:func:`benchmark.results.current_digests`)
REGISTERED: frozenset[str]
CODE_VERSIONS, PYIQA_CODE, READS_NO_FILE, REGISTERED = _scan()

#: the pyiqa whose code :mod:`benchmark.fastiqa`'s classes mirror; under another, pyiqa's own modules score
PYIQA_MIRRORED = "0.1.16"


def pyiqa_version() -> str:
    """The version of the pyiqa that scores: the imported module's ``__version__`` (a scoring process has imported
    it), else its installed distribution's, read without importing it (nor torch); "" where there is none."""
    import sys

    if (mod := sys.modules.get("pyiqa")) is not None:
        return str(getattr(mod, "__version__", ""))
    import importlib.metadata

    try:
        return importlib.metadata.version("pyiqa")
    except importlib.metadata.PackageNotFoundError:
        return ""


def mirrors_pyiqa() -> bool:
    """Whether :mod:`benchmark.fastiqa`'s classes score by their own code (pyiqa is :data:`PYIQA_MIRRORED`), the one
    test their modules and :func:`code_digest` both read."""
    return pyiqa_version() == PYIQA_MIRRORED

#: the digest read from a pass that scored a metric of :data:`CODE_VERSIONS` but recorded none: scored by the code
#: before the marker, never today's (no hex digest begins with it, nor it with one)
UNMARKED = "unmarked"


def tagged(metric: str) -> bool:
    """Whether ``metric`` (``psnr_y@shave4`` by its name before ``@``: the same class) has a code tag."""
    return metric.partition("@")[0] in CODE_VERSIONS


#: pyiqa metrics that need no weight file (FACTS.md, pyiqa 0.1.16); the rest of pyiqa's list is probed. Here, with
#: no torch, so a reader knows them without importing the metrics (:func:`benchmark.results.current_digests`)
OFFLINE_OK = ("psnr", "psnry", "ssim", "ssimc", "ms_ssim", "cw_ssim", "fsim", "vif", "gmsd",
              "nlpd", "mad", "vsi", "piqe", "entropy")


def code_digest(metric: str) -> str:
    """The SHA-256 of ``metric``'s tag in :data:`CODE_VERSIONS` (:func:`tagged`); "" for a metric not there. A metric
    of :data:`PYIQA_CODE` under another pyiqa (:func:`mirrors_pyiqa`) is scored by that pyiqa's code (its own module,
    or the tag's code with its helpers): its marker names that pyiqa too, so its scores and the tag's under
    :data:`PYIQA_MIRRORED` never share a column."""
    base = metric.partition("@")[0]
    tag = CODE_VERSIONS.get(base)
    if tag and base in PYIQA_CODE and not mirrors_pyiqa():
        tag = f"{tag}, run under pyiqa {pyiqa_version() or '(no version)'}"
    return hashlib.sha256(tag.encode()).hexdigest() if tag else ""


def with_code(metric: str, file_digest: str, code: str = "") -> str:
    """``metric``'s digest: that of the file(s) it read, its code's marker (:func:`code_digest`, or ``code`` where
    given: a plugin's, :func:`benchmark.metrics.weights_digest`), or (both) the SHA-256 of the two."""
    code = code or code_digest(metric)
    if not code or not file_digest:
        return code or file_digest
    return hashlib.sha256((file_digest + code).encode()).hexdigest()



def changed(metric: str) -> str:
    """What the digest of ``metric`` tells apart, so what changed since its stale scores: "fix" (a metric of
    :data:`CODE_VERSIONS`), "code" (a plugin's metric that reads no file: its code's digest), "file or code" (a
    plugin's that reads one), "file" (every other). A metric not tagged is asked of :mod:`benchmark.metrics` where this
    process imported it, as hashing today's digest does (:func:`benchmark.results.current_digests`); never imported
    here for it: "file" otherwise."""
    import sys

    if tagged(metric):
        return "fix"
    metrics = sys.modules.get("benchmark.metrics")
    return metrics.digest_holds(metric) if metrics is not None else "file"


def not_rescored_text(metric: str, k: int, runs: str) -> str:
    """What the findings' parts and calibrate say of scores made with other code than today's that no run was
    re-scored on yet — one sentence, not two f-strings of it: ``vsi scored by its code before today's fix in 4 of the
    part's 10 runs (the same `plbench run` re-scores them)``; ``runs``: whose runs (``"the part's 10 runs"``)."""
    return f"{metric} scored {scored_with(metric)} in {k} of {runs} (the same `plbench run` re-scores them)"


def scored_with(metric: str, today: str = "today's") -> str:
    """What the stale scores of ``metric`` were made with, as a line says it (:func:`changed`): the code before
    today's fix, other code than ``today``, another file (or code) than ``today``."""
    what = changed(metric)
    return ("by its code before today's fix" if what == "fix" else f"by other code than {today}" if what == "code"
            else f"with another {what} than {today}")

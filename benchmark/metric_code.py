"""Which metrics this project computes otherwise than it once did: a code-version marker per metric, recorded with
each evaluation pass as the metric's digest, as a replaced weights file's is.

A pass records ``metric_sha256`` ({metric: the SHA-256 of the file(s) it read}) and scores made with another file
than today's are re-scored, and left out of a column holding today's (:meth:`benchmark.results.ResultsStore.
stale_metrics`, :meth:`~benchmark.results.ResultsStore.table`). A fix that changes a metric's numbers is the same
event with no file: :data:`CODE_VERSIONS` names it, :func:`with_code` folds it into the metric's digest, and a pass
of that metric recorded without it (:data:`UNMARKED`: scored by the code before) is stale. No torch here: the results
reader (report, findings, ``api.load_results``) imports this alone.
"""

from __future__ import annotations

import hashlib

#: {metric: the tag of its code since its numbers last changed}; a new tag re-scores every stored score of the metric.
#: ``mad``: :class:`benchmark.fastiqa.DefinedMAD`, four faults of pyiqa's port fixed (README, Metrics). Only metrics
#: that read no weights file, so a reader hashes no file for them (:func:`benchmark.results.current_digests`)
CODE_VERSIONS: dict[str, str] = {
    "mad": "plbench DefinedMAD 2: CSF (H, W) about the fftshift centre, Gabor maps by scale, channels alone, "
           "Gabor filters zeroed at MATLAB's centre",
}

#: the digest read from a pass that scored a metric of :data:`CODE_VERSIONS` but recorded none: scored by the code
#: before the marker, never today's (no hex digest begins with it, nor it with one)
UNMARKED = "unmarked"


def code_digest(metric: str) -> str:
    """The SHA-256 of ``metric``'s tag in :data:`CODE_VERSIONS`; "" for a metric not there."""
    tag = CODE_VERSIONS.get(metric)
    return hashlib.sha256(tag.encode()).hexdigest() if tag else ""


def with_code(metric: str, file_digest: str) -> str:
    """``metric``'s digest: that of the file(s) it read, its code's marker, or (both) the SHA-256 of the two."""
    code = code_digest(metric)
    if not code or not file_digest:
        return code or file_digest
    return hashlib.sha256((file_digest + code).encode()).hexdigest()



def scored_with(metric: str) -> str:
    """What the stale scores of ``metric`` were made with, as a line says it: another file than today's, or (a metric
    of :data:`CODE_VERSIONS`) the code before today's."""
    return "by its code before today's fix" if metric in CODE_VERSIONS else "with another file than today's"

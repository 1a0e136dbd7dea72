"""The results store: one tidy long-format table, appended per run, never rewritten.

Layout under the results directory::

    store.json                       {"store_version": N}: a directory from another layout is refused
    runs/<run_id>/meta.json          full config, versions, device, timing, status (written last)
    runs/<run_id>/net.pt             the trained net's state_dict (re-evaluation, figures)
    runs/<run_id>/loss.pt            trainable parts of the loss, when it has any
    runs/<run_id>/eval-<k>.parquet   rows: one per (image, metric) for one evaluation pass
    runs/<run_id>/eval-<k>.json      which metrics that pass scored and which it skipped (why)
    runs/<run_id>/ckpt.pt            mid-training checkpoint (only while a run is unfinished)
    runs/<run_id>/.lock              held (flock) by the process working on the run

A run counts as done when ``meta.json`` says ``status: ok`` (or ``diverged``); an evaluation pass
counts when its ``.json`` exists (it is written after its ``.parquet``). Every file is written
atomically (temporary file, fsync, rename, fsync of the folder), with SIGINT/SIGTERM held back
until the write is complete, so a crash leaves either the old state or the new one. Before an
unfinished run is evaluated its stale passes are removed (:meth:`ResultsStore.reset_run`), so a
crash between a pass and ``meta.json`` can never produce duplicated rows.

Two processes may share a results directory: :meth:`ResultsStore.lock` gives one of them a run
and tells the other who holds it. The lock is an ``fcntl.flock`` on ``runs/<id>/.lock``, which
the kernel drops when its holder dies (even by SIGKILL), so a stale lock never blocks a run.

:data:`COLUMNS` is the row schema every leaderboard, plot and statistic is derived from.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from benchmark.errors import UserError
from benchmark.faults import crash_point

log = logging.getLogger(__name__)

#: one row per (run, image, metric)
COLUMNS = {
    "run_id": "string",          # config hash; "input" rows have their own id per task/test set
    "task": "string",
    "task_version": "string",
    "task_params": "string",     # JSON of the task's named parameters
    "loss": "string",            # canonical loss spec, or "input" for the degraded input itself
    "seed": "Int64",             # <NA> for input rows
    "net": "string",
    "weights": "string",         # provenance of the loss's learned weights ("none" for pixel losses)
    "train_data": "string",
    "dataset": "string",         # test set name
    "image": "string",
    "metric": "string",
    "value": "float64",
    "higher_is_better": "boolean",
    "code_version": "string",
}
STORE_VERSION = 1


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


def to_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows → DataFrame with exactly :data:`COLUMNS` and their dtypes."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    return df.astype(COLUMNS)


class ResultsStore:
    """Reads and appends to one results directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser()
        self.runs = self.root / "runs"

    def ensure_writable(self) -> None:
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create results directory {self.root}: {exc.strerror}") from None
        marker = self.root / "store.json"
        if marker.exists():
            version = json.loads(marker.read_text()).get("store_version")
            if version != STORE_VERSION:
                raise UserError(f"{self.root} was written by an incompatible version "
                                f"(store_version {version}, this is {STORE_VERSION}); use another --out")
        if not os.access(self.runs, os.W_OK):
            raise UserError(f"results directory {self.root} is not writable")
        if not marker.exists():
            atomic_write_json(marker, {"store_version": STORE_VERSION})

    def run_dir(self, run_id: str) -> Path:
        return self.runs / run_id

    # -- status -------------------------------------------------------------------------
    def meta(self, run_id: str) -> dict | None:
        p = self.run_dir(run_id) / "meta.json"
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def is_done(self, run_id: str) -> bool:
        meta = self.meta(run_id)
        return meta is not None and meta.get("status") in ("ok", "diverged")

    def metrics_covered(self, run_id: str) -> set[str]:
        """Metrics already scored or deliberately skipped for this run."""
        covered = set()
        for p in sorted(self.run_dir(run_id).glob("eval-*.json")):
            rec = json.loads(p.read_text())
            covered |= set(rec.get("scored", [])) | set(rec.get("skipped", {}))
        return covered

    # -- writing ------------------------------------------------------------------------
    def write_eval(self, run_id: str, rows: list[dict], scored: list[str], skipped: dict[str, str]) -> None:
        """Append one evaluation pass (its rows, then its record)."""
        d = self.run_dir(run_id)
        d.mkdir(parents=True, exist_ok=True)
        k = len(list(d.glob("eval-*.json")))
        while (d / f"eval-{k}.json").exists() or (d / f"eval-{k}.parquet").exists():
            k += 1
        df = to_frame(rows)
        tmp = d / f".eval-{k}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, d / f"eval-{k}.parquet")
        atomic_write_json(d / f"eval-{k}.json", {"scored": sorted(scored), "skipped": skipped})

    def write_meta(self, run_id: str, meta: dict) -> None:
        atomic_write_json(self.run_dir(run_id) / "meta.json", meta)

    def save_state(self, run_id: str, name: str, state: dict) -> None:
        import io

        import torch

        buf = io.BytesIO()
        torch.save(state, buf)
        atomic_write_bytes(self.run_dir(run_id) / name, buf.getvalue())

    # -- reading ------------------------------------------------------------------------
    def run_ids(self) -> list[str]:
        if not self.runs.exists():
            return []
        return sorted(p.name for p in self.runs.iterdir() if p.is_dir())

    def metas(self) -> list[dict]:
        return [m for m in (self.meta(r) for r in self.run_ids()) if m is not None]

    def table(self) -> pd.DataFrame:
        """Every committed row of every finished run, as one tidy DataFrame."""
        frames = []
        for run_id in self.run_ids():
            if not self.is_done(run_id):
                continue
            d = self.run_dir(run_id)
            for rec in sorted(d.glob("eval-*.json")):
                frames.append(pd.read_parquet(d / (rec.stem + ".parquet")))
        if not frames:
            return to_frame([])
        return pd.concat(frames, ignore_index=True).astype(COLUMNS)

"""Live training curves, written while a run trains.

Every run writes ``runs/<id>/curve.csv`` (iteration, seconds since start, loss, learning rate),
flushed at every point, so ``tail -f`` or a spreadsheet shows it live. Besides the CSV, one of:

* ``tensorboard`` (default): event files in ``runs/<id>/tb/`` when the ``tensorboard`` package is
  installed (``tensorboard --logdir results/runs`` shows every run); silently CSV-only otherwise;
* ``wandb`` / ``mlflow``: a Weights & Biases or MLflow run per training run (optional extras:
  ``pip install 'perceptual-loss-bench[wandb]'`` / ``[mlflow]``); missing packages are a one-line
  error before anything trains (:func:`check_logger`);
* ``none``: the CSV only.

After evaluation the mean of each metric over the test images is logged as ``eval/<metric>``.
A run that resumes from a checkpoint drops the CSV rows past the checkpoint (the file cut after the rows kept, in place,
so ``tail -f`` follows it on; rewritten atomically where they are not its first lines) and carries on (these
live logs are the only files a resumed run rewrites; the results table is not derived from them).
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import logging
import os
import time
from pathlib import Path

from benchmark.config import check_logger_name
from benchmark.errors import UserError, pip
from benchmark.results import atomic_write_bytes

log = logging.getLogger(__name__)
CURVE_FIELDS = ["iteration", "seconds", "loss", "lr"]


def check_logger(kind: str, source: str = "", installed: bool = True, setting: str = "--logger") -> None:
    """Refuse an unknown logger (the close one named; ``source``, a config file, too when given), or, ``installed``,
    a chosen optional one whose package is not installed: a config file is read with ``installed=False``, as a flag
    may still override its logger (``--logger none`` over a saved grid's ``logger: mlflow``). ``setting`` names
    where it was given (:meth:`benchmark.config.GridSpec.named`: ``grid.yaml: logger``)."""
    check_logger_name(kind, source)
    if installed and kind in ("wandb", "mlflow") and importlib.util.find_spec(kind) is None:
        raise UserError(f"{setting} {kind} needs the {kind} package: {pip()} install "
                        f"'perceptual-loss-bench[{kind}]'")


def _row_ok(row: dict) -> bool:
    """A complete curve.csv row (a line cut by a crash or edited by hand is dropped, not fatal)."""
    try:
        int(row["iteration"]), float(row["seconds"]), float(row["loss"])
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _kept_prefix(raw: bytes, start: int) -> int | None:
    """The length of ``curve.csv``'s bytes (``raw``) up to the end of its last row at iteration ≤ ``start`` when the
    rows a resumed run keeps are exactly its first lines (the header, then whole rows at most ``start``; past them
    only rows beyond ``start`` or cut and garbled lines, all dropped) — so the file is cut there in place; None
    when it must be rewritten (a row kept after a dropped one, another header)."""
    lines = raw.splitlines(keepends=True)
    if not lines or lines[0].rstrip(b"\r\n").decode(errors="replace") != ",".join(CURVE_FIELDS) \
            or not lines[0].endswith(b"\n"):
        return None
    cut, keeping = len(lines[0]), True
    for line in lines[1:]:
        row = next(csv.DictReader(io.StringIO(line.decode(errors="replace"), newline=""), fieldnames=CURVE_FIELDS),
                   None)
        kept = row is not None and _row_ok(row) and int(row["iteration"]) <= start
        if kept and keeping and line.endswith(b"\n"):
            cut += len(line)
        elif kept:
            return None  # a row kept after one dropped (or a last line without its end): rewritten
        else:
            keeping = False
    return cut


class CurveLog:
    """Curves of one run in ``run_dir``: :meth:`begin` (at the iteration training starts or resumes
    from), :meth:`log` while it trains and after it is evaluated, :meth:`close`."""

    def __init__(self, run_dir: Path, kind: str = "tensorboard", name: str = "", config: dict | None = None):
        self.dir, self.kind, self.name, self.config = Path(run_dir), kind, name, config or {}
        self.csv_path = self.dir / "curve.csv"
        self._file = self._tb = self._run = None

    def begin(self, start: int = 0) -> None:
        """Open the logs; a resumed run (``start`` > 0) keeps its CSV rows up to ``start``."""
        self.close()
        self.dir.mkdir(parents=True, exist_ok=True)
        rows, raw = [], b""
        if start and self.csv_path.exists():
            raw = self.csv_path.read_bytes()
            rows = [r for r in csv.DictReader(io.StringIO(raw.decode(errors="replace"), newline=""))
                    if _row_ok(r) and int(r["iteration"]) <= start]
        cut = _kept_prefix(raw, start) if raw else None
        if cut is not None:  # the rows kept are its first lines: cut after them in place (the same file, so
            os.truncate(self.csv_path, cut)  # `tail -f` follows the resumed run; no byte written, no disk to fill)
        else:
            # the rows kept rewritten atomically (temporary file, rename): a full disk or a kill on the way leaves the
            # curve as it was, never a truncated one; then appended to, line by line
            buf = io.StringIO(newline="")
            kept = csv.DictWriter(buf, fieldnames=CURVE_FIELDS)
            kept.writeheader()
            kept.writerows(rows)
            atomic_write_bytes(self.csv_path, buf.getvalue().encode())
        self._file = open(self.csv_path, "a", newline="")  # noqa: SIM115 - closed in close()
        self._csv = csv.DictWriter(self._file, fieldnames=CURVE_FIELDS)
        self._t0 = time.perf_counter() - (float(rows[-1]["seconds"]) if rows else 0.0)
        if self.kind == "tensorboard" and importlib.util.find_spec("tensorboard") is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(log_dir=str(self.dir / "tb"), purge_step=start + 1 if start else None)
        elif self.kind == "wandb":
            import wandb

            self._run = wandb.init(project="plbench", name=self.name, config=self.config, dir=str(self.dir),
                                   reinit=True, resume="allow", id=self.name or None)
        elif self.kind == "mlflow":
            import mlflow

            self._run = mlflow.start_run(run_name=self.name, nested=mlflow.active_run() is not None)
            mlflow.log_params({k: str(v)[:250] for k, v in self.config.items()})

    def log(self, iteration: int, values: dict[str, float]) -> None:
        """Scalars of one training iteration (``loss``, ``lr``) or of the evaluation (``eval/<metric>``)."""
        if self._file is None:
            return
        scalars = {(k if "/" in k else f"train/{k}"): float(v) for k, v in values.items()}
        try:  # live logs, not results: a full disk or a run folder deleted by hand must not stop the run
            if "loss" in values:
                self._csv.writerow({"iteration": iteration, "seconds": f"{time.perf_counter() - self._t0:.3f}",
                                    "loss": values["loss"], "lr": values.get("lr", "")})
                self._file.flush()
            if self._tb is not None:
                for k, v in scalars.items():
                    self._tb.add_scalar(k, v, iteration)
                self._tb.flush()
        except OSError as exc:
            log.warning("live curves of %s stopped (%s); the run goes on (its results do not depend on them)",
                        self.dir, exc.strerror or exc)
            self.close()
            return
        if self.kind == "wandb" and self._run is not None:
            self._run.log(scalars, step=iteration)
        elif self.kind == "mlflow" and self._run is not None:
            import mlflow

            mlflow.log_metrics({k.replace("/", "_"): v for k, v in scalars.items()}, step=iteration)

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if self._tb is not None:
            with contextlib.suppress(OSError):
                self._tb.close()
            self._tb = None
        elif self.kind == "wandb" and self._run is not None:
            self._run.finish()
        elif self.kind == "mlflow" and self._run is not None:
            import mlflow

            mlflow.end_run()
        self._run = None

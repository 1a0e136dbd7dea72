"""The Python API: run a grid, load its results table, make a report — what the CLI does, as calls.

::

    from benchmark import api

    summary = api.run(tasks=["denoise"], losses=["l1", "ssim"], seeds=[0, 1], iterations=50,
                      out="results-api")                    # trains what is missing, then reports
    table = api.load_results("results-api")                 # the tidy table: one row per (run, image, metric)
    paths = api.report("results-api", formats=("png",))     # leaderboard.md, report.html, figures …

``run`` takes every setting of a config file (:class:`benchmark.config.GridSpec`: ``profile``,
``tasks`` — a list, or ``{task: {parameter: value}}`` —, ``losses``, ``seeds``, ``net``,
``iterations``, ``batch_size``, ``crop``, ``lr``, ``train_data``, ``test_data``, ``metrics``,
``device``, ``out``, ``executor``, ``workers``, …) or a ``config`` — a file's path, a mapping of those settings or a
``GridSpec`` —, keywords overriding it.
Bad input raises :class:`benchmark.errors.UserError` with the CLI's one-line message.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from benchmark.config import GridSpec
from benchmark.errors import UserError

__all__ = ["run", "load_results", "report", "GridSpec", "UserError"]


def _grid(config) -> GridSpec:
    """``run``'s ``config``: a YAML/TOML file's path, a mapping of its settings, or a :class:`GridSpec` — each
    checked as keywords are (a GridSpec built by hand holds whatever it was given)."""
    from benchmark.config import _EXECUTOR_FIELDS

    if config is None:
        return GridSpec()
    if isinstance(config, (str, os.PathLike)) and str(config).strip():
        return GridSpec.from_file(config)
    if isinstance(config, GridSpec):  # its settings, as the mapping a file holds — as given, where to_mapping writes
        # a saved grid: no task list where none was given (there `tasks` names the parameters' tasks), a loss typed
        # twice kept (build_configs warns), another executor's settings kept (refused, as a keyword's is)
        d = config.to_mapping()
        if config.tasks is None and "tasks" in d:
            d["task_params"] = d.pop("tasks")
        if config.losses:
            d["losses"] = list(config.losses)
        d.update({k: getattr(config, k) for k in _EXECUTOR_FIELDS if getattr(config, k) is not None})
        checked = GridSpec.from_mapping(d, "api.run()")
        # a file's (GridSpec.from_file): its values named by the file still (`g.yaml: lr`, `g.yaml: executor.workers`),
        # as run --config names them; a GridSpec built by hand has no origins: api.run()'s
        return dataclasses.replace(checked, origins=tuple({**dict(checked.origins), **dict(config.origins)}.items()),
                                   spelt=tuple({**dict(checked.spelt), **dict(config.spelt)}.items()))
    if isinstance(config, Mapping):
        return GridSpec.from_mapping(dict(config), "api.run()")
    raise UserError(f"api.run(): config is a config file's path, a mapping of settings or a GridSpec; got "
                    f"{config!r:.60} ({type(config).__name__})")


def run(config: str | Path | Mapping | GridSpec | None = None, *, report: bool = True, progress: bool = False,
        **settings):
    """Train and evaluate a grid (resume skips what is done); returns its :class:`~benchmark.runner.GridSummary`.
    SIGTERM and SIGHUP (a scheduler's preemption, a closed session), where the script leaves them at their default, stop
    it as Ctrl-C does, wherever it is — planning, training, scoring: where the grid stands is said, then
    :class:`KeyboardInterrupt` goes on."""
    from benchmark.cli import _restore_sigterm, _sigterm_as_interrupt
    from benchmark.errors import again_as, output_to_a_reader_gone_goes_nowhere

    previous = _sigterm_as_interrupt(default_only=True)  # the default ended the script at once, its results' summary
    try:  # and its own `except KeyboardInterrupt` unsaid; a handler of the script's stays its own
        # its lines (a full disk's, a hung run's, its workers') name this call, not a command; output to a reader gone
        with again_as("api"), output_to_a_reader_gone_goes_nowhere():  # goes nowhere, not into the runs' errors
            return _run(config, report=report, progress=progress, **settings)
    finally:
        _restore_sigterm(previous)


def _run(config, *, report: bool, progress: bool, **settings):
    """:func:`run`, its SIGTERM an interrupt."""
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.cli import done_before, planned, say_interrupted, say_outcome, standard_streams

    standard_streams()  # a script started with its stderr closed: not a file of the run's on descriptor 2
    from benchmark.config import setting, setting_json
    from benchmark.executors import execute, executor_options, refuse_in_a_starting_worker
    from benchmark.params import check_switch
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_device

    refuse_in_a_starting_worker()  # a script's top level run again in a local worker: before any planning
    from benchmark.data import spill_folder

    spill_folder()  # PLBENCH_SPILL_DIR naming no folder: said before the data is read
    report, progress = check_switch(report, "api.run(): report"), check_switch(progress, "api.run(): progress")
    spec = _grid(config)
    spec = spec.merged(GridSpec.from_mapping(settings, "api.run()"))
    s, configs, metrics, device, data = planned(spec, where="`api.run()` writes its runs and report there")  # as run
    store = ResultsStore(s.out)
    store.ensure_writable()
    from benchmark.runner import resume_under_new_id

    resume_under_new_id(store, configs)  # an old gpl checkpoint under its one id now: resumed, as `plbench run` does
    dev = str(resolve_device(device)) if s.executor == "local" else device
    t0 = time.monotonic()
    try:
        summary = execute(s.executor, configs, store.root, metrics, dev, progress=progress,
                          checkpoint=CheckpointPolicy(s.checkpoint_every, s.checkpoint_seconds),
                          loss_files=s.loss_files, data=data, logger=s.logger, **executor_options(s))
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM (a preemption): where the grid stands, as `plbench run` says
        say_interrupted(store, configs)
        raise
    except Exception as exc:  # workers lost, a full disk: what the grid did, then the error, as `plbench run` says
        if (done := done_before(exc)) is not None:
            say_outcome(store, configs, done, exc, time.monotonic() - t0)
        raise
    say_outcome(store, configs, summary, None, time.monotonic() - t0)  # as the command's, its call's
    if report:
        from benchmark.report import write_report

        write_report(store, formats=("png",), visual=False, keep={setting_json(setting(c)) for c in configs})
    return summary


def load_results(out: str | Path = "results", budget_checks: bool = False) -> pd.DataFrame:
    """The tidy results table of a results directory (:data:`benchmark.results.COLUMNS`), without the
    runs' budget checks (the same runs at half the iterations, :mod:`benchmark.convergence`) unless
    ``budget_checks``: a mean over the table is then a mean over one budget."""
    from benchmark.params import check_switch
    from benchmark.results import ResultsStore
    from benchmark.settings import drop_budget_checks

    budget_checks = check_switch(budget_checks, "budget_checks")  # 'no': truthy, the half-budget runs mixed in
    store = ResultsStore(out, name="out")
    store.require_results(out)  # a missing folder, a file, a folder of other files: each said, as by the CLI
    return store.table() if budget_checks else drop_budget_checks(store.table())[0]


#: :func:`report`'s keywords
REPORT_OPTIONS = ("baseline", "alpha", "n_boot", "formats", "visual", "where", "html")
#: ``plbench report``'s flags, written as keywords, that are other keywords here
_REPORT_FLAGS = {"bootstrap": "n_boot=N", "no_visual": "visual=False"}


def _unknown_report_options(unknown: list[str]) -> str:
    """The one line naming every keyword of ``unknown`` :func:`report` does not take, each with its hint: the keyword
    a ``plbench report`` flag is here (``bootstrap=2000``: ``n_boot=2000``), else a close one; the options listed
    where any has none."""
    from benchmark.docmarkup import agree
    from benchmark.errors import did_you_mean

    said, bare = [], False
    for key in unknown:
        flag = _REPORT_FLAGS.get(key.replace("-", "_").lower())
        hint = f", pass {flag}" if flag else did_you_mean(key, REPORT_OPTIONS).replace("; ", ", ", 1)
        bare = bare or not hint
        said.append(f"{key!r}{hint}")
    return (f"api.report(): {agree(len(unknown), 'unknown option', 'unknown options')} " + "; ".join(said)
            + (f" (options: {', '.join(REPORT_OPTIONS)})" if bare else ""))


def report(out: str | Path = "results", **options) -> dict[str, Path]:
    """Every leaderboard, figure and export of a results directory (:func:`benchmark.report.write_report`:
    ``baseline``, ``alpha``, ``n_boot``, ``formats`` — a name or several of png/pdf/svg —, ``visual``,
    ``where`` — ``"FIELD=VALUE"`` strings as ``plbench report --where`` takes them, or a mapping). Each is
    checked as ``plbench report`` checks its flag, before anything is written: bad input is a one-line
    :class:`~benchmark.errors.UserError`."""
    from benchmark.cli import baseline_misspelt, report_options
    from benchmark.report import write_report
    from benchmark.results import ResultsStore

    if unknown := [k for k in options if k not in REPORT_OPTIONS]:  # in the call's order, every one
        raise UserError(_unknown_report_options(unknown))
    from benchmark.params import check_switch

    html = check_switch(options.pop("html", True), "html")
    kwargs = report_options(**options)
    store = ResultsStore(out, name="out")
    store.check_version()
    try:
        store.require_results(out)
    except UserError:  # as `plbench report`: a misspelt loss (`baseline='l9'`) said first
        baseline_misspelt(kwargs["baseline"], "baseline")
        raise
    store.check_foreign()  # the report writes next to runs/: never over files it did not write
    # asked for by name: a typo is an error, not a report without ▲/▼ marks (checked on the table the report reads)
    flag = "baseline" if "baseline" in options else None
    return write_report(store, html=html, **kwargs, baseline_flag=flag, where_name="where")

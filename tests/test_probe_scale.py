"""The results store at overnight scale: memory and time of ``ResultsStore.table()`` and ``report``.

Timings are measured by a script, never here; these tests check what makes them (peak memory
relative to the result, calls, dtypes) and that the outputs are unchanged."""

from __future__ import annotations

import json
import tracemalloc

import pandas as pd
import pytest

from benchmark.config import code_version
from benchmark.results import COLUMNS
from benchmark.synthetic import write_store


def _store(root, **kw):
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 400,
          "metrics": ("psnr", "ssim", "lpips"), "budget_check": False, **kw}
    return write_store(root, **kw)


def test_table_peak_memory_is_a_small_multiple_of_the_table(tmp_path):
    """Reading the settings of another release was done on the whole table: a 10⁶-row column of
    long JSON strings mapped through a dict (seconds, and twice the table's memory at its peak)."""
    store = _store(tmp_path)
    store.table()  # imports and caches outside the measured part
    tracemalloc.start()
    try:
        table = store.table()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table) == 3 * 2 * 2 * 400 + 3 * 400  # 2 losses × 2 seeds × 3 metrics × 400 images + input rows
    assert peak < 6 * held, f"table() peaked at {peak / held:.1f}× the memory it returns"


def test_table_reads_another_releases_setting_as_this_ones(tmp_path):
    """Per pass, a setting written by another release of the same numbers code still reads as
    today's (one leaderboard), and a setting of other numbers code keeps its own."""
    store = _store(tmp_path, n_images=5)
    t0 = store.table()
    mine = next(s for s in t0["setting"].dropna().unique())
    other_release = json.dumps({**json.loads(mine), "code_version": "0.0.1+c" + code_version().rpartition("+c")[2]},
                               sort_keys=True)
    other_code = json.dumps({**json.loads(mine), "code_version": "0.0.1+c999"}, sort_keys=True)
    rid = next(r for r in t0["run_id"].unique() if not r.startswith("input"))
    import hashlib

    # a run id of its own each (16 hex digits): `<id>x0` is a user's copy of run <id>, no run (ResultsStore.copies)
    ids = [hashlib.sha256(f"{rid}x{k}".encode()).hexdigest()[:16] for k in range(2)]
    for k, setting in enumerate((other_release, other_code)):
        rows = t0[t0["run_id"] == rid].assign(run_id=ids[k], setting=setting)
        store.write_eval(ids[k], rows.to_dict("records"), ["psnr"], {})
        store.write_meta(ids[k], {**store.meta(rid), "run_id": ids[k]})
    table = store.table()
    assert dict(table.dtypes.astype(str)) == {c: str(pd.Series(dtype=t).dtype) for c, t in COLUMNS.items()}
    got = table.groupby("run_id")["setting"].first()
    assert json.loads(got[ids[0]])["code_version"] == code_version()
    assert json.loads(got[ids[0]]) == {**json.loads(mine), "code_version": code_version()}
    assert got[ids[1]] == other_code


def test_table_parses_each_distinct_setting_once(tmp_path, monkeypatch):
    """Every pass of a grid shares a few settings: each is parsed once per table, not once per pass
    (1005 passes: 1.2 s of JSON parsing for 2 distinct settings)."""
    import benchmark.config as config

    store = _store(tmp_path, n_images=3, seeds=(0, 1, 2, 3), budget_check=True)
    calls = []
    real = config.current_setting_json
    monkeypatch.setattr(config, "current_setting_json", lambda s: calls.append(s) or real(s))
    table = store.table()
    assert table["run_id"].nunique() == 2 * 4 * 2 + 1  # runs, their budget checks, the input
    assert sorted(calls) == sorted(table["setting"].dropna().unique())


def _spy_table(monkeypatch, module, name: str) -> dict:
    """Wrap ``module.name`` (a function whose first argument is the table) so the returned dict's ``"t"`` holds
    the table it was last called with."""
    seen = {}
    real = getattr(module, name)

    def spy(table, *a, **k):
        seen["t"] = table
        return real(table, *a, **k)

    monkeypatch.setattr(module, name, spy)
    return seen


def _report(root, monkeypatch=None, plain=False):
    from benchmark import report

    store = _store(root, offsets={"l1": 0.0, "good": 1.0, "bad": -0.7}, seeds=(0, 1, 2), n_images=12,
                   diverged=("bad",), weights={"good": "vgg16:random(seed=0)"}, budget_check=True)
    if plain:  # the table as strings: the report reads it categorical (ResultsStore.table(categories=True))
        from benchmark.results import ResultsStore

        real = ResultsStore.table
        monkeypatch.setattr(ResultsStore, "table", lambda self, categories=False: real(self))
    report.write_report(store, html=False, visual=False, n_boot=50, formats=("png",))
    return root


@pytest.mark.usefixtures("no_report_figures")  # the table compute gets is checked, not the figures: most of its time
def test_report_statistics_run_on_categorical_columns(tmp_path, monkeypatch):
    """The report's statistics got the table with every string column holding its text once per row
    (703k rows: 236 MB, and each filter on the way copied it; as categories 38 MB) → the repeated
    string columns reach :func:`compute` as categoricals."""
    from benchmark import report

    seen = _spy_table(monkeypatch, report, "compute")
    store = _store(tmp_path, n_images=4)
    report.write_report(store, html=False, visual=False, n_boot=20, formats=("png",))
    dtypes = seen["t"].dtypes
    assert all(isinstance(dtypes[c], pd.CategoricalDtype) for c in ("run_id", "task", "loss", "setting", "metric"))
    assert not isinstance(dtypes["image"], pd.CategoricalDtype)


@pytest.mark.slow
def test_report_outputs_identical_with_categories(tmp_path, monkeypatch):
    """Every table, leaderboard and finding is byte-identical whether the report reads the string
    columns as categories or as strings."""
    a = _report(tmp_path / "strings", monkeypatch, plain=True)
    monkeypatch.undo()
    b = _report(tmp_path / "categories")
    names = ["results.csv", "summary.csv", "ranks.csv", "costs.csv", "convergence.csv", "findings.csv",
             "findings.md", "leaderboard.md", "leaderboard.tex"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_findings_command_checks_categorical_columns(tmp_path, monkeypatch):
    """``plbench findings`` passed the whole table with its text once per row (703k rows: max RSS
    1.6 GB) → as categoricals, as the report does (1.39 GB; the same findings.md)."""
    from benchmark import findings
    from benchmark.cli import main

    seen = _spy_table(monkeypatch, findings, "check_all")
    _store(tmp_path, n_images=4)
    assert main(["findings", "--out", str(tmp_path), "-q", "--bootstrap", "100"]) == 0
    assert isinstance(seen["t"].dtypes["loss"], pd.CategoricalDtype)
    assert (tmp_path / "findings.md").exists()


def test_compute_reads_run_labels_without_a_python_step_per_row(tmp_path, monkeypatch):
    """:func:`compute` built {run: label} and {run: loss version} by iterating every row in Python
    (with ``blocks``' {label: loss}: 2.1 M steps, 2 s of 14, on 353k rows) → once per run."""
    from pandas.arrays import ArrowExtensionArray

    from benchmark.settings import select
    from benchmark.stats import compute

    store = _store(tmp_path, n_images=100)
    chosen = select(store.table())
    steps = [0]
    real = ArrowExtensionArray.__iter__

    def counted(self):
        for x in real(self):
            steps[0] += 1
            yield x

    monkeypatch.setattr(ArrowExtensionArray, "__iter__", counted)
    stats = compute(chosen.table, store.metas(), n_boot=20, checks=chosen.checks)
    assert not stats.cells.empty
    assert steps[0] < len(chosen.table), f"{steps[0]} Python steps over {len(chosen.table)} rows"

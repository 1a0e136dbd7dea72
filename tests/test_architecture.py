"""The library's shape: no import cycle between backbones and pretraining, and no global state
changed by using it (matplotlib backend and rcParams, `datasets` progress bars, torch flags)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(module: str) -> set[str]:
    """benchmark.* modules a module imports anywhere (lazy imports inside functions included)."""
    tree = ast.parse((ROOT / "benchmark" / f"{module}.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("benchmark."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("benchmark.")}
    return out


def test_backbones_and_pretrain_do_not_import_each_other():
    assert "pretrain" not in _imports("backbones"), "backbones imports pretrain: the cycle is back"


def test_cli_only_parses_and_dispatches():
    """Grids are built in benchmark.config (tested there), not in the CLI."""
    tree = ast.parse((ROOT / "benchmark" / "cli.py").read_text())
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert not defined & {"expand_losses", "parse_task_params", "device_type_for", "weights_for"}
    from benchmark import config

    assert callable(config.build_configs) and callable(config.GridSpec.from_file)


def test_using_the_library_changes_no_global_state(tmp_path):
    import datasets
    import matplotlib
    import torch

    from benchmark.data import DataSpec, load_images
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    original = matplotlib.get_backend()
    matplotlib.use("svg")  # the caller's choice, not Agg: the library must leave it alone
    try:
        before = (matplotlib.get_backend(), dict(matplotlib.rcParams), datasets.is_progress_bar_enabled(),
                  torch.backends.cudnn.benchmark, torch.get_num_threads())
        load_images(DataSpec("skimage", "test"))
        store = write_store(tmp_path / "r", tasks=("denoise",), n_images=6)
        write_report(store, n_boot=100, formats=("png", "pdf"), visual=False)
    finally:
        backend_after = matplotlib.get_backend()
        matplotlib.use(original)
    after = (backend_after, dict(matplotlib.rcParams), datasets.is_progress_bar_enabled(),
             torch.backends.cudnn.benchmark, torch.get_num_threads())
    assert before[0] == after[0], "the matplotlib backend was switched"
    changed = {k for k in before[1] if k != "backend" and before[1][k] != after[1].get(k)}
    assert not changed, f"rcParams changed: {sorted(changed)[:5]}"
    assert before[2:] == after[2:]


def test_no_import_cycle_inside_the_harness():
    """benchmark.* modules form no import cycle, lazy imports inside functions included (config →
    runner → progress → perf → config was one: DataCache now lives in data, resolve_device in devices,
    loss_family in lossfn, the offline metric list in weights)."""
    mods = {p.stem for p in (ROOT / "benchmark").glob("*.py")}
    graph = {m: _imports(m) & mods - {m} for m in mods}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph[m]):
            assert state.get(n) != 1, "import cycle: " + " → ".join([*path, m, n])
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in sorted(mods):
        if m not in state:
            visit(m, [])

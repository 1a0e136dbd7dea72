"""Review of the report fixes of session 17: counts in every product line, the CD diagram of an all-tied grid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_a_grid_where_every_run_ties_draws_no_critical_difference_of_zero():
    """Was: losses whose every run scores the same as the others' runs of its seed got a CD diagram with every loss
    at one mean rank under "CD = 0.00" beside "Friedman p = 1", and the text "critical difference = 0.00 ranks":
    every relabelling gives the same ranks, so there is nothing to rank. No test, no diagram, the reason said."""
    from types import SimpleNamespace

    from benchmark import stats as S
    from benchmark.export import friedman_text
    from benchmark.figures import draw_cd_diagram
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.0, "ssim": 0.0}, seeds=(0, 1, 2, 3, 4),
                        n_images=3, metrics=("psnr", "ssim"), noise=0.0)
    import pandas as pd

    blks = S.blocks(t)
    cells = pd.DataFrame([{"task": b.task, "metric": b.metric, "label": lab, "mean": 0.5, "higher_is_better": b.higher}
                          for b in blks for lab in b.labels])  # what cell_table gives here, without its bootstrap
    f = S.friedman_nemenyi(cells, 0.05, blks, n_perm=200)
    assert f.get("reason") == S.ALL_TIED and "cd" not in f, f
    stats = SimpleNamespace(friedman=f)
    assert draw_cd_diagram(stats) is None
    assert friedman_text(stats) == f"No critical-difference summary: {S.ALL_TIED}."


def test_report_html_embeds_a_colour_bar_as_a_ramp_not_a_staircase():
    """Was: the 256-colour copy report.html embeds (export.html_png) cut a continuous colour bar (the leaderboard's
    worse→better bar) into bands up to 15/255 apart: a visible staircase, every pixel within the 8/255 the
    acceptance test allowed for most. The palette copy is mapped with error diffusion: averaged over 7×7 pixels,
    the bar reads as the file's ramp within 3/255 (8/255 before)."""
    import io

    import matplotlib
    import numpy as np
    from PIL import Image
    from scipy.ndimage import uniform_filter

    from benchmark.export import html_png

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=200)
    rng = np.random.default_rng(0)
    cells = ax.pcolormesh(rng.random((12, 8)) * 0.3, cmap="RdBu", edgecolors="white")
    for i in range(6):
        ax.plot(np.linspace(0, 8, 50), 6 + 3 * np.sin(np.linspace(0, 6, 50) / (i + 1)), label=f"loss {i}")
    ax.set_title("cells, lines and a continuous colour bar")
    fig.colorbar(cells, orientation="horizontal", fraction=0.08)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    raw = buf.getvalue()
    embedded = Image.open(io.BytesIO(html_png(raw)))
    assert embedded.mode == "P" and len(html_png(raw)) < len(raw) * 0.8  # still the palette copy, still smaller
    o = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), float)
    q = np.asarray(embedded.convert("RGB"), float)
    y = int(np.argmax([len(np.unique(row, axis=0)) for row in o]))  # the bar: the row with the most colours

    def seen(a):  # what an eye sees of it: a 7×7 average
        return np.stack([uniform_filter(a[y - 6:y + 7, :, c], 7) for c in range(3)], -1)[6]

    assert np.abs(seen(q) - seen(o)).max() <= 3, np.abs(seen(q) - seen(o)).max()


def _cheap_config(seed: int = 0):
    from benchmark.config import RunConfig
    from benchmark.data import DataSpec

    return RunConfig(task="denoise", loss="l1", seed=seed, iterations=2, crop=16, batch_size=1,
                     train_data=(DataSpec.parse("skimage:train", role="train"),),
                     test_data=(DataSpec.parse("skimage:test", role="test"),))


def test_a_grid_of_one_run_stands_at_0_of_1_run(tmp_path):
    """Was: an interrupted one-run grid ended its log on "the grid stands at 0 of 1 runs finished"; the runner's,
    the CLI's and gpu_check's other "k of N runs" lines read the same: N takes its number (docmarkup.plural)."""
    from benchmark.results import ResultsStore
    from benchmark.runner import interrupted_lines

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    (line,) = interrupted_lines(store, [_cheap_config()])
    assert line == "the grid stands at 0 of 1 run finished (0 diverged), 0 failed, 1 left: the same command resumes it"


def test_a_gpu_index_past_the_one_visible_says_1_gpu(monkeypatch):
    """Was: "device 'cuda:3' requested but this machine has 1 GPU(s) visible here (cuda:0)"."""
    import torch

    from benchmark.devices import resolve_device
    from benchmark.errors import UserError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with pytest.raises(UserError, match=r"this machine has 1 GPU visible here \(cuda:0\)"):
        resolve_device("cuda:3")


#: a count a reader reads followed by its noun in the plural whatever the count: "of %d runs", "of {n} images"
_FIXED_PLURAL = re.compile(r"\bof (?:%d|\{\}) (?:runs|images|files|seeds|losses|tasks|jobs|workers|metrics|GPUs)\b")


def test_no_product_line_writes_a_count_with_a_fixed_plural_or_an_s_in_brackets():
    """The category, not the examples: no string the product (benchmark/, scripts/, run_all.py) shows a reader —
    a docstring or comment aside — writes "file(s)", "loss(es)", or "k of N runs" with N's noun fixed in the plural:
    they take docmarkup.plural. Was: runner, cli, executors, convergence, data, results, devices and gpu_check
    said "0 of 1 runs", "1 of 1 images", "1 GPU(s)", "1 worker(s)"."""
    import ast

    found = []
    for path in [*sorted((ROOT / "benchmark").glob("*.py")), *sorted((ROOT / "scripts").glob("*.py")),
                 ROOT / "run_all.py"]:
        tree = ast.parse(path.read_text())
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):  # its text, each {…} as "{}"
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value
            else:
                continue
            if re.search(r"[a-z]\((?:s|es)\)(?![{;])", text) or _FIXED_PLURAL.search(text):
                found.append(f"{path.name}:{node.lineno}: {text[:90]!r}")
    assert not found, "\n".join(sorted(set(found)))

"""Probe (publishable outputs, small leftovers): dry-run time caches, Markdown escaping, leaderboard formats."""

from __future__ import annotations

import pytest


def test_time_cache_keys_carry_code_version_and_order_free_metric_set(monkeypatch):
    """Both cache keys change with the harness code version; the eval key ignores the metric order."""
    import torch

    import benchmark
    import benchmark.perf as perf

    dev = torch.device("cpu")
    step = perf.StepTimes.key(dev, "tiny", "l1", "denoise", 2, 32, False)
    ev = perf.StepTimes.eval_key(dev, "tiny", "fp", ["psnr", "ssim"])
    assert ev == perf.StepTimes.eval_key(dev, "tiny", "fp", ["ssim", "psnr"])
    assert ev != perf.StepTimes.eval_key(dev, "tiny", "fp", ["psnr"])
    monkeypatch.setattr("benchmark.config.CODE_VERSION", benchmark.CODE_VERSION + "-next")
    assert perf.StepTimes.key(dev, "tiny", "l1", "denoise", 2, 32, False) != step
    assert perf.StepTimes.eval_key(dev, "tiny", "fp", ["psnr", "ssim"]) != ev



@pytest.mark.slow
def test_dry_run_time_cache_retimes_after_code_version_change(tmp_path, monkeypatch):
    """Step and evaluation times cached by another harness code version are measured again, not reused:
    a speed change in the code must reach the next dry run's estimate."""
    import benchmark
    import benchmark.perf as perf
    from benchmark.config import RunConfig

    path = tmp_path / "steptimes.json"
    grid = [RunConfig(task="denoise", loss="l1", iterations=10, batch_size=2, crop=32)]
    one = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert one["measured"] > 0
    monkeypatch.setattr(benchmark, "CODE_VERSION", benchmark.CODE_VERSION + "-next")
    monkeypatch.setattr("benchmark.config.CODE_VERSION", benchmark.CODE_VERSION)
    two = perf.estimate_grid(grid, ["psnr"], "cpu", perf.StepTimes(path))
    assert two["reused"] == 0 and two["measured"] == one["measured"]  # step and eval times both re-measured
    keys = list(perf.StepTimes(path).data)
    assert any("eval" in k and "-next" in k for k in keys) and any("eval" not in k and "-next" in k for k in keys)


AWKWARD = "ffl(tag='$x^2$ ~old~ a|b <i>')"


def _md_html(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def test_leaderboard_markdown_keeps_dollar_tilde_and_pipe_in_a_loss_name_as_text():
    """A spec whose string argument holds ``$...$`` (GitHub maths), ``~x~`` (strikethrough), ``|`` (a new
    table cell) or ``<i>`` shows as written in leaderboard.md, one cell per header cell."""
    import re

    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    offsets = {"l1": 0.0, AWKWARD: 0.3}
    kw = dict(tasks=("denoise",), seeds=(0, 1), offsets=offsets, metrics=("psnr",), n_images=6)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    md = E.markdown(compute(synthetic_table(**kw), metas, n_boot=20))
    assert "\\$x^2\\$" in md and "\\~old\\~" in md  # not maths, not strikethrough on GitHub
    html = _md_html(md)
    assert "<s>" not in html and "<del>" not in html and "<i>" not in html
    assert "$x^2$ ~old~ a|b &lt;i&gt;" in html  # the name reads as written
    row = next(r for r in md.splitlines() if r.startswith("|") and "old" in r)
    head = next(r for r in md.splitlines() if r.startswith("|"))
    assert len(re.split(r"(?<!\\)\|", row)) == len(re.split(r"(?<!\\)\|", head))


def test_findings_markdown_escapes_loss_names_as_the_leaderboard_does():
    """findings.md puts loss labels in table cells: the same escaping as leaderboard.md (one helper)."""
    from benchmark import findings
    from benchmark.export import md_text

    assert findings._md(AWKWARD) == md_text(AWKWARD)
    assert "\\$" in findings._md(AWKWARD) and "\\~" in findings._md(AWKWARD) and "&lt;i" in findings._md(AWKWARD)


def test_compare_markdown_escapes_awkward_loss_names(tmp_path):
    """compare/<loss>.md named the new loss and its rivals raw: ``$x^2$`` read as maths, ``~old~`` as
    strikethrough, a ``|`` in a rival's name in the 'significantly better than' cell split the row."""
    import re

    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    rival = "l2(tag='p|q ~r~')"
    store = write_store(tmp_path / "s", offsets={"l1": 0.0, AWKWARD: 3.0, rival: -3.0}, seeds=(0, 1, 2, 3, 4),
                        n_images=4, metrics=("psnr",), budget_check=False)
    chosen = {"denoise": [m for m in store.metas() if m.get("kind") != "input"]}
    md, _ = _summary(store, chosen, [AWKWARD], {"denoise": []}, 0.05, 50, "l1", ())
    assert "\\$x^2\\$" in md and "\\~old\\~" in md and "\\~r\\~" in md, md
    html = _md_html(md)
    assert "<s>" not in html and "<del>" not in html and "<i>" not in html
    rows = [r for r in md.splitlines() if r.startswith("| ")]
    assert rows and len({len(re.split(r"(?<!\\)\|", r)) for r in rows}) == 1, rows


def _boards(n_tasks: int, n_losses: int = 6):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    losses = ["input", *(f"loss_{i:02d}" for i in range(n_losses))]
    return {f"task{t}": pd.DataFrame({"psnr ↑": rng.normal(25, 2, len(losses)),
                                      "ssim ↑": rng.uniform(0.5, 0.9, len(losses))}, index=losses)
            for t in range(n_tasks)}


def test_leaderboard_figure_is_written_in_the_reports_formats_at_200_dpi_and_byte_identical(tmp_path):
    """leaderboard.png was a PNG only, at 150 dpi, while every other figure is a 200 dpi PNG plus the
    report's vector formats: now the same formats and dpi, the same bytes when redrawn, and a format not
    asked for this time removed (as :func:`benchmark.figures.save` does)."""
    from PIL import Image

    import benchmark.figures as F

    path = tmp_path / "leaderboard.png"
    boards = _boards(1, 3)
    F.leaderboard_heatmap(boards, path, formats=("png", "pdf", "svg"))
    files = {f: path.with_suffix(f".{f}") for f in ("png", "pdf", "svg")}
    assert all(p.is_file() for p in files.values())
    assert [round(d) for d in Image.open(files["png"]).info["dpi"]] == [200, 200]
    first = {f: p.read_bytes() for f, p in files.items()}
    F.leaderboard_heatmap(boards, path, formats=("png", "pdf", "svg"))
    assert {f: p.read_bytes() for f, p in files.items()} == first  # a redraw from the same results: same files
    F.leaderboard_heatmap(boards, path, formats=("png",))
    assert files["png"].is_file() and not files["pdf"].exists() and not files["svg"].exists()


def test_a_split_leaderboard_writes_every_part_in_every_format_and_removes_stale_parts(tmp_path, monkeypatch):
    """A board taller than a page is split into parts: each part in each format; a shorter report later
    leaves no part behind in any format."""
    import benchmark.figures as F

    monkeypatch.setattr(F, "PAGE_IN", 4.0)  # 4 tasks: 4.8 in; a part of 2, or 1 task: 3.1 in
    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap(_boards(4), path, formats=("png", "pdf"))
    parts = F.leaderboard_parts(path)
    assert parts and all(p.with_suffix(".pdf").is_file() for p in [path, *parts])
    F.leaderboard_heatmap(_boards(1), path, formats=("png", "pdf"))
    assert F.leaderboard_parts(path) == [] and sorted(p.name for p in tmp_path.iterdir()) == \
        ["leaderboard.pdf", "leaderboard.png"]


def test_report_writes_the_leaderboard_figure_in_its_formats(tmp_path):
    """Through a real report on a synthetic store: ``formats=("png", "pdf")`` gives leaderboard.pdf too."""
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,), n_images=3,
                        metrics=("psnr",), budget_check=False)
    write_report(store, formats=("png", "pdf"), visual=False, html=False, n_boot=20)
    assert (store.root / "leaderboard.png").is_file() and (store.root / "leaderboard.pdf").is_file()

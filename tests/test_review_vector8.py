"""Review of probe-vector8: leaderboard stale-part removal and the dry-run time cache."""

from __future__ import annotations


def test_stale_leaderboard_parts_never_include_a_users_own_files(tmp_path):
    """Only ``leaderboard-<n>.<fmt>`` (n ≥ 2, as written) is a part: a user's dated copy
    ``leaderboard-2026-12-01.pdf``, ``leaderboard-old-3.png`` or ``leaderboard-01.svg`` survives a report."""
    import numpy as np
    import pandas as pd

    import benchmark.figures as F

    boards = {"task0": pd.DataFrame({"psnr ↑": np.array([20.0, 22.0, 23.0])}, index=["input", "a", "b"])}
    mine = ["leaderboard-2026-12-01.pdf", "leaderboard-old-3.png", "leaderboard-01.svg", "leaderboard-1.png",
            "leaderboard-2026-12-01.png"]
    for name in mine:
        (tmp_path / name).write_bytes(b"mine")
    (tmp_path / "leaderboard-2.pdf").write_bytes(b"stale part")
    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap(boards, path, formats=("png", "pdf"))
    assert all((tmp_path / n).read_bytes() == b"mine" for n in mine)
    assert not (tmp_path / "leaderboard-2.pdf").exists()
    assert F.leaderboard_parts(path) == []


def test_compare_markdown_escapes_loss_names_in_its_notes(tmp_path):
    """compare/<loss>.md's notes name losses (the field groups set aside, :func:`benchmark.compare._pick_group`):
    written raw, ``$x^2$`` read as maths, ``~old~`` as strikethrough and ``<i>`` opened a tag; now escaped as
    leaderboard.md's notes are."""
    import pytest

    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    markdown_it = pytest.importorskip("markdown_it")
    awkward = "ffl(tag='$x^2$ ~old~ <i>')"
    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "l2": 1.0}, seeds=(0, 1), n_images=3,
                        metrics=("psnr",), budget_check=False)
    chosen = {"denoise": [m for m in store.metas() if m.get("kind") != "input"]}
    note = f"2 field runs ({awkward}) used different settings (seeds); they are set aside, not mixed in."
    md, _ = _summary(store, chosen, ["l2"], {"denoise": [note]}, 0.05, 20, "l1", ())
    line = next(x for x in md.splitlines() if "set aside" in x)
    assert "\\$x^2\\$" in line and "\\~old\\~" in line and "&lt;i&gt;" in line, line
    html = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)
    assert "<s>" not in html and "<del>" not in html and "<i>" not in html


def test_findings_markdown_sections_escape_as_its_summary_table():
    """A finding's section repeated its setting (test set folder names) raw while the summary table row
    escaped it: ``$a$`` read as maths, ``~b~`` as strikethrough, ``<i>`` opened a tag."""
    import pytest

    from benchmark import findings as F

    markdown_it = pytest.importorskip("markdown_it")
    part = F.Part("denoise", "psnr", "l1", "l2", "greater", 0.1, 0.0, 0.2, 0.5, 0.04, 0.04, 0.0, 3, 2, 2,
                  False, True)
    setting = "tasks denoise; test $a$~b~<i> (3 images); 2 seeds"
    r = F.FindingResult("demo", "l1 beats l2", "X et al.", "Table 1", "inconclusive", setting, [part],
                        family="one ~family~", stale="", regime="$x$ regime")
    md = F.to_markdown([r])
    section = md.split("## demo")[1]
    assert "\\$a\\$\\~b\\~&lt;i&gt;" in section and "\\~family\\~" in section and "\\$x\\$" in section, section
    html = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)
    assert "<s>" not in html and "<del>" not in html and "<i>" not in html


def test_a_leaderboard_not_drawn_leaves_no_stale_figure(tmp_path):
    """A report with nothing to draw (no restorations in its setting) left the last report's
    leaderboard.png/.pdf and its parts, showing results that are no longer the table's; now they go, as
    :func:`benchmark.figures.remove_figure` does for every other figure not drawn."""
    import benchmark.figures as F
    from benchmark.report import heatmap
    from benchmark.synthetic import synthetic_table

    path = tmp_path / "leaderboard.png"
    names = ["leaderboard.png", "leaderboard.pdf", "leaderboard-2.png", "leaderboard-2.svg"]
    for name in names:
        (tmp_path / name).write_bytes(b"old")
    (tmp_path / "notes.pdf").write_bytes(b"mine")
    assert F.leaderboard_heatmap({}, path, formats=("png", "pdf")) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.pdf"]
    for name in names:
        (tmp_path / name).write_bytes(b"old")
    table = synthetic_table(tasks=("denoise",), seeds=(0,), offsets={"l1": 0.0}, metrics=("psnr",), n_images=2)
    assert heatmap(table.iloc[0:0], path, formats=("png", "pdf")) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.pdf"]

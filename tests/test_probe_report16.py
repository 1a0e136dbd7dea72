"""Published figures, tables and the report: defects found probing them with awkward stores (session 16)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (scipy.stats and the metrics through :func:`benchmark.stats.compute`,
    pyplot and seaborn through :func:`benchmark.figures.style`, the loss registry through the colours): once for the
    file, not in the first test's time."""
    import scipy.stats  # noqa: F401

    import benchmark.metrics  # noqa: F401
    from benchmark import figures as F

    F.loss_styles(["l1", "mine"])
    with F.style():
        pass


def test_a_user_loss_keeps_its_colour_when_a_name_sorting_before_it_is_added():
    """User losses all started at the first extra colour in name order: ``mine`` was the sky blue alone and took
    another colour once ``aaa`` (or any name sorting before it) joined a store, so one loss changed colour from
    figure to figure across stores. Now its home colour follows its own name; only a loss with the same home colour
    can still move it."""
    from benchmark.figures import _home_colour, loss_styles

    field = ["l1", "l2", "ssim"]  # the pixel losses own their colours: the four extra ones free
    alone = loss_styles(field + ["mine"])["mine"]
    home = _home_colour("mine", "mine", 10)
    others = [f"a{i}" for i in range(12) if _home_colour(f"a{i}", f"a{i}", 10) != home]
    assert others, "some names have another home colour"
    for other in others:
        styles = loss_styles(field + [other, "mine"])
        assert styles["mine"] == alone, other
        assert styles[other] != styles["mine"]
    assert loss_styles(["mine", "zz_other"])["mine"] == loss_styles(["mine"])["mine"] or \
        _home_colour("zz_other", "zz_other", 10) == home


def test_a_user_loss_keeps_its_colour_when_a_second_version_of_it_joins_the_store():
    """The home colour was a digest of the label, version suffix and all: ``mine`` alone took one colour and, once a
    second version joined the store, ``mine (v1)`` and ``mine (v2)`` two others. The digest is of the loss without
    its version suffix, so the oldest version keeps the loss's colour, labelled by spec or not."""
    from benchmark.figures import loss_styles

    field = ["l1", "l2", "ssim"]
    alone = loss_styles(field + ["mine"])["mine"]
    both = ["mine (v1)", "mine (v2)"]
    for losses in ({label: "mine" for label in both}, None):
        styles = loss_styles(field + both, losses)
        assert styles["mine (v1)"] == alone, losses
        assert styles["mine (v2)"] != alone


def test_version_labels_sort_as_versions_not_decimals():
    """``name_key`` read a version suffix's ``1.10`` as the decimal 1.1, so a board, the notes and the legends listed
    ``mine (v1.10)`` before ``mine (v1.2)``; weights in a name stay decimals (``0.25*vgg`` before ``0.5*vgg``)."""
    from benchmark.stats import name_key

    versions = ["mine (v1.2)", "mine (v1.10)", "mine (v1.9)", "mine (v2)", "mine (v1)"]
    assert sorted(versions, key=name_key) == ["mine (v1)", "mine (v1.2)", "mine (v1.9)", "mine (v1.10)", "mine (v2)"]
    assert sorted(["mine (v1.10/2)", "mine (v1.2/2)"], key=name_key) == ["mine (v1.2/2)", "mine (v1.10/2)"]
    weights = ["l1 + 0.5*vgg", "l1 + 10*vgg", "l1 + 0.25*vgg", "l1 + 2*vgg"]
    assert sorted(weights, key=name_key) == ["l1 + 0.25*vgg", "l1 + 0.5*vgg", "l1 + 2*vgg", "l1 + 10*vgg"]
    mixed = ["mine (v1.10)", "mine", "mine2", "mine (v1.2)", "m (v3)"]  # any two labels compare
    assert sorted(mixed, key=name_key)[:2] == ["m (v3)", "mine"]


def test_one_balancing_rule_splits_tables_and_figures_into_parts(monkeypatch, tmp_path):
    """The split into balanced parts was written three times (figures._balanced, two closures in
    leaderboard_heatmap, tex_row_groups' own loop), so a change to one left the others apart. One function,
    ``export.balanced``, now splits the LaTeX tables' rows and the leaderboard's tasks alike."""
    from test_probe_figures13 import _Board, _sizes

    from benchmark import export as E
    from benchmark import figures as F

    calls = []
    real = E.balanced
    monkeypatch.setattr(E, "balanced", lambda items, k, unit=1: calls.append((len(items), k, unit))
                        or real(items, k, unit))
    assert real(list(range(7)), 2) == [[0, 1, 2, 3], [4, 5, 6]]
    assert real(list(range(5)), 2, unit=2) == [[0, 1, 2, 3], [4]]  # whole panel rows of two
    assert real([], 3) == [] and real([], 2, unit=2) == []  # no rows: no parts (it raised: a range of step 0)
    rows = [(f"loss{i:02d}", "") for i in range(60)]
    groups = E.tex_row_groups(rows, "caption", lines=lambda r: 1)
    assert len(groups) == 2 and [len(g) for g in groups] == [30, 30] and (60, 2, 1) in calls
    calls.clear()
    monkeypatch.setattr(F, "PAGE_IN", 1.5 + 0.3 + 4 * 2.0 + 0.05)  # four panel rows of 2 in fit a page
    monkeypatch.setattr(F, "draw_leaderboard_heatmap", lambda b, *a, **k: _Board(len(b)))
    monkeypatch.setattr(F, "leaderboard_order", lambda boards: ["input", "l1"])
    _sizes(monkeypatch)
    F.leaderboard_heatmap({f"task{t}": None for t in range(5)}, tmp_path / "leaderboard.png")
    assert calls and calls[0][0] == 5, calls


def test_one_parts_record_per_folder_and_an_old_stores_record_still_prunes(tmp_path):
    """The report folder's leaderboard parts were recorded in ``.leaderboard-parts.json``, the figures folder's in
    ``.figure-parts.json``: two records, two writers. One record, ``.figure-parts.json``, now holds the parts of
    either folder; a store whose leaderboard parts an older report recorded the old way still has them removed
    (``leaderboard-4.png`` beyond a part deleted by hand), the old record with them."""
    from benchmark import figures as F

    path = tmp_path / "leaderboard.png"
    (tmp_path / ".leaderboard-parts.json").write_text('["leaderboard-2.png", "leaderboard-4.png"]')
    mine = tmp_path / "leaderboard-2026.png"
    for p in (path, tmp_path / "leaderboard-2.png", tmp_path / "leaderboard-4.png", mine):
        p.write_bytes(b"x")
    assert F.leaderboard_parts(path) == [tmp_path / "leaderboard-2.png", tmp_path / "leaderboard-4.png"]
    new = [path, tmp_path / "leaderboard-2.png", tmp_path / "leaderboard-2.pdf", tmp_path / "leaderboard-3.png"]
    for p in new:
        p.write_bytes(b"y")
    F.remove_leaderboard(path, keep=new)  # a report of three parts, PDF of part 2 too
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".figure-parts.json", "leaderboard.png", "leaderboard-2.png", "leaderboard-2.pdf", "leaderboard-3.png",
         mine.name])
    assert F._read_names(tmp_path / F.PARTS_RECORD) == ["leaderboard-2.pdf", "leaderboard-2.png", "leaderboard-3.png"]
    figures = tmp_path / "figures"
    figures.mkdir()
    for name in ("rank_heatmap.png", "rank_heatmap-2.png"):
        (figures / name).write_bytes(b"x")
    F.prune_figures(figures, [figures / "rank_heatmap.png", figures / "rank_heatmap-2.png"])
    assert F._read_names(figures / F.PARTS_RECORD) == ["rank_heatmap-2.png"]  # the same record, its own folder's
    F.remove_leaderboard(path, keep=[path])  # one figure now: no parts, no record
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", mine.name, "leaderboard.png"]


def test_tasks_and_compared_specs_are_named_in_files_by_one_rule_that_fits_the_disk():
    """report.task_file_name and compare._safe wrote one naming rule twice, apart: a spec was cut to 80 characters
    and hashed, a task kept whole, so a plugin task of 300 characters named ``figures/metrics_<300>.png``, past the
    255 a file name may hold (the figure could not be written); ``sr-2`` was hashed as a task, kept as a spec."""
    from benchmark.compare import _safe
    from benchmark.report import task_file_name
    from benchmark.results import file_name

    long = "denoise_" + "x" * 292
    assert len(task_file_name(long)) <= 69 and len(_safe(long)) <= 80
    assert task_file_name(long) != task_file_name(long + "y") and task_file_name(long).startswith("denoise_x")
    for name in ("sr4", "jpeg-q10x", "SR4", "Dé", "sr-2", "my_loss(w=0.5)", long):
        assert task_file_name(name) == file_name(name, "task", width=69, sep="_")
        assert _safe(name) == file_name(name, "loss")
    assert task_file_name("sr4") == _safe("sr4") == "sr4"
    assert not task_file_name("sr-2").endswith("-2") and not _safe("w-2").endswith("-2")
    assert _safe("L1") != _safe("l1") and task_file_name("SR4") != "sr4"
    # the names of before, kept: a store's existing figures and compare files keep their names
    kept = {"l1": "l1", "huber_l1": "huber_l1", "ms_ssim_l1": "ms_ssim_l1", "a.b-c": "a.b-c", "x" * 70: "x" * 70,
            "lpips:alex:v0.1": "lpips_alex_v0.1-073bd0ae", "l1+0.5*vgg": "l1_0.5_vgg-5d5fad7d"}
    assert {n: _safe(n) for n in kept} == kept
    tasks = {"sr4": "sr4", "denoise_sigma25": "denoise_sigma25", "jpeg_q10": "jpeg_q10", "a.b-c": "a.b-c",
             "SR4": "SR4_f3cf50c2", "Dé": "D_139e2cf1", "sr-2": "sr-2_ee106006"}
    assert {n: task_file_name(n) for n in tasks} == tasks


def test_the_metrics_figure_lists_losses_in_its_task_tables_order():
    """A loss not scored on one of its task's metrics comes after the others in the task table (its rank is over
    fewer metrics), but ``metrics_<task>.png`` placed it by that rank among them (``l2``, unscored on ssim, third in
    the figure and last in the table beside it): the figure now takes the task table's row order."""
    from benchmark import export as E
    from benchmark import figures as F
    from benchmark.stats import INPUT, compute
    from benchmark.synthetic import synthetic_table

    table = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "l2": 0.6}, seeds=(0, 1), n_images=4,
                            metrics=("psnr", "ssim"))
    table = table[~((table["loss"] == "l2") & (table["metric"] == "ssim"))]
    stats = compute(table, n_boot=10)
    _, rows = E.task_rows(stats, "denoise")
    in_table = [r.label for r in rows if r.label != INPUT]
    assert in_table[-1] == "l2", in_table
    drawn = F.points_order(stats, "denoise")  # draw_metric_points' rows (plb_labels), top down
    assert drawn[:-1] == in_table and drawn[-1] == INPUT, (drawn, in_table)


@pytest.mark.slow  # 2 s: 40 losses ranked and drawn
def test_no_cd_diagram_marker_touches_its_loss_label():
    """The CD diagram set each label 0.05 rank past its connector's end (0.25 rank past the axis): with 40 losses a
    rank is a few points wide, and the best and worst losses' markers (at ranks 1 and 40) were drawn on their labels'
    first letters. The label now stands a fixed few points past the connector, whatever the number of losses."""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    offsets = {f"loss{i:02d}_" + "x" * 20: float(i) / 10 for i in range(40)}
    stats = compute(synthetic_table(offsets=offsets, seeds=(0,), n_images=2, metrics=("psnr", "ssim")), n_boot=10)
    with F.style() as plt:
        fig = F.draw_cd_diagram(stats)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        labels = [t for t in ax.texts if "loss" in t.get_text()]
        lines = [ln for ln in ax.lines if ln.get_markevery() == [1]]
        assert len(labels) == len(lines) == 40
        gaps = []
        for line, text in zip(lines, labels):
            x, y = ax.transData.transform(line.get_xydata()[1])
            radius = line.get_markersize() / 2 * fig.dpi / 72
            box = text.get_window_extent(renderer)
            gaps.append((box.x0 - (x + radius) if x < box.x0 else (x - radius) - box.x1) * 72 / fig.dpi)
        plt.close(fig)
    assert min(gaps) >= 2.0, sorted(gaps)[:3]  # points between a marker's edge and its label


def test_the_leaderboard_figure_says_it_is_a_smoke_test_as_the_other_figures_do(monkeypatch, tmp_path):
    """The rank heatmap, the CD diagram and the P–D plane open with "Smoke test, not a ranking: …" on a store of too
    few runs (the quick profile's one seed), but leaderboard.png, the quick-look figure most often shared alone,
    did not: a smoke test drawn as a ranking. It now opens with the same line, on every part."""
    import pandas as pd

    from benchmark import figures as F
    from benchmark import report as R
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    table = synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=3, metrics=("psnr", "ssim"))
    stats = compute(table, n_boot=10)
    seen = {}
    monkeypatch.setattr(F, "leaderboard_heatmap", lambda *a, **k: seen.update(args=a, kw=k))
    R.heatmap(table, tmp_path / "leaderboard.png", stats.worse, stats.blocks, stats)
    smoke = seen["args"][7] if len(seen["args"]) > 7 else seen["kw"].get("smoke", "")
    assert smoke.startswith("Smoke test"), seen
    monkeypatch.undo()
    board = {"denoise": pd.DataFrame({"psnr ↑": [20.0, 25.0]}, index=["input", "l1"])}
    with F.style() as plt:
        fig = F.draw_leaderboard_heatmap(board, smoke=smoke)
        title = fig._suptitle.get_text()
        caption = fig._supxlabel.get_text() if fig._supxlabel is not None else ""
        plt.close(fig)
    # on 2 lines at its width (fit_title): its reasons, where they do not fit a line, in the caption under it
    assert title.startswith("Smoke test, not a ranking") and "Leaderboard" in title, title
    assert smoke in f"{title} {caption}".replace("\n", " "), (title, caption)


def test_report_html_sorts_version_labels_as_the_tables_do():
    """report.html's click-to-sort (NAME_CMP) mirrors name_key; with versions read as versions in the tables
    (``mine (v1.2)`` before ``mine (v1.10)``) the page still read 1.10 as a decimal and listed them the other way."""
    import json
    import shutil
    import subprocess

    from benchmark.export import NAME_CMP
    from benchmark.stats import name_key

    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run report.html's sort")
    names = ["mine (v1.10)", "mine (v1.2)", "mine (v2)", "mine (v1)", "mine (v1.9/2)", "mine", "mine2", "m (v3)",
             "l1 + 0.5*vgg", "l1 + 10*vgg", "l1 + 0.25*vgg", "w1.10", "w1.2", "x (v1+ab12)", "x (v1+ab3)",
             "l1+0.01*vgg", "l1+1e-3*vgg", "l1+0.01*vgg (v1.10)", "l1+0.01*vgg (v1.2)", "vgg [vgg16:random] (v1.10)",
             "vgg [vgg16:random] (v1.2)"]
    want = sorted(names, key=name_key)
    assert want.index("mine (v1)") < want.index("mine (v1.2)") < want.index("mine (v1.10)") < want.index("mine (v2)")
    assert want.index("l1+1e-3*vgg") < want.index("l1+0.01*vgg") < want.index("l1+0.01*vgg (v1.2)") < want.index(
        "l1+0.01*vgg (v1.10)")
    script = NAME_CMP + f"console.log(JSON.stringify({json.dumps(names)}.sort(nameCmp)));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=20, check=True).stdout
    assert json.loads(out) == want

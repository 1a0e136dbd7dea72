"""Leaderboard verdicts and figures: costs per device, one number format, heatmap text = colour,
findings' wording (probe-verdicts4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark import stats as S
from benchmark.synthetic import synthetic_runs


def _table_metas(devices: dict[tuple[str, int], str] | None = None, ms: dict[str, float] | None = None, **kw):
    """(tidy table, final-run metas) of :func:`synthetic_runs` with each run's device and ms/it set from
    ``devices`` {(loss, seed): device} (default cpu) and ``ms`` {device: ms/it}."""
    kw.setdefault("budget_check", False)
    rows, metas = [], []
    for _, meta, rs in synthetic_runs(**kw):
        rows += rs
        if "config" in meta:
            key = (meta["config"]["loss"], meta["config"]["seed"])
            dev = (devices or {}).get(key, "cpu")
            meta = {**meta, "device": dev, "ms_per_it": (ms or {}).get(dev, meta["ms_per_it"])}
        metas.append(meta)
    from benchmark.results import to_frame
    return to_frame(rows), metas


# 1. cost pooled over CPU and GPU runs ------------------------------------------------------------
def test_cost_of_a_loss_run_partly_on_a_gpu_is_not_one_median_of_cpu_and_cuda():
    """Was: l2's 3 CPU runs (200 ms/it) and 2 CUDA runs (4 ms/it) gave one median, 200 ms/it, printed as
    l2's cost with no word of the GPU. Now no pooled figure: the ms/it cell is '–' and a note gives the
    median per device."""
    from benchmark.export import markdown, notes

    devices = {("l2", 3): "cuda:0", ("l2", 4): "cuda:0"}
    t, metas = _table_metas(devices, {"cpu": 200.0, "cuda:0": 4.0}, tasks=("denoise",),
                            offsets={"l1": 0.0, "l2": 0.3}, seeds=range(5), metrics=("psnr",), n_images=6)
    st = S.compute(t, metas, n_boot=50)
    l2 = st.costs.set_index("label").loc["l2"]
    assert np.isnan(l2["ms_per_it"])
    assert st.costs.set_index("label").loc["l1", "ms_per_it"] == 200.0  # one device: its median as before
    tc = st.task_costs.set_index("label").loc["l2"]
    assert np.isnan(tc["ms_per_it"])
    text = " ".join(notes(st))
    assert "cpu 200.0 ms/it (3 runs)" in text and "cuda 4.0 ms/it (2 runs)" in text
    md = markdown(st)
    row = next(line for line in md.splitlines() if line.startswith("| l2 |") and "not ranked" not in line)
    assert "| 200.0 |" not in row


def test_cost_of_losses_each_on_its_own_device_says_the_columns_compare_devices():
    """l1 on the CPU, l2 on a GPU: each has one device (its median stands) but the ms/it column then
    compares a CPU with a GPU: the notes say which loss ran where."""
    from benchmark.export import notes

    devices = {("l2", s): "cuda:0" for s in range(5)}
    t, metas = _table_metas(devices, {"cpu": 200.0, "cuda:0": 4.0}, tasks=("denoise",),
                            offsets={"l1": 0.0, "l2": 0.3}, seeds=range(5), metrics=("psnr",), n_images=6)
    st = S.compute(t, metas, n_boot=50)
    assert st.costs.set_index("label").loc["l2", "ms_per_it"] == 4.0
    text = " ".join(notes(st))
    assert "cpu: l1" in text and "cuda: l2" in text


def test_compare_summary_says_the_new_loss_was_timed_on_another_device(tmp_path):
    """Was: compare/<loss>.md's cost sentence spoke of a machine's load only; the new loss trained on a GPU and
    the field on the CPU read as comparable costs. Now the summary names the devices, as the leaderboard's notes."""
    from benchmark.compare import _summary
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), n_images=6,
                        budget_check=False, offsets={"l1": 0.0, "good": 1.0})
    for m in store.metas():
        if (m.get("config") or {}).get("loss") == "good":
            atomic_write_json(store.run_dir(m["run_id"]) / "meta.json", {**m, "device": "cuda:0"})
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 20, "l1", ())
    assert "cpu: l1" in text and "cuda: good" in text, text


# 2. one number format in every output ----------------------------------------------------------
def test_leaderboard_png_prints_each_mean_as_the_md_table_does():
    """Was: leaderboard.png printed its means with 3 significant digits (26.3) where leaderboard.md's column
    had the decimals of its CI (26.31), and coloured from the 3-digit text. Now every cell of the figure is
    the task table's own text (export.task_rows, which md, tex and html print)."""
    from benchmark import figures as F
    from benchmark.export import task_rows
    from benchmark.report import heatmap_panels
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.05, "good": 0.4}, seeds=range(5),
                        metrics=("psnr", "ssim"), n_images=40, noise=0.02)
    st = S.compute(t, n_boot=50)
    want = {}
    for task in ("denoise", "sr4"):
        metrics, rows = task_rows(st, task)
        want[task] = {(r.label, m): c.mean for r in rows for m, c in zip(metrics, r.cells)}
    with F.style():
        fig = F.draw_leaderboard_heatmap(heatmap_panels(t, st.blocks, st))
        for ax in (a for a in fig.axes if a.get_title() in want):
            rows = [x.get_text() for x in ax.get_yticklabels()]
            cols = [x.get_text().split(" ")[0] for x in ax.get_xticklabels()]
            # a circular cell's † (test_probe_report22) after the table's own number
            shown = {(rows[int(x.get_position()[1])], cols[int(x.get_position()[0])]): x.get_text().removesuffix(" †")
                     for x in ax.texts}
            assert shown == want[ax.get_title()]
        import matplotlib.pyplot as plt
        plt.close(fig)
    # 3 significant digits would have cut psnr's decimals here: the md has more
    assert any(len(v.split(".")[1]) >= 2 for (l, m), v in want["denoise"].items() if m == "psnr")


def test_pd_plane_off_scale_value_is_printed_as_the_md_table_prints_it():
    """Was: an off-scale point's value on the perception–distortion plane was printed with 3 significant digits
    (the input's psnr '20.1') where leaderboard.md's column printed it with its CI's decimals. Now the same text."""
    from benchmark import figures as F
    from benchmark.export import task_rows

    offsets = {f"loss{i}": 0.01 * i for i in range(8)}
    kw = dict(tasks=("denoise",), offsets=offsets, metrics=("psnr", "lpips"), n_images=6, seeds=(0, 1), noise=0.01)
    t, metas = _table_metas(**kw)
    st = S.compute(t, metas, n_boot=50)
    metrics, rows = task_rows(st, "denoise")
    inp = next(r for r in rows if r.label == "input")
    want = "input " + ", ".join(c.mean for c in inp.cells)
    with F.style():
        fig = F.draw_pd_plane(st)
        texts = {x.get_text() for a in fig.axes for x in a.texts}
        import matplotlib.pyplot as plt
        plt.close(fig)
    assert metrics == ["psnr", "lpips"] and want in texts, (want, texts)


# 3. rank heatmap: the `all` column's text and colour are one quantity ------------------------------
def test_rank_heatmap_all_column_text_and_colour_are_the_same_mean_rank():
    """Was: with l2 ranked 2nd of 4 on denoise and 2nd of 2 on sr4 (the other losses not run there), the `all`
    cell read '2.0' (the overall ranking's mean rank) but was coloured 3.0 of 4 (the mean of the per-block ranks
    scaled to 1..4). Now text and colour are both the overall ranking's mean rank (leaderboard.md's), and the
    title says so."""
    from benchmark import figures as F
    from benchmark.export import PARTIAL
    from benchmark.synthetic import synthetic_table

    a = synthetic_table(tasks=("denoise",), offsets={"good": 1.0, "l2": 0.5, "l1": 0.0, "bad": -0.7},
                        seeds=(0,), metrics=("psnr",), n_images=6, noise=0.01)
    b = synthetic_table(tasks=("sr4",), offsets={"good": 1.0, "l2": 0.5}, seeds=(0,), metrics=("psnr",),
                        n_images=6, noise=0.01)
    st = S.compute(pd.concat([a, b], ignore_index=True), n_boot=20)
    mean_rank = st.ranks.set_index("label")["mean_rank"]
    assert mean_rank["l2"] == 2.0
    with F.style():
        fig = F.draw_rank_heatmap(st)
        ax = fig.axes[0]
        rows = [x.get_text().replace("\n", " ") for x in ax.get_yticklabels()]
        cols = [x.get_text().split(" (")[0] for x in ax.get_xticklabels()]
        colour = np.asarray(ax.collections[0].get_array()).reshape(len(rows), len(cols))
        text = {(rows[int(x.get_position()[1])], cols[int(x.get_position()[0])]): x.get_text() for x in ax.texts}
        title = fig._supxlabel.get_text().replace("\n", " ")  # the key to the marks, under the figure (fit_title)
        import matplotlib.pyplot as plt
        plt.close(fig)
    j = cols.index("all")
    for i, label in enumerate(rows):
        shown = float(text[(label, "all")].rstrip(PARTIAL))
        assert colour[i, j] == pytest.approx(shown, abs=0.05), (label, shown, colour[i, j])
        assert shown == pytest.approx(mean_rank[label], abs=0.05)
    assert "all: " in title


# 4. per-test-set means from the blocks compute built -------------------------------------------
def _two_sets(**kw):
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(**kw)
    first = t["image"].astype(str) < "img0004"
    t["dataset"] = np.where(first, "kodak", "bsd")
    return t


def _by_dataset_cells(md: str, task: str) -> dict[tuple[str, str], float]:
    lines = md.split(f"### {task}", 1)[1].strip().splitlines()
    head = [h.strip() for h in lines[0].strip("|").split("|")]
    out = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        for h, c in zip(head[1:], cells[1:]):
            out[(cells[0], h)] = float(c)
    return out


def test_by_dataset_means_on_a_normal_store_are_the_per_set_means_of_the_rows():
    """One path (Stats.blocks) and the same numbers: on a store with every run on every image, each per-set cell is
    the mean over the set's images within a run, then over seeds, of the rows themselves."""
    from benchmark.export import by_dataset_markdown, metric_decimals, metric_unit

    t = _two_sets(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(3), metrics=("psnr", "ssim"),
                  n_images=8)
    st = S.compute(t, n_boot=20)
    got = _by_dataset_cells(by_dataset_markdown(t, st), "denoise")
    want = (t.groupby(["loss", "seed", "dataset", "metric"], dropna=False)["value"].mean()
            .groupby(["loss", "dataset", "metric"]).mean())
    assert len(got) == len(want) == 3 * 2 * 2
    for (loss, ds, m), v in want.items():
        shown = got[(loss, f"{m}{metric_unit(m)} ↑ ({ds})")]
        assert shown == pytest.approx(v, abs=0.6 * 10 ** -metric_decimals(st, "denoise", m))


def test_by_dataset_means_leave_out_the_run_the_leaderboard_leaves_out():
    """Was: a run scored on 1 of 8 images (its other rows missing) is a missing run of the leaderboard's column
    (stats.sparse_runs), but the per-test-set table (rebuilt from the rows) averaged its one
    image in: the two tables disagreed on which runs a mean is over. Now the per-set means come from the blocks the
    leaderboard built, so the image-weighted mean of the per-set cells is the leaderboard's cell."""
    from benchmark.export import by_dataset_markdown

    t = _two_sets(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(3), metrics=("psnr",),
                  n_images=8, noise=0.5)
    rid = t.loc[(t["loss"] == "l2") & (t["seed"] == 0), "run_id"].iloc[0]
    keep = ~((t["run_id"] == rid) & (t["image"].astype(str) != "img0000"))
    t = t[keep].reset_index(drop=True)
    t.loc[(t["run_id"] == rid), "value"] += 5.0  # its one image far off: it must not move the kodak cell
    st = S.compute(t, n_boot=20)
    assert st.sparse  # the leaderboard leaves the run out and says so
    got = _by_dataset_cells(by_dataset_markdown(t, st), "denoise")
    cell = st.cells.set_index(["label", "metric"]).loc[("l2", "psnr"), "mean"]
    per_set = 0.5 * got[("l2", "psnr (dB) ↑ (kodak)")] + 0.5 * got[("l2", "psnr (dB) ↑ (bsd)")]  # 4 images each
    assert per_set == pytest.approx(cell, abs=0.01)


# 5. "reproduced" says on how many parts ---------------------------------------------------------
def _finding(verdicts: list[str], verdict: str):
    """A finding whose counted parts have ``verdicts`` and whose overall verdict is ``verdict``."""
    from benchmark.findings import FindingResult, Part

    parts = [Part("denoise", f"m{i}", "a", "b", "better", 0.1 if v == "reproduced" else -0.1 if v == "contradicted"
                  else 0.01, 0.05, 0.2, 0.5, 0.01, 0.02 if v != "inconclusive" else 0.5, 0.0, 10, 5, 5, False, True,
                  v, n_runs=5, se=0.03, practical=0.05) for i, v in enumerate(verdicts)]
    return FindingResult("f", "a beats b", "X 2020", "Table 1", verdict, "tasks denoise", parts)


@pytest.mark.parametrize("verdicts, verdict, words", [
    (["reproduced"] + ["inconclusive"] * 8, "reproduced", "reproduced on 1 of 9 parts"),
    (["contradicted"] * 2 + ["inconclusive"], "contradicted", "contradicted on 2 of 3 parts"),
    (["reproduced", "contradicted", "inconclusive"], "mixed", "mixed: reproduced on 1 of 3 parts, contradicted on 1"),
])
def test_a_finding_summary_says_on_how_many_parts_it_is_reproduced(verdicts, verdict, words):
    """Was: a finding significant on 1 of its 9 parts (none against) was summarised as 'REPRODUCED' / '**reproduced**'
    in plbench findings, findings.md and the report's Findings tab, as if every part had held; the count was
    only in the parts column. Now every summary's verdict says on how many parts."""
    from benchmark.findings import to_html, to_markdown, to_text

    r = _finding(verdicts, verdict)
    text, md, page = to_text([r]), to_markdown([r]), to_html([r])
    assert words.upper() in text.upper().split("\n")[0]
    summary_row = next(line for line in md.splitlines() if line.startswith("| f |"))
    assert words in summary_row.replace("**", "")
    assert f"## f: {words}" in md
    assert words in page.replace("</span>", "")


# probe: one loss only ----------------------------------------------------------------------------
def test_a_leaderboard_of_one_loss_says_there_is_nothing_to_compare_not_too_few_runs():
    """Was: with one loss (l1, 5 seeds) per task the legend said '▲/▼ … none tested in this leaderboard: each
    needs the baseline and ≥ 5 paired runs' — it has both — and the best (only) restoration was not bold with no
    word: a user re-runs more seeds for nothing. Now the legend and a note say there is no other loss to test."""
    from benchmark.export import html_report, latex, markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0}, seeds=range(5), metrics=("psnr",), n_images=6)
    st = S.compute(t, n_boot=20)
    md = markdown(st)
    assert "each needs the baseline and ≥ 5 paired runs" not in md
    assert "one loss (l1) in denoise, sr4: no other loss to test it against" in md.lower()
    assert "no other loss to test it against" in html_report(st, {}) and "no other loss" in latex(st)


def test_a_task_with_one_loss_beside_tasks_with_several_is_named():
    """sr4 has l1 alone while denoise compares l1 with l2: sr4's cell is never bold or ▲/▼, and a note says why."""
    from benchmark.export import notes
    from benchmark.synthetic import synthetic_table

    a = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.5}, seeds=range(5), metrics=("psnr",),
                        n_images=6)
    b = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0}, seeds=range(5), metrics=("psnr",), n_images=6)
    st = S.compute(pd.concat([a, b], ignore_index=True), n_boot=20)
    text = " ".join(notes(st)).lower()
    assert "one loss (l1) in sr4: no other loss to test it against" in text
    assert "denoise" not in text.split("one loss (l1) in")[1].split(".")[0]


# probe: all losses equal ---------------------------------------------------------------------------
def test_cd_diagram_joins_losses_whose_mean_ranks_differ_by_no_more_than_the_cd():
    """Was: losses were joined only when their mean ranks differed by *less* than the CD, where the test calls
    a pair different only when they differ by *more*: three exact copies (every mean rank 4.00, CD = 0) got no
    bar, read as all significantly different; a gap exactly equal to the CD was cut too."""
    from benchmark import figures as F
    from benchmark.synthetic import synthetic_table

    assert F._cd_groups(np.array([4.0, 4.0, 4.0]), 0.0) == [(0, 2)]
    assert F._cd_groups(np.array([1.0, 2.0, 3.5]), 1.0) == [(0, 1)]
    t = synthetic_table(tasks=("denoise",), offsets={f"loss{i}": 0.0 for i in range(4)}, seeds=range(5),
                        metrics=("psnr", "ssim"), n_images=6, noise=0.0)
    st = S.compute(t, n_boot=20)  # exact copies: nothing to rank, no diagram with "CD = 0.00" (test_review_report17)
    assert st.friedman["reason"] == S.ALL_TIED and "cd" not in st.friedman
    with F.style():
        assert F.draw_cd_diagram(st) is None


# probe: a single test image -------------------------------------------------------------------
def test_a_finding_checked_on_one_test_image_says_so_in_its_verdict():
    """Was: zhao2017_l1_vs_l2 on 5 seeds of one test image printed 'REPRODUCED' (and 'test synthetic (1 images)'):
    a claim about losses on images, held only over training runs on that one image — another image could
    overturn it; the leaderboard says so of its marks, the findings did not. Now the verdict says it."""
    from benchmark.findings import check_all, to_html, to_markdown, to_text
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.6, "l2": 0.0}, seeds=range(5), metrics=("psnr", "ssim"),
                        n_images=1, seed_sd=0.05)
    (r,) = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=50)
    assert r.verdict == "reproduced"
    head = to_text([r]).splitlines()[0]
    assert "on one test image only" in head
    assert "on one test image only" in next(x for x in to_markdown([r]).splitlines() if x.startswith("| zhao"))
    assert "on one test image only" in to_html([r])
    assert "(1 image)" in r.setting and "1 images" not in r.setting


def test_an_untested_headline_effect_is_printed_as_its_part_row_prints_it():
    """Was: a finding whose headline part was not tested (1 run) gave its effect with 3 significant digits in the
    summary ('+0.0123') and with 4 in the part's own row ('+0.01235'): one number, two texts in findings.md."""
    from benchmark.findings import to_markdown

    r = _finding(["inconclusive"], "inconclusive")
    p = r.parts[0]
    p.effect, p.ci_low, p.ci_high, p.p, p.p_adj, p.verdict, p.status = 0.012345, np.nan, np.nan, np.nan, np.nan, \
        "too few runs", "too few runs"
    md = to_markdown([r])
    summary = next(x for x in md.splitlines() if x.startswith("| f |"))
    row = next(x for x in md.splitlines() if x.startswith("| denoise |"))
    shown = row.split(" | ")[5]
    assert shown == "+0.01235" and f": {shown} (not tested" in summary, (shown, summary)


def test_compare_prints_the_new_loss_rank_as_the_leaderboard_task_table_does(tmp_path):
    """Was: compare/<loss>.md gave the new loss's mean rank over the task's metrics as '2.33' where the
    leaderboard's task table (its `rank` column, the same number) and the rank heatmap print '2.3'."""
    from benchmark.compare import _summary
    from benchmark.export import task_rows
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr", "ssim", "lpips"), seeds=(0, 1),
                        n_images=6, budget_check=False,
                        offsets={"l1": 0.0, "good": {"psnr": 1.0, "ssim": -1.0, "lpips": 0.3}, "l2": 0.2})
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 20, "l1", ())
    st = S.compute(store.table(), n_boot=20)
    _, rows = task_rows(st, "denoise")
    rank = next(r.rank for r in rows if r.label == "good")
    line = next(x for x in text.splitlines() if x.startswith("**good**"))
    assert f"mean rank {rank:.1f} of 3 losses" in line, (line, rank)



def test_rank_heatmap_task_column_colour_follows_its_text_when_metrics_rank_different_losses():
    """Was: in a task whose lpips scored 2 of its 4 losses, l2 (2nd of 4 on psnr, 2nd of 2 on lpips) read '2.0' in
    the denoise column but was coloured as 3 of 4 (the mean of the per-metric ranks each scaled to its own count).
    Now a task column's colour is its text on the column's scale: 1 + (rank − 1)/(n − 1)·(k − 1)."""
    from benchmark import figures as F
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"good": 1.0, "l2": 0.5, "l1": 0.0, "bad": -0.7}, seeds=(0,),
                        metrics=("psnr", "lpips"), n_images=6, noise=0.01)
    t = t[~((t["metric"] == "lpips") & t["loss"].isin(["l1", "bad"]))].reset_index(drop=True)
    st = S.compute(t, n_boot=20)
    with F.style():
        fig = F.draw_rank_heatmap(st)
        ax = fig.axes[0]
        rows = [x.get_text().replace("\n", " ") for x in ax.get_yticklabels()]
        ticks = [x.get_text() for x in ax.get_xticklabels()]
        colour = np.asarray(ax.collections[0].get_array()).reshape(len(rows), len(ticks))
        text = {(int(x.get_position()[1]), int(x.get_position()[0])): x.get_text() for x in ax.texts}
        import matplotlib.pyplot as plt
        plt.close(fig)
    k = len(rows)
    j = next(i for i, c in enumerate(ticks) if c.startswith("denoise"))
    n = int(ticks[j].split("(")[1].rstrip(")")) if "(" in ticks[j] else k  # no count shown: the column ranks k
    for i, label in enumerate(rows):
        shown = float(text[(i, j)].rstrip("*"))
        assert colour[i, j] == pytest.approx(1 + (shown - 1) / (n - 1) * (k - 1), abs=0.06), (label, shown)
    assert text[(rows.index("l2"), j)].startswith("2.0")

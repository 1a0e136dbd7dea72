"""The Markdown, LaTeX and HTML exports say the same things: losses whose every run diverged or
failed, the task tables' columns and marks, "–" for what is not a number, the caveats of too few
runs, the Friedman summary, the gap of the runs worse than the input, plain ``<`` in Markdown,
fixed decimals per metric, asymmetric CIs, and a title that names no overridden profile."""

from __future__ import annotations

import re

import numpy as np
import pytest

from benchmark import export as E
from benchmark.stats import compute
from benchmark.synthetic import synthetic_runs, synthetic_table

FIVE = (0, 1, 2, 3, 4)


def _stats(seeds=(0, 1), tasks=("denoise",), offsets=None, metrics=("psnr", "ssim"), extra_metas=(), **kw):
    kw.setdefault("n_images", 8)
    table = synthetic_table(tasks=tasks, seeds=seeds, offsets=offsets, metrics=metrics, **kw)
    metas = [m for _, m, _ in synthetic_runs(tasks=tasks, seeds=seeds, offsets=offsets, metrics=metrics,
                                             budget_check=False, **kw)]
    return compute(table, metas + list(extra_metas), n_boot=50)


def _dead(task, loss, status, seeds):
    return [{"run_id": f"{task}-{loss}-{s}", "status": status, "ms_per_it": 9.0,
             "config": {"task": task, "loss": loss, "seed": s}} for s in seeds]


def _section(md: str, title: str) -> str:
    return md.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _html_table(page: str, task: str) -> str:
    return re.search(rf'<table class="sortable leaderboard" data-task="{task}">(.*?)</table>', page, re.S).group(1)


def _no_method(page: str) -> str:
    """The page without its Method tab (the docstrings) and scripts (``isNaN``)."""
    page = re.sub(r'<section class="tab" id="method">.*?</section>', "", page, flags=re.S)
    return re.sub(r"<script>.*?</script>", "", page, flags=re.S)


# -- 1. a loss whose every run diverged or failed --------------------------------------------------
@pytest.fixture(scope="module")
def lost():
    """l2 diverged in both runs on both tasks, ``broken`` failed on sr4 only (its only task), and
    ``flaky`` trained on denoise but diverged in both of its sr4 runs."""
    metas = (_dead("denoise", "l2", "diverged", (0, 1)) + _dead("sr4", "l2", "diverged", (0, 1))
             + _dead("sr4", "broken", "failed", (0,)) + _dead("sr4", "flaky", "diverged", (0, 1)))
    table = synthetic_table(tasks=("denoise", "sr4"), seeds=(0, 1), n_images=8, metrics=("psnr", "ssim"),
                            offsets={"l1": 0.0, "good": 1.0, "flaky": 0.5})
    table = table[~((table["loss"] == "flaky") & (table["task"] == "sr4"))]
    ok = [m for _, m, _ in synthetic_runs(tasks=("denoise", "sr4"), seeds=(0, 1), n_images=8,
                                          metrics=("psnr", "ssim"), offsets={"l1": 0.0, "good": 1.0, "flaky": 0.5},
                                          budget_check=False)
          if not (m.get("config", {}).get("loss") == "flaky" and m["config"]["task"] == "sr4")]
    return compute(table, ok + metas, n_boot=50)


def test_a_lost_weight_kind_beside_a_scored_one_of_the_same_loss_keeps_its_own_row():
    """Lost runs are matched by label: ``good [alexnet:random]`` diverging in every run beside a
    scored ``good`` was hidden (matched by the loss name ``good``)."""
    dead = [{**m, "weights": "alexnet:random(seed=0)"} for m in _dead("denoise", "good", "diverged", (0, 1))]
    stats = _stats(offsets={"l1": 0.0, "good": 1.0}, extra_metas=dead)
    u = E.unscored(stats)
    assert list(zip(u["label"], u["loss"], u["status"])) == [("good [alexnet:random]", "good", "diverged 2/2")]
    assert set(E.not_ranked(stats)) == {"good [alexnet:random]"}
    assert "| good [alexnet:random] | 0 | diverged 2/2 |" in _section(E.markdown(stats), "denoise")


def test_a_loss_whose_every_run_diverged_keeps_a_row_in_every_export(lost):
    u = E.unscored(lost).set_index(["task", "loss"])
    assert u.loc[("denoise", "l2"), "status"] == "diverged 2/2" and u.loc[("sr4", "broken"), "status"] == "failed 1/1"
    assert u.loc[("sr4", "flaky"), "status"] == "diverged 2/2" and ("denoise", "flaky") not in u.index
    assert set(E.not_ranked(lost)) == {"l2", "broken"}  # flaky has a rank, from denoise
    md = E.markdown(lost)
    denoise, sr4, overall = _section(md, "denoise"), _section(md, "sr4"), _section(md, "Overall ranking")
    assert "| l2 | 0 | diverged 2/2 | diverged 2/2 | – | 9.0 | 2 | – | – |" in denoise
    assert "| broken | 0 | failed 1/1 | failed 1/1 | – |" in sr4 and "| flaky | 0 | diverged 2/2 |" in sr4
    # scored losses first, the lost ones last and without a rank
    assert denoise.index("| l2 |") > max(denoise.index("| l1 |"), denoise.index("| good |"))
    assert "| l2 | not ranked |" in overall and "| broken | not ranked |" in overall
    assert "Not ranked — every run diverged or failed: l2 (denoise: diverged 2/2, sr4: diverged 2/2); " \
           "broken (sr4: failed 1/1)." in overall
    note = next(n for n in E.notes(lost) if n.startswith("No restoration to score"))
    assert "denoise/l2 (diverged 2/2)" in note and "sr4/broken (failed 1/1)" in note and "sr4/flaky" in note
    assert "not in the overall ranking: l2, broken" in note
    tex = E.latex(lost)
    assert r"l2 & 0 & diverged 2/2 & diverged 2/2 \\" in tex and "broken & 0 & failed 1/1" in tex
    # flaky is ranked on denoise only, so the table has its `common blocks` column (the caption names it):
    # the not-ranked row spans mean rank, SD, excl. circular, blocks and common blocks
    assert r"l2 & \multicolumn{5}{l}{not ranked: every run diverged or failed} & 4 \\" in tex
    # the headers on two lines (on one the table ran past article's 345 pt text width)
    assert r"Loss & Mean & SD & Excl.\ & Blocks & Common & Runs \\" + "\n" \
        + r" & rank & & circular & & blocks & \\" in tex
    assert "Not ranked --- every run diverged or failed" in tex
    page = E.html_report(lost, {})
    assert '<tr class="lost"><td>l2</td><td data-v="0">0</td><td class="lost" data-v="">diverged 2/2</td>' \
        in _html_table(page, "denoise")
    assert "failed 1/1" in _html_table(page, "sr4") and "Not ranked — every run diverged or failed" in page


def test_one_kind_of_loss_says_it_shortly():
    st = _stats(offsets={"l1": 0.0, "good": 1.0}, extra_metas=_dead("denoise", "l2", "diverged", (0, 1)))
    assert E.not_ranked_text(st) == "Not ranked — every run diverged: l2 (denoise 2/2)."
    assert "Not ranked — every run diverged: l2 (denoise 2/2)." in E.markdown(st)


def test_a_store_where_every_loss_diverged_still_has_tables():
    table = synthetic_table(tasks=("denoise",), seeds=(0,), n_images=4, metrics=("psnr",), offsets={})
    table = table[table["loss"] == "input"]
    st = compute(table, _dead("denoise", "l2", "diverged", (0, 1)), n_boot=20)
    md = E.markdown(st)
    assert "| l2 | 0 | diverged 2/2 |" in md and "Not ranked — every run diverged: l2 (denoise 2/2)." in md
    assert "diverged 2/2" in E.latex(st) and "diverged 2/2" in E.html_report(st, {})


# -- 2. the HTML task table has the Markdown table's columns and marks -----------------------------
def test_html_task_table_has_the_markdown_columns_and_marks():
    st = _stats(seeds=(0, 1, 2), offsets={"l1": 0.0, "blown": -4.0, "good": 1.0})
    md_rows = {r.split(" | ")[0].lstrip("| "): [c.strip() for c in r.strip("|").split("|")]
               for r in _section(E.markdown(st), "denoise").splitlines() if r.startswith("| ") and "---" not in r}
    md_head = md_rows.pop("loss")
    table = _html_table(E.html_report(st, {}), "denoise")
    head = [re.sub(r"<[^>]+>", "", h).replace("&lt;", "<") for h in re.findall(r"<th>(.*?)</th>", table)]
    assert head == md_head and head[1] == "seeds" and head[-2:] == ["unconv.", "< input"]
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1]):
        cells = [re.sub(r"<[^>]+>", "", td).replace("&nbsp;", " ").strip()
                 for td in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        assert len(cells) == len(head)
        label = cells[0].replace(f" {E.WORSE}", "")
        md = md_rows[label if label != "blown" else f"blown {E.WORSE}"]
        assert cells[1] == md[1] and cells[-5:] == md[-5:], (cells, md)  # seeds, rank … < input
    assert re.search(r'<td>blown <span class="worse"[^>]*>⚠</span></td><td data-v="3">3</td>', table)
    assert "3/3" in table and "0/3" in table


# -- 3. nothing that is not a number prints as one -----------------------------------------------
def test_non_finite_numbers_print_as_a_dash():
    st = _stats(seeds=(0,), offsets={"l1": 0.0, "good": 1.0, "bad": -0.5})
    st.cells.loc[st.cells.index[:3], ["ci_low", "ci_high"]] = [np.nan, np.inf]
    st.cells.loc[st.cells.index[3], "mean"] = np.inf
    st.ranks.loc[st.ranks.index[0], ["sd_rank", "mean_rank_noncircular"]] = [np.nan, np.inf]
    st.friedman = {**st.friedman, "p": float("nan"), "statistic": float("inf")}
    st.costs["ms_per_it"] = np.nan
    page = _no_method(E.html_report(st, {}))
    for text in (E.markdown(st), E.latex(st), page):
        assert not re.search(r"\b(nan|inf)\b", text, re.I), re.search(r".{60}\b(nan|inf)\b.{20}", text, re.I)
    assert "95% CI [–, –]" in page
    assert E._fmt(float("nan")) == E._fmt(None) == E._fmt(float("-inf"), ".2f") == "–"
    assert E.fmt_ci(np.nan, 1, 2) == ("–", "") and E.ci_spread(1.0, np.nan, 2.0, 2) == ()


# -- 4. LaTeX carries the caveats, the seeds and the marks; the same bold as Markdown ---------------
def test_latex_carries_the_caveats_seeds_and_marks_of_a_smoke_test():
    st = _stats(seeds=(0, 1), offsets={"l1": 0.0, "blown": -4.0, "good": 1.0})
    tex = E.latex(st)
    assert r"\textbf" not in tex.split(r"\begin{table}", 1)[1].replace(r"\textbf{Notes.}", "")  # nothing tested
    assert "Smoke test, not a ranking" in tex and "Too few runs for any verdict" in tex
    assert "Loss & Seeds & psnr" in tex and re.search(r"^blown \(!\) & 2 & ", tex, re.M)
    assert "(!): worse than the degraded input (psnr) in some runs: blown 2 of 2 runs" in tex
    caption = re.search(r"\\caption\{denoise: (.*?)\}\n", tex).group(1)
    assert "Bold:" not in caption and "not significantly different" not in caption
    # `-{}-`: under T1 (\usepackage[T1]{fontenc}) `\texttt{--seeds}` typesets an en dash, "–seeds"
    assert "Convergence not checked" in tex and r"\texttt{-{}-seeds 0 1 2 3 4}" in tex
    rank = tex.split(r"\begin{table}")[-1]
    assert r"\textbf" not in rank and "descriptive only" in rank


def test_latex_bolds_what_markdown_bolds_and_never_a_mean_rank():
    st = _stats(seeds=FIVE, offsets={"l1": 0.0, "l1_twin": 0.0, "good": 1.5}, n_images=12)
    md, tex = E.markdown(st), E.latex(st)
    md_bold = sorted(re.findall(r"\*\*([^*]+)\*\*", _section(md, "denoise")))
    tex_bold = sorted(re.findall(r"\\textbf\{([^}]+)\}", tex.split(r"\label{tab:denoise}")[1].split(r"\end{table}")[0]))
    assert md_bold and [b.replace(r"$\pm$", "±") for b in tex_bold] == md_bold
    assert "Bold: best and every loss not significantly worse than another" in tex
    rank = tex.split(r"\begin{table}")[-1]
    assert r"\textbf" not in rank and "nothing is bold" in rank
    assert "**" not in _section(md, "Overall ranking")


# -- 5. the Friedman line is no test where there are too few runs ----------------------------------
def test_friedman_summary_is_descriptive_with_too_few_runs():
    offsets = {"a": 0.0, "b": 0.5, "c": 1.0}
    few = _stats(seeds=(0, 1), tasks=("denoise", "sr4"), offsets=offsets, metrics=("psnr", "ssim", "lpips"))
    assert "cd" in few.friedman  # computed, but no test of the losses
    for text in (E.markdown(few), E.latex(few), E.html_report(few, {})):
        assert "descriptive only, not a test of the losses" in text
        assert "χ² =" not in text and r"$\chi$$^2$ =" not in text and "p = " not in text
    enough = _stats(seeds=FIVE, tasks=("denoise", "sr4"), offsets=offsets, metrics=("psnr", "ssim", "lpips"))
    assert "Friedman test over 6 complete (task, metric) blocks × 3 losses: χ² = " in E.markdown(enough)
    assert E.friedman_text(enough) in E.html_report(enough, {})


# -- 6. the gap of the runs below the input is theirs, not the mean of every run ---------------------
def test_worse_than_input_gap_is_that_of_the_runs_below_it():
    table = synthetic_table(tasks=("denoise",), seeds=(0, 1, 2), n_images=8, metrics=("psnr",),
                            offsets={"l1": 0.0, "wobbly": 0.0}, noise=0.01)
    # the input is 6 dB below l1; one of wobbly's three runs falls 10 dB: 4 dB below the input
    hit = (table["loss"] == "wobbly") & (table["seed"] == 0)
    table.loc[hit, "value"] -= 10.0
    st = compute(table, n_boot=20)
    w = st.worse.set_index("label").loc["wobbly"]
    assert w["worse"] == 1 and w["mean_gap"] > 0  # the mean over every run is above the input
    text = E.worse_text(st)
    gap = float(re.search(r"denoise/wobbly 1 of 3 runs \(([-+][\d.]+) dB in those runs\)", text).group(1))
    assert gap == pytest.approx(-4.0, abs=0.2)
    assert f"denoise/wobbly 1 of 3 runs ({gap:+.2f} dB in those runs)" in E.markdown(st)
    assert f"wobbly 1 of 3 runs ({gap:+.2f} dB in those runs)".replace("-", "$-$") in E.latex(st)  # a minus sign


# -- 7. Markdown keeps a plain "<"; only what could open a tag is escaped ---------------------------
def test_markdown_has_plain_less_than_and_escapes_only_tags():
    st = _stats(seeds=(0, 1), offsets={"l1": 0.0, "blown": -4.0})
    md = E.markdown(st)
    assert "&lt;" not in md and "&gt;" not in md and "&amp;" not in md
    assert "runs per loss, < 5)" in md and "`< input` column" in md and "| < input |" in md
    assert E.md_text("x < 5 and `< input`") == "x < 5 and `< input`"
    assert E.md_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert E.md_text("a</b> &amp; <!-- c -->") == "a&lt;/b&gt; &amp;amp; &lt;!-- c --&gt;"
    assert E.md_text("a|b `c|d`") == "a\\|b `c\\|d`" and E.md_text("a|b", cell=False) == "a|b"
    assert E.md_text("`<img>` <i>") == "`<img>` &lt;i&gt;"  # a code span is literal in Markdown


# -- 8. fixed decimals per metric column, in the task tables and per test set ------------------------
def test_decimals_are_fixed_per_metric_column_and_shared_by_the_per_test_set_table():
    table = synthetic_table(tasks=("denoise",), seeds=(0, 1, 2), n_images=10, metrics=("psnr", "ssim"),
                            offsets={"l1": 0.0, "good": 1.0, "bad": -0.5})
    table.loc[table.index % 2 == 0, "dataset"] = "other"
    st = compute(table, n_boot=50)
    md = _section(E.markdown(st), "denoise")
    rows = [r.strip("|").split("|") for r in md.splitlines() if r.startswith("| ") and "---" not in r][1:]
    for j, metric in ((2, "psnr"), (3, "ssim")):
        dec = E.metric_decimals(st, "denoise", metric)
        means = [re.match(r"\s*\**([-\d.]+)", r[j]).group(1) for r in rows]
        assert all(len(m.split(".")[1]) == dec if "." in m else dec == 0 for m in means), (metric, means)
    by = E.by_dataset_markdown(table, st)
    cells = [r.strip("|").split("|") for r in by.splitlines() if r.startswith("| ") and "---" not in r]
    head, body = cells[0], cells[1:]
    for j, h in enumerate(head[1:], start=1):
        dec = E.metric_decimals(st, "denoise", h.split()[0])
        assert {len(r[j].strip().split(".")[1]) for r in body} == {dec}, (h, [r[j] for r in body])
    assert E.column_decimals([25.0, 27.8349], [np.nan] * 2, [np.nan] * 2) == 2  # 4 significant digits of 27.83
    assert E.column_decimals([0.97, 0.9718], [0.95, 0.96], [0.99, 0.98]) == 3   # 2 significant digits of 0.01


# -- 9. no profile named in the title when its settings were overridden -----------------------------
def test_title_names_no_profile_whose_settings_were_overridden():
    cpu = {"net": "tiny", "iterations": 1600, "batch_size": 16, "crop": 48, "lr": 0.002}
    title = E.page_title(cpu, "standard", ["demosaic", "jpeg", "sr4"])
    assert "standard" not in title and title == ("plbench perceptual-loss benchmark — custom: demosaic, jpeg, sr4 — "
                                                 "net tiny, 1600 iterations, batch 16 × 48²")
    assert set(E.profile_overrides("standard", cpu)) == {"net", "iterations", "crop", "lr"}
    quick = {"net": "tiny", "iterations": 120, "batch_size": 8, "crop": 48, "lr": 0.002}
    assert E.page_title(quick, "quick", ["denoise"]).startswith("plbench perceptual-loss benchmark — quick profile")
    assert E.profile_overrides("no-such-profile", cpu) == []


# -- 10. an asymmetric CI is shown as [low, high], the same way everywhere --------------------------
def test_asymmetric_ci_is_shown_as_an_interval_in_every_export():
    assert E.ci_spread(27.2, 25.58, 30.26, 1) == ("iv", "25.6", "30.3")
    assert E.ci_spread(20.63, 20.33, 20.93, 2) == ("pm", "0.30")
    assert E.ci_spread(20.63, 20.32, 20.93, 2) == ("pm", "0.30")  # an end off by one rounding step
    st = _stats(seeds=(0, 1, 2), offsets={"l1": 0.0, "good": 1.0})
    c = st.cells
    sym = (c["metric"] == "ssim")
    c.loc[sym, "ci_low"], c.loc[sym, "ci_high"] = c.loc[sym, "mean"] - 0.02, c.loc[sym, "mean"] + 0.02
    at = c.index[(c["label"] == "good") & (c["metric"] == "psnr")][0]
    c.loc[at, ["mean", "ci_low", "ci_high"]] = [27.2, 25.58, 30.26]
    md, tex, page = E.markdown(st), E.latex(st), E.html_report(st, {})
    d = E.metric_decimals(st, "denoise", "psnr")
    cell = f"{27.2:.{d}f} [{25.58:.{d}f}, {30.26:.{d}f}]"
    assert cell in md and cell in tex and f"[{25.58:.{d}f}, {30.26:.{d}f}]" in page
    assert f"{27.2:.{d}f} ±" not in md
    # one form per column: psnr shows intervals in every row, the symmetric ssim column ± everywhere
    rows = [r.strip("|").split("|") for r in _section(md, "denoise").splitlines() if r.startswith("| ")][1:]
    assert len(rows) == 3 and all("[" in r[2] and "±" not in r[2] for r in rows)
    assert all("± 0.020" in r[3] for r in rows)
    assert tex.count(r"$\pm$ 0.020") == len(rows)


# -- 11. loss specs with * and _ are text in Markdown, and Greek letters are math in LaTeX -----------
SPEC = "0.5*l1 + 0.1*vgg(layers=relu1_2,relu2_2) + 0.01*style"


def test_markdown_never_reads_a_loss_spec_as_emphasis():
    markdown_it = pytest.importorskip("markdown_it")
    st = _stats(offsets={"l1": 0.0, SPEC: 0.3, "_private_": 0.1, "ms_ssim_l1": 0.2})
    md = E.markdown(st)
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<em>" not in html and "<strong>" not in html.replace("<strong>Bold</strong>", "")
    assert SPEC in html and "_private_" in html and "| ms_ssim_l1 |" in md  # intraword _ left as it is
    assert E.md_text("a\\*b") == "a\\\\\\*b" and E.md_text("`0.5*l1`") == "`0.5*l1`"


def test_latex_greek_letters_in_a_loss_name_are_math():
    st = _stats(offsets={"l1": 0.0, "perceptual_µ_ß_über(λ=0.5)": 0.3, "frequency_50%_&_more": 0.1})
    tex = E.latex(st)
    assert r"perceptual\_µ\_ß\_über($\lambda$=0.5)" in tex and r"frequency\_50\%\_\&\_more" in tex
    assert all(ord(ch) < 256 for ch in tex)  # Latin-1 only: what pdfLaTeX's UTF-8 input maps
    assert E._tex("ΣΑως") == r"$\Sigma$A$\omega$$\varsigma$"


def test_markdown_tables_right_align_numbers_and_every_row_has_the_header_s_cells():
    st = _stats(offsets={"l1": 0.0, SPEC: 0.3, "a|b": 0.1}, extra_metas=_dead("denoise", "l2", "diverged", (0, 1)))
    md = E.markdown(st)
    tables, cur = [], []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            tables, cur = tables + [cur], []
    assert len(tables) >= 2
    for t in tables:
        cells = [len(re.split(r"(?<!\\)\|", row)) for row in t]  # an escaped \| splits no cell
        assert len(set(cells)) == 1, t[0]
        delim = t[1].strip("|").split("|")
        assert delim[0] == "---" and all(d == "---:" for d in delim[1:])  # name left, numbers right


def test_latex_task_table_with_many_metrics_is_split_to_fit_the_text_width():
    """Twelve metrics with their CIs made one tabular about three text widths wide; the columns are
    split into parts that fit (the later ones captioned as continuations), each metric once."""
    from benchmark.synthetic import HIGHER

    st = _stats(metrics=tuple(HIGHER), offsets={"l1": 0.0, "l2": 0.2, "lpips": 0.5}, n_images=6)
    tex = E.latex(st)
    parts = [t for t in tex.split(r"\begin{table}")[1:] if r"\label{tab:denoise" in t]
    assert len(parts) >= 3
    assert r"\label{tab:denoise}" in parts[0] and all(r"continued from Table~\ref{tab:denoise}" in p for p in parts[1:])
    heads = [re.search(r"Loss & Seeds(.*?) \\\\", p).group(1) for p in parts]
    shown = [h.split(" $")[0] for head in heads for h in head.split(" & ")[1:]]
    assert sorted(shown) == sorted(E._tex(m) + E.metric_unit(m) for m in HIGHER)  # every metric, once (psnr in dB)
    for p in parts:
        body = [ln for ln in p.splitlines() if ln.endswith(r"\\") and not ln.startswith("Loss")]
        assert len(body) == 4  # input and the three losses in every part
        plain = [re.sub(r"\\[a-zA-Z]+|[{}$^]", "", ln) for ln in body]
        assert max(map(len, plain)) <= E.TEX_LINE

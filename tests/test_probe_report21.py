"""Probe of the published figures, tables and report (round 21): right-to-left loss names in the Markdown outputs
(leaderboard.md, findings.md, compare's summary) as GitHub renders them, and awkward stores."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest
import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports, scipy's and the config's: at collection)
import benchmark.findings  # noqa: F401
import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)
import benchmark.stats  # noqa: F401
from benchmark import figures as F
from benchmark.registry import FINDINGS
from benchmark.synthetic import synthetic_table

FINDINGS.names()  # the registry scanned at collection, not in a test's time
with F.style():  # matplotlib's fonts looked up at collection too
    pass

ARABIC, HEBREW = "خسارة_عربية", "עברית"
_OPEN, _CLOSE = "\u2066\u2067\u2068", "\u2069"


def _strong(ch: str) -> str | None:
    kind = unicodedata.bidirectional(ch)
    return "R" if kind in ("R", "AL") else "L" if kind == "L" else None


def _misplaced_numbers(text: str, auto: bool) -> list[str]:
    """Where the Unicode bidi algorithm (UAX #9, as a browser applies it) sets a number of ``text`` (one Markdown
    block or table cell) on the wrong side of the name before it: a digit whose last strong letter before it, outside
    isolates (an isolate is one neutral from outside), is right-to-left joins that right-to-left run (W2, W7, N1) and
    is drawn on its left; and with ``auto`` (GitHub's ``dir="auto"`` on a paragraph, list item, heading or quote: the
    first strong letter, an isolate's too, sets the block's direction) a block whose first strong letter is right to
    left is laid out right to left whole, each number before its name. Returns the context of each, [] when none."""
    bad = []
    first = next((s for c in text if (s := _strong(c))), None)
    if auto and first == "R":
        bad.append(f"block laid out right to left: {text[:60]!r}")
    depth, last = 0, "L"
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch == _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0:
            if (s := _strong(ch)) is not None:
                last = s
            elif ch.isdigit() and last == "R":
                bad.append(text[max(i - 25, 0):i + 10])
    return bad


def _markdown_misplaced(doc: str) -> list[str]:
    """:func:`_misplaced_numbers` of every block and table cell of a Markdown document, its markup as written (link
    targets and fenced code, which are not text drawn in a line, aside)."""
    bad, fenced = [], False
    for line in doc.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if fenced or line.startswith("```"):  # code as written, not a text block
            continue
        line = re.sub(r"\]\([^)\s]*\)", "]", line)  # a link's or image's target is not drawn
        if line.lstrip().startswith("|"):
            for cell in re.split(r"(?<!\\)\|", line):
                bad += _misplaced_numbers(cell, auto=False)
        else:
            bad += _misplaced_numbers(re.sub(r"^\s*(?:>\s*)*(?:#+\s+|[-*]\s+)?", "", line), auto=True)
    return bad


@pytest.mark.slow
def test_the_number_after_a_right_to_left_name_stays_on_its_right_in_the_markdown(tmp_path):
    """Was: leaderboard.md (and findings.md, compare's summary) wrote a right-to-left loss name as it is, so GitHub
    showed the Friedman note's "خسارة_عربية 3.07, l1 3.87" as "3.07 خسارة_عربية, l1 3.87" (a number after an Arabic
    word joins its right-to-left run): the rank read as the loss before it's, and a note starting with the name was
    set right to left whole (GitHub's dir="auto"). report.html and the figures isolated such names, the Markdown did
    not. Now every right-to-left run of their text is between the isolates U+2068 … U+2069 (GitHub strips <bdi>),
    a block starting with one begins with a LEFT-TO-RIGHT MARK, code spans keep their text and link targets theirs."""
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.2, ARABIC: 0.1, HEBREW: 0.3},
                        metrics=("psnr", "ssim"), seeds=range(5), n_images=6, seed=3)
    write_report(store, n_boot=20, formats=(), visual=False, html=False)
    board = (tmp_path / "r" / "leaderboard.md").read_text(encoding="utf-8")
    assert re.search(rf"\u2068{ARABIC}\u2069 [0-9.]+, l1 [0-9.]+", board), "the Friedman note's mean run ranks"
    assert board.count(ARABIC) == board.count(f"\u2068{ARABIC}\u2069") >= 3
    assert not _markdown_misplaced(board), _markdown_misplaced(board)


def test_isolating_a_markdown_document_keeps_code_link_targets_and_fences_as_written():
    """isolate_rtl_markdown (what leaderboard.md, findings.md and compare/<loss>.md are written through): a note
    starting with a right-to-left name is set left to right (LRM), a code span is isolated whole with its text as
    written (a command a reader copies), a link's target and a fenced block are untouched; idempotent."""
    from benchmark.docmarkup import isolate_rtl_markdown

    doc = (f"> {ARABIC}: 2 of 5 runs diverged\n- {HEBREW} 0.91, l1 0.90\n| {ARABIC} (v2) | 12.20 |\n"
           f"`plbench run --losses {ARABIC},l1` 3 runs\n![{ARABIC} 1](figures/{ARABIC}_1.png)\n```\n{ARABIC} 1\n```")
    assert _markdown_misplaced(doc)  # the checker sees the defect it guards against
    done = isolate_rtl_markdown(doc)
    assert not _markdown_misplaced(done), _markdown_misplaced(done)
    assert done.splitlines()[0] == f"> \u200e\u2068{ARABIC}\u2069: 2 of 5 runs diverged"
    assert f"\u2068`plbench run --losses {ARABIC},l1`\u2069 3 runs" in done  # the command copied as written
    assert f"(figures/{ARABIC}_1.png)" in done and done.endswith(f"```\n{ARABIC} 1\n```")
    assert isolate_rtl_markdown(done) == done and isolate_rtl_markdown("l1 12.2 `x`") == "l1 12.2 `x`"


def test_findings_md_and_compare_s_summary_isolate_a_right_to_left_name(tmp_path, monkeypatch):
    """Was: findings.md and compare/<loss>.md were written as composed: a right-to-left rival's effect or rank read
    on its wrong side on GitHub. Now both files are written through :func:`isolate_rtl_markdown`, as leaderboard.md;
    the summary printed on the terminal stays as composed (no invisible characters in a terminal)."""
    from benchmark.compare import write_keeping_edits
    from benchmark.findings import write as write_findings

    text = f"# Where `{ARABIC}` lands\n\n> {ARABIC} 0.91 vs l1 0.90\n"
    path = tmp_path / "compare" / "x.md"
    path.parent.mkdir()
    write_keeping_edits(path, text)
    assert not _markdown_misplaced(path.read_text(encoding="utf-8"))
    assert write_keeping_edits(path, text) is None  # written again as plbench wrote it: not taken for a hand edit
    monkeypatch.setattr(benchmark.findings, "to_markdown", lambda results, alpha=0.05, notes=(): text)
    out = write_findings([], tmp_path)
    assert not _markdown_misplaced(out["findings_md"].read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", [ARABIC, HEBREW])
def test_the_checker_passes_left_to_right_text_and_isolated_names(name):
    """The checker's own ground: a left-to-right line and an isolated name pass, a bare name before a number not."""
    assert not _markdown_misplaced("l1 12.20, l2 13.1\n| l1 | 12.2 |")
    assert not _markdown_misplaced(f"l1 \u2068{name}\u2069 12.20")
    assert _markdown_misplaced(f"l1 {name} 12.20")


def _all_nan_stats():
    """Stats of a grid where every score of one loss's finished runs is NaN (its metric could score none of them)."""
    import warnings

    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "nanloss": 0.1}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=6, seed=3, seed_sd=0.1)
    t.loc[t["loss"] == "nanloss", "value"] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute(t, n_boot=20)


def test_a_loss_with_no_finite_score_is_listed_as_not_ranked_in_the_overall_ranking():
    """Was: a loss whose runs all finished but whose every score was NaN (its metric could score none of its
    outputs) had a row of dashes in its task table and was simply missing from the overall ranking of leaderboard.md,
    report.html and leaderboard.tex: not ranked, not listed, no word there why (the 'Not ranked' row and note covered
    losses whose runs diverged or failed only). Now it is a 'not ranked' row with its cost, and the note under the
    ranking says why: no finite score."""
    from benchmark.export import html_report, latex, markdown, not_ranked, not_ranked_text

    stats = _all_nan_stats()
    assert "nanloss" not in set(stats.ranks["label"])
    assert "nanloss" in not_ranked(stats)
    text = not_ranked_text(stats)
    assert "nanloss (denoise)" in text and "no finite score" in text, text
    board = markdown(stats)
    ranking = board.split("## Overall ranking")[1].split("## denoise")[0]
    assert re.search(r"^\| nanloss \| not ranked \| – \|", ranking, re.M), ranking
    assert "no finite score" in ranking
    assert re.search(r"<td>nanloss</td><td data-v=\"\">not ranked</td>", html_report(stats, {}))
    assert re.search(r"nanloss & \\multicolumn\{\d\}\{l\}\{not ranked: no finite score\}", latex(stats))


def test_a_loss_with_no_score_in_its_task_comes_after_the_ranked_ones_in_its_task_table():
    """Was: a task table listed the losses by mean rank, then those ranked over fewer metrics (one not scored for
    them), but a loss with no rank at all (every score NaN) fell between the two: leaderboard.md's denoise table (and
    report.html's, leaderboard.tex's, the metrics figure's rows) read l1 (rank 3.8), nanloss (–), nodists (2.0), an
    unranked loss above a ranked one, while leaderboard.png listed it last. Now a loss with no rank in its task comes
    after every ranked one, the shorter-ranked included, in every task table and figure that takes their order."""
    import warnings

    from benchmark.export import markdown, task_frame
    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "nanloss": 0.1, "nodists": 0.3}, metrics=("psnr", "ssim",
                        "dists"), seeds=range(5), n_images=6, seed=3, seed_sd=0.1)
    t.loc[t["loss"] == "nanloss", "value"] = float("nan")
    t = t[~((t["loss"] == "nodists") & (t["metric"] == "dists"))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = compute(t, n_boot=20)
    order = task_frame(stats, "denoise")[2]
    assert order[0] == "input" and order[-2:] == ["nodists", "nanloss"], order
    table = markdown(stats).split("## denoise")[1]
    rows = [line.split(" | ")[0].lstrip("| ") for line in table.splitlines() if line.startswith("| ")][1:]
    assert rows == order, rows


def test_a_grid_of_one_seed_says_every_cell_rests_on_one_run_without_listing_every_loss():
    """Was: with one seed (a first look at a 32-loss grid, four tasks), leaderboard.md's 'One run per cell' note
    listed every loss of every task by name — 3,300 characters, the loss list four times over — before saying what
    it means. Now a task whose every loss has one run says 'every loss', and where that holds for every task the note
    says so in one clause; a task where only some cells rest on one run, or of a few losses (ONE_RUN_NAMED), still
    names them."""
    import warnings

    from benchmark.export import one_run_text
    from benchmark.stats import compute

    offsets = {f"loss{i:02d}_{'x' * 20}": 0.05 * i for i in range(12)}
    t = synthetic_table(tasks=("denoise", "sr4"), offsets=offsets, metrics=("psnr",), seeds=(0,), n_images=6, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = one_run_text(compute(t, n_boot=20))
        assert text.startswith("One run per cell in every task (every loss): the interval"), text
        assert "loss03" not in text and len(text) < 400, text
        more = synthetic_table(tasks=("sr4",), offsets={"loss00_" + "x" * 20: 0.0}, metrics=("psnr",), seeds=(1,),
                               n_images=6, seed=3)  # a second run of one loss in sr4
        text = one_run_text(compute(pd.concat([t, more[more["loss"] != "input"]]), n_boot=20))
        single = one_run_text(compute(t[t["task"] == "denoise"], n_boot=20))
    # all of sr4's losses but the one trained twice rest on one run: that one is named (tests/test_review_stats21.py)
    assert text.startswith(f"One run per cell in denoise (every loss); sr4 (every loss but loss00_{'x' * 20}): "), text
    assert "loss01_" not in text, text
    assert single.startswith("One run per cell in denoise (every loss): "), single
    few = one_run_text(compute(t[t["loss"].isin(["input", "loss00_" + "x" * 20, "loss01_" + "x" * 20])], n_boot=20))
    assert few.startswith(f"One run per cell in denoise (loss00_{'x' * 20}, loss01_{'x' * 20}); sr4 (loss00_"), few


def test_no_critical_difference_summary_says_what_each_count_it_has_is():
    """Was: leaderboard.md under a grid of one loss read "No critical-difference summary: needs ≥3 losses and ≥2
    complete (task, metric) blocks; have 1 and 3." — which count is which left to the reader. Now each count names
    what it counts, in its number: "have 1 loss and 3 blocks"."""
    import warnings

    from benchmark.export import friedman_text
    from benchmark.stats import compute

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = compute(synthetic_table(offsets={"l1": 0.0}, metrics=("psnr", "ssim", "lpips"), seeds=(0, 1),
                                      n_images=4, seed=3), n_boot=10)
        two = compute(synthetic_table(offsets={"l1": 0.0, "l2": 0.1}, metrics=("psnr",), seeds=(0, 1), n_images=4,
                                      seed=3), n_boot=10)
    assert friedman_text(one).endswith("; have 1 loss and 3 blocks."), friedman_text(one)
    assert friedman_text(two).endswith("; have 2 losses and 1 block."), friedman_text(two)


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


@pytest.mark.parametrize("seeds", [(0,), (0, 1)])
def test_a_figure_s_bars_of_a_one_run_cell_say_they_are_the_images_spread_alone(seeds):
    """Was: with one seed the perception–distortion plane's key read "bars: 95% CI" and the metric points' figure
    said nothing of its bars, though a one-run cell's interval is the image-to-image spread alone (no second run to
    estimate the run-to-run spread from) — narrower than the uncertainty over training seeds; leaderboard.md said so
    ('One run per cell'), the figures, which a paper shows alone, did not. Now both keys say it where a shown cell
    rests on one run, and only there."""
    import warnings

    import matplotlib.pyplot as plt

    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "vgg": 0.5}, metrics=("psnr", "lpips"), seeds=seeds, n_images=6,
                        seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = compute(t, n_boot=20)
        with F.style():
            pd_fig = F.draw_pd_plane(stats)
            mp_fig = F.draw_metric_points(stats, "denoise")
    texts = _legend_texts(pd_fig) + _legend_texts(mp_fig)
    plt.close(pd_fig)
    plt.close(mp_fig)
    said = [x for x in texts if "images alone" in x]
    if len(seeds) == 1:
        assert "bars: 95% CI (one run: over images alone)" in texts, texts
        assert len(said) == 2, texts
    else:
        assert not said and "bars: 95% CI" in texts, texts

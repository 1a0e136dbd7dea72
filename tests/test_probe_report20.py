"""Probe of the published figures, tables and report (round 20): compare's before → after verdict lines, the metric
axis at many long names, and awkward stores (many losses, long or right-to-left names, ties, NaN scores)."""

from __future__ import annotations

import warnings

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


def test_a_changed_verdict_names_its_fragility_on_both_sides():
    """Was: compare's "Findings this comparison changed" wrote ", fragile" only where the verdict word stayed the same:
    a published "reproduced" resting on one seed's runs that the new loss made inconclusive read "reproduced →
    inconclusive", and the other way "inconclusive → reproduced (…)", where findings.md says the verdict is fragile.
    Now each side is the finding's verdict_label, changed or not."""
    from benchmark.findings import check_all, verdicts_changed

    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.15, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05,
                        weights={loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before, after = (check_all(x, ["delbracio2021_pdl"], n_boot=20) for x in (t[t["loss"] != "mine"], t))
    (old,), (new,) = before, after
    assert (old.verdict, old.fragile, new.verdict, new.fragile) == ("reproduced", True, "inconclusive", False)
    assert old.verdict_label == "reproduced, fragile" and new.verdict_label == "inconclusive"
    assert verdicts_changed(before, after) == [f"delbracio2021_pdl: reproduced, fragile → inconclusive "
                                               f"({new.verdict_text})"]
    assert verdicts_changed(after, before) == [f"delbracio2021_pdl: inconclusive → reproduced, fragile "
                                               f"({old.verdict_text})"]


def test_a_column_where_every_loss_ties_shows_no_interval_of_float_noise():
    """Was: a metric on which every restored image of every loss scores the same (a saturated metric, 0.9 throughout)
    got CIs of float noise, [0.8999999999999997, 0.9000000000000004]: the column took six decimals for that ±4e-16 and
    the leaderboard printed "0.900000 [0.900000, 0.900000]" in every row (the input's "0.654692" beside them), as
    summary.csv kept the noise. Now a CI narrower than the values' rounding is no CI (its ends the mean), as the pair
    tests' no-spread rule has it: the column has the decimals of its real intervals."""
    from benchmark.export import markdown, metric_decimals
    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "ssim": -0.2}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=6, seed=3, seed_sd=0.1)
    t.loc[(t["metric"] == "ssim") & (t["loss"] != "input"), "value"] = 0.9
    stats = compute(t, n_boot=20)
    c = stats.cells[(stats.cells["metric"] == "ssim") & (stats.cells["label"] != "input")]
    assert (c["ci_low"] == c["mean"]).all() and (c["ci_high"] == c["mean"]).all(), c[["mean", "ci_low", "ci_high"]]
    assert metric_decimals(stats, "denoise", "ssim") == 3
    md = markdown(stats)
    assert "0.900000" not in md and "| 0.900 " in md.replace("**", ""), md


def test_a_loss_with_no_finite_score_adds_no_zero_to_the_test_images_counted():
    """Was: one loss whose every psnr was NaN (a metric that failed on its runs) made the Friedman note and the CD
    diagram's caption read "on these 0–6 test images": its cell of no score counted as one of 0 images, though that
    loss is left out of both. Now a cell with no scored image counts no images: "on these 6 test images"."""
    from benchmark.export import friedman_text, images_of
    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "ssim": -0.2, "bad": 0.1}, metrics=("psnr", "ssim"),
                        seeds=range(5), n_images=6, seed=3, seed_sd=0.1)
    t.loc[(t["metric"] == "psnr") & (t["loss"] == "bad"), "value"] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = compute(t, n_boot=20)
    assert images_of(stats) == " 6"
    assert "0–6" not in friedman_text(stats) and "the 6 test images" in friedman_text(stats)


ARABIC = "خسارة_عربية"


def test_a_right_to_left_loss_name_keeps_what_follows_it_on_its_right(tmp_path):
    """Was: a plugin loss named in Arabic ('خسارة_عربية') was drawn with its rank before it in the CD diagram,
    "(12.20) خسارة_عربية" beside "loss18 (12.33)": a text whose first letter is right-to-left is laid out right to
    left as a whole (the Unicode bidi rule matplotlib follows), so its rank, a legend's or a row's "(1 diverged)" or
    "⚠" landed on its left. Now every text a saved figure draws has each right-to-left run isolated (U+2068 … U+2069),
    so the figure's left-to-right layout places what follows it on its right; tick labels too, which are set from
    their formatter at each draw."""
    import numpy as np

    assert F.isolate_rtl(f"{ARABIC} (12.20)") == f"\u2068{ARABIC}\u2069 (12.20)"
    assert F.isolate_rtl(f"l1 + 0.5*{ARABIC} ⚠\n(1 diverged)") == f"l1 + 0.5*\u2068{ARABIC}\u2069 ⚠\n(1 diverged)"
    assert F.isolate_rtl("خسارة2 (v2)") == "\u2068خسارة\u20692 (v2)"
    assert F.isolate_rtl("loss18 (12.33)") == "loss18 (12.33)"
    assert F.isolate_rtl(F.isolate_rtl(ARABIC)) == F.isolate_rtl(ARABIC)
    with F.style() as plt:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot(np.arange(3))
        ax.set_yticks([0, 1], [f"{ARABIC} ⚠", "l1"])
        ax.text(0, 0, f"{ARABIC} (12.20)")
        fig.clear = lambda: None  # kept to read back what save drew
        F.save(fig, tmp_path / "x", formats=("png",))
        drawn = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if ARABIC in t.get_text()]
        plt.close(fig)
    assert set(drawn) == {f"\u2068{ARABIC}\u2069 ⚠", f"\u2068{ARABIC}\u2069 (12.20)"}, drawn


def test_report_html_keeps_a_right_to_left_name_before_its_number():
    """Was: report.html's Friedman note listed "loss19 10.87, خسارة_عربية 12.20, loss18 12.33", which a browser
    shows as "12.20 خسارة_عربية" (a number after an Arabic word joins its right-to-left run): the rank read as the
    previous loss's. Now every right-to-left run of the page's text is in a <bdi> element (not in the page's title,
    styles or scripts, and no invisible character for a reader copying the name)."""
    import re

    from benchmark.export import html_report
    from benchmark.stats import compute

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, ARABIC: 0.1}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=6, seed=3, seed_sd=0.1)
    page = html_report(compute(t, n_boot=20), {}, title=f"grid {ARABIC}")
    assert f"<title>grid {ARABIC}</title>" in page and "\u2068" not in page
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>|<title>.*?</title>", "", page, flags=re.S)
    assert text.count(ARABIC) == text.count(f"<bdi>{ARABIC}</bdi>") > 3, text.count(ARABIC)
    assert re.search(rf"<bdi>{ARABIC}</bdi> [0-9.]+", text)


#: the page's width and its widest content, and the overall ranking table's right edge, written into the body
def _fit_in_chromium(tmp_path, html: str, script: str, tab: str = "") -> list[int]:
    """report.html ``html`` with ``script`` (which writes its measures into body's ``data-fit``) opened in headless
    chromium in a 1280 × 900 window (at ``tab``, e.g. "#findings"): the measures, as ints."""
    import re

    from conftest import needs
    from test_report_html import CHROMIUM, dump_dom

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", script + "</body>"))
    dom, _ = dump_dom(page, tmp_path, tab, window="1280,900")
    return list(map(int, re.search(r'data-fit="([\d,]+)"', dom).group(1).split(",")))


OVERVIEW_FIT = """<script>(function(){var t=document.querySelector('section.tab.active table.ranks');
var d=document.documentElement;document.body.setAttribute('data-fit',[Math.ceil(t.getBoundingClientRect().right),
d.clientWidth,d.scrollWidth].join(','));})();</script>"""


@pytest.mark.slow
def test_the_overall_ranking_fits_the_page_beside_a_60_character_loss_name(tmp_path):
    """Was: report.html's overall ranking table set each loss name on one line and sat in no scroll box, as the task
    tables do: a 60-character spec ('l1 + 0.01*ms_ssim + 0.001*vgg(layers=…)') made it 1342 px wide, past a 1280 px
    window, its 'diverged' and 'failed' columns off the page, which scrolled sideways as a whole. Now its names wrap
    (at 16em, as the task tables' do) inside a scroll box: the table ends on the page, the page is as wide as the
    window."""
    from benchmark.export import html_report
    from benchmark.stats import compute

    long = "l1 + 0.01*ms_ssim + 0.001*vgg(layers=('relu1_2','relu2_2'))"
    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, long: 0.1}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=6, seed=3, seed_sd=0.1)
    right, width, widest = _fit_in_chromium(tmp_path, html_report(compute(t, n_boot=20), {}), OVERVIEW_FIT)
    assert width == 1280 and right <= width and widest <= width, (right, width, widest)


FINDINGS_FIT = """<script>(function(){var t=document.querySelector('section.tab.active table.findings');
var d=document.documentElement;document.body.setAttribute('data-fit',[Math.ceil(t.getBoundingClientRect().right),
d.clientWidth,d.scrollWidth].join(','));})();</script>"""


@pytest.mark.slow
def test_the_findings_tab_fits_the_page_with_a_long_verdict(tmp_path):
    """Was: report.html's Findings table set each verdict sentence on one line: "inconclusive: no part significant
    (2 tested; closest sr4/lpips, p_holm = 0.061: ≈ 11 paired seeds per arm (5 now) would reproduce it …)" made the
    table some 2000 px wide, in no scroll box, the claim and source columns past a 1280 px window. Now the sentence
    wraps under its verdict badge (the badge itself kept whole) and the table sits in a scroll box."""
    from conftest import needs
    from test_report_html import CHROMIUM

    from benchmark.export import html_report
    from benchmark.findings import check_all
    from benchmark.findings import to_html as findings_html
    from benchmark.stats import compute

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    t = synthetic_table(tasks=("sr4",), offsets={"pdl": 0.15, "vgg": 0.0, "mine": -0.2}, metrics=("lpips",),
                        seeds=range(5), n_images=6, seed=39, seed_sd=0.1, noise=0.05,
                        weights={loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_all(t, ["delbracio2021_pdl"], n_boot=20)
        stats = compute(t, n_boot=20)
    assert len(results[0].verdict_text) > 150, results[0].verdict_text
    html = html_report(stats, {}, findings=findings_html(results))
    right, width, widest = _fit_in_chromium(tmp_path, html, FINDINGS_FIT, "#findings")
    assert width == 1280 and right <= width and widest <= width, (right, width, widest)


FINDINGS_BOX = """<script>(function(){var t=document.querySelector('section.tab.active table.findings');
document.body.setAttribute('data-fit',[t.scrollWidth,t.parentElement.clientWidth].join(','));})();</script>"""


@pytest.mark.slow
def test_the_findings_table_needs_no_sideways_scrolling_at_1280_px(tmp_path):
    """Was: with every registered finding checked (its setting column shown, long citations), the Findings table in
    its scroll box was wider than a 1280 px window: its parts tally ("2/12 reproduced, 0 contradicted, 6 out of
    regime (4 circular not counted)") on one line, the wrapping columns squeezed to a word a line, its source column
    off to the right. Now the tally wraps too and every wrapping column keeps 9em: the table fits its box."""
    from conftest import needs
    from test_report_html import CHROMIUM

    from benchmark.export import html_report
    from benchmark.findings import check_all
    from benchmark.findings import to_html as findings_html
    from benchmark.stats import compute

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    t = synthetic_table(tasks=("sr4", "denoise"), metrics=("lpips", "psnr", "ssim"), seeds=range(5), n_images=6,
                        offsets={"pdl": 0.15, "vgg": 0.0, "mine": -0.2, "l1": 0, "l2": 0.1, "lpips": 0.2}, seed=39,
                        seed_sd=0.1, noise=0.05,
                        weights={loss: "vgg16:imagenet" for loss in ("pdl", "vgg", "mine", "lpips")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results, stats = check_all(t, n_boot=20), compute(t, n_boot=20)
    html = html_report(stats, {}, findings=findings_html(results))
    table, box = _fit_in_chromium(tmp_path, html, FINDINGS_BOX, "#findings")
    assert table <= box, (table, box)


def test_two_right_to_left_names_in_a_list_keep_their_order():
    """Was: isolate_rtl took 'خسارة_عربية, עברית' (two plugin losses listed in a note) as one right-to-left run, set
    right to left as a whole: the second name drawn first, left of the first. A loss name is an identifier (letters,
    digits, '_'), so a run is one name now: each is isolated on its own, the list in its written order."""
    from benchmark.docmarkup import bdi_html, isolate_rtl

    hebrew = "עברית"
    assert isolate_rtl(f"{ARABIC}, {hebrew}") == f"\u2068{ARABIC}\u2069, \u2068{hebrew}\u2069"
    assert isolate_rtl(f"l1 + 0.5*{ARABIC} + {hebrew}") == f"l1 + 0.5*\u2068{ARABIC}\u2069 + \u2068{hebrew}\u2069"
    assert bdi_html(f"<p>{ARABIC}; {hebrew} 0.9</p>") == f"<p><bdi>{ARABIC}</bdi>; <bdi>{hebrew}</bdi> 0.9</p>"

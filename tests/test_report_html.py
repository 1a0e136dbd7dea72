"""The self-contained HTML report opens in headless Chromium with its tables, figures and no script error."""

from __future__ import annotations

import re
import shutil
import subprocess

from benchmark.report import write_report
from benchmark.synthetic import write_store

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if shutil.os.path.exists("/usr/bin/chromium") else None)


def dump_dom(page, tmp_path, fragment: str = "", window: str = "") -> tuple[str, str]:
    """``page`` (an HTML file) opened in headless Chromium at ``fragment`` (e.g. "#findings"), in a window of
    ``window`` pixels ("1280,900", scrollbars hidden) where one is given: the DOM its scripts leave, and its log."""
    profile = tmp_path / "chromium-profile"
    size = ["--hide-scrollbars", f"--window-size={window}"] if window else []
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *size,
           "--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri() + fragment]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_html_report_renders_in_chromium(tmp_path):
    from conftest import needs

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    store = write_store(tmp_path / "folder-name", tasks=("denoise", "sr4"),
                        offsets={"l1": 0.0, "good": 1.0, "ssim": 0.2}, n_images=12)
    page = write_report(store, n_boot=200, formats=("png",))["html"]
    html = page.read_text()
    # the title names the benchmark and what was run, not the folder
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title.startswith("plbench perceptual-loss benchmark") and "denoise, sr4" in title
    assert "folder-name" not in title
    assert "http://" not in html and "https://" not in html  # self-contained: nothing to fetch
    dom, log = dump_dom(page, tmp_path)
    assert 'data-ready="1"' in dom, "the page script did not run to the end"
    errors = re.search(r'<div id="js-errors"[^>]*>(.*?)</div>', dom, re.S)
    assert errors is not None and errors.group(1).strip() == "", errors.group(1) if errors else dom[:500]
    assert "Uncaught" not in log, log[-2000:]
    # overall ranking + one leaderboard per task + the findings summary
    assert dom.count('data-sortable-ready="1"') == 4
    assert len(re.findall(r'<table class="sortable leaderboard" data-task="(denoise|sr4)"', dom)) == 2
    assert dom.count('<tr class="input">') == 2
    imgs = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]{200,})"', dom)
    assert len(imgs) >= 6  # rank heatmap, CD, PD plane, curves, one metric plot per task
    assert re.search(r'<button data-tab="overview" class="active">', dom)
    assert re.search(r'<section class="tab active" id="overview">', dom)
    assert '<button data-tab="findings">Findings</button>' in dom and "zhao2017_l1_vs_l2" in dom
    dom, _ = dump_dom(page, tmp_path, "#findings")  # a link to the tab opens it
    assert re.search(r'<section class="tab active" id="findings">', dom)
    assert re.search(r'<button data-tab="findings" class="active">', dom)
    # the findings' shared setting is stated once above their table, not on every row
    findings = re.search(r'<section class="tab active" id="findings">(.*?)</section>', dom, re.S).group(1)
    assert findings.count("test synthetic (12 images)") == 1 and "findings-setting" in findings
    # task tabs are named by their task: report.html#sr4 opens the sr4 tab
    assert '<button data-tab="denoise">denoise</button>' in html and '<section class="tab" id="sr4">' in html
    dom, _ = dump_dom(page, tmp_path, "#sr4")
    assert re.search(r'<section class="tab active" id="sr4">', dom)
    assert re.search(r'<button data-tab="sr4" class="active">', dom)


def _stats(tmp_path, **kw):
    from benchmark.stats import compute

    store = write_store(tmp_path / "r", **kw)
    return compute(store.table(), store.metas(), n_boot=100)


def test_method_tab_renders_docstring_markup(tmp_path):
    """The Method tab shows the docstrings as HTML: no raw ``code``, **bold** or :class:`roles`."""
    from benchmark.export import html_report

    page = html_report(_stats(tmp_path, n_images=6), {}, findings="<p>f</p>")
    method = re.search(r'<section class="tab" id="method">(.*?)</section>', page, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", method)
    for raw in ("``", "**", ":class:", ":func:", ":data:", ":mod:", ":meth:", "\n* "):
        assert raw not in text, raw
    assert "<li><strong>Paired tests</strong>" in method and "<code>benchmark.runstats</code>" in method
    assert "<em>arms</em>" in method  # the findings docstring rides along when there are findings


def test_coverage_warnings_fold_into_one_line(tmp_path):
    from benchmark.export import html_report

    stats = _stats(tmp_path, n_images=6)
    stats.coverage = [f"`{m}` not scored in 6 of 6 runs (degraded-input scoring included): {m}.pth is not cached "
                      f"(expected at /very/long/path/{m}.pth)" for m in ("lpips", "dists", "niqe", "musiq")]
    page = html_report(stats, {})
    assert "Metric coverage: `" not in page and page.count("<details class=\"note coverage\">") == 1
    summary = re.search(r'<details class="note coverage"><summary>(.*?)</summary>', page).group(1)
    assert "\n" not in summary and "4 metrics" in summary and "lpips, dists, niqe, musiq" in summary
    assert "/very/long/path" not in summary and page.count("<li><code>") == 4  # the reasons, inside


def test_page_title_names_benchmark_profile_and_setting(tmp_path):
    from benchmark.export import page_title
    from benchmark.report import grid_profile

    setting = {"net": "tiny", "iterations": 120, "batch_size": 8, "crop": 48, "lr": 0.002}
    (tmp_path / "grids").mkdir()
    (tmp_path / "grids" / "20250101-000000.yaml").write_text("profile: standard\nnet: small\niterations: 120\n")
    (tmp_path / "grids" / "20250102-000000.yaml").write_text("profile: quick\nnet: tiny\niterations: 120\n"
                                                              "batch_size: 8\ncrop: 48\n")
    assert grid_profile(tmp_path, setting) == "quick" and grid_profile(tmp_path, {**setting, "net": "big"}) is None
    title = page_title(setting, "quick", ["denoise", "sr4"])
    assert title == ("plbench perceptual-loss benchmark — quick profile: denoise, sr4 — net tiny, 120 iterations, "
                     "batch 8 × 48²")


def test_task_tab_ids_come_from_task_names():
    from benchmark.export import task_tab_ids

    assert task_tab_ids(["denoise", "sr4", "jpeg q=10", "method"]) == {
        "denoise": "denoise", "sr4": "sr4", "jpeg q=10": "jpeg-q-10", "method": "task-method"}


FIT_PROBE = """<script>(function(){var t=document.querySelector('section.tab.active table.leaderboard');
var box=t.parentElement;document.body.setAttribute('data-fit',[Math.ceil(t.getBoundingClientRect().right),
document.documentElement.clientWidth,box.scrollWidth,box.clientWidth].join(','));})();</script>"""


def test_task_table_fits_1400px(tmp_path):
    """Twelve metrics and long loss labels (specs with their weights) fit a 1400 px wide window:
    the last column is on the page, and the table needs no horizontal scroll bar."""
    from conftest import needs

    from benchmark.export import html_report

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    metrics = ("psnr", "ssim", "ms_ssim", "lpips", "dists", "vsi", "fsim", "gmsd", "nlpd", "vif", "niqe", "musiq")
    stats = _stats(tmp_path, metrics=metrics, n_images=6,
                   offsets={"l1": 0.0, "good": 1.0, "ms_ssim_l1": 0.3, "contrastive_select": 0.1, "lpips_squeeze": -.3},
                   weights={"contrastive_select": "vgg16:random(seed=0)",
                            "lpips_squeeze": "squeezenet1_1:random(seed=0)+lpips:squeeze:v0.1"})
    page = tmp_path / "report.html"
    page.write_text(html_report(stats, {}).replace("</body>", FIT_PROBE + "</body>"))
    dom, _ = dump_dom(page, tmp_path, "#denoise", window="1400,900")
    right, width, scroll, box = map(int, re.search(r'data-fit="([\d,]+)"', dom).group(1).split(","))
    assert width == 1400 and right <= width, (right, width)
    assert scroll <= box, (scroll, box)

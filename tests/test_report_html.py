"""The self-contained HTML report opens in headless Chromium with its tables, figures and no script error."""

from __future__ import annotations

import re
import shutil
import subprocess

from benchmark.report import write_report
from benchmark.synthetic import write_store

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if shutil.os.path.exists("/usr/bin/chromium") else None)


def dump_dom(page, tmp_path, fragment: str = "") -> tuple[str, str]:
    profile = tmp_path / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri() + fragment]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_html_report_renders_in_chromium(tmp_path):
    from conftest import needs

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    store = write_store(tmp_path / "r", tasks=("denoise", "sr4"), offsets={"l1": 0.0, "good": 1.0, "ssim": 0.2},
                        n_images=12)
    page = write_report(store, n_boot=200, formats=("png",))["html"]
    html = page.read_text()
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

"""Published figures, tables and the report on awkward inputs (session 17)."""

from __future__ import annotations

import re

import pytest

from benchmark.synthetic import write_store


@pytest.fixture(scope="module")
def one_run_report(tmp_path_factory):
    """One task, one loss, one seed: a store a user gets from the README's smallest command."""
    from benchmark.report import write_report

    root = tmp_path_factory.mktemp("one")
    store = write_store(root, tasks=("denoise",), offsets={"l1": 0.0}, seeds=(0,), n_images=4,
                        metrics=("psnr", "lpips"))
    out = write_report(store, formats=(), visual=False, n_boot=50)
    return root, out


def test_counts_in_the_published_text_take_their_number(one_run_report):
    """Was: the leaderboard, its LaTeX and report.html read "1 run(s) per loss" and "1 of 1 runs not shown
    converged", and every other count of runs, cells, seeds or blocks "n run(s)": one helper,
    ``docmarkup.plural``, writes "1 run" / "2 runs" wherever a reader reads a count."""
    root, _ = one_run_report
    for name in ("leaderboard.md", "leaderboard.tex", "report.html"):
        text = re.sub(r"(?s)<script.*?</script>", "", (root / name).read_text())  # the page's code, not its text
        assert not re.search(r"\w\((s|es)\)", text), (name, re.findall(r".{40}\w\((?:s|es)\).{20}", text))
        assert not re.search(r"\b1 (runs|seeds|images|losses)\b", text), (name, re.findall(r".{40}\b1 runs.{20}", text))
        assert not re.search(r"\bof 1 runs\b", text), name
    md = (root / "leaderboard.md").read_text()
    assert "1 of 1 run not shown converged; 1 run per loss where a verdict needs ≥ 5" in md, md[:3000]
    from benchmark.docmarkup import plural

    assert (plural(1, "run"), plural(0, "run"), plural(2, "loss", "losses"), plural("1–3", "run")) == (
        "1 run", "0 runs", "2 losses", "1–3 runs")


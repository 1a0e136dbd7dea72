"""Published figures, tables and the report on awkward inputs (session 17)."""

from __future__ import annotations

import re

import pandas as pd
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


def _png(array) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def test_report_html_embeds_a_drawn_figure_in_a_third_of_the_bytes_and_a_photo_as_it_is(tmp_path):
    """Was: report.html embedded each figure's 200-dpi RGBA PNG as written: 7.9 MB for 60 losses × 5 tasks, an
    opaque figure's alpha channel and thousands of anti-aliasing shades included. It embeds the smallest of the
    file, its RGB copy and its 256-colour palette copy where that moves only a few edge pixels, none far (same
    pixel size); a photograph, which the palette would band, keeps every colour; a file with transparent pixels
    is embedded as it is. The files in figures/ are untouched."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    from benchmark.export import PALETTE_MAX_ERROR, PALETTE_SHARE, PALETTE_STEP, _img, html_png

    fig, ax = plt.subplots(figsize=(4, 3))
    for i in range(10):
        ax.plot(np.arange(20), np.sin(np.arange(20) / (i + 1)), marker="o", label=f"loss {i}")
    ax.legend(fontsize=6)
    ax.set_title("a drawn figure, anti-aliased")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200)
    plt.close(fig)
    raw = buf.getvalue()
    small = html_png(raw)
    was, now = (np.asarray(Image.open(io.BytesIO(x)).convert("RGB"), np.int16) for x in (raw, small))
    assert len(small) < 0.5 * len(raw), (len(small), len(raw))
    moved = np.abs(was - now).max(axis=2)
    assert was.shape == now.shape and moved.max() <= PALETTE_MAX_ERROR
    assert (moved > PALETTE_STEP).mean() <= PALETTE_SHARE
    path = tmp_path / "figure.png"
    path.write_bytes(raw)
    assert base64.b64encode(small).decode() in _img(path, "figure") and path.read_bytes() == raw

    photo = np.asarray(Image.open(io.BytesIO(_png(np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)))))
    kept = html_png(_png(photo))
    assert (np.asarray(Image.open(io.BytesIO(kept)).convert("RGB")) == photo).all()
    clear = np.dstack([photo, np.full(photo.shape[:2], 128, np.uint8)])
    assert html_png(_png(clear)) == _png(clear)


def test_cli_lines_count_in_their_number(tmp_path, capsys):
    """Was: `plbench check` said "1 temporary file(s) left by interrupted writes", `plbench weights` "1 file(s)
    missing", the executors "taking over 1 run(s)", "cancelling 1 job(s)", "1 of the 1 run(s) of this grid are
    in …": the CLI's lines take docmarkup.plural as the report's do, with the verb of their count."""
    import os

    from benchmark.cli import main

    store = write_store(tmp_path / "r", tasks=("denoise",), offsets={"l1": 0.0}, seeds=(0,), n_images=2,
                        metrics=("psnr",), budget_check=False)
    old = store.root / ".results.csv.ab12.tmp.csv"
    old.write_text("half")
    os.utime(old, (1e9, 1e9))
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "1 temporary file left by interrupted writes" in out, out
    assert not re.search(r"\w\((s|es)\)", out), out



KW = dict(tasks=("sr4",), metrics=("psnr", "ssim"), seeds=(0, 1, 2, 3, 4), offsets={"l1": 0.0, "vgg": 0.5}, n_images=4)


def _metrics_figure(stats) -> tuple[str, list[str]]:
    """metrics_sr4's title (one line) and its key's texts."""
    from benchmark.figures import draw_metric_points, style

    with style() as plt:
        fig = draw_metric_points(stats, "sr4")
        title = fig._suptitle.get_text().replace("\n", " ")
        keys = [t.get_text() for t in fig.legends[0].get_texts()]
        plt.close(fig)
    assert "sr4: mean and 95% CI per metric" in title, title
    return title, keys


def test_the_metrics_figure_says_it_is_a_smoke_test_as_the_other_ranking_figures_do():
    """Was: leaderboard.png, the rank heatmap, the CD diagram and the P–D plane opened with "Smoke test, not a
    ranking: 5 of 10 runs not shown converged", but metrics_<task>.png, whose filled and hollow points are the
    task's verdicts, said nothing: published alone it showed an unconverged grid as a ranking. It now opens with
    the same line."""
    from benchmark.settings import drop_budget_checks
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    t, checks = drop_budget_checks(synthetic_table(**KW, unconverged=("vgg",), budget_check=True))
    metas = [m for _, m, _ in synthetic_runs(**KW) if m.get("config", {}).get("iterations") == 150]
    title, _ = _metrics_figure(compute(t, metas, n_boot=20, checks=checks))
    assert title.startswith("Smoke test, not a ranking: 5 of 10 runs not shown converged"), title


def test_the_metrics_figure_says_too_few_runs_once_in_its_key():
    """Too few runs for any test: the key says "not tested: 2 runs per loss", and the title does not say it again."""
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    title, keys = _metrics_figure(compute(synthetic_table(**{**KW, "seeds": (0, 1)}), n_boot=20))
    assert "Smoke test" not in title and any("not tested: 2 runs per loss" in k for k in keys), (title, keys)


def test_data_lines_count_in_their_number(tmp_path):
    """Was: "image folder … holds no image file (1 other file(s); …)", "1 image(s) have transparent pixels", "1 file(s)
    hold several frames", "1 weight file(s) missing": the data, metric and weights lines take docmarkup.plural and
    the verb of their count too."""
    from benchmark.data import DataSpec, load_images
    from benchmark.errors import UserError

    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match=r"holds no image file \(1 other file; ") as e:
        load_images(DataSpec(str(tmp_path)))
    assert not re.search(r"\w\((s|es)\)", str(e.value)), e.value


def test_every_report_figure_is_written_as_png_whatever_the_formats(monkeypatch, tmp_path):
    """`--formats pdf` wrote figures/*.pdf alone (below, slow): each figure function of a report now gets PNG first,
    then the formats asked for; formats=() (tables only) draws none."""
    from benchmark import figures as F
    from benchmark import report as R

    assert F.report_formats(("pdf",)) == ("png", "pdf") and F.report_formats(("svg", "png")) == ("png", "svg")
    assert F.report_formats(()) == ()
    seen = []

    def record(*a, **k):
        seen.append(next(x for x in (*a, k.get("formats")) if isinstance(x, tuple)))
        return []

    for name in ("rank_heatmap", "cd_diagram", "pd_plane", "training_curves", "metric_points"):
        monkeypatch.setattr(F, name, record)
    monkeypatch.setattr(F, "stats_styles", lambda *a, **k: {})
    monkeypatch.setattr(F, "prune_figures", lambda *a, **k: [])

    class Stats:
        cells = pd.DataFrame({"task": ["denoise"]})

    R.make_figures(Stats(), None, [], tmp_path, ("pdf",), visual=False)
    assert seen == [("png", "pdf")] * 5, seen


@pytest.mark.slow
def test_a_report_in_pdf_only_still_shows_every_figure_in_its_html(tmp_path):
    """Was: `plbench report --formats pdf` (vector figures for a paper) wrote figures/*.pdf alone, so report.html,
    which embeds PNGs, showed the leaderboard figure and none of the others, and leaderboard.md linked PDFs, though
    --formats' help says "PNG is always written; it is what the HTML embeds". Every figure is written as PNG too
    (figures.report_formats), and the page shows each."""
    from benchmark.report import write_report

    store = write_store(tmp_path / "r", tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,), n_images=2,
                        metrics=("psnr",), budget_check=False)
    write_report(store, formats=("pdf",), visual=False, n_boot=10)
    figures = tmp_path / "r" / "figures"
    drawn = sorted(p.stem for p in figures.glob("*.pdf"))
    assert drawn and sorted(p.stem for p in figures.glob("*.png")) == drawn, sorted(p.name for p in figures.iterdir())
    page = (tmp_path / "r" / "report.html").read_text()
    assert page.count("<img ") == len(drawn) + 1, (page.count("<img "), drawn)  # + the leaderboard's

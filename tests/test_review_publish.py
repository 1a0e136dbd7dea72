"""Review of the publishable outputs' fixes (probe-publish): the same defects in the cases a user meets next."""

from __future__ import annotations

import re
import shutil

import pytest

from benchmark import stats as S
from benchmark.stats import INPUT
from benchmark.synthetic import synthetic_table


def test_tiny_loss_values_keep_their_digits_beside_a_larger_input():
    """The decimals of a column of tiny values (an error measure of near-perfect restorations, ~1e-7) were raised
    only where the column's *largest* value was tiny: the degraded input's error (~5e-4) is in the same column, so
    every loss still printed ``0.0000000 [0.0000000, 0.0000000]`` (leaderboard.md/.tex/.html) — the losses apart
    and their intervals gone. The smallest value's digits count too."""
    from benchmark.export import markdown

    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=4, metrics=("psnr", "lpips"))
    lp = t["metric"] == "lpips"
    t.loc[lp & (t["loss"] != INPUT), "value"] *= 1e-7
    t.loc[lp & (t["loss"] == INPUT), "value"] *= 1e-3
    st = S.compute(t, n_boot=10)
    table = markdown(st).split("## denoise", 1)[1]
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[3] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| loss")}
    c = st.cells[st.cells["metric"] == "lpips"].set_index("label")
    for label, cell in rows.items():
        if "±" in cell:
            mean, h = (float(v) for v in cell.split("±"))
            lo, hi = mean - h, mean + h
        else:
            mean, lo, hi = (float(v) for v in cell.replace("[", " ").replace("]", " ").replace(",", " ").split())
        assert abs(mean - c.loc[label, "mean"]) <= 0.05 * c.loc[label, "mean"], (label, cell)
        assert lo < hi, (label, cell)  # the interval shows


def _overfull(tex: str, tmp_path, enc: str = "T1") -> list[str]:
    """pdfLaTeX's overfull boxes (wider than article's default 345 pt text width) of ``leaderboard.tex``."""
    import subprocess

    doc = (f"\\documentclass{{article}}\n\\usepackage[{enc}]{{fontenc}}\n\\usepackage{{booktabs,amssymb}}\n"
           f"\\begin{{document}}\n{tex}\n\\end{{document}}\n")
    (tmp_path / "lb.tex").write_text(doc, encoding="utf-8")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "lb.tex"], cwd=tmp_path,
                   capture_output=True, timeout=120)
    log = (tmp_path / "lb.log").read_text(encoding="utf-8", errors="replace")
    assert "Output written" in log, log[-2000:]
    return re.findall(r"Overfull \\hbox \([\d.]+pt too wide\).*", log)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_latex_tables_fit_the_default_article_text_width(tmp_path):
    """``leaderboard.tex``'s tables were sized for a 6.5 in text width (``TEX_LINE`` = 100 characters): in
    LaTeX's default ``article`` (345 pt) a task table of two ``mean [low, high]`` columns and a long spec ran
    22–27 pt into the margin, six metrics of a 30-character name 78 pt, and the overall ranking (its
    one-line ``Mean rank``, ``Excl. circular`` and ``Common blocks`` headers) 27–35 pt. Every table now fits."""
    from benchmark.export import latex

    long = {"contextual(layers=conv1_2+conv2_2+conv3_4,band_width=0.5)": 0.3,
            "l1 + 0.1*ssim + 0.01*lpips_vgg(layers=[relu1_2,relu2_2,relu3_3])": 0.5}
    six = ("psnr", "ssim", "lpips", "dists", "niqe", "musiq")
    cases = [(six, long, (0, 1, 2)), (six, {"a_rather_long_loss_name_here_x": 0.2}, (0, 1, 2, 3, 4)),
             (six + ("brisque", "ms_ssim"), {"a_rather_long_loss_name_here_x": 0.2}, (0, 1, 2))]
    body = []
    for k, (metrics, extra, seeds) in enumerate(cases):
        t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, "bad": -0.7, **extra}, seeds=seeds, n_images=6,
                            metrics=metrics, seed=k)
        body.append(latex(S.compute(t, n_boot=20)).replace("tab:", f"tab{k}:"))
    # a loss ranked on one task of two: the ranking's `Common blocks` column
    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, **long}, tasks=("denoise", "deblur"), seeds=(0, 1, 2),
                        n_images=6, metrics=("psnr", "lpips"))
    tex = latex(S.compute(t[~((t["task"] == "deblur") & (t["loss"] == "good"))], n_boot=20))
    assert "Common" in tex.split(r"\caption{Mean rank")[1], tex
    body.append(tex.replace("tab:", "tab9:"))
    for enc in ("T1", "OT1"):
        assert _overfull("\n\\clearpage\n".join(body), tmp_path, enc) == [], enc


def test_pd_plane_names_each_off_scale_loss():
    """An off-scale loss was a triangle in its colour at the panel's edge with its value beside it, no name: the
    values of several are stacked apart from their triangles (which sit on one spot when the losses are off-scale
    the same way), and beyond 10 losses two losses share a colour — ``loss04: 8.61, 0.746`` and
    ``loss10: 7.47, 0.780`` read as two unnamed values by two like triangles. Each value now names its loss (as the
    input's reads ``input 20.58, 0.444``)."""
    import collections

    from benchmark import figures as F

    base = {f"loss{i:02d}": 0.1 * i for i in range(12)}
    t = synthetic_table(offsets=base, seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    by_colour = collections.defaultdict(list)
    for label, style in F.stats_styles(S.compute(t, n_boot=10)).items():
        by_colour[style.color].append(label)
    a, b = next(ls for ls in by_colour.values() if len(ls) > 1 and INPUT not in ls)[:2]
    t = synthetic_table(offsets={**base, a: -9.0, b: -9.5}, seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    with F.style():
        fig = F.draw_pd_plane(S.compute(t, n_boot=10))
    texts = [x.get_text() for x in fig.axes[0].texts]
    for label in (a, b):
        assert sum(x.startswith(f"{label}: ") for x in texts) == 1, (label, texts)
    # a named value is wider: it keeps clear of its neighbours, a side's text by the corner included
    from test_figure_layout import layout_problems

    long = "l1 + 0.1*ssim + 0.01*lpips_vgg(layers=[relu1_2,relu2_2,relu3_3])"
    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.2, "ssim": 0.1, long: {"lpips": -9.0}, "tiny": 0.3,
                                 "contextual(layers=conv1_2+conv2_2)": {"psnr": -9.0}},
                        seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    with F.style():
        fig = F.draw_pd_plane(S.compute(t, n_boot=10))
        texts = [x.get_text() for x in fig.axes[0].texts]
        assert any(x.startswith("l1 + 0.1*ssim") for x in texts) and any(x.startswith("contextual(") for x in texts)
        assert layout_problems(fig) == []


#: long names whose pieces between ``, ( [ +`` (the only break points) were wider than the 15 em cell: pdfLaTeX
#: ran them 32–91 pt into the Seeds column ("weights_v2+3": the name's last piece and the seeds on one line)
LONG_NAMES = ("custom_perceptual.py:MyVeryLongPerceptualLossName", "0.01*lpips_vgg_pretrained_weights_v2+l1",
              "pdl(backbone=vgg19_bn_imagenet_pretrained_v2)",
              "ssim(window_size=11,gaussian_sigma=1.5,k1=0.01,k2=0.03)")


def test_latex_long_name_breaks_within_its_cell_wherever_its_pieces_are_long():
    """``tex_label`` broke a long name only after ``, ( [ +``: ``backbone=vgg19_bn_imagenet_pretrained_v2)`` or a
    plugin's ``file.py:ClassName`` had no break point within the 15 em cell. It now also breaks after
    ``_ = * . : /`` and, in a run of letters still too long, before a capital or every 20 characters."""
    from test_probe_publish import _typeset

    from benchmark.export import tex_label

    for name in LONG_NAMES + ("l1", "tick`loss`--x'y" * 3):
        cell = tex_label(name)
        if len(name) <= 30:
            assert r"\allowbreak" not in cell
            continue
        body = cell.split(r"\raggedright ", 1)[1][:-1]
        pieces = [_typeset(p) for p in body.split(r"\allowbreak{}")]
        assert "".join(pieces) == name, (pieces, name)
        assert max(map(len, pieces)) <= 22, pieces


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_latex_long_names_fit_their_cells(tmp_path):
    """The names of :data:`LONG_NAMES` in ``leaderboard.tex``: no line of a cell runs past it (pdfLaTeX)."""
    from benchmark.export import latex

    t = synthetic_table(offsets={"l1": 0.0, **{n: 0.1 * i for i, n in enumerate(LONG_NAMES, 1)}}, seeds=(0, 1, 2),
                        n_images=4, metrics=("psnr", "ssim"))
    assert _overfull(latex(S.compute(t, n_boot=10)), tmp_path) == []


@pytest.mark.parametrize("psnr", [-2.0, 1.5])
def test_an_off_scale_value_by_the_panels_side_stays_within_the_panel(psnr):
    """A loss off-scale on perception only, whose distortion lies by the panel's left (or right) side: its named
    value was centred on its triangle and ran 10–26 px over the y tick labels (or out of the panel) — the quick
    profile's denoise panel printed ``lpips_squeeze…: 0.8897 ⚠`` across ``0.952``. It is now kept within."""
    from benchmark import figures as F

    t = synthetic_table(offsets={"l1": 0.0, "l2": 0.1, "ssim": 0.3, "vgg": -0.2,
                                 "lpips_squeeze_long_name": {"lpips": -9.0, "psnr": psnr}},
                        seeds=(0,), n_images=3, metrics=("psnr", "lpips"))
    with F.style():
        fig = F.draw_pd_plane(S.compute(t, n_boot=10))
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        box = ax.get_window_extent(renderer)
        value = next(x for x in ax.texts if x.get_text().startswith("lpips_squeeze"))
        assert ", " not in value.get_text().split(": ", 1)[1]  # off-scale on perception alone: by a side, not beyond
        extent = value.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, (extent, box)

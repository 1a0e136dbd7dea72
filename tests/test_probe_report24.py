"""Probe of the published figures, tables and report (round 24): long loss names in report.html's tables, as
Chromium lays them out."""

from __future__ import annotations

import re
import warnings

from benchmark import export
from benchmark.stats import compute
from benchmark.synthetic import synthetic_table

LONG = {"l1": 0.0, "pdl(layers=(conv1_1,conv2_1,conv3_1),resample=true)": 0.5,
        "contrastive_select(margin=0.2,distance='cosine',temperature=0.07)": 0.3,
        "0.84*ms_ssim + 0.16*l1 + 0.01*pdl(layers=('relu1_2','relu2_2','relu3_3','relu4_3'))": 0.2}

#: every first-column cell of the overall ranking and the task tables: the places its text wraps onto a new line
#: (a character whose box sits below the one before it), each as the two characters either side of the break
LINE_BREAKS = """<script>(function(){var out=[],n=0;
document.querySelectorAll('section.tab').forEach(function(s){s.style.display='block';});
document.querySelectorAll('table.ranks td:first-child, table.leaderboard td:first-child').forEach(function(td){
  var text=td.textContent,r=document.createRange(),w=document.createTreeWalker(td,NodeFilter.SHOW_TEXT),prev=null,
      last='';
  for(var node=w.nextNode();node;node=w.nextNode()){for(var i=0;i<node.length;i++){
    r.setStart(node,i);r.setEnd(node,i+1);var b=r.getBoundingClientRect(),ch=node.data[i];
    if(b.width===0&&b.height===0){continue;}
    if(prev!==null&&b.top>prev+2){n++;out.push(last+'|'+ch);}
    prev=b.top;last=ch;}}});
document.body.setAttribute('data-breaks',n+'\\u0001'+out.join('\\u0001'));})();</script>"""


def _line_breaks(tmp_path, html: str) -> tuple[int, list[str]]:
    """``html`` (report.html) opened in headless Chromium in a 1280 × 900 window, every tab shown: how many times
    the loss cells' names wrap, and each break as 'a|b' (the characters before and after it)."""
    from conftest import needs
    from test_report_html import CHROMIUM, dump_dom

    needs(CHROMIUM is not None, "chromium (Debian's package)")
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", LINE_BREAKS + "</body>"))
    dom, _ = dump_dom(page, tmp_path, window="1280,900")
    found = re.search(r'data-breaks="([^"]*)"', dom).group(1).split("\u0001")
    return int(found[0]), [b for b in found[1:] if b]


def test_report_html_wraps_a_long_loss_name_at_its_punctuation_not_inside_a_word(tmp_path):
    """Was: report.html's overall ranking and task tables set a loss name in a 16 em cell with
    ``overflow-wrap: break-word`` and a break point only after ``+`` and ``:`` (task tables) or none (the ranking),
    so Chromium broke a long spec wherever the line ran out — 'pdl(layers=(conv1_1,conv2_1,conv3_1),res' over
    'ample=true)', 'temperature' over '=0.07)', 'rel' over "u4_3'))" — beside a figure that breaks the same names
    after their commas and brackets. Now the cells break where leaderboard.tex does (after , ( [ + _ = * . : /,
    :func:`benchmark.export.name_pieces`): no line of a name ends between two letters or digits."""
    t = synthetic_table(offsets=LONG, metrics=("psnr", "ssim", "lpips"), seeds=range(5), n_images=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = compute(t, n_boot=20)
    n, breaks = _line_breaks(tmp_path, export.html_report(st, {}))
    assert n >= 6, (n, breaks)  # the long names do wrap, in both tables
    inside = [b for b in breaks if b[0].isalnum() and b[-1].isalnum()]
    assert inside == [], breaks


def test_name_pieces_are_the_break_points_leaderboard_tex_and_report_html_share():
    """The one rule of where a loss name may break: after , ( [ + _ = * . : / (not '.' or '_' before a digit:
    0.5, conv1_2 stay whole) and in a run of 20 characters without one; the pieces are the name, nothing dropped;
    report.html's cell and leaderboard.tex's parbox break at the same places."""
    name = "pdl(layers=(conv1_1,conv2_1,conv3_1),resample=true)"
    pieces = export.name_pieces(name)
    assert "".join(pieces) == name
    assert pieces == ["pdl(", "layers=", "(", "conv1_1,", "conv2_1,", "conv3_1),", "resample=", "true)"]
    assert export.html_name(name) == "<wbr>".join(pieces)
    assert export.html_name("a<b>_c") == "a&lt;b&gt;_<wbr>c"
    rtl = "\u062e\u0633\u0627\u0631\u0629_\u0639\u0631\u0628\u064a\u0629"  # one right-to-left name: one <bdi>
    assert export.html_name(f"my_loss+{rtl}") == f"my_<wbr>loss+<wbr>{rtl}"  # a break after + (round 25)
    assert export.tex_label(name).count(r"\allowbreak{}") == len(pieces) - 1
    assert all(len(p) <= export.TEX_PIECE for p in export.name_pieces("x" * 45))


def _pd_markers(fig) -> list[tuple[float, float, float]]:
    """(x, y, width) in pixels of every loss marker the P–D plane's panel draws (scatter points and half-filled
    markers; not the input's cross, the rings, the Pareto line or the off-scale triangles)."""
    import math

    from matplotlib.collections import PathCollection

    from benchmark.figures import CIRCULAR_GID, INPUT_GID, WORSE_GID

    ax = fig.axes[0]
    out = []
    for c in ax.collections:
        if isinstance(c, PathCollection) and c.get_gid() not in (INPUT_GID, WORSE_GID, CIRCULAR_GID):
            for (x, y), s in zip(c.get_offset_transform().transform(c.get_offsets()), c.get_sizes()):
                out.append((x, y, math.sqrt(s) * fig.dpi / 72))
    for line in ax.lines:
        if line.get_marker() not in (None, "None", "") and len(line.get_xydata()) == 1:
            (x, y), = line.get_transform().transform(line.get_xydata())
            out.append((x, y, line.get_markersize() * fig.dpi / 72))
    return out


def test_the_pd_plane_names_losses_whose_markers_it_draws_over_each_other():
    """Was: the P–D plane named 'Drawn on one spot' only the losses whose means print alike (good and good_twin,
    28.10 dB, 0.205); a third loss 0.002 away on lpips (the long pdl spec, 28.10, 0.203) was drawn on top of them,
    its diamond over their square and plus, so the caption named a spot by two losses a reader could not see, and
    the one they could see was not named there. Now every group of points drawn within half a marker of each other,
    as laid out, is named: 'Drawn over each other (means closer than a marker as drawn): good, good_twin, pdl(…)'."""
    import math

    import pandas as pd

    from benchmark import figures as F

    long = "pdl(layers=(conv1_1,conv2_1,conv3_1),resample=true)"
    t = synthetic_table(offsets={"l1": 0.0, "good": 1.0, long: 1.0, "bad": -0.7}, metrics=("psnr", "ssim", "lpips"),
                        seeds=range(5), n_images=6)
    twin = t[t["loss"] == "good"].assign(loss="good_twin")
    twin["run_id"] = twin["run_id"] + "t"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = compute(pd.concat([t, twin], ignore_index=True), n_boot=20)
    with F.style():
        fig = F.draw_pd_plane(st)
        fig.draw_without_rendering()
        marks = _pd_markers(fig)
        caption = fig.legends[-1].get_title().get_text().replace("\n", " ")
    # the geometry the caption must answer for: markers whose centres lie within half a marker of another's
    over = sum(1 for i, a in enumerate(marks) for b in marks[:i] if math.dist(a[:2], b[:2]) < max(a[2], b[2]) / 2)
    assert over >= 2, marks  # the long spec over good and good_twin (and they over each other)
    assert "Drawn on one spot (equal means as the tables print them): good, good_twin" in caption, caption
    assert "Drawn over each other" in caption and long in caption.replace(" ", ""), caption


def test_the_pd_plane_caption_tells_two_spots_of_one_task_from_two_tasks():
    """Was: the caption joined one task's spots by "; " as it joined tasks, so "sr4: charbonnier, l1;
    lpips, ms_ssim" (the quick profile's P–D plane) read as if "lpips, ms_ssim" were of another task. One task's
    spots are now apart by " / ", tasks by "; "."""
    from benchmark import figures as F
    from benchmark import stats as S
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.0, "good": 1.0, "good_twin": 1.0},
                        noise=0.0, seeds=(0, 1), n_images=3, metrics=("psnr", "lpips"))
    with F.style():
        fig = F.draw_pd_plane(S.compute(t, n_boot=10))
    caption = " ".join(fig.legends[0].get_title().get_text().split())
    spots = caption.split("Drawn on one spot (equal means as the tables print them): ")[1].split(" Drawn ")[0]
    per_task = [p.strip() for p in spots.split(";")]
    assert [p.split(":")[0] for p in per_task] == ["denoise", "sr4"], caption
    for p in per_task:
        assert sorted(g.strip() for g in p.split(":", 1)[1].split("/")) == ["good, good_twin", "l1, l2"], caption

"""Probe of the figures' leftovers (fb14): the leaderboard's parts after one was deleted by hand, the P–D plane's
key part's title."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (the CLI, matplotlib and seaborn through the figures' style): once
    for the file, not in the first test's time."""
    import benchmark.cli  # noqa: F401
    from benchmark import figures as F

    with F.style():
        pass


def _touch(*paths):
    for p in paths:
        p.write_bytes(b"x")


def test_parts_after_a_part_deleted_by_hand_are_still_the_reports_and_removed_by_the_next(tmp_path):
    """``leaderboard_parts`` stopped at the first missing number: a report wrote ``leaderboard.png`` … ``-5`` (PNG and
    PDF), the user deleted ``leaderboard-3.png``, and the next report, of 2 parts, neither named nor removed ``-4`` and
    ``-5``: stale parts beside the new ones. The report records the parts it wrote and the next removes them, a gap
    or not; a user's own ``leaderboard-2026.png`` and ``leaderboard-7.png`` (never written by a report) stay."""
    from benchmark import figures as F
    from benchmark.cli import leaderboard_line

    path = tmp_path / "leaderboard.png"
    written = [tmp_path / f"leaderboard{'' if i == 1 else f'-{i}'}.{fmt}"
               for i in range(1, 6) for fmt in ("png", "pdf")]
    mine = [tmp_path / "leaderboard-2026.png", tmp_path / "leaderboard-7.png", tmp_path / "leaderboard-9.pdf"]
    _touch(*written, *mine)
    F.remove_leaderboard(path, keep=written)  # what leaderboard_heatmap does once its 5 parts are saved
    (tmp_path / "leaderboard-3.png").unlink()
    assert [p.name for p in F.leaderboard_parts(path)] == ["leaderboard-2.png", "leaderboard-4.png",
                                                         "leaderboard-5.png"]
    line = leaderboard_line({"markdown": tmp_path / "leaderboard.md", "heatmap": path})
    assert "leaderboard-5.png (4 parts)" in line and "2026" not in line, line
    F.remove_leaderboard(path, keep=written[:4])  # the next report: 2 parts
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert left == sorted(["leaderboard.png", "leaderboard.pdf", "leaderboard-2.png", "leaderboard-2.pdf",
                           *(p.name for p in mine)]), left
    assert F.leaderboard_parts(path) == [tmp_path / "leaderboard-2.png"]
    F.remove_leaderboard(path, keep=written[:2])  # one figure: no parts, no record
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["leaderboard.png", "leaderboard.pdf",
                                                                 *(p.name for p in mine)])


@pytest.mark.slow
def test_the_key_part_of_a_pd_plane_is_titled_by_the_figures_name_not_its_first_title_line(monkeypatch):
    """The P–D plane's key, drawn apart where its legend takes it past a page, was titled with part 1's first title
    line and the part number glued after it: "Perception–distortion plane: perception = lpips ↓, distortion = psnr ↑
    (better: right and up) (part 2 of 2): key to the losses' markers and lines" (the training curves' likewise, after
    "(one seed per loss)"). It reads "<the figure's name>, part 2 of 2: key to the losses", one line at 7.2 in,
    without part 1's reading hints."""
    import sys

    from benchmark import figures as F

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from test_probe_figures14 import _long_field

    stats, metas = _long_field(n=14, tasks=("denoise",), metrics=("psnr", "lpips"))
    key = ": key to the losses"
    for draw, name in ((lambda: F.draw_pd_plane(stats),
                        "Perception–distortion plane (perception = lpips ↓, distortion = psnr ↑), part 2 of 2"),
                       (lambda: F.draw_training_curves(metas), "Training loss curves, part 2 of 2")):
        with F.style():
            fig = draw()
            monkeypatch.setattr(F, "PAGE_IN", fig.get_size_inches()[1] - 0.01)  # its legend takes it past the page
            parts = F.legend_apart(fig)
            assert len(parts) == 2
            title = parts[1].get_suptitle().replace("\n", " ")
            assert title == name + key, title
            assert "better" not in title and "seed" not in title
            for f in parts:
                f.clear()


def test_the_leaderboard_is_split_by_the_shared_fitting_parts_drawing_each_split_once(tmp_path, monkeypatch):
    """``leaderboard_heatmap`` had two fitting loops of its own beside :func:`benchmark.figures.fitting_parts`: its
    row split tried every part count from the first guess to one row a part, so where parts of 2 rows did not fit a
    task of 30 losses drew the same 15 parts again for each count from 15 to 29 (the page's rows counted
    ``ceil(30/k)``), ~15 redraws of a whole task. It splits through ``fitting_parts``, which draws a split once."""
    from types import SimpleNamespace

    from benchmark import figures as F

    losses = [f"loss_{i}" for i in range(30)]
    calls = []

    def fake_draw(boards, worse=None, order=None, part=None, lost=None, rows=None, partial=(), smoke=""):
        calls.append((part, tuple(rows or ())))
        n = len(rows) if rows is not None else len(losses) + 1
        h = 1.5 + 0.5 * n if part is None else 8 + 1.0 * n  # a part fits the 9-in page with one row only
        return SimpleNamespace(get_size_inches=lambda: (7.0, h), clear=lambda: None, plb_rows=1, plb_columns=1,
                               plb_panel_height=0.5 * n, plb_row_height=0.5)

    def fake_save(fig, base, formats=("png",)):
        p = F._as_format(base, "png")
        p.write_bytes(b"x")
        return [p]

    monkeypatch.setattr(F, "draw_leaderboard_heatmap", fake_draw)
    monkeypatch.setattr(F, "save", fake_save)
    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap({"denoise": None}, path, order=["input", *losses])
    assert len(F.leaderboard_parts(path)) + 1 == 30
    splits = [c for c in calls if c[0] is not None]
    assert len(splits) == len(set(splits)), f"{len(splits) - len(set(splits))} parts drawn again"


def test_a_report_prunes_the_figure_parts_it_wrote_not_a_users_numbered_copies_in_figures(tmp_path):
    """``prune_figures`` took every ``figures/`` file named like a figure for the report's: a user's dated copies
    ``rank_heatmap-2026.png`` and ``metrics_denoise-2026.png``, and ``visual_sr4-2.pdf`` (8be5019 kept it from
    ``_drawn``), were deleted by the next ``plbench report``. Numbered parts go where a report wrote them (recorded),
    or, in a folder without the record, where numbered on from 2 without a gap; the rest of the folder stays."""
    from benchmark import figures as F

    out = tmp_path / "figures"
    out.mkdir()
    first = [out / n for n in ("rank_heatmap.png", "rank_heatmap-2.png", "rank_heatmap-3.png", "metrics_denoise.png",
                               "metrics_denoise-2.png", "visual_sr4.png")]
    mine = [out / n for n in ("rank_heatmap-2026.png", "metrics_denoise-2026.png", "visual_sr4-2.pdf")]
    _touch(*first, *mine)
    F.prune_figures(out, first)  # a report of 60 losses: parts
    (out / "rank_heatmap-2.png").unlink()  # deleted by hand: -3 is still the report's
    assert F.prune_figures(out, first[:1] + first[3:4] + first[5:]) == [out / "metrics_denoise-2.png",
                                                                        out / "rank_heatmap-3.png"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        ["rank_heatmap.png", "metrics_denoise.png", "visual_sr4.png", *(p.name for p in mine)])
    # a folder an earlier version's report wrote (no record): its gapless parts go, a user's copy stays
    older = tmp_path / "older"
    older.mkdir()
    _touch(*(older / n for n in ("rank_heatmap.png", "rank_heatmap-2.png", "rank_heatmap-3.png",
                                 "rank_heatmap-2026.png", "visual_sr4-2.pdf")))
    F.prune_figures(older, [older / "rank_heatmap.png"])
    assert sorted(p.name for p in older.iterdir() if not p.name.startswith(".")) == [
        "rank_heatmap-2026.png", "rank_heatmap.png", "visual_sr4-2.pdf"]

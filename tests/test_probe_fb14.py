"""Probe of the figures' leftovers (fb14): the leaderboard's parts after one was deleted by hand, the P–D plane's
key part's title."""

from __future__ import annotations


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

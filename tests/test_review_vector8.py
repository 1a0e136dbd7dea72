"""Review of probe-vector8: leaderboard stale-part removal and the dry-run time cache."""

from __future__ import annotations


def test_stale_leaderboard_parts_never_include_a_users_own_files(tmp_path):
    """Only ``leaderboard-<n>.<fmt>`` (n ≥ 2, as written) is a part: a user's dated copy
    ``leaderboard-2026-12-01.pdf``, ``leaderboard-old-3.png`` or ``leaderboard-01.svg`` survives a report."""
    import numpy as np
    import pandas as pd

    import benchmark.figures as F

    boards = {"task0": pd.DataFrame({"psnr ↑": np.array([20.0, 22.0, 23.0])}, index=["input", "a", "b"])}
    mine = ["leaderboard-2026-12-01.pdf", "leaderboard-old-3.png", "leaderboard-01.svg", "leaderboard-1.png",
            "leaderboard-2026-12-01.png"]
    for name in mine:
        (tmp_path / name).write_bytes(b"mine")
    (tmp_path / "leaderboard-2.pdf").write_bytes(b"stale part")
    path = tmp_path / "leaderboard.png"
    F.leaderboard_heatmap(boards, path, formats=("png", "pdf"))
    assert all((tmp_path / n).read_bytes() == b"mine" for n in mine)
    assert not (tmp_path / "leaderboard-2.pdf").exists()
    assert F.leaderboard_parts(path) == []

"""Cross-area review of the 19th round's merged branches (final-rv)."""

from __future__ import annotations

import pytest


def test_api_run_names_the_python_listing_beside_the_command(tmp_path):
    """Was: api.run(tasks=['denoize']) from a notebook said "(`plbench list tasks` shows all)", a command, where
    every other line of api.run names the call (errors.again); a loss not found, "loaded with --loss-file FILE", a
    flag. Within api.run the line also names the Python listing and the keyword; the CLI's line is unchanged."""
    from benchmark import api
    from benchmark.errors import UserError, again_as
    from benchmark.registry import LOSSES, TASKS

    with pytest.raises(UserError) as got:
        api.run(tasks=["denoize"], losses=["l1"], seeds=[0], out=str(tmp_path / "r"), report=False)
    text = str(got.value)
    assert "\n" not in text and "`plbench list tasks`" in text and "benchmark.registry.TASKS.names()" in text, text
    with again_as("api"):
        mine = LOSSES.unknown_message("zzzqqq_mine")
    assert "loss_files=[FILE]" in mine and "--loss-file" not in mine and "LOSSES.names()" in mine, mine
    assert TASKS.unknown_message("denoize").endswith("(`plbench list tasks` shows all)")
    assert "--loss-file FILE" in LOSSES.unknown_message("zzzqqq_mine")

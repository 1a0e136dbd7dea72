"""Mends of repeated work and duplicated helpers (session 20, mstore): the claim file of a warning said once per
machine and grid built in one place; …"""
from __future__ import annotations


def test_said_first_here_and_said_here_share_one_claim_file(tmp_path, monkeypatch):
    """said_first_here and said_here each built the claim file's name (sha256 of the line, 32 hex digits): one
    _said_file now, which both use — a claim made by one is the file the other looks for."""
    import tempfile

    from benchmark import results as R

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    calls = []
    real = R._said_file
    monkeypatch.setattr(R, "_said_file", lambda g, line: calls.append((g, line)) or real(g, line))
    assert not R.said_here("g1", "a line")
    assert R.said_first_here("g1", "a line")
    assert R.said_here("g1", "a line") and not R.said_here("g1", "another") and not R.said_here("g2", "a line")
    assert not R.said_first_here("g1", "a line")
    assert calls[:2] == [("g1", "a line"), ("g1", "a line")]
    assert real("g1", "a line").parent == tmp_path / "plbench-said-g1" and len(real("g1", "a line").name) == 32

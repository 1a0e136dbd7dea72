"""Probe of the five research methods and the findings checking published claims, session 21."""

from __future__ import annotations

import pytest

FIVE = tuple(range(5))


def _registered_findings():
    from benchmark.findings import FINDINGS

    return FINDINGS.entries()


@pytest.mark.parametrize("name", [e.name for e in _registered_findings()])
def test_every_finding_states_what_would_refute_it_in_the_list_and_with_its_verdict(name, capsys):
    """A finding stated its claim and (with a verdict only) its paper's regime, never what would refute it: a reader of
    ``plbench findings --list`` could not tell that zhao2017_l1_vs_l2 is reproduced by a tie within the margin (the
    paper has ℓ1 higher), nor that a part is contradicted only where the rival wins by more than the metric's margin.
    Each finding now names its refutation (:attr:`Finding.refuted_by`), printed by ``--list`` beside its regime, and
    with every verdict (the printed table and findings.md)."""
    from benchmark.cli import main
    from benchmark.findings import FINDINGS, FindingResult, to_text

    entry = FINDINGS.get(name)
    finding = entry.obj()
    assert finding.claim and finding.regime and finding.refuted_by, name
    assert "margin" in finding.refuted_by, finding.refuted_by  # what 'worse' means: by more than the margin

    assert main(["findings", "--list"]) == 0
    out = capsys.readouterr().out
    block = out.split(f"\n{name} ", 1)[-1] if not out.startswith(name) else out[len(name):]
    block = block.split("\n", 4)  # claim, needs, regime, refuted by
    assert block[2].strip() == f"paper's regime: {finding.regime}", block
    assert block[3].strip() == f"refuted by: {finding.refuted_by}", block

    r = FindingResult(name, finding.claim, entry.citation, entry.meta.get("source", ""), "inconclusive", "s",
                      regime=finding.regime, refuted_by=finding.refuted_by)
    assert f"refuted by: {finding.refuted_by}" in to_text([r])


def test_a_checked_finding_carries_its_refutation_into_the_verdict_and_findings_md(tmp_path):
    """The verdict of a checked claim (here Zhao's ℓ1 ≥ ℓ2 on a synthetic store) carries the finding's refutation to
    the printed table and to findings.md; its wording says that a tie within the margin reproduces it, weaker than
    the paper's ℓ1 > ℓ2."""
    from benchmark.findings import FINDINGS, check_all, to_text, write
    from benchmark.synthetic import synthetic_table

    table = synthetic_table(tasks=("sr4", "jpeg", "demosaic"), metrics=("psnr", "ssim", "ms_ssim"),
                            offsets={"l1": 0.6, "l2": 0.0}, n_images=16, seeds=FIVE)
    (r,) = check_all(table, ["zhao2017_l1_vs_l2"], n_boot=100)
    want = FINDINGS.get("zhao2017_l1_vs_l2").obj.refuted_by
    assert r.refuted_by == want and "tie" in want
    assert f"refuted by: {want}" in to_text([r])
    md = write([r], tmp_path)["findings_md"]
    assert f"Refuted by: {want}" in md.read_text(encoding="utf-8")

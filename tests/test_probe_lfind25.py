"""Probe of the findings' loose ends, session 25 (lfind): what a verdict says it was tested on."""

from __future__ import annotations

from conftest import one_finding
from test_probe_findings25 import _PRE, _table
from test_probe_newuser25 import _stopped_charbonnier


def test_a_task_whose_parts_are_all_listed_is_not_counted_as_tested():
    """Was: the scope note took every part's task as tested, counted or listed: Blau on sr4 (vgg vs ℓ2 on niqe and
    PSNR) and denoise, where the only deep-feature loss is the lpips loss scored by lpips alone (its perception half
    circular, its PSNR half listed, not counted), read "reproduced on 2 of 2 parts" with no word of denoise — as if
    the trade-off had been tested there. Now a task (metric, rival) whose parts are all listed is named as such."""
    t = _table(("sr4", "denoise"), ("psnr", "niqe", "lpips"),
               {"l2": 0.0, "vgg": {"niqe": 1.0, "lpips": 1.0, "psnr": -1.0},
                "lpips": {"niqe": 1.0, "lpips": 1.0, "psnr": -1.0}},
               {"vgg": _PRE, "lpips": "alexnet:imagenet+lpips:alex:v0.1"})
    t = t[~((t["task"] == "sr4") & (t["loss"] == "lpips"))]
    t = t[~((t["task"] == "denoise") & ((t["loss"] == "vgg") | (t["metric"] == "niqe")))]
    r = one_finding(t, "blau2018_pd_tradeoff")
    assert {p.task for p in r.parts if not p.counted} == {"denoise"}, [(p.task, p.metric, p.counted) for p in r.parts]
    assert {p.task for p in r.counted} == {"sr4"}
    assert r.verdict == "reproduced", r.verdict_text
    assert r.verdict_text.endswith("; not tested on tasks denoise: in these results, its parts there listed, "
                                   "not counted"), r.verdict_text


def test_findings_md_names_a_run_stopped_with_a_checkpoint(tmp_path, capsys):
    """Was: a grid stopped midway left a run with a checkpoint; the board and compare/<loss>.md named it
    (report.stopped_lines), but findings.md — whose verdicts leave it out as much — said nothing, a loss of the grid
    simply absent from its parts. Now findings.md carries the board's note (the one helper); none where none is."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1, 2), metrics=("psnr",),
                        n_images=3, budget_check=False)
    assert main(["findings", "--out", str(store.root)]) == 0
    assert "with a checkpoint" not in (store.root / "findings.md").read_text()
    _stopped_charbonnier(store)
    assert main(["findings", "--out", str(store.root)]) == 0
    capsys.readouterr()
    notes = [line for line in (store.root / "findings.md").read_text().splitlines() if "with a checkpoint" in line]
    assert len(notes) == 1 and "denoise/charbonnier seed 0, stopped at iteration 62 of 120" in notes[0], notes


def test_blau_s_regime_names_the_no_reference_metric_its_perception_half_was_measured_by():
    """Was: Blau's perception half takes the first no-reference metric of niqe, musiq, brisque, nima, pi (over lpips),
    but its regime line said "here niqe or musiq": a store scored by psnr, lpips and nima had its perception half
    measured by nima, which the line beside the verdict did not name — nor that nima, brisque and pi have no practical
    margin (a part on them can support the trade-off, never go against it). Now the line names each and says so."""
    from benchmark.findings import practical_margin
    from findings.blau2018_pd_tradeoff import NO_REFERENCE

    t = _table(("sr4",), ("psnr", "lpips", "nima"), {"l2": 0.0, "vgg": {"nima": 1.0, "lpips": 1.0, "psnr": -1.0}},
               {"vgg": _PRE})
    r = one_finding(t, "blau2018_pd_tradeoff")
    used = {p.metric for p in r.counted if p.note.startswith("perception")}
    assert used == {"nima"}, [(p.metric, p.note) for p in r.counted]
    assert r.verdict == "reproduced", r.verdict_text
    assert all(m in r.regime for m in NO_REFERENCE), r.regime
    blind = [m for m in NO_REFERENCE if practical_margin(m) == float("inf")]
    assert blind and f"{', '.join(blind[:-1])} and {blind[-1]} have no practical margin" in r.regime, r.regime


def test_blau_applies_to_a_store_whose_perception_metric_is_no_reference_alone():
    """Was: a store scored by psnr and nima (a no-reference metric, the paper's kind of perception measure, which the
    finding takes before lpips where both are) read "not applicable: needs metric perceptual; results have psnr,
    nima" — its applicability asked for a metric of stats.PERCEPTUAL_METRICS, its comparisons for any of niqe, musiq,
    brisque, nima, pi. Now it applies wherever its comparisons can run (v6); a store without any perception metric is
    still not applicable, saying what it has."""
    from findings.blau2018_pd_tradeoff import PerceptionDistortionTradeoff

    t = _table(("sr4",), ("psnr", "nima"), {"l2": 0.0, "vgg": {"nima": 1.0, "psnr": -1.0}}, {"vgg": _PRE})
    r = one_finding(t, "blau2018_pd_tradeoff")
    assert r.verdict == "reproduced", (r.verdict_text, r.reason)
    assert {p.metric for p in r.counted} == {"psnr", "nima"}
    bare = one_finding(t[t["metric"] == "psnr"], "blau2018_pd_tradeoff")
    assert bare.verdict == "not applicable" and "psnr" in bare.reason, bare.reason
    assert "nima" in PerceptionDistortionTradeoff().needs_text()


def test_ding_s_regime_says_its_super_resolution_scale_is_not_checked():
    """Ding et al.'s claim (METHODS.md: DISTS/LPIPS "win for super-resolution in human ratings") names no scale, so
    sr4 runs at ×2 (`--task-param sr4.scale=2`) count as they are — but Tariq's and Zhao's findings beside it read the
    same runs "out of regime: ×2 super-resolution; the paper's is ×4", and Ding's lines said nothing of the scale, as if
    it had been checked. The logic stays (the sources give no scale); its regime line now says so."""
    import json

    t = _table(("sr4",), ("lpips",), {"l2": 0.0, "dists": 1.0}, {"dists": "vgg16:imagenet+dists"})
    t["task_params"] = json.dumps({"scale": 2})
    r = one_finding(t, "ding2021_dists_lpips")
    assert r.verdict == "reproduced", r.verdict_text
    assert "any scale" in r.regime and "METHODS.md" in r.regime, r.regime


def test_plbench_findings_says_a_stopped_run_in_the_terminal_too(tmp_path, capsys):
    """Was: `plbench findings` wrote the stopped run's note into findings.md but printed its verdicts without it, where
    `plbench report` logs the same note: a reader of the terminal saw verdicts with a loss of the grid absent and no
    word why. Now the note is printed after the verdicts, as written in findings.md."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1, 2), metrics=("psnr",),
                        n_images=3, budget_check=False)
    _stopped_charbonnier(store)
    assert main(["findings", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert "denoise/charbonnier seed 0, stopped at iteration 62 of 120" in out, out

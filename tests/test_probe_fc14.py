"""Probes of the store, data and verdicts leftovers (results.py, data.py, findings.py): each test failed before its
fix."""

from __future__ import annotations

import warnings

import pytest

import benchmark.metrics  # noqa: F401 (torch, scipy.stats: imported once at collection, not in a test's time)


def test_two_processes_noting_metric_digests_at_once_keep_both(tmp_path, monkeypatch):
    """Was: note_digests read metric-digests.json, then wrote it back with its own metric: a second process noting
    another metric between the read and the write lost its entry (a laptop without that file then read the newest
    scoring's file as today's). Now the read-modify-write is made under a lock, the file read again there: an
    interleaving where the other process writes in between keeps both."""
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    other = ResultsStore(tmp_path / "r")  # the second process's view of the same store
    real = ResultsStore.noted_digests
    calls = []

    def interleaved(self):
        got = real(self)
        if not calls:  # the first read: the other process notes its metric before this one writes
            calls.append(1)
            other.note_digests({"lpips": "b" * 64})
        return got

    monkeypatch.setattr(store, "noted_digests", interleaved.__get__(store))
    store.note_digests({"dists": "a" * 64})
    noted = real(store)
    assert {m: v["sha256"] for m, v in noted.items()} == {"dists": "a" * 64, "lpips": "b" * 64}, noted


def test_a_merge_adopting_notes_while_another_process_notes_keeps_both(tmp_path, monkeypatch):
    """The same for a merge's adopted notes (_adopt_notes): another process noting a metric meanwhile is kept."""
    from benchmark.results import ResultsStore

    src, dst = ResultsStore(tmp_path / "src"), ResultsStore(tmp_path / "dst")
    src.ensure_writable()
    dst.ensure_writable()
    src.note_digests({"dists": "a" * 64})
    other = ResultsStore(tmp_path / "dst")
    real = ResultsStore.noted_digests
    calls = []

    def interleaved(self):
        got = real(self)
        if not calls:
            calls.append(1)
            other.note_digests({"lpips": "b" * 64})
        return got

    monkeypatch.setattr(dst, "noted_digests", interleaved.__get__(dst))
    dst._adopt_notes(src)
    assert {m: v["sha256"] for m, v in real(dst).items()} == {"dists": "a" * 64, "lpips": "b" * 64}


@pytest.mark.parametrize("split", ["test", "TEST"])
def test_a_folder_split_in_another_case_is_offered_as_the_sub_folder_there_as_a_saved_datasets_split_is(tmp_path,
                                                                                                         split):
    """Was: FOLDER:test on a Kaggle-style folder (Test/, Train/) was refused as 'no sub-folder 'test' … (sub-folders:
    Test, Train)' with no suggestion, where a saved DatasetDict's split in another case (SAVED:Test for a 'test'
    split) says '; did you mean test?'. Now one rule: named as written, the folder that is there offered."""
    from benchmark.data import DataSpec, load_images
    from benchmark.errors import UserError

    for sub in ("Test", "Train"):
        (tmp_path / "f" / sub).mkdir(parents=True)
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(f"{tmp_path / 'f'}:{split}", role="test"))
    said = str(e.value)
    assert said.endswith("(sub-folders: Test, Train); did you mean Test?") and "\n" not in said, said


def _part(metric, effect, practical, verdict, p_adj):
    from benchmark.findings import Part

    return Part("sr4", metric, "l1", "l2", "better", effect, effect - 0.2 * practical, effect + 0.2 * practical,
                1.0, p_adj, p_adj, 0.0, 4, 5, 5, False, True, verdict=verdict, n_runs=5, se=0.1 * practical,
                practical=practical)


@pytest.mark.parametrize("case", ["reproduced", "contradicted"])
def test_the_reproduced_but_pooled_line_says_the_parts_the_pooled_effect_leaves_out(case):
    """Was: c0d81a5 made the pooled line say which parts it leaves out for want of a margin (vif, mad), but the open
    reason 'reproduced on 1 of 2 parts, but the pooled effect's CI [-3.60, -2.40] margins lies below 0' (and its
    'contradicted on …, but … is not below −1 margin') used the same pooled figure unsaid — the part reproduced
    being the vif part the pooled effect leaves out. Now it says so, from the same helper as the pooled line."""
    from benchmark.findings import FindingResult, pooled

    margin = 0.1  # psnr's: 3 margins against the claim (reproduced on vif), or 1.1 against (contradicted on psnr)
    if case == "reproduced":
        psnr = _part("psnr", -3 * margin, margin, "inconclusive", 0.2)
        vif = _part("vif", +0.05, float("inf"), "reproduced", 0.001)
    else:
        psnr = _part("psnr", -1.1 * margin, margin, "contradicted", 0.001)
        vif = _part("vif", -0.05, float("inf"), "inconclusive", 0.2)
    r = FindingResult("f", "claim", "cit", "src", "inconclusive", "default", parts=[psnr, vif])
    e, lo, hi = pooled([psnr])
    said = r.open_reason()
    which = " (sr4/psnr)" if case == "contradicted" else ""  # the contradicted part named (test_probe_verdicts17)
    assert said.startswith(f"{case} on 1 of 2 parts{which}, but the pooled effect's CI [{lo:+.2f}, {hi:+.2f}] "
                           "margins"), said
    left = "not in it: 1 part on vif (no practical margin registered)"
    assert left in said.split("; ")[0] and left in r.pooled_text(), (said, r.pooled_text())


@pytest.mark.slow  # ~2 s: a synthetic store of 20 runs and their checks, checked once
def test_an_arm_scored_on_vif_alone_is_said_uncheckable_for_convergence_not_without_budget_checks(tmp_path):
    """Was: the budget check leaves out a metric without a practical margin, so an arm scored on vif alone, its runs
    at ½ budget there, got 'l1: convergence not checked (no runs at ½ budget)' and the finding advised 'the same
    `plbench run` without --no-budget-check trains only the checks' — checks it has, and training them again would
    settle nothing. Now the part stays unsettled (the leaderboard has its runs not shown converged) for the reason
    it is: convergence cannot be checked without a metric with a practical margin, and which to score."""
    from dataclasses import replace

    import findings.zhao2017_l1_vs_l2 as zhao
    from benchmark.convergence import UNSETTLED
    from benchmark.findings import BLIND, check_store, to_markdown
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0}, metrics=("vif",),
                        seeds=tuple(range(5)), n_images=4, seed=1, seed_sd=0.05)
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(zhao, "METRICS", ("vif",))
        mp.setattr(zhao.L1AtLeastL2, "needs", replace(zhao.L1AtLeastL2.needs, metrics=("vif",)))
        warnings.simplefilter("ignore")
        (r,) = check_store(store, ["zhao2017_l1_vs_l2"], n_boot=20)
    (part,) = r.counted
    md = to_markdown([r])
    assert "no runs at ½ budget" not in md and "--no-budget-check" not in md and "longer schedule" not in md, md
    assert part.verdict == UNSETTLED and part.blind and not part.unchecked, (part.verdict, part.note)
    said = "l1 and l2: convergence cannot be checked without a metric with a practical margin (score one too"
    assert said in part.note, part.note
    assert "1 of 1 part on runs whose convergence cannot be checked" in r.open_reason(), r.open_reason()
    assert f"1 {BLIND}" in r.tally() and f"not tested: {BLIND}" in r.effect_text(), (r.tally(), r.effect_text())


def test_a_part_not_scored_names_a_command_plbench_has():
    """Was: a part whose arm has runs never scored with its metric said '… never scored with it: plbench evaluate'
    and the finding's reason 'score its runs, plbench evaluate' — there is no such command ('invalid choice'). Now
    both name what scores them: the same `plbench run` with the metric in --metrics, which re-scores the finished runs
    from their saved nets without training them."""
    import re

    from benchmark.cli import build_parser
    from benchmark.findings import NOT_SCORED, check_all
    from benchmark.synthetic import synthetic_table

    table = synthetic_table(tasks=("sr4",), offsets={"l1": 0.5, "l2": 0.0}, metrics=("psnr", "ssim"),
                            seeds=tuple(range(5)), n_images=2, seed=1, seed_sd=0.05)
    table = table[~((table["loss"] == "l2") & (table["metric"] == "ssim"))]  # l2 never scored with ssim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(table, ["zhao2017_l1_vs_l2"])
    (part,) = [p for p in r.parts if p.metric == "ssim"]
    assert part.status == NOT_SCORED, (part.status, part.note)
    commands = set(next(a for a in build_parser()._actions if a.dest == "command").choices)
    said = part.note + " " + r.open_reason()
    named = re.findall(r"plbench (\w+)", said)
    assert named and set(named) <= commands, (named, said)
    assert "--metrics" in part.note, part.note

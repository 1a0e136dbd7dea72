"""Leftovers of the day's reviews: the saturated note, compare's weights line in the saved comparison, perf's × naive
as paired as its × L1 (tests/test_probe_zmix20.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from test_probe_verdicts17 import as_mix, mix_at_least  # a non-inferiority part (zhao2017_l1_vs_l2's until v4)

from benchmark.synthetic import synthetic_table


def _ssim_at(l2: float):
    """sr4, l1 vs l2 over 5 seeds: psnr tells them apart; ssim is 0.9 for every l1 run on every image, ``l2`` for
    every l2 run."""
    t = synthetic_table(tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.5}, metrics=("psnr", "ssim"), seeds=range(5),
                        n_images=4)
    m = (t["metric"] == "ssim") & (t["loss"] != "input")
    t.loc[m, "value"] = 0.9
    t.loc[m & (t["loss"] == "l2"), "value"] = l2
    return t


def _said(t):
    from benchmark.export import notes
    from benchmark.findings import check_all
    from benchmark.stats import compute

    lines = notes(compute(t, n_boot=20))
    # a part tested with a margin: Zhao's Mix ≥ ℓ1 (l1 ≥ l2 here; zhao2017_l1_vs_l2 tests ℓ1 > ℓ2 since its v4)
    with mix_at_least():
        part = next(p for f in check_all(as_mix(t), ["zhao2017_mix_best"]) for p in f.parts if p.metric == "ssim")
    return [x for x in lines if x.startswith("Saturated")], [x for x in lines if "no spread" in x], part


def test_a_constant_non_zero_difference_is_not_called_saturated():
    """Was: the leaderboard's "Saturated — … no loss is told apart there" fired where every pair differed by the same
    NON-zero amount (quantised values: l2 0.85 beside l1 0.9 on every run and image), which does tell them apart, and
    the findings called it "are the runs copies, or the metric saturated?". Now saturated means the same scores
    (RunComparison.same_scores); a constant non-zero difference is said as one (a quantised metric?), in both."""
    sat, flat, part = _said(_ssim_at(0.85))
    assert not sat, sat
    assert len(flat) == 1 and "sr4/ssim: l1 vs l2" in flat[0] and "non-zero difference" in flat[0], flat
    assert part.status == "no spread" and "non-zero difference" in part.note and "saturated" not in part.note, part.note


def test_the_same_scores_are_still_called_saturated():
    """The other case: ssim 0.9 for every run of both losses is the Saturated line (and no "Not tested" pair), and
    the findings' part (tested with a margin, so no spread) says copied runs or a saturated metric."""
    sat, flat, part = _said(_ssim_at(0.9))
    assert len(sat) == 1 and "sr4/ssim" in sat[0] and "no loss is told apart" in sat[0], sat
    assert not [x for x in flat if x.startswith("Not tested")], flat
    assert part.status == "no spread" and "saturated metric" in part.note and "non-zero" not in part.note, part.note


def test_the_shipped_profile_path_test_runs_alike_after_another_test_imported_the_module(tmp_path, capsys):
    """Was: tests/test_review_final19.py's run of ``python -m benchmark.configs`` (runpy, in-process) emitted
    "RuntimeWarning: 'benchmark.configs.__main__' found in sys.modules" when another test (test_probe_newuser20) had
    imported that module first: its outcome hung on the tests' order. Now it drops the module from sys.modules first,
    and checks the same."""
    import importlib
    import sys
    import warnings

    import pytest

    from tests.test_review_final19 import (
        test_readme_says_how_to_copy_a_shipped_profile_and_the_command_prints_its_path as check,
    )

    mp = pytest.MonkeyPatch()
    try:
        mp.setitem(sys.modules, "benchmark.configs.__main__", importlib.import_module("benchmark.configs.__main__"))
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            check(tmp_path, capsys)
        assert "benchmark.configs.__main__" in sys.modules  # put back as it was: no other test sees a change
    finally:
        mp.undo()


@pytest.mark.slow  # a field trained (2 iterations), then the new loss trained and compared: a few seconds
def test_the_saved_comparison_says_which_weights_a_new_deep_loss_got(tmp_path, capsys):
    """Was: compare's line naming the weights a new deep loss gets beside a pixel-only field (random, and the spec
    that chooses pretrained ones: compare.field_weights_note) was only logged while planning; compare/<loss>.md and
    what `plbench compare` prints at its end did not say it, so a reader of the saved file trusted a random-VGG
    result. Now it is one of its task's notes there, in the same words."""
    from benchmark.cli import main
    from benchmark.compare import field_weights_note
    from benchmark.export import md_text

    out = tmp_path / "field"
    common = ["--crop", "32", "--batch-size", "2", "--device", "cpu"]
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "2", "--metrics",
                 "psnr", "--no-budget-check", "--no-report", "--no-progress", "-q", "--out", str(out), *common]) == 0
    capsys.readouterr()
    loss = "l1 + 0.1*vgg"
    assert main(["compare", "--loss", loss, "--out", str(out), "--device", "cpu", "--no-visual", "--formats", "png",
                 "--bootstrap", "100"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    said = field_weights_note([{"config": {"backbone_weights": "none"}}], loss)
    assert said and "trains on random backbone weights" in said
    (saved,) = (out / "compare").glob("*.md")
    text = " ".join(saved.read_text(encoding="utf-8").split())
    quoted = " ".join(md_text(said, cell=False).split())  # as the summary quotes every note of its task
    assert f"## denoise > {quoted}" in text, text
    assert quoted in printed, printed


def test_perf_s_times_naive_is_the_same_paired_statistic_as_its_times_l1(monkeypatch):
    """Was: `plbench perf`'s × L1 was the median of the per-rep paired ratios while × naive beside it was still the
    ratio of the two medians: two statistics in neighbouring columns, the second outside the range of its own reps'
    ratios under load. Every rep times both (interleaved), so × naive is now the median of each rep's step over the
    same rep's naive step. On the test's own clock: vgg takes 10, 10, 100 s in its three reps, naive:vgg 1, 10, 10 s
    (paired ratios 10, 1, 10: median 10, where the medians' ratio is 1)."""
    import time as _time

    import torch

    from benchmark import perf

    clock = {"wall": 0.0}
    took = {"l1": [1.0, 1.0, 1.0], "vgg": [10.0, 10.0, 100.0], "naive:vgg": [1.0, 10.0, 10.0]}

    def timed(name):
        def step():
            clock["wall"] += took[name].pop(0)
        return step

    class Naive(torch.nn.Module):  # the reference built, never stepped for real: its step is the clock's
        pass

    monkeypatch.setattr(perf, "harness_step", lambda name, **kw: (timed(name), SimpleNamespace(
        loss_fn=SimpleNamespace(provenance="none"))))
    monkeypatch.setattr(perf, "NAIVE", {"vgg": ("naive:vgg", Naive)})
    monkeypatch.setattr(perf, "_naive_step", lambda *a: timed("naive:vgg"))
    monkeypatch.setattr(torch.optim, "Adam", lambda *a, **k: None)  # its first build imports for 0.8 s; never steps
    monkeypatch.setattr(perf, "_warm_process", lambda *a, **k: None)
    monkeypatch.setattr(_time, "perf_counter", lambda: clock["wall"])
    monkeypatch.setattr(_time, "process_time", lambda: clock["wall"])
    rows = {r.name: r for r in perf.measure(["vgg"], net="tiny", batch=1, crop=32, device="cpu", reps=3, warmup=0,
                                            naive=True, flops=False, images=[])}
    assert rows["vgg"].x_naive == 10.0 and rows["vgg"].x_l1 == 10.0, rows["vgg"]
    assert rows["naive:vgg"].x_naive is None and rows["l1"].x_naive is None

"""Probes of a researcher meeting the tool for the first time (session 26): what its messages tell them to run."""
from __future__ import annotations

import shlex

import pytest

from benchmark.runstats import MIN_RUNS


def test_calibrate_s_advice_to_train_more_seeds_names_the_store_calibrated():
    """``plbench calibrate --out results-cpu`` on too few seeds told the user to run `plbench run --seeds 0 1 2 ...`
    ("no results to calibrate on"), to "re-run with --seeds 0 1 ..." (one seed) and, for its A/A splits,
    `plbench run --losses l1 --seeds 0 … 9`: commands without the --out, which train into ./results while the store
    calibrated stays as it was. Each now names the command that trains into the store calibrated."""
    from benchmark import calibrate as C
    from benchmark.errors import UserError
    from benchmark.synthetic import synthetic_table

    run = "plbench run --out results-cpu"
    kw = dict(tasks=("denoise",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, n_images=4)
    with pytest.raises(UserError, match="2 seeds") as one:
        C.calibrate(synthetic_table(seeds=range(1), **kw), n_nulls=20, splits=2, aa_sims=0, run=run)
    assert f"`{run} --seeds 0 1 " in str(one.value), one.value
    with pytest.raises(UserError, match="no results") as none:
        C.calibrate(synthetic_table(seeds=range(1), **kw).iloc[:0], n_nulls=20, run=run)
    assert f"`{run} --seeds 0 1 2 " in str(none.value), none.value
    cal = C.calibrate(synthetic_table(seeds=range(3), **kw), n_nulls=20, splits=2, aa_sims=0, run=run,
                      max_runs=MIN_RUNS)  # power at MIN_RUNS alone: the A/A reason is all asked
    assert f"`{run} --losses l1 --seeds {' '.join(map(str, range(2 * MIN_RUNS)))}`" in cal.aa_reason, cal.aa_reason


@pytest.mark.slow
def test_plbench_calibrate_names_its_out_in_the_command_it_advises(tmp_path, capsys):
    """The command line's calibrate passes its --out (quoted as typed) to the advice above."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    out = tmp_path / "my results"
    write_store(out, tasks=("denoise",), metrics=("psnr",), offsets={"l1": 0.0, "l2": 0.0}, seeds=range(1),
                seed_sd=0.2, n_images=4)
    assert main(["calibrate", "--out", str(out), "--nulls", "20", "--splits", "2", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"run --out {shlex.quote(str(out))} --seeds 0 1 " in err[0], err


def test_a_dry_run_whose_step_time_cache_cannot_be_written_still_estimates(tmp_path, caplog):
    """StepTimes.save meant an unwritable steptimes.json (a read-only TORCH_HOME, a shared cluster cache, a file in
    the way) to cost the next dry run its speed alone, said once — but caught ``OSError``, while atomic_write_json
    raises the store's one-line ``UserError`` (NotWritable, InTheWay): the dry run stopped at its first measured step,
    "error: cannot write …/steptimes.json", and estimated nothing. Now it measures on, warning once."""
    import logging

    from benchmark import perf

    (tmp_path / "hub").write_text("")  # a file where the cache's folder goes
    cache = perf.StepTimes(tmp_path / "hub" / "plbench" / "steptimes.json")
    with caplog.at_level(logging.WARNING, logger="benchmark.perf"):
        assert [cache.get(k, lambda: 0.5) for k in ("denoise|l1", "denoise|l2")] == [0.5, 0.5]
    said = [r.getMessage() for r in caplog.records if "could not keep measured step times" in r.getMessage()]
    assert len(said) == 1 and "steptimes.json" in said[0], said


@pytest.mark.parametrize("busy", [False, True])
def test_an_interrupted_dry_run_says_truly_which_step_times_it_kept(tmp_path, monkeypatch, capsys, busy):
    """Ctrl-C in a dry run said "the step times measured so far are kept (…steptimes.json): the same command
    measures only the rest", though a time measured while other work held the cores is used once and not kept
    (its own warning said so): on a busy machine the same command measured every one of them again. The line now
    says which were kept, as the file holds them."""
    import json

    line, cache = _interrupted_dry_run(tmp_path / "steptimes.json", monkeypatch, capsys, busy)
    kept = "denoise|l1" in json.loads(cache.read_text())["times"]
    assert kept is not busy
    assert ("measures only the rest" in line) is kept, line
    assert ("1 step time measured so far, timed while other work held the cores, is not kept" in line) is busy, line


def test_an_interrupted_dry_run_does_not_say_kept_what_it_could_not_write(tmp_path, monkeypatch, capsys):
    """Where steptimes.json cannot be written (said in a warning), the interrupted dry run's line said it kept them."""
    (tmp_path / "a file").write_text("")
    line, cache = _interrupted_dry_run(tmp_path / "a file" / "steptimes.json", monkeypatch, capsys, False)
    assert "could not be kept" in line and "measures them again" in line and "only the rest" not in line, line


def _interrupted_dry_run(path, monkeypatch, capsys, busy: bool):
    """A dry run that measures one step time (on a busy machine where ``busy``) into ``path``, then is stopped with
    Ctrl-C: (its last line, the file)."""
    from benchmark import cli, perf

    monkeypatch.setattr(perf, "_CONTENDED", [0])
    monkeypatch.setattr(perf, "MEASURED", {"measured": 0, "busy": 0, "unwritable": 0})
    cache = perf.StepTimes(path)

    def measure():
        perf._CONTENDED[0] += busy  # as _best_time counts a timing of a busy machine
        return 0.5

    def dry_run(args):
        cache.get("denoise|l1", measure)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_run", dry_run)
    assert cli.main(["run", "--dry-run", "--tasks", "denoise", "--losses", "l1", "-q"]) == 130
    return capsys.readouterr().err.strip().splitlines()[-2], path


def test_a_test_image_its_task_cuts_to_nothing_is_not_said_left_out_of_each_metric(tmp_path, caplog):
    """A 5×5 photo in a folder of test images (a thumbnail, an icon) is cut to nothing by a task without modcrop (8 px
    multiples): the data's warning says it is never tested there. Planning then said, metric by metric, "metric ssim
    needs ≥ 11 px per side: 1 of 2 test images … are smaller and left out of its means: tiny (0 px)" — six lines for
    the quick profile's metrics, as if it were scored by the others (psnr) and 0 px were its size. An image no metric
    scores is no image a metric leaves out: not named there; one it cuts to some pixels still is."""
    import logging

    import numpy as np
    from PIL import Image

    from benchmark.config import check_metric_sizes
    from benchmark.data import DataCache, DataSpec

    d = tmp_path / "photos"
    d.mkdir()
    for name, side in (("big", 16), ("tiny", 5)):
        Image.fromarray(np.full((side, side, 3), 99, np.uint8)).save(d / f"{name}.png")
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        check_metric_sizes(("psnr", "ssim", "vsi"), (DataSpec(str(d)),), DataCache())
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("metric ")]
    assert not said, said
    Image.fromarray(np.full((9, 12, 3), 99, np.uint8)).save(d / "small.png")  # cut to 8 × 8: below ssim's 11 px
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark.config"):
        check_metric_sizes(("psnr", "ssim"), (DataSpec(str(d)),), DataCache())
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("metric ")]
    assert "metric ssim" in line and "1 of 2 test images" in line and "small (8 px)" in line and "tiny" not in line

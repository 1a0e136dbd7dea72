"""A new user's first day (journey 7): the README, the CLI's help, the Python API, first runs."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """A small synthetic results store: l1 and l2 on one task, 5 seeds, psnr only."""
    from benchmark.synthetic import write_store

    return write_store(tmp_path_factory.mktemp("field") / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0, 1, 2, 3, 4),
                       metrics=("psnr",), n_images=4, budget_check=False)


@pytest.mark.parametrize("kw, msg", [
    ({"alpha": 5}, r"^alpha must be in \(0, 1\), got 5"),           # meant 5 %: every pair "significant"
    ({"n_boot": 0}, r"^n_boot must be at least 100, got 0$"),  # was an IndexError
    ({"formats": ("png", "jpg")}, r"^formats: 'jpg' is not one of png, pdf, svg"),  # was accepted
    ({"formats": "spg"}, r"^formats: 'spg' is not one of png, pdf, svg; did you mean svg\?"),  # was "Format 's'"
    ({"baseline": "l3"}, r"^baseline 'l3' is not a loss of these results; did you mean"),  # was a report, no ▲/▼
    ({"where": "iteration=150"}, r"^where iteration: no such setting field; did you mean iterations\?"),
])
def test_api_report_refuses_what_plbench_report_refuses(field, kw, msg):
    """``api.report`` took any ``alpha`` (5, meant as 5 %, made every pair "significant"), ``n_boot=0`` (an
    IndexError from deep in the statistics), any ``formats`` (a string was read letter by letter:
    "Format 's' is not supported"), a ``baseline`` the results do not hold (a leaderboard with no ▲/▼
    and no word why) and ``where`` as the CLI's ``FIELD=VALUE`` string (read character by character:
    "--where 0: no such setting field") — where ``plbench report`` refuses each in one line. Its
    docstring promises "the CLI's one-line message": it now gives it, before anything is written."""
    from benchmark import api

    before = sorted(p.name for p in field.root.iterdir())
    with pytest.raises(api.UserError, match=msg) as e:
        api.report(field.root, visual=False, **kw)
    assert len(str(e.value).splitlines()) == 1
    assert sorted(p.name for p in field.root.iterdir()) == before  # nothing written


def test_api_report_takes_the_clis_forms(field):
    """The forms the CLI takes work from Python as well: ``where`` as ``"FIELD=VALUE"`` strings (one or a
    list) or a mapping, ``formats`` as one name; PNG is always written (the HTML embeds it), as with
    ``--formats svg``."""
    from benchmark import api

    paths = api.report(field.root, visual=False, formats="svg", where="iterations=150", n_boot=100)
    figure = paths["fig_rank_heatmap"]
    assert figure.suffix == ".png" and figure.with_suffix(".svg").exists() and not figure.with_suffix(".pdf").exists()
    from benchmark.cli import report_options

    assert report_options(where=["iterations=150"])["where"] == report_options(where={"iterations": 150})["where"] \
        == report_options(where="iterations=150")["where"] == {"iterations": "150"}


@pytest.mark.parametrize("command", ["run", "perf", "list", "report", "compare", "weights", "findings", "calibrate",
                                     "check", "merge", "pretrain"])
def test_every_commands_help_says_what_it_does_and_shows_examples_that_parse(command, capsys):
    """``plbench run --help`` (and every other command's) began with the usage block and ended with the
    options: what the command does was said only by ``plbench -h``, and no command line was shown. Each now
    opens with ``plbench -h``'s line for it and ends with examples, every one of which the parser takes."""
    import argparse
    import re
    import shlex

    from benchmark.cli import COMMANDS, build_parser, main

    assert command in COMMANDS
    top = build_parser()
    said = next(a.help for s in top._actions if isinstance(s, argparse._SubParsersAction)
                for a in s._choices_actions if a.dest == command)
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    head = out.split("\n\n")[1]  # after the usage block
    assert " ".join(head.split()).lower() == (said + ".").lower(), head
    examples = [line.strip() for line in out.split("examples:\n", 1)[1].splitlines() if line.strip()]
    assert examples
    for example in examples:
        words = shlex.split(example)
        while re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # an environment variable before the command
            words = words[1:]
        assert words[0] == "plbench" and words[1] == command, example
        build_parser().parse_args(words[1:])  # a bad flag would exit 2 here



def test_prefetch_offline_names_the_losses_it_was_asked_for(monkeypatch, capsys, tmp_path):
    """``plbench weights prefetch --losses vgg`` offline said "run `HF_HUB_OFFLINE=0 plbench weights prefetch`
    on a machine with a network": that command fetches the files of every loss and every default metric,
    not the one vgg needs (``plbench weights --losses vgg`` named the losses). It now keeps the losses and
    the loss files they come from, and so does the listing (which lost the loss files)."""
    from benchmark.cli import main
    from benchmark.registry import LOSSES

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loss_file = tmp_path / "my loss.py"
    loss_file.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                         "@register_loss('journey7_pix', citation='test')\nclass P(torch.nn.Module):\n"
                         "    'l1'\n    def forward(self, p, t):\n        return (p - t).abs().mean()\n")
    want = f"`HF_HUB_OFFLINE=0 plbench weights prefetch --losses vgg journey7_pix --loss-file '{loss_file}'`"
    try:
        assert main(["weights", "prefetch", "--losses", "vgg", "journey7_pix", "--loss-file", str(loss_file)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and want in err, err
        assert main(["weights", "--losses", "vgg", "journey7_pix", "--loss-file", str(loss_file)]) == 0
        assert want in capsys.readouterr().out  # the listing says the same
    finally:
        LOSSES.remove("journey7_pix")



def test_scoring_the_degraded_inputs_is_said_before_it_starts(tmp_path, caplog, random_images):
    """After "grid: 5 runs …" a grid on a folder of 8 photos said nothing for 2 min 23 s (the degraded inputs
    of each task scored on every metric: the leaderboard's ``input`` row) before "run 1/5": a new user took
    it for a hang. One line per task now says what is being scored, on how many images, before it is."""
    import logging
    from types import SimpleNamespace

    import torch

    from benchmark.data import DataCache
    from benchmark.metrics import MetricSet
    from benchmark.results import ResultsStore
    from benchmark.runner import _score_input, build_task, held_out_items

    task, spec, data = build_task("denoise"), random_images(n=2, size=40), DataCache()
    items = held_out_items(task, {spec: data.images(spec)})
    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cpu = torch.device("cpu")
    grid = SimpleNamespace(store=store, metrics=MetricSet(("psnr", "ssim"), cpu), device=cpu,
                           higher={"psnr": True, "ssim": True}, grid_id="", since=None, stall_s=0)
    with caplog.at_level(logging.INFO, logger="benchmark.runner"):
        _score_input(grid, task, "1", (spec,), "fp", items)
    said = [r.getMessage() for r in caplog.records]
    assert said == ["denoise: scoring the degraded test inputs (2 images; psnr, ssim), the leaderboard's "
                    "`input` row"], said
    assert store.metrics_scored(next(p.name for p in store.runs.iterdir())) == {"psnr", "ssim"}
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark.runner"):
        _score_input(grid, task, "1", (spec,), "fp", items)  # scored already: nothing to do, nothing said
    assert not caplog.records


@pytest.mark.parametrize("env, prefix", [
    ({"PLBENCH_OFFLINE": "1"}, "PLBENCH_OFFLINE=0 plbench"),  # the listing said HF_HUB_OFFLINE=0: still offline
    ({"HF_HUB_OFFLINE": "1", "PLBENCH_OFFLINE": "yes"}, "HF_HUB_OFFLINE=0 PLBENCH_OFFLINE=0 plbench"),
])
def test_the_command_for_a_connected_machine_turns_off_every_offline_switch_that_is_on(monkeypatch, capsys, tmp_path,
                                                                                      env, prefix):
    """With ``PLBENCH_OFFLINE=1`` the listing said to run ``HF_HUB_OFFLINE=0 plbench weights prefetch``, which
    is still offline there; with both set, prefetch named ``HF_HUB_OFFLINE`` alone, so its command failed again
    on ``PLBENCH_OFFLINE``. Both now turn off every switch that is on here."""
    from benchmark.cli import main

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("PLBENCH_OFFLINE", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["weights", "--losses", "vgg"]) == 0
    assert f"`{prefix} weights prefetch --losses vgg`" in capsys.readouterr().out
    assert main(["weights", "prefetch", "--losses", "vgg"]) == 2
    err = capsys.readouterr().err
    assert f"`{prefix} weights prefetch --losses vgg`" in err and err.count("\n") == 1, err


def test_a_saved_datasets_missing_split_or_column_says_what_to_write(tmp_path):
    """``--test-data saved:validation`` on a saved DatasetDict of train and test said "has splits train, test;
    got 'validation'" and ``#imag`` said "has no column 'imag' (columns: image, label)": neither said what to
    write. The split's line now names the sources to pass, the column's the closest column."""
    import datasets
    import numpy as np

    from benchmark.data import DataSpec, load_images
    from benchmark.errors import UserError

    rng = np.random.default_rng(0)
    ds = datasets.Dataset.from_dict({"image": [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)] * 2,
                                     "label": [0, 1]})
    datasets.DatasetDict(train=ds, test=ds).save_to_disk(str(tmp_path / "dd"))
    ds.save_to_disk(str(tmp_path / "one"))
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(f"{tmp_path / 'dd'}:validation"))
    assert str(e.value).endswith(f"(pass one of them: {tmp_path / 'dd'}:train, {tmp_path / 'dd'}:test)"), str(e.value)
    with pytest.raises(UserError) as e:
        load_images(DataSpec.parse(f"{tmp_path / 'one'}#imag"))
    assert str(e.value).endswith("has no column 'imag'; did you mean image? (columns: image, label)"), str(e.value)


def test_api_load_results_says_why_a_folder_holds_no_results(tmp_path):
    """``api.load_results`` said "no results in X" for a folder of photos, a file and a path that does not
    exist alike, where ``plbench report`` tells the three apart and says what to pass."""
    from benchmark import api

    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.png").write_bytes(b"not really")
    for out, said in ((photos, "is not a plbench results directory"), (photos / "a.png", "is a file"),
                      (tmp_path / "none", "no such directory (run `plbench run --out")):
        with pytest.raises(api.UserError) as e:
            api.load_results(out)
        assert said in str(e.value) and len(str(e.value).splitlines()) == 1, str(e.value)


def test_a_dry_run_counts_its_budget_checks_as_the_run_does(tmp_path, monkeypatch, capsys):
    """``run --dry-run`` of one loss, one seed, one task said "dry run: 2 runs (…)": the second is the run's
    budget check, which ``run`` names ("grid: 2 runs (…; 1 of them budget checks at half the iterations)")
    and the dry run did not; one run without its check read "1 runs"."""
    import benchmark.perf as perf
    from benchmark.cli import main

    def estimate(configs, metrics, device, **_):  # the timing is perf's own business (tests/test_perf*.py)
        return {"runs": len(configs), "seconds": 1.0, "train_s": 1.0, "eval_s": 0.0, "by_task": {"denoise": 1.0},
                "by_family": {"pixel": 1.0}, "ms_per_step": {"l1": {"denoise": 1.0}}, "probes": [(1, 64)],
                "measured": 0, "reused": 1, "cache": "steptimes.json", "device": "cpu"}

    monkeypatch.setattr(perf, "estimate_grid", estimate)
    base = ["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--iterations", "4", "--device", "cpu",
            "--dry-run", "--out", str(tmp_path / "r")]
    assert main(base) == 0
    assert "dry run: 2 runs (quick profile; net tiny, 4 iterations of 8×48²; 1 of them budget checks at half the " \
           "iterations)" in capsys.readouterr().out
    assert main([*base, "--no-budget-check"]) == 0
    assert "dry run: 1 run (quick profile; net tiny, 4 iterations of 8×48²)" in capsys.readouterr().out


@pytest.mark.parametrize("flags, msg", [
    (["--workers", "two"], "--workers must be a number or auto, got 'two'"),
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--workers-per-gpu", "0"], "--workers-per-gpu must be at least 1, got 0"),
])
def test_a_dry_run_refuses_the_executor_flags_the_run_refuses(tmp_path, monkeypatch, capsys, flags, msg):
    """``run --dry-run --workers two`` printed an estimate (and ``--workers 0`` one "on 0 workers" less), where
    the same command without ``--dry-run`` is refused: the check a user makes before the real run passed a
    command that then failed. Both refuse it now, before any data is loaded or step timed."""
    import benchmark.perf as perf
    from benchmark.cli import main

    def estimate(*args, **kwargs):
        raise AssertionError("timed steps for a command it refuses")

    monkeypatch.setattr(perf, "estimate_grid", estimate)
    for dry in (["--dry-run"], []):
        assert main(["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--device", "cpu",
                     "--no-budget-check", "--out", str(tmp_path / "r"), *flags, *dry]) == 2
        err = capsys.readouterr().err
        assert err == f"error: {msg}\n", err
    assert not (tmp_path / "r").exists()


def test_a_dry_run_says_that_the_run_would_refuse_its_out(tmp_path, monkeypatch, caplog):
    """``run --dry-run --out <a file>`` (or a folder of photos) printed its estimate and nothing else; the
    same command without ``--dry-run`` then stopped at once on --out. The dry run still estimates (it
    writes nothing there) and warns, in one line, what the run would refuse."""
    import logging

    import benchmark.perf as perf
    from benchmark.cli import main

    monkeypatch.setattr(perf, "estimate_grid", lambda configs, metrics, device, **_: {
        "runs": len(configs), "seconds": 1.0, "train_s": 1.0, "eval_s": 0.0, "by_task": {"denoise": 1.0},
        "by_family": {"pixel": 1.0}, "ms_per_step": {"l1": {"denoise": 1.0}}, "probes": [(1, 64)], "measured": 0,
        "reused": 1, "cache": "steptimes.json", "device": "cpu"})
    a_file = tmp_path / "results"
    a_file.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="benchmark"):
        assert main(["run", "--tasks", "denoise", "--losses", "l1", "--iterations", "2", "--device", "cpu",
                     "--no-budget-check", "--dry-run", "--out", str(a_file)]) == 0
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == [f"the run itself would stop here: results directory {a_file} exists and is not a directory"], said
    assert a_file.read_text() == "not a folder"
